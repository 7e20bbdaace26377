"""Drawdowns of a periodic simple-return series: depth, episodes, and how long they lasted.

The wealth index starts at 1 before the first return and compounds each return (a NaN return
counts as 0 %, as in empyrical). The drawdown at each period is ``wealth / running_peak - 1``, so
it lies in ``[-1, 0]`` for returns of -100 % or more. The running peak includes the start, so a
loss on the very first period is a drawdown. For episodes (not for the depth figures) a
drawdown shallower than ``UNDERWATER_TOLERANCE`` (1e-10) counts as none: compounding returns of
a price that came back to its exact old high can leave wealth a rounding error below the peak.
Likewise the trough is the first of the lowest points, lows within the tolerance being equal.

An *episode* runs from a high-water mark (the **peak**: the last period at the running maximum)
through its lowest point (the **trough**) to the first period whose wealth is back at or above
the peak (the **recovery**); an episode not recovered by the end of the series is still open.
Its length in **periods** is ``recovery - peak`` (or ``last - peak`` while open): a one-period dip
recovered on the next period lasts 2 periods. Dates and the timedelta come from the index of a
Series with a DatetimeIndex.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alphaforge.analytics._inputs import FloatArray, ReturnsLike, values

__all__ = [
    "DrawdownPeriod",
    "drawdown_periods",
    "drawdown_series",
    "max_drawdown",
    "max_drawdown_duration",
    "max_drawdown_period",
]

IntArray: TypeAlias = NDArray[np.intp]
UNDERWATER_TOLERANCE = 1e-10  # a drawdown shallower than this (relative) is rounding noise


@dataclass(frozen=True, slots=True)
class DrawdownPeriod:
    """One drawdown episode: peak, trough, recovery (None while open), depth and length.

    For a Series, ``peak``/``trough``/``recovery`` are index labels; the period before the first
    return has the label given as ``start`` (None when not given). For an array they are
    positions in the wealth index: 0 is the start, ``k`` the wealth after ``k`` returns.
    ``duration`` is ``recovery - peak`` (or ``last - peak`` while open) when both are datetimes.
    """

    depth: float
    peak: Hashable | None
    trough: Hashable | None
    recovery: Hashable | None
    periods: int
    duration: timedelta | None

    @property
    def recovered(self) -> bool:
        """Whether wealth came back to the peak before the series ended."""
        return self.recovery is not None


class _Episodes(NamedTuple):
    """Wealth-index drawdowns and the episodes found in them (positions in the wealth index)."""

    drawdown: FloatArray  # length n + 1, drawdown[0] == 0 is the start
    starts: IntArray  # first underwater position of each episode
    ends: IntArray  # first position back at the peak; n + 1 when still open
    depth: FloatArray  # deepest drawdown of each episode

    @property
    def n(self) -> int:
        return len(self.drawdown) - 1

    def periods(self) -> IntArray:
        last = np.minimum(self.ends, self.n)
        return last - (self.starts - 1)


def _wealth(r: FloatArray) -> FloatArray:
    """Return the wealth index: 1 at the start, then compounded by each return (NaN = 0 %)."""
    wealth = np.empty(r.size + 1)
    wealth[0] = 1.0
    np.cumprod(np.where(np.isnan(r), 1.0, r + 1.0), out=wealth[1:])
    return wealth


def _drawdown(wealth: FloatArray) -> FloatArray:
    """Return ``wealth / running_peak - 1`` at every position of a wealth (or equity) index."""
    peak = np.maximum.accumulate(wealth)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (wealth - peak) / peak


def _episodes(wealth: FloatArray) -> _Episodes:
    drawdown = _drawdown(wealth)
    # A price back at its old high compounds to a wealth a rounding error (~1e-16) below the
    # old peak; such a residue is not a drawdown, so an episode needs a real one.
    under = (drawdown < -UNDERWATER_TOLERANCE).view(np.int8)
    edges = np.diff(under, prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    depth = np.minimum.reduceat(drawdown, starts) if starts.size else np.empty(0)
    return _Episodes(drawdown, starts, ends, depth)


def _label(position: int, index: pd.Index | None, start: Hashable | None) -> Hashable | None:
    if index is None:
        return position
    if position == 0:
        return start
    label: Hashable = index[position - 1]
    return label


def _period(
    eps: _Episodes, k: int, index: pd.Index | None, start: Hashable | None
) -> DrawdownPeriod:
    first, end = int(eps.starts[k]), int(eps.ends[k])
    peak = first - 1
    recovered = end <= eps.n
    last = end if recovered else eps.n
    stretch = eps.drawdown[first : min(end, eps.n + 1)]
    # the first of the lowest points; lows within the tolerance are equal lows
    trough = first + int(np.argmax(stretch <= stretch.min() + UNDERWATER_TOLERANCE))
    peak_label = _label(peak, index, start)
    last_label = _label(last, index, start)
    duration = None
    if isinstance(peak_label, datetime) and isinstance(last_label, datetime):
        duration = pd.Timedelta(last_label - peak_label).to_pytimedelta()
    return DrawdownPeriod(
        depth=float(eps.depth[k]),
        peak=peak_label,
        trough=_label(trough, index, start),
        recovery=last_label if recovered else None,
        periods=last - peak,
        duration=duration,
    )


def _index(returns: ReturnsLike) -> pd.Index | None:
    return returns.index if isinstance(returns, pd.Series) else None


def drawdown_series(returns: ReturnsLike) -> pd.Series | FloatArray:
    """Return the drawdown after each period (same length and index as ``returns``), in [-1, 0].

    empyrical: ``drawdown_series``.
    """
    dd = _drawdown(_wealth(values(returns)))[1:]
    if isinstance(returns, pd.Series):
        return pd.Series(dd, index=returns.index, name="drawdown")
    return dd


def max_drawdown(returns: ReturnsLike) -> float:
    """Return the deepest drawdown, a number in [-1, 0]; NaN for an empty series.

    empyrical: ``max_drawdown``.
    """
    r = values(returns)
    if r.size == 0:
        return math.nan
    return float(_drawdown(_wealth(r)).min())


def drawdown_periods(
    returns: ReturnsLike, *, start: Hashable | None = None
) -> list[DrawdownPeriod]:
    """Return every drawdown episode in time order (the last one may still be open).

    ``start`` labels the moment before the first return (for an equity curve: its first
    timestamp), so that an episode peaking at the start has a date and a duration.
    """
    eps = _episodes(_wealth(values(returns)))
    index = _index(returns)
    return [_period(eps, k, index, start) for k in range(eps.starts.size)]


def max_drawdown_period(
    returns: ReturnsLike, *, start: Hashable | None = None
) -> DrawdownPeriod | None:
    """Return the deepest drawdown episode (the first of equals), or None if there is none."""
    eps = _episodes(_wealth(values(returns)))
    if eps.starts.size == 0:
        return None
    return _period(eps, int(np.argmin(eps.depth)), _index(returns), start)


def max_drawdown_duration(
    returns: ReturnsLike, *, start: Hashable | None = None
) -> DrawdownPeriod | None:
    """Return the longest drawdown episode in periods (the first of equals), or None.

    An open episode counts up to the last period. ``.periods`` is the length in periods and
    ``.duration`` the timedelta (for a DatetimeIndex); ``.peak``, ``.trough`` and ``.recovery``
    say when it happened.
    """
    eps = _episodes(_wealth(values(returns)))
    if eps.starts.size == 0:
        return None
    return _period(eps, int(np.argmax(eps.periods())), _index(returns), start)


def drawdown_summary(
    equity: FloatArray, index: pd.Index | None
) -> tuple[float, DrawdownPeriod | None, DrawdownPeriod | None]:
    """Return ``(max_drawdown, deepest episode, longest episode)`` of an equity curve.

    Works on the account values themselves (exact where prices return to an old high), one
    pass for all three; the labels are ``index`` (the equity's own). For ``compute_metrics``.
    """
    if equity.size < 2:
        return math.nan, None, None
    eps = _episodes(equity)
    depth = float(eps.drawdown.min())
    if eps.starts.size == 0:
        return depth, None, None
    start = index[0] if index is not None else None
    labels = index[1:] if index is not None else None
    deepest = _period(eps, int(np.argmin(eps.depth)), labels, start)
    longest = _period(eps, int(np.argmax(eps.periods())), labels, start)
    return depth, deepest, longest
