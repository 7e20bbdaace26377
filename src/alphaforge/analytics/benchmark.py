"""Figures relative to a benchmark: beta, alpha, tracking error, information ratio.

``returns`` and ``benchmark`` are periodic simple returns. Two pandas Series are matched on their
index labels; arrays (or a Series with an array) are matched by position and must have the same
length. Only periods where both returns are present (not NaN) are used, like empyrical.

The *active return* of a period is ``r - b``. Annualization:

* tracking error = ``std(r - b, ddof=1) * sqrt(periods_per_year)``;
* information ratio = ``mean(r - b) * periods_per_year / tracking error``, i.e. empyrical's
  (un-annualized) ``excess_sharpe`` times ``sqrt(periods_per_year)``;
* alpha = ``(1 + mean((r - rf) - beta * (b - rf))) ** periods_per_year - 1`` (compounded, as
  empyrical's ``alpha``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from alphaforge.analytics._inputs import (
    FloatArray,
    ReturnsLike,
    aligned_pairs,
    check_periods_per_year,
    ratio,
    sample_std,
    utc_nanos,
)
from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "alpha",
    "alpha_beta",
    "benchmark_returns",
    "beta",
    "excess_sharpe",
    "information_ratio",
    "tracking_error",
]

_MIN_VARIANCE = 1.0e-30  # below this the benchmark is flat and beta undefined (as empyrical)


def _beta(y: FloatArray, x: FloatArray) -> float:
    if y.size < 2:
        return math.nan
    residual = x - x.mean()
    variance = float(np.mean(residual * residual))
    if variance < _MIN_VARIANCE:
        return math.nan
    return float(np.mean(residual * y)) / variance


def _alpha(y: FloatArray, x: FloatArray, b: float, risk_free: float, ppy: float) -> float:
    if y.size < 2 or math.isnan(b):
        return math.nan
    excess = (y - risk_free) - b * (x - risk_free)
    return float((1.0 + float(excess.mean())) ** ppy - 1.0)


def beta(returns: ReturnsLike, benchmark: ReturnsLike) -> float:
    """Return the beta ``cov(r, b) / var(b)`` (population moments over the paired periods).

    NaN with fewer than two pairs or a flat benchmark. empyrical: ``beta``.
    """
    y, x = aligned_pairs(returns, benchmark)
    return _beta(y, x)


def alpha(
    returns: ReturnsLike,
    benchmark: ReturnsLike,
    risk_free: float = 0.0,
    periods_per_year: float = 252,
) -> float:
    """Return the annualized (compounded) Jensen's alpha against ``benchmark``.

    ``risk_free`` is per period. NaN where beta is. empyrical: ``alpha``.
    """
    return alpha_beta(returns, benchmark, risk_free, periods_per_year)[0]


def alpha_beta(
    returns: ReturnsLike,
    benchmark: ReturnsLike,
    risk_free: float = 0.0,
    periods_per_year: float = 252,
) -> tuple[float, float]:
    """Return ``(alpha, beta)`` in one pass. empyrical: ``alpha_beta``."""
    ppy = check_periods_per_year(periods_per_year)
    y, x = aligned_pairs(returns, benchmark)
    b = _beta(y, x)
    return _alpha(y, x, b, risk_free, ppy), b


def excess_sharpe(returns: ReturnsLike, benchmark: ReturnsLike) -> float:
    """Return ``mean(r - b) / std(r - b, ddof=1)`` per period (not annualized).

    Zero tracking error gives ±inf (NaN if the mean is zero too); NaN with fewer than two pairs.
    empyrical: ``excess_sharpe``.
    """
    y, x = aligned_pairs(returns, benchmark)
    if y.size < 2:
        return math.nan
    active = y - x
    return ratio(float(active.mean()), sample_std(active))


def tracking_error(
    returns: ReturnsLike, benchmark: ReturnsLike, periods_per_year: float = 252
) -> float:
    """Return the annualized tracking error ``std(r - b, ddof=1) * sqrt(periods_per_year)``.

    NaN with fewer than two pairs.
    """
    ppy = check_periods_per_year(periods_per_year)
    y, x = aligned_pairs(returns, benchmark)
    if y.size < 2:
        return math.nan
    return sample_std(y - x) * math.sqrt(ppy)


def information_ratio(
    returns: ReturnsLike, benchmark: ReturnsLike, periods_per_year: float = 252
) -> float:
    """Return the annualized information ratio ``mean(r - b) * ppy / tracking_error``.

    Equal to ``excess_sharpe * sqrt(periods_per_year)``; same undefined cases.
    """
    ppy = check_periods_per_year(periods_per_year)
    return excess_sharpe(returns, benchmark) * math.sqrt(ppy)


def benchmark_returns(levels: pd.Series, index: pd.Index) -> FloatArray:
    """Return the benchmark's simple returns over the intervals of ``index`` (len(index) - 1).

    ``levels`` is a price or equity series of the benchmark. Its level at each stamp of ``index``
    is the last non-NaN level stamped at or before it (an as-of join: nothing from the future),
    so the returns cover exactly the intervals between consecutive stamps of ``index``, the same
    as an equity curve's returns. Before the benchmark's first level the returns are NaN. Unless
    the two indexes are equal (then the levels are used as they are, NaN included), both must be
    DatetimeIndexes, both timezone-aware (UTC), or the join would be a guess.
    """
    if levels.index.equals(index):
        level = levels.to_numpy(dtype=np.float64, na_value=np.nan)
        return _simple_returns(level)
    bench_index, wanted_index = levels.index, index
    if not isinstance(bench_index, pd.DatetimeIndex) or not isinstance(
        wanted_index, pd.DatetimeIndex
    ):
        raise InvalidValueError(
            "a benchmark is aligned on timestamps: the equity and the benchmark need a "
            f"DatetimeIndex; got {type(index).__name__} and {type(levels.index).__name__}"
        )
    if bench_index.tz is None or wanted_index.tz is None:
        raise InvalidValueError(
            "benchmark and equity timestamps must be timezone-aware (UTC); got a naive index"
        )
    clean = levels.dropna()
    if clean.empty:
        return np.full(max(len(index) - 1, 0), np.nan)
    if not clean.index.is_monotonic_increasing:
        clean = clean.sort_index()
    stamps = utc_nanos(pd.DatetimeIndex(clean.index))
    wanted = utc_nanos(wanted_index)
    at = np.searchsorted(stamps, wanted, side="right") - 1
    level = clean.to_numpy(dtype=np.float64)[np.maximum(at, 0)]
    level[at < 0] = np.nan
    return _simple_returns(level)


def _simple_returns(level: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = level[1:] / level[:-1] - 1.0
    return out
