"""Scenarios on real data: stops through real S&P 500 gaps, limits on real XRP/ETH trades.

Real data: the bundled S&P 500 daily bars (1999-2018) and the bundled Binance XRP/ETH public
trades (2019-10-11 to 2019-10-13). The expected answers follow from the rules, checked on every
bar or trade rather than on hand-picked ones.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from scenario_kit import Harness

from alphaforge.data import HistoricalFeed
from alphaforge.domain import Bar, Instrument, OrderIntent, OrderSide, QuoteTick, TradeTick

SPX = Instrument.equity("SPX", tick_size="0.000001")
XRPETH = Instrument.crypto("XRPETH", "0.00000001", "1", base="XRP", quote="ETH")


@cache
def spx_bars() -> tuple[Bar, ...]:
    return tuple(HistoricalFeed.from_bundled("spx_daily").bars())


@cache
def xrpeth_trades() -> tuple[TradeTick, ...]:
    return tuple(
        t for t in HistoricalFeed.from_bundled("binance_xrpeth_trades") if isinstance(t, TradeTick)
    )


def test_stops_below_each_close_fill_at_the_stop_or_at_a_gapped_open() -> None:
    # Every day, a sell stop 1 % below the close; canceled after one bar if it did not fire.
    bars = spx_bars()
    harness = Harness.of(SPX)
    stops: dict[str, Decimal] = {}
    for bar in bars:
        harness.broker.process_bar(bar)
        for order in harness.broker.open_orders():
            harness.broker.cancel(order.client_order_id)
        stop = SPX.round_price(Decimal(repr(bar.close)) * Decimal("0.99"), side=OrderSide.SELL)
        order = harness.submit(OrderIntent.stop("SPX", OrderSide.SELL, 1, stop))
        stops[order.client_order_id] = stop
    by_ts = {bar.ts_event: bar for bar in bars}
    gaps = 0
    for fill in harness.fills:
        bar, stop = by_ts[fill.ts_event], stops[fill.client_order_id]
        opened = SPX.price(bar.open)
        if opened <= stop:
            gaps += 1
            assert fill.price == opened, "a gap through the stop fills at the open"
            assert harness.reason(fill) == "stop gapped through: filled at open"
        else:
            assert fill.price == stop
            assert SPX.price(bar.low) <= stop
    assert len(harness.fills) > 100  # 1 % down days are common over twenty years
    assert gaps > 0  # ...and some opened through the stop


def test_buy_limit_on_real_trades_fills_only_when_traded_through() -> None:
    # No quotes: the queue ahead at our price is unknown, so only a trade below it fills us.
    trades = xrpeth_trades()
    harness = Harness.of(XRPETH)
    first = trades[0]
    harness.broker.process_trade(first)
    limit = XRPETH.round_price(Decimal(repr(first.price)) * Decimal("0.995"), side=OrderSide.BUY)
    order = harness.submit(OrderIntent.limit("XRPETH", OrderSide.BUY, 1000, limit))
    for tick in trades[1:]:
        harness.broker.process_trade(tick)
    (fill,) = harness.fills_of(order)
    through = next(t for t in trades[1:] if t.ts_event > first.ts_event and t.price < float(limit))
    assert fill.ts_event == through.ts_event
    assert fill.price == limit
    assert fill.quantity == 1000


def queue_level(trades: tuple[TradeTick, ...], quantity: float) -> int:
    """The first trade at whose price sellers trade ``quantity`` more before anyone trades below
    it: a level where a queue-aware fill must come from the queue, not a sweep."""
    for i, head in enumerate(trades):
        sold = 0.0
        for tick in trades[i + 1 :]:
            if tick.price < head.price:
                break
            if tick.price == head.price and tick.side == "sell":
                sold += tick.size
                if sold >= quantity:
                    return i
    raise AssertionError("no such level in the data")


def test_queue_position_from_a_quote_on_real_trades() -> None:
    # Join as the new best bid (improving a quote one tick below): nothing ahead of us, so the
    # sells at exactly our price fill us, trade by trade, until 1,000 are done.
    trades = xrpeth_trades()
    start = queue_level(trades, 1000)
    head = trades[start]
    price = Decimal(repr(head.price))
    harness = Harness.of(XRPETH)
    harness.broker.process_trade(head)
    bid, ask = float(price - XRPETH.tick_size), float(price + XRPETH.tick_size)
    harness.broker.process_quote(QuoteTick.create("XRPETH", bid, ask, 500.0, 500.0, head.ts_event))
    order = harness.submit(OrderIntent.limit("XRPETH", OrderSide.BUY, 1000, price))
    for tick in trades[start + 1 :]:
        harness.broker.process_trade(tick)
    fills = harness.fills_of(order)
    assert sum(f.quantity for f in fills) == 1000
    assert all(f.price == price for f in fills)
    assert {harness.reason(f) for f in fills} == {"limit filled from the queue"}
    sells = [t for t in trades[start + 1 :] if t.price == head.price and t.side == "sell"]
    sizes = [t.size for t in sells if t.ts_event > head.ts_event]
    assert [float(f.quantity) for f in fills[:-1]] == sizes[: len(fills) - 1]


def test_queue_behind_the_displayed_size_waits_for_it() -> None:
    # Joining the best bid behind 500 displayed: the first 500 sold at our price go to them.
    trades = xrpeth_trades()
    start = queue_level(trades, 1500)
    head = trades[start]
    price = Decimal(repr(head.price))
    harness = Harness.of(XRPETH)
    harness.broker.process_trade(head)
    ask = float(price + XRPETH.tick_size)
    harness.broker.process_quote(
        QuoteTick.create("XRPETH", head.price, ask, 500.0, 500.0, head.ts_event)
    )
    order = harness.submit(OrderIntent.limit("XRPETH", OrderSide.BUY, 1000, price))
    sold = 0.0
    for tick in trades[start + 1 :]:
        harness.broker.process_trade(tick)
        if tick.price == head.price and tick.side == "sell" and tick.ts_event > head.ts_event:
            sold += tick.size
        if harness.fills_of(order):
            break
    (first, *_) = harness.fills_of(order)
    assert sold > 500  # nothing reached us before 500 had traded at our price
    assert float(first.quantity) == min(1000.0, sold - 500)
