"""RSI mean reversion: buy when RSI is oversold, sell when it has recovered."""

from __future__ import annotations

from types import MappingProxyType

from pydantic import Field, model_validator

from alphaforge.domain.market import Bar
from alphaforge.strategies.base import Strategy, StrategyParams
from alphaforge.strategies.context import IndicatorHandle, StrategyContext
from alphaforge.strategies.registry import register
from alphaforge.strategies.space import FloatRange, IntRange

__all__ = ["RsiReversion"]


class RsiReversionParams(StrategyParams):
    """Parameters of :class:`RsiReversion`."""

    period: int = Field(14, ge=2, description="RSI lookback (Wilder smoothing).")
    lower: float = Field(30.0, gt=0, lt=100, description="Enter long when RSI falls below this.")
    upper: float = Field(70.0, gt=0, lt=100, description="Exit when RSI rises above this.")
    weight: float = Field(1.0, gt=0, le=1, description="Fraction of equity per position.")
    trend_period: int = Field(
        0, ge=0, description="Enter only while close > SMA(trend_period); 0 = no trend filter."
    )
    max_hold: int = Field(
        0, ge=0, description="Exit after this many bars in the trade; 0 = no time stop."
    )

    @model_validator(mode="after")
    def _ordered(self) -> RsiReversionParams:
        if self.lower >= self.upper:
            raise ValueError(f"lower ({self.lower}) must be below upper ({self.upper})")
        if self.trend_period == 1:
            raise ValueError("trend_period must be 0 (off) or at least 2, got 1")
        return self


@register
class RsiReversion(Strategy):
    """Go long ``weight`` of equity when RSI(period) < lower; go flat when RSI > upper.

    Wilder's RSI (Wilder, 1978, "New Concepts in Technical Trading Systems") read as a
    mean-reversion signal, long only. Between the thresholds the position is kept.

    Two optional refinements, both off by default (so the defaults keep the original rule):

    * ``trend_period``: a trend filter in the manner of Connors & Alvarez (2009, "Short Term
      Trading Strategies That Work"): enter only while the close is above SMA(trend_period)
      (200 in their book), so that dips are bought in up-trends only. It gates entries; exits
      are unchanged.
    * ``max_hold``: a time stop: exit on the close of the ``max_hold``-th bar after the entry
      decision if RSI has not recovered by then. After a time stop, a new entry waits until
      RSI has risen back to ``lower`` or above and falls below it again, so the stop is not
      undone on the next bar.

    Assumptions: short-term oversold readings revert. Data: close prices; each symbol trades on
    its own RSI with ``weight / len(symbols)`` of equity. The vector engine
    (``mode="vector"``) reproduces the defaults only, not the two refinements.
    """

    name = "rsi_reversion"
    Params = RsiReversionParams

    # From Connors & Alvarez's RSI(2) bought below 10 to Wilder's RSI(14) at 30/70: period
    # 2-30, lower 10-40 and upper 60-90 by 5. The two refinements stay off unless set by hand.
    search_space = MappingProxyType(
        {
            "period": IntRange(2, 30, 2),
            "lower": FloatRange(10.0, 40.0, 5.0),
            "upper": FloatRange(60.0, 90.0, 5.0),
        }
    )

    def on_start(self, ctx: StrategyContext) -> None:
        p = self.params
        assert isinstance(p, RsiReversionParams)  # noqa: S101  # narrowing for mypy
        self._p = p
        self._rsi: dict[str, IndicatorHandle] = {
            s: ctx.indicator("rsi", symbol=s, period=p.period) for s in ctx.symbols
        }
        self._trend: dict[str, IndicatorHandle] = {}
        if p.trend_period:
            self._trend = {
                s: ctx.indicator("sma", symbol=s, period=p.trend_period) for s in ctx.symbols
            }
        self._size = p.weight / len(ctx.symbols)
        self._long: dict[str, bool] = {}
        self._held: dict[str, int] = {}  # bars since the entry decision
        self._armed: dict[str, bool] = {}  # False after a time stop until RSI >= lower

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        rsi = self._rsi[bar.symbol]
        if not rsi.ready:
            return
        p, symbol = self._p, bar.symbol
        if self._long.get(symbol, False):
            self._held[symbol] += 1
            if rsi.value > p.upper:
                self._exit(symbol, ctx, "rsi>upper")
            elif p.max_hold and self._held[symbol] >= p.max_hold:
                self._armed[symbol] = False
                self._exit(symbol, ctx, "max_hold")
            return
        if not self._armed.get(symbol, True):
            self._armed[symbol] = rsi.value >= p.lower
        if rsi.value < p.lower and self._armed.get(symbol, True) and self._uptrend(bar):
            self._long[symbol] = True
            self._held[symbol] = 0
            ctx.target_percent(symbol, self._size, tag="rsi<lower")

    def _exit(self, symbol: str, ctx: StrategyContext, tag: str) -> None:
        self._long[symbol] = False
        ctx.target_percent(symbol, 0.0, tag=tag)

    def _uptrend(self, bar: Bar) -> bool:
        """True without a trend filter; else is the close above its trend SMA (once ready)?"""
        if not self._trend:
            return True
        sma = self._trend[bar.symbol]
        return sma.ready and bar.close > sma.value
