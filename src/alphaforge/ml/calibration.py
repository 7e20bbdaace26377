"""Probability calibration: make a classifier's 0.7 mean "right 70 % of the time".

Boosted trees and neural networks are often over-confident; position sizing and thresholds on
probabilities need them calibrated. Two calibrators, both fitted on **held-out** predictions
(fitted on the model's own training rows they would learn its overfit, not its error rate):

* :class:`TemperatureScaler`: one parameter ``T``; probabilities become
  ``softmax(log p / T)`` (binary: ``sigmoid(logit p / T)``). ``T > 1`` softens an over-confident
  model, ``T < 1`` sharpens a timid one; the ranking of rows never changes. Fitted by minimizing
  the log-loss (Guo et al., 2017).
* :class:`IsotonicCalibrator`: a non-decreasing step function per class (one-vs-rest, rows then
  renormalized); more flexible, needs more held-out rows (some thousands) and can tie rows.

:class:`CalibratedModel` (kind ``calibrated``) wraps any classifier kind: it fits the base on the
training rows, predicts rows it did not train on, fits the calibrator on those predictions only:

* ``cv=None`` (default): the last ``holdout`` fraction of the dates is held out; the base is
  fitted on the dates before it, purged of rows whose label (``t1``) reaches into it; the base
  stays as fitted (the calibrator matches it exactly, the newest rows teach only the calibrator);
* ``cv=k``: ``PurgedKFold(k)`` out-of-fold predictions for the calibrator, then the base refitted
  on all rows (scikit-learn's ``CalibratedClassifierCV(ensemble=False)``, purged).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alphaforge.domain.errors import InvalidValueError
from alphaforge.ml._oof import (
    PurgedCVModel,
    fit_fold,
    model_outputs,
    out_of_fold,
    purged_splits,
)
from alphaforge.ml.base import Model, Task, load_model, make_model, register_model_kind
from alphaforge.ml.models.trees import (
    class_labels,
    dump_pickle,
    encode_classes,
    load_pickle,
    weights_array,
)

__all__ = [
    "CalibratedModel",
    "IsotonicCalibrator",
    "TemperatureScaler",
    "log_loss",
]

_EPS = 1e-12


def _codes(proba: pd.DataFrame | np.ndarray, y: pd.Series | np.ndarray) -> np.ndarray:
    """``y`` as column positions of ``proba`` (labels looked up in a DataFrame's columns)."""
    if isinstance(proba, pd.DataFrame):
        columns = list(proba.columns)
        codes = encode_classes(y, columns)
        if (codes < 0).any():
            raise InvalidValueError(f"y has labels outside the probability columns {columns}")
        return np.asarray(codes, dtype=np.int64)
    codes = np.asarray(y, dtype=np.int64)
    if codes.min() < 0 or codes.max() >= np.shape(proba)[1]:
        raise InvalidValueError("y must hold class positions 0..k-1 when proba is an array")
    return codes


def _matrix(proba: pd.DataFrame | np.ndarray) -> np.ndarray:
    values = np.asarray(proba, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] < 2:
        raise InvalidValueError(f"proba must be (rows, classes >= 2), got shape {values.shape}")
    if not np.isfinite(values).all() or (values < 0).any():
        raise InvalidValueError("proba must be finite and non-negative")
    return values


def log_loss(proba: pd.DataFrame | np.ndarray, y: pd.Series | np.ndarray) -> float:
    """Mean negative log-likelihood of the true classes (lower is better; 0.693 = a coin)."""
    values = _matrix(proba)
    codes = _codes(proba, y)
    picked = values[np.arange(len(codes)), codes]
    return float(-np.log(np.clip(picked, _EPS, 1.0)).mean())


class TemperatureScaler:
    """One temperature ``T`` for all classes, fitted by minimum log-loss on held-out rows."""

    def __init__(self, temperature: float = 1.0) -> None:
        self.temperature = float(temperature)

    @staticmethod
    def _scaled(values: np.ndarray, temperature: float) -> np.ndarray:
        logits = np.log(np.clip(values, _EPS, 1.0)) / temperature
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return np.asarray(exp / exp.sum(axis=1, keepdims=True))

    def fit(self, proba: pd.DataFrame | np.ndarray, y: pd.Series | np.ndarray) -> TemperatureScaler:
        """Find ``T`` in [0.01, 100] minimizing the log-loss of ``proba`` on the labels ``y``."""
        from scipy.optimize import minimize_scalar  # noqa: PLC0415

        values = _matrix(proba)
        codes = _codes(proba, y)
        rows = np.arange(len(codes))

        def loss(log_t: float) -> float:
            scaled = self._scaled(values, float(np.exp(log_t)))
            return float(-np.log(np.clip(scaled[rows, codes], _EPS, 1.0)).mean())

        best = minimize_scalar(loss, bounds=(np.log(0.01), np.log(100.0)), method="bounded")
        self.temperature = float(np.exp(best.x))
        return self

    def transform(self, proba: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Calibrated probabilities, same shape and class order."""
        return self._scaled(_matrix(proba), self.temperature)


class IsotonicCalibrator:
    """A non-decreasing map per class (one-vs-rest), rows renormalized to sum to 1."""

    def __init__(self) -> None:
        self.maps: list[Any] = []

    def fit(
        self, proba: pd.DataFrame | np.ndarray, y: pd.Series | np.ndarray
    ) -> IsotonicCalibrator:
        """Fit one isotonic regression of "is class k" on ``P(class k)`` per class."""
        from sklearn.isotonic import IsotonicRegression  # noqa: PLC0415

        values = _matrix(proba)
        codes = _codes(proba, y)
        columns = [1] if values.shape[1] == 2 else range(values.shape[1])
        self.maps = []
        for k in columns:
            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
            self.maps.append(iso.fit(values[:, k], (codes == k).astype(np.float64)))
        return self

    def transform(self, proba: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Calibrated probabilities, same shape and class order."""
        if not self.maps:
            raise InvalidValueError("IsotonicCalibrator: fit it first")
        values = _matrix(proba)
        if values.shape[1] == 2:
            p1 = np.asarray(self.maps[0].predict(values[:, 1]), dtype=np.float64)
            return np.column_stack([1.0 - p1, p1])
        out = np.column_stack(
            [np.asarray(m.predict(values[:, k]), dtype=np.float64) for k, m in enumerate(self.maps)]
        )
        total = out.sum(axis=1, keepdims=True)
        uniform = np.full_like(out, 1.0 / out.shape[1])
        return np.where(total > 0, out / np.where(total > 0, total, 1.0), uniform)


_METHODS = {"temperature": TemperatureScaler, "isotonic": IsotonicCalibrator}


@register_model_kind
class CalibratedModel(PurgedCVModel):
    """Any classifier kind with calibrated probabilities.

    Parameters: ``base`` (a kind, "lightgbm" by default), ``base_params`` (its parameters),
    ``method`` ("temperature" or "isotonic"), ``holdout`` (0.2 of the dates, with ``cv=None``),
    ``cv`` (None, or k for purged k-fold out-of-fold predictions), ``embargo`` (0.01).
    """

    kind = "calibrated"

    def __init__(self, task: Task = "classification", seed: int = 0, **params: Any) -> None:
        super().__init__(task=task, seed=seed, **params)
        if self.task != "classification":
            raise InvalidValueError("calibrated: calibration is for classifiers (task)")
        method = self.params.get("method", "temperature")
        if method not in _METHODS:
            raise InvalidValueError(f"calibrated: method must be one of {sorted(_METHODS)}")
        self.calibrator: TemperatureScaler | IsotonicCalibrator = _METHODS[method]()
        self.base_model: Model | None = None

    def _new_base(self) -> Model:
        kind = str(self.params.get("base", "lightgbm"))
        return make_model(
            kind, task="classification", seed=self.seed, **dict(self.params.get("base_params", {}))
        )

    def _splits(self, X: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
        from alphaforge.ml.validation import PurgedKFold, PurgedWalkForward  # noqa: PLC0415

        embargo = self.params.get("embargo", 0.01)
        folds = self.params.get("cv")
        if folds is not None:
            return purged_splits(X, self._t1, PurgedKFold(int(folds), embargo=embargo))
        holdout = float(self.params.get("holdout", 0.2))
        times = X.index.get_level_values(0) if isinstance(X.index, pd.MultiIndex) else X.index
        n_dates = times.nunique()
        size = int(np.floor(holdout * n_dates))
        if not 0.0 < holdout < 1.0 or size < 1:
            raise InvalidValueError(
                f"calibrated: holdout must leave >= 1 date on each side, got {holdout}"
            )
        tail = PurgedWalkForward(1, test_size=size, embargo=embargo)
        return purged_splits(X, self._t1, tail)

    def _fit(self, X: pd.DataFrame, y: pd.Series, sample_weight: pd.Series | None) -> None:
        weights_array(sample_weight, X)  # a clear error for bad weights, before the folds
        splits = self._splits(X)
        classes = list(self.classes or [])
        if self.params.get("cv") is None:
            train, test = splits[0]
            base = fit_fold(self._new_base, X, y, train, sample_weight)
            held = model_outputs(base, X, test, classes)
            self.calibrator.fit(held, encode_classes(y.iloc[test], classes))
            self.base_model = base
            return
        oof = out_of_fold(self._new_base, X, y, splits, classes, sample_weight)
        known = ~np.isnan(oof).any(axis=1)
        self.calibrator.fit(oof[known], encode_classes(y[known], classes))
        self.base_model = self._new_base().fit(X, y, sample_weight=sample_weight)

    def _base(self) -> Model:
        if self.base_model is None:
            raise InvalidValueError("calibrated: fit the model first")
        return self.base_model

    def _predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        raw = self._base().predict_proba(X).reindex(columns=self.classes, fill_value=0.0)
        return self.calibrator.transform(raw.to_numpy())

    def _predict(self, X: pd.DataFrame) -> np.ndarray:
        return class_labels(self.classes, self._predict_proba(X).argmax(axis=1))

    def _save_state(self, folder: Path) -> None:
        self._base().save(folder / "base")
        dump_pickle(self.calibrator, folder / "calibrator.pkl")

    def _load_state(self, folder: Path) -> None:
        self.base_model = load_model(folder / "base")
        self.calibrator = load_pickle(folder / "calibrator.pkl")
