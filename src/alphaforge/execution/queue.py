"""Queue-aware passive fills on trade ticks.

A resting limit order at price ``L`` joins the back of the queue at ``L``. A trade *at* ``L``
against our side (a seller hitting bids, for our buy) first consumes the volume ahead of us; only
what is left of it reaches our order. A trade *through* ``L`` (below it, for our buy) means the
whole level was taken, so our order fills completely at ``L``. A trade on the other side of the
book, or away from ``L``, does nothing for us.

``QueuePosition.join`` estimates the queue ahead from the latest quote: the displayed size when
our price equals the best price on our side; nothing when our price improves on it (we are the
new best); unknown (infinite: only a trade-through fills us) when it is deeper in the book, since
a top-of-book quote does not show that depth.

Without quotes (public trades alone), ``QueuePosition.from_trades`` reads the best price on our
side from the trades (a seller-initiated trade prints at the bid, a buyer-initiated one at the
ask) and puts us behind an assumed ``ahead`` units at or behind it, at the front when we improve
on it. The trades that follow deplete that queue: they are the proxy for the book we cannot see.

:func:`match_trade` applies this to limit orders (and triggered stop-limits) and matches every
other order type against the trade price as a one-price path (a stop fills at the first trade at
or through its stop, at that trade's price). A limit order always fills at its limit on trades,
even when it was marketable on arrival: conservative, since the quote that would have given it
a better price is not part of the trade stream.
"""

from __future__ import annotations

import math

from alphaforge.domain.enums import LiquiditySide, OrderType
from alphaforge.domain.market import QuoteTick, TradeTick
from alphaforge.execution.fill_rules import FillDecision, Match, PriceFn, match_order
from alphaforge.execution.intrabar import point_path
from alphaforge.execution.orderspec import OrderSpec

__all__ = ["QueuePosition", "match_trade"]

_INF = math.inf
_SAME_PRICE = 1e-9


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= _SAME_PRICE * max(abs(a), abs(b))


class QueuePosition:
    """How much volume stands ahead of our resting limit order at its price."""

    __slots__ = ("ahead", "price", "side_sign")

    def __init__(self, price: float, side_sign: int, ahead: float = 0.0) -> None:
        """Rest at ``price`` on side ``side_sign`` (+1 bid, -1 ask) behind ``ahead`` units."""
        self.price = price
        self.side_sign = side_sign
        self.ahead = max(ahead, 0.0)

    def __repr__(self) -> str:
        return f"QueuePosition(price={self.price}, side_sign={self.side_sign}, ahead={self.ahead})"

    @classmethod
    def join(cls, price: float, side_sign: int, quote: QuoteTick | None) -> QueuePosition:
        """Join the queue at ``price`` given the latest ``quote`` (see the module docstring)."""
        if quote is None:
            return cls(price, side_sign, _INF)
        best, size = (quote.bid, quote.bid_size) if side_sign > 0 else (quote.ask, quote.ask_size)
        if _same(price, best):
            return cls(price, side_sign, size)
        improves = price > best if side_sign > 0 else price < best
        return cls(price, side_sign, 0.0 if improves else _INF)

    @classmethod
    def from_trades(
        cls, price: float, side_sign: int, best: float | None, ahead: float
    ) -> QueuePosition:
        """Join at ``price`` when only trades show the book: ``best`` is the last price a trade
        against our side printed (the bid for a buy); ``ahead`` the units assumed resting there."""
        if best is None or _same(price, best):
            return cls(price, side_sign, ahead)
        improves = price > best if side_sign > 0 else price < best
        return cls(price, side_sign, 0.0 if improves else ahead)

    def on_trade(self, price: float, size: float, aggressor: str) -> float:
        """Return how much of this trade reached our order (``inf``: the level was swept)."""
        sign = self.side_sign
        if sign * price < sign * self.price and not _same(price, self.price):
            return _INF
        hits_us = aggressor == ("sell" if sign > 0 else "buy")
        if not hits_us or not _same(price, self.price):
            return 0.0
        consumed = min(self.ahead, size)
        self.ahead -= consumed
        return size - consumed


def match_trade(
    spec: OrderSpec,
    tick: TradeTick,
    queue: QueuePosition | None = None,
    *,
    capacity: float = _INF,
    price: PriceFn | None = None,
) -> Match:
    """Match ``spec`` against one trade. Limit orders need their ``queue`` (updated in place)."""
    limit_like = spec.order_type is OrderType.LIMIT or (
        spec.order_type is OrderType.STOP_LIMIT and spec.triggered
    )
    if not limit_like or queue is None:
        return match_order(spec, point_path(tick.price, "trade"), capacity=capacity, price=price)
    reached = queue.on_trade(tick.price, tick.size, tick.side)
    quantity = min(spec.leaves, reached, max(capacity, 0.0))
    if quantity <= 0.0:
        return Match(stop_price=spec.stop)
    reason = "limit traded through" if reached == _INF else "limit filled from the queue"
    fill = FillDecision(spec.limit, quantity, LiquiditySide.MAKER, reason, spec.limit)
    return Match((fill,), None, False, spec.stop)
