"""Scenarios: IOC, FOK, DAY expiry and partial fills under the volume participation cap.

Synthetic known-answer candles with chosen volumes: with ``max_participation=0.1`` a bar of
volume 500 lets 50 units fill.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from scenario_kit import HOUR, Harness, candles, dec

from alphaforge.domain import OrderIntent, OrderSide, OrderStatus, TimeInForce

FIRST = (100.00, 100.50, 99.50, 100.00, 1000.0)


@dataclass(frozen=True)
class Case:
    name: str
    intent: OrderIntent
    fills: tuple[str, ...]  # quantities filled on bar 1
    status: OrderStatus
    cancel_reason: str | None


IOC, FOK = TimeInForce.IOC, TimeInForce.FOK


def market(quantity: int, tif: TimeInForce) -> OrderIntent:
    return OrderIntent.market("AAA", OrderSide.BUY, quantity, time_in_force=tif)


CASES = [
    Case("IOC partial, rest canceled", market(80, IOC), ("50",), OrderStatus.CANCELED,
         "IOC: 30 unfilled, canceled"),
    Case("IOC that fits fills all", market(40, IOC), ("40",), OrderStatus.FILLED, None),
    Case("FOK too large: nothing", market(80, FOK), (), OrderStatus.CANCELED,
         "FOK: only 50 of 80 could fill (participation cap)"),
    Case("FOK that fits: all", market(50, FOK), ("50",), OrderStatus.FILLED, None),
    # The low (98) trades through 99 later in the bar, but IOC only looks at the open (100).
    Case("IOC limit not marketable at the open",
         OrderIntent.limit("AAA", OrderSide.BUY, 10, "99", time_in_force=IOC), (),
         OrderStatus.CANCELED, "IOC: not marketable at open"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_immediate_orders(case: Case) -> None:
    bars = candles([FIRST, (100.00, 101.00, 98.00, 100.50, 500.0)])
    harness = Harness.of(max_participation=0.1)
    order = harness.play(bars, at_close={0: [case.intent]})[0][0]
    assert [f.quantity for f in harness.fills_of(order)] == [dec(q) for q in case.fills]
    assert order.status is case.status
    if case.cancel_reason is not None:
        assert order.history[-1].reason == case.cancel_reason
    assert harness.broker.open_orders() == []


def test_participation_cap_splits_a_market_order_across_bars() -> None:
    # 10 % of 1000, 800 and 2000: 100, 80, then the last 70 of 250, each at its bar's open.
    bars = candles(
        [
            FIRST,
            (101.00, 102.00, 100.00, 101.50, 1000.0),
            (102.00, 103.00, 101.00, 102.50, 800.0),
            (103.00, 104.00, 102.00, 103.50, 2000.0),
        ]
    )
    harness = Harness.of(max_participation=0.1)
    order = harness.play(bars, at_close={0: [OrderIntent.market("AAA", OrderSide.BUY, 250)]})[0][0]
    got = [(f.quantity, f.price, f.ts_event) for f in harness.fills_of(order)]
    assert got == [
        (dec(100), dec("101.00"), bars[1].ts_event),
        (dec(80), dec("102.00"), bars[2].ts_event),
        (dec(70), dec("103.00"), bars[3].ts_event),
    ]
    assert order.status is OrderStatus.FILLED
    assert order.avg_fill_px == (100 * dec(101) + 80 * dec(102) + 70 * dec(103)) / 250


def test_participation_cap_on_a_limit_keeps_the_rest_resting() -> None:
    bars = candles([FIRST, (100.00, 101.00, 98.00, 100.00, 300.0)])
    harness = Harness.of(max_participation=0.1)
    order = harness.play(bars, at_close={0: [OrderIntent.limit("AAA", OrderSide.BUY, 100, "99")]})[
        0
    ][0]
    assert [f.quantity for f in harness.fills_of(order)] == [dec(30)]
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert order.leaves_qty == 70


def test_day_order_expires_at_the_session_change() -> None:
    # Hourly bars: 19:00, 20:00, 21:00 on Jan 1, then 15:00 on Jan 2. A DAY buy limit at 90 sent
    # at the 19:00 close works the 20:00 and 21:00 bars, and expires when Jan 2 begins (stamped
    # with the last bar of its session). The same order GTC fills on Jan 2.
    day1 = candles(
        [(100.0, 100.5, 99.5, 100.0)] * 3,
        timeframe="1h",
        first_close=candles([FIRST])[0].ts_event - 2 * HOUR,
        step=HOUR,
    )
    day2 = candles(
        [(92.0, 93.0, 89.0, 91.0)], timeframe="1h", first_close=day1[-1].ts_event + 18 * HOUR
    )
    bars = [*day1, *day2]
    harness = Harness.of()
    day, gtc = harness.play(
        bars,
        at_close={
            0: [
                OrderIntent.limit("AAA", OrderSide.BUY, 10, "90", time_in_force=TimeInForce.DAY),
                OrderIntent.limit("AAA", OrderSide.BUY, 10, "90", time_in_force=TimeInForce.GTC),
            ]
        },
    )[0]
    assert day.status is OrderStatus.EXPIRED
    assert day.history[-1].ts == day1[-1].ts_event
    assert harness.kinds(day) == ["OrderAccepted", "OrderExpired"]
    assert gtc.status is OrderStatus.FILLED
    assert harness.fills_of(gtc)[0].price == dec("90.00")


def test_day_order_sent_after_the_close_works_the_next_session() -> None:
    # Daily bars: sent at Monday's close, it is a DAY order for Tuesday and expires on Wednesday.
    bars = candles([FIRST, (100.0, 101.0, 99.5, 100.5), (100.0, 100.5, 98.0, 99.0)])
    harness = Harness.of()
    intent = OrderIntent.limit("AAA", OrderSide.BUY, 10, "99", time_in_force=TimeInForce.DAY)
    order = harness.play(bars, at_close={0: [intent]})[0][0]
    assert order.status is OrderStatus.EXPIRED
    assert order.history[-1].ts == bars[1].ts_event
