"""An intent that exists is well formed: the right prices for its type, a positive quantity."""

from __future__ import annotations

from decimal import Decimal

import pytest

from alphaforge.domain.enums import OrderSide, OrderType, TimeInForce, TrailingOffsetType
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.intents import OrderIntent

BUY = OrderSide.BUY


def test_constructors_set_type_and_convert_numbers() -> None:
    market = OrderIntent.market("MSFT", BUY, 10)
    assert (market.order_type, market.quantity, market.limit_price) == (OrderType.MARKET, 10, None)
    limit = OrderIntent.limit("MSFT", OrderSide.SELL, "5", 410.1, time_in_force=TimeInForce.DAY)
    assert limit.limit_price == Decimal("410.1")
    assert limit.time_in_force is TimeInForce.DAY
    stop = OrderIntent.stop("MSFT", OrderSide.SELL, 5, "399")
    assert stop.stop_price == 399
    stop_limit = OrderIntent.stop_limit("MSFT", BUY, 5, stop_price=420, limit_price=421)
    assert (stop_limit.stop_price, stop_limit.limit_price) == (420, 421)
    trailing = OrderIntent.trailing_stop("MSFT", OrderSide.SELL, 5, 50, offset_type="basis_points")  # type: ignore[arg-type]
    assert trailing.trailing_offset_type is TrailingOffsetType.BASIS_POINTS
    assert (
        OrderIntent.trailing_stop("X", BUY, 1, 2).trailing_offset_type is TrailingOffsetType.PRICE
    )


def test_string_enums_are_accepted_and_checked() -> None:
    intent = OrderIntent(symbol="MSFT", side="sell", quantity=Decimal(1))  # type: ignore[arg-type]
    assert intent.side is OrderSide.SELL
    with pytest.raises(InvalidValueError, match="side must be one of buy, sell"):
        OrderIntent(symbol="MSFT", side="short", quantity=Decimal(1))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"order_type": OrderType.LIMIT}, "needs limit_price"),
        ({"order_type": OrderType.STOP}, "needs stop_price"),
        ({"order_type": OrderType.STOP_LIMIT, "stop_price": 1}, "needs limit_price"),
        ({"order_type": OrderType.TRAILING_STOP}, "needs trailing_offset"),
        ({"limit_price": 1}, "market order must not carry limit_price"),
        ({"stop_price": 1, "trailing_offset": 1}, "must not carry stop_price, trailing_offset"),
        ({"order_type": OrderType.LIMIT, "limit_price": 1, "stop_price": 2}, "carry stop_price"),
        (
            {"order_type": OrderType.TRAILING_STOP, "trailing_offset": 1, "limit_price": 2},
            "carry limit_price",
        ),
        ({"order_type": OrderType.LIMIT, "limit_price": 0}, "limit_price must be > 0"),
        ({"quantity": 0}, "quantity must be > 0"),
        ({"quantity": "-3"}, "quantity must be > 0"),
        ({"symbol": ""}, "symbol"),
        ({"trailing_offset_type": TrailingOffsetType.PRICE}, "without trailing_offset"),
        (
            {
                "order_type": OrderType.TRAILING_STOP,
                "trailing_offset": 10_000,
                "trailing_offset_type": TrailingOffsetType.BASIS_POINTS,
            },
            "100 %",
        ),
        ({"client_order_id": ""}, "client_order_id"),
    ],
)
def test_malformed_intents_are_refused(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"symbol": "MSFT", "side": BUY, "quantity": 1}
    fields.update(kwargs)
    with pytest.raises(InvalidValueError, match=message):
        OrderIntent(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("tif", [TimeInForce.IOC, TimeInForce.FOK])
def test_immediate_time_in_force_only_for_market_and_limit(tif: TimeInForce) -> None:
    OrderIntent.market("MSFT", BUY, 1, time_in_force=tif)
    OrderIntent.limit("MSFT", BUY, 1, 10, time_in_force=tif)
    with pytest.raises(InvalidValueError, match="market and limit orders only"):
        OrderIntent.stop("MSFT", BUY, 1, 10, time_in_force=tif)
    with pytest.raises(InvalidValueError, match="market and limit orders only"):
        OrderIntent.trailing_stop("MSFT", BUY, 1, 1, time_in_force=tif)


def test_intents_are_frozen_and_hashable() -> None:
    intent = OrderIntent.limit("MSFT", BUY, 1, 10, tag="breakout")
    with pytest.raises(AttributeError):
        intent.quantity = Decimal(2)  # type: ignore[misc]
    assert intent == OrderIntent.limit("MSFT", BUY, "1", "10", tag="breakout")
    assert len({intent, OrderIntent.limit("MSFT", BUY, 1, 10.0, tag="breakout")}) == 1


@pytest.mark.parametrize("tif", list(TimeInForce))
@pytest.mark.parametrize("quantity", [Decimal("0.0001"), Decimal(3), Decimal("1E+3")])
def test_market_builds_what_the_constructor_builds(tif: TimeInForce, quantity: Decimal) -> None:
    # market() sets a plain intent's fields directly; the constructor checks them one by one
    fast = OrderIntent.market("ETH/BTC", OrderSide.SELL, quantity, time_in_force=tif, tag="t")
    checked = OrderIntent(
        symbol="ETH/BTC", side=OrderSide.SELL, quantity=quantity, time_in_force=tif, tag="t"
    )
    assert type(fast) is OrderIntent
    assert fast == checked
    assert [getattr(fast, f) for f in OrderIntent.__slots__] == [
        getattr(checked, f) for f in OrderIntent.__slots__
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", OrderSide.BUY, Decimal(1)), "symbol"),
        (("X", "hold", Decimal(1)), "side"),
        (("X", OrderSide.BUY, Decimal("NaN")), "quantity"),
        (("X", OrderSide.BUY, Decimal(0)), "quantity"),
    ],
)
def test_market_still_refuses_what_is_not_plain(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        OrderIntent.market(*args)  # type: ignore[arg-type]
