"""Exchange sessions as NumPy arrays, and the period arithmetic that resampling and feeds share.

Lookups are ``np.searchsorted`` over arrays built once per calendar and process, so mapping a
million bars to their sessions costs milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from alphaforge.data.calendars import exchange_calendar
from alphaforge.data.timeframes import Timeframe
from alphaforge.domain.time import NS_PER_DAY

__all__ = [
    "SessionTable",
    "floor_days",
    "floor_months",
    "floor_utc",
    "floor_weeks",
    "session_table",
]

_MONDAY_OFFSET = 4 * NS_PER_DAY  # 1970-01-05, the first Monday after the epoch


@dataclass(frozen=True, slots=True)
class SessionTable:
    """Every session of one exchange: its date (midnight UTC), open and close, as int64 ns."""

    code: str
    dates: np.ndarray
    opens: np.ndarray
    closes: np.ndarray

    def close_of_dates(self, dates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the close of the session on each date and whether the date is a session."""
        i = np.clip(np.searchsorted(self.dates, dates), 0, len(self.dates) - 1)
        found = self.dates[i] == dates
        return self.closes[i], found

    def containing(self, ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return, for each stamp, the index of the session whose ``[open, close)`` holds it and
        whether one does (stamps before the first open or between sessions have none)."""
        i = np.searchsorted(self.opens, ns, side="right") - 1
        safe = np.clip(i, 0, len(self.opens) - 1)
        inside = (i >= 0) & (ns < self.closes[safe])
        return safe, inside


@cache
def session_table(code: str) -> SessionTable:
    """Return the session table of an exchange calendar (built once per process)."""
    schedule = exchange_calendar(code).schedule
    dates = np.asarray(schedule.index.as_unit("ns").asi8, dtype=np.int64)
    opens = np.asarray(schedule["open"].dt.as_unit("ns").astype("int64"), dtype=np.int64)
    closes = np.asarray(schedule["close"].dt.as_unit("ns").astype("int64"), dtype=np.int64)
    return SessionTable(code, dates, opens, closes)


def floor_days(ns: np.ndarray, count: int = 1) -> np.ndarray:
    """Floor UTC nanoseconds to ``count``-day periods counted from the epoch."""
    step = count * NS_PER_DAY
    return np.asarray(ns // step * step, dtype=np.int64)


def floor_weeks(ns: np.ndarray, count: int = 1) -> np.ndarray:
    """Floor to Monday 00:00 UTC of ``count``-week periods counted from 1970-01-05."""
    step = count * 7 * NS_PER_DAY
    return np.asarray((ns - _MONDAY_OFFSET) // step * step + _MONDAY_OFFSET, dtype=np.int64)


def floor_months(ns: np.ndarray, count: int = 1) -> np.ndarray:
    """Floor to the first day (00:00 UTC) of ``count``-month periods counted from 1970-01."""
    months = np.asarray(ns, dtype=np.int64).astype("datetime64[ns]").astype("datetime64[M]")
    number = months.astype(np.int64) // count * count
    return np.asarray(number.astype("datetime64[M]").astype("datetime64[ns]").astype(np.int64))


def floor_utc(ns: np.ndarray, tf: Timeframe) -> np.ndarray:
    """Floor to the start of the UTC period of ``tf`` that holds each stamp (epoch-aligned;
    weeks start on Monday, months on the 1st)."""
    if tf.unit == "M":
        return floor_months(ns, tf.count)
    if tf.unit == "w":
        return floor_weeks(ns, tf.count)
    step = tf.nanos
    return np.asarray(ns // step * step, dtype=np.int64)
