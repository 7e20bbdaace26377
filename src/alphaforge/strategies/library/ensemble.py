"""Ensemble: several strategies vote on each symbol's position; the ensemble trades the blend."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.market import Bar
from alphaforge.strategies.base import Strategy, StrategyParams
from alphaforge.strategies.context import StrategyContext
from alphaforge.strategies.library._ensemble import MemberContext, combine, performance_shares
from alphaforge.strategies.registry import UnknownStrategyError, get_strategy, register
from alphaforge.strategies.space import FloatRange, IntRange

__all__ = ["Ensemble", "MemberSpec"]

_TAG = "ensemble"


class MemberSpec(BaseModel):
    """One member: a registered strategy, its parameters and its static weight."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: str = Field(description="Registry name of the member strategy.")
    params: dict[str, Any] = Field(default_factory=dict, description="Its parameters.")
    weight: float = Field(1.0, gt=0, description="Static weight (relative to the others).")


_DEFAULT_MEMBERS = (
    MemberSpec(strategy="sma_cross", params={"fast": 20, "slow": 100}),
    MemberSpec(strategy="rsi_reversion"),
    MemberSpec(strategy="buy_and_hold"),
)


class EnsembleParams(StrategyParams):
    """Parameters of :class:`Ensemble`."""

    members: tuple[MemberSpec, ...] = Field(
        _DEFAULT_MEMBERS,
        min_length=1,
        description="Members: [{strategy, params, weight}, ...] (JSON on the command line).",
    )
    mode: Literal["average", "vote"] = Field(
        "average",
        description="average: weighted mean of the members' weights; vote: the side with "
        "more than quorum of the weight wins.",
    )
    weighting: Literal["static", "performance"] = Field(
        "performance",
        description="static: the members' weights; performance: weights times the positive "
        "part of each member's trailing Sharpe ratio.",
    )
    window: int = Field(126, ge=2, description="Bars of trailing virtual returns (performance).")
    floor: float = Field(0.0, ge=0, le=1, description="Least share of one member (performance).")
    cap: float = Field(1.0, gt=0, le=1, description="Largest share of one member (performance).")
    quorum: float = Field(0.5, ge=0, lt=1, description="Share a side needs to win a vote.")
    band: float = Field(
        0.05,
        ge=0,
        lt=1,
        description="Trade only when the blended weight moves this much (exits always trade).",
    )
    allow_short: bool = Field(
        False, description="Keep negative blends (the run must allow shorts); else go flat."
    )

    @model_validator(mode="after")
    def _consistent(self) -> EnsembleParams:
        n = len(self.members)
        if self.floor * n > 1 + 1e-12 or self.cap * n < 1 - 1e-12:
            raise ValueError(
                f"floor={self.floor} and cap={self.cap} cannot hold for {n} members "
                f"(need floor * {n} <= 1 <= cap * {n})"
            )
        for i, member in enumerate(self.members):
            try:
                get_strategy(member.strategy).parse_params(member.params)
            except (UnknownStrategyError, InvalidValueError) as exc:  # say which member
                raise ValueError(f"member {i} ({member.strategy}): {exc}") from None
        return self


class _Member:
    """A running member: its strategy, its capturing context and whether it has ``on_step``."""

    __slots__ = ("ctx", "label", "stepper", "strategy")

    def __init__(self, spec: MemberSpec, index: int, ctx: StrategyContext) -> None:
        cls = get_strategy(spec.strategy)
        self.label = f"m{index}:{spec.strategy}"
        self.strategy = cls(spec.params)
        self.ctx = MemberContext(ctx, self.label)
        self.stepper = type(self.strategy).on_step is not Strategy.on_step


@register
class Ensemble(Strategy):
    """Blend member strategies' positions per symbol, weighted statically or by recent skill.

    Idea: combining forecasts beats picking one (Bates & Granger, 1969; Timmermann, 2006,
    "Forecast combinations"): members' errors partly cancel. Each member runs unchanged on a
    capturing context: its ``target_*`` calls and market orders become a *vote* (the weight of
    equity it wants in the symbol) instead of orders. After all members saw a timestamp, the
    ensemble blends the votes (``average``: share-weighted mean; ``vote``: a weighted majority
    of signs) and trades the blend with ``target_percent`` when it moved by ``band`` or more.
    ``performance`` weighting scores each member by the positive part of the Sharpe ratio of its
    virtual returns (its previous vote times the asset's close-to-close return) over the last
    ``window`` bars of that symbol, falling back to the static weights until ``window`` bars
    have passed or while no member scores above 0.

    Assumptions and limits: members see the real history and indicators but their own virtual
    book as ``ctx.portfolio`` (votes at the account's equity); they get no ``on_fill`` or
    ``on_event``. Raw limit and stop orders of a member are not counted (they may never fill);
    raw market orders count as filled at the last close. Members' ``run_defaults`` are not
    applied: a member that shorts needs ``allow_short=true`` here and a run that allows shorts.
    Votes decided on a bar's close trade at the next bar's open, like any order. Data: close
    prices, plus whatever fields the members read: the run checks only the ensemble's own
    ``needs`` (close), and close-only data carries open = high = low = close, so give members
    that read highs and lows OHLC data. Each symbol is blended on its own.
    """

    name = "ensemble"
    Params = EnsembleParams

    # The combiner only: a trailing Sharpe over 1 to 12 months, a no-trade band of 0-10 %. The
    # members' parameters are given, not searched (tune a member on its own).
    search_space = MappingProxyType(
        {"window": IntRange(21, 252, 21), "band": FloatRange(0.0, 0.1, 0.025)}
    )

    def on_start(self, ctx: StrategyContext) -> None:
        p = self.params
        assert isinstance(p, EnsembleParams)  # noqa: S101  # narrowing for mypy
        self._p = p
        self.members = [_Member(spec, i, ctx) for i, spec in enumerate(p.members)]
        self._check_members(ctx)
        self._static = np.array([spec.weight for spec in p.members], dtype=np.float64)
        self._static /= self._static.sum()
        self._returns = {s: np.zeros((len(self.members), p.window)) for s in ctx.symbols}
        self._count = dict.fromkeys(ctx.symbols, 0)
        self._fresh: list[str] = []
        self.sent: dict[str, float] = {}
        """The blended weight last traded in each symbol."""
        self.shares: dict[str, np.ndarray] = {}
        """Each symbol's member shares at its latest bar."""
        for member in self.members:
            member.strategy.on_start(member.ctx)

    def _check_members(self, ctx: StrategyContext) -> None:
        for member in self.members:
            fewest = type(member.strategy).min_symbols
            if len(ctx.symbols) < fewest:
                raise InvalidValueError(
                    f"ensemble member {member.label} trades at least {fewest} symbols; "
                    f"the run has {len(ctx.symbols)}"
                )

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        symbol = bar.symbol
        closes = ctx.history(symbol, "close", 2)
        if closes.size == 2:  # score the votes held over the last bar before members vote again
            move = float(closes[1] / closes[0] - 1.0)
            slot = self._count[symbol] % self._p.window
            for i, member in enumerate(self.members):
                self._returns[symbol][i, slot] = member.ctx.votes.get(symbol, 0.0) * move
            self._count[symbol] += 1
        for member in self.members:
            member.strategy.on_bar(bar, member.ctx)
        self._fresh.append(symbol)

    def on_step(self, ctx: StrategyContext) -> None:
        for member in self.members:
            if member.stepper:
                member.strategy.on_step(member.ctx)
        fresh, self._fresh = self._fresh, []
        for symbol in dict.fromkeys(fresh):
            self._decide(symbol, ctx)

    def on_stop(self, ctx: StrategyContext) -> None:
        for member in self.members:
            member.strategy.on_stop(member.ctx)

    def member_shares(self, symbol: str) -> np.ndarray:
        """The members' current shares in ``symbol`` (summing to 1)."""
        p = self._p
        if p.weighting == "static" or self._count[symbol] < p.window:
            return self._static
        return performance_shares(self._returns[symbol], self._static, p.floor, p.cap)

    def _decide(self, symbol: str, ctx: StrategyContext) -> None:
        p = self._p
        shares = self.member_shares(symbol)
        self.shares[symbol] = shares
        votes = np.array([m.ctx.votes.get(symbol, 0.0) for m in self.members])
        target = combine(votes, shares, p.mode, p.quorum)
        if not p.allow_short:
            target = max(target, 0.0)
        held = self.sent.get(symbol, 0.0)
        exits = held != 0 and (target == 0 or (target > 0) != (held > 0))
        if exits or (abs(target - held) >= max(p.band, 1e-12)):
            self.sent[symbol] = target
            ctx.target_percent(symbol, target, tag=_TAG)
