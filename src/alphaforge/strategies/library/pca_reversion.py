"""PCA residual mean reversion: Avellaneda & Lee's statistical arbitrage on a stock basket."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from alphaforge.domain.errors import InvalidValueError
from alphaforge.strategies.base import LONG_SHORT_ACCOUNT, Strategy, StrategyParams
from alphaforge.strategies.context import StrategyContext
from alphaforge.strategies.library._statarb import aligned_closes, ou_fit
from alphaforge.strategies.registry import register
from alphaforge.strategies.schedule import Every
from alphaforge.strategies.space import FloatRange, IntRange

__all__ = ["PcaReversion", "ResidualDecision", "hedged_book"]


class PcaReversionParams(StrategyParams):
    """Parameters of :class:`PcaReversion`."""

    pca_window: int = Field(252, ge=40, description="Bars of returns the PCA is fitted on.")
    n_factors: int = Field(3, ge=1, description="Principal components used as risk factors.")
    variance_explained: float | None = Field(
        None, gt=0, lt=1, description="If set: fewest factors explaining this share (cap n-1)."
    )
    refit: Literal["D", "W", "M"] = Field("W", description="How often the PCA is refitted.")
    regression_window: int = Field(
        60, ge=20, description="Bars of the factor regression and of the OU fit (daily)."
    )
    s_entry: float = Field(1.25, gt=0, description="Open long below -s_entry, short above it.")
    s_exit_long: float = Field(0.5, ge=0, description="Close a long when s > -s_exit_long.")
    s_exit_short: float = Field(0.75, ge=0, description="Close a short when s < s_exit_short.")
    min_kappa: float = Field(
        252.0 / 30.0, ge=0, description="Open only if the OU speed kappa (1/yr) exceeds this."
    )
    center: bool = Field(True, description="Subtract the cross-sectional mean of m (A&L).")
    weight: float = Field(0.1, gt=0, le=1, description="Fraction of equity per open name.")
    neutral: Literal["factors", "dollar", "none"] = Field(
        "factors", description="Hedge the book's factor betas, its net dollars, or nothing."
    )
    max_gross: float = Field(1.5, gt=0, le=4, description="Scale the book down to this gross.")
    band: float = Field(
        0.01, ge=0, le=1, description="Resize a held name only if its weight is off by more."
    )

    @model_validator(mode="after")
    def _consistent(self) -> PcaReversionParams:
        if self.s_exit_long >= self.s_entry or self.s_exit_short >= self.s_entry:
            raise ValueError(
                f"s_exit_long ({self.s_exit_long}) and s_exit_short ({self.s_exit_short}) "
                f"must be below s_entry ({self.s_entry})"
            )
        if self.regression_window > self.pca_window:
            raise ValueError(
                f"regression_window ({self.regression_window}) must not exceed pca_window "
                f"({self.pca_window})"
            )
        return self


@dataclass(frozen=True)
class ResidualDecision:
    """One opened or closed name (``PcaReversion.decisions``)."""

    ts: int
    symbol: str
    s: float
    kappa: float
    action: Literal["long", "short", "close"]


class _Factors:
    """A PCA fit: standardization of returns and the factor loadings (components)."""

    __slots__ = ("components", "mean", "sd")

    def __init__(self, returns: np.ndarray, n_factors: int, share: float | None) -> None:
        self.mean: np.ndarray = returns.mean(axis=0)
        sd = returns.std(axis=0, ddof=1)
        self.sd: np.ndarray = np.where(sd > 0, sd, 1.0)
        z = (returns - self.mean) / self.sd
        cap = returns.shape[1] - 1
        from sklearn.decomposition import PCA  # noqa: PLC0415  # heavy: only when fitting

        pca = PCA(n_components=cap if share is not None else min(n_factors, cap))
        pca.fit(z)
        k = pca.n_components_
        if share is not None:
            k = int(np.searchsorted(np.cumsum(pca.explained_variance_ratio_), share) + 1)
            k = min(k, cap)
        self.components: np.ndarray = np.asarray(pca.components_[:k])  # (k, names)

    def returns(self, returns: np.ndarray) -> np.ndarray:
        """Factor (eigenportfolio) returns of the rows of ``returns`` (up to a constant)."""
        return np.asarray(((returns - self.mean) / self.sd) @ self.components.T)

    def portfolios(self) -> np.ndarray:
        """Dollar weights of each eigenportfolio (k, names): ``component / sd``."""
        return np.asarray(self.components / self.sd)


@register
class PcaReversion(Strategy):
    """Trade each stock's factor-neutral residual back to its mean (Avellaneda & Lee, 2010).

    Idea: a stock's return is part common factors and part idiosyncratic; the idiosyncratic
    part, cumulated, behaves like a mean-reverting Ornstein-Uhlenbeck process over weeks. Buy
    stocks whose residual is unusually low, sell those unusually high, hedged against the
    factors, and unwind as the residual reverts.

    Steps, on the basket of symbols (default: the 20 stocks of ``stocks20_close``):

    1. Factors (refitted every ``refit`` period): PCA (scikit-learn) of the standardized daily
       returns of the last ``pca_window`` bars, only that trailing window; the first
       ``n_factors`` components (or the fewest reaching ``variance_explained``) define
       eigenportfolios whose returns are the factors.
    2. Daily, per stock: regress its returns of the last ``regression_window`` bars on the
       factor returns (with intercept); the cumulated residual ``X`` is fitted as an AR(1) /
       OU process: ``kappa = -252 ln b``, ``m = a / (1 - b)``, ``sigma_eq``. The s-score is
       ``s = (X_T - m) / sigma_eq`` (``m`` less its cross-sectional mean when ``center``).
    3. Open long when ``s < -s_entry``, short when ``s > s_entry``, only where
       ``kappa > min_kappa`` (mean reversion within about 30 trading days); close a long when
       ``s > -s_exit_long``, a short when ``s < s_exit_short`` (or when the fit no longer mean-
       reverts).
    4. Each open name gets ``+-weight`` of equity; the book is hedged (``neutral="factors"``:
       minus the eigenportfolios that cancel its factor betas, as in the paper; ``"dollar"``:
       minus its mean weight on every name) and scaled to at most ``max_gross``. The book is
       rebalanced only when a name opens or closes. ``decisions`` lists them with their s.

    Assumptions and caveats: 20 large caps are a tiny cross-section next to the paper's ~1,000
    stocks (the residuals of 20 names on 3 factors are noisy, and the first factor is close to
    their equal-weighted average); the list is chosen today and survivorship-biased; symbols
    must share a trading calendar; shorts pay ``borrow_rate`` (0.5 % a year by default).

    Data: close prices of several symbols sharing one calendar. Reference: Avellaneda & Lee
    (2010), "Statistical arbitrage in the US equities market", Quantitative Finance 10(7).
    """

    name = "pca_reversion"
    Params = PcaReversionParams
    universe = "multi"
    min_symbols = 4
    default_data = ("stocks20_close",)
    run_defaults = LONG_SHORT_ACCOUNT

    # Avellaneda & Lee's 60-day window and s_entry 1.25, exit 0.5 in the middle; 1-5 factors
    # for a 20-stock basket (they use 15 for the whole US market).
    search_space = MappingProxyType(
        {
            "n_factors": IntRange(1, 5),
            "regression_window": IntRange(40, 120, 20),
            "s_entry": FloatRange(1.0, 2.0, 0.25),
            "s_exit_long": FloatRange(0.0, 1.0, 0.25),
        }
    )

    def on_start(self, ctx: StrategyContext) -> None:
        p = self.params
        assert isinstance(p, PcaReversionParams)  # noqa: S101  # narrowing for mypy
        if p.n_factors >= len(ctx.symbols):
            raise InvalidValueError(
                f"pca_reversion: n_factors ({p.n_factors}) must be below the number of symbols "
                f"({len(ctx.symbols)})"
            )
        self._p = p
        self._names = list(ctx.symbols)
        self._every = Every(p.refit)
        self._factors: _Factors | None = None
        self._side = np.zeros(len(self._names))
        self.decisions: list[ResidualDecision] = []

    def on_step(self, ctx: StrategyContext) -> None:
        p = self._p
        tick = self._every(ctx.now_ns)
        closes = aligned_closes(ctx, self._names, p.pca_window + 1)
        if closes.shape[0] < p.pca_window + 1:
            return
        returns = closes[1:] / closes[:-1] - 1.0
        if tick or self._factors is None:
            self._factors = _Factors(returns, p.n_factors, p.variance_explained)
        s, kappa, betas = self._scores(returns[-p.regression_window :], self._factors)
        side = self._signals(s, kappa)
        if np.array_equal(side, self._side):
            return
        for i in np.flatnonzero(side != self._side):
            action: Literal["long", "short", "close"] = (
                "close" if side[i] == 0 else ("long" if side[i] > 0 else "short")
            )
            self.decisions.append(
                ResidualDecision(ctx.now_ns, self._names[i], float(s[i]), float(kappa[i]), action)
            )
        changed = side != self._side
        self._side = side
        self._trade(ctx, hedged_book(side, betas, self._factors, p), changed)

    def _trade(self, ctx: StrategyContext, weights: np.ndarray, changed: np.ndarray) -> None:
        """Move to ``weights``: names whose signal changed, and others off by more than
        ``band`` (hedges drift a little every day; chasing them would only pay costs)."""
        view = ctx.portfolio
        held = np.array([view.weight(s) for s in self._names])
        move = changed | (np.abs(weights - held) > self._p.band) | ((weights == 0) != (held == 0))
        # Orders that shrink or flip positions first, so risk sees the lower exposure first.
        order = sorted(np.flatnonzero(move), key=lambda i: abs(weights[i]) >= abs(held[i]))
        for i in order:
            ctx.target_percent(self._names[i], float(weights[i]), tag="pca")

    def _scores(
        self, returns: np.ndarray, factors: _Factors
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """s-scores, OU speeds and factor betas (names, k) from the regression window."""
        f = factors.returns(returns)
        design = np.column_stack([np.ones(returns.shape[0]), f])
        coef, *_ = np.linalg.lstsq(design, returns, rcond=None)
        resid = returns - design @ coef
        x = np.cumsum(resid, axis=0)
        ou = ou_fit(x)
        m = ou.m - np.nanmean(ou.m) if self._p.center and np.isfinite(ou.m).any() else ou.m
        with np.errstate(invalid="ignore", divide="ignore"):
            s = (x[-1] - m) / ou.sigma_eq
        return s, ou.kappa, coef[1:].T

    def _signals(self, s: np.ndarray, kappa: np.ndarray) -> np.ndarray:
        p = self._p
        side = self._side.copy()
        fast = np.nan_to_num(kappa, nan=0.0) > p.min_kappa
        valid = np.isfinite(s)
        flat = side == 0
        side[flat & valid & fast & (s < -p.s_entry)] = 1.0
        side[flat & valid & fast & (s > p.s_entry)] = -1.0
        side[(self._side > 0) & (~valid | (s > -p.s_exit_long))] = 0.0
        side[(self._side < 0) & (~valid | (s < p.s_exit_short))] = 0.0
        return side


def hedged_book(
    side: np.ndarray, betas: np.ndarray, factors: _Factors, p: PcaReversionParams
) -> np.ndarray:
    """Target weights: ``+-weight`` per open name (``side``), hedged per ``p.neutral``, scaled
    to at most ``p.max_gross``. ``betas`` (names, k) are the names' factor betas."""
    w = p.weight * side
    if p.neutral == "factors" and side.any():
        exposure = w @ betas  # (k,): the book's beta to each factor
        w = w - exposure @ factors.portfolios()  # each eigenportfolio returns its factor
    elif p.neutral == "dollar" and side.any():
        w = w - w.mean()
    gross = float(np.abs(w).sum())
    if gross > p.max_gross:
        w = w * (p.max_gross / gross)
    return np.where(np.abs(w) < 1e-9, 0.0, w)
