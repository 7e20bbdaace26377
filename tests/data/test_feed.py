"""HistoricalFeed on real bundled data: ordered, deterministic events stamped when they closed."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alphaforge.data.bundled import load_dataset
from alphaforge.data.calendars import exchange_calendar
from alphaforge.data.catalog import Catalog
from alphaforge.data.errors import DataValidationError, UnknownDatasetError
from alphaforge.data.feed import BarBatch, HistoricalFeed
from alphaforge.data.resample import resample_bars
from alphaforge.data.timeframes import parse_timeframe
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.market import Bar, TradeTick

STOCKS = (
    "AAPL", "AMD", "BAC", "BBY", "CVX", "GE", "HD", "JNJ", "JPM", "KO",
    "LLY", "MRK", "MSFT", "PEP", "PFE", "PG", "RRC", "UNH", "WMT", "XOM",
)  # fmt: skip
NY = "America/New_York"


@cache
def _data(name: str) -> pd.DataFrame:
    return load_dataset(name)


@cache
def stock(symbol: str) -> pd.DataFrame:
    """One stock of the bundled 20 as a close-only frame."""
    return _data("stocks20_close")[[symbol]].rename(columns={symbol: "close"})


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def ns(text: str) -> int:
    return int(utc(text).value)


def order_key(batch: BarBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ts_event, timeframe length, symbol) of every row: the documented delivery order."""
    spans = np.array([_span(s.timeframe) for s in batch.streams], dtype=np.int64)
    names = np.array([s.symbol for s in batch.streams])
    return batch.ts_event, spans[batch.stream], names[batch.stream]


def _span(timeframe: str) -> int:
    tf = parse_timeframe(timeframe)
    return 0 if tf.is_tick else (tf.count * 31 * 86_400 * 10**9 if tf.is_calendar else tf.nanos)


def assert_in_order(batch: BarBatch) -> None:
    ts, span, name = order_key(batch)
    order = np.lexsort((name, span, ts))
    np.testing.assert_array_equal(order, np.arange(len(ts)))


def stocks_and_crypto() -> HistoricalFeed:
    feed = HistoricalFeed()
    feed.add_bundled("stocks20_close")
    feed.add_bundled("binance_ethbtc_5m")
    return feed


# ---------------------------------------------------------------- order and determinism


def test_twenty_stocks_and_five_minute_crypto_merge_in_order() -> None:
    feed = stocks_and_crypto()
    batch = feed.arrays()
    assert len(batch) == 20 * 8313 + 5760 == len(feed)
    assert_in_order(batch)
    # 2018-01-10 closed at 21:00 UTC: the 5-minute bar that ends then comes before the 20
    # daily bars of that session, which follow alphabetically.
    at = np.flatnonzero(batch.ts_event == ns("2018-01-10 21:00"))
    assert list(batch.symbols()[at]) == ["ETHBTC", *STOCKS]
    eth = _data("binance_ethbtc_5m")
    assert batch.close[at[0]] == eth.loc[utc("2018-01-10 20:55"), "close"]


def test_two_runs_and_any_assembly_order_give_the_same_sequence() -> None:
    first, second = stocks_and_crypto().arrays(), stocks_and_crypto().arrays()
    reverse = HistoricalFeed()
    reverse.add_bundled("binance_ethbtc_5m")
    for symbol in reversed(STOCKS):
        reverse.add_bars(symbol, "1d", stock(symbol), calendar="XNYS")
    third = reverse.arrays()
    for other in (second, third):
        np.testing.assert_array_equal(first.ts_event, other.ts_event)
        np.testing.assert_array_equal(first.symbols(), other.symbols())
        for field in ("open", "high", "low", "close"):
            np.testing.assert_array_equal(getattr(first, field), getattr(other, field))
        np.testing.assert_array_equal(first.volume, other.volume)  # NaN where unknown


def test_iteration_yields_bars_matching_the_arrays() -> None:
    feed = HistoricalFeed.from_bundled("stocks20_close", ["KO", "PEP"], end="1991-12-31")
    feed.add_bundled("msft_daily")
    batch = feed.arrays()
    bars = list(feed)
    assert len(bars) == len(batch)
    assert all(type(bar) is Bar for bar in bars)
    assert [b.ts_event for b in bars] == batch.ts_event.tolist()
    assert all(b.ts_init == b.ts_event for b in bars)
    assert [b.symbol for b in bars] == batch.symbols().tolist()
    assert [b.close for b in bars] == batch.close.tolist()
    ko = next(b for b in bars if b.symbol == "KO")
    # Close-only data: every price is the close and the volume is unknown (NaN), not 0.
    assert ko.open == ko.high == ko.low == ko.close
    assert np.isnan(ko.volume)
    assert ko.timeframe == "1d"
    msft = next(b for b in bars if b.symbol == "MSFT")
    assert isinstance(msft, Bar)
    assert msft.volume > 0
    assert msft.high >= msft.close >= msft.low
    assert [repr(b) for b in feed.bars()] == [repr(b) for b in bars]  # repr: NaN != NaN


# ---------------------------------------------------------------- ts_event = when the bar closed


def test_daily_bar_is_known_at_its_session_close() -> None:
    batch = HistoricalFeed.from_bundled("stocks20_close", ["AAPL"]).arrays()
    close = pd.DatetimeIndex(pd.to_datetime(batch.ts_event, utc=True))
    labels = _data("stocks20_close").index
    assert len(close) == len(labels)
    by_date = pd.Series(close, index=labels)
    assert by_date[utc("1990-01-02")] == utc("1990-01-02 21:00")  # 16:00 New York, winter
    assert by_date[utc("2018-07-02")] == utc("2018-07-02 20:00")  # 16:00 New York, summer
    assert by_date[utc("2018-07-03")] == utc("2018-07-03 17:00")  # 13:00 EDT, half day
    assert by_date[utc("2018-11-23")] == utc("2018-11-23 18:00")  # 13:00 EST, after Thanksgiving
    assert by_date[utc("2018-12-24")] == utc("2018-12-24 18:00")
    # Every bar against the exchange calendar's own schedule, and on its own date.
    schedule = exchange_calendar("XNYS").schedule
    expected = schedule.loc[labels.tz_localize(None), "close"]
    np.testing.assert_array_equal(close.asi8, pd.DatetimeIndex(expected).as_unit("ns").asi8)
    local = close.tz_convert(NY)
    assert set(local.strftime("%H:%M")) == {"16:00", "13:00", "14:00"}
    assert (local.normalize().tz_localize(None) == labels.tz_localize(None)).all()


def test_five_minute_bar_is_known_five_minutes_after_it_opened() -> None:
    feed = HistoricalFeed.from_bundled("binance_ethbtc_5m")
    batch = feed.arrays()
    eth = _data("binance_ethbtc_5m")
    np.testing.assert_array_equal(batch.ts_event, eth.index.asi8 + 5 * 60 * 10**9)
    i = int(np.flatnonzero(batch.ts_event == ns("2018-01-12 12:05"))[0])
    bar = eth.loc[utc("2018-01-12 12:00")]
    got = (batch.open[i], batch.high[i], batch.low[i], batch.close[i], batch.volume[i])
    assert got == tuple(bar[["open", "high", "low", "close", "volume"]])


def test_timestamp_unit_does_not_change_event_times() -> None:
    spx = _data("spx_daily")
    feed = HistoricalFeed()
    feed.add_bars("SPX", "1d", spx.set_axis(spx.index.as_unit("s"), axis=0), calendar="XNYS")
    expected = HistoricalFeed.from_bundled("spx_daily").arrays().ts_event
    np.testing.assert_array_equal(feed.arrays().ts_event, expected)


def test_weekly_and_monthly_bars_are_known_at_their_last_session_close() -> None:
    spx = _data("spx_daily")
    feed = HistoricalFeed()
    feed.add_bars("SPX", "1d", spx, calendar="XNYS")
    feed.add_bars("SPX", "1w", resample_bars(spx, "1w", calendar="XNYS"), calendar="XNYS")
    feed.add_bars("SPX", "1M", resample_bars(spx, "1M", calendar="XNYS"), calendar="XNYS")
    batch = feed.arrays()
    assert_in_order(batch)
    tf = np.array([s.timeframe for s in batch.streams])[batch.stream]
    # The week of Good Friday 2018, and March, ended on Thursday the 29th, 16:00 New York =
    # 20:00 UTC: the daily bar first, then the week, then the month, all at that instant.
    at = np.flatnonzero(batch.ts_event == ns("2018-03-29 20:00"))
    assert list(tf[at]) == ["1d", "1w", "1M"]
    assert batch.close[at[0]] == batch.close[at[1]] == batch.close[at[2]]
    # The week of 2001-09-10 ended on its Monday (markets shut after the attacks).
    at = np.flatnonzero(batch.ts_event == ns("2001-09-10 20:00"))
    assert list(tf[at]) == ["1d", "1w"]
    # December 2018 ended on Monday the 31st (21:00 UTC): day and month. The data stops there,
    # but its week runs to Friday 2019-01-04: the (partial) weekly bar is not known before.
    at = np.flatnonzero(batch.ts_event == ns("2018-12-31 21:00"))
    assert list(tf[at]) == ["1d", "1M"]
    assert tf[-1] == "1w"
    assert batch.ts_event[-1] == ns("2019-01-04 21:00")
    # Every complete week and month is known exactly when its last daily bar is.
    daily = batch.ts_event[tf == "1d"]
    for timeframe, step in (("1w", pd.DateOffset(weeks=1)), ("1M", pd.DateOffset(months=1))):
        labels = resample_bars(spx, timeframe, calendar="XNYS").index
        last_day = np.searchsorted(spx.index.asi8, (labels + step).asi8) - 1
        known = batch.ts_event[tf == timeframe]
        complete = slice(None, -1) if timeframe == "1w" else slice(None)
        np.testing.assert_array_equal(known[complete], daily[last_day][complete])


def test_fx_daily_bars_close_at_5pm_new_york() -> None:
    daily = resample_bars(_data("eurusd_1h"), "1d", calendar="24/5", drop_partial=True)
    feed = HistoricalFeed()
    feed.add_bars("EURUSD", "1d", daily, calendar="24/5")
    feed.add_bars("EURUSD", "1h", _data("eurusd_1h"), calendar="24/5")
    batch = feed.arrays()
    tf = np.array([s.timeframe for s in batch.streams])[batch.stream]
    days = pd.to_datetime(batch.ts_event[tf == "1d"], utc=True).tz_convert(NY)
    assert (days.hour == 17).all()
    # Monday 2017-05-01 closes at 17:00 EDT, right after the hour that ends then.
    at = np.flatnonzero(batch.ts_event == ns("2017-05-01 21:00"))
    assert list(tf[at]) == ["1h", "1d"]
    assert batch.close[at[0]] == batch.close[at[1]]


def test_monthly_stamps_by_registry() -> None:
    crude = HistoricalFeed.from_bundled("crude_monthly", ["WTI"]).arrays()
    assert crude.ts_event[0] == ns("1987-06-15")  # mid-May price, known a month later
    btc = HistoricalFeed.from_bundled("btcusd_monthly").arrays()
    assert btc.ts_event[0] == ns("2012-02-01")  # January, stamped on the 31st


# ---------------------------------------------------------------- trades


def test_trades_sharing_a_timestamp_keep_id_order_and_are_never_merged() -> None:
    raw = _data("binance_xrpeth_trades")
    assert raw.index.duplicated().sum() == 2490
    feed = HistoricalFeed.from_bundled("binance_xrpeth_trades")
    trades = feed.trades()
    assert len(trades) == len(raw) == len(feed) == 12477
    ids = trades.trade_id.astype(np.int64)
    assert (np.diff(trades.ts_event) >= 0).all()
    same = np.diff(trades.ts_event) == 0
    assert same.sum() == 2490
    assert (np.diff(ids)[same] > 0).all()
    first = next(iter(feed))
    assert first == TradeTick(
        "XRPETH", 0.00141342, 23.0, "sell", "13519807", *[ns("2019-10-11 00:00:11.620")] * 2
    )
    # Shuffled input comes out in the same order; a trade recorded twice is kept once.
    shuffled = raw.sample(frac=1.0, random_state=7)
    again = HistoricalFeed()
    again.add_trades("XRPETH", pd.concat([shuffled, raw.iloc[:100]]))
    np.testing.assert_array_equal(again.trades().trade_id, trades.trade_id)
    np.testing.assert_array_equal(again.trades().price, trades.price)


def test_a_repeated_trade_id_with_other_values_is_refused() -> None:
    raw = _data("binance_xrpeth_trades")
    clash = raw.iloc[:1].assign(amount=raw["amount"].iloc[0] + 1)
    feed = HistoricalFeed()
    with pytest.raises(DataValidationError, match="trade id 13519807 repeats row 1"):
        feed.add_trades("XRPETH", pd.concat([raw, clash]))


def test_trades_and_bars_interleave_by_time() -> None:
    feed = HistoricalFeed.from_bundled("binance_xrpeth_trades")
    feed.add_bundled("binance_xrpeth_1m")
    events = list(feed)
    assert len(events) == 12477 + 2469
    stamps = [e.ts_event for e in events]
    assert stamps == sorted(stamps)
    kinds = [type(e) for e in events]
    assert kinds.count(TradeTick) == 12477
    # The first minute bar [00:00, 00:01) comes after the trades of that minute.
    first_bar = kinds.index(Bar)
    assert events[first_bar].ts_event == ns("2019-10-11 00:01")
    assert all(e.ts_event < ns("2019-10-11 00:01") for e in events[:first_bar])
    assert events[first_bar + 1].ts_event >= ns("2019-10-11 00:01")


# ---------------------------------------------------------------- start / end


def test_start_and_end_filter_on_ts_event_inclusively() -> None:
    feed = HistoricalFeed.from_bundled(
        "stocks20_close", ["AAPL"], start="2018-01-02 21:00", end="2018-01-31"
    )
    batch = feed.arrays()
    assert batch.ts_event[0] == ns("2018-01-02 21:00")
    assert batch.ts_event[-1] == ns("2018-01-31 21:00")  # a date alone as end: the whole day
    assert len(batch) == 21
    later = HistoricalFeed.from_bundled(
        "stocks20_close",
        ["AAPL"],
        start=utc("2018-01-02 21:00") + pd.Timedelta(1),
        end="2018-01-31",
    )
    assert len(later) == 20
    # A daily bar labelled 2018-01-31 is not known at noon that day.
    noon = HistoricalFeed.from_bundled("stocks20_close", ["AAPL"], end="2018-01-31 12:00")
    assert noon.arrays().ts_event[-1] == ns("2018-01-30 21:00")
    eth = HistoricalFeed.from_bundled("binance_ethbtc_5m", end="2018-01-12 12:05").arrays()
    assert eth.ts_event[-1] == ns("2018-01-12 12:05")


# ---------------------------------------------------------------- catalog


def test_catalog_feed_equals_bundled_feed(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "catalog")
    catalog.import_bundled("binance_ethbtc_5m")
    catalog.import_bundled("stocks20_close", ["AAPL", "MSFT"])
    catalog.import_bundled("binance_xrpeth_trades")
    from_catalog = HistoricalFeed.from_catalog(catalog, start="2018-01-15", end="2018-01-20")
    bundled = HistoricalFeed(start="2018-01-15", end="2018-01-20")
    bundled.add_bundled("stocks20_close", ["MSFT", "AAPL"])
    bundled.add_bundled("binance_ethbtc_5m")
    a, b = from_catalog.arrays(), bundled.arrays()
    assert len(a) == 4 * 2 + 6 * 288
    np.testing.assert_array_equal(a.ts_event, b.ts_event)
    np.testing.assert_array_equal(a.symbols(), b.symbols())
    np.testing.assert_array_equal(a.close, b.close)
    only = HistoricalFeed.from_catalog(catalog, ["aapl"], "1d").arrays()
    assert set(only.symbols()) == {"AAPL"}
    with pytest.raises(UnknownDatasetError, match="did you mean 'AAPL'"):
        HistoricalFeed.from_catalog(catalog, ["APPL"])
    with pytest.raises(UnknownDatasetError, match="no bars or trades of 'ETHBTC' at 1d"):
        HistoricalFeed.from_catalog(catalog, ["ETHBTC"], "1d")


# ---------------------------------------------------------------- refusals


def test_refusals_name_the_problem() -> None:
    with pytest.raises(UnknownDatasetError, match="did you mean 'stocks20_close'"):
        HistoricalFeed.from_bundled("stocks20_closes")
    with pytest.raises(UnknownDatasetError, match="did you mean 'AAPL'"):
        HistoricalFeed.from_bundled("stocks20_close", ["APPL"])
    with pytest.raises(InvalidValueError, match="'series' set"):
        HistoricalFeed.from_bundled("fama_french_monthly")
    feed = HistoricalFeed.from_bundled("spx_daily")
    with pytest.raises(InvalidValueError, match="SPX 1d was already added"):
        feed.add_bars("spx", "1d", _data("spx_daily"))
    with pytest.raises(InvalidValueError, match="use add_trades"):
        feed.add_bars("X", "tick", _data("spx_daily"))
    with pytest.raises(InvalidValueError, match="unknown stamp"):
        feed.add_bars("X", "1d", _data("spx_daily"), stamp="bar_close")
    with pytest.raises(InvalidValueError, match="unknown calendar"):
        feed.add_bars("X", "1d", _data("spx_daily"), calendar="NYES")
    with pytest.raises(InvalidValueError, match="missing price"):
        feed.add_bars("VIX", "1d", _data("vix_daily"))  # 46 holidays without a value
    with pytest.raises(InvalidValueError, match="need open, high, low, close"):
        feed.add_bars("X", "1d", _data("spx_daily")[["open"]])
    assert [s.symbol for s in feed.streams] == ["SPX"]  # refused streams were not added


# ---------------------------------------------------------------- property


@given(
    picked=st.lists(st.sampled_from(STOCKS), min_size=1, max_size=6, unique=True),
    crypto=st.booleans(),
    start=st.integers(7000, 8300),
)
def test_merged_feed_is_sorted_and_a_permutation_of_its_inputs(
    picked: list[str], crypto: bool, start: int
) -> None:
    frames = {symbol: stock(symbol).iloc[start:] for symbol in picked}
    feed = HistoricalFeed()
    for symbol, frame in frames.items():
        feed.add_bars(symbol, "1d", frame, calendar="XNYS")
    if crypto:
        feed.add_bars("ETHBTC", "5m", _data("binance_ethbtc_5m"), calendar="24/7")
    batch = feed.arrays()
    assert_in_order(batch)
    got = sorted(zip(batch.symbols().tolist(), batch.close.tolist(), strict=True))
    want = [(s, c) for s, f in frames.items() for c in f["close"].tolist()]
    if crypto:
        want += [("ETHBTC", c) for c in _data("binance_ethbtc_5m")["close"].tolist()]
    assert got == sorted(want)
    # The same inputs added in sorted order give the very same sequence.
    canonical = HistoricalFeed()
    for symbol in sorted(frames):
        canonical.add_bars(symbol, "1d", frames[symbol], calendar="XNYS")
    if crypto:
        canonical.add_bars("ETHBTC", "5m", _data("binance_ethbtc_5m"), calendar="24/7")
    np.testing.assert_array_equal(canonical.arrays().symbols(), batch.symbols())
    np.testing.assert_array_equal(canonical.arrays().ts_event, batch.ts_event)
