"""Order intents: what a strategy (or a person, through the API) asks the system to do.

An ``OrderIntent`` is a frozen request ("buy 100 MSFT at 410 limit"), checked on construction, so
an intent that exists is well formed: a positive quantity, exactly the prices its order type needs.
Risk approves or denies it; an approved intent becomes an ``Order`` (``domain/orders.py``).

Time in force: ``IOC`` and ``FOK`` are accepted for ``MARKET`` and ``LIMIT`` orders only. A stop
rests untriggered by design, so "immediately or cancel" has no meaning before it triggers; venues
that allow it disagree on what it means, so alphaforge refuses it rather than guess.
A ``TRAILING_STOP`` is a stop-market order (no limit price); its optional ``stop_price`` is the
initial trigger, otherwise the first ``Order.update_trailing_stop`` sets it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from alphaforge.domain._num import DecimalLike, to_positive, to_positive_or_none
from alphaforge.domain.enums import (
    OrderSide,
    OrderType,
    TimeInForce,
    TrailingOffsetType,
)
from alphaforge.domain.errors import InvalidValueError

__all__ = ["OrderIntent"]

_PRICED = ("limit_price", "stop_price", "trailing_offset")
_REQUIRED: dict[OrderType, frozenset[str]] = {
    OrderType.MARKET: frozenset(),
    OrderType.LIMIT: frozenset({"limit_price"}),
    OrderType.STOP: frozenset({"stop_price"}),
    OrderType.STOP_LIMIT: frozenset({"limit_price", "stop_price"}),
    OrderType.TRAILING_STOP: frozenset({"trailing_offset"}),
}
_ALLOWED: dict[OrderType, frozenset[str]] = {
    **_REQUIRED,
    OrderType.TRAILING_STOP: frozenset({"trailing_offset", "stop_price"}),
}
_IMMEDIATE = frozenset({TimeInForce.IOC, TimeInForce.FOK})
_IMMEDIATE_TYPES = frozenset({OrderType.MARKET, OrderType.LIMIT})
_MAX_BPS = Decimal(10_000)
_new = object.__new__
_set = object.__setattr__  # a frozen dataclass sets its fields this way in __init__ as well


E = TypeVar("E", OrderSide, OrderType, TimeInForce, TrailingOffsetType)


def _enum(kind: type[E], value: str, name: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidValueError(f"{name} must be one of {allowed}; got {value!r}") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderIntent:
    """What a strategy (or a person, through the API) asks for; risk decides whether it becomes an
    ``Order``. Prefer the constructors :meth:`market`, :meth:`limit`, :meth:`stop`,
    :meth:`stop_limit` and :meth:`trailing_stop`, which accept str, int, float or Decimal numbers.

    ``reduce_only`` asks that the order may only shrink a position; ``tag`` is free text kept with
    the order (e.g. the signal name); ``client_order_id`` pins the id (otherwise the execution
    engine assigns one), which makes resubmission idempotent.
    """

    symbol: str
    side: OrderSide
    quantity: Decimal
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trailing_offset: Decimal | None = None
    trailing_offset_type: TrailingOffsetType | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False
    tag: str | None = None
    client_order_id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.symbol, str) or not self.symbol:
            raise InvalidValueError(f"symbol must be a non-empty string, got {self.symbol!r}")
        if not self._plain_market():  # the common case has nothing to convert or check
            self._convert()
            self._check_fields()
            self._check_trailing()
        tif = self.time_in_force
        if tif in _IMMEDIATE and self.order_type not in _IMMEDIATE_TYPES:
            raise InvalidValueError(
                f"time_in_force {tif.value} is allowed for market and limit orders only, "
                f"got a {self.order_type.value} order"
            )
        if self.client_order_id is not None and (
            not isinstance(self.client_order_id, str) or not self.client_order_id
        ):
            raise InvalidValueError(
                f"client_order_id must be a non-empty string or None, got {self.client_order_id!r}"
            )

    def _plain_market(self) -> bool:
        """Whether this is a market order already in canonical form: exact enum members, a
        finite positive ``Decimal`` quantity, no prices (what ``_convert`` would leave as is)."""
        quantity = self.quantity
        return (
            self.order_type is OrderType.MARKET
            and type(self.side) is OrderSide
            and type(self.time_in_force) is TimeInForce
            and type(quantity) is Decimal
            and quantity.is_finite()
            and quantity > 0
            and self.limit_price is None
            and self.stop_price is None
            and self.trailing_offset is None
            and self.trailing_offset_type is None
        )

    def _convert(self) -> None:
        object.__setattr__(self, "side", _enum(OrderSide, self.side, "side"))
        object.__setattr__(self, "order_type", _enum(OrderType, self.order_type, "order_type"))
        tif = _enum(TimeInForce, self.time_in_force, "time_in_force")
        object.__setattr__(self, "time_in_force", tif)
        object.__setattr__(self, "quantity", to_positive(self.quantity, "quantity"))
        for name in _PRICED:
            object.__setattr__(self, name, to_positive_or_none(getattr(self, name), name))

    def _check_fields(self) -> None:
        given = {name for name in _PRICED if getattr(self, name) is not None}
        kind = self.order_type.value
        missing = _REQUIRED[self.order_type] - given
        if missing:
            raise InvalidValueError(f"a {kind} order needs {', '.join(sorted(missing))}")
        extra = given - _ALLOWED[self.order_type]
        if extra:
            raise InvalidValueError(f"a {kind} order must not carry {', '.join(sorted(extra))}")

    def _check_trailing(self) -> None:
        if self.trailing_offset is None:
            if self.trailing_offset_type is not None:
                raise InvalidValueError("trailing_offset_type given without trailing_offset")
            return
        offset_type = TrailingOffsetType.PRICE
        if self.trailing_offset_type is not None:
            offset_type = _enum(
                TrailingOffsetType, self.trailing_offset_type, "trailing_offset_type"
            )
        object.__setattr__(self, "trailing_offset_type", offset_type)
        if offset_type is TrailingOffsetType.BASIS_POINTS and self.trailing_offset >= _MAX_BPS:
            raise InvalidValueError(
                f"a trailing offset of {self.trailing_offset} bp is 100 % or more of the price"
            )

    # ------------------------------------------------------------------ constructors
    @classmethod
    def market(
        cls,
        symbol: str,
        side: OrderSide,
        quantity: DecimalLike,
        *,
        time_in_force: TimeInForce = TimeInForce.GTC,
        reduce_only: bool = False,
        tag: str | None = None,
        client_order_id: str | None = None,
    ) -> OrderIntent:
        """Buy or sell ``quantity`` at the best price available."""
        if (
            type(symbol) is str
            and symbol
            and type(side) is OrderSide
            and type(quantity) is Decimal
            and quantity.is_finite()
            and quantity > 0
            and type(time_in_force) is TimeInForce
            and client_order_id is None
        ):
            # What every check of ``__post_init__`` would pass unchanged (a market order takes
            # any time in force): set the fields directly, at a third of the cost. Strategies
            # send one such intent per order; ``tests/domain/test_order_intents.py`` checks
            # this builds the intent the constructor builds.
            intent = _new(cls)
            _set(intent, "symbol", symbol)
            _set(intent, "side", side)
            _set(intent, "quantity", quantity)
            _set(intent, "order_type", OrderType.MARKET)
            _set(intent, "limit_price", None)
            _set(intent, "stop_price", None)
            _set(intent, "trailing_offset", None)
            _set(intent, "trailing_offset_type", None)
            _set(intent, "time_in_force", time_in_force)
            _set(intent, "reduce_only", reduce_only)
            _set(intent, "tag", tag)
            _set(intent, "client_order_id", None)
            return intent
        return cls(
            symbol=symbol,
            side=side,
            quantity=to_positive(quantity, "quantity"),
            time_in_force=time_in_force,
            reduce_only=reduce_only,
            tag=tag,
            client_order_id=client_order_id,
        )

    @classmethod
    def limit(
        cls,
        symbol: str,
        side: OrderSide,
        quantity: DecimalLike,
        limit_price: DecimalLike,
        *,
        time_in_force: TimeInForce = TimeInForce.GTC,
        reduce_only: bool = False,
        tag: str | None = None,
        client_order_id: str | None = None,
    ) -> OrderIntent:
        """Buy at ``limit_price`` or lower, sell at ``limit_price`` or higher."""
        return cls(
            symbol=symbol,
            side=side,
            quantity=to_positive(quantity, "quantity"),
            order_type=OrderType.LIMIT,
            limit_price=to_positive(limit_price, "limit_price"),
            time_in_force=time_in_force,
            reduce_only=reduce_only,
            tag=tag,
            client_order_id=client_order_id,
        )

    @classmethod
    def stop(
        cls,
        symbol: str,
        side: OrderSide,
        quantity: DecimalLike,
        stop_price: DecimalLike,
        *,
        time_in_force: TimeInForce = TimeInForce.GTC,
        reduce_only: bool = False,
        tag: str | None = None,
        client_order_id: str | None = None,
    ) -> OrderIntent:
        """A market order that triggers when the price trades through ``stop_price``."""
        return cls(
            symbol=symbol,
            side=side,
            quantity=to_positive(quantity, "quantity"),
            order_type=OrderType.STOP,
            stop_price=to_positive(stop_price, "stop_price"),
            time_in_force=time_in_force,
            reduce_only=reduce_only,
            tag=tag,
            client_order_id=client_order_id,
        )

    @classmethod
    def stop_limit(
        cls,
        symbol: str,
        side: OrderSide,
        quantity: DecimalLike,
        stop_price: DecimalLike,
        limit_price: DecimalLike,
        *,
        time_in_force: TimeInForce = TimeInForce.GTC,
        reduce_only: bool = False,
        tag: str | None = None,
        client_order_id: str | None = None,
    ) -> OrderIntent:
        """A limit order at ``limit_price`` that becomes active when ``stop_price`` trades."""
        return cls(
            symbol=symbol,
            side=side,
            quantity=to_positive(quantity, "quantity"),
            order_type=OrderType.STOP_LIMIT,
            stop_price=to_positive(stop_price, "stop_price"),
            limit_price=to_positive(limit_price, "limit_price"),
            time_in_force=time_in_force,
            reduce_only=reduce_only,
            tag=tag,
            client_order_id=client_order_id,
        )

    @classmethod
    def trailing_stop(
        cls,
        symbol: str,
        side: OrderSide,
        quantity: DecimalLike,
        offset: DecimalLike,
        *,
        offset_type: TrailingOffsetType = TrailingOffsetType.PRICE,
        stop_price: DecimalLike | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        reduce_only: bool = False,
        tag: str | None = None,
        client_order_id: str | None = None,
    ) -> OrderIntent:
        """A stop-market order whose trigger trails the market by ``offset`` (a price distance,
        or basis points of the price); ``stop_price`` is the optional initial trigger."""
        return cls(
            symbol=symbol,
            side=side,
            quantity=to_positive(quantity, "quantity"),
            order_type=OrderType.TRAILING_STOP,
            stop_price=to_positive_or_none(stop_price, "stop_price"),
            trailing_offset=to_positive(offset, "trailing_offset"),
            trailing_offset_type=offset_type,
            time_in_force=time_in_force,
            reduce_only=reduce_only,
            tag=tag,
            client_order_id=client_order_id,
        )
