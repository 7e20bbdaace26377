"""Momentum: RSI, MACD, ROC, momentum, CCI and MFI (TA-Lib semantics).

* RSI is Wilder's: the first average gain/loss is the plain mean of the first ``period`` changes,
  later ones are smoothed as ``avg = (avg·(period−1) + change) · (1/period)``; when both averages
  are zero the RSI is 0, as in TA-Lib 0.8.
* MACD follows TA-Lib exactly, including its alignment quirk: both EMAs produce their first
  value on the same bar, so the fast EMA is seeded with the SMA of the ``fast_period`` values
  that end where the slow seed window ends (not of the first ``fast_period`` values). The signal
  EMA is seeded with the SMA of the first ``signal_period`` MACD values.
* CCI uses the mean absolute deviation of the typical price around its SMA, with TA-Lib 0.8's
  scale-aware flatness test (a window that is flat within 1e-14 of its level gives 0).
* MFI compares each typical price with the previous one; a change within 1e-14 of the prices'
  magnitude counts for neither side, and a window without money flow gives 0 (TA-Lib 0.8).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from alphaforge.core.jit import jit
from alphaforge.indicators._arrays import (
    FloatArray,
    as_float_arrays,
    check_macd_periods,
    check_period,
)
from alphaforge.indicators._constants import EPSILON
from alphaforge.indicators._nb import fill_nan, first_valid, first_valid3, first_valid4, u64
from alphaforge.indicators.results import MACDResult

__all__ = ["cci", "macd", "mfi", "mom", "roc", "rsi"]


@jit()
def rsi_into(x: FloatArray, s: int, period: int, out: FloatArray) -> None:
    """Wilder RSI of ``x`` starting at index ``s``; NaN before ``s + period``.

    The smoothing multiplies by ``1/period`` instead of dividing by ``period``: that is what the
    TA-Lib 0.8 binary computes (bit for bit) and it keeps the divide off the dependency chain.
    """
    n = x.shape[0]
    first = s + period
    fill_nan(out, first)
    if first >= n:
        return
    prev = x[s]
    gain = 0.0
    loss = 0.0
    for i in range(s + 1, first + 1):
        value = x[u64(i)]
        change = value - prev
        prev = value
        if change < 0:
            loss -= change
        else:
            gain += change
    loss /= period
    gain /= period
    total = gain + loss
    out[first] = 100.0 * (gain / total) if total > 0.0 else 0.0
    weight = float(period - 1)
    inverse = 1.0 / period
    for i in range(first + 1, n):
        value = x[u64(i)]
        change = value - prev
        prev = value
        loss *= weight
        gain *= weight
        if change < 0:
            loss -= change
        else:
            gain += change
        loss *= inverse
        gain *= inverse
        total = gain + loss
        out[u64(i)] = 100.0 * (gain / total) if total > 0.0 else 0.0


@jit()
def _rsi_nb(x: FloatArray, period: int, out: FloatArray) -> None:
    rsi_into(x, first_valid(x), period, out)


@jit()
def _macd_nb(
    x: FloatArray,
    fast: int,
    slow: int,
    signal: int,
    out_macd: FloatArray,
    out_signal: FloatArray,
    out_hist: FloatArray,
) -> None:
    n = x.shape[0]
    s = first_valid(x)
    start = s + slow - 1  # the first bar with both EMAs
    first = start + signal - 1
    fill_nan(out_macd, first)
    fill_nan(out_signal, first)
    fill_nan(out_hist, first)
    if first >= n:
        return
    kf = 2.0 / (fast + 1)
    ks = 2.0 / (slow + 1)
    kg = 2.0 / (signal + 1)
    slow_total = 0.0
    fast_total = 0.0
    for i in range(s, start + 1):
        slow_total += x[i]
        if i > start - fast:
            fast_total += x[i]
    fast_ema = fast_total / fast
    slow_ema = slow_total / slow
    line = fast_ema - slow_ema
    signal_total = line
    for i in range(start + 1, first + 1):
        value = x[i]
        fast_ema = (value - fast_ema) * kf + fast_ema
        slow_ema = (value - slow_ema) * ks + slow_ema
        line = fast_ema - slow_ema
        signal_total += line
    sig = signal_total / signal
    out_macd[first] = line
    out_signal[first] = sig
    out_hist[first] = line - sig
    for i in range(first + 1, n):
        j = u64(i)
        value = x[j]
        fast_ema = (value - fast_ema) * kf + fast_ema
        slow_ema = (value - slow_ema) * ks + slow_ema
        line = fast_ema - slow_ema
        sig = (line - sig) * kg + sig
        out_macd[j] = line
        out_signal[j] = sig
        out_hist[j] = line - sig


@jit()
def _roc_nb(x: FloatArray, period: int, out: FloatArray) -> None:
    n = x.shape[0]
    s = first_valid(x)
    first = s + period
    fill_nan(out, first)
    for i in range(first, n):
        before = x[u64(i - period)]
        out[u64(i)] = ((x[u64(i)] / before) - 1.0) * 100.0 if before != 0.0 else 0.0


@jit()
def _mom_nb(x: FloatArray, period: int, out: FloatArray) -> None:
    n = x.shape[0]
    s = first_valid(x)
    first = s + period
    fill_nan(out, first)
    for i in range(first, n):
        out[u64(i)] = x[u64(i)] - x[u64(i - period)]


@jit()
def _cci_nb(
    high: FloatArray, low: FloatArray, close: FloatArray, period: int, out: FloatArray
) -> None:
    n = close.shape[0]
    s = first_valid3(high, low, close)
    first = s + period - 1
    fill_nan(out, first)
    if first >= n:
        return
    # The circular buffer is summed slot by slot, in TA-Lib's order.
    buffer = np.empty(period)
    slot = 0
    for i in range(s, first):
        buffer[slot] = (high[i] + low[i] + close[i]) / 3
        slot += 1
    for i in range(first, n):
        last = (high[i] + low[i] + close[i]) / 3
        buffer[slot] = last
        average = 0.0
        for j in range(period):
            average += buffer[j]
        average /= period
        deviation = 0.0
        for j in range(period):
            deviation += abs(buffer[j] - average)
        deviation /= period
        distance = last - average
        scale = EPSILON * abs(average)
        if abs(distance) <= scale or abs(deviation) <= scale:
            out[i] = 0.0
        else:
            out[i] = distance / (0.015 * deviation)
        slot += 1
        if slot == period:
            slot = 0


@jit(inline="always")
def _money_flow(
    typical: float, prev: float, volume: float, period: int, null_run: int
) -> tuple[float, float, int]:
    """Return (positive flow, negative flow, null run) for one bar (TA-Lib 0.8's MFI rules)."""
    change = typical - prev
    flow = 0.0 if abs(change) <= EPSILON * (abs(typical) + abs(prev)) else typical * volume
    null_run = min(null_run + 1, period) if flow == 0.0 else 0
    if change < 0.0:
        return 0.0, flow, null_run
    return flow, 0.0, null_run


@jit()
def _mfi_nb(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    period: int,
    out: FloatArray,
) -> None:
    n = close.shape[0]
    s = first_valid4(high, low, close, volume)
    first = s + period
    fill_nan(out, first)
    if first >= n:
        return
    positive = np.zeros(period)
    negative = np.zeros(period)
    pos_sum = 0.0
    neg_sum = 0.0
    null_run = 0  # bars in a row that added no money flow: an exact empty-window test
    prev = (high[s] + low[s] + close[s]) / 3.0
    slot = 0
    for i in range(s + 1, n):
        j = u64(i)
        k = u64(slot)
        if i > first:
            pos_sum -= positive[k]
            neg_sum -= negative[k]
        typical = (high[j] + low[j] + close[j]) / 3.0
        pos_flow, neg_flow, null_run = _money_flow(typical, prev, volume[j], period, null_run)
        prev = typical
        positive[k] = pos_flow
        negative[k] = neg_flow
        pos_sum += pos_flow
        neg_sum += neg_flow
        if null_run == period:  # the window holds no flow at all: drop the residue
            pos_sum = 0.0
            neg_sum = 0.0
        if i >= first:
            total = pos_sum + neg_sum
            clamped = 0.0 if pos_sum < 0.0 else min(pos_sum, total)
            out[j] = 0.0 if total <= 0.0 else 100.0 * (clamped / total)
        slot += 1
        if slot == period:
            slot = 0


def rsi(close: npt.ArrayLike, period: int = 14) -> FloatArray:
    """Return Wilder's relative strength index in [0, 100] (TA-Lib ``RSI``).

    Warm-up: ``period`` NaNs.
    """
    (x,) = as_float_arrays("rsi", ("close",), (close,))
    p = check_period("rsi", "period", period)
    out = np.empty_like(x)
    _rsi_nb(x, p, out)
    return out


def macd(
    close: npt.ArrayLike, fast_period: int = 12, slow_period: int = 26, signal_period: int = 9
) -> MACDResult:
    """Return ``(macd, signal, hist)`` (TA-Lib ``MACD``).

    ``macd`` = fast EMA − slow EMA, ``signal`` = EMA of ``macd``, ``hist`` = ``macd`` − ``signal``.
    All three are NaN for the warm-up of ``slow_period + signal_period − 2`` bars.
    """
    (x,) = as_float_arrays("macd", ("close",), (close,))
    fast, slow, signal = check_macd_periods(fast_period, slow_period, signal_period)
    line, sig, hist = np.empty_like(x), np.empty_like(x), np.empty_like(x)
    _macd_nb(x, fast, slow, signal, line, sig, hist)
    return MACDResult(line, sig, hist)


def roc(close: npt.ArrayLike, period: int = 10) -> FloatArray:
    """Return the rate of change in percent, ``(x / x[-period] − 1) · 100`` (TA-Lib ``ROC``).

    0 where the earlier value is 0. Warm-up: ``period`` NaNs.
    """
    (x,) = as_float_arrays("roc", ("close",), (close,))
    p = check_period("roc", "period", period)
    out = np.empty_like(x)
    _roc_nb(x, p, out)
    return out


def mom(close: npt.ArrayLike, period: int = 10) -> FloatArray:
    """Return the momentum ``x − x[-period]`` (TA-Lib ``MOM``). Warm-up: ``period`` NaNs."""
    (x,) = as_float_arrays("mom", ("close",), (close,))
    p = check_period("mom", "period", period)
    out = np.empty_like(x)
    _mom_nb(x, p, out)
    return out


def cci(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """Return Lambert's commodity channel index (TA-Lib ``CCI``).

    ``(tp − SMA(tp)) / (0.015 · mean |tp − SMA(tp)|)`` with ``tp = (high + low + close) / 3``.
    Warm-up: ``period − 1`` NaNs.
    """
    h, lo, c = as_float_arrays("cci", ("high", "low", "close"), (high, low, close))
    p = check_period("cci", "period", period)
    out = np.empty_like(c)
    _cci_nb(h, lo, c, p, out)
    return out


def mfi(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    period: int = 14,
) -> FloatArray:
    """Return the money flow index in [0, 100] (TA-Lib ``MFI``). Warm-up: ``period`` NaNs."""
    h, lo, c, v = as_float_arrays(
        "mfi", ("high", "low", "close", "volume"), (high, low, close, volume)
    )
    p = check_period("mfi", "period", period)
    out = np.empty_like(c)
    _mfi_nb(h, lo, c, v, p, out)
    return out
