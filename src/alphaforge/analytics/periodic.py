"""Figures over time for the tearsheet, and how many periods a year an index has.

* ``rolling_sharpe`` / ``rolling_volatility``: the figure over each trailing window, the same
  length and index as the returns (NaN until the first full window).
* ``monthly_returns`` / ``yearly_returns``: returns compounded per calendar month / year of the
  index's timezone (UTC for alphaforge data), for the heatmap and the yearly bars.
* ``infer_periods_per_year``: the annualization factor implied by a DatetimeIndex.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from alphaforge.analytics._inputs import ReturnsLike, check_periods_per_year, utc_nanos, values
from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "infer_periods_per_year",
    "monthly_returns",
    "rolling_sharpe",
    "rolling_volatility",
    "yearly_returns",
]

_NS_PER_DAY = 86_400 * 1_000_000_000
_WEEKEND_SHARE = 0.2  # a 24/7 market has 2/7 ≈ 0.29 of its bars on weekends, an exchange none
# (upper bound of the median bar spacing in days, periods per year)
_SPACINGS = ((4.0, 0), (10.0, 52), (45.0, 12), (135.0, 4), (math.inf, 1))


def _series(returns: ReturnsLike) -> pd.Series:
    if isinstance(returns, pd.Series):
        return returns.astype(np.float64)
    return pd.Series(values(returns))


def _check_window(window: int) -> int:
    if int(window) != window or window < 2:
        raise InvalidValueError(f"window must be an integer of at least 2; got {window!r}")
    return int(window)


def _rolling_std(s: pd.Series, window: int) -> pd.Series:
    # NaN values are skipped inside a window, like the scalar functions; a window needs two
    # observations. pandas returns an exact 0 for a window of equal values.
    std = s.rolling(window, min_periods=2).std(ddof=1)
    std.iloc[: window - 1] = np.nan
    return std


def rolling_volatility(
    returns: ReturnsLike, window: int = 63, periods_per_year: float = 252
) -> pd.Series:
    """Return the annualized volatility over each trailing ``window`` of periods.

    Each value equals ``annual_volatility`` of the window that ends there (to rounding: pandas
    updates the window incrementally). An array input gets a RangeIndex.
    """
    ppy = check_periods_per_year(periods_per_year)
    s = _series(returns)
    out = _rolling_std(s, _check_window(window)) * math.sqrt(ppy)
    return out.rename("rolling_volatility")


def rolling_sharpe(
    returns: ReturnsLike,
    window: int = 126,
    risk_free: float = 0.0,
    periods_per_year: float = 252,
) -> pd.Series:
    """Return the annualized Sharpe ratio over each trailing ``window`` of periods.

    Each value equals ``sharpe_ratio`` of the window that ends there (to rounding), ±inf or NaN
    for a window of equal returns as there.
    """
    ppy = check_periods_per_year(periods_per_year)
    window = _check_window(window)
    excess = _series(returns) - risk_free
    mean = excess.rolling(window, min_periods=1).mean().to_numpy()
    std = _rolling_std(excess, window).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        sharpe = mean / std * math.sqrt(ppy)
    return pd.Series(sharpe, index=excess.index, name="rolling_sharpe")


def _datetime_index(returns: pd.Series) -> pd.DatetimeIndex:
    if not isinstance(returns, pd.Series) or not isinstance(returns.index, pd.DatetimeIndex):
        raise InvalidValueError(
            "calendar returns need a pandas Series with a DatetimeIndex; "
            f"got {type(returns).__name__}"
        )
    return returns.index


def monthly_returns(returns: pd.Series) -> pd.DataFrame:
    """Return compounded returns per calendar month: one row per year, columns 1 to 12.

    A NaN return counts as 0 %; a month without any period is NaN. empyrical:
    ``aggregate_returns(returns, "monthly")`` (unstacked).
    """
    index = _datetime_index(returns)
    growth = returns.fillna(0.0) + 1.0
    by_month = growth.groupby([index.year.rename("year"), index.month.rename("month")]).prod()
    table = (by_month - 1.0).unstack("month").reindex(columns=range(1, 13))
    table.columns.name = "month"
    return table


def yearly_returns(returns: pd.Series) -> pd.Series:
    """Return compounded returns per calendar year, indexed by year.

    A NaN return counts as 0 %. empyrical: ``aggregate_returns(returns, "yearly")``.
    """
    index = _datetime_index(returns)
    growth = returns.fillna(0.0) + 1.0
    return (growth.groupby(index.year.rename("year")).prod() - 1.0).rename("return")


def infer_periods_per_year(index: pd.Index, default: int = 252) -> int:
    """Return the number of periods per year that the spacing of ``index`` implies.

    From the median spacing between consecutive stamps:

    * about a day (under 4 days): 252, or 365 when at least a fifth of the stamps fall on a
      Saturday or Sunday, UTC (a market that trades every day, such as crypto);
    * under a day: bars per day times those days per year. For a market with weekend stamps
      (around the clock) bars per day is one day over the spacing (5-minute crypto bars:
      365 × 288); otherwise it is the median number of stamps per UTC calendar date (390
      one-minute bars of a 6.5-hour equity session: 252 × 390; hourly FX: 252 × 24);
    * about a week (under 10 days) 52, a month (under 45) 12, a quarter (under 135) 4, else 1.

    ``default`` when the index is not a DatetimeIndex or has fewer than two distinct stamps.
    A guess from the data, so callers who know better pass ``periods_per_year`` themselves.
    """
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 2:
        return default
    stamps = utc_nanos(index)
    steps = np.diff(stamps)
    steps = steps[steps > 0]
    if steps.size == 0:
        return default
    spacing_days = float(np.median(steps)) / _NS_PER_DAY
    # day of the week of the UTC dates, Monday = 0 (1970-01-01 was a Thursday)
    weekday = (stamps // _NS_PER_DAY + 3) % 7
    weekend = float(np.mean(weekday >= 5)) >= _WEEKEND_SHARE
    days_per_year = 365 if weekend else 252
    if spacing_days < 0.75:
        # Around the clock, the clock sets the bars per day (gaps in the data do not); in
        # sessions, count them.
        per_day = max(1, round(1.0 / spacing_days)) if weekend else _bars_per_day(stamps)
        return days_per_year * per_day
    for limit, periods in _SPACINGS:
        if spacing_days < limit:
            return periods or days_per_year
    return default  # pragma: no cover - the last limit is infinite


def _bars_per_day(stamps: np.ndarray) -> int:
    days = np.sort(stamps) // _NS_PER_DAY
    bounds = np.flatnonzero(np.diff(days)) + 1
    counts = np.diff(np.concatenate(([0], bounds, [days.size])))
    return max(1, round(float(np.median(counts))))
