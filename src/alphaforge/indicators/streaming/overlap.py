"""Streaming moving averages and Bollinger Bands: SMA, EMA, WMA, DEMA, TEMA, BBands.

The update of SMA and EMA is the hot path of most strategies: it is written out flat (no helper
calls, locals instead of attribute look-ups) and runs well under a microsecond in CPython.
"""

from __future__ import annotations

import math
from math import isnan
from typing import SupportsIndex

from alphaforge.indicators._arrays import check_period, check_real
from alphaforge.indicators._constants import VARIANCE_EPSILON, WMA_RESEED
from alphaforge.indicators.streaming._base import (
    NAN,
    NAN3,
    ShiftedVariance,
    StreamingIndicator,
)

__all__ = ["DEMA", "EMA", "SMA", "TEMA", "WMA", "BBands"]


class SMA(StreamingIndicator[float]):
    """Simple moving average over ``period`` values; the twin of :func:`~..overlap.sma`."""

    __slots__ = ("_buf", "_i", "_period", "_total")

    def __init__(self, period: SupportsIndex = 30) -> None:
        self._period = check_period("SMA", "period", period)
        super().__init__(self._period - 1)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._buf = [0.0] * self._period
        self._i = 0
        self._total = 0.0

    def update(self, close: float) -> float:
        """Add one value; return the average of the last ``period`` values (NaN before)."""
        x = close
        if self._n > self._lag:
            buf = self._buf
            i = self._i
            buf[i] = x
            i += 1
            if i == self._period:
                i = 0
            total = self._total + x
            self._value = value = total / self._period
            self._total = total - buf[i]
            self._i = i
            return value
        return self._warm(x)

    def _warm(self, x: float) -> float:
        n = self._n
        if n == 0 and isnan(x):
            return NAN
        self._buf[n] = x
        total = self._total + x
        n += 1
        self._n = n
        if n < self._period:
            self._total = total
            return NAN
        self._value = value = total / self._period
        self._total = total - self._buf[0]
        self._i = 0
        return value


class EMA(StreamingIndicator[float]):
    """Exponential moving average, SMA-seeded; the twin of :func:`~..overlap.ema`."""

    __slots__ = ("_k", "_period", "_total")

    def __init__(self, period: SupportsIndex = 30) -> None:
        self._period = check_period("EMA", "period", period)
        self._k = 2.0 / (self._period + 1)
        super().__init__(self._period - 1)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._total = 0.0

    def update(self, close: float) -> float:
        """Add one value; return the EMA (NaN for the first ``period − 1`` values)."""
        x = close
        if self._n > self._lag:
            prev = self._value
            self._value = value = (x - prev) * self._k + prev
            return value
        n = self._n
        if n == 0 and isnan(x):
            return NAN
        self._total += x
        self._n = n + 1
        if n + 1 < self._period:
            return NAN
        self._value = value = self._total / self._period
        return value


class WMA(StreamingIndicator[float]):
    """Linearly weighted moving average; the twin of :func:`~..overlap.wma`."""

    __slots__ = ("_buf", "_divider", "_i", "_period", "_reseed_in", "_sub", "_sum", "_trailing")

    def __init__(self, period: SupportsIndex = 30) -> None:
        self._period = check_period("WMA", "period", period)
        self._divider = self._period * (self._period + 1) / 2.0
        super().__init__(self._period - 1)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._buf = [0.0] * self._period
        self._i = 0
        self._sub = 0.0
        self._sum = 0.0
        self._trailing = 0.0
        self._reseed_in = WMA_RESEED * self._period

    def update(self, close: float) -> float:
        """Add one value; return the WMA (NaN for the first ``period − 1`` values)."""
        x = close
        n = self._n
        if n == 0 and isnan(x):
            return NAN
        period = self._period
        if n < period - 1:
            self._buf[n] = x
            self._sub += x
            self._sum += x * (n + 1)
            self._n = n + 1
            return NAN
        if n == period - 1:
            self._n = n + 1
            self._i = n
        if period == 1:
            self._value = x
            return x
        buf = self._buf
        i = self._i
        buf[i] = x
        i += 1
        if i == period:
            i = 0
        self._i = i
        sub = self._sub + x - self._trailing
        total = self._sum + x * period
        self._reseed_in -= 1
        if self._reseed_in <= 0:
            self._reseed_in = WMA_RESEED * period
            sub = 0.0
            total = 0.0
            weight = 1
            for value in buf[i:] + buf[:i]:
                sub += value
                total += value * weight
                weight += 1
        self._trailing = buf[i]
        self._value = value = total / self._divider
        self._sum = total - sub
        self._sub = sub
        return value


class DEMA(StreamingIndicator[float]):
    """Double EMA ``2·EMA − EMA(EMA)``; the twin of :func:`~..overlap.dema`."""

    __slots__ = ("_e1", "_e2", "_k", "_period", "_total", "_total2")

    def __init__(self, period: SupportsIndex = 30) -> None:
        self._period = check_period("DEMA", "period", period)
        self._k = 2.0 / (self._period + 1)
        super().__init__(2 * (self._period - 1))

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._e1 = self._e2 = self._total = self._total2 = 0.0

    def update(self, close: float) -> float:
        """Add one value; return the DEMA (NaN for the first ``2·(period − 1)`` values)."""
        x = close
        k = self._k
        if self._n > self._lag:
            e1 = self._e1 = (x - self._e1) * k + self._e1
            e2 = self._e2 = (e1 - self._e2) * k + self._e2
            self._value = value = (2.0 * e1) - e2
            return value
        n = self._n
        if n == 0 and isnan(x):
            return NAN
        period = self._period
        if n < period:
            self._total += x
            if n == period - 1:
                self._e1 = self._total / period
                self._total2 = self._e1
        else:
            self._e1 = (x - self._e1) * k + self._e1
            self._total2 += self._e1
        self._n = n + 1
        if n < self._lag:
            return NAN
        self._e2 = self._total2 / period
        self._value = value = (2.0 * self._e1) - self._e2
        return value


class TEMA(StreamingIndicator[float]):
    """Triple EMA ``3·EMA − 3·EMA(EMA) + EMA(EMA(EMA))``; the twin of :func:`~..overlap.tema`."""

    __slots__ = ("_e1", "_e2", "_e3", "_k", "_period", "_total", "_total2", "_total3")

    def __init__(self, period: SupportsIndex = 30) -> None:
        self._period = check_period("TEMA", "period", period)
        self._k = 2.0 / (self._period + 1)
        super().__init__(3 * (self._period - 1))

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._e1 = self._e2 = self._e3 = 0.0
        self._total = self._total2 = self._total3 = 0.0

    def update(self, close: float) -> float:
        """Add one value; return the TEMA (NaN for the first ``3·(period − 1)`` values)."""
        x = close
        k = self._k
        if self._n > self._lag:
            e1 = self._e1 = (x - self._e1) * k + self._e1
            e2 = self._e2 = (e1 - self._e2) * k + self._e2
            e3 = self._e3 = (e2 - self._e3) * k + self._e3
            self._value = value = e3 + ((3.0 * e1) - (3.0 * e2))
            return value
        n = self._n
        if n == 0 and isnan(x):
            return NAN
        self._seed(x, n)
        self._n = n + 1
        if n < self._lag:
            return NAN
        self._e3 = self._total3 / self._period
        self._value = value = self._e3 + ((3.0 * self._e1) - (3.0 * self._e2))
        return value

    def _seed(self, x: float, n: int) -> None:
        period = self._period
        k = self._k
        if n < period:
            self._total += x
            if n == period - 1:
                self._e1 = self._total / period
                self._total2 = self._e1
        elif n <= 2 * period - 2:
            self._e1 = (x - self._e1) * k + self._e1
            self._total2 += self._e1
        else:
            self._e1 = (x - self._e1) * k + self._e1
            self._e2 = (self._e1 - self._e2) * k + self._e2
            self._total3 += self._e2
        if n == 2 * period - 2:
            self._e2 = self._total2 / period
            self._total3 = self._e2


class BBands(StreamingIndicator[tuple[float, float, float]]):
    """Bollinger Bands ``(upper, middle, lower)``; the twin of :func:`~..overlap.bbands`."""

    __slots__ = ("_dn", "_period", "_up", "_var")

    def __init__(
        self, period: SupportsIndex = 20, nbdev_up: float = 2.0, nbdev_dn: float = 2.0
    ) -> None:
        self._period = check_period("BBands", "period", period)
        self._up = check_real("BBands", "nbdev_up", nbdev_up)
        self._dn = check_real("BBands", "nbdev_dn", nbdev_dn)
        self._var = ShiftedVariance(self._period)
        super().__init__(self._period - 1)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN3
        self._var.clear()

    def update(self, close: float) -> tuple[float, float, float]:
        """Add one value; return ``(upper, middle, lower)`` (NaNs for ``period − 1`` values)."""
        x = close
        if self._n == 0 and isnan(x):
            return NAN3
        if self._n <= self._lag:
            self._n += 1
        if not self._var.push(x):
            return NAN3
        variance = self._var.variance
        mean = self._var.mean
        deviation = math.sqrt(variance) if variance >= VARIANCE_EPSILON else 0.0
        self._value = value = (mean + deviation * self._up, mean, mean - deviation * self._dn)
        return value
