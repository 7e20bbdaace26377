"""RSI mean reversion: buy when RSI is oversold, sell when it has recovered."""

from __future__ import annotations

from pydantic import Field, model_validator

from alphaforge.domain.market import Bar
from alphaforge.strategies.base import Strategy, StrategyParams
from alphaforge.strategies.context import IndicatorHandle, StrategyContext
from alphaforge.strategies.registry import register

__all__ = ["RsiReversion"]


class RsiReversionParams(StrategyParams):
    """Parameters of :class:`RsiReversion`."""

    period: int = Field(14, ge=2, description="RSI lookback (Wilder smoothing).")
    lower: float = Field(30.0, gt=0, lt=100, description="Enter long when RSI falls below this.")
    upper: float = Field(70.0, gt=0, lt=100, description="Exit when RSI rises above this.")
    weight: float = Field(1.0, gt=0, le=1, description="Fraction of equity per position.")

    @model_validator(mode="after")
    def _ordered(self) -> RsiReversionParams:
        if self.lower >= self.upper:
            raise ValueError(f"lower ({self.lower}) must be below upper ({self.upper})")
        return self


@register
class RsiReversion(Strategy):
    """Go long ``weight`` of equity when RSI(period) < lower; go flat when RSI > upper.

    Wilder's RSI (1978) read as a mean-reversion signal, long only. Between the thresholds the
    position is kept. Data: close prices; each symbol trades on its own RSI.
    """

    name = "rsi_reversion"
    Params = RsiReversionParams

    def on_start(self, ctx: StrategyContext) -> None:
        p = self.params
        assert isinstance(p, RsiReversionParams)  # noqa: S101  # narrowing for mypy
        self._p = p
        self._rsi: dict[str, IndicatorHandle] = {
            s: ctx.indicator("rsi", symbol=s, period=p.period) for s in ctx.symbols
        }
        self._size = p.weight / len(ctx.symbols)
        self._long: dict[str, bool] = {}

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        rsi = self._rsi[bar.symbol]
        if not rsi.ready:
            return
        long = self._long.get(bar.symbol, False)
        if not long and rsi.value < self._p.lower:
            self._long[bar.symbol] = True
            ctx.target_percent(bar.symbol, self._size, tag="rsi<lower")
        elif long and rsi.value > self._p.upper:
            self._long[bar.symbol] = False
            ctx.target_percent(bar.symbol, 0.0, tag="rsi>upper")
