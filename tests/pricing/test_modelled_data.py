"""Modelled option indices load by name (``modelled:...``) and join other data in a run."""

from __future__ import annotations

import pandas as pd
import pytest

from alphaforge.data.bundled import load_dataset
from alphaforge.data.errors import UnknownDatasetError
from alphaforge.pricing import MODELLED, UnknownModelledError, build_modelled, straddle_index
from alphaforge.runtime.inputs import load_series


def test_a_modelled_name_loads_one_series_that_says_it_is_modelled() -> None:
    (series,) = load_series("modelled:spx_covered_call")
    assert series.symbol == "SPX_CC"
    assert series.source == "modelled:spx_covered_call"
    assert series.extra["modelled"] is True
    assert "not quoted" in series.extra["provenance"]
    assert "Black-Scholes" in series.extra["provenance"]
    assert series.extra["inputs"] == ["bundled:spx_daily", "bundled:vix_daily"]
    assert series.extra["model"]["dividend_yield"] == 0.0
    assert list(series.frame.columns) == ["close"]
    assert str(series.frame.index.tz) == "UTC"
    spx = load_dataset("spx_daily")
    assert series.frame.index.isin(spx.index).all()  # on the underlying's own stamps
    assert (series.calendar, series.stamp) == ("XNYS", "bar_open")


def test_modelled_names_join_other_data() -> None:
    names = ["spx_daily", "vix_daily", "modelled:spx_straddle_dh", "modelled:spx_short_straddle_dh"]
    series = load_series(names)
    assert [s.symbol for s in series] == ["SPX", "VIX", "SPX_STRADDLE", "SPX_SHORT_STRADDLE"]


def test_the_named_series_is_the_builder_on_the_bundled_data() -> None:
    (series,) = load_series("modelled:spx_short_straddle_dh")
    spx = load_dataset("spx_daily")["close"]
    vix = load_dataset("vix_daily")["close"] / 100
    expected = straddle_index(spx, vix, side=-1).frame
    pd.testing.assert_frame_equal(series.frame, expected)


def test_unknown_modelled_names_get_a_hint() -> None:
    with pytest.raises(UnknownDatasetError, match=r"did you mean 'modelled:spx_put_write'"):
        load_series("modelled:spx_putwrite")
    with pytest.raises(UnknownModelledError, match=r"did you mean 'spx_covered_call'"):
        build_modelled("spx_coverd_call", load_dataset)
    assert set(MODELLED) == {
        "spx_covered_call", "spx_put_write", "spx_straddle_dh", "spx_short_straddle_dh",
    }  # fmt: skip
