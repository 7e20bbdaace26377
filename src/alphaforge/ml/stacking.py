"""Stacking across model families, trained on out-of-fold predictions only.

A meta-learner that learned from its base models' predictions on their own training rows would
learn how well they fit, not how well they predict; it would trust the most overfitted model.
So :class:`StackingModel` (kind ``stacking``):

1. splits the rows with purged cross-validation (``PurgedKFold`` on the labels' end times
   ``t1``, with an embargo; ``alphaforge.ml.validation``);
2. fits a fresh copy of every base model on each fold's training rows and predicts that fold's
   test rows: the **out-of-fold** (OOF) predictions, one per row and model;
3. fits the meta-learner (``linear``: logistic regression for classification, ridge for
   regression) on those OOF predictions only (``oof`` keeps them);
4. refits every base model on all the rows, for prediction.

>>> stack = make_model("stacking", base=["lightgbm", "linear"], n_splits=5)
>>> stack.fit(X, labels.y, t1=labels.t1)
>>> stack.predict_proba(X_new)

:func:`out_of_fold` is the step-2 helper (in :mod:`alphaforge.ml._oof`, exported here);
calibration and tuning use it too.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alphaforge.domain.errors import InvalidValueError
from alphaforge.ml._oof import (
    DEFAULT_EMBARGO,
    DEFAULT_SPLITS,
    PurgedCVModel,
    default_t1,
    model_outputs,
    out_of_fold,
    purged_splits,
)
from alphaforge.ml.base import Model, Task, load_model, make_model, register_model_kind
from alphaforge.ml.models.trees import weights_array

__all__ = ["StackingModel", "default_t1", "model_outputs", "out_of_fold", "purged_splits"]


@register_model_kind
class StackingModel(PurgedCVModel):
    """A meta-learner over base models of different families, fitted on OOF predictions.

    Parameters: ``base`` (list of kinds, or of ``{"kind": ..., "params": {...}}``; default
    lightgbm + linear), ``meta_params`` (the ``linear`` meta-learner's, e.g. ``{"C": 0.1}``),
    ``n_splits`` (5), ``embargo`` (0.01 of the dates, or bars, or a span such as "5D").
    """

    kind = "stacking"

    def __init__(self, task: Task = "classification", seed: int = 0, **params: Any) -> None:
        super().__init__(task=task, seed=seed, **params)
        self.specs = _specs(self.params.get("base", ["lightgbm", "linear"]))
        self.base_models: list[Model] = []
        self.meta_model: Model | None = None
        self.oof: pd.DataFrame | None = None

    def _build(self, number: int) -> Model:
        kind, params = self.specs[number]
        return make_model(kind, task=self.task, seed=self.seed + number, **params)

    def _fit(self, X: pd.DataFrame, y: pd.Series, sample_weight: pd.Series | None) -> None:
        from alphaforge.ml.validation import PurgedKFold  # noqa: PLC0415

        cv = PurgedKFold(
            int(self.params.get("n_splits", DEFAULT_SPLITS)),
            embargo=self.params.get("embargo", DEFAULT_EMBARGO),
        )
        weights_array(sample_weight, X)  # a clear error for bad weights, before the folds
        splits = purged_splits(X, self._t1, cv)
        classes = self.classes if self.task == "classification" else None
        parts = [
            out_of_fold(functools.partial(self._build, n), X, y, splits, classes, sample_weight)
            for n in range(len(self.specs))
        ]
        oof = pd.DataFrame(self._meta_columns(parts), index=X.index)
        known = oof.notna().all(axis=1).to_numpy()
        if known.sum() < 2:
            raise InvalidValueError("stacking: fewer than 2 rows have out-of-fold predictions")
        self.oof = oof[known]
        self.meta_model = make_model("linear", task=self.task, seed=self.seed, **self._meta())
        weights = None if sample_weight is None else sample_weight[known]
        self.meta_model.fit(self.oof, y[known], sample_weight=weights)
        self.base_models = []
        for number in range(len(self.specs)):
            model = self._build(number)
            self.base_models.append(model.fit(X, y, sample_weight=sample_weight))

    def _meta(self) -> dict[str, Any]:
        return dict(self.params.get("meta_params", {}))

    def _meta_columns(self, parts: list[np.ndarray]) -> dict[str, np.ndarray]:
        """Meta-features: each model's P(class) (binary: P of the second class only, the first
        is redundant) or predicted value, named ``"<n>_<kind>:<class>"``."""
        columns: dict[str, np.ndarray] = {}
        for number, values in enumerate(parts):
            name = f"{number}_{self.specs[number][0]}"
            if self.task == "regression":
                columns[name] = values[:, 0]
                continue
            classes = list(self.classes or [])
            keep = classes[1:] if len(classes) == 2 else classes
            for label in keep:
                columns[f"{name}:{label}"] = values[:, classes.index(label)]
        return columns

    def _meta_input(self, X: pd.DataFrame) -> pd.DataFrame:
        classes = self.classes if self.task == "classification" else None
        rows = np.arange(len(X))
        parts = [model_outputs(m, X, rows, classes).reshape(len(X), -1) for m in self.base_models]
        return pd.DataFrame(self._meta_columns(parts), index=X.index)

    def _meta_model(self) -> Model:
        if self.meta_model is None:
            raise InvalidValueError("stacking: fit the model first")
        return self.meta_model

    def _predict(self, X: pd.DataFrame) -> np.ndarray:
        return self._meta_model().predict(self._meta_input(X)).to_numpy()

    def _predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self._meta_model().predict_proba(self._meta_input(X)).to_numpy(dtype=np.float64)

    def _save_state(self, folder: Path) -> None:
        for number, model in enumerate(self.base_models):
            model.save(folder / f"base_{number}")
        self._meta_model().save(folder / "meta")

    def _load_state(self, folder: Path) -> None:
        self.base_models = [load_model(folder / f"base_{n}") for n in range(len(self.specs))]
        self.meta_model = load_model(folder / "meta")


def _specs(base: Any) -> list[tuple[str, dict[str, Any]]]:
    """``[(kind, params), ...]`` from kinds or ``{"kind": ..., "params": ...}`` entries."""
    if not isinstance(base, list | tuple) or len(base) < 1:
        raise InvalidValueError(f"stacking: base must be a non-empty list of models, got {base!r}")
    specs: list[tuple[str, dict[str, Any]]] = []
    for entry in base:
        if isinstance(entry, str):
            specs.append((entry, {}))
        elif isinstance(entry, dict) and isinstance(entry.get("kind"), str):
            specs.append((entry["kind"], dict(entry.get("params", {}))))
        else:
            raise InvalidValueError(
                f"stacking: a base model is a kind or {{'kind': ..., 'params': {{...}}}}, "
                f"got {entry!r}"
            )
    return specs
