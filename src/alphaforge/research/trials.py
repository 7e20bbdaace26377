"""What one evaluated parameter set reports, and how objectives and constraints read it.

An *objective* is any picklable callable ``params -> Trial`` (``alphaforge.runtime.objective``
builds them from a strategy and its data). A :class:`Trial` carries the run's metrics (the
``alphaforge.analytics.Metrics`` names: ``sharpe_ratio``, ``max_drawdown``, ...) and the
per-block moments of its bar returns, so the probability of backtest overfitting can be
computed over thousands of trials without keeping their return series.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from alphaforge.core.jit import jit
from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "FAST_METRICS",
    "Constraint",
    "Objective",
    "Score",
    "Trial",
    "moments_of",
    "parse_constraint",
    "return_metrics",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]

#: Metrics every objective reports, on both engines (the rest need the event engine's trades).
FAST_METRICS = (
    "total_return",
    "annual_return",
    "annual_volatility",
    "sharpe_ratio",
    "sortino_ratio",
    "calmar_ratio",
    "max_drawdown",
    "number_of_trades",
    "final_equity",
)


@dataclass(frozen=True)
class Trial:
    """One parameter set's outcome.

    ``metrics``: floats (NaN where undefined). ``moments``: shape (3, n_splits): count, sum and
    sum of squares of the bar returns in each of ``n_splits`` equal slices of the run (the input
    of ``pbo_from_moments``). ``error``: why the set did not run (parameters the strategy
    refuses, such as fast >= slow); such sets are not counted as trials.
    """

    params: Mapping[str, Any]
    metrics: Mapping[str, float] = field(default_factory=dict)
    moments: FloatArray | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the set ran."""
        return self.error is None


class Objective(Protocol):
    """Evaluates one parameter set; must be picklable to run on a process pool or Ray."""

    @property
    def n_splits(self) -> int:
        """CSCV blocks each trial reports moments for."""
        ...

    def __call__(self, params: Mapping[str, Any]) -> Trial: ...

    def returns(self, params: Mapping[str, Any]) -> pd.Series:
        """The per-bar returns of one set (for the selected set's statistics)."""
        ...

    def describe(self) -> dict[str, Any]:
        """What it runs (strategy, data, period, settings): part of a study's identity."""
        ...


def return_metrics(equity: FloatArray, periods_per_year: float, trades: int) -> dict[str, float]:
    """:data:`FAST_METRICS` of an equity curve: the figures ``compute_metrics`` gives (same
    definitions, NaN rules and sample deviations; equal to ~1e-13), in one compiled pass, since
    an optimizer asks for them thousands of times."""
    total, annual, vol, sharpe, sortino, drawdown = _figures(
        np.ascontiguousarray(equity, dtype=np.float64), float(periods_per_year)
    )
    calmar = annual / -drawdown if drawdown < 0 else math.nan
    return {
        "total_return": total,
        "annual_return": annual,
        "annual_volatility": vol,
        "sharpe_ratio": sharpe,
        "sortino_ratio": sortino,
        "calmar_ratio": calmar if math.isfinite(calmar) else math.nan,
        "max_drawdown": drawdown,
        "number_of_trades": float(trades),
        "final_equity": float(equity[-1]),
    }


# error_model numpy: x / 0 is ±inf and 0 / 0 NaN, as in NumPy (no ZeroDivisionError).
@jit(error_model="numpy")
def _ratio(numerator: float, denominator: float) -> float:
    """``analytics._inputs.ratio``: zero denominators give ±inf, or NaN over zero."""
    if math.isnan(numerator) or math.isnan(denominator):
        return math.nan
    if denominator == 0.0:
        return math.nan if numerator == 0.0 else math.copysign(math.inf, numerator)
    return numerator / denominator


@jit(error_model="numpy")
def _figures(eq: FloatArray, ppy: float) -> tuple[float, float, float, float, float, float]:
    """Total and annual return, volatility, Sharpe, Sortino and max drawdown of the returns
    ``eq[t] / eq[t-1] - 1`` (a NaN return, 0 / 0, is skipped as ``analytics`` skips it)."""
    n = eq.shape[0] - 1
    nan = math.nan
    if n <= 0:
        return nan, nan, nan, nan, nan, nan
    growth, count, total_sum, low, high = 1.0, 0, 0.0, math.inf, -math.inf
    below, peak, deepest = 0.0, 1.0, 0.0
    for t in range(1, n + 1):
        r = eq[t] / eq[t - 1] - 1.0
        if not math.isnan(r):
            growth *= r + 1.0
            count += 1
            total_sum += r
            low, high = min(low, r), max(high, r)
            below += min(r, 0.0) ** 2
        peak = max(peak, growth)
        deepest = min(deepest, (growth - peak) / peak)
    total = growth - 1.0
    annual = -1.0 if growth <= 0.0 else growth ** (1.0 / (n / ppy)) - 1.0
    if n < 2 or count == 0:
        return total, annual, nan, nan, nan, deepest
    mean = total_sum / count
    sortino = _ratio(mean * ppy, math.sqrt(below / count) * math.sqrt(ppy))
    if count < 2:
        return total, annual, nan, nan, sortino, deepest
    dev = 0.0
    for t in range(1, n + 1):
        r = eq[t] / eq[t - 1] - 1.0
        if not math.isnan(r):
            dev += (r - mean) ** 2
    std = 0.0 if high == low else math.sqrt(dev / (count - 1))
    return total, annual, std * math.sqrt(ppy), _ratio(mean, std) * math.sqrt(ppy), sortino, deepest


_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_CONSTRAINT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|>|<)\s*(\S+)\s*$")


@dataclass(frozen=True)
class Constraint:
    """``metric op value``, e.g. ``max_drawdown >= -0.2`` (drawdowns are negative fractions)."""

    metric: str
    op: str
    value: float

    def holds(self, metrics: Mapping[str, float]) -> bool:
        """Whether a trial meets it (an undefined metric does not)."""
        x = metrics.get(self.metric, math.nan)
        return bool(math.isfinite(x) and _OPS[self.op](x, self.value))

    def violation(self, metrics: Mapping[str, float]) -> float:
        """How far a trial misses it (<= 0: met): Optuna's constrained samplers read this."""
        x = metrics.get(self.metric, math.nan)
        if not math.isfinite(x):
            return 1.0
        gap = self.value - x if self.op in (">=", ">") else x - self.value
        return gap if gap > 0 or self.holds(metrics) else 1e-12

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


def parse_constraint(text: str) -> Constraint:
    """``"max_drawdown >= -0.2"`` or ``"number_of_trades>=10"`` -> a :class:`Constraint`."""
    found = _CONSTRAINT.match(text)
    if not found:
        raise InvalidValueError(
            f"constraint {text!r} is not METRIC OP VALUE (OP one of >=, <=, >, <), "
            "e.g. 'max_drawdown >= -0.2'"
        )
    name, op, raw = found.groups()
    try:
        value = float(raw)
    except ValueError:
        raise InvalidValueError(f"constraint {text!r}: {raw!r} is not a number") from None
    return Constraint(name, op, value)


@dataclass(frozen=True)
class Score:
    """What an optimization maximizes or minimizes: metric names (several for a Pareto front,
    with one direction each) or one function of the metrics dict (maximized)."""

    names: tuple[str, ...]
    directions: tuple[str, ...]
    function: Callable[[Mapping[str, float]], float] | None = None

    @classmethod
    def of(
        cls,
        metric: str | Sequence[str] | Callable[[Mapping[str, float]], float],
        direction: str | Sequence[str] | None = None,
    ) -> Score:
        """Build from ``optimize``'s ``metric``/``direction`` arguments."""
        if callable(metric):
            name = getattr(metric, "__name__", "objective")
            single = direction if isinstance(direction, str) else "maximize"
            return cls((name,), (_direction(single),), metric)
        names = (metric,) if isinstance(metric, str) else tuple(metric)
        if not names:
            raise InvalidValueError("give at least one metric to optimize")
        if direction is None:
            dirs = tuple("minimize" if _lower_is_better(n) else "maximize" for n in names)
        elif isinstance(direction, str):
            dirs = (_direction(direction),) * len(names)
        else:
            dirs = tuple(_direction(d) for d in direction)
        if len(dirs) != len(names):
            raise InvalidValueError(f"{len(names)} metrics but {len(dirs)} directions")
        return cls(names, dirs)

    def values(self, metrics: Mapping[str, float]) -> tuple[float, ...]:
        """The score of one trial (NaN where a metric is undefined)."""
        if self.function is not None:
            return (float(self.function(metrics)),)
        missing = [n for n in self.names if n not in metrics]
        if missing:
            raise InvalidValueError(
                f"the runs report no metric {missing[0]!r}; known: {', '.join(sorted(metrics))}"
            )
        return tuple(float(metrics[n]) for n in self.names)

    def key(self, values: Sequence[float]) -> float:
        """Sort key of a single-objective score: higher is better, NaN worst."""
        x = values[0]
        if not math.isfinite(x):
            return -math.inf
        return x if self.directions[0] == "maximize" else -x


def _direction(text: str) -> str:
    if text not in ("maximize", "minimize"):
        raise InvalidValueError(f"direction must be 'maximize' or 'minimize', got {text!r}")
    return text


def _lower_is_better(metric: str) -> bool:
    return metric in ("annual_volatility", "downside_risk", "tracking_error", "total_costs")


def moments_of(returns: FloatArray, n_splits: int) -> FloatArray:
    """Count, sum and sum of squares of ``returns`` in each of the ``n_splits`` CSCV blocks
    (shape (3, n_splits), the blocks of ``overfitting.block_moments``): all CSCV needs of one
    trial, three floats a block instead of its whole series."""
    from alphaforge.research.overfitting import block_moments  # noqa: PLC0415

    found = block_moments(returns, n_splits)
    return np.stack([found.counts[0], found.sums[0], found.squares[0]])
