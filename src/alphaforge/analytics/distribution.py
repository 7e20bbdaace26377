"""The shape of a return distribution: VaR, CVaR, tail ratio, skew, kurtosis, stability.

NaN observations are skipped by every function here (they are missing values, not returns).

**Sign convention of VaR and CVaR**: they are *returns*, like empyrical's: the 95 % VaR is the
5th percentile of the period returns, usually a negative number (-0.02 = "on 1 period in 20 we
lose 2 % or more"); CVaR (expected shortfall) is the mean return at or beyond it, more negative.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Literal

import numpy as np

from alphaforge.analytics._inputs import FloatArray, ReturnsLike, finite, ratio, sample_std, values
from alphaforge.core.suggest import did_you_mean
from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "VarMethod",
    "conditional_value_at_risk",
    "kurtosis",
    "skew",
    "stability_of_timeseries",
    "tail_ratio",
    "value_at_risk",
]

VarMethod = Literal["historical", "gaussian"]
_METHODS = ("historical", "gaussian")
_STANDARD_NORMAL = NormalDist()


def _tail(confidence: float, method: str) -> float:
    """Return the tail probability ``1 - confidence`` (0.95 gives exactly 0.05)."""
    if method not in _METHODS:
        raise InvalidValueError(
            f"unknown VaR method {method!r}; expected one of {', '.join(_METHODS)}"
            f"{did_you_mean(method, _METHODS)}"
        )
    if not 0.0 < confidence < 1.0:
        raise InvalidValueError(f"confidence must lie strictly between 0 and 1; got {confidence!r}")
    # Rounded so that 1 - 0.95 is the float 0.05, not 0.050000000000000044: the historical CVaR
    # truncates (n - 1) * tail to an index, and the excess could move it by one.
    return round(1.0 - confidence, 12)


def value_at_risk(
    returns: ReturnsLike, confidence: float = 0.95, *, method: VarMethod = "historical"
) -> float:
    """Return the value at risk at ``confidence`` as a return (negative = loss).

    ``historical``: the ``1 - confidence`` quantile of the returns (linear interpolation, as
    ``np.percentile``); empyrical: ``value_at_risk(cutoff=1 - confidence)``, which returns NaN as
    soon as one value is NaN where this skips it.
    ``gaussian``: ``mean + std * z`` with ``z`` the standard normal ``1 - confidence`` quantile
    and the sample deviation (ddof=1).
    NaN without observations (``gaussian``: fewer than two).
    """
    tail = _tail(confidence, method)
    x = finite(values(returns))
    if method == "historical":
        return float(np.percentile(x, 100.0 * tail)) if x.size else math.nan
    if x.size < 2:
        return math.nan
    return float(x.mean()) + sample_std(x) * _STANDARD_NORMAL.inv_cdf(tail)


def conditional_value_at_risk(
    returns: ReturnsLike, confidence: float = 0.95, *, method: VarMethod = "historical"
) -> float:
    """Return the conditional value at risk (expected shortfall) as a return (negative = loss).

    ``historical``: the mean of the ``k + 1`` lowest returns, ``k = floor((n - 1) * (1 -
    confidence))``; empyrical: ``conditional_value_at_risk(cutoff=1 - confidence)``.
    ``gaussian``: ``mean - std * pdf(z) / (1 - confidence)``, the normal distribution's mean
    below its VaR. NaN without observations (``gaussian``: fewer than two).
    """
    tail = _tail(confidence, method)
    x = finite(values(returns))
    if method == "historical":
        if x.size == 0:
            return math.nan
        k = int((x.size - 1) * tail)
        return float(np.mean(np.partition(x, k)[: k + 1]))
    if x.size < 2:
        return math.nan
    z = _STANDARD_NORMAL.inv_cdf(tail)
    return float(x.mean()) - sample_std(x) * _STANDARD_NORMAL.pdf(z) / tail


def tail_ratio(returns: ReturnsLike) -> float:
    """Return ``|95th percentile| / |5th percentile|`` of the returns.

    0.25 means the left tail (losses) is four times as long as the right. A zero 5th percentile
    gives +inf (NaN if both are zero). empyrical: ``tail_ratio``.
    """
    x = finite(values(returns))
    if x.size == 0:
        return math.nan
    right, left = np.percentile(x, [95.0, 5.0])
    return ratio(abs(float(right)), abs(float(left)))


def stability_of_timeseries(returns: ReturnsLike) -> float:
    """Return the R² of a straight-line fit to the cumulative log returns.

    Near 1: steady compounding; near 0: no trend. NaN with fewer than two observations, a
    return of -100 % or worse, or a flat line (all returns zero: R² is 0/0; empyrical, through
    ``scipy.stats.linregress``, says 0 there). empyrical: ``stability_of_timeseries``.
    """
    r = values(returns)
    x = finite(r)
    if r.size < 2 or x.size < 2:
        return math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.cumsum(np.log1p(x))
    if not math.isfinite(float(y[-1])):
        return math.nan
    t = np.arange(x.size, dtype=np.float64)
    t -= t.mean()
    y -= y.mean()
    syy = float(y @ y)
    if syy == 0.0:
        return math.nan
    r_value = float(t @ y) / math.sqrt(float(t @ t) * syy)
    r_value = min(1.0, max(-1.0, r_value))
    return r_value * r_value


def _central_moments(x: FloatArray) -> tuple[float, float, float] | None:
    """Return the population central moments (m2, m3, m4), or None when the variance is zero.

    "Zero" as in ``scipy.stats``: at or below the rounding noise of the mean.
    """
    if x.size == 0:
        return None
    mean = float(x.mean())
    d = x - mean
    d2 = d * d
    m2 = float(d2.mean())
    if m2 <= (np.finfo(np.float64).eps * mean) ** 2:
        return None
    return m2, float((d2 * d).mean()), float((d2 * d2).mean())


def skew(returns: ReturnsLike) -> float:
    """Return the sample skewness ``m3 / m2**1.5`` (population moments, no bias correction).

    NaN without observations or with zero variance. Equals ``scipy.stats.skew`` (empyrical's
    ``SIMPLE_STAT_FUNCS`` use it) on the returns with NaN removed.
    """
    moments = _central_moments(finite(values(returns)))
    if moments is None:
        return math.nan
    m2, m3, _ = moments
    return float(m3 / m2**1.5)


def kurtosis(returns: ReturnsLike) -> float:
    """Return the excess kurtosis ``m4 / m2**2 - 3`` (0 for a normal distribution).

    Population moments, no bias correction; NaN without observations or with zero variance.
    Equals ``scipy.stats.kurtosis`` (Fisher) on the returns with NaN removed.
    """
    moments = _central_moments(finite(values(returns)))
    if moments is None:
        return math.nan
    m2, _, m4 = moments
    return m4 / (m2 * m2) - 3.0
