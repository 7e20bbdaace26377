"""Input coercion and small numeric helpers shared by the metric modules.

Every metric accepts a periodic simple-return series as a NumPy array or a pandas Series and works
on a float64 view of it; these helpers do that conversion once, validate the few parameters that
all metrics share, and give one definition of "a ratio whose denominator is zero".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "FloatArray",
    "ReturnsLike",
    "aligned_pairs",
    "check_periods_per_year",
    "finite",
    "ratio",
    "sample_std",
    "utc_nanos",
    "values",
]

FloatArray: TypeAlias = NDArray[np.float64]
ReturnsLike: TypeAlias = "pd.Series | NDArray[np.floating] | Sequence[float]"


def values(returns: ReturnsLike, *, name: str = "returns") -> FloatArray:
    """Return ``returns`` as a 1-D float64 array (no copy when it already is one)."""
    if isinstance(returns, pd.Series):
        arr = returns.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        arr = np.asarray(returns, dtype=np.float64)
    if arr.ndim != 1:
        raise InvalidValueError(
            f"{name} must be one-dimensional; got an array of shape {arr.shape}"
        )
    return arr


def finite(arr: FloatArray) -> FloatArray:
    """Return the values of ``arr`` that are not NaN (the observations a statistic uses)."""
    mask = np.isnan(arr)
    return arr[~mask] if mask.any() else arr


def utc_nanos(index: pd.DatetimeIndex) -> NDArray[np.int64]:
    """Return the stamps as int64 nanoseconds since the epoch (UTC for an aware index).

    pandas 3 indexes may hold seconds, milliseconds or microseconds; ``asi8`` is in the index's
    own unit, so stamps are put in nanoseconds before two indexes are compared. NaT stays the
    int64 minimum.
    """
    return np.asarray(index.as_unit("ns").asi8, dtype=np.int64)


def check_periods_per_year(periods_per_year: float) -> float:
    """Validate an annualization factor: a finite number of periods per year above zero."""
    value = float(periods_per_year)
    if not math.isfinite(value) or value <= 0:
        raise InvalidValueError(
            f"periods_per_year must be a positive number; got {periods_per_year!r}"
        )
    return value


def sample_std(x: FloatArray) -> float:
    """Return the sample standard deviation (ddof=1) of ``x``, exactly 0 when ``x`` is constant.

    The two-pass deviation of identical values can leave a residue near 1e-18 (the mean differs
    from them in the last bit); a ratio over that residue would be an arbitrary huge number
    instead of infinity. empyrical applies the same rule. Needs at least two values.
    """
    if x.max() == x.min():
        return 0.0
    return float(x.std(ddof=1))


def ratio(numerator: float, denominator: float) -> float:
    """Divide by a non-negative ``denominator``; zero gives ±inf, or NaN when both are zero.

    This is NumPy's (and empyrical's) behaviour for float division, without the warning.
    """
    if math.isnan(numerator) or math.isnan(denominator):
        return math.nan
    if denominator == 0.0:
        if numerator == 0.0:
            return math.nan
        return math.copysign(math.inf, numerator)
    return numerator / denominator


def aligned_pairs(returns: ReturnsLike, benchmark: ReturnsLike) -> tuple[FloatArray, FloatArray]:
    """Return the paired observations of two return series, both present (not NaN).

    Two Series are matched on their index labels (like empyrical's alignment, an observation
    missing from either side is dropped); otherwise the inputs must have the same length and are
    matched by position.
    """
    if (
        isinstance(returns, pd.Series)
        and isinstance(benchmark, pd.Series)
        and not returns.index.equals(benchmark.index)
    ):
        returns, benchmark = returns.align(benchmark, join="inner")
    y = values(returns)
    x = values(benchmark, name="benchmark returns")
    if y.shape != x.shape:
        raise InvalidValueError(
            "returns and benchmark returns must have the same length when they are not both "
            f"pandas Series; got {y.size} and {x.size}"
        )
    both = ~(np.isnan(y) | np.isnan(x))
    if not both.all():
        return y[both], x[both]
    return y, x
