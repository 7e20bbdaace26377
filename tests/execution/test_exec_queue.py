"""Queue position of a resting limit order on trade ticks (synthetic known-answer trades)."""

from __future__ import annotations

import math

from alphaforge.domain import LiquiditySide, OrderType, QuoteTick, TradeTick
from alphaforge.execution import OrderSpec, QueuePosition, match_trade


def trade(price: float, size: float, side: str, ts: int = 1) -> TradeTick:
    return TradeTick.create("AAA", price, size, side, str(ts), ts)


def test_join_from_a_quote() -> None:
    quote = QuoteTick.create("AAA", 99.0, 99.5, 300.0, 200.0, 0)
    assert QueuePosition.join(99.0, 1, quote).ahead == 300.0  # behind the displayed bid
    assert QueuePosition.join(99.1, 1, quote).ahead == 0.0  # a new best bid
    assert math.isinf(QueuePosition.join(98.9, 1, quote).ahead)  # deeper: unknown
    assert QueuePosition.join(99.5, -1, quote).ahead == 200.0
    assert math.isinf(QueuePosition.join(99.0, 1, None).ahead)


def test_join_from_trades_alone() -> None:
    # the last seller-initiated trade printed 99.0: that was the bid; 250 assumed resting there
    assert QueuePosition.from_trades(99.0, 1, 99.0, 250.0).ahead == 250.0
    assert QueuePosition.from_trades(99.1, 1, 99.0, 250.0).ahead == 0.0  # improves: the front
    assert QueuePosition.from_trades(98.9, 1, 99.0, 250.0).ahead == 250.0  # behind it: assumed
    assert QueuePosition.from_trades(99.4, -1, 99.5, 250.0).ahead == 0.0  # a better ask
    assert QueuePosition.from_trades(99.0, 1, None, 250.0).ahead == 250.0  # no trade seen yet


def test_trades_at_our_price_consume_the_queue_first() -> None:
    queue = QueuePosition(99.0, 1, ahead=300.0)
    assert queue.on_trade(99.0, 200.0, "sell") == 0.0
    assert queue.on_trade(99.0, 50.0, "buy") == 0.0  # a buyer lifting an ask at 99: not us
    assert queue.on_trade(99.5, 500.0, "sell") == 0.0  # above our bid
    assert queue.on_trade(99.0, 150.0, "sell") == 50.0  # 100 more ahead, then 50 reach us
    assert queue.ahead == 0.0
    assert math.isinf(queue.on_trade(98.99, 1.0, "sell"))  # traded through: all of us


def test_match_trade_fills_limits_from_the_queue_and_others_as_a_point() -> None:
    limit = OrderSpec(side_sign=1, order_type=OrderType.LIMIT, quantity=100, limit=99.0)
    queue = QueuePosition(99.0, 1, ahead=30.0)
    match = match_trade(limit, trade(99.0, 80.0, "sell"), queue)
    (fill,) = match.fills
    assert (fill.price, fill.quantity, fill.liquidity, fill.reason) == (
        99.0,
        50.0,
        LiquiditySide.MAKER,
        "limit filled from the queue",
    )
    assert match_trade(limit, trade(99.5, 80.0, "sell"), queue).fills == ()
    swept = match_trade(limit, trade(98.0, 1.0, "sell"), queue)
    assert swept.fills[0].quantity == 100
    assert swept.fills[0].reason == "limit traded through"
    stop = OrderSpec(side_sign=-1, order_type=OrderType.STOP, quantity=5, stop=98.5)
    (stopped,) = match_trade(stop, trade(98.0, 1.0, "sell")).fills
    assert (stopped.price, stopped.reason) == (98.0, "stop gapped through: filled at trade")
