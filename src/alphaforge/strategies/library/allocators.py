"""Portfolio allocators: equal weight, inverse volatility, risk parity, minimum variance and
mean-variance, each rebalanced on a calendar schedule.

They share one loop: on the first bar of each period (``freq``) they take the trailing
``lookback`` daily returns of every symbol that has that much history and printed a bar now,
turn them into target weights, and hand the weights to ``ctx.target_weights`` (sells first).
Symbols without enough history get weight 0 until they have it. The optimisation problems live
in :mod:`alphaforge.strategies.library._optimize` (cvxpy with Clarabel); a failed solve keeps
the last weights (equal weight when there are none) and the reason is kept in ``notes`` and
logged, so a 30-year run never stops halfway.

Assumptions shared by all five: symbols trade on one calendar (the last ``lookback`` bars of each
are the same days); prices are adjusted closes, so dividends are in the returns; orders decided on
a bar fill at the next bar's open (the next close for close-only data) with the run's commission
and slippage; ``invested`` (98 % by default) leaves cash so that whole-share rounding and the
price move to the fill do not push a buy past the account's 1.0x gross leverage limit.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import MappingProxyType
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from alphaforge.core.logging import get_logger
from alphaforge.domain.events import Event, OrderDenied, OrderRejected
from alphaforge.domain.market import Bar
from alphaforge.strategies.base import Strategy, StrategyParams, Universe
from alphaforge.strategies.context import StrategyContext
from alphaforge.strategies.library import _optimize as opt
from alphaforge.strategies.registry import register
from alphaforge.strategies.schedule import Every
from alphaforge.strategies.space import Choice, FloatRange, IntRange

__all__ = [
    "EqualWeight",
    "InverseVol",
    "MeanVariance",
    "MinVariance",
    "RiskParity",
]

_log = get_logger(__name__)
_YEAR = 252.0  # trading days per year: returns and covariances are annualised with it
Freq = Literal["D", "W", "M", "Q", "Y"]


class AllocatorParams(StrategyParams):
    """Parameters every allocator takes."""

    freq: Freq = Field(
        "M", description="Rebalance on the first bar of each D(ay), W(eek), M(onth), Q, Y."
    )
    invested: float = Field(
        0.98, gt=0, le=1, description="Fraction of equity invested; the rest stays in cash."
    )


class WindowParams(AllocatorParams):
    """Parameters of allocators that estimate risk on a trailing window."""

    lookback: int = Field(
        252, ge=20, le=5000, description="Trailing daily returns used to estimate risk."
    )


class CappedParams(WindowParams):
    """Parameters of the optimised allocators."""

    max_weight: float = Field(
        0.25, gt=0, le=1, description="Most any one asset may hold, as a share of `invested`."
    )


class MeanVarianceParams(CappedParams):
    """Parameters of :class:`MeanVariance`."""

    risk_aversion: float = Field(
        5.0, gt=0, description="Utility mu'w - risk_aversion/2 w'Sigma w (annual units)."
    )
    target_vol: float | None = Field(
        None,
        gt=0,
        description="Instead of the utility: most expected return with annual volatility at "
        "most this (0.15 = 15 %); when no mix is that calm the last weights are kept.",
    )
    mu_shrinkage: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Pull each trailing mean this far toward their average (1: no views).",
    )
    long_only: bool = Field(True, description="Forbid short positions.")
    max_gross: float = Field(
        1.0,
        gt=0,
        le=10,
        description="Most sum |w| when long_only is false (the account must allow shorts and "
        "this leverage).",
    )
    turnover_penalty: float = Field(
        0.0, ge=0, description="Cost per unit of one-way turnover, in annual return units."
    )
    max_turnover: float | None = Field(
        None,
        ge=0,
        description="Most sum |w - current| per rebalance, once invested (none: unlimited).",
    )

    @model_validator(mode="after")
    def _gross_covers_budget(self) -> MeanVarianceParams:
        if not self.long_only and self.max_gross < self.invested:
            raise ValueError(f"max_gross ({self.max_gross}) is below invested ({self.invested})")
        return self


class _Allocator(Strategy, ABC):
    """The shared rebalancing loop; subclasses say how returns become weights."""

    universe: ClassVar[Universe] = "multi"
    min_symbols: ClassVar[int] = 2
    default_data: ClassVar[tuple[str, ...]] = ("stocks20_close",)

    def on_start(self, ctx: StrategyContext) -> None:
        p = self.params
        assert isinstance(p, AllocatorParams)  # noqa: S101  # narrowing for mypy
        self._every = Every(p.freq)
        self._invested = p.invested
        self._bars = getattr(p, "lookback", 0) + 1  # closes needed: lookback returns
        self._seen: dict[str, int] = {}  # symbol -> ts_event of its latest bar
        self._count: dict[str, int] = {}  # symbol -> bars of it seen so far (warm-up included)
        self._last: dict[str, float] = {}
        self.notes: list[str] = []
        """What went wrong and what was done instead (solver failures, denied orders)."""
        self.allocations: list[tuple[int, dict[str, float]]] = []
        """(time, target weights) of every rebalance, in order."""

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        self._seen[bar.symbol] = bar.ts_event
        self._count[bar.symbol] = len(ctx.history(bar.symbol))

    def on_step(self, ctx: StrategyContext) -> None:
        if not self._every(ctx.now_ns):
            return
        symbols, returns = self._window(ctx)
        weights: dict[str, float] = {}
        if symbols:
            try:
                values = self.allocate(returns, ctx, symbols)
                weights = {s: float(w) for s, w in zip(symbols, values, strict=True)}
            except opt.OptimizationError as exc:
                weights = self._fallback(symbols)
                self._note(ctx, f"{exc}; kept the last weights")
        self._last = weights
        self.allocations.append((ctx.now_ns, weights))
        ctx.target_weights(weights, tag=self.strategy_name())

    def on_event(self, event: Event, ctx: StrategyContext) -> None:
        if isinstance(event, OrderDenied | OrderRejected):
            self._note(ctx, f"order {event.client_order_id} refused: {event.reason}")

    @abstractmethod
    def allocate(self, returns: np.ndarray, ctx: StrategyContext, symbols: list[str]) -> np.ndarray:
        """Weights (summing to ``invested``) for ``symbols`` from their trailing ``returns``
        (rows = days, columns = ``symbols``)."""

    def _window(self, ctx: StrategyContext) -> tuple[list[str], np.ndarray]:
        """The symbols with a bar now and enough history, and their trailing simple returns."""
        chosen: list[str] = []
        closes: list[np.ndarray] = []
        for symbol in ctx.symbols:
            if self._seen.get(symbol) != ctx.now_ns:
                continue  # no bar at this time: not listed yet, or halted
            prices = _closes(ctx, symbol, self._count[symbol], self._bars)
            if len(prices) == self._bars and np.all(np.isfinite(prices)) and prices.min() > 0:
                chosen.append(symbol)
                closes.append(prices)
        if not chosen:
            return [], np.empty((0, 0))
        matrix = np.column_stack(closes)
        return chosen, matrix[1:] / matrix[:-1] - 1.0

    def _fallback(self, symbols: list[str]) -> dict[str, float]:
        """The last weights of the symbols still eligible, else equal weight, summing to
        ``invested``."""
        kept = {s: self._last[s] for s in symbols if self._last.get(s, 0.0) > 0}
        total = sum(kept.values())
        if total <= 0:
            return {s: self._invested / len(symbols) for s in symbols}
        return {s: w * self._invested / total for s, w in kept.items()}

    def _note(self, ctx: StrategyContext, message: str) -> None:
        when = ctx.now.date().isoformat()
        self.notes.append(f"{when}: {message}")
        _log.warning("allocator.fallback", strategy=self.strategy_name(), at=when, reason=message)


@register
class EqualWeight(_Allocator):
    """Hold ``invested / N`` of equity in each of the N symbols, rebalanced every ``freq``.

    The 1/N rule (DeMiguel, Garlappi & Uppal, 2009, "Optimal versus naive diversification: how
    inefficient is the 1/N portfolio strategy?", Review of Financial Studies): with realistic
    estimation windows, no optimised portfolio they tested beat it out of sample. Data: closes of
    two or more symbols (default: the bundled 20 large caps). Needs no history: a symbol enters
    at the first rebalance after its first bar.
    """

    name = "equal_weight"
    Params = AllocatorParams

    # 1/N estimates nothing: only how often to rebalance (drift against trading costs).
    search_space = MappingProxyType({"freq": Choice(("W", "M", "Q", "Y"))})

    def allocate(self, returns: np.ndarray, ctx: StrategyContext, symbols: list[str]) -> np.ndarray:
        return np.full(len(symbols), self._invested / len(symbols))


@register
class InverseVol(_Allocator):
    """Weights proportional to 1 / (trailing volatility), summing to ``invested``.

    The naive risk-parity rule: each asset's weight times its volatility is the same, so calm
    stocks get more capital than wild ones. It ignores correlations (risk parity does not).
    Volatility: the sample standard deviation of the last ``lookback`` daily returns. Data:
    closes of two or more symbols (default: the bundled 20 large caps).
    """

    name = "inverse_vol"
    Params = WindowParams

    # A quarter to two years of daily returns for the volatilities; the rebalance period.
    search_space = MappingProxyType(
        {"lookback": IntRange(63, 504, 63), "freq": Choice(("W", "M", "Q"))}
    )

    def allocate(self, returns: np.ndarray, ctx: StrategyContext, symbols: list[str]) -> np.ndarray:
        variances = returns.var(axis=0, ddof=1)
        return opt.inverse_vol_weights(np.diag(variances), budget=self._invested)


@register
class RiskParity(_Allocator):
    """Equal risk contribution: each asset carries the same share of portfolio variance.

    Maillard, Roncalli & Teiletche (2010), "The properties of equally weighted risk contribution
    portfolios", Journal of Portfolio Management; solved as the convex program of Spinu (2013),
    "An algorithm for computing risk parity weights". Covariance: Ledoit-Wolf (2004) shrinkage of
    the last ``lookback`` daily returns. Long only, fully invested at ``invested``; no leverage
    (the textbook risk-parity fund levers the result; this one does not). Data: closes of two or
    more symbols (default: the bundled 20 large caps).
    """

    name = "risk_parity"
    Params = WindowParams

    # A quarter to two years of daily returns for the covariance; the rebalance period.
    search_space = MappingProxyType(
        {"lookback": IntRange(63, 504, 63), "freq": Choice(("W", "M", "Q"))}
    )

    def allocate(self, returns: np.ndarray, ctx: StrategyContext, symbols: list[str]) -> np.ndarray:
        cov = opt.ledoit_wolf_cov(returns, _YEAR)
        return opt.risk_parity_weights(cov, budget=self._invested)


@register
class MinVariance(_Allocator):
    """Long-only minimum variance: the least volatile mix, each asset at most ``max_weight``.

    Needs no expected returns, only a covariance matrix, which is why it holds up out of sample
    (Clarke, de Silva & Thorley, 2006, "Minimum-variance portfolios in the U.S. equity market",
    Journal of Portfolio Management). Covariance: Ledoit-Wolf (2004) shrinkage of the last
    ``lookback`` daily returns. It concentrates in low-volatility stocks (staples, health care,
    utilities); ``max_weight`` caps that. Data: closes of two or more symbols.
    """

    name = "min_variance"
    Params = CappedParams

    # Covariance window and rebalance period as risk_parity; a cap of 5 % (1/N of 20 stocks)
    # to 50 % per name, the lever that stops it piling into a few calm stocks.
    search_space = MappingProxyType(
        {
            "lookback": IntRange(63, 504, 63),
            "freq": Choice(("W", "M", "Q")),
            "max_weight": FloatRange(0.05, 0.5, 0.05),
        }
    )

    def allocate(self, returns: np.ndarray, ctx: StrategyContext, symbols: list[str]) -> np.ndarray:
        p = self.params
        assert isinstance(p, CappedParams)  # noqa: S101  # narrowing for mypy
        cov = opt.ledoit_wolf_cov(returns, _YEAR)
        cap = max(p.max_weight, 1.0 / len(symbols))  # few assets: the cap gives way to the budget
        return opt.min_variance_weights(cov, max_weight=cap, budget=self._invested)


@register
class MeanVariance(_Allocator):
    """Markowitz mean-variance under constraints, from trailing means and a shrunk covariance.

    Maximises ``mu'w - risk_aversion/2 w'Sigma w - turnover_penalty |w - w_now|_1`` (or, with
    ``target_vol``, the expected return at that volatility) subject to ``sum w = invested``,
    ``0 <= w <= max_weight`` (or ``|w| <= max_weight``, ``sum |w| <= max_gross`` when not long
    only) and an optional ``max_turnover``; ``w_now`` is the current portfolio.
    ``mu``: the annualised mean of the last ``lookback`` daily returns, shrunk ``mu_shrinkage``
    toward the cross-sectional average; ``Sigma``: Ledoit-Wolf (2004).

    Be warned: a one-year trailing mean is mostly noise (its standard error is about the stock's
    annual volatility, 25-35 %), and mean-variance is an "error maximiser" (Michaud, 1989) that
    bets hardest on the largest errors; the shrinkage, the weight cap and the turnover terms are
    there to limit the damage. Markowitz (1952), "Portfolio selection", Journal of Finance.
    Data: closes of two or more symbols (default: the bundled 20 large caps).
    """

    name = "mean_variance"
    Params = MeanVarianceParams

    # Window, cap, risk aversion 1-20 (a log-like grid around 5) and the pull of the means
    # toward their average: the knobs that decide how much the noisy means are believed.
    search_space = MappingProxyType(
        {
            "lookback": IntRange(63, 504, 63),
            "max_weight": FloatRange(0.1, 0.5, 0.05),
            "risk_aversion": Choice((1.0, 2.0, 5.0, 10.0, 20.0)),
            "mu_shrinkage": FloatRange(0.0, 1.0, 0.25),
        }
    )

    def allocate(self, returns: np.ndarray, ctx: StrategyContext, symbols: list[str]) -> np.ndarray:
        p = self.params
        assert isinstance(p, MeanVarianceParams)  # noqa: S101  # narrowing for mypy
        cov = opt.ledoit_wolf_cov(returns, _YEAR)
        mu = opt.shrunk_mean(returns, p.mu_shrinkage, _YEAR)
        current = np.array([ctx.portfolio.weight(s) for s in symbols])
        invested = bool(np.abs(current).sum() > 0)  # the first purchase is not held to the limit
        return opt.mean_variance_weights(
            mu,
            cov,
            risk_aversion=p.risk_aversion,
            target_vol=p.target_vol,
            long_only=p.long_only,
            max_weight=max(p.max_weight, 1.0 / len(symbols)),
            max_gross=p.max_gross,
            budget=self._invested,
            current=current,
            turnover_penalty=p.turnover_penalty,
            max_turnover=p.max_turnover if invested else None,
        )


def _closes(ctx: StrategyContext, symbol: str, end: int, n: int) -> np.ndarray:
    """The last ``n`` closes of ``symbol`` up to its ``end``-th bar, the one seen in ``on_bar``.

    Cut at the bar count recorded in ``on_bar`` rather than at the stream's current end, so a
    decision in ``on_step`` cannot read a bar of the next timestamp even if the runtime has
    already advanced that symbol's stream to it."""
    return ctx.history(symbol, "close")[max(0, end - n) : end]
