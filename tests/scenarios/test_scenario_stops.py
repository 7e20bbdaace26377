"""Scenarios: stops, stop-limits and trailing stops, including gaps through the stop.

Synthetic known-answer candles: each case is a bar (or two) built so that the stop is, or is not,
reached, by a gap at the open or during the bar. Orders are sent at the close of bar 0
(close 100.00) and matched from bar 1 on.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from scenario_kit import Candle, Harness, candles, dec

from alphaforge.domain import OrderIntent, OrderSide, OrderStatus
from alphaforge.execution import SlippageBps

FIRST = (100.00, 100.50, 99.50, 100.00)


@dataclass(frozen=True)
class Case:
    name: str
    intent: OrderIntent
    bars: tuple[Candle, ...]  # after bar 0
    fills: tuple[tuple[int, str, str], ...]  # (bar index, price, reason)
    status: OrderStatus


def sell_stop(stop: str) -> OrderIntent:
    return OrderIntent.stop("AAA", OrderSide.SELL, 10, stop)


def buy_stop(stop: str) -> OrderIntent:
    return OrderIntent.stop("AAA", OrderSide.BUY, 10, stop)


CASES = [
    Case(
        "sell stop hit during the bar fills at the stop",
        sell_stop("95"),
        ((97.00, 98.00, 94.00, 95.50),),
        ((1, "95.00", "stop triggered"),),
        OrderStatus.FILLED,
    ),
    Case(
        "sell stop gapped through fills at the open, not the stop",
        sell_stop("95"),
        ((92.00, 93.00, 90.00, 91.00),),
        ((1, "92.00", "stop gapped through: filled at open"),),
        OrderStatus.FILLED,
    ),
    Case(
        "buy stop gapped through fills at the open",
        buy_stop("105"),
        ((107.00, 108.00, 106.00, 107.50),),
        ((1, "107.00", "stop gapped through: filled at open"),),
        OrderStatus.FILLED,
    ),
    Case(
        "stop touched exactly triggers",
        sell_stop("95"),
        ((96.00, 96.50, 95.00, 95.20),),
        ((1, "95.00", "stop triggered"),),
        OrderStatus.FILLED,
    ),
    Case(
        "stop not reached rests",
        sell_stop("95"),
        ((97.00, 99.00, 95.01, 98.00),),
        (),
        OrderStatus.ACCEPTED,
    ),
    Case(
        # Triggered by the gap at 94 (<= 95); a sell limit at 96 needs a trade above 96; the
        # high is 95.50, so nothing fills. Next bar trades through 96: a passive fill at 96.
        "stop-limit triggers but does not fill, then fills as a limit",
        OrderIntent.stop_limit("AAA", OrderSide.SELL, 10, "95", "96"),
        ((94.00, 95.50, 93.00, 94.00), (95.00, 96.50, 94.80, 96.20)),
        ((2, "96.00", "limit traded through"),),
        OrderStatus.FILLED,
    ),
    Case(
        # Buy stop 105, limit 105.50; the bar gaps up to 107 and never comes back to 105.50.
        "buy stop-limit gapped above its limit does not fill",
        OrderIntent.stop_limit("AAA", OrderSide.BUY, 10, "105", "105.50"),
        ((107.00, 108.00, 106.00, 107.00),),
        (),
        OrderStatus.ACCEPTED,
    ),
    Case(
        # Triggered during the bar at 105 with the limit above it: marketable at the trigger.
        "stop-limit marketable at the trigger fills at the stop",
        OrderIntent.stop_limit("AAA", OrderSide.BUY, 10, "105", "106"),
        ((104.00, 107.00, 103.50, 106.50),),
        ((1, "105.00", "stop-limit triggered, limit marketable at the trigger"),),
        OrderStatus.FILLED,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_stop_orders(case: Case) -> None:
    bars = candles([FIRST, *case.bars])
    harness = Harness.of()
    order = harness.play(bars, at_close={0: [case.intent]})[0][0]
    got = [
        (bars.index(next(b for b in bars if b.ts_event == f.ts_event)), f.price, harness.reason(f))
        for f in harness.fills_of(order)
    ]
    assert got == [(i, dec(price), reason) for i, price, reason in case.fills]
    assert order.status is case.status


def test_stop_fill_pays_slippage_from_the_stop_or_the_gap() -> None:
    # 10 bp on a sell: from the stop 95 -> 94.905 -> 94.90 (nearest cent, ties to even);
    # from a gapped open 92 -> 91.908 -> 91.91.
    for bar, expected in (
        ((97.00, 98.00, 94.00, 95.50), "94.90"),
        ((92.0, 93.0, 90.0, 91.0), "91.91"),
    ):
        harness = Harness.of(slippage=SlippageBps(10))
        harness.play(candles([FIRST, bar]), at_close={0: [sell_stop("95")]})
        (fill,) = harness.fills
        assert fill.price == dec(expected)


def test_trailing_stop_ratchets_then_is_hit() -> None:
    # Trailing sell, offset 2.00, sent at the close of 100.00: the stop starts at 98.00.
    # Bar 1 (sells walk low first): 100.50 -> 98.50, low 100 (no hit), high 104 -> 102.00,
    # close 103.50 is above it. Bar 2 opens at 103 and falls to 101: hit at 102.00.
    bars = candles([FIRST, (100.50, 104.00, 100.00, 103.50), (103.00, 103.50, 101.00, 101.50)])
    harness = Harness.of()
    intent = OrderIntent.trailing_stop("AAA", OrderSide.SELL, 10, "2")
    harness.play(bars[:1], at_close={0: [intent]})
    (order,) = harness.orders.values()
    assert order.stop_price == dec("98.00")
    harness.broker.process_bar(bars[1])
    assert order.stop_price == dec("102.00")
    assert harness.fills == []
    harness.broker.process_bar(bars[2])
    (fill,) = harness.fills
    assert (fill.price, harness.reason(fill)) == (dec("102.00"), "trailing stop hit")
    assert fill.ts_event == bars[2].ts_event


def test_trailing_stop_gapped_through_fills_at_the_open() -> None:
    bars = candles([FIRST, (100.50, 104.00, 100.00, 103.50), (100.00, 101.00, 99.00, 100.50)])
    harness = Harness.of()
    harness.play(bars, at_close={0: [OrderIntent.trailing_stop("AAA", OrderSide.SELL, 10, "2")]})
    (fill,) = harness.fills
    assert (fill.price, harness.reason(fill)) == (
        dec("100.00"),
        "trailing stop gapped through: filled at open",
    )


def test_trailing_stop_in_basis_points_ratchets_on_the_tick_grid() -> None:
    # 150 bp below the high of 104: 104 * 0.985 = 102.44, rounded down (away from the market).
    bars = candles([FIRST, (100.50, 104.00, 100.00, 103.50)])
    harness = Harness.of()
    intent = OrderIntent.trailing_stop("AAA", OrderSide.SELL, 10, "150", offset_type="basis_points")
    harness.play(bars, at_close={0: [intent]})
    (order,) = harness.orders.values()
    assert order.stop_price == dec("102.44")
