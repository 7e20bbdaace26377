"""Bar timeframes such as ``"1m"``, ``"5m"``, ``"1h"``, ``"8h"``, ``"1d"``, ``"1w"``, ``"1M"``.

One spelling everywhere (files, catalog, CLI, events): a count and a unit, where ``m`` is minutes
and ``M`` is calendar months. ``tick`` means unaggregated trades.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BaseOffset

from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.time import NS_PER_SECOND

__all__ = ["Timeframe", "parse_timeframe"]

_UNITS: dict[str, tuple[int | None, str, str]] = {
    # unit: (seconds per unit or None for calendar months, pandas alias, word)
    "s": (1, "s", "second"),
    "m": (60, "min", "minute"),
    "h": (3600, "h", "hour"),
    "d": (86_400, "D", "day"),
    "w": (7 * 86_400, "W", "week"),
    "M": (None, "MS", "month"),
}
_PATTERN = re.compile(r"^(\d+)([smhdwM])$")


@dataclass(frozen=True, slots=True)
class Timeframe:
    """A parsed timeframe: ``count`` units of ``unit``; ``tick`` has count 0."""

    count: int
    unit: str

    @property
    def name(self) -> str:
        """The canonical spelling, e.g. ``"5m"``."""
        return "tick" if self.is_tick else f"{self.count}{self.unit}"

    @property
    def is_tick(self) -> bool:
        """Whether this is unaggregated trade data."""
        return self.count == 0

    @property
    def is_calendar(self) -> bool:
        """Whether the length varies (months), so it has no fixed number of nanoseconds."""
        return self.unit == "M"

    @property
    def nanos(self) -> int:
        """Fixed length in nanoseconds; raises for months and ticks."""
        seconds = _UNITS[self.unit][0] if not self.is_tick else None
        if seconds is None:
            raise InvalidValueError(f"timeframe {self.name!r} has no fixed length")
        return self.count * seconds * NS_PER_SECOND

    @property
    def pandas_freq(self) -> str:
        """The pandas offset alias (``"5min"``, ``"1D"``, ``"1MS"``)."""
        if self.is_tick:
            raise InvalidValueError("'tick' data has no bar frequency")
        return f"{self.count}{_UNITS[self.unit][1]}"

    @property
    def offset(self) -> BaseOffset:
        """The length as a pandas offset (calendar-aware for months)."""
        return to_offset(self.pandas_freq)

    def __str__(self) -> str:
        return self.name


def parse_timeframe(value: str | Timeframe) -> Timeframe:
    """Parse ``"5m"``-style text; raise ``InvalidValueError`` naming the accepted forms."""
    if isinstance(value, Timeframe):
        return value
    text = value.strip()
    if text == "tick":
        return Timeframe(0, "tick")
    match = _PATTERN.match(text)
    if match is None or int(match.group(1)) == 0:
        raise InvalidValueError(
            f"unknown timeframe {value!r}; expected a count and a unit like 1m, 5m, 1h, 8h, 1d, "
            "1w, 1M (m = minutes, M = months) or 'tick'"
        )
    return Timeframe(int(match.group(1)), match.group(2))
