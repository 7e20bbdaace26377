"""Trade ticks in backtests: the kernel feeds every trade to the broker and to ``on_trade``.

Runs on the bundled Binance XRP/ETH trades (2019-10-11 to 2019-10-13), alone and joined with the
1-minute bars of the same pair.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from alphaforge.data.bundled import load_dataset
from alphaforge.domain.enums import OrderSide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.fills import Fill
from alphaforge.domain.market import Bar, TradeTick
from alphaforge.runtime import backtest
from alphaforge.strategies import Strategy, StrategyContext

MINUTE = 60_000_000_000
TRADES = load_dataset("binance_xrpeth_trades")


class _Recorder(Strategy):
    """Buys 100 XRP on the first trade and logs every callback with what it saw."""

    def on_start(self, ctx: StrategyContext) -> None:
        self.log: list[tuple[Any, ...]] = []
        self.trades: list[TradeTick] = []
        self.history_sizes: list[int] = []

    def on_trade(self, trade: TradeTick, ctx: StrategyContext) -> None:
        self.trades.append(trade)
        self.log.append(("trade", trade.trade_id, ctx.portfolio.quantity(trade.symbol)))
        if len(self.trades) % 1000 == 1:
            prices = ctx.history(trade.symbol, "price", timeframe="tick")
            self.history_sizes.append(prices.size)
            assert prices[-1] == trade.price
        if len(self.trades) == 1:
            ctx.order(trade.symbol, OrderSide.BUY, 100)

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        self.log.append(("bar", bar.ts_event, bar.timeframe))

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> None:
        self.log.append(("fill", fill.ts_event, fill.quantity))


def test_trades_alone_reach_on_trade_in_order_and_fill_orders() -> None:
    strat = _Recorder()
    result = backtest(strat, "binance_xrpeth_trades", cash=10, commission_bps=0, slippage_bps=0)
    assert len(strat.trades) == len(TRADES)  # every trade, once
    ids = [int(t.trade_id) for t in strat.trades]
    assert ids == sorted(ids)
    assert strat.history_sizes == list(range(1, len(TRADES) + 1, 1000))
    # the market order sent on trade 0 fills at the next trade with a later stamp, at its price
    (fill,) = result.fills.itertuples()
    later = TRADES[TRADES.index > TRADES.index[0]].iloc[0]
    assert (fill.ts, fill.price) == (later.name, later["price"])
    # equity on a minute clock, marked at the last trade price of each minute
    stamps = result.equity.index.asi8
    assert (stamps % MINUTE == 0).all()
    assert (np.diff(stamps) > 0).all()
    last = TRADES["price"].iloc[-1]
    expected = 10 - 100 * fill.price + 100 * last
    assert result.equity["equity"].iloc[-1] == pytest.approx(expected, rel=1e-12)


def test_a_fill_reaches_on_fill_after_on_trade_of_the_trade_that_made_it() -> None:
    strat = _Recorder()
    backtest(strat, "binance_xrpeth_trades", cash=10, commission_bps=0, slippage_bps=0)
    at = next(i for i, entry in enumerate(strat.log) if entry[0] == "fill")
    kind, _, seen = strat.log[at - 1]
    # the trade that filled the order came first, and already saw the position it made
    assert (kind, seen) == ("trade", Decimal(100))
    assert strat.log[at - 2][2] == 0


def test_bars_and_trades_joined_fill_on_trades_and_record_on_bars() -> None:
    strat = _Recorder()
    result = backtest(strat, ["binance_xrpeth_1m", "binance_xrpeth_trades"], cash=10)
    bars = [entry for entry in strat.log if entry[0] == "bar"]
    assert len(bars) == len(load_dataset("binance_xrpeth_1m"))
    assert len(strat.trades) == len(TRADES)
    assert result.fills["ts"].iloc[0] in set(TRADES.index)  # filled by a trade, not a bar
    bar_closes = pd.DatetimeIndex([pd.Timestamp(ts, tz="UTC") for _, ts, _ in bars])
    assert result.equity.index.isin(bar_closes).sum() >= len(result.equity) - 1


def test_trades_alone_refuse_a_strategy_that_only_reads_bars() -> None:
    with pytest.raises(InvalidValueError, match=r"decides on bars.*only trades"):
        backtest("sma_cross", "binance_xrpeth_trades")


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"fill": "close"}, "fill='close' needs bars"),
        ({"fill": "passive"}, "already rest and fill passively"),
        ({"queue_ahead": -1.0}, "queue_ahead must be"),
    ],
)
def test_settings_that_trades_cannot_honour_are_refused(kwargs: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidValueError, match=words):
        backtest(_Recorder, "binance_xrpeth_trades", **kwargs)


def test_queue_ahead_without_trades_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="queue_ahead applies to trade data"):
        backtest("sma_cross", "binance_xrpeth_1m", queue_ahead=100.0)


def test_new_settings_at_their_defaults_keep_the_run_id() -> None:
    plain = backtest("sma_cross", "spx_daily", start="2018-01-01")
    assert "limit_fill" not in plain.settings["backtest"]
    touch = backtest("sma_cross", "spx_daily", start="2018-01-01", limit_fill="touch")
    assert touch.settings["backtest"]["limit_fill"] == "touch"
    assert touch.run_id != plain.run_id
