"""The historical feed: many symbols and timeframes merged into one ordered event stream.

>>> feed = HistoricalFeed.from_bundled("stocks20_close")            # doctest: +SKIP
>>> batch = feed.arrays()        # columnar, ordered: ts_event, stream id, OHLCV
>>> for bar in feed: ...         # Bar / TradeTick objects in the same order

Every row gets a ``ts_event``: the moment it became known (a bar's close; see
:mod:`alphaforge.data.feed_events`). Events are ordered by

1. ``ts_event``;
2. the length of the stream's timeframe, shortest first (trades, then 1m, ..., 1d, 1w, 1M), so
   the daily bar of a session comes after the intraday bars that close with it;
3. the symbol, then the timeframe name, alphabetically;
4. the row order within the stream (for trades: timestamp, then trade id).

No key depends on the order in which streams were added: the same data gives the same sequence
however it is assembled. One stream per (symbol, timeframe) is allowed, so the order is total.

Data is expected to be validated at the edge (``validate_frame``, the catalog); the feed checks
only what it needs for a correct order (sorted stamps, the columns it reads, no missing price)
and builds events without per-event checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alphaforge.core.suggest import did_you_mean
from alphaforge.data.bundled import dataset_info, load_dataset
from alphaforge.data.calendars import check_calendar
from alphaforge.data.catalog_args import TimeBound, bundled_part, pick_symbols, time_bound
from alphaforge.data.errors import UnknownDatasetError
from alphaforge.data.feed_events import event_times, span_rank
from alphaforge.data.feed_streams import (
    BarStream,
    TradeBatch,
    TradeStream,
    bar_stream,
    merge_trades,
    trade_stream,
)
from alphaforge.data.timeframes import parse_timeframe
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.market import Bar, TradeTick

if TYPE_CHECKING:
    from alphaforge.data.catalog import Catalog

__all__ = ["BarBatch", "HistoricalFeed", "StreamInfo", "TradeBatch"]

_CHUNK = 1 << 16  # events built per step of iteration: bounded memory, amortized NumPy calls
_new_bar = partial(tuple.__new__, Bar)  # a Bar from a 9-tuple without Python-level __new__
_new_trade = partial(tuple.__new__, TradeTick)


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """One input stream: its id in batches, what it holds and how its stamps are read."""

    id: int
    symbol: str
    timeframe: str
    kind: str  # "bars" or "trades"
    stamp: str
    calendar: str | None
    rows: int


@dataclass(frozen=True, slots=True, eq=False)
class BarBatch:
    """Bar events in delivery order, as columns: row ``i`` of every array is one bar."""

    ts_event: np.ndarray  # int64 UTC ns
    stream: np.ndarray  # int32, an id of ``streams``
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    streams: tuple[StreamInfo, ...]

    def __len__(self) -> int:
        return len(self.ts_event)

    def symbols(self) -> np.ndarray:
        """Return the symbol of every row (an object array)."""
        names = np.array([s.symbol for s in self.streams], dtype=object)
        return np.asarray(names[self.stream]) if len(self.streams) else np.array([], dtype=object)


class HistoricalFeed:
    """Merge bar and trade streams into one deterministic, ``ts_event``-ordered sequence.

    ``start`` and ``end`` keep the events with ``start <= ts_event <= end`` (text without an
    offset is UTC).
    """

    def __init__(self, *, start: TimeBound = None, end: TimeBound = None) -> None:
        self._start = time_bound(start, "start")
        self._end = time_bound(end, "end", end=True)
        self._infos: list[StreamInfo] = []
        self._bars: dict[int, BarStream] = {}
        self._trades: dict[int, TradeStream] = {}
        self._merged: tuple[BarBatch, TradeBatch, np.ndarray] | None = None

    # ------------------------------------------------------------ inputs

    def add_bars(
        self,
        symbol: str,
        timeframe: str,
        frame: pd.DataFrame,
        *,
        stamp: str = "bar_open",
        calendar: str | None = None,
    ) -> StreamInfo:
        """Add the bars of ``frame`` (OHLCV, or close-only: open = high = low = close and volume
        NaN, i.e. unknown). ``stamp`` says what a timestamp means, ``calendar`` when a bar
        closes (see :mod:`alphaforge.data.feed_events`)."""
        tf = parse_timeframe(timeframe)
        if tf.is_tick:
            raise InvalidValueError("'tick' data are trades; use add_trades")
        cal = None if calendar is None else check_calendar(calendar)
        info = self._register(symbol, tf.name, "bars", stamp, cal)
        stream = bar_stream(frame, f"{info.symbol} {tf.name}")
        stream.ts_event = event_times(stream.ts_event, tf, stamp, cal)
        return self._store(info, stream, bars=True)

    def add_trades(self, symbol: str, frame: pd.DataFrame) -> StreamInfo:
        """Add public trades (columns ``id``, ``side``, ``price``, ``amount``).

        Repeated trade ids are dropped (a trade recorded twice, e.g. by overlapping downloads);
        the same id with other values raises ``DataValidationError``. Trades sharing a timestamp
        keep their id order. Deduplication is by id only, never by time.
        """
        info = self._register(symbol, "tick", "trades", "observation", None)
        return self._store(info, trade_stream(frame, info.symbol), bars=False)

    @classmethod
    def from_bundled(
        cls,
        name: str,
        symbols: Iterable[str] | None = None,
        *,
        start: TimeBound = None,
        end: TimeBound = None,
    ) -> HistoricalFeed:
        """Build a feed from a bundled dataset (one stream per symbol)."""
        feed = cls(start=start, end=end)
        feed.add_bundled(name, symbols)
        return feed

    def add_bundled(self, name: str, symbols: Iterable[str] | None = None) -> list[StreamInfo]:
        """Add a bundled dataset's symbols; close-only sets become one stream per symbol.

        An unknown dataset or symbol raises ``UnknownDatasetError`` with a "did you mean" hint.
        """
        info = dataset_info(name)
        if info.kind == "series":
            raise InvalidValueError(
                f"bundled dataset {name!r} is a {info.kind!r} set ({', '.join(info.columns)}), "
                "not bars or trades; load it with load_dataset and align it instead"
            )
        wanted = pick_symbols(info.symbols, symbols, name)
        frame = load_dataset(name)
        calendar = None if info.calendar == "none" else info.calendar
        added = []
        for symbol in wanted:
            # A wide close set gives one ``close`` column per symbol, its empty rows left out.
            part, _ = bundled_part(frame, info.symbols, info.kind, symbol)
            if info.kind == "trades":
                added.append(self.add_trades(symbol, part))
            else:
                added.append(
                    self.add_bars(symbol, info.frequency, part, stamp=info.stamp, calendar=calendar)
                )
        return added

    @classmethod
    def from_catalog(
        cls,
        catalog: Catalog,
        symbols: Iterable[str] | None = None,
        timeframe: str | None = None,
        *,
        start: TimeBound = None,
        end: TimeBound = None,
    ) -> HistoricalFeed:
        """Build a feed from catalog entries (all, or those of ``symbols`` / ``timeframe``).

        Each entry's recorded ``stamp`` and ``calendar`` decide its events; ``series`` entries are
        skipped. Rows that cannot become known by ``end`` are not read. A symbol the catalog has
        no bars or trades of (at ``timeframe``) raises ``UnknownDatasetError`` with a hint.
        """
        feed = cls(start=start, end=end)
        tf = None if timeframe is None else parse_timeframe(timeframe).name
        entries = [e for e in catalog.entries() if e.kind != "series"]
        entries = [e for e in entries if tf is None or e.timeframe == tf]
        if symbols is not None:
            wanted = {str(s).strip().upper() for s in symbols}
            _check_held(wanted, {e.symbol for e in entries}, catalog, tf)
            entries = [e for e in entries if e.symbol in wanted]
        for entry in entries:
            frame = catalog.load(entry.symbol, entry.timeframe, end=feed._end)
            if entry.kind == "trades":
                feed.add_trades(entry.symbol, frame)
            else:
                calendar = None if entry.calendar == "none" else entry.calendar
                feed.add_bars(
                    entry.symbol, entry.timeframe, frame, stamp=entry.stamp, calendar=calendar
                )
        return feed

    # ------------------------------------------------------------ outputs

    @property
    def streams(self) -> tuple[StreamInfo, ...]:
        """The streams added so far, by id (the order they were added)."""
        return tuple(self._infos)

    def arrays(self) -> BarBatch:
        """Return every bar event in delivery order as columns (trades are not included)."""
        return self._merge()[0]

    def __len__(self) -> int:
        batch, trades, _ = self._merge()
        return len(batch) + len(trades.ts_event)

    def __iter__(self) -> Iterator[Bar | TradeTick]:
        """Yield ``Bar`` and ``TradeTick`` events in delivery order (``ts_init == ts_event``)."""
        batch, trades, is_trade = self._merge()
        if len(trades.ts_event) == 0:
            yield from self.bars()
            return
        done_bars = done_trades = 0
        for lo in range(0, len(is_trade), _CHUNK):
            flags = is_trade[lo : lo + _CHUNK]
            n_trades = int(flags.sum())
            n_bars = len(flags) - n_trades
            bars = self._bar_objects(batch, done_bars, done_bars + n_bars)
            ticks = _trade_objects(trades, done_trades, done_trades + n_trades)
            done_bars += n_bars
            done_trades += n_trades
            yield from [next(ticks) if flag else next(bars) for flag in flags.tolist()]

    def trades(self) -> TradeBatch:
        """Return every trade in delivery order as columns."""
        return self._merge()[1]

    def bars(self) -> Iterator[Bar]:
        """Iterate over only the ``Bar`` events, in delivery order (built a chunk at a time)."""

        def chunks() -> Iterator[Iterator[Bar]]:
            batch = self._merge()[0]
            for lo in range(0, len(batch), _CHUNK):
                yield self._bar_objects(batch, lo, lo + _CHUNK)

        # chained in C: no Python frame resumed per bar (the kernel takes one per event)
        return chain.from_iterable(chunks())

    # ------------------------------------------------------------ internals

    def _register(
        self, symbol: str, timeframe: str, kind: str, stamp: str, calendar: str | None
    ) -> StreamInfo:
        sym = str(symbol).strip().upper()
        if not sym:
            raise InvalidValueError("symbol must not be empty")
        for info in self._infos:
            if (info.symbol, info.timeframe) == (sym, timeframe):
                raise InvalidValueError(
                    f"{sym} {timeframe} was already added (stream {info.id}); one stream per "
                    "symbol and timeframe keeps the event order well defined"
                )
        return StreamInfo(len(self._infos), sym, timeframe, kind, stamp, calendar, 0)

    def _store(
        self, info: StreamInfo, stream: BarStream | TradeStream, *, bars: bool
    ) -> StreamInfo:
        stream.keep_between(_ns(self._start), _ns(self._end))
        final = StreamInfo(
            info.id,
            info.symbol,
            info.timeframe,
            info.kind,
            info.stamp,
            info.calendar,
            len(stream.ts_event),
        )
        self._infos.append(final)
        if bars:
            self._bars[info.id] = stream  # type: ignore[assignment]
        else:
            self._trades[info.id] = stream  # type: ignore[assignment]
        self._merged = None
        return final

    def _rank_order(self, ids: Iterable[int]) -> list[int]:
        def key(i: int) -> tuple[int, str, str]:
            info = self._infos[i]
            return span_rank(parse_timeframe(info.timeframe)), info.symbol, info.timeframe

        return sorted(ids, key=key)

    def _merge(self) -> tuple[BarBatch, TradeBatch, np.ndarray]:
        """Order bars, order trades, then interleave the two (trades first on equal stamps)."""
        if self._merged is not None:
            return self._merged
        ids = self._rank_order(self._bars)
        parts = [self._bars[i] for i in ids]
        ts = _cat([p.ts_event for p in parts], np.int64)
        stream = np.repeat(np.array(ids, dtype=np.int32), [len(p.ts_event) for p in parts])
        if len(parts) <= 1 or bool(np.all(ts[1:] >= ts[:-1])):  # in order already (one stream):
            order: Any = slice(None)  # views, not a second copy of every column
        else:
            order = np.argsort(ts, kind="stable")  # streams were concatenated in rank order
        cols = [_cat([getattr(p, f) for p in parts], np.float64)[order] for f in _OHLCV]
        batch = BarBatch(
            ts[order],
            stream[order],
            cols[0],
            cols[1],
            cols[2],
            cols[3],
            cols[4],
            tuple(self._infos),
        )
        trades = merge_trades(
            [(self._infos[i].symbol, self._trades[i]) for i in self._rank_order(self._trades)]
        )
        if len(trades.ts_event):
            both = np.concatenate((trades.ts_event, batch.ts_event))
            is_trade = np.argsort(both, kind="stable") < len(trades.ts_event)
        else:
            is_trade = np.zeros(len(batch.ts_event), dtype=bool)
        self._merged = (batch, trades, is_trade)
        return self._merged

    def _bar_objects(self, batch: BarBatch, lo: int, hi: int) -> Iterator[Bar]:
        names = np.array([s.symbol for s in self._infos], dtype=object)
        frames = np.array([s.timeframe for s in self._infos], dtype=object)
        stream = batch.stream[lo:hi]
        ts = batch.ts_event[lo:hi].tolist()
        rows = zip(
            names[stream].tolist(),
            frames[stream].tolist(),
            batch.open[lo:hi].tolist(),
            batch.high[lo:hi].tolist(),
            batch.low[lo:hi].tolist(),
            batch.close[lo:hi].tolist(),
            batch.volume[lo:hi].tolist(),
            ts,
            ts,
            strict=True,
        )
        return map(_new_bar, rows)


def _trade_objects(trades: TradeBatch, lo: int, hi: int) -> Iterator[TradeTick]:
    ts = trades.ts_event[lo:hi].tolist()
    rows = zip(
        trades.symbol[lo:hi].tolist(),
        trades.price[lo:hi].tolist(),
        trades.size[lo:hi].tolist(),
        trades.side[lo:hi].tolist(),
        trades.trade_id[lo:hi].tolist(),
        ts,
        ts,
        strict=True,
    )
    return map(_new_trade, rows)


_OHLCV = ("open", "high", "low", "close", "volume")


def _cat(arrays: list[np.ndarray], dtype: type | str) -> np.ndarray:
    if len(arrays) == 1:
        return np.asarray(arrays[0], dtype=dtype)  # one stream: no copy of a million values
    return np.concatenate(arrays) if arrays else np.array([], dtype=dtype)


def _check_held(wanted: set[str], held: set[str], catalog: Catalog, tf: str | None) -> None:
    """Refuse symbols the catalog has no bars or trades of (at ``tf``), suggesting a close one."""
    unknown = sorted(wanted - held)
    if unknown:
        at = "" if tf is None else f" at {tf}"
        raise UnknownDatasetError(
            f"catalog {str(catalog.root)!r} has no bars or trades of {unknown[0]!r}{at}"
            f"{did_you_mean(unknown[0], sorted(held))}; it holds "
            f"{', '.join(sorted(held)) or 'nothing'}"
        )


def _ns(stamp: pd.Timestamp | None) -> int | None:
    return None if stamp is None else int(stamp.value)
