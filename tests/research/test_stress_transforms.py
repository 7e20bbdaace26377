"""Stress tests, the pure half: historical windows on real data and shocks with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alphaforge.data.bundled import load_dataset
from alphaforge.domain.errors import InvalidValueError
from alphaforge.research.stress import (
    HISTORICAL_WINDOWS,
    NOT_IN_DATA,
    PRICE_COLUMNS,
    ShockSizes,
    StressWindow,
    fmt_pct,
    gap_effect,
    gap_shock,
    shock_label,
    table_markdown,
    volatility_shock,
    volume_shock,
    window_stats,
)


@pytest.fixture(scope="module")
def spx() -> pd.DataFrame:
    return load_dataset("spx_daily")  # real OHLCV, 1999-2018


@pytest.fixture(scope="module")
def sp500() -> pd.Series:
    return load_dataset("sp500_index_close").iloc[:, 0]  # real closes, 1990-2022


def _ohlc_consistent(frame: pd.DataFrame) -> bool:
    body_hi = frame[["open", "close"]].max(axis=1)
    body_lo = frame[["open", "close"]].min(axis=1)
    return bool(((frame["high"] >= body_hi) & (frame["low"] <= body_lo)).all())


# ------------------------------------------------------------------ historical windows


def test_windows_are_the_sp500_peaks_and_troughs(sp500: pd.Series) -> None:
    assert [w.name for w in HISTORICAL_WINDOWS] == [
        "dot-com bust 2000-02", "2008-09 crisis", "2011 downgrade", "2015-16 selloff",
        "Q4 2018", "2020 crash",
    ]  # fmt: skip
    for w in HISTORICAL_WINDOWS:
        part = sp500[w.start : w.end]
        assert part.idxmax().date().isoformat() == w.start, w.name  # the closing high
        assert part.idxmin().date().isoformat() == w.end, w.name  # the closing low
        assert f"{part.iloc[0]:,.2f}" in w.source
        assert f"{part.iloc[-1]:,.2f}" in w.source
        assert w.description


def test_window_stats_on_the_index_itself_are_the_known_falls(sp500: pd.Series) -> None:
    table = window_stats(sp500, sp500)
    assert list(table["coverage"]) == ["full"] * 6
    known = [-0.4915, -0.5678, -0.1939, -0.1416, -0.1978, -0.3392]  # peak close to trough close
    np.testing.assert_allclose(table["return"], known, atol=5e-5)
    np.testing.assert_allclose(table["max_drawdown"], table["return"], atol=1e-12)
    np.testing.assert_allclose(table["benchmark_return"], table["return"], atol=1e-12)
    np.testing.assert_allclose(table["vs_benchmark"], 0.0, atol=1e-12)
    covid = table.iloc[5]
    assert covid["worst_day_date"] == "2020-03-16"  # -12 %, the worst day of the crash
    assert covid["worst_day"] == pytest.approx(sp500["2020-03-16"] / sp500["2020-03-13"] - 1)
    assert 0.5 < covid["volatility"] < 1.2  # annualized, from daily returns


def test_window_outside_the_data_says_not_in_data(spx: pd.DataFrame) -> None:
    close = spx["close"]  # ends 2018-12-31: no 2020
    table = window_stats(close).set_index("window")
    crash = table.loc["2020 crash"]
    assert crash["coverage"] == NOT_IN_DATA
    assert math.isnan(crash["return"])
    assert math.isnan(crash["max_drawdown"])
    assert math.isnan(crash["benchmark_return"])  # no benchmark given
    assert table.loc["Q4 2018", "coverage"] == "full"
    part = window_stats(close["2001-01-01":]).set_index("window").loc["dot-com bust 2000-02"]
    assert part["coverage"] == "partial (data from 2001-01-02)"
    assert part["return"] == pytest.approx(close["2002-10-09"] / close["2001-01-02"] - 1)


def test_window_stats_refuse_bad_input(spx: pd.DataFrame) -> None:
    close = spx["close"]
    with pytest.raises(InvalidValueError, match="pandas Series"):
        window_stats(close.to_numpy())  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="time-zone aware"):
        window_stats(close.tz_localize(None))
    with pytest.raises(InvalidValueError, match="StressWindow"):
        window_stats(close, windows=[("2008", "2008-01-01", "2008-12-31")])  # type: ignore[list-item]
    with pytest.raises(InvalidValueError, match="ends"):
        StressWindow("backwards", "2009-01-01", "2008-01-01", "", "")
    with pytest.raises(InvalidValueError, match="not a date"):
        StressWindow("nonsense", "someday", "2008-01-01", "", "")


# ------------------------------------------------------------------ gap


def test_gap_moves_exactly_the_bars_from_at(spx: pd.DataFrame) -> None:
    original = spx.copy()
    shocked = gap_shock(spx, "2008-09-13", size=-0.10)  # a Saturday: the gap is on Monday 15th
    pd.testing.assert_frame_equal(spx, original)  # the input is not touched
    ratio = shocked[list(PRICE_COLUMNS)] / spx[list(PRICE_COLUMNS)]
    before, after = ratio.loc[:"2008-09-12"], ratio.loc["2008-09-15":]
    np.testing.assert_array_equal(before.to_numpy(), 1.0)
    np.testing.assert_allclose(after.to_numpy(), 0.9, rtol=1e-15)
    pd.testing.assert_series_equal(shocked["volume"], spx["volume"])
    gap = shocked.loc["2008-09-15", "open"] / shocked.loc["2008-09-12", "close"] - 1
    real = spx.loc["2008-09-15", "open"] / spx.loc["2008-09-12", "close"] - 1
    assert gap == pytest.approx((1 + real) * 0.9 - 1)  # the overnight move, -10 % worse
    assert _ohlc_consistent(shocked)


def test_gap_on_close_only_data(sp500: pd.Series) -> None:
    frame = sp500.rename("close").to_frame()
    shocked = gap_shock(frame, "2020-03-09", size=0.05)
    assert list(shocked.columns) == ["close"]
    assert shocked.loc["2020-03-06", "close"] == frame.loc["2020-03-06", "close"]
    assert shocked.loc["2020-03-09", "close"] == pytest.approx(
        frame.loc["2020-03-09", "close"] * 1.05
    )


def test_gap_refuses_bad_input(spx: pd.DataFrame) -> None:
    with pytest.raises(InvalidValueError, match="after the first bar"):
        gap_shock(spx, "1990-01-01")
    with pytest.raises(InvalidValueError, match="after the first bar"):
        gap_shock(spx, "2019-06-01")
    with pytest.raises(InvalidValueError, match="size must be > -1"):
        gap_shock(spx, "2008-09-15", size=-1.0)
    with pytest.raises(InvalidValueError, match="size must be a number"):
        gap_shock(spx, "2008-09-15", size="big")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="not a date"):
        gap_shock(spx, "next tuesday")


# ------------------------------------------------------------------ volatility


def test_volatility_x3_in_the_window_only(spx: pd.DataFrame) -> None:
    original = spx.copy()
    shocked = volatility_shock(spx, 3.0, "2010-01-01", "2010-06-30")
    pd.testing.assert_frame_equal(spx, original)
    logs_in, logs_out = np.log(spx["close"]).diff(), np.log(shocked["close"]).diff()
    window = slice("2010-01-04", "2010-06-30")
    assert logs_out[window].std() / logs_in[window].std() == pytest.approx(3.0, rel=1e-9)
    assert logs_out[window].mean() == pytest.approx(logs_in[window].mean(), abs=1e-15)
    pd.testing.assert_frame_equal(shocked.loc[:"2009-12-31"], spx.loc[:"2009-12-31"])
    # the mean is kept, so the window ends where it did and later bars are the same
    assert shocked.loc["2010-06-30", "close"] == pytest.approx(spx.loc["2010-06-30", "close"])
    np.testing.assert_allclose(shocked.loc["2010-07-01":], spx.loc["2010-07-01":], rtol=1e-12)
    assert (shocked[list(PRICE_COLUMNS)] > 0).all().all()
    assert _ohlc_consistent(shocked)
    range_in = np.log(spx["high"] / spx["low"])[window]
    range_out = np.log(shocked["high"] / shocked["low"])[window]
    np.testing.assert_allclose(range_out, 3.0 * range_in, rtol=1e-9)  # intrabar shape scaled


def test_volatility_known_answer_on_a_synthetic_zigzag() -> None:
    # synthetic on purpose: log returns of +1 % and -1 % (mean 0) become +3 % and -3 %
    index = pd.date_range("2024-01-01", periods=7, freq="D", tz="UTC")
    close = 100.0 * np.exp(np.cumsum([0.0, 0.01, -0.01, 0.01, -0.01, 0.01, -0.01]))
    frame = pd.DataFrame({"close": close}, index=index)
    shocked = volatility_shock(frame, 3.0)
    np.testing.assert_allclose(np.diff(np.log(shocked["close"])), [0.03, -0.03] * 3, atol=1e-12)
    assert shocked["close"].iloc[0] == pytest.approx(
        100.0
    )  # the first bar has no return: its close stays


def test_volatility_refuses_bad_input(spx: pd.DataFrame) -> None:
    with pytest.raises(InvalidValueError, match="factor must be > 0"):
        volatility_shock(spx, 0.0)
    with pytest.raises(InvalidValueError, match="finite"):
        volatility_shock(spx, float("nan"))
    with pytest.raises(InvalidValueError, match="at least 2"):
        volatility_shock(spx, 3.0, "2010-01-04", "2010-01-04")
    with pytest.raises(InvalidValueError, match="before start"):
        volatility_shock(spx, 3.0, "2010-06-01", "2010-01-01")
    with pytest.raises(InvalidValueError, match="out of range"):
        volatility_shock(spx, 1e6)  # exp overflows


# ------------------------------------------------------------------ volume and frames


def test_volume_shock_divides_volume_only(spx: pd.DataFrame, sp500: pd.Series) -> None:
    shocked = volume_shock(spx, 0.1)
    np.testing.assert_allclose(shocked["volume"], spx["volume"] * 0.1)
    pd.testing.assert_frame_equal(shocked[list(PRICE_COLUMNS)], spx[list(PRICE_COLUMNS)])
    with pytest.raises(InvalidValueError, match="no volume column"):
        volume_shock(sp500.rename("close").to_frame())
    with pytest.raises(InvalidValueError, match="factor must be > 0"):
        volume_shock(spx, -1.0)


def test_frames_are_checked_before_any_shock(spx: pd.DataFrame) -> None:
    bad = {
        "pandas DataFrame": spx["close"],
        "UTC DatetimeIndex": spx.tz_localize(None),
        "sorted": spx.iloc[::-1],
        "'close' column": spx.drop(columns="close"),
        "finite and > 0": spx.assign(low=spx["low"].where(spx.index.year != 2008, -1.0)),
        "at least 2 bars": spx.iloc[:1],
        "volume must be finite": spx.assign(volume=np.nan),
    }
    for message, frame in bad.items():
        with pytest.raises(InvalidValueError, match=message):
            volume_shock(frame)  # type: ignore[arg-type]
        with pytest.raises(InvalidValueError, match=message):
            volatility_shock(frame)  # type: ignore[arg-type]


# ------------------------------------------------------------------ effects and formatting


def test_gap_effect_known_answer() -> None:
    # synthetic on purpose: equity stamped at 21:00 closes, a 10 % loss on day 3, back on day 6
    index = pd.date_range("2024-01-01 21:00", periods=7, freq="D", tz="UTC")
    shocked = pd.Series([100.0, 101, 102, 91.8, 95, 101, 103], index=index)
    baseline = pd.Series([100.0, 101, 102, 102, 105, 112, 114], index=index)
    gross = baseline * 0.5
    effect = gap_effect(shocked, baseline, gross, pd.Timestamp("2024-01-04", tz="UTC"))
    assert effect["shock_day"] == pytest.approx(-0.10)
    assert effect["baseline_day"] == 0.0
    assert effect["exposure"] == pytest.approx(0.5)
    assert effect["recovery_bars"] == 3
    assert effect["recovered_on"] == "2024-01-07"
    lower = pd.Series([100.0, 101, 102, 91.8, 95, 99, 101], index=index)
    never = gap_effect(lower, baseline, gross, index[3].normalize())
    assert math.isnan(never["recovery_bars"])
    assert never["recovered_on"] is None


def test_labels_and_formatting() -> None:
    sizes = ShockSizes()
    labels = [shock_label(n, sizes) for n in ("gap", "volatility", "spreads", "volume")]
    assert labels == ["gap -10%", "volatility x3", "spreads x5", "volume /10"]
    assert [fmt_pct(x) for x in (-0.1234, -1e-6, float("nan"), None)] == [
        "-12.34%",
        "0.00%",
        "",
        "",
    ]
    with pytest.raises(InvalidValueError, match="participation"):
        ShockSizes(participation=2.0)
    table = pd.DataFrame(
        [{"scenario": "baseline", "kind": "baseline", "status": "ok", "return": 0.5, "note": "n1"},
         {"scenario": "2020 crash", "kind": "historical", "status": NOT_IN_DATA, "note": "d"}]
    )  # fmt: skip
    text = table_markdown("**title**", table)
    assert "| baseline |  |  | ok | 50.0% |" in text
    assert "| 2020 crash |  |  | not in data |" in text
    assert text.rstrip().endswith("- baseline: n1")  # a window's description is no note
