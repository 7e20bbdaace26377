"""The closed vocabularies of trading: asset classes, order sides, types, statuses.

Every enum is a ``StrEnum`` whose values are the lower-case member names (``OrderSide.BUY ==
"buy"``), so they serialise to JSON, TOML and database columns as plain strings and parse back with
``OrderSide("buy")``. The lower-case spelling matches ``TradeTick.side`` in ``domain/market.py``.
"""

from __future__ import annotations

from enum import StrEnum, auto

__all__ = [
    "AssetClass",
    "LiquiditySide",
    "OrderSide",
    "OrderStatus",
    "OrderType",
    "TimeInForce",
    "TrailingOffsetType",
]


class AssetClass(StrEnum):
    """What kind of thing an instrument is; drives defaults such as tick and lot size."""

    EQUITY = auto()
    INDEX = auto()
    FX = auto()
    CRYPTO = auto()
    FUTURE = auto()
    COMMODITY = auto()
    RATE = auto()
    ETF = auto()
    OPTION = auto()


class OrderSide(StrEnum):
    """Buy or sell."""

    BUY = auto()
    SELL = auto()

    @property
    def sign(self) -> int:
        """``+1`` for a buy, ``-1`` for a sell: the sign a fill adds to a position."""
        return 1 if self is OrderSide.BUY else -1

    @property
    def opposite(self) -> OrderSide:
        """The side that closes a position this side opened."""
        return OrderSide.SELL if self is OrderSide.BUY else OrderSide.BUY


class OrderType(StrEnum):
    """How an order is priced. ``TRAILING_STOP`` is a stop-market order whose trigger follows the
    market by an offset (see ``Order.update_trailing_stop``)."""

    MARKET = auto()
    LIMIT = auto()
    STOP = auto()
    STOP_LIMIT = auto()
    TRAILING_STOP = auto()


class TimeInForce(StrEnum):
    """How long an order may rest: the session (``DAY``), until canceled (``GTC``), or not at all
    (``IOC`` fills what it can at once and cancels the rest; ``FOK`` fills entirely or not at all).
    """

    DAY = auto()
    GTC = auto()
    IOC = auto()
    FOK = auto()


class OrderStatus(StrEnum):
    """Where an order stands in its life; ``domain/orders.py`` holds the allowed transitions."""

    INITIALIZED = auto()
    DENIED = auto()
    SUBMITTED = auto()
    ACCEPTED = auto()
    REJECTED = auto()
    PARTIALLY_FILLED = auto()
    FILLED = auto()
    PENDING_CANCEL = auto()
    CANCELED = auto()
    EXPIRED = auto()

    @property
    def is_terminal(self) -> bool:
        """Whether the order's life is over: no transition leaves this status."""
        return self in _TERMINAL

    @property
    def is_open(self) -> bool:
        """Whether the order has been sent and may still fill (working, or a cancel pending).

        ``INITIALIZED`` is neither open nor terminal: it exists only inside alphaforge.
        """
        return self in _OPEN


_TERMINAL = frozenset(
    {
        OrderStatus.DENIED,
        OrderStatus.REJECTED,
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.EXPIRED,
    }
)
_OPEN = frozenset(
    {
        OrderStatus.SUBMITTED,
        OrderStatus.ACCEPTED,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.PENDING_CANCEL,
    }
)


class LiquiditySide(StrEnum):
    """Whether a fill added liquidity (``MAKER``), took it (``TAKER``), or is unknown (``NONE``)."""

    MAKER = auto()
    TAKER = auto()
    NONE = auto()


class TrailingOffsetType(StrEnum):
    """Unit of a trailing stop's offset: an absolute ``PRICE`` distance or ``BASIS_POINTS`` of the
    market price (1 bp = 0.01 %)."""

    PRICE = auto()
    BASIS_POINTS = auto()
