"""True range, ATR, NATR and Wilder's directional movement: +DI, −DI, ADX (TA-Lib semantics).

* The true range needs the previous close, so it starts at the second bar.
* ATR is seeded with the mean of the first ``period`` true ranges and then smoothed the Wilder
  way, written as TA-Lib 0.8 writes it: ``atr = α·tr + β·atr`` with ``β = (period−1)/period``,
  ``α = 1 − β``. NATR is ``100·ATR/close`` (0 where close is 0).
* +DM/−DM are the one-bar up and down moves (the larger one wins, ties give none). The
  smoothed +DM, −DM and TR start as the *sum* of the first ``period − 1`` one-bar values and then
  follow Wilder's ``s = s − s/period + value``; ``+DI = 100·(+DM)/TR``. ADX starts as the mean of
  the first ``period`` DX values and is then Wilder-smoothed. These are TA-Lib's exact sequences,
  so the first values agree with TA-Lib to the last bit, not only after the seeds have decayed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from alphaforge.core.jit import jit
from alphaforge.indicators._arrays import FloatArray, as_float_arrays, check_period
from alphaforge.indicators._constants import EPSILON
from alphaforge.indicators._nb import fill_nan, first_valid3, true_range, u64

__all__ = ["adx", "atr", "minus_di", "natr", "plus_di", "trange"]


@jit()
def _trange_nb(high: FloatArray, low: FloatArray, close: FloatArray, out: FloatArray) -> None:
    n = close.shape[0]
    s = first_valid3(high, low, close)
    fill_nan(out, s + 1)
    for i in range(s + 1, n):
        j = u64(i)
        out[j] = true_range(high[j], low[j], close[u64(i - 1)])


@jit()
def atr_into(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    s: int,
    period: int,
    normalized: bool,
    out: FloatArray,
) -> None:
    """Wilder ATR (or NATR when ``normalized``) from index ``s``; NaN before ``s + period``.

    The smoothing is TA-Lib 0.8's two-coefficient step ``atr = α·tr + β·atr`` with
    ``β = (period − 1)/period`` and ``α = 1 − β`` (no divide on the dependency chain).
    """
    n = close.shape[0]
    first = s + period
    fill_nan(out, first)
    if first >= n:
        return
    total = 0.0
    for i in range(s + 1, first + 1):
        total += true_range(high[i], low[i], close[i - 1])
    value = total / period
    beta = (period - 1) / period  # as constants.wilder_weights
    alpha = 1.0 - beta
    for i in range(first, n):
        j = u64(i)
        if i > first:
            value = alpha * true_range(high[j], low[j], close[u64(i - 1)]) + beta * value
        if normalized:
            c = close[j]
            out[j] = (value / c) * 100.0 if not -EPSILON < c < EPSILON else 0.0
        else:
            out[j] = value


@jit(inline="always")
def _moves(high: float, low: float, prev_high: float, prev_low: float) -> tuple[float, float]:
    """Return the one-bar (+DM, −DM): the larger move wins, a tie gives none."""
    up = high - prev_high
    down = prev_low - low
    if down > 0 and up < down:
        return 0.0, down
    if up > 0 and up > down:
        return up, 0.0
    return 0.0, 0.0


@jit()
def _di_nb(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    period: int,
    plus_out: FloatArray,
    minus_out: FloatArray,
) -> None:
    """+DI and −DI (either buffer may be a scratch array): NaN before ``s + period``."""
    n = close.shape[0]
    s = first_valid3(high, low, close)
    first = s + period
    fill_nan(plus_out, first)
    fill_nan(minus_out, first)
    if first >= n:
        return
    plus_dm = 0.0
    minus_dm = 0.0
    tr = 0.0
    for i in range(s + 1, first):
        up, down = _moves(high[i], low[i], high[i - 1], low[i - 1])
        plus_dm += up
        minus_dm += down
        tr += true_range(high[i], low[i], close[i - 1])
    for i in range(first, n):
        up, down = _moves(high[i], low[i], high[i - 1], low[i - 1])
        plus_dm = plus_dm - plus_dm / period + up
        minus_dm = minus_dm - minus_dm / period + down
        tr = tr - tr / period + true_range(high[i], low[i], close[i - 1])
        if not -EPSILON < tr < EPSILON:
            plus_out[i] = 100.0 * (plus_dm / tr)
            minus_out[i] = 100.0 * (minus_dm / tr)
        else:
            plus_out[i] = 0.0
            minus_out[i] = 0.0


@jit(inline="always")
def _dx(plus_dm: float, minus_dm: float, tr: float) -> float:
    """Return DX = 100·|−DI − +DI| / (−DI + +DI), or −1 where TA-Lib leaves it undefined."""
    if -EPSILON < tr < EPSILON:
        return -1.0
    minus = 100.0 * (minus_dm / tr)
    plus = 100.0 * (plus_dm / tr)
    total = minus + plus
    if -EPSILON < total < EPSILON:
        return -1.0
    return 100.0 * (abs(minus - plus) / total)


@jit()
def _adx_nb(
    high: FloatArray, low: FloatArray, close: FloatArray, period: int, out: FloatArray
) -> None:
    n = close.shape[0]
    s = first_valid3(high, low, close)
    first = s + 2 * period - 1
    fill_nan(out, first)
    if first >= n:
        return
    plus_dm = 0.0
    minus_dm = 0.0
    tr = 0.0
    for i in range(s + 1, s + period):
        up, down = _moves(high[i], low[i], high[i - 1], low[i - 1])
        plus_dm += up
        minus_dm += down
        tr += true_range(high[i], low[i], close[i - 1])
    adx = 0.0  # the sum of the first DX values, then the ADX
    for i in range(s + period, n):
        up, down = _moves(high[i], low[i], high[i - 1], low[i - 1])
        minus_dm -= minus_dm / period
        plus_dm -= plus_dm / period
        minus_dm += down
        plus_dm += up
        tr = tr - tr / period + true_range(high[i], low[i], close[i - 1])
        dx = _dx(plus_dm, minus_dm, tr)  # undefined (< 0): the sum or the ADX is kept
        if i <= first:
            if dx >= 0.0:
                adx += dx
            if i == first:
                adx /= period
                out[i] = adx
        else:
            if dx >= 0.0:
                adx = (adx * (period - 1) + dx) / period
            out[i] = adx


def trange(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike) -> FloatArray:
    """Return the true range (TA-Lib ``TRANGE``). Warm-up: 1 NaN (no previous close)."""
    h, lo, c = as_float_arrays("trange", ("high", "low", "close"), (high, low, close))
    out = np.empty_like(c)
    _trange_nb(h, lo, c, out)
    return out


def atr(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """Return Wilder's average true range (TA-Lib ``ATR``). Warm-up: ``period`` NaNs."""
    h, lo, c = as_float_arrays("atr", ("high", "low", "close"), (high, low, close))
    p = check_period("atr", "period", period)
    out = np.empty_like(c)
    atr_into(h, lo, c, first_valid3(h, lo, c), p, False, out)
    return out


def natr(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """Return the ATR in percent of the close (TA-Lib ``NATR``). Warm-up: ``period`` NaNs."""
    h, lo, c = as_float_arrays("natr", ("high", "low", "close"), (high, low, close))
    p = check_period("natr", "period", period)
    out = np.empty_like(c)
    atr_into(h, lo, c, first_valid3(h, lo, c), p, True, out)
    return out


def plus_di(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """Return the plus directional indicator +DI (TA-Lib ``PLUS_DI``). Warm-up: ``period``."""
    h, lo, c = as_float_arrays("plus_di", ("high", "low", "close"), (high, low, close))
    p = check_period("plus_di", "period", period)
    out, scratch = np.empty_like(c), np.empty_like(c)
    _di_nb(h, lo, c, p, out, scratch)
    return out


def minus_di(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """Return the minus directional indicator −DI (TA-Lib ``MINUS_DI``). Warm-up: ``period``."""
    h, lo, c = as_float_arrays("minus_di", ("high", "low", "close"), (high, low, close))
    p = check_period("minus_di", "period", period)
    scratch, out = np.empty_like(c), np.empty_like(c)
    _di_nb(h, lo, c, p, scratch, out)
    return out


def adx(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """Return Wilder's average directional index (TA-Lib ``ADX``).

    Warm-up: ``2·period − 1`` NaNs.
    """
    h, lo, c = as_float_arrays("adx", ("high", "low", "close"), (high, low, close))
    p = check_period("adx", "period", period)
    out = np.empty_like(c)
    _adx_nb(h, lo, c, p, out)
    return out
