"""Validate a canonical frame at the edge: fail fast on what is wrong, report what is odd.

Hard problems raise :class:`~alphaforge.data.errors.DataValidationError` listing every one found
(up to ``max_problems``), in row order, each naming source, row, timestamp, field and values:

* structure: not a frame, no ``DatetimeIndex``, empty, missing required columns, text where
  numbers belong;
* timestamps: naive (no zone) or not UTC, missing (NaT), unsorted, duplicated (for trades,
  repeated stamps are fine but repeated trade ids are not);
* values: NaN or ±inf in a required field (``series`` may hold NaN, never inf), non-positive
  prices, ``high < low``, open or close outside ``[low, high]``, negative volume, trades with a
  side other than buy/sell or a non-positive amount.

Suspect-but-legal findings go into the :class:`ValidationReport`: gaps against the calendar,
zero-volume bars, jumps and moves that look like unadjusted splits (see
:mod:`alphaforge.data.suspects`). Rows are 1-based positions in the frame as given.

The checks are vectorized: a clean million-bar frame costs a few dozen NumPy passes, and the
per-row Python work only starts when a check has already failed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, cast

import numpy as np
import pandas as pd

from alphaforge.data.calendars import Gap, Gaps, check_calendar, infer_frequency, lazy_gaps
from alphaforge.data.errors import DataValidationError, Problem
from alphaforge.data.findings import Suspect, ValidationReport
from alphaforge.data.suspects import price_flags
from alphaforge.data.timeframes import parse_timeframe
from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "FILLED_COLUMN",
    "KINDS",
    "LINE_OFFSET_ATTR",
    "OHLCV_COLUMNS",
    "ROWS_FINGERPRINT_ATTR",
    "TRADE_COLUMNS",
    "Gap",
    "Suspect",
    "ValidationReport",
    "rows_fingerprint",
    "validate_frame",
]

KINDS: tuple[str, ...] = ("ohlcv", "close", "series", "trades")
OHLCV_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
TRADE_COLUMNS: tuple[str, ...] = ("id", "side", "price", "amount")
TRADE_SIDES: frozenset[str] = frozenset({"buy", "sell"})
FILLED_COLUMN = "filled"
"""Flag column written by the ``fill-gaps-ffill`` repair: 1.0 on inserted bars, else 0.0."""
LINE_OFFSET_ATTR = "alphaforge.line_offset"
"""``frame.attrs`` key: file line of row 1 minus 1 (set by ``read_file`` for CSV input)."""
ROWS_FINGERPRINT_ATTR = "alphaforge.rows_fingerprint"
"""``frame.attrs`` key: :func:`rows_fingerprint` of the index the line offset belongs to.

``attrs`` survive slicing and sorting, line numbers do not: messages name file lines only while
the index is still the one read from the file."""

_REQUIRED = {"ohlcv": OHLCV_COLUMNS, "close": (), "series": (), "trades": TRADE_COLUMNS}
_PRICES = ("open", "high", "low", "close")
_NO_GAPS = (np.array([], np.int64),) * 3


def validate_frame(
    frame: pd.DataFrame,
    *,
    source: str,
    kind: str = "ohlcv",
    calendar: str | None = None,
    frequency: str | None = None,
    max_problems: int = 50,
) -> ValidationReport:
    """Check ``frame`` against the data contract; return a report or raise listing every problem.

    ``calendar`` and ``frequency`` drive the gap analysis (none without a calendar; the frequency
    is inferred from the spacing when only the calendar is given). Raise ``InvalidValueError`` for
    an unknown kind or calendar, ``DataValidationError`` for bad data.
    """
    if kind not in KINDS:
        raise InvalidValueError(f"unknown data kind {kind!r}; expected one of {', '.join(KINDS)}")
    if max_problems < 1:
        raise InvalidValueError(f"max_problems must be >= 1, got {max_problems}")
    cal = None if calendar is None else check_calendar(calendar)
    if frequency is not None:
        parse_timeframe(frequency)  # a misspelt frequency is an argument error, found early
    structural = _structure(frame, source, kind)
    if structural:
        raise DataValidationError(structural)
    index = cast(pd.DatetimeIndex, frame.index)  # _structure has checked it
    found = _Found(source, index, max_problems, frame.attrs)
    arrays = _numeric_columns(frame, kind, found)
    flag = arrays.pop(FILLED_COLUMN, None)  # a 0/1 marker, not market data
    if flag is not None:
        found.rows(
            (flag != 0) & (flag != 1),
            FILLED_COLUMN,
            lambda i: f"{FILLED_COLUMN} flag {_num(flag[i])}; expected 0 or 1",
        )
    _check_index(found, kind)
    _check_values(found, frame, arrays, kind)
    if found.total:
        raise DataValidationError(found.problems())
    freq = "tick" if kind == "trades" else frequency
    if cal not in (None, "none") and freq is None:
        freq = infer_frequency(index)
    gaps = lazy_gaps(index, cal, freq) if cal is not None and freq is not None else Gaps(*_NO_GAPS)
    zero_volume, suspects = _suspects(frame, arrays, kind, found)
    nan_counts = {name: int(np.isnan(a).sum()) for name, a in arrays.items()}
    return ValidationReport(
        source=source,
        kind=kind,
        rows=len(frame),
        first=index[0],
        last=index[-1],
        calendar=cal,
        frequency=freq,
        gaps=gaps,
        zero_volume=zero_volume,
        suspects=suspects,
        nan_counts=MappingProxyType({k: v for k, v in nan_counts.items() if v}),
    )


# ---------------------------------------------------------------- problem collection


class _Found:
    """Collects problems cheaply: counts every one, keeps details for the first ``limit`` only."""

    def __init__(
        self, source: str, index: pd.DatetimeIndex, limit: int, attrs: Mapping[Any, object]
    ) -> None:
        self.source = source
        self.index = index
        self.limit = limit
        self.attrs = attrs
        self.total = 0
        self.unparsed: dict[str, np.ndarray] = {}  # text cells already reported, per column
        self._entries: list[tuple[int, int, str | None, str]] = []

    def rows(self, mask: np.ndarray, field: str | None, describe: Callable[[int], str]) -> None:
        """Record a problem for every True row of ``mask`` (0-based), described on demand."""
        count = int(np.count_nonzero(mask))
        if count == 0:
            return
        self.total += count
        for i in np.flatnonzero(mask)[: self.limit].tolist():
            self._entries.append((i, len(self._entries), field, describe(i)))

    def whole(self, message: str, field: str | None = None) -> None:
        """Record a problem with the frame as a whole (listed before row problems)."""
        self.total += 1
        self._entries.append((-1, len(self._entries), field, message))

    def stamp(self, i: int) -> str:
        return str(self.index[i].isoformat())

    def line_offset(self) -> int | None:
        """The file line offset when the frame still holds the rows as read, else None."""
        offset = self.attrs.get(LINE_OFFSET_ATTR)
        if not isinstance(offset, int):
            return None
        same = self.attrs.get(ROWS_FINGERPRINT_ATTR) == rows_fingerprint(self.index)
        return offset if same else None

    def problems(self) -> list[Problem]:
        entries = sorted(self._entries)[: self.limit]
        line_offset = self.line_offset()
        out = []
        for i, _, field, message in entries:
            if i < 0:
                out.append(Problem(self.source, message, field=field))
                continue
            text = message if line_offset is None else f"{message} (line {i + 1 + line_offset})"
            out.append(Problem(self.source, text, row=i + 1, field=field, timestamp=self.stamp(i)))
        if self.total > len(out):
            out.append(
                Problem(
                    self.source,
                    f"{self.total} problems in all; the first {len(out)} in row order are listed "
                    "(raise max_problems to see more)",
                )
            )
        return out


def rows_fingerprint(index: pd.Index) -> str:
    """Return a short hash of an index's values, to tell whether rows were reordered or cut."""
    values = np.ascontiguousarray(pd.DatetimeIndex(index).as_unit("ns").asi8)
    return f"{len(values)}:{hashlib.blake2b(values.tobytes(), digest_size=12).hexdigest()}"


def _plain(value: object) -> object:
    """A NumPy scalar as the Python value it holds, so messages show 7 rather than np.int64(7)."""
    return value.item() if isinstance(value, np.generic) else value


def _num(value: object) -> str:
    return repr(float(value)) if isinstance(value, (int, float, np.number)) else repr(value)


# ---------------------------------------------------------------- structure


def _structure(frame: object, source: str, kind: str) -> list[Problem]:
    if not isinstance(frame, pd.DataFrame):
        return [Problem(source, f"expected a pandas DataFrame, got {type(frame).__name__}")]
    problems = []
    if not isinstance(frame.index, pd.DatetimeIndex):
        problems.append(
            Problem(
                source,
                f"index is a {type(frame.index).__name__} of {frame.index.dtype}; expected a "
                "DatetimeIndex of UTC timestamps (alphaforge.data.sources.read_file makes one)",
            )
        )
    if len(frame) == 0 or len(frame.columns) == 0:
        problems.append(
            Problem(
                source, f"empty: {len(frame)} rows, {len(frame.columns)} columns; expected data"
            )
        )
    present = [str(c) for c in frame.columns]
    missing = [c for c in _REQUIRED[kind] if c not in present]
    if missing:
        problems.append(
            Problem(
                source,
                f"missing required column(s) {', '.join(missing)} for kind {kind!r}; "
                f"present: {', '.join(present) or 'none'}",
            )
        )
    dupes = sorted({c for c in present if present.count(c) > 1})
    if dupes:
        problems.append(Problem(source, f"duplicate column name(s): {', '.join(dupes)}"))
    return problems


def _numeric_columns(frame: pd.DataFrame, kind: str, found: _Found) -> dict[str, np.ndarray]:
    """Return every numeric column as float64; text cells that are not numbers are problems."""
    arrays: dict[str, np.ndarray] = {}
    skip = ("id", "side") if kind == "trades" else ()
    for name in frame.columns:
        if name in skip:
            continue
        column = frame[name]
        if pd.api.types.is_bool_dtype(column.dtype) or not (
            pd.api.types.is_numeric_dtype(column.dtype)
        ):
            arrays[str(name)] = _parse_text_numbers(column, str(name), found)
        else:
            arrays[str(name)] = np.asarray(column.to_numpy(dtype=np.float64, na_value=np.nan))
    return arrays


def _parse_text_numbers(column: pd.Series, name: str, found: _Found) -> np.ndarray:
    values = pd.to_numeric(column, errors="coerce")
    parsed = np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan))
    raw = column.to_numpy(dtype=object)
    bad = np.isnan(parsed) & ~np.asarray(column.isna())
    found.rows(bad, name, lambda i: f"not a number: {raw[i]!r} (column dtype {column.dtype})")
    found.unparsed[name] = bad
    return parsed


# ---------------------------------------------------------------- timestamps


def _check_index(found: _Found, kind: str) -> None:
    index = found.index
    if index.tz is None:
        found.whole(
            "timestamps are naive (no time zone); expected tz-aware UTC. Localize them "
            "(read_file(..., tz='UTC'), CLI --tz) before validating"
        )
    elif str(index.tz) != "UTC":
        found.whole(f"timestamps are in {index.tz}; expected UTC (use frame.tz_convert('UTC'))")
    ns = np.asarray(index.as_unit("ns").asi8, dtype=np.int64)
    nat = np.asarray(index.isna())
    found.rows(nat, "timestamp", lambda i: "missing timestamp (NaT)")
    step = np.diff(ns)
    valid = ~nat[1:] & ~nat[:-1]
    back = np.concatenate(([False], (step < 0) & valid))
    found.rows(
        back,
        "timestamp",
        lambda i: f"earlier than row {i}'s {found.stamp(i - 1)}; rows must be in time order",
    )
    if kind == "trades":
        return
    if back.any():
        _duplicates_anywhere(found, ns, nat)
    else:
        same = np.concatenate(([False], (step == 0) & valid))
        found.rows(same, "timestamp", lambda i: f"duplicate timestamp: same as row {i}")


def _duplicates_anywhere(found: _Found, ns: np.ndarray, nat: np.ndarray) -> None:
    _, first, inverse = np.unique(ns, return_index=True, return_inverse=True)
    origin = first[inverse]
    dup = (origin != np.arange(len(ns))) & ~nat
    found.rows(dup, "timestamp", lambda i: f"duplicate timestamp: same as row {origin[i] + 1}")


# ---------------------------------------------------------------- values


def _check_values(
    found: _Found, frame: pd.DataFrame, arrays: dict[str, np.ndarray], kind: str
) -> None:
    if kind == "ohlcv":
        _check_ohlcv(found, arrays)
    elif kind == "close":
        for name, values in arrays.items():
            _check_finite(found, name, values, allow_nan=False)
            _check_positive(found, name, values, "price")
    elif kind == "series":
        for name, values in arrays.items():
            _check_finite(found, name, values, allow_nan=True)
    else:
        _check_trades(found, frame, arrays)


def _check_finite(found: _Found, name: str, values: np.ndarray, *, allow_nan: bool) -> None:
    if np.isfinite(values).all():
        return
    if not allow_nan:
        nan = np.isnan(values)
        if name in found.unparsed:
            nan &= ~found.unparsed[name]
        found.rows(nan, name, lambda i: "NaN (a missing value) in a required field")
    found.rows(np.isinf(values), name, lambda i: f"{values[i]} is not a finite number")


def _check_positive(found: _Found, name: str, values: np.ndarray, what: str) -> None:
    found.rows(values <= 0, name, lambda i: f"non-positive {what} {_num(values[i])}; expected > 0")


def _check_ohlcv(found: _Found, arrays: dict[str, np.ndarray]) -> None:
    for name, values in arrays.items():
        _check_finite(found, name, values, allow_nan=name not in OHLCV_COLUMNS)
    o, h, low, c, v = (arrays[k] for k in OHLCV_COLUMNS)
    for name in _PRICES:
        _check_positive(found, name, arrays[name], "price")
    found.rows(h < low, "high", lambda i: f"high {_num(h[i])} < low {_num(low[i])}")
    ordered = h >= low
    for name, x in (("open", o), ("close", c)):
        found.rows(((x < low) | (x > h)) & ordered, name, _outside(name, x, low, h))
    found.rows(v < 0, "volume", lambda i: f"negative volume {_num(v[i])}")


def _outside(name: str, x: np.ndarray, low: np.ndarray, high: np.ndarray) -> Callable[[int], str]:
    def describe(i: int) -> str:
        return f"{name} {_num(x[i])} outside [low {_num(low[i])}, high {_num(high[i])}]"

    return describe


def _check_trades(found: _Found, frame: pd.DataFrame, arrays: dict[str, np.ndarray]) -> None:
    for name in ("price", "amount"):
        _check_finite(found, name, arrays[name], allow_nan=False)
        _check_positive(found, name, arrays[name], name)
    for name, values in arrays.items():
        if name not in ("price", "amount"):
            _check_finite(found, name, values, allow_nan=True)
    side = frame["side"].to_numpy(dtype=object)
    bad_side = ~np.asarray(frame["side"].isin(TRADE_SIDES))
    found.rows(bad_side, "side", lambda i: f"side {side[i]!r}; expected 'buy' or 'sell'")
    ids = frame["id"]
    missing = np.asarray(ids.isna())
    found.rows(missing, "id", lambda i: "missing trade id")
    if not ids.is_unique:
        codes, _ = pd.factorize(ids)
        _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
        origin = first[inverse]
        dup = (origin != np.arange(len(ids))) & ~missing
        found.rows(
            dup,
            "id",
            lambda i: f"duplicate trade id {_plain(ids.iloc[i])!r}: same as row {origin[i] + 1}",
        )


# ---------------------------------------------------------------- suspects


def _suspects(
    frame: pd.DataFrame, arrays: dict[str, np.ndarray], kind: str, found: _Found
) -> tuple[int, tuple[Suspect, ...]]:
    index, limit = found.index, found.limit
    flags = []
    zero_volume = 0
    if kind == "ohlcv":
        volume = arrays["volume"]
        zero = np.flatnonzero(volume == 0)
        zero_volume = len(zero)
        out = [
            Suspect(
                i + 1,
                index[i],
                "volume",
                "zero_volume",
                "volume is 0: no trades, or the source lost the volume",
            )
            for i in zero[:limit].tolist()
        ]
        flags = price_flags(
            arrays["close"], field="close", open_=arrays["open"], volume=volume, limit=limit
        )
    elif kind == "close":
        out = []
        for name, values in arrays.items():
            flags += price_flags(values, field=name, limit=limit)
    else:
        return 0, ()
    out += [Suspect(f.row + 1, index[f.row], f.field, f.kind, f.message, f.value) for f in flags]
    return zero_volume, tuple(sorted(out, key=lambda s: (s.row, s.field, s.kind)))
