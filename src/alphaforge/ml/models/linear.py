"""Regularized linear models and support vector machines, with the scaling inside the model.

Both kinds standardize ``X`` with a ``StandardScaler`` fitted on the training rows only and
stored with the model, so a saved model predicts on raw features exactly as it did after ``fit``
(no scaler to carry around, no test statistics leaking into the scaling).

- ``linear``: classification = ``LogisticRegression`` (``C`` = inverse L2/L1 strength,
  ``l1_ratio`` 0 = ridge penalty, 1 = lasso); regression = ``Ridge`` (``alpha``).
- ``svm``: classification = ``SVC`` (``kernel`` "rbf" by default; "linear" uses ``LinearSVC``,
  which scales to large samples) with probabilities from Platt scaling fitted on out-of-fold
  decision values of ``PurgedKFold(calibration_folds, embargo=embargo)`` date blocks (each label
  taken to end at its own bar: make ``embargo`` at least the label horizon), then the SVM
  refitted on all rows. Regression = ``SVR``/``LinearSVR``.

Neither takes NaN features: drop or fill the warm-up rows first (trees accept them).
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from alphaforge.domain.errors import InvalidValueError
from alphaforge.ml.base import Model, register_model_kind
from alphaforge.ml.models.trees import (
    build_estimator,
    class_labels,
    dump_pickle,
    encode_classes,
    load_pickle,
    weights_array,
)

__all__ = ["LinearModel", "SVMModel", "require_finite"]


def require_finite(X: pd.DataFrame, what: str) -> np.ndarray:
    """``X`` as a float64 array, or a clear error naming the columns that hold NaN or inf."""
    values = X.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        columns = [str(c) for c, b in zip(X.columns, bad.any(axis=0), strict=True) if b]
        raise InvalidValueError(
            f"{what}: X has NaN or inf in {columns[:5]} ({int(bad.sum())} values); "
            "drop or fill those rows first (this model cannot take missing values)"
        )
    return values


class _Scaled(Model):
    """A scikit-learn pipeline (scaler + estimator) saved with joblib."""

    file: ClassVar[str] = "estimator.pkl"

    def __init__(self, task: Any = "classification", seed: int = 0, **params: Any) -> None:
        super().__init__(task=task, seed=seed, **params)
        self._estimator: Any = None

    @abstractmethod
    def _build(self) -> Any:
        """The unfitted scikit-learn estimator of this kind."""

    def _fit(self, X: pd.DataFrame, y: pd.Series, sample_weight: pd.Series | None) -> None:
        from sklearn.pipeline import make_pipeline  # noqa: PLC0415
        from sklearn.preprocessing import StandardScaler  # noqa: PLC0415

        values = require_finite(X, f"{self.kind}.fit")
        target = (
            encode_classes(y, list(self.classes or []))
            if self.task == "classification"
            else y.to_numpy(dtype=np.float64)
        )
        self._estimator = self._wrap(make_pipeline(StandardScaler(), self._build()), X)
        weights = weights_array(sample_weight, X)
        if weights is None:
            self._estimator.fit(values, target)
        else:
            self._fit_weighted(values, target, weights)

    def _wrap(self, pipeline: Any, X: pd.DataFrame) -> Any:
        return pipeline

    def _fit_weighted(self, values: np.ndarray, target: np.ndarray, weights: np.ndarray) -> None:
        """Weights go to the estimator step (the scaler stays unweighted)."""
        step = self._estimator.steps[-1][0]
        self._estimator.fit(values, target, **{f"{step}__sample_weight": weights})

    def _predict(self, X: pd.DataFrame) -> np.ndarray:
        out = self._estimator.predict(require_finite(X, f"{self.kind}.predict"))
        if self.task == "regression":
            return np.asarray(out, dtype=np.float64)
        return class_labels(self.classes, np.asarray(out, dtype=np.int64))

    def _predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        values = require_finite(X, f"{self.kind}.predict_proba")
        return np.asarray(self._estimator.predict_proba(values), dtype=np.float64)

    def _save_state(self, folder: Path) -> None:
        dump_pickle(self._estimator, folder / self.file)

    def _load_state(self, folder: Path) -> None:
        self._estimator = load_pickle(folder / self.file)


@register_model_kind
class LinearModel(_Scaled):
    """Logistic regression (classification) or ridge regression (regression), standardized.

    Parameters are scikit-learn's: ``C`` (1.0), ``l1_ratio`` (0.0), ``max_iter`` (1000) for the
    logistic model (``solver`` becomes "saga" when ``l1_ratio`` > 0); ``alpha`` (1.0) for ridge.
    """

    kind = "linear"

    def _build(self) -> Any:
        from sklearn.linear_model import LogisticRegression, Ridge  # noqa: PLC0415

        if self.task == "regression":
            return build_estimator(Ridge, {"alpha": 1.0, **self.params}, self.kind)
        params: dict[str, Any] = {"C": 1.0, "max_iter": 1000, **self.params}
        if float(params.get("l1_ratio", 0.0)) > 0.0:
            params.setdefault("solver", "saga")
        params["random_state"] = self.seed
        return build_estimator(LogisticRegression, params, self.kind)

    @property
    def coefficients(self) -> pd.DataFrame:
        """Coefficients on the standardized features (rows = features), to read what it uses."""
        features = self._fitted_features()
        coef = np.atleast_2d(self._estimator[-1].coef_)
        return pd.DataFrame(coef.T, index=features)


@register_model_kind
class SVMModel(_Scaled):
    """Support vector machine: ``SVC``/``SVR`` (``kernel`` "rbf", ``C`` 1.0, ``gamma`` "scale")
    or, with ``kernel="linear"``, ``LinearSVC``/``LinearSVR``; classifiers get Platt-scaled
    probabilities from purged out-of-fold decision values (``calibration_folds`` 3,
    ``embargo`` 0.01). An RBF SVM costs O(n²): keep it to some ten thousand rows."""

    kind = "svm"
    own: ClassVar[tuple[str, ...]] = ("calibration_folds", "embargo")

    def _build(self) -> Any:
        from sklearn.svm import SVC, SVR, LinearSVC, LinearSVR  # noqa: PLC0415

        params = {k: v for k, v in self.params.items() if k not in self.own}
        linear = params.pop("kernel", "rbf") == "linear"
        if self.task == "regression":
            cls: type = LinearSVR if linear else SVR
            if linear:
                params.setdefault("random_state", self.seed)
                params.setdefault("max_iter", 10_000)
            else:
                params.setdefault("kernel", "rbf")
            return build_estimator(cls, params, self.kind)
        cls = LinearSVC if linear else SVC
        if not linear:
            params.setdefault("kernel", "rbf")
        else:
            params.setdefault("max_iter", 10_000)
        params["random_state"] = self.seed
        return build_estimator(cls, params, self.kind)

    def _wrap(self, pipeline: Any, X: pd.DataFrame) -> Any:
        if self.task == "regression":
            return pipeline
        from sklearn.calibration import CalibratedClassifierCV  # noqa: PLC0415

        from alphaforge.ml.validation import PurgedKFold  # noqa: PLC0415

        # The labels' end times are not known here: each is taken to end at its own bar, and the
        # embargo (a fraction of the dates, or bars) keeps the rows after each block out.
        times = X.index.get_level_values(0) if isinstance(X.index, pd.MultiIndex) else X.index
        t1 = pd.Series(times, index=X.index)
        cv = PurgedKFold(
            int(self.params.get("calibration_folds", 3)),
            embargo=self.params.get("embargo", 0.01),
            t1=t1,
        )
        splits = list(cv.split(X))
        return CalibratedClassifierCV(pipeline, method="sigmoid", cv=splits, ensemble=False)

    def _fit_weighted(self, values: np.ndarray, target: np.ndarray, weights: np.ndarray) -> None:
        """Route the weights through the calibration to the SVM step (scikit-learn's metadata
        routing; without it the SVM would silently train unweighted)."""
        if self.task == "regression":
            super()._fit_weighted(values, target, weights)
            return
        import sklearn  # noqa: PLC0415

        with sklearn.config_context(enable_metadata_routing=True):
            pipeline = self._estimator.estimator
            pipeline[0].set_fit_request(sample_weight=False)
            pipeline[-1].set_fit_request(sample_weight=True)
            self._estimator.fit(values, target, sample_weight=weights)
