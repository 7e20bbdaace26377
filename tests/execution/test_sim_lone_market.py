"""The simulated broker's lane for a market order alone on a plain bar
(``Matcher.lone_market``) agrees with the general matching (``Matcher.run``) on every case it
takes, and leaves the others to it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from alphaforge.brokers import SimulatedBroker
from alphaforge.brokers._sim_match import Matcher
from alphaforge.domain import (
    Bar,
    Instrument,
    Order,
    OrderEvent,
    OrderFilled,
    OrderIntent,
    OrderSide,
    TimeInForce,
)
from alphaforge.execution import BpsCommission, Bracket, SpreadModel, apply_event

HOUR = 3_600_000_000_000
DAY = 24 * HOUR
AAA = Instrument.equity("AAA")

# The general path is forced by patching Matcher.lone_market: Python dispatch only.
pytestmark = pytest.mark.pure_only


def _bar(ts: int, o: float, h: float, low: float, c: float, v: float) -> Bar:
    return Bar.create("AAA", "1h", o, h, low, c, v, ts)


# Hourly bars over two days: partial fills under a cap go on bar after bar, and a DAY order
# still working when the second day starts expires there.
BARS = [
    _bar(DAY + HOUR * (i + 1), 100 + i, 102 + i, 99 + i, 101 + i, v)
    for i, v in enumerate([1000.0, 800.0, 0.0, 2000.0, 600.0])
] + [
    _bar(2 * DAY + HOUR * (i + 1), 104 - i, 106 - i, 101 - i, 103 - i, v)
    for i, v in enumerate([700.0, 5000.0, 300.0])
]


def _run(
    *,
    general: bool,
    monkeypatch: pytest.MonkeyPatch,
    tif: TimeInForce,
    side: OrderSide,
    quantity: str,
    broker_kwargs: dict[str, object],
    at: tuple[int, ...] = (0, 3),
) -> list[tuple[object, ...]]:
    """Send a market order after each bar index in ``at``; return every event and fill reason."""
    with monkeypatch.context() as patch:
        if general:  # the lane declines everything: each bar takes the general path
            patch.setattr(Matcher, "lone_market", lambda *args: None)
        broker = SimulatedBroker([AAA], **broker_kwargs)  # type: ignore[arg-type]
        orders: dict[str, Order] = {}
        seen: list[OrderEvent] = []

        def on_event(event: OrderEvent) -> None:
            seen.append(event)
            apply_event(orders[event.client_order_id], event)

        broker.set_event_handler(on_event)
        for i, bar in enumerate(BARS):
            broker.process_bar(bar)
            if i in at:
                cid = f"o{i}"
                intent = OrderIntent.market("AAA", side, Decimal(quantity), time_in_force=tif)
                order = orders[cid] = Order(intent, ts_init=bar.ts_event, client_order_id=cid)
                order.submit(bar.ts_event)
                broker.submit(order)
    out: list[tuple[object, ...]] = [(repr(event),) for event in seen]
    out += [
        (e.fill.trade_id, broker.fill_reason(e.fill.trade_id))
        for e in seen
        if isinstance(e, OrderFilled)
    ]
    out.append(("position", broker.position("AAA")))
    out += [
        (o.client_order_id, o.status, o.filled_qty, o.leaves_qty, o.avg_fill_px)
        for o in orders.values()
    ]
    return out


BROKERS: list[dict[str, object]] = [
    {},
    {"max_participation": 0.1},
    {"max_participation": 0.5, "slippage": SpreadModel(spread_bps=4)},
    {"fill_mode": "close", "max_participation": 0.2, "commission": BpsCommission(3)},
    {"intrabar": "ohlc_path", "max_participation": 0.1},
    {"intrabar": "lower_timeframe"},
]


@pytest.mark.parametrize("tif", list(TimeInForce))
@pytest.mark.parametrize("side", [OrderSide.BUY, OrderSide.SELL])
@pytest.mark.parametrize("quantity", ["1", "250"])
@pytest.mark.parametrize("broker_kwargs", BROKERS)
def test_the_lone_market_lane_reports_what_the_general_matching_reports(
    monkeypatch: pytest.MonkeyPatch,
    tif: TimeInForce,
    side: OrderSide,
    quantity: str,
    broker_kwargs: dict[str, object],
) -> None:
    kwargs = {"tif": tif, "side": side, "quantity": quantity, "broker_kwargs": broker_kwargs}
    fast = _run(general=False, monkeypatch=monkeypatch, **kwargs)  # type: ignore[arg-type]
    slow = _run(general=True, monkeypatch=monkeypatch, **kwargs)  # type: ignore[arg-type]
    assert fast == slow
    assert any(row[0] == "position" for row in fast)


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record what ``lone_market`` answers each time it is asked."""
    answers: list[object] = []
    real = Matcher.lone_market

    def spy(self: Matcher, *args: object) -> float | None:
        answer = real(self, *args)  # type: ignore[arg-type]
        answers.append(answer)
        return answer

    monkeypatch.setattr(Matcher, "lone_market", spy)
    return answers


def test_the_lane_takes_a_lone_market_order_and_declines_an_expired_day_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = _spy(monkeypatch)
    rows = _run(
        general=False,
        monkeypatch=monkeypatch,
        tif=TimeInForce.DAY,
        side=OrderSide.BUY,
        quantity="250",
        broker_kwargs={"max_participation": 0.1},
        at=(3,),
    )
    # bar 4 fills 60 (room 60.0 - 60 left), then the next day's bar: declined, expired there
    assert answers == [0.0, None]
    assert any("OrderExpired" in str(row[0]) for row in rows)


def test_the_lane_is_not_asked_for_brackets_resting_orders_pairs_or_lower_bars(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = _spy(monkeypatch)
    broker = SimulatedBroker([AAA], intrabar="lower_timeframe")
    orders: dict[str, Order] = {}
    broker.set_event_handler(lambda event: apply_event(orders[event.client_order_id], event))

    def send(intent: OrderIntent, cid: str) -> None:
        order = orders[cid] = Order(intent, ts_init=0, client_order_id=cid)
        order.submit(0)
        broker.submit(order)

    broker.process_bar(BARS[0])
    send(OrderIntent.limit("AAA", OrderSide.BUY, 1, "50"), "limit")  # rests: not a market order
    broker.process_bar(BARS[1])
    send(OrderIntent.market("AAA", OrderSide.BUY, 1), "pair")  # two orders in the book
    broker.process_bar(BARS[2])
    broker.cancel("limit")
    send(OrderIntent.market("AAA", OrderSide.BUY, 1), "lower")  # a bar with lower bars
    lower = [
        Bar.create("AAA", "30m", 103, 104, 102, 103.5, 10.0, BARS[3].ts_event - HOUR // 2),
        Bar.create("AAA", "30m", 103.5, 105, 102, 104, 10.0, BARS[3].ts_event),
    ]
    broker.process_bar(BARS[3], lower_bars=lower)
    made = [
        Order(intent, ts_init=0, client_order_id=cid)
        for intent, cid in (
            (OrderIntent.market("AAA", OrderSide.BUY, 1), "entry"),
            (OrderIntent.stop("AAA", OrderSide.SELL, 1, "90"), "stop"),
        )
    ]
    for order in made:
        orders[order.client_order_id] = order
        order.submit(0)
    broker.submit_bracket(Bracket(made[0], made[1], None))  # a market entry with an exit
    broker.process_bar(BARS[4])
    assert answers == []
    statuses = {cid: o.status.value for cid, o in orders.items()}
    assert statuses == {
        "limit": "canceled",
        "pair": "filled",
        "lower": "filled",
        "entry": "filled",
        "stop": "accepted",
    }
