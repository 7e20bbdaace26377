"""Exponential moving-average crossover: long when the fast EMA is above the slow one."""

from __future__ import annotations

from pydantic import Field

from alphaforge.strategies.library.sma_cross import SmaCross, SmaCrossParams
from alphaforge.strategies.registry import register

__all__ = ["EmaCross"]


class EmaCrossParams(SmaCrossParams):
    """Parameters of :class:`EmaCross`: those of ``sma_cross``, on exponential averages."""

    fast: int = Field(10, ge=1, description="Bars in the fast exponential moving average.")
    slow: int = Field(30, ge=2, description="Bars in the slow exponential moving average.")


@register
class EmaCross(SmaCross):
    """Hold ``weight`` of equity long while EMA(fast) > EMA(slow); flat (or short) otherwise.

    Idea: the moving-average crossover of trend followers (Brock, Lakonishok & LeBaron, 1992,
    "Simple Technical Trading Rules and the Stochastic Properties of Stock Returns", Journal of
    Finance 47(5)) with exponential averages, which weigh recent closes more and so turn a few
    bars sooner than simple ones of the same length (Murphy, 1999, "Technical Analysis of the
    Financial Markets", ch. 9). Same windows by default as ``sma_cross`` so the two compare.

    Orders go out when the signal changes (including the first bar the slow EMA is ready);
    between changes the position is held, not resized as equity moves. Each EMA is seeded with
    the SMA of its first ``period`` closes (TA-Lib's convention).

    Assumptions: trends persist long enough to pay for the whipsaws of a trendless market.
    Data: close prices of one or more symbols; each is traded on its own signal with
    ``weight / len(symbols)`` of equity. ``long_short`` needs ``allow_short``.
    """

    name = "ema_cross"
    Params = EmaCrossParams
    average = "ema"
    tags = ("ema fast>slow", "ema fast<=slow")
    # search_space: sma_cross's (the same windows, on exponential averages).
