"""Chart-ready data for the tearsheet: checked inputs, compact arrays, downsampled lines.

Metrics are always computed on the full data; only what a chart draws is thinned here. A line
longer than ``MAX_POINTS`` keeps, in each of about ``MAX_POINTS / 2`` equal buckets, its lowest
and its highest point (plus the first and last), so peaks, troughs and the deepest drawdown stay
visible. Values travel as float32 (about 7 significant digits, half the bytes of float64);
small tables are rounded to 6 significant digits. Times are UTC, written without an offset
(plotly.js ignores offsets) and as short as the data allow (a date for daily bars).
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alphaforge.analytics._inputs import FloatArray, utc_nanos
from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "FILL_COLUMNS",
    "MAX_POINTS",
    "Line",
    "as_of_levels",
    "check_equity",
    "check_fills",
    "check_prices",
    "downsample",
    "fill_roles",
    "line",
    "round6",
    "time_labels",
    "utc_index",
]

MAX_POINTS = 5_000
FILL_COLUMNS = ("ts", "symbol", "side", "quantity", "price")
IntArray: TypeAlias = NDArray[np.intp]
_NS_PER_MINUTE = 60 * 1_000_000_000
_NS_PER_DAY = 24 * 60 * _NS_PER_MINUTE


@dataclass(frozen=True, slots=True)
class Line:
    """One series as a chart draws it: time labels, float32 values, and how many it came from."""

    x: NDArray[np.str_]
    y: NDArray[np.float32]
    total: int

    @property
    def downsampled(self) -> bool:
        """Whether points were dropped for display."""
        return len(self.x) < self.total


def utc_index(index: pd.Index, what: str) -> pd.DatetimeIndex:
    """Return ``index`` as a sorted UTC DatetimeIndex, or raise: naive stamps are never guessed."""
    if not isinstance(index, pd.DatetimeIndex):
        raise InvalidValueError(
            f"{what} must be indexed by UTC timestamps (a DatetimeIndex); "
            f"got {type(index).__name__}"
        )
    if index.tz is None:
        raise InvalidValueError(f"{what} has naive timestamps; expected timezone-aware (UTC)")
    if not index.is_monotonic_increasing:
        raise InvalidValueError(f"{what} timestamps must be sorted in increasing order")
    return index.tz_convert("UTC")


def check_equity(equity: pd.Series) -> FloatArray:
    """Return the equity values as float64 after checking the Series (non-empty, finite, UTC)."""
    if not isinstance(equity, pd.Series):
        raise InvalidValueError(
            f"equity must be a pandas Series of account values; got {type(equity).__name__}"
        )
    if len(equity) == 0:
        raise InvalidValueError("equity is empty; a tearsheet needs at least one value")
    utc_index(equity.index, "equity")
    eq = equity.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(eq)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InvalidValueError(
            f"equity must be finite; at {equity.index[row]!r} (row {row}) it is {eq[row]!r}"
        )
    return eq


def check_fills(fills: pd.DataFrame) -> pd.DataFrame:
    """Return the fills sorted by time with a UTC ``ts`` and a ``sign`` (+1 buy, -1 sell)."""
    if not isinstance(fills, pd.DataFrame):
        raise InvalidValueError(f"fills must be a pandas DataFrame; got {type(fills).__name__}")
    missing = [name for name in FILL_COLUMNS if name not in fills.columns]
    if missing:
        raise InvalidValueError(
            f"the fills table lacks columns {missing}; got {list(fills.columns)}, "
            f"expected at least {list(FILL_COLUMNS)} (and optionally fee, reason)"
        )
    ts = pd.DatetimeIndex(fills["ts"])
    if len(ts) and ts.tz is None:
        raise InvalidValueError("fills 'ts' holds naive timestamps; expected timezone-aware (UTC)")
    side = fills["side"].map(lambda s: str(getattr(s, "value", s)).lower())
    unknown = sorted(set(side) - {"buy", "sell"})
    if unknown:
        raise InvalidValueError(f"fills 'side' must be 'buy' or 'sell'; got {unknown}")
    out = fills.assign(ts=ts.tz_convert("UTC") if len(ts) else ts, side=side)
    out["sign"] = np.where(side.to_numpy() == "buy", 1.0, -1.0)
    return out.sort_values("ts", kind="stable").reset_index(drop=True)


def check_prices(symbol: Hashable, frame: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """Return one symbol's bars as a frame with at least ``close``, on a UTC index."""
    if isinstance(frame, pd.Series):
        frame = frame.to_frame("close")
    if not isinstance(frame, pd.DataFrame) or "close" not in frame.columns:
        got = list(frame.columns) if isinstance(frame, pd.DataFrame) else type(frame).__name__
        raise InvalidValueError(
            f"prices[{symbol!r}] must be a frame with a 'close' column (OHLCV or close only); "
            f"got {got}"
        )
    return frame.set_axis(utc_index(frame.index, f"prices[{symbol!r}]"), axis=0)


def time_labels(index: pd.DatetimeIndex) -> NDArray[np.str_]:
    """Return UTC times as ISO strings without offset: dates when every stamp is a midnight."""
    nanos = utc_nanos(index)
    unit: Literal["D", "m", "s"] = "s"
    if nanos.size and not np.any(nanos % _NS_PER_DAY):
        unit = "D"
    elif not np.any(nanos % _NS_PER_MINUTE):
        unit = "m"
    stamps: NDArray[np.datetime64] = nanos.astype("datetime64[ns]")
    # a NumPy string array: plotly validates it an order of magnitude faster than a list
    labels: NDArray[np.str_] = np.datetime_as_string(stamps, unit=unit)
    return labels


def downsample(values: FloatArray, max_points: int = MAX_POINTS) -> IntArray:
    """Return the positions to draw: all of them, or each bucket's min and max, first and last.

    NaN values are kept out of the min/max choice; a bucket of NaN keeps its first position (a
    gap stays a gap). At most ``max_points`` positions, in increasing order.
    """
    n = values.size
    if n <= max_points:
        return np.arange(n)
    buckets = max(1, (max_points - 2) // 2)
    size = -(-n // buckets)
    rows = -(-n // size)
    pad = rows * size - n
    nan = np.isnan(values)
    low = np.concatenate((np.where(nan, np.inf, values), np.full(pad, np.inf)))
    high = np.concatenate((np.where(nan, -np.inf, values), np.full(pad, -np.inf)))
    base = np.arange(rows) * size
    lows = base + low.reshape(rows, size).argmin(axis=1)
    highs = base + high.reshape(rows, size).argmax(axis=1)
    keep = np.unique(np.concatenate((lows, highs, [0, n - 1])))
    return keep[keep < n]


def line(index: pd.DatetimeIndex, values: FloatArray, max_points: int = MAX_POINTS) -> Line:
    """Return a chart line of ``values`` over ``index``: downsampled past ``max_points``."""
    keep = downsample(values, max_points)
    shown = values[keep] if keep.size < values.size else values
    with np.errstate(over="ignore"):
        y = np.where(np.isfinite(shown), shown, np.nan).astype(np.float32)
    return Line(time_labels(index[keep]), y, int(values.size))


def round6(value: float) -> float | None:
    """Return ``value`` rounded to 6 significant digits; None (a gap in JSON) if not finite."""
    if not math.isfinite(value):
        return None
    return float(f"{value:.6g}")


def as_of_levels(levels: pd.Series, index: pd.DatetimeIndex) -> FloatArray:
    """Return the last non-NaN level at or before each stamp of ``index`` (NaN before the first).

    The same as-of rule as ``benchmark_returns``: nothing from the future.
    """
    clean = levels.dropna()
    if clean.empty:
        return np.full(len(index), np.nan)
    clean = clean.set_axis(utc_index(clean.sort_index().index, "benchmark"), axis=0)
    stamps = utc_nanos(pd.DatetimeIndex(clean.index))
    at = np.searchsorted(stamps, utc_nanos(index), side="right") - 1
    out = clean.to_numpy(dtype=np.float64)[np.maximum(at, 0)]
    out[at < 0] = np.nan
    return out


def fill_roles(fills: pd.DataFrame) -> NDArray[np.bool_]:
    """Return, for one symbol's time-sorted fills, True where a fill opens or adds to a position.

    Positions are rebuilt from the signed quantities, starting flat. A fill that reverses the
    position (long to short or back) opens the new one, so it counts as an entry; a fill that
    reduces or closes it is an exit.
    """
    signed = np.abs(fills["quantity"].to_numpy(dtype=np.float64)) * fills["sign"].to_numpy()
    after = np.cumsum(signed)
    before = after - signed
    tolerance = 1e-9 * np.maximum(np.abs(before), np.abs(after))
    grows = np.abs(after) > np.abs(before) + tolerance
    reverses = before * after < 0
    return np.asarray(grows | reverses, dtype=np.bool_)
