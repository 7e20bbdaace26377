"""A model's life after its first training: retrain, gate, promote or keep, roll back, weigh.

:class:`RetrainingJob` retrains a model on a schedule (every ``every`` bars) or when a drift
event arrives on the bus, logs the candidate in the registry, evaluates it *and* the current
production model on the same out-of-sample data, asks the gate, then promotes the candidate or
keeps the old model, recording the reasons either way. What data to train and evaluate on is
the caller's: ``train_fn(context)`` returns a fitted model, ``evaluate_fn(model, context)`` its
out-of-sample metrics, where ``context`` is whatever ``run`` receives (a data window, a date).

Events (topic ``ml.promotion.*``): :class:`ModelPromoted`, :class:`PromotionRejected`,
:class:`ModelRolledBack`.

:func:`performance_weights` turns trailing scores of several models (e.g. their rolling IC,
:func:`trailing_scores`) into ensemble weights within a floor and a cap.

>>> job = RetrainingJob(train, evaluate, registry, Gate(min_ic=0.02), "spx_dir", every=250, bus=bus)
>>> for bar in bars:
...     if job.tick():                       # due: 250 bars passed or drift was reported
...         outcome = job.run(window_up_to(bar), trigger=job.trigger or "manual")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

import numpy as np
import pandas as pd

from alphaforge.core.bus import MessageBus
from alphaforge.core.logging import get_logger
from alphaforge.domain.errors import InvalidValueError
from alphaforge.ml.base import Model
from alphaforge.ml.drift import DRIFT_TOPIC, DriftDetected, rolling_ic
from alphaforge.ml.gates import Gate, GateDecision
from alphaforge.ml.registry import ModelRegistry, ModelVersion

__all__ = [
    "PROMOTION_TOPIC",
    "ModelPromoted",
    "ModelRolledBack",
    "PromotionRejected",
    "RetrainOutcome",
    "RetrainingJob",
    "Trained",
    "performance_weights",
    "trailing_scores",
]

#: Topic prefix of lifecycle events: ``ml.promotion.promoted`` / ``.rejected`` / ``.rolled_back``.
PROMOTION_TOPIC = "ml.promotion"
C = TypeVar("C")
_log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Trained:
    """A fitted model with what the registry should record about its training."""

    model: Model
    params: Mapping[str, object] = field(default_factory=dict)
    provenance: Mapping[str, object] = field(default_factory=dict)
    data: pd.DataFrame | None = None
    target: pd.Series | None = None


@dataclass(frozen=True, slots=True)
class ModelPromoted:
    """A version became the production model."""

    model: str
    version: int
    previous: int | None
    trigger: str
    metrics: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class PromotionRejected:
    """The gate turned a candidate down; production stays as it was."""

    model: str
    version: int
    production: int | None
    trigger: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ModelRolledBack:
    """Production was moved back to an earlier version."""

    model: str
    from_version: int | None
    to_version: int


@dataclass(frozen=True, slots=True)
class RetrainOutcome:
    """What one retraining did: ``promoted`` the candidate or ``kept`` the old model, and why."""

    action: Literal["promoted", "kept"]
    trigger: str
    candidate: ModelVersion
    production: int | None
    previous: int | None
    decision: GateDecision

    @property
    def promoted(self) -> bool:
        """Whether the candidate is now in production."""
        return self.action == "promoted"

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the gate rejected the candidate (empty when promoted)."""
        return self.decision.reasons


class RetrainingJob(Generic[C]):
    """Retrain ``name`` on schedule or on drift; promote through ``gate`` or keep the old one.

    ``every``: retrain after this many bars (``tick``) since the last run (None: no schedule).
    ``on_drift``: a :class:`DriftDetected` event for this model on ``bus`` makes the job due.
    """

    def __init__(
        self,
        train_fn: Callable[[C], Model | Trained],
        evaluate_fn: Callable[[Model, C], Mapping[str, float]],
        registry: ModelRegistry,
        gate: Gate,
        name: str,
        *,
        every: int | None = None,
        on_drift: bool = True,
        bus: MessageBus | None = None,
    ) -> None:
        if every is not None and every < 1:
            raise InvalidValueError(f"retraining every {every} bars: give a count >= 1 or None")
        self.train_fn, self.evaluate_fn = train_fn, evaluate_fn
        self.registry, self.gate, self.name = registry, gate, name
        self.every, self.bus = every, bus
        self.bars_since_run = 0
        self._drift: DriftDetected | None = None
        self._subscribed = bus is not None and on_drift
        if self._subscribed and bus is not None:
            bus.subscribe(f"{DRIFT_TOPIC}.*", self.on_drift)

    def close(self) -> None:
        """Stop listening to drift events."""
        if self._subscribed and self.bus is not None:
            self.bus.unsubscribe(f"{DRIFT_TOPIC}.*", self.on_drift)
            self._subscribed = False

    def on_drift(self, event: object) -> None:
        """Bus handler: a drift event for this model makes the job due."""
        if isinstance(event, DriftDetected) and event.model == self.name and self._drift is None:
            self._drift = event

    def tick(self, bars: int = 1) -> bool:
        """Count ``bars`` more bars; return whether a retraining is due."""
        self.bars_since_run += bars
        return self.due

    @property
    def due(self) -> bool:
        """Whether drift was reported or the schedule is up."""
        return self.trigger is not None

    @property
    def trigger(self) -> str | None:
        """Why a retraining is due, in words (None if it is not)."""
        if self._drift is not None:
            d = self._drift
            return f"drift: {d.kind} {d.subject} {d.metric} {d.value:.4g} (limit {d.threshold:g})"
        if self.every is not None and self.bars_since_run >= self.every:
            return f"schedule: {self.bars_since_run} bars since the last run"
        return None

    def run_if_due(self, context: C) -> RetrainOutcome | None:
        """:meth:`run` if a retraining is due, else None."""
        trigger = self.trigger
        return None if trigger is None else self.run(context, trigger=trigger)

    def run(self, context: C, *, trigger: str = "manual") -> RetrainOutcome:
        """Train a candidate, log it, gate it against production on the same out-of-sample
        data, then promote it or keep production; publish the outcome."""
        trained = self._train(context)
        candidate_metrics = _floats(self.evaluate_fn(trained.model, context))
        production = self._production()
        production_metrics = (
            None
            if production is None
            else _floats(
                self.evaluate_fn(self.registry.load(self.name, production.version), context)
            )
        )
        version = self.registry.log_training(
            trained.model,
            name=self.name,
            metrics=candidate_metrics,
            params=trained.params,
            provenance=trained.provenance,
            data=trained.data,
            target=trained.target,
            tags={"alphaforge.trigger": trigger},
        )
        decision = self.gate.evaluate(candidate_metrics, production_metrics)
        previous = None if production is None else production.version
        self.bars_since_run, self._drift = 0, None
        if decision.passed:
            self.registry.promote(self.name, version.version, decision)
            self._publish(
                "promoted",
                ModelPromoted(self.name, version.version, previous, trigger, candidate_metrics),
            )
            action: Literal["promoted", "kept"] = "promoted"
        else:
            self.registry.record_decision(self.name, version.version, decision)
            self._publish(
                "rejected",
                PromotionRejected(self.name, version.version, previous, trigger, decision.reasons),
            )
            action = "kept"
        now = version.version if decision.passed else previous
        _log.info(
            "ml.retrain", model=self.name, action=action, version=version.version, why=trigger
        )
        return RetrainOutcome(
            action, trigger, self.registry.get(self.name, version.version), now, previous, decision
        )

    def rollback(self, to_version: int | None = None) -> ModelVersion:
        """Put an earlier version back in production (see ``ModelRegistry.rollback``)."""
        before = self._production()
        after = self.registry.rollback(self.name, to_version)
        self._publish(
            "rolled_back",
            ModelRolledBack(self.name, None if before is None else before.version, after.version),
        )
        return after

    def _train(self, context: C) -> Trained:
        result = self.train_fn(context)
        if isinstance(result, Model):
            return Trained(result)
        if isinstance(result, Trained):
            return result
        raise InvalidValueError(
            f"train_fn must return a fitted Model or Trained, got {type(result).__name__}"
        )

    def _production(self) -> ModelVersion | None:
        if not self.registry.exists(self.name):
            return None
        return self.registry.production(self.name)

    def _publish(self, what: str, event: object) -> None:
        if self.bus is not None:
            self.bus.publish(f"{PROMOTION_TOPIC}.{what}", event)


def _floats(metrics: Mapping[str, float]) -> dict[str, float]:
    """Metrics as plain floats (NumPy scalars print badly in events and tags)."""
    try:
        return {str(k): float(v) for k, v in metrics.items()}
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"evaluate_fn must return numeric metrics: {exc}") from None


def trailing_scores(predictions: pd.DataFrame, outcomes: pd.Series, window: int) -> pd.Series:
    """Each model's rank IC over the last ``window`` rows where it and the outcome are known
    (``predictions``: one column per model)."""
    return pd.Series(
        {
            name: rolling_ic(predictions[name], outcomes, window).iloc[-1]
            if len(predictions) >= window
            else np.nan
            for name in predictions.columns
        },
        name="score",
        dtype=np.float64,
    )


def _check_bounds(n: int, floor: float, cap: float) -> None:
    if n < 1:
        raise InvalidValueError("performance weights need at least one model")
    if not 0.0 <= floor <= cap <= 1.0:
        raise InvalidValueError(f"need 0 <= floor <= cap <= 1, got floor={floor}, cap={cap}")
    if n * floor > 1.0 + 1e-12 or n * cap < 1.0 - 1e-12:
        raise InvalidValueError(
            f"{n} models cannot sum to 1 within [{floor}, {cap}]: need floor <= 1/{n} <= cap"
        )


def performance_weights(
    scores: Mapping[str, float] | pd.Series, *, floor: float = 0.0, cap: float = 1.0
) -> pd.Series:
    """Ensemble weights proportional to each model's positive trailing score, each within
    ``[floor, cap]``, summing to 1. A model with a score <= 0 (or NaN) gets the floor; if no
    model has a positive score, all get equal weight."""
    s = pd.Series(scores, dtype=np.float64)
    _check_bounds(len(s), floor, cap)
    raw = s.clip(lower=0.0).fillna(0.0).to_numpy()
    if raw.sum() <= 0:
        raw = np.ones_like(raw)
    weights = np.zeros_like(raw)
    free = np.ones(raw.size, dtype=bool)
    mass = 1.0
    for _ in range(2 * raw.size + 1):
        share = raw[free]
        total = share.sum()
        weights[free] = mass * share / total if total > 0 else mass / free.sum()
        high, low = free & (weights > cap + 1e-15), free & (weights < floor - 1e-15)
        if not high.any() and not low.any():
            break
        fix = high if high.any() else low  # caps first: capping lifts the others
        weights[fix] = cap if fix is high else floor
        free &= ~fix
        mass = 1.0 - weights[~free].sum()
        if not free.any():
            break
    return pd.Series(weights, index=s.index, name="weight")
