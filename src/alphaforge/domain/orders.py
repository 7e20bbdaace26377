"""Orders: an approved intent with an id, a status and fills, owned by the execution engine.

An ``Order`` moves only along ``ORDER_TRANSITIONS``; any other move raises
``IllegalTransitionError`` naming the order id and both states, and leaves the order untouched
(every method checks before it changes anything). Terminal states (denied, rejected, filled,
canceled, expired) accept nothing, fills included.

Conventions:

* ``filled_qty + leaves_qty == quantity`` always; ``leaves_qty`` stays as it was when an order is
  canceled or expires (check ``is_open`` to know whether it can still fill).
* ``avg_fill_px`` is ``None`` until the first fill: a zero would be a price that never traded.
* A fill may arrive before the venue's acknowledgement (``SUBMITTED → PARTIALLY_FILLED``), as it
  does on real venues. A partial fill while a cancel is pending keeps ``PENDING_CANCEL``.
* ``cancel_rejected`` returns a ``PENDING_CANCEL`` order to the state it had before the request.
* Fills are deduplicated by ``trade_id``: applying the same trade twice raises.

``OrderIntent`` is re-exported from ``domain/intents.py`` for convenience.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from types import MappingProxyType

from alphaforge.domain.enums import OrderSide, OrderStatus, OrderType, TrailingOffsetType
from alphaforge.domain.errors import IllegalTransitionError, InvalidValueError
from alphaforge.domain.fills import Fill
from alphaforge.domain.instruments import Instrument
from alphaforge.domain.intents import OrderIntent

__all__ = ["ORDER_TRANSITIONS", "Order", "OrderIntent", "OrderTransition", "can_transition"]

S = OrderStatus
_FILLABLE_OR_ENDING = frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED})

#: Allowed status moves: ``ORDER_TRANSITIONS[from_status]`` is the set of reachable statuses.
ORDER_TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = MappingProxyType(
    {
        S.INITIALIZED: frozenset({S.SUBMITTED, S.DENIED, S.CANCELED}),
        S.SUBMITTED: _FILLABLE_OR_ENDING | {S.ACCEPTED, S.REJECTED, S.PENDING_CANCEL},
        S.ACCEPTED: _FILLABLE_OR_ENDING | {S.PENDING_CANCEL},
        S.PARTIALLY_FILLED: _FILLABLE_OR_ENDING | {S.PENDING_CANCEL},
        # The self-loop is a partial fill while the cancel is pending. SUBMITTED, ACCEPTED and
        # PARTIALLY_FILLED are used only by ``cancel_rejected``: back to where the order was.
        S.PENDING_CANCEL: _FILLABLE_OR_ENDING
        | {S.PENDING_CANCEL, S.SUBMITTED, S.ACCEPTED, S.REJECTED},
        S.DENIED: frozenset(),
        S.REJECTED: frozenset(),
        S.FILLED: frozenset(),
        S.CANCELED: frozenset(),
        S.EXPIRED: frozenset(),
    }
)
_CANCELABLE = frozenset({S.SUBMITTED, S.ACCEPTED, S.PARTIALLY_FILLED})
_TERMINAL = frozenset(s for s in S if s.is_terminal)  # read per event: one set test, no property
_BPS = Decimal(10_000)
_ZERO = Decimal(0)


def can_transition(from_status: OrderStatus, to_status: OrderStatus) -> bool:
    """Whether ``ORDER_TRANSITIONS`` allows moving from ``from_status`` to ``to_status``."""
    return to_status in ORDER_TRANSITIONS[from_status]


@dataclass(frozen=True, slots=True)
class OrderTransition:
    """One entry of an order's history: at ``ts`` it moved from one status to another."""

    ts: int
    from_status: OrderStatus
    to_status: OrderStatus
    reason: str | None = None


class Order:
    """A live order. Only the execution engine calls the lifecycle methods; everyone else reads.

    ``ts`` arguments are UTC nanoseconds of the event (the venue's time when it gave one).
    """

    __slots__ = (
        "_before_cancel",
        "_fill_value",
        "_filled_qty",
        "_history",
        "_status",
        "_trade_ids",
        "client_order_id",
        "intent",
        "quantity",
        "side",
        "stop_price",
        "symbol",
        "ts_init",
        "venue_order_id",
    )

    def __init__(
        self, intent: OrderIntent, *, ts_init: int, client_order_id: str | None = None
    ) -> None:
        """Create an ``INITIALIZED`` order from an approved ``intent``.

        The id is ``client_order_id`` or, when that is ``None``, the intent's own; one of them
        must be given, and if both are they must agree.
        """
        chosen = client_order_id or intent.client_order_id
        if not chosen:
            raise InvalidValueError("an order needs a client_order_id (argument or intent)")
        if intent.client_order_id is not None and chosen != intent.client_order_id:
            raise InvalidValueError(
                f"client_order_id {chosen!r} differs from the intent's {intent.client_order_id!r}"
            )
        self.intent = intent
        # Copies of the (frozen) intent's fields, read on every step of the order path: plain
        # attributes cost a fraction of a property call.
        self.symbol: str = intent.symbol
        """The instrument's symbol."""
        self.side: OrderSide = intent.side
        """Buy or sell."""
        self.quantity: Decimal = intent.quantity
        """The ordered quantity (> 0)."""
        self.client_order_id: str = chosen
        self.ts_init = ts_init
        self.venue_order_id: str | None = None
        self.stop_price: Decimal | None = intent.stop_price
        self._status = S.INITIALIZED
        self._before_cancel = S.INITIALIZED
        self._filled_qty = _ZERO
        self._fill_value = _ZERO
        self._trade_ids: set[str] = set()
        # Status moves as plain ``(ts, from, to, reason)`` tuples: ``history`` builds the
        # ``OrderTransition`` objects only when someone reads them (a backtest makes millions).
        self._history: list[tuple[int, OrderStatus, OrderStatus, str | None]] = []

    def __repr__(self) -> str:
        return (
            f"Order({self.client_order_id} {self.side.value} {self.quantity} {self.symbol} "
            f"{self.order_type.value} {self._status.value} filled={self._filled_qty})"
        )

    # ------------------------------------------------------------------ read side
    @property
    def order_type(self) -> OrderType:
        """Market, limit, stop, stop-limit or trailing stop."""
        return self.intent.order_type

    @property
    def status(self) -> OrderStatus:
        """The current status."""
        return self._status

    @property
    def filled_qty(self) -> Decimal:
        """How much has been filled."""
        return self._filled_qty

    @property
    def leaves_qty(self) -> Decimal:
        """How much is not filled: ``quantity - filled_qty``."""
        return self.intent.quantity - self._filled_qty

    @property
    def avg_fill_px(self) -> Decimal | None:
        """The quantity-weighted average fill price, ``None`` before the first fill."""
        return None if not self._filled_qty else self._fill_value / self._filled_qty

    @property
    def history(self) -> tuple[OrderTransition, ...]:
        """Every status move so far, oldest first."""
        return tuple(OrderTransition(*step) for step in self._history)

    @property
    def ts_last(self) -> int:
        """The time of the last transition (``ts_init`` before any)."""
        return self._history[-1][0] if self._history else self.ts_init

    @property
    def last_reason(self) -> str | None:
        """The reason of the latest status move that gave one (``None`` if none did)."""
        for step in reversed(self._history):
            if step[3]:
                return step[3]
        return None

    @property
    def is_open(self) -> bool:
        """Whether the order has been sent and may still fill."""
        return self._status.is_open

    @property
    def is_terminal(self) -> bool:
        """Whether the order's life is over."""
        return self._status in _TERMINAL

    def has_fill(self, trade_id: str) -> bool:
        """Whether the fill with this venue ``trade_id`` was already applied."""
        return trade_id in self._trade_ids

    # ------------------------------------------------------------------ lifecycle
    def submit(self, ts: int) -> None:
        """The order was sent to the venue."""
        if self._status is not S.INITIALIZED:
            raise self._illegal(S.SUBMITTED)
        self._history.append((ts, S.INITIALIZED, S.SUBMITTED, None))  # checked just above
        self._status = S.SUBMITTED

    def deny(self, ts: int, reason: str) -> None:
        """Risk (or a pre-submit check) refused the order before it was sent."""
        self._move(S.DENIED, ts, reason)

    def accept(self, ts: int, venue_order_id: str) -> None:
        """The venue acknowledged the order and gave it ``venue_order_id``.

        An acknowledgement that arrives after a cancel was requested records the id and keeps
        ``PENDING_CANCEL`` (a refused cancel then returns the order to ``ACCEPTED``).
        """
        if not venue_order_id:
            raise InvalidValueError(f"order {self.client_order_id}: empty venue_order_id")
        if self.venue_order_id is not None:  # known from a fill that came first: must agree
            self._check_venue_id(venue_order_id)
        if self._status is S.PENDING_CANCEL and self._before_cancel is S.SUBMITTED:
            self.venue_order_id = venue_order_id
            self._before_cancel = S.ACCEPTED
            return
        if self._status is not S.SUBMITTED:
            raise self._illegal(S.ACCEPTED)
        self._history.append((ts, S.SUBMITTED, S.ACCEPTED, None))  # checked just above
        self._status = S.ACCEPTED
        self.venue_order_id = venue_order_id

    def reject(self, ts: int, reason: str) -> None:
        """The venue refused the order."""
        self._move(S.REJECTED, ts, reason)

    def request_cancel(self, ts: int) -> None:
        """A cancel was sent to the venue; the order may still fill until it is confirmed."""
        if self._status not in _CANCELABLE:
            raise self._illegal(S.PENDING_CANCEL)
        self._before_cancel = self._status
        self._move(S.PENDING_CANCEL, ts)

    def cancel_rejected(self, ts: int, reason: str) -> None:
        """The venue refused the cancel: go back to the status before the request."""
        if self._status is not S.PENDING_CANCEL:
            raise self._illegal(self._status, "cancel rejected, but no cancel is pending")
        self._move(self._before_cancel, ts, reason)

    def cancel(self, ts: int, reason: str | None = None) -> None:
        """The order is canceled (confirmed by the venue, or never sent)."""
        self._move(S.CANCELED, ts, reason)

    def expire(self, ts: int) -> None:
        """The order's time in force ran out."""
        self._move(S.EXPIRED, ts)

    def apply_fill(self, fill: Fill) -> None:
        """Book ``fill``: ``PARTIALLY_FILLED`` (or still ``PENDING_CANCEL``) or ``FILLED``.

        Raises ``IllegalTransitionError`` on a terminal or unsent order, ``InvalidValueError`` when
        the fill is for another order, symbol or side, repeats a trade id, or overfills.
        """
        status = self._status
        if status in _TERMINAL or status is S.INITIALIZED:
            raise self._illegal(S.FILLED, f"fill {fill.trade_id} on a {status.value} order")
        if (
            fill.client_order_id != self.client_order_id
            or fill.symbol != self.symbol
            or fill.side is not self.side
            or fill.trade_id in self._trade_ids
            or (fill.venue_order_id is not None and fill.venue_order_id != self.venue_order_id)
        ):
            self._check_fill(fill)  # raises, naming what is wrong (if anything is)
        quantity = fill.quantity
        filled = self._filled_qty + quantity
        if filled > self.quantity:
            raise InvalidValueError(
                f"order {self.client_order_id}: fill {fill.trade_id} of {quantity} would "
                f"fill {filled}, more than the order's {self.quantity}"
            )
        if filled == self.quantity:
            target = S.FILLED
        elif status is S.PENDING_CANCEL:
            target = S.PENDING_CANCEL
            self._before_cancel = S.PARTIALLY_FILLED
        else:
            target = S.PARTIALLY_FILLED
        # Every open status may move to each of these targets (``ORDER_TRANSITIONS``), and the
        # status was checked open above: no second look-up.
        self._history.append((fill.ts_event, status, target, f"fill {fill.trade_id}"))
        self._status = target
        self._filled_qty = filled
        self._fill_value += quantity * fill.price
        self._trade_ids.add(fill.trade_id)
        if self.venue_order_id is None:
            self.venue_order_id = fill.venue_order_id

    def update_trailing_stop(
        self, market_price: Decimal, *, instrument: Instrument | None = None
    ) -> bool:
        """Move a trailing stop's trigger after ``market_price``; return whether it moved.

        A sell stop (protecting a long) follows ``market - offset`` and only ever rises; a buy
        stop (protecting a short) follows ``market + offset`` and only ever falls. With an
        ``instrument`` the trigger is put on the tick grid away from the market, so the offset is
        never shortened by rounding.
        """
        intent = self.intent
        if intent.order_type is not OrderType.TRAILING_STOP or intent.trailing_offset is None:
            raise InvalidValueError(
                f"order {self.client_order_id} is a {intent.order_type.value} order, "
                "not a trailing stop"
            )
        if self._status.is_terminal:
            raise IllegalTransitionError(
                f"order {self.client_order_id} is {self._status.value}; its stop cannot move"
            )
        offset = intent.trailing_offset
        if intent.trailing_offset_type is TrailingOffsetType.BASIS_POINTS:
            offset = market_price * offset / _BPS
        sell = intent.side is OrderSide.SELL
        candidate = market_price - offset if sell else market_price + offset
        if instrument is not None:
            mode = ROUND_FLOOR if sell else ROUND_CEILING
            candidate = instrument.round_price(candidate, mode=mode)
        current = self.stop_price
        better = current is None or (candidate > current if sell else candidate < current)
        if candidate <= 0 or not better:
            return False
        self.stop_price = candidate
        return True

    # ------------------------------------------------------------------ internals
    def _move(self, to: OrderStatus, ts: int, reason: str | None = None) -> None:
        if to not in ORDER_TRANSITIONS[self._status]:
            raise self._illegal(to, reason)
        self._history.append((ts, self._status, to, reason))
        self._status = to

    def _illegal(self, to: OrderStatus, reason: str | None = None) -> IllegalTransitionError:
        detail = f" ({reason})" if reason else ""
        return IllegalTransitionError(
            f"order {self.client_order_id}: illegal transition "
            f"{self._status.value} -> {to.value}{detail}"
        )

    def _check_venue_id(self, venue_order_id: str | None) -> None:
        if venue_order_id and self.venue_order_id and venue_order_id != self.venue_order_id:
            raise InvalidValueError(
                f"order {self.client_order_id}: venue_order_id {venue_order_id!r} differs "
                f"from {self.venue_order_id!r}"
            )

    def _check_fill(self, fill: Fill) -> None:
        if (
            fill.client_order_id != self.client_order_id
            or fill.symbol != self.symbol
            or fill.side != self.side
        ):
            self._mismatch(fill)
        if fill.trade_id in self._trade_ids:
            raise InvalidValueError(
                f"order {self.client_order_id}: fill {fill.trade_id} was already applied"
            )
        venue_order_id = fill.venue_order_id
        if venue_order_id is not None and venue_order_id != self.venue_order_id:
            self._check_venue_id(venue_order_id)

    def _mismatch(self, fill: Fill) -> None:
        """Raise for a fill that names another order, symbol or side (if it does)."""
        mismatch = [
            f"{name} {got!r} != {want!r}"
            for name, got, want in (
                ("client_order_id", fill.client_order_id, self.client_order_id),
                ("symbol", fill.symbol, self.symbol),
                ("side", fill.side, self.side),
            )
            if got != want
        ]
        if mismatch:
            raise InvalidValueError(
                f"fill {fill.trade_id} does not belong to order {self.client_order_id}: "
                + "; ".join(mismatch)
            )
