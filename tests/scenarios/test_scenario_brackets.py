"""Scenarios: a bracket whose stop-loss and take-profit both fall inside one bar.

Synthetic known-answer candles. A market entry (buy 10) is sent with its exits at the close of
bar 0 and fills at bar 1's open; the stop-loss is a sell stop at 97, the take-profit a
sell limit at 104. Bar 1 reaches both (low 96, high 105): which exit wins is the
``IntrabarPolicy``'s call.

* bar A (100, 105, 96, 101): the open is nearer the low, so ``ohlc_path`` walks O-L-H-C;
* bar B (103, 105, 96, 100): the open is nearer the high, so ``ohlc_path`` walks O-H-L-C.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from scenario_kit import HOUR, Candle, Harness, candles, dec

from alphaforge.domain import OrderIntent, OrderSide, OrderStatus
from alphaforge.domain.market import Bar

FIRST = (100.00, 100.50, 99.50, 100.00)
BAR_A = (100.00, 105.00, 96.00, 101.00)
BAR_B = (103.00, 105.00, 96.00, 100.00)
# Four hourly bars inside bar A that show the high came first: 105 in the second hour.
HOURS_A = (
    (100.00, 102.00, 99.50, 101.50),
    (101.50, 105.00, 101.00, 104.50),
    (104.50, 104.80, 98.00, 98.50),
    (98.50, 101.00, 96.00, 101.00),
)
STOP = "stop-loss: stop triggered (both exits inside the bar; "
TARGET = "take-profit: limit traded through (both exits inside the bar; "


@dataclass(frozen=True)
class Case:
    name: str
    policy: str
    bar: Candle
    lower: tuple[Candle, ...] | None
    winner: str
    price: str
    reason: str


CASES = [
    Case("pessimistic A", "pessimistic", BAR_A, None, "stop", "97.00",
         STOP + "pessimistic: adverse extreme first)"),
    Case("pessimistic B", "pessimistic", BAR_B, None, "stop", "97.00",
         STOP + "pessimistic: adverse extreme first)"),
    Case("ohlc_path A (open nearer the low)", "ohlc_path", BAR_A, None, "stop", "97.00",
         STOP + "ohlc_path: open nearer extreme first, O-L-H-C)"),
    Case("ohlc_path B (open nearer the high)", "ohlc_path", BAR_B, None, "target", "104.00",
         TARGET + "ohlc_path: open nearer extreme first, O-H-L-C)"),
    Case("lower timeframe A (high came first)", "lower_timeframe", BAR_A, HOURS_A, "target",
         "104.00", TARGET + "lower timeframe: 4 1h bars)"),
    Case("lower timeframe without lower bars", "lower_timeframe", BAR_A, None, "stop", "97.00",
         STOP + "no lower-timeframe bars given: pessimistic, adverse extreme first)"),
]  # fmt: skip


def lower_bars(rows: tuple[Candle, ...], bar: Bar) -> list[Bar]:
    return candles(rows, timeframe="1h", first_close=bar.ts_event - 3 * HOUR, step=HOUR)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_stop_and_target_in_one_bar(case: Case) -> None:
    bars = candles([FIRST, case.bar])
    harness = Harness.of(intrabar=case.policy)
    harness.broker.process_bar(bars[0])
    entry, stop, target = harness.bracket(
        OrderIntent.market("AAA", OrderSide.BUY, 10),
        OrderIntent.stop("AAA", OrderSide.SELL, 10, "97"),
        OrderIntent.limit("AAA", OrderSide.SELL, 10, "104"),
    )
    assert entry is not None
    assert stop is not None
    assert target is not None
    lower = None if case.lower is None else lower_bars(case.lower, bars[1])
    harness.broker.process_bar(bars[1], lower_bars=lower)

    (entry_fill,) = harness.fills_of(entry)
    assert (entry_fill.price, harness.reason(entry_fill)) == (dec(case.bar[0]), "market at open")
    winner, loser = (stop, target) if case.winner == "stop" else (target, stop)
    (exit_fill,) = harness.fills_of(winner)
    assert exit_fill.price == dec(case.price)
    assert harness.reason(exit_fill) == case.reason
    assert winner.status is OrderStatus.FILLED
    assert loser.status is OrderStatus.CANCELED
    assert (
        loser.history[-1].reason
        == f"OCO: {'stop-loss' if case.winner == 'stop' else 'take-profit'} filled"
    )
    assert harness.broker.position("AAA") == 0
    assert harness.broker.open_orders() == []


def test_only_the_target_in_the_bar_needs_no_policy() -> None:
    bars = candles([FIRST, (100.00, 104.50, 99.00, 104.00)])
    harness = Harness.of()
    harness.broker.process_bar(bars[0])
    _, stop, target = harness.bracket(
        OrderIntent.market("AAA", OrderSide.BUY, 10),
        OrderIntent.stop("AAA", OrderSide.SELL, 10, "97"),
        OrderIntent.limit("AAA", OrderSide.SELL, 10, "104"),
    )
    harness.broker.process_bar(bars[1])
    assert target is not None
    assert stop is not None
    (fill,) = harness.fills_of(target)
    assert harness.reason(fill) == "take-profit: limit traded through"
    assert stop.status is OrderStatus.CANCELED


def test_exits_wait_for_a_limit_entry_and_start_where_it_filled() -> None:
    # Entry: buy limit 99. Bar 1 (sells walk low first: 100 -> 96 -> 101 -> 100.5): the entry
    # fills at 99 on the way down, then the same fall reaches the stop at 97.
    bars = candles([FIRST, (100.00, 101.00, 96.00, 100.50)])
    harness = Harness.of()
    harness.broker.process_bar(bars[0])
    entry, stop, _ = harness.bracket(
        OrderIntent.limit("AAA", OrderSide.BUY, 10, "99"),
        OrderIntent.stop("AAA", OrderSide.SELL, 10, "97"),
        OrderIntent.limit("AAA", OrderSide.SELL, 10, "104"),
    )
    harness.broker.process_bar(bars[1])
    assert entry is not None
    assert stop is not None
    assert [f.price for f in harness.fills] == [dec("99.00"), dec("97.00")]
    assert stop.status is OrderStatus.FILLED


def test_unfilled_entry_canceled_cancels_the_exits() -> None:
    bars = candles([FIRST, (100.00, 101.00, 99.50, 100.50)])
    harness = Harness.of()
    harness.broker.process_bar(bars[0])
    entry, stop, target = harness.bracket(
        OrderIntent.limit("AAA", OrderSide.BUY, 10, "95"),
        OrderIntent.stop("AAA", OrderSide.SELL, 10, "90"),
        OrderIntent.limit("AAA", OrderSide.SELL, 10, "104"),
    )
    harness.broker.process_bar(bars[1])
    assert entry is not None
    harness.broker.cancel(entry.client_order_id)
    assert [o.status for o in (entry, stop, target) if o] == [OrderStatus.CANCELED] * 3
