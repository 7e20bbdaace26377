"""Monte Carlo of returns and trades: known answers, the kernel against a NumPy reference,
seeds, backends, and a run on the real S&P 500 strategy returns."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest

from alphaforge.analytics.returns import sharpe_ratio
from alphaforge.domain.errors import InvalidValueError
from alphaforge.research import montecarlo as mc
from alphaforge.research.backends import ProcessBackend, SerialBackend
from alphaforge.research.montecarlo import (
    PATHS_PER_TASK,
    STATISTICS,
    bootstrap_returns,
    curve_stats,
    reshuffle_trades,
)
from alphaforge.runtime import BacktestResult, backtest


@pytest.fixture(scope="module")
def spx_run() -> BacktestResult:
    """SMA 20/100 on the bundled S&P 500 (5,031 real daily bars)."""
    return backtest("sma_cross", "spx_daily", params={"fast": 20, "slow": 100})


@pytest.fixture(scope="module")
def spx_returns(spx_run: BacktestResult) -> pd.Series:
    return spx_run.equity["equity"].pct_change().iloc[1:]


# ---------------------------------------------------------------------- known answers


def test_iid_bootstrap_of_constant_returns_gives_the_constant() -> None:
    """Synthetic on purpose: a constant series has one answer whatever the draw."""
    r = np.full(250, 0.001)
    res = bootstrap_returns(r, 300, method="iid", seed=1, start_equity=100.0)
    assert np.allclose(res.paths["final_return"], 1.001**250 - 1, rtol=1e-12)
    assert (res.paths["max_drawdown"] == 0).all()
    assert (res.paths["min_equity"] == 100.0).all()
    assert np.isinf(res.paths["sharpe"]).all()  # zero deviation, positive mean
    assert np.allclose(res.bands["q05"], res.bands["q95"])
    assert res.bands.iloc[-1]["q50"] == pytest.approx(100 * 1.001**250)
    assert math.isnan(res.summary().loc["final_return", "original_pct"])  # all draws equal


def test_one_block_as_long_as_the_series_gives_rotations() -> None:
    """Synthetic: with block = n every path is the series rotated, whose product is the same."""
    rng = np.random.default_rng(3)
    r = rng.normal(0.0005, 0.01, 200)
    res = bootstrap_returns(r, 100, method="block", block=200, seed=2)
    assert np.allclose(res.paths["final_return"], res.original["final_return"], rtol=1e-10)
    assert res.paths["max_drawdown"].std() > 0  # a rotation moves the drawdown


def test_block_bootstrap_keeps_blocks() -> None:
    n, size = 103, 10
    draws, _, mode = mc._draw("block", n, 20, float(size), np.random.default_rng(0))
    idx = _reference_indices(draws, np.empty((0, 0), dtype=bool), mode, size, n)
    for row in idx:
        for b in range(0, n, size):
            block = row[b : b + size]
            assert np.array_equal(block, (block[0] + np.arange(block.size)) % n)


def test_stationary_blocks_have_the_mean_length_asked_for() -> None:
    _, fresh, _ = mc._draw("stationary", 5000, 40, 8.0, np.random.default_rng(0))
    assert fresh[:, 1:].mean() == pytest.approx(1 / 8, rel=0.03)


def test_reshuffled_trades_keep_the_final_pnl(spx_run: BacktestResult) -> None:
    trades = spx_run.trades[spx_run.trades["exit_reason"] != "open at end"]
    res = reshuffle_trades(trades, 2000, start_equity=100_000, seed=4)
    total = trades["pnl"].sum() / 100_000
    assert np.allclose(res.paths["final_return"], total, rtol=1e-10)
    assert res.paths["max_drawdown"].nunique() > 100  # order moves the path, not the end
    again = reshuffle_trades(trades, 2000, start_equity=100_000, seed=4, replace=True)
    assert again.paths["final_return"].std() > 0.05  # with replacement the mix changes
    assert again.method == "resample_trades"


def test_reshuffled_trade_returns_compound_to_the_same_end() -> None:
    r = pd.Series([0.1, -0.05, 0.2, -0.1, 0.03])
    res = reshuffle_trades(r, 500, kind="return", seed=0)
    assert np.allclose(res.paths["final_return"], np.prod(1 + r) - 1, rtol=1e-12)


# ---------------------------------------------------------------------- the kernel


def _reference_indices(
    draws: np.ndarray, fresh: np.ndarray, mode: int, size: int, n: int
) -> np.ndarray:
    """What ``_advance`` should read, built the slow way."""
    if mode == mc.EACH:
        return draws
    rows = []
    for p in range(draws.shape[0]):
        if mode == mc.BLOCK:
            parts = [(s + np.arange(size)) % n for s in draws[p]]
            rows.append(np.concatenate(parts)[:n])
            continue
        row = [int(draws[p, 0])]
        for t in range(1, n):
            row.append(int(draws[p, t]) if fresh[p, t] else (row[-1] + 1) % n)
        rows.append(np.array(row))
    return np.array(rows)


def _reference_stats(values: np.ndarray, idx: np.ndarray, start: float) -> np.ndarray:
    r = values[idx]
    eq = start * np.cumprod(1 + r, axis=1)
    full = np.hstack([np.full((len(eq), 1), start), eq])
    dd = (full / np.maximum.accumulate(full, axis=1) - 1).min(axis=1)
    sharpe = np.array([sharpe_ratio(row, periods_per_year=1) for row in r])
    return np.column_stack([eq[:, -1] / start - 1, dd, sharpe, full.min(axis=1)])


@pytest.mark.parametrize(("draw", "block"), [("iid", 1.0), ("block", 7.0), ("stationary", 5.0)])
def test_kernel_matches_a_numpy_reference(draw: str, block: float) -> None:
    """Synthetic returns: every statistic of every path against a NumPy recomputation."""
    values = np.random.default_rng(9).normal(0.0004, 0.012, 300)
    job = mc._PathTask(values, draw, block, False, 50.0, 1.0, 40, 40)
    out, kept = job.run(40, np.random.default_rng(5), 40)
    draws, fresh, mode = mc._draw(draw, 300, 40, block, np.random.default_rng(5))
    idx = _reference_indices(draws, fresh, mode, int(block), 300)
    np.testing.assert_allclose(out, _reference_stats(values, idx, 50.0), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(kept[:, 1:], 50.0 * np.cumprod(1 + values[idx], axis=1))


def test_original_statistics_match_the_backtest_metrics(spx_run: BacktestResult) -> None:
    stats = curve_stats(spx_run.equity["equity"], 252)
    m = spx_run.metrics
    assert stats["final_return"] == pytest.approx(m.total_return, rel=1e-12)
    assert stats["max_drawdown"] == pytest.approx(m.max_drawdown, rel=1e-12)
    assert stats["sharpe"] == pytest.approx(m.sharpe_ratio, rel=1e-9)


# ---------------------------------------------------------------------- real data


def test_block_bootstrap_of_spx_strategy_returns(spx_returns: pd.Series) -> None:
    res = bootstrap_returns(spx_returns, 2000, method="block", seed=7, start_equity=100_000,
                            ruin=0.5, keep_paths=300)  # fmt: skip
    assert res.block is not None
    assert 2 <= res.block <= 50  # Politis-White on daily strategy returns
    assert list(res.paths.columns) == [*STATISTICS, "ruined"]
    assert len(res.paths) == 2000
    assert res.bands.shape == (len(spx_returns) + 1, 5)
    assert (res.bands["q05"] <= res.bands["q50"]).all()
    assert (res.bands["q50"] <= res.bands["q95"]).all()
    summary = res.summary(0.9)
    assert (summary["ci_low"] <= summary["median"]).all()
    assert (summary["median"] <= summary["ci_high"]).all()
    assert 5 < summary.loc["sharpe", "original_pct"] < 95  # a resample centres on the original
    assert res.paths["ruined"].mean() == res.prob_ruin(0.5)
    document = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert document["n_paths"] == 2000
    assert document["summary"]["sharpe"]["median"] == pytest.approx(summary.loc["sharpe", "median"])


def test_iid_and_block_bootstraps_part_where_returns_are_autocorrelated(
    spx_returns: pd.Series,
) -> None:
    """What the docs warn about, on the real series: its daily returns revert a little (lag-1
    autocorrelation below 0), which blocks keep and iid draws throw away, so iid paths wander
    further: deeper drawdowns and a wider spread of final returns than in blocks."""
    assert spx_returns.autocorr(1) < -0.03
    iid = bootstrap_returns(spx_returns, 2000, method="iid", seed=1)
    blocks = bootstrap_returns(spx_returns, 2000, method="block", block=60, seed=1)
    assert iid.paths["max_drawdown"].median() < blocks.paths["max_drawdown"].median() - 0.01
    width = {
        name: float(np.subtract(*res.paths["final_return"].quantile([0.95, 0.05])))
        for name, res in (("iid", iid), ("block", blocks))
    }
    assert width["iid"] > width["block"]


def test_ruin_probability_never_rises_with_the_threshold(spx_returns: pd.Series) -> None:
    res = bootstrap_returns(spx_returns, 1000, method="stationary", seed=3)
    probs = [res.prob_ruin(t) for t in np.linspace(0.05, 1.0, 20)]
    assert all(a >= b for a, b in itertools.pairwise(probs))
    assert probs[0] > 0.5  # most paths dip 5 % below the start at some point
    assert probs[-1] == 0.0  # none loses everything
    assert not res.paths["ruined"].any()  # ruin=None: only a total loss counts


# ---------------------------------------------------------------------- seeds and backends


def test_same_seed_same_paths_other_seed_other_paths(spx_returns: pd.Series) -> None:
    a = bootstrap_returns(spx_returns, 300, method="block", block=10, seed=11)
    b = bootstrap_returns(spx_returns, 300, method="block", block=10, seed=11)
    c = bootstrap_returns(spx_returns, 300, method="block", block=10, seed=12)
    pd.testing.assert_frame_equal(a.paths, b.paths, check_exact=True)
    pd.testing.assert_frame_equal(a.bands, b.bands, check_exact=True)
    assert not a.paths.equals(c.paths)


def test_serial_and_process_backends_give_identical_paths(spx_returns: pd.Series) -> None:
    n = 2 * PATHS_PER_TASK + 17  # three tasks, the last one short
    here = bootstrap_returns(spx_returns, n, method="stationary", block=6, seed=5, keep_paths=300)
    serial = bootstrap_returns(spx_returns, n, method="stationary", block=6, seed=5,
                               keep_paths=300, backend=SerialBackend())  # fmt: skip
    with ProcessBackend(workers=2) as pool:
        pooled = bootstrap_returns(spx_returns, n, method="stationary", block=6, seed=5,
                                   keep_paths=300, backend=pool)  # fmt: skip
    for other in (serial, pooled):
        pd.testing.assert_frame_equal(here.paths, other.paths, check_exact=True)
        pd.testing.assert_frame_equal(here.bands, other.bands, check_exact=True)


def test_fewer_kept_paths_than_asked_and_none() -> None:
    r = np.random.default_rng(0).normal(0, 0.01, 50)
    assert bootstrap_returns(r, 10, keep_paths=500).bands.shape == (51, 5)
    assert bootstrap_returns(r, 10, keep_paths=0).bands.empty


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "bootstrap"}, "method must be one of"),
        ({"method": "block", "block": 0}, "block must be a length"),
        ({"method": "block", "block": 2.5}, "whole block length"),
        ({"method": "iid", "block": 5}, "takes no block"),
        ({"ruin": 1.5}, "ruin threshold"),
        ({"n_paths": 0}, "n_paths must be"),
        ({"periods_per_year": -1}, "periods_per_year must be"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, object], message: str) -> None:
    r = np.random.default_rng(0).normal(0, 0.01, 50)
    with pytest.raises(InvalidValueError, match=message):
        bootstrap_returns(r, **kwargs)  # type: ignore[arg-type]


def test_bad_series_are_named() -> None:
    with pytest.raises(InvalidValueError, match="NaN"):
        bootstrap_returns(pd.Series([np.nan, 0.01, 0.02]))
    with pytest.raises(InvalidValueError, match="above -1"):
        bootstrap_returns([0.1, -1.0, 0.2])
    with pytest.raises(InvalidValueError, match="needs start_equity"):
        reshuffle_trades([10.0, -5.0])
    with pytest.raises(InvalidValueError, match="no 'return' column"):
        reshuffle_trades(pd.DataFrame({"pnl": [1.0, 2.0]}), kind="return")
    res = bootstrap_returns([0.01, -0.02, 0.03], 10)
    with pytest.raises(InvalidValueError, match="ruin threshold"):
        res.prob_ruin(0)
