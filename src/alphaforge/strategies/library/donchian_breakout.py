"""Donchian channel breakout (the Turtles' rule): buy new highs, sell new lows."""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal

from pydantic import Field

from alphaforge.domain.market import Bar
from alphaforge.strategies.base import Strategy, StrategyParams
from alphaforge.strategies.context import IndicatorHandle, StrategyContext
from alphaforge.strategies.registry import register
from alphaforge.strategies.space import IntRange

__all__ = ["DonchianBreakout"]

_Channels = tuple[float, float, float, float]  # entry high, entry low, exit high, exit low


class DonchianBreakoutParams(StrategyParams):
    """Parameters of :class:`DonchianBreakout`."""

    entry_period: int = Field(
        55, ge=1, description="Enter on a close beyond the extreme of this many prior bars."
    )
    exit_period: int = Field(
        20, ge=1, description="Exit on a close beyond the opposite extreme of this many bars."
    )
    mode: Literal["long_only", "long_short"] = Field(
        "long_only", description="long_only: trade upside breakouts; long_short: both sides."
    )
    weight: float = Field(1.0, gt=0, le=1, description="Fraction of equity per position.")


@register
class DonchianBreakout(Strategy):
    """Go long ``weight`` of equity on a close above the highest high of the prior
    ``entry_period`` bars; exit on a close below the lowest low of the prior ``exit_period``.

    Idea: Richard Donchian's channel breakout, as the Turtle traders ran it (Faith, 2007, "Way
    of the Turtle", ch. 4; the defaults 55/20 are the Turtles' System 2, which takes every
    breakout). A close beyond the channel says a trend has begun; a close through the shorter
    opposite channel says it is over. In ``long_short`` mode a close below the prior
    ``entry_period`` lows goes short, and a close above the prior ``exit_period`` highs covers
    (an exit and an opposite entry on one bar reverse the position).

    The channels are those of the bars *before* the current one: the current bar's own high
    can never be exceeded by its close, so including it would make a breakout impossible (and
    a channel that included later bars would be look-ahead). Unlike the Turtles, positions are
    a fixed ``weight`` of equity, not sized by volatility (ATR "units"), with no pyramiding and
    no 2-ATR stop.

    Assumptions: markets trend, and the few large trends pay for the many false breakouts.
    Data: high, low and close of each symbol (close-only data sets are refused); each is
    traded on its own channel with ``weight / len(symbols)`` of equity. ``long_short`` needs
    ``allow_short``.
    """

    name = "donchian_breakout"
    Params = DonchianBreakoutParams
    needs = frozenset({"high", "low", "close"})

    # The Turtles' System 1 (20/10) and System 2 (55/20) inside: entry 20-100, exit 10-50 bars.
    search_space = MappingProxyType(
        {"entry_period": IntRange(20, 100, 5), "exit_period": IntRange(10, 50, 5)}
    )

    def on_start(self, ctx: StrategyContext) -> None:
        p = self.params
        assert isinstance(p, DonchianBreakoutParams)  # noqa: S101  # narrowing for mypy
        self._entry: dict[str, IndicatorHandle] = {}
        self._exit: dict[str, IndicatorHandle] = {}
        for s in ctx.symbols:
            self._entry[s] = ctx.indicator("donchian", symbol=s, period=p.entry_period)
            self._exit[s] = ctx.indicator("donchian", symbol=s, period=p.exit_period)
        self._size = p.weight / len(ctx.symbols)
        self._short = p.mode == "long_short"
        self._prior: dict[str, _Channels | None] = {}  # the channels as of the previous bar
        self._state: dict[str, int] = {s: 0 for s in ctx.symbols}  # +1 long, -1 short, 0 flat

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        symbol = bar.symbol
        entry, exit_ = self._entry[symbol], self._exit[symbol]
        prior = self._prior.get(symbol)
        if entry.ready and exit_.ready:
            self._prior[symbol] = (entry["upper"], entry["lower"], exit_["upper"], exit_["lower"])
        if prior is None:
            return  # the channels of the prior bars are not known yet
        high_in, low_in, high_out, low_out = prior
        close = bar.close
        state = new = self._state[symbol]
        tag = ""
        if state == 1 and close < low_out:
            new, tag = 0, "close<exit low"
        elif state == -1 and close > high_out:
            new, tag = 0, "close>exit high"
        if new == 0 and close > high_in:
            new, tag = 1, "close>entry high"
        elif new == 0 and self._short and close < low_in:
            new, tag = -1, "close<entry low"
        if new == state:
            return
        self._state[symbol] = new
        ctx.target_percent(symbol, new * self._size, tag=tag)
