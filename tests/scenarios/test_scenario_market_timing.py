"""Scenarios: when and at what price a market order fills (next open, at close, with costs).

Synthetic known-answer candles: three daily bars whose open, close and costs give round numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from scenario_kit import Harness, candles, dec

from alphaforge.domain import (
    RULE_612,
    Instrument,
    LiquiditySide,
    OrderIntent,
    OrderRejected,
    OrderSide,
    OrderStatus,
)
from alphaforge.execution import (
    BpsCommission,
    CompositeSlippage,
    SlippageBps,
    SlippageModel,
    SpreadModel,
)

BARS = candles(
    [
        (100.00, 101.00, 99.00, 100.50),
        (102.00, 104.00, 101.00, 103.00),
        (103.00, 105.00, 102.00, 104.00),
    ]
)


@dataclass(frozen=True)
class Case:
    name: str
    fill_mode: str
    side: OrderSide
    slippage: SlippageModel | None
    fill_bar: int  # the bar whose ts_event the fill carries
    price: str
    reason: str


CASES = [
    Case("next open buy", "next_open", OrderSide.BUY, None, 1, "102.00", "market at open"),
    Case("next open sell", "next_open", OrderSide.SELL, None, 1, "102.00", "market at open"),
    Case("at close buy", "close", OrderSide.BUY, None, 0, "100.50", "market at close"),
    # 10 bp slippage: 102 * 1.001 = 102.102 -> 102.10 on the cent grid; a sell pays it the
    # other way: 102 * 0.999 = 101.898 -> 101.90.
    Case(
        "slippage buy", "next_open", OrderSide.BUY, SlippageBps(10), 1, "102.10", "market at open"
    ),
    Case(
        "slippage sell", "next_open", OrderSide.SELL, SlippageBps(10), 1, "101.90", "market at open"
    ),
    # Half of a 4 bp spread plus 1 bp: 102 * (1 + 0.0002 + 0.0001) = 102.0306 -> 102.03.
    Case(
        "spread + slippage",
        "next_open",
        OrderSide.BUY,
        CompositeSlippage(SpreadModel(spread_bps=4), SlippageBps(1)),
        1,
        "102.03",
        "market at open",
    ),
    # At the close with 10 bp: 100.50 * 1.001 = 100.6005 -> 100.60.
    Case(
        "close + slippage", "close", OrderSide.BUY, SlippageBps(10), 0, "100.60", "market at close"
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_market_order_fill(case: Case) -> None:
    harness = Harness.of(fill_mode=case.fill_mode, slippage=case.slippage)
    intent = OrderIntent.market("AAA", case.side, 100)
    orders = harness.play(BARS, at_close={0: [intent]})
    order = orders[0][0]
    (fill,) = harness.fills_of(order)
    assert fill.price == dec(case.price)
    assert fill.quantity == 100
    assert fill.ts_event == BARS[case.fill_bar].ts_event
    assert fill.liquidity_side is LiquiditySide.TAKER
    assert harness.reason(fill) == case.reason
    assert order.status is OrderStatus.FILLED
    assert harness.kinds(order) == ["OrderAccepted", "OrderFilled"]


def test_next_open_never_fills_on_the_bar_it_was_sent() -> None:
    harness = Harness.of()
    harness.play(BARS[:1], at_close={0: [OrderIntent.market("AAA", OrderSide.BUY, 1)]})
    assert harness.fills == []  # only accepted: nothing later than the submit time has traded


def test_commission_on_a_market_fill() -> None:
    # 10 bp of 100 * 102.00 = 10.20.
    harness = Harness.of(commission=BpsCommission(10))
    harness.play(BARS, at_close={0: [OrderIntent.market("AAA", OrderSide.BUY, 100)]})
    (fill,) = harness.fills
    assert fill.fee == dec("10.20")
    assert fill.fee_currency == "USD"


def test_rule_612_a_fill_takes_the_tick_of_its_own_price() -> None:
    # A stock crossing $1 (Rule 612: 0.0001 below, cents from $1.00), 10 bp slippage on buys:
    # 0.98765 * 1.001 = 0.98863765 -> 0.9886; 1.23456 * 1.001 = 1.23579456 -> 1.24; a limit of
    # 1.2345 is off the cent grid there and is rejected, 0.9995 below $1 is accepted.
    penny = Instrument.equity("AAA", tick_size="0.0001", tick_tiers=RULE_612)
    bars = candles(
        [
            (0.97, 0.99, 0.96, 0.98),
            (0.98765, 0.99, 0.98, 0.99),
            (1.20, 1.25, 1.19, 1.23),
            (1.23456, 1.30, 1.22, 1.28),
        ]
    )
    harness = Harness.of(penny, slippage=SlippageBps(10))
    buy = OrderIntent.market("AAA", OrderSide.BUY, 100)
    off_grid = OrderIntent.limit("AAA", OrderSide.BUY, 100, "1.2345")
    on_grid = OrderIntent.limit("AAA", OrderSide.BUY, 100, "0.9995")
    orders = harness.play(bars, at_close={0: [buy], 2: [buy, off_grid, on_grid]})
    assert [f.price for f in harness.fills] == [dec("0.9886"), dec("1.24")]
    assert orders[2][1].status is OrderStatus.REJECTED
    (rejected,) = [
        e
        for e in harness.events
        if isinstance(e, OrderRejected) and e.client_order_id == orders[2][1].client_order_id
    ]
    assert "not on the tick grid 0.01" in rejected.reason
    assert orders[2][2].status is OrderStatus.ACCEPTED  # waits below the market, on the fine grid
