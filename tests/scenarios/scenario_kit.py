"""A tiny kernel for scenario tests: candles in, orders at closes, events and fills out.

It plays the part the runtime kernel will play: for each bar it first lets the simulated broker
match the open orders (``process_bar``), then submits the orders scheduled at that bar's close,
and applies every broker event to its ``Order`` with ``apply_event`` (the owner's side of the
port). Nothing here is a test; the ``test_scenario_*.py`` files hold the tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from alphaforge.brokers import SimulatedBroker
from alphaforge.domain import (
    Bar,
    Fill,
    Instrument,
    Order,
    OrderEvent,
    OrderFilled,
    OrderIntent,
    dt_to_ns,
)
from alphaforge.execution import Bracket, apply_event

HOUR = 3_600_000_000_000
DAY = 24 * HOUR
#: Daily candles close at 21:00 UTC (16:00 New York) from Monday 2024-01-01 on.
FIRST_CLOSE = dt_to_ns(datetime(2024, 1, 1, 21, tzinfo=UTC))

Candle = tuple[float, float, float, float] | tuple[float, float, float, float, float]


def candles(
    rows: Iterable[Candle],
    *,
    symbol: str = "AAA",
    timeframe: str = "1d",
    first_close: int = FIRST_CLOSE,
    step: int = DAY,
) -> list[Bar]:
    """Bars from ``(open, high, low, close[, volume])`` rows (volume 1,000,000 by default)."""
    out = []
    for i, row in enumerate(rows):
        o, h, low, c = row[:4]
        volume = row[4] if len(row) == 5 else 1_000_000.0
        out.append(Bar.create(symbol, timeframe, o, h, low, c, volume, first_close + i * step))
    return out


@dataclass
class Harness:
    """One simulated broker, the orders given to it, and everything it reported."""

    broker: SimulatedBroker
    orders: dict[str, Order] = field(default_factory=dict)
    events: list[OrderEvent] = field(default_factory=list)
    listeners: list[Callable[[OrderEvent], None]] = field(default_factory=list)
    _count: int = 0

    def __post_init__(self) -> None:
        self.broker.set_event_handler(self._on_event)

    @classmethod
    def of(cls, *instruments: Instrument, **broker_args: Any) -> Harness:
        """A harness around ``SimulatedBroker(instruments, **broker_args)``."""
        return cls(SimulatedBroker(instruments or [Instrument.equity("AAA")], **broker_args))

    def _on_event(self, event: OrderEvent) -> None:
        self.events.append(event)
        apply_event(self.orders[event.client_order_id], event)
        for listener in self.listeners:
            listener(event)

    def order(self, intent: OrderIntent) -> Order:
        """An ``Order`` for ``intent``, submitted (status) at the broker's current time."""
        self._count += 1
        order = Order(intent, ts_init=0, client_order_id=f"O-{self._count}")
        last = self.broker.last_bar(intent.symbol)
        order.submit(0 if last is None else last.ts_event)
        self.orders[order.client_order_id] = order
        return order

    def submit(self, intent: OrderIntent) -> Order:
        """Create, mark submitted and hand ``intent`` to the broker."""
        order = self.order(intent)
        self.broker.submit(order)
        return order

    def bracket(
        self,
        entry: OrderIntent | None,
        stop_loss: OrderIntent | None = None,
        take_profit: OrderIntent | None = None,
    ) -> tuple[Order | None, Order | None, Order | None]:
        """Submit a bracket; return its (entry, stop-loss, take-profit) orders."""
        made = tuple(None if i is None else self.order(i) for i in (entry, stop_loss, take_profit))
        self.broker.submit_bracket(Bracket(*made))
        return made  # type: ignore[return-value]

    def play(
        self,
        bars: Sequence[Bar],
        at_close: Mapping[int, Sequence[OrderIntent]] | None = None,
    ) -> dict[int, list[Order]]:
        """Process ``bars`` in order; after bar ``i``, submit ``at_close[i]``. Returns the orders
        submitted, by bar index."""
        submitted: dict[int, list[Order]] = {}
        for i, bar in enumerate(bars):
            self.broker.process_bar(bar)
            for intent in (at_close or {}).get(i, ()):
                submitted.setdefault(i, []).append(self.submit(intent))
        return submitted

    @property
    def fills(self) -> list[Fill]:
        """Every fill reported so far."""
        return [e.fill for e in self.events if isinstance(e, OrderFilled)]

    def fills_of(self, order: Order) -> list[Fill]:
        """The fills of one order."""
        return [f for f in self.fills if f.client_order_id == order.client_order_id]

    def reason(self, fill: Fill) -> str:
        """The broker's reason for ``fill``."""
        reason = self.broker.fill_reason(fill.trade_id)
        assert reason is not None
        return reason

    def kinds(self, order: Order) -> list[str]:
        """The names of the events of ``order``, in order."""
        return [type(e).__name__ for e in self.events if e.client_order_id == order.client_order_id]


def dec(value: str | float) -> Decimal:
    """A Decimal from a literal, for exact expected prices and fees."""
    return Decimal(str(value))
