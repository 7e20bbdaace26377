"""Commission models: values on known inputs, validation, the tiered model's monthly state."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alphaforge.domain import Instrument, InvalidValueError, LiquiditySide, dt_to_ns
from alphaforge.execution import (
    BpsCommission,
    CommissionModel,
    MakerTakerCommission,
    NoCommission,
    PerShareCommission,
    RecordsFills,
    TieredCommission,
)

STOCK = Instrument.equity("AAA")
FUTURE = Instrument.future(
    "ES", currency="USD", tick_size="0.25", multiplier="50", margin_init="0.05"
)
TAKER, MAKER = LiquiditySide.TAKER, LiquiditySide.MAKER


def fee(
    model: CommissionModel, qty: float, px: float, liq: LiquiditySide = TAKER, **kw: object
) -> float:
    return model.commission(qty, px, liquidity=liq, instrument=kw.pop("instrument", STOCK), **kw)  # type: ignore[arg-type]


def test_no_commission() -> None:
    assert fee(NoCommission(), 100, 50.0) == 0.0


def test_bps_commission_uses_the_multiplier_and_a_minimum() -> None:
    assert fee(BpsCommission(1), 100, 50.0) == pytest.approx(0.5)
    assert fee(BpsCommission(1), 2, 5000.0, instrument=FUTURE) == pytest.approx(
        2 * 5000 * 50 * 1e-4
    )
    assert fee(BpsCommission(1, minimum=1.0), 100, 50.0) == 1.0


def test_per_share_minimum_and_cap() -> None:
    model = PerShareCommission(0.005, 1.0, 0.01)
    assert fee(model, 100, 20.0) == 1.0
    assert fee(model, 1000, 20.0) == pytest.approx(5.0)
    assert fee(model, 100, 0.5) == pytest.approx(0.5)
    assert fee(PerShareCommission(0.005), 10, 1.0) == pytest.approx(0.05)


def test_maker_taker_rebate_is_negative() -> None:
    model = MakerTakerCommission(maker_bps=-0.2, taker_bps=4.0)
    assert fee(model, 10_000, 1.0, MAKER) == pytest.approx(-0.2)
    assert fee(model, 10_000, 1.0, TAKER) == pytest.approx(4.0)
    assert fee(model, 10_000, 1.0, LiquiditySide.NONE) == pytest.approx(4.0)


@pytest.mark.parametrize(
    "build",
    [
        lambda: BpsCommission(-1),
        lambda: BpsCommission(float("nan")),
        lambda: PerShareCommission(0.005, -1),
        lambda: MakerTakerCommission(5, 1),
        lambda: TieredCommission([]),
        lambda: TieredCommission([(10, 1.0)]),
        lambda: TieredCommission([(0, 2.0), (5, 1.0), (5, 0.5)]),
        lambda: TieredCommission([(0, 2.0)], basis="shares"),  # type: ignore[arg-type]
    ],
)
def test_invalid_parameters_are_refused(build: object) -> None:
    with pytest.raises(InvalidValueError):
        build()  # type: ignore[operator]


def ns(year: int, month: int, day: int) -> int:
    return dt_to_ns(datetime(year, month, day, tzinfo=UTC))


def test_tiered_commission_counts_month_to_date_notional_and_resets() -> None:
    model = TieredCommission([(0, 2.0), (1_000_000, 1.0)])
    assert isinstance(model, RecordsFills)
    jan = ns(2024, 1, 15)
    assert fee(model, 9_950, 100.0, ts=jan) == pytest.approx(995_000 * 2e-4)
    model.record(9_950, 100.0, instrument=STOCK, ts=jan)
    # 995,000 so far: still the first tier for the next fill, the whole fill at one rate.
    assert fee(model, 100, 100.0, ts=jan) == pytest.approx(10_000 * 2e-4)
    model.record(100, 100.0, instrument=STOCK, ts=jan)
    assert model.month_to_date == pytest.approx(1_005_000)
    assert fee(model, 100, 100.0, ts=jan) == pytest.approx(10_000 * 1e-4)
    # A new month starts from zero, even before anything is recorded in it.
    feb = ns(2024, 2, 1)
    assert fee(model, 100, 100.0, ts=feb) == pytest.approx(10_000 * 2e-4)
    model.record(1, 100.0, instrument=STOCK, ts=feb)
    assert model.month_to_date == pytest.approx(100.0)


def test_tiered_commission_by_quantity() -> None:
    model = TieredCommission([(0, 3.0), (300_000, 2.0)], basis="quantity")
    model.record(300_000, 10.0, instrument=STOCK, ts=ns(2024, 3, 1))
    assert model.bps_for(model.month_to_date) == 2.0
    assert fee(model, 1, 10.0) == pytest.approx(10 * 2e-4)
