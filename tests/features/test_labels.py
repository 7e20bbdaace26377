"""Labels: known answers on constructed paths, real-data runs, and no label reading past its t1.

Synthetic price paths are used only where a test needs a known answer (the bar a barrier is
touched, an exact return); every other test runs on the bundled spx_daily and stocks20_close.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alphaforge.data import load_dataset
from alphaforge.domain.errors import InvalidValueError
from alphaforge.features.labels import (
    Labels,
    classes,
    forward_returns,
    meta_labels,
    triple_barrier,
)


@pytest.fixture(scope="module")
def spx() -> pd.Series:
    return load_dataset("spx_daily")["close"]


@pytest.fixture(scope="module")
def stocks() -> pd.DataFrame:
    return load_dataset("stocks20_close")


def _path(prices: list[float]) -> pd.Series:
    """A synthetic daily close path (known answers only)."""
    index = pd.date_range("2024-01-01", periods=len(prices), freq="D", tz="UTC")
    return pd.Series(prices, index=index, dtype=float)


def _bars_ahead(labels: Labels, close: pd.Series) -> np.ndarray:
    """How many bars after each label's own bar its t1 lies."""
    known = labels.dropna()
    return close.index.get_indexer(known.t1) - close.index.get_indexer(known.index)


# ---------------------------------------------------------------------- known answers


def test_forward_returns_are_exact_with_t1_at_bar_t_plus_h() -> None:
    close = _path([100, 110, 99, 121, 121])
    one = forward_returns(close, 1)
    np.testing.assert_allclose(one.y.to_numpy()[:4], [0.1, -0.1, 121 / 99 - 1, 0.0])
    assert np.isnan(one.y.iloc[4])
    assert pd.isna(one.t1.iloc[4])
    assert list(one.t1.iloc[:4]) == list(close.index[1:])
    two = forward_returns(close, 2, log=True)
    np.testing.assert_allclose(two.y.to_numpy()[:3], np.log([0.99, 121 / 110, 121 / 99]))
    assert list(two.t1.iloc[:3]) == list(close.index[2:])
    assert two.y.iloc[3:].isna().all()
    assert (two.horizon, two.kind) == (2, "forward_return")


def test_classes_use_strict_thresholds() -> None:
    close = _path([100, 103, 103, 100, 99.5, 100])
    labels = classes(close, 1, upper=0.02, lower=-0.02)
    # returns: +3 %, 0, -2.9 %, -0.5 %, +0.5 %, unknown
    np.testing.assert_array_equal(labels.y.to_numpy()[:5], [1, 0, -1, 0, 0])
    assert np.isnan(labels.y.iloc[5])
    zero = classes(close, 1, upper=0.0, lower=0.0)  # a flat bar is HOLD, not BUY or SELL
    np.testing.assert_array_equal(zero.y.to_numpy()[:5], [1, 0, -1, -1, 1])
    default = classes(close, 1)  # ±1 %
    np.testing.assert_array_equal(default.y.to_numpy()[:5], [1, 0, -1, 0, 0])


def test_volatility_scaled_classes_match_a_hand_computation(spx: pd.Series) -> None:
    close = spx.iloc[:300]
    labels = classes(close, 5, k=0.5, vol_window=20)
    returns = close.pct_change().to_numpy()
    for t in (20, 21, 100, 294):
        vol = np.std(returns[t - 19 : t + 1], ddof=1)  # the 20 returns known at t
        ret = close.iloc[t + 5] / close.iloc[t] - 1
        want = 1 if ret > 0.5 * vol * np.sqrt(5) else -1 if ret < -0.5 * vol * np.sqrt(5) else 0
        assert labels.y.iloc[t] == want
        assert labels.extra["upper"].iloc[t] == pytest.approx(0.5 * vol * np.sqrt(5))
    assert labels.y.iloc[:20].isna().all()  # volatility unknown before 20 returns
    assert labels.y.iloc[20:295].notna().all()


# A path with every barrier outcome, target 5 %, 3 bars: ret from bar 0 = 0, +6 % ...
_BARRIER_PATH = [100, 100, 106, 100, 94, 100, 100, 100, 100]


def test_triple_barrier_touches_upper_lower_and_vertical_at_the_right_bar() -> None:
    close = _path(_BARRIER_PATH)
    labels = triple_barrier(close, pt=1.0, sl=1.0, max_holding=3, target=0.05)
    frame = labels.to_frame()
    # event: (label, bar of t1, realized return)
    want = {
        0: (1, 2, 0.06),  # +6 % at bar 2: profit taken
        1: (1, 2, 0.06),
        2: (-1, 3, 100 / 106 - 1),  # -5.7 %: stopped out
        3: (-1, 4, -0.06),
        4: (1, 5, 100 / 94 - 1),
        5: (0, 8, 0.0),  # flat for 3 bars: the vertical barrier
    }
    for event, (y, bar, ret) in want.items():
        row = frame.iloc[event]
        assert (row["y"], row["t1"]) == (y, close.index[bar])
        assert row["ret"] == pytest.approx(ret)
    assert frame["y"].iloc[6:].isna().all()  # runs past the data before any touch
    assert frame["t1"].iloc[6:].isna().all()
    assert (labels.horizon, labels.kind, labels.side) == (3, "triple_barrier", None)


def test_triple_barrier_options_move_the_touches() -> None:
    close = _path(_BARRIER_PATH)
    no_pt = triple_barrier(close, pt=None, max_holding=3, target=0.05).to_frame()
    assert (no_pt["y"].iloc[0], no_pt["t1"].iloc[0]) == (0, close.index[3])  # upper removed
    wide_sl = triple_barrier(close, sl=2.0, max_holding=3, target=0.05).to_frame()
    assert (wide_sl["y"].iloc[2], wide_sl["t1"].iloc[2]) == (-1, close.index[4])  # -11 %
    short = triple_barrier(
        close, side=pd.Series([-1.0, 1.0], index=close.index[[0, 2]]), max_holding=3, target=0.05
    )
    assert list(short.index) == list(close.index[[0, 2]])
    np.testing.assert_array_equal(short.y, [-1, -1])  # the short is stopped by the +6 %
    np.testing.assert_allclose(short.extra["ret"], [-0.06, 100 / 106 - 1])
    np.testing.assert_array_equal(short.side, [-1, 1])
    mask = pd.Series(False, index=close.index)
    mask.iloc[[1, 5]] = True
    some = triple_barrier(close, events=mask, max_holding=3, target=0.05)
    assert list(some.index) == list(close.index[[1, 5]])
    np.testing.assert_array_equal(some.y, [1, 0])


def test_default_target_is_the_ewm_volatility_known_at_the_event(spx: pd.Series) -> None:
    labels = triple_barrier(spx, max_holding=10, vol_span=50)
    vol = spx.pct_change().ewm(span=50, min_periods=50).std()
    np.testing.assert_allclose(labels.extra["trgt"], vol, equal_nan=True)
    assert labels.y.iloc[:50].isna().all()
    assert labels.y.iloc[50:4000].notna().all()


def test_meta_labels_say_whether_the_bet_paid() -> None:
    close = _path(_BARRIER_PATH)
    side = pd.Series([1, -1, 1, -1, 0], index=close.index[[0, 1, 2, 3, 4]])
    meta = meta_labels(side, close, max_holding=3, target=0.05)
    assert list(meta.index) == list(close.index[:4])  # side 0 is no bet: not labelled
    frame = meta.to_frame()
    np.testing.assert_array_equal(frame["y"], [1, 0, 0, 1])  # long +6 %, short +6 %, long -5.7 %
    np.testing.assert_array_equal(frame["barrier"], [1, -1, -1, 1])
    np.testing.assert_array_equal(frame["side"], [1, -1, 1, -1])
    assert list(frame["t1"]) == list(close.index[[2, 2, 3, 4]])
    assert (meta.kind, meta.horizon) == ("meta", 3)
    assert meta.dropna().y.dtype == np.int64


# ---------------------------------------------------------------------- real data


def test_real_forward_returns_and_classes_on_spx(spx: pd.Series) -> None:
    for h in (1, 5, 21):
        labels = forward_returns(spx, h)
        np.testing.assert_allclose(labels.y, spx.shift(-h) / spx - 1, equal_nan=True)
        assert labels.horizon == h
        assert (_bars_ahead(labels, spx) == h).all()
        assert len(labels.dropna()) == len(spx) - h
    labels = classes(spx, 5, upper=0.02, lower=-0.01)
    known = labels.dropna()
    ret = known.extra["ret"]
    assert (ret[known.y == 1] > 0.02).all()
    assert (ret[known.y == -1] < -0.01).all()
    assert ret[known.y == 0].between(-0.01, 0.02).all()
    assert set(known.y.unique()) == {-1, 0, 1}


def _reference_barrier(
    close: np.ndarray, trgt: np.ndarray, h: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A plain-Python triple barrier (pt = sl = 1, long) to check the Numba scan against."""
    n = len(close)
    ys, ends, rets = np.full(n, np.nan), np.full(n, -1), np.full(n, np.nan)
    for i in range(n):
        if np.isnan(trgt[i]):
            continue
        path = close[i + 1 : i + h + 1] / close[i] - 1
        hits = np.flatnonzero((path >= trgt[i]) | (path <= -trgt[i]))
        if hits.size:
            j = hits[0]
            ys[i], ends[i], rets[i] = np.sign(path[j]), i + 1 + j, path[j]
        elif i + h < n:
            ys[i], ends[i], rets[i] = 0.0, i + h, path[-1]
    return ys, ends, rets


def test_triple_barrier_on_spx_matches_a_plain_python_reference(spx: pd.Series) -> None:
    labels = triple_barrier(spx, max_holding=15)
    ys, ends, rets = _reference_barrier(spx.to_numpy(), labels.extra["trgt"].to_numpy(), 15)
    np.testing.assert_array_equal(labels.y.to_numpy(), ys)
    np.testing.assert_allclose(labels.extra["ret"], rets, equal_nan=True)
    t1 = spx.index.get_indexer(labels.t1.dropna())
    np.testing.assert_array_equal(t1, ends[ends >= 0])
    steps = _bars_ahead(labels, spx)
    assert steps.min() >= 1
    assert steps.max() == 15 == labels.horizon
    assert set(labels.dropna().y.unique()) == {-1, 0, 1}


@given(
    returns=st.lists(st.floats(-0.08, 0.08), min_size=2, max_size=60),
    h=st.integers(1, 8),
    width=st.floats(0.005, 0.1),
)
def test_triple_barrier_matches_the_reference_on_random_paths(
    returns: list[float], h: int, width: float
) -> None:
    """Synthetic random paths: the Numba scan equals the reference for any path and barrier."""
    close = _path(list(100 * np.cumprod(1 + np.asarray(returns))))
    labels = triple_barrier(close, max_holding=h, target=width)
    ys, ends, rets = _reference_barrier(close.to_numpy(), np.full(len(close), width), h)
    np.testing.assert_array_equal(labels.y.to_numpy(), ys)
    np.testing.assert_allclose(labels.extra["ret"], rets, equal_nan=True)
    np.testing.assert_array_equal(close.index.get_indexer(labels.t1.dropna()), ends[ends >= 0])


def test_panel_labels_are_per_symbol(stocks: pd.DataFrame) -> None:
    panel = triple_barrier(stocks, max_holding=10)
    assert panel.index.names == ["ts", "symbol"]
    assert panel.index.is_monotonic_increasing
    assert len(panel) == stocks.notna().sum().sum()
    for symbol in ("AAPL", "XOM"):
        one = triple_barrier(stocks[symbol], max_holding=10)
        mine = panel.to_frame().xs(symbol, level="symbol")
        pd.testing.assert_frame_equal(mine, one.to_frame(), check_names=False, check_freq=False)
    long = stocks.stack()
    long.index = long.index.set_names(["ts", "symbol"])
    fwd_wide, fwd_long = forward_returns(stocks, 5), forward_returns(long, 5)
    pd.testing.assert_series_equal(fwd_wide.y, fwd_long.y)
    pd.testing.assert_series_equal(fwd_wide.t1, fwd_long.t1)
    # a horizon counts the symbol's own bars: t1 is 5 bars of that symbol later
    known = fwd_long.dropna()
    aapl = known.t1.xs("AAPL", level="symbol")
    assert (stocks.index.get_indexer(aapl) - stocks.index.get_indexer(aapl.index) == 5).all()


def test_panel_meta_labels_and_events(stocks: pd.DataFrame) -> None:
    momentum = np.sign(stocks.pct_change(20)).stack().dropna()
    momentum.index = momentum.index.set_names(["ts", "symbol"])
    meta = meta_labels(momentum, stocks, max_holding=10)
    assert len(meta) == int((momentum != 0).sum())
    known = meta.dropna()
    assert set(known.y.unique()) == {0, 1}
    np.testing.assert_array_equal(known.y, known.extra["ret"] > 0)
    ko = meta_labels(momentum.xs("KO", level="symbol"), stocks["KO"], max_holding=10)
    np.testing.assert_array_equal(known.y.xs("KO", level="symbol"), ko.dropna().y)
    with pytest.raises(InvalidValueError, match="MultiIndex"):
        triple_barrier(stocks, events=stocks.index[:5])
    unknown = pd.MultiIndex.from_tuples([(stocks.index[30], "ZZZ")], names=["ts", "symbol"])
    with pytest.raises(InvalidValueError, match=r"symbols that close does not have: \['ZZZ'\]"):
        meta_labels(pd.Series(1.0, index=unknown), stocks)


# ---------------------------------------------------------------------- no look-ahead


@pytest.mark.parametrize(
    "make",
    [
        lambda c: forward_returns(c, 10),
        lambda c: classes(c, 10, k=1.0),
        lambda c: triple_barrier(c, pt=1.5, sl=1.0, max_holding=20),
        lambda c: meta_labels(np.sign(c - c.rolling(20).mean()).dropna(), c, max_holding=20),
    ],
    ids=["forward", "classes", "barrier", "meta"],
)
def test_no_label_uses_data_beyond_its_t1(
    spx: pd.Series, make: Callable[[pd.Series], Labels]
) -> None:
    full = make(spx).to_frame()
    cut = 3000
    # Truncated at the cut, every label known there is the full data's label ...
    short = make(spx.iloc[:cut]).to_frame().dropna(subset=["y"])
    pd.testing.assert_frame_equal(short, full.loc[short.index], check_freq=False)
    # ... and every full label that ends before the cut is known there.
    ends_before = full.index[full["t1"] < spx.index[cut]]
    assert ends_before.isin(short.index).all()
    assert len(ends_before) > 2500
    # Scrambling every price after the cut changes no label that ends before it.
    rng = np.random.default_rng(7)
    noisy = spx.copy()
    noisy.iloc[cut:] *= np.exp(rng.normal(0, 0.05, len(spx) - cut))
    changed = make(noisy).to_frame()
    pd.testing.assert_frame_equal(changed.loc[ends_before], full.loc[ends_before])
    assert not changed.loc[changed.index[cut - 5 : cut]].equals(full.iloc[cut - 5 : cut])


# ---------------------------------------------------------------------- the Labels object


def test_dropna_align_and_loc(spx: pd.Series) -> None:
    labels = triple_barrier(spx, max_holding=10)
    assert labels.y.dtype == np.float64
    assert labels.dropna().y.dtype == np.int64
    assert forward_returns(spx, 3).dropna().y.dtype == np.float64
    x = pd.DataFrame({"mom": spx.pct_change(60), "ret": spx.pct_change()})
    xa, la = labels.align(x)
    assert xa.index.equals(la.index)
    assert not xa.isna().any().any()
    assert la.y.notna().all()
    assert xa.index[0] == spx.index[60]  # the 60-bar warm-up and the first 50 targets dropped
    assert xa.index[-1] < spx.index[-1]  # the unknown last labels dropped
    keep, _ = labels.align(x, dropna=False)
    assert keep.isna().any().any()
    with pytest.raises(InvalidValueError, match="no label"):
        labels.dropna().loc(spx.index[-3:])
    with pytest.raises(InvalidValueError, match="indexed by"):
        labels.align(x.reset_index(drop=True))
    assert "triple_barrier" in repr(labels)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: forward_returns(c, 0), "horizon"),
        (lambda c: forward_returns(c.iloc[::-1]), "increasing"),
        (lambda c: forward_returns(c.where(c > 1300)), "positive, finite"),
        (lambda c: forward_returns(-c), "positive, finite"),
        (lambda c: forward_returns(c.reset_index(drop=True)), "DatetimeIndex"),
        (lambda c: forward_returns(c.to_frame("close")), "'close' column"),
        (lambda c: classes(c, 5, upper=0.01, k=1.0), "not both"),
        (lambda c: classes(c, 5, upper=-0.01, lower=0.01), "lower <= upper"),
        (lambda c: triple_barrier(c, pt=0.0), "pt must be"),
        (lambda c: triple_barrier(c, events=c.index[:3] + pd.Timedelta("1h")), "not bars"),
        (lambda c: triple_barrier(c, side=pd.Series(2.0, index=c.index[:3])), "side"),
        (
            lambda c: triple_barrier(c, events=c.index[:4], side=pd.Series(1.0, c.index[:3])),
            "side has no",
        ),
        (lambda c: triple_barrier(c, events=c.index[[3, 3]]), "duplicate"),
        (lambda c: triple_barrier(c, target=-0.01), "target"),
        (lambda c: meta_labels(pd.Series(0.5, index=c.index[:3]), c), "primary_side"),
    ],
)
def test_bad_input_gets_a_clear_error(
    spx: pd.Series, call: Callable[[pd.Series], Labels], message: str
) -> None:
    with pytest.raises(InvalidValueError, match=message):
        call(spx)
