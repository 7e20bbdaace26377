"""Exponential moving-average crossover: long when the fast EMA is above the slow one."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from alphaforge.domain.market import Bar
from alphaforge.strategies.base import Strategy, StrategyParams
from alphaforge.strategies.context import IndicatorHandle, StrategyContext
from alphaforge.strategies.registry import register

__all__ = ["EmaCross"]


class EmaCrossParams(StrategyParams):
    """Parameters of :class:`EmaCross`."""

    fast: int = Field(10, ge=1, description="Bars in the fast exponential moving average.")
    slow: int = Field(30, ge=2, description="Bars in the slow exponential moving average.")
    mode: Literal["long_only", "long_short"] = Field(
        "long_only", description="long_only: flat when fast <= slow; long_short: short then."
    )
    weight: float = Field(1.0, gt=0, le=1, description="Fraction of equity per position.")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> EmaCrossParams:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be shorter than slow ({self.slow})")
        return self


@register
class EmaCross(Strategy):
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

    def on_start(self, ctx: StrategyContext) -> None:
        p = self.params
        assert isinstance(p, EmaCrossParams)  # noqa: S101  # narrowing for mypy
        self._fast: dict[str, IndicatorHandle] = {}
        self._slow: dict[str, IndicatorHandle] = {}
        for symbol in ctx.symbols:
            self._fast[symbol] = ctx.indicator("ema", symbol=symbol, period=p.fast)
            self._slow[symbol] = ctx.indicator("ema", symbol=symbol, period=p.slow)
        self._size = p.weight / len(ctx.symbols)
        self._short = p.mode == "long_short"
        self._state: dict[str, bool] = {}

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        slow = self._slow[bar.symbol]
        if not slow.ready:
            return
        up = self._fast[bar.symbol].value > slow.value
        if self._state.get(bar.symbol) is up:
            return  # trade on a change of signal only
        self._state[bar.symbol] = up
        if up:
            ctx.target_percent(bar.symbol, self._size, tag="ema fast>slow")
        else:
            ctx.target_percent(
                bar.symbol, -self._size if self._short else 0.0, tag="ema fast<=slow"
            )
