"""Streaming Keltner and Donchian channels and the rolling z-score."""

from __future__ import annotations

import math
from math import isnan
from typing import SupportsIndex

from alphaforge.indicators._arrays import check_period, check_real
from alphaforge.indicators._constants import FLAT_RELATIVE_STD
from alphaforge.indicators.streaming._base import (
    NAN,
    NAN3,
    RollingExtreme,
    ShiftedVariance,
    StreamingIndicator,
)
from alphaforge.indicators.streaming.directional import ATR
from alphaforge.indicators.streaming.overlap import EMA

__all__ = ["Donchian", "Keltner", "ZScore"]


class Keltner(StreamingIndicator[tuple[float, float, float]]):
    """Keltner channels ``(upper, middle, lower)``; the twin of :func:`~..channels.keltner`."""

    __slots__ = ("_atr", "_ema", "_multiplier")

    def __init__(
        self, period: SupportsIndex = 20, atr_period: SupportsIndex = 10, multiplier: float = 2.0
    ) -> None:
        p = check_period("Keltner", "period", period)
        ap = check_period("Keltner", "atr_period", atr_period)
        self._multiplier = check_real("Keltner", "multiplier", multiplier)
        self._ema = EMA(p)
        self._atr = ATR(ap)
        super().__init__(max(p - 1, ap))

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN3
        self._ema.reset()
        self._atr.reset()

    def update(self, high: float, low: float, close: float) -> tuple[float, float, float]:
        """Add one bar; return ``(upper, middle, lower)`` (NaNs during the warm-up)."""
        h, lo, c = high, low, close
        n = self._n
        if n == 0 and (isnan(h) or isnan(lo) or isnan(c)):
            return NAN3
        middle = self._ema.update(c)
        atr = self._atr.update(h, lo, c)
        if n <= self._lag:
            self._n = n + 1
            if n < self._lag:
                return NAN3
        width = self._multiplier * atr
        self._value = value = (middle + width, middle, middle - width)
        return value


class Donchian(StreamingIndicator[tuple[float, float, float]]):
    """Donchian channels ``(upper, middle, lower)``; the twin of :func:`~..channels.donchian`."""

    __slots__ = ("_highs", "_lows")

    def __init__(self, period: SupportsIndex = 20) -> None:
        p = check_period("Donchian", "period", period)
        self._highs = RollingExtreme(p, maximum=True)
        self._lows = RollingExtreme(p, maximum=False)
        super().__init__(p - 1)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN3
        self._highs.clear()
        self._lows.clear()

    def update(self, high: float, low: float) -> tuple[float, float, float]:
        """Add one bar; return ``(upper, middle, lower)`` (NaNs for ``period − 1`` bars)."""
        h, lo = high, low
        n = self._n
        if n == 0 and (isnan(h) or isnan(lo)):
            return NAN3
        upper = self._highs.push(h)[1]
        lower = self._lows.push(lo)[1]
        if n <= self._lag:
            self._n = n + 1
            if n < self._lag:
                return NAN3
        self._value = value = (upper, (upper + lower) / 2.0, lower)
        return value


class ZScore(StreamingIndicator[float]):
    """Rolling z-score (population σ); the twin of :func:`~..channels.zscore`."""

    __slots__ = ("_var",)

    def __init__(self, period: SupportsIndex = 20) -> None:
        p = check_period("ZScore", "period", period, minimum=2)
        self._var = ShiftedVariance(p)
        super().__init__(p - 1)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._var.clear()

    def update(self, close: float) -> float:
        """Add one value; return its z-score in the window (NaN while warming up or flat)."""
        x = close
        if self._n == 0 and isnan(x):
            return NAN
        if self._n <= self._lag:
            self._n += 1
        var = self._var
        if not var.push(x):
            return NAN
        variance = var.variance
        mean = var.mean
        value = NAN
        if variance > 0.0:
            std = math.sqrt(variance)
            if std > FLAT_RELATIVE_STD * abs(mean):
                value = (x - mean) / std
        self._value = value
        return value
