"""The columns of one feed stream, taken from a frame once, checked only for what ordering needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alphaforge.data.errors import DataValidationError, Problem
from alphaforge.domain.errors import InvalidValueError

__all__ = ["BarStream", "TradeBatch", "TradeStream", "bar_stream", "merge_trades", "trade_stream"]

_OHLCV = ("open", "high", "low", "close", "volume")
_TRADES = ("id", "side", "price", "amount")


@dataclass(slots=True)
class BarStream:
    """Bars of one symbol and timeframe; ``ts_event`` holds the stamps until the feed converts
    them to close times."""

    ts_event: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def keep_between(self, start: int | None, end: int | None) -> None:
        """Drop the rows whose ``ts_event`` lies outside ``[start, end]``.

        A mask, not a slice: close times follow the stamps' order in every calendar alphaforge
        knows, but nothing here needs to rely on it.
        """
        if start is None and end is None:
            return
        keep = np.ones(len(self.ts_event), dtype=bool)
        if start is not None:
            keep &= self.ts_event >= start
        if end is not None:
            keep &= self.ts_event <= end
        for name in ("ts_event", *_OHLCV):
            setattr(self, name, getattr(self, name)[keep])


@dataclass(slots=True)
class TradeStream:
    """Trades of one symbol, deduplicated by id, ordered by (timestamp, id)."""

    ts_event: np.ndarray
    price: np.ndarray
    size: np.ndarray
    side: np.ndarray  # object array of "buy" / "sell"
    trade_id: np.ndarray  # object array of str

    def keep_between(self, start: int | None, end: int | None) -> None:
        """Drop the trades outside ``[start, end]``."""
        lo = 0 if start is None else int(np.searchsorted(self.ts_event, start, side="left"))
        hi = (
            len(self.ts_event) if end is None else int(np.searchsorted(self.ts_event, end, "right"))
        )
        for name in ("ts_event", "price", "size", "side", "trade_id"):
            setattr(self, name, getattr(self, name)[lo:hi])


@dataclass(frozen=True, slots=True, eq=False)
class TradeBatch:
    """Trades of every stream in delivery order, as columns."""

    ts_event: np.ndarray
    symbol: np.ndarray
    price: np.ndarray
    size: np.ndarray
    side: np.ndarray
    trade_id: np.ndarray

    def __len__(self) -> int:
        return len(self.ts_event)


def _stamps(frame: pd.DataFrame, label: str, *, strict: bool) -> np.ndarray:
    if not isinstance(frame, pd.DataFrame) or not isinstance(frame.index, pd.DatetimeIndex):
        raise InvalidValueError(
            f"{label}: expected a DataFrame indexed by UTC timestamps, got {type(frame).__name__}"
        )
    if frame.index.tz is None or str(frame.index.tz) != "UTC":
        raise InvalidValueError(f"{label}: timestamps must be tz-aware UTC, got {frame.index.tz}")
    ns = np.asarray(frame.index.as_unit("ns").asi8, dtype=np.int64)
    if strict and len(ns) > 1 and not bool((np.diff(ns) > 0).all()):
        raise InvalidValueError(
            f"{label}: bar timestamps must be strictly increasing; validate the data first"
        )
    return ns


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    column = frame[name]
    if column.dtype == np.float64:  # plain floats: a view where pandas can give one, no copy
        return np.asarray(column.to_numpy())
    return np.asarray(column.to_numpy(dtype=np.float64, na_value=np.nan))  # nullable, ints


def bar_stream(frame: pd.DataFrame, label: str) -> BarStream:
    """Take OHLCV columns (or ``close`` alone) from a canonical frame."""
    ns = _stamps(frame, label, strict=True)
    present = {str(c) for c in frame.columns}
    if set(_OHLCV) <= present:
        o, h, lo, c, v = (_column(frame, name) for name in _OHLCV)
    elif "close" in present:
        c = _column(frame, "close")
        o = h = lo = c
        v = np.full(len(c), np.nan)  # close-only data: the volume is unknown, not zero
    else:
        raise InvalidValueError(
            f"{label}: bars need open, high, low, close, volume (or close alone); the frame has "
            f"{', '.join(sorted(present)) or 'no columns'}"
        )
    bad = np.isnan(o) | np.isnan(h) | np.isnan(lo) | np.isnan(c)
    if bad.any():
        first = int(np.argmax(bad))
        raise InvalidValueError(
            f"{label}: {int(bad.sum())} bar(s) with a missing price (first at "
            f"{frame.index[first].isoformat()}); validate the data first, or drop those rows"
        )
    return BarStream(ns, o, h, lo, c, v)


def trade_stream(frame: pd.DataFrame, label: str) -> TradeStream:
    """Take trades from a canonical frame: drop repeated ids, order by (timestamp, id)."""
    ns = _stamps(frame, label, strict=False)
    missing = [c for c in _TRADES if c not in frame.columns]
    if missing:
        raise InvalidValueError(
            f"{label}: trades need columns {', '.join(_TRADES)}; missing {', '.join(missing)}"
        )
    ids = np.asarray(frame["id"].to_numpy())
    price, size = _column(frame, "price"), _column(frame, "amount")
    side = np.asarray(frame["side"].to_numpy(dtype=object))
    _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    keep = np.sort(first)
    if len(keep) < len(ids):
        _check_repeats(frame, label, ns, price, size, side, first[inverse])
    # Rank of each id in sorted-id order: a numeric tie-break that also works for text ids.
    order = np.lexsort((inverse[keep], ns[keep]))
    rows = keep[order]
    return TradeStream(
        ns[rows], price[rows], size[rows], side[rows], ids[rows].astype(str).astype(object)
    )


def _check_repeats(
    frame: pd.DataFrame,
    label: str,
    ns: np.ndarray,
    price: np.ndarray,
    size: np.ndarray,
    side: np.ndarray,
    origin: np.ndarray,
) -> None:
    """A repeated id must repeat the same trade; different values mean the data is wrong."""
    differs = (ns != ns[origin]) | (price != price[origin]) | (size != size[origin])
    differs |= side != side[origin]
    if not differs.any():
        return
    rows = np.flatnonzero(differs)
    problems = [
        Problem(
            label,
            f"trade id {_plain(frame['id'].iloc[i])!r} repeats row {origin[i] + 1} with other "
            "values",
            row=int(i) + 1,
            field="id",
            timestamp=frame.index[i].isoformat(),
        )
        for i in rows[:20].tolist()
    ]
    raise DataValidationError(problems)


def _plain(value: object) -> object:
    """A NumPy scalar as the Python value it holds, so messages read ``5``, not ``np.int64(5)``."""
    return value.item() if isinstance(value, np.generic) else value


def merge_trades(streams: Sequence[tuple[str, TradeStream]]) -> TradeBatch:
    """Concatenate trade streams (given in rank order) and order them by ``ts_event``, stably."""
    if not streams:
        empty = np.array([], dtype=object)
        return TradeBatch(
            np.array([], dtype=np.int64), empty, np.array([]), np.array([]), empty, empty
        )
    ts = np.concatenate([s.ts_event for _, s in streams])
    order = np.argsort(ts, kind="stable")
    symbol = np.repeat(
        np.array([name for name, _ in streams], dtype=object), [len(s.ts_event) for _, s in streams]
    )
    return TradeBatch(
        ts[order],
        symbol[order],
        np.concatenate([s.price for _, s in streams])[order],
        np.concatenate([s.size for _, s in streams])[order],
        np.concatenate([s.side for _, s in streams])[order],
        np.concatenate([s.trade_id for _, s in streams])[order],
    )
