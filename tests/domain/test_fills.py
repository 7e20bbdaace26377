"""A fill is an immutable, validated fact; a negative fee is a rebate."""

from __future__ import annotations

from decimal import Decimal

import pytest

from alphaforge.domain.enums import LiquiditySide, OrderSide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.fills import Fill

BASE: dict[str, object] = {
    "client_order_id": "O-1",
    "trade_id": "T-1",
    "symbol": "BTC/USDT",
    "side": OrderSide.SELL,
    "quantity": "0.5",
    "price": 65000.1,
    "ts_event": 10,
}


def test_create_converts_and_defaults() -> None:
    fill = Fill.create(**BASE, fee="-0.65", fee_currency="USDT")  # type: ignore[arg-type]
    assert fill.price == Decimal("65000.1")
    assert fill.fee == Decimal("-0.65")  # a maker rebate: income, not cost
    assert fill.ts_init == fill.ts_event == 10
    assert fill.liquidity_side is LiquiditySide.NONE
    assert fill.signed_quantity == Decimal("-0.5")
    assert fill.gross_value == Decimal("32500.05")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quantity", 0, "quantity must be > 0"),
        ("price", "-1", "price must be > 0"),
        ("trade_id", "", "trade_id"),
        ("side", "long", "long"),
        ("ts_event", -1, "ts_event"),
        ("fee", "nan", "finite"),
    ],
)
def test_invalid_fills_are_refused(field: str, value: object, message: str) -> None:
    kwargs = {**BASE, field: value}
    with pytest.raises(InvalidValueError, match=message):
        Fill.create(**kwargs)  # type: ignore[arg-type]


def test_fills_are_frozen() -> None:
    fill = Fill.create(**BASE)  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        fill.price = Decimal(1)  # type: ignore[misc]


def test_the_unchecked_builder_makes_the_fill_the_constructor_makes() -> None:
    checked = Fill.create(**BASE, fee="0.25", fee_currency="USDT", venue_order_id="V-1")  # type: ignore[arg-type]
    values = [getattr(checked, name) for name in Fill.__slots__]
    fast = Fill._unchecked(*values)
    assert type(fast) is Fill
    assert fast == checked
    assert [getattr(fast, name) for name in Fill.__slots__] == values
    with pytest.raises(AttributeError):
        fast.price = Decimal(1)  # type: ignore[misc]
