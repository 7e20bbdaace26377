"""When a row becomes known: the ``ts_event`` of a bar (its close) from its stamp and calendar.

The rules, by the dataset's ``stamp`` (see :mod:`alphaforge.data.bundled.registry`):

* ``"observation"``: the stamp itself.
* ``"period_end_date"``: the end of the stamped day, ``stamp + 1 day``.
* ``"bar_open"``: the stamp plus the bar's length, except where a calendar knows better:

  - ``"1d"`` bars on an exchange calendar close at the session close of their date (21:00 UTC for
    New York in winter, 20:00 in summer, 18:00 on the 2018-11-23 early close); a date that is no
    session falls back to the end of the day, which is never early;
  - intraday bars on an exchange calendar close at ``stamp + length`` or at the session close,
    whichever comes first (the last half-hour bar of an early-close day ends at the close);
  - weekly and monthly bars on an exchange calendar close with the last session of their period,
    by the calendar, not by the data: a week whose data stops on Monday is still not over (nor
    known) before Friday's close;
  - monthly bars elsewhere are known at ``stamp + months`` (the next month's start for bars
    stamped on the 1st; a month later for bars stamped mid-month).

Every rule is a few vectorized NumPy passes per stream.
"""

from __future__ import annotations

from typing import get_args

import numpy as np
import pandas as pd

from alphaforge.data.bundled.registry import Stamp
from alphaforge.data.calendars import SPECIAL_CALENDARS
from alphaforge.data.sessions import SessionTable, floor_days, session_table
from alphaforge.data.timeframes import Timeframe
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.time import NS_PER_DAY

__all__ = ["STAMPS", "event_times", "span_rank"]

STAMPS: tuple[str, ...] = get_args(Stamp)


def span_rank(tf: Timeframe) -> int:
    """Order timeframes by length (ticks first, months last): finer data is delivered first
    when events share a timestamp, so a daily bar never precedes that session's last hour."""
    if tf.is_tick:
        return 0
    return tf.count * 31 * NS_PER_DAY if tf.is_calendar else tf.nanos


def event_times(labels: np.ndarray, tf: Timeframe, stamp: str, calendar: str | None) -> np.ndarray:
    """Return the ``ts_event`` (UTC ns) of rows stamped ``labels`` (UTC ns)."""
    if stamp not in STAMPS:
        raise InvalidValueError(f"unknown stamp {stamp!r}; expected one of {', '.join(STAMPS)}")
    if stamp == "observation" or tf.is_tick:
        return labels.copy()
    if stamp == "period_end_date":
        return labels + NS_PER_DAY
    if calendar is not None and calendar not in SPECIAL_CALENDARS:
        return _exchange_events(labels, tf, session_table(calendar))
    return _plain_end(labels, tf)


def _plain_end(labels: np.ndarray, tf: Timeframe) -> np.ndarray:
    if not tf.is_calendar:
        return labels + tf.nanos
    index = pd.DatetimeIndex(pd.to_datetime(labels, utc=True)) + pd.DateOffset(months=tf.count)
    return np.asarray(index.as_unit("ns").asi8, dtype=np.int64)


def _exchange_events(labels: np.ndarray, tf: Timeframe, table: SessionTable) -> np.ndarray:
    if tf.is_calendar or tf.nanos > NS_PER_DAY:
        return _period_close(labels, tf, table)
    if tf.nanos == NS_PER_DAY:
        dates = floor_days(labels)
        closes, found = table.close_of_dates(dates)
        return np.where(found, closes, dates + NS_PER_DAY)
    end = labels + tf.nanos
    i, inside = table.containing(labels)
    return np.where(inside, np.minimum(end, table.closes[i]), end)


def _period_close(labels: np.ndarray, tf: Timeframe, table: SessionTable) -> np.ndarray:
    """Close of the last session whose date lies in ``[label, label + period)``."""
    period_end = _plain_end(labels, tf)
    last = np.searchsorted(table.dates, period_end) - 1
    safe = np.clip(last, 0, len(table.dates) - 1)
    has_session = (last >= 0) & (table.dates[safe] >= floor_days(labels))
    return np.where(has_session, np.minimum(table.closes[safe], period_end), period_end)
