"""Range oscillators: slow stochastic, stochastic RSI, Williams %R and Aroon (TA-Lib semantics).

The rolling highs and lows are tracked the TA-Lib way (keep the extreme's index, rescan the window
only when it expires), amortized O(1) per bar; Williams %R takes them from van Herk / Gil-Werman
blocks instead (``_nb.blocked_extremes``: the same values, no rescans, 1.6x faster here), and
rescans only where a NaN sits inside the data. Where the window is flat (highest = lowest) the
stochastic and %R are 0, as in TA-Lib. Smoothing is TA-Lib's default SMA.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from alphaforge.core.jit import jit
from alphaforge.indicators._arrays import FloatArray, as_float_arrays, check_period
from alphaforge.indicators._constants import EPSILON
from alphaforge.indicators._nb import (
    blocked_extremes,
    fill_nan,
    first_valid,
    first_valid2,
    first_valid3,
    u64,
)
from alphaforge.indicators.momentum import rsi_into
from alphaforge.indicators.overlap import sma_into
from alphaforge.indicators.results import AroonResult, StochResult, StochRSIResult

__all__ = ["aroon", "stoch", "stochrsi", "willr"]


# The rolling high/low tracking (TA-Lib's keep-the-index, rescan-on-expiry scheme, ties resolved
# to the latest bar) is written out in each kernel: a shared @njit helper, even inlined, measured
# 1.6-2.4x slower here (Numba 0.68), and these kernels are held to 2x TA-Lib.


@jit()
def fastk_into(  # noqa: C901, PLR0912 - the tracking is inlined by hand, see above
    high: FloatArray, low: FloatArray, close: FloatArray, s: int, period: int, out: FloatArray
) -> None:
    """Raw stochastic %K from index ``s``: NaN before ``s + period − 1``, 0 on a flat window.

    %K = ``((close − lowest)/(highest − lowest))·100`` clamped to [0, 100], TA-Lib 0.8's form; a
    window is flat when its range is within 1e-14 of ``|highest| + |lowest|``.
    """
    n = close.shape[0]
    first = s + period - 1
    fill_nan(out, first)
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
        span = hi - lo
        if abs(span) <= EPSILON * (abs(hi) + abs(lo)):
            out[u64(today)] = 0.0
        else:
            ratio = ((close[u64(today)] - lo) / span) * 100.0
            out[u64(today)] = min(max(ratio, 0.0), 100.0)


@jit()
def _stoch_nb(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    fastk: int,
    slowk: int,
    slowd: int,
    out_k: FloatArray,
    out_d: FloatArray,
) -> None:
    n = close.shape[0]
    s = first_valid3(high, low, close)
    k_start = s + fastk - 1
    first = k_start + slowk - 1 + slowd - 1
    if first >= n:
        fill_nan(out_k, n)
        fill_nan(out_d, n)
        return
    fastk_into(high, low, close, s, fastk, out_d)  # out_d is scratch for the raw %K
    sma_into(out_d, k_start, slowk, out_k)
    sma_into(out_k, k_start + slowk - 1, slowd, out_d)
    fill_nan(out_k, first)


@jit()
def _stochrsi_nb(
    x: FloatArray, period: int, fastk: int, fastd: int, out_k: FloatArray, out_d: FloatArray
) -> None:
    n = x.shape[0]
    s = first_valid(x)
    r_start = s + period
    k_start = r_start + fastk - 1
    first = k_start + fastd - 1
    if first >= n:
        fill_nan(out_k, n)
        fill_nan(out_d, n)
        return
    rsi_into(x, s, period, out_d)  # out_d holds the RSI until the %K is done
    fastk_into(out_d, out_d, out_d, r_start, fastk, out_k)
    sma_into(out_k, k_start, fastd, out_d)
    fill_nan(out_k, first)


@jit()
def _willr_nb(
    high: FloatArray, low: FloatArray, close: FloatArray, period: int, out: FloatArray
) -> None:
    n = close.shape[0]
    s = first_valid3(high, low, close)
    first = s + period - 1
    fill_nan(out, first)
    lows = np.empty(n)
    if not blocked_extremes(high, low, s, period, out, lows):  # a NaN inside: rescan
        _willr_rescan(high, low, close, first, period, out)
        return
    for today in range(first, n):
        j = u64(today)
        hi, lo = out[j], lows[j]
        span = hi - lo
        if abs(span) <= EPSILON * (abs(hi) + abs(lo)):
            out[j] = 0.0
        else:
            ratio = ((hi - close[j]) / span) * -100.0
            out[j] = min(max(ratio, -100.0), 0.0)


@jit()
def _willr_rescan(  # noqa: C901, PLR0912 - the tracking is inlined by hand, see above
    high: FloatArray, low: FloatArray, close: FloatArray, first: int, period: int, out: FloatArray
) -> None:
    n = close.shape[0]
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
        span = hi - lo
        if abs(span) <= EPSILON * (abs(hi) + abs(lo)):
            out[u64(today)] = 0.0
        else:
            ratio = ((hi - close[u64(today)]) / span) * -100.0
            out[u64(today)] = min(max(ratio, -100.0), 0.0)


@jit()
def _aroon_nb(
    high: FloatArray, low: FloatArray, period: int, out_down: FloatArray, out_up: FloatArray
) -> None:
    n = high.shape[0]
    s = first_valid2(high, low)
    first = s + period
    fill_nan(out_down, first)
    fill_nan(out_up, first)
    factor = 100.0 / period
    lo_idx, lo = -1, 0.0
    hi_idx, hi = -1, 0.0
    for today in range(first, n):
        trailing = today - period
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
        out_up[u64(today)] = factor * (period - (today - hi_idx))
        out_down[u64(today)] = factor * (period - (today - lo_idx))


def stoch(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    fastk_period: int = 5,
    slowk_period: int = 3,
    slowd_period: int = 3,
) -> StochResult:
    """Return the slow stochastic ``(slowk, slowd)`` (TA-Lib ``STOCH``, SMA smoothing).

    %K = 100·(close − lowest low) / (highest high − lowest low) over ``fastk_period`` bars;
    slowk = SMA(%K, ``slowk_period``); slowd = SMA(slowk, ``slowd_period``). Both outputs are NaN
    for the warm-up of ``fastk_period + slowk_period + slowd_period − 3`` bars.
    """
    h, lo, c = as_float_arrays("stoch", ("high", "low", "close"), (high, low, close))
    fk = check_period("stoch", "fastk_period", fastk_period)
    sk = check_period("stoch", "slowk_period", slowk_period)
    sd = check_period("stoch", "slowd_period", slowd_period)
    out_k, out_d = np.empty_like(c), np.empty_like(c)
    _stoch_nb(h, lo, c, fk, sk, sd, out_k, out_d)
    return StochResult(out_k, out_d)


def stochrsi(
    close: npt.ArrayLike, period: int = 14, fastk_period: int = 5, fastd_period: int = 3
) -> StochRSIResult:
    """Return the fast stochastic of the RSI ``(fastk, fastd)`` (TA-Lib ``STOCHRSI``).

    fastk = 100·(RSI − min RSI) / (max RSI − min RSI) over ``fastk_period`` RSI values;
    fastd = SMA(fastk, ``fastd_period``). Warm-up: ``period + fastk_period + fastd_period − 2``.
    """
    (x,) = as_float_arrays("stochrsi", ("close",), (close,))
    p = check_period("stochrsi", "period", period)
    fk = check_period("stochrsi", "fastk_period", fastk_period)
    fd = check_period("stochrsi", "fastd_period", fastd_period)
    out_k, out_d = np.empty_like(x), np.empty_like(x)
    _stochrsi_nb(x, p, fk, fd, out_k, out_d)
    return StochRSIResult(out_k, out_d)


def willr(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """Return Williams' %R in [−100, 0] (TA-Lib ``WILLR``). Warm-up: ``period − 1`` NaNs."""
    h, lo, c = as_float_arrays("willr", ("high", "low", "close"), (high, low, close))
    p = check_period("willr", "period", period)
    out = np.empty_like(c)
    _willr_nb(h, lo, c, p, out)
    return out


def aroon(high: npt.ArrayLike, low: npt.ArrayLike, period: int = 14) -> AroonResult:
    """Return Aroon ``(down, up)`` in [0, 100] (TA-Lib ``AROON``).

    ``up = 100·(period − bars since the highest high)/period`` over the last ``period + 1``
    bars (a tie counts the most recent bar), ``down`` likewise for the lowest low.
    Warm-up: ``period`` NaNs.
    """
    h, lo = as_float_arrays("aroon", ("high", "low"), (high, low))
    p = check_period("aroon", "period", period)
    out_down, out_up = np.empty_like(h), np.empty_like(h)
    _aroon_nb(h, lo, p, out_down, out_up)
    return AroonResult(out_down, out_up)
