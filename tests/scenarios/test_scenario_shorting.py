"""Scenarios: shorting switched off, unshortable instruments, and the short borrow fee.

Synthetic known-answer candles (daily, closing at 21:00 UTC from Monday 2024-01-01).
"""

from __future__ import annotations

from scenario_kit import Harness, candles, dec

from alphaforge.domain import Instrument, OrderIntent, OrderSide, OrderStatus
from alphaforge.execution import BorrowFee

FLAT = (50.00, 50.50, 49.50, 50.00)


def test_short_rejected_when_shorting_is_off() -> None:
    harness = Harness.of(allow_short=False)
    harness.play(candles([FLAT]))
    order = harness.submit(OrderIntent.market("AAA", OrderSide.SELL, 10))
    assert order.status is OrderStatus.REJECTED
    assert order.history[-1].reason == (
        "short selling is off: selling 10 AAA with a position of 0 (0 already offered) "
        "would open a short"
    )


def test_selling_what_is_held_is_allowed_and_pending_sells_count() -> None:
    bars = candles([FLAT, FLAT])
    harness = Harness.of(allow_short=False)
    harness.play(bars, at_close={0: [OrderIntent.market("AAA", OrderSide.BUY, 10)]})
    assert harness.broker.position("AAA") == 10
    first = harness.submit(OrderIntent.limit("AAA", OrderSide.SELL, 6, "60"))
    second = harness.submit(OrderIntent.limit("AAA", OrderSide.SELL, 6, "60"))
    assert first.status is OrderStatus.ACCEPTED
    assert second.status is OrderStatus.REJECTED
    assert "(6 already offered)" in (second.history[-1].reason or "")


def test_unshortable_instrument_rejected_even_when_shorting_is_on() -> None:
    harness = Harness.of(Instrument.equity("BBB", shortable=False), allow_short=True)
    harness.play(candles([FLAT], symbol="BBB"))
    order = harness.submit(OrderIntent.market("BBB", OrderSide.SELL, 1))
    assert order.history[-1].reason == "BBB cannot be sold short"


def test_reduce_only_that_would_not_reduce_is_rejected() -> None:
    harness = Harness.of()
    harness.play(candles([FLAT]))
    order = harness.submit(OrderIntent.market("AAA", OrderSide.SELL, 1, reduce_only=True))
    assert order.status is OrderStatus.REJECTED


def test_borrow_fee_accrues_per_calendar_day_on_the_short_value() -> None:
    # Short 100 sent at Thursday's close fills at Friday's open (50.00). The fee is charged at
    # each close for the midnights since the previous close, on the short value at that close:
    # Friday close 50 -> Monday close: 3 days * 100 * 50 * 3 % / 360 = 1.25;
    # Monday close 52 -> Tuesday close: 1 day * 100 * 52 * 3 % / 360 = 0.43333...
    thursday = (50.00, 50.50, 49.50, 50.00)
    friday = (50.00, 50.50, 49.50, 50.00)
    monday = (51.00, 52.50, 50.50, 52.00)
    tuesday = (52.00, 52.00, 50.50, 51.00)
    days = candles([thursday, friday])
    weekdays = candles([monday, tuesday], first_close=days[-1].ts_event + 3 * 86_400 * 10**9)
    bars = [*days, *weekdays]
    harness = Harness.of()
    fee = BorrowFee(0.03)
    charges = []
    previous = None
    for i, bar in enumerate(bars):
        harness.broker.process_bar(bar)
        position = float(harness.broker.position("AAA"))
        if previous is not None and previous[1] < 0:
            charges.append(fee.charge_between(previous[1] * previous[2], previous[0], bar.ts_event))
        previous = (bar.ts_event, position, bar.close)
        if i == 0:
            harness.submit(OrderIntent.market("AAA", OrderSide.SELL, 100))
    (fill,) = harness.fills
    assert fill.price == dec("50.00")
    assert charges == [1.25, 100 * 52 * 0.03 / 360]
    assert sum(charges) == 1.25 + 0.43333333333333335
