"""Put several symbols on one clock: a panel of one field, plus a mask of the values filled in.

>>> panel, filled = align({"SPX": spx, "VIX": vix}, field="close", limit=3)   # doctest: +SKIP

Filling only ever carries a *past* value forward (never backward, which would leak the future
into the past), at most ``limit`` rows; before a symbol's first value the panel stays NaN.

Stamps are compared as they are. Frames whose stamps mean the same thing (daily closes of one
market, 5-minute bars of two coins) align directly. Frames of different timeframes or markets
must first be put on the clock of *when each row became known*, with :func:`at_event_time`: the
S&P 500's daily bar of 2017-05-02 is labelled 00:00 UTC that day but closes at 20:00 UTC, so
aligning it by label with EUR/USD hours would show that close to the morning's hours.

>>> panel, _ = align({"SPX": at_event_time(spx, "1d", calendar="XNYS"),       # doctest: +SKIP
...                   "EURUSD": at_event_time(eurusd, "1h")})
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from alphaforge.core.suggest import did_you_mean
from alphaforge.data.calendars import check_calendar
from alphaforge.data.feed_events import event_times
from alphaforge.data.timeframes import parse_timeframe
from alphaforge.domain.errors import InvalidValueError

__all__ = ["align", "at_event_time"]

_HOWS = ("outer", "inner", "left")


def align(
    frames: Mapping[str, pd.DataFrame],
    *,
    field: str = "close",
    how: str = "outer",
    fill: str | None = "ffill",
    limit: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(panel, filled)``: ``field`` of every frame on a shared UTC timestamp index.

    ``how="outer"`` keeps every timestamp any frame has, ``"inner"`` only those all frames have,
    ``"left"`` those of the first frame (put the others on its clock).
    ``fill="ffill"`` carries each symbol's last value forward over absent timestamps and missing
    values, at most ``limit`` consecutive rows (``None``: no limit); ``fill=None`` leaves NaN.
    ``filled`` is a boolean frame of the panel's shape, True where a value was carried forward.
    Columns follow the mapping's order.
    """
    if not frames:
        raise InvalidValueError("align needs at least one frame; got an empty mapping")
    if how not in _HOWS:
        raise InvalidValueError(
            f"unknown how {how!r}; expected one of {', '.join(_HOWS)}{did_you_mean(how, _HOWS)}"
        )
    if fill not in ("ffill", None):
        raise InvalidValueError(f"unknown fill {fill!r}; expected 'ffill' or None")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise InvalidValueError(f"limit must be a positive whole number or None, got {limit!r}")
    stamps = {name: _stamps(name, frame) for name, frame in frames.items()}
    clock = _clock(list(stamps.values()), how)
    names = [str(name) for name in frames]
    values = np.full((len(clock), len(names)), np.nan)
    for j, (name, frame) in enumerate(frames.items()):
        own = stamps[name]
        column = _column(name, frame, field)
        if len(clock) == 0:  # an inner join of histories that never overlap
            continue
        at = np.searchsorted(clock, own)
        present = (at < len(clock)) & (clock[np.minimum(at, len(clock) - 1)] == own)
        values[at[present], j] = column[present]
    filled = np.zeros(values.shape, dtype=bool)
    if fill == "ffill":
        values, filled = _ffill(values, limit)
    index = pd.DatetimeIndex(pd.to_datetime(clock, utc=True), name="timestamp").as_unit("ns")
    columns = pd.Index(names, name="symbol")
    return (
        pd.DataFrame(values, index=index, columns=columns),
        pd.DataFrame(filled, index=index, columns=columns),
    )


def _stamps(name: str, frame: pd.DataFrame) -> np.ndarray:
    if not isinstance(frame, pd.DataFrame) or not isinstance(frame.index, pd.DatetimeIndex):
        raise InvalidValueError(
            f"{name}: expected a DataFrame indexed by UTC timestamps, got {type(frame).__name__}"
        )
    if frame.index.tz is None or str(frame.index.tz) != "UTC":
        raise InvalidValueError(
            f"{name}: timestamps must be tz-aware UTC, got {frame.index.tz or 'naive'}"
        )
    ns = np.asarray(frame.index.as_unit("ns").asi8, dtype=np.int64)
    if len(ns) > 1 and not bool((np.diff(ns) > 0).all()):
        raise InvalidValueError(
            f"{name}: timestamps must be strictly increasing (sorted, no duplicates)"
        )
    return ns


def _column(name: str, frame: pd.DataFrame, field: str) -> np.ndarray:
    if field not in frame.columns:
        present = [str(c) for c in frame.columns]
        raise InvalidValueError(
            f"{name} has no column {field!r}{did_you_mean(field, present)}; it has "
            f"{', '.join(present)}"
        )
    return np.asarray(frame[field].to_numpy(dtype=np.float64, na_value=np.nan))


def at_event_time(
    frame: pd.DataFrame, timeframe: str, *, stamp: str = "bar_open", calendar: str | None = None
) -> pd.DataFrame:
    """Return a copy of ``frame`` indexed by the moment each row became known (its ``ts_event``).

    ``timeframe``, ``stamp`` and ``calendar`` mean what they mean to the feed (and the registry):
    a daily XNYS bar labelled with its session date moves to that session's close, a 5-minute bar
    labelled with its open moves to its close. Aligning frames on this clock is causal: a value
    shown at ``t`` was known at ``t``.
    """
    ns = _stamps("frame", frame)
    tf = parse_timeframe(timeframe)
    cal = None if calendar is None else check_calendar(calendar)
    known = event_times(ns, tf, stamp, None if cal == "none" else cal)
    index = pd.DatetimeIndex(pd.to_datetime(known, utc=True), name=frame.index.name).as_unit("ns")
    return frame.set_axis(index, axis=0)


def _clock(stamps: list[np.ndarray], how: str) -> np.ndarray:
    if how == "outer":
        return np.unique(np.concatenate(stamps))
    if how == "left":
        return stamps[0]
    clock = stamps[0]
    for other in stamps[1:]:
        clock = np.intersect1d(clock, other, assume_unique=True)
    return clock


def _ffill(values: np.ndarray, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Carry each column's last value forward, at most ``limit`` rows; vectorized per column."""
    missing = np.isnan(values)
    rows = np.arange(len(values))[:, None]
    source = np.where(missing, -1, rows)
    np.maximum.accumulate(source, axis=0, out=source)  # row of the last value at or before
    usable = source >= 0
    if limit is not None:
        usable &= rows - source <= limit
    filled = missing & usable
    out = values.copy()
    cols = np.broadcast_to(np.arange(values.shape[1]), values.shape)
    out[filled] = values[source[filled], cols[filled]]
    return out, filled
