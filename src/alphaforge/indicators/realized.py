"""Realized volatility estimators over a rolling window of ``period`` bars, annualized.

Every estimator returns ``sqrt(annualization · σ²)`` where σ² is a per-bar variance of log
prices, so ``annualization`` is the number of bars in a year: 252 for daily bars (the default),
52 for weekly, 252·6.5 = 1638 for hourly US equity bars, 365·24 = 8760 for hourly crypto.

With ``o, h, l, c`` the log open, high, low, close of bar *i* and ``c₋₁`` the previous close:

* **close-to-close**: the sample variance (``ddof=1``) of ``r = c − c₋₁`` over the window.
  Needs ``period + 1`` closes.
* **Parkinson** (1980): ``σ² = mean((h − l)²) / (4 ln 2)``. M. Parkinson, "The Extreme Value
  Method for Estimating the Variance of the Rate of Return", *Journal of Business* 53(1).
* **Garman–Klass** (1980): ``σ² = mean(½(h − l)² − (2 ln 2 − 1)(c − o)²)``. M. Garman and
  M. Klass, "On the Estimation of Security Price Volatilities from Historical Data", *Journal of
  Business* 53(1).
* **Yang–Zhang** (2000): ``σ² = σ²_open + k·σ²_close + (1 − k)·σ²_RS`` with ``σ²_open`` the
  sample variance of the overnight returns ``o − c₋₁``, ``σ²_close`` the sample variance of the
  open-to-close returns ``c − o``, ``σ²_RS`` the mean Rogers–Satchell term
  ``(h − c)(h − o) + (l − c)(l − o)`` and ``k = 0.34 / (1.34 + (n + 1)/(n − 1))``. D. Yang and
  Q. Zhang, "Drift-Independent Volatility Estimation Based on High, Low, Open, and Close
  Prices", *Journal of Business* 73(3). Needs the previous close, so ``period + 1`` bars.

The rolling variances use the same cancellation-free shifted sums as TA-Lib 0.8's ``VAR``;
the rolling means are running sums. Prices must be positive (a log of a non-positive price is NaN).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from alphaforge.core.jit import jit
from alphaforge.indicators._arrays import FloatArray, as_float_arrays, check_period, check_real
from alphaforge.indicators._constants import GK_CLOSE_WEIGHT, LN2, yang_zhang_k
from alphaforge.indicators._nb import fill_nan, first_valid, first_valid2, first_valid4
from alphaforge.indicators.overlap import shifted_variance, sma_into

__all__ = ["close_to_close", "garman_klass", "parkinson", "yang_zhang"]


@jit()
def _close_to_close_nb(x: FloatArray, period: int, annualization: float, out: FloatArray) -> None:
    n = x.shape[0]
    s = first_valid(x)
    first = s + period
    fill_nan(out, first)
    if first >= n:
        return
    returns = np.empty(n)
    for i in range(s + 1, n):
        returns[i] = math.log(x[i] / x[i - 1])
    mean = np.empty(n)
    shifted_variance(returns, s + 1, period, mean, out)
    correction = period / (period - 1.0)
    for i in range(first, n):
        out[i] = math.sqrt(annualization * max(out[i], 0.0) * correction)


@jit()
def _parkinson_nb(
    high: FloatArray, low: FloatArray, period: int, annualization: float, out: FloatArray
) -> None:
    n = high.shape[0]
    s = first_valid2(high, low)
    first = s + period - 1
    fill_nan(out, first)
    if first >= n:
        return
    terms = np.empty(n)
    for i in range(s, n):
        hl = math.log(high[i] / low[i])
        terms[i] = hl * hl
    sma_into(terms, s, period, out)
    scale = annualization / (4.0 * LN2)
    for i in range(first, n):
        out[i] = math.sqrt(scale * max(out[i], 0.0))


@jit()
def _garman_klass_nb(
    open_: FloatArray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    period: int,
    annualization: float,
    out: FloatArray,
) -> None:
    n = close.shape[0]
    s = first_valid4(open_, high, low, close)
    first = s + period - 1
    fill_nan(out, first)
    if first >= n:
        return
    terms = np.empty(n)
    for i in range(s, n):
        hl = math.log(high[i] / low[i])
        co = math.log(close[i] / open_[i])
        terms[i] = 0.5 * hl * hl - GK_CLOSE_WEIGHT * co * co
    sma_into(terms, s, period, out)
    for i in range(first, n):
        out[i] = math.sqrt(annualization * max(out[i], 0.0))


@jit()
def _yang_zhang_nb(
    open_: FloatArray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    period: int,
    k: float,
    annualization: float,
    out: FloatArray,
) -> None:
    n = close.shape[0]
    s = first_valid4(open_, high, low, close)
    first = s + period
    fill_nan(out, first)
    if first >= n:
        return
    overnight = np.empty(n)
    intraday = np.empty(n)
    rs = np.empty(n)
    for i in range(s + 1, n):
        o = open_[i]
        c = close[i]
        overnight[i] = math.log(o / close[i - 1])
        intraday[i] = math.log(c / o)
        hc = math.log(high[i] / c)
        ho = math.log(high[i] / o)
        lc = math.log(low[i] / c)
        lo = math.log(low[i] / o)
        rs[i] = hc * ho + lc * lo
    scratch = np.empty(n)
    var_open = np.empty(n)
    var_close = np.empty(n)
    shifted_variance(overnight, s + 1, period, scratch, var_open)
    shifted_variance(intraday, s + 1, period, scratch, var_close)
    sma_into(rs, s + 1, period, scratch)
    correction = period / (period - 1.0)
    for i in range(first, n):
        variance = (
            max(var_open[i], 0.0) * correction
            + k * max(var_close[i], 0.0) * correction
            + (1.0 - k) * scratch[i]
        )
        out[i] = math.sqrt(annualization * max(variance, 0.0))


def close_to_close(
    close: npt.ArrayLike, period: int = 20, annualization: float = 252.0
) -> FloatArray:
    """Return the annualized close-to-close volatility (sample σ of log returns).

    Warm-up: ``period`` NaNs (``period`` returns need ``period + 1`` closes).
    """
    (x,) = as_float_arrays("close_to_close", ("close",), (close,))
    p = check_period("close_to_close", "period", period, minimum=2)
    a = check_real("close_to_close", "annualization", annualization, positive=True)
    out = np.empty_like(x)
    _close_to_close_nb(x, p, a, out)
    return out


def parkinson(
    high: npt.ArrayLike, low: npt.ArrayLike, period: int = 20, annualization: float = 252.0
) -> FloatArray:
    """Return Parkinson's annualized high-low volatility. Warm-up: ``period − 1`` NaNs."""
    h, lo = as_float_arrays("parkinson", ("high", "low"), (high, low))
    p = check_period("parkinson", "period", period)
    a = check_real("parkinson", "annualization", annualization, positive=True)
    out = np.empty_like(h)
    _parkinson_nb(h, lo, p, a, out)
    return out


def garman_klass(
    open: npt.ArrayLike,
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    period: int = 20,
    annualization: float = 252.0,
) -> FloatArray:
    """Return the Garman–Klass annualized OHLC volatility. Warm-up: ``period − 1`` NaNs."""
    o, h, lo, c = as_float_arrays(
        "garman_klass", ("open", "high", "low", "close"), (open, high, low, close)
    )
    p = check_period("garman_klass", "period", period)
    a = check_real("garman_klass", "annualization", annualization, positive=True)
    out = np.empty_like(c)
    _garman_klass_nb(o, h, lo, c, p, a, out)
    return out


def yang_zhang(
    open: npt.ArrayLike,
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    period: int = 20,
    annualization: float = 252.0,
) -> FloatArray:
    """Return the Yang–Zhang annualized OHLC volatility. Warm-up: ``period`` NaNs."""
    o, h, lo, c = as_float_arrays(
        "yang_zhang", ("open", "high", "low", "close"), (open, high, low, close)
    )
    p = check_period("yang_zhang", "period", period, minimum=2)
    a = check_real("yang_zhang", "annualization", annualization, positive=True)
    out = np.empty_like(c)
    _yang_zhang_nb(o, h, lo, c, p, yang_zhang_k(p), a, out)
    return out
