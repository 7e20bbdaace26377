"""Pairs trading: trade the mean reversion of the spread between cointegrated stocks."""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from alphaforge.domain.events import Event, OrderDenied, OrderRejected
from alphaforge.strategies.base import LONG_SHORT_ACCOUNT, Strategy, StrategyParams
from alphaforge.strategies.context import StrategyContext
from alphaforge.strategies.library._statarb import (
    KalmanHedge,
    PairCandidate,
    aligned_closes,
    select_pairs,
)
from alphaforge.strategies.registry import register
from alphaforge.strategies.schedule import Every
from alphaforge.strategies.space import FloatRange, IntRange

__all__ = ["PairDecision", "PairsTrading"]


class PairsTradingParams(StrategyParams):
    """Parameters of :class:`PairsTrading`."""

    formation: int = Field(252, ge=60, description="Bars of log prices the tests are run on.")
    reselect: Literal["M", "Q", "Y"] = Field(
        "Q", description="Calendar period of pair reselection (with reselect_every)."
    )
    reselect_every: int = Field(2, ge=1, description="Reselect every n-th period (2 x Q: 6 mo).")
    test: Literal["engle_granger", "johansen", "both"] = Field(
        "both", description="Cointegration test(s) a pair must pass."
    )
    max_pvalue: float = Field(0.05, gt=0, lt=1, description="Engle-Granger p-value to pass.")
    top_k: int = Field(1, ge=1, description="Disjoint pairs traded at once (best first).")
    require_cointegration: bool = Field(
        True, description="False: trade the best pairs even when they fail the tests."
    )
    max_half_life: float = Field(
        63.0, gt=0, description="Skip pairs whose formation spread half-life is longer (bars)."
    )
    hedge: Literal["ols", "kalman"] = Field(
        "ols", description="Hedge ratio: rolling OLS of log prices, or a Kalman filter."
    )
    hedge_window: int = Field(252, ge=20, description="Bars of the rolling OLS hedge regression.")
    z_window: int = Field(60, ge=10, description="Bars of the spread z-score (hedge='ols').")
    kalman_delta: float = Field(
        1e-4, gt=0, lt=1, description="Kalman state noise / observation noise (memory ~1/sqrt)."
    )
    entry_z: float = Field(2.0, gt=0, description="Open when the z-score is beyond +-entry_z.")
    exit_z: float = Field(0.0, ge=0, description="Close when z is back inside +-exit_z.")
    stop_z: float | None = Field(
        4.0, gt=0, description="Stop-loss when z runs beyond +-stop_z (None: no stop)."
    )
    half_life_mult: float | None = Field(
        3.0, gt=0, description="Time stop after this many spread half-lives (None: none)."
    )
    gross: float = Field(1.0, gt=0, le=4, description="Gross exposure of all pairs, x equity.")

    @model_validator(mode="after")
    def _consistent(self) -> PairsTradingParams:
        if self.exit_z >= self.entry_z:
            raise ValueError(f"exit_z ({self.exit_z}) must be below entry_z ({self.entry_z})")
        if self.stop_z is not None and self.stop_z <= self.entry_z:
            raise ValueError(f"stop_z ({self.stop_z}) must be above entry_z ({self.entry_z})")
        if self.z_window > self.hedge_window:
            raise ValueError(
                f"z_window ({self.z_window}) must not exceed hedge_window ({self.hedge_window})"
            )
        return self


Action = Literal["long", "short", "exit", "stop", "time_stop", "dropped", "denied"]


@dataclass(frozen=True)
class PairDecision:
    """One entry or exit, as the strategy saw it (``PairsTrading.decisions``)."""

    ts: int
    """The bar's UTC nanoseconds (orders go out then, filled by the run's fill rule)."""
    first: str
    second: str
    z: float
    beta: float
    action: Action


class _Book:
    """The live state of one selected pair."""

    __slots__ = ("armed", "beta", "cand", "created", "entered", "kalman", "limit", "side", "z")

    def __init__(
        self, cand: PairCandidate, kalman: KalmanHedge | None, mult: float | None, step: int
    ) -> None:
        self.cand = cand
        self.created = step
        self.kalman = kalman
        self.side = 0  # +1 long the spread (long first, short second), -1 short it
        self.entered = 0
        self.armed = True  # False after a stop until |z| is back inside entry_z
        self.z = math.nan
        self.beta = cand.beta
        self.limit = math.inf if mult is None else math.ceil(mult * cand.half_life)

    def refresh(self, cand: PairCandidate, mult: float | None) -> None:
        self.cand = cand
        self.limit = math.inf if mult is None else math.ceil(mult * cand.half_life)


@register
class PairsTrading(Strategy):
    """Trade the spread of the best cointegrated pair(s) among the given symbols.

    Idea: two stocks driven by the same economics (KO and PEP) keep a stable relation between
    their log prices, ``log A = alpha + beta log B + spread``, with a spread that mean-reverts.
    When the spread is stretched, sell the rich leg and buy the cheap one, and unwind when it
    has come back (Gatev, Goetzmann & Rouwenhorst, 2006; Vidyamurthy, 2004).

    Every ``reselect_every`` x ``reselect`` (six months by default) the strategy tests all pairs
    of its symbols on the last ``formation`` bars of log prices: Engle-Granger (both regression
    directions; the larger p-value must be <= ``max_pvalue``) and/or Johansen (trace statistic
    above its 95 % critical value), and keeps the ``top_k`` best disjoint pairs with a positive
    hedge ratio and a formation half-life (``-ln 2 / ln phi`` of the AR(1) spread) of at most
    ``max_half_life`` bars. With two symbols it trades that pair if it passes (always, with
    ``require_cointegration=False``). A pair that is no longer selected is closed.

    Each bar, per pair, the z-score of the spread: with ``hedge="ols"`` the spread of the last
    ``z_window`` bars under the rolling OLS fit of the last ``hedge_window`` bars, standardized
    by its mean and standard deviation; with ``hedge="kalman"`` the Kalman filter's one-step
    forecast error over its standard deviation (Chan, 2013, ch. 3), the filter being started
    from the formation OLS fit. Long the spread (long A, short beta x B in dollars) when
    ``z <= -entry_z``, short it when ``z >= entry_z``; close when z is back inside
    ``+-exit_z``, on a stop at ``+-stop_z``, or after ``half_life_mult`` formation half-lives
    (time stop). After a stop no new trade is opened until ``|z| < entry_z`` again. Legs are
    sized at entry to ``gross / top_k`` of equity split ``1 : beta`` and then held, not
    rebalanced. ``decisions`` lists every entry and exit with its z-score.

    Assumptions and caveats:

    * Multiple testing: 20 stocks make 190 pairs; at a 5 % level about 9 of them pass a
      single test by chance even if none is cointegrated, and the best p-value of 190 is
      small by construction. Requiring both tests (the default), two regression directions
      and a short half-life cuts the false positives, but selection bias remains: a pair that
      "passed" in the formation window often stops mean-reverting out of sample.
    * A fixed list of large caps chosen today is survivorship-biased (the companies that
      survived and grew); symbols must share one trading calendar (bars aligned by position).
    * Shorts pay the account's ``borrow_rate`` (run_defaults: 0.5 % a year) through the
      engine's financing; no hard-to-borrow events or recalls.

    Data: close prices of two or more symbols (default: the 20 stocks of ``stocks20_close``).
    References: Engle & Granger (1987), "Co-integration and error correction"; Johansen (1991),
    "Estimation and hypothesis testing of cointegration vectors in Gaussian vector
    autoregressive models"; Gatev, Goetzmann & Rouwenhorst (2006), "Pairs trading: performance
    of a relative-value arbitrage rule"; Chan (2013), "Algorithmic Trading", ch. 3.
    """

    name = "pairs_trading"
    Params = PairsTradingParams
    universe = "multi"
    min_symbols = 2
    default_data = ("stocks20_close",)
    run_defaults = LONG_SHORT_ACCOUNT

    # Gatev, Goetzmann & Rouwenhorst's 12-month formation and 2-sigma entry in the middle:
    # formation 6-24 months, z-window 20-120 bars, entry 1-3 and exit 0-1 sigma by a quarter.
    search_space = MappingProxyType(
        {
            "formation": IntRange(126, 504, 126),
            "z_window": IntRange(20, 120, 20),
            "entry_z": FloatRange(1.0, 3.0, 0.25),
            "exit_z": FloatRange(0.0, 1.0, 0.25),
        }
    )

    def on_start(self, ctx: StrategyContext) -> None:
        p = self.params
        assert isinstance(p, PairsTradingParams)  # noqa: S101  # narrowing for mypy
        self._p = p
        self._every = Every(p.reselect, p.reselect_every)
        self._books: dict[tuple[str, str], _Book] = {}
        self._step = 0
        self._selected = False
        self.decisions: list[PairDecision] = []
        self.selections: list[tuple[int, list[PairCandidate]]] = []
        """Each reselection: its UTC nanoseconds and the pairs chosen."""

    def on_step(self, ctx: StrategyContext) -> None:
        self._step += 1
        tick = self._every(ctx.now_ns)
        if tick or not self._selected:
            self._reselect(ctx)
        for book in self._books.values():
            self._decide(book, ctx)

    def on_event(self, event: Event, ctx: StrategyContext) -> None:
        """A leg refused by risk or the venue: flatten the pair rather than hold one leg."""
        if not isinstance(event, OrderDenied | OrderRejected):
            return
        for book in self._books.values():
            if book.side and event.symbol in (book.cand.first, book.cand.second):
                self._close(book, ctx, "denied")

    # ------------------------------------------------------------------ selection

    def _reselect(self, ctx: StrategyContext) -> None:
        p = self._p
        names = list(ctx.symbols)
        closes = aligned_closes(ctx, names, p.formation)
        if closes.shape[0] < p.formation:
            return  # not enough history yet: try again on the next bar
        self._selected = True
        log_prices = np.log(closes)
        chosen = select_pairs(
            log_prices,
            names,
            test=p.test,
            max_pvalue=p.max_pvalue,
            top_k=p.top_k,
            require_pass=p.require_cointegration,
            max_half_life=p.max_half_life,
        )
        self.selections.append((ctx.now_ns, chosen))
        keep = {(c.first, c.second): c for c in chosen}
        for key, book in list(self._books.items()):
            if key not in keep:
                if book.side:
                    self._close(book, ctx, "dropped")
                del self._books[key]
        for key, cand in keep.items():
            col = {s: log_prices[:, names.index(s)] for s in key}
            if key in self._books:
                self._books[key].refresh(cand, p.half_life_mult)
                continue
            kalman = None
            if p.hedge == "kalman":
                kalman = KalmanHedge.from_ols(col[key[0]], col[key[1]], p.kalman_delta)
            self._books[key] = _Book(cand, kalman, p.half_life_mult, self._step)

    # ------------------------------------------------------------------ trading

    def _zscore(self, book: _Book, ctx: StrategyContext) -> float:
        pair = (book.cand.first, book.cand.second)
        if book.kalman is not None:
            if book.created == self._step:
                return math.nan  # the filter was just fitted on this bar: no forecast error
            y, x = np.log(aligned_closes(ctx, pair, 1)[0]).tolist()
            err, var = book.kalman.update(y, x)
            book.beta = book.kalman.beta
            return err / math.sqrt(var)
        logs = np.log(aligned_closes(ctx, pair, self._p.hedge_window))
        y, x = logs[:, 0], logs[:, 1]
        xm = x.mean()
        dx = x - xm
        book.beta = float(dx @ (y - y.mean())) / float(dx @ dx)
        spread = y[-self._p.z_window :] - book.beta * x[-self._p.z_window :]
        sd = float(spread.std(ddof=1))
        return (float(spread[-1]) - float(spread.mean())) / sd if sd > 0 else math.nan

    def _decide(self, book: _Book, ctx: StrategyContext) -> None:
        p = self._p
        z = book.z = self._zscore(book, ctx)
        if not math.isfinite(z):
            return
        stop = math.inf if p.stop_z is None else p.stop_z
        if book.side == 0:
            if not book.armed:
                book.armed = abs(z) < p.entry_z
                return
            if p.entry_z <= abs(z) < stop and book.beta > 0:
                self._open(book, ctx, -1 if z > 0 else 1)
            return
        s = book.side
        reason: Literal["exit", "stop", "time_stop"] | None = None
        if s * z >= -p.exit_z:
            reason = "exit"
        elif s * z <= -stop:
            reason = "stop"
        elif self._step - book.entered >= book.limit:
            reason = "time_stop"
        if reason is not None:
            self._close(book, ctx, reason)

    def _open(self, book: _Book, ctx: StrategyContext, side: int) -> None:
        first, second = book.cand.first, book.cand.second
        size = self._p.gross / self._p.top_k / (1.0 + book.beta)
        equity = ctx.portfolio.equity()
        price_a, price_b = aligned_closes(ctx, (first, second), 1)[0].tolist()
        action: Literal["long", "short"] = "long" if side > 0 else "short"
        tag = f"{action} {first}/{second}"
        ctx.target_quantity(first, side * size * equity / price_a, tag=tag)
        ctx.target_quantity(second, -side * book.beta * size * equity / price_b, tag=tag)
        book.side, book.entered = side, self._step
        self._record(book, ctx, action)

    def _close(
        self,
        book: _Book,
        ctx: StrategyContext,
        reason: Action,
    ) -> None:
        first, second = book.cand.first, book.cand.second
        tag = f"{reason} {first}/{second}"
        ctx.target_quantity(first, 0.0, tag=tag)
        ctx.target_quantity(second, 0.0, tag=tag)
        book.side = 0
        book.armed = reason == "exit"
        self._record(book, ctx, reason)

    def _record(self, book: _Book, ctx: StrategyContext, action: Action) -> None:
        self.decisions.append(
            PairDecision(ctx.now_ns, book.cand.first, book.cand.second, book.z, book.beta, action)
        )
