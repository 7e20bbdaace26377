"""Drift monitoring: has the world moved away from what the model was trained on?

Three things are watched, each against a threshold:

* **feature drift** -- each feature's recent distribution against the training (reference)
  window, by the Population Stability Index (PSI, bins at the reference's quantiles) and the
  two-sample Kolmogorov-Smirnov test (scipy);
* **prediction drift** -- the PSI of the model's recent predictions against its predictions on
  the reference window;
* **live performance** -- once outcomes are known: rank IC (Spearman), hit rate and error over
  the most recent ``window`` scored rows.

:class:`DriftMonitor` keeps the most recent rows, returns a :class:`DriftReport` on every
``update`` and publishes one :class:`DriftDetected` event per breached threshold on the bus
(topics ``ml.drift.feature``, ``ml.drift.prediction``, ``ml.drift.performance``; subscribe to
``ml.drift.*``). A retraining job listens there (``alphaforge.ml.lifecycle``).

PSI reading, as commonly used in credit scoring: < 0.1 stable, 0.1-0.25 moderate shift,
> 0.25 significant shift (the default threshold).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy import stats

from alphaforge.core.bus import MessageBus
from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "DRIFT_TOPIC",
    "DriftDetected",
    "DriftKind",
    "DriftMonitor",
    "DriftReport",
    "DriftThresholds",
    "feature_drift",
    "ks",
    "live_performance",
    "psi",
    "psi_bins",
    "rolling_ic",
]

#: Topic prefix of drift events: ``ml.drift.feature`` / ``.prediction`` / ``.performance``.
DRIFT_TOPIC = "ml.drift"
DriftKind = Literal["feature", "prediction", "performance"]
Task = Literal["classification", "regression"]
#: Smallest bin share used in the PSI, so an empty bin gives a large but finite term.
PSI_EPSILON = 1e-4


def _finite(values: object, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64).ravel()
    array = array[np.isfinite(array)]
    if array.size == 0:
        raise InvalidValueError(f"{what}: no finite values to compare")
    return array


def psi_bins(reference: object, bins: int = 10) -> np.ndarray:
    """Inner bin edges at the reference's quantiles (duplicates dropped, so a feature with few
    distinct values gets fewer bins)."""
    if bins < 2:
        raise InvalidValueError(f"psi needs at least 2 bins, got {bins}")
    ref = _finite(reference, "psi reference")
    return np.unique(np.quantile(ref, np.linspace(0.0, 1.0, bins + 1)[1:-1]))


def _shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=edges.size + 1)
    return np.maximum(counts / values.size, PSI_EPSILON)


def psi(reference: object, current: object, bins: int = 10) -> float:
    """Population Stability Index of ``current`` against ``reference``:
    ``sum((c - r) * ln(c / r))`` over the reference's quantile bins (0 = same distribution)."""
    edges = psi_bins(reference, bins)
    ref = _shares(_finite(reference, "psi reference"), edges)
    cur = _shares(_finite(current, "psi current"), edges)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def ks(reference: object, current: object) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov statistic and p-value (scipy's ``ks_2samp``)."""
    result = stats.ks_2samp(_finite(reference, "ks reference"), _finite(current, "ks current"))
    return float(result.statistic), float(result.pvalue)


def feature_drift(reference: pd.DataFrame, current: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """PSI, KS statistic and KS p-value of every reference feature, one row per feature."""
    missing = [c for c in reference.columns if c not in current.columns]
    if missing:
        raise InvalidValueError(f"feature drift: the new rows lack the features {missing[:5]}")
    rows = []
    for name in reference.columns:
        ks_stat, ks_p = ks(reference[name], current[name])
        rows.append((psi(reference[name], current[name], bins), ks_stat, ks_p))
    return pd.DataFrame(
        rows, index=pd.Index(reference.columns, name="feature"), columns=["psi", "ks", "ks_pvalue"]
    )


def rolling_ic(predictions: pd.Series, outcomes: pd.Series, window: int) -> pd.Series:
    """Rank IC (Spearman correlation) of ``predictions`` and ``outcomes`` over each trailing
    ``window`` of rows where both are known; NaN where a window is constant."""
    if window < 3:
        raise InvalidValueError(f"rolling IC needs a window of at least 3 rows, got {window}")
    pairs = pd.concat([predictions, outcomes], axis=1, join="inner").dropna()
    values = np.full(len(pairs), np.nan)
    if len(pairs) < window:
        return pd.Series(values, index=pairs.index, name="ic")
    ranks = [
        stats.rankdata(sliding_window_view(pairs.iloc[:, i].to_numpy(np.float64), window), axis=1)
        for i in (0, 1)
    ]
    a, b = (r - r.mean(axis=1, keepdims=True) for r in ranks)
    denom = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        ic = np.where(denom > 0, (a * b).sum(axis=1) / np.where(denom > 0, denom, 1.0), np.nan)
    values[window - 1 :] = ic
    return pd.Series(values, index=pairs.index, name="ic")


def live_performance(
    predictions: pd.Series, outcomes: pd.Series, task: Task = "regression"
) -> dict[str, float]:
    """Rank IC, hit rate (``accuracy``) and ``error`` of predictions against known outcomes.

    Regression: predictions and outcomes are returns (or any signed target); accuracy is the
    share of rows with the right sign, error the RMSE. Classification: predictions are the
    probability of class 1 and outcomes 0/1; accuracy counts ``p > 0.5`` as a vote for 1,
    error is the Brier score.
    """
    pairs = pd.concat([predictions, outcomes], axis=1, join="inner").dropna()
    p, y = pairs.iloc[:, 0].to_numpy(np.float64), pairs.iloc[:, 1].to_numpy(np.float64)
    n = float(p.size)
    if p.size < 3:
        return {"n": n, "ic": math.nan, "accuracy": math.nan, "error": math.nan}
    constant = np.ptp(p) == 0 or np.ptp(y) == 0
    ic = math.nan if constant else float(stats.spearmanr(p, y).statistic)
    if task == "classification":
        accuracy = float(np.mean((p > 0.5) == (y > 0.5)))
        error = float(np.mean((p - y) ** 2))
    else:
        accuracy = float(np.mean(np.sign(p) == np.sign(y)))
        error = float(np.sqrt(np.mean((p - y) ** 2)))
    return {"n": n, "ic": ic, "accuracy": accuracy, "error": error}


@dataclass(frozen=True, slots=True)
class DriftThresholds:
    """When drift is reported.

    A feature drifts when its PSI exceeds ``psi``, or when the KS test both rejects at
    ``ks_pvalue`` and its statistic is at least ``ks`` (large samples make tiny, harmless
    differences significant; the statistic floor keeps those quiet). Predictions drift when
    their PSI exceeds ``prediction_psi``. Performance breaches when the IC falls below
    ``min_ic``, accuracy below ``min_accuracy`` or error rises above ``max_error`` (each
    ``None`` = not watched). Nothing is judged on fewer than ``min_rows`` rows.
    """

    psi: float = 0.25
    ks: float = 0.15
    ks_pvalue: float = 0.01
    prediction_psi: float = 0.25
    min_ic: float | None = None
    min_accuracy: float | None = None
    max_error: float | None = None
    min_rows: int = 50

    def __post_init__(self) -> None:
        if self.psi <= 0 or self.prediction_psi <= 0:
            raise InvalidValueError("PSI thresholds must be > 0")
        if not 0 < self.ks <= 1 or not 0 < self.ks_pvalue < 1:
            raise InvalidValueError("ks must be in (0, 1] and ks_pvalue in (0, 1)")
        if self.min_rows < 3:
            raise InvalidValueError(f"min_rows must be >= 3, got {self.min_rows}")


@dataclass(frozen=True, slots=True)
class DriftDetected:
    """One threshold breached: which model, what kind, on what (feature name, ``prediction``,
    or the performance metric), the value and the threshold it crossed."""

    model: str
    kind: DriftKind
    subject: str
    metric: str
    value: float
    threshold: float
    ts: pd.Timestamp | None = None

    @property
    def topic(self) -> str:
        """The bus topic the event is published on."""
        return f"{DRIFT_TOPIC}.{self.kind}"


@dataclass(frozen=True, slots=True)
class DriftReport:
    """What one ``update`` found: per-feature statistics, prediction PSI, live performance and
    the breaches (also published as events)."""

    ts: pd.Timestamp | None
    rows: int
    features: pd.DataFrame
    prediction_psi: float | None
    performance: Mapping[str, float]
    breaches: tuple[DriftDetected, ...] = field(default_factory=tuple)

    @property
    def drifted(self) -> bool:
        """Whether any threshold was breached."""
        return bool(self.breaches)

    def drifted_features(self) -> list[str]:
        """Names of the features that breached a threshold."""
        return [b.subject for b in self.breaches if b.kind == "feature"]


def _last_ts(index: pd.Index) -> pd.Timestamp | None:
    if len(index) == 0:
        return None
    last = index.get_level_values(0)[-1] if isinstance(index, pd.MultiIndex) else index[-1]
    return last if isinstance(last, pd.Timestamp) else None


Frame = TypeVar("Frame", pd.Series, pd.DataFrame)


def _append(buffer: Frame | None, new: Frame, keep: int) -> Frame:
    """``buffer`` then ``new`` (a re-sent row replaces the old one), the last ``keep`` rows."""
    joined = new if buffer is None or buffer.empty else pd.concat([buffer, new])
    joined = joined[~joined.index.duplicated(keep="last")]
    return joined.iloc[-keep:]


class DriftMonitor:
    """Watch a model's inputs, outputs and results against its training window.

    ``reference`` is the training feature matrix (or a representative part of it);
    ``reference_predictions`` the model's predictions on it (for prediction drift). The
    monitor keeps the latest ``window`` rows, predictions and outcomes.
    """

    def __init__(
        self,
        reference: pd.DataFrame,
        thresholds: DriftThresholds | None = None,
        bus: MessageBus | None = None,
        *,
        model: str = "model",
        reference_predictions: pd.Series | None = None,
        window: int = 250,
        task: Task = "regression",
        bins: int = 10,
    ) -> None:
        if not isinstance(reference, pd.DataFrame) or reference.empty:
            raise InvalidValueError("drift monitor: reference must be a non-empty DataFrame")
        self.thresholds = thresholds or DriftThresholds()
        if window < self.thresholds.min_rows:
            raise InvalidValueError(
                f"drift monitor: window {window} is below min_rows {self.thresholds.min_rows}"
            )
        self.reference = reference.astype(np.float64)
        self.reference_predictions = reference_predictions
        self.bus, self.model, self.window, self.task, self.bins = bus, model, window, task, bins
        self._rows: pd.DataFrame | None = None
        self._predictions: pd.Series | None = None
        self._outcomes: pd.Series | None = None

    def rebase(
        self, reference: pd.DataFrame, reference_predictions: pd.Series | None = None
    ) -> None:
        """Start over against a new reference (after a new model was promoted)."""
        self.reference = reference.astype(np.float64)
        self.reference_predictions = reference_predictions
        self._rows = self._predictions = self._outcomes = None

    def update(
        self,
        rows: pd.DataFrame,
        predictions: pd.Series | None = None,
        outcomes: pd.Series | None = None,
    ) -> DriftReport:
        """Add new feature rows (and the model's predictions on them, and any outcomes now
        known, indexed by the row they belong to); check; publish breaches; report."""
        current = _append(self._rows, rows[self._checked_columns(rows)], self.window)
        self._rows = current
        if predictions is not None:
            self._predictions = _append(self._predictions, predictions, self.window)
        if outcomes is not None:
            self._outcomes = _append(self._outcomes, outcomes, self.window)
        report = self._check(current)
        if self.bus is not None:
            for event in report.breaches:
                self.bus.publish(event.topic, event)
        return report

    def _checked_columns(self, rows: pd.DataFrame) -> list[str]:
        missing = [c for c in self.reference.columns if c not in rows.columns]
        if missing:
            raise InvalidValueError(f"drift monitor: the new rows lack the features {missing[:5]}")
        return list(self.reference.columns)

    def _check(self, rows: pd.DataFrame) -> DriftReport:
        ts = _last_ts(rows.index)
        enough = len(rows) >= self.thresholds.min_rows
        table = (
            feature_drift(self.reference, rows, self.bins)
            if enough
            else pd.DataFrame(columns=["psi", "ks", "ks_pvalue"], dtype=np.float64)
        )
        pred_psi = self._prediction_psi() if enough else None
        performance = self._performance()
        breaches = (
            self._feature_breaches(table, ts)
            + self._prediction_breaches(pred_psi, ts)
            + self._performance_breaches(performance, ts)
        )
        return DriftReport(ts, len(rows), table, pred_psi, performance, breaches)

    def _prediction_psi(self) -> float | None:
        if self.reference_predictions is None or self._predictions is None:
            return None
        if len(self._predictions) < self.thresholds.min_rows:
            return None
        return psi(self.reference_predictions, self._predictions, self.bins)

    def _performance(self) -> dict[str, float]:
        if self._predictions is None or self._outcomes is None:
            return {}
        return live_performance(self._predictions, self._outcomes, self.task)

    def _event(
        self, kind: DriftKind, subject: str, metric: str, value: float, limit: float, ts: object
    ) -> DriftDetected:
        stamp = ts if isinstance(ts, pd.Timestamp) else None
        return DriftDetected(self.model, kind, subject, metric, float(value), float(limit), stamp)

    def _feature_breaches(
        self, table: pd.DataFrame, ts: pd.Timestamp | None
    ) -> tuple[DriftDetected, ...]:
        t = self.thresholds
        found = []
        for name, row in table.iterrows():  # one row per feature, not per bar
            if row["psi"] > t.psi:
                found.append(self._event("feature", str(name), "psi", row["psi"], t.psi, ts))
            elif row["ks"] >= t.ks and row["ks_pvalue"] < t.ks_pvalue:
                found.append(self._event("feature", str(name), "ks", row["ks"], t.ks, ts))
        return tuple(found)

    def _prediction_breaches(
        self, value: float | None, ts: pd.Timestamp | None
    ) -> tuple[DriftDetected, ...]:
        limit = self.thresholds.prediction_psi
        if value is None or value <= limit:
            return ()
        return (self._event("prediction", "prediction", "psi", value, limit, ts),)

    def _performance_breaches(
        self, perf: Mapping[str, float], ts: pd.Timestamp | None
    ) -> tuple[DriftDetected, ...]:
        t = self.thresholds
        if perf.get("n", 0.0) < t.min_rows:
            return ()
        checks = (
            ("ic", t.min_ic, operator.lt),
            ("accuracy", t.min_accuracy, operator.lt),
            ("error", t.max_error, operator.gt),
        )
        return tuple(
            self._event("performance", metric, metric, perf[metric], limit, ts)
            for metric, limit, breached in checks
            if limit is not None and not math.isnan(perf[metric]) and breached(perf[metric], limit)
        )
