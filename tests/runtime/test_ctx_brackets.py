"""ctx.bracket and ctx.protect: exits that wait for the entry and cancel each other, through the
whole kernel on the real S&P 500 (January 2018 rose 7 %, early February fell 10 %)."""

from __future__ import annotations

from typing import Any

import pytest

from alphaforge.domain.enums import OrderSide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.market import Bar
from alphaforge.runtime import backtest
from alphaforge.strategies import Strategy, StrategyContext


class _Bracketed(Strategy):
    def __init__(self, **exits: Any) -> None:
        super().__init__()
        self.exits = exits
        self.ids: list[str] = []

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        if not self.ids:
            self.ids = ctx.bracket(bar.symbol, OrderSide.BUY, 10, **self.exits)


def _run(strategy: Strategy) -> Any:
    return backtest(strategy, "spx_daily", start="2018-01-02", end="2018-03-30",
                    commission_bps=0, slippage_bps=0)  # fmt: skip


def test_take_profit_fills_and_cancels_the_stop() -> None:
    strat = _Bracketed(stop_loss=2500.0, take_profit=2800.0)
    result = _run(strat)
    orders = result.orders.set_index("client_order_id")
    entry, stop, target = strat.ids
    assert orders.loc[entry, "status"] == "filled"
    assert orders.loc[target, "status"] == "filled"
    assert orders.loc[stop, "status"] == "canceled"
    exit_fill = result.fills[result.fills["client_order_id"] == target].iloc[0]
    assert exit_fill["price"] == 2800.0  # a resting limit fills at its price
    assert exit_fill["ts"].month == 1


def test_a_trailing_stop_follows_the_rally_then_exits_in_the_fall() -> None:
    strat = _Bracketed(trailing_offset=100.0)
    result = _run(strat)
    orders = result.orders.set_index("client_order_id")
    entry, stop = strat.ids
    assert orders.loc[entry, "status"] == "filled"
    assert orders.loc[stop, "status"] == "filled"
    sell = result.fills[result.fills["client_order_id"] == stop].iloc[0]
    peak = result.prices["SPX"].loc[: sell["ts"], "high"].max()
    assert sell["price"] <= peak - 100.0  # triggered 100 points under the best price
    assert sell["ts"].month == 2
    assert result.fills["side"].tolist() == ["buy", "sell"]


class _Protected(Strategy):
    def on_start(self, ctx: StrategyContext) -> None:
        self.ids: list[str] = []

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        if not ctx.open_orders() and not ctx.portfolio.positions() and not self.ids:
            ctx.target_quantity(bar.symbol, 10)
        elif ctx.portfolio.positions() and not self.ids:
            self.ids = ctx.protect(bar.symbol, stop_loss=2700.0)


def test_protect_puts_a_stop_on_the_position_held() -> None:
    strat = _Protected()
    result = _run(strat)
    (stop,) = strat.ids
    fill = result.fills[result.fills["client_order_id"] == stop].iloc[0]
    assert fill["side"] == "sell"
    assert fill["quantity"] == 10
    assert fill["price"] <= 2700.0  # a stop fills at its trigger or worse (gap through it)


class _Huge(Strategy):
    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        if ctx.now.day == 2 and ctx.now.month == 1:
            ctx.bracket(bar.symbol, OrderSide.BUY, 1_000_000, stop_loss=2000.0)


def test_a_denied_entry_denies_its_exits_too() -> None:
    result = backtest(_Huge(), "spx_daily", start="2018-01-02", end="2018-01-31")
    assert result.orders["status"].tolist() == ["denied", "denied"]
    assert result.orders["reason"].str.startswith("max_position_weight").all()


def test_bad_exits_are_named() -> None:
    with pytest.raises(InvalidValueError, match="stop_loss or trailing_offset, not both"):
        _run(_Bracketed(stop_loss=2500.0, trailing_offset=50.0))
