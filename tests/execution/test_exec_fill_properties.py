"""Properties of the fill rules and the simulated broker, over random bars and orders.

* an aggressive buy never fills below its reference price (a sell never above);
* a buy limit never fills above its limit (a sell limit never below);
* without costs every fill lies within its bar's range;
* no order is ever filled beyond its quantity, and every event applies to its order;
* an order the quiet filter skips would have done nothing.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from alphaforge.brokers import SimulatedBroker
from alphaforge.domain import (
    Bar,
    Instrument,
    LiquiditySide,
    Order,
    OrderEvent,
    OrderFilled,
    OrderIntent,
    OrderSide,
    OrderType,
    TimeInForce,
)
from alphaforge.execution import (
    INTRABAR_POLICIES,
    OrderSpec,
    apply_event,
    is_quiet,
    match_bar,
)
from alphaforge.execution.slippage import aggressive_price

DAY = 86_400_000_000_000


@st.composite
def bars(draw: st.DrawFn, ts: int = DAY) -> Bar:
    low = draw(st.integers(5_000, 15_000))
    span = draw(st.integers(0, 2_000))
    o, c = (low + draw(st.integers(0, span)) for _ in range(2))
    volume = draw(st.sampled_from([0.0, 50.0, 1_000.0, 1e6]))
    return Bar.create("AAA", "1d", o / 100, (low + span) / 100, low / 100, c / 100, volume, ts)


@st.composite
def specs(draw: st.DrawFn) -> OrderSpec:
    kind = draw(st.sampled_from(list(OrderType)))
    price = draw(st.integers(5_000, 17_000)) / 100
    other = draw(st.integers(5_000, 17_000)) / 100
    kwargs: dict[str, object] = {}
    if kind in (OrderType.LIMIT, OrderType.STOP_LIMIT):
        kwargs["limit"] = price
    if kind in (OrderType.STOP, OrderType.STOP_LIMIT):
        kwargs["stop"] = other
    if kind is OrderType.TRAILING_STOP:
        kwargs["trailing_offset"] = draw(st.integers(1, 500)) / 100
        if draw(st.booleans()):
            kwargs["stop"] = other
    if kind in (OrderType.MARKET, OrderType.LIMIT):
        kwargs["time_in_force"] = draw(st.sampled_from(list(TimeInForce)))
    spec = OrderSpec(
        side_sign=draw(st.sampled_from([1, -1])),
        order_type=kind,
        quantity=draw(st.integers(1, 500)),
        **kwargs,  # type: ignore[arg-type]
    )
    spec.triggered = kind is not OrderType.MARKET and draw(st.booleans())
    return spec


@given(
    spec=specs(),
    bar=bars(),
    bps=st.floats(0, 500),
    policy=st.sampled_from(INTRABAR_POLICIES),
    capacity=st.sampled_from([0.0, 3.0, 1e9]),
)
def test_fill_prices_respect_reference_and_limit(
    spec: OrderSpec, bar: Bar, bps: float, policy: str, capacity: float
) -> None:
    match = match_bar(
        spec,
        bar,
        policy=policy,  # type: ignore[arg-type]
        capacity=capacity,
        price=lambda sign, ref, qty: aggressive_price(sign, ref, bps * 1e-4),
    )
    sign = spec.side_sign
    for fill in match.fills:
        assert 0 < fill.quantity <= spec.leaves
        assert fill.quantity <= capacity
        if fill.liquidity is LiquiditySide.TAKER:
            assert sign * fill.price >= sign * fill.reference
        if spec.has_limit:
            assert sign * fill.price <= sign * spec.limit
        else:
            assert bar.low <= fill.reference <= bar.high


@st.composite
def intents(draw: st.DrawFn) -> OrderIntent:
    side = draw(st.sampled_from(list(OrderSide)))
    qty = draw(st.integers(1, 300))
    price = Decimal(draw(st.integers(5_000, 17_000))) / 100
    stop = Decimal(draw(st.integers(5_000, 17_000))) / 100
    kind = draw(
        st.sampled_from(["market", "limit", "stop", "stop_limit", "trailing", "ioc", "fok"])
    )
    if kind == "market":
        return OrderIntent.market("AAA", side, qty)
    if kind in ("ioc", "fok"):
        tif = TimeInForce.IOC if kind == "ioc" else TimeInForce.FOK
        return OrderIntent.limit("AAA", side, qty, price, time_in_force=tif)
    if kind == "limit":
        tif = draw(st.sampled_from([TimeInForce.GTC, TimeInForce.DAY]))
        return OrderIntent.limit("AAA", side, qty, price, time_in_force=tif)
    if kind == "stop":
        return OrderIntent.stop("AAA", side, qty, stop)
    if kind == "stop_limit":
        return OrderIntent.stop_limit("AAA", side, qty, stop, price)
    return OrderIntent.trailing_stop("AAA", side, qty, Decimal(draw(st.integers(1, 500))) / 100)


@given(
    script=st.lists(st.tuples(bars(), st.lists(intents(), max_size=3)), min_size=1, max_size=8),
    fill_mode=st.sampled_from(["next_open", "close"]),
    participation=st.sampled_from([None, 0.05, 0.5]),
    policy=st.sampled_from(INTRABAR_POLICIES),
)
def test_broker_never_overfills_and_fills_inside_the_bar(
    script: list[tuple[Bar, list[OrderIntent]]],
    fill_mode: str,
    participation: float | None,
    policy: str,
) -> None:
    orders: dict[str, Order] = {}

    def on_event(event: OrderEvent) -> None:
        apply_event(orders[event.client_order_id], event)

    broker = SimulatedBroker(
        [Instrument.equity("AAA")],
        fill_mode=fill_mode,  # type: ignore[arg-type]
        max_participation=participation,
        intrabar=policy,  # type: ignore[arg-type]
    )
    broker.set_event_handler(on_event)
    for i, (raw, batch) in enumerate(script):
        bar = raw._replace(ts_event=(i + 1) * DAY, ts_init=(i + 1) * DAY)
        broker.process_bar(bar)
        for j, intent in enumerate(batch):
            order = Order(intent, ts_init=bar.ts_event, client_order_id=f"{i}-{j}")
            orders[order.client_order_id] = order
            order.submit(bar.ts_event)
            broker.submit(order)
    for order in orders.values():
        assert order.filled_qty <= order.quantity
        assert order.filled_qty + order.leaves_qty == order.quantity
        assert (order.avg_fill_px is None) == (order.filled_qty == 0)
    assert {o.client_order_id for o in broker.open_orders()} == {
        o.client_order_id for o in orders.values() if o.is_open
    }
    signed = sum((o.filled_qty * o.side.sign for o in orders.values()), Decimal(0))
    assert broker.position("AAA") == signed


@given(script=st.lists(st.tuples(bars(), st.lists(intents(), max_size=2)), min_size=2, max_size=6))
def test_without_costs_fills_stay_inside_their_bar(
    script: list[tuple[Bar, list[OrderIntent]]],
) -> None:
    orders: dict[str, Order] = {}
    events: list[OrderEvent] = []

    def on_event(event: OrderEvent) -> None:
        events.append(event)
        apply_event(orders[event.client_order_id], event)

    broker = SimulatedBroker([Instrument.equity("AAA")])
    broker.set_event_handler(on_event)
    by_ts: dict[int, Bar] = {}
    for i, (raw, batch) in enumerate(script):
        bar = raw._replace(ts_event=(i + 1) * DAY, ts_init=(i + 1) * DAY)
        by_ts[bar.ts_event] = bar
        broker.process_bar(bar)
        for j, intent in enumerate(batch):
            order = Order(intent, ts_init=bar.ts_event, client_order_id=f"{i}-{j}")
            orders[order.client_order_id] = order
            order.submit(bar.ts_event)
            broker.submit(order)
    for event in events:
        if isinstance(event, OrderFilled):
            bar = by_ts[event.fill.ts_event]
            assert Decimal(repr(bar.low)) <= event.fill.price <= Decimal(repr(bar.high))


@given(spec=specs(), bar=bars(), policy=st.sampled_from(INTRABAR_POLICIES), touch=st.booleans())
def test_a_quiet_order_really_does_nothing(
    spec: OrderSpec, bar: Bar, policy: str, touch: bool
) -> None:
    # The broker skips bars its quiet filter calls quiet: that must never hide an event.
    if not is_quiet(spec, bar.low, bar.high, touch=touch):
        return
    match = match_bar(spec, bar, policy=policy, touch=touch)  # type: ignore[arg-type]
    assert match.fills == ()
    assert not match.triggered
    assert match.cancel_reason is None
    assert match.extreme != match.extreme  # NaN: a trailing stop would not be quiet
