"""The risk engine approves or denies each intent by the documented rules, and never blocks an
exit. Prices are the real S&P 500 close of 2008-10-15 (907.84) on a constructed account."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alphaforge.domain.enums import OrderSide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.fills import Fill
from alphaforge.domain.instruments import Instrument
from alphaforge.domain.intents import OrderIntent
from alphaforge.portfolio import Ledger, LedgerView
from alphaforge.risk import RiskEngine, RiskLimits, TradingState

PX = 907.84
SPY = Instrument.equity("SPX")


def account(quantity: int = 0) -> tuple[Ledger, LedgerView]:
    ledger = Ledger("USD", cash="100000", instruments=[SPY])
    if quantity:
        side = OrderSide.BUY if quantity > 0 else OrderSide.SELL
        ledger.apply(
            Fill.create(
                client_order_id="O-0",
                trade_id="T-0",
                symbol="SPX",
                side=side,
                quantity=abs(quantity),
                price=PX,
                ts_event=1,
            )
        )
    ledger.mark("SPX", PX, 2)
    return ledger, LedgerView(ledger)


def buy(qty: float) -> OrderIntent:
    return OrderIntent.market("SPX", OrderSide.BUY, qty)


def sell(qty: float) -> OrderIntent:
    return OrderIntent.market("SPX", OrderSide.SELL, qty)


def test_within_limits_is_approved() -> None:
    _, view = account()
    assert RiskEngine().check(buy(100), view, value_per_unit=PX).approved  # 90,784 of 100,000


def test_weight_limit_names_the_figures() -> None:
    _, view = account()
    decision = RiskEngine(RiskLimits(max_position_weight=0.5)).check(
        buy(100), view, value_per_unit=PX
    )
    assert not decision.approved
    assert decision.rule == "max_position_weight"
    assert "90.78%" in (decision.reason or "")


def test_exactly_at_the_limit_passes() -> None:
    _, view = account()
    qty = 100_000 / PX  # fractional units worth exactly 100 % of equity
    assert RiskEngine().check(buy(qty), view, value_per_unit=PX).approved


def test_leverage_counts_the_position_after_the_order() -> None:
    _, view = account(50)  # 45,392 long
    engine = RiskEngine(RiskLimits(max_position_weight=5, max_gross_leverage=1.5))
    assert engine.check(buy(110), view, value_per_unit=PX).approved  # 160 units: 1.45x
    decision = engine.check(buy(120), view, value_per_unit=PX)  # 170 units: 1.54x
    assert decision.rule == "max_gross_leverage"


def test_no_short_denies_opening_and_flipping_but_not_closing() -> None:
    _, view = account(10)
    engine = RiskEngine()
    assert engine.check(sell(10), view, value_per_unit=PX).approved
    assert engine.check(sell(4), view, value_per_unit=PX).approved
    flip = engine.check(sell(11), view, value_per_unit=PX)
    assert flip.rule == "no_short"
    assert (
        RiskEngine(RiskLimits(allow_short=True)).check(sell(11), view, value_per_unit=PX).approved
    )


def test_exits_pass_every_limit_even_when_over_them() -> None:
    _, view = account(200)  # 181,568 on 100,000 of cash: far above any limit now
    engine = RiskEngine(RiskLimits(max_position_weight=0.1, max_gross_leverage=0.1))
    assert engine.check(sell(150), view, value_per_unit=PX).approved
    assert not engine.check(buy(1), view, value_per_unit=PX).approved


def test_trading_states() -> None:
    _, view = account(10)
    engine = RiskEngine(state="REDUCING")
    assert engine.check(sell(5), view, value_per_unit=PX).approved
    assert engine.check(buy(1), view, value_per_unit=PX).rule == "reducing"
    engine.set_state("HALTED", ts=5, reason="kill switch")
    assert engine.check(sell(5), view, value_per_unit=PX).rule == "halted"
    assert engine.state is TradingState.HALTED
    assert engine.history[-1].reason == "kill switch"
    assert engine.denied == 2


def test_reduce_only_cannot_grow() -> None:
    _, view = account(10)
    intent = OrderIntent.market("SPX", OrderSide.BUY, 1, reduce_only=True)
    assert RiskEngine().check(intent, view, value_per_unit=PX).rule == "reduce_only"


def test_drawdown_halt() -> None:
    engine = RiskEngine(RiskLimits(max_drawdown_halt=0.2))
    for ts, equity in enumerate([100.0, 120.0, 100.0, 96.5, 95.9]):
        engine.on_equity(equity, ts)
    assert engine.state is TradingState.HALTED  # 95.9 is 20.08 % below the 120 peak
    assert engine.history[0].ts == 4


def test_bad_limits_are_refused() -> None:
    with pytest.raises(InvalidValueError, match="max_gross_leverage"):
        RiskLimits(max_gross_leverage=0)
    with pytest.raises(InvalidValueError, match="max_drawdown_halt"):
        RiskLimits(max_drawdown_halt=1.5)


@given(
    held=st.integers(-300, 300),
    qty=st.integers(1, 300),
    side=st.sampled_from([OrderSide.BUY, OrderSide.SELL]),
)
def test_an_order_that_shrinks_a_position_is_always_approved(
    held: int, qty: int, side: OrderSide
) -> None:
    _, view = account(held)
    after = held + (qty if side is OrderSide.BUY else -qty)
    engine = RiskEngine(RiskLimits(max_position_weight=1e-6, max_gross_leverage=1e-6))
    decision = engine.check(OrderIntent.market("SPX", side, qty), view, value_per_unit=PX)
    shrinks = abs(after) < abs(held) and (after == 0 or (after > 0) == (held > 0))
    assert decision.approved == shrinks


def test_working_orders_count_toward_the_limits() -> None:
    """Two buys sent on one bar cannot together pass what each passes alone."""
    _, view = account()
    engine = RiskEngine()
    assert engine.check(buy(60), view, value_per_unit=PX).approved  # 54 % alone
    decision = engine.check(buy(60), view, value_per_unit=PX, pending={"SPX": (60.0, PX)})
    assert decision.rule == "max_position_weight"


def test_a_working_sell_makes_room_for_a_rebalance_buy() -> None:
    """Held 100 (91 % of equity) with a sell of 60 working: buying 50 leaves 90 committed."""
    _, view = account(100)
    engine = RiskEngine()
    assert not engine.check(buy(50), view, value_per_unit=PX).approved
    assert engine.check(buy(50), view, value_per_unit=PX, pending={"SPX": (-60.0, PX)}).approved


def test_a_sell_past_a_working_sell_is_not_an_exit() -> None:
    """Held 100, selling 100 already: another sell would open a short, so no-short denies it."""
    _, view = account(100)
    decision = RiskEngine().check(sell(50), view, value_per_unit=PX, pending={"SPX": (-100.0, PX)})
    assert decision.rule == "no_short"
