"""The kernel: one event at a time, in ``ts_event`` order, on one thread.

For each bar of the merged feed::

    broker.process_bar(bar)      # orders sent on earlier bars fill (next open, stops, limits)
    ledger.mark(bar)             # the account is valued at this close
    indicators.update(bar)       # streaming indicators of this stream see this bar (most are
                                 # computed once for the whole stream and read by position)
    strategy.on_bar(bar, ctx)    # decisions on what is known now; intents -> risk -> broker
    strategy.on_fill / on_event  # news from this step, delivered after on_bar returns

For each public trade (a run with trade data)::

    broker.process_trade(trade)  # resting orders meet this trade (queue-aware limits)
    ledger.mark(trade)           # the account is valued at this trade's price
    strategy.on_trade(trade, ctx)  # only when the strategy defines it
    strategy.on_fill / on_event  # news from this trade, delivered after on_trade returns

After every event of a timestamp was handled, ``strategy.on_step(ctx)`` (when the strategy
defines it) sees all symbols at that time at once: where portfolio strategies rebalance. Then
equity is recorded, once per distinct timestamp of the run's bars (not at the steps of
lower-timeframe bars that only resolve paths); a run of trades alone records it at the end of
every minute that holds trades (a regular clock for the metrics).

Which stream fills a symbol's orders: its trades when the run has them (its bars then only inform
the strategy); else its finest bars; with ``lower_timeframe`` its coarsest bars, each walked
along the finest bars inside it (``docs/execution.md``, "The price path inside a bar").
Events before ``start`` only warm up history and indicators: no orders, no equity. Nothing here
depends on wall-clock time or on hash order, so identical inputs give bit-identical results.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

import numpy as np

from alphaforge.domain.enums import OrderSide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.events import OrderAccepted, OrderEvent, OrderFilled
from alphaforge.domain.market import Bar, TradeTick
from alphaforge.domain.orders import Order
from alphaforge.execution.margin import MarginCall, liquidation_intents
from alphaforge.portfolio import EquityRecorder, Ledger, LedgerView
from alphaforge.runtime._streams import bar_streams, inside, tick_streams, warm, wire
from alphaforge.runtime.context import BacktestContext, StreamState, unit_value_fn
from alphaforge.strategies import Strategy as _BaseStrategy

if TYPE_CHECKING:
    from alphaforge.brokers.sim import SimulatedBroker
    from alphaforge.data.feed import BarBatch, TradeBatch
    from alphaforge.domain.intents import OrderIntent
    from alphaforge.execution.engine import ExecutionEngine
    from alphaforge.risk import RiskEngine
    from alphaforge.runtime.financing import Financing

__all__ = ["Kernel"]

_TRADE_CLOCK = 60_000_000_000  # a run of trades alone records equity at each minute's end
# A Bar's fields by position, read so in the per-bar loop (checked against Bar's own fields)
_SYMBOL: Final = 0
_CLOSE: Final = 5
_TS_EVENT: Final = 7
if (Bar._fields[_SYMBOL], Bar._fields[_CLOSE], Bar._fields[_TS_EVENT]) != (
    "symbol",
    "close",
    "ts_event",
):  # pragma: no cover - a change to Bar must update these
    raise ImportError("Bar's fields moved: update _SYMBOL, _CLOSE and _TS_EVENT in kernel.py")
_LOG_CHUNK = 1 << 9  # equity rows held as Python floats before they move into an array


class Kernel:
    """Wire feed, strategy, risk, execution, broker and ledger, and run them (module docstring)."""

    def __init__(
        self,
        *,
        batch: BarBatch,
        bars: Iterator[Bar],
        strategy: _BaseStrategy,
        ledger: Ledger,
        broker: SimulatedBroker,
        engine: ExecutionEngine,
        risk: RiskEngine,
        start_ns: int | None = None,
        financing: Financing | None = None,
        margin: bool = False,
        trades: TradeBatch | None = None,
        events: Iterator[Bar | TradeTick] | None = None,
        lower_timeframe: bool = False,
    ) -> None:
        """``bars`` are the batch's bars as objects; a run with ``trades`` passes ``events``
        (bars and trades merged in delivery order) instead. ``lower_timeframe``: fill each
        symbol's orders on its coarsest bars along its finest ones (see ``runtime/_streams.py``).
        """
        self.strategy = strategy
        self.ledger = ledger
        self.broker = broker
        self.engine = engine
        self.risk = risk
        self.recorder = EquityRecorder()
        self._batch = batch
        self._bars = bars
        self._start = start_ns
        self._financing = financing if financing is not None and financing.active else None
        self._margin = margin
        self._drawdown_limit = risk.limits.max_drawdown_halt is not None
        self._on_step = (
            strategy.on_step if type(strategy).on_step is not _BaseStrategy.on_step else None
        )
        self._on_trade = (
            strategy.on_trade if type(strategy).on_trade is not _BaseStrategy.on_trade else None
        )
        self._events = events
        self._log = _EquityLog(len(batch.stream))
        self.margin_calls: list[MarginCall] = []
        if margin:
            broker.set_account(LedgerView(ledger))
        self._now = 0
        self._notes: list[tuple[Order, OrderEvent]] = []
        self.unit_value = unit_value_fn(ledger)
        self.streams, self.primary = bar_streams(batch)
        self.ticks = tick_streams(batch, trades)
        self._execution = wire(self.streams, self.primary, self.ticks, lower_timeframe)
        for symbol, state in self.ticks.items():
            self.streams[(symbol, "tick")] = state
            self.primary.setdefault(symbol, state)
        has_bars = any(info.kind == "bars" for info in batch.streams)
        self._clock = None if has_bars else _TRADE_CLOCK
        self.ctx = BacktestContext(self, ledger, LedgerView(ledger), self.streams, self.primary)
        engine.set_listener(self._on_order_event)

    # ------------------------------------------------------------------ the loop

    def run(self) -> None:
        """Run every bar through the pipeline (see the module docstring)."""
        strategy, ctx = self.strategy, self.ctx
        streams = [self.streams[(s.symbol, s.timeframe)] for s in self._batch.streams]
        stream_of = self._batch.stream.tolist()
        execution = self._execution
        start = self._start
        for state in streams:
            state.execution = id(state) in execution
        strategy.on_start(ctx)
        if not _listens(strategy):  # nothing would hear the news: skip collecting it
            self.engine.set_listener(None)
        with _fewer_collections():
            if self._events is None:
                self._loop(streams, stream_of, start)
            else:
                self._loop_events(self._events, streams, stream_of, start)
        strategy.on_stop(ctx)
        if self._notes:
            self._deliver()
        self.engine.set_listener(self._on_order_event)
        stamps, values = self._log.arrays()
        if len(stamps):
            self.recorder.extend(stamps, values)

    def _loop(  # noqa: C901, PLR0912  # inlined on purpose: it runs once per bar
        self, streams: list[StreamState], stream_of: list[int], start: int | None
    ) -> None:
        """The hot loop (see the module docstring); locals on purpose: it runs per bar."""
        strategy, ctx, ledger, broker = self.strategy, self.ctx, self.ledger, self.broker
        financing = self._financing
        end_step = self._end_step
        # Steps with nothing to check at their end (no on_step, no drawdown halt, no margin)
        # only record equity: done here, without the call to ``_end_step`` (once per bar).
        plain = self._on_step is None and not self._drawdown_limit and not self._margin
        log = self._log
        stamps, values = log.stamps, log.values  # the same lists for the whole run (see _EquityLog)
        last_ts, started = 0, False  # an int, not int | None: compared unboxed, once per bar
        for bar, sid in zip(self._bars, stream_of, strict=True):
            ts: int = bar[_TS_EVENT]  # by position: a field's name is looked up at run time
            state = streams[sid]
            if start is not None and ts < start:
                state.position += 1
                warm(state, bar)
                if state.execution:  # a price to size the first orders by, even for a
                    ledger.mark(bar.symbol, bar.close, ts)  # symbol with no bar at start
                continue
            if ts != last_ts or not started:
                if started:
                    if plain:
                        stamps.append(last_ts)
                        ledger.equity_into(values)
                        if len(stamps) >= _LOG_CHUNK:
                            log.flush()
                    else:
                        end_step(last_ts)  # on_step must not see this new bar: count it after
                if financing is not None:
                    financing.accrue(ts)  # what holding cost over (last_ts, ts]
                last_ts, started = ts, True
            state.position += 1
            self._now = ctx.now_ns = ts
            if state.execution:
                broker.process_bar(bar)
                ledger.mark(bar[_SYMBOL], bar[_CLOSE], ts)
            for update in state.updaters:
                update(bar)
            strategy.on_bar(bar, ctx)
            if self._notes:
                self._deliver()
        if started:
            if self._on_step is not None:
                self._step(last_ts)
            stamps.append(last_ts)
            ledger.equity_into(values)

    def _loop_events(
        self,
        events: Iterator[Bar | TradeTick],
        streams: list[StreamState],
        stream_of: list[int],
        start: int | None,
    ) -> None:
        """The loop of runs with trades or lower-timeframe paths (see the module docstring)."""
        ctx, financing, ticks = self.ctx, self._financing, self.ticks
        last_ts: int | None = None
        records = False  # whether the current step holds a bar that records equity
        bars = iter(stream_of)
        for event in events:
            ts = event.ts_event
            trade = type(event) is TradeTick
            state = ticks[event.symbol] if trade else streams[next(bars)]
            if start is not None and ts < start:
                state.position += 1
                self._warm_event(state, event)
                continue
            if ts != last_ts:
                if last_ts is not None:
                    self._close_step(last_ts, records, ts)  # before this event is counted
                    records = False
                if financing is not None:
                    financing.accrue(ts)
                last_ts = ts
            state.position += 1
            self._now = ctx.now_ns = ts
            if trade:
                self._trade(event)  # type: ignore[arg-type]
            else:
                self._bar(state, event)  # type: ignore[arg-type]
                records = records or state.records
            if self._notes:
                self._deliver()
        if last_ts is not None:
            self._close_step(last_ts, True, None)

    def _trade(self, tick: TradeTick) -> None:
        """One trade: orders meet it, the account is marked at it, ``on_trade`` sees it."""
        self.broker.process_trade(tick)
        self.ledger.mark(tick.symbol, tick.price, tick.ts_event)
        if self._on_trade is not None:
            self._on_trade(tick, self.ctx)

    def _bar(self, state: StreamState, bar: Bar) -> None:
        """One bar of the events loop: as in ``_loop``, with lower-timeframe paths."""
        if state.execution:
            lower = state.lower
            if lower is None:
                self.broker.process_bar(bar)
            else:
                self.broker.process_bar(bar, lower_bars=inside(lower, bar, state.span))
                lower.clear()
            self.ledger.mark(bar.symbol, bar.close, bar.ts_event)
        elif state.collect is not None:
            state.collect.append(bar)
            self.broker.advance(bar.ts_event)  # orders sent now start after this bar
        for update in state.updaters:
            update(bar)
        self.strategy.on_bar(bar, self.ctx)

    def _warm_event(self, state: StreamState, event: Bar | TradeTick) -> None:
        """Warm-up: history and indicators only; lower-timeframe paths keep their last bars."""
        if isinstance(event, TradeTick):
            return
        if state.lower is not None:
            state.lower.clear()
        if state.collect is not None:
            state.collect.append(event)
        warm(state, event)
        if state.execution:
            self.ledger.mark(event.symbol, event.close, event.ts_event)

    def _close_step(self, ts: int, records: bool, next_ts: int | None) -> None:
        """``on_step`` at ``ts``, then equity on the run's clock (see the module docstring)."""
        if self._on_step is not None:
            self._step(ts)
        clock = self._clock
        if clock is not None:
            end = -(-ts // clock) * clock  # the end of the minute holding ts
            if next_ts is None or next_ts > end:
                self._record(end)
        elif records:
            self._record(ts)

    def _record(self, ts: int) -> None:
        marks = self.ledger.equity_row()
        self._log.add(ts, marks)
        if self._drawdown_limit:
            self.risk.on_equity(marks[0], ts)
        if self._margin:
            self._check_margin(ts)

    def submit(self, intent: OrderIntent) -> str:
        """Pass ``intent`` through risk; send it or record the denial; return the order id."""
        if self._start is not None and self._now < self._start:
            raise RuntimeError("orders are not accepted during warm-up")
        decision = self.risk.check(
            intent,
            self.ctx.portfolio,
            value_per_unit=self.unit_value(intent.symbol),
            pending=self._pending() if self.engine.has_any_open() else None,
        )
        if decision.approved:
            return self.engine.submit(intent, self._now).client_order_id
        reason = f"{decision.rule}: {decision.reason}"
        return self.engine.deny(intent, self._now, reason).client_order_id

    def submit_bracket(
        self,
        entry: OrderIntent | None,
        stop_loss: OrderIntent | None,
        take_profit: OrderIntent | None,
    ) -> list[str]:
        """Pass a bracket through risk and send it; return its client order ids, entry first.

        Risk judges the entry (exits can only close what it opens, or, without an entry, what is
        held); a denied entry denies the whole bracket, each order recorded with the reason.
        """
        if self._start is not None and self._now < self._start:
            raise RuntimeError("orders are not accepted during warm-up")
        first = entry if entry is not None else (stop_loss or take_profit)
        if first is None:
            raise InvalidValueError("a bracket needs an entry or at least one exit")
        if entry is not None:
            decision = self.risk.check(
                entry,
                self.ctx.portfolio,
                value_per_unit=self.unit_value(entry.symbol),
                pending=self._pending() if self.engine.has_any_open() else None,
            )
            if not decision.approved:
                reason = f"{decision.rule}: {decision.reason}"
                return [
                    self.engine.deny(intent, self._now, reason).client_order_id
                    for intent in (entry, stop_loss, take_profit)
                    if intent is not None
                ]
        orders = self.engine.submit_bracket(entry, stop_loss, take_profit, self._now)
        return [order.client_order_id for order in orders]

    def _pending(self) -> dict[str, tuple[float, float]]:
        """Signed quantity working orders still want, and the unit value, by symbol."""
        out: dict[str, tuple[float, float]] = {}
        for order in self.engine.open_orders():
            symbol = order.symbol
            sign = 1.0 if order.side is OrderSide.BUY else -1.0
            known = out.get(symbol)
            # the unit value once per symbol (a rebalance asks this for each of its orders)
            quantity, unit = (0.0, self.unit_value(symbol)) if known is None else known
            out[symbol] = (quantity + sign * float(order.leaves_qty), unit)
        return out

    def _end_step(self, ts: int) -> None:
        """Close time step ``ts``: ``on_step``, record equity, then drawdown and margin checks."""
        if self._on_step is not None:
            self._step(ts)
        marks = self.ledger.equity_row()
        self._log.add(ts, marks)
        if self._drawdown_limit:
            self.risk.on_equity(marks[0], ts)
        if self._margin:
            self._check_margin(ts)

    def _step(self, ts: int) -> None:
        self._now = self.ctx.now_ns = ts
        self._on_step(self.ctx)  # type: ignore[misc]  # checked not None by the callers
        if self._notes:
            self._deliver()

    def _check_margin(self, ts: int) -> None:
        """Below maintenance: cancel every working order, then liquidate everything with
        reduce-only market orders."""
        if any(o.intent.tag == "liquidation" for o in self.engine.open_orders()):
            return  # a liquidation is already on its way
        call = self.broker.check_margin(ts)
        if call is None:
            return
        self.margin_calls.append(call)
        for order in self.engine.open_orders():  # what the strategy still wanted is void now,
            self.engine.cancel(order.client_order_id)  # and would make the exits look like growth
        for intent in liquidation_intents(call):
            self.submit(intent)
        if self._notes:
            self._deliver()

    def _on_order_event(self, order: Order, event: OrderEvent) -> None:
        if not isinstance(event, OrderAccepted):
            self._notes.append((order, event))

    def _deliver(self) -> None:
        notes, self._notes = self._notes, []
        strategy, ctx = self.strategy, self.ctx
        for _, event in notes:
            if isinstance(event, OrderFilled):
                strategy.on_fill(event.fill, ctx)
            else:
                strategy.on_event(event, ctx)
        if self._notes:  # a callback sent orders that were answered at once
            self._deliver()


def _listens(strategy: _BaseStrategy) -> bool:
    """Whether ``strategy`` has its own ``on_fill`` or ``on_event`` (the base ones do nothing,
    so a strategy without either gains nothing from the kernel collecting order news)."""
    own = getattr(strategy, "__dict__", {})
    return any(
        name in own or getattr(type(strategy), name, None) is not getattr(_BaseStrategy, name)
        for name in ("on_fill", "on_event")
    )


class _EquityLog:
    """The equity curve as it is recorded: ``(ts, equity, cash, gross, net)`` once per step.

    Steps append to plain lists (the cheapest append there is, compiled), which move into
    preallocated NumPy arrays every ``_LOG_CHUNK`` rows. Small chunks on purpose: their floats
    are freed while the allocator still has them in cache (chunks of 65,536 rows made the
    per-bar loop slower than ``array.array``, which converts each value through an argument
    parser; 512 rows made it faster: commit 8ce82ad's message has the figures). ``capacity``
    (the run's bar count: at most one step a bar) sizes the arrays once, so the curve is never
    held twice; a run of trades, which records a step per minute, may need more, and the arrays
    then double.
    """

    __slots__ = ("_n", "_stamps", "_values", "stamps", "values")

    def __init__(self, capacity: int) -> None:
        self.stamps: list[int] = []
        self.values: list[float] = []  # four a step, flat
        size = max(capacity, 1)
        self._stamps = np.empty(size, dtype=np.int64)
        self._values = np.empty(4 * size, dtype=np.float64)
        self._n = 0

    def add(self, ts: int, row: tuple[float, float, float, float]) -> None:
        """Record one step's row (the paths other than the plain loop's)."""
        self.stamps.append(ts)
        self.values.extend(row)
        if len(self.stamps) >= _LOG_CHUNK:
            self.flush()

    def flush(self) -> None:
        """Move the rows held in the lists into the arrays (the lists stay the same objects)."""
        k = len(self.stamps)
        if not k:
            return
        n = self._n
        if n + k > len(self._stamps):
            size = max(2 * len(self._stamps), n + k)
            self._stamps = np.concatenate((self._stamps[:n], np.empty(size - n, np.int64)))
            self._values = np.concatenate(
                (self._values[: 4 * n], np.empty(4 * (size - n), np.float64))
            )
        self._stamps[n : n + k] = self.stamps
        self._values[4 * n : 4 * (n + k)] = self.values
        self._n = n + k
        self.stamps.clear()
        self.values.clear()

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Every step's stamp (int64) and its four values (float64, flat), in order."""
        self.flush()
        return self._stamps[: self._n], self._values[: 4 * self._n]


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the loop with the cyclic garbage collector woken less often, then restore it.

    A run keeps every order, fill and event it makes, so the collector's full passes grow with
    it; woken every 100,000 allocations instead of 700, and with what existed before the run
    frozen out of its passes, a million-bar run is 8 % faster at the same peak memory
    (``benchmarks/bench_engine.py``). Nothing in the loop relies on cycles being freed early.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 50, 50)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
