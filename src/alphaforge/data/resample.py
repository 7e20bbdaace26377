"""Aggregate bars to a longer timeframe, on the clock of the market they trade on.

>>> hourly = resample_bars(load_dataset("binance_ethbtc_5m"), "1h")               # doctest: +SKIP
>>> daily = resample_bars(load_dataset("eurusd_1h"), "1d", calendar="24/5")      # doctest: +SKIP

Columns are aggregated by name: ``open`` first, ``high`` max, ``low`` min, ``close`` last,
``volume`` sum, the ``filled`` flag of repaired bars min (a bin is filled only if all its bars
were), and any other column (``adj_close``, a bid price) last. Missing values are skipped; a bin
with no value in a column gets NaN there (an unknown volume stays unknown, not 0). A bin is
labelled with its start (UTC) and exists only if at least one bar fell in it: no bar is ever
fabricated. Bins follow the calendar:

* ``None``, ``"none"``, ``"24/7"``: UTC periods, epoch-aligned (``4h`` bins start at 00:00,
  04:00, ... whatever the first bar), weeks on Monday, months on the 1st;
* ``"24/5"`` (FX): days, weeks and months of trading dates that roll at 17:00 New York
  (21:00 or 22:00 UTC, following US daylight saving; see :mod:`~alphaforge.data.resample_bins`),
  so Monday's bar is labelled Sunday 21:00 or 22:00 UTC; intraday bins on UTC hours;
* an exchange code (``"XNYS"``): intraday bins anchored at each session's open, daily bins per
  session labelled with the session date at midnight UTC (as bundled daily data is), weeks and
  months made of the sessions whose dates fall in them, labelled Monday (the 1st) at midnight UTC.
  Bars outside every session are refused.

Labels are bin *starts*, like every bundled file (``stamp="bar_open"``); when a bin becomes known
(the close of its last session for an exchange week, say) is the feed's business
(:func:`~alphaforge.data.feed_events.event_times`), not the label's.

Every reduction is a NumPy ``reduceat`` over runs of equal bin labels; no Python loop per bar.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alphaforge.data.calendars import check_calendar, expected_timestamps, infer_frequency
from alphaforge.data.resample_bins import Binner, make_binner
from alphaforge.data.timeframes import Timeframe, parse_timeframe
from alphaforge.data.validation import FILLED_COLUMN
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.time import NS_PER_DAY

__all__ = ["resample_bars"]


def resample_bars(
    frame: pd.DataFrame,
    timeframe: str,
    *,
    calendar: str | None = None,
    drop_partial: bool = False,
    source_timeframe: str | None = None,
) -> pd.DataFrame:
    """Return ``frame``'s bars aggregated into bins of ``timeframe`` on ``calendar``'s clock.

    ``source_timeframe`` is the bars' own timeframe, inferred from their spacing when omitted.
    A target shorter than the source (upsampling) or not a whole multiple of it raises
    ``InvalidValueError``: it would need invented bars or split bars. ``drop_partial`` drops the
    first and last bins when the data does not cover them from start to end (the data began after
    the bin opened, or ended before it closed); interior bins are real even with missing bars.
    """
    tf = parse_timeframe(timeframe)
    if tf.is_tick:
        raise InvalidValueError("cannot resample to 'tick'; expected a bar timeframe like '1h'")
    ns = _stamps(frame)
    if len(ns) == 0:
        return frame.copy()
    source = _source_timeframe(source_timeframe, frame)
    _check_direction(source, tf)
    cal = None if calendar is None else check_calendar(calendar)
    binner = make_binner(cal, tf, source)
    labels = binner.labels(ns)
    starts = np.flatnonzero(np.concatenate(([True], labels[1:] != labels[:-1])))
    data = {str(name): _reduce(str(name), _floats(frame, name), starts) for name in frame.columns}
    out = pd.DataFrame(data, index=_index(labels[starts]), columns=[str(c) for c in frame.columns])
    if drop_partial:
        out = out.iloc[_complete(binner, cal, source, ns, labels[starts])]
    return out


# ---------------------------------------------------------------- checks


def _stamps(frame: pd.DataFrame) -> np.ndarray:
    if not isinstance(frame, pd.DataFrame) or not isinstance(frame.index, pd.DatetimeIndex):
        raise InvalidValueError(
            f"expected a DataFrame indexed by a UTC DatetimeIndex, got {type(frame).__name__}"
        )
    if frame.index.tz is None or str(frame.index.tz) != "UTC":
        raise InvalidValueError(
            f"bar timestamps must be tz-aware UTC, got {frame.index.tz or 'naive'} "
            "(use frame.tz_convert('UTC'))"
        )
    ns = np.asarray(frame.index.as_unit("ns").asi8, dtype=np.int64)
    if len(ns) > 1 and not bool((np.diff(ns) > 0).all()):
        raise InvalidValueError(
            "bar timestamps must be strictly increasing (sorted, no duplicates); run "
            "validate_frame (and alphaforge.data.repair) first"
        )
    return ns


def _source_timeframe(given: str | None, frame: pd.DataFrame) -> Timeframe:
    if given is not None:
        return parse_timeframe(given)
    inferred = infer_frequency(pd.DatetimeIndex(frame.index))
    if inferred is None:
        raise InvalidValueError(
            f"cannot tell the bars' timeframe from {len(frame)} row(s) of irregular spacing; "
            "pass source_timeframe='5m' (or whatever the bars are)"
        )
    return parse_timeframe(inferred)


def _check_direction(source: Timeframe, target: Timeframe) -> None:
    if source.is_tick:
        raise InvalidValueError("resample_bars takes bars, not 'tick' trades")
    if source.is_calendar or target.is_calendar:
        _check_months(source, target)
        return
    if target.nanos < source.nanos:
        raise InvalidValueError(
            f"cannot resample {source.name} bars to {target.name}: that is upsampling, which "
            "would invent bars; expected a target timeframe at least as long as the source"
        )
    if target.nanos % source.nanos:
        raise InvalidValueError(
            f"cannot resample {source.name} bars to {target.name}: {target.name} is not a whole "
            f"multiple of {source.name}, so bars would straddle bin edges"
        )


def _check_months(source: Timeframe, target: Timeframe) -> None:
    if not target.is_calendar:
        raise InvalidValueError(
            f"cannot resample {source.name} bars to {target.name}: that is upsampling, which "
            "would invent bars; expected a target timeframe at least as long as the source"
        )
    if source.is_calendar:
        if target.count % source.count:
            raise InvalidValueError(
                f"cannot resample {source.name} bars to {target.name}: not a whole multiple"
            )
        return
    if NS_PER_DAY % source.nanos:
        raise InvalidValueError(
            f"cannot resample {source.name} bars to {target.name}: {source.name} bars straddle "
            "month ends; expected bars that divide a day (1d, 1h, 5m, ...)"
        )


# ---------------------------------------------------------------- reductions


def _floats(frame: pd.DataFrame, name: object) -> np.ndarray:
    column = frame[name]
    if not pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        raise InvalidValueError(
            f"column {name!r} holds {column.dtype}, not numbers; resample_bars aggregates bars "
            "(open, high, low, close, volume and other numeric columns)"
        )
    return np.asarray(column.to_numpy(dtype=np.float64, na_value=np.nan))


def _reduce(name: str, values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    if name == "high":
        return np.asarray(np.fmax.reduceat(values, starts))
    if name == "low":
        return np.asarray(np.fmin.reduceat(values, starts))
    if name == "volume":
        return _sum(values, starts)
    if name == FILLED_COLUMN:
        return np.asarray(np.fmin.reduceat(values, starts))
    return _first(values, starts) if name == "open" else _last(values, starts)


def _sum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The sum of each run's non-missing values (NaN when the run has none: unknown, not 0)."""
    missing = np.isnan(values)
    if not missing.any():
        return np.asarray(np.add.reduceat(values, starts))
    total = np.add.reduceat(np.where(missing, 0.0, values), starts)
    known = np.add.reduceat((~missing).astype(np.int64), starts)
    return np.where(known > 0, total, np.nan)


def _first(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The first non-missing value of each run (NaN when the run has none)."""
    n = len(values)
    if not np.isnan(values).any():
        return np.asarray(values[starts])
    pos = np.where(np.isnan(values), n, np.arange(n))
    first = np.minimum.reduceat(pos, starts)
    ends = np.concatenate((starts[1:], [n]))
    return np.where(first < ends, values[np.minimum(first, n - 1)], np.nan)


def _last(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The last non-missing value of each run (NaN when the run has none)."""
    n = len(values)
    ends = np.concatenate((starts[1:], [n])) - 1
    if not np.isnan(values).any():
        return np.asarray(values[ends])
    pos = np.where(np.isnan(values), -1, np.arange(n))
    last = np.maximum.reduceat(pos, starts)
    return np.where(last >= starts, values[np.maximum(last, 0)], np.nan)


def _index(labels: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(labels, utc=True), name="timestamp").as_unit("ns")


# ---------------------------------------------------------------- partial bins


def _complete(
    binner: Binner, calendar: str | None, source: Timeframe, ns: np.ndarray, labels: np.ndarray
) -> np.ndarray:
    """Return a mask of the bins to keep: all but partial first and last ones."""
    keep = np.ones(len(labels), dtype=bool)
    lo, hi = binner.bounds(int(labels[0]))
    first_expected, _ = _expected_span(calendar, source, lo, hi)
    keep[0] = ns[0] <= first_expected
    lo, hi = binner.bounds(int(labels[-1]))
    _, last_expected = _expected_span(calendar, source, lo, hi)
    keep[-1] = keep[-1] and ns[-1] >= last_expected
    return keep


def _expected_span(calendar: str | None, source: Timeframe, lo: int, hi: int) -> tuple[int, int]:
    """First and last source bar stamps the calendar expects in ``[lo, hi)``."""
    name = "24/7" if calendar in (None, "none") else calendar
    expected = expected_timestamps(
        name, source.name, pd.Timestamp(lo, tz="UTC"), pd.Timestamp(hi - 1, tz="UTC")
    )
    if len(expected) == 0:
        return lo, lo  # nothing expected: whatever is there is complete
    stamps = np.asarray(expected.as_unit("ns").asi8)
    return int(stamps[0]), int(stamps[-1])
