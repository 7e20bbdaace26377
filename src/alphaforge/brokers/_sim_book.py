"""The simulated broker's book-keeping: working orders, order groups, the per-event context.

Private to ``brokers/sim.py``; nothing here emits events.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from alphaforge.domain.enums import OrderSide, OrderType
from alphaforge.domain.instruments import Instrument
from alphaforge.domain.market import Bar, TradeTick
from alphaforge.domain.orders import Order
from alphaforge.execution.fill_rules import PriceFn, quiet_band
from alphaforge.execution.intrabar import IntrabarPolicy, PricePath, path_for
from alphaforge.execution.orderspec import OrderSpec
from alphaforge.execution.queue import QueuePosition

__all__ = [
    "ROLE_RANK",
    "Context",
    "Group",
    "Working",
    "float_tiers",
    "pending_sells",
    "reduce_problem",
    "signed",
    "static_problem",
    "venue_problem",
]

_INF = float("inf")
_ZERO = Decimal(0)

#: Which exit wins a tie on the path: the stop-loss (the pessimistic choice).
ROLE_RANK = {"stop-loss": 0, "take-profit": 1}


class Working:
    """One order the simulator works: the domain order, its float spec, and exact quantities."""

    __slots__ = (
        "done",
        "filled",
        "group",
        "instrument",
        "leaves",
        "order",
        "queue",
        "role",
        "spec",
        "venue_order_id",
    )

    def __init__(
        self,
        order: Order,
        instrument: Instrument,
        *,
        role: str,
        active_after: int,
        tick: float | None = None,
        tick_tiers: tuple[tuple[float, float], ...] | None = None,
    ) -> None:
        """``tick``, ``tick_tiers``: ``float(instrument.tick_size)`` and the instrument's tiers in
        floats (``float_tiers``), when the caller has them at hand."""
        self.order = order
        self.instrument = instrument
        self.role = role
        leaves = order.leaves_qty
        self.spec = OrderSpec.from_order(
            order,
            active_after=active_after,
            tick=float(instrument.tick_size) if tick is None else tick,
            tick_tiers=float_tiers(instrument) if tick_tiers is None else tick_tiers,
            leaves=leaves,
        )
        self.leaves: Decimal = leaves
        self.filled = _ZERO
        self.group: Group | None = None
        self.queue: QueuePosition | None = None
        self.venue_order_id = ""
        self.done = False

    @property
    def symbol(self) -> str:
        """The order's symbol."""
        return self.order.symbol

    @property
    def limit_like(self) -> bool:
        """Whether the order now rests as a limit (a limit, or a triggered stop-limit)."""
        kind = self.spec.order_type
        return kind is OrderType.LIMIT or (kind is OrderType.STOP_LIMIT and self.spec.triggered)


class Group:
    """An order alone (``entry`` only), a bracket (``entry`` and exit ``legs``), or an OCO pair
    (``legs`` only). Legs are matched only while ``legs_active``."""

    __slots__ = ("band", "entry", "legs", "legs_active", "members")

    def __init__(self, entry: Working | None, legs: Sequence[Working] = ()) -> None:
        self.entry = entry
        self.legs = tuple(legs)
        self.legs_active = entry is None
        self.band: tuple[float, float] | None = None
        # Entry first, then the legs (a group's members never change after it is made).
        self.members: tuple[Working, ...] = self.legs if entry is None else (entry, *self.legs)
        for member in self.members:
            member.group = self

    def quiet_band(self, touch: bool) -> tuple[float, float]:
        """``(below, above)``: no member can act in a bar with ``low >= below`` and
        ``high <= above`` (cached until the group changes: see ``execution.quiet_band``)."""
        band = self.band
        if band is None:
            below, above = -_INF, _INF
            for member in self.members:
                active = member is self.entry or self.legs_active
                if active and not member.done:
                    low, high = quiet_band(member.spec, touch=touch)
                    below, above = max(below, low), min(above, high)
            band = self.band = (below, above)
        return band

    @property
    def is_open(self) -> bool:
        """Whether any member is still working."""
        entry = self.entry
        if entry is not None and not entry.done:
            return True
        for leg in self.legs:  # noqa: SIM110  # a loop beats any(genexpr): asked per match
            if not leg.done:
                return True
        return False

    @property
    def sign(self) -> int:
        """The side whose path the group walks: the exits' when there are exits (so the entry
        and its protection see one path), else the order's own."""
        head = self.legs[0] if self.legs else self.entry
        return 1 if head is None else head.spec.side_sign


class Context:
    """What one bar (or close, or trade) offers to every order of a symbol."""

    __slots__ = (
        "bar",
        "expire_ts",
        "immediate",
        "lower",
        "paths",
        "point",
        "policy",
        "price",
        "room",
        "session",
        "tick",
        "ts",
    )

    def __init__(
        self,
        *,
        ts: int,
        session: int,
        room: float,
        price: PriceFn | None,
        policy: IntrabarPolicy = "pessimistic",
        bar: Bar | None = None,
        lower: Sequence[Bar] | None = None,
        point: PricePath | None = None,
        tick: TradeTick | None = None,
        expire_ts: int | None = None,
        immediate: bool = False,
    ) -> None:
        self.ts = ts
        self.session = session
        self.room = room
        self.price = price
        self.policy = policy
        self.bar = bar
        self.lower = lower
        self.point = point
        self.tick = tick
        self.expire_ts = ts if expire_ts is None else expire_ts
        self.immediate = immediate
        self.paths: dict[int, PricePath] = {}

    def path(self, sign: int) -> PricePath:
        """The path orders of side ``sign`` walk (built once per side)."""
        if self.point is not None:
            return self.point
        path = self.paths.get(sign)
        if path is None:
            if self.bar is None:  # pragma: no cover - a context has a bar or a point
                raise RuntimeError("context without a bar or a point")
            path = path_for(self.bar, self.policy, sign, self.lower)
            self.paths[sign] = path
        return path


def static_problem(order: Order, instrument: Instrument | None) -> str | None:
    """Why a venue would refuse ``order`` on its face (unknown symbol, off-grid size or price)."""
    if instrument is None:
        return f"unknown instrument {order.symbol!r}"
    quantity = order.quantity
    if not instrument.is_valid_quantity(quantity):
        least = instrument.min_quantity or instrument.lot_size
        return (
            f"quantity {quantity} of {order.symbol} is not a multiple of the lot "
            f"{instrument.lot_size} of at least {least}"
        )
    limit, stop = order.intent.limit_price, order.stop_price
    if limit is not None and not instrument.is_valid_price(limit):
        return _off_grid("limit price", limit, order, instrument)
    if stop is not None and not instrument.is_valid_price(stop):
        return _off_grid("stop price", stop, order, instrument)
    return None


def _off_grid(name: str, price: Decimal, order: Order, instrument: Instrument) -> str:
    tick = instrument.tick_at(price) if price.is_finite() else instrument.tick_size
    return f"{name} {price} of {order.symbol} is not on the tick grid {tick}"


def float_tiers(instrument: Instrument) -> tuple[tuple[float, float], ...]:
    """``instrument.tick_tiers`` in floats, for the fill rules (trailing stops)."""
    return tuple((float(start), float(step)) for start, step in instrument.tick_tiers)


def reduce_problem(order: Order, position: Decimal) -> str | None:
    """Why a reduce-only ``order`` would not reduce ``position`` (``None`` if it would)."""
    sign = order.side.sign
    if position == 0 or (position > 0) == (sign > 0) or order.quantity > abs(position):
        return (
            f"reduce_only {order.side.value} of {order.quantity} {order.symbol} would not "
            f"reduce the position of {position}"
        )
    return None


def venue_problem(
    order: Order,
    instrument: Instrument | None,
    position: Decimal,
    pending: Decimal,
    *,
    allow_short: bool,
) -> str | None:
    """Why the venue refuses ``order`` given the ``position`` and the sells ``pending``: a
    reduce-only order that would not reduce, or a sell that would go short where it may not."""
    if instrument is None:
        return f"unknown instrument {order.symbol!r}"
    if order.intent.reduce_only:
        return reduce_problem(order, position)
    if order.side is OrderSide.BUY or position - pending - order.quantity >= 0:
        return None
    if not instrument.shortable:
        return f"{order.symbol} cannot be sold short"
    if not allow_short:
        return (
            f"short selling is off: selling {order.quantity} {order.symbol} with a position "
            f"of {position} ({pending} already offered) would open a short"
        )
    return None


def pending_sells(groups: Sequence[Group]) -> Decimal:
    """What the working sell orders (not bracket exits) of ``groups`` still offer."""
    total = Decimal(0)
    for group in groups:
        entry = group.entry
        if entry is not None and not entry.done and entry.order.side is OrderSide.SELL:
            total += entry.leaves
    return total


def signed(side: OrderSide, quantity: Decimal) -> Decimal:
    """``+quantity`` for a buy, ``-quantity`` for a sell."""
    return quantity if side is OrderSide.BUY else -quantity
