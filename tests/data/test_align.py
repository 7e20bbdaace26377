"""align on real bundled data: several histories on one clock, bounded forward fill, a mask of
what was filled, and no value ever taken from after the moment it is shown at."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alphaforge.data.align import align, at_event_time
from alphaforge.data.bundled import load_dataset
from alphaforge.domain.errors import InvalidValueError


@cache
def _data(name: str) -> pd.DataFrame:
    return load_dataset(name)


def stocks() -> dict[str, pd.DataFrame]:
    """Three real histories of different lengths: MSFT 1986-2017, SPX 1999-2018, GOOG 2004-2013."""
    return {"MSFT": _data("msft_daily"), "SPX": _data("spx_daily"), "GOOG": _data("goog_daily")}


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def as_of(
    frame: pd.DataFrame, field: str, clock: pd.DatetimeIndex, limit: int | None
) -> np.ndarray:
    """The reference: each clock row gets the last known value at or before it, if that value
    is at most ``limit`` clock rows old (pandas' own reindex + ffill)."""
    column = frame[field].reindex(clock)
    return np.asarray(column.ffill(limit=limit).to_numpy(dtype=float))


def test_outer_union_of_three_histories() -> None:
    frames = stocks()
    panel, filled = align(frames, field="close")
    union = frames["MSFT"].index.union(frames["SPX"].index).union(frames["GOOG"].index)
    assert panel.index.equals(union)
    assert list(panel.columns) == ["MSFT", "SPX", "GOOG"]
    assert panel.index[0] == utc("1986-03-13")
    assert panel.index[-1] == utc("2018-12-31")
    # Before a symbol's first bar the panel stays empty: nothing is filled backward.
    assert panel.loc[:"2004-08-18", "GOOG"].isna().all()
    assert not filled.loc[:"2004-08-18", "GOOG"].any()
    assert panel.loc[utc("2004-08-19"), "GOOG"] == frames["GOOG"]["close"].iloc[0]
    for name, frame in frames.items():
        np.testing.assert_array_equal(panel[name].to_numpy(), as_of(frame, "close", union, None))


def test_forward_fill_limit_and_mask() -> None:
    frames = stocks()
    panel, filled = align(frames, field="close", limit=3)
    # GOOG ends on 2013-03-01: its last close is carried three sessions, then the panel is empty.
    after = panel.loc["2013-03-01":, "GOOG"]
    last = frames["GOOG"]["close"].iloc[-1]
    assert (after.iloc[:4] == last).all()
    assert after.iloc[4:].isna().all()
    assert filled.loc["2013-03-01":, "GOOG"].iloc[:4].tolist() == [False, True, True, True]
    # The mask is exactly "shown, but not present in the source at that stamp".
    for name, frame in frames.items():
        present = panel.index.isin(frame.index)
        shown = panel[name].notna().to_numpy()
        np.testing.assert_array_equal(filled[name].to_numpy(), shown & ~present)
        np.testing.assert_array_equal(panel[name].to_numpy(), as_of(frame, "close", panel.index, 3))


def test_inner_and_left_clocks() -> None:
    frames = stocks()
    inner, filled = align(frames, field="close", how="inner")
    assert inner.index[0] == utc("2004-08-19")
    assert inner.index[-1] == utc("2013-03-01")
    assert inner.notna().all().all()
    assert not filled.any().any()  # every frame has every inner stamp, with a value
    left, _ = align(frames, field="volume", how="left")
    assert left.index.equals(frames["MSFT"].index)
    assert left["MSFT"].equals(frames["MSFT"]["volume"].rename("MSFT"))


def test_histories_that_never_overlap() -> None:
    eth, xrp = _data("binance_ethbtc_5m"), _data("binance_xrpeth_1m")  # 2018-01 and 2019-10
    inner, filled = align({"ETH": eth, "XRP": xrp}, how="inner")
    assert inner.shape == filled.shape == (0, 2)
    outer, _ = align({"ETH": eth, "XRP": xrp}, how="outer", limit=2)
    assert len(outer) == len(eth) + len(xrp)
    assert outer.loc[: eth.index[-1], "XRP"].isna().all()
    later = outer.loc[xrp.index[0] :, "ETH"]  # carried two rows (the limit), then nothing
    assert (later.iloc[:2] == eth["close"].iloc[-1]).all()
    assert later.iloc[2:].isna().all()


def test_missing_values_inside_a_frame_are_filled_and_marked() -> None:
    # VIX carries 46 holidays as rows without a value; SPX has no row on those days.
    vix, spx = _data("vix_daily"), _data("spx_daily")
    panel, filled = align({"VIX": vix, "SPX": spx}, field="close", how="outer", limit=1)
    holidays = vix.index[vix["close"].isna()]
    assert len(holidays) == 46
    assert utc("2014-12-25") in holidays
    assert filled.loc[holidays, "VIX"].all()
    christmas = panel.loc[utc("2014-12-25")]
    assert christmas["VIX"] == vix.loc[utc("2014-12-24"), "close"]
    assert christmas["SPX"] == spx.loc[utc("2014-12-24"), "close"]
    assert filled.loc[utc("2014-12-25"), "SPX"]
    unfilled, none = align({"VIX": vix, "SPX": spx}, fill=None)
    assert unfilled.loc[holidays, "VIX"].isna().all()
    assert not none.any().any()


def test_mixed_markets_align_causally_on_event_time() -> None:
    # S&P 500 daily bars are labelled at midnight of their session; EUR/USD hours at their open.
    spx, eur = _data("spx_daily"), _data("eurusd_1h")
    known = {
        "EURUSD": at_event_time(eur, "1h", calendar="24/5"),
        "SPX": at_event_time(spx, "1d", calendar="XNYS"),
    }
    panel, filled = align(known, field="close", how="left")
    assert panel.index[0] == eur.index[0] + pd.Timedelta(hours=1)
    may1, may2 = spx.loc[utc("2017-05-01"), "close"], spx.loc[utc("2017-05-02"), "close"]
    # 2017-05-02 closed at 16:00 New York = 20:00 UTC: before that the panel shows May 1's close.
    assert panel.loc[utc("2017-05-02 15:00"), "SPX"] == may1
    assert panel.loc[utc("2017-05-02 19:00"), "SPX"] == may1
    assert panel.loc[utc("2017-05-02 20:00"), "SPX"] == may2
    assert not filled.loc[utc("2017-05-02 20:00"), "SPX"]
    assert filled.loc[utc("2017-05-02 21:00"), "SPX"]
    # Every shown value was known at its row: the close it came from is at or before the row.
    closes = known["SPX"].index
    source = np.searchsorted(closes.asi8, panel.index.asi8, side="right") - 1
    shown = panel["SPX"].notna().to_numpy()
    assert (closes.asi8[source[shown]] <= panel.index.asi8[shown]).all()
    np.testing.assert_array_equal(
        panel["SPX"].to_numpy()[shown], known["SPX"]["close"].to_numpy()[source[shown]]
    )
    # Aligned by label instead, May 2's close would show at 01:00 that day: 19 hours early.
    naive, _ = align({"EURUSD": eur, "SPX": spx}, how="left")
    assert naive.loc[utc("2017-05-02 01:00"), "SPX"] == may2


def test_at_event_time_moves_rows_to_their_close() -> None:
    spx = at_event_time(_data("spx_daily"), "1d", calendar="XNYS")
    assert spx.index[0] == utc("1999-01-04 21:00")  # 16:00 New York in winter
    assert utc("2018-07-02 20:00") in spx.index  # summer
    assert utc("2018-11-23 18:00") in spx.index  # the day after Thanksgiving closes at 13:00
    eth = at_event_time(_data("binance_ethbtc_5m"), "5m")
    assert eth.index[0] == utc("2018-01-10 05:00")
    assert eth["close"].equals(_data("binance_ethbtc_5m")["close"].set_axis(eth.index))
    crude = at_event_time(_data("crude_monthly"), "1M", calendar="none")
    assert crude.index[0] == utc("1987-06-15")  # a mid-May price is known a month later
    btc = at_event_time(_data("btcusd_monthly"), "1M", stamp="period_end_date")
    assert btc.index[0] == utc("2012-02-01")


def test_refusals_say_what_was_expected() -> None:
    frames = stocks()
    with pytest.raises(InvalidValueError, match="at least one frame"):
        align({})
    with pytest.raises(InvalidValueError, match="did you mean 'outer'"):
        align(frames, how="outr")
    with pytest.raises(InvalidValueError, match="unknown fill"):
        align(frames, fill="bfill")
    for bad in (0, -1, True, 1.5):
        with pytest.raises(InvalidValueError, match="limit"):
            align(frames, limit=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="did you mean 'close'"):
        align(frames, field="clsoe")
    with pytest.raises(InvalidValueError, match="GOOG: timestamps must be tz-aware"):
        align({**frames, "GOOG": frames["GOOG"].tz_convert(None)})
    with pytest.raises(InvalidValueError, match="strictly increasing"):
        align({"SPX": frames["SPX"].iloc[::-1]})
    with pytest.raises(InvalidValueError, match="unknown stamp"):
        at_event_time(frames["SPX"], "1d", stamp="bar_close")


@given(
    cut=st.integers(0, 9000),
    how=st.sampled_from(("outer", "inner", "left")),
    limit=st.one_of(st.none(), st.integers(1, 10)),
)
def test_no_look_ahead_truncating_the_inputs_changes_nothing_before_the_cut(
    cut: int, how: str, limit: int | None
) -> None:
    frames = stocks()
    panel, filled = align(frames, field="close", how=how, limit=limit)
    if len(panel) == 0:
        return
    t = panel.index[min(cut, len(panel) - 1)]
    cut_frames = {name: frame.loc[:t] for name, frame in frames.items()}
    early, early_filled = align(cut_frames, field="close", how=how, limit=limit)
    pd.testing.assert_frame_equal(early, panel.loc[:t])
    pd.testing.assert_frame_equal(early_filled, filled.loc[:t])
