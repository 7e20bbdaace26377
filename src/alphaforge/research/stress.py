"""Stress tests, the pure half: named historical windows and synthetic shocks of price frames.

A backtest's figures over thirty years hide how it behaved in the few months that decide
whether anyone would have kept running it. This module measures those months and builds the
shocked data; ``alphaforge.runtime.stress`` runs the backtests (``docs/stress.md``).

* :data:`HISTORICAL_WINDOWS`: the S&P 500's well-known peak-to-trough falls since 2000, each
  dated by its closing high and closing low (the source is given per window);
  :func:`window_stats` reports a strategy's equity (and a benchmark's) in each window and says
  ``"not in data"`` where the data does not reach a window, never a silent zero.
* Shocks of an OHLCV or close-only frame (UTC ``DatetimeIndex``, float64 columns), each
  returning a new frame: :func:`gap_shock` (every price from one bar on moves by ``size``: an
  overnight gap at that bar's open), :func:`volatility_shock` (log returns' deviations from
  their mean scaled by ``factor`` inside a window, prices rebuilt; the mean is kept, so the
  window ends at the level it had and later bars are unchanged) and :func:`volume_shock`
  (volume times ``factor``).

The windows, their statistics and the table formatting live in ``_stress_table``; every name is
importable from here.

>>> shocked = gap_shock(frame, "2008-09-15", size=-0.10)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alphaforge.data.catalog_args import time_bound
from alphaforge.domain.errors import InvalidValueError
from alphaforge.research._stress_table import (
    HISTORICAL_WINDOWS,
    NOT_IN_DATA,
    TABLE_COLUMNS,
    WINDOW_COLUMNS,
    StressWindow,
    fmt_pct,
    gap_effect,
    json_ready,
    path_stats,
    table_display,
    table_markdown,
    window_stats,
)

__all__ = [
    "HISTORICAL_WINDOWS",
    "NOT_IN_DATA",
    "PRICE_COLUMNS",
    "SHOCKS",
    "TABLE_COLUMNS",
    "WINDOW_COLUMNS",
    "ShockSizes",
    "StressWindow",
    "fmt_pct",
    "gap_effect",
    "gap_shock",
    "json_ready",
    "path_stats",
    "shock_label",
    "table_display",
    "table_markdown",
    "volatility_shock",
    "volume_shock",
    "window_stats",
]

PRICE_COLUMNS = ("open", "high", "low", "close")


# ------------------------------------------------------------------ shocks of price frames


def _check_frame(frame: object) -> tuple[pd.DataFrame, list[str]]:
    """Refuse anything but a UTC, sorted OHLCV or close-only frame of positive prices."""
    if not isinstance(frame, pd.DataFrame):
        raise InvalidValueError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex) or str(index.tz) != "UTC":
        raise InvalidValueError("frame needs a UTC DatetimeIndex (the canonical frame)")
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise InvalidValueError("frame's index must be sorted with unique stamps")
    if "close" not in frame.columns:
        raise InvalidValueError(
            f"frame needs a 'close' column (has {', '.join(map(str, frame.columns)) or 'none'})"
        )
    if len(frame) < 2:
        raise InvalidValueError(f"frame needs at least 2 bars to shock, got {len(frame)}")
    prices = [c for c in PRICE_COLUMNS if c in frame.columns]
    values = frame[prices].to_numpy(dtype=np.float64)
    if not np.isfinite(values).all() or (values <= 0).any():
        raise InvalidValueError(f"frame's prices ({', '.join(prices)}) must be finite and > 0")
    if "volume" in frame.columns:
        volume = frame["volume"].to_numpy(dtype=np.float64)
        if not np.isfinite(volume).all() or (volume < 0).any():
            raise InvalidValueError("frame's volume must be finite and >= 0")
    return frame, prices


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise InvalidValueError(f"{name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidValueError(f"{name} must be finite, got {value!r}")
    return number


def _with_prices(frame: pd.DataFrame, prices: list[str], values: np.ndarray) -> pd.DataFrame:
    if not np.isfinite(values).all() or (values <= 0).any():
        raise InvalidValueError("the shock drove prices out of range (overflow or zero)")
    out = frame.copy(deep=True)
    for j, column in enumerate(prices):
        out[column] = values[:, j]
    return out


def gap_shock(frame: pd.DataFrame, at: str | pd.Timestamp, size: float = -0.10) -> pd.DataFrame:
    """Move every price from the first bar at or after ``at`` on by ``size`` (-0.10: -10 %).

    The bar before keeps its close, so the move happens between that close and the shocked bar's
    open: an overnight gap. Bars after it keep their own returns. Volume is unchanged. ``at``: a
    date or time (text without a zone reads as UTC) after the first bar and at most the last.
    """
    frame, prices = _check_frame(frame)
    move = _number(size, "size")
    if move <= -1:
        raise InvalidValueError(f"size must be > -1 (a fall of less than 100 %), got {size!r}")
    stamp = time_bound(at, "at")
    if stamp is None:
        raise InvalidValueError("at is required: the date of the gap")
    index = frame.index
    pos = int(index.searchsorted(stamp, side="left"))
    if pos == 0 or pos >= len(index):
        raise InvalidValueError(
            f"at {stamp} must fall after the first bar ({index[0]}) and at most at the last "
            f"({index[-1]}): a gap needs a close before it and a bar to move"
        )
    values = frame[prices].to_numpy(dtype=np.float64, copy=True)
    values[pos:] *= 1.0 + move
    return _with_prices(frame, prices, values)


def _window_bounds(
    index: pd.DatetimeIndex, start: str | pd.Timestamp | None, end: str | pd.Timestamp | None
) -> tuple[int, int]:
    """Positions ``[i0, i1)`` of the bars from ``start`` to ``end`` (a date alone: that day)."""
    lo, hi = time_bound(start, "start"), time_bound(end, "end", end=True)
    if lo is not None and hi is not None and hi < lo:
        raise InvalidValueError(f"end {end!r} is before start {start!r}")
    i0 = 0 if lo is None else int(index.searchsorted(lo, side="left"))
    i1 = len(index) if hi is None else int(index.searchsorted(hi, side="right"))
    return i0, i1


def volatility_shock(
    frame: pd.DataFrame,
    factor: float = 3.0,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Scale close-to-close log returns' deviations from their mean by ``factor`` in a window.

    Inside ``[start, end]`` (default: the whole frame) each return ``r`` becomes
    ``m + factor * (r - m)``, ``m`` the window's mean log return, so the drift stays and the
    standard deviation is multiplied by ``factor`` exactly. Closes are rebuilt from the new
    returns; each bar's open, high and low keep their place relative to its close, their log
    distances to it scaled by the same factor (so intrabar ranges scale too, and the order
    low <= open, close <= high holds). The window's mean log return is kept, so is its total
    return: the close at its end is the same and the bars after it continue from that level
    with their own returns (the path inside the window is what changes: deeper falls, higher
    peaks). Prices stay positive; volume is unchanged. The window needs at least two returns.
    """
    frame, prices = _check_frame(frame)
    f = _number(factor, "factor")
    if f <= 0:
        raise InvalidValueError(f"factor must be > 0, got {factor!r}")
    i0, i1 = _window_bounds(pd.DatetimeIndex(frame.index), start, end)
    j0 = max(i0, 1)  # the first bar's return needs a close before it
    if i1 - j0 < 2:
        raise InvalidValueError(
            f"the volatility window ({start} .. {end}) holds {max(i1 - j0, 0)} returns of the "
            "frame; it needs at least 2"
        )
    logs = np.log(frame[prices].to_numpy(dtype=np.float64))
    c = prices.index("close")
    close = logs[:, c]
    r = np.diff(close[j0 - 1 : i1])
    m = float(r.mean())
    new_close = close.copy()
    new_close[j0:i1] = close[j0 - 1] + np.cumsum(m + f * (r - m))
    new_close[i1:] += new_close[i1 - 1] - close[i1 - 1]  # continue from the new level
    shape = logs - close[:, None]  # each bar's log distances of open, high, low to its close
    shape[i0:i1] *= f
    with np.errstate(over="ignore"):  # an overflow is refused by name just below
        values = np.exp(new_close[:, None] + shape)
    return _with_prices(frame, prices, values)


def volume_shock(frame: pd.DataFrame, factor: float = 0.1) -> pd.DataFrame:
    """Multiply volume by ``factor`` (0.1: a tenth of the volume); prices are unchanged.

    It matters to a backtest only where fills are capped at a share of bar volume
    (``max_participation``). A frame without volume (close-only data) is refused.
    """
    frame, _ = _check_frame(frame)
    f = _number(factor, "factor")
    if f <= 0:
        raise InvalidValueError(f"factor must be > 0, got {factor!r}")
    if "volume" not in frame.columns:
        raise InvalidValueError(
            "frame has no volume column (close-only data): a volume shock does not apply"
        )
    out = frame.copy(deep=True)
    out["volume"] = frame["volume"].to_numpy(dtype=np.float64) * f
    return out


# ------------------------------------------------------------------ shock sizes

SHOCKS: tuple[str, ...] = ("gap", "volatility", "spreads", "volume")
"""The synthetic scenarios of ``alphaforge.runtime.stress_test``."""


@dataclass(frozen=True)
class ShockSizes:
    """How hard each synthetic shock hits (defaults: the scenarios of ``docs/stress.md``)."""

    gap: float = -0.10
    volatility: float = 3.0
    volatility_bars: int = 63
    spreads: float = 5.0
    volume: float = 0.1
    participation: float = 0.10
    """The volume cap (share of bar volume) of the volume scenario when the run sets none."""

    def __post_init__(self) -> None:
        """Refuse sizes that would not describe a shock."""
        checks = {
            "gap": -1 < self.gap < 1,
            "volatility": 0 < self.volatility <= 100,
            "volatility_bars": isinstance(self.volatility_bars, int) and self.volatility_bars >= 3,
            "spreads": 0 <= self.spreads <= 1000,
            "volume": 0 < self.volume <= 1000,
            "participation": 0 < self.participation <= 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise InvalidValueError(
                    f"shock size {name}={getattr(self, name)!r} is out of range"
                )


def shock_label(name: str, sizes: ShockSizes) -> str:
    """``"gap -10%"``, ``"volatility x3"``, ``"spreads x5"``, ``"volume /10"``."""
    if name == "gap":
        return f"gap {round(sizes.gap * 100, 6):+g}%"
    if name == "volume":
        return f"volume /{1 / sizes.volume:g}" if sizes.volume < 1 else f"volume x{sizes.volume:g}"
    return f"{name} x{getattr(sizes, name):g}"
