"""The streaming base class and the O(1) building blocks the streaming indicators share.

A streaming indicator consumes one bar per ``update(...)`` call and returns its current value:
NaN (or a tuple of NaNs) until it is ``ready``. Each one repeats, operation for operation, the
arithmetic of its batch twin, so that after ``n`` updates its value equals element ``n − 1`` of
the batch output (the tests hold them to 1e-9 relative; most agree to the last bit).

Like the batch functions, a streaming indicator ignores bars that arrive before its inputs have
started (any input NaN on the very first bar): they return NaN and change nothing. Pure Python,
no NumPy or Numba in the update path, so a live process can use these without a JIT warm-up.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections import deque
from typing import Generic, TypeVar

__all__ = [
    "NAN",
    "NAN2",
    "NAN3",
    "RollingExtreme",
    "ShiftedVariance",
    "StreamingIndicator",
]

NAN = math.nan
NAN2 = (math.nan, math.nan)
NAN3 = (math.nan, math.nan, math.nan)

T = TypeVar("T", float, tuple[float, float], tuple[float, float, float])


class StreamingIndicator(ABC, Generic[T]):
    """Common state of every streaming indicator: bars consumed, warm-up length, current value.

    Subclasses define ``update(...)`` (the inputs of their batch twin, one bar) and ``reset()``,
    which must restore the state a fresh instance has.
    """

    __slots__ = ("_lag", "_n", "_value")

    _lag: int
    _n: int
    _value: T

    def __init__(self, lag: int) -> None:
        self._lag = lag
        self.reset()

    @abstractmethod
    def reset(self) -> None:
        """Forget every bar seen so far (restore the state of a fresh instance)."""

    @property
    def value(self) -> T:
        """The value after the last update (NaN, or a tuple of NaNs, until ready)."""
        return self._value

    @property
    def ready(self) -> bool:
        """True once the warm-up is over, i.e. after ``warmup + 1`` bars."""
        return self._n > self._lag

    @property
    def warmup(self) -> int:
        """How many leading bars give no value (the batch output's leading NaNs)."""
        return self._lag

    def __repr__(self) -> str:
        return f"{type(self).__name__}(warmup={self._lag}, ready={self.ready}, value={self._value})"


class RollingExtreme:
    """Rolling maximum (or minimum) over the last ``window`` pushes: a monotonic deque.

    Amortized O(1) per push. Among equal extremes the most recent one is kept, so ``index`` is
    the latest bar holding the extreme (what Aroon counts from).
    """

    __slots__ = ("_count", "_items", "_maximum", "_window")

    def __init__(self, window: int, *, maximum: bool) -> None:
        self._window = window
        self._maximum = maximum
        self._items: deque[tuple[int, float]] = deque()
        self._count = 0

    def clear(self) -> None:
        """Drop every value."""
        self._items.clear()
        self._count = 0

    @property
    def count(self) -> int:
        """How many values were pushed since the last ``clear``."""
        return self._count

    def push(self, x: float) -> tuple[int, float]:
        """Add ``x``; return ``(index, value)`` of the extreme of the current window."""
        items = self._items
        count = self._count
        if self._maximum:
            while items and items[-1][1] <= x:
                items.pop()
        else:
            while items and items[-1][1] >= x:
                items.pop()
        items.append((count, x))
        if items[0][0] <= count - self._window:
            items.popleft()
        self._count = count + 1
        return items[0]


class ShiftedVariance:
    """Rolling mean and population variance, TA-Lib 0.8's way (the twin of ``shifted_variance``).

    The variance is computed on data shifted by an anchor inside the window and the sums are
    rebuilt from the window every ``32·period`` values, when the variance falls below 1e-6 of the
    shifted second moment, or when a leaving value dwarfs the window. ``push`` returns True once
    ``period`` values have been pushed; ``mean`` and ``variance`` then hold the current window's.
    """

    __slots__ = (
        "_buf",
        "_i",
        "_inv",
        "_n",
        "_period",
        "_reseed_in",
        "_shift",
        "_total",
        "_total1",
        "_total2",
        "mean",
        "variance",
    )

    def __init__(self, period: int) -> None:
        self._period = period
        self._inv = 1.0 / period
        self.clear()

    def clear(self) -> None:
        """Drop every value."""
        self._buf = [0.0] * self._period
        self._i = 0
        self._n = 0
        self._shift = 0.0
        self._total = 0.0
        self._total1 = 0.0
        self._total2 = 0.0
        self._reseed_in = 32 * self._period
        self.mean = NAN
        self.variance = NAN

    def push(self, x: float) -> bool:
        """Add ``x``; return True when a full window's ``mean`` and ``variance`` are set."""
        buf = self._buf
        period = self._period
        if self._n < period:
            if self._n == 0:
                self._shift = x
            self._n += 1
            if self._n < period:
                buf[self._i] = x
                self._i += 1
                self._total += x
                d = x - self._shift
                self._total1 += d
                self._total2 += d * d
                return False
        i = self._i
        buf[i] = x
        i += 1
        if i == period:
            i = 0
        self._i = i
        inv = self._inv
        shift = self._shift
        total = self._total + x
        d = x - shift
        total1 = self._total1 + d
        total2 = self._total2 + d * d
        mean1 = total1 * inv
        variance = total2 * inv - mean1 * mean1
        self.mean = total / period
        old = buf[i]
        self._total = total - old
        d = old - shift
        total1 -= d
        d *= d
        total2 -= d
        self._reseed_in -= 1
        if variance < 0.000001 * (total2 * inv) or d > 1000000.0 * total2 or self._reseed_in <= 0:
            variance, total1, total2 = self._reseed()
        self._total1 = total1
        self._total2 = total2
        self.variance = variance
        return True

    def _reseed(self) -> tuple[float, float, float]:
        """Re-anchor on the window's mean and rebuild the sums (window: oldest value first)."""
        self._reseed_in = 32 * self._period
        inv = self._inv
        i = self._i
        window = self._buf[i:] + self._buf[:i]
        acc = 0.0
        for value in window:
            acc += value
        shift = acc * inv
        self._shift = shift
        total1 = 0.0
        total2 = 0.0
        for value in window:
            d = value - shift
            total1 += d
            total2 += d * d
        mean1 = total1 * inv
        variance = total2 * inv - mean1 * mean1
        d = window[0] - shift
        total1 -= d
        d *= d
        total2 -= d
        return variance, total1, total2
