"""Scenarios: passive limit orders (not touched, touched, traded through, marketable at open).

Synthetic known-answer candles: a buy limit at 99.00 (or a sell limit at 101.00) is sent at the
close of bar 0 (100.00); bar 1 is built to stay above, touch, trade through or gap through it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from scenario_kit import Candle, Harness, candles, dec

from alphaforge.domain import LiquiditySide, OrderIntent, OrderSide, OrderStatus
from alphaforge.execution import SlippageBps

FIRST = (100.00, 100.50, 99.50, 100.00)
BUY = OrderIntent.limit("AAA", OrderSide.BUY, 10, "99")
SELL = OrderIntent.limit("AAA", OrderSide.SELL, 10, "101")


@dataclass(frozen=True)
class Case:
    name: str
    intent: OrderIntent
    bar: Candle
    limit_fill: str
    fill: tuple[str, LiquiditySide, str] | None  # price, liquidity, reason
    status: OrderStatus


CASES = [
    Case("not touched", BUY, (100.00, 101.00, 99.50, 100.50), "through", None,
         OrderStatus.ACCEPTED),
    Case("touched, not traded through", BUY, (100.00, 101.00, 99.00, 100.50), "through", None,
         OrderStatus.ACCEPTED),
    Case("touched, touch mode", BUY, (100.00, 101.00, 99.00, 100.50), "touch",
         ("99.00", LiquiditySide.MAKER, "limit touched"), OrderStatus.FILLED),
    Case("traded through", BUY, (100.00, 101.00, 98.99, 100.00), "through",
         ("99.00", LiquiditySide.MAKER, "limit traded through"), OrderStatus.FILLED),
    Case("marketable at the open (gap down)", BUY, (98.00, 99.50, 97.50, 99.00), "through",
         ("98.00", LiquiditySide.TAKER, "limit marketable at open"), OrderStatus.FILLED),
    Case("sell touched, not traded through", SELL, (100.00, 101.00, 99.50, 100.50), "through",
         None, OrderStatus.ACCEPTED),
    Case("sell traded through", SELL, (100.00, 101.20, 99.50, 101.00), "through",
         ("101.00", LiquiditySide.MAKER, "limit traded through"), OrderStatus.FILLED),
    Case("sell marketable at the open (gap up)", SELL, (102.00, 102.50, 101.50, 102.00),
         "through", ("102.00", LiquiditySide.TAKER, "limit marketable at open"),
         OrderStatus.FILLED),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_limit_order(case: Case) -> None:
    harness = Harness.of(limit_fill=case.limit_fill)
    order = harness.play(candles([FIRST, case.bar]), at_close={0: [case.intent]})[0][0]
    fills = harness.fills_of(order)
    if case.fill is None:
        assert fills == []
    else:
        (fill,) = fills
        price, liquidity, reason = case.fill
        assert (fill.price, fill.liquidity_side, harness.reason(fill)) == (
            dec(price),
            liquidity,
            reason,
        )
    assert order.status is case.status


def test_marketable_limit_pays_slippage_but_never_more_than_its_limit() -> None:
    # Gap to 98.95 under a 99.00 buy limit, 10 bp of slippage: 98.95 * 1.001 = 99.04895,
    # capped at the limit 99.00.
    harness = Harness.of(slippage=SlippageBps(10))
    harness.play(candles([FIRST, (98.95, 99.50, 98.50, 99.20)]), at_close={0: [BUY]})
    (fill,) = harness.fills
    assert fill.price == dec("99.00")


def test_passive_fill_pays_no_slippage() -> None:
    harness = Harness.of(slippage=SlippageBps(50))
    harness.play(candles([FIRST, (100.00, 101.00, 98.00, 100.00)]), at_close={0: [BUY]})
    (fill,) = harness.fills
    assert (fill.price, fill.liquidity_side) == (dec("99.00"), LiquiditySide.MAKER)
