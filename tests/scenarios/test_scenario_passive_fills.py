"""Scenarios through ``backtest()``: limit orders rest and fill passively, on bars and on trades.

Synthetic known-answer data. Bars: a buy limit at 99.00 and a market buy are sent at the close of
bar 0 (100.00); bar 1 stays above, touches or trades through 99.00. Trades: a bid at 100.00
joins the book that the trades show (last seller-initiated trade at 100.00) behind an assumed
queue; the sells that follow at 100.00 use up the queue before they reach it, and a sell at
99.99 (through its price) fills the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from alphaforge.domain.enums import OrderSide
from alphaforge.domain.market import Bar, TradeTick
from alphaforge.runtime import backtest
from alphaforge.strategies import Strategy, StrategyContext

FIRST = (100.00, 100.50, 99.50, 100.00)


class _LimitAndMarket(Strategy):
    """After bar 0: a buy limit 10 at 99.00 and a market buy 5."""

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        if ctx.history(bar.symbol).size == 1:
            ctx.order("AAA", OrderSide.BUY, 10, limit_price=99.0, tag="limit")
            ctx.order("AAA", OrderSide.BUY, 5, tag="market")


def _bars(second: tuple[float, float, float, float]) -> dict[str, pd.DataFrame]:
    index = pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC")
    rows = [FIRST, second, (100.00, 100.50, 99.50, 100.00)]
    frame = pd.DataFrame(rows, index=index, columns=["open", "high", "low", "close"])
    return {"AAA": frame.assign(volume=1_000_000.0)}


@dataclass(frozen=True)
class BarCase:
    name: str
    bar: tuple[float, float, float, float]
    limit_fill: str
    limit_filled: bool


BAR_CASES = [
    BarCase("not reached", (100.00, 101.00, 99.50, 100.50), "through", False),
    BarCase("touched", (100.00, 101.00, 99.00, 100.50), "through", False),
    BarCase("touched, touch mode", (100.00, 101.00, 99.00, 100.50), "touch", True),
    BarCase("traded through", (100.00, 101.00, 98.99, 100.00), "through", True),
]


@pytest.mark.parametrize("case", BAR_CASES, ids=[c.name for c in BAR_CASES])
def test_a_resting_limit_fills_at_its_price_as_maker_on_bars(case: BarCase) -> None:
    result = backtest(
        _LimitAndMarket,
        _bars(case.bar),
        commission_bps=10,
        maker_commission_bps=-1,  # a rebate on passive fills
        slippage_bps=0,
        limit_fill=case.limit_fill,  # type: ignore[arg-type]
    )
    fills = result.fills.set_index("client_order_id")
    tags = result.orders.set_index("client_order_id")["tag"]
    by_tag = {tags[i]: row for i, row in fills.iterrows()}
    market = by_tag["market"]  # market orders still fill at the next open, as taker
    assert (market["price"], market["liquidity"], market["fee"]) == (100.0, "taker", 0.5)
    if not case.limit_filled:
        assert "limit" not in by_tag
        return
    limit = by_tag["limit"]
    # 10 x 99.00 = 990.00 of notional earns the 1 bp rebate: -0.099
    assert (limit["price"], limit["liquidity"], limit["fee"]) == (99.0, "maker", -0.099)


SECOND = pd.Timedelta(seconds=20)
# (id, aggressor, price, amount): the bid at 100.00 is placed on trade 2 (after the book showed
# bid 100.00 and ask 100.02), then sellers hit 100.00 again and again, and finally go through it.
TRADE_ROWS = [
    (1, "sell", 100.00, 5.0),
    (2, "buy", 100.02, 3.0),
    (3, "sell", 100.00, 12.0),
    (4, "sell", 100.00, 15.0),
    (5, "buy", 100.02, 4.0),
    (6, "sell", 100.00, 7.0),
    (7, "sell", 100.00, 2.0),
    (8, "sell", 99.99, 9.0),
    (9, "buy", 100.01, 1.0),
]


def _trades() -> dict[str, pd.DataFrame]:
    index = pd.DatetimeIndex([pd.Timestamp("2024-01-01", tz="UTC") + i * SECOND for i in range(9)])
    frame = pd.DataFrame(TRADE_ROWS, index=index, columns=["id", "side", "price", "amount"])
    return {"AAA": frame}


class _Bid(Strategy):
    """On trade 2: a bid for 10 at 100.00; records what each trade saw."""

    def on_start(self, ctx: StrategyContext) -> None:
        self.seen: list[tuple[str, Decimal]] = []

    def on_trade(self, trade: TradeTick, ctx: StrategyContext) -> None:
        self.seen.append((trade.trade_id, ctx.portfolio.quantity("AAA")))
        if trade.trade_id == "2":
            ctx.order("AAA", OrderSide.BUY, 10, limit_price=100.0)


@dataclass(frozen=True)
class TickCase:
    name: str
    queue_ahead: float | None
    fills: tuple[tuple[str, float, str], ...]  # (trade id, quantity, reason)


TICK_CASES = [
    # unknown queue: only the trade through 100.00 fills the bid
    TickCase("queue unknown", None, (("8", 10.0, "limit traded through"),)),
    # 30 ahead: trades 3, 4 and 6 use up 12 + 15 + 3; 4 of trade 6 and 2 of trade 7 reach us
    TickCase(
        "30 ahead",
        30.0,
        (
            ("6", 4.0, "limit filled from the queue"),
            ("7", 2.0, "limit filled from the queue"),
            ("8", 4.0, "limit traded through"),
        ),
    ),
    TickCase("front of the queue", 0.0, (("3", 10.0, "limit filled from the queue"),)),
]


@pytest.mark.parametrize("case", TICK_CASES, ids=[c.name for c in TICK_CASES])
def test_a_resting_bid_fills_only_after_the_queue_ahead_has_traded(case: TickCase) -> None:
    strat = _Bid()
    kwargs: dict[str, Any] = {"commission_bps": 0, "slippage_bps": 0}
    result = backtest(strat, _trades(), queue_ahead=case.queue_ahead, **kwargs)
    stamp = {str(row[0]): _trades()["AAA"].index[i] for i, row in enumerate(TRADE_ROWS)}
    got = [
        (row.ts, row.quantity, row.price, row.liquidity, row.reason)
        for row in result.fills.itertuples()
    ]
    want = [(stamp[i], q, 100.0, "maker", why) for i, q, why in case.fills]
    assert got == want
    # on_trade of the filling trade already sees the position it made
    first_id, first_qty, _ = case.fills[0]
    assert dict(strat.seen)[first_id] == Decimal(str(first_qty))
