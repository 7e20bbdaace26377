"""``SimulatedBroker``: a venue simulated from bars, quotes and trades, behind the ``Broker`` port.

It holds the open orders, matches them with the pure fill rules of ``alphaforge.execution`` when
market data arrives, and reports what happened as domain events (``OrderAccepted``,
``OrderRejected``, ``OrderFilled``, ``OrderCanceled``, ``OrderExpired``). It never changes an
``Order``'s status: the owner applies the events (``execution.broker.apply_event``). The one
exception is a trailing stop's trigger, which it moves with ``Order.update_trailing_stop``, as a
venue that trails the stop would.

Timing (``fill_mode``):

* ``"next_open"`` (default): an order submitted at time ``t`` is matched against the first bar
  stamped after ``t``. The kernel calls :meth:`SimulatedBroker.process_bar` for bar ``t + 1``
  *before* the strategy sees it, so an order sent on bar ``t``'s close fills at bar ``t + 1``'s
  open at the earliest: no look-ahead.
* ``"close"``: an order is first matched at submission against the last bar's close (a market
  order fills there at once), then rests like any order. Optimistic: the strategy decided on that
  very close, and in reality could not have traded at it.

Events from a bar carry the bar's ``ts_event`` (its close, when the simulator knows them). Fill
prices are rounded to the tick (nearest), partial quantities down to the lot, fees to 1e-8.
A bar of a symbol with no open orders costs two dictionary operations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Literal, get_args

from alphaforge.brokers._sim_book import (
    Context,
    Group,
    Working,
    float_tiers,
    pending_sells,
    static_problem,
    venue_problem,
)
from alphaforge.brokers._sim_events import Outbox
from alphaforge.brokers._sim_match import Matcher
from alphaforge.core.clock import Clock
from alphaforge.core.ids import IdFactory, IdSource
from alphaforge.domain.enums import OrderSide, OrderStatus, OrderType
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.events import OrderEvent
from alphaforge.domain.instruments import Instrument
from alphaforge.domain.market import Bar, QuoteTick, TradeTick
from alphaforge.domain.orders import Order
from alphaforge.domain.time import NS_PER_DAY
from alphaforge.execution.brackets import Bracket
from alphaforge.execution.broker import EventHandler
from alphaforge.execution.costs import CommissionModel, NoCommission
from alphaforge.execution.fill_rules import (
    PriceFn,
)
from alphaforge.execution.intrabar import IntrabarPolicy, check_policy, point_path
from alphaforge.execution.margin import MarginAccount, MarginCall, check_margin
from alphaforge.execution.slippage import SlippageModel, aggressive_price

__all__ = ["FILL_MODES", "FillMode", "SimulatedBroker", "utc_session"]

FillMode = Literal["next_open", "close"]
FILL_MODES: tuple[str, ...] = get_args(FillMode)
_INF = math.inf
_ZERO = Decimal(0)
_MARKET = OrderType.MARKET


def utc_session(ts_event: int) -> int:
    """Return the UTC date (days since 1970) of the instant before ``ts_event``: the session of a
    bar that closed at ``ts_event`` (a bar closing at midnight belongs to the day before)."""
    return (ts_event - 1) // NS_PER_DAY


class SimulatedBroker:
    """A simulated venue; see the module docstring for timing and ``docs/execution.md`` for rules.

    Parameters: ``instruments`` (what can be traded); ``fill_mode``; ``commission`` (default
    none) and ``slippage`` (spread + slippage + impact for aggressive fills; default none);
    ``intrabar`` (the ``IntrabarPolicy`` for ambiguous bars); ``max_participation`` (a fraction
    of each bar's volume one symbol's fills may take, the rest waits for later bars);
    ``allow_short`` (sells beyond the position are rejected when False, and always for
    instruments that are not ``shortable``); ``limit_fill`` (``"through"``: a resting limit needs
    the price to trade through it; ``"touch"``: touching is enough); ``queue_ahead`` (trade ticks
    without quotes: the units assumed ahead of a limit joining at or behind the best price the
    trades show; None: unknown, only a trade through the limit fills it); ``id_factory`` (every id:
    venue order ids, trade ids, event ids; deterministic ``IdFactory("SIM")`` by default);
    ``clock`` (the time of submits and cancels; default: the latest bar or trade seen);
    ``session_of`` (bar close -> session key, for ``DAY`` orders; default UTC date).
    """

    def __init__(
        self,
        instruments: Iterable[Instrument] | Mapping[str, Instrument],
        *,
        fill_mode: FillMode = "next_open",
        commission: CommissionModel | None = None,
        slippage: SlippageModel | None = None,
        intrabar: IntrabarPolicy = "pessimistic",
        max_participation: float | None = None,
        allow_short: bool = True,
        limit_fill: Literal["through", "touch"] = "through",
        queue_ahead: float | None = None,
        id_factory: IdSource | None = None,
        clock: Clock | None = None,
        session_of: Callable[[int], int] = utc_session,
    ) -> None:
        """Configure the venue; see the class docstring."""
        values = instruments.values() if isinstance(instruments, Mapping) else instruments
        self._instruments: dict[str, Instrument] = {i.symbol: i for i in values}
        if fill_mode not in FILL_MODES:
            raise InvalidValueError(f"fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
        if limit_fill not in ("through", "touch"):
            raise InvalidValueError(f"limit_fill must be 'through' or 'touch', got {limit_fill!r}")
        if max_participation is not None and not 0.0 < max_participation <= 1.0:
            raise InvalidValueError(f"max_participation must be in (0, 1], got {max_participation}")
        if queue_ahead is not None and not (math.isfinite(queue_ahead) and queue_ahead >= 0.0):
            raise InvalidValueError(f"queue_ahead must be >= 0 units or None, got {queue_ahead}")
        self.fill_mode = fill_mode
        self.intrabar = check_policy(intrabar)
        self.max_participation = max_participation
        self.allow_short = allow_short
        self._touch = limit_fill == "touch"
        self._commission: CommissionModel = commission or NoCommission()
        self._slippage = slippage
        self._ids: IdSource = id_factory or IdFactory("SIM")
        self._out = Outbox(self._ids)
        self._matcher = Matcher(
            out=self._out,
            ids=self._ids,
            commission=self._commission,
            touch=self._touch,
            queue_ahead=queue_ahead,
        )
        self._clock = clock
        self._session_of = session_of
        self._book = self._matcher.book
        self._open = self._matcher.open
        self._seen: set[str] = set()
        self._last_bar: dict[str, Bar] = {}
        self._last_trade: dict[str, float] = {}
        self._quotes = self._matcher.quotes
        self._room: dict[str, tuple[int, float]] = {}
        # float(tick_size) and float tiers by symbol: an instrument is frozen
        self._ticks: dict[str, tuple[float, tuple[tuple[float, float], ...]]] = {}
        self._positions = self._matcher.positions
        self._reasons = self._matcher.reasons
        self._now = 0
        self._account: MarginAccount | None = None
        self._maintenance = 0.5

    def __repr__(self) -> str:
        return (
            f"SimulatedBroker({len(self._instruments)} instruments, fill_mode={self.fill_mode!r}, "
            f"intrabar={self.intrabar!r}, open={len(self._open)})"
        )

    # ------------------------------------------------------------------ the Broker port
    def set_event_handler(self, handler: EventHandler) -> None:
        """Deliver every event to ``handler`` (events queued before are delivered now)."""
        self._out.set_handler(handler)
        self._out.flush()

    def submit(self, order: Order) -> None:
        """Accept (or reject) ``order``; with ``fill_mode="close"`` match it at the last close."""
        client_order_id = order.client_order_id
        if order.status is not OrderStatus.SUBMITTED or client_order_id in self._seen:
            self._check_new((order,))  # raises, saying which
        self._seen.add(client_order_id)
        instrument = self._instruments.get(order.symbol)
        problem = static_problem(order, instrument) or self._venue_problem(order, instrument)
        if problem is not None or instrument is None:
            self._reject((order,), problem or "unknown instrument")
        else:
            ts = self._now if self._clock is None else self._clock.now_ns()  # self._time()
            self._open_group(Group(self._working(order, instrument, "order", ts)), ts)
        self._out.flush()

    def submit_bracket(self, bracket: Bracket) -> None:
        """Accept (or reject as a whole) an entry with its OCO exits; see ``Bracket``."""
        orders = bracket.orders
        self._check_new(orders)
        instrument = self._instruments.get(orders[0].symbol)
        head = orders[0]
        problem = next(filter(None, (static_problem(o, instrument) for o in orders)), None)
        if problem is None and instrument is not None:
            problem = self._venue_problem(head, instrument, exit_only=bracket.entry is None)
        if problem is not None or instrument is None:
            self._reject(orders, problem or "unknown instrument")
            self._out.flush()
            return
        ts = self._time()
        entry = (
            None if bracket.entry is None else self._working(bracket.entry, instrument, "entry", ts)
        )
        legs = [
            self._working(order, instrument, role, ts)
            for order, role in (
                (bracket.stop_loss, "stop-loss"),
                (bracket.take_profit, "take-profit"),
            )
            if order is not None
        ]
        self._open_group(Group(entry, legs), ts)
        self._out.flush()

    def cancel(self, client_order_id: str) -> None:
        """Cancel an open order now. An order that already finished is left alone (no event);
        an id never submitted raises ``InvalidValueError``."""
        working = self._open.get(client_order_id)
        if working is None:
            if client_order_id in self._seen:
                return
            raise InvalidValueError(f"cancel of unknown order {client_order_id!r}")
        self._matcher.cancel(working, self._time(), "canceled by request")
        self._matcher.prune(working.symbol)
        self._out.flush()

    def open_orders(self) -> Sequence[Order]:
        """The orders still working (bracket exits included), in submission order."""
        return [working.order for working in self._open.values()]

    # ------------------------------------------------------------------ market data
    def process_bar(
        self, bar: Bar, *, lower_bars: Sequence[Bar] | None = None, session: int | None = None
    ) -> None:
        """Match the open orders of ``bar.symbol`` against ``bar``.

        ``lower_bars`` (the bar's lower-timeframe bars) feed ``intrabar="lower_timeframe"``;
        ``session`` overrides ``session_of(bar.ts_event)`` for ``DAY`` expiry. Bars and trades
        must come in time order (the feed's order); without a ``clock`` the latest one is "now".
        """
        symbol = bar.symbol
        groups = self._book.get(symbol)
        if not groups:  # the hot path: remember the bar, nothing to match
            self._last_bar[symbol] = bar
            self._now = bar.ts_event
            return
        previous = self._last_bar.get(symbol)
        self._last_bar[symbol] = bar
        self._now = bar.ts_event
        if len(groups) == 1 and not lower_bars:  # one order alone, maybe a market order
            group = groups[0]
            entry = group.entry
            if (
                entry is not None
                and not group.legs
                and not entry.done
                and entry.spec.order_type is _MARKET
            ):
                room = self._matcher.lone_market(
                    entry,
                    bar,
                    self._session_of(bar.ts_event) if session is None else session,
                    _INF if self.max_participation is None else self.max_participation * bar.volume,
                    None if self._slippage is None else self._pricer(symbol, bar.volume),
                )
                if room is not None:
                    if self.fill_mode == "close":
                        self._room[symbol] = (bar.ts_event, room)
                    return
        if self._matcher.all_quiet(
            groups, bar.low, bar.high
        ):  # resting orders the bar does not reach
            return
        context = Context(
            ts=bar.ts_event,
            session=self._session_of(bar.ts_event) if session is None else session,
            room=self._capacity(bar),
            price=self._pricer(symbol, bar.volume),
            policy=self.intrabar,
            bar=bar,
            lower=lower_bars,
            expire_ts=bar.ts_event if previous is None else previous.ts_event,
        )
        self._matcher.run(symbol, groups, context)
        if self.fill_mode == "close":  # what is left of the bar's volume, for _match_now
            self._room[symbol] = (bar.ts_event, context.room)

    def process_quote(self, quote: QuoteTick) -> None:
        """Remember the latest quote (spreads for ``SpreadModel``, queue estimates)."""
        self._quotes[quote.symbol] = quote

    def process_trade(self, tick: TradeTick) -> None:
        """Match the open orders of ``tick.symbol`` against one trade (queue-aware limits)."""
        self._now = tick.ts_event
        self._last_trade[tick.symbol] = tick.price
        if self._matcher.queue_ahead is not None:
            self._matcher.see_trade(tick.symbol, tick.price, tick.side)
        groups = self._book.get(tick.symbol)
        if not groups:
            return
        context = Context(
            ts=tick.ts_event,
            session=self._session_of(tick.ts_event),
            room=_INF,
            price=self._pricer(tick.symbol, tick.size),
            point=point_path(tick.price, "trade"),
            tick=tick,
        )
        self._matcher.run(tick.symbol, groups, context)

    def advance(self, ts: int) -> None:
        """Note that time reached ``ts`` without data to match (a lower-timeframe bar the
        kernel keeps for the next bar's path): later submits and cancels are stamped at it."""
        self._now = max(self._now, ts)

    # ------------------------------------------------------------------ reading
    def position(self, symbol: str) -> Decimal:
        """The position the simulator's fills (and :meth:`set_position`) add up to."""
        return self._positions.get(symbol, _ZERO)

    def set_position(self, symbol: str, quantity: Decimal) -> None:
        """Start ``symbol`` with a position (a run that resumes from a saved portfolio)."""
        self._positions[symbol] = Decimal(quantity)

    def last_bar(self, symbol: str) -> Bar | None:
        """The last bar processed for ``symbol``."""
        return self._last_bar.get(symbol)

    def fill_reason(self, trade_id: str) -> str | None:
        """Why the fill ``trade_id`` happened ("stop gapped through: filled at open", ...)."""
        return self._reasons.get(trade_id)

    def drain_events(self) -> list[OrderEvent]:
        """Return and forget the events queued while no handler was set."""
        return self._out.drain()

    # ------------------------------------------------------------------ account hook
    def set_account(self, account: MarginAccount, *, maintenance_fraction: float = 0.5) -> None:
        """Connect the ledger's equity for :meth:`check_margin` (``execution/margin.py``)."""
        if not maintenance_fraction > 0.0:
            raise InvalidValueError(f"maintenance_fraction must be > 0, got {maintenance_fraction}")
        self._account = account
        self._maintenance = maintenance_fraction

    def check_margin(self, ts: int | None = None) -> MarginCall | None:
        """Return a ``MarginCall`` when the account's equity is below maintenance margin.

        The runtime calls this once per time step and submits ``liquidation_intents(call)``.
        """
        if self._account is None:
            raise InvalidValueError("check_margin needs an account: call set_account first")
        prices = {symbol: bar.close for symbol, bar in self._last_bar.items()}
        prices.update(self._last_trade)  # a symbol filled on trades is valued at its last one
        return check_margin(
            self._time() if ts is None else ts,
            self._account.equity(),
            self._positions,
            prices,
            self._instruments,
            maintenance_fraction=self._maintenance,
        )

    # ------------------------------------------------------------------ acceptance
    def _time(self) -> int:
        return self._now if self._clock is None else self._clock.now_ns()

    def _check_new(self, orders: Sequence[Order]) -> None:
        for order in orders:
            if order.status is not OrderStatus.SUBMITTED:
                raise InvalidValueError(
                    f"order {order.client_order_id} is {order.status.value}; call "
                    "order.submit(ts) before handing it to the broker"
                )
            if order.client_order_id in self._seen:
                raise InvalidValueError(f"order {order.client_order_id} was already submitted")
        self._seen.update([order.client_order_id for order in orders])

    def _venue_problem(
        self, order: Order, instrument: Instrument | None, *, exit_only: bool = False
    ) -> str | None:
        symbol = order.symbol
        if self.fill_mode == "close" and symbol not in self._last_bar:
            return f"fill_mode 'close' needs a price: no bar of {symbol} seen yet"
        if instrument is not None and order.side is OrderSide.BUY and not order.intent.reduce_only:
            return None  # what venue_problem says of a plain buy, without summing the book
        pending = _ZERO if exit_only else pending_sells(self._book.get(symbol, ()))
        return venue_problem(
            order, instrument, self.position(symbol), pending, allow_short=self.allow_short
        )

    def _working(self, order: Order, instrument: Instrument, role: str, ts: int) -> Working:
        ticks = self._ticks.get(instrument.symbol)
        if ticks is None:
            ticks = (float(instrument.tick_size), float_tiers(instrument))
            self._ticks[instrument.symbol] = ticks
        return Working(
            order, instrument, role=role, active_after=ts, tick=ticks[0], tick_tiers=ticks[1]
        )

    def _reject(self, orders: Sequence[Order], reason: str) -> None:
        ts = self._time()
        for order in orders:
            self._out.rejected(order, ts, reason)

    def _open_group(self, group: Group, ts: int) -> None:
        """Accept every member of ``group`` at ``ts`` (the time its orders became active)."""
        for working in group.members:
            order = working.order
            working.venue_order_id = self._ids()
            self._open[order.client_order_id] = working
            self._out.accepted(order, working.venue_order_id, ts)
            if working is group.entry or group.legs_active:
                kind = working.spec.order_type  # only these two start with something to do
                if kind is OrderType.TRAILING_STOP:
                    self._matcher.start_trailing(working, self._last_bar.get(order.symbol))
                elif kind is OrderType.LIMIT:
                    self._matcher.join_queue(working)
        symbol = group.members[0].order.symbol
        self._book.setdefault(symbol, []).append(group)
        if self.fill_mode == "close":
            self._match_now(symbol, group)

    def _match_now(self, symbol: str, group: Group) -> None:
        bar = self._last_bar[symbol]
        ts = self._time()
        stamp, room = self._room.get(symbol, (None, 0.0))
        context = Context(
            ts=ts,
            session=self._session_of(bar.ts_event),
            room=room if stamp == bar.ts_event else self._capacity(bar),
            price=self._pricer(symbol, bar.volume),
            point=point_path(bar.close, "close"),
            immediate=True,
        )
        self._matcher.run(symbol, [group], context)
        self._room[symbol] = (bar.ts_event, context.room)

    # ------------------------------------------------------------------ matching
    def _capacity(self, bar: Bar) -> float:
        return _INF if self.max_participation is None else self.max_participation * bar.volume

    def _pricer(self, symbol: str, volume: float) -> PriceFn | None:
        model = self._slippage
        if model is None:
            return None
        quote = self._quotes.get(symbol)

        def price(sign: int, reference: float, quantity: float) -> float:
            fraction = model.fraction(
                quantity, reference, symbol=symbol, volume=volume, quote=quote
            )
            return aggressive_price(sign, reference, fraction)

        return price
