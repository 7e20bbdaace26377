"""Enum values are lower-case strings that round-trip, and the helpers say what they claim."""

from __future__ import annotations

import pytest

from alphaforge.domain.enums import AssetClass, OrderSide, OrderStatus, OrderType


def test_values_are_lower_case_names_that_round_trip() -> None:
    assert OrderSide.BUY == "buy"
    assert OrderType("stop_limit") is OrderType.STOP_LIMIT
    assert AssetClass("etf") is AssetClass.ETF
    assert {c.value for c in AssetClass} == {
        "equity", "index", "fx", "crypto", "future", "commodity", "rate", "etf", "option",
    }  # fmt: skip


def test_side_sign_and_opposite() -> None:
    assert (OrderSide.BUY.sign, OrderSide.SELL.sign) == (1, -1)
    assert OrderSide.BUY.opposite is OrderSide.SELL
    assert OrderSide.SELL.opposite is OrderSide.BUY


@pytest.mark.parametrize("status", list(OrderStatus))
def test_open_and_terminal_are_disjoint(status: OrderStatus) -> None:
    assert not (status.is_open and status.is_terminal)


def test_terminal_and_open_sets() -> None:
    terminal = {s for s in OrderStatus if s.is_terminal}
    assert terminal == {"denied", "rejected", "filled", "canceled", "expired"}
    opened = {s for s in OrderStatus if s.is_open}
    assert opened == {"submitted", "accepted", "partially_filled", "pending_cancel"}
    assert not OrderStatus.INITIALIZED.is_open
    assert not OrderStatus.INITIALIZED.is_terminal
