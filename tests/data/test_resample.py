"""resample_bars on real bundled data, checked against independent pandas group-bys.

Crypto bins are UTC periods, FX days roll at 17:00 New York, equity weeks and months are made of
XNYS sessions. Synthetic data appears only where a test needs a known answer, and says so.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alphaforge.data.bundled import dataset_info, load_dataset
from alphaforge.data.calendars import exchange_calendar
from alphaforge.data.resample import resample_bars
from alphaforge.data.timeframes import parse_timeframe
from alphaforge.domain.errors import InvalidValueError

OHLCV = ["open", "high", "low", "close", "volume"]
NY = "America/New_York"


@cache
def _data(name: str) -> pd.DataFrame:
    return load_dataset(name)


def data(name: str) -> pd.DataFrame:
    return _data(name).copy()


def by_groups(frame: pd.DataFrame, keys: pd.Index) -> pd.DataFrame:
    """OHLCV of ``frame`` grouped by ``keys``, the textbook way (an independent reference)."""
    grouped = frame.groupby(keys)
    out = pd.DataFrame(
        {
            "open": grouped["open"].first(),
            "high": grouped["high"].max(),
            "low": grouped["low"].min(),
            "close": grouped["close"].last(),
            "volume": grouped["volume"].sum(),
        }
    )
    out.index = pd.DatetimeIndex(out.index, name="timestamp").as_unit("ns")
    return out


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


# ---------------------------------------------------------------- crypto: UTC periods


def test_eth_5m_to_1h_matches_a_pandas_group_by() -> None:
    eth = data("binance_ethbtc_5m")
    hourly = resample_bars(eth, "1h")
    expected = by_groups(eth, eth.index.floor("1h"))
    pd.testing.assert_frame_equal(hourly, expected)
    # The first bar opened at 04:55, so the first hour holds that one bar only.
    assert eth.index[0] == utc("2018-01-10 04:55")
    assert hourly.index[0] == utc("2018-01-10 04:00")
    assert hourly.iloc[0]["open"] == eth.iloc[0]["open"]
    assert hourly.iloc[0]["volume"] == eth.iloc[0]["volume"]


def test_xrp_1m_to_1d_matches_a_pandas_group_by() -> None:
    xrp = data("binance_xrpeth_1m")
    daily = resample_bars(xrp, "1d")
    pd.testing.assert_frame_equal(daily, by_groups(xrp, xrp.index.floor("1D")))
    assert list(daily.index) == [utc("2019-10-11"), utc("2019-10-12"), utc("2019-10-13")]
    assert daily["volume"].sum() == pytest.approx(xrp["volume"].sum(), rel=1e-12)


def test_a_gap_creates_no_bar() -> None:
    # ADA/BTC has no bar from 2018-01-15 12:00 to 14:40 (the bar before opened at 11:55).
    ada = data("binance_adabtc_5m")
    before = ada.index[ada.index < utc("2018-01-15 12:00")][-1]
    after = ada.index[ada.index > utc("2018-01-15 12:00")][0]
    assert (before, after) == (utc("2018-01-15 11:55"), utc("2018-01-15 14:45"))
    hourly = resample_bars(ada, "1h")
    day = hourly.loc["2018-01-15 10:00":"2018-01-15 15:00"].index
    assert list(day) == [utc(f"2018-01-15 {h}:00") for h in (10, 11, 14, 15)]
    # Every bin holds real bars: as many bins as distinct hours with data, none without volume.
    assert len(hourly) == ada.index.floor("1h").nunique()
    assert (hourly["volume"] > 0).all()
    # The 14:00 bin is interior, so it stays with drop_partial although it lacks 14:00-14:40.
    assert utc("2018-01-15 14:00") in resample_bars(ada, "1h", drop_partial=True).index


def test_bins_are_epoch_aligned_not_anchored_at_the_first_bar() -> None:
    eth = data("binance_ethbtc_5m")
    four = resample_bars(eth, "4h")
    assert set(four.index.hour) <= {0, 4, 8, 12, 16, 20}
    assert four.index[0] == utc("2018-01-10 04:00")


def test_drop_partial_on_crypto_drops_only_incomplete_edge_bins() -> None:
    eth = data("binance_ethbtc_5m")
    full = resample_bars(eth, "1h")
    kept = resample_bars(eth, "1h", drop_partial=True)
    # The first hour has one bar (04:55); the last ends before its hour did.
    assert eth.index[-1].minute != 55
    pd.testing.assert_frame_equal(kept, full.iloc[1:-1])


def test_drop_partial_keeps_complete_edge_bins() -> None:
    day = data("binance_ethbtc_5m").loc["2018-01-11 00:00":"2018-01-11 23:55"]
    assert len(day) == 288  # every 5-minute bar of the day
    assert len(resample_bars(day, "1d", drop_partial=True)) == 1
    assert len(resample_bars(day.iloc[1:], "1d", drop_partial=True)) == 0
    assert len(resample_bars(day.iloc[:-1], "1d", drop_partial=True)) == 0
    # A bar missing inside the day does not make it partial: only the edges are judged.
    inside = day.drop(index=day.index[100])
    assert len(resample_bars(inside, "1d", drop_partial=True)) == 1


# ---------------------------------------------------------------- FX: days roll at 17:00 New York


def fx_trading_labels(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """17:00 New York of the day before each bar's trading date, in UTC (independent of the
    module: trading date = New York wall time + 7 hours)."""
    trading_date = (index.tz_convert(NY).tz_localize(None) + pd.Timedelta(hours=7)).normalize()
    start = (trading_date - pd.Timedelta(hours=7)).tz_localize(NY).tz_convert("UTC")
    return pd.DatetimeIndex(start, name="timestamp").as_unit("ns")


def test_fx_hours_to_days_roll_at_5pm_new_york_across_daylight_saving() -> None:
    eur = data("eurusd_1h_ask_2017")
    daily = resample_bars(eur, "1d", calendar="24/5")
    pd.testing.assert_frame_equal(daily, by_groups(eur, fx_trading_labels(eur.index)))
    assert (daily.index.tz_convert(NY).hour == 17).all()
    # Summer days start at 21:00 UTC, winter days at 22:00 UTC: US clocks moved on 2017-03-12
    # and 2017-11-05, so Monday 2017-03-13 opened Sunday 21:00 UTC.
    assert utc("2017-03-05 22:00") in daily.index
    assert utc("2017-03-12 21:00") in daily.index
    assert utc("2017-11-05 22:00") in daily.index
    # With the New York roll every day of 2017 holds 24 hours, except Christmas (9, real).
    counts = eur.groupby(fx_trading_labels(eur.index)).size()
    assert counts.value_counts().to_dict() == {24: 259, 9: 1}
    assert counts.idxmin() == utc("2017-12-24 22:00")


def test_fx_daily_drop_partial_and_stray_ticks() -> None:
    eur = data("eurusd_1h")
    daily = resample_bars(eur, "1d", calendar="24/5")
    counts = eur.groupby(fx_trading_labels(eur.index)).size()
    assert len(daily) == len(counts)
    # The set starts mid-day (2017-04-19 09:00 UTC, 12 bars of that day) and ends mid-day
    # (18 bars): drop_partial removes exactly those two.
    assert (counts.iloc[0], counts.iloc[-1]) == (12, 18)
    kept = resample_bars(eur, "1d", calendar="24/5", drop_partial=True)
    pd.testing.assert_frame_equal(kept, daily.iloc[1:-1])
    # Two real one-tick bars at Friday 17:00 New York open the next trading date: they stay
    # one-bar days (real data, interior), never merged into Friday nor invented around.
    stray = counts[counts == 1].index
    assert list(stray) == [utc("2017-10-06 21:00"), utc("2017-10-20 21:00")]
    assert (kept.loc[stray, "volume"] == 1.0).all()


def test_fx_weeks_start_sunday_5pm_new_york() -> None:
    eur = data("eurusd_1h_ask_2017")
    weekly = resample_bars(eur, "1w", calendar="24/5")
    local = weekly.index.tz_convert(NY)
    assert (local.day_of_week == 6).all()
    assert (local.hour == 17).all()
    assert weekly["volume"].sum() == pytest.approx(eur["volume"].sum(), rel=1e-12)
    assert len(weekly) == 52


# ---------------------------------------------------------------- equity: XNYS weeks and months


def test_spx_daily_to_weekly_on_xnys() -> None:
    spx = data("spx_daily")
    weekly = resample_bars(spx, "1w", calendar="XNYS")
    week_start = spx.index.tz_localize(None).to_period("W-SUN").start_time.tz_localize("UTC")
    pd.testing.assert_frame_equal(weekly, by_groups(spx, week_start))
    assert (weekly.index.day_of_week == 0).all()  # labelled Monday 00:00 UTC


def test_weekly_bars_end_on_the_last_trading_day() -> None:
    spx = data("spx_daily")
    weekly = resample_bars(spx, "1w", calendar="XNYS")

    def last_day_of_week(monday: str) -> pd.Timestamp:
        week = spx.loc[monday : str((pd.Timestamp(monday) + pd.Timedelta(days=6)).date())]
        assert weekly.loc[monday, "close"] == week["close"].iloc[-1]
        assert weekly.loc[monday, "open"] == week["open"].iloc[0]
        return week.index[-1]

    assert last_day_of_week("2018-03-26") == utc("2018-03-29")  # Good Friday
    assert last_day_of_week("2001-09-10") == utc("2001-09-10")  # closed 9/11 to 9/14
    assert last_day_of_week("2018-12-24") == utc("2018-12-28")  # Christmas Tuesday
    # Every week of the set ends on the calendar's last session of that week.
    sessions = exchange_calendar("XNYS").sessions_in_range("1999-01-04", "2018-12-31")
    sessions = pd.DatetimeIndex(sessions).tz_localize("UTC")
    last_session = pd.Series(sessions, index=sessions).groupby(
        sessions.tz_localize(None).to_period("W-SUN")
    )
    last_bar = pd.Series(spx.index, index=spx.index).groupby(
        spx.index.tz_localize(None).to_period("W-SUN")
    )
    ends = pd.DataFrame({"session": last_session.max(), "bar": last_bar.max()}).iloc[:-1]
    assert (ends["session"] == ends["bar"]).all()


def test_spx_daily_to_monthly_on_xnys_and_drop_partial() -> None:
    spx = data("spx_daily")
    monthly = resample_bars(spx, "1M", calendar="XNYS")
    month_start = spx.index.tz_localize(None).to_period("M").start_time.tz_localize("UTC")
    pd.testing.assert_frame_equal(monthly, by_groups(spx, month_start))
    assert monthly.index[0] == utc("1999-01-01")  # labelled the 1st; first session the 4th
    # The set starts on January's first session and ends on December's last, so both edge
    # months are complete; its last week (Monday 2018-12-31 alone) is not.
    assert len(resample_bars(spx, "1M", calendar="XNYS", drop_partial=True)) == len(monthly)
    weekly = resample_bars(spx, "1w", calendar="XNYS")
    kept = resample_bars(spx, "1w", calendar="XNYS", drop_partial=True)
    pd.testing.assert_frame_equal(kept, weekly.iloc[:-1])
    # Start the data on a Tuesday and the first week becomes partial too.
    late = resample_bars(spx.loc["1999-01-05":], "1w", calendar="XNYS", drop_partial=True)
    assert late.index[0] == utc("1999-01-11")


def test_close_only_data_with_missing_values() -> None:
    # VIX has 46 holidays with no value (NaN): the weekly close is the last known one.
    vix = data("vix_daily")
    assert vix["close"].isna().sum() == 46
    weekly = resample_bars(vix, "1w", calendar="XNYS")
    keys = vix.index.tz_localize(None).to_period("W-SUN").start_time.tz_localize("UTC")
    expected = vix.groupby(keys)["close"].last()
    np.testing.assert_array_equal(weekly["close"].to_numpy(), expected.to_numpy())
    assert weekly["close"].notna().all()


def test_unknown_volume_stays_unknown() -> None:
    # Synthetic change for a known answer: one hour of real ETH bars gets NaN volume.
    eth = data("binance_ethbtc_5m")
    hole = (eth.index >= utc("2018-01-12 10:00")) & (eth.index < utc("2018-01-12 11:00"))
    eth.loc[hole, "volume"] = np.nan
    eth.loc[eth.index == utc("2018-01-12 12:05"), "volume"] = np.nan
    hourly = resample_bars(eth, "1h")
    assert np.isnan(hourly.loc[utc("2018-01-12 10:00"), "volume"])
    noon = eth.loc["2018-01-12 12:00":"2018-01-12 12:55", "volume"]
    assert hourly.loc[utc("2018-01-12 12:00"), "volume"] == pytest.approx(noon.sum())
    assert hourly["volume"].isna().sum() == 1


# ---------------------------------------------------------------- exchange intraday sessions


def test_intraday_bins_anchor_at_the_open_and_end_at_an_early_close() -> None:
    # Synthetic stamps for a known answer: real ETH/BTC 5-minute values restamped onto the
    # 2018-11-23 XNYS half day (14:30 to 18:00 UTC, i.e. 09:30 to 13:00 New York).
    eth = data("binance_ethbtc_5m").iloc[:42]
    stamps = pd.date_range("2018-11-23 14:30", periods=42, freq="5min", tz="UTC")
    session = eth.set_axis(stamps.as_unit("ns").rename("timestamp"), axis=0)
    hourly = resample_bars(session, "1h", calendar="XNYS")
    assert list(hourly.index) == [utc(f"2018-11-23 {h}:30") for h in (14, 15, 16, 17)]
    assert hourly["volume"].iloc[-1] == pytest.approx(session["volume"].iloc[36:].sum())
    daily = resample_bars(session, "1d", calendar="XNYS")
    assert list(daily.index) == [utc("2018-11-23")]
    assert len(resample_bars(session, "1d", calendar="XNYS", drop_partial=True)) == 1
    assert len(resample_bars(session.iloc[:-1], "1d", calendar="XNYS", drop_partial=True)) == 0


def test_bars_outside_exchange_sessions_are_refused() -> None:
    with pytest.raises(InvalidValueError, match="outside XNYS sessions"):
        resample_bars(data("binance_ethbtc_5m"), "1h", calendar="XNYS")


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("name", "target", "message"),
    [
        ("spx_daily", "1h", "upsampling"),
        ("binance_ethbtc_5m", "1m", "upsampling"),
        ("binance_ethbtc_5m", "7m", "not a whole multiple"),
        ("btcusd_monthly", "1w", "upsampling"),
        ("binance_ethbtc_5m", "tick", "cannot resample to 'tick'"),
        ("binance_ethbtc_5m", "1x", "unknown timeframe"),
    ],
)
def test_refuses_what_would_invent_or_split_bars(name: str, target: str, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        resample_bars(data(name), target)


def test_refuses_bad_frames() -> None:
    eth = data("binance_ethbtc_5m")
    with pytest.raises(InvalidValueError, match="tz-aware UTC"):
        resample_bars(eth.tz_convert(None), "1h")
    with pytest.raises(InvalidValueError, match="strictly increasing"):
        resample_bars(eth.iloc[::-1], "1h")
    with pytest.raises(InvalidValueError, match="not numbers"):
        resample_bars(eth.assign(note="x"), "1h")
    with pytest.raises(InvalidValueError, match="irregular spacing"):
        resample_bars(eth.iloc[:2], "1h")
    with pytest.raises(InvalidValueError, match="unknown calendar"):
        resample_bars(eth, "1h", calendar="XNSY")


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
def test_any_timestamp_unit_gives_the_same_bins(unit: str) -> None:
    # pandas 3 parses text to second or microsecond stamps; bins must not depend on the unit.
    eth = data("binance_ethbtc_5m")
    coarse = eth.set_axis(eth.index.as_unit(unit), axis=0)
    pd.testing.assert_frame_equal(resample_bars(coarse, "1h"), resample_bars(eth, "1h"))


def test_same_timeframe_is_the_identity() -> None:
    eth = data("binance_ethbtc_5m")
    pd.testing.assert_frame_equal(resample_bars(eth, "5m"), eth.rename_axis("timestamp"))


# ---------------------------------------------------------------- properties


CRYPTO = ("binance_ethbtc_5m", "binance_adabtc_5m", "binance_xrpeth_1m", "binance_xrpusdt_perp_5m")


@given(
    name=st.sampled_from(CRYPTO),
    target=st.sampled_from(("5m", "15m", "1h", "4h", "1d", "1w", "1M")),
    start=st.integers(0, 1500),
    length=st.integers(3, 800),
)
def test_resampling_preserves_totals_and_extremes(
    name: str, target: str, start: int, length: int
) -> None:
    frame = _data(name).iloc[start : start + length]
    out = resample_bars(frame, target, source_timeframe=dataset_info(name).frequency)
    assert out["volume"].sum() == pytest.approx(frame["volume"].sum(), rel=1e-9)
    assert out["high"].max() == frame["high"].max()
    assert out["low"].min() == frame["low"].min()
    assert out["open"].iloc[0] == frame["open"].iloc[0]
    assert out["close"].iloc[-1] == frame["close"].iloc[-1]
    # Bins are sorted, each holds at least one bar, and every bar lies in its bin.
    assert out.index.is_monotonic_increasing
    pos = np.searchsorted(out.index.asi8, frame.index.asi8, side="right") - 1
    assert (pos >= 0).all()
    assert len(np.unique(pos)) == len(out)
    tf = parse_timeframe(target)
    ends = out.index + (pd.DateOffset(months=1) if tf.is_calendar else pd.Timedelta(tf.nanos))
    assert (frame.index.asi8 < ends.asi8[pos]).all()
