"""Bracket validation and the broker port helpers (apply_event, protocol conformance)."""

from __future__ import annotations

import pytest

from alphaforge.brokers import SimulatedBroker
from alphaforge.domain import (
    Fill,
    IllegalTransitionError,
    Instrument,
    InvalidValueError,
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderExpired,
    OrderFilled,
    OrderIntent,
    OrderRejected,
    OrderSide,
    OrderStatus,
)
from alphaforge.execution import Bracket, Broker, SupportsBrackets, apply_event

BUY, SELL = OrderSide.BUY, OrderSide.SELL


def order(intent: OrderIntent, cid: str) -> Order:
    return Order(intent, ts_init=0, client_order_id=cid)


def legs(
    qty: int = 10, side: OrderSide = SELL, stop: str = "95", target: str = "110"
) -> tuple[Order, Order]:
    return (
        order(OrderIntent.stop("AAA", side, qty, stop), "sl"),
        order(OrderIntent.limit("AAA", side, qty, target), "tp"),
    )


def test_valid_brackets() -> None:
    entry = order(OrderIntent.market("AAA", BUY, 10), "e")
    bracket = Bracket(entry, *legs())
    assert [o.client_order_id for o in bracket.orders] == ["e", "sl", "tp"]
    assert bracket.exit_side is SELL
    oco = Bracket.oco(*legs(side=BUY, stop="110", target="95"))
    assert oco.entry is None
    assert len(oco.exits) == 2
    target = legs()[1]
    assert Bracket(entry, None, target).exits == (target,)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Bracket(None), "needs a stop_loss"),
        (lambda: Bracket(order(OrderIntent.market("AAA", SELL, 10), "e"), *legs()), "opposite"),
        (lambda: Bracket(order(OrderIntent.market("AAA", BUY, 5), "e"), *legs()), "differs"),
        (lambda: Bracket(order(OrderIntent.market("BBB", BUY, 10), "e"), *legs()), "one symbol"),
        (lambda: Bracket(order(OrderIntent.market("AAA", BUY, 10), "sl"), *legs()), "distinct"),
        (lambda: Bracket.oco(*legs(stop="111")), "wrong sides"),
        (lambda: Bracket.oco(legs()[1], None), "stop_loss must be"),
        (lambda: Bracket.oco(None, legs()[0]), "take_profit must be"),
        (lambda: Bracket.oco(legs()[0], legs(qty=5)[1]), "quantities differ"),
    ],
)
def test_invalid_brackets(make: object, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        make()  # type: ignore[operator]


def test_simulated_broker_implements_the_port() -> None:
    broker = SimulatedBroker([Instrument.equity("AAA")])
    assert isinstance(broker, Broker)
    assert isinstance(broker, SupportsBrackets)


def test_apply_event_moves_the_order() -> None:
    o = order(OrderIntent.market("AAA", BUY, 10), "o")
    o.submit(1)
    common = {"ts_event": 2, "ts_init": 2, "client_order_id": "o", "symbol": "AAA"}
    apply_event(o, OrderAccepted(event_id="1", venue_order_id="V1", **common))
    fill = Fill.create(client_order_id="o", trade_id="T1", symbol="AAA", side=BUY, quantity=4,
                       price=100, ts_event=3, venue_order_id="V1")  # fmt: skip
    apply_event(o, OrderFilled.of(fill, event_id="2"))
    assert o.status is OrderStatus.PARTIALLY_FILLED
    apply_event(o, OrderCanceled(event_id="3", reason="bye", **common))
    assert o.status is OrderStatus.CANCELED
    with pytest.raises(IllegalTransitionError):
        apply_event(o, OrderExpired(event_id="4", **common))
    with pytest.raises(InvalidValueError, match="applied to order"):
        apply_event(o, OrderExpired(event_id="5", **{**common, "client_order_id": "x"}))
    with pytest.raises(InvalidValueError, match="not an event a broker reports"):
        apply_event(o, OrderDenied(event_id="6", reason="no", **common))
    rejected = order(OrderIntent.market("AAA", BUY, 1), "r")
    rejected.submit(1)
    apply_event(
        rejected, OrderRejected(event_id="7", reason="no", **{**common, "client_order_id": "r"})
    )
    assert rejected.status is OrderStatus.REJECTED
