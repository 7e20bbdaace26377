"""A levered account that falls below maintenance margin is liquidated at the next open.

Real data: the S&P 500 in 2008, a constructed 2x long (equity 100,000, position 200,000). A run
that may lever margins stocks as a Reg T account does (50 % initial, maintenance half of that):
the call comes at the first close where equity is below 25 % of the position's value.
"""

from __future__ import annotations

from alphaforge.config import AlphaforgeConfig
from alphaforge.domain.market import Bar
from alphaforge.runtime import backtest
from alphaforge.strategies import Strategy, StrategyContext


class _TwoTimes(Strategy):
    def on_start(self, ctx: StrategyContext) -> None:
        self.done = False

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        if not self.done:
            self.done = True
            ctx.target_percent(bar.symbol, 2.0)


def test_a_margin_call_closes_the_position_at_the_next_open() -> None:
    result = backtest(
        _TwoTimes(), "spx_daily", start="2008-09-01", end="2008-12-31", max_position_weight=2,
        max_gross_leverage=2, fractional=True, slippage_bps=0, commission_bps=0,
        config=AlphaforgeConfig(),
    )  # fmt: skip
    orders = result.orders
    liquidations = orders[orders["tag"] == "liquidation"]
    assert len(liquidations) == 1
    assert liquidations["status"].iloc[0] == "filled"
    assert result.equity["gross"].iloc[-1] == 0  # flat after the liquidation
    last = result.trades.iloc[-1]
    assert "liquidation" in last["exit_reason"]
    # The call came on the first close where equity fell below 25 % of the position's value
    # (October 2008), and the liquidation filled at the next open.
    ratio = result.equity["equity"] / result.equity["gross"]
    called = liquidations["created"].iloc[0]
    assert called.date().isoformat() == "2008-10-27"  # quoted in docs/backtesting.md
    assert ratio[called] < 0.25
    assert (ratio[ratio.index < called] >= 0.25).all()
    assert result.fills["ts"].iloc[-1] > called


def test_an_unlevered_long_never_gets_a_call() -> None:
    result = backtest("buy_and_hold", "spx_daily", start="2008-01-01", end="2009-03-31",
                      config=AlphaforgeConfig())  # fmt: skip
    assert (result.orders["tag"] != "liquidation").all()
