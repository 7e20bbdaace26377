"""Return, volatility and risk-adjusted ratios of a periodic simple-return series.

Conventions (``docs/metrics.md`` has the formulas):

* ``returns`` are simple returns per period (``equity[t] / equity[t-1] - 1``), as a NumPy array
  or a pandas Series; ``periods_per_year`` annualizes them (252 for daily equities).
* ``risk_free`` is a return *per period* (an annual 4 % on daily bars is about ``0.04 / 252``).
* NaN, as in empyrical: compounding figures (total and annual return, drawdown) read a NaN as a
  period in which nothing changed (0 %), and it still counts as a period; statistics (mean,
  deviation, quantiles) skip it.
* A figure that is undefined (too few values) is NaN; a ratio over a zero deviation is ±inf, or
  NaN when its numerator is zero too. Nothing here raises on data, only on bad parameters.

Each function equals its empyrical twin named in its docstring wherever both define the figure.
"""

from __future__ import annotations

import math

import numpy as np

from alphaforge.analytics._inputs import (
    ReturnsLike,
    check_periods_per_year,
    finite,
    ratio,
    sample_std,
    values,
)
from alphaforge.analytics.drawdown import max_drawdown

__all__ = [
    "annual_return",
    "annual_volatility",
    "calmar_ratio",
    "downside_risk",
    "omega_ratio",
    "sharpe_ratio",
    "sortino_ratio",
    "total_return",
]

DEFAULT_PERIODS_PER_YEAR = 252


def total_return(returns: ReturnsLike) -> float:
    """Return the compounded return over the whole series, ``prod(1 + r) - 1``.

    NaN for an empty series. empyrical: ``cum_returns_final``.
    """
    r = values(returns)
    if r.size == 0:
        return math.nan
    return float(np.nanprod(r + 1.0)) - 1.0


def annual_return(
    returns: ReturnsLike, periods_per_year: float = DEFAULT_PERIODS_PER_YEAR
) -> float:
    """Return the compound annual growth rate, ``prod(1 + r) ** (periods_per_year / n) - 1``.

    ``n`` counts every period, NaN ones included. A series that lost everything (growth at or
    below zero) has a CAGR of -100 %. NaN for an empty series. empyrical: ``annual_return``.
    """
    ppy = check_periods_per_year(periods_per_year)
    r = values(returns)
    if r.size == 0:
        return math.nan
    growth = float(np.nanprod(r + 1.0))
    if growth <= 0.0:
        return -1.0
    return float(growth ** (1.0 / (r.size / ppy)) - 1.0)


def annual_volatility(
    returns: ReturnsLike, periods_per_year: float = DEFAULT_PERIODS_PER_YEAR
) -> float:
    """Return the annualized standard deviation, ``std(r, ddof=1) * sqrt(periods_per_year)``.

    NaN with fewer than two observations. empyrical: ``annual_volatility``.
    """
    ppy = check_periods_per_year(periods_per_year)
    r = values(returns)
    x = finite(r)
    if r.size < 2 or x.size < 2:
        return math.nan
    return sample_std(x) * math.sqrt(ppy)


def sharpe_ratio(
    returns: ReturnsLike,
    risk_free: float = 0.0,
    periods_per_year: float = DEFAULT_PERIODS_PER_YEAR,
) -> float:
    """Return the annualized Sharpe ratio, ``mean(r - rf) / std(r - rf) * sqrt(periods_per_year)``.

    ``std`` is the sample deviation (ddof=1). A constant series has zero deviation: its ratio is
    ±inf, or NaN when its excess return is zero too. NaN with fewer than two observations.
    empyrical: ``sharpe_ratio``.
    """
    ppy = check_periods_per_year(periods_per_year)
    r = values(returns)
    x = finite(r) - risk_free
    if r.size < 2 or x.size < 2:
        return math.nan
    return ratio(float(x.mean()), sample_std(x)) * math.sqrt(ppy)


def downside_risk(
    returns: ReturnsLike,
    risk_free: float = 0.0,
    periods_per_year: float = DEFAULT_PERIODS_PER_YEAR,
) -> float:
    """Return the annualized downside deviation below ``risk_free`` (the minimum acceptable return).

    ``sqrt(mean(min(r - rf, 0) ** 2)) * sqrt(periods_per_year)``: the mean runs over *all*
    observations, not only the losing ones (Sortino's definition). NaN for an empty series.
    empyrical: ``downside_risk(required_return=risk_free)``.
    """
    ppy = check_periods_per_year(periods_per_year)
    x = finite(values(returns)) - risk_free
    if x.size == 0:
        return math.nan
    below = np.minimum(x, 0.0)
    return math.sqrt(float(np.mean(below * below))) * math.sqrt(ppy)


def sortino_ratio(
    returns: ReturnsLike,
    risk_free: float = 0.0,
    periods_per_year: float = DEFAULT_PERIODS_PER_YEAR,
) -> float:
    """Return the Sortino ratio, ``mean(r - rf) * periods_per_year / downside_risk``.

    ``risk_free`` is the minimum acceptable return per period. A series that never falls below it
    has zero downside risk: its ratio is +inf (NaN when its mean excess is zero too). NaN with
    fewer than two periods. empyrical: ``sortino_ratio(required_return=risk_free)``.
    """
    ppy = check_periods_per_year(periods_per_year)
    r = values(returns)
    x = finite(r) - risk_free
    if r.size < 2 or x.size == 0:
        return math.nan
    below = np.minimum(x, 0.0)
    downside = math.sqrt(float(np.mean(below * below))) * math.sqrt(ppy)
    return ratio(float(x.mean()) * ppy, downside)


def calmar_ratio(returns: ReturnsLike, periods_per_year: float = DEFAULT_PERIODS_PER_YEAR) -> float:
    """Return the Calmar ratio, ``annual_return / |max_drawdown|``.

    NaN when the series never drew down (or the ratio is infinite), as in empyrical:
    ``calmar_ratio``.
    """
    drawdown = max_drawdown(returns)
    if not drawdown < 0.0:
        return math.nan
    value = annual_return(returns, periods_per_year) / -drawdown
    return math.nan if math.isinf(value) else value


def omega_ratio(
    returns: ReturnsLike,
    risk_free: float = 0.0,
    required_return: float = 0.0,
    periods_per_year: float = DEFAULT_PERIODS_PER_YEAR,
) -> float:
    """Return the Omega ratio: gains above the threshold over losses below it.

    The threshold per period is ``risk_free + (1 + required_return) ** (1 / periods_per_year) - 1``
    (``required_return`` is annual; with ``periods_per_year == 1`` it is used as is). Omega is
    ``sum(max(r - t, 0)) / sum(max(t - r, 0))``. NaN with fewer than two periods or an annual
    ``required_return`` at or below -100 %.

    empyrical: ``omega_ratio(annualization=periods_per_year)``. One deliberate difference: with
    gains and no losses Omega is +inf here (empyrical: NaN), the same convention as the
    profit factor of trades; with neither it is NaN in both.
    """
    ppy = check_periods_per_year(periods_per_year)
    r = values(returns)
    if r.size < 2:
        return math.nan
    if ppy == 1:
        threshold = required_return
    elif required_return <= -1.0:
        return math.nan
    else:
        threshold = (1.0 + required_return) ** (1.0 / ppy) - 1.0
    x = finite(r) - risk_free - threshold
    gains = float(x[x > 0.0].sum())
    losses = -float(x[x < 0.0].sum())
    return ratio(gains, losses)
