"""Volume indicators: on-balance volume, rolling VWAP and session VWAP.

* OBV follows TA-Lib: it starts at the first bar's volume, then adds the volume on an up close,
  subtracts it on a down close and keeps it on an unchanged close.
* ``vwap`` is a rolling ``period``-bar VWAP of the typical price ``(high + low + close) / 3``:
  ``sum(tp·volume) / sum(volume)``. It is NaN where the window traded no volume.
* ``session_vwap`` accumulates the same sums from the first bar of each session and restarts
  them whenever the caller's session id changes (a trading day, a futures session). It is NaN
  until the session has traded some volume.

Neither VWAP exists in TA-Lib; the tests check them against pandas and a worked example.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from alphaforge.core.jit import jit
from alphaforge.indicators._arrays import (
    FloatArray,
    IntArray,
    as_float_arrays,
    as_session_ids,
    check_period,
)
from alphaforge.indicators._nb import fill_nan, first_valid2, first_valid4

__all__ = ["obv", "session_vwap", "vwap"]


@jit()
def _obv_nb(close: FloatArray, volume: FloatArray, out: FloatArray) -> None:
    n = close.shape[0]
    s = first_valid2(close, volume)
    fill_nan(out, s)
    if s >= n:
        return
    total = volume[s]
    prev = close[s]
    out[s] = total
    for i in range(s + 1, n):
        value = close[i]
        if value > prev:
            total += volume[i]
        elif value < prev:
            total -= volume[i]
        out[i] = total
        prev = value


@jit()
def _vwap_nb(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    period: int,
    out: FloatArray,
) -> None:
    n = close.shape[0]
    s = first_valid4(high, low, close, volume)
    first = s + period - 1
    fill_nan(out, first)
    if first >= n:
        return
    flow = np.empty(period)  # typical price x volume, per slot
    pv = 0.0
    vol = 0.0
    traded = 0  # bars with non-zero volume in the window: an exact emptiness test
    slot = 0
    for i in range(s, n):
        if i > first:
            old = i - period
            pv -= flow[slot]
            vol -= volume[old]
            if volume[old] != 0.0:
                traded -= 1
        v = volume[i]
        value = (high[i] + low[i] + close[i]) / 3.0 * v
        flow[slot] = value
        pv += value
        vol += v
        if v != 0.0:
            traded += 1
        if i >= first:
            out[i] = pv / vol if traded > 0 else np.nan
        slot += 1
        if slot == period:
            slot = 0


@jit()
def _session_vwap_nb(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    session: IntArray,
    out: FloatArray,
) -> None:
    n = close.shape[0]
    s = first_valid4(high, low, close, volume)
    fill_nan(out, s)
    pv = 0.0
    vol = 0.0
    traded = False
    current = session[s] if s < n else 0
    for i in range(s, n):
        if session[i] != current:
            current = session[i]
            pv = 0.0
            vol = 0.0
            traded = False
        v = volume[i]
        pv += (high[i] + low[i] + close[i]) / 3.0 * v
        vol += v
        if v != 0.0:
            traded = True
        out[i] = pv / vol if traded else np.nan


def obv(close: npt.ArrayLike, volume: npt.ArrayLike) -> FloatArray:
    """Return on-balance volume (TA-Lib ``OBV``). No warm-up: the first value is the volume."""
    c, v = as_float_arrays("obv", ("close", "volume"), (close, volume))
    out = np.empty_like(c)
    _obv_nb(c, v, out)
    return out


def vwap(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    period: int = 20,
) -> FloatArray:
    """Return the rolling ``period``-bar VWAP of the typical price. Warm-up: ``period − 1``."""
    h, lo, c, v = as_float_arrays(
        "vwap", ("high", "low", "close", "volume"), (high, low, close, volume)
    )
    p = check_period("vwap", "period", period)
    out = np.empty_like(c)
    _vwap_nb(h, lo, c, v, p, out)
    return out


def session_vwap(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    session: npt.ArrayLike,
) -> FloatArray:
    """Return the VWAP of the typical price since the start of each session.

    ``session`` holds one id per bar (integers, or datetime64 session dates); the sums restart
    on every bar whose id differs from the previous bar's. No warm-up.
    """
    h, lo, c, v = as_float_arrays(
        "session_vwap", ("high", "low", "close", "volume"), (high, low, close, volume)
    )
    ids = as_session_ids("session_vwap", session, c.shape[0])
    out = np.empty_like(c)
    _session_vwap_nb(h, lo, c, v, ids, out)
    return out
