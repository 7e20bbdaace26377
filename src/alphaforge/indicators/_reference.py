"""Plain reference implementations of the indicators, for the parity tests of the Numba kernels.

Written from the textbook definitions with the TA-Lib conventions (seeds, alignment, flat-window
answers) and nothing else: whole windows through ``sliding_window_view``, recursions as plain
Python loops, no running sums, no re-anchoring, no unsigned-index tricks. Slow on purpose and
only meant for clean data (no NaN). The kernels must agree with these to 1e-9 relative.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from alphaforge.indicators._arrays import FloatArray, IntArray

__all__ = [
    "adx",
    "aroon",
    "atr",
    "bbands",
    "cci",
    "close_to_close",
    "dema",
    "di",
    "donchian",
    "ema",
    "garman_klass",
    "keltner",
    "macd",
    "mfi",
    "mom",
    "obv",
    "parkinson",
    "roc",
    "rsi",
    "session_vwap",
    "sma",
    "stoch",
    "stochrsi",
    "tema",
    "trange",
    "vwap",
    "willr",
    "wma",
    "yang_zhang",
    "zscore",
]


def _windows(x: FloatArray, period: int) -> FloatArray:
    """Rows = the windows ending at index ``period − 1`` … ``n − 1``."""
    return sliding_window_view(x, period)


def _place(values: FloatArray | list[float], n: int, first: int) -> FloatArray:
    """An array of ``n`` NaNs with ``values`` written from index ``first`` on."""
    out = np.full(n, np.nan)
    out[first : first + len(values)] = values
    return out


def sma(x: FloatArray, period: int) -> FloatArray:
    return _place(_windows(x, period).mean(axis=1), len(x), period - 1)


def _ema_from(x: FloatArray, start: int, period: int) -> FloatArray:
    """EMA seeded with the mean of ``x[start:start+period]``; NaN before its first value."""
    k = 2.0 / (period + 1)
    out = np.full(len(x), np.nan)
    first = start + period - 1
    if first >= len(x):
        return out
    value = float(np.mean(x[start : start + period]))
    out[first] = value
    for i in range(first + 1, len(x)):
        value = value + k * (x[i] - value)
        out[i] = value
    return out


def ema(x: FloatArray, period: int) -> FloatArray:
    return _ema_from(x, 0, period)


def wma(x: FloatArray, period: int) -> FloatArray:
    weights = np.arange(1, period + 1, dtype=float)
    return _place(_windows(x, period) @ weights / weights.sum(), len(x), period - 1)


def dema(x: FloatArray, period: int) -> FloatArray:
    e1 = ema(x, period)
    e2 = _ema_from(e1, period - 1, period)
    return 2 * e1 - e2


def tema(x: FloatArray, period: int) -> FloatArray:
    e1 = ema(x, period)
    e2 = _ema_from(e1, period - 1, period)
    e3 = _ema_from(e2, 2 * (period - 1), period)
    return 3 * e1 - 3 * e2 + e3


def bbands(
    x: FloatArray, period: int, up: float, dn: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    w = _windows(x, period)
    mean, std = w.mean(axis=1), w.std(axis=1)
    n = len(x)
    return (
        _place(mean + up * std, n, period - 1),
        _place(mean, n, period - 1),
        _place(mean - dn * std, n, period - 1),
    )


def _wilder(values: FloatArray, first: int, period: int) -> FloatArray:
    """Wilder average of ``values[1:]``: mean of the first ``period``, then (a·(p−1) + v)/p."""
    out = np.full(len(values), np.nan)
    if first >= len(values):
        return out
    value = float(np.mean(values[1 : period + 1]))
    out[first] = value
    for i in range(first + 1, len(values)):
        value = (value * (period - 1) + values[i]) / period
        out[i] = value
    return out


def rsi(x: FloatArray, period: int) -> FloatArray:
    change = np.diff(x, prepend=np.nan)
    gain = _wilder(np.where(change > 0, change, 0.0), period, period)
    loss = _wilder(np.where(change < 0, -change, 0.0), period, period)
    total = gain + loss
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 100 * gain / total, np.where(np.isnan(total), np.nan, 0.0))


def macd(
    x: FloatArray, fast: int, slow: int, signal: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    # TA-Lib aligns both EMAs on the slow one's first bar: the fast seed ends there too.
    line = _ema_from(x, slow - fast, fast) - _ema_from(x, 0, slow)
    sig = _ema_from(line, slow - 1, signal)
    line[: slow + signal - 2] = np.nan
    return line, sig, line - sig


def roc(x: FloatArray, period: int) -> FloatArray:
    before = x[:-period]
    values = np.where(before != 0, (x[period:] / np.where(before != 0, before, 1) - 1) * 100, 0)
    return _place(values, len(x), period)


def mom(x: FloatArray, period: int) -> FloatArray:
    return _place(x[period:] - x[:-period], len(x), period)


def cci(high: FloatArray, low: FloatArray, close: FloatArray, period: int) -> FloatArray:
    tp = (high + low + close) / 3
    w = _windows(tp, period)
    mean = w.mean(axis=1)
    mad = np.abs(w - mean[:, None]).mean(axis=1)
    dev = tp[period - 1 :] - mean
    flat = (np.abs(dev) <= 1e-14 * np.abs(mean)) | (mad <= 1e-14 * np.abs(mean))
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(flat, 0.0, dev / (0.015 * mad))
    return _place(values, len(tp), period - 1)


def mfi(
    high: FloatArray, low: FloatArray, close: FloatArray, volume: FloatArray, period: int
) -> FloatArray:
    tp = (high + low + close) / 3
    flow = tp * volume
    change = np.diff(tp, prepend=np.nan)
    moved = np.abs(change) > 1e-14 * (np.abs(tp) + np.abs(np.roll(tp, 1)))
    pos = np.where(moved & (change > 0), flow, 0.0)[1:]
    neg = np.where(moved & (change < 0), flow, 0.0)[1:]
    pos_sum = _windows(pos, period).sum(axis=1)
    total = pos_sum + _windows(neg, period).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(total > 0, 100 * pos_sum / total, 0.0)
    return _place(values, len(tp), period)


def trange(high: FloatArray, low: FloatArray, close: FloatArray) -> FloatArray:
    prev = np.concatenate(([np.nan], close[:-1]))
    tr = np.maximum(high - low, np.maximum(np.abs(high - prev), np.abs(low - prev)))
    tr[0] = np.nan
    return tr


def atr(high: FloatArray, low: FloatArray, close: FloatArray, period: int) -> FloatArray:
    return _wilder(trange(high, low, close), period, period)


def _moves(high: FloatArray, low: FloatArray) -> tuple[FloatArray, FloatArray]:
    up = np.diff(high, prepend=np.nan)
    down = -np.diff(low, prepend=np.nan)
    plus = np.where((up > 0) & (up > down), up, 0.0)
    minus = np.where((down > 0) & (down > up), down, 0.0)
    return plus, minus


def _wilder_sum(values: FloatArray, period: int) -> FloatArray:
    """TA-Lib's DM/TR smoothing: the sum of ``values[1:period]``, then s − s/p + v."""
    out = np.full(len(values), np.nan)
    total = float(np.sum(values[1:period]))
    for i in range(period, len(values)):
        total = total - total / period + values[i]
        out[i] = total
    return out


def di(
    high: FloatArray, low: FloatArray, close: FloatArray, period: int
) -> tuple[FloatArray, FloatArray]:
    """Return (+DI, −DI)."""
    plus, minus = _moves(high, low)
    tr = _wilder_sum(trange(high, low, close), period)
    plus_s, minus_s = _wilder_sum(plus, period), _wilder_sum(minus, period)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100 * plus_s / tr, 100 * minus_s / tr


def adx(high: FloatArray, low: FloatArray, close: FloatArray, period: int) -> FloatArray:
    plus, minus = di(high, low, close, period)
    dx = 100 * np.abs(plus - minus) / (plus + minus)
    out = np.full(len(close), np.nan)
    first = 2 * period - 1
    if first >= len(close):
        return out
    value = float(np.mean(dx[period : first + 1]))
    out[first] = value
    for i in range(first + 1, len(close)):
        value = (value * (period - 1) + dx[i]) / period
        out[i] = value
    return out


def _fastk(close: FloatArray, high: FloatArray, low: FloatArray, period: int) -> FloatArray:
    hi = _windows(high, period).max(axis=1)
    lo = _windows(low, period).min(axis=1)
    span = hi - lo
    flat = np.abs(span) <= 1e-14 * (np.abs(hi) + np.abs(lo))
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(flat, 0.0, np.clip((close[period - 1 :] - lo) / span * 100, 0, 100))
    return _place(k, len(close), period - 1)


def _sma_from(x: FloatArray, start: int, period: int) -> FloatArray:
    out = np.full(len(x), np.nan)
    out[start:] = sma(x[start:], period)
    return out


def stoch(
    high: FloatArray, low: FloatArray, close: FloatArray, fastk: int, slowk: int, slowd: int
) -> tuple[FloatArray, FloatArray]:
    k = _fastk(close, high, low, fastk)
    slow_k = _sma_from(k, fastk - 1, slowk)
    slow_d = _sma_from(slow_k, fastk + slowk - 2, slowd)
    slow_k[: fastk + slowk + slowd - 3] = np.nan
    return slow_k, slow_d


def stochrsi(x: FloatArray, period: int, fastk: int, fastd: int) -> tuple[FloatArray, FloatArray]:
    r = rsi(x, period)
    k = np.full(len(x), np.nan)
    k[period:] = _fastk(r[period:], r[period:], r[period:], fastk)
    d = _sma_from(k, period + fastk - 1, fastd)
    k[: period + fastk + fastd - 2] = np.nan
    return k, d


def willr(high: FloatArray, low: FloatArray, close: FloatArray, period: int) -> FloatArray:
    hi = _windows(high, period).max(axis=1)
    lo = _windows(low, period).min(axis=1)
    span = hi - lo
    flat = np.abs(span) <= 1e-14 * (np.abs(hi) + np.abs(lo))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(flat, 0.0, np.clip((hi - close[period - 1 :]) / span * -100, -100, 0))
    return _place(r, len(close), period - 1)


def aroon(high: FloatArray, low: FloatArray, period: int) -> tuple[FloatArray, FloatArray]:
    # Bars since the extreme, the most recent one on a tie: argmax over the reversed window.
    since_high = np.argmax(_windows(high, period + 1)[:, ::-1], axis=1)
    since_low = np.argmin(_windows(low, period + 1)[:, ::-1], axis=1)
    n = len(high)
    return (
        _place(100.0 * (period - since_low) / period, n, period),
        _place(100.0 * (period - since_high) / period, n, period),
    )


def obv(close: FloatArray, volume: FloatArray) -> FloatArray:
    direction = np.sign(np.diff(close, prepend=close[0]))
    out: FloatArray = volume[0] + np.cumsum(direction * volume)
    return out


def vwap(
    high: FloatArray, low: FloatArray, close: FloatArray, volume: FloatArray, period: int
) -> FloatArray:
    flow = (high + low + close) / 3 * volume
    vol = _windows(volume, period).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(vol > 0, _windows(flow, period).sum(axis=1) / vol, np.nan)
    return _place(values, len(close), period - 1)


def session_vwap(
    high: FloatArray, low: FloatArray, close: FloatArray, volume: FloatArray, session: IntArray
) -> FloatArray:
    out = np.empty(len(close))
    starts = np.flatnonzero(np.diff(session, prepend=session[0] - 1) != 0)
    ends = np.append(starts[1:], len(close))
    flow = (high + low + close) / 3 * volume
    for a, b in zip(starts, ends, strict=True):
        vol = np.cumsum(volume[a:b])
        with np.errstate(invalid="ignore", divide="ignore"):
            out[a:b] = np.where(vol > 0, np.cumsum(flow[a:b]) / vol, np.nan)
    return out


def keltner(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    period: int,
    atr_period: int,
    multiplier: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    middle = ema(close, period)
    width = multiplier * atr(high, low, close, atr_period)
    first = max(period - 1, atr_period)
    middle[:first] = np.nan
    return middle + width, middle, middle - width


def donchian(high: FloatArray, low: FloatArray, period: int) -> tuple[FloatArray, ...]:
    hi = _place(_windows(high, period).max(axis=1), len(high), period - 1)
    lo = _place(_windows(low, period).min(axis=1), len(high), period - 1)
    return hi, (hi + lo) / 2, lo


def zscore(x: FloatArray, period: int) -> FloatArray:
    w = _windows(x, period)
    mean, std = w.mean(axis=1), w.std(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(std > 1e-10 * np.abs(mean), (x[period - 1 :] - mean) / std, np.nan)
    return _place(values, len(x), period - 1)


def close_to_close(x: FloatArray, period: int, annualization: float) -> FloatArray:
    returns = np.log(x[1:] / x[:-1])
    var = _windows(returns, period).var(axis=1, ddof=1)
    return _place(np.sqrt(annualization * var), len(x), period)


def parkinson(high: FloatArray, low: FloatArray, period: int, annualization: float) -> FloatArray:
    terms = np.log(high / low) ** 2
    var = _windows(terms, period).mean(axis=1) / (4 * math.log(2))
    return _place(np.sqrt(annualization * var), len(high), period - 1)


def garman_klass(
    open_: FloatArray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    period: int,
    annualization: float,
) -> FloatArray:
    terms = 0.5 * np.log(high / low) ** 2 - (2 * math.log(2) - 1) * np.log(close / open_) ** 2
    var = _windows(terms, period).mean(axis=1)
    return _place(np.sqrt(annualization * var), len(close), period - 1)


def yang_zhang(
    open_: FloatArray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    period: int,
    annualization: float,
) -> FloatArray:
    o, h, lo, c = open_[1:], high[1:], low[1:], close[1:]
    overnight = np.log(o / close[:-1])
    intraday = np.log(c / o)
    rs = np.log(h / c) * np.log(h / o) + np.log(lo / c) * np.log(lo / o)
    k = 0.34 / (1.34 + (period + 1) / (period - 1))
    var = (
        _windows(overnight, period).var(axis=1, ddof=1)
        + k * _windows(intraday, period).var(axis=1, ddof=1)
        + (1 - k) * _windows(rs, period).mean(axis=1)
    )
    return _place(np.sqrt(annualization * var), len(close), period)
