"""Walk-forward optimization: window arithmetic, stitching, seeds, and a real run on the S&P 500.

The window arithmetic tests use a synthetic index of business days: they need bar counts with
known answers, not prices. Everything that runs a strategy uses the bundled ``spx_daily``.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alphaforge.domain.errors import InvalidValueError
from alphaforge.research.backends import ProcessBackend, SerialBackend
from alphaforge.research.overfitting import psr_of
from alphaforge.research.walkforward import (
    Window,
    _ratio,
    walk_forward,
    walk_forward_windows,
)
from alphaforge.runtime.objective import StrategyObjective
from alphaforge.runtime.walkforward import buy_and_hold, run_bars, strategy_windows
from alphaforge.strategies.space import IntRange

SPACE = {"fast": IntRange(10, 50, 10), "slow": IntRange(100, 250, 50)}


def bars(n: int) -> pd.DatetimeIndex:
    """``n`` synthetic business-day stamps (only their count and order matter here)."""
    return pd.bdate_range("2000-01-03", periods=n, tz="UTC")


def spans(index: pd.DatetimeIndex, w: Window) -> tuple[int, int, int, int]:
    """(train first, train last, test first, test last) as bar positions."""

    def at(stamp: pd.Timestamp) -> int:
        return int(index.get_loc(stamp))  # type: ignore[arg-type]

    return at(w.train_start), at(w.train_end), at(w.test_start), at(w.test_end)


# ------------------------------------------------------------------ window arithmetic


def test_rolling_fraction_known_answer() -> None:
    # 130 bars, 10 windows, 75/25: one window is 40 bars (30 train + 10 test), stepping by 10
    index = bars(130)
    windows = walk_forward_windows(index, n_windows=10, train=0.75)
    assert [spans(index, w) for w in windows] == [
        (10 * k, 10 * k + 29, 30 + 10 * k, 39 + 10 * k) for k in range(10)
    ]
    assert [w.number for w in windows] == list(range(1, 11))
    assert {(w.train_bars, w.test_bars) for w in windows} == {(30, 10)}
    first = windows[0]
    assert first.test_run_start == index[29]  # flat at the close before the test span
    assert first.train_run_start == index[0]  # no bar before the data: the first one
    assert windows[1].train_run_start == index[9]


def test_anchored_fraction_known_answer() -> None:
    index = bars(130)
    windows = walk_forward_windows(index, n_windows=10, train=0.75, scheme="anchored")
    assert [spans(index, w) for w in windows] == [
        (0, 29 + 10 * k, 30 + 10 * k, 39 + 10 * k) for k in range(10)
    ]
    assert [w.train_bars for w in windows] == [30 + 10 * k for k in range(10)]


def test_remainder_goes_to_the_train_spans() -> None:
    # 133 bars: tests of floor(133 / 13) = 10 bars end at the last bar; trains get 33
    index = bars(133)
    windows = walk_forward_windows(index, n_windows=10, train=0.75)
    assert spans(index, windows[0]) == (0, 32, 33, 42)
    assert spans(index, windows[-1]) == (90, 122, 123, 132)


def test_purge_drops_the_end_of_each_train_span() -> None:
    index = bars(130)
    windows = walk_forward_windows(index, n_windows=10, train=0.75, purge=3)
    assert [spans(index, w) for w in windows] == [
        (10 * k, 10 * k + 26, 30 + 10 * k, 39 + 10 * k) for k in range(10)
    ]
    assert windows[0].train_bars == 27


def test_fixed_lengths_and_embargo_known_answer() -> None:
    # 100 bars, train 20, test 10, embargo 5: three tests end at the last bar, 5 bars apart
    index = bars(100)
    windows = walk_forward_windows(index, n_windows=3, train=20, test=10, embargo=5)
    assert [spans(index, w) for w in windows] == [(40, 59, 60, 69), (55, 74, 75, 84),
                                                  (70, 89, 90, 99)]  # fmt: skip
    assert windows[1].test_run_start == index[74]  # in the embargo gap: flat there


def test_fixed_lengths_fit_as_many_windows_as_the_bars_hold() -> None:
    index = bars(130)
    windows = walk_forward_windows(index, train="30", test="10")
    assert len(windows) == 10
    assert spans(index, windows[0]) == (0, 29, 30, 39)
    anchored = walk_forward_windows(index, train=25, test=50, scheme="anchored")
    assert [spans(index, w) for w in anchored] == [(0, 29, 30, 79), (0, 79, 80, 129)]


def test_fraction_with_a_test_length() -> None:
    index = bars(130)
    windows = walk_forward_windows(index, train=0.75, test=10, n_windows=4)
    assert next(spans(index, w) for w in windows) == (60, 89, 90, 99)
    assert len(walk_forward_windows(index, train=0.75, test=10)) == 10


def test_calendar_lengths_become_bars_at_the_data_density() -> None:
    objective = StrategyObjective("sma_cross", data="spx_daily")
    index = run_bars(objective)
    windows = walk_forward_windows(index, train="2Y", test="6M")
    per_year = (len(index) - 1) / ((index[-1] - index[0]) / pd.Timedelta(days=365.25))
    assert abs(windows[0].train_bars - 2 * per_year) <= 1
    assert abs(windows[0].test_bars - per_year / 2) <= 1
    assert windows[-1].test_end == index[-1]
    assert len(windows) == (len(index) - windows[0].train_bars) // windows[0].test_bars


def test_the_windows_docs_walkforward_md_describes() -> None:
    # docs/walkforward.md: 5,031 S&P 500 bars, 10 windows of 387 test and 1,161 train bars
    windows = strategy_windows(StrategyObjective("sma_cross", data="spx_daily"), n_windows=10)
    assert {(w.train_bars, w.test_bars) for w in windows} == {(1161, 387)}
    assert windows[0].train_start.strftime("%Y-%m-%d") == "1999-01-04"
    assert windows[0].test_start.strftime("%Y-%m-%d") == "2003-08-18"
    assert windows[-1].test_end.strftime("%Y-%m-%d") == "2018-12-31"


@given(
    n_bars=st.integers(60, 400),
    n_windows=st.integers(1, 8),
    fraction=st.sampled_from([0.5, 0.6, 0.75, 0.8, 0.9]),
    purge=st.integers(0, 5),
    embargo=st.integers(0, 5),
    scheme=st.sampled_from(["rolling", "anchored"]),
)
def test_no_train_bar_in_a_test_span_nor_within_purge_of_it(
    n_bars: int, n_windows: int, fraction: float, purge: int, embargo: int, scheme: str
) -> None:
    index = bars(n_bars)
    try:
        windows = walk_forward_windows(
            index, n_windows=n_windows, train=fraction, scheme=scheme,  # type: ignore[arg-type]
            purge=purge, embargo=embargo,
        )  # fmt: skip
    except InvalidValueError as exc:
        assert "cannot hold" in str(exc)  # noqa: PT017
        return
    positions = [spans(index, w) for w in windows]
    assert len(windows) == n_windows
    assert positions[-1][3] == n_bars - 1  # the last test ends at the last bar
    for k, (t0, t1, s0, s1) in enumerate(positions):
        assert t1 + purge < s0  # the purge gap lies between train and test
        assert t1 - t0 + 1 == windows[k].train_bars >= 2
        assert s1 - s0 + 1 == windows[k].test_bars >= 2
        for _, _, later0, later1 in positions[k:]:  # this window's test and every later one
            assert t1 < later0 or t0 > later1
        if scheme == "anchored":
            assert t0 == 0
    for (_, _, _, end), (_, _, start, _) in itertools.pairwise(positions):
        assert start - end - 1 == embargo  # back to back, but for the embargo
    if scheme == "rolling":
        assert len({w.train_bars for w in windows}) == 1


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"train": 1.5}, "between 0 and 1"),
        ({"train": 0.0}, "between 0 and 1"),
        ({"train": "abc"}, "not a fraction"),
        ({"train": "3m"}, "ambiguous"),
        ({"train": True}, "length or a fraction"),
        ({"train": -5}, "positive number of bars"),
        ({"test": 0.25}, "not a fraction"),
        ({"scheme": "expanding"}, "rolling' or 'anchored"),
        ({"purge": -1}, "purge must be"),
        ({"embargo": 1.5}, "embargo must be"),
        ({"n_windows": 0}, "n_windows must be"),
        ({"n_windows": 100}, "cannot hold"),
        ({"train": 100, "test": 40}, "cannot hold"),
        ({"train": 0.75, "purge": 29}, "cannot hold"),
    ],
)
def test_bad_window_options_say_what_is_wrong(options: dict[str, object], words: str) -> None:
    with pytest.raises(InvalidValueError, match=words):
        walk_forward_windows(bars(130), **{"n_windows": 10, **options})  # type: ignore[arg-type]


def test_bad_index_is_refused() -> None:
    naive = pd.bdate_range("2000-01-03", periods=50)
    with pytest.raises(InvalidValueError, match="naive"):
        walk_forward_windows(naive, n_windows=2)
    with pytest.raises(InvalidValueError, match="strictly increasing"):
        walk_forward_windows(bars(50)[::-1], n_windows=2)
    with pytest.raises(InvalidValueError, match="DatetimeIndex"):
        walk_forward_windows(pd.RangeIndex(50), n_windows=2)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="too few"):
        walk_forward_windows(bars(3), n_windows=1)


# ------------------------------------------------------------------ runs on real data


@pytest.fixture(scope="module")
def objective() -> StrategyObjective:
    return StrategyObjective("sma_cross", data="spx_daily", start="2008-01-01")


@pytest.fixture(scope="module")
def windows(objective: StrategyObjective) -> list[Window]:
    return strategy_windows(objective, n_windows=3, train=0.75)


def test_windows_of_a_strategy_are_bars_of_its_run(
    objective: StrategyObjective, windows: list[Window]
) -> None:
    index = run_bars(objective)
    assert index[0] >= pd.Timestamp("2008-01-01", tz="UTC")
    for w in windows:
        for stamp in (w.train_start, w.train_end, w.test_start, w.test_end, w.test_run_start):
            assert stamp in index
    assert windows[-1].test_end == index[-1]


def test_stitched_oos_returns_equal_the_separate_test_runs(
    objective: StrategyObjective, windows: list[Window]
) -> None:
    result = walk_forward(objective, SPACE, windows, method="random", n_trials=8, seed=3,
                          backend=SerialBackend())  # fmt: skip
    assert len(result.oos_returns) == sum(w.test_bars for w in windows)
    parts = []
    for w, row in zip(windows, result.windows.to_dict("records"), strict=True):
        params = {"fast": row["fast"], "slow": row["slow"]}
        alone = objective.with_period(str(w.test_run_start), str(w.test_end)).returns(params)
        assert alone.index[0] == w.test_start
        assert alone.index[-1] == w.test_end
        parts.append(alone)
        event = objective.with_period(str(w.test_run_start), str(w.test_end)).run(params)
        equity = event.equity["equity"].to_numpy()
        np.testing.assert_allclose(equity[1:] / equity[:-1] - 1, alone.to_numpy(), atol=1e-12)
        assert row["oos_return"] == pytest.approx(float(np.prod(1 + alone.to_numpy()) - 1))
    expected = pd.concat(parts)
    pd.testing.assert_series_equal(result.oos_returns, expected, check_names=False)
    growth = np.cumprod(1 + expected.to_numpy())
    np.testing.assert_allclose(result.oos_equity.to_numpy()[1:], growth)
    assert result.oos_equity.iloc[0] == 1.0
    assert result.oos_equity.index[0] == windows[0].test_run_start


def test_in_sample_side_and_the_figures_derived_from_it(
    objective: StrategyObjective, windows: list[Window]
) -> None:
    result = walk_forward(objective, SPACE, windows, method="grid", backend=SerialBackend())
    for w, study, row in zip(windows, result.studies, result.windows.to_dict("records"),
                             strict=True):  # fmt: skip
        assert study.best is not None
        assert study.best_returns is not None
        assert row["is_sharpe_ratio"] == study.best["sharpe_ratio"]
        assert row["trials"] == study.n_trials == 20  # the whole grid (5 x 4)
        assert study.objective["end"] == w.train_end.isoformat()  # trained up to train_end
        chosen = result.is_returns.loc[w.number]
        pd.testing.assert_series_equal(chosen, study.best_returns, check_names=False)
        assert chosen.index[-1] == w.train_end
        assert chosen.index[0] >= w.train_start
        if row["is_sharpe_ratio"] > 0:
            assert row["wfe"] == pytest.approx(row["oos_sharpe_ratio"] / row["is_sharpe_ratio"])
    ins, oos = result.is_metrics, result.oos_metrics
    assert ins.periods == len(result.is_returns)
    assert result.efficiency["sharpe_ratio"] == pytest.approx(
        oos.sharpe_ratio / ins.sharpe_ratio if ins.sharpe_ratio > 0 else math.nan, nan_ok=True
    )
    report = result.overfitting
    assert report is not None
    assert report.n_trials == result.total_trials == 60  # DSR charges every window's trials
    assert report.psr == pytest.approx(psr_of(result.oos_returns.to_numpy()))
    assert not any(line.startswith("note:") for line in report.verdict)
    stability = result.parameter_stability
    assert set(stability.index) == {"fast", "slow"}
    chosen_fast = result.windows["fast"]
    assert stability.loc["fast", "distinct"] == chosen_fast.nunique()
    assert stability.loc["fast", "mean_abs_step"] == pytest.approx(chosen_fast.diff().abs().mean())
    summary = result.to_dict()
    assert summary["trials"] == 60
    assert len(summary["windows_table"]) == 3


def test_efficiency_is_undefined_against_an_in_sample_loss() -> None:
    assert _ratio(0.1, 0.2) == pytest.approx(0.5)
    assert math.isnan(_ratio(0.1, -0.2))  # a ratio to a loss says nothing
    assert math.isnan(_ratio(-0.1, -0.2))  # two losses would read as a positive efficiency
    assert math.isnan(_ratio(0.1, 0.0))
    assert math.isnan(_ratio(math.nan, 0.2))


def test_seeds_reproduce_on_serial_and_process_backends(
    objective: StrategyObjective, windows: list[Window]
) -> None:
    serial = walk_forward(objective, SPACE, windows, method="random", n_trials=6, seed=11,
                          backend=SerialBackend())  # fmt: skip
    with ProcessBackend(2) as pool:
        parallel = walk_forward(objective, SPACE, windows, method="random", n_trials=6,
                                seed=11, backend=pool)  # fmt: skip
    for a, b in zip(serial.studies, parallel.studies, strict=True):
        pd.testing.assert_frame_equal(
            a.table.drop(columns="seconds"), b.table.drop(columns="seconds")
        )
    pd.testing.assert_series_equal(serial.oos_returns, parallel.oos_returns)
    drawn = [tuple(map(tuple, s.table[["fast", "slow"]].to_numpy())) for s in serial.studies]
    assert len(set(drawn)) == len(drawn)  # each window draws with its own seed
    other = walk_forward(objective, SPACE, windows, method="random", n_trials=6, seed=12,
                         backend=SerialBackend())  # fmt: skip
    assert any(
        not a.table[["fast", "slow"]].equals(b.table[["fast", "slow"]])
        for a, b in zip(serial.studies, other.studies, strict=True)
    )


def test_tpe_streams_each_window_and_resumes(
    objective: StrategyObjective, windows: list[Window], tmp_path: Path
) -> None:
    first = walk_forward(objective, SPACE, windows, method="tpe", n_trials=10, seed=5,
                         backend=SerialBackend(), out=tmp_path)  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["window_01", "window_02", "window_03"]
    lines = (tmp_path / "window_02" / "trials.csv").read_text().count("\n")
    again = walk_forward(objective, SPACE, windows, method="tpe", n_trials=10, seed=5,
                         backend=SerialBackend(), out=tmp_path)  # fmt: skip
    assert (tmp_path / "window_02" / "trials.csv").read_text().count("\n") == lines
    pd.testing.assert_frame_equal(first.windows, again.windows)


def test_a_window_without_a_feasible_set_stays_in_cash(
    objective: StrategyObjective, windows: list[Window]
) -> None:
    result = walk_forward(objective, SPACE, windows[:1], method="grid", backend=SerialBackend(),
                          constraints=["number_of_trades >= 100000"])  # fmt: skip
    assert (result.oos_returns == 0.0).all()
    assert len(result.oos_returns) == windows[0].test_bars
    assert result.windows["fast"].isna().all()
    assert math.isnan(result.windows["oos_sharpe_ratio"].iloc[0])


def test_buy_and_hold_is_the_rebased_close(objective: StrategyObjective) -> None:
    index = run_bars(objective)[100:110]
    growth = buy_and_hold(objective, index)
    close = objective.prepared().series[0].frame["close"].to_numpy()
    every = run_bars(StrategyObjective("sma_cross", data="spx_daily"))
    first = int(every.get_loc(index[0]))  # type: ignore[arg-type]
    np.testing.assert_allclose(growth.to_numpy(), close[first : first + 10] / close[first])


def test_bad_walk_forward_input_is_refused(
    objective: StrategyObjective, windows: list[Window]
) -> None:
    with pytest.raises(InvalidValueError, match="method must be"):
        walk_forward(objective, SPACE, windows, method="anneal")
    with pytest.raises(InvalidValueError, match="no windows"):
        walk_forward(objective, SPACE, [])
    with pytest.raises(InvalidValueError, match="overlap"):
        walk_forward(objective, SPACE, [windows[0], windows[0]])
    short = walk_forward_windows(run_bars(objective), train=40, test=10, n_windows=2)
    with pytest.raises(InvalidValueError, match="needs at least 17"):
        walk_forward(objective, SPACE, short)
