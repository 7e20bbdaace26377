"""SimulatedBroker behaviour beyond the scenario tables: the port contract, rejections, events,
re-entrancy, determinism on real data, capped bracket exits, and the cost of an idle bar."""

from __future__ import annotations

from decimal import Decimal

import pytest

from alphaforge.brokers import SimulatedBroker, utc_session
from alphaforge.core.clock import SimClock
from alphaforge.data import HistoricalFeed
from alphaforge.domain import (
    Bar,
    Instrument,
    InvalidValueError,
    Order,
    OrderEvent,
    OrderFilled,
    OrderIntent,
    OrderSide,
    OrderStatus,
    QuoteTick,
    TimeInForce,
)
from alphaforge.execution import Bracket, SpreadModel, apply_event

DAY = 86_400_000_000_000
BUY, SELL = OrderSide.BUY, OrderSide.SELL
AAA = Instrument.equity("AAA")


def bar(
    i: int, o: float = 100.0, h: float = 101.0, low: float = 99.0, c: float = 100.0, v: float = 1e6
) -> Bar:
    return Bar.create("AAA", "1d", o, h, low, c, v, (i + 1) * DAY)


class Book:
    """Orders by id, every event, events applied to their orders."""

    def __init__(self, broker: SimulatedBroker) -> None:
        self.broker = broker
        self.orders: dict[str, Order] = {}
        self.events: list[OrderEvent] = []
        broker.set_event_handler(self.on_event)

    def on_event(self, event: OrderEvent) -> None:
        self.events.append(event)
        apply_event(self.orders[event.client_order_id], event)

    def make(self, intent: OrderIntent, cid: str, ts: int = 0) -> Order:
        order = Order(intent, ts_init=ts, client_order_id=cid)
        order.submit(ts)
        self.orders[cid] = order
        return order

    def send(self, intent: OrderIntent, cid: str, ts: int = 0) -> Order:
        order = self.make(intent, cid, ts)
        self.broker.submit(order)
        return order


def test_submit_needs_a_submitted_order_and_a_fresh_id() -> None:
    book = Book(SimulatedBroker([AAA]))
    fresh = Order(OrderIntent.market("AAA", BUY, 1), ts_init=0, client_order_id="a")
    with pytest.raises(InvalidValueError, match=r"call order\.submit"):
        book.broker.submit(fresh)
    book.send(OrderIntent.market("AAA", BUY, 1), "b")
    again = Order(OrderIntent.market("AAA", BUY, 1), ts_init=0, client_order_id="b")
    again.submit(0)
    with pytest.raises(InvalidValueError, match="already submitted"):
        book.broker.submit(again)


@pytest.mark.parametrize(
    ("intent", "reason"),
    [
        (OrderIntent.market("ZZZ", BUY, 1), "unknown instrument 'ZZZ'"),
        (OrderIntent.market("AAA", BUY, "1.5"), "not a multiple of the lot 1"),
        (OrderIntent.limit("AAA", BUY, 1, "100.005"), "not on the tick grid 0.01"),
        (OrderIntent.stop("AAA", SELL, 1, "99.999"), "stop price 99.999 of AAA is not on the tick"),
    ],
)
def test_rejections(intent: OrderIntent, reason: str) -> None:
    book = Book(SimulatedBroker([AAA]))
    order = book.send(intent, "x")
    assert order.status is OrderStatus.REJECTED
    assert reason in (order.history[-1].reason or "")
    assert book.broker.open_orders() == []


def test_close_mode_needs_a_bar_first() -> None:
    book = Book(SimulatedBroker([AAA], fill_mode="close"))
    order = book.send(OrderIntent.market("AAA", BUY, 1), "x")
    assert order.history[-1].reason == "fill_mode 'close' needs a price: no bar of AAA seen yet"


def test_cancel_contract() -> None:
    book = Book(SimulatedBroker([AAA]))
    book.broker.process_bar(bar(0))
    resting = book.send(OrderIntent.limit("AAA", BUY, 1, "90"), "r", DAY)
    assert book.broker.open_orders() == [resting]
    book.broker.cancel("r")
    assert resting.status is OrderStatus.CANCELED
    assert resting.history[-1].reason == "canceled by request"
    book.broker.cancel("r")  # finished: nothing happens
    with pytest.raises(InvalidValueError, match="unknown order"):
        book.broker.cancel("never")


def test_events_wait_for_a_handler() -> None:
    broker = SimulatedBroker([AAA])
    order = Order(OrderIntent.market("AAA", BUY, 1), ts_init=0, client_order_id="x")
    order.submit(0)
    broker.submit(order)
    (accepted,) = broker.drain_events()
    assert accepted.client_order_id == "x"
    assert broker.drain_events() == []


def test_a_handler_may_submit_while_events_are_delivered() -> None:
    broker = SimulatedBroker([AAA], fill_mode="close")
    book = Book(broker)
    broker.process_bar(bar(0, c=100.5))

    def on_event(event: OrderEvent) -> None:
        book.on_event(event)
        if isinstance(event, OrderFilled) and event.client_order_id == "first":
            book.send(OrderIntent.market("AAA", SELL, 1), "second", DAY)

    broker.set_event_handler(on_event)
    book.send(OrderIntent.market("AAA", BUY, 1), "first", DAY)
    kinds = [(type(e).__name__, e.client_order_id) for e in book.events]
    assert kinds == [
        ("OrderAccepted", "first"),
        ("OrderFilled", "first"),
        ("OrderAccepted", "second"),
        ("OrderFilled", "second"),
    ]
    assert broker.position("AAA") == 0


def test_clock_stamps_submissions_and_ids_are_deterministic() -> None:
    clock = SimClock(5 * DAY)
    book = Book(SimulatedBroker([AAA], clock=clock))
    book.send(OrderIntent.market("AAA", BUY, 1), "x", 5 * DAY)
    (accepted,) = book.events
    assert accepted.ts_event == 5 * DAY
    assert (accepted.event_id, getattr(accepted, "venue_order_id", None)) == ("SIM-2", "SIM-1")


def test_spread_from_the_latest_quote() -> None:
    book = Book(SimulatedBroker([AAA], slippage=SpreadModel(spread_bps=100)))
    book.broker.process_bar(bar(0))
    book.broker.process_quote(QuoteTick.create("AAA", 99.9, 100.1, 10, 10, DAY))
    book.send(OrderIntent.market("AAA", BUY, 1), "x", DAY)
    book.broker.process_bar(bar(1))
    (fill,) = [e.fill for e in book.events if isinstance(e, OrderFilled)]
    assert fill.price == Decimal("100.10")  # half of the quoted 0.20, not half of 100 bp


def test_trailing_stop_without_a_stop_starts_from_the_last_close() -> None:
    book = Book(SimulatedBroker([AAA]))
    book.broker.process_bar(bar(0, c=100.0))
    order = book.send(OrderIntent.trailing_stop("AAA", SELL, 1, "1.5"), "t", DAY)
    assert order.stop_price == Decimal("98.50")


def test_bracket_entry_partly_filled_arms_capped_exits() -> None:
    # IOC entry of 100 with room for 50 (10 % of 500): 50 fill, the rest is canceled; the exits
    # are armed for 50 and the take-profit's unfillable 50 is canceled once 50 are sold.
    book = Book(SimulatedBroker([AAA], max_participation=0.1))
    book.broker.process_bar(bar(0))
    entry = book.make(OrderIntent.market("AAA", BUY, 100, time_in_force=TimeInForce.IOC), "e", DAY)
    stop = book.make(OrderIntent.stop("AAA", SELL, 100, "90"), "sl", DAY)
    target = book.make(OrderIntent.limit("AAA", SELL, 100, "105"), "tp", DAY)
    book.broker.submit_bracket(Bracket(entry, stop, target))
    book.broker.process_bar(bar(1, 100.0, 101.0, 99.0, 100.0, 500.0))
    assert (entry.status, entry.filled_qty) == (OrderStatus.CANCELED, 50)
    book.broker.process_bar(bar(2, 104.0, 106.0, 103.0, 105.0, 10_000.0))
    assert (target.status, target.filled_qty) == (OrderStatus.CANCELED, 50)
    assert target.history[-1].reason == "bracket entry filled only 50"
    assert stop.status is OrderStatus.CANCELED
    assert book.broker.position("AAA") == 0


def test_oco_pair_protects_an_existing_position() -> None:
    broker = SimulatedBroker([AAA], allow_short=False)
    book = Book(broker)
    broker.set_position("AAA", Decimal(10))
    broker.process_bar(bar(0))
    stop = book.make(OrderIntent.stop("AAA", SELL, 10, "95"), "sl", DAY)
    target = book.make(OrderIntent.limit("AAA", SELL, 10, "110"), "tp", DAY)
    broker.submit_bracket(Bracket.oco(stop, target))
    broker.process_bar(bar(1, 96.0, 97.0, 94.0, 95.0))
    assert stop.status is OrderStatus.FILLED
    assert target.status is OrderStatus.CANCELED
    assert broker.position("AAA") == 0


def test_bracket_rejected_as_a_whole() -> None:
    book = Book(SimulatedBroker([AAA], allow_short=False))
    book.broker.process_bar(bar(0))
    orders = [
        book.make(OrderIntent.market("AAA", SELL, 10), "e", DAY),
        book.make(OrderIntent.stop("AAA", BUY, 10, "105"), "sl", DAY),
        book.make(OrderIntent.limit("AAA", BUY, 10, "95"), "tp", DAY),
    ]
    book.broker.submit_bracket(Bracket(*orders))
    assert [o.status for o in orders] == [OrderStatus.REJECTED] * 3


def test_margin_check_needs_an_account() -> None:
    broker = SimulatedBroker([AAA])
    with pytest.raises(InvalidValueError, match="set_account"):
        broker.check_margin()


def test_invalid_configuration() -> None:
    with pytest.raises(InvalidValueError):
        SimulatedBroker([AAA], fill_mode="aggressive")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError):
        SimulatedBroker([AAA], max_participation=1.5)
    with pytest.raises(InvalidValueError):
        SimulatedBroker([AAA], intrabar="random")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError):
        SimulatedBroker([AAA], limit_fill="near")  # type: ignore[arg-type]


def test_utc_session_of_a_bar_closing_at_midnight_is_the_day_before() -> None:
    assert utc_session(DAY) == 0
    assert utc_session(DAY + 1) == 1


def run_spx(fill_mode: str) -> list[OrderEvent]:
    spx = Instrument.equity("SPX", tick_size="0.000001")
    broker = SimulatedBroker([spx], fill_mode=fill_mode, max_participation=0.5)  # type: ignore[arg-type]
    book = Book(broker)
    bars = list(HistoricalFeed.from_bundled("spx_daily").bars())[:1500]
    for i, b in enumerate(bars):
        broker.process_bar(b)
        if i % 20 == 0:
            side = BUY if (i // 20) % 2 == 0 else SELL
            book.send(OrderIntent.market("SPX", side, 10), f"m{i}", b.ts_event)
            stop = spx.round_price(Decimal(repr(b.close)) * Decimal("0.97"))
            book.send(OrderIntent.stop("SPX", SELL, 5, stop), f"s{i}", b.ts_event)
    return book.events


@pytest.mark.parametrize("fill_mode", ["next_open", "close"])
def test_identical_inputs_give_identical_events(fill_mode: str) -> None:
    first, second = run_spx(fill_mode), run_spx(fill_mode)
    assert len(first) > 100
    assert first == second


@pytest.mark.pure_only  # spies on the matcher's methods
def test_a_bar_without_open_orders_skips_all_matching(monkeypatch: pytest.MonkeyPatch) -> None:
    # The speed of an idle bar is measured in benchmarks/ (bench_engine.py); here the structure
    # that makes it cheap: no matching work at all for a symbol without open orders.
    broker = SimulatedBroker([AAA, Instrument.equity("BBB")])
    book = Book(broker)
    book.send(OrderIntent.limit("BBB", BUY, 1, "1"), "b")  # orders elsewhere do not matter
    calls: list[str] = []
    matcher = broker._matcher

    def spy(name: str) -> object:
        real = getattr(matcher, name)

        def wrapped(*args: object, **kwargs: object) -> object:
            calls.append(name)
            return real(*args, **kwargs)

        return wrapped

    for name in ("all_quiet", "run"):
        monkeypatch.setattr(matcher, name, spy(name))
    for i in range(1_000):
        broker.process_bar(bar(i))
    assert calls == []
    assert broker.last_bar("AAA") == bar(999)
