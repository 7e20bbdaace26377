"""The feature library: streaming == batch, no look-ahead, known values, close-only data, errors.

Real bundled data throughout (S&P 500 daily, EUR/USD hourly, the 20 stocks' closes); the only
synthetic frames are the tiny ones that trigger input errors.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from alphaforge.data import load_dataset
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.market import Bar
from alphaforge.features import (
    Feature,
    FeatureSet,
    available_fields,
    indicator_feature,
)
from alphaforge.features import library as fl
from alphaforge.features._graph import FIELDS, Field, Indicator, Lag

DATASETS = ("spx_daily", "eurusd_1h")


@cache
def bars(name: str) -> pd.DataFrame:
    return load_dataset(name)


@cache
def batch(name: str) -> pd.DataFrame:
    return FeatureSet.classic().compute(bars(name))


@cache
def aapl() -> pd.DataFrame:
    return load_dataset("stocks20_close")[["AAPL"]].rename(columns={"AAPL": "close"})


def _stream_rows(features: FeatureSet, frame: pd.DataFrame) -> np.ndarray:
    stream = features.stream()
    columns = [frame[f].tolist() for f in FIELDS]
    return np.array([stream.update_ohlcv(*bar) for bar in zip(*columns, strict=True)])


# --------------------------------------------------------------------------- the sets


def test_classic_set_has_the_classic_features() -> None:
    classic = FeatureSet.classic()
    assert len(classic) >= 24
    assert len(set(classic.names)) == len(classic)
    for name in (
        "rsi_14", "macd_12_26", "macd_signal_12_26_9", "bb_pos_20", "bb_width_20", "stoch_k_14",
        "willr_14", "cci_20", "adx_14", "sma_ratio_50", "ema_ratio_12", "natr_14",
        "volume_ratio_20", "obv_slope_20", "range_pos_20", "trend_strength_20", "ret_lag_1",
        "rvol_20", "vol_regime_20_100", "trend_regime_50_200", "drawdown_252",
    ):  # fmt: skip
        assert name in classic.names
    assert classic.needs == set(FIELDS)
    assert classic.warmup == 251


def test_close_only_set_needs_only_closes() -> None:
    close_only = FeatureSet.close_only()
    assert len(close_only) >= 24
    assert close_only.needs == {"close"}
    assert set(close_only.names) < set(FeatureSet.classic().names)


def test_describe_lists_every_feature() -> None:
    table = FeatureSet.classic().describe()
    assert list(table.index) == list(FeatureSet.classic().names)
    assert table.loc["adx_14", "needs"] == "high low close"
    assert table.loc["adx_14", "warmup"] == 27


def test_shared_indicators_are_computed_once() -> None:
    features = FeatureSet.classic().select(["macd_12_26", "macd_signal_12_26_9"])
    indicators = [n for n in features.plan().nodes if isinstance(n, Indicator)]
    assert [n.spec.name for n in indicators] == ["macd"]


# --------------------------------------------------------------------------- streaming == batch


@pytest.mark.parametrize("name", DATASETS)
def test_streaming_equals_batch_at_every_bar(name: str) -> None:
    features = FeatureSet.classic()
    expected = batch(name).to_numpy()
    rows = _stream_rows(features, bars(name))
    assert rows.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(rows), np.isnan(expected))
    np.testing.assert_allclose(rows, expected, rtol=1e-9, atol=0.0)


@pytest.mark.parametrize("name", DATASETS)
def test_warmup_is_the_count_of_leading_nans(name: str) -> None:
    values = batch(name)
    for feature in FeatureSet.classic():
        column = values[feature.name].to_numpy()
        first = int(np.flatnonzero(~np.isnan(column))[0])
        assert first == feature.warmup, feature.name
        assert not np.isnan(column[first:]).any(), feature.name


def test_ready_turns_on_after_the_longest_warmup() -> None:
    frame = bars("spx_daily")
    features = FeatureSet.classic()
    stream = features.stream()
    for i, bar in enumerate(frame[list(FIELDS)].itertuples(index=False)):
        row = stream.update(tuple(bar))
        assert stream.ready == (i >= features.warmup)
        assert stream.bars == i + 1
        if i == features.warmup:
            assert not np.isnan(row).any()
            break
    stream.reset()
    assert stream.bars == 0
    assert not stream.ready


def test_update_takes_bars_tuples_and_floats_alike() -> None:
    frame = bars("eurusd_1h").iloc[:300]
    features = FeatureSet.classic()
    by_bar, by_tuple, by_floats = features.stream(), features.stream(), features.stream()
    for ts, o, h, lo, c, v in frame[list(FIELDS)].itertuples():
        bar = Bar.create("EURUSD", "1h", o, h, lo, c, v, ts.value)
        a = by_bar.update(bar)
        b = by_tuple.update((o, h, lo, c, v))
        d = by_floats.update_ohlcv(np.float64(o), h, lo, c, v)
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, d)
    np.testing.assert_allclose(a, batch("eurusd_1h").iloc[299].to_numpy(), rtol=1e-9)


# --------------------------------------------------------------------------- no look-ahead


@pytest.mark.parametrize("name", DATASETS)
def test_no_lookahead_by_truncation(name: str) -> None:
    frame = bars(name)
    full = batch(name)
    for t in (0, 40, 251, 252, 1000, 2777, len(frame) - 2):
        last = FeatureSet.classic().compute(frame.iloc[: t + 1]).iloc[-1]
        np.testing.assert_array_equal(last.to_numpy(), full.iloc[t].to_numpy())


def test_changing_the_future_changes_no_past_row() -> None:
    frame = bars("spx_daily").copy()
    t = 3000
    drift = np.linspace(1.2, 3.0, len(frame) - t - 1)[:, None]  # another future: a new trend
    frame.iloc[t + 1 :] = frame.iloc[t + 1 :].to_numpy() * drift
    changed = FeatureSet.classic().compute(frame).to_numpy()
    original = batch("spx_daily").to_numpy()
    np.testing.assert_array_equal(changed[: t + 1], original[: t + 1])
    assert (changed[t + 1] != original[t + 1]).sum() > 20  # the test can tell a change


# --------------------------------------------------------------------------- known values


def test_close_features_match_pandas_references() -> None:
    """Independent pandas formulas on the S&P 500 closes (each feature's documented formula)."""
    close = bars("spx_daily")["close"]
    got = batch("spx_daily")
    log_ret = np.log(close / close.shift(1))
    path = (close - close.shift(1)).abs().rolling(20).sum()
    refs = {
        "ret_lag_1": log_ret,
        "ret_lag_3": log_ret.shift(2),
        "ret_20": np.log(close / close.shift(20)),
        "sma_ratio_50": close / close.rolling(50).mean() - 1,
        "drawdown_252": close / close.rolling(252).max() - 1,
        "rvol_20": log_ret.rolling(20).std(),
        "vol_regime_20_100": log_ret.rolling(20).std() / log_ret.rolling(100).std(),
        "trend_regime_50_200": close.rolling(50).mean() / close.rolling(200).mean() - 1,
        "trend_strength_20": (close - close.shift(20)) / path,
    }
    for name, ref in refs.items():
        np.testing.assert_allclose(got[name], ref, rtol=1e-7, atol=1e-12, err_msg=name)


def test_ohlcv_features_match_pandas_references() -> None:
    frame = bars("eurusd_1h")
    got = batch("eurusd_1h")
    high, low = frame["high"].rolling(20).max(), frame["low"].rolling(20).min()
    volume = frame["volume"]
    sign = np.sign(frame["close"].diff()).fillna(0.0)
    obv = (sign * volume).cumsum() + volume.iloc[0]
    refs = {
        "range_pos_20": (frame["close"] - low) / (high - low),
        "volume_ratio_20": volume / volume.rolling(20).mean(),
        "obv_slope_20": (obv - obv.shift(20)) / volume.rolling(20).sum(),
    }
    for name, ref in refs.items():
        np.testing.assert_allclose(got[name], ref, rtol=1e-7, atol=1e-12, err_msg=name)
    assert got["di_balance_14"].abs().max() <= 1.0
    assert got["trend_strength_20"].abs().max() <= 1.0 + 1e-12


def test_indicator_feature_wraps_any_registry_indicator() -> None:
    frame = bars("spx_daily")
    feature = indicator_feature("aroon_up_25", "aroon", output="up", period=25)
    assert feature.needs == {"high", "low"}
    assert feature.warmup == 25
    from alphaforge.indicators import aroon  # noqa: PLC0415

    expected = aroon(frame["high"], frame["low"], 25).up
    np.testing.assert_array_equal(feature.compute(frame).to_numpy(), expected)
    stream = feature.stream()
    rows = [stream.update(tuple(b)) for b in frame[list(FIELDS)].itertuples(index=False)]
    np.testing.assert_array_equal(np.concatenate(rows), expected)


# --------------------------------------------------------------------------- close-only data


def test_close_only_data_is_refused_clearly_by_the_classic_set() -> None:
    with pytest.raises(InvalidValueError, match=r"lack field\(s\) high, low, open, volume") as e:
        FeatureSet.classic().compute(aapl())
    assert "adx_14" in str(e.value)
    assert "close_only()" in str(e.value)


def test_close_only_data_padded_to_ohlc_counts_as_close_only() -> None:
    close = aapl()["close"]
    padded = pd.DataFrame(
        {"open": close, "high": close, "low": close, "close": close, "volume": np.nan}
    )
    assert available_fields(padded) == {"close"}
    assert available_fields(bars("spx_daily")) == set(FIELDS)
    with pytest.raises(InvalidValueError, match="close-only"):
        FeatureSet.classic().compute(padded)


def test_skip_keeps_the_close_features_and_they_stream_from_closes() -> None:
    frame = aapl()
    skipped = FeatureSet.classic().compute(frame, missing="skip")
    close_only = FeatureSet.close_only()
    assert tuple(skipped.columns) == close_only.names
    stream = close_only.stream()
    rows = np.array([stream.update_close(c) for c in frame["close"].tolist()])
    np.testing.assert_array_equal(np.isnan(rows), np.isnan(skipped.to_numpy()))
    np.testing.assert_allclose(rows, skipped.to_numpy(), rtol=1e-9, atol=0.0)


# --------------------------------------------------------------------------- composing, errors


def test_sets_compose() -> None:
    classic = FeatureSet.classic()
    small = classic.select(["rsi_14", "ret_lag_1"]) + classic["adx_14"]
    assert small.names == ("rsi_14", "ret_lag_1", "adx_14")
    assert small.drop(["ret_lag_1"]).names == ("rsi_14", "adx_14")
    assert small.usable({"close"}).names == ("rsi_14", "ret_lag_1")
    values = small.compute(bars("spx_daily"))
    np.testing.assert_array_equal(values.to_numpy(), batch("spx_daily")[list(small.names)])
    assert isinstance(classic["rsi_14"], Feature)


def test_factories_with_other_parameters_stream_as_they_batch() -> None:
    frame = bars("eurusd_1h")
    custom = FeatureSet(
        [
            fl.rsi(7),
            fl.macd(5, 35, 5, line="hist"),
            *fl.bollinger(10, 1.5),
            fl.ma_ratio(30, "ema"),
            fl.ret_lag(10),
            fl.ret(60),
            fl.rvol(5),
            *fl.stochastic(5, 5),
            *fl.adx(7),
            fl.range_position(55),
            fl.obv_slope(5),
            fl.trend_strength(60),
            fl.drawdown(24),
        ]
    )
    assert custom.names[:3] == ("rsi_7", "macd_hist_5_35_5", "bb_pos_10")
    expected = custom.compute(frame).to_numpy()
    rows = _stream_rows(custom, frame)
    np.testing.assert_array_equal(np.isnan(rows), np.isnan(expected))
    np.testing.assert_allclose(rows, expected, rtol=1e-9, atol=0.0)


def test_bad_names_and_sets_are_refused() -> None:
    classic = FeatureSet.classic()
    with pytest.raises(InvalidValueError, match="did you mean 'rsi_14'"):
        classic.select(["rsi_41"])
    with pytest.raises(KeyError, match="unknown feature"):
        classic["nope"]
    with pytest.raises(InvalidValueError, match="appears twice"):
        classic + classic["rsi_14"]
    with pytest.raises(InvalidValueError, match="at least one"):
        FeatureSet([])
    with pytest.raises(InvalidValueError, match="unknown indicator"):
        indicator_feature("x", "rsj")
    with pytest.raises(InvalidValueError, match="no feature of this set"):
        classic.usable({"open"})
    with pytest.raises(InvalidValueError, match="'sma' or 'ema'"):
        fl.ma_ratio(20, "wma")
    with pytest.raises(InvalidValueError, match="lag must be an integer >= 1"):
        Lag(Field("close"), 0)
    with pytest.raises(InvalidValueError, match="unknown bar field 'price'"):
        Field("price")
    with pytest.raises(InvalidValueError, match="rsi: period must be >= 1"):
        fl.rsi(0)
    with pytest.raises(InvalidValueError, match="macd has no output 'histo'"):
        fl.macd(line="histo")
    with pytest.raises(InvalidValueError, match="identifier"):
        Feature("rsi 14", Field("close"), "bad name")


def test_bad_frames_are_refused() -> None:
    frame = bars("spx_daily").iloc[:50]
    features = FeatureSet.close_only()
    with pytest.raises(InvalidValueError, match="sorted and unique"):
        features.compute(frame.iloc[::-1])
    gappy = frame.copy()
    gappy.iloc[10, gappy.columns.get_loc("close")] = np.nan
    with pytest.raises(InvalidValueError, match="'close' has 1 NaN"):
        features.compute(gappy)
    with pytest.raises(InvalidValueError, match="DataFrame"):
        features.compute(frame["close"])  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="no rows"):
        features.compute(frame.iloc[:0])
    with pytest.raises(InvalidValueError, match="missing must be"):
        FeatureSet.classic().compute(aapl(), missing="ignore")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="open, high, low, close, volume"):
        features.stream().update((1.0, 2.0))
