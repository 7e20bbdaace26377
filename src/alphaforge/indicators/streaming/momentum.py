"""Streaming momentum indicators: RSI, MACD, ROC, MOM, CCI, MFI.

CCI is the one O(period) update here: its mean absolute deviation is taken around the *current*
mean, which no running sum can carry, so every update walks the window (as TA-Lib's batch does).
"""

from __future__ import annotations

from abc import abstractmethod
from math import isnan
from typing import SupportsIndex

from alphaforge.indicators._arrays import check_macd_periods, check_period
from alphaforge.indicators._constants import EPSILON
from alphaforge.indicators.streaming._base import NAN, NAN3, StreamingIndicator

__all__ = ["CCI", "MACD", "MFI", "MOM", "ROC", "RSI"]


class RSI(StreamingIndicator[float]):
    """Wilder's RSI; the twin of :func:`~..momentum.rsi`."""

    __slots__ = ("_gain", "_inverse", "_loss", "_period", "_prev", "_weight")

    def __init__(self, period: SupportsIndex = 14) -> None:
        self._period = check_period("RSI", "period", period)
        self._weight = float(self._period - 1)
        self._inverse = 1.0 / self._period
        super().__init__(self._period)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._prev = self._gain = self._loss = 0.0

    def update(self, close: float) -> float:
        """Add one close; return the RSI in [0, 100] (NaN for the first ``period`` closes)."""
        x = close
        if self._n > self._lag:
            change = x - self._prev
            self._prev = x
            weight = self._weight
            loss = self._loss * weight
            gain = self._gain * weight
            if change < 0:
                loss -= change
            else:
                gain += change
            inverse = self._inverse
            self._loss = loss = loss * inverse
            self._gain = gain = gain * inverse
            total = gain + loss
            self._value = value = 100.0 * (gain / total) if total > 0.0 else 0.0
            return value
        return self._warm(x)

    def _warm(self, x: float) -> float:
        n = self._n
        if n == 0:
            if not isnan(x):
                self._prev = x
                self._n = 1
            return NAN
        change = x - self._prev
        self._prev = x
        if change < 0:
            self._loss -= change
        else:
            self._gain += change
        self._n = n + 1
        if n < self._period:
            return NAN
        self._loss /= self._period
        self._gain /= self._period
        total = self._gain + self._loss
        self._value = value = (
            100.0 * (self._gain / total) if not -EPSILON < total < EPSILON else 0.0
        )
        return value


class MACD(StreamingIndicator[tuple[float, float, float]]):
    """MACD ``(macd, signal, hist)`` with TA-Lib's seeding; the twin of :func:`~..momentum.macd`."""

    __slots__ = (
        "_fast",
        "_fast_p",
        "_fast_total",
        "_kf",
        "_kg",
        "_ks",
        "_signal",
        "_signal_p",
        "_signal_total",
        "_slow",
        "_slow_p",
        "_slow_total",
    )

    def __init__(
        self,
        fast_period: SupportsIndex = 12,
        slow_period: SupportsIndex = 26,
        signal_period: SupportsIndex = 9,
    ) -> None:
        self._fast_p, self._slow_p, self._signal_p = check_macd_periods(
            fast_period, slow_period, signal_period
        )
        self._kf = 2.0 / (self._fast_p + 1)
        self._ks = 2.0 / (self._slow_p + 1)
        self._kg = 2.0 / (self._signal_p + 1)
        super().__init__(self._slow_p + self._signal_p - 2)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN3
        self._fast = self._slow = self._signal = 0.0
        self._fast_total = self._slow_total = self._signal_total = 0.0

    def update(self, close: float) -> tuple[float, float, float]:
        """Add one close; return ``(macd, signal, hist)`` (NaNs during the warm-up)."""
        x = close
        if self._n > self._lag:
            fast = self._fast = (x - self._fast) * self._kf + self._fast
            slow = self._slow = (x - self._slow) * self._ks + self._slow
            line = fast - slow
            signal = self._signal = (line - self._signal) * self._kg + self._signal
            self._value = value = (line, signal, line - signal)
            return value
        n = self._n
        if n == 0 and isnan(x):
            return NAN3
        line = self._seed(x, n)
        self._n = n + 1
        if n < self._lag:
            return NAN3
        signal = self._signal = self._signal_total / self._signal_p
        self._value = value = (line, signal, line - signal)
        return value

    def _seed(self, x: float, n: int) -> float:
        slow_p = self._slow_p
        if n < slow_p:
            self._slow_total += x
            if n >= slow_p - self._fast_p:
                self._fast_total += x
            if n < slow_p - 1:
                return NAN
            self._fast = self._fast_total / self._fast_p
            self._slow = self._slow_total / slow_p
            line = self._fast - self._slow
            self._signal_total = line
            return line
        self._fast = (x - self._fast) * self._kf + self._fast
        self._slow = (x - self._slow) * self._ks + self._slow
        line = self._fast - self._slow
        self._signal_total += line
        return line


class _Lagged(StreamingIndicator[float]):
    """Shared ring of the last ``period`` values for ROC and MOM."""

    __slots__ = ("_buf", "_i", "_period")

    def __init__(self, name: str, period: SupportsIndex) -> None:
        self._period = check_period(name, "period", period)
        super().__init__(self._period)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._buf = [0.0] * self._period
        self._i = 0

    @abstractmethod
    def _compute(self, x: float, before: float) -> float:
        """The indicator from the newest value ``x`` and the one ``period`` values before."""

    def update(self, close: float) -> float:
        """Add one value; return the indicator (NaN for the first ``period`` values)."""
        x = close
        n = self._n
        if n < self._period:
            if n == 0 and isnan(x):
                return NAN
            self._buf[n] = x
            self._n = n + 1
            return NAN
        if n == self._period:
            self._n = n + 1
        buf = self._buf
        i = self._i
        before = buf[i]
        buf[i] = x
        i += 1
        self._i = 0 if i == self._period else i
        self._value = value = self._compute(x, before)
        return value


class ROC(_Lagged):
    """Rate of change in percent; the twin of :func:`~..momentum.roc`."""

    __slots__ = ()

    def __init__(self, period: SupportsIndex = 10) -> None:
        super().__init__("ROC", period)

    def _compute(self, x: float, before: float) -> float:
        return ((x / before) - 1.0) * 100.0 if before != 0.0 else 0.0


class MOM(_Lagged):
    """Momentum ``x − x[-period]``; the twin of :func:`~..momentum.mom`."""

    __slots__ = ()

    def __init__(self, period: SupportsIndex = 10) -> None:
        super().__init__("MOM", period)

    def _compute(self, x: float, before: float) -> float:
        return x - before


class CCI(StreamingIndicator[float]):
    """Commodity channel index; the twin of :func:`~..momentum.cci`. O(period) per update."""

    __slots__ = ("_buf", "_period", "_slot")

    def __init__(self, period: SupportsIndex = 14) -> None:
        self._period = check_period("CCI", "period", period)
        super().__init__(self._period - 1)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._buf = [0.0] * self._period
        self._slot = 0

    def update(self, high: float, low: float, close: float) -> float:
        """Add one bar; return the CCI (NaN for the first ``period − 1`` bars)."""
        h, lo, c = high, low, close
        n = self._n
        if n == 0 and (isnan(h) or isnan(lo) or isnan(c)):
            return NAN
        last = (h + lo + c) / 3
        buf = self._buf
        buf[self._slot] = last
        self._slot = 0 if self._slot + 1 == self._period else self._slot + 1
        if n <= self._lag:
            self._n = n + 1
            if n < self._lag:
                return NAN
        average = 0.0
        for value in buf:
            average += value
        average /= self._period
        deviation = 0.0
        for value in buf:
            deviation += abs(value - average)
        deviation /= self._period
        distance = last - average
        scale = EPSILON * abs(average)
        if abs(distance) <= scale or abs(deviation) <= scale:
            result = 0.0
        else:
            result = distance / (0.015 * deviation)
        self._value = result
        return result


class MFI(StreamingIndicator[float]):
    """Money flow index; the twin of :func:`~..momentum.mfi`."""

    __slots__ = ("_neg", "_neg_sum", "_null_run", "_period", "_pos", "_pos_sum", "_prev", "_slot")

    def __init__(self, period: SupportsIndex = 14) -> None:
        self._period = check_period("MFI", "period", period)
        super().__init__(self._period)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._pos = [0.0] * self._period
        self._neg = [0.0] * self._period
        self._pos_sum = self._neg_sum = self._prev = 0.0
        self._null_run = 0
        self._slot = 0

    def update(self, high: float, low: float, close: float, volume: float) -> float:
        """Add one bar; return the MFI in [0, 100] (NaN for the first ``period`` bars)."""
        h, lo, c, v = high, low, close, volume
        n = self._n
        if n == 0:
            if not (isnan(h) or isnan(lo) or isnan(c) or isnan(v)):
                self._prev = (h + lo + c) / 3.0
                self._n = 1
            return NAN
        slot = self._slot
        if n > self._lag:
            self._pos_sum -= self._pos[slot]
            self._neg_sum -= self._neg[slot]
        else:
            self._n = n + 1
        typical = (h + lo + c) / 3.0
        change = typical - self._prev
        scale = abs(typical) + abs(self._prev)
        self._prev = typical
        flow = 0.0 if abs(change) <= EPSILON * scale else typical * v
        pos_flow = 0.0 if change < 0.0 else flow
        neg_flow = flow if change < 0.0 else 0.0
        self._pos[slot] = pos_flow
        self._neg[slot] = neg_flow
        self._pos_sum += pos_flow
        self._neg_sum += neg_flow
        self._null_run = self._null_run + 1 if flow == 0.0 else 0
        if self._null_run >= self._period:
            self._null_run = self._period
            self._pos_sum = self._neg_sum = 0.0
        self._slot = 0 if slot + 1 == self._period else slot + 1
        if n < self._lag:
            return NAN
        total = self._pos_sum + self._neg_sum
        clamped = 0.0 if self._pos_sum < 0.0 else min(self._pos_sum, total)
        self._value = value = 0.0 if total <= 0.0 else 100.0 * (clamped / total)
        return value
