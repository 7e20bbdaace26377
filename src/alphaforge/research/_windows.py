"""Walk-forward window arithmetic: cut a run's bars into train and test spans.

The public home of these names is :mod:`alphaforge.research.walkforward`, which re-exports them
and whose docstring explains the schemes (rolling, anchored), the train/test lengths (a
fraction, a bar count or a calendar length) and the ``purge`` and ``embargo`` gaps. They live
apart so that the runner there stays one concern: this module only counts bars.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import pandas as pd

from alphaforge.domain.errors import InvalidValueError

__all__ = ["DEFAULT_WINDOWS", "Length", "Scheme", "Window", "walk_forward_windows"]

#: Windows when neither ``n_windows`` nor a test length says how many.
DEFAULT_WINDOWS = 10
Scheme = Literal["rolling", "anchored"]
Length = int | float | str


@dataclass(frozen=True)
class Window:
    """One window: its train and test spans (UTC stamps of real bars, both ends included), their
    sizes in bars, and where each span's run starts flat (the bar before the span, whose close
    is the base of the span's first return; the span's first bar when there is none before)."""

    number: int
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    test_start: pd.Timestamp
    test_end: pd.Timestamp
    train_bars: int
    test_bars: int
    train_run_start: pd.Timestamp
    test_run_start: pd.Timestamp

    def to_dict(self) -> dict[str, Any]:
        """The window as ISO strings and counts."""
        return {
            k: v.isoformat() if isinstance(v, pd.Timestamp) else v for k, v in vars(self).items()
        }


# ------------------------------------------------------------------ window arithmetic

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(y|mo|M|w|d|h|min)$", re.IGNORECASE)
_UNIT_DAYS = {"y": 365.25, "mo": 365.25 / 12, "w": 7.0, "d": 1.0, "h": 1 / 24, "min": 1 / 1440}


def _unit(text: str) -> str:
    if text == "M":
        return "mo"
    if text == "m":
        raise InvalidValueError("'m' is ambiguous: write 6M or 6mo for months, 30min for minutes")
    return text.lower()


def _length(value: Length, name: str, index: pd.DatetimeIndex, *, fraction: bool) -> int | Fraction:
    """Bars (int) or, where allowed, a fraction of a window (``Fraction``)."""
    if isinstance(value, bool):
        raise InvalidValueError(f"{name} must be a length or a fraction, got {value!r}")
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d+", text):
            return _length(int(text), name, index, fraction=fraction)
        if re.fullmatch(r"\d*\.\d+", text):
            return _length(float(text), name, index, fraction=fraction)
        found = _DURATION.match(text)
        if not found:
            raise InvalidValueError(
                f"{name} {value!r} is not a fraction (0.75), a bar count (756) or a calendar "
                "length (3Y, 6M, 8W, 90D, 12h, 30min)"
            )
        days = float(found.group(1)) * _UNIT_DAYS[_unit(found.group(2))]
        span = (index[-1] - index[0]) / pd.Timedelta(days=1)
        return _length(max(1, round(days * (len(index) - 1) / span)), name, index, fraction=False)
    if isinstance(value, float):
        if not fraction:
            raise InvalidValueError(f"{name} is a length (bars or 6M), not a fraction: {value!r}")
        if not 0.0 < value < 1.0:
            raise InvalidValueError(
                f"{name} as a fraction of each window must be between 0 and 1, got {value!r} "
                "(for a number of bars pass an integer)"
            )
        return Fraction(value).limit_denominator(1_000_000)
    if isinstance(value, int) and value >= 1:
        return value
    raise InvalidValueError(f"{name} must be a positive number of bars, got {value!r}")


def _check_index(index: pd.DatetimeIndex) -> None:
    if not isinstance(index, pd.DatetimeIndex):
        raise InvalidValueError(
            f"index must be a DatetimeIndex of bars, got {type(index).__name__}"
        )
    if index.tz is None:
        raise InvalidValueError("index has naive timestamps; expected UTC")
    if not (index.is_monotonic_increasing and index.is_unique):
        raise InvalidValueError("index must be strictly increasing (sorted, no duplicate bars)")


def _layout(
    n_bars: int,
    n_windows: int | None,
    train: int | Fraction,
    test: int | None,
    embargo: int,
) -> tuple[int, int, int]:
    """(windows, train length before purge, test length), test spans ending at the last bar."""
    if test is None:
        count = n_windows or DEFAULT_WINDOWS
        room = n_bars - (count - 1) * embargo
        if isinstance(train, Fraction):  # room = W f + count W (1 - f), test = W (1 - f)
            test = math.floor(room * (1 - train) / (train + count * (1 - train)))
            return count, room - count * test, test
        return count, train, (room - train) // count
    length = train if isinstance(train, int) else round(test * train / (1 - train))
    fit = (n_bars - length + embargo) // (test + embargo)
    return (n_windows or fit), length, test


def walk_forward_windows(
    index: pd.DatetimeIndex,
    *,
    n_windows: int | None = None,
    train: Length = 0.75,
    test: Length | None = None,
    scheme: Scheme = "rolling",
    purge: int = 0,
    embargo: int = 0,
) -> list[Window]:
    """Split the bars ``index`` into walk-forward windows (see
    :mod:`alphaforge.research.walkforward`).

    ``n_windows``: None means as many as fit when ``test`` is a length, else
    :data:`DEFAULT_WINDOWS`. Bars that no window needs are left at the start (rolling) or given
    to every train span (anchored). Raises ``InvalidValueError`` when the bars cannot hold the
    windows (each train span needs at least 2 bars after the purge, each test span 2).
    """
    _check_index(index)
    if scheme not in ("rolling", "anchored"):
        raise InvalidValueError(f"scheme must be 'rolling' or 'anchored', got {scheme!r}")
    if n_windows is not None and (isinstance(n_windows, bool) or n_windows < 1):
        raise InvalidValueError(f"n_windows must be >= 1, got {n_windows!r}")
    for name, gap in (("purge", purge), ("embargo", embargo)):
        if isinstance(gap, bool) or not isinstance(gap, int) or gap < 0:
            raise InvalidValueError(f"{name} must be a whole number of bars >= 0, got {gap!r}")
    if len(index) < 4:
        raise InvalidValueError(f"{len(index)} bars are too few to walk forward")
    train_len = _length(train, "train", index, fraction=True)
    test_len = None if test is None else _length(test, "test", index, fraction=False)
    count, length, size = _layout(len(index), n_windows, train_len, test_len, embargo)  # type: ignore[arg-type]
    need = length + count * size + (count - 1) * embargo
    if count < 1 or size < 2 or length - purge < 2 or need > len(index):
        raise InvalidValueError(
            f"{len(index):,} bars cannot hold {count} window(s) of train {length} bars "
            f"(purge {purge}) and test {size} bars (embargo {embargo}): "
            "use fewer windows or shorter spans"
        )
    first = len(index) - count * size - (count - 1) * embargo
    return [
        _window(index, k, first + k * (size + embargo), size, length, scheme, purge)
        for k in range(count)
    ]


def _window(
    index: pd.DatetimeIndex, k: int, start: int, size: int, length: int, scheme: str, purge: int
) -> Window:
    train_first = 0 if scheme == "anchored" else start - length
    train_last = start - 1 - purge
    return Window(
        number=k + 1,
        train_start=index[train_first],
        train_end=index[train_last],
        test_start=index[start],
        test_end=index[start + size - 1],
        train_bars=train_last - train_first + 1,
        test_bars=size,
        train_run_start=index[max(train_first - 1, 0)],
        test_run_start=index[start - 1],
    )
