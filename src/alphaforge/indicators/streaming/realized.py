"""Streaming realized volatility: close-to-close, Parkinson, Garman–Klass, Yang–Zhang."""

from __future__ import annotations

import math
from math import isnan
from typing import SupportsIndex

from alphaforge.indicators._arrays import check_period, check_real
from alphaforge.indicators._constants import GK_CLOSE_WEIGHT, LN2, yang_zhang_k
from alphaforge.indicators.streaming._base import NAN, ShiftedVariance, StreamingIndicator
from alphaforge.indicators.streaming.overlap import SMA

__all__ = ["CloseToClose", "GarmanKlass", "Parkinson", "YangZhang"]


class CloseToClose(StreamingIndicator[float]):
    """Annualized close-to-close volatility; the twin of :func:`~..realized.close_to_close`."""

    __slots__ = ("_annualization", "_correction", "_prev", "_var")

    def __init__(self, period: SupportsIndex = 20, annualization: float = 252.0) -> None:
        p = check_period("CloseToClose", "period", period, minimum=2)
        self._annualization = check_real(
            "CloseToClose", "annualization", annualization, positive=True
        )
        self._correction = p / (p - 1.0)
        self._var = ShiftedVariance(p)
        super().__init__(p)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._prev = 0.0
        self._var.clear()

    def update(self, close: float) -> float:
        """Add one close; return the volatility of the last ``period`` log returns."""
        x = close
        if self._n == 0:
            if not isnan(x):
                self._prev = x
                self._n = 1
            return NAN
        if self._n <= self._lag:
            self._n += 1
        ret = math.log(x / self._prev)
        self._prev = x
        if not self._var.push(ret):
            return NAN
        variance = max(self._var.variance, 0.0)
        self._value = value = math.sqrt(self._annualization * variance * self._correction)
        return value


class Parkinson(StreamingIndicator[float]):
    """Parkinson's annualized high-low volatility; the twin of :func:`~..realized.parkinson`."""

    __slots__ = ("_mean", "_scale")

    def __init__(self, period: SupportsIndex = 20, annualization: float = 252.0) -> None:
        p = check_period("Parkinson", "period", period)
        a = check_real("Parkinson", "annualization", annualization, positive=True)
        self._scale = a / (4.0 * LN2)
        self._mean = SMA(p)
        super().__init__(p - 1)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._mean.reset()

    def update(self, high: float, low: float) -> float:
        """Add one bar; return the volatility over the last ``period`` bars."""
        h, lo = high, low
        if self._n == 0 and (isnan(h) or isnan(lo)):
            return NAN
        if self._n <= self._lag:
            self._n += 1
        hl = math.log(h / lo)
        mean = self._mean.update(hl * hl)
        if isnan(mean):
            return NAN
        self._value = value = math.sqrt(self._scale * max(mean, 0.0))
        return value


class GarmanKlass(StreamingIndicator[float]):
    """Garman–Klass annualized OHLC volatility; the twin of :func:`~..realized.garman_klass`."""

    __slots__ = ("_annualization", "_mean")

    def __init__(self, period: SupportsIndex = 20, annualization: float = 252.0) -> None:
        p = check_period("GarmanKlass", "period", period)
        self._annualization = check_real(
            "GarmanKlass", "annualization", annualization, positive=True
        )
        self._mean = SMA(p)
        super().__init__(p - 1)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._mean.reset()

    def update(self, open: float, high: float, low: float, close: float) -> float:
        """Add one bar; return the volatility over the last ``period`` bars."""
        o, h, lo, c = open, high, low, close
        if self._n == 0 and (isnan(o) or isnan(h) or isnan(lo) or isnan(c)):
            return NAN
        if self._n <= self._lag:
            self._n += 1
        hl = math.log(h / lo)
        co = math.log(c / o)
        mean = self._mean.update(0.5 * hl * hl - GK_CLOSE_WEIGHT * co * co)
        if isnan(mean):
            return NAN
        self._value = value = math.sqrt(self._annualization * max(mean, 0.0))
        return value


class YangZhang(StreamingIndicator[float]):
    """Yang–Zhang annualized OHLC volatility; the twin of :func:`~..realized.yang_zhang`."""

    __slots__ = ("_annualization", "_close_var", "_correction", "_k", "_open_var", "_prev", "_rs")

    def __init__(self, period: SupportsIndex = 20, annualization: float = 252.0) -> None:
        p = check_period("YangZhang", "period", period, minimum=2)
        self._annualization = check_real("YangZhang", "annualization", annualization, positive=True)
        self._k = yang_zhang_k(p)
        self._correction = p / (p - 1.0)
        self._open_var = ShiftedVariance(p)
        self._close_var = ShiftedVariance(p)
        self._rs = SMA(p)
        super().__init__(p)

    def reset(self) -> None:
        """Forget every bar seen so far."""
        self._n = 0
        self._value = NAN
        self._prev = 0.0
        self._open_var.clear()
        self._close_var.clear()
        self._rs.reset()

    def update(self, open: float, high: float, low: float, close: float) -> float:
        """Add one bar; return the volatility over the last ``period`` bars."""
        o, h, lo, c = open, high, low, close
        if self._n == 0:
            if not (isnan(o) or isnan(h) or isnan(lo) or isnan(c)):
                self._prev = c
                self._n = 1
            return NAN
        if self._n <= self._lag:
            self._n += 1
        overnight = math.log(o / self._prev)
        self._prev = c
        hc = math.log(h / c)
        ho = math.log(h / o)
        lc = math.log(lo / c)
        lo_ = math.log(lo / o)
        ready = self._open_var.push(overnight)
        self._close_var.push(math.log(c / o))
        rs = self._rs.update(hc * ho + lc * lo_)
        if not ready:
            return NAN
        correction = self._correction
        k = self._k
        variance = (
            max(self._open_var.variance, 0.0) * correction
            + k * max(self._close_var.variance, 0.0) * correction
            + (1.0 - k) * rs
        )
        self._value = value = math.sqrt(self._annualization * max(variance, 0.0))
        return value
