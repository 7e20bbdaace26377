"""The optimisation problems behind the allocators and the index tracker, against known answers.

Covariances and return series here are constructed (diagonal matrices, a random factor model
with a fixed seed, an index built from known weights) so each test has an answer derived on
paper; one test estimates a covariance on the real bundled stocks.
"""

from __future__ import annotations

import numpy as np
import pytest

from alphaforge.data.bundled import load_dataset
from alphaforge.strategies.library import _optimize as opt


def _random_cov(n: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    loadings = rng.normal(size=(n, 3)) * 0.15
    return loadings @ loadings.T + np.diag(rng.uniform(0.01, 0.09, n))


def test_min_variance_of_uncorrelated_assets_is_inverse_variance() -> None:
    """Two uncorrelated assets: w_i proportional to 1 / variance_i."""
    variances = np.array([0.04, 0.09])
    w = opt.min_variance_weights(np.diag(variances))
    expected = (1 / variances) / (1 / variances).sum()
    np.testing.assert_allclose(w, expected, atol=1e-6)


def test_min_variance_matches_the_closed_form_when_no_bound_binds() -> None:
    """Unconstrained minimum variance is Sigma^-1 1 / (1' Sigma^-1 1); a mild covariance keeps
    it long only, so the long-only program must find the same point."""
    cov = np.array([[0.04, 0.006, 0.0], [0.006, 0.09, 0.01], [0.0, 0.01, 0.0625]])
    inv = np.linalg.solve(cov, np.ones(3))
    expected = inv / inv.sum()
    assert expected.min() > 0
    np.testing.assert_allclose(opt.min_variance_weights(cov), expected, atol=1e-6)


def test_min_variance_respects_the_cap_and_the_budget() -> None:
    cov = _random_cov(8)
    w = opt.min_variance_weights(cov, max_weight=0.2, budget=0.98)
    assert w.sum() == pytest.approx(0.98, abs=1e-9)
    assert w.min() >= 0
    assert w.max() <= 0.2 * 0.98 + 1e-9
    assert opt.min_variance_weights(cov).max() > 0.2  # the cap binds: it changed the answer


def test_risk_parity_with_a_diagonal_covariance_is_inverse_volatility() -> None:
    cov = np.diag([0.04, 0.09, 0.16, 0.01])
    np.testing.assert_allclose(
        opt.risk_parity_weights(cov), opt.inverse_vol_weights(cov), atol=1e-5
    )
    np.testing.assert_allclose(opt.inverse_vol_weights(cov), [0.24, 0.16, 0.12, 0.48], atol=1e-12)


def test_risk_parity_equalises_risk_contributions() -> None:
    cov = _random_cov(10)
    w = opt.risk_parity_weights(cov, budget=0.98)
    assert w.sum() == pytest.approx(0.98)
    np.testing.assert_allclose(opt.risk_contributions(w, cov), np.full(10, 0.1), atol=1e-4)


def test_risk_budgets_are_honoured() -> None:
    cov = _random_cov(4)
    budgets = np.array([0.4, 0.3, 0.2, 0.1])
    w = opt.risk_parity_weights(cov, budgets)
    np.testing.assert_allclose(opt.risk_contributions(w, cov), budgets, atol=1e-4)


def test_mean_variance_matches_the_closed_form_when_no_bound_binds() -> None:
    """With only the budget constraint, w = Sigma^-1 (mu - lambda 1) / gamma and lambda makes the
    weights sum to one: the solver must agree."""
    cov = np.array([[0.04, 0.01, 0.0], [0.01, 0.09, 0.02], [0.0, 0.02, 0.0625]])
    mu = np.array([0.08, 0.10, 0.09])
    gamma = 4.0
    a = np.linalg.solve(cov, mu) / gamma
    b = np.linalg.solve(cov, np.ones(3)) / gamma
    expected = a + (1 - a.sum()) / b.sum() * b
    assert expected.min() > 0
    w = opt.mean_variance_weights(mu, cov, risk_aversion=gamma)
    np.testing.assert_allclose(w, expected, atol=1e-6)


def test_mean_variance_constraints_bind() -> None:
    cov = _random_cov(6)
    mu = np.array([0.30, 0.02, 0.01, 0.0, -0.05, 0.25])
    w = opt.mean_variance_weights(mu, cov, risk_aversion=1.0, max_weight=0.3, budget=0.98)
    assert w.sum() == pytest.approx(0.98)
    assert w.min() >= 0
    assert w.max() == pytest.approx(0.3 * 0.98, abs=1e-7)  # the best asset is capped
    short = opt.mean_variance_weights(
        mu, cov, risk_aversion=1.0, long_only=False, max_weight=0.6, max_gross=1.6
    )
    assert short.min() < 0  # the worst asset is sold short
    assert np.abs(short).sum() <= 1.6 + 1e-7
    assert short.sum() == pytest.approx(1.0)


def test_mean_variance_target_volatility_is_met() -> None:
    cov = _random_cov(5)
    mu = np.array([0.12, 0.08, 0.05, 0.10, 0.02])
    alone = np.sqrt(cov[0, 0])  # the best asset alone is riskier than the target: it must mix
    assert alone > 0.18
    w = opt.mean_variance_weights(mu, cov, target_vol=0.18)
    assert np.sqrt(w @ cov @ w) == pytest.approx(0.18, abs=1e-6)  # the risk budget binds
    assert w[0] == w.max() < 1


def test_turnover_limit_and_penalty_hold_weights_near_the_current_ones() -> None:
    cov = _random_cov(5)
    mu = np.array([0.3, 0.0, 0.0, 0.0, 0.0])
    current = np.full(5, 0.2)
    free = opt.mean_variance_weights(mu, cov, risk_aversion=2.0, current=current)
    limited = opt.mean_variance_weights(
        mu, cov, risk_aversion=2.0, current=current, max_turnover=0.1
    )
    assert np.abs(free - current).sum() > 0.1
    assert np.abs(limited - current).sum() == pytest.approx(0.1, abs=1e-6)
    penalised = opt.mean_variance_weights(
        mu, cov, risk_aversion=2.0, current=current, turnover_penalty=10.0
    )
    np.testing.assert_allclose(penalised, current, atol=1e-6)  # trading costs more than it earns


def test_tracking_recovers_the_weights_of_an_exact_basket() -> None:
    """An index that is a fixed basket of the assets is tracked by exactly that basket."""
    rng = np.random.default_rng(3)
    returns = rng.normal(0.0, 0.01, size=(250, 6))
    weights = np.array([0.4, 0.3, 0.2, 0.1, 0.0, 0.0])
    np.testing.assert_allclose(opt.tracking_weights(returns, returns @ weights), weights, atol=1e-5)
    capped = opt.tracking_weights(returns, returns @ weights, max_weight=0.3)
    assert capped.max() <= 0.3 + 1e-9
    assert capped.sum() == pytest.approx(1.0)


def test_ledoit_wolf_shrinks_the_real_sample_covariance() -> None:
    """On a year of the bundled stocks the shrunk matrix is better conditioned than the sample."""
    closes = load_dataset("stocks20_close").iloc[-253:].to_numpy()
    returns = closes[1:] / closes[:-1] - 1
    shrunk = opt.ledoit_wolf_cov(returns)
    sample = np.cov(returns, rowvar=False) * 252
    assert shrunk.shape == (20, 20)
    assert np.allclose(shrunk, shrunk.T)
    assert np.linalg.cond(shrunk) < np.linalg.cond(sample)


def test_shrunk_mean_moves_toward_the_average() -> None:
    returns = np.array([[0.01, 0.0], [0.03, 0.0]])
    np.testing.assert_allclose(opt.shrunk_mean(returns, 0.0, 1.0), [0.02, 0.0])
    np.testing.assert_allclose(opt.shrunk_mean(returns, 0.5, 1.0), [0.015, 0.005])
    np.testing.assert_allclose(opt.shrunk_mean(returns, 1.0, 1.0), [0.01, 0.01])


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: opt.min_variance_weights(np.eye(3), max_weight=0.2), "cannot hold the whole"),
        (lambda: opt.min_variance_weights(np.ones((2, 3))), "square matrix"),
        (lambda: opt.risk_parity_weights(np.full((2, 2), np.nan)), "NaN"),
        (lambda: opt.mean_variance_weights(np.ones(2), np.eye(3)), "3 finite numbers"),
        (
            lambda: opt.mean_variance_weights(
                np.ones(3), np.eye(3), current=np.zeros(3), max_turnover=0.1
            ),
            "no solution",
        ),
    ],
)
def test_bad_input_and_infeasible_problems_raise_optimization_error(
    call: object, words: str
) -> None:
    with pytest.raises(opt.OptimizationError, match=words):
        call()  # type: ignore[operator]


def test_the_same_input_gives_the_same_weights_whatever_was_solved_before() -> None:
    """No warm start: a run cut short must decide exactly as the full run did."""
    cov_a, cov_b = _random_cov(7, seed=1), _random_cov(7, seed=2)
    first = opt.min_variance_weights(cov_a, max_weight=0.3)
    opt.min_variance_weights(cov_b, max_weight=0.3)
    assert np.array_equal(opt.min_variance_weights(cov_a, max_weight=0.3), first)
