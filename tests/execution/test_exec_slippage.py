"""Slippage models: fractions on known inputs, the composed aggressive price."""

from __future__ import annotations

import pytest

from alphaforge.domain import InvalidValueError, QuoteTick
from alphaforge.execution import (
    CompositeSlippage,
    SlippageBps,
    SpreadModel,
    SquareRootImpact,
    aggressive_price,
)


def frac(
    model: object, qty: float = 100, px: float = 100.0, volume: float = 1e6, **kw: object
) -> float:
    return model.fraction(qty, px, symbol=kw.pop("symbol", "AAA"), volume=volume, **kw)  # type: ignore[attr-defined]


def test_spread_from_configured_bps_and_from_a_quote() -> None:
    assert frac(SpreadModel(4)) == pytest.approx(0.0002)
    quote = QuoteTick.create("AAA", 99.99, 100.01, 10, 10, 0)
    assert frac(SpreadModel(4), quote=quote) == pytest.approx(0.0001)


def test_slippage_bps() -> None:
    assert frac(SlippageBps(5)) == pytest.approx(0.0005)
    with pytest.raises(InvalidValueError):
        SlippageBps(-1)


def test_square_root_impact() -> None:
    impact = SquareRootImpact(1.0, 0.02)
    assert frac(impact, qty=10_000, volume=1_000_000) == pytest.approx(0.002)
    assert frac(impact, qty=2_000_000, volume=1_000_000) == pytest.approx(0.02)  # capped at 1
    assert frac(impact, qty=1, volume=0.0) == pytest.approx(0.02)  # no volume: full participation
    per_symbol = SquareRootImpact(0.5, {"AAA": 0.04}, adv={"AAA": 4_000_000})
    assert frac(per_symbol, qty=40_000) == pytest.approx(0.5 * 0.04 * 0.1)
    with pytest.raises(InvalidValueError, match="no volatility given for 'BBB'"):
        frac(per_symbol, symbol="BBB")


def test_composite_and_aggressive_price() -> None:
    model = CompositeSlippage(SpreadModel(2), SlippageBps(1))
    assert frac(model) == pytest.approx(0.0002)
    assert frac(CompositeSlippage()) == 0.0
    assert aggressive_price(1, 100.0, 0.001) == pytest.approx(100.1)
    assert aggressive_price(-1, 100.0, 0.001) == pytest.approx(99.9)
