"""Scenario on real data: perpetual funding on the bundled Binance XRP perpetual.

Real data: the bundled 5-minute XRPUSDT perpetual bars (2021-11-15 to 2021-11-21) and the
bundled 8-hourly funding-rate series of the same contract. A long of 10,000 XRP is bought at
the market after the 23:00 close of 2021-11-17 and held to the end of the bars. At each funding
time the position pays ``quantity * mark * rate``, the mark being the close of the last bar that
closed at or before the funding time. Three payments are checked by hand against the bundled
rates and closes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import cache

import pytest
from scenario_kit import Harness

from alphaforge.data import HistoricalFeed
from alphaforge.domain import Bar, Instrument, OrderIntent, OrderSide, dt_to_ns
from alphaforge.execution import FundingSchedule

SYMBOL = "XRPUSDT-PERP"
XRP = Instrument.crypto(SYMBOL, "0.0001", "0.1", base="XRP", quote="USDT")


@cache
def perp_bars() -> tuple[Bar, ...]:
    return tuple(HistoricalFeed.from_bundled("binance_xrpusdt_perp_5m").bars())


def ns(*args: int) -> int:
    return dt_to_ns(datetime(*args, tzinfo=UTC))


def mark_at(bars: tuple[Bar, ...], ts: int) -> float:
    return [bar for bar in bars if bar.ts_event <= ts][-1].close


def run_long() -> tuple[Harness, list[tuple[int, float, float]]]:
    bars = perp_bars()
    harness = Harness.of(XRP)
    entry_close = ns(2021, 11, 17, 23)
    index = next(i for i, bar in enumerate(bars) if bar.ts_event == entry_close)
    harness.play(bars, at_close={index: [OrderIntent.market(SYMBOL, OrderSide.BUY, 10_000)]})
    (fill,) = harness.fills
    schedule = FundingSchedule.from_bundled()
    quantity = float(harness.broker.position(SYMBOL))
    payments = [
        (ts, mark_at(bars, ts), schedule.payment(quantity, mark_at(bars, ts), rate))
        for ts, rate in schedule.events_between(fill.ts_event, bars[-1].ts_event)
    ]
    return harness, payments


def test_the_long_is_filled_at_the_next_open() -> None:
    harness, _ = run_long()
    (fill,) = harness.fills
    assert fill.price == Decimal("1.0928")  # open of the 23:00 bar
    assert fill.ts_event == ns(2021, 11, 17, 23, 5)


def test_funding_payments_checked_by_hand() -> None:
    _, payments = run_long()
    by_time = {
        datetime.fromtimestamp(ts // 10**9, tz=UTC): (mark, paid) for ts, mark, paid in payments
    }
    assert len(payments) == 12  # 2021-11-18 00:00 ... 2021-11-21 16:00, every 8 hours
    # 2021-11-18 08:00:00.007: rate 0.0001, mark 1.1074 (close of the 07:55 bar).
    assert by_time[datetime(2021, 11, 18, 8, tzinfo=UTC)] == pytest.approx((1.1074, 1.1074))
    # 2021-11-20 00:00:00.012: rate 0.00013046, mark 1.0903: 10,000 * 1.0903 * 0.00013046.
    assert by_time[datetime(2021, 11, 20, tzinfo=UTC)] == pytest.approx((1.0903, 1.42240538))
    # 2021-11-21 16:00:00.000: rate 0.00019881, mark 1.0788 (the bar closing exactly then).
    assert by_time[datetime(2021, 11, 21, 16, tzinfo=UTC)] == pytest.approx((1.0788, 2.14476228))
    assert all(paid > 0 for _, _, paid in payments)  # every rate here is positive: longs pay


def test_negative_funding_is_paid_by_shorts() -> None:
    schedule = FundingSchedule.from_bundled()
    ts = ns(2021, 12, 4, 8) + 4_000_000  # 2021-12-04 08:00:00.004, the one large negative rate
    rate = schedule.rate_at(ts)
    assert rate == -0.00219334
    # A negative rate: shorts pay (a positive charge), longs receive (a negative one).
    assert schedule.payment(-10_000, 0.8, rate) == pytest.approx(17.54672)
    assert schedule.payment(10_000, 0.8, rate) == pytest.approx(-17.54672)
