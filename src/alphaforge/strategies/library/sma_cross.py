"""Moving-average crossover: long when the fast SMA is above the slow one."""

from __future__ import annotations

from types import MappingProxyType
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from alphaforge.domain.market import Bar
from alphaforge.strategies.base import Strategy, StrategyParams
from alphaforge.strategies.context import IndicatorHandle, StrategyContext
from alphaforge.strategies.registry import register
from alphaforge.strategies.space import IntRange

__all__ = ["SmaCross"]


class SmaCrossParams(StrategyParams):
    """Parameters of :class:`SmaCross`."""

    fast: int = Field(10, ge=1, description="Bars in the fast simple moving average.")
    slow: int = Field(30, ge=2, description="Bars in the slow simple moving average.")
    mode: Literal["long_only", "long_short"] = Field(
        "long_only", description="long_only: flat when fast <= slow; long_short: short then."
    )
    weight: float = Field(1.0, gt=0, le=1, description="Fraction of equity per position.")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> SmaCrossParams:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be shorter than slow ({self.slow})")
        return self


@register
class SmaCross(Strategy):
    """Hold ``weight`` of equity long while SMA(fast) > SMA(slow); flat (or short) otherwise.

    Orders go out when the signal changes (including the first bar both averages are ready);
    between changes the position is held, not resized as equity moves.

    The classic trend-following rule (e.g. Brock, Lakonishok & LeBaron, 1992). Decisions use the
    bar's close; with the default next-open fill rule the trade happens at the next bar's open.
    Data: close prices of one or more symbols; each is traded on its own signal with
    ``weight / len(symbols)`` of equity.
    """

    name = "sma_cross"
    Params = SmaCrossParams
    average: ClassVar[str] = "sma"
    """The moving average both windows use (``ema_cross`` subclasses with ``"ema"``)."""
    tags: ClassVar[tuple[str, str]] = ("fast>slow", "fast<=slow")

    # Around the windows of Brock, Lakonishok & LeBaron (1992: fast 1-5 against slow 50-200):
    # fast 5-100 by 5, slow 20-300 by 10; fast >= slow is refused (81 of the 580 points).
    search_space = MappingProxyType({"fast": IntRange(5, 100, 5), "slow": IntRange(20, 300, 10)})

    def on_start(self, ctx: StrategyContext) -> None:
        p = self.params
        assert isinstance(p, SmaCrossParams)  # noqa: S101  # narrowing for mypy
        self._fast: dict[str, IndicatorHandle] = {}
        self._slow: dict[str, IndicatorHandle] = {}
        for symbol in ctx.symbols:
            self._fast[symbol] = ctx.indicator(self.average, symbol=symbol, period=p.fast)
            self._slow[symbol] = ctx.indicator(self.average, symbol=symbol, period=p.slow)
        self._size = p.weight / len(ctx.symbols)
        self._short = p.mode == "long_short"
        self._state: dict[str, bool] = {}

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        slow = self._slow[bar.symbol]
        if not slow.ready:
            return
        up = self._fast[bar.symbol].value > slow.value
        if self._state.get(bar.symbol) is up:
            return  # trade on a change of signal only; positions are not rebalanced in between
        self._state[bar.symbol] = up
        if up:
            ctx.target_percent(bar.symbol, self._size, tag=self.tags[0])
        else:
            ctx.target_percent(bar.symbol, -self._size if self._short else 0.0, tag=self.tags[1])
