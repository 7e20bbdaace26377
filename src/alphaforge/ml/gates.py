"""The validation gate a model must pass before it becomes the production model.

A candidate is judged on its out-of-sample metrics only, by two kinds of check:

* **thresholds** -- floors and ceilings on single metrics (``ic >= 0.02``, ``log_loss <= 0.69``,
  ``sharpe >= 0.5``, at least ``n_oos`` rows ...);
* **comparison** -- the candidate must beat the current production model *on the same
  out-of-sample data* by at least ``margin`` on one chosen metric (``compare_on``). With no
  production model yet, the comparison is skipped (and says so).

Every check is written down in words, passed or not, so a rejection carries its reasons; the
registry stores them as tags on the model version (``gate.passed``, ``gate.reasons``).

Metric names used by the built-in thresholds: ``ic`` (Spearman correlation of prediction and
outcome), ``accuracy``, ``log_loss``, ``sharpe`` (the out-of-sample Sharpe ratio of the model's
strategy, if the caller measured it) and ``n_oos`` (the number of out-of-sample rows).

>>> gate = Gate(min_ic=0.02, max_log_loss=0.70, compare_on="ic", margin=0.005)
>>> decision = gate.evaluate({"ic": 0.031, "log_loss": 0.69}, {"ic": 0.024, "log_loss": 0.69})
>>> decision.passed, decision.reasons
(True, ())
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from alphaforge.domain.errors import InvalidValueError

__all__ = ["LOWER_IS_BETTER", "Gate", "GateDecision", "Threshold"]

#: Metrics where a smaller value is better (the comparison with production flips for them).
LOWER_IS_BETTER = frozenset({"log_loss", "error", "rmse", "mse", "mae", "brier"})

Metrics = Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Threshold:
    """A floor (``min``) and/or a ceiling (``max``) on one out-of-sample metric."""

    metric: str
    min: float | None = None
    max: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.metric, str) or not self.metric:
            raise InvalidValueError(f"a threshold needs a metric name, got {self.metric!r}")
        if self.min is None and self.max is None:
            raise InvalidValueError(f"threshold on {self.metric!r}: give min, max or both")
        for bound in (self.min, self.max):
            if bound is not None and not math.isfinite(bound):
                raise InvalidValueError(f"threshold on {self.metric!r}: bound {bound} not finite")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise InvalidValueError(
                f"threshold on {self.metric!r}: min {self.min} is above max {self.max}"
            )

    def check(self, metrics: Metrics) -> tuple[bool, str]:
        """Whether ``metrics`` satisfy this threshold, and the check in words."""
        value = _value(metrics, self.metric)
        if value is None:
            return False, f"{self.metric} is missing from the candidate's metrics"
        if math.isnan(value):
            return False, f"{self.metric} is NaN"
        if self.min is not None and value < self.min:
            return False, f"{self.metric} {value:.6g} is below the minimum {self.min:.6g}"
        if self.max is not None and value > self.max:
            return False, f"{self.metric} {value:.6g} is above the maximum {self.max:.6g}"
        bounds = " and ".join(
            text
            for text in (
                f">= {self.min:.6g}" if self.min is not None else "",
                f"<= {self.max:.6g}" if self.max is not None else "",
            )
            if text
        )
        return True, f"{self.metric} {value:.6g} {bounds}: ok"


@dataclass(frozen=True, slots=True)
class GateDecision:
    """The gate's verdict: ``passed``, the ``reasons`` for a rejection, and every check made."""

    passed: bool
    reasons: tuple[str, ...]
    checks: tuple[str, ...]
    candidate: Mapping[str, float] = field(default_factory=dict)
    production: Mapping[str, float] | None = None

    def summary(self) -> str:
        """One line: ``passed`` or ``rejected: reason; reason``."""
        return "passed" if self.passed else "rejected: " + "; ".join(self.reasons)


def _value(metrics: Metrics, name: str) -> float | None:
    if name not in metrics:
        return None
    try:
        return float(metrics[name])
    except (TypeError, ValueError):
        return math.nan


@dataclass(frozen=True, slots=True)
class Gate:
    """Thresholds on out-of-sample metrics plus "beat production by ``margin``".

    ``min_ic``, ``min_accuracy``, ``max_log_loss``, ``min_sharpe`` and ``min_oos_rows`` are
    shorthands for :class:`Threshold` s; ``thresholds`` adds any others. ``compare_on`` names
    the metric on which the candidate must beat production (``None``: no comparison); for
    metrics in :data:`LOWER_IS_BETTER` the candidate must be lower by ``margin``.
    """

    min_ic: float | None = None
    min_accuracy: float | None = None
    max_log_loss: float | None = None
    min_sharpe: float | None = None
    min_oos_rows: int | None = None
    thresholds: tuple[Threshold, ...] = ()
    compare_on: str | None = "ic"
    margin: float = 0.0

    def __post_init__(self) -> None:
        if not math.isfinite(self.margin) or self.margin < 0:
            raise InvalidValueError(f"gate margin must be a finite number >= 0, got {self.margin}")
        if self.compare_on is not None and not self.compare_on:
            raise InvalidValueError("gate compare_on must name a metric or be None")
        if self.min_oos_rows is not None and self.min_oos_rows < 1:
            raise InvalidValueError(f"gate min_oos_rows must be >= 1, got {self.min_oos_rows}")
        self.all_thresholds()  # validate the shorthands now, not at the first evaluation

    def all_thresholds(self) -> tuple[Threshold, ...]:
        """The shorthands as :class:`Threshold` s, followed by ``thresholds``."""
        shorthands = (
            ("ic", self.min_ic, None),
            ("accuracy", self.min_accuracy, None),
            ("log_loss", None, self.max_log_loss),
            ("sharpe", self.min_sharpe, None),
            ("n_oos", self.min_oos_rows, None),
        )
        made = tuple(
            Threshold(metric, low, high)
            for metric, low, high in shorthands
            if low is not None or high is not None
        )
        return made + tuple(self.thresholds)

    def evaluate(self, candidate: Metrics, production: Metrics | None = None) -> GateDecision:
        """Judge ``candidate`` (out-of-sample metrics) against the thresholds and ``production``
        (the production model's metrics on the *same* out-of-sample data, or None if there is
        no production model)."""
        checks: list[str] = []
        reasons: list[str] = []
        for threshold in self.all_thresholds():
            ok, text = threshold.check(candidate)
            checks.append(text)
            if not ok:
                reasons.append(text)
        ok, text = self._compare(candidate, production)
        checks.append(text)
        if not ok:
            reasons.append(text)
        return GateDecision(
            passed=not reasons,
            reasons=tuple(reasons),
            checks=tuple(checks),
            candidate=dict(candidate),
            production=None if production is None else dict(production),
        )

    def _compare(self, candidate: Metrics, production: Metrics | None) -> tuple[bool, str]:
        metric = self.compare_on
        if metric is None:
            return True, "no comparison with production asked"
        if production is None:
            return True, "no production model yet: comparison skipped"
        new, old = _value(candidate, metric), _value(production, metric)
        if new is None or old is None:
            whose = "candidate's" if new is None else "production model's"
            return False, f"{metric} is missing from the {whose} metrics: cannot compare"
        if math.isnan(new) or math.isnan(old):
            return False, f"{metric} is NaN (candidate {new}, production {old}): cannot compare"
        lower = metric in LOWER_IS_BETTER
        ok = new <= old - self.margin if lower else new >= old + self.margin
        direction = "lower" if lower else "higher"
        if ok:
            return True, f"{metric} {new:.6g} vs production {old:.6g} ({direction} is better): ok"
        return False, (
            f"{metric} {new:.6g} does not beat production {old:.6g} by the margin "
            f"{self.margin:g} ({direction} is better)"
        )
