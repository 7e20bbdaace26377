"""Channels and normalisation: Keltner, Donchian, rolling z-score.

* **Keltner** (the modern, Raschke/StockCharts convention): middle = EMA(close, ``period``),
  bands = middle ± ``multiplier`` · ATR(``atr_period``). The EMA is TA-Lib's (SMA-seeded) and
  the ATR is Wilder's (TA-Lib ``ATR``). Chester Keltner's 1960 original used a 10-day SMA of the
  typical price ± its average high−low range; it is not what charting packages show today.
* **Donchian**: upper = highest high, lower = lowest low over ``period`` bars (the current bar
  included), middle = their mean. Upper and lower equal TA-Lib ``MAX(high)`` and ``MIN(low)``.
* **z-score**: ``(x − mean) / σ`` over ``period`` values with σ the *population* standard
  deviation (``ddof=0``), the one TA-Lib ``STDDEV`` uses, computed the way TA-Lib 0.8 computes
  it (shifted data, periodic re-anchoring). A flat window (σ ≤ 1e-10·|mean|) gives NaN.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from alphaforge.core.jit import jit
from alphaforge.indicators._arrays import (
    FloatArray,
    as_float_arrays,
    check_period,
    check_real,
)
from alphaforge.indicators._constants import FLAT_RELATIVE_STD
from alphaforge.indicators._nb import (
    blocked_extremes,
    fill_nan,
    first_valid,
    first_valid2,
    first_valid3,
    u64,
)
from alphaforge.indicators.directional import atr_into
from alphaforge.indicators.overlap import ema_seeded, shifted_variance
from alphaforge.indicators.results import BandsResult

__all__ = ["donchian", "keltner", "zscore"]


@jit()
def _keltner_nb(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    period: int,
    atr_period: int,
    multiplier: float,
    upper: FloatArray,
    middle: FloatArray,
    lower: FloatArray,
) -> None:
    n = close.shape[0]
    s = first_valid3(high, low, close)
    first = s + max(period - 1, atr_period)
    ema_seeded(close, s, period, 2.0 / (period + 1), middle)
    atr_into(high, low, close, s, atr_period, False, lower)  # lower holds the ATR first
    fill_nan(upper, first)
    for i in range(first, n):
        width = multiplier * lower[i]
        upper[i] = middle[i] + width
        lower[i] = middle[i] - width
    fill_nan(middle, first)
    fill_nan(lower, first)


@jit()
def _donchian_nb(
    high: FloatArray,
    low: FloatArray,
    period: int,
    upper: FloatArray,
    middle: FloatArray,
    lower: FloatArray,
) -> None:
    # van Herk / Gil-Werman blocks (_nb.blocked_extremes); TA-Lib's rescan where a NaN is inside.
    n = high.shape[0]
    s = first_valid2(high, low)
    first = s + period - 1
    fill_nan(upper, first)
    fill_nan(middle, first)
    fill_nan(lower, first)
    if not blocked_extremes(high, low, s, period, upper, lower):  # a NaN inside: rescan
        _donchian_rescan(high, low, first, period, upper, lower)
    for today in range(first, n):
        j = u64(today)
        middle[j] = (upper[j] + lower[j]) / 2.0


@jit()
def _donchian_rescan(
    high: FloatArray, low: FloatArray, first: int, period: int, upper: FloatArray, lower: FloatArray
) -> None:
    """TA-Lib's tracking: keep each extreme's index, rescan the window when it expires."""
    n = high.shape[0]
    lo_idx, lo = -1, 0.0
    hi_idx, hi = -1, 0.0
    for today in range(first, n):
        trailing = today - period + 1
        if lo_idx < trailing:  # the low left the window: rescan it
            lo_idx = trailing
            lo = low[u64(trailing)]
            for i in range(trailing + 1, today + 1):
                v = low[u64(i)]
                if v <= lo:
                    lo_idx = i
                    lo = v
        else:
            v = low[u64(today)]
            if v <= lo:
                lo_idx = today
                lo = v
        if hi_idx < trailing:
            hi_idx = trailing
            hi = high[u64(trailing)]
            for i in range(trailing + 1, today + 1):
                v = high[u64(i)]
                if v >= hi:
                    hi_idx = i
                    hi = v
        else:
            v = high[u64(today)]
            if v >= hi:
                hi_idx = today
                hi = v
        j = u64(today)
        upper[j] = hi
        lower[j] = lo


@jit()
def _zscore_nb(x: FloatArray, period: int, out: FloatArray) -> None:
    n = x.shape[0]
    s = first_valid(x)
    first = s + period - 1
    fill_nan(out, first)
    if first >= n:
        return
    mean = np.empty(n)
    shifted_variance(x, s, period, mean, out)  # out holds the variance first
    for i in range(first, n):
        variance = out[i]
        m = mean[i]
        if variance <= 0.0:
            out[i] = np.nan
            continue
        std = math.sqrt(variance)
        out[i] = (x[i] - m) / std if std > FLAT_RELATIVE_STD * abs(m) else np.nan


def keltner(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    period: int = 20,
    atr_period: int = 10,
    multiplier: float = 2.0,
) -> BandsResult:
    """Return Keltner channels ``(upper, middle, lower)``: EMA(close) ± multiplier·ATR.

    Warm-up: ``max(period − 1, atr_period)`` NaNs on all three outputs.
    """
    h, lo, c = as_float_arrays("keltner", ("high", "low", "close"), (high, low, close))
    p = check_period("keltner", "period", period)
    ap = check_period("keltner", "atr_period", atr_period)
    m = check_real("keltner", "multiplier", multiplier)
    upper, middle, lower = np.empty_like(c), np.empty_like(c), np.empty_like(c)
    _keltner_nb(h, lo, c, p, ap, m, upper, middle, lower)
    return BandsResult(upper, middle, lower)


def donchian(high: npt.ArrayLike, low: npt.ArrayLike, period: int = 20) -> BandsResult:
    """Return Donchian channels ``(upper, middle, lower)`` over ``period`` bars.

    Warm-up: ``period − 1`` NaNs.
    """
    h, lo = as_float_arrays("donchian", ("high", "low"), (high, low))
    p = check_period("donchian", "period", period)
    upper, middle, lower = np.empty_like(h), np.empty_like(h), np.empty_like(h)
    _donchian_nb(h, lo, p, upper, middle, lower)
    return BandsResult(upper, middle, lower)


def zscore(close: npt.ArrayLike, period: int = 20) -> FloatArray:
    """Return the rolling z-score ``(x − mean) / σ`` (population σ, ``ddof=0``).

    NaN where the window is flat. Warm-up: ``period − 1`` NaNs.
    """
    (x,) = as_float_arrays("zscore", ("close",), (close,))
    p = check_period("zscore", "period", period, minimum=2)
    out = np.empty_like(x)
    _zscore_nb(x, p, out)
    return out
