"""The margin-call rule and liquidation intents (synthetic known-answer numbers)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from alphaforge.domain import Instrument, InvalidValueError, OrderSide
from alphaforge.execution import check_margin, liquidation_intents, maintenance_requirement

INSTRUMENTS = {
    "AAA": Instrument.equity("AAA"),
    "ES": Instrument.future(
        "ES", currency="USD", tick_size="0.25", multiplier="50", margin_init="0.05"
    ),
}


def test_requirement_sums_gross_exposure_times_margin() -> None:
    positions = {"AAA": Decimal(-100), "ES": Decimal(2)}
    prices = {"AAA": 50.0, "ES": 5000.0}
    # AAA: 5,000 * 1 * 0.5 = 2,500; ES: 2 * 5,000 * 50 * 0.05 * 0.5 = 12,500.
    assert maintenance_requirement(positions, prices, INSTRUMENTS) == pytest.approx(15_000.0)
    with pytest.raises(InvalidValueError, match="no price"):
        maintenance_requirement(positions, {"AAA": 50.0}, INSTRUMENTS)
    with pytest.raises(InvalidValueError):
        maintenance_requirement(positions, prices, INSTRUMENTS, maintenance_fraction=0.0)


def test_call_and_liquidation_intents() -> None:
    positions = {"AAA": Decimal(-100), "ES": Decimal(2), "ZZZ": Decimal(0)}
    prices = {"AAA": 50.0, "ES": 5000.0}
    assert check_margin(1, 15_000.0, positions, prices, INSTRUMENTS) is None
    call = check_margin(1, 14_999.0, positions, prices, INSTRUMENTS)
    assert call is not None
    assert call.requirement == pytest.approx(15_000.0)
    assert "margin call" in call.reason
    intents = liquidation_intents(call)
    assert [(i.symbol, i.side, i.quantity, i.reduce_only, i.tag) for i in intents] == [
        ("AAA", OrderSide.BUY, Decimal(100), True, "liquidation"),
        ("ES", OrderSide.SELL, Decimal(2), True, "liquidation"),
    ]
    assert check_margin(1, -1.0, {"AAA": Decimal(0)}, prices, INSTRUMENTS) is None
