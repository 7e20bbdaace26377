"""Financing: borrow fees, cash interest, funding schedules (including the bundled series)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from alphaforge.domain import InvalidValueError, dt_to_ns
from alphaforge.execution import BorrowFee, CashInterest, FundingSchedule, calendar_days


def ns(*args: int) -> int:
    return dt_to_ns(datetime(*args, tzinfo=UTC))


def test_calendar_days_counts_midnights() -> None:
    friday_close = ns(2024, 1, 5, 21)
    assert calendar_days(friday_close, ns(2024, 1, 8, 21)) == 3
    assert calendar_days(ns(2024, 1, 5, 9), friday_close) == 0
    assert calendar_days(ns(2024, 1, 5, 23), ns(2024, 1, 6, 0)) == 1
    with pytest.raises(InvalidValueError):
        calendar_days(friday_close, friday_close - 1)


def test_borrow_fee() -> None:
    fee = BorrowFee(0.03, rates={"GME": 0.5})
    assert fee.charge(-50_000.0) == pytest.approx(50_000 * 0.03 / 360)
    assert fee.charge(50_000.0, days=3) == pytest.approx(3 * 50_000 * 0.03 / 360)
    assert fee.charge(10_000.0, symbol="GME") == pytest.approx(10_000 * 0.5 / 360)
    assert BorrowFee(0.03, 365).charge(36_500.0) == pytest.approx(3.0)
    with pytest.raises(InvalidValueError):
        BorrowFee(0.03, 252)
    with pytest.raises(InvalidValueError):
        BorrowFee(-0.01)


def test_cash_interest_credit_and_debit() -> None:
    interest = CashInterest(0.04, debit_rate=0.08)
    assert interest.charge(100_000.0) == pytest.approx(-100_000 * 0.04 / 360)
    assert interest.charge(-10_000.0) == pytest.approx(10_000 * 0.08 / 360)
    assert CashInterest(0.04).charge(-10_000.0) == 0.0
    assert interest.charge_between(36_000.0, ns(2024, 1, 1), ns(2024, 1, 11)) == pytest.approx(
        -40.0
    )


def test_funding_schedule_events_and_payments() -> None:
    times = [ns(2024, 1, 1, h) for h in (0, 8, 16)]
    schedule = FundingSchedule(times, [0.0001, -0.0002, 0.0003])
    assert len(schedule) == 3
    assert schedule.events_between(times[0], times[2]) == [(times[1], -0.0002), (times[2], 0.0003)]
    assert schedule.events_between(times[0] - 1, times[0]) == [(times[0], 0.0001)]
    assert schedule.rate_at(times[1]) == -0.0002
    assert schedule.rate_at(times[1] + 1) is None
    charges = schedule.charges_between(-2.0, 100.0, times[0] - 1, times[2], multiplier=10.0)
    assert [ts for ts, _ in charges] == times
    assert [amount for _, amount in charges] == pytest.approx([-0.2, 0.4, -0.6])


@pytest.mark.parametrize(
    ("times", "rates"),
    [([1, 1], [0.1, 0.1]), ([2, 1], [0.1, 0.1]), ([1], [0.1, 0.2]), ([1], [float("nan")])],
)
def test_funding_schedule_validation(times: list[int], rates: list[float]) -> None:
    with pytest.raises(InvalidValueError):
        FundingSchedule(times, rates)


def test_bundled_xrp_funding_series() -> None:
    schedule = FundingSchedule.from_bundled()
    assert len(schedule) == 91
    assert schedule.times_ns[0] == ns(2021, 11, 18) + 17_000_000  # 00:00:00.017
    assert schedule.rates[0] == 0.0001
    assert np.all(np.diff(schedule.times_ns) > 0)
    assert schedule.rates.min() == -0.00219334
