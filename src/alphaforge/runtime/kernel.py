"""The kernel: one event at a time, in ``ts_event`` order, on one thread.

For each bar of the merged feed::

    broker.process_bar(bar)      # orders sent on earlier bars fill (next open, stops, limits)
    ledger.mark(bar)             # the account is valued at this close
    indicators.update(bar)       # declared indicators of this stream see this bar
    strategy.on_bar(bar, ctx)    # decisions on what is known now; intents -> risk -> broker
    strategy.on_fill / on_event  # news from this step, delivered after on_bar returns

After every bar of a timestamp was handled, ``strategy.on_step(ctx)`` (when the strategy defines
it) sees all symbols at that time at once: where portfolio strategies rebalance. Then equity is
recorded, once per distinct timestamp.
Bars before ``start`` only warm up history and indicators: no orders, no equity. Nothing here
depends on wall-clock time or on hash order, so identical inputs give bit-identical results.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from alphaforge.data.catalog_args import timeframe_order
from alphaforge.domain.enums import OrderSide
from alphaforge.domain.events import OrderAccepted, OrderEvent, OrderFilled
from alphaforge.domain.orders import Order
from alphaforge.execution.margin import MarginCall, liquidation_intents
from alphaforge.portfolio import EquityRecorder, Ledger, LedgerView
from alphaforge.runtime.context import BacktestContext, StreamState, unit_value_fn
from alphaforge.strategies import Strategy as _BaseStrategy

if TYPE_CHECKING:
    from alphaforge.brokers.sim import SimulatedBroker
    from alphaforge.data.feed import BarBatch
    from alphaforge.domain.intents import OrderIntent
    from alphaforge.domain.market import Bar
    from alphaforge.execution.engine import ExecutionEngine
    from alphaforge.risk import RiskEngine
    from alphaforge.runtime.financing import Financing

__all__ = ["Kernel"]


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
    ) -> None:
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
        # Compact typed buffers (8 bytes a value), not a list of tuples: a million-bar run would
        # otherwise hold ~200 MB of Python objects for its equity curve.
        self._stamps = array("q")
        self._values = array("d")
        self.margin_calls: list[MarginCall] = []
        if margin:
            broker.set_account(LedgerView(ledger))
        self._now = 0
        self._notes: list[tuple[Order, OrderEvent]] = []
        self.unit_value = unit_value_fn(ledger)
        self.streams, self.primary = _streams(batch)
        self.ctx = BacktestContext(self, ledger, LedgerView(ledger), self.streams, self.primary)
        engine.set_listener(self._on_order_event)
        # Orders fill on each symbol's finest timeframe; other streams only inform the strategy.
        self._execution = {id(s) for s in self.primary.values()}

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
        self._loop(streams, stream_of, start)
        strategy.on_stop(ctx)
        if self._notes:
            self._deliver()
        if self._stamps:
            self.recorder.extend(
                np.frombuffer(self._stamps, dtype=np.int64),
                np.frombuffer(self._values, dtype=np.float64),
            )

    def _loop(  # noqa: C901  # inlined on purpose: it runs once per bar
        self, streams: list[StreamState], stream_of: list[int], start: int | None
    ) -> None:
        """The hot loop (see the module docstring); locals on purpose: it runs per bar."""
        strategy, ctx, ledger, broker = self.strategy, self.ctx, self.ledger, self.broker
        financing = self._financing
        end_step = self._end_step
        last_ts: int | None = None
        for bar, sid in zip(self._bars, stream_of, strict=True):
            ts = bar.ts_event
            state = streams[sid]
            state.position += 1
            if start is not None and ts < start:
                _warm(state, bar)
                continue
            if ts != last_ts:
                if last_ts is not None:
                    end_step(last_ts)
                if financing is not None:
                    financing.accrue(ts)  # what holding cost over (last_ts, ts]
                last_ts = ts
            self._now = ctx.now_ns = ts
            if state.execution:
                broker.process_bar(bar)
                ledger.mark(bar.symbol, bar.close, ts)
            if state.updaters:
                row = (bar.open, bar.high, bar.low, bar.close, bar.volume)
                for update in state.updaters:
                    update(row)
            strategy.on_bar(bar, ctx)
            if self._notes:
                self._deliver()
        if last_ts is not None:
            if self._on_step is not None:
                self._step(last_ts)
            self._stamps.append(last_ts)
            self._values.extend(ledger.equity_row())

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

    def _pending(self) -> dict[str, tuple[float, float]]:
        """Signed quantity working orders still want, and the unit value, by symbol."""
        out: dict[str, tuple[float, float]] = {}
        for order in self.engine.open_orders():
            sign = 1.0 if order.side is OrderSide.BUY else -1.0
            quantity, unit = out.get(order.symbol, (0.0, self.unit_value(order.symbol)))
            out[order.symbol] = (quantity + sign * float(order.leaves_qty), unit)
        return out

    def _end_step(self, ts: int) -> None:
        """Close time step ``ts``: ``on_step``, record equity, then drawdown and margin checks."""
        if self._on_step is not None:
            self._step(ts)
        marks = self.ledger.equity_row()
        self._stamps.append(ts)
        self._values.extend(marks)
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
        """Liquidate everything (reduce-only market orders) when equity is below maintenance."""
        if any(o.intent.tag == "liquidation" for o in self.engine.open_orders()):
            return  # a liquidation is already on its way
        call = self.broker.check_margin(ts)
        if call is None:
            return
        self.margin_calls.append(call)
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


def _warm(state: StreamState, bar: Bar) -> None:
    row = (bar.open, bar.high, bar.low, bar.close, bar.volume)
    for update in state.updaters:
        update(row)


def _streams(
    batch: BarBatch,
) -> tuple[dict[tuple[str, str], StreamState], dict[str, StreamState]]:
    """Per-stream arrays (views of the batch) and each symbol's finest-timeframe stream."""
    states: dict[tuple[str, str], StreamState] = {}
    primary: dict[str, StreamState] = {}
    for info in batch.streams:
        rows = np.flatnonzero(batch.stream == info.id)
        arrays = {
            name: np.ascontiguousarray(getattr(batch, name)[rows])
            for name in ("open", "high", "low", "close", "volume")
        }
        state = StreamState(info.symbol, info.timeframe, arrays, batch.ts_event[rows])
        states[(info.symbol, info.timeframe)] = state
        best = primary.get(info.symbol)
        if best is None or timeframe_order(info.timeframe) < timeframe_order(best.timeframe):
            primary[info.symbol] = state
    return states, primary


def symbols_of(batch: BarBatch) -> Sequence[str]:
    """The distinct symbols of a batch, in stream order."""
    seen: dict[str, None] = {}
    for info in batch.streams:
        seen.setdefault(info.symbol)
    return list(seen)
