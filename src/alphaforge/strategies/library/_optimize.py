"""Portfolio optimisation problems as pure functions: return or covariance matrices in, weights out.

The allocators and the index tracker call these on a schedule. Estimation (Ledoit-Wolf
shrinkage of the covariance, shrunk trailing means) and the convex programs (minimum variance,
mean-variance, equal risk contribution, index tracking) live here, apart from the strategies, so
they can be tested against known answers without running a backtest.

The programs are solved by cvxpy with the Clarabel interior-point solver (SCS as a second try).
Each problem shape is compiled once with cvxpy ``Parameter``\\ s (disciplined parametrized
programming) and re-solved with new numbers, so a monthly rebalance over 30 years costs
milliseconds per solve. Solves never warm-start from an earlier solution, so the weights depend
on the inputs alone (a run cut short decides exactly as the full run did up to the cut).

A solver that fails, or returns weights that break the constraints, raises
:class:`OptimizationError`; callers fall back to earlier weights and say why.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Any

import numpy as np

from alphaforge._lazy import LazyModule

# Imported on first use (a second of start-up otherwise, for every run of any strategy); typed
# Any because cvxpy's atoms are star-exported and untyped: mypy cannot follow them.
cp: Any = LazyModule("cvxpy")
_covariance: Any = LazyModule("sklearn.covariance")

__all__ = [
    "OptimizationError",
    "inverse_vol_weights",
    "ledoit_wolf_cov",
    "mean_variance_weights",
    "min_variance_weights",
    "risk_contributions",
    "risk_parity_weights",
    "shrunk_mean",
    "tracking_weights",
]

_TOL = 1e-6  # how far a solver's weights may stray outside a bound before they are refused
_SOLVERS = ("CLARABEL", "SCS")


class OptimizationError(RuntimeError):
    """The optimiser found no acceptable weights (infeasible, failed, or out of bounds)."""


# ---------------------------------------------------------------------------- estimation


def ledoit_wolf_cov(returns: np.ndarray, periods_per_year: float = 252.0) -> np.ndarray:
    """Annualised covariance of the columns of ``returns`` (rows = periods), Ledoit-Wolf shrunk.

    The sample covariance of 20 stocks over one year of days is noisy and can be nearly singular;
    shrinking it toward a scaled identity (Ledoit & Wolf, 2004) keeps it well conditioned, which
    matters most to minimum-variance weights, which otherwise chase estimation error.
    """
    x = _matrix(returns, "returns")
    if x.shape[0] < 2:
        raise OptimizationError(f"need at least 2 periods of returns, got {x.shape[0]}")
    cov = _covariance.LedoitWolf().fit(x).covariance_ * periods_per_year
    return np.asarray((cov + cov.T) / 2.0)


def shrunk_mean(
    returns: np.ndarray, shrinkage: float, periods_per_year: float = 252.0
) -> np.ndarray:
    """Annualised trailing mean of each column, pulled ``shrinkage`` of the way to their average.

    A trailing mean is a poor forecast: over one year of daily data its standard error is the
    asset's annual volatility itself (about 25-35 % for a single stock), larger than the mean it
    estimates. Shrinking toward the cross-sectional average (James-Stein style) tempers the
    extreme weights mean-variance builds on that noise; ``shrinkage=1`` leaves no views at all.
    """
    if not 0.0 <= shrinkage <= 1.0:
        raise OptimizationError(f"shrinkage must be in [0, 1], got {shrinkage}")
    mean = _matrix(returns, "returns").mean(axis=0) * periods_per_year
    return np.asarray((1.0 - shrinkage) * mean + shrinkage * mean.mean())


def risk_contributions(weights: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Each asset's share of portfolio variance, ``w_i (Sigma w)_i / w' Sigma w`` (sums to 1)."""
    w = np.asarray(weights, dtype=float)
    marginal = np.asarray(cov, dtype=float) @ w
    total = float(w @ marginal)
    if total <= 0.0:
        raise OptimizationError("portfolio variance is not positive")
    return np.asarray(w * marginal / total)


# ---------------------------------------------------------------------------- allocations


def inverse_vol_weights(cov: np.ndarray, budget: float = 1.0) -> np.ndarray:
    """Weights proportional to 1 / volatility, summing to ``budget`` (no solver needed)."""
    vol = np.sqrt(np.diag(_square(cov)))
    if not np.all(vol > 0):
        raise OptimizationError("an asset has zero volatility; inverse-volatility is undefined")
    inv = 1.0 / vol
    return np.asarray(budget * inv / inv.sum())


def min_variance_weights(
    cov: np.ndarray, *, max_weight: float = 1.0, budget: float = 1.0
) -> np.ndarray:
    """Long-only minimum-variance weights: ``min w' Sigma w`` with ``sum w = budget``,
    ``0 <= w <= max_weight * budget`` (Clarke, de Silva & Thorley, 2006)."""
    sigma = _square(cov)
    n = sigma.shape[0]
    _check_cap(n, max_weight)
    problem, par, w = _min_variance_problem(n)
    par["factor"].value = _factor(sigma)
    par["cap"].value = max_weight * budget
    par["budget"].value = budget
    _solve(problem, "minimum variance")
    return _accept(w.value, budget, 0.0, max_weight * budget, "minimum variance")


def risk_parity_weights(
    cov: np.ndarray, budgets: np.ndarray | None = None, *, budget: float = 1.0
) -> np.ndarray:
    """Equal (or ``budgets``-proportional) risk contribution weights, long only.

    Solves the convex program ``min 1/2 y' Sigma y - sum b_i log y_i`` (Spinu, 2013); its
    solution, rescaled to sum to ``budget``, gives each asset the risk share ``b_i``
    (Maillard, Roncalli & Teiletche, 2010). With a diagonal ``Sigma`` it is inverse volatility.
    """
    sigma = _square(cov)
    n = sigma.shape[0]
    b = np.full(n, 1.0 / n) if budgets is None else np.asarray(budgets, dtype=float)
    if b.shape != (n,) or not np.all(b > 0):
        raise OptimizationError(f"risk budgets must be {n} positive numbers")
    problem, par, y = _risk_parity_problem(n)
    scale = float(np.mean(np.diag(sigma)))  # a unit-free problem: same solution, better numerics
    par["factor"].value = _factor(sigma / scale)
    par["budgets"].value = b / b.sum()
    _solve(problem, "risk parity")
    raw = np.asarray(y.value, dtype=float)
    if not np.all(np.isfinite(raw)) or raw.sum() <= 0:
        raise OptimizationError("risk parity: the solver returned no usable point")
    return _accept(budget * raw / raw.sum(), budget, 0.0, budget, "risk parity")


def mean_variance_weights(
    mu: np.ndarray,
    cov: np.ndarray,
    *,
    risk_aversion: float = 5.0,
    target_vol: float | None = None,
    long_only: bool = True,
    max_weight: float = 1.0,
    max_gross: float = 1.0,
    budget: float = 1.0,
    current: np.ndarray | None = None,
    turnover_penalty: float = 0.0,
    max_turnover: float | None = None,
) -> np.ndarray:
    """Markowitz (1952) weights under constraints.

    Objective: ``max mu'w - risk_aversion/2 w'Sigma w - turnover_penalty |w - current|_1``;
    with ``target_vol`` instead ``max mu'w - turnover_penalty |w - current|_1`` subject to
    ``sqrt(w'Sigma w) <= target_vol`` (the most expected return for a risk budget).
    Constraints: ``sum w = budget``; ``0 <= w <= max_weight * budget`` when ``long_only``, else
    ``|w_i| <= max_weight * budget`` and ``sum |w| <= max_gross``; and, when given,
    ``sum |w - current| <= max_turnover``. ``mu`` and ``Sigma`` are annual.
    """
    sigma = _square(cov)
    n = sigma.shape[0]
    if risk_aversion <= 0 or (target_vol is not None and target_vol <= 0):
        raise OptimizationError("risk_aversion and target_vol must be positive")
    if turnover_penalty < 0 or (max_turnover is not None and max_turnover < 0):
        raise OptimizationError("turnover_penalty and max_turnover cannot be negative")
    m = np.asarray(mu, dtype=float)
    if m.shape != (n,) or not np.all(np.isfinite(m)):
        raise OptimizationError(f"expected returns must be {n} finite numbers")
    _check_cap(n, max_weight)
    if not long_only and max_gross < budget:
        raise OptimizationError(f"max_gross ({max_gross}) is below the budget ({budget})")
    w0 = np.zeros(n) if current is None else np.asarray(current, dtype=float)
    if w0.shape != (n,):
        raise OptimizationError(f"current weights must be {n} numbers")
    key = (n, target_vol is not None, long_only, max_turnover is not None)
    problem, par, w = _mean_variance_problem(*key)
    factor = _factor(sigma)
    par["factor"].value = factor if target_vol is not None else factor * np.sqrt(risk_aversion / 2)
    par["mu"].value = m
    par["cap"].value = max_weight * budget
    par["budget"].value = budget
    par["current"].value = w0
    par["penalty"].value = turnover_penalty
    if target_vol is not None:
        par["target"].value = target_vol
    if not long_only:
        par["gross"].value = max_gross
    if max_turnover is not None:
        par["turnover"].value = max_turnover
    _solve(problem, "mean-variance")
    low = 0.0 if long_only else -max_weight * budget
    out = _accept(w.value, budget, low, max_weight * budget, "mean-variance")
    if not long_only and np.abs(out).sum() > max_gross + _TOL:
        raise OptimizationError("mean-variance: the solver broke the gross limit")
    return out


def tracking_weights(
    asset_returns: np.ndarray, index_returns: np.ndarray, *, max_weight: float = 1.0
) -> np.ndarray:
    """The long-only basket (weights sum to 1, each at most ``max_weight``) whose returns are
    closest to the index's in least squares: ``min |R w - r|^2`` (Roll, 1992; Rudolf, Wolter &
    Zimmermann, 1999). Rows of ``asset_returns`` are periods, columns assets."""
    r_assets = _matrix(asset_returns, "asset returns")
    r_index = np.asarray(index_returns, dtype=float).ravel()
    t, n = r_assets.shape
    if r_index.shape != (t,) or not np.all(np.isfinite(r_index)):
        raise OptimizationError(f"index returns must be {t} finite numbers (one per period)")
    _check_cap(n, max_weight)
    problem, par, w = _tracking_problem(t, n)
    scale = float(np.std(r_index)) or 1.0  # unit-free residuals: same argmin, better numerics
    par["assets"].value = r_assets / scale
    par["index"].value = r_index / scale
    par["cap"].value = max_weight
    _solve(problem, "index tracking")
    return _accept(w.value, 1.0, 0.0, max_weight, "index tracking")


# ---------------------------------------------------------------------------- compiled problems

_Compiled = tuple[Any, dict[str, Any], Any]  # (cvxpy Problem, its Parameters, its Variable)


@lru_cache(maxsize=32)
def _min_variance_problem(n: int) -> _Compiled:
    w = cp.Variable(n)
    par = {
        "factor": cp.Parameter((n, n)),
        "cap": cp.Parameter(nonneg=True),
        "budget": cp.Parameter(nonneg=True),
    }
    objective = cp.Minimize(cp.sum_squares(par["factor"].T @ w))
    constraints = [cp.sum(w) == par["budget"], w >= 0, w <= par["cap"]]
    return cp.Problem(objective, constraints), par, w


@lru_cache(maxsize=32)
def _risk_parity_problem(n: int) -> _Compiled:
    y = cp.Variable(n)
    par = {"factor": cp.Parameter((n, n)), "budgets": cp.Parameter(n, nonneg=True)}
    objective = cp.Minimize(0.5 * cp.sum_squares(par["factor"].T @ y) - par["budgets"] @ cp.log(y))
    return cp.Problem(objective), par, y


@lru_cache(maxsize=64)
def _mean_variance_problem(n: int, targeted: bool, long_only: bool, limited: bool) -> _Compiled:
    w = cp.Variable(n)
    par = {
        "factor": cp.Parameter((n, n)),
        "mu": cp.Parameter(n),
        "cap": cp.Parameter(nonneg=True),
        "budget": cp.Parameter(nonneg=True),
        "current": cp.Parameter(n),
        "penalty": cp.Parameter(nonneg=True),
    }
    # |w - current| through a bound variable: "penalty * sum(trade)" stays DPP, a norm would not
    trade = cp.Variable(n)
    constraints = [
        cp.sum(w) == par["budget"],
        w <= par["cap"],
        trade >= w - par["current"],
        trade >= par["current"] - w,
    ]
    reward = par["mu"] @ w - par["penalty"] * cp.sum(trade)
    if targeted:  # the factor is Sigma's: a volatility ceiling
        par["target"] = cp.Parameter(nonneg=True)
        constraints.append(cp.norm2(par["factor"].T @ w) <= par["target"])
    else:  # the factor is sqrt(risk_aversion / 2) times Sigma's: the utility's penalty
        reward = reward - cp.sum_squares(par["factor"].T @ w)
    if long_only:
        constraints.append(w >= 0)
    else:
        par["gross"] = cp.Parameter(nonneg=True)
        constraints += [w >= -par["cap"], cp.norm1(w) <= par["gross"]]
    if limited:
        par["turnover"] = cp.Parameter(nonneg=True)
        constraints.append(cp.sum(trade) <= par["turnover"])
    return cp.Problem(cp.Maximize(reward), constraints), par, w


@lru_cache(maxsize=16)
def _tracking_problem(t: int, n: int) -> _Compiled:
    w = cp.Variable(n)
    par = {
        "assets": cp.Parameter((t, n)),
        "index": cp.Parameter(t),
        "cap": cp.Parameter(nonneg=True),
    }
    objective = cp.Minimize(cp.sum_squares(par["assets"] @ w - par["index"]))
    return cp.Problem(objective, [cp.sum(w) == 1, w >= 0, w <= par["cap"]]), par, w


# ---------------------------------------------------------------------------- helpers


def _solve(problem: Any, what: str) -> None:
    """Solve with Clarabel, else SCS; raise :class:`OptimizationError` when neither succeeds."""
    failures: list[str] = []
    for solver in _SOLVERS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "solution may be inaccurate": checked below
                problem.solve(solver=solver, warm_start=False, **_options(solver))
        except (cp.error.SolverError, ValueError, ArithmeticError) as exc:
            failures.append(f"{solver}: {exc}")
            continue
        if problem.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            return
        failures.append(f"{solver}: {problem.status}")
    raise OptimizationError(f"{what}: no solution ({'; '.join(failures)})")


def _options(solver: str) -> dict[str, Any]:
    return {"eps": 1e-9, "max_iters": 20_000} if solver == "SCS" else {}


def _accept(value: Any, budget: float, low: float, high: float, what: str) -> np.ndarray:
    """The solver's weights, snapped onto their bounds, or an error when they miss them."""
    if value is None:
        raise OptimizationError(f"{what}: the solver returned no weights")
    w = np.asarray(value, dtype=float).ravel()
    if not np.all(np.isfinite(w)):
        raise OptimizationError(f"{what}: the solver returned non-finite weights")
    if w.min() < low - _TOL or w.max() > high + _TOL or abs(w.sum() - budget) > _TOL * len(w):
        raise OptimizationError(
            f"{what}: the solver's weights break the constraints "
            f"(min {w.min():.6f}, max {w.max():.6f}, sum {w.sum():.6f})"
        )
    w = np.clip(w, low, high)
    w[np.abs(w) < 1e-6] = 0.0  # solver dust: a share of a cheap stock is not worth an order
    total = w.sum()
    return w if total == 0 else np.asarray(w * (budget / total))


def _factor(sigma: np.ndarray) -> np.ndarray:
    """A matrix ``F`` with ``F F' = sigma`` (Cholesky, or an eigen-square-root when singular)."""
    try:
        return np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(sigma)
        return np.asarray(vectors * np.sqrt(np.clip(values, 0.0, None)))


def _square(cov: np.ndarray) -> np.ndarray:
    sigma = np.asarray(cov, dtype=float)
    if sigma.ndim != 2 or sigma.shape[0] != sigma.shape[1] or sigma.shape[0] == 0:
        raise OptimizationError(f"covariance must be a square matrix, got shape {sigma.shape}")
    if not np.all(np.isfinite(sigma)):
        raise OptimizationError("covariance holds NaN or infinite values")
    return sigma


def _matrix(values: np.ndarray, what: str) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if x.ndim != 2 or x.shape[1] == 0:
        raise OptimizationError(f"{what} must be a 2-d array (periods x assets), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise OptimizationError(f"{what} hold NaN or infinite values")
    return x


def _check_cap(n: int, max_weight: float) -> None:
    if not 0.0 < max_weight <= 1.0:
        raise OptimizationError(f"max_weight must be in (0, 1], got {max_weight}")
    if max_weight * n < 1.0 - 1e-12:
        raise OptimizationError(
            f"{n} assets at most {max_weight:.0%} each cannot hold the whole budget; "
            f"raise max_weight to at least {1.0 / n:.4f}"
        )
