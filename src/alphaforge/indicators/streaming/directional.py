"""Streaming true range, ATR, NATR, +DI, −DI and ADX (Wilder smoothing, TA-Lib sequences)."""

from __future__ import annotations

from math import isnan
from typing import SupportsIndex

from alphaforge.indicators._arrays import check_period
from alphaforge.indicators._constants import EPSILON, wilder_weights
from alphaforge.indicators.streaming._base import NAN, StreamingIndicator

__all__ = ["ADX", "ATR", "NATR", "MinusDI", "PlusDI", "TRange"]


def _true_range(high: float, low: float, prev_close: float) -> float:
    return max(high - low, abs(high - prev_close), abs(low - prev_close))


class TRange(StreamingIndicator[float]):
    """True range; the twin of :func:`~..directional.trange` (NaN on the first bar)."""

    __slots__ = ("_prev",)

    def __init__(self) -> None:
        super().__init__(1)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._prev = 0.0

    def update(self, high: float, low: float, close: float) -> float:
        """Add one bar; return its true range."""
        h, lo, c = high, low, close
        if self._n == 0:
            if not (isnan(h) or isnan(lo) or isnan(c)):
                self._prev = c
                self._n = 1
            return NAN
        self._n = 2
        self._value = value = _true_range(h, lo, self._prev)
        self._prev = c
        return value


class ATR(StreamingIndicator[float]):
    """Wilder's average true range; the twin of :func:`~..directional.atr`."""

    __slots__ = ("_alpha", "_atr", "_beta", "_period", "_prev")

    def __init__(self, period: SupportsIndex = 14) -> None:
        self._period = check_period(type(self).__name__, "period", period)
        self._beta, self._alpha = wilder_weights(self._period)
        super().__init__(self._period)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._prev = self._atr = 0.0

    def update(self, high: float, low: float, close: float) -> float:
        """Add one bar; return the ATR (NaN for the first ``period`` bars)."""
        if self._n > self._lag:
            pc = self._prev
            self._prev = close
            tr = high - low
            up = high - pc if high > pc else pc - high
            if up > tr:  # noqa: PLR1730 - an if is cheaper than a max() call here
                tr = up
            down = low - pc if low > pc else pc - low
            if down > tr:  # noqa: PLR1730
                tr = down
            self._atr = self._value = value = self._alpha * tr + self._beta * self._atr
            return value
        self._value = value = self._warm(high, low, close)
        return value

    def _warm(self, h: float, lo: float, c: float) -> float:
        n = self._n
        if n == 0:
            if not (isnan(h) or isnan(lo) or isnan(c)):
                self._prev = c
                self._n = 1
            return NAN
        self._atr += _true_range(h, lo, self._prev)
        self._prev = c
        self._n = n + 1
        if n < self._period:
            return NAN
        self._atr /= self._period
        return self._atr


class NATR(ATR):
    """ATR in percent of the close; the twin of :func:`~..directional.natr`."""

    __slots__ = ()

    def update(self, high: float, low: float, close: float) -> float:
        """Add one bar; return the NATR (NaN for the first ``period`` bars)."""
        atr = super().update(high, low, close)
        if not isnan(atr):
            value = (atr / close) * 100.0 if not -EPSILON < close < EPSILON else 0.0
            self._value = value
            return value
        return atr


class _Directional(StreamingIndicator[float]):
    """Wilder-smoothed +DM, −DM and TR, shared by +DI, −DI (and, in its own loop, ADX)."""

    __slots__ = (
        "_minus_dm",
        "_period",
        "_plus_dm",
        "_prev_close",
        "_prev_high",
        "_prev_low",
        "_tr",
    )

    def __init__(self, lag: int, period: int) -> None:
        self._period = period
        super().__init__(lag)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._prev_high = self._prev_low = self._prev_close = 0.0
        self._plus_dm = self._minus_dm = self._tr = 0.0

    def _start(self, h: float, lo: float, c: float) -> None:
        if not (isnan(h) or isnan(lo) or isnan(c)):
            self._prev_high, self._prev_low, self._prev_close = h, lo, c
            self._n = 1

    def _advance(self, h: float, lo: float, c: float, smooth: bool) -> None:
        """Fold one bar into the sums (``smooth``: Wilder step, else plain accumulation)."""
        up = h - self._prev_high
        down = self._prev_low - lo
        if down > 0 and up < down:
            up = 0.0
        elif up > 0 and up > down:
            down = 0.0
        else:
            up = down = 0.0
        tr = _true_range(h, lo, self._prev_close)
        self._prev_high, self._prev_low, self._prev_close = h, lo, c
        period = self._period
        if smooth:
            self._minus_dm -= self._minus_dm / period
            self._plus_dm -= self._plus_dm / period
            self._minus_dm += down
            self._plus_dm += up
            self._tr = self._tr - self._tr / period + tr
        else:
            self._plus_dm += up
            self._minus_dm += down
            self._tr += tr


class _DI(_Directional):
    __slots__ = ("_plus",)

    def __init__(self, period: SupportsIndex, *, plus: bool) -> None:
        self._plus = plus
        p = check_period("PlusDI" if plus else "MinusDI", "period", period)
        super().__init__(p, p)

    def update(self, high: float, low: float, close: float) -> float:
        """Add one bar; return the directional indicator (NaN for the first ``period`` bars)."""
        h, lo, c = high, low, close
        n = self._n
        if n == 0:
            self._start(h, lo, c)
            return NAN
        if n <= self._lag:
            self._n = n + 1
        if n < self._period:
            self._advance(h, lo, c, smooth=False)
            return NAN
        self._advance(h, lo, c, smooth=True)
        tr = self._tr
        if -EPSILON < tr < EPSILON:
            value = 0.0
        else:
            value = 100.0 * ((self._plus_dm if self._plus else self._minus_dm) / tr)
        self._value = value
        return value


class PlusDI(_DI):
    """Plus directional indicator +DI; the twin of :func:`~..directional.plus_di`."""

    __slots__ = ()

    def __init__(self, period: SupportsIndex = 14) -> None:
        super().__init__(period, plus=True)


class MinusDI(_DI):
    """Minus directional indicator −DI; the twin of :func:`~..directional.minus_di`."""

    __slots__ = ()

    def __init__(self, period: SupportsIndex = 14) -> None:
        super().__init__(period, plus=False)


class ADX(_Directional):
    """Average directional index; the twin of :func:`~..directional.adx`."""

    __slots__ = ("_adx",)

    def __init__(self, period: SupportsIndex = 14) -> None:
        p = check_period("ADX", "period", period)
        super().__init__(2 * p - 1, p)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        super().reset()
        self._adx = 0.0

    def update(self, high: float, low: float, close: float) -> float:
        """Add one bar; return the ADX (NaN for the first ``2·period − 1`` bars)."""
        h, lo, c = high, low, close
        n = self._n
        if n == 0:
            self._start(h, lo, c)
            return NAN
        if n <= self._lag:
            self._n = n + 1
        period = self._period
        if n < period:
            self._advance(h, lo, c, smooth=False)
            return NAN
        self._advance(h, lo, c, smooth=True)
        dx = self._dx()
        if n <= self._lag:
            if dx >= 0.0:
                self._adx += dx
            if n < self._lag:
                return NAN
            self._adx /= period
        elif dx >= 0.0:
            self._adx = (self._adx * (period - 1) + dx) / period
        self._value = value = self._adx
        return value

    def _dx(self) -> float:
        tr = self._tr
        if -EPSILON < tr < EPSILON:
            return -1.0
        minus = 100.0 * (self._minus_dm / tr)
        plus = 100.0 * (self._plus_dm / tr)
        total = minus + plus
        if -EPSILON < total < EPSILON:
            return -1.0
        return 100.0 * (abs(minus - plus) / total)
