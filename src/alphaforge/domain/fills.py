"""Fills: one execution of (part of) an order, as the venue reported it.

A fill is a fact, so it is immutable. ``fee`` is what the fill cost in ``fee_currency``: positive
when paid, **negative for a rebate** (a maker rebate is income). ``trade_id`` is the venue's id of
the execution; fills are deduplicated by it, never by time or by order id.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from alphaforge.domain._num import DecimalLike, to_decimal, to_positive
from alphaforge.domain.enums import LiquiditySide, OrderSide
from alphaforge.domain.errors import InvalidValueError

__all__ = ["Fill"]

_new = object.__new__
_set = object.__setattr__  # a frozen dataclass sets its fields this way in __init__ as well


def _check_id(name: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidValueError(f"{name} must be a non-empty string, got {value!r}")


def _check_ts(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidValueError(f"{name} must be int nanoseconds >= 0, got {value!r}")


def _well_formed(fill: Fill) -> bool:
    """Whether every field already has the exact type and range the checks would give it (the
    fast path: anything else goes through the full checks and conversions)."""
    quantity, price, fee = fill.quantity, fill.price, fill.fee
    venue_order_id = fill.venue_order_id
    return (
        type(quantity) is Decimal
        and type(price) is Decimal
        and type(fee) is Decimal
        and quantity.is_finite()
        and quantity > 0
        and price.is_finite()
        and price > 0
        and fee.is_finite()
        and type(fill.side) is OrderSide
        and type(fill.liquidity_side) is LiquiditySide
        and type(fill.client_order_id) is str
        and type(fill.trade_id) is str
        and type(fill.symbol) is str
        and type(fill.fee_currency) is str
        and bool(fill.client_order_id and fill.trade_id and fill.symbol and fill.fee_currency)
        and (venue_order_id is None or (type(venue_order_id) is str and venue_order_id != ""))
        and type(fill.ts_event) is int
        and fill.ts_event >= 0
        and type(fill.ts_init) is int
        and fill.ts_init >= 0
    )


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution: ``quantity`` of ``symbol`` at ``price``, for order ``client_order_id``.

    Build one by hand with :meth:`create`, which converts numbers and fills in defaults.
    """

    client_order_id: str
    venue_order_id: str | None
    trade_id: str
    symbol: str
    side: OrderSide
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    liquidity_side: LiquiditySide
    ts_event: int
    ts_init: int

    def __post_init__(self) -> None:
        if _well_formed(self):  # a simulator's fill: exact types, nothing to convert
            return
        _check_id("client_order_id", self.client_order_id)
        if self.venue_order_id is not None:
            _check_id("venue_order_id", self.venue_order_id)
        _check_id("trade_id", self.trade_id)
        _check_id("symbol", self.symbol)
        _check_id("fee_currency", self.fee_currency)
        try:
            object.__setattr__(self, "side", OrderSide(self.side))
            object.__setattr__(self, "liquidity_side", LiquiditySide(self.liquidity_side))
        except ValueError as exc:
            raise InvalidValueError(f"fill {self.trade_id}: {exc}") from None
        object.__setattr__(self, "quantity", to_positive(self.quantity, "fill quantity"))
        object.__setattr__(self, "price", to_positive(self.price, "fill price"))
        object.__setattr__(self, "fee", to_decimal(self.fee, "fill fee"))
        _check_ts("ts_event", self.ts_event)
        _check_ts("ts_init", self.ts_init)

    @classmethod
    def create(
        cls,
        *,
        client_order_id: str,
        trade_id: str,
        symbol: str,
        side: OrderSide,
        quantity: DecimalLike,
        price: DecimalLike,
        ts_event: int,
        fee: DecimalLike = 0,
        fee_currency: str = "USD",
        liquidity_side: LiquiditySide = LiquiditySide.NONE,
        venue_order_id: str | None = None,
        ts_init: int | None = None,
    ) -> Fill:
        """Build a fill from loose numbers; ``ts_init`` defaults to ``ts_event`` (backtests)."""
        return cls(
            client_order_id,
            venue_order_id,
            trade_id,
            symbol,
            side,
            to_decimal(quantity, "fill quantity"),
            to_decimal(price, "fill price"),
            to_decimal(fee, "fill fee"),
            fee_currency,
            liquidity_side,
            ts_event,
            ts_event if ts_init is None else ts_init,
        )

    @classmethod
    def _unchecked(
        cls,
        client_order_id: str,
        venue_order_id: str | None,
        trade_id: str,
        symbol: str,
        side: OrderSide,
        quantity: Decimal,
        price: Decimal,
        fee: Decimal,
        fee_currency: str,
        liquidity_side: LiquiditySide,
        ts_event: int,
        ts_init: int,
    ) -> Fill:
        """Build a fill from values the caller guarantees are what ``__post_init__`` would pass
        unchanged (exact types, quantity and price finite and > 0, fee finite, ids non-empty).

        For the simulated broker, which makes one fill per execution from values it has already
        checked: it skips the checks (a third of the cost of a fill), never a conversion.
        ``tests/domain/test_fills.py`` checks that it builds the same fill as the constructor.
        """
        fill = _new(cls)
        _set(fill, "client_order_id", client_order_id)
        _set(fill, "venue_order_id", venue_order_id)
        _set(fill, "trade_id", trade_id)
        _set(fill, "symbol", symbol)
        _set(fill, "side", side)
        _set(fill, "quantity", quantity)
        _set(fill, "price", price)
        _set(fill, "fee", fee)
        _set(fill, "fee_currency", fee_currency)
        _set(fill, "liquidity_side", liquidity_side)
        _set(fill, "ts_event", ts_event)
        _set(fill, "ts_init", ts_init)
        return fill

    @property
    def signed_quantity(self) -> Decimal:
        """``+quantity`` for a buy, ``-quantity`` for a sell: the change to the position."""
        return self.quantity if self.side is OrderSide.BUY else -self.quantity

    @property
    def gross_value(self) -> Decimal:
        """``quantity * price``, before any contract multiplier and fee."""
        return self.quantity * self.price
