"""Which bin each bar falls in: UTC periods, FX trading days, exchange sessions.

A binner maps bar timestamps (UTC ns, bar open) to bin labels (UTC ns, the bin's start) and tells
the ``[start, end)`` of one bin, which :func:`~alphaforge.data.resample.resample_bars` needs to
decide whether an edge bin is partial.

FX (``"24/5"``) trading days roll at 17:00 New York time, the market's convention. That is 22:00
UTC in northern winter and 21:00 UTC in summer: the bundled EUR/USD hours open on Sunday at 21:00
UTC from April to October and at 22:00 UTC otherwise, so a fixed 22:00 UTC roll would turn every
summer Sunday's first hour into a one-bar "day". The shift is exact because New York changes its
clocks at 02:00 on a Sunday, when the FX market is shut, so every FX day lasts 24 hours.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

from alphaforge.data.sessions import (
    SessionTable,
    floor_days,
    floor_months,
    floor_utc,
    floor_weeks,
    session_table,
)
from alphaforge.data.timeframes import Timeframe
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.time import NS_PER_DAY

__all__ = ["Binner", "ExchangeBinner", "FxBinner", "UtcBinner", "is_daily_or_longer", "make_binner"]

FX_ZONE = "America/New_York"
_FX_SHIFT = 7 * 3600 * 1_000_000_000  # 17:00 New York + 7 h = midnight of the next trading date


class Binner(Protocol):
    """Maps bar stamps to bin labels and tells a bin's extent."""

    def labels(self, ns: np.ndarray) -> np.ndarray:
        """Return the bin label (UTC ns of the bin's start) of each bar stamp."""
        ...

    def bounds(self, label: int) -> tuple[int, int]:
        """Return ``[start, end)`` in UTC ns of the bin labelled ``label``."""
        ...


def is_daily_or_longer(tf: Timeframe) -> bool:
    """Whether bars of ``tf`` are stamped by date rather than by time of day."""
    return tf.is_calendar or tf.nanos >= NS_PER_DAY


def _next_period(label: int, tf: Timeframe) -> int:
    if tf.is_calendar:
        return int((pd.Timestamp(label, tz="UTC") + pd.DateOffset(months=tf.count)).value)
    return label + tf.nanos


class UtcBinner:
    """UTC periods: epoch-aligned multiples for fixed lengths, Monday weeks, calendar months."""

    def __init__(self, tf: Timeframe) -> None:
        self.tf = tf

    def labels(self, ns: np.ndarray) -> np.ndarray:
        return floor_utc(ns, self.tf)

    def bounds(self, label: int) -> tuple[int, int]:
        return label, _next_period(label, self.tf)


class FxBinner:
    """FX days, weeks and months that start at 17:00 New York (see the module docstring)."""

    def __init__(self, tf: Timeframe) -> None:
        self.tf = tf

    def labels(self, ns: np.ndarray) -> np.ndarray:
        wall = pd.DatetimeIndex(pd.to_datetime(ns, utc=True)).tz_convert(FX_ZONE).tz_localize(None)
        shifted = np.asarray(wall.as_unit("ns").asi8, dtype=np.int64) + _FX_SHIFT
        local = floor_utc(shifted, self.tf)  # trading-date periods on the shifted wall clock
        unique, inverse = np.unique(local, return_inverse=True)
        return self._to_utc(unique)[inverse]

    def bounds(self, label: int) -> tuple[int, int]:
        wall = pd.Timestamp(label, tz="UTC").tz_convert(FX_ZONE).tz_localize(None)
        local = int(wall.as_unit("ns").value) + _FX_SHIFT
        return label, int(self._to_utc(np.array([_next_period(local, self.tf)]))[0])

    @staticmethod
    def _to_utc(local: np.ndarray) -> np.ndarray:
        wall = pd.DatetimeIndex(pd.to_datetime(local - _FX_SHIFT)).tz_localize(FX_ZONE)
        return np.asarray(wall.tz_convert("UTC").as_unit("ns").asi8, dtype=np.int64)


class ExchangeBinner:
    """Exchange sessions: intraday bins anchored at the session open, daily bins per session
    (labelled with the session date at midnight UTC, like every bundled daily set), weeks and
    months made of the sessions whose dates fall in them."""

    def __init__(self, code: str, tf: Timeframe, source: Timeframe) -> None:
        if tf.unit == "d" and tf.count != 1:
            raise InvalidValueError(
                f"timeframe {tf.name!r} on exchange calendar {code!r} is not supported; "
                "expected intraday bins, '1d', weeks or months"
            )
        self.code, self.tf, self.source = code, tf, source
        self.table: SessionTable = session_table(code)
        self.daily_source = is_daily_or_longer(source)

    def labels(self, ns: np.ndarray) -> np.ndarray:
        if self.daily_source:
            dates = floor_days(ns)
        else:
            i, inside = self.table.containing(ns)
            if not inside.all():
                self._outside(ns, inside)
            dates = self.table.dates[i]
            if not is_daily_or_longer(self.tf):
                opens = self.table.opens[i]
                return np.asarray(opens + (ns - opens) // self.tf.nanos * self.tf.nanos)
        if self.tf.unit == "w":
            return floor_weeks(dates, self.tf.count)
        if self.tf.unit == "M":
            return floor_months(dates, self.tf.count)
        return dates

    def _outside(self, ns: np.ndarray, inside: np.ndarray) -> None:
        first = int(np.flatnonzero(~inside)[0])
        raise InvalidValueError(
            f"{int((~inside).sum())} bar(s) fall outside {self.code} sessions (first at "
            f"{pd.Timestamp(ns[first], tz='UTC').isoformat()}); drop the extended-hours bars or "
            "resample with calendar=None for UTC periods"
        )

    def bounds(self, label: int) -> tuple[int, int]:
        table = self.table
        if not is_daily_or_longer(self.tf):
            i, _ = table.containing(np.array([label]))
            return label, min(label + self.tf.nanos, int(table.closes[i[0]]))
        end = label + NS_PER_DAY if self.tf.unit == "d" else _next_period(label, self.tf)
        lo, hi = np.searchsorted(table.dates, [label, end])
        if hi <= lo:
            return label, end
        if self.daily_source:
            return int(table.dates[lo]), int(table.dates[hi - 1]) + NS_PER_DAY
        return int(table.opens[lo]), int(table.closes[hi - 1])


def make_binner(calendar: str | None, tf: Timeframe, source: Timeframe) -> Binner:
    """Return the binner for ``calendar`` (``None``, ``"none"`` and ``"24/7"`` mean UTC)."""
    if calendar in (None, "none", "24/7"):
        return UtcBinner(tf)
    if calendar == "24/5":
        if not is_daily_or_longer(tf):
            return UtcBinner(tf)  # intraday FX bins are plain UTC hours/minutes
        if tf.unit == "d" and tf.count != 1:
            raise InvalidValueError(
                f"timeframe {tf.name!r} on calendar '24/5' is not supported; expected intraday "
                "bins, '1d', weeks or months"
            )
        return FxBinner(tf)
    return ExchangeBinner(calendar, tf, source)
