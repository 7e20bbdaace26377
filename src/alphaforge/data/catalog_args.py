"""Checks and conversions of the catalog's (and feed's) arguments, with helpful errors."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd

from alphaforge.core.suggest import did_you_mean
from alphaforge.data.errors import UnknownDatasetError
from alphaforge.data.timeframes import Timeframe, parse_timeframe
from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "TimeBound",
    "bundled_part",
    "check_choice",
    "check_columns",
    "export_format",
    "pick_symbols",
    "time_bound",
    "timeframe_for",
    "timeframe_order",
]

TimeBound = str | datetime | pd.Timestamp | None
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def timeframe_for(timeframe: str, kind: str) -> Timeframe:
    """Parse ``timeframe``; trades are stored as ``tick`` and only trades are."""
    tf = parse_timeframe(timeframe)
    if (kind == "trades") != tf.is_tick:
        raise InvalidValueError(
            f"timeframe {tf.name!r} does not fit kind {kind!r}; trades are stored as 'tick' and "
            "only trades are"
        )
    return tf


def timeframe_order(name: str) -> tuple[int, int]:
    """Sort key of a timeframe name: ticks first, then by length."""
    tf = parse_timeframe(name)
    if tf.is_tick:
        return (0, 0)
    return (1, tf.count * 31 * 86_400) if tf.is_calendar else (1, tf.nanos // 1_000_000_000)


def check_choice(what: str, value: str, allowed: Sequence[str]) -> None:
    """Refuse ``value`` unless it is one of ``allowed``, suggesting the closest."""
    if value not in allowed:
        raise InvalidValueError(
            f"unknown {what} {value!r}; expected one of {', '.join(allowed)}"
            f"{did_you_mean(str(value), allowed)}"
        )


def check_columns(label: str, held: Sequence[str], columns: Sequence[str]) -> list[str]:
    """Return ``columns`` as a list after checking each is one of ``held``."""
    picked = [str(c) for c in columns]
    for name in picked:
        if name not in held:
            raise InvalidValueError(
                f"{label} has no column {name!r} (it has {', '.join(held)})"
                f"{did_you_mean(name, held)}"
            )
    return picked


def time_bound(value: TimeBound, name: str, *, end: bool = False) -> pd.Timestamp | None:
    """Return a range bound as a UTC timestamp.

    Text without an offset reads as UTC; a date alone as an ``end`` means the whole day (as in
    pandas' ``.loc["2018-01-01":"2018-06-30"]``). A naive ``datetime`` is refused: its zone would
    be a guess.
    """
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise InvalidValueError(f"{name} {value!r} is not a date or time: {exc}") from None
    if stamp.tzinfo is None:
        if not isinstance(value, str):
            raise InvalidValueError(
                f"{name} {value!r} is a naive datetime; pass it with a time zone (UTC)"
            )
        stamp = stamp.tz_localize("UTC")
    stamp = stamp.tz_convert("UTC").as_unit("ns")
    if end and isinstance(value, str) and _DATE_ONLY.fullmatch(value.strip()):
        stamp += pd.Timedelta(days=1) - pd.Timedelta(1, unit="ns")
    return stamp


_EXPORTS = ((".csv.gz", "csv.gz"), (".csv", "csv"), (".parquet", "parquet"), (".pq", "parquet"))


def export_format(target: Path, format: str | None) -> str:
    """Return ``csv``, ``csv.gz`` or ``parquet`` from ``format`` or the file's suffix."""
    if format is not None:
        check_choice("export format", format, ("csv", "csv.gz", "parquet"))
        return format
    name = target.name.lower()
    for suffix, fmt in _EXPORTS:
        if name.endswith(suffix):
            return fmt
    raise InvalidValueError(
        f"cannot tell the export format from {target.name!r}; use a .csv, .csv.gz or .parquet "
        "suffix, or pass format='csv' / 'parquet'"
    )


def pick_symbols(held: Sequence[str], wanted: Iterable[str] | None, name: str) -> list[str]:
    """Return the symbols of a bundled dataset to use: all, or the ``wanted`` ones."""
    if wanted is None:
        return list(held)
    picked = []
    for symbol in wanted:
        sym = str(symbol).strip().upper()
        if sym not in held:
            raise UnknownDatasetError(
                f"bundled dataset {name!r} has no symbol {symbol!r} (it holds "
                f"{', '.join(held)}){did_you_mean(sym, held)}"
            )
        picked.append(sym)
    return picked


def bundled_part(
    frame: pd.DataFrame, symbols: Sequence[str], kind: str, symbol: str
) -> tuple[pd.DataFrame, int]:
    """Return one symbol's columns of a bundled set and how many empty rows were left out.

    Close sets give a ``close`` column, series keep their column name; rows where the symbol has
    no value (before it listed, holidays) are dropped.
    """
    if kind in ("ohlcv", "trades") or (len(symbols) == 1 and len(frame.columns) > 1):
        return frame, 0
    column = frame.columns[list(symbols).index(symbol)] if len(symbols) > 1 else frame.columns[0]
    part = frame[[column]]
    if kind == "close":
        part = part.rename(columns={column: "close"})
    kept = part.notna().to_numpy()[:, 0]
    return part.loc[kept], int((~kept).sum())
