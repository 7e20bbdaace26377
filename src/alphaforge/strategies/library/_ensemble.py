"""The ensemble's plumbing: a context that turns a member's orders into votes, and the maths.

A member strategy runs unchanged against a :class:`MemberContext`. Reading (``history``,
``indicator``, ``symbols``, ``now``) goes to the real context; acting is captured: every
``target_*`` call and market order moves the member's *vote* (the weight of equity it wants in
each symbol) instead of reaching the risk engine. ``portfolio`` is the member's own virtual
book (:class:`MemberBook`), so a member that asks "am I long?" sees its own votes, not the
ensemble's combined position.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from alphaforge.core.suggest import did_you_mean
from alphaforge.domain.enums import OrderSide, OrderType, TimeInForce
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.intents import OrderIntent
from alphaforge.portfolio.view import PositionInfo
from alphaforge.strategies._proxy import ForwardingContext

if TYPE_CHECKING:
    from alphaforge.domain.instruments import Instrument
    from alphaforge.portfolio import PortfolioView
    from alphaforge.strategies.context import StrategyContext

__all__ = ["MemberBook", "MemberContext", "bounded_shares", "combine", "performance_shares"]


class MemberBook:
    """A member's virtual account: its votes held as positions at the real account's equity.

    The book is as large as the real account and holds ``vote * equity`` in each symbol, valued
    at the last price; it has no cost basis, so ``avg_price`` is the last price and the
    unrealized PnL is 0.
    """

    __slots__ = ("_real", "_votes")

    def __init__(self, real: PortfolioView, votes: Mapping[str, float]) -> None:
        self._real = real
        self._votes = votes

    @property
    def base_currency(self) -> str:
        """The real account's base currency."""
        return self._real.base_currency

    def cash(self, currency: str | None = None) -> Decimal:
        """What the votes leave uninvested, in base currency (0 in any other currency)."""
        if currency is not None and currency != self._real.base_currency:
            return Decimal(0)
        return Decimal(repr(self.equity() - self.net_exposure()))

    def equity(self) -> float:
        """The real account's equity."""
        return self._real.equity()

    def quantity(self, symbol: str) -> Decimal:
        """Units the vote is worth at the last price (0 when the vote is 0)."""
        vote = self._votes.get(symbol, 0.0)
        unit = _unit(self._real, symbol)
        if vote == 0 or not (math.isfinite(unit) and unit > 0):
            return Decimal(0)
        return Decimal(repr(vote * self.equity() / unit))

    def avg_price(self, symbol: str) -> Decimal | None:
        """The last price while the vote is not 0 (the book keeps no cost basis)."""
        if self._votes.get(symbol, 0.0) == 0:
            return None
        return Decimal(repr(self._real.last_price(symbol)))

    def last_price(self, symbol: str) -> float:
        """The real last mark."""
        return self._real.last_price(symbol)

    def market_value(self, symbol: str) -> float:
        """``vote * equity``."""
        return self._votes.get(symbol, 0.0) * self.equity()

    def unrealized_pnl(self, symbol: str | None = None) -> float:
        """Always 0: the book is re-struck at the vote on every bar."""
        return 0.0

    def weight(self, symbol: str) -> float:
        """The member's vote."""
        return self._votes.get(symbol, 0.0)

    def weights(self) -> dict[str, float]:
        """The non-zero votes."""
        return {s: v for s, v in self._votes.items() if v}

    def gross_exposure(self) -> float:
        """``Σ |vote| * equity``."""
        return sum(abs(v) for v in self._votes.values()) * self.equity()

    def net_exposure(self) -> float:
        """``Σ vote * equity``."""
        return sum(self._votes.values()) * self.equity()

    def leverage(self) -> float:
        """``Σ |vote|``."""
        return sum(abs(v) for v in self._votes.values())

    def positions(self) -> dict[str, PositionInfo]:
        """The non-zero votes as positions."""
        out = {}
        for symbol, vote in self.weights().items():
            price = self._real.last_price(symbol)
            out[symbol] = PositionInfo(
                symbol,
                self.quantity(symbol),
                self.avg_price(symbol),
                price,
                self.market_value(symbol),
                0.0,
                vote,
            )
        return out

    def instrument(self, symbol: str) -> Instrument:
        """The real instrument."""
        return self._real.instrument(symbol)


class MemberContext(ForwardingContext):
    """A ``StrategyContext`` for one member: reads go to the real context, orders become votes.

    ``target_percent``, ``target_weights`` and ``target_quantity`` (of any order type: a target
    states the position wanted) set the vote; a raw market order (``submit``/``order``) moves
    it by the order's size at the last price at once. Raw limit, stop and trailing orders are
    conditional and may never fill: they are not counted, only tallied in ``ignored``.
    ``open_orders`` is always empty and ``cancel`` does nothing: virtual orders are done at once.
    """

    def __init__(self, ctx: StrategyContext, label: str) -> None:
        super().__init__(ctx)
        self._label = label
        self._sent = 0
        self.votes: dict[str, float] = {}
        """Weight of equity the member wants in each symbol (signed)."""
        self.ignored = 0
        """Raw conditional orders (limit, stop, trailing) the ensemble did not count."""
        self._book = MemberBook(ctx.portfolio, self.votes)

    # ------------------------------------------------------- reading (the rest: ForwardingContext)

    @property
    def portfolio(self) -> MemberBook:
        """The member's virtual book (its votes), not the real account."""
        return self._book

    def open_orders(self, symbol: str | None = None) -> Sequence[str]:
        """None: a member's orders are done the moment they are sent."""
        return []

    # ------------------------------------------------------------------ acting (captured)

    def submit(self, intent: OrderIntent) -> str:
        """Count a market order as filled now at the last price; tally any other kind."""
        if intent.order_type is not OrderType.MARKET:
            self.ignored += 1
            return self._next_id()
        sign = 1.0 if intent.side is OrderSide.BUY else -1.0
        units = sign * float(intent.quantity)
        self._vote(
            intent.symbol,
            self.votes.get(intent.symbol, 0.0) + self._to_weight(intent.symbol, units),
        )
        return self._next_id()

    def cancel(self, client_order_id: str) -> None:
        """Nothing to cancel."""

    def bracket(self, symbol: str, side: OrderSide, quantity: float, **kwargs: Any) -> list[str]:
        """Count the entry as :meth:`order` would; its conditional exits are tallied."""
        entry = {k: kwargs[k] for k in ("limit_price", "time_in_force", "tag") if k in kwargs}
        ids = [self.order(symbol, side, quantity, **entry)]
        self.ignored += sum(kwargs.get(k) is not None for k in ("stop_loss", "take_profit",
                                                               "trailing_offset"))  # fmt: skip
        return ids

    def protect(self, symbol: str, **kwargs: Any) -> list[str]:
        """Exits are conditional: tallied in ``ignored``, never counted as votes."""
        self.ignored += 1
        return [self._next_id()]

    def order(self, symbol: str, side: OrderSide, quantity: float, **kwargs: Any) -> str:
        """Build the intent as the real context would, then :meth:`submit` it."""
        side = OrderSide(side)
        limit, stop = kwargs.pop("limit_price", None), kwargs.pop("stop_price", None)
        if limit is not None and stop is not None:
            intent = OrderIntent.stop_limit(symbol, side, quantity, stop, limit, **kwargs)
        elif limit is not None:
            intent = OrderIntent.limit(symbol, side, quantity, limit, **kwargs)
        elif stop is not None:
            intent = OrderIntent.stop(symbol, side, quantity, stop, **kwargs)
        else:
            intent = OrderIntent.market(symbol, side, quantity, **kwargs)
        return self.submit(intent)

    def target_quantity(
        self,
        symbol: str,
        quantity: float,
        *,
        order_type: OrderType = OrderType.MARKET,
        limit_price: float | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        tag: str | None = None,
    ) -> str | None:
        """Vote for holding ``quantity`` units (worth ``quantity * price / equity``)."""
        return self._vote(symbol, self._to_weight(symbol, quantity))

    def target_percent(self, symbol: str, percent: float, *, tag: str | None = None) -> str | None:
        """Vote for ``percent`` of equity in ``symbol``."""
        self._check(symbol)
        return self._vote(symbol, float(percent))

    def target_weights(self, weights: Mapping[str, float], *, tag: str | None = None) -> list[str]:
        """Vote for ``weights`` (symbols left out: 0)."""
        for symbol in weights:
            self._check(symbol)
        ids = [self._vote(s, float(weights.get(s, 0.0))) for s in self._ctx.symbols]
        return [i for i in ids if i is not None]

    # ------------------------------------------------------------------ internals

    def _vote(self, symbol: str, weight: float) -> str | None:
        if not math.isfinite(weight):
            raise InvalidValueError(f"{self._label} asked for a weight of {weight} in {symbol}")
        if self.votes.get(symbol, 0.0) == weight:
            return None
        self.votes[symbol] = weight
        return self._next_id()

    def _to_weight(self, symbol: str, units: float) -> float:
        self._check(symbol)
        unit = _unit(self._ctx.portfolio, symbol)
        equity = self._ctx.portfolio.equity()
        if not (math.isfinite(unit) and unit > 0):
            raise InvalidValueError(f"{symbol} has no price yet: cannot size {self._label}'s order")
        return units * unit / equity if equity > 0 else 0.0

    def _check(self, symbol: str) -> None:
        if symbol not in self._ctx.symbols:
            known = list(self._ctx.symbols)
            raise InvalidValueError(
                f"{self._label} trades unknown symbol {symbol!r}{did_you_mean(symbol, known)}"
            )

    def _next_id(self) -> str:
        self._sent += 1
        return f"{self._label}-{self._sent}"


def _unit(view: PortfolioView, symbol: str) -> float:
    return view.last_price(symbol) * float(view.instrument(symbol).multiplier)


# ---------------------------------------------------------------------- the maths


def bounded_shares(raw: np.ndarray, floor: float, cap: float) -> np.ndarray:
    """Normalize non-negative ``raw`` scores to shares summing to 1, each in [floor, cap].

    Shares that would fall outside the bounds are pinned to them and the rest is shared out
    again in proportion to ``raw`` (equally where the free scores are all 0). Needs
    ``floor * n <= 1 <= cap * n``.
    """
    raw = np.asarray(raw, dtype=np.float64)
    shares = np.zeros_like(raw)
    fixed = np.zeros(raw.size, dtype=bool)
    for _ in range(raw.size + 1):
        free = ~fixed
        left = 1.0 - shares[fixed].sum()
        total = raw[free].sum()
        shares[free] = raw[free] / total * left if total > 0 else left / free.sum()
        low, high = free & (shares < floor - 1e-15), free & (shares > cap + 1e-15)
        if not (low.any() or high.any()) or free.sum() == (low | high).sum():
            break
        shares[low], shares[high] = floor, cap
        fixed |= low | high
    return shares


def performance_shares(
    returns: np.ndarray, static: np.ndarray, floor: float, cap: float
) -> np.ndarray:
    """Members' shares from their trailing virtual returns (rows: members, columns: bars).

    Each member scores ``static weight * max(0, mean / std)`` of its returns (a per-bar Sharpe
    ratio; a member with no variation scores 0). When no member scores above 0 the static
    weights are used. The shares are then bounded by ``floor`` and ``cap``.
    """
    mean = returns.mean(axis=1)
    std = returns.std(axis=1)
    sharpe = np.divide(mean, std, out=np.zeros_like(mean), where=std > 0)
    raw = static * np.maximum(sharpe, 0.0)
    return bounded_shares(raw if raw.sum() > 0 else static, floor, cap)


def combine(votes: np.ndarray, shares: np.ndarray, mode: str, quorum: float = 0.5) -> float:
    """The ensemble's weight from members' ``votes`` and their ``shares`` (summing to 1).

    ``average``: the share-weighted mean vote. ``vote``: the side (long or short) holding more
    than ``quorum`` of the shares wins, at the share-weighted mean size of its voters; no such
    side, flat.
    """
    if mode == "average":
        return float(shares @ votes)
    for side in (1.0, -1.0):
        mask = np.sign(votes) == side
        weight = float(shares[mask].sum())
        if weight > quorum:
            return float(shares[mask] @ votes[mask]) / weight
    return 0.0
