"""Purged cross-validation: no training label window ever overlaps a test window.

The leakage property is checked for every split of every splitter, over random sample layouts
(hypothesis: horizons, split counts, panel sizes, embargoes), on synthetic timestamps because
the property must hold for any layout; the rest runs on the bundled spx_daily and
stocks20_close. A check that plain k-fold fails shows the property test can fail.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from alphaforge.data import load_dataset
from alphaforge.domain.errors import InvalidValueError
from alphaforge.features.labels import Labels, forward_returns, triple_barrier
from alphaforge.ml import CombinatorialPurgedCV, PurgedKFold, PurgedWalkForward

DOC = Path(__file__).parents[2] / "docs" / "ml_validation.md"


# ---------------------------------------------------------------------- the leakage property


def _layout(n_dates: int, n_symbols: int, max_h: int, seed: int) -> pd.Series:
    """Synthetic samples (business days, maybe a panel) with random horizons: their t1."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2020-01-01", periods=n_dates + max_h, tz="UTC")
    if n_symbols == 1:
        index: pd.Index = dates[:n_dates]
        day = np.arange(n_dates)
    else:
        index = pd.MultiIndex.from_product(
            [dates[:n_dates], [f"S{i}" for i in range(n_symbols)]], names=["ts", "symbol"]
        )
        day = np.repeat(np.arange(n_dates), n_symbols)
    horizon = rng.integers(0, max_h + 1, len(index))
    return pd.Series(dates[day + horizon], index=index, name="t1")


def _times(t1: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    index = t1.index
    t = index.get_level_values(0) if isinstance(index, pd.MultiIndex) else index
    return t.as_unit("ns").asi8, pd.DatetimeIndex(t1).as_unit("ns").asi8


def _overlaps(t1: pd.Series, train: np.ndarray, test: np.ndarray) -> int:
    """How many (train, test) pairs have intersecting [t, t1] windows."""
    t, end = _times(t1)
    a, b = t[train][:, None], end[train][:, None]
    return int(((a <= end[test][None, :]) & (b >= t[test][None, :])).sum())


def _runs(days: np.ndarray) -> list[np.ndarray]:
    """Consecutive date numbers, cut into contiguous runs (the test blocks)."""
    return np.split(days, np.flatnonzero(np.diff(days) > 1) + 1)


def _check_split(t1: pd.Series, train: np.ndarray, test: np.ndarray, embargo: int) -> None:
    t, end = _times(t1)
    dates, day = np.unique(t, return_inverse=True)
    assert len(train)
    assert len(test)
    assert not np.intersect1d(train, test).size
    # no training window overlaps any test window
    assert _overlaps(t1, train, test) == 0
    # folds are sets of dates: a test date's every symbol is in the test set
    test_days = np.unique(day[test])
    assert np.isin(day, test_days).sum() == len(test)
    for run in _runs(test_days):
        in_run = np.isin(day, run)
        a, b = t[in_run].min(), end[in_run].max()
        # purged against the whole block span, not just its samples
        assert not ((t[train] <= b) & (end[train] >= a)).any()
        # embargo: no training sample starts within `embargo` dates after the span
        after = dates[dates > b][:embargo]
        if after.size:
            assert not ((t[train] > b) & (t[train] <= after[-1])).any()


@given(
    n_dates=st.integers(30, 120),
    n_symbols=st.integers(1, 4),
    max_h=st.integers(0, 4),
    n_splits=st.integers(2, 6),
    embargo=st.integers(0, 3),
    seed=st.integers(0, 2**16),
)
def test_purged_kfold_never_trains_on_a_test_window(
    n_dates: int, n_symbols: int, max_h: int, n_splits: int, embargo: int, seed: int
) -> None:
    t1 = _layout(n_dates, n_symbols, max_h, seed)
    splits = list(PurgedKFold(n_splits, embargo=embargo).split(t1.to_frame(), t1))
    assert len(splits) == n_splits
    tested = np.sort(np.concatenate([test for _, test in splits]))
    np.testing.assert_array_equal(tested, np.arange(len(t1)))  # every sample tested once
    for train, test in splits:
        _check_split(t1, train, test, embargo)


@given(
    n_dates=st.integers(40, 120),
    n_symbols=st.integers(1, 3),
    max_h=st.integers(0, 3),
    groups=st.sampled_from([(4, 1), (5, 2), (6, 2), (6, 3)]),
    embargo=st.integers(0, 2),
    seed=st.integers(0, 2**16),
)
def test_cpcv_never_trains_on_a_test_window(
    n_dates: int, n_symbols: int, max_h: int, groups: tuple[int, int], embargo: int, seed: int
) -> None:
    t1 = _layout(n_dates, n_symbols, max_h, seed)
    cv = CombinatorialPurgedCV(*groups, embargo=embargo, t1=t1)
    splits = list(cv.split(t1.to_frame()))
    assert len(splits) == math.comb(*groups) == cv.get_n_splits()
    for train, test in splits:
        _check_split(t1, train, test, embargo)
    # every sample is tested in exactly n_paths splits
    counts = np.bincount(np.concatenate([test for _, test in splits]), minlength=len(t1))
    assert (counts == cv.n_paths).all()


@given(
    n_dates=st.integers(40, 150),
    n_symbols=st.integers(1, 3),
    max_h=st.integers(0, 4),
    n_splits=st.integers(1, 5),
    train_size=st.one_of(st.none(), st.integers(10, 30)),  # room for horizon + gap
    embargo=st.integers(0, 3),
    seed=st.integers(0, 2**16),
)
def test_walk_forward_trains_only_on_the_purged_past(
    n_dates: int,
    n_symbols: int,
    max_h: int,
    n_splits: int,
    train_size: int | None,
    embargo: int,
    seed: int,
) -> None:
    t1 = _layout(n_dates, n_symbols, max_h, seed)
    cv = PurgedWalkForward(n_splits, train_size=train_size, embargo=embargo, t1=t1)
    t, end = _times(t1)
    dates, day = np.unique(t, return_inverse=True)
    splits = list(cv.split(t1))
    assert len(splits) == n_splits
    for k, (train, test) in enumerate(splits):
        _check_split(t1, train, test, 0)
        first = day[test].min()
        # the test blocks are back to back up to the last date
        assert day[test].max() == n_dates - 1 - (n_splits - 1 - k) * (n_dates // (n_splits + 1))
        # the embargo is a gap: training labels end before the `embargo` dates before the test
        assert end[train].max() < dates[max(first - embargo, 0)]
        if train_size is not None:
            assert day[train].min() >= first - train_size


def test_plain_kfold_fails_the_property_the_purged_one_passes() -> None:
    """The check above can fail: k-fold without purging trains on windows that overlap."""
    t1 = _layout(200, 2, 5, seed=1)
    overlapping = [_overlaps(t1, tr, te) for tr, te in KFold(5).split(t1)]
    assert min(overlapping) > 0
    purged = [_overlaps(t1, tr, te) for tr, te in PurgedKFold(5, t1=t1).split(t1)]
    assert purged == [0] * 5


def test_embargo_as_fraction_and_time_span() -> None:
    t1 = _layout(200, 1, 2, seed=3)
    t, _ = _times(t1)
    for embargo, gap in ((0.05, 10), ("14D", 10)):  # 5 % of 200 dates; 14 days = 10 weekdays
        for train, test in PurgedKFold(4, embargo=embargo, t1=t1).split(t1):
            _check_split(t1, train, test, gap)
    # an embargo removes training samples that would be kept without one
    sizes = [
        sum(len(tr) for tr, _ in PurgedKFold(4, embargo=e, t1=t1).split(t1)) for e in (0, 5, "3W")
    ]
    assert sizes[0] > sizes[1] > sizes[2]
    assert t.size == len(t1)


# ---------------------------------------------------------------------- CPCV paths


def test_cpcv_counts_and_paths() -> None:
    cv = CombinatorialPurgedCV(6, 2)
    assert (cv.get_n_splits(), cv.n_paths) == (15, 5)
    paths = cv.paths
    assert paths.shape == (5, 6)
    for g in range(6):  # a group's 5 paths come from the 5 distinct splits that test it
        splits = paths[:, g]
        assert len(set(splits)) == 5
        assert all(g in cv.test_groups[s] for s in splits)
    assert CombinatorialPurgedCV(10, 3).n_paths == math.comb(9, 2) == 36


def test_cpcv_assembles_complete_paths_on_a_panel() -> None:
    stocks = load_dataset("stocks20_close")[["AAPL", "KO", "XOM"]].iloc[-600:]
    labels = forward_returns(stocks, 10).dropna()
    x = labels.y.to_frame("anything")
    cv = CombinatorialPurgedCV(6, 2, embargo=5, t1=labels)
    splits = list(cv.split(x))
    predictions = [test.astype(float) for _, test in splits]  # "predict" the position
    paths = cv.assemble_paths(predictions, x)
    assert paths.shape == (5, len(x))
    np.testing.assert_array_equal(paths, np.tile(np.arange(len(x)), (5, 1)))
    with pytest.raises(InvalidValueError, match="one prediction array per split"):
        cv.assemble_paths(predictions[:3], x)


# ---------------------------------------------------------------------- real data, sklearn


@pytest.fixture(scope="module")
def spx_xy() -> tuple[pd.DataFrame, Labels]:
    close = load_dataset("spx_daily")["close"]
    labels = triple_barrier(close, max_holding=20)
    x = pd.DataFrame(
        {"mom_20": close.pct_change(20), "vol_20": close.pct_change().rolling(20).std()}
    )
    return labels.align(x)


def test_real_spx_folds_are_purged_by_the_label_horizon(
    spx_xy: tuple[pd.DataFrame, Labels],
) -> None:
    x, labels = spx_xy
    for cv in (
        PurgedKFold(5, embargo=0.01, t1=labels),
        CombinatorialPurgedCV(6, 2, embargo=0.01, t1=labels),
        PurgedWalkForward(5, embargo=5, t1=labels),
    ):
        for train, test in cv.split(x):
            assert _overlaps(labels.t1, train, test) == 0
    # purging removes up to a horizon's worth of samples around each test block
    (train, test), *_ = PurgedKFold(5, embargo=0, t1=labels).split(x)
    lost = len(x) - len(train) - len(test)
    assert 0 < lost <= labels.horizon


def test_sklearn_cross_val_score_and_nested_search(spx_xy: tuple[pd.DataFrame, Labels]) -> None:
    x, labels = spx_xy
    cv = PurgedKFold(5, embargo=0.01, t1=labels.t1)
    model = LogisticRegression()
    scores = cross_val_score(model, x, labels.y, cv=cv)
    by_hand = [model.fit(x.iloc[tr], labels.y.iloc[tr]).score(x.iloc[te], labels.y.iloc[te])
               for tr, te in cv.split(x)]  # fmt: skip
    np.testing.assert_allclose(scores, by_hand)
    # nested: the inner search gets a subset of x; the held t1 is looked up by its index
    search = GridSearchCV(model, {"C": [0.1, 1.0]}, cv=PurgedKFold(3, t1=labels.t1))
    outer = cross_val_score(search, x, labels.y, cv=PurgedWalkForward(2, t1=labels.t1))
    assert outer.shape == (2,)
    assert np.isfinite(outer).all()
    # and numpy arrays work when t1 is held (the samples' times come from t1's index)
    arrays = list(cv.split(x.to_numpy(), labels.y.to_numpy()))
    assert all((a[0] == b[0]).all() for a, b in zip(arrays, cv.split(x), strict=True))


def test_t1_given_to_split_instead(spx_xy: tuple[pd.DataFrame, Labels]) -> None:
    x, labels = spx_xy
    held = [te for _, te in PurgedKFold(4, t1=labels).split(x)]
    for y in (labels, labels.t1):
        given_ = [te for _, te in PurgedKFold(4).split(x, y)]
        assert all((a == b).all() for a, b in zip(held, given_, strict=True))
    assert "t1=<" in repr(PurgedKFold(4, t1=labels))


# ---------------------------------------------------------------------- errors


def test_bad_input_gets_a_clear_error(spx_xy: tuple[pd.DataFrame, Labels]) -> None:
    x, labels = spx_xy
    cases = [
        (lambda: list(PurgedKFold(4).split(x, labels.y)), "needs each sample's label end"),
        (lambda: list(PurgedKFold(4, t1=labels.t1.iloc[:-9]).split(x)), "no label end time"),
        (lambda: list(PurgedKFold(4, t1=labels.t1.shift(-3)).split(x)), "no label end time"),
        (lambda: list(PurgedKFold(4, t1=labels.t1.shift(3).bfill()).split(x)), "before its"),
        (lambda: list(PurgedKFold(4, t1=labels).split(x.reset_index())), "DatetimeIndex"),
        (lambda: list(PurgedKFold(4, t1=labels).split(np.zeros((9, 2)))), "9 samples"),
        (lambda: PurgedKFold(1), "n_splits"),
        (lambda: PurgedKFold(4, embargo=1.5), "fraction"),
        (lambda: PurgedKFold(4, embargo=-2), ">= 0"),
        (lambda: PurgedKFold(4, embargo="soon"), "time span"),
        (lambda: PurgedKFold(4, t1=labels.y), "Series of timestamps"),
        (lambda: CombinatorialPurgedCV(4, 4), "n_test_groups"),
        (lambda: list(PurgedWalkForward(9, test_size=600, t1=labels).split(x)), "cannot hold"),
        (lambda: list(PurgedKFold(10, t1=labels).split(x.iloc[:5])), "5 distinct dates"),
    ]
    for call, message in cases:
        with pytest.raises(InvalidValueError, match=message):
            call()


def test_a_horizon_too_long_for_the_folds_is_an_error() -> None:
    t1 = _layout(20, 1, 0, seed=0)
    t1[:] = t1.index[-1]  # every label runs to the end: nothing is ever safe to train on
    with pytest.raises(InvalidValueError, match="no training sample left"):
        list(PurgedKFold(4, t1=t1).split(t1))


# ---------------------------------------------------------------------- the documentation


def test_the_documented_example_prints_what_the_docs_show(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = DOC.read_text()
    code = re.findall(r"```python\n(.*?)```", text, flags=re.S)[0]
    shown = re.findall(r"```text\n(.*?)```", text, flags=re.S)[0]
    exec(compile(code, str(DOC), "exec"), {"__name__": "docs_example"})  # noqa: S102  # our docs
    assert capsys.readouterr().out == shown
