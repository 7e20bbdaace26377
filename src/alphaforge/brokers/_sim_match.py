"""The simulated broker's matching: order groups against a bar, a close or a trade, and the
outcomes (fills, cancels, expiries, bracket exits armed).

Private to ``brokers/sim.py``, which owns one ``Matcher`` and hands it every context. The matcher
holds the book (open groups by symbol), the positions its fills add up to, and the fill reasons.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from alphaforge.brokers._sim_book import ROLE_RANK, Context, Group, Working
from alphaforge.brokers._sim_events import Outbox, fill_quantity, make_fill
from alphaforge.core.ids import IdFactory, IdSource
from alphaforge.domain.enums import OrderSide, OrderType, TimeInForce
from alphaforge.domain.market import Bar, QuoteTick
from alphaforge.execution.costs import CommissionModel, RecordsFills
from alphaforge.execution.fill_rules import (
    FillDecision,
    Match,
    PathPoint,
    PriceFn,
    is_quiet,
    market_fill,
    match_order,
)
from alphaforge.execution.intrabar import PricePath
from alphaforge.execution.queue import QueuePosition, match_trade

__all__ = ["Matcher"]

_INF = math.inf
_ZERO = Decimal(0)


class Matcher:
    """Match groups of orders and apply what happens to them, reporting through ``out``."""

    def __init__(
        self,
        *,
        out: Outbox,
        ids: IdSource,
        commission: CommissionModel,
        touch: bool,
        queue_ahead: float | None = None,
    ) -> None:
        self.out = out
        self.ids = ids
        self.plain_ids = type(ids) is IdFactory  # non-empty str ids by construction
        self.commission = commission
        self.record = commission.record if isinstance(commission, RecordsFills) else None
        self.touch = touch
        self.book: dict[str, list[Group]] = {}
        self.open: dict[str, Working] = {}
        self.positions: dict[str, Decimal] = {}
        self.reasons: dict[str, str] = {}
        self.quotes: dict[str, QuoteTick] = {}
        # Without quotes: the bid and ask the last trades printed at, and the queue assumed there.
        self.queue_ahead = queue_ahead
        self.touches: dict[str, list[float | None]] = {}
        self.finished = False

    def run(self, symbol: str, groups: Sequence[Group], context: Context) -> None:
        """Match every open group of ``symbol`` in submission order, then deliver events."""
        for group in tuple(groups):
            if group.is_open:
                self._run_group(group, context)
        self.prune(symbol)
        self.out.flush()

    def lone_market(
        self,
        working: Working,
        bar: Bar,
        session: int,
        room: float,
        price: PriceFn | None,
    ) -> float | None:
        """Match a market order alone in its symbol's book against a plain ``bar`` (no
        lower-timeframe bars) and deliver the events; return the room left, or ``None``,
        having done nothing, where the order needs the general path (a ``DAY`` order of an
        earlier session, which expires).

        What ``run`` does for it, without the quiet check (a market order always acts), the
        ``Context`` and the bar's path: a market order meets only the arrival, the bar's open,
        whatever the intrabar policy. ``session``: the bar's.
        ``tests/execution/test_sim_lone_market.py`` checks it against ``run``.
        """
        spec = working.spec
        ts = bar.ts_event
        if spec.active_after >= ts:  # sent at (or after) this bar's close: not yet
            return room
        if spec.session is None:
            spec.session = session
        elif spec.time_in_force is TimeInForce.DAY and spec.session != session:
            return None
        group = working.group
        if group is not None:
            group.band = None
        fill, cancel = market_fill(spec, bar.open, "open", room, price)
        if fill is not None:
            room -= self._fill(working, fill, ts, "")
        if cancel is not None and not working.done:
            self.cancel(working, ts, cancel)
        if working.done:  # what ``prune`` does with the symbol's one group, now finished
            self.finished = False
            working.group = None
            del self.book[working.order.symbol]
        self.out.flush()
        return room

    def _eligible(self, working: Working, context: Context) -> bool:
        spec = working.spec
        if not context.immediate and spec.active_after >= context.ts:
            return False
        if spec.session is None:
            spec.session = context.session
        elif spec.time_in_force is TimeInForce.DAY and spec.session != context.session:
            self._expire(working, context.expire_ts)
            return False
        return True

    def all_quiet(self, groups: Sequence[Group], low: float, high: float) -> bool:
        """Whether no group can act in a bar trading in ``[low, high]`` (the cheap filter)."""
        touch = self.touch
        for group in groups:
            below, above = group.quiet_band(touch)
            if low < below or high > above:
                return False
        return True

    def _quiet(self, working: Working, context: Context) -> bool:
        bar = context.bar
        if bar is None:
            return False
        group = working.group
        if group is not None and not group.legs and not working.done:
            # An order alone: its group's band is its own, cached (``all_quiet`` just made it).
            below, above = group.quiet_band(self.touch)
            return not (bar.low < below or bar.high > above)
        return is_quiet(working.spec, bar.low, bar.high, touch=self.touch)

    def _match(
        self, working: Working, path: PricePath, start: PathPoint | None, context: Context
    ) -> Match:
        spec = working.spec
        if context.tick is not None and working.limit_like:
            if working.queue is None:
                working.queue = self._queue(working)
            return match_trade(spec, context.tick, working.queue, price=context.price)
        return match_order(
            spec, path, start=start, capacity=context.room, price=context.price, touch=self.touch
        )

    def _run_group(self, group: Group, context: Context) -> None:
        start: PathPoint | None = None
        entry = group.entry
        if entry is not None and not entry.done:
            if not self._eligible(entry, context) or self._quiet(entry, context):
                return
            path = context.path(group.sign)
            late = _late_start(entry, path, context) if context.lower else None
            match = self._match(entry, path, late, context)
            self._apply(entry, match, context)
            if not entry.done or not group.legs_active:
                return
            start = match.at
        if group.legs_active:
            self._run_legs(group, context, start)

    def _run_legs(self, group: Group, context: Context, start: PathPoint | None) -> None:
        legs = [
            leg
            for leg in group.legs
            if not leg.done and (start is not None or self._eligible(leg, context))
        ]
        if not legs or all(self._quiet(leg, context) for leg in legs):
            return
        if start is not None:
            for leg in legs:
                leg.spec.session = context.session if leg.spec.session is None else leg.spec.session
        path = context.path(legs[0].spec.side_sign)
        results = [
            (leg, self._match(leg, path, start or _late_start(leg, path, context), context))
            for leg in legs
        ]
        events = sorted(
            (
                (_INF if match.at is None else match.at.t, ROLE_RANK.get(leg.role, 2), index)
                for index, (leg, match) in enumerate(results)
                if match.is_event
            )
        )
        if not events:
            for leg, match in results:
                self._apply(leg, match, context)
            return
        winner, match = results[events[0][2]]
        note = f" (both exits inside the bar; {path.note})" if len(events) > 1 else ""
        self._apply(winner, match, context, note)
        what = "filled" if match.fills else "triggered"
        for leg in legs:
            if leg is not winner and not leg.done:
                self.cancel(leg, context.ts, f"OCO: {winner.role} {what}")

    def _apply(self, working: Working, match: Match, context: Context, note: str = "") -> None:
        spec = working.spec
        if working.group is not None:
            working.group.band = None
        if match.triggered:
            spec.triggered = True
        if not math.isnan(match.extreme):
            self.ratchet(working, match.extreme)
        for decision in match.fills:
            context.room -= self._fill(working, decision, context.ts, note)
        if match.cancel_reason is not None and not working.done:
            self.cancel(working, context.ts, match.cancel_reason)

    def ratchet(self, working: Working, extreme: float) -> None:
        """Move a trailing stop after ``extreme`` on the order itself, then mirror it."""
        order = working.order
        if order.is_terminal:
            return
        order.update_trailing_stop(Decimal(repr(extreme)), instrument=working.instrument)
        if order.stop_price is not None:
            working.spec.stop = float(order.stop_price)

    def _fill(self, working: Working, decision: FillDecision, ts: int, note: str) -> float:
        """Fill ``working`` as ``decision`` says, at ``ts``; return the units filled (for the
        room left under a participation cap)."""
        instrument, order = working.instrument, working.order
        quantity = fill_quantity(working, decision.quantity)
        if quantity <= _ZERO:
            return 0.0
        price = instrument.price(decision.price)
        qty, px = float(quantity), float(price)
        fee = self.commission.commission(
            qty, px, liquidity=decision.liquidity, instrument=instrument, ts=ts
        )
        if self.record is not None:
            self.record(qty, px, instrument=instrument, ts=ts)
        fill = make_fill(
            working,
            quantity,
            price,
            fee,
            decision.liquidity,
            ts,
            self.ids(),
            plain_ids=self.plain_ids,
        )
        leaves = working.leaves = working.leaves - quantity
        working.filled += quantity
        working.spec.leaves = float(leaves) if leaves else 0.0
        symbol = order.symbol
        change = quantity if order.side is OrderSide.BUY else -quantity  # signed(side, quantity)
        self.positions[symbol] = self.positions.get(symbol, _ZERO) + change
        prefix = "" if working.role in ("order", "entry") else f"{working.role}: "
        self.reasons[fill.trade_id] = f"{prefix}{decision.reason}{note}"
        self.out.filled(fill)
        if leaves == _ZERO:
            if working.filled < order.quantity:
                self.cancel(working, ts, f"bracket entry filled only {working.filled}")
            else:
                self._close(working, ts)
        return qty

    def cancel(self, working: Working, ts: int, reason: str) -> None:
        """Report ``working`` canceled and forget it."""
        self.out.canceled(working.order, ts, reason)
        self._close(working, ts)

    def _expire(self, working: Working, ts: int) -> None:
        self.out.expired(working.order, ts)
        self._close(working, ts)

    def _close(self, working: Working, ts: int) -> None:
        """Forget a finished order; a finished bracket entry arms or cancels its exits."""
        working.done = True
        self.finished = True
        self.open.pop(working.order.client_order_id, None)
        group = working.group
        if group is None:
            return
        group.band = None
        if working is not group.entry or not group.legs:
            return
        if working.filled == 0:
            for leg in group.legs:
                if not leg.done:
                    self.cancel(leg, ts, "bracket entry ended unfilled")
            return
        for leg in group.legs:
            leg.leaves = min(leg.leaves, working.filled)
            leg.spec.leaves = float(leg.leaves)
            leg.spec.active_after = ts
            self.join_queue(leg)
        group.legs_active = True

    def prune(self, symbol: str) -> None:
        """Drop the finished groups of ``symbol`` (only when something finished)."""
        groups = self.book.get(symbol)
        if groups is None or not self.finished:
            return
        self.finished = False
        alive = []
        for group in groups:
            if group.is_open:
                alive.append(group)
            else:  # a finished group and its members point at each other: free them now
                for member in group.members:  # rather than leave the cycle to the collector
                    member.group = None
        if alive:
            self.book[symbol] = alive
        else:
            del self.book[symbol]

    def start_trailing(self, working: Working, last: Bar | None) -> None:
        """Start a trailing stop without an initial stop from the last close seen at submission.

        (An exit armed inside a bar starts from its entry's fill price instead, on the path.)
        """
        spec = working.spec
        if spec.order_type is OrderType.TRAILING_STOP and math.isnan(spec.stop) and last:
            self.ratchet(working, last.close)

    def join_queue(self, working: Working) -> None:
        """Put a limit order in the queue at its price (used only by trade ticks)."""
        if working.spec.order_type is OrderType.LIMIT:
            working.queue = self._queue(working)

    def see_trade(self, symbol: str, price: float, aggressor: str) -> None:
        """Remember the bid (a seller-initiated trade) or ask (a buyer-initiated one) it shows."""
        touch = self.touches.get(symbol)
        if touch is None:
            touch = self.touches[symbol] = [None, None]
        touch[0 if aggressor == "sell" else 1] = price

    def _queue(self, working: Working) -> QueuePosition:
        spec = working.spec
        quote = self.quotes.get(working.symbol)
        if quote is not None or self.queue_ahead is None:
            return QueuePosition.join(spec.limit, spec.side_sign, quote)
        touch = self.touches.get(working.symbol)
        best = None if touch is None else touch[0 if spec.side_sign > 0 else 1]
        return QueuePosition.from_trades(spec.limit, spec.side_sign, best, self.queue_ahead)


def _late_start(working: Working, path: PricePath, context: Context) -> PathPoint | None:
    """Where an order sent inside a lower-timeframe path starts: at the open of the first
    lower bar that closed after it was sent (``None``: at the arrival, as usual)."""
    lower = context.lower
    if not lower or context.point is not None or not path.note.startswith("lower timeframe"):
        return None
    after = working.spec.active_after
    done = 0
    for bar in lower:
        if bar.ts_event > after:
            break
        done += 1
    k = 4 * done  # each lower bar is four path prices: open, extreme, extreme, close
    if done == 0 or k >= len(path.prices):
        return None
    return PathPoint(float(k), k + 1, path.prices[k])
