"""The execution engine: turns approved intents into orders, sends them, applies what comes back.

It owns every ``Order`` of a run (the broker only reports events), gives each a unique client
order id, applies broker events through the order state machine, books fills into the ledger
exactly once (by trade id), and tells its listener (the kernel, which tells the strategy). The
same engine drives the simulated broker in backtest and paper trading and a real venue in live
trading: it does not know which one it talks to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

from alphaforge.core.ids import IdFactory, IdSource
from alphaforge.domain.enums import OrderSide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.events import OrderAccepted, OrderDenied, OrderEvent, OrderFilled
from alphaforge.domain.orders import Order
from alphaforge.execution.brackets import Bracket
from alphaforge.execution.broker import Broker, SupportsBrackets, apply_event

if TYPE_CHECKING:
    from alphaforge.domain.fills import Fill
    from alphaforge.domain.intents import OrderIntent
    from alphaforge.portfolio import Ledger

__all__ = ["ExecutionEngine"]

Listener = Callable[[Order, OrderEvent], None]
_ZERO = Decimal(0)


class ExecutionEngine:
    """Send orders to ``broker``, book its fills into ``ledger``, report to ``listener``."""

    def __init__(
        self,
        broker: Broker,
        ledger: Ledger,
        *,
        order_ids: IdSource | None = None,
        event_ids: IdSource | None = None,
        listener: Listener | None = None,
    ) -> None:
        """Connect to ``broker``; ids are deterministic (``O-1``, ``E-1``, ...) by default."""
        self._broker = broker
        self._ledger = ledger
        self._order_ids: IdSource = order_ids or IdFactory("O")
        self._event_ids: IdSource = event_ids or IdFactory("E")
        self._listener = listener
        self._orders: dict[str, Order] = {}
        self._open: dict[str, Order] = {}
        self._open_by_symbol: dict[str, dict[str, Order]] = {}
        self._trade_ids: set[str] = set()
        self.fills: list[Fill] = []
        self.fill_reasons: list[str | None] = []
        # A broker that explains its fills (the simulator) is asked once per fill.
        self._fill_reason: Callable[[str], str | None] | None = getattr(broker, "fill_reason", None)
        broker.set_event_handler(self._on_event)

    def set_listener(self, listener: Listener | None) -> None:
        """Report every applied event (and denial) to ``listener``."""
        self._listener = listener

    # ------------------------------------------------------------------ commands

    def submit(self, intent: OrderIntent, ts: int) -> Order:
        """Create an order from an approved intent and send it; return it."""
        order = Order(intent, ts_init=ts, client_order_id=self._client_id(intent))
        client_order_id = order.client_order_id
        self._orders[client_order_id] = order
        order.submit(ts)
        self._open[client_order_id] = order
        working = self._open_by_symbol.get(order.symbol)
        if working is None:
            working = self._open_by_symbol[order.symbol] = {}
        working[client_order_id] = order
        self._broker.submit(order)
        return order

    def submit_bracket(
        self,
        entry: OrderIntent | None,
        stop_loss: OrderIntent | None,
        take_profit: OrderIntent | None,
        ts: int,
    ) -> list[Order]:
        """Create the orders of a bracket (an entry with OCO exits, see ``Bracket``) and send
        them as one group; return them, entry first. An invalid bracket raises before anything
        is recorded or sent."""
        made = [
            None
            if intent is None
            else Order(intent, ts_init=ts, client_order_id=self._client_id(intent))
            for intent in (entry, stop_loss, take_profit)
        ]
        ids = [o.client_order_id for o in made if o is not None]
        if len(set(ids)) != len(ids):
            raise ValueError(f"bracket client order ids repeat: {ids}")
        if not isinstance(self._broker, SupportsBrackets):
            raise InvalidValueError(f"{type(self._broker).__name__} does not take brackets")
        bracket = Bracket(made[0], made[1], made[2])  # validates sides, sizes and prices
        orders = list(bracket.orders)
        for order in orders:
            self._orders[order.client_order_id] = order
            order.submit(ts)
            self._open[order.client_order_id] = order
            self._open_by_symbol.setdefault(order.symbol, {})[order.client_order_id] = order
        self._broker.submit_bracket(bracket)
        return orders

    def deny(self, intent: OrderIntent, ts: int, reason: str) -> Order:
        """Record an intent the risk engine refused (it never reaches the broker)."""
        order = Order(intent, ts_init=ts, client_order_id=self._client_id(intent))
        self._orders[order.client_order_id] = order
        order.deny(ts, reason)
        event = OrderDenied(
            ts_event=ts,
            ts_init=ts,
            event_id=self._event_ids(),
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            reason=reason,
        )
        if self._listener is not None:
            self._listener(order, event)
        return order

    def cancel(self, client_order_id: str) -> None:
        """Ask the broker to cancel an open order (a finished one is left alone)."""
        if client_order_id in self._open:
            self._broker.cancel(client_order_id)

    # ------------------------------------------------------------------ reading

    def order(self, client_order_id: str) -> Order:
        """The order with this id (raises ``KeyError`` for an unknown id)."""
        return self._orders[client_order_id]

    def orders(self) -> Iterator[Order]:
        """Every order of the run, in creation order."""
        return iter(self._orders.values())

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """The orders still working, optionally of one symbol."""
        if symbol is None:
            return list(self._open.values())
        return list(self._open_by_symbol.get(symbol, {}).values())

    def has_any_open(self) -> bool:
        """Whether any order is still working."""
        return bool(self._open)

    def has_open(self, symbol: str) -> bool:
        """Whether ``symbol`` has an order still working (cheap: the per-bar path asks)."""
        return bool(self._open_by_symbol.get(symbol))

    def pending_quantity(self, symbol: str) -> Decimal:
        """Signed quantity that open orders of ``symbol`` still want to trade."""
        working = self._open_by_symbol.get(symbol)
        if not working:
            return _ZERO  # the common case: asked before every order
        total = _ZERO
        for order in working.values():
            sign = 1 if order.side is OrderSide.BUY else -1
            total += sign * order.leaves_qty
        return total

    # ------------------------------------------------------------------ broker events

    def _on_event(self, event: OrderEvent) -> None:
        order = self._orders.get(event.client_order_id)
        if order is None:
            return  # an order of another engine on a shared venue: not ours
        if isinstance(event, OrderFilled):
            fill = event.fill
            if fill.trade_id in self._trade_ids:
                return  # a venue re-sent a fill: book it once
            self._trade_ids.add(fill.trade_id)
            order.apply_fill(fill)  # what apply_event does for a fill: the ids match (looked up)
            self._ledger.apply(fill)
            self.fills.append(fill)
            reason = self._fill_reason
            self.fill_reasons.append(reason(fill.trade_id) if reason is not None else None)
        elif type(event) is OrderAccepted:  # what apply_event does for it (one per order)
            order.accept(event.ts_event, event.venue_order_id)
            if self._listener is not None:
                self._listener(order, event)
            return  # an accepted order is still open
        else:
            apply_event(order, event)
        if order.is_terminal:
            self._open.pop(order.client_order_id, None)
            by_symbol = self._open_by_symbol.get(order.symbol)
            if by_symbol is not None:
                by_symbol.pop(order.client_order_id, None)
        if self._listener is not None:
            self._listener(order, event)

    def _client_id(self, intent: OrderIntent) -> str:
        chosen = intent.client_order_id or self._order_ids()
        if chosen in self._orders:
            raise ValueError(f"client order id {chosen!r} is already used in this run")
        return chosen
