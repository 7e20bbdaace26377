"""MACD crossover: long while the MACD line is above its signal line."""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal

from pydantic import Field, model_validator

from alphaforge.domain.market import Bar
from alphaforge.strategies.base import Strategy, StrategyParams
from alphaforge.strategies.context import IndicatorHandle, StrategyContext
from alphaforge.strategies.registry import register
from alphaforge.strategies.space import IntRange

__all__ = ["MacdCross"]


class MacdCrossParams(StrategyParams):
    """Parameters of :class:`MacdCross`."""

    fast: int = Field(12, ge=1, description="Bars in the fast EMA of the MACD line.")
    slow: int = Field(26, ge=2, description="Bars in the slow EMA of the MACD line.")
    signal: int = Field(9, ge=1, description="Bars in the EMA of the MACD line (signal line).")
    mode: Literal["long_only", "long_short"] = Field(
        "long_only", description="long_only: flat when MACD <= signal; long_short: short then."
    )
    weight: float = Field(1.0, gt=0, le=1, description="Fraction of equity per position.")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> MacdCrossParams:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be shorter than slow ({self.slow})")
        return self


@register
class MacdCross(Strategy):
    """Hold ``weight`` of equity long while MACD > signal; flat (or short) otherwise.

    Idea: Gerald Appel's moving average convergence/divergence (Appel, 1979, "The Moving Average
    Convergence-Divergence Trading Method"; Appel, 2005, "Technical Analysis: Power Tools for
    Active Investors"). The MACD line is EMA(fast) - EMA(slow) of the close; the signal line is
    an EMA of the MACD line. The MACD line crossing above its signal means the short-term trend
    is accelerating against the longer one: go long; crossing below: step aside (or go short).
    The defaults 12/26/9 are Appel's.

    Orders go out when the signal changes (including the first bar the signal line is ready,
    ``slow + signal - 2`` bars in, TA-Lib's alignment); between changes the position is held.

    Assumptions: momentum in the trend persists beyond the bar that signals it; the rule flips
    often (a few weeks per trade on daily data), so costs weigh more than for slower crossovers.
    Data: close prices; each symbol trades on its own MACD with ``weight / len(symbols)`` of
    equity. ``long_short`` needs ``allow_short``.
    """

    name = "macd_cross"
    Params = MacdCrossParams

    # Around Appel's 12/26/9 (and his faster 8/17/9 for buying): fast 4-20, slow 18-50,
    # signal 3-15.
    search_space = MappingProxyType(
        {"fast": IntRange(4, 20, 2), "slow": IntRange(18, 50, 4), "signal": IntRange(3, 15, 2)}
    )

    def on_start(self, ctx: StrategyContext) -> None:
        p = self.params
        assert isinstance(p, MacdCrossParams)  # noqa: S101  # narrowing for mypy
        self._macd: dict[str, IndicatorHandle] = {
            s: ctx.indicator(
                "macd", symbol=s, fast_period=p.fast, slow_period=p.slow, signal_period=p.signal
            )
            for s in ctx.symbols
        }
        self._size = p.weight / len(ctx.symbols)
        self._short = p.mode == "long_short"
        self._state: dict[str, bool] = {}

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        macd = self._macd[bar.symbol]
        if not macd.ready:
            return
        up = macd["macd"] > macd["signal"]
        if self._state.get(bar.symbol) is up:
            return  # trade on a change of signal only
        self._state[bar.symbol] = up
        if up:
            ctx.target_percent(bar.symbol, self._size, tag="macd>signal")
        else:
            ctx.target_percent(bar.symbol, -self._size if self._short else 0.0, tag="macd<=signal")
