"""Scenarios: commissions (per-share with minimum and cap, maker rebate) and square-root impact.

Synthetic known-answer candles whose open is the fill price, so fees and impact are round.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from scenario_kit import Harness, candles, dec

from alphaforge.domain import Instrument, LiquiditySide, OrderIntent, OrderSide
from alphaforge.execution import MakerTakerCommission, PerShareCommission, SquareRootImpact


@dataclass(frozen=True)
class FeeCase:
    name: str
    quantity: int
    price: float
    fee: str


IBKR_FIXED = PerShareCommission(0.005, minimum=1.00, maximum_fraction_of_notional=0.01)
FEE_CASES = [
    FeeCase("minimum applies: 100 x 0.005 = 0.50 -> 1.00", 100, 50.00, "1.00"),
    FeeCase("per share: 1,000 x 0.005 = 5.00", 1000, 50.00, "5.00"),
    FeeCase("cap applies: 1 % of 100 x 0.50 = 0.50", 100, 0.50, "0.50"),
]


@pytest.mark.parametrize("case", FEE_CASES, ids=[c.name for c in FEE_CASES])
def test_per_share_commission(case: FeeCase) -> None:
    harness = Harness.of(commission=IBKR_FIXED)
    bars = candles([(case.price,) * 4, (case.price,) * 4])
    harness.play(bars, at_close={0: [OrderIntent.market("AAA", OrderSide.BUY, case.quantity)]})
    (fill,) = harness.fills
    assert fill.price == dec(case.price)
    assert fill.fee == dec(case.fee)


XRP = Instrument.crypto("XRP/USDT", "0.0001", "0.1")


def test_maker_rebate_and_taker_fee() -> None:
    # Maker -0.25 bp: a passive buy of 10,000 at 1.0000 earns 0.25 (fee -0.25).
    # Taker 4 bp: a market buy of 10,000 at the open 1.0500 pays 4.20.
    harness = Harness.of(XRP, commission=MakerTakerCommission(maker_bps=-0.25, taker_bps=4))
    bars = candles(
        [(1.0200, 1.0300, 1.0100, 1.0200), (1.0500, 1.0600, 0.9900, 1.0100)], symbol="XRP/USDT"
    )
    harness.play(
        bars,
        at_close={
            0: [
                OrderIntent.limit("XRP/USDT", OrderSide.BUY, 10_000, "1.0000"),
                OrderIntent.market("XRP/USDT", OrderSide.BUY, 10_000),
            ]
        },
    )
    passive, aggressive = sorted(harness.fills, key=lambda f: f.liquidity_side.value)
    assert (passive.liquidity_side, passive.price, passive.fee) == (
        LiquiditySide.MAKER,
        dec("1.0000"),
        dec("-0.25"),
    )
    assert (aggressive.liquidity_side, aggressive.price, aggressive.fee) == (
        LiquiditySide.TAKER,
        dec("1.0500"),
        dec("4.20"),
    )


@dataclass(frozen=True)
class ImpactCase:
    name: str
    quantity: int
    adv: float | None
    price: str


# coefficient 1, daily volatility 2 %, bar volume 1,000,000, open 100.00.
IMPACT_CASES = [
    ImpactCase("1 % of the bar: 0.02 * sqrt(0.01) = 20 bp", 10_000, None, "100.20"),
    ImpactCase("4 % of the bar: 0.02 * sqrt(0.04) = 40 bp", 40_000, None, "100.40"),
    ImpactCase("0.25 % of ADV 4,000,000: 0.02 * 0.05 = 10 bp", 10_000, 4_000_000.0, "100.10"),
]


@pytest.mark.parametrize("case", IMPACT_CASES, ids=[c.name for c in IMPACT_CASES])
def test_square_root_impact_magnitude(case: ImpactCase) -> None:
    impact = SquareRootImpact(1.0, 0.02, adv=case.adv)
    harness = Harness.of(slippage=impact)
    bars = candles([(100.0, 100.0, 100.0, 100.0), (100.0, 101.0, 99.0, 100.0)])
    harness.play(bars, at_close={0: [OrderIntent.market("AAA", OrderSide.BUY, case.quantity)]})
    (fill,) = harness.fills
    assert fill.price == dec(case.price)
