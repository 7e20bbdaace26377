"""alphaforge.domain: the pure trading vocabulary (layer L0).

Instruments and their price and quantity grids, market data events, order intents and the order
state machine, fills, positions and their PnL math, lifecycle events, UTC nanosecond time, and the
root of the error hierarchy. Nothing here does I/O or imports a framework; everything that is
money is ``Decimal``.
"""

from alphaforge.domain.enums import (
    AssetClass,
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    TrailingOffsetType,
)
from alphaforge.domain.errors import (
    AlphaforgeError,
    FatalError,
    IllegalTransitionError,
    InvalidValueError,
    RetryableError,
)
from alphaforge.domain.events import (
    Event,
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
    PositionChanged,
)
from alphaforge.domain.fills import Fill
from alphaforge.domain.instruments import RULE_612, Instrument
from alphaforge.domain.intents import OrderIntent
from alphaforge.domain.market import Bar, QuoteTick, TradeTick
from alphaforge.domain.orders import ORDER_TRANSITIONS, Order, OrderTransition, can_transition
from alphaforge.domain.positions import Position
from alphaforge.domain.time import dt_to_ns, ns_to_dt, ns_to_iso

__all__ = [
    "ORDER_TRANSITIONS",
    "RULE_612",
    "AlphaforgeError",
    "AssetClass",
    "Bar",
    "Event",
    "FatalError",
    "Fill",
    "IllegalTransitionError",
    "Instrument",
    "InvalidValueError",
    "LiquiditySide",
    "Order",
    "OrderAccepted",
    "OrderCanceled",
    "OrderDenied",
    "OrderEvent",
    "OrderExpired",
    "OrderFilled",
    "OrderIntent",
    "OrderRejected",
    "OrderSide",
    "OrderStatus",
    "OrderSubmitted",
    "OrderTransition",
    "OrderType",
    "Position",
    "PositionChanged",
    "QuoteTick",
    "RetryableError",
    "TimeInForce",
    "TradeTick",
    "TrailingOffsetType",
    "can_transition",
    "dt_to_ns",
    "ns_to_dt",
    "ns_to_iso",
]
