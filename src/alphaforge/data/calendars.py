"""Trading calendars: which bar timestamps a market should have, and where a series has gaps.

A calendar name is one of

* an ``exchange_calendars`` code such as ``"XNYS"``, ``"XNAS"``, ``"XLON"`` (or one of its
  aliases such as ``"NYSE"``): daily bars are expected on every session, intraday bars on every
  period of every session (breaks and early closes included);
* ``"24/7"``: crypto, every period of every day;
* ``"24/5"``: spot FX, every period except the weekend close from Friday 22:00 UTC to Sunday
  22:00 UTC. New York's daylight saving moves the close and the open to 21:00 UTC in summer, so bars
  that start in the hour from 21:00 on Friday or on Sunday are optional: neither expected nor odd;
* ``"none"``: no expectation, no gap analysis (monthly macro series, factor returns).

Bar timestamps are the bar's open (``stamp="bar_open"``); daily bars are matched by their UTC date,
so a daily bar stamped at midnight UTC of the session date and one stamped at the close both count.
Bars of a week or longer are matched week by week (month by month) on any calendar but ``"none"``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import overload

import exchange_calendars as xc  # type: ignore[import-untyped]  # no stubs upstream
import numpy as np
import pandas as pd

from alphaforge.core.suggest import did_you_mean
from alphaforge.data.timeframes import Timeframe, parse_timeframe
from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "KNOWN_CALENDARS",
    "SPECIAL_CALENDARS",
    "Gap",
    "Gaps",
    "check_calendar",
    "exchange_calendar",
    "expected_timestamps",
    "find_gaps",
    "infer_frequency",
    "known_calendars",
    "lazy_gaps",
]

SPECIAL_CALENDARS: tuple[str, ...] = ("24/7", "24/5", "none")
"""Calendars alphaforge defines itself (an exchange code names any other)."""

_NS_MINUTE = 60 * 1_000_000_000
_NS_DAY = 1440 * _NS_MINUTE
_WEEK_MINUTES = 7 * 1440
# Minutes since Monday 00:00 UTC: 1970-01-01 (epoch zero) was a Thursday.
_EPOCH_WEEKDAY_MINUTES = 3 * 1440
# FX weekend: bars starting in [Friday 21:00, Sunday 22:00) UTC are not expected.
_FX_CLOSED_FROM = 4 * 1440 + 21 * 60
_FX_CLOSED_UNTIL = 6 * 1440 + 22 * 60
_EARLIEST_START = "1900-01-01"


@dataclass(frozen=True, slots=True)
class Gap:
    """A run of expected bars that are absent: ``start`` and ``end`` are the first and last missing
    bar timestamps (both inclusive), ``missing`` how many bars the run lacks."""

    start: pd.Timestamp
    end: pd.Timestamp
    missing: int

    def __str__(self) -> str:
        span = self.start.isoformat()
        if self.end != self.start:
            span += f" .. {self.end.isoformat()}"
        return f"{span} ({self.missing} bar{'s' if self.missing != 1 else ''} missing)"


class Gaps(Sequence[Gap]):
    """A read-only, tuple-like sequence of gaps that builds each ``Gap`` only when read.

    A million jittery bars can hold a hundred thousand gaps; boxing them all as tz-aware
    timestamps would cost a second, so the validator keeps them as arrays until asked.
    Compares equal to a tuple of the same gaps.
    """

    __slots__ = ("_ends", "_missing", "_starts")

    def __init__(self, starts: np.ndarray, ends: np.ndarray, missing: np.ndarray) -> None:
        self._starts = np.asarray(starts, dtype=np.int64)
        self._ends = np.asarray(ends, dtype=np.int64)
        self._missing = np.asarray(missing, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._missing)

    @overload
    def __getitem__(self, item: int) -> Gap: ...
    @overload
    def __getitem__(self, item: slice) -> tuple[Gap, ...]: ...
    def __getitem__(self, item: int | slice) -> Gap | tuple[Gap, ...]:
        if isinstance(item, slice):
            return tuple(self._gap(i) for i in range(len(self))[item])
        return self._gap(range(len(self))[item])

    def _gap(self, i: int) -> Gap:
        return Gap(
            pd.Timestamp(int(self._starts[i]), tz="UTC"),
            pd.Timestamp(int(self._ends[i]), tz="UTC"),
            int(self._missing[i]),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # equal to tuples, so not hashable like them

    def __repr__(self) -> str:
        return f"Gaps({len(self)} gaps, {self.total_missing} bars missing)"

    @property
    def total_missing(self) -> int:
        """Bars missing over all gaps."""
        return int(self._missing.sum())

    def largest(self) -> Gap | None:
        """The gap with the most missing bars (the first of equals), or None when empty."""
        return self._gap(int(np.argmax(self._missing))) if len(self) else None


# ---------------------------------------------------------------- names


def known_calendars() -> tuple[str, ...]:
    """Return every accepted calendar name: the special ones, then the exchange codes."""
    codes = sorted(set(xc.get_calendar_names(include_aliases=True)) - set(SPECIAL_CALENDARS))
    return (*SPECIAL_CALENDARS, *codes)


KNOWN_CALENDARS: tuple[str, ...] = known_calendars()
"""Every accepted calendar name (exchange codes include their aliases, e.g. ``"NYSE"``)."""


def check_calendar(name: str) -> str:
    """Return the canonical spelling of a calendar name; raise ``InvalidValueError`` if unknown."""
    text = name.strip()
    if text.lower() in SPECIAL_CALENDARS:
        return text.lower()
    known = KNOWN_CALENDARS
    if text.upper() in known:
        return text.upper()
    if text in known:
        return text
    raise InvalidValueError(
        f"unknown calendar {name!r}{did_you_mean(text.upper(), known)}; expected '24/7' (crypto), "
        "'24/5' (FX), 'none' or an exchange_calendars code such as 'XNYS', 'XNAS', 'XLON'"
    )


@cache
def exchange_calendar(code: str) -> xc.ExchangeCalendar:
    """Return the exchange calendar for ``code``, built once per process (building costs ~0.1 s).

    The calendar covers everything from 1900 (or the earliest year the exchange's holidays are
    recorded) to a year from now.
    """
    with _quiet_library():
        try:
            return xc.get_calendar(code, start=_EARLIEST_START)
        except ValueError:
            # Some exchanges record holidays from a later year only; start there.
            bound = xc.get_calendar(code).bound_min()
            return xc.get_calendar(code, start=bound)


@contextmanager
def _quiet_library() -> Iterator[None]:
    """Silence pandas deprecation warnings raised inside exchange_calendars (not our code)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        yield


# ---------------------------------------------------------------- expected timestamps


def expected_timestamps(
    calendar: str, frequency: str, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DatetimeIndex:
    """Return the bar timestamps (UTC, bar open) the calendar expects in ``[start, end]``.

    Regular grids (``24/7``, ``24/5``) are anchored at ``start``; exchange calendars follow their
    sessions (daily bars at midnight UTC of each session date). Raise ``InvalidValueError`` for
    ``"none"`` and for tick data, which have no expected bars.
    """
    name = check_calendar(calendar)
    tf = _bar_timeframe(frequency)
    first, last = _utc(start), _utc(end)
    if name == "none":
        raise InvalidValueError("calendar 'none' expects no particular timestamps")
    if last < first:
        return pd.DatetimeIndex([], tz="UTC", name="timestamp")
    if _exchange_weeks(name, tf):
        values = _week_starts(name, first, last)
    elif tf.is_calendar or tf.nanos >= 7 * _NS_DAY:
        values = _long_grid(first, last, tf)
    elif name in ("24/7", "24/5"):
        values = _regular_grid(first.value, last.value, tf.nanos, weekend=name == "24/5")
    else:
        values = _exchange_grid(name, tf, first, last)
    return pd.DatetimeIndex(pd.to_datetime(values, utc=True), name="timestamp")


def _bar_timeframe(frequency: str) -> Timeframe:
    tf = parse_timeframe(frequency)
    if tf.is_tick:
        raise InvalidValueError("'tick' data (trades) has no expected bar timestamps")
    return tf


def _utc(value: pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        raise InvalidValueError(f"timestamp {stamp} has no time zone; expected tz-aware UTC")
    return stamp.tz_convert("UTC").as_unit("ns")


def _regular_grid(first: int, last: int, step: int, *, weekend: bool) -> np.ndarray:
    grid = np.arange(first, last + 1, step, dtype=np.int64)
    if weekend:
        grid = grid[_fx_open(grid)]
    return grid


def _fx_open(ns: np.ndarray) -> np.ndarray:
    """Whether an FX bar starting at each time is expected (outside the weekend close)."""
    minute_of_week = (ns // _NS_MINUTE + _EPOCH_WEEKDAY_MINUTES) % _WEEK_MINUTES
    return (minute_of_week < _FX_CLOSED_FROM) | (minute_of_week >= _FX_CLOSED_UNTIL)


def _exchange_weeks(name: str, tf: Timeframe) -> bool:
    return name not in SPECIAL_CALENDARS and tf.name == "1w"


def _week_number(ns: np.ndarray) -> np.ndarray:
    """Monday-based week count since the epoch (1970-01-01 was a Thursday)."""
    return np.asarray((ns // _NS_DAY + 3) // 7, dtype=np.int64)


def _week_starts(code: str, first: pd.Timestamp, last: pd.Timestamp) -> np.ndarray:
    """The first session of every week that has one. Weekly bars are matched by week, not on a
    fixed 7-day grid, because a week's bar carries whichever session closed it (the week of
    2001-09-10 ended on its Monday)."""
    monday = first.normalize() - pd.Timedelta(days=first.weekday())
    sessions = _exchange_grid(code, parse_timeframe("1d"), monday, last)
    _, first_of_week = np.unique(_week_number(sessions), return_index=True)
    return np.asarray(sessions[first_of_week], dtype=np.int64)


def _long_grid(first: pd.Timestamp, last: pd.Timestamp, tf: Timeframe) -> np.ndarray:
    if not tf.is_calendar:
        return np.arange(first.value, last.value + 1, tf.nanos, dtype=np.int64)
    span = (last.year - first.year) * 12 + last.month - first.month
    stamps = [first + pd.DateOffset(months=k) for k in range(0, span + 1, tf.count)]
    return np.array([s.value for s in stamps if s <= last], dtype=np.int64)


def _exchange_grid(code: str, tf: Timeframe, first: pd.Timestamp, last: pd.Timestamp) -> np.ndarray:
    cal = exchange_calendar(code)
    lo = max(first.tz_convert(None).normalize(), cal.first_session)
    hi = min(last.tz_convert(None).normalize(), cal.last_session)
    if hi < lo:
        return np.array([], dtype=np.int64)
    if tf.unit == "d":
        if tf.count != 1:
            raise InvalidValueError(
                f"frequency {tf.name!r} on exchange calendar {code!r} is not supported; "
                "expected intraday bars, '1d', or bars of a week or longer"
            )
        with _quiet_library():
            sessions = cal.sessions_in_range(lo, hi)
        return np.asarray(sessions.as_unit("ns").asi8, dtype=np.int64)
    # A session may open the UTC day before its label (Sydney, Auckland): widen by a day each
    # side, then keep the bars inside [first, last].
    day = pd.Timedelta(days=1)
    lo, hi = max(lo - day, cal.first_session), min(hi + day, cal.last_session)
    with _quiet_library():
        index = cal.trading_index(lo, hi, tf.pandas_freq, intervals=False)
    ns = np.asarray(pd.DatetimeIndex(index).as_unit("ns").asi8, dtype=np.int64)
    return ns[(ns >= first.value) & (ns <= last.value)]


def _month_number(ns: np.ndarray) -> np.ndarray:
    months = ns.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    return np.asarray(months, dtype=np.int64)


# ---------------------------------------------------------------- gaps


def find_gaps(index: pd.DatetimeIndex, calendar: str, frequency: str) -> tuple[Gap, ...]:
    """Return every run of bars the calendar expects between the first and last stamp of
    ``index`` that ``index`` lacks, in time order.

    Stamps a few milliseconds off the grid (funding payments, exchange jitter) count as on it.
    ``"none"`` and tick data give no gaps. ``index`` should be sorted; it is sorted here if not.
    """
    return tuple(lazy_gaps(index, calendar, frequency))


def lazy_gaps(index: pd.DatetimeIndex, calendar: str, frequency: str) -> Gaps:
    """Return the gaps :func:`find_gaps` finds as a lazy :class:`Gaps` sequence (fast)."""
    return Gaps(*_gap_arrays(index, calendar, frequency))


def _gap_arrays(
    index: pd.DatetimeIndex, calendar: str, frequency: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return gaps as int64 arrays: first missing stamp (ns), last missing stamp (ns), count."""
    name = check_calendar(calendar)
    tf = parse_timeframe(frequency)
    empty = np.array([], dtype=np.int64)
    if name == "none" or tf.is_tick or len(index) < 2:
        return empty, empty, empty
    if index.tz is None:
        raise InvalidValueError("find_gaps needs a tz-aware index; got naive timestamps")
    ns = np.asarray(index.tz_convert("UTC").as_unit("ns").asi8, dtype=np.int64)
    if np.any(ns[1:] < ns[:-1]):
        ns = np.sort(ns)
    if tf.is_calendar:
        return _month_gaps(ns, tf.count)
    if _exchange_weeks(name, tf):
        want = _week_starts(name, pd.Timestamp(ns[0], tz="UTC"), pd.Timestamp(ns[-1], tz="UTC"))
        return _runs(want, ~np.isin(_week_number(want), _week_number(ns)))
    if name == "24/7" or tf.nanos >= 7 * _NS_DAY:
        return _grid_gaps(ns, tf.nanos)
    expected = expected_timestamps(
        name, tf.name, pd.Timestamp(ns[0], tz="UTC"), pd.Timestamp(ns[-1], tz="UTC")
    )
    want = np.asarray(expected.as_unit("ns").asi8, dtype=np.int64)
    if name != "24/5" and tf.unit == "d":
        # Daily bars match their session by UTC date, whatever the time of day they carry.
        present = _present(ns, want, 0, _NS_DAY)
    else:
        half = tf.nanos // 2
        present = _present(ns, want, half, tf.nanos - half)
    return _runs(want, ~present)


def _grid_gaps(ns: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # Round each stamp to the nearest grid slot counted from the first stamp (tolerates jitter).
    slot = (ns - ns[0] + step // 2) // step
    jump = np.diff(slot)
    where = np.flatnonzero(jump > 1)
    missing = jump[where] - 1
    starts = ns[0] + (slot[where] + 1) * step
    return starts, starts + (missing - 1) * step, missing


def _month_gaps(ns: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    months = _month_number(ns)
    jump = np.diff(months)
    where = np.flatnonzero(jump > count)
    missing = (jump[where] + count // 2) // count - 1
    starts, ends = [], []
    for i, n in zip(where.tolist(), missing.tolist(), strict=True):
        before = pd.Timestamp(ns[i], tz="UTC")
        starts.append((before + pd.DateOffset(months=count)).value)
        ends.append((before + pd.DateOffset(months=count * n)).value)
    return np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64), missing


def _present(ns: np.ndarray, want: np.ndarray, before: int, after: int) -> np.ndarray:
    """Whether some stamp of ``ns`` lies in ``[w - before, w + after)`` for each ``w``."""
    lo = np.searchsorted(ns, want - before, side="left")
    hi = np.searchsorted(ns, want + after, side="left")
    return np.asarray(hi > lo)


def _runs(want: np.ndarray, absent: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pos = np.flatnonzero(absent)
    if len(pos) == 0:
        empty = np.array([], dtype=np.int64)
        return empty, empty, empty
    breaks = np.flatnonzero(np.diff(pos) > 1)
    first = np.concatenate(([0], breaks + 1))
    last = np.concatenate((breaks, [len(pos) - 1]))
    return want[pos[first]], want[pos[last]], (last - first + 1).astype(np.int64)


# ---------------------------------------------------------------- frequency


def infer_frequency(index: pd.DatetimeIndex) -> str | None:
    """Guess the bar timeframe from the most common spacing (``"5m"``, ``"1d"``, ``"1M"``).

    Return ``None`` when there are fewer than three stamps or the spacing is not one timeframe
    spells (ticks, irregular observations).
    """
    if len(index) < 3:
        return None
    ns = np.asarray(index.as_unit("ns").asi8, dtype=np.int64)
    step = np.diff(ns)
    step = step[step > 0]
    if len(step) == 0:
        return None
    values, counts = np.unique(step, return_counts=True)
    mode = int(values[np.argmax(counts)])
    if 28 * _NS_DAY <= mode <= 31 * _NS_DAY:
        return "1M"
    for unit, size in _UNIT_NANOS:
        if mode % size == 0:
            return f"{mode // size}{unit}"
    return None


_UNIT_NANOS = (
    ("w", 7 * _NS_DAY),
    ("d", _NS_DAY),
    ("h", 60 * _NS_MINUTE),
    ("m", _NS_MINUTE),
    ("s", 1_000_000_000),
)
