"""Streaming on-balance volume, rolling VWAP and session VWAP."""

from __future__ import annotations

from collections.abc import Hashable
from math import isnan
from typing import SupportsIndex

from alphaforge.indicators._arrays import check_period
from alphaforge.indicators.streaming._base import NAN, StreamingIndicator

__all__ = ["OBV", "VWAP", "SessionVWAP"]


class OBV(StreamingIndicator[float]):
    """On-balance volume; the twin of :func:`~..volume.obv` (starts at the first volume)."""

    __slots__ = ("_prev", "_total")

    def __init__(self) -> None:
        super().__init__(0)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._prev = self._total = 0.0

    def update(self, close: float, volume: float) -> float:
        """Add one bar; return the running OBV."""
        c, v = close, volume
        if self._n == 0:
            if isnan(c) or isnan(v):
                return NAN
            self._n = 1
            self._total = v
        elif c > self._prev:
            self._total += v
        elif c < self._prev:
            self._total -= v
        self._prev = c
        self._value = value = self._total
        return value


class VWAP(StreamingIndicator[float]):
    """Rolling ``period``-bar VWAP of the typical price; the twin of :func:`~..volume.vwap`."""

    __slots__ = ("_flows", "_period", "_pv", "_slot", "_traded", "_vol", "_volumes")

    def __init__(self, period: SupportsIndex = 20) -> None:
        self._period = check_period("VWAP", "period", period)
        super().__init__(self._period - 1)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._flows = [0.0] * self._period
        self._volumes = [0.0] * self._period
        self._pv = self._vol = 0.0
        self._traded = 0
        self._slot = 0

    def update(self, high: float, low: float, close: float, volume: float) -> float:
        """Add one bar; return the VWAP of the last ``period`` bars (NaN without volume)."""
        h, lo, c, v = high, low, close, volume
        n = self._n
        if n == 0 and (isnan(h) or isnan(lo) or isnan(c) or isnan(v)):
            return NAN
        slot = self._slot
        if n > self._lag:
            self._pv -= self._flows[slot]
            old = self._volumes[slot]
            self._vol -= old
            if old != 0.0:
                self._traded -= 1
        else:
            self._n = n + 1
        flow = (h + lo + c) / 3.0 * v
        self._flows[slot] = flow
        self._volumes[slot] = v
        self._pv += flow
        self._vol += v
        if v != 0.0:
            self._traded += 1
        self._slot = 0 if slot + 1 == self._period else slot + 1
        if n < self._lag:
            return NAN
        self._value = value = self._pv / self._vol if self._traded > 0 else NAN
        return value


class SessionVWAP(StreamingIndicator[float]):
    """VWAP since the session started; the twin of :func:`~..volume.session_vwap`.

    ``session`` is any id that changes when a new session starts (an int, a date).
    """

    __slots__ = ("_pv", "_session", "_traded", "_vol")

    def __init__(self) -> None:
        super().__init__(0)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._pv = self._vol = 0.0
        self._traded = False
        self._session: Hashable = None

    def update(
        self, high: float, low: float, close: float, volume: float, session: Hashable
    ) -> float:
        """Add one bar of ``session``; return the session's VWAP so far (NaN without volume)."""
        h, lo, c, v = high, low, close, volume
        if self._n == 0:
            if isnan(h) or isnan(lo) or isnan(c) or isnan(v):
                return NAN
            self._n = 1
            self._session = session
        elif session != self._session:
            self._session = session
            self._pv = self._vol = 0.0
            self._traded = False
        self._pv += (h + lo + c) / 3.0 * v
        self._vol += v
        if v != 0.0:
            self._traded = True
        self._value = value = self._pv / self._vol if self._traded else NAN
        return value
