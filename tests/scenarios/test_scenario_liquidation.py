"""Scenario: a levered long is liquidated by the margin-call rule.

Synthetic known-answer candles. A 10x-margined BTC/USDT account with 10,000 USDT buys 1 BTC at
50,000 (cash -40,000). Maintenance margin is half the initial 10 %: 5 % of the position's value.
Equity = close - 40,000, requirement = 0.05 * close: the call comes at the first close below
42,105.26, here 42,000 (equity 2,000 < 2,100). The liquidation order, a reduce-only market sell,
fills at the next open, 41,500: final equity 1,500.
"""

from __future__ import annotations

from scenario_kit import Harness, candles, dec

from alphaforge.domain import Instrument, OrderFilled, OrderIntent, OrderSide, OrderStatus
from alphaforge.execution import liquidation_intents

BTC = Instrument.crypto("BTC/USDT", "0.01", "0.001", margin_init="0.1")


class FakeLedger:
    """Cash from fills, positions marked at the broker's last closes: enough for the rule."""

    def __init__(self, harness: Harness, cash: float) -> None:
        self.harness = harness
        self.cash = cash

    def on_fill(self, event: object) -> None:
        if isinstance(event, OrderFilled):
            fill = event.fill
            self.cash -= float(fill.signed_quantity * fill.price + fill.fee)

    def equity(self) -> float:
        broker = self.harness.broker
        bar = broker.last_bar("BTC/USDT")
        assert bar is not None
        return self.cash + float(broker.position("BTC/USDT")) * bar.close


def test_margin_call_liquidates_at_the_next_open() -> None:
    bars = candles(
        [
            (50_000.0, 50_000.0, 50_000.0, 50_000.0),
            (50_000.0, 50_000.0, 48_000.0, 48_000.0),
            (48_000.0, 48_000.0, 45_000.0, 45_000.0),
            (45_000.0, 45_000.0, 42_000.0, 42_000.0),
            (41_500.0, 41_600.0, 41_000.0, 41_200.0),
        ],
        symbol="BTC/USDT",
    )
    harness = Harness.of(BTC)
    ledger = FakeLedger(harness, 10_000.0)
    harness.listeners.append(ledger.on_fill)
    harness.broker.set_account(ledger)
    calls = []
    for i, bar in enumerate(bars):
        harness.broker.process_bar(bar)
        if i == 0:
            harness.submit(OrderIntent.market("BTC/USDT", OrderSide.BUY, 1))
            continue
        call = harness.broker.check_margin()
        if call is not None:
            calls.append((i, call))
            for intent in liquidation_intents(call):
                harness.submit(intent)
    assert [i for i, _ in calls] == [3]
    _, call = calls[0]
    assert (call.equity, call.requirement) == (2_000.0, 2_100.0)
    buy, sell = harness.fills
    assert (buy.price, sell.price) == (dec(50_000), dec(41_500))
    liquidation = harness.orders[sell.client_order_id]
    assert liquidation.intent.tag == "liquidation"
    assert liquidation.intent.reduce_only
    assert liquidation.status is OrderStatus.FILLED
    assert harness.broker.position("BTC/USDT") == 0
    assert ledger.cash == 1_500.0
