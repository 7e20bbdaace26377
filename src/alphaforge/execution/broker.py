"""The ``Broker`` port: what execution needs from any venue, simulated or real.

A broker receives orders that risk approved and the execution engine has marked submitted
(``order.submit(ts)``), and reports what happens to them as domain events through one handler:
``OrderAccepted`` or ``OrderRejected`` (with a reason), then ``OrderFilled`` (one per execution,
carrying a ``Fill``), ``OrderCanceled`` or ``OrderExpired``. The broker never changes the
``Order``'s status itself: the owner applies each event (:func:`apply_event`), exactly as it would
apply a real venue's reports. Events may be delivered synchronously from inside ``submit``,
``cancel`` or the simulator's ``process_*`` methods; a handler may submit or cancel orders in
turn (the simulator queues such events and delivers them in order).

Adapters for real venues (Alpaca, CCXT, ...) implement the same four methods; brackets are an
optional capability (:class:`SupportsBrackets`), emulated by the execution engine where a venue
lacks them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.events import (
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from alphaforge.domain.orders import Order
from alphaforge.execution.brackets import Bracket

__all__ = ["Broker", "EventHandler", "SupportsBrackets", "apply_event"]

EventHandler = Callable[[OrderEvent], None]
"""Receives every event a broker reports, in the order they happened."""


@runtime_checkable
class Broker(Protocol):
    """A venue: takes submitted orders, reports their fate as events."""

    def set_event_handler(self, handler: EventHandler) -> None:
        """Deliver every later event to ``handler``."""
        ...

    def submit(self, order: Order) -> None:
        """Send ``order`` (status ``SUBMITTED``); ``OrderAccepted`` or ``OrderRejected`` follows."""
        ...

    def cancel(self, client_order_id: str) -> None:
        """Ask to cancel an open order; ``OrderCanceled`` follows unless it already finished."""
        ...

    def open_orders(self) -> Sequence[Order]:
        """The orders the venue still works, in submission order."""
        ...


@runtime_checkable
class SupportsBrackets(Protocol):
    """A venue that takes an entry with its OCO exits as one unit."""

    def submit_bracket(self, bracket: Bracket) -> None:
        """Send every order of ``bracket`` (all ``SUBMITTED``); each gets its own events."""
        ...


def apply_event(order: Order, event: OrderEvent) -> None:
    """Apply a broker's ``event`` to the ``order`` it names (the owner's side of the port).

    Raises ``InvalidValueError`` for an event of another order or of a kind a broker does not
    send, and ``IllegalTransitionError`` (from the order) for a move its state machine forbids.
    """
    if event.client_order_id != order.client_order_id:
        raise InvalidValueError(
            f"event for {event.client_order_id} applied to order {order.client_order_id}"
        )
    if isinstance(event, OrderFilled):
        order.apply_fill(event.fill)
    elif isinstance(event, OrderAccepted):
        order.accept(event.ts_event, event.venue_order_id)
    elif isinstance(event, OrderRejected):
        order.reject(event.ts_event, event.reason)
    elif isinstance(event, OrderCanceled):
        order.cancel(event.ts_event, event.reason)
    elif isinstance(event, OrderExpired):
        order.expire(event.ts_event)
    else:
        raise InvalidValueError(f"{type(event).__name__} is not an event a broker reports")
