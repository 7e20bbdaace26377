"""Panels of many symbols and the cross-sectional rank / z-score, batch and live.

Real data: the 20 bundled stocks' daily closes (and the S&P 500 OHLCV for a mixed panel). The
known-answer tests use a small synthetic panel, built by hand so the ranks and z-scores can be
worked out on paper.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from alphaforge.data import load_dataset
from alphaforge.domain.errors import InvalidValueError
from alphaforge.features import (
    FeatureSet,
    compute_panel,
    cross_sectional_rank,
    cross_sectional_zscore,
    frames_from_wide,
    rank_rows,
    zscore_rows,
)


@cache
def stock_frames() -> dict[str, pd.DataFrame]:
    return frames_from_wide(load_dataset("stocks20_close"))


@cache
def panel() -> pd.DataFrame:
    return compute_panel(stock_frames(), FeatureSet.close_only())


@cache
def half() -> pd.DataFrame:
    """Every other close-only feature: enough columns to test, few enough to stay quick."""
    return panel()[list(panel().columns[::2])]


@cache
def ranks() -> pd.DataFrame:
    return cross_sectional_rank(half())


@cache
def zscores() -> pd.DataFrame:
    return cross_sectional_zscore(half())


def synthetic() -> pd.DataFrame:
    """Synthetic: two dates, four symbols; a tie and a missing value on the second date."""
    ts = pd.to_datetime(["2024-01-02"] * 4 + ["2024-01-03"] * 4, utc=True)
    index = pd.MultiIndex.from_arrays([ts, list("ABCD") * 2], names=["ts", "symbol"])
    return pd.DataFrame(
        {"f": [3.0, 1.0, 4.0, 2.0, 5.0, 5.0, np.nan, 1.0], "g": [7.0] * 4 + [1.0, 2.0, 3.0, 4.0]},
        index=index,
    )


# --------------------------------------------------------------------------- the panel


def test_panel_layout_and_values() -> None:
    values = panel()
    assert values.index.names == ["ts", "symbol"]
    assert values.index.is_monotonic_increasing
    frames = stock_frames()
    assert len(values) == sum(len(f) for f in frames.values())
    assert sorted(values.index.get_level_values("symbol").unique()) == sorted(frames)
    assert tuple(values.columns) == FeatureSet.close_only().names
    alone = FeatureSet.close_only().compute(frames["MSFT"])
    np.testing.assert_array_equal(values.xs("MSFT", level="symbol").to_numpy(), alone.to_numpy())


def test_mixed_panel_skips_to_the_shared_fields() -> None:
    frames = {"SPX": load_dataset("spx_daily"), "AAPL": stock_frames()["AAPL"]}
    with pytest.raises(InvalidValueError, match="symbol 'AAPL': the data lack field"):
        compute_panel(frames)
    mixed = compute_panel(frames, missing="skip")
    assert tuple(mixed.columns) == FeatureSet.close_only().names
    assert set(mixed.index.get_level_values("symbol")) == {"SPX", "AAPL"}


def test_bad_panels_are_refused() -> None:
    with pytest.raises(InvalidValueError, match="at least one"):
        compute_panel({})
    with pytest.raises(InvalidValueError, match="MultiIndex"):
        cross_sectional_rank(panel().droplevel("symbol"))
    with pytest.raises(InvalidValueError, match="'ts' level"):
        cross_sectional_zscore(panel().rename_axis(["time", "symbol"]))
    with pytest.raises(InvalidValueError, match="2-D"):
        rank_rows(np.ones(3))
    with pytest.raises(InvalidValueError, match="one column per symbol"):
        frames_from_wide(pd.DataFrame())


# --------------------------------------------------------------------------- known answers


def test_rank_known_answer() -> None:
    ranks = cross_sectional_rank(synthetic())
    # date 1: f = 3, 1, 4, 2 -> ranks 3, 1, 4, 2 of 4; g all 7 -> all tied at 2.5 of 4
    # date 2: f = 5, 5, NaN, 1 -> 2.5, 2.5, NaN, 1 of the 3 values; g = 1..4 -> 1..4 of 4
    expected_f = [0.75, 0.25, 1.0, 0.5, 2.5 / 3, 2.5 / 3, np.nan, 1 / 3]
    expected_g = [0.625] * 4 + [0.25, 0.5, 0.75, 1.0]
    np.testing.assert_allclose(ranks["f"], expected_f, rtol=0, atol=1e-15)
    np.testing.assert_allclose(ranks["g"], expected_g, rtol=0, atol=1e-15)


def test_zscore_known_answer() -> None:
    z = cross_sectional_zscore(synthetic())
    # date 1: f mean 2.5, population σ sqrt(1.25); g all equal -> undefined (NaN)
    # date 2: f over 5, 5, 1: mean 11/3, σ sqrt(32/9); g = 1..4: mean 2.5, σ sqrt(1.25)
    s1, s2 = np.sqrt(1.25), np.sqrt(32 / 9)
    expected_f = [0.5 / s1, -1.5 / s1, 1.5 / s1, -0.5 / s1,
                  (4 / 3) / s2, (4 / 3) / s2, np.nan, (-8 / 3) / s2]  # fmt: skip
    expected_g = [np.nan] * 4 + [-1.5 / s1, -0.5 / s1, 0.5 / s1, 1.5 / s1]
    np.testing.assert_allclose(z["f"], expected_f, rtol=1e-14)
    np.testing.assert_allclose(z["g"], expected_g, rtol=1e-14)


def test_equal_values_have_no_zscore_even_when_their_mean_rounds() -> None:
    """Synthetic: 0.1 three times sums to 0.30000000000000004; the σ left (~1e-17) is noise."""
    rows = np.array([[0.1, 1.0], [0.1, 2.0], [0.1, 4.0]])
    z = zscore_rows(rows)
    assert np.isnan(z[:, 0]).all()
    assert not np.isnan(z[:, 1]).any()


def test_row_order_does_not_matter() -> None:
    data = synthetic()
    shuffled = data.iloc[[5, 0, 7, 2, 1, 6, 3, 4]]
    np.testing.assert_array_equal(
        cross_sectional_rank(shuffled).sort_index().to_numpy(),
        cross_sectional_rank(data).to_numpy(),
    )
    np.testing.assert_allclose(
        cross_sectional_zscore(shuffled).sort_index(), cross_sectional_zscore(data), rtol=1e-15
    )


# --------------------------------------------------------------------------- real data


def test_rank_and_zscore_match_pandas_groupby_on_the_stocks() -> None:
    values = half()
    by_date = values.groupby(level="ts")
    np.testing.assert_array_equal(ranks(), by_date.rank(pct=True).to_numpy())
    z = zscores()
    reference = (values - by_date.transform("mean")) / by_date.transform("std", ddof=0)
    np.testing.assert_array_equal(np.isnan(z.to_numpy()), np.isnan(reference.to_numpy()))
    np.testing.assert_allclose(z.to_numpy(), reference.to_numpy(), rtol=1e-9, atol=1e-12)
    complete = z.notna().all(axis=1).groupby(level="ts").transform("all")
    full = z[complete]  # dates with no NaN left: per date mean 0, σ 1
    assert len(full) > 100_000
    assert full.groupby(level="ts").mean().abs().to_numpy().max() < 1e-12
    np.testing.assert_allclose(full.groupby(level="ts").std(ddof=0), 1.0, rtol=1e-12)


def test_one_dates_rows_equal_the_panel_bit_for_bit() -> None:
    values = half()
    dates = values.index.get_level_values("ts").unique()
    for ts in (dates[300], dates[4000], dates[-1]):
        rows = values.xs(ts, level="ts")
        np.testing.assert_array_equal(rank_rows(rows), ranks().xs(ts, level="ts"))
        np.testing.assert_array_equal(zscore_rows(rows), zscores().xs(ts, level="ts"))
        np.testing.assert_array_equal(rank_rows(rows.to_numpy()), ranks().xs(ts, level="ts"))


def test_live_streams_then_cross_section_equal_the_batch_panel() -> None:
    """One FeatureStream per symbol, bar by bar, then zscore_rows on the last date."""
    frames = stock_frames()
    symbols = sorted(frames)[:4]
    features = FeatureSet.close_only()
    last_rows = []
    for symbol in symbols:
        stream = features.stream()
        for close in frames[symbol]["close"].tolist():
            row = stream.update_close(close)
        last_rows.append(row)
    live = zscore_rows(np.vstack(last_rows))
    sub = compute_panel({s: frames[s] for s in symbols}, features)
    last = sub.index.get_level_values("ts").max()
    batch = cross_sectional_zscore(sub).xs(last, level="ts")
    assert list(batch.index) == symbols
    np.testing.assert_allclose(live, batch.to_numpy(), rtol=1e-9, atol=1e-12)
