"""Streaming range oscillators: Stoch, StochRSI, WillR, Aroon (monotonic-deque extremes)."""

from __future__ import annotations

from math import isnan
from typing import SupportsIndex

from alphaforge.indicators._arrays import check_period
from alphaforge.indicators._constants import EPSILON
from alphaforge.indicators.streaming._base import NAN, NAN2, RollingExtreme, StreamingIndicator
from alphaforge.indicators.streaming.momentum import RSI
from alphaforge.indicators.streaming.overlap import SMA

__all__ = ["Aroon", "Stoch", "StochRSI", "WillR"]


def _stoch_ratio(value: float, lo: float, hi: float) -> float:
    """``100·(value − lo)/(hi − lo)`` clamped to [0, 100]; 0 on a flat window (TA-Lib 0.8)."""
    span = hi - lo
    if abs(span) <= EPSILON * (abs(hi) + abs(lo)):
        return 0.0
    ratio = ((value - lo) / span) * 100.0
    return min(max(ratio, 0.0), 100.0)


class Stoch(StreamingIndicator[tuple[float, float]]):
    """Slow stochastic ``(slowk, slowd)``; the twin of :func:`~..oscillators.stoch`."""

    __slots__ = ("_fastk_period", "_highs", "_lows", "_slowd", "_slowk")

    def __init__(
        self,
        fastk_period: SupportsIndex = 5,
        slowk_period: SupportsIndex = 3,
        slowd_period: SupportsIndex = 3,
    ) -> None:
        self._fastk_period = fk = check_period("Stoch", "fastk_period", fastk_period)
        sk = check_period("Stoch", "slowk_period", slowk_period)
        sd = check_period("Stoch", "slowd_period", slowd_period)
        self._highs = RollingExtreme(fk, maximum=True)
        self._lows = RollingExtreme(fk, maximum=False)
        self._slowk = SMA(sk)
        self._slowd = SMA(sd)
        super().__init__(fk + sk + sd - 3)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN2
        self._highs.clear()
        self._lows.clear()
        self._slowk.reset()
        self._slowd.reset()

    def update(self, high: float, low: float, close: float) -> tuple[float, float]:
        """Add one bar; return ``(slowk, slowd)`` (NaNs during the warm-up)."""
        h, lo, c = high, low, close
        n = self._n
        if n == 0 and (isnan(h) or isnan(lo) or isnan(c)):
            return NAN2
        if n <= self._lag:
            self._n = n + 1
        hi = self._highs.push(h)[1]
        low_ = self._lows.push(lo)[1]
        if n < self._fastk_period - 1:
            return NAN2
        slowk = self._slowk.update(_stoch_ratio(c, low_, hi))
        if isnan(slowk):
            return NAN2
        slowd = self._slowd.update(slowk)
        if n < self._lag:
            return NAN2
        self._value = value = (slowk, slowd)
        return value


class StochRSI(StreamingIndicator[tuple[float, float]]):
    """Fast stochastic of the RSI ``(fastk, fastd)``; twin of :func:`~..oscillators.stochrsi`."""

    __slots__ = ("_fastd", "_fastk_period", "_highs", "_lows", "_rsi")

    def __init__(
        self,
        period: SupportsIndex = 14,
        fastk_period: SupportsIndex = 5,
        fastd_period: SupportsIndex = 3,
    ) -> None:
        p = check_period("StochRSI", "period", period)
        self._fastk_period = check_period("StochRSI", "fastk_period", fastk_period)
        fd = check_period("StochRSI", "fastd_period", fastd_period)
        self._rsi = RSI(p)
        self._highs = RollingExtreme(self._fastk_period, maximum=True)
        self._lows = RollingExtreme(self._fastk_period, maximum=False)
        self._fastd = SMA(fd)
        super().__init__(p + self._fastk_period + fd - 2)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN2
        self._rsi.reset()
        self._highs.clear()
        self._lows.clear()
        self._fastd.reset()

    def update(self, close: float) -> tuple[float, float]:
        """Add one close; return ``(fastk, fastd)`` (NaNs during the warm-up)."""
        x = close
        n = self._n
        if n == 0 and isnan(x):
            return NAN2
        if n <= self._lag:
            self._n = n + 1
        r = self._rsi.update(x)
        if isnan(r):
            return NAN2
        hi = self._highs.push(r)[1]
        lo = self._lows.push(r)[1]
        if self._highs.count < self._fastk_period:
            return NAN2
        fastk = _stoch_ratio(r, lo, hi)
        fastd = self._fastd.update(fastk)
        if n < self._lag:
            return NAN2
        self._value = value = (fastk, fastd)
        return value


class WillR(StreamingIndicator[float]):
    """Williams' %R in [−100, 0]; the twin of :func:`~..oscillators.willr`."""

    __slots__ = ("_highs", "_lows")

    def __init__(self, period: SupportsIndex = 14) -> None:
        p = check_period("WillR", "period", period)
        self._highs = RollingExtreme(p, maximum=True)
        self._lows = RollingExtreme(p, maximum=False)
        super().__init__(p - 1)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._highs.clear()
        self._lows.clear()

    def update(self, high: float, low: float, close: float) -> float:
        """Add one bar; return %R (NaN for the first ``period − 1`` bars)."""
        h, lo, c = high, low, close
        n = self._n
        if n == 0 and (isnan(h) or isnan(lo) or isnan(c)):
            return NAN
        hi = self._highs.push(h)[1]
        low_ = self._lows.push(lo)[1]
        if n <= self._lag:
            self._n = n + 1
            if n < self._lag:
                return NAN
        span = hi - low_
        if abs(span) <= EPSILON * (abs(hi) + abs(low_)):
            value = 0.0
        else:
            value = min(max(((hi - c) / span) * -100.0, -100.0), 0.0)
        self._value = value
        return value


class Aroon(StreamingIndicator[tuple[float, float]]):
    """Aroon ``(down, up)``; the twin of :func:`~..oscillators.aroon`."""

    __slots__ = ("_factor", "_highs", "_lows", "_period")

    def __init__(self, period: SupportsIndex = 14) -> None:
        self._period = check_period("Aroon", "period", period)
        self._factor = 100.0 / self._period
        self._highs = RollingExtreme(self._period + 1, maximum=True)
        self._lows = RollingExtreme(self._period + 1, maximum=False)
        super().__init__(self._period)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN2
        self._highs.clear()
        self._lows.clear()

    def update(self, high: float, low: float) -> tuple[float, float]:
        """Add one bar; return ``(down, up)`` (NaNs for the first ``period`` bars)."""
        h, lo = high, low
        n = self._n
        if n == 0 and (isnan(h) or isnan(lo)):
            return NAN2
        today = self._highs.count
        hi_idx = self._highs.push(h)[0]
        lo_idx = self._lows.push(lo)[0]
        if n <= self._lag:
            self._n = n + 1
            if n < self._lag:
                return NAN2
        period = self._period
        factor = self._factor
        self._value = value = (
            factor * (period - (today - lo_idx)),
            factor * (period - (today - hi_idx)),
        )
        return value
