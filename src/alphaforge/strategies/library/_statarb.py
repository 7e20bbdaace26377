"""Statistical-arbitrage building blocks shared by ``pairs_trading`` and ``pca_reversion``.

Pure functions on numpy arrays, no strategy state:

* :func:`engle_granger`: the Engle-Granger (augmented) cointegration test, vectorized over many
  pairs at once. It computes exactly what ``statsmodels.tsa.stattools.coint(y, x, trend="c",
  maxlag=lags, autolag=None)`` does (tested to match), but for all 380 ordered pairs of 20
  stocks in one batch of 2x2 / 3x3 solves instead of 380 statsmodels calls (~0.6 ms each),
  which keeps a backtest that reselects pairs twice a year under a few seconds.
* :func:`johansen_trace`: the Johansen trace test of a pair (statsmodels ``coint_johansen``).
* :func:`select_pairs`: rank the pairs of a universe by those tests on a formation window.
* :func:`ar1_fit`, :func:`half_life`, :func:`ou_fit`: AR(1) / Ornstein-Uhlenbeck fits.
* :class:`KalmanHedge`: a two-state (intercept, slope) Kalman filter for a time-varying hedge
  ratio, written out by hand (see its docstring for why).
* :func:`aligned_closes`: the last closes of several symbols as one (bars, symbols) matrix.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

import numpy as np

from alphaforge._lazy import LazyModule
from alphaforge.domain.errors import InvalidValueError
from alphaforge.strategies.context import StrategyContext

_adf: Any = LazyModule("statsmodels.tsa.adfvalues")  # statsmodels loads on first test
_vecm: Any = LazyModule("statsmodels.tsa.vector_ar.vecm")

__all__ = [
    "AR1Fit",
    "EngleGranger",
    "KalmanHedge",
    "OUFit",
    "PairCandidate",
    "aligned_closes",
    "ar1_fit",
    "engle_granger",
    "half_life",
    "johansen_trace",
    "ols_line",
    "ou_fit",
    "select_pairs",
]

CointTest = Literal["engle_granger", "johansen", "both"]
_COLLINEAR_R2 = 1 - 100 * math.sqrt(np.finfo(float).eps)  # statsmodels' threshold in coint


# ----------------------------------------------------------------------------- data


def aligned_closes(ctx: StrategyContext, symbols: Sequence[str], n: int) -> np.ndarray:
    """The last ``n`` (fewer early in a run) closes of ``symbols`` as a (bars, symbols) matrix.

    Rows are aligned by position, cut to the shortest history: the symbols must share one
    trading calendar. The cut also keeps out a bar of the next timestamp should one symbol's
    history already hold it when ``on_step`` runs.
    """
    hist = [ctx.history(s, "close") for s in symbols]
    common = min(h.shape[0] for h in hist)
    rows = min(n, common)
    return np.column_stack([h[common - rows : common] for h in hist])


# ----------------------------------------------------------------------------- regressions


def ols_line(y: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    """Intercept and slope of the least-squares line ``y = a + b x`` (1-D arrays)."""
    xm, ym = float(x.mean()), float(y.mean())
    dx = x - xm
    sxx = float(dx @ dx)
    if sxx <= 0.0:
        return math.nan, math.nan
    b = float(dx @ (y - ym)) / sxx
    return ym - b * xm, b


def _columns(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return a[:, None] if a.ndim == 1 else a


@dataclass(frozen=True)
class AR1Fit:
    """``x[t] = a + b x[t-1] + e`` fitted by least squares, per column."""

    a: np.ndarray
    b: np.ndarray
    resid_var: np.ndarray
    """Residual variance (sum of squares / (n - 2), as OLS reports it)."""


def ar1_fit(x: np.ndarray) -> AR1Fit:
    """Fit an AR(1) with intercept to each column of ``x`` (or to a 1-D series)."""
    x = _columns(x)
    if x.shape[0] < 4:
        raise InvalidValueError(f"an AR(1) fit needs at least 4 observations, got {x.shape[0]}")
    lag, cur = x[:-1], x[1:]
    lm, cm = lag.mean(axis=0), cur.mean(axis=0)
    dl = lag - lm
    sxx = np.einsum("ij,ij->j", dl, dl)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.einsum("ij,ij->j", dl, cur - cm) / sxx
    a = cm - b * lm
    resid = cur - a - b * lag
    resid_var = np.einsum("ij,ij->j", resid, resid) / (cur.shape[0] - 2)
    return AR1Fit(a=a, b=b, resid_var=resid_var)


def half_life(spread: np.ndarray) -> float:
    """Bars for a deviation of ``spread`` from its mean to halve: ``-ln 2 / ln(phi)``.

    ``phi`` is the AR(1) coefficient of the series (the discrete Ornstein-Uhlenbeck fit);
    ``inf`` when the series does not mean-revert (``phi`` outside (0, 1)).
    """
    phi = float(ar1_fit(spread).b[0])
    if not 0.0 < phi < 1.0:
        return math.inf
    return -math.log(2.0) / math.log(phi)


@dataclass(frozen=True)
class OUFit:
    """Ornstein-Uhlenbeck parameters of each column (Avellaneda & Lee, 2010, appendix A).

    ``dX = kappa (m - X) dt + sigma dW`` discretized as the AR(1) ``X[t] = a + b X[t-1] + e``:
    ``kappa = -ln(b) / dt`` (per year when ``dt`` is in years), ``m = a / (1 - b)``,
    ``sigma_eq = sqrt(var(e) / (1 - b^2))`` (the stationary standard deviation). Columns whose
    ``b`` is outside (0, 1) do not mean-revert: their ``kappa``, ``m`` and ``sigma_eq`` are NaN.
    """

    b: np.ndarray
    kappa: np.ndarray
    m: np.ndarray
    sigma_eq: np.ndarray


def ou_fit(x: np.ndarray, dt: float = 1.0 / 252.0) -> OUFit:
    """Fit an Ornstein-Uhlenbeck process to each column of ``x`` sampled every ``dt``."""
    fit = ar1_fit(x)
    b = fit.b
    ok = (b > 0.0) & (b < 1.0)
    safe = np.where(ok, b, 0.5)
    kappa = np.where(ok, -np.log(safe) / dt, np.nan)
    m = np.where(ok, fit.a / (1.0 - safe), np.nan)
    sigma_eq = np.where(ok, np.sqrt(fit.resid_var / (1.0 - safe * safe)), np.nan)
    return OUFit(b=b, kappa=kappa, m=m, sigma_eq=sigma_eq)


# ----------------------------------------------------------------------------- cointegration


@dataclass(frozen=True)
class EngleGranger:
    """Per column: the cointegrating regression ``y = alpha + beta x + u`` and the ADF test of
    ``u`` (``tstat``, MacKinnon's ``pvalue`` for two I(1) series with a constant)."""

    alpha: np.ndarray
    beta: np.ndarray
    tstat: np.ndarray
    pvalue: np.ndarray


def engle_granger(y: np.ndarray, x: np.ndarray, lags: int = 1) -> EngleGranger:
    """Engle-Granger test of ``y`` on ``x``, column by column (1-D arrays: one pair).

    Equal to ``statsmodels.tsa.stattools.coint(y, x, trend="c", maxlag=lags, autolag=None)``:
    the ADF regression of the residuals has no constant and ``lags`` lagged differences. A
    fixed lag instead of statsmodels' AIC search is what makes the batch possible; one lag is
    usual for daily prices. Near-perfectly collinear columns get ``tstat=-inf, pvalue=0``, as
    in statsmodels.
    """
    y, x = _columns(y), _columns(x)
    if y.shape != x.shape:
        raise InvalidValueError(f"y and x must have the same shape, got {y.shape} and {x.shape}")
    n = y.shape[0]
    if lags < 0 or lags > n // 2 - 1:  # statsmodels' adfuller bound (no trend terms)
        raise InvalidValueError(f"{n} observations are too few for an ADF test with {lags} lags")
    xm, ym = x.mean(axis=0), y.mean(axis=0)
    dx, dy = x - xm, y - ym
    sxx = np.einsum("ij,ij->j", dx, dx)
    syy = np.einsum("ij,ij->j", dy, dy)
    sxy = np.einsum("ij,ij->j", dx, dy)
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = sxy / sxx
        r2 = sxy * sxy / (sxx * syy)
    alpha = ym - beta * xm
    u = y - alpha - beta * x
    du = np.diff(u, axis=0)
    # Rows as in statsmodels' adfuller: du[t] on u[t] and du[t-1], ..., du[t-lags].
    dep = du[lags:]
    nobs = dep.shape[0]
    regs = [u[lags : lags + nobs]] + [du[lags - j : lags - j + nobs] for j in range(1, lags + 1)]
    design = np.stack(regs, axis=2)  # (nobs, columns, k)
    xtx = np.einsum("nci,ncj->cij", design, design)
    xty = np.einsum("nci,nc->ci", design, dep)
    with np.errstate(divide="ignore", invalid="ignore"):
        coef = np.linalg.solve(xtx, xty[..., None])[..., 0]
        resid = dep - np.einsum("nci,ci->nc", design, coef)
        s2 = np.einsum("nc,nc->c", resid, resid) / (nobs - (lags + 1))
        var0 = s2 * np.linalg.inv(xtx)[:, 0, 0]
        tstat = coef[:, 0] / np.sqrt(var0)
    collinear = ~(r2 < _COLLINEAR_R2)
    tstat = np.where(collinear, -np.inf, tstat)
    pvalue = np.array(
        [0.0 if math.isinf(t) and t < 0 else _adf.mackinnonp(float(t), "c", N=2) for t in tstat]
    )
    return EngleGranger(alpha=alpha, beta=beta, tstat=tstat, pvalue=pvalue)


def johansen_trace(y: np.ndarray, x: np.ndarray, lags: int = 1) -> tuple[float, float]:
    """Johansen's trace statistic for "no cointegrating vector" in (y, x), and its 95 %
    critical value (constant term, ``lags`` lagged differences; statsmodels
    ``coint_johansen(..., det_order=0, k_ar_diff=lags)``). Cointegrated when stat > crit."""
    result = _vecm.coint_johansen(np.column_stack([y, x]), 0, lags)
    return float(result.lr1[0]), float(result.cvt[0, 1])


@dataclass(frozen=True)
class PairCandidate:
    """A pair tested on a formation window. The hedge regresses ``first`` on ``second`` (log
    prices): ``log first = alpha + beta log second + spread``."""

    first: str
    second: str
    eg_pvalue: float
    """The larger Engle-Granger p-value of the two regression directions."""
    trace: float
    """Johansen trace statistic (NaN when the Johansen test was not run)."""
    trace_crit: float
    """Its 95 % critical value (NaN when not run)."""
    alpha: float
    beta: float
    half_life: float
    """Half-life of the formation spread, in bars (``inf``: no mean reversion)."""
    passed: bool
    """Whether the pair passed the requested test(s) at the requested level."""


def select_pairs(
    log_prices: np.ndarray,
    names: Sequence[str],
    *,
    test: CointTest = "both",
    max_pvalue: float = 0.05,
    top_k: int = 1,
    require_pass: bool = True,
    max_half_life: float = math.inf,
    lags: int = 1,
) -> list[PairCandidate]:
    """Pick up to ``top_k`` disjoint pairs (no symbol in two pairs) of ``names`` from the
    formation window ``log_prices`` (rows: bars, columns: names), best first.

    Engle-Granger is run both ways round and the larger p-value kept (the test is not
    symmetric; a pair must pass both ways). Johansen (which is symmetric) is run only where it
    can matter: on every pair for ``test="johansen"``, on pairs that passed Engle-Granger for
    ``"both"``. Ranking: Engle-Granger p-value (``"engle_granger"``, ``"both"``) or trace
    statistic over its critical value (``"johansen"``). Only pairs with a positive hedge ratio
    and a half-life within ``max_half_life`` bars are eligible; with ``require_pass=False``
    the best eligible pairs are taken even when they fail the tests.
    """
    lp = np.asarray(log_prices, dtype=np.float64)
    if lp.ndim != 2 or lp.shape[1] != len(names):
        raise InvalidValueError(f"log_prices must be (bars, {len(names)}), got {lp.shape}")
    found = [
        cand
        for cand in _test_pairs(lp, names, test, max_pvalue, lags)
        if (cand.passed or not require_pass) and cand.half_life <= max_half_life
    ]
    if test == "johansen":
        found.sort(key=lambda p: (not p.passed, -(p.trace / p.trace_crit)))
    else:
        found.sort(key=lambda p: (not p.passed, p.eg_pvalue))
    chosen: list[PairCandidate] = []
    used: set[str] = set()
    for cand in found:
        if len(chosen) < top_k and not {cand.first, cand.second} & used:
            chosen.append(cand)
            used.update((cand.first, cand.second))
    return chosen


def _test_pairs(
    lp: np.ndarray, names: Sequence[str], test: CointTest, max_pvalue: float, lags: int
) -> list[PairCandidate]:
    """Every pair with a positive hedge ratio, tested (see :func:`select_pairs`)."""
    pairs = list(combinations(range(len(names)), 2))
    if not pairs:
        return []
    i_idx = np.array([p[0] for p in pairs])
    j_idx = np.array([p[1] for p in pairs])
    forward = engle_granger(lp[:, i_idx], lp[:, j_idx], lags)
    backward = engle_granger(lp[:, j_idx], lp[:, i_idx], lags)
    eg_p = np.maximum(forward.pvalue, backward.pvalue)
    out = []
    for c, (i, j) in enumerate(pairs):
        alpha, beta = float(forward.alpha[c]), float(forward.beta[c])
        if not beta > 0.0:
            continue
        eg_ok = bool(eg_p[c] <= max_pvalue)
        trace = crit = math.nan
        if test == "johansen" or (test == "both" and eg_ok):
            trace, crit = johansen_trace(lp[:, i], lp[:, j], lags)
        passed = {"engle_granger": eg_ok, "johansen": trace > crit, "both": eg_ok and trace > crit}
        hl = half_life(lp[:, i] - alpha - beta * lp[:, j])
        out.append(
            PairCandidate(
                names[i], names[j], float(eg_p[c]), trace, crit, alpha, beta, hl, passed[test]
            )
        )
    return out


# ----------------------------------------------------------------------------- Kalman filter


class KalmanHedge:
    """Kalman filter of a regression with a random-walk intercept and slope.

    Observation ``y[t] = alpha[t] + beta[t] x[t] + e``, ``e ~ N(0, obs_var)``; state
    ``(alpha, beta)[t] = (alpha, beta)[t-1] + w``, ``w ~ N(0, state_cov)``. Each
    :meth:`update` predicts, returns the one-step forecast error and its variance, then
    corrects: O(1) per bar, as a streaming strategy needs. statsmodels' state-space classes
    filter a whole series per call (re-running it on the growing history every bar would be
    quadratic) and carry far more machinery than two states need, so the recursion is written
    out here in plain floats; a test checks it against statsmodels' ``KalmanFilter`` and, with
    no state noise, against ordinary least squares.
    """

    __slots__ = ("_a", "_b", "_p00", "_p01", "_p11", "_q00", "_q01", "_q11", "_r")

    def __init__(
        self,
        state: tuple[float, float],
        state_var: np.ndarray,
        obs_var: float,
        state_cov: np.ndarray,
    ) -> None:
        if not obs_var > 0.0:
            raise InvalidValueError(f"obs_var must be positive, got {obs_var}")
        self._a, self._b = float(state[0]), float(state[1])
        self._p00, self._p01, self._p11 = (
            float(state_var[0, 0]),
            float(state_var[0, 1]),
            float(state_var[1, 1]),
        )
        self._q00, self._q01, self._q11 = (
            float(state_cov[0, 0]),
            float(state_cov[0, 1]),
            float(state_cov[1, 1]),
        )
        self._r = float(obs_var)

    @classmethod
    def from_ols(cls, y: np.ndarray, x: np.ndarray, delta: float) -> KalmanHedge:
        """Start from the least-squares fit of ``y`` on ``x`` (a formation window).

        The OLS coefficients and their covariance are the initial state; the residual variance
        is ``obs_var``; the state noise is ``delta * obs_var * (X'X / n)^-1``, so ``delta`` is
        the state noise relative to the observation noise (unit-free) and the filter remembers
        roughly the last ``1 / sqrt(delta)`` bars.
        """
        n = y.shape[0]
        design = np.column_stack([np.ones(n), x])
        xtx = design.T @ design
        a, b = ols_line(y, x)
        resid = y - a - b * x
        obs_var = float(resid @ resid) / (n - 2)
        inv = np.linalg.inv(xtx)
        return cls((a, b), obs_var * inv, obs_var, delta * obs_var * n * inv)

    @property
    def alpha(self) -> float:
        """The filtered intercept."""
        return self._a

    @property
    def beta(self) -> float:
        """The filtered slope (the hedge ratio)."""
        return self._b

    @property
    def state_var(self) -> np.ndarray:
        """The filtered state covariance (2x2)."""
        return np.array([[self._p00, self._p01], [self._p01, self._p11]])

    def update(self, y: float, x: float) -> tuple[float, float]:
        """Take one observation; return the forecast error ``y - alpha - beta x`` made before
        seeing it, and that error's variance."""
        p00 = self._p00 + self._q00
        p01 = self._p01 + self._q01
        p11 = self._p11 + self._q11
        err = y - self._a - self._b * x
        h0 = p00 + p01 * x  # P h, h = (1, x)
        h1 = p01 + p11 * x
        var = h0 + h1 * x + self._r
        k0, k1 = h0 / var, h1 / var
        self._a += k0 * err
        self._b += k1 * err
        self._p00 = p00 - k0 * h0
        self._p01 = p01 - k0 * h1
        self._p11 = p11 - k1 * h1
        return err, var
