"""Buy and hold: the benchmark every other strategy must beat after costs."""

from __future__ import annotations

from pydantic import Field

from alphaforge.domain.market import Bar
from alphaforge.strategies.base import Strategy, StrategyParams
from alphaforge.strategies.context import StrategyContext
from alphaforge.strategies.registry import register

__all__ = ["BuyAndHold"]


class BuyAndHoldParams(StrategyParams):
    """Parameters of :class:`BuyAndHold`."""

    weight: float = Field(1.0, gt=0, le=1, description="Fraction of equity to invest.")


@register
class BuyAndHold(Strategy):
    """Invest ``weight`` of equity, split equally over the symbols, at the first bar; then hold.

    Data: any bars. Assumptions: orders fill by the run's fill rule (next open by default), so
    the position is taken at the second bar's open; nothing is rebalanced afterwards.
    """

    name = "buy_and_hold"

    Params = BuyAndHoldParams
    # No search space: the benchmark has no knob; `weight` is capital, not a signal.

    def on_start(self, ctx: StrategyContext) -> None:
        self._bought: set[str] = set()

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        if bar.symbol in self._bought:
            return
        self._bought.add(bar.symbol)
        assert isinstance(self.params, BuyAndHoldParams)  # noqa: S101  # narrowing for mypy
        weight = self.params.weight
        ctx.target_percent(bar.symbol, weight / len(ctx.symbols), tag="buy_and_hold")
