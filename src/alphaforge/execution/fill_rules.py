"""Fill rules: match one open order against one price path (a bar, a close, a trade).

Pure and deterministic: :func:`match_order` reads an ``OrderSpec`` and a ``PricePath`` and returns
a :class:`Match`: the fills it would make, where on the path the deciding event happened, whether
a stop triggered, where a trailing stop now stands, and whether the rest must be canceled (IOC,
FOK). It changes nothing; the simulated broker applies the result.

The rules (``docs/execution.md`` has worked examples):

* **Arrival.** The first price of the path is reached by a jump: the bar's open in
  ``fill="next_open"``, the last close in ``fill="close"``, a trade's price on trade ticks. An
  order that is already executable there fills *there*: a market order; a limit that is
  marketable (a buy limit above the open); a stop the open gapped through, which fills at the
  open and **not** at its stop.
* **Market** orders fill at the arrival price, aggressively.
* **Limit** orders resting on the path fill **passively at their limit** when the price *trades
  through* it (a buy limit: a price strictly below the limit), or touches it with ``touch=True``.
  A touch is not a fill by default: at the touch the queue ahead of us may have absorbed all the
  volume. Marketable on arrival they fill aggressively at the arrival price, capped at the limit.
* **Stop** orders trigger when the price reaches the stop (a buy: ``price >= stop``; a sell:
  ``price <= stop``) and fill aggressively at the stop, or at the price after a gap.
* **Stop-limit** orders trigger like a stop, then act as a limit from the trigger point on: they
  fill at once if the limit is marketable at the trigger price, later in the path if the price
  trades through the limit, or not at all (the order keeps resting as a limit).
* **Trailing stops** walk the path: on every favourable price the stop ratchets (sells: up to
  ``max price - offset``; buys: down to ``min price + offset``; offset in price or basis points),
  on every adverse move it is checked. So inside one bar the ratchet happens before a later fall
  only if the path puts the favourable extreme first (see ``intrabar.py``).
* **IOC / FOK** orders only look at the arrival: IOC fills what it can and cancels the rest, FOK
  fills everything or cancels everything.
* **Capacity** (volume participation cap): a fill is at most ``capacity`` units; the rest waits
  for later bars (a triggered stop then behaves as a market order).

Aggressive fills take their price from ``price(side_sign, reference, quantity)`` (spread,
slippage and impact from ``slippage.py``); without it they fill at the reference price.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

from alphaforge.domain.enums import LiquiditySide, OrderType, TimeInForce
from alphaforge.domain.market import Bar
from alphaforge.execution.intrabar import IntrabarPolicy, PricePath, path_for
from alphaforge.execution.orderspec import OrderSpec

__all__ = [
    "FillDecision",
    "Match",
    "PathPoint",
    "PriceFn",
    "is_quiet",
    "market_fill",
    "match_bar",
    "match_order",
    "path_start",
    "quiet_band",
]

PriceFn = Callable[[int, float, float], float]
"""``(side_sign, reference_price, quantity) -> fill price`` of an aggressive fill."""

_NAN = math.nan
_INF = math.inf
_BPS = 1e-4
_TICK_TOLERANCE = 1e-6
_STOP_MARKET = frozenset({OrderType.STOP, OrderType.TRAILING_STOP})
_ALWAYS = frozenset({OrderType.MARKET, OrderType.TRAILING_STOP})
_IMMEDIATE = frozenset({TimeInForce.IOC, TimeInForce.FOK})  # OrderSpec.is_immediate


class FillDecision(NamedTuple):
    """One fill the rules decided: ``quantity`` at ``price``; ``reference`` is the price before
    costs (the open, the stop level, the limit) and ``reason`` says which rule fired."""

    price: float
    quantity: float
    liquidity: LiquiditySide
    reason: str
    reference: float


class PathPoint(NamedTuple):
    """A place on a path: ``t`` orders events (segment ``k`` spans ``(k - 1, k]``),
    ``next_index`` is the next path price still to visit, ``price`` the price here."""

    t: float
    next_index: int
    price: float


class Match(NamedTuple):
    """What matching one order against one path decided.

    ``at`` is where the deciding event happened (the fill, or the trigger of a stop-limit that
    did not fill), ``None`` when nothing happened; ``stop_price`` is the order's stop after the
    match (a trailing stop may have moved) and ``extreme`` the favourable price that set it (NaN
    when it did not move).
    """

    fills: tuple[FillDecision, ...] = ()
    at: PathPoint | None = None
    triggered: bool = False
    stop_price: float = _NAN
    extreme: float = _NAN
    cancel_reason: str | None = None

    @property
    def filled_quantity(self) -> float:
        """The total quantity of ``fills``."""
        return sum(fill.quantity for fill in self.fills)

    @property
    def is_event(self) -> bool:
        """Whether anything happened that ends an OCO sibling: a fill or a trigger."""
        return bool(self.fills) or self.triggered


class _Hit(NamedTuple):
    at: PathPoint
    reference: float
    aggressive: bool
    reason: str


class _Probe(NamedTuple):
    hit: _Hit | None
    triggered: bool
    stop: float
    extreme: float
    trigger_at: PathPoint | None = None


def path_start(path: PricePath) -> PathPoint:
    """Return the arrival point of ``path``: its first price, before any movement."""
    return PathPoint(0.0, 1, path.prices[0])


def _hits(value: float, level: float, rising: bool, inclusive: bool) -> bool:
    if rising:
        return value >= level if inclusive else value > level
    return value <= level if inclusive else value < level


def _reach(
    path: PricePath,
    sign: int,
    start: PathPoint,
    level: float,
    *,
    rising: bool,
    inclusive: bool,
    arrival_only: bool = False,
) -> tuple[PathPoint, bool] | None:
    """First point from ``start`` where the *signed* price (``sign * price``) reaches ``level``.

    Returns the point and whether it was reached by a jump (then the point's price is the fill
    reference) or continuously (then the point's price is the level itself).
    """
    if _hits(sign * start.price, level, rising, inclusive):
        return start, True
    if arrival_only:
        return None
    prices, jumps = path.prices, path.jumps
    for k in range(start.next_index, len(prices)):
        price = prices[k]
        value = sign * price
        if _hits(value, level, rising, inclusive):
            if jumps[k]:
                return PathPoint(float(k), k + 1, price), True
            before = sign * prices[k - 1]
            frac = (level - before) / (value - before) if value != before else 1.0
            return PathPoint(k - 1 + frac, k, sign * level), False
    return None


def _where(point: PathPoint, start: PathPoint, label: str) -> str:
    return label if point == start else "a gap (lower-timeframe open)"


def _market(spec: OrderSpec, start: PathPoint, label: str) -> _Probe:
    kind = spec.order_type
    reason = f"market at {label}" if kind is OrderType.MARKET else f"triggered stop at {label}"
    return _Probe(_Hit(start, start.price, True, reason), False, spec.stop, _NAN)


def _limit_hit(
    spec: OrderSpec,
    path: PricePath,
    start: PathPoint,
    label: str,
    *,
    touch: bool,
    prefix: str = "limit",
) -> _Hit | None:
    sign = spec.side_sign
    found = _reach(
        path,
        sign,
        start,
        sign * spec.limit,
        rising=False,
        inclusive=touch,
        arrival_only=spec.is_immediate,
    )
    if found is None:
        return None
    point, jumped = found
    if jumped:
        return _Hit(
            point, point.price, True, f"{prefix} marketable at {_where(point, start, label)}"
        )
    how = "touched" if touch else "traded through"
    return _Hit(point, spec.limit, False, f"{prefix} {how}")


def _limit(spec: OrderSpec, path: PricePath, start: PathPoint, label: str, touch: bool) -> _Probe:
    return _Probe(_limit_hit(spec, path, start, label, touch=touch), False, spec.stop, _NAN)


def _stop_reach(
    spec: OrderSpec, path: PricePath, start: PathPoint
) -> tuple[PathPoint, bool] | None:
    sign = spec.side_sign
    return _reach(path, sign, start, sign * spec.stop, rising=True, inclusive=True)


def _stop(spec: OrderSpec, path: PricePath, start: PathPoint, label: str) -> _Probe:
    found = _stop_reach(spec, path, start)
    if found is None:
        return _Probe(None, False, spec.stop, _NAN)
    point, jumped = found
    if jumped:
        hit = _Hit(
            point,
            point.price,
            True,
            f"stop gapped through: filled at {_where(point, start, label)}",
        )
    else:
        hit = _Hit(point, spec.stop, True, "stop triggered")
    return _Probe(hit, True, spec.stop, _NAN)


def _stop_limit(
    spec: OrderSpec, path: PricePath, start: PathPoint, label: str, touch: bool
) -> _Probe:
    found = _stop_reach(spec, path, start)
    if found is None:
        return _Probe(None, False, spec.stop, _NAN)
    point, _ = found
    hit = _limit_hit(
        spec, path, point, "the trigger", touch=touch, prefix="stop-limit triggered, limit"
    )
    return _Probe(hit, True, spec.stop, _NAN, point)


def _ceil_tick(value: float, tick: float) -> float:
    if tick <= 0.0:
        return value
    steps = value / tick
    nearest = round(steps)
    if abs(steps - nearest) <= _TICK_TOLERANCE:
        return nearest * tick
    return math.ceil(steps) * tick


class _Trail:
    """A trailing stop walked in signed space, where every order looks like a buy: the stop sits
    above the price, ratchets down after lower prices, and fires when the price rises to it."""

    __slots__ = ("extreme", "factor", "offset", "sign", "stop", "tick", "tiers")

    def __init__(self, spec: OrderSpec) -> None:
        self.sign = spec.side_sign
        self.stop = self.sign * spec.stop  # NaN stays NaN
        self.extreme = _NAN
        self.tick = spec.tick
        self.tiers: tuple[tuple[float, float], ...] = spec.tick_tiers
        self.offset = 0.0 if spec.trailing_bps else spec.trailing_offset
        self.factor = 1.0 + self.sign * spec.trailing_offset * _BPS if spec.trailing_bps else 1.0

    def ratchet(self, value: float) -> None:
        raw = value * self.factor + self.offset
        tick = self.tick
        for start, step in self.tiers:  # the tick of the stop's own price (Instrument.tick_at)
            if abs(raw) < start:
                break
            tick = step
        candidate = _ceil_tick(raw, tick)
        if self.sign * candidate > 0.0 and not candidate >= self.stop:  # NaN stop: always moves
            self.stop = candidate
            self.extreme = value

    def probe(self, hit: _Hit | None) -> _Probe:
        return _Probe(hit, hit is not None, self.sign * self.stop, self.sign * self.extreme)


def _trailing(spec: OrderSpec, path: PricePath, start: PathPoint, label: str) -> _Probe:
    trail = _Trail(spec)
    sign = trail.sign
    if sign * start.price >= trail.stop:
        reason = f"trailing stop gapped through: filled at {label}"
        return trail.probe(_Hit(start, start.price, True, reason))
    trail.ratchet(sign * start.price)
    prices, jumps = path.prices, path.jumps
    for k in range(start.next_index, len(prices)):
        value = sign * prices[k]
        if value >= trail.stop:
            if jumps[k]:
                point = PathPoint(float(k), k + 1, prices[k])
                reason = "trailing stop gapped through: filled at a gap (lower-timeframe open)"
                return trail.probe(_Hit(point, prices[k], True, reason))
            before = sign * prices[k - 1]
            frac = (trail.stop - before) / (value - before) if value != before else 1.0
            level = sign * trail.stop
            return trail.probe(
                _Hit(PathPoint(k - 1 + frac, k, level), level, True, "trailing stop hit")
            )
        trail.ratchet(value)
    return trail.probe(None)


def _probe(spec: OrderSpec, path: PricePath, start: PathPoint, label: str, touch: bool) -> _Probe:
    kind = spec.order_type
    if kind is OrderType.MARKET or (spec.triggered and kind in _STOP_MARKET):
        return _market(spec, start, label)
    if kind is OrderType.LIMIT or spec.triggered:
        return _limit(spec, path, start, label, touch)
    if kind is OrderType.STOP:
        return _stop(spec, path, start, label)
    if kind is OrderType.STOP_LIMIT:
        return _stop_limit(spec, path, start, label, touch)
    return _trailing(spec, path, start, label)


def _size(spec: OrderSpec, capacity: float) -> tuple[float, str | None]:
    leaves = spec.leaves
    room = max(capacity, 0.0)
    if spec.time_in_force is TimeInForce.FOK:
        if room >= leaves:
            return leaves, None
        return 0.0, f"FOK: only {room:g} of {leaves:g} could fill (participation cap)"
    quantity = min(leaves, room)
    if spec.time_in_force is TimeInForce.IOC and quantity < leaves:
        return quantity, f"IOC: {leaves - quantity:g} unfilled, canceled"
    return quantity, None


def _decide(spec: OrderSpec, hit: _Hit, quantity: float, price: PriceFn | None) -> FillDecision:
    if not hit.aggressive:
        return FillDecision(spec.limit, quantity, LiquiditySide.MAKER, hit.reason, spec.limit)
    sign = spec.side_sign
    px = hit.reference if price is None else price(sign, hit.reference, quantity)
    if spec.has_limit:
        px = min(px, spec.limit) if sign > 0 else max(px, spec.limit)
    return FillDecision(px, quantity, LiquiditySide.TAKER, hit.reason, hit.reference)


def quiet_band(spec: OrderSpec, *, touch: bool = False) -> tuple[float, float]:
    """Return ``(below, above)``: ``spec`` can act in a bar only if ``low < below`` or
    ``high > above``; in any other bar it certainly does nothing.

    A cheap filter before walking a path, for resting limits and untriggered stops away from
    the market. Market orders, triggered stops, trailing stops (which may ratchet), IOC/FOK
    orders (which must be canceled) and DAY orders (which may expire) always act:
    ``(inf, -inf)``.
    """
    kind, tif = spec.order_type, spec.time_in_force
    always = kind in _ALWAYS or tif is TimeInForce.DAY or tif in _IMMEDIATE
    if always or (spec.triggered and kind is not OrderType.STOP_LIMIT):
        return _INF, -_INF
    buy = spec.side_sign > 0
    if kind is OrderType.LIMIT or spec.triggered:
        level = spec.limit  # a buy acts on low < limit (<= when touching); a sell mirrors it
        if buy:
            return (math.nextafter(level, _INF) if touch else level), _INF
        return -_INF, (math.nextafter(level, -_INF) if touch else level)
    level = spec.stop  # a buy stop acts on high >= stop, a sell stop on low <= stop
    if buy:
        return -_INF, math.nextafter(level, -_INF)
    return math.nextafter(level, _INF), _INF


def is_quiet(spec: OrderSpec, low: float, high: float, *, touch: bool = False) -> bool:
    """Whether ``spec`` certainly does nothing in a bar trading in ``[low, high]``."""
    below, above = quiet_band(spec, touch=touch)
    return not (low < below or high > above)


def match_order(
    spec: OrderSpec,
    path: PricePath,
    *,
    start: PathPoint | None = None,
    capacity: float = _INF,
    price: PriceFn | None = None,
    touch: bool = False,
) -> Match:
    """Match ``spec`` against ``path`` from ``start`` (default: the arrival) and return a Match.

    ``start`` is given for orders that become active inside the path (a bracket's exits after
    the entry filled); they check the start price as an arrival. ``capacity`` caps the fill
    quantity (volume participation); ``price`` prices aggressive fills; ``touch=True`` fills a
    resting limit when the price touches it instead of trading through it.
    """
    begin = path_start(path) if start is None else start
    label = path.label if start is None else "activation"
    if spec.order_type is OrderType.MARKET:
        return _match_market(spec, begin, label, capacity, price)
    probe = _probe(spec, path, begin, label, touch)
    if probe.hit is None:
        cancel = None
        if spec.is_immediate:
            cancel = f"{spec.time_in_force.value.upper()}: not marketable at {label}"
        return Match((), probe.trigger_at, probe.triggered, probe.stop, probe.extreme, cancel)
    quantity, cancel = _size(spec, capacity)
    fills = (_decide(spec, probe.hit, quantity, price),) if quantity > 0.0 else ()
    return Match(fills, probe.hit.at, probe.triggered, probe.stop, probe.extreme, cancel)


def _match_market(
    spec: OrderSpec, begin: PathPoint, label: str, capacity: float, price: PriceFn | None
) -> Match:
    """A market order: what ``_market`` and ``_decide`` make of it (a taker fill at the arrival
    price, sized by ``_size``), without their intermediate objects. Most orders are market
    orders, and this runs for each of their fills; ``tests/execution/test_exec_fill_rules.py``
    checks it against the general path."""
    fill, cancel = market_fill(spec, begin.price, label, capacity, price)
    return Match(() if fill is None else (fill,), begin, False, spec.stop, _NAN, cancel)


def market_fill(
    spec: OrderSpec, reference: float, label: str, capacity: float, price: PriceFn | None
) -> tuple[FillDecision | None, str | None]:
    """The fill (``None``: nothing fills) and the cancel reason of market order ``spec``
    arriving at ``reference`` (the price ``label`` names) with ``capacity`` units of room: the
    decision of ``match_order`` for it, which ``SimulatedBroker`` also takes directly for an
    order alone on a bar (``_sim_match.Matcher.lone_market``)."""
    quantity, cancel = _size(spec, capacity)
    if not quantity > 0.0:
        return None, cancel
    px = reference if price is None else price(spec.side_sign, reference, quantity)
    return FillDecision(px, quantity, LiquiditySide.TAKER, f"market at {label}", reference), cancel


def match_bar(
    spec: OrderSpec,
    bar: Bar,
    *,
    policy: IntrabarPolicy = "pessimistic",
    lower_bars: Sequence[Bar] | None = None,
    capacity: float = _INF,
    price: PriceFn | None = None,
    touch: bool = False,
) -> Match:
    """Match ``spec`` against ``bar`` walked under ``policy`` (the path for the order's side)."""
    path = path_for(bar, policy, spec.side_sign, lower_bars)
    return match_order(spec, path, capacity=capacity, price=price, touch=touch)
