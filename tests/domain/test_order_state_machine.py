"""Orders move only along the transition table; fills keep filled + leaves == quantity."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from alphaforge.domain.enums import OrderSide, OrderStatus, TrailingOffsetType
from alphaforge.domain.errors import IllegalTransitionError, InvalidValueError
from alphaforge.domain.fills import Fill
from alphaforge.domain.instruments import Instrument
from alphaforge.domain.intents import OrderIntent
from alphaforge.domain.orders import ORDER_TRANSITIONS, Order, OrderTransition, can_transition

S = OrderStatus


def make_order(qty: int = 10, side: OrderSide = OrderSide.BUY) -> Order:
    return Order(OrderIntent.limit("MSFT", side, qty, 100), ts_init=1, client_order_id="O-1")


def make_fill(
    trade_id: str, qty: object, price: object = "100", *, ts: int = 5, order_id: str = "O-1"
) -> Fill:
    return Fill.create(
        client_order_id=order_id,
        trade_id=trade_id,
        symbol="MSFT",
        side=OrderSide.BUY,
        quantity=qty,  # type: ignore[arg-type]
        price=price,  # type: ignore[arg-type]
        ts_event=ts,
        venue_order_id="V-1",
    )


def test_table_covers_every_status_and_terminal_states_are_dead_ends() -> None:
    assert set(ORDER_TRANSITIONS) == set(OrderStatus)
    for status, targets in ORDER_TRANSITIONS.items():
        assert (not targets) == status.is_terminal
    assert can_transition(S.SUBMITTED, S.FILLED)
    assert not can_transition(S.INITIALIZED, S.FILLED)


def test_happy_path_with_partial_fills_and_history() -> None:
    order = make_order()
    order.submit(2)
    order.accept(3, "V-1")
    order.apply_fill(make_fill("T-1", 4, "100.10", ts=4))
    assert (order.status, order.filled_qty, order.leaves_qty) == (S.PARTIALLY_FILLED, 4, 6)
    order.apply_fill(make_fill("T-2", 6, "100.20", ts=6))
    assert order.status is S.FILLED
    assert order.is_terminal
    assert not order.is_open
    # (4 * 100.10 + 6 * 100.20) / 10 = (400.40 + 601.20) / 10 = 100.16
    assert order.avg_fill_px == Decimal("100.16")
    assert [(t.ts, t.from_status, t.to_status) for t in order.history] == [
        (2, S.INITIALIZED, S.SUBMITTED),
        (3, S.SUBMITTED, S.ACCEPTED),
        (4, S.ACCEPTED, S.PARTIALLY_FILLED),
        (6, S.PARTIALLY_FILLED, S.FILLED),
    ]
    assert order.ts_last == 6
    assert order.has_fill("T-1")


def test_fill_may_arrive_before_the_acknowledgement() -> None:
    order = make_order()
    order.submit(2)
    order.apply_fill(make_fill("T-1", 10))
    assert order.status is S.FILLED
    assert order.venue_order_id == "V-1"


def test_illegal_transition_names_order_and_states_and_changes_nothing() -> None:
    order = make_order()
    assert order.avg_fill_px is None
    with pytest.raises(IllegalTransitionError, match=r"O-1.*initialized -> accepted"):
        order.accept(2, "V-1")
    order.submit(2)
    with pytest.raises(IllegalTransitionError, match=r"O-1.*submitted -> denied"):
        order.deny(3, "too big")
    with pytest.raises(IllegalTransitionError, match="submitted -> submitted"):
        order.submit(3)
    assert order.status is S.SUBMITTED
    assert len(order.history) == 1


def test_overfill_duplicate_and_foreign_fills_are_refused() -> None:
    order = make_order()
    order.submit(2)
    order.apply_fill(make_fill("T-1", 4))
    with pytest.raises(InvalidValueError, match="more than the order's 10"):
        order.apply_fill(make_fill("T-2", 7))
    with pytest.raises(InvalidValueError, match="already applied"):
        order.apply_fill(make_fill("T-1", 1))
    with pytest.raises(InvalidValueError, match="does not belong"):
        order.apply_fill(make_fill("T-3", 1, order_id="O-2"))
    assert (order.filled_qty, order.status, len(order.history)) == (4, S.PARTIALLY_FILLED, 2)


def test_fills_on_unsent_or_terminal_orders_are_illegal() -> None:
    order = make_order()
    with pytest.raises(IllegalTransitionError, match="initialized"):
        order.apply_fill(make_fill("T-1", 1))
    order.submit(2)
    order.reject(3, "insufficient margin")
    assert order.history[-1].reason == "insufficient margin"
    with pytest.raises(IllegalTransitionError, match="rejected -> filled"):
        order.apply_fill(make_fill("T-1", 1))


def test_cancel_request_partial_fill_then_refused_cancel() -> None:
    order = make_order()
    order.submit(2)
    order.accept(3, "V-1")
    order.request_cancel(4)
    assert order.is_open
    order.apply_fill(make_fill("T-1", 3))
    assert order.status is S.PENDING_CANCEL  # the cancel is still pending
    with pytest.raises(IllegalTransitionError):
        order.request_cancel(5)
    order.cancel_rejected(6, "too late")
    assert order.status is S.PARTIALLY_FILLED
    order.request_cancel(7)
    order.cancel(8)
    assert order.status is S.CANCELED
    assert (order.filled_qty, order.leaves_qty) == (3, 7)  # leaves stays after a cancel


def test_ack_arriving_after_a_cancel_request_keeps_the_cancel_pending() -> None:
    order = make_order()
    order.submit(2)
    order.request_cancel(3)
    order.accept(4, "V-9")
    assert (order.status, order.venue_order_id) == (S.PENDING_CANCEL, "V-9")
    with pytest.raises(IllegalTransitionError):
        order.accept(5, "V-9")
    order.cancel_rejected(6, "no")
    assert order.status is S.ACCEPTED


def test_cancel_before_sending_and_expiry() -> None:
    unsent = make_order()
    unsent.cancel(2, "algo stopped")
    assert unsent.status is S.CANCELED
    day = make_order()
    day.submit(2)
    day.accept(3, "V-1")
    day.expire(4)
    assert day.status is S.EXPIRED
    for action in (lambda: day.cancel(5), lambda: day.request_cancel(5), lambda: day.expire(5)):
        with pytest.raises(IllegalTransitionError):
            action()


def test_client_order_id_comes_from_argument_or_intent() -> None:
    intent = OrderIntent.market("MSFT", OrderSide.BUY, 1, client_order_id="mine")
    assert Order(intent, ts_init=0).client_order_id == "mine"
    with pytest.raises(InvalidValueError, match="differs"):
        Order(intent, ts_init=0, client_order_id="other")
    with pytest.raises(InvalidValueError, match="needs a client_order_id"):
        Order(OrderIntent.market("MSFT", OrderSide.BUY, 1), ts_init=0)


# ---------------------------------------------------------------------- trailing stops
def trailing(side: OrderSide, offset: object, **kwargs: object) -> Order:
    intent = OrderIntent.trailing_stop("MSFT", side, 1, offset, **kwargs)  # type: ignore[arg-type]
    return Order(intent, ts_init=0, client_order_id="T-1")


def test_sell_trailing_stop_only_rises() -> None:
    order = trailing(OrderSide.SELL, 2)
    assert order.update_trailing_stop(Decimal(100))
    assert order.stop_price == 98
    assert not order.update_trailing_stop(Decimal(99))  # price fell: stop stays
    assert order.stop_price == 98
    assert order.update_trailing_stop(Decimal(105))
    assert order.stop_price == 103


def test_buy_trailing_stop_in_basis_points_only_falls() -> None:
    order = trailing(OrderSide.BUY, 100, offset_type=TrailingOffsetType.BASIS_POINTS)
    order.update_trailing_stop(Decimal(200))
    assert order.stop_price == 202  # 200 + 1 % of 200
    assert not order.update_trailing_stop(Decimal(201))
    assert order.update_trailing_stop(Decimal(150))
    assert order.stop_price == Decimal("151.5")


def test_trailing_stop_rounds_away_from_the_market_and_keeps_initial_stop() -> None:
    msft = Instrument.equity("MSFT")
    order = trailing(OrderSide.SELL, "0.333", stop_price=99)
    assert not order.update_trailing_stop(Decimal("99.1"), instrument=msft)  # 98.767 -> 98.76
    assert order.update_trailing_stop(Decimal("100.10"), instrument=msft)
    assert order.stop_price == Decimal("99.76")  # 99.767 floored to the tick


def test_trailing_stop_update_needs_a_live_trailing_order() -> None:
    with pytest.raises(InvalidValueError, match="not a trailing stop"):
        make_order().update_trailing_stop(Decimal(1))
    order = trailing(OrderSide.SELL, 1)
    order.cancel(1)
    with pytest.raises(IllegalTransitionError, match="canceled"):
        order.update_trailing_stop(Decimal(10))


# ---------------------------------------------------------------------- stateful property
QUANTITY = Decimal(10)


class OrderLifecycle(RuleBasedStateMachine):
    """Random sequences of lifecycle calls: legal ones apply, illegal ones raise and change
    nothing, and the invariants hold after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.order = Order(
            OrderIntent.market("MSFT", OrderSide.BUY, QUANTITY), ts_init=0, client_order_id="O-1"
        )
        self.ts = 0
        self.trades = 0

    def _state(self) -> tuple[object, ...]:
        o = self.order
        return (o.status, o.filled_qty, o.avg_fill_px, o.venue_order_id, len(o.history))

    def _attempt(self, action: object, *args: object) -> None:
        self.ts += 1
        before = self._state()
        was_terminal = self.order.is_terminal
        try:
            action(self.ts, *args)  # type: ignore[operator]
        except (IllegalTransitionError, InvalidValueError):
            assert self._state() == before
            return
        assert not was_terminal, "a terminal order accepted a change"

    @rule()
    def submit(self) -> None:
        self._attempt(self.order.submit)

    @rule()
    def accept(self) -> None:
        self._attempt(lambda ts: self.order.accept(ts, "V-1"))

    @rule()
    def reject(self) -> None:
        self._attempt(lambda ts: self.order.reject(ts, "no"))

    @rule()
    def deny(self) -> None:
        self._attempt(lambda ts: self.order.deny(ts, "risk"))

    @rule()
    def request_cancel(self) -> None:
        self._attempt(self.order.request_cancel)

    @rule()
    def cancel_rejected(self) -> None:
        self._attempt(lambda ts: self.order.cancel_rejected(ts, "too late"))

    @rule()
    def cancel(self) -> None:
        self._attempt(self.order.cancel)

    @rule()
    def expire(self) -> None:
        self._attempt(self.order.expire)

    @rule(qty=st.integers(min_value=1, max_value=12), price=st.integers(90, 110))
    def fill(self, qty: int, price: int) -> None:
        self.trades += 1
        fill = Fill.create(
            client_order_id="O-1",
            trade_id=f"T-{self.trades}",
            symbol="MSFT",
            side=OrderSide.BUY,
            quantity=qty,
            price=price,
            ts_event=self.ts + 1,
        )
        self._attempt(lambda ts: self.order.apply_fill(fill))

    @invariant()
    def quantities_add_up(self) -> None:
        o = self.order
        assert o.filled_qty + o.leaves_qty == o.quantity
        assert 0 <= o.filled_qty <= o.quantity
        assert (o.status is S.FILLED) == (o.filled_qty == o.quantity)
        assert (o.avg_fill_px is None) == (o.filled_qty == 0)
        if o.avg_fill_px is not None:
            assert 90 <= o.avg_fill_px <= 110

    @invariant()
    def history_follows_the_table(self) -> None:
        status = S.INITIALIZED
        for step in self.order.history:
            assert step.from_status is status
            assert can_transition(step.from_status, step.to_status)
            status = step.to_status
        assert status is self.order.status


OrderLifecycle.TestCase.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
test_order_lifecycle = OrderLifecycle.TestCase


def test_history_is_built_on_reading_and_gives_the_last_reason() -> None:
    order = make_order()
    assert order.history == ()
    assert order.last_reason is None
    order.submit(2)
    order.apply_fill(make_fill("T-1", 4, "100.10", ts=4))
    order.request_cancel(5)
    order.cancel(6, "by request")
    history = order.history
    assert all(isinstance(step, OrderTransition) for step in history)
    assert history[-1] == OrderTransition(6, S.PENDING_CANCEL, S.CANCELED, "by request")
    assert history[1].reason == "fill T-1"
    assert order.last_reason == "by request"
    assert order.history == history  # a fresh tuple of equal transitions on every read
