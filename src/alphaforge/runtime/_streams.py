"""How a merged batch becomes the kernel's per-stream state, and which stream fills orders.

Each bar stream gets its own arrays (views of the batch when it is the only stream) and a
``StreamState`` that ``ctx.history`` cuts at the current bar; trades get one tick stream per
symbol. A symbol's orders fill on its finest bars, on its trades when the run has them, or on its
coarsest bars walked along the finer ones (``intrabar="lower_timeframe"``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from alphaforge.data.catalog_args import timeframe_order
from alphaforge.data.timeframes import parse_timeframe
from alphaforge.domain.errors import InvalidValueError
from alphaforge.runtime.context import StreamState

if TYPE_CHECKING:
    from alphaforge.data.feed import BarBatch, TradeBatch
    from alphaforge.domain.market import Bar

__all__ = ["bar_streams", "inside", "tick_streams", "warm", "wire"]


def inside(lower: list[Bar], bar: Bar, span: int) -> list[Bar] | None:
    """The path bars that close inside ``bar`` (after its open, when its length is fixed)."""
    if span:
        opened = bar.ts_event - span
        inside = [b for b in lower if b.ts_event > opened]
        return inside or None
    return list(lower) or None


def tick_streams(batch: BarBatch, trades: TradeBatch | None) -> dict[str, StreamState]:
    """One trade stream per symbol: ``price``, ``size`` and ``side`` (+1 buy, -1 sell)."""
    out: dict[str, StreamState] = {}
    if trades is None:
        return out
    symbols = np.asarray(trades.symbol)
    for info in batch.streams:
        if info.kind != "trades":
            continue
        symbol = info.symbol
        rows = np.flatnonzero(symbols == symbol)
        side = np.where(np.asarray(trades.side)[rows] == "buy", 1.0, -1.0)
        arrays = {
            "price": np.ascontiguousarray(trades.price[rows], dtype=np.float64),
            "size": np.ascontiguousarray(trades.size[rows], dtype=np.float64),
            "side": side,
        }
        state = StreamState(symbol, "tick", arrays, trades.ts_event[rows])
        state.execution = True
        out[symbol] = state
    return out


def wire(
    streams: dict[tuple[str, str], StreamState],
    primary: dict[str, StreamState],
    ticks: dict[str, StreamState],
    lower_timeframe: bool,
) -> set[int]:
    """Choose each symbol's execution stream (see the module docstring); return their ids."""
    execution = {id(state) for state in ticks.values()}
    for symbol, finest in primary.items():
        if symbol in ticks:
            continue  # its trades fill its orders; its bars only inform
        if not lower_timeframe:
            execution.add(id(finest))
            continue
        own = [s for (sym, _), s in streams.items() if sym == symbol]
        coarsest = max(own, key=lambda s: timeframe_order(s.timeframe))
        if coarsest is finest:
            raise InvalidValueError(
                f"intrabar='lower_timeframe' needs a finer bar stream of {symbol} in the run "
                f"than its {finest.timeframe} bars (e.g. data={{'{symbol}': [bars_4h, bars_1h]}})"
            )
        execution.add(id(coarsest))
        buffer: list[Bar] = []
        coarsest.lower = buffer
        tf = parse_timeframe(coarsest.timeframe)
        coarsest.span = 0 if tf.is_calendar else tf.nanos
        finest.collect = buffer
        finest.records = False
    return execution


def warm(state: StreamState, bar: Bar) -> None:
    """Feed a warm-up bar to the stream's indicators (no orders, no equity)."""
    for update in state.updaters:
        update(bar)


def bar_streams(
    batch: BarBatch,
) -> tuple[dict[tuple[str, str], StreamState], dict[str, StreamState]]:
    """Per-stream arrays (views of the batch) and each symbol's finest-timeframe stream."""
    states: dict[tuple[str, str], StreamState] = {}
    primary: dict[str, StreamState] = {}
    for info in batch.streams:
        if info.kind != "bars":
            continue
        rows = np.flatnonzero(batch.stream == info.id)
        if len(rows) == len(batch.stream):  # the only stream: views, not 48 MB of copies a 1M
            take: Any = slice(None)
        else:
            take = rows
        arrays = {
            name: np.ascontiguousarray(getattr(batch, name)[take])
            for name in ("open", "high", "low", "close", "volume")
        }
        state = StreamState(info.symbol, info.timeframe, arrays, batch.ts_event[take])
        states[(info.symbol, info.timeframe)] = state
        best = primary.get(info.symbol)
        if best is None or timeframe_order(info.timeframe) < timeframe_order(best.timeframe):
            primary[info.symbol] = state
    return states, primary
