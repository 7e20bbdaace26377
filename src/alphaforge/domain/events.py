"""Lifecycle events: the facts later layers publish on the bus and store in the audit log.

Every event is a frozen, slotted dataclass with keyword-only fields and carries

* ``ts_event``: when it happened (the venue's time when the venue said so), UTC nanoseconds;
* ``ts_init``: when alphaforge created the object (equal to ``ts_event`` in backtests);
* ``event_id``: a unique id that the *producer* supplies. There is no default on purpose: a random
  default would make two runs of the same backtest differ. Backtests pass ids from a deterministic
  counter (``alphaforge.core.ids.IdFactory``), live runs may pass ``uuid4().hex``;
* ``correlation_id``: optional; the id of the signal that caused the event, so a signal, its
  order, the order's fills and the resulting position change can be tied together in logs.

``TOPIC`` is the bus topic each kind is published under (``"orders.filled"`` …), so subscribers
can listen to ``"orders.*"`` or to a type.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.fills import Fill
from alphaforge.domain.positions import Position

__all__ = [
    "Event",
    "OrderAccepted",
    "OrderCanceled",
    "OrderDenied",
    "OrderEvent",
    "OrderExpired",
    "OrderFilled",
    "OrderRejected",
    "OrderSubmitted",
    "PositionChanged",
]


_new = object.__new__
_set = object.__setattr__  # a frozen dataclass sets its fields this way in __init__ as well


def _require_text(owner: str, name: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidValueError(f"{owner}.{name} must be a non-empty string, got {value!r}")


def _plain_event(event: Event) -> bool:
    """Whether ``event``'s common fields are already well formed (the fast path of the checks:
    exact ``str`` and ``int`` values; anything else goes through the full checks)."""
    event_id, ts_event, ts_init = event.event_id, event.ts_event, event.ts_init
    return (
        type(event_id) is str
        and bool(event_id)
        and type(ts_event) is int
        and ts_event >= 0
        and type(ts_init) is int
        and ts_init >= 0
        and event.correlation_id is None
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of every lifecycle event."""

    TOPIC: ClassVar[str] = "events"

    ts_event: int
    ts_init: int
    event_id: str
    correlation_id: str | None = None

    def __post_init__(self) -> None:
        if _plain_event(self):
            return
        self._validate()

    def _validate(self) -> None:
        owner = type(self).__name__
        _require_text(owner, "event_id", self.event_id)
        for name in ("ts_event", "ts_init"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidValueError(f"{owner}.{name} must be int nanoseconds >= 0: {value!r}")
        if self.correlation_id is not None:
            _require_text(owner, "correlation_id", self.correlation_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderEvent(Event):
    """Base of the events of one order, named by its ``client_order_id``."""

    TOPIC: ClassVar[str] = "orders"

    client_order_id: str
    symbol: str

    def __post_init__(self) -> None:
        cid, symbol, ts_event, ts_init = (
            self.client_order_id,
            self.symbol,
            self.ts_event,
            self.ts_init,
        )
        if (  # what every producer sends, checked inline (the order path makes millions)
            type(cid) is str
            and cid
            and type(symbol) is str
            and symbol
            and type(ts_event) is int
            and ts_event >= 0
            and type(ts_init) is int
            and ts_init >= 0
            and type(self.event_id) is str
            and self.event_id
            and self.correlation_id is None
        ):
            return
        self._validate()
        _require_text(type(self).__name__, "client_order_id", cid)
        _require_text(type(self).__name__, "symbol", symbol)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderSubmitted(OrderEvent):
    """The order was sent to the venue."""

    TOPIC: ClassVar[str] = "orders.submitted"


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderAccepted(OrderEvent):
    """The venue acknowledged the order."""

    TOPIC: ClassVar[str] = "orders.accepted"

    venue_order_id: str

    @classmethod
    def _unchecked(
        cls, ts: int, event_id: str, client_order_id: str, symbol: str, venue_order_id: str
    ) -> OrderAccepted:
        """``OrderAccepted(ts_event=ts, ts_init=ts, ...)`` without the checks, for a producer
        whose ids are non-empty ``str`` and ``ts`` an ``int >= 0`` by construction (the
        simulated broker: one per order); ``tests/domain/test_lifecycle_events.py`` checks it
        builds the same event."""
        event = _new(cls)
        _set(event, "ts_event", ts)
        _set(event, "ts_init", ts)
        _set(event, "event_id", event_id)
        _set(event, "correlation_id", None)
        _set(event, "client_order_id", client_order_id)
        _set(event, "symbol", symbol)
        _set(event, "venue_order_id", venue_order_id)
        return event


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRejected(OrderEvent):
    """The venue refused the order; ``reason`` is its explanation."""

    TOPIC: ClassVar[str] = "orders.rejected"

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderDenied(OrderEvent):
    """Risk refused the intent before anything was sent; ``reason`` names the rule."""

    TOPIC: ClassVar[str] = "orders.denied"

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCanceled(OrderEvent):
    """The order was canceled (by request, by the venue, or before it was sent)."""

    TOPIC: ClassVar[str] = "orders.canceled"

    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderExpired(OrderEvent):
    """The order's time in force ran out."""

    TOPIC: ClassVar[str] = "orders.expired"


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderFilled(OrderEvent):
    """The order was (partly) filled. ``client_order_id`` and ``symbol`` must match the fill's;
    build it with :meth:`of` to copy them."""

    TOPIC: ClassVar[str] = "orders.filled"

    fill: Fill

    def __post_init__(self) -> None:
        OrderEvent.__post_init__(self)
        fill = self.fill
        if self.client_order_id != fill.client_order_id or self.symbol != fill.symbol:
            raise InvalidValueError(
                f"OrderFilled for {self.client_order_id}/{self.symbol} wraps fill "
                f"{self.fill.trade_id} of {self.fill.client_order_id}/{self.fill.symbol}"
            )

    @classmethod
    def _unchecked(cls, fill: Fill, event_id: str) -> OrderFilled:
        """``OrderFilled.of(fill, event_id=event_id)`` without the checks, for a producer whose
        fill is well formed and ``event_id`` a non-empty ``str`` by construction (the simulated
        broker: one per execution); ``tests/domain/test_lifecycle_events.py`` checks it builds
        the same event."""
        event = _new(cls)
        _set(event, "ts_event", fill.ts_event)
        _set(event, "ts_init", fill.ts_init)
        _set(event, "event_id", event_id)
        _set(event, "correlation_id", None)
        _set(event, "client_order_id", fill.client_order_id)
        _set(event, "symbol", fill.symbol)
        _set(event, "fill", fill)
        return event

    @classmethod
    def of(
        cls,
        fill: Fill,
        *,
        event_id: str,
        ts_init: int | None = None,
        correlation_id: str | None = None,
    ) -> OrderFilled:
        """Wrap ``fill``; ``ts_event`` is the fill's, ``ts_init`` defaults to the fill's."""
        return cls(
            ts_event=fill.ts_event,
            ts_init=fill.ts_init if ts_init is None else ts_init,
            event_id=event_id,
            correlation_id=correlation_id,
            client_order_id=fill.client_order_id,
            symbol=fill.symbol,
            fill=fill,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionChanged(Event):
    """A snapshot of a position after a fill changed it (``trade_id`` names the fill)."""

    TOPIC: ClassVar[str] = "positions.changed"

    symbol: str
    quantity: Decimal
    avg_open_price: Decimal | None
    realized_pnl: Decimal
    fees_paid: Decimal
    trade_id: str | None = None

    @classmethod
    def of(
        cls,
        position: Position,
        *,
        event_id: str,
        ts_event: int,
        ts_init: int | None = None,
        trade_id: str | None = None,
        correlation_id: str | None = None,
    ) -> PositionChanged:
        """Snapshot ``position`` as it is now."""
        return cls(
            ts_event=ts_event,
            ts_init=ts_event if ts_init is None else ts_init,
            event_id=event_id,
            correlation_id=correlation_id,
            symbol=position.symbol,
            quantity=position.quantity,
            avg_open_price=position.avg_open_price,
            realized_pnl=position.realized_pnl,
            fees_paid=position.fees_paid,
            trade_id=trade_id,
        )
