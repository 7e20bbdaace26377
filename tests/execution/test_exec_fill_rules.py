"""The pure fill rules on hand-made paths: one behaviour per test, known answers."""

from __future__ import annotations

import math

import pytest

from alphaforge.domain import (
    Bar,
    InvalidValueError,
    LiquiditySide,
    Order,
    OrderIntent,
    OrderSide,
    OrderType,
    TimeInForce,
)
from alphaforge.execution import OrderSpec, PathPoint, match_bar, match_order
from alphaforge.execution.intrabar import PricePath, point_path

BUY, SELL = OrderSide.BUY, OrderSide.SELL
BAR = Bar.create("AAA", "1d", 100.0, 104.0, 97.0, 101.0, 1000.0, 1)
UP_FIRST = PricePath((100.0, 104.0, 97.0, 101.0), (True, False, False, False))
DOWN_FIRST = PricePath((100.0, 97.0, 104.0, 101.0), (True, False, False, False))


def spec(kind: OrderType, side: int = 1, qty: float = 10, **kw: object) -> OrderSpec:
    return OrderSpec(side_sign=side, order_type=kind, quantity=qty, **kw)  # type: ignore[arg-type]


def only(match: object) -> tuple[float, float, LiquiditySide, str]:
    (fill,) = match.fills  # type: ignore[attr-defined]
    return fill.price, fill.quantity, fill.liquidity, fill.reason


def test_market_fills_at_the_arrival() -> None:
    assert only(match_order(spec(OrderType.MARKET), UP_FIRST)) == (
        100.0,
        10,
        LiquiditySide.TAKER,
        "market at open",
    )
    assert (
        only(match_order(spec(OrderType.MARKET), point_path(99.5, "close")))[3] == "market at close"
    )


def test_market_price_function_and_capacity() -> None:
    match = match_order(
        spec(OrderType.MARKET, side=-1),
        UP_FIRST,
        capacity=4,
        price=lambda s, r, q: r * (1 + s * 0.01),
    )
    price, qty, _, _ = only(match)
    assert price == pytest.approx(99.0)
    assert qty == 4


def test_limit_trade_through_and_touch() -> None:
    buy = spec(OrderType.LIMIT, limit=97.0)
    assert match_order(buy, UP_FIRST).fills == ()  # the low only touches 97
    touched = match_order(buy, UP_FIRST, touch=True)
    assert only(touched) == (97.0, 10, LiquiditySide.MAKER, "limit touched")
    assert touched.at is not None
    assert touched.at.t == pytest.approx(2.0)
    through = match_order(spec(OrderType.LIMIT, limit=98.0), UP_FIRST)
    assert only(through) == (98.0, 10, LiquiditySide.MAKER, "limit traded through")
    # On the way from 104 down to 97, 98 is 6/7 of the way: t = 1 + 6/7.
    assert through.at == PathPoint(pytest.approx(1 + 6 / 7), 2, 98.0)


def test_limit_marketable_at_the_open_is_capped_by_the_limit() -> None:
    match = match_order(
        spec(OrderType.LIMIT, limit=100.5), UP_FIRST, price=lambda s, r, q: r * 1.01
    )
    assert only(match) == (100.5, 10, LiquiditySide.TAKER, "limit marketable at open")


def test_sell_limit_mirrors_the_buy() -> None:
    assert only(match_order(spec(OrderType.LIMIT, side=-1, limit=103.0), DOWN_FIRST))[:3] == (
        103.0,
        10,
        LiquiditySide.MAKER,
    )
    assert match_order(spec(OrderType.LIMIT, side=-1, limit=104.0), DOWN_FIRST).fills == ()


def test_stop_triggers_at_its_level_or_at_a_gap() -> None:
    stop = match_order(spec(OrderType.STOP, side=-1, stop=98.0), UP_FIRST)
    assert only(stop) == (98.0, 10, LiquiditySide.TAKER, "stop triggered")
    assert stop.triggered
    gap = match_order(spec(OrderType.STOP, side=-1, stop=101.0), UP_FIRST)
    assert only(gap)[0] == 100.0
    assert only(gap)[3] == "stop gapped through: filled at open"
    assert not match_order(spec(OrderType.STOP, stop=105.0), UP_FIRST).triggered


def test_stop_without_capacity_triggers_and_then_acts_as_market() -> None:
    order = spec(OrderType.STOP, side=-1, stop=98.0)
    match = match_order(order, UP_FIRST, capacity=0.0)
    assert match.fills == ()
    assert match.triggered
    order.triggered = True
    assert only(match_order(order, UP_FIRST))[3] == "triggered stop at open"


def test_stop_limit_walks_on_after_the_trigger() -> None:
    # Sell stop 98, limit 99: triggered on the fall to 97 (UP_FIRST), then the close 101 comes
    # back through 99: a passive fill at 99 later in the same bar.
    later = match_order(spec(OrderType.STOP_LIMIT, side=-1, stop=98.0, limit=99.0), UP_FIRST)
    assert only(later) == (
        99.0,
        10,
        LiquiditySide.MAKER,
        "stop-limit triggered, limit traded through",
    )
    # Limit 102 is never traded through after the trigger: triggered, not filled.
    waits = match_order(spec(OrderType.STOP_LIMIT, side=-1, stop=98.0, limit=102.0), UP_FIRST)
    assert waits.fills == ()
    assert waits.triggered
    assert waits.at is not None


def test_trailing_stop_ratchets_along_the_path() -> None:
    trail = spec(OrderType.TRAILING_STOP, side=-1, trailing_offset=2.0, stop=95.0)
    # Up first: 104 ratchets the stop to 102, the fall to 97 hits it.
    hit = match_order(trail, UP_FIRST)
    assert only(hit) == (102.0, 10, LiquiditySide.TAKER, "trailing stop hit")
    assert hit.stop_price == 102.0
    assert hit.extreme == 104.0
    # Down first: the open ratchets the stop from 95 to 98, the fall to 97 hits it there.
    down = match_order(trail, DOWN_FIRST)
    assert only(down)[0] == 98.0
    assert down.extreme == 100.0
    calm = PricePath((100.0, 101.0, 99.5, 100.5), (True, False, False, False))
    quiet = match_order(trail, calm)
    assert quiet.fills == ()
    assert quiet.stop_price == 99.0
    assert quiet.extreme == 101.0


def test_trailing_stop_in_bps_on_the_tick_grid_and_initialised_on_arrival() -> None:
    trail = spec(
        OrderType.TRAILING_STOP, side=1, trailing_offset=100.0, trailing_bps=True, tick=0.01
    )
    match = match_order(trail, PricePath((100.0, 99.0, 99.5), (True, False, False)))
    assert match.fills == ()
    assert match.stop_price == pytest.approx(99.99)  # 99 * 1.01, on the grid (ceil for a buy)
    assert match.extreme == 99.0


def test_immediate_orders_look_only_at_the_arrival() -> None:
    ioc = spec(OrderType.LIMIT, limit=98.0, time_in_force=TimeInForce.IOC)
    missed = match_order(ioc, UP_FIRST)
    assert missed.fills == ()
    assert missed.cancel_reason == "IOC: not marketable at open"
    partial = match_order(
        spec(OrderType.MARKET, time_in_force=TimeInForce.IOC), UP_FIRST, capacity=3
    )
    assert only(partial)[1] == 3
    assert partial.cancel_reason == "IOC: 7 unfilled, canceled"
    fok = match_order(spec(OrderType.MARKET, time_in_force=TimeInForce.FOK), UP_FIRST, capacity=3)
    assert fok.fills == ()
    assert fok.cancel_reason is not None


def test_start_point_checks_the_start_as_an_arrival() -> None:
    # A take-profit armed at 103 on a rising segment, with its limit at 102: marketable at once.
    start = PathPoint(0.75, 1, 103.0)
    match = match_order(spec(OrderType.LIMIT, side=-1, limit=102.0), UP_FIRST, start=start)
    assert only(match)[3] == "limit marketable at activation"


def test_lower_timeframe_gaps_inside_the_path() -> None:
    path = PricePath(
        (100.0, 101.0, 99.5, 100.5, 96.0, 97.0), (True, False, False, False, True, False)
    )
    match = match_order(spec(OrderType.STOP, side=-1, stop=98.0), path)
    assert only(match)[0] == 96.0
    assert only(match)[3] == "stop gapped through: filled at a gap (lower-timeframe open)"


def test_match_bar_uses_the_side_path() -> None:
    sell_stop_limit = spec(OrderType.STOP_LIMIT, side=-1, stop=98.0, limit=99.0)
    assert only(match_bar(sell_stop_limit, BAR))[0] == 99.0  # sells: low first, then up through 99


def test_spec_from_order_and_validation() -> None:
    order = Order(
        OrderIntent.stop_limit("AAA", SELL, 5, "98", "97.5"), ts_init=0, client_order_id="x"
    )
    copy = OrderSpec.from_order(order, active_after=7, tick=0.01)
    assert (copy.side_sign, copy.stop, copy.limit, copy.leaves, copy.active_after) == (
        -1,
        98.0,
        97.5,
        5.0,
        7,
    )
    assert math.isnan(copy.trailing_offset)
    assert copy.has_limit
    assert not copy.is_immediate
    assert "stop_limit" in repr(copy)
    with pytest.raises(InvalidValueError):
        spec(OrderType.LIMIT)
    with pytest.raises(InvalidValueError):
        spec(OrderType.MARKET, side=0)
    with pytest.raises(InvalidValueError):
        spec(OrderType.TRAILING_STOP)


@pytest.mark.parametrize("tif", list(TimeInForce))
@pytest.mark.parametrize("capacity", [math.inf, 4.0, 0.0, -1.0])
@pytest.mark.parametrize("side", [1, -1])
@pytest.mark.parametrize("start", [None, PathPoint(1.0, 2, 104.0)])
def test_the_market_fast_path_decides_what_the_general_rules_decide(
    tif: TimeInForce, capacity: float, side: int, start: PathPoint | None
) -> None:
    from alphaforge.execution import fill_rules as rules  # noqa: PLC0415  # private helpers

    order = spec(OrderType.MARKET, side=side, time_in_force=tif)

    def price(s: int, r: float, q: float) -> float:
        return r * (1 + s * 0.001)

    fast = match_order(order, UP_FIRST, start=start, capacity=capacity, price=price)
    begin = rules.path_start(UP_FIRST) if start is None else start
    label = "open" if start is None else "activation"
    probe = rules._probe(order, UP_FIRST, begin, label, False)
    assert probe.hit is not None
    quantity, cancel = rules._size(order, capacity)
    fills = (rules._decide(order, probe.hit, quantity, price),) if quantity > 0.0 else ()
    # repr: a NaN stop equals a NaN stop (``==`` relies on both being one object, which the
    # compiled core does not keep: it passes floats unboxed)
    general = (fills, probe.hit.at, probe.triggered, repr(probe.stop), cancel)
    fast_one = (fast.fills, fast.at, fast.triggered, repr(fast.stop_price), fast.cancel_reason)
    assert fast_one == general
    assert math.isnan(fast.extreme)
    assert math.isnan(probe.extreme)


def test_a_trailing_stop_sits_on_the_grid_of_its_own_price() -> None:
    # Rule 612 tiers (0.0001 below 1, 0.01 from 1): a buy stop 100 bps above the low rounds up
    # to the cent above 1 and to the hundredth of a cent below
    def level(low: float) -> float:
        trail = spec(
            OrderType.TRAILING_STOP,
            trailing_offset=100.0,
            trailing_bps=True,
            tick=0.0001,
            tick_tiers=((1.0, 0.01),),
        )
        return match_order(trail, PricePath((low, low), (True, False))).stop_price

    assert level(1.5) == pytest.approx(1.52)  # 1.515 -> 1.52
    assert level(0.95) == pytest.approx(0.9595)  # 0.9595 exactly on the fine grid
    assert level(0.951) == pytest.approx(0.9606)  # 0.96051 -> 0.9606
