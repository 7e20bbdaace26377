"""Overfitting statistics: the papers' published examples, an independent CSCV reference, the
memory-bounded route, and the properties the papers state.

Published values come from the papers' worked examples (Bailey & López de Prado 2012, "The
Sharpe Ratio Efficient Frontier", sections 3-4; Bailey & López de Prado 2014, "The Deflated
Sharpe Ratio", numerical example); they agree with independent reproductions (the test suite of
esvhd/pypbo prints the DSR example as 0.90039683444939034, the PSR one as 0.91323430688486018).
PBO has no closed-form example: its properties (Bailey, Borwein, López de Prado & Zhu 2015) are
checked on seeded synthetic returns where the answer is known, and said so at each test.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import re
from contextlib import redirect_stdout
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from alphaforge.data.bundled import load_dataset
from alphaforge.domain.errors import InvalidValueError
from alphaforge.research import overfitting as ovf
from alphaforge.research import run_vector, sma_cross_weights
from alphaforge.research.overfitting import (
    BlockMoments,
    BlockMomentsAccumulator,
    block_moments,
    deflated_sharpe_ratio,
    dsr_of,
    expected_max_sharpe,
    min_track_record_length,
    overfitting_report,
    pbo,
    pbo_from_moments,
    probabilistic_sharpe_ratio,
    psr_of,
    sharpe_ratio,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "overfitting.md"


@cache
def spx_trials() -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Real data: daily returns (5,030 x 100) of SMA-cross 5..50 x 60..240 on the S&P 500."""
    spx = load_dataset("spx_daily")
    columns, params = [], []
    for fast in range(5, 55, 5):
        for slow in range(60, 260, 20):
            weights = sma_cross_weights(spx["close"], fast=fast, slow=slow)
            equity = run_vector(spx["close"], spx["open"], weights=weights).equity
            columns.append(equity[1:] / equity[:-1] - 1)
            params.append((fast, slow))
    return np.column_stack(columns), params


def spx_returns() -> np.ndarray:
    close = load_dataset("spx_daily")["close"].to_numpy()
    return close[1:] / close[:-1] - 1


# ------------------------------------------------------------------ published examples


def test_dsr_numerical_example_of_the_paper() -> None:
    # DSR paper: annualized SR 2.5 over 5 years of daily data (T = 1250, 250 a year), N = 100
    # trials with V[SR] = 1/2 annualized, skew -3, kurtosis 10: SR0 = 0.1132 per day, DSR 0.9004.
    sr, var = 2.5 / math.sqrt(250), 0.5 / 250
    assert expected_max_sharpe(100, var) == pytest.approx(0.1132, abs=5e-5)
    dsr = deflated_sharpe_ratio(sr, 100, var, 1250, skew=-3, kurtosis=10)
    assert dsr == pytest.approx(0.9004, abs=5e-5)
    assert dsr == pytest.approx(0.90039683444939034, abs=1e-12)  # pypbo's full-precision value
    # the paper's follow-up: 46 trials would have passed at 95 % (0.9505)
    assert deflated_sharpe_ratio(sr, 46, var, 1250, -3, 10) == pytest.approx(0.9505, abs=5e-5)
    assert deflated_sharpe_ratio(sr, 47, var, 1250, -3, 10) < 0.95


def test_expected_max_of_standard_normals() -> None:
    # False Strategy Theorem with unit variance, N = 100 (pypbo: 2.5306028932016846)
    assert expected_max_sharpe(100, 1.0) == pytest.approx(2.5306028932016846, abs=1e-12)
    assert expected_max_sharpe(1, 4.0, mean_sharpe=0.3) == 0.3  # one trial: nothing selected
    # it grows with N, and the mean shifts it
    values = [expected_max_sharpe(n, 1.0) for n in (2, 10, 100, 1000, 10_000)]
    assert values == sorted(values)
    assert expected_max_sharpe(100, 1.0, 0.5) == pytest.approx(0.5 + values[2])


def test_expected_max_matches_a_monte_carlo() -> None:
    # synthetic, seeded: the approximation is about 1 % above the simulated mean maximum of
    # 100 standard normals (2.5076 exactly)
    draws = np.random.default_rng(7).standard_normal((20_000, 100)).max(axis=1).mean()
    assert draws == pytest.approx(2.5076, abs=0.01)
    assert 0 < expected_max_sharpe(100, 1.0) / draws - 1 < 0.015


def test_psr_hedge_fund_example_of_the_paper() -> None:
    # Sharpe Ratio Efficient Frontier, section 3: monthly SR 0.458 over two years (n = 24):
    # 0.982 if returns were normal, 0.913 with the track record's skew -2.448 and kurtosis
    # 10.164, 0.953 after a third year with the same statistics.
    assert probabilistic_sharpe_ratio(0.458, 24) == pytest.approx(0.982, abs=5e-4)
    assert probabilistic_sharpe_ratio(0.458, 24, -2.448, 10.164) == pytest.approx(0.913, abs=5e-4)
    assert probabilistic_sharpe_ratio(0.458, 36, -2.448, 10.164) == pytest.approx(0.953, abs=1e-3)
    # pypbo's reproduction with the annualized 1.585 / sqrt(12): 0.91323430688486018
    psr = probabilistic_sharpe_ratio(1.585 / math.sqrt(12), 24, -2.448, 10.164)
    assert psr == pytest.approx(0.91323430688486018, abs=1e-12)


@pytest.mark.parametrize(
    ("per_year", "skew", "kurtosis", "years"),
    [
        (252, 0.0, 3.0, 2.73),  # daily, normal
        (52, 0.0, 3.0, 2.83),  # weekly, normal
        (12, 0.0, 3.0, 3.24),  # monthly, normal
        (12, -0.72, 5.78, 4.99),  # monthly, the HFR index's moments
    ],
)
def test_min_track_record_length_examples_of_the_paper(
    per_year: int, skew: float, kurtosis: float, years: float
) -> None:
    # Sharpe Ratio Efficient Frontier, MinTRL examples: the years an annualized SR of 2 needs to
    # show, with 95 % confidence, a true SR above 1.
    root = math.sqrt(per_year)
    trl = min_track_record_length(2 / root, skew, kurtosis, sr_benchmark=1 / root, prob=0.95)
    assert trl / per_year == pytest.approx(years, abs=5e-3)


def test_psr_is_the_normal_cdf_of_the_papers_statistic() -> None:
    for sr, n, skew, kurt, bench in [(0.1, 250, -0.5, 6.0, 0.02), (-0.05, 60, 1.0, 4.0, 0.0)]:
        z = (sr - bench) * math.sqrt(n - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
        assert probabilistic_sharpe_ratio(sr, n, skew, kurt, bench) == pytest.approx(
            stats.norm.cdf(z), abs=1e-15
        )


def test_psr_of_real_returns_uses_their_own_moments() -> None:
    # real data: S&P 500 daily returns, moments checked against scipy
    r = spx_returns()
    sr = r.mean() / r.std(ddof=1)
    skew, kurt = stats.skew(r), stats.kurtosis(r, fisher=False)
    assert sharpe_ratio(r) == pytest.approx(sr, rel=1e-12)
    assert sharpe_ratio(pd.Series(r)) == sharpe_ratio(r)
    expected = stats.norm.cdf(
        sr * math.sqrt(len(r) - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    )
    assert psr_of(r) == pytest.approx(expected, rel=1e-12)
    assert psr_of(r, sr_benchmark=0.05) < psr_of(r) < 1


# ------------------------------------------------------------------ properties


@given(
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    st.floats(-3.0, 0.0),
    st.floats(0.0, 30.0),
    st.floats(0.0, 0.5),
    st.integers(2, 100_000),
)
def test_psr_rises_with_the_sharpe_ratio(
    a: float, b: float, skew: float, extra: float, bench: float, n: int
) -> None:
    # holds wherever 1 - skew (SR + SR*) / 2 + (kurt - 1) SR SR* / 4 > 0 (here: skew <= 0 and
    # SR, SR* >= 0); for positive skew and huge per-period Sharpe ratios it need not
    kurt = 1 + skew * skew + extra
    low, high = sorted((a, b))
    psr_low = probabilistic_sharpe_ratio(low, n, skew, kurt, bench)
    assert psr_low <= probabilistic_sharpe_ratio(high, n, skew, kurt, bench) + 1e-12


@given(
    st.floats(-0.5, 0.5),
    st.floats(1.0, 10_000.0),
    st.floats(0.0, 0.01),
    st.integers(2, 10_000),
    st.floats(-2.0, 2.0),
    st.floats(0.0, 20.0),
)
def test_dsr_never_exceeds_psr_against_zero(
    sr: float, trials: float, var: float, n: int, skew: float, extra: float
) -> None:
    kurt = 1 + skew * skew + extra
    dsr = deflated_sharpe_ratio(sr, trials, var, n, skew, kurt)
    assert 0.0 <= dsr <= probabilistic_sharpe_ratio(sr, n, skew, kurt) + 1e-15


@given(
    st.floats(0.01, 0.5),
    st.floats(-0.2, 0.2),
    st.floats(-2.0, 0.5),
    st.floats(0.0, 20.0),
    st.floats(0.6, 0.999),
)
def test_min_track_record_length_is_where_psr_reaches_prob(
    sr: float, gap: float, skew: float, extra: float, prob: float
) -> None:
    kurt = 1 + skew * skew + extra
    bench = sr - abs(gap) - 0.005
    trl = min_track_record_length(sr, skew, kurt, bench, prob)
    assert probabilistic_sharpe_ratio(sr, trl, skew, kurt, bench) == pytest.approx(prob, abs=1e-9)
    assert min_track_record_length(bench, skew, kurt, sr, prob) == math.inf


@given(
    st.integers(8, 60),
    st.integers(2, 7),
    st.sampled_from([2, 4, 6, 8]),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["sharpe", "mean"]),
)
def test_pbo_is_a_probability_and_both_routes_agree(
    periods: int, trials: int, splits: int, seed: int, metric: str
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((periods, trials)) * rng.uniform(0.001, 0.05, trials)
    x[rng.random(x.shape) < 0.1] = np.nan  # trials without a return on some periods
    x[:, 0] = x[:, -1]  # a duplicate trial: ties
    splits = min(splits, periods - periods % 2)
    direct = pbo(x, splits, metric)  # type: ignore[arg-type]
    acc = BlockMomentsAccumulator(splits)
    for j in range(trials):
        acc.add(x[:, j])
    streamed = pbo_from_moments(acc.moments(), metric)  # type: ignore[arg-type]
    assert 0.0 <= direct.pbo <= 1.0
    assert 0.0 <= direct.prob_oos_loss <= 1.0
    assert direct.n_combinations == math.comb(splits, splits // 2) == direct.logits.shape[0]
    assert np.isfinite(direct.logits).all()
    assert direct.pbo == streamed.pbo
    np.testing.assert_array_equal(direct.logits, streamed.logits)
    np.testing.assert_array_equal(direct.selected, streamed.selected)
    np.testing.assert_array_equal(direct.oos_performance, streamed.oos_performance)


# ------------------------------------------------------------------ CSCV against a reference


def reference_cscv(x: np.ndarray, splits: int, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """The paper's procedure, spelled out: slice the rows, compute each trial's metric on the
    joined in-sample and out-of-sample rows (NaN skipped), rank with scipy (average ties)."""
    t, n = x.shape
    edges = (np.arange(splits + 1) * t) // splits
    blocks = [np.arange(edges[b], edges[b + 1]) for b in range(splits)]

    def perf(rows: np.ndarray) -> np.ndarray:
        part = x[rows]
        count = np.sum(~np.isnan(part), axis=0)
        with np.errstate(all="ignore"):
            mean = np.nansum(part, axis=0) / count
            if metric == "mean":
                return np.where(count >= 1, mean, -np.inf)
            sd = np.sqrt(np.nansum((part - mean) ** 2, axis=0) / (count - 1))
            return np.where((count >= 2) & (sd > 1e-9), mean / sd, -np.inf)

    logits, selected = [], []
    for chosen in itertools.combinations(range(splits), splits // 2):
        inside = np.concatenate([blocks[b] for b in chosen])
        outside = np.concatenate([blocks[b] for b in range(splits) if b not in chosen])
        best = int(np.argmax(perf(inside)))
        omega = stats.rankdata(perf(outside))[best] / (n + 1)
        logits.append(math.log(omega / (1 - omega)))
        selected.append(best)
    return np.array(logits), np.array(selected)


@pytest.mark.parametrize("metric", ["sharpe", "mean"])
def test_cscv_matches_the_spelled_out_procedure(metric: str) -> None:
    # synthetic, seeded; T = 1003 is not a multiple of 12 (blocks of 83 and 84 rows); two
    # trials are duplicates (ties) and one has no returns in its first 300 periods
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1003, 12)) * 0.01 + rng.normal(0, 0.0005, 12)
    x[:, 5] = x[:, 2]
    x[:300, 7] = np.nan
    logits, selected = reference_cscv(x, 12, metric)
    result = pbo(x, 12, metric)  # type: ignore[arg-type]
    np.testing.assert_array_equal(result.selected, selected)
    np.testing.assert_allclose(result.logits, logits, rtol=0, atol=1e-12)
    assert result.pbo == np.mean(logits <= 0)


def test_cscv_on_real_trials_matches_the_reference() -> None:
    # real data: 20 of the S&P 500 SMA-cross trials, 8 blocks
    x = spx_trials()[0][:, ::5]
    logits, selected = reference_cscv(x, 8, "sharpe")
    result = pbo(x, 8)
    np.testing.assert_array_equal(result.selected, selected)
    np.testing.assert_allclose(result.logits, logits, rtol=0, atol=1e-12)


def test_selected_performance_is_the_trials_sharpe_on_each_half() -> None:
    x = np.random.default_rng(11).standard_normal((400, 6))  # synthetic, seeded
    result = pbo(x, 4)
    for k, chosen in enumerate(itertools.combinations(range(4), 2)):
        rows = np.concatenate([np.arange(100 * b, 100 * b + 100) for b in chosen])
        rest = np.setdiff1d(np.arange(400), rows)
        trial = x[:, result.selected[k]]
        assert result.is_performance[k] == pytest.approx(sharpe_ratio(trial[rows]), rel=1e-12)
        assert result.oos_performance[k] == pytest.approx(sharpe_ratio(trial[rest]), rel=1e-12)


# ------------------------------------------------------------------ PBO's stated properties


def test_pure_noise_gives_pbo_near_one_half_and_logits_centred_on_zero() -> None:
    # synthetic, seeded: trials without skill; the in-sample best's out-of-sample rank is
    # uniform, so PBO averages 1/2 and the logits centre on 0 (one dataset alone varies a lot)
    results = [pbo(np.random.default_rng(s).standard_normal((480, 20)), 8) for s in range(40)]
    assert np.mean([r.pbo for r in results]) == pytest.approx(0.5, abs=0.1)
    assert np.mean([np.mean(r.logits) for r in results]) == pytest.approx(0.0, abs=0.4)


def test_a_real_edge_gives_pbo_near_zero() -> None:
    # synthetic, seeded: 49 noise trials and one with a per-period Sharpe ratio of 0.2
    x = np.random.default_rng(21).standard_normal((1000, 50))
    x[:, 17] += 0.2
    result = pbo(x)
    assert result.pbo < 0.05
    assert np.mean(result.selected == 17) > 0.95
    assert result.prob_oos_loss < 0.05
    assert np.median(result.logits) > 2.0


def test_demeaned_trials_are_perfectly_overfit() -> None:
    # synthetic: every trial's full-sample mean is exactly 0, so in-sample winners are
    # out-of-sample losers: PBO 1, every logit ln(1/N), degradation slope -1
    x = np.random.default_rng(5).standard_normal((480, 20))
    x -= x.mean(axis=0)
    result = pbo(x, 8, metric="mean")
    assert result.pbo == 1.0
    assert result.prob_oos_loss == 1.0
    np.testing.assert_allclose(result.logits, math.log(1 / 20))
    assert result.degradation.slope == pytest.approx(-1.0)
    assert result.degradation.intercept == pytest.approx(0.0, abs=1e-12)
    assert pbo(x, 8).pbo == 1.0


def test_undefined_trials_rank_last() -> None:
    # a trial that never traded (all zero returns) has no Sharpe ratio: it is never selected
    x = np.random.default_rng(2).standard_normal((160, 4))
    x[:, 0] = 0.0
    result = pbo(x, 4)
    assert not (result.selected == 0).any()
    assert np.isfinite(result.is_performance).all()


# ------------------------------------------------------------------ block moments


def test_block_moments_are_counts_sums_and_squares_per_block() -> None:
    x = np.arange(10.0).reshape(5, 2)  # 5 periods, 2 trials, 2 blocks: rows 0-1 and 2-4
    x[3, 1] = np.nan
    m = block_moments(x, 2)
    np.testing.assert_array_equal(m.counts, [[2, 3], [2, 2]])
    np.testing.assert_array_equal(m.sums, [[2, 18], [4, 14]])
    np.testing.assert_array_equal(m.squares, [[4, 116], [10, 106]])
    assert (m.n_trials, m.n_splits, m.n_periods) == (2, 2, 5)
    with pytest.raises(ValueError, match="read-only"):
        m.sums[0, 0] = 1.0


def test_every_layout_and_dtype_gives_the_same_moments() -> None:
    # real data: the S&P 500 trials as float32 (C and Fortran order, DataFrame), trial by
    # trial, and in stacked groups
    x = spx_trials()[0].astype(np.float32)
    base = block_moments(x.astype(np.float64), 16)
    routes = [
        block_moments(x, 16),
        block_moments(np.asfortranarray(x), 16),
        block_moments(pd.DataFrame(x), 16),
        BlockMoments.stack([block_moments(x[:, :30], 16), block_moments(x[:, 30:], 16)]),
    ]
    acc = BlockMomentsAccumulator(16)
    for j in range(x.shape[1]):
        acc.add(pd.Series(x[:, j]))
    routes.append(acc.moments())
    assert acc.n_trials == 100
    for m in routes:
        for name in ("counts", "sums", "squares"):
            np.testing.assert_array_equal(getattr(m, name), getattr(base, name))
    assert pbo(x).pbo == pbo_from_moments(acc.moments()).pbo


def test_the_compiled_kernels_match_their_python_source() -> None:
    # synthetic, seeded: each Numba kernel's plain-Python body gives the same bits
    rng = np.random.default_rng(9)
    x = rng.standard_normal((50, 3))
    edges = np.array([0, 12, 25, 37, 50])
    out = [np.zeros((4, 3)) for _ in range(6)]
    ovf._sums_by_row(x, edges, *out[:3])
    ovf._sums_by_row.py_func(x, edges, *out[3:])
    for a, b in zip(out[:3], out[3:], strict=True):
        np.testing.assert_array_equal(a, b)
    m = block_moments(x, 4)
    plan = ovf._Plan.of(4)
    data = np.ascontiguousarray(np.stack([m.counts, m.sums, m.squares], 1))
    n = plan.combo_a.shape[0]
    compiled = [np.zeros(n, dtype=np.int64), np.zeros(n), np.zeros(n), np.zeros(n)]
    python = [np.zeros(n, dtype=np.int64), np.zeros(n), np.zeros(n), np.zeros(n)]
    for kernels, (best, best_is, best_oos, rank) in [
        ((ovf._best_in_sample, ovf._oos_rank), compiled),
        ((ovf._best_in_sample.py_func, ovf._oos_rank.py_func), python),
    ]:
        kernels[0](data, *plan[:4], 0, best, best_is)
        kernels[1](data, *plan[:6], 0, best, best_oos, rank)
    for a, b in zip(compiled, python, strict=True):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ the report


def test_report_on_a_real_search() -> None:
    # real data: pick the best of 100 SMA crosses on the S&P 500 by its full-sample Sharpe
    x, params = spx_trials()
    sharpes = [sharpe_ratio(x[:, j]) for j in range(x.shape[1])]
    best = int(np.argmax(sharpes))
    report = overfitting_report(x[:, best], sharpes, block_moments(x, 16), periods_per_year=252)
    assert params[best] == (30, 220)
    assert report.n_trials == 100
    assert report.n_periods == x.shape[0]
    assert report.sharpe == max(sharpes)
    assert report.psr == psr_of(x[:, best])
    assert report.dsr == dsr_of(x[:, best], sharpes) < report.psr
    assert report.var_sharpe == pytest.approx(np.var(sharpes, ddof=1))
    assert report.min_trl_years == pytest.approx(report.min_trl_periods / 252)
    assert report.pbo is not None
    assert report.pbo.pbo == pbo(x).pbo
    assert report.verdict[1].startswith(f"DSR {report.dsr:.2f} < 0.95")
    assert "100 trials" in report.verdict[1]
    assert report.verdict[3].startswith("PBO 0.33 < 0.5: the in-sample best ranked")
    assert json.loads(json.dumps(report.to_dict(), allow_nan=False))["n_trials"] == 100


def test_report_says_why_a_figure_is_undefined() -> None:
    r = spx_returns()[:500]
    one = overfitting_report(r, [sharpe_ratio(r)])
    assert math.isnan(one.dsr)
    assert math.isnan(one.var_sharpe)
    assert not math.isnan(one.psr)
    assert one.verdict[1].startswith("DSR undefined: 1 trial(s)")
    flat = overfitting_report(np.zeros(300), [np.nan, 0.01, 0.02])
    assert all(math.isnan(v) for v in (flat.sharpe, flat.psr, flat.dsr, flat.min_trl_periods))
    assert flat.n_trials == 3
    assert flat.verdict[0].startswith("PSR undefined: the returns have no variance")
    assert flat.verdict[2] == "MinTRL undefined: the Sharpe ratio is undefined"
    assert flat.to_dict()["psr"] is None
    assert flat.to_dict()["pbo"] is None
    same = overfitting_report(r, [0.02, 0.02, 0.02])
    assert same.var_sharpe == 0.0
    assert same.dsr == same.psr
    assert any("the trials were one" in line for line in same.verdict)
    losing = overfitting_report(-np.abs(r), [-0.5, 0.1])
    assert losing.min_trl_periods == math.inf
    assert losing.verdict[2].startswith("MinTRL infinite")
    assert any(line.startswith("note: the selected Sharpe") for line in overfitting_report(
        r, [sharpe_ratio(r) * 0.5, 0.0]
    ).verdict)  # fmt: skip
    assert math.isnan(dsr_of(r, [0.1, np.nan]))
    other = block_moments(np.random.default_rng(0).standard_normal((500, 3)), 4)  # synthetic
    assert (
        "PBO ranks 3 trials, DSR counts 2" in overfitting_report(r, [0.0, 0.1], other).verdict[-1]
    )


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: probabilistic_sharpe_ratio(0.1, 1), "n .* at least 2"),
        (lambda: probabilistic_sharpe_ratio(0.1, 100, 0.0, 0.0), "non-excess"),
        (lambda: probabilistic_sharpe_ratio(math.inf, 100), "sr must be finite"),
        (lambda: probabilistic_sharpe_ratio(0.1, 100, sr_benchmark=math.nan), "sr_benchmark"),
        (lambda: min_track_record_length(0.1, prob=1.0), "prob must be between 0 and 1"),
        (lambda: min_track_record_length(0.1, prob=0.0), "prob must be between 0 and 1"),
        (lambda: expected_max_sharpe(0.5, 1.0), "n_trials must be at least 1"),
        (lambda: expected_max_sharpe(10, -1.0), "var_sharpe must be >= 0"),
        (lambda: sharpe_ratio([0.1]), "2 or more"),
        (lambda: sharpe_ratio([0.1, np.nan, 0.2]), "1 NaN or infinite values .* position 1"),
        (lambda: sharpe_ratio(["a", "b"]), "must be numbers"),
        (lambda: dsr_of([0.1, 0.2, 0.0], [0.1, np.inf]), "trial_sharpes hold infinite"),
        (lambda: block_moments(np.zeros((10, 2)), 3), "n_splits must be even"),
        (lambda: block_moments(np.zeros((10, 2)), 26), "n_splits must be even, from 2 to 24"),
        (lambda: block_moments(np.zeros((10, 2)), 12), r"must not exceed .* periods \(10\)"),
        (lambda: block_moments(np.zeros((10, 2)), 4.0), "n_splits must be an integer"),
        (lambda: block_moments(np.full((10, 2), np.inf), 2), "20 infinite values"),
        (lambda: block_moments(np.zeros((2, 2, 2)), 2), "one series or"),
        (lambda: pbo(np.zeros((10, 1)), 2), "at least 2 trials"),
        (lambda: pbo(np.zeros((10, 2)), 2, "sortino"), "metric must be one of"),
        (lambda: pbo_from_moments(np.zeros((2, 2))), "moments must be BlockMoments"),  # type: ignore[arg-type]
        (lambda: BlockMoments.stack([]), "at least one part"),
        (
            lambda: BlockMoments.stack(
                [block_moments(np.zeros(8), 2), block_moments(np.zeros(9), 2)]
            ),
            "cannot stack moments of 9 periods",
        ),
        (
            lambda: overfitting_report([0.1, 0.2], [0.1], periods_per_year=0),
            "periods_per_year must be > 0",
        ),
    ],
)
def test_bad_input_is_named(call: object, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        call()  # type: ignore[operator]


def test_accumulator_refuses_trials_of_another_length() -> None:
    acc = BlockMomentsAccumulator(4)
    acc.add(np.zeros(40))
    with pytest.raises(InvalidValueError, match=r"same periods: got 41 returns, earlier .* 40"):
        acc.add(np.zeros(41))


# ------------------------------------------------------------------ the documentation


def test_every_figure_in_the_docs_is_the_output_of_its_code() -> None:
    """docs/overfitting.md: each ```python block followed by a ```text block must print that
    text exactly (blocks run in order, in one namespace). The timing block is not run: its
    figures are one machine's measurements."""
    text = DOC.read_text(encoding="utf-8")
    pairs = re.findall(r"```python\n(.*?)```\n+```text\n(.*?)```", text, re.DOTALL)
    assert len(pairs) >= 3, "docs/overfitting.md lost its examples"
    namespace: dict[str, object] = {}
    ran = 0
    for code, printed in pairs:
        if "timeit" in code:
            continue
        out = io.StringIO()
        with redirect_stdout(out):
            exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 (our own doc)
        assert out.getvalue() == printed, code
        ran += 1
    assert ran == len(pairs) - 1
