"""Calendar schedules for strategies that act periodically (monthly rebalancing, weekly rolls).

``Every("M")`` answers, for each new timestamp, whether it opens a new period; a strategy calls
it from ``on_step`` (once per timestamp) so that a portfolio is rebalanced on the first bar of
each month of the data, whatever the exchange calendar. Periods are taken in UTC.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from alphaforge.domain.errors import InvalidValueError

__all__ = ["Every", "Frequency"]

Frequency = Literal["D", "W", "M", "Q", "Y"]
_NS_PER_DAY = 86_400_000_000_000


class Every:
    """True on the first timestamp of each period (day, ISO week, month, quarter or year)."""

    __slots__ = ("_freq", "_last", "_n", "_seen")

    def __init__(self, freq: Frequency | str = "M", n: int = 1) -> None:
        if freq not in ("D", "W", "M", "Q", "Y"):
            raise InvalidValueError(f"frequency must be one of D, W, M, Q, Y, not {freq!r}")
        if n < 1:
            raise InvalidValueError(f"n must be at least 1, got {n}")
        self._freq = freq
        self._n = n
        self._last: int | None = None
        self._seen = 0

    def __call__(self, ts_ns: int) -> bool:
        """Whether ``ts_ns`` starts a new period (every ``n``-th one); call once per timestamp."""
        key = period_key(ts_ns, self._freq)
        if key == self._last:
            return False
        self._last = key
        self._seen += 1
        return (self._seen - 1) % self._n == 0


def period_key(ts_ns: int, freq: str) -> int:
    """An integer that is the same for every timestamp of one period and grows with time."""
    day = ts_ns // _NS_PER_DAY
    if freq == "D":
        return day
    if freq == "W":
        return (day + 3) // 7  # 1970-01-01 was a Thursday: weeks start on Monday
    month = np.datetime64(day, "D").astype("datetime64[M]").astype(np.int64)
    if freq == "M":
        return int(month)
    if freq == "Q":
        return int(month) // 3
    return int(month) // 12
