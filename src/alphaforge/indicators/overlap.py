"""Moving averages and Bollinger Bands: SMA, EMA, WMA, DEMA, TEMA, BBANDS (TA-Lib semantics).

Each function takes array-likes, returns float64 arrays of the input's length with NaN during the
warm-up, and computes exactly what TA-Lib computes, in the same order of operations:

* SMA keeps a running sum (add the newest value, emit, subtract the oldest).
* EMA uses ``k = 2 / (period + 1)`` and is seeded with the SMA of the first ``period`` values
  (TA-Lib's default compatibility), so its first value sits at index ``period - 1``.
* DEMA = 2·EMA − EMA(EMA); TEMA = 3·EMA − 3·EMA(EMA) + EMA(EMA(EMA)); each inner EMA is seeded
  with the SMA of the first ``period`` values of the one below it.
* BBANDS uses the SMA as middle band and the population standard deviation (``ddof=0``) computed
  from running sums of ``x`` and ``x²``, as TA-Lib does; a variance under 1e-14 counts as zero.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from alphaforge.core.jit import jit
from alphaforge.indicators._arrays import FloatArray, as_float_arrays, check_period, check_real
from alphaforge.indicators._constants import VAR_RESEED, VARIANCE_EPSILON, WMA_RESEED
from alphaforge.indicators._nb import fill_nan, first_valid
from alphaforge.indicators.results import BandsResult

__all__ = ["bbands", "dema", "ema", "sma", "tema", "wma"]


@jit()
def sma_into(x: FloatArray, s: int, period: int, out: FloatArray) -> None:
    """SMA of ``x`` from index ``s`` (running sum, TA-Lib order); NaN before ``s + period - 1``."""
    n = x.shape[0]
    first = s + period - 1
    fill_nan(out, first)
    if first >= n:
        return
    total = 0.0
    for i in range(s, first):
        total += x[i]
    trailing = s
    for i in range(first, n):
        total += x[i]
        value = total
        total -= x[trailing]
        trailing += 1
        out[i] = value / period


@jit()
def _sma_nb(x: FloatArray, period: int, out: FloatArray) -> None:
    sma_into(x, first_valid(x), period, out)


@jit()
def ema_seeded(x: FloatArray, s: int, period: int, k: float, out: FloatArray) -> None:
    """EMA of ``x`` seeded with the SMA of ``x[s:s+period]``; NaN before ``s + period - 1``."""
    n = x.shape[0]
    first = s + period - 1
    fill_nan(out, first)
    if first >= n:
        return
    total = 0.0
    for i in range(s, s + period):
        total += x[i]
    prev = total / period
    out[first] = prev
    for i in range(first + 1, n):
        prev = (x[i] - prev) * k + prev
        out[i] = prev


@jit()
def _ema_nb(x: FloatArray, period: int, out: FloatArray) -> None:
    ema_seeded(x, first_valid(x), period, 2.0 / (period + 1), out)


@jit()
def _wma_nb(x: FloatArray, period: int, out: FloatArray) -> None:
    n = x.shape[0]
    s = first_valid(x)
    first = s + period - 1
    fill_nan(out, first)
    if first >= n:
        return
    if period == 1:
        for i in range(first, n):
            out[i] = x[i]
        return
    divider = period * (period + 1) / 2.0
    period_sub = 0.0
    period_sum = 0.0
    weight = 1
    for i in range(s, first):
        value = x[i]
        period_sub += value
        period_sum += value * weight
        weight += 1
    trailing_value = 0.0
    trailing = s
    reseed_in = WMA_RESEED * period
    for i in range(first, n):
        value = x[i]
        period_sub += value
        period_sub -= trailing_value
        period_sum += value * period
        reseed_in -= 1
        if reseed_in <= 0:
            # Rebuild both sums from the window so rounding cannot pile up (TA-Lib #255).
            reseed_in = WMA_RESEED * period
            period_sub = 0.0
            period_sum = 0.0
            weight = 1
            for j in range(i - period + 1, i + 1):
                period_sub += x[j]
                period_sum += x[j] * weight
                weight += 1
        trailing_value = x[trailing]
        trailing += 1
        out[i] = period_sum / divider
        period_sum -= period_sub


@jit()
def _dema_nb(x: FloatArray, period: int, out: FloatArray) -> None:
    n = x.shape[0]
    s = first_valid(x)
    first = s + 2 * (period - 1)
    fill_nan(out, first)
    if first >= n:
        return
    k = 2.0 / (period + 1)
    total = 0.0
    for i in range(s, s + period):
        total += x[i]
    e1 = total / period
    total2 = e1
    for i in range(s + period, first + 1):
        e1 = (x[i] - e1) * k + e1
        total2 += e1
    e2 = total2 / period
    out[first] = (2.0 * e1) - e2
    for i in range(first + 1, n):
        e1 = (x[i] - e1) * k + e1
        e2 = (e1 - e2) * k + e2
        out[i] = (2.0 * e1) - e2


@jit()
def _tema_nb(x: FloatArray, period: int, out: FloatArray) -> None:
    n = x.shape[0]
    s = first_valid(x)
    first = s + 3 * (period - 1)
    fill_nan(out, first)
    if first >= n:
        return
    k = 2.0 / (period + 1)
    total = 0.0
    for i in range(s, s + period):
        total += x[i]
    e1 = total / period
    total2 = e1
    second = s + 2 * (period - 1)
    for i in range(s + period, second + 1):
        e1 = (x[i] - e1) * k + e1
        total2 += e1
    e2 = total2 / period
    total3 = e2
    for i in range(second + 1, first + 1):
        e1 = (x[i] - e1) * k + e1
        e2 = (e1 - e2) * k + e2
        total3 += e2
    e3 = total3 / period
    out[first] = e3 + ((3.0 * e1) - (3.0 * e2))
    for i in range(first + 1, n):
        e1 = (x[i] - e1) * k + e1
        e2 = (e1 - e2) * k + e2
        e3 = (e2 - e3) * k + e3
        out[i] = e3 + ((3.0 * e1) - (3.0 * e2))


@jit()
def shifted_variance(
    x: FloatArray, s: int, period: int, mean_out: FloatArray, var_out: FloatArray
) -> None:
    """Rolling mean and population variance of ``x`` from index ``s``, as TA-Lib 0.8 computes them.

    The mean is a running sum divided by ``period``. The variance is taken on data shifted by an
    anchor inside the window (cancellation-free), and the sums are rebuilt from the window every
    ``32·period`` bars, when the variance falls under 1e-6 of the shifted second moment, or when
    a leaving value dwarfs the window. Positions before ``s + period - 1`` are left untouched.
    """
    n = x.shape[0]
    first = s + period - 1
    inv = 1.0 / period
    shift = x[s]
    total = 0.0
    total1 = 0.0
    total2 = 0.0
    for i in range(s, first):
        total += x[i]
        d = x[i] - shift
        total1 += d
        total2 += d * d
    trailing = s
    reseed_in = VAR_RESEED * period
    for i in range(first, n):
        total += x[i]
        d = x[i] - shift
        total1 += d
        total2 += d * d
        mean1 = total1 * inv
        variance = total2 * inv - mean1 * mean1
        mean_out[i] = total / period
        total -= x[trailing]
        d = x[trailing] - shift
        total1 -= d
        d *= d
        total2 -= d
        trailing += 1
        reseed_in -= 1
        if variance < 0.000001 * (total2 * inv) or d > 1000000.0 * total2 or reseed_in <= 0:
            reseed_in = VAR_RESEED * period
            start = i - period + 1
            acc = 0.0
            for j in range(start, i + 1):
                acc += x[j]
            shift = acc * inv
            total1 = 0.0
            total2 = 0.0
            for j in range(start, i + 1):
                d = x[j] - shift
                total1 += d
                total2 += d * d
            mean1 = total1 * inv
            variance = total2 * inv - mean1 * mean1
            d = x[start] - shift
            total1 -= d
            d *= d
            total2 -= d
        var_out[i] = variance


@jit()
def _bbands_nb(
    x: FloatArray,
    period: int,
    nbdev_up: float,
    nbdev_dn: float,
    upper: FloatArray,
    middle: FloatArray,
    lower: FloatArray,
) -> None:
    n = x.shape[0]
    s = first_valid(x)
    first = s + period - 1
    fill_nan(upper, first)
    fill_nan(middle, first)
    fill_nan(lower, first)
    if first >= n:
        return
    # The variance goes through ``upper`` and becomes the band in place.
    shifted_variance(x, s, period, middle, upper)
    for i in range(first, n):
        variance = upper[i]
        deviation = math.sqrt(variance) if variance >= VARIANCE_EPSILON else 0.0
        mean = middle[i]
        upper[i] = mean + deviation * nbdev_up
        lower[i] = mean - deviation * nbdev_dn


def sma(close: npt.ArrayLike, period: int = 30) -> FloatArray:
    """Return the simple moving average over ``period`` values (TA-Lib ``SMA``).

    Warm-up: ``period - 1`` NaNs.
    """
    (x,) = as_float_arrays("sma", ("close",), (close,))
    p = check_period("sma", "period", period)
    out = np.empty_like(x)
    _sma_nb(x, p, out)
    return out


def ema(close: npt.ArrayLike, period: int = 30) -> FloatArray:
    """Return the exponential moving average, ``k = 2 / (period + 1)`` (TA-Lib ``EMA``).

    Seeded with the SMA of the first ``period`` values. Warm-up: ``period - 1`` NaNs.
    """
    (x,) = as_float_arrays("ema", ("close",), (close,))
    p = check_period("ema", "period", period)
    out = np.empty_like(x)
    _ema_nb(x, p, out)
    return out


def wma(close: npt.ArrayLike, period: int = 30) -> FloatArray:
    """Return the linearly weighted moving average, weights 1..period (TA-Lib ``WMA``).

    Warm-up: ``period - 1`` NaNs.
    """
    (x,) = as_float_arrays("wma", ("close",), (close,))
    p = check_period("wma", "period", period)
    out = np.empty_like(x)
    _wma_nb(x, p, out)
    return out


def dema(close: npt.ArrayLike, period: int = 30) -> FloatArray:
    """Return the double EMA, ``2·EMA − EMA(EMA)`` (TA-Lib ``DEMA``).

    Warm-up: ``2·(period − 1)`` NaNs.
    """
    (x,) = as_float_arrays("dema", ("close",), (close,))
    p = check_period("dema", "period", period)
    out = np.empty_like(x)
    _dema_nb(x, p, out)
    return out


def tema(close: npt.ArrayLike, period: int = 30) -> FloatArray:
    """Return the triple EMA, ``3·EMA − 3·EMA(EMA) + EMA(EMA(EMA))`` (TA-Lib ``TEMA``).

    Warm-up: ``3·(period − 1)`` NaNs.
    """
    (x,) = as_float_arrays("tema", ("close",), (close,))
    p = check_period("tema", "period", period)
    out = np.empty_like(x)
    _tema_nb(x, p, out)
    return out


def bbands(
    close: npt.ArrayLike, period: int = 20, nbdev_up: float = 2.0, nbdev_dn: float = 2.0
) -> BandsResult:
    """Return Bollinger Bands ``(upper, middle, lower)`` (TA-Lib ``BBANDS`` with ``matype=0``).

    The middle band is the SMA; the bands are ``middle ± nbdev · σ`` with σ the population
    standard deviation (``ddof=0``) over ``period`` values. The default period is Bollinger's 20
    (TA-Lib's default is 5). Warm-up: ``period - 1`` NaNs.
    """
    (x,) = as_float_arrays("bbands", ("close",), (close,))
    p = check_period("bbands", "period", period)
    up = check_real("bbands", "nbdev_up", nbdev_up)
    dn = check_real("bbands", "nbdev_dn", nbdev_dn)
    upper, middle, lower = np.empty_like(x), np.empty_like(x), np.empty_like(x)
    _bbands_nb(x, p, up, dn, upper, middle, lower)
    return BandsResult(upper, middle, lower)
