"""``OrderSpec``: the float-typed mirror of an open order that the fill rules read.

The domain ``Order`` keeps money in ``Decimal`` and guards its state machine; matching it against
millions of bars wants plain floats. An ``OrderSpec`` copies what matching needs (side, type,
prices, leaves, time in force) once, when the order is accepted, and the simulated broker keeps it
in step (``leaves`` after each fill, ``stop`` as a trailing stop ratchets, ``triggered`` once a
stop fires). Prices that do not apply are NaN.
"""

from __future__ import annotations

import math
from decimal import Decimal

from alphaforge.domain.enums import OrderSide, OrderType, TimeInForce, TrailingOffsetType
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.orders import Order

__all__ = ["OrderSpec"]

_NAN = math.nan
_IMMEDIATE = frozenset({TimeInForce.IOC, TimeInForce.FOK})
_LIMITED = frozenset({OrderType.LIMIT, OrderType.STOP_LIMIT})


class OrderSpec:
    """What the fill rules need to know about one open order, in floats.

    ``side_sign`` is +1 for a buy, -1 for a sell. ``active_after`` is the UTC nanosecond time the
    order reached the venue: only bars (or trades) stamped strictly later may fill it, which is
    what makes ``fill="next_open"`` free of look-ahead. ``session`` is the trading session of the
    first bar it was matched against (for ``DAY`` expiry); ``tick`` is the instrument's tick,
    used to round a trailing stop away from the market (0 = no rounding), and ``tick_tiers`` its
    ``(from_price, tick)`` tiers (``Instrument.tick_tiers``) in floats.
    """

    __slots__ = (
        "active_after",
        "client_order_id",
        "leaves",
        "limit",
        "order_type",
        "quantity",
        "session",
        "side_sign",
        "stop",
        "tick",
        "tick_tiers",
        "time_in_force",
        "trailing_bps",
        "trailing_offset",
        "triggered",
    )

    def __init__(
        self,
        *,
        side_sign: int,
        order_type: OrderType,
        quantity: float,
        leaves: float | None = None,
        limit: float = _NAN,
        stop: float = _NAN,
        trailing_offset: float = _NAN,
        trailing_bps: bool = False,
        time_in_force: TimeInForce = TimeInForce.GTC,
        active_after: int = -1,
        tick: float = 0.0,
        tick_tiers: tuple[tuple[float, float], ...] = (),
        client_order_id: str = "",
    ) -> None:
        """Build a spec by hand (tests, research); :meth:`from_order` builds one from an order."""
        if side_sign not in (1, -1):
            raise InvalidValueError(f"side_sign must be +1 or -1, got {side_sign!r}")
        if not quantity > 0.0:
            raise InvalidValueError(f"quantity must be > 0, got {quantity!r}")
        self.side_sign = side_sign
        # The enum calls only convert strings: members (the order path's case) pass as they are
        self.order_type = order_type if type(order_type) is OrderType else OrderType(order_type)
        self.quantity = float(quantity)
        self.leaves = float(quantity if leaves is None else leaves)
        self.limit = float(limit)
        self.stop = float(stop)
        self.trailing_offset = float(trailing_offset)
        self.trailing_bps = trailing_bps
        self.time_in_force = (
            time_in_force if type(time_in_force) is TimeInForce else TimeInForce(time_in_force)
        )
        self.active_after = active_after
        self.tick = float(tick)
        self.tick_tiers = tick_tiers
        self.client_order_id = client_order_id
        self.triggered = False
        self.session: int | None = None
        self._check()

    def _check(self) -> None:
        kind = self.order_type
        if kind in _LIMITED and not self.limit > 0.0:
            raise InvalidValueError(f"a {kind.value} order needs a limit > 0, got {self.limit}")
        if kind in (OrderType.STOP, OrderType.STOP_LIMIT) and not self.stop > 0.0:
            raise InvalidValueError(f"a {kind.value} order needs a stop > 0, got {self.stop}")
        if kind is OrderType.TRAILING_STOP and not self.trailing_offset > 0.0:
            raise InvalidValueError(
                f"a trailing stop needs an offset > 0, got {self.trailing_offset}"
            )

    def __repr__(self) -> str:
        side = "buy" if self.side_sign > 0 else "sell"
        return (
            f"OrderSpec({self.client_order_id or '?'} {side} {self.leaves}/{self.quantity} "
            f"{self.order_type.value} limit={self.limit} stop={self.stop} "
            f"{self.time_in_force.value}{' triggered' if self.triggered else ''})"
        )

    @classmethod
    def from_order(
        cls,
        order: Order,
        *,
        active_after: int,
        tick: float = 0.0,
        tick_tiers: tuple[tuple[float, float], ...] = (),
        leaves: Decimal | None = None,
    ) -> OrderSpec:
        """Copy ``order`` (its current ``leaves_qty`` and ``stop_price``) into a spec.

        ``leaves``: the order's ``leaves_qty``, when the caller has it at hand.
        Fields are set directly, without ``__init__``'s checks: an ``Order``'s intent was checked
        when it was made (a positive quantity, the prices its type needs, all positive), so the
        checks could not fail here, and this runs once for every order a backtest sends.
        """
        intent = order.intent
        offset = intent.trailing_offset
        limit, stop = intent.limit_price, order.stop_price
        if leaves is None:
            leaves = order.leaves_qty
        spec = cls.__new__(cls)
        spec.side_sign = 1 if intent.side is OrderSide.BUY else -1
        spec.order_type = intent.order_type
        spec.quantity = float(intent.quantity)
        # equal Decimals have equal floats: an order not yet filled converts once
        spec.leaves = spec.quantity if leaves == intent.quantity else float(leaves)
        spec.limit = _NAN if limit is None else float(limit)
        spec.stop = _NAN if stop is None else float(stop)
        spec.trailing_offset = _NAN if offset is None else float(offset)
        spec.trailing_bps = intent.trailing_offset_type is TrailingOffsetType.BASIS_POINTS
        spec.time_in_force = intent.time_in_force
        spec.active_after = active_after
        spec.tick = float(tick)
        spec.tick_tiers = tick_tiers
        spec.client_order_id = order.client_order_id
        spec.triggered = False
        spec.session = None
        return spec

    @property
    def is_immediate(self) -> bool:
        """Whether the order is IOC or FOK: it lives for one match only."""
        return self.time_in_force in _IMMEDIATE

    @property
    def has_limit(self) -> bool:
        """Whether fills are bounded by a limit price (limit and stop-limit orders)."""
        return self.order_type in _LIMITED
