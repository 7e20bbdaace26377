"""The statistical-arbitrage helpers against statsmodels, OLS and known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.regression.linear_model import OLS
from statsmodels.tsa.statespace.kalman_filter import KalmanFilter
from statsmodels.tsa.stattools import coint
from statsmodels.tsa.vector_ar.vecm import coint_johansen

from alphaforge.data.bundled import load_dataset
from alphaforge.domain.errors import InvalidValueError
from alphaforge.strategies.library._statarb import (
    KalmanHedge,
    aligned_closes,
    ar1_fit,
    engle_granger,
    half_life,
    johansen_trace,
    ou_fit,
    select_pairs,
)

STOCKS = load_dataset("stocks20_close")


def _ar1(n: int, phi: float, sd: float, rng: np.random.Generator) -> np.ndarray:
    shocks = rng.normal(0.0, sd, n)
    out = np.zeros(n)
    for t in range(1, n):
        out[t] = phi * out[t - 1] + shocks[t]
    return out


def _universe(seed: int = 3, n: int = 300) -> tuple[np.ndarray, list[str]]:
    """Synthetic log prices with a known answer: B = 0.5 + 1.5 A + AR(1) spread (cointegrated);
    C is a random walk and D = C + another random walk: correlated, not cointegrated."""
    rng = np.random.default_rng(seed)
    a = 4.0 + np.cumsum(rng.normal(0, 0.01, n))
    b = 0.5 + 1.5 * a + _ar1(n, 0.7, 0.005, rng)
    c = 3.0 + np.cumsum(rng.normal(0, 0.01, n))
    d = 0.5 + c + np.cumsum(rng.normal(0, 0.01, n))
    return np.column_stack([b, a, c, d]), ["B", "A", "C", "D"]


@pytest.mark.parametrize("lags", [0, 1, 2])
@pytest.mark.parametrize(("first", "second"), [("KO", "PEP"), ("XOM", "CVX"), ("AAPL", "JPM")])
def test_engle_granger_equals_statsmodels_coint(first: str, second: str, lags: int) -> None:
    window = np.log(STOCKS[[first, second]].to_numpy()[-252:])
    y, x = window[:, 0], window[:, 1]
    ours = engle_granger(y, x, lags)
    tstat, pvalue, _ = coint(y, x, trend="c", maxlag=lags, autolag=None)
    assert ours.tstat[0] == pytest.approx(tstat, rel=1e-10)
    assert ours.pvalue[0] == pytest.approx(pvalue, rel=1e-10)
    ols = OLS(y, np.column_stack([np.ones_like(x), x])).fit()
    assert (ours.alpha[0], ours.beta[0]) == pytest.approx(tuple(ols.params), rel=1e-10)


def test_engle_granger_batch_equals_one_by_one() -> None:
    logs = np.log(STOCKS.to_numpy()[-300:, :6])
    batch = engle_granger(logs[:, :3], logs[:, 3:])
    for c in range(3):
        one = engle_granger(logs[:, c], logs[:, 3 + c])
        assert batch.pvalue[c] == pytest.approx(one.pvalue[0], rel=1e-12)


def test_engle_granger_and_johansen_tell_cointegrated_from_independent() -> None:
    """Synthetic known answer: B and A are cointegrated, C and D are not."""
    logs, _ = _universe()
    b, a, c, d = logs.T
    good, bad = engle_granger(b, a), engle_granger(c, d)
    assert good.pvalue[0] < 0.01
    assert good.beta[0] == pytest.approx(1.5, abs=0.05)
    assert bad.pvalue[0] > 0.1
    stat, crit = johansen_trace(b, a)
    assert stat > crit
    assert (stat, crit) == pytest.approx(
        (coint_johansen(logs[:, :2], 0, 1).lr1[0], 15.4943), rel=1e-12
    )
    stat, crit = johansen_trace(c, d)
    assert stat < crit


def test_engle_granger_refuses_a_window_too_short() -> None:
    with pytest.raises(InvalidValueError, match="too few"):
        engle_granger(np.arange(6.0), np.arange(6.0) ** 2, lags=3)


@pytest.mark.parametrize("test", ["engle_granger", "johansen", "both"])
def test_select_pairs_finds_the_cointegrated_pair(test: str) -> None:
    """Synthetic known answer: of the 6 pairs of 4 series only (B, A) is cointegrated."""
    logs, names = _universe()
    chosen = select_pairs(logs, names, test=test, top_k=3)  # type: ignore[arg-type]
    assert [(p.first, p.second) for p in chosen] == [("B", "A")]
    pair = chosen[0]
    assert pair.passed
    assert pair.beta == pytest.approx(1.5, abs=0.05)
    assert pair.half_life == pytest.approx(-math.log(2) / math.log(0.7), rel=0.35)
    if test == "engle_granger":
        assert math.isnan(pair.trace)
    else:
        assert pair.trace > pair.trace_crit


def test_select_pairs_rejects_independent_walks_unless_told_not_to() -> None:
    """Synthetic: a correlated but not cointegrated pair fails; require_pass=False takes it."""
    logs, names = _universe()
    assert select_pairs(logs[:, 2:], names[2:]) == []
    forced = select_pairs(logs[:, 2:], names[2:], require_pass=False)
    assert [(p.first, p.second, p.passed) for p in forced] == [("C", "D", False)]


def test_select_pairs_keeps_pairs_disjoint_and_honours_half_life() -> None:
    """Synthetic: B' = B + noise makes (B, B') the best pair; (B', A) shares B' and is
    skipped, so top_k=2 gives two disjoint pairs."""
    logs, names = _universe()
    rng = np.random.default_rng(9)
    twin = logs[:, 0] + _ar1(logs.shape[0], 0.5, 0.002, rng)
    wide = np.column_stack([logs, twin])
    chosen = select_pairs(wide, [*names, "E"], test="engle_granger", top_k=2)
    used = [s for p in chosen for s in (p.first, p.second)]
    assert len(used) == len(set(used))
    assert select_pairs(logs, names, max_half_life=0.5) == []


def test_half_life_of_an_exact_geometric_decay() -> None:
    """Known answer: x[t] = 0.9 x[t-1] exactly, so phi = 0.9 and the half-life ln2/-ln0.9."""
    decay = 0.9 ** np.arange(80)
    assert half_life(decay) == pytest.approx(-math.log(2) / math.log(0.9), rel=1e-9)
    assert half_life(np.arange(50.0)) == math.inf  # a trend does not revert


def test_ar1_and_ou_fit_match_ols_column_by_column() -> None:
    rng = np.random.default_rng(5)
    x = np.column_stack([_ar1(200, phi, 0.01, rng) for phi in (0.2, 0.8, 0.95)])
    fit, ou = ar1_fit(x), ou_fit(x)
    for c in range(3):
        ols = OLS(x[1:, c], np.column_stack([np.ones(199), x[:-1, c]])).fit()
        a, b = ols.params
        assert (fit.a[c], fit.b[c]) == pytest.approx((a, b), rel=1e-10)
        assert fit.resid_var[c] == pytest.approx(ols.scale, rel=1e-10)
        assert ou.kappa[c] == pytest.approx(-math.log(b) * 252, rel=1e-10)
        assert ou.m[c] == pytest.approx(a / (1 - b), rel=1e-10)
        assert ou.sigma_eq[c] == pytest.approx(math.sqrt(ols.scale / (1 - b * b)), rel=1e-10)
    walk = ou_fit(np.arange(30.0) ** 1.5)  # b >= 1: no mean reversion
    assert math.isnan(walk.kappa[0])
    assert math.isnan(walk.sigma_eq[0])


def test_kalman_hedge_equals_statsmodels_kalman_filter() -> None:
    """Synthetic pair; the hand-written filter must match statsmodels' state-space filter."""
    rng = np.random.default_rng(1)
    n, start = 300, 100
    x = 3.0 + np.cumsum(rng.normal(0, 0.01, n))
    y = 0.2 + 1.3 * x + rng.normal(0, 0.01, n)
    hedge = KalmanHedge.from_ols(y[:start], x[:start], 1e-3)
    # The documented start: OLS coefficients, their covariance, the residual variance, and
    # state noise delta * obs_var * (X'X / n)^-1.
    design0 = np.column_stack([np.ones(start), x[:start]])
    ols = OLS(y[:start], design0).fit()
    assert (hedge.alpha, hedge.beta) == pytest.approx(tuple(ols.params), rel=1e-10)
    np.testing.assert_allclose(hedge.state_var, ols.cov_params(), rtol=1e-9)
    state_cov = 1e-3 * ols.scale * start * np.linalg.inv(design0.T @ design0)
    steps = [(*hedge.update(y[t], x[t]), hedge.alpha, hedge.beta) for t in range(start, n)]
    mine = np.array(steps)
    design = np.zeros((1, 2, n - start))
    design[0, 0], design[0, 1] = 1.0, x[start:]
    kf = KalmanFilter(k_endog=1, k_states=2)
    kf.bind(y[start:, None].copy())
    kf["design"] = design
    kf["obs_cov"] = np.array([[ols.scale]])
    kf["transition"] = np.eye(2)
    kf["selection"] = np.eye(2)
    kf["state_cov"] = state_cov
    # statsmodels starts from the first prediction: the OLS fit plus one step of state noise.
    kf.initialize_known(np.asarray(ols.params), ols.cov_params() + state_cov)
    res = kf.filter()
    np.testing.assert_allclose(mine[:, 0], res.forecasts_error[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mine[:, 1], res.forecasts_error_cov[0, 0], rtol=1e-9)
    np.testing.assert_allclose(mine[:, 2:], res.filtered_state.T, rtol=1e-9)


def test_kalman_hedge_without_state_noise_is_least_squares() -> None:
    """Known answer: with no state noise the filter is recursive least squares, so after the
    last bar its state is the OLS fit of all bars."""
    rng = np.random.default_rng(2)
    x = 4.0 + np.cumsum(rng.normal(0, 0.01, 400))
    y = -0.3 + 0.8 * x + rng.normal(0, 0.02, 400)
    hedge = KalmanHedge.from_ols(y[:60], x[:60], delta=1e-300)
    for t in range(60, 400):
        hedge.update(y[t], x[t])
    ols = OLS(y, np.column_stack([np.ones(400), x])).fit()
    assert (hedge.alpha, hedge.beta) == pytest.approx(tuple(ols.params), rel=1e-8)


class _History:
    """A stand-in context with histories of different lengths."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays

    def history(self, symbol: str, field: str = "close", n: int | None = None) -> np.ndarray:
        return self.arrays[symbol]


def test_aligned_closes_cuts_to_the_shortest_history() -> None:
    ctx = _History({"A": np.arange(5.0), "B": np.arange(10.0, 14.0)})
    out = aligned_closes(ctx, ["A", "B"], 3)  # type: ignore[arg-type]
    np.testing.assert_array_equal(out, [[1.0, 11.0], [2.0, 12.0], [3.0, 13.0]])
    assert aligned_closes(ctx, ["A", "B"], 10).shape == (4, 2)  # type: ignore[arg-type]
