"""Properties of validation that must hold for any cut of the real data (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alphaforge.data.bundled import load_dataset
from alphaforge.data.calendars import find_gaps
from alphaforge.data.errors import DataValidationError
from alphaforge.data.validation import validate_frame

ETHBTC = load_dataset("binance_ethbtc_5m")  # real, and complete: no 5-minute bar is missing
SPX = load_dataset("spx_daily")


@given(st.sets(st.integers(1, len(ETHBTC) - 2), max_size=60))
def test_removed_bars_come_back_as_gaps(removed: set[int]) -> None:
    frame = ETHBTC.drop(ETHBTC.index[sorted(removed)])
    report = validate_frame(frame, source="ethbtc", calendar="24/7", frequency="5m")
    assert report.missing_bars == len(removed)
    expected: list[tuple[pd.Timestamp, pd.Timestamp, int]] = []
    for i in sorted(removed):
        stamp = ETHBTC.index[i]
        if expected and expected[-1][1] + pd.Timedelta("5min") == stamp:
            start, _, count = expected[-1]
            expected[-1] = (start, stamp, count + 1)
        else:
            expected.append((stamp, stamp, 1))
    assert [(g.start, g.end, g.missing) for g in report.gaps] == expected
    assert tuple(report.gaps) == find_gaps(frame.index, "24/7", "5m")


@given(st.integers(0, len(SPX) - 2), st.integers(2, 400))
def test_any_window_of_real_bars_is_valid_and_complete(start: int, length: int) -> None:
    frame = SPX.iloc[start : start + length]
    report = validate_frame(frame, source="spx", calendar="XNYS", frequency="1d")
    assert report.rows == len(frame)
    assert report.gaps == ()
    assert report.suspects_of("split") == ()


@given(st.integers(0, len(SPX) - 2), st.integers(1, 50))
def test_swapped_rows_are_named(i: int, distance: int) -> None:
    j = min(i + distance, len(SPX) - 1)
    order = np.arange(len(SPX))
    order[i], order[j] = order[j], order[i]
    with pytest.raises(DataValidationError) as info:
        validate_frame(SPX.iloc[order], source="spx")
    first = info.value.first
    assert (first.row, first.field) == (i + 2, "timestamp")
    assert "earlier than row" in first.message


@given(st.sets(st.integers(0, len(SPX) - 1), min_size=1, max_size=40))
def test_problems_come_in_row_order_and_name_every_broken_row(broken: set[int]) -> None:
    frame = SPX.copy()
    rows = sorted(broken)
    frame.iloc[rows, frame.columns.get_loc("high")] = frame["low"].iloc[rows] * 0.99
    with pytest.raises(DataValidationError) as info:
        validate_frame(frame, source="spx")
    high_rows = [p.row for p in info.value.problems if p.field == "high"]
    assert high_rows == [r + 1 for r in rows]
    listed = [p.row for p in info.value.problems if p.row is not None]
    assert listed == sorted(listed)
