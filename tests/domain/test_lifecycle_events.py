"""Lifecycle events are frozen, carry both timestamps, a supplied id and a correlation id."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from alphaforge.domain.enums import OrderSide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.events import (
    Event,
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
    PositionChanged,
)
from alphaforge.domain.fills import Fill
from alphaforge.domain.instruments import Instrument
from alphaforge.domain.positions import Position

FILL = Fill.create(
    client_order_id="O-1",
    trade_id="T-1",
    symbol="MSFT",
    side=OrderSide.BUY,
    quantity=3,
    price="410.5",
    ts_event=100,
    ts_init=105,
)
COMMON: dict[str, object] = {"ts_event": 1, "ts_init": 2, "event_id": "E-1"}
ORDER: dict[str, object] = {**COMMON, "client_order_id": "O-1", "symbol": "MSFT"}


def test_every_kind_has_its_topic_and_is_frozen() -> None:
    events: list[Event] = [
        OrderSubmitted(**ORDER),  # type: ignore[arg-type]
        OrderAccepted(**ORDER, venue_order_id="V-1"),  # type: ignore[arg-type]
        OrderRejected(**ORDER, reason="margin"),  # type: ignore[arg-type]
        OrderDenied(**ORDER, reason="max_position"),  # type: ignore[arg-type]
        OrderCanceled(**ORDER),  # type: ignore[arg-type]
        OrderExpired(**ORDER),  # type: ignore[arg-type]
        OrderFilled.of(FILL, event_id="E-2"),
    ]
    topics = [type(e).TOPIC for e in events]
    assert topics == [
        "orders.submitted", "orders.accepted", "orders.rejected", "orders.denied",
        "orders.canceled", "orders.expired", "orders.filled",
    ]  # fmt: skip
    for event in events:
        assert isinstance(event, OrderEvent)
        assert event.correlation_id is None
        with pytest.raises(dataclasses.FrozenInstanceError):
            event.event_id = "other"  # type: ignore[misc]


def test_order_filled_copies_the_fill_and_refuses_a_mismatch() -> None:
    event = OrderFilled.of(FILL, event_id="E-2", correlation_id="sig-7")
    assert (event.ts_event, event.ts_init, event.client_order_id) == (100, 105, "O-1")
    assert event.correlation_id == "sig-7"
    with pytest.raises(InvalidValueError, match="wraps fill"):
        OrderFilled(**{**ORDER, "client_order_id": "O-2"}, fill=FILL)  # type: ignore[arg-type]


def test_position_changed_snapshots_the_position() -> None:
    pos = Position(Instrument.equity("MSFT"))
    pos.apply(FILL)
    event = PositionChanged.of(pos, event_id="E-3", ts_event=100, trade_id="T-1")
    assert (event.quantity, event.avg_open_price, event.realized_pnl) == (3, Decimal("410.5"), 0)
    pos.apply(Fill.create(**{**_fill_kwargs(), "trade_id": "T-2"}))  # type: ignore[arg-type]
    assert event.quantity == 3  # a snapshot, not a view


def _fill_kwargs() -> dict[str, object]:
    return {
        "client_order_id": "O-1",
        "symbol": "MSFT",
        "side": OrderSide.BUY,
        "quantity": 1,
        "price": 1,
        "ts_event": 200,
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"event_id": ""}, "event_id"),
        ({"ts_event": -5}, "ts_event"),
        ({"ts_init": 1.5}, "ts_init"),
        ({"correlation_id": ""}, "correlation_id"),
        ({"client_order_id": ""}, "client_order_id"),
    ],
)
def test_invalid_fields_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        OrderSubmitted(**{**ORDER, **change})  # type: ignore[arg-type]


def test_event_id_has_no_default() -> None:
    with pytest.raises(TypeError, match="event_id"):
        OrderSubmitted(ts_event=1, ts_init=1, client_order_id="O-1", symbol="X")  # type: ignore[call-arg]


def test_the_unchecked_builders_make_the_events_the_constructors_make() -> None:
    accepted = OrderAccepted._unchecked(7, "E-3", "O-1", "MSFT", "V-1")
    assert type(accepted) is OrderAccepted
    assert accepted == OrderAccepted(
        ts_event=7, ts_init=7, event_id="E-3", client_order_id="O-1", symbol="MSFT",
        venue_order_id="V-1",
    )  # fmt: skip
    filled = OrderFilled._unchecked(FILL, "E-4")
    assert type(filled) is OrderFilled
    assert filled == OrderFilled.of(FILL, event_id="E-4")
    for event in (accepted, filled):
        with pytest.raises(dataclasses.FrozenInstanceError):
            event.event_id = "other"  # type: ignore[misc]
