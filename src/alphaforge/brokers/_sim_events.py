"""The simulated broker's outbox (its events, delivered in order to the handler) and fills.

Private to ``brokers/sim.py``. Events are queued while the broker works and delivered when it is
done (``flush``); a handler may submit or cancel orders in turn, whose events join the same queue
and are delivered after the ones before them. Without a handler events wait (``drain``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from alphaforge.brokers._sim_book import Working
from alphaforge.core.ids import IdFactory, IdSource
from alphaforge.domain.enums import LiquiditySide
from alphaforge.domain.events import (
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from alphaforge.domain.fills import Fill
from alphaforge.domain.orders import Order
from alphaforge.execution.broker import EventHandler

__all__ = ["Outbox", "fill_quantity", "make_fill"]

_FEE_QUANTUM = Decimal("1e-8")


def fill_quantity(working: Working, wanted: float) -> Decimal:
    """The exact quantity of a fill of ``wanted`` units: all the leaves when the rules asked for
    all of them, otherwise ``wanted`` rounded down to the lot (never more than the leaves)."""
    if wanted >= working.spec.leaves:
        return working.leaves
    rounded = working.instrument.round_quantity(Decimal(repr(wanted)))
    return min(rounded, working.leaves)


def make_fill(
    working: Working,
    quantity: Decimal,
    price: Decimal,
    fee: float,
    liquidity: LiquiditySide,
    ts: int,
    trade_id: str,
    *,
    plain_ids: bool = False,
) -> Fill:
    """The domain ``Fill`` of ``working``; the fee is rounded to 1e-8 (ties to even).

    ``quantity`` (> 0, on the lot grid) and ``price`` (> 0, on the tick grid) come from the
    matcher, which made them; the symbol, side and currency from the checked order and
    instrument; ``plain_ids`` says the venue's ids (``trade_id``, the venue order id) are
    non-empty ``str``. Then, when the fee is finite and the order id and ``ts`` plain, the fill
    is built without its own checks (``Fill._unchecked``); otherwise the constructor checks it,
    and refuses what is wrong.
    """
    order = working.order
    intent = order.intent
    client_order_id = order.client_order_id
    fee_d = Decimal(repr(fee)).quantize(_FEE_QUANTUM, ROUND_HALF_EVEN)
    trusted = (
        plain_ids
        and fee_d.is_finite()
        and type(ts) is int  # ns time and a non-empty str id, checked inline (once per fill)
        and ts >= 0
        and type(client_order_id) is str
        and client_order_id != ""
    )
    build = Fill._unchecked if trusted else Fill
    return build(
        client_order_id,
        working.venue_order_id,
        trade_id,
        intent.symbol,
        intent.side,
        quantity,
        price,
        fee_d,
        working.instrument.currency,
        liquidity,
        ts,
        ts,
    )


class Outbox:
    """Queued order events with ids from one deterministic source."""

    __slots__ = ("_dispatching", "_events", "_handler", "ids", "plain_ids")

    def __init__(self, ids: IdSource) -> None:
        self.ids = ids
        self.plain_ids = type(ids) is IdFactory
        """Whether every id is a non-empty ``str`` by construction ("{prefix}-{n}"): then events
        are built without checking them (the common case: the default ids)."""
        self._events: list[OrderEvent] = []
        self._handler: EventHandler | None = None
        self._dispatching = False

    def set_handler(self, handler: EventHandler) -> None:
        """Deliver to ``handler`` from now on (and what is queued, at the next flush)."""
        self._handler = handler

    def accepted(self, order: Order, venue_order_id: str, ts: int) -> None:
        """Queue ``OrderAccepted`` (built without its checks when they could not fail)."""
        event_id, client_order_id = self.ids(), order.client_order_id
        if (  # ns time and a non-empty str id (the symbol: a checked intent's)
            self.plain_ids
            and type(ts) is int
            and ts >= 0
            and type(client_order_id) is str
            and client_order_id != ""
        ):
            event = OrderAccepted._unchecked(
                ts, event_id, client_order_id, order.symbol, venue_order_id
            )
        else:
            event = OrderAccepted(
                ts_event=ts,
                ts_init=ts,
                event_id=event_id,
                client_order_id=client_order_id,
                symbol=order.symbol,
                venue_order_id=venue_order_id,
            )
        self._events.append(event)

    def rejected(self, order: Order, ts: int, reason: str) -> None:
        """Queue ``OrderRejected``."""
        self._events.append(
            OrderRejected(
                ts_event=ts,
                ts_init=ts,
                event_id=self.ids(),
                client_order_id=order.client_order_id,
                symbol=order.symbol,
                reason=reason,
            )
        )

    def canceled(self, order: Order, ts: int, reason: str) -> None:
        """Queue ``OrderCanceled``."""
        self._events.append(
            OrderCanceled(
                ts_event=ts,
                ts_init=ts,
                event_id=self.ids(),
                client_order_id=order.client_order_id,
                symbol=order.symbol,
                reason=reason,
            )
        )

    def expired(self, order: Order, ts: int) -> None:
        """Queue ``OrderExpired``."""
        self._events.append(
            OrderExpired(
                ts_event=ts,
                ts_init=ts,
                event_id=self.ids(),
                client_order_id=order.client_order_id,
                symbol=order.symbol,
            )
        )

    def filled(self, fill: Fill) -> None:
        """Queue ``OrderFilled`` (``fill`` is a well-formed ``Fill``: only the id is checked)."""
        event_id = self.ids()
        if self.plain_ids:
            self._events.append(OrderFilled._unchecked(fill, event_id))
        else:
            self._events.append(OrderFilled.of(fill, event_id=event_id))

    def flush(self) -> None:
        """Deliver the queued events (re-entrant calls leave it to the outer delivery)."""
        if not self._events or self._dispatching or self._handler is None:
            return
        self._dispatching = True
        delivered = 0
        try:
            while delivered < len(self._events):
                event = self._events[delivered]
                delivered += 1
                self._handler(event)
        finally:
            del self._events[:delivered]
            self._dispatching = False

    def drain(self) -> list[OrderEvent]:
        """Return and forget the queued events (for use without a handler)."""
        events, self._events = self._events, []
        return events
