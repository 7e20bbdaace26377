"""Index tracking and index arbitrage: the S&P 500 against an optimised basket of stocks.

Every ``refit`` period the strategy finds the long-only basket of the stocks whose daily returns
best track the index's over the last ``fit_window`` days (least squares, weights summing to one,
each at most ``max_weight``; cvxpy). The basket is then held, share for share, until the next
fit; its value is chained across fits, so ``spread = log(index) - log(basket)`` is one unbroken
series. When the spread's z-score over ``z_window`` days rises above ``entry_z`` the index is rich
against the basket: short the index, buy the basket (and the reverse below ``-entry_z``); exit
when ``|z| < exit_z``; stop out when ``|z| > stop_z`` (and wait for ``|z| < exit_z`` before the
next entry). Each leg is ``leg_weight`` of equity. A refit while a trade is open rebalances the
basket leg to the new weights. Every leg trades through the engine, so commission, slippage and
the stock-loan fee on the short leg are all paid, rebalancing included.

The tracking error of each fit is recorded twice: in sample (on the window it was fitted on) and
out of sample (over the days it was then held), in ``fits``; ``tracking_summary()`` averages
them. The gap between the two is the honest measure of how well a 20-stock basket tracks.
"""

from __future__ import annotations

import math
from collections import deque
from types import MappingProxyType
from typing import ClassVar, Literal, NamedTuple

import numpy as np
from pydantic import Field, model_validator

from alphaforge.core.logging import get_logger
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.events import Event, OrderDenied, OrderRejected
from alphaforge.domain.market import Bar
from alphaforge.strategies.base import LONG_SHORT_ACCOUNT, Strategy, StrategyParams, Universe
from alphaforge.strategies.context import StrategyContext
from alphaforge.strategies.library import _optimize as opt
from alphaforge.strategies.registry import register
from alphaforge.strategies.schedule import Every
from alphaforge.strategies.space import FloatRange, IntRange

__all__ = ["IndexTracking", "IndexTrackingParams", "TrackingFit"]

_log = get_logger(__name__)
_YEAR = 252.0


class IndexTrackingParams(StrategyParams):
    """Parameters of :class:`IndexTracking`."""

    index_symbol: str = Field("SPX", min_length=1, description="The index's symbol in the data.")
    fit_window: int = Field(
        252, ge=20, le=5000, description="Trailing daily returns the basket is fitted on."
    )
    refit: Literal["M", "Q", "Y"] = Field(
        "Q", description="Re-optimise the basket on the first bar of each M(onth), Q, Y."
    )
    max_weight: float = Field(
        0.25, gt=0, le=1, description="Most any one stock may weigh in the basket."
    )
    z_window: int = Field(60, ge=5, le=2000, description="Days of spread in the z-score.")
    entry_z: float = Field(2.0, gt=0, description="Open a trade when |z| rises above this.")
    exit_z: float = Field(0.5, ge=0, description="Close it when |z| falls below this.")
    stop_z: float = Field(4.0, gt=0, description="Close it when |z| rises above this (a stop).")
    leg_weight: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Each leg's size, as a fraction of equity (both legs grow with the market "
        "while a trade is open; the simulated account calls margin at 2x gross).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> IndexTrackingParams:
        if not self.exit_z < self.entry_z < self.stop_z:
            raise ValueError(
                f"need exit_z < entry_z < stop_z, got {self.exit_z}, {self.entry_z}, {self.stop_z}"
            )
        return self


class TrackingFit(NamedTuple):
    """One basket fit: when, the weights, and its annualised tracking error in and out of sample
    (``out_of_sample`` is NaN until the basket has been held for two days)."""

    ts_ns: int
    weights: dict[str, float]
    in_sample: float
    out_of_sample: float
    days_held: int


@register
class IndexTracking(Strategy):
    """Trade the spread between the S&P 500 and a basket of stocks fitted to track it.

    See the module docstring for the rules. References: Roll (1992), "A mean/variance analysis of
    tracking error", Journal of Portfolio Management; Rudolf, Wolter & Zimmermann (1999), "A
    linear model for tracking error minimization", Journal of Banking & Finance; Alexander &
    Dimitriu (2005), "Indexing and statistical arbitrage", Journal of Portfolio Management.

    Assumptions: the index is not itself tradable; it is traded as if through a future or ETF
    that sits exactly at the index level (no basis, no tracking error of its own, no dividends:
    the bundled index is a price index while the stocks' closes are dividend-adjusted, so the
    spread drifts by the dividend yield, which the rolling z-score absorbs). The stocks are 20
    large caps chosen with hindsight (survivors). Data: ``sp500_index_close`` and
    ``stocks20_close`` (closes only), on one calendar. Needs shorting and 2x gross leverage
    (``run_defaults``; a 0.5 % stock-loan fee on the short leg).
    """

    name = "index_tracking"
    Params = IndexTrackingParams
    universe: ClassVar[Universe] = "multi"
    min_symbols: ClassVar[int] = 3
    default_data: ClassVar[tuple[str, ...]] = ("sp500_index_close", "stocks20_close")
    run_defaults = LONG_SHORT_ACCOUNT

    # Half a year to two years of fit, a month to half a year of z-score, entry 1-3 and exit
    # 0-1 sigma around the defaults 2 and 0.5 (the stop stays at 4).
    search_space = MappingProxyType(
        {
            "fit_window": IntRange(126, 504, 63),
            "z_window": IntRange(20, 120, 20),
            "entry_z": FloatRange(1.0, 3.0, 0.5),
            "exit_z": FloatRange(0.0, 1.0, 0.25),
        }
    )

    def on_start(self, ctx: StrategyContext) -> None:
        p = self.params
        assert isinstance(p, IndexTrackingParams)  # noqa: S101  # narrowing for mypy
        self._p = p
        index = p.index_symbol.upper()
        if index not in ctx.symbols:
            raise InvalidValueError(
                f"index_tracking: index {index!r} is not in the data "
                f"(symbols: {', '.join(ctx.symbols)}); pass index_symbol="
            )
        self._index = index
        self._stocks = [s for s in ctx.symbols if s != index]
        self._refit = Every(p.refit)
        self._close: dict[str, float] = {}
        self._seen: dict[str, int] = {}
        self._count: dict[str, int] = {}  # bars of each symbol seen so far (warm-up included)
        self._weights: dict[str, float] = {}  # basket weights of the last fit
        self._anchor: dict[str, float] = {}  # stock closes at the last fit
        self._base = 1.0  # basket value at the last fit (chained across fits)
        self._basket = math.nan  # basket value now
        self._last_index = math.nan
        self._spreads: deque[float] = deque(maxlen=p.z_window)
        self._diffs: list[float] = []  # basket minus index daily returns since the last fit
        self._side = 0  # +1 long index / short basket, -1 short index / long basket
        self._stopped = False
        self.fits: list[TrackingFit] = []
        self.notes: list[str] = []

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        self._close[bar.symbol] = bar.close
        self._seen[bar.symbol] = bar.ts_event
        self._count[bar.symbol] = len(ctx.history(bar.symbol))

    def on_step(self, ctx: StrategyContext) -> None:
        if self._seen.get(self._index) != ctx.now_ns:
            return  # no index print now (a stock-only day): nothing to compare
        refit = self._refit(ctx.now_ns)
        if self._weights:
            self._mark()
        if refit:
            self._fit(ctx)
        if not self._weights:
            return
        spread = math.log(self._close[self._index]) - math.log(self._basket)
        self._spreads.append(spread)
        if len(self._spreads) < self._p.z_window:
            return
        values = np.fromiter(self._spreads, float, len(self._spreads))
        std = float(values.std())
        if std <= 0:
            return
        self._trade(ctx, (spread - float(values.mean())) / std, refit)

    def on_event(self, event: Event, ctx: StrategyContext) -> None:
        if isinstance(event, OrderDenied | OrderRejected):
            self._note(ctx, f"order {event.client_order_id} refused: {event.reason}")

    def on_stop(self, ctx: StrategyContext) -> None:
        self._close_fit()

    def tracking_summary(self) -> dict[str, float]:
        """Mean annualised tracking error of the fits, in sample and out of sample, and how
        many fits were held out of sample."""
        held = [f for f in self.fits if not math.isnan(f.out_of_sample)]
        return {
            "fits": float(len(self.fits)),
            "in_sample": float(np.mean([f.in_sample for f in held])) if held else math.nan,
            "out_of_sample": float(np.mean([f.out_of_sample for f in held])) if held else math.nan,
        }

    # ------------------------------------------------------------------ internals

    def _mark(self) -> None:
        """Move the basket to today's closes and record its return against the index's."""
        before, index_before = self._basket, self._last_index
        self._basket = self._base * sum(
            w * self._close[s] / self._anchor[s] for s, w in self._weights.items()
        )
        index_now = self._close[self._index]
        self._diffs.append(self._basket / before - index_now / index_before)
        self._last_index = index_now

    def _fit(self, ctx: StrategyContext) -> None:
        """Fit a new basket on the trailing window (keep the old one when the fit fails)."""
        need = self._p.fit_window + 1
        index = self._closes(ctx, self._index, need)
        stocks = [
            s for s in self._stocks if self._seen.get(s) == ctx.now_ns and self._count[s] >= need
        ]
        if len(index) < need or not stocks:
            return  # not enough history yet
        prices = np.column_stack([self._closes(ctx, s, need) for s in stocks])
        assets = prices[1:] / prices[:-1] - 1.0
        target = index[1:] / index[:-1] - 1.0
        cap = max(self._p.max_weight, 1.0 / len(stocks))
        try:
            w = opt.tracking_weights(assets, target, max_weight=cap)
        except opt.OptimizationError as exc:
            self._note(ctx, f"{exc}; kept the last basket")
            return
        self._close_fit()
        in_sample = float(np.std(assets @ w - target, ddof=1) * math.sqrt(_YEAR))
        weights = {s: float(x) for s, x in zip(stocks, w, strict=True) if x > 0}
        self.fits.append(TrackingFit(ctx.now_ns, weights, in_sample, math.nan, 0))
        if not math.isnan(self._basket):
            self._base = self._basket
        self._basket = self._base
        self._weights = weights
        self._anchor = {s: self._close[s] for s in weights}
        self._last_index = self._close[self._index]
        self._diffs = []

    def _closes(self, ctx: StrategyContext, symbol: str, n: int) -> np.ndarray:
        """The last ``n`` closes of ``symbol`` up to the bar seen in ``on_bar``: cut at the
        recorded bar count, not at the stream's end, so no bar of a later timestamp can leak
        into a decision even if the runtime has already advanced that stream."""
        end = self._count[symbol]
        return ctx.history(symbol, "close")[max(0, end - n) : end]

    def _close_fit(self) -> None:
        """Write the out-of-sample tracking error of the basket held since the last fit."""
        if not self.fits or len(self._diffs) < 2:
            return
        last = self.fits[-1]
        error = float(np.std(self._diffs, ddof=1) * math.sqrt(_YEAR))
        self.fits[-1] = last._replace(out_of_sample=error, days_held=len(self._diffs))

    def _trade(self, ctx: StrategyContext, z: float, refit: bool) -> None:
        p = self._p
        side = self._side
        if self._stopped and abs(z) < p.exit_z:
            self._stopped = False
        if side and abs(z) > p.stop_z:
            self._stopped = True
            self._go(ctx, 0, f"stop z={z:.2f}")
        elif side and abs(z) < p.exit_z:
            self._go(ctx, 0, f"exit z={z:.2f}")
        elif not side and not self._stopped and abs(z) > p.entry_z and abs(z) <= p.stop_z:
            self._go(ctx, -1 if z > 0 else 1, f"enter z={z:.2f}")
        elif side and refit:
            self._go(ctx, side, "refit")  # hold the trade, but with the new basket

    def _go(self, ctx: StrategyContext, side: int, tag: str) -> None:
        """Hold ``side`` x the index against ``-side`` x the basket, each ``leg_weight``."""
        self._side = side
        size = side * self._p.leg_weight
        value = {s: w * self._close[s] / self._anchor[s] for s, w in self._weights.items()}
        total = sum(value.values())
        targets = {s: -size * v / total for s, v in value.items()} if side else {}
        targets[self._index] = size
        held = ctx.portfolio.weights()
        for symbol in set(held) - set(targets):
            targets[symbol] = 0.0
        # orders that shrink a position go first (ctx.target_weights sends sells first, which for
        # a short basket would grow it before the buys shrink it, passing the leverage limit)
        for symbol in sorted(
            targets, key=lambda s: (not _shrinks(held.get(s, 0.0), targets[s]), s)
        ):
            ctx.target_percent(symbol, targets[symbol], tag=tag)

    def _note(self, ctx: StrategyContext, message: str) -> None:
        when = ctx.now.date().isoformat()
        self.notes.append(f"{when}: {message}")
        _log.warning("index_tracking.note", at=when, reason=message)


def _shrinks(now: float, target: float) -> bool:
    """Whether going from weight ``now`` to ``target`` reduces the position's size."""
    return abs(target) < abs(now) or now * target < 0
