"""Momentum with confirmation: MACD above signal, RSI in a band, volume above its average."""

from __future__ import annotations

from types import MappingProxyType

from pydantic import Field, model_validator

from alphaforge.domain.market import Bar
from alphaforge.strategies.base import Strategy, StrategyParams
from alphaforge.strategies.context import IndicatorHandle, StrategyContext
from alphaforge.strategies.registry import register
from alphaforge.strategies.space import FloatRange, IntRange

__all__ = ["Momentum"]


class MomentumParams(StrategyParams):
    """Parameters of :class:`Momentum`."""

    fast: int = Field(12, ge=1, description="Bars in the fast EMA of the MACD line.")
    slow: int = Field(26, ge=2, description="Bars in the slow EMA of the MACD line.")
    signal: int = Field(9, ge=1, description="Bars in the MACD signal line.")
    rsi_period: int = Field(14, ge=2, description="RSI lookback (Wilder smoothing).")
    rsi_floor: float = Field(50.0, gt=0, lt=100, description="Enter only with RSI above this.")
    rsi_cap: float = Field(70.0, gt=0, lt=100, description="Enter only with RSI below this.")
    rsi_exit: float = Field(80.0, gt=0, lt=100, description="Exit when RSI rises above this.")
    volume_period: int = Field(
        20, ge=1, description="Bars in the average volume (the bars before the current one)."
    )
    volume_factor: float = Field(
        1.0, gt=0, description="Enter only with volume above this multiple of its average."
    )
    weight: float = Field(1.0, gt=0, le=1, description="Fraction of equity per position.")

    @model_validator(mode="after")
    def _consistent(self) -> MomentumParams:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be shorter than slow ({self.slow})")
        if not self.rsi_floor < self.rsi_cap <= self.rsi_exit:
            raise ValueError(
                f"need rsi_floor < rsi_cap <= rsi_exit, got rsi_floor={self.rsi_floor}, "
                f"rsi_cap={self.rsi_cap}, rsi_exit={self.rsi_exit}"
            )
        return self


@register
class Momentum(Strategy):
    """Go long ``weight`` of equity on confirmed momentum; exit when it fades or overheats.

    Enter (from flat) on a bar's close when all three agree:

    * trend: the MACD line is above its signal line (Appel, 1979, "The Moving Average
      Convergence-Divergence Trading Method");
    * strength without excess: ``rsi_floor < RSI < rsi_cap`` (Wilder, 1978, "New Concepts in
      Technical Trading Systems"): above 50 the average gain beats the average loss, below 70
      the move is not yet overbought, so the entry is not bought at a short-term top;
    * participation: volume above ``volume_factor`` times its average over the
      ``volume_period`` bars *before* this one (the bar is not compared with itself), the
      classic "volume confirms the price" tenet (Granville, 1963, "Granville's New Key to Stock
      Market Profits"; Murphy, 1999, "Technical Analysis of the Financial Markets", ch. 7).

    Exit when the MACD line falls below its signal (the momentum is gone) or RSI rises above
    ``rsi_exit`` (overheated: take the gain before the usual pullback). The defaults are the
    textbook settings of each indicator (12/26/9, RSI 14 with its 50 midline and 70 overbought
    line, a 20-bar volume average, i.e. about a trading month); ``rsi_exit=80`` sits above the
    entry cap so that an ordinary advance after entry does not close the trade at once.

    Assumptions: price momentum confirmed by volume persists for a while (Lee & Swaminathan,
    2000, "Price Momentum and Trading Volume", Journal of Finance 55(5), on the cross-section).
    Long only; orders go out on entries and exits only. Data: close and volume (the volume
    must mean something: traded shares or contracts, or tick counts for FX); each symbol is
    traded on its own signal with ``weight / len(symbols)`` of equity.
    """

    name = "momentum"
    Params = MomentumParams
    needs = frozenset({"close", "volume"})

    # The confirmation filters around their textbook values (RSI cap 70, exit 80, a month of
    # volume, volume above its average); the MACD windows are macd_cross's to tune.
    search_space = MappingProxyType(
        {
            "rsi_cap": FloatRange(60.0, 80.0, 5.0),
            "rsi_exit": FloatRange(70.0, 90.0, 5.0),
            "volume_period": IntRange(10, 50, 10),
            "volume_factor": FloatRange(1.0, 2.0, 0.25),
        }
    )

    def on_start(self, ctx: StrategyContext) -> None:
        p = self.params
        assert isinstance(p, MomentumParams)  # noqa: S101  # narrowing for mypy
        self._p = p
        self._macd: dict[str, IndicatorHandle] = {}
        self._rsi: dict[str, IndicatorHandle] = {}
        for s in ctx.symbols:
            self._macd[s] = ctx.indicator(
                "macd", symbol=s, fast_period=p.fast, slow_period=p.slow, signal_period=p.signal
            )
            self._rsi[s] = ctx.indicator("rsi", symbol=s, period=p.rsi_period)
        self._size = p.weight / len(ctx.symbols)
        self._long: dict[str, bool] = {}

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        macd, rsi = self._macd[bar.symbol], self._rsi[bar.symbol]
        if not (macd.ready and rsi.ready):
            return
        p = self._p
        rising = macd["macd"] > macd["signal"]
        if self._long.get(bar.symbol, False):
            if not rising or rsi.value > p.rsi_exit:
                self._long[bar.symbol] = False
                tag = "macd<=signal" if not rising else "rsi>exit"
                ctx.target_percent(bar.symbol, 0.0, tag=tag)
            return
        if rising and p.rsi_floor < rsi.value < p.rsi_cap and self._loud(bar, ctx):
            self._long[bar.symbol] = True
            ctx.target_percent(bar.symbol, self._size, tag="momentum confirmed")

    def _loud(self, bar: Bar, ctx: StrategyContext) -> bool:
        """Is this bar's volume above ``volume_factor`` x the average of the bars before it?"""
        n = self._p.volume_period
        before = ctx.history(bar.symbol, "volume", n + 1)[:-1]
        if len(before) < n:
            return False
        return float(bar.volume) > self._p.volume_factor * float(before.mean())
