"""Named results of the multi-output batch indicators.

They are ``NamedTuple``s, so ``upper, middle, lower = bbands(close)`` unpacks like the TA-Lib
tuples while ``bands.upper`` names the part.
"""

from __future__ import annotations

from typing import NamedTuple

from alphaforge.indicators._arrays import FloatArray

__all__ = ["AroonResult", "BandsResult", "MACDResult", "StochRSIResult", "StochResult"]


class BandsResult(NamedTuple):
    """A channel: Bollinger Bands, Keltner or Donchian."""

    upper: FloatArray
    middle: FloatArray
    lower: FloatArray


class MACDResult(NamedTuple):
    """MACD line (fast EMA − slow EMA), its signal EMA and the histogram (line − signal)."""

    macd: FloatArray
    signal: FloatArray
    hist: FloatArray


class StochResult(NamedTuple):
    """Slow stochastic: %K smoothed once (slowk) and twice (slowd)."""

    slowk: FloatArray
    slowd: FloatArray


class StochRSIResult(NamedTuple):
    """Fast stochastic of the RSI: %K and its moving average %D."""

    fastk: FloatArray
    fastd: FloatArray


class AroonResult(NamedTuple):
    """Aroon down and up, in TA-Lib's output order."""

    down: FloatArray
    up: FloatArray
