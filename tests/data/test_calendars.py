"""Calendars: the bars a market should have, and the gaps a real series has against them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphaforge.data.bundled import load_dataset
from alphaforge.data.calendars import (
    KNOWN_CALENDARS,
    Gap,
    Gaps,
    check_calendar,
    exchange_calendar,
    expected_timestamps,
    find_gaps,
    infer_frequency,
    lazy_gaps,
)
from alphaforge.domain.errors import InvalidValueError


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_names() -> None:
    assert {"24/7", "24/5", "none", "XNYS", "XNAS", "XLON"} <= set(KNOWN_CALENDARS)
    assert check_calendar("xnys") == "XNYS"
    assert check_calendar("NYSE") == "NYSE"  # exchange_calendars aliases are accepted
    with pytest.raises(InvalidValueError, match=r"unknown calendar 'XNSY'; did you mean 'XNYS'"):
        check_calendar("XNSY")


def test_exchange_calendars_are_built_once() -> None:
    assert exchange_calendar("XNYS") is exchange_calendar("XNYS")
    # Built from 1900, so old data (MSFT from 1986) is covered.
    assert exchange_calendar("XNYS").first_session <= pd.Timestamp("1986-01-02")


def test_nyse_daily_sessions_skip_holidays() -> None:
    sessions = expected_timestamps("XNYS", "1d", _utc("2018-12-21"), _utc("2018-12-31"))
    assert [s.strftime("%m-%d") for s in sessions] == [
        "12-21", "12-24", "12-26", "12-27", "12-28", "12-31",
    ]  # fmt: skip
    assert str(sessions.tz) == "UTC"


def test_nyse_intraday_follows_sessions_dst_and_early_closes() -> None:
    winter = expected_timestamps("XNYS", "5m", _utc("2019-03-08"), _utc("2019-03-08 23:59"))
    summer = expected_timestamps("XNYS", "5m", _utc("2019-03-11"), _utc("2019-03-11 23:59"))
    assert (winter[0], winter[-1], len(winter)) == (
        _utc("2019-03-08 14:30"), _utc("2019-03-08 20:55"), 78,
    )  # fmt: skip
    assert (summer[0], len(summer)) == (_utc("2019-03-11 13:30"), 78)
    # The day after Thanksgiving closes at 13:00 New York time.
    half = expected_timestamps("XNYS", "5m", _utc("2018-11-23"), _utc("2018-11-23 23:59"))
    assert (half[-1], len(half)) == (_utc("2018-11-23 17:55"), 42)


def test_sessions_that_open_the_utc_day_before() -> None:
    # Sydney trades 10:00-16:00 AEDT, i.e. 23:00 the previous UTC day to 05:00.
    bars = expected_timestamps("XASX", "1h", _utc("2019-03-03 23:00"), _utc("2019-03-04 05:00"))
    assert list(bars) == [_utc(f"2019-03-0{d} {h:02d}:00") for d, h in
                          [(3, 23), (4, 0), (4, 1), (4, 2), (4, 3), (4, 4)]]  # fmt: skip


def test_intraday_gaps_are_within_sessions() -> None:
    bars = expected_timestamps("XNYS", "5m", _utc("2019-03-07"), _utc("2019-03-08 23:59"))
    index = bars.delete([3, 4, 100])  # two bars on the 7th, one on the 8th
    assert find_gaps(index, "XNYS", "5m") == (
        Gap(_utc("2019-03-07 14:45"), _utc("2019-03-07 14:50"), 2),
        Gap(bars[100], bars[100], 1),
    )  # the night between the sessions is not a gap


def test_fx_week_closes_friday_evening_to_sunday_evening() -> None:
    week = expected_timestamps("24/5", "1h", _utc("2019-03-04"), _utc("2019-03-11"))
    assert len(week) == 8 * 24 - 23 - 49  # Mon 00:00 .. next Mon 00:00, less the weekend
    assert _utc("2019-03-08 20:00") in week  # Friday's last certain bar
    assert _utc("2019-03-08 21:00") not in week  # optional: closes at 21:00 in US summer
    assert _utc("2019-03-10 21:00") not in week  # optional: opens at 21:00 in US summer
    assert _utc("2019-03-10 22:00") in week  # open in every season


@pytest.mark.parametrize("name", ["eurusd_1h", "eurusd_1h_ask_2017"])
def test_fx_weekends_in_both_dst_regimes_are_not_gaps(name: str) -> None:
    index = load_dataset(name).index
    gaps = find_gaps(index, "24/5", "1h")
    # Only the Christmas and New Year closures remain.
    assert all(g.start.month in (12, 1) and g.start.day in (24, 25, 31, 1) for g in gaps)
    assert len(gaps) == 2


def test_jittery_stamps_count_as_on_the_grid() -> None:
    funding = load_dataset("binance_xrpusdt_funding_8h").index  # stamps a few ms late
    assert (funding.microsecond != 0).sum() > 0
    assert find_gaps(funding, "24/7", "8h") == ()
    (gap,) = find_gaps(funding.delete(10), "24/7", "8h")
    assert gap == Gap(_utc("2021-11-21 08:00:00.017"), _utc("2021-11-21 08:00:00.017"), 1)


def test_monthly_gaps_follow_month_ends() -> None:
    btc = load_dataset("btcusd_monthly").index  # stamped on the last day of each month
    assert find_gaps(btc, "24/7", "1M") == ()
    assert find_gaps(btc.delete([5, 6]), "24/7", "1M") == (
        Gap(_utc("2012-06-30"), _utc("2012-07-31"), 2),
    )


def test_weekly_bars_on_an_exchange_calendar() -> None:
    spx = load_dataset("spx_daily")
    week = spx.index.tz_localize(None).to_period("W").start_time
    weekly = spx.groupby(week).tail(1).index  # each week's last session (Thursday if Friday off)
    # The NYSE closed after Monday 2001-09-10 for the rest of the week: that week's bar is
    # stamped on the Monday, four days off a fixed 7-day grid, and still matches its week.
    assert _utc("2001-09-10") in weekly
    assert find_gaps(weekly, "XNYS", "1w") == ()
    (gap,) = find_gaps(weekly.delete(100), "XNYS", "1w")
    assert gap.missing == 1
    assert gap.start == spx.index[week == week[spx.index == weekly[100]][0]][0]  # its 1st session


def test_none_and_ticks_have_no_gaps() -> None:
    index = load_dataset("binance_adabtc_5m").index
    assert find_gaps(index, "none", "5m") == ()
    assert find_gaps(index, "24/7", "tick") == ()
    with pytest.raises(InvalidValueError, match="'none' expects no particular"):
        expected_timestamps("none", "5m", index[0], index[-1])
    with pytest.raises(InvalidValueError, match="'tick' data"):
        expected_timestamps("24/7", "tick", index[0], index[-1])
    with pytest.raises(InvalidValueError, match="'2d' on exchange calendar 'XNYS'"):
        expected_timestamps("XNYS", "2d", index[0], index[-1])


def test_lazy_gaps_behave_like_the_tuple() -> None:
    index = load_dataset("binance_xrpeth_1m").index  # 676 real gaps, 1,091 missing minutes
    lazy = lazy_gaps(index, "24/7", "1m")
    eager = find_gaps(index, "24/7", "1m")
    assert isinstance(lazy, Gaps)
    assert lazy == eager
    assert len(lazy) == 676
    assert lazy.total_missing == sum(g.missing for g in eager) == 1091
    assert lazy[-1] == eager[-1]
    assert lazy[2:4] == eager[2:4]
    assert lazy.largest() == max(eager, key=lambda g: g.missing)
    assert repr(lazy) == "Gaps(676 gaps, 1091 bars missing)"
    with pytest.raises(TypeError):
        hash(lazy)


@pytest.mark.parametrize(
    ("name", "frequency"),
    [
        ("spx_daily", "1d"),
        ("eurusd_1h", "1h"),
        ("binance_xrpeth_1m", "1m"),
        ("binance_adabtc_5m", "5m"),
        ("binance_xrpusdt_funding_8h", "8h"),
        ("btcusd_monthly", "1M"),
        ("fama_french_monthly", "1M"),
    ],
)
def test_infer_frequency_on_real_data(name: str, frequency: str) -> None:
    assert infer_frequency(load_dataset(name).index) == frequency


def test_infer_frequency_gives_up_on_ticks() -> None:
    trades = load_dataset("binance_xrpeth_trades").index
    assert infer_frequency(trades) is None
    assert infer_frequency(trades[:2]) is None


def test_expected_stamps_need_aware_bounds() -> None:
    with pytest.raises(InvalidValueError, match="no time zone"):
        expected_timestamps("24/7", "1h", pd.Timestamp("2019-01-01"), _utc("2019-01-02"))
    assert len(expected_timestamps("24/7", "1h", _utc("2019-01-02"), _utc("2019-01-01"))) == 0
    grid = expected_timestamps("24/7", "15m", _utc("2019-01-01"), _utc("2019-01-01 01:00"))
    assert np.diff(grid.asi8).tolist() == [15 * 60 * 10**9] * 4
