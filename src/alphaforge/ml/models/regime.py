"""A market-regime detector: a Gaussian mixture over standardized features.

Unsupervised: ``fit`` ignores ``y`` (pass ``None``, or any labels, which are not used).
``predict`` gives the regime id of each row, ``predict_proba`` the regime probabilities (columns
``0 .. n_regimes-1``). A mixture's components come out in arbitrary order, so after fitting the
regimes are renumbered by the mean of one feature (``order_by``, the first column by default):
regime 0 has the lowest mean, e.g. the calmest regime when ``order_by`` is a volatility. That
makes the ids stable across seeds and refits on similar data.

Each row is classified on its own features (no hidden-state filtering), so the regime at ``t``
uses nothing after ``t`` and a live row gets the same answer as in a batch. (A Gaussian HMM
would smooth regimes over time, but needs a new dependency (hmmlearn) and makes a row's regime
depend on the rows before it; give the mixture lagged or smoothed features instead.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from alphaforge.domain.errors import InvalidValueError
from alphaforge.ml.base import Model, check_features, register_model_kind
from alphaforge.ml.models.linear import require_finite
from alphaforge.ml.models.trees import build_estimator, dump_pickle, load_pickle

__all__ = ["RegimeModel"]


@register_model_kind
class RegimeModel(Model):
    """Gaussian-mixture regimes: ``n_regimes`` (2), ``covariance_type`` ("full"), ``n_init``
    (3), ``order_by`` (first feature), ``max_iter`` (200); seeded by the model's seed."""

    kind = "regime"
    file: ClassVar[str] = "regime.pkl"

    def __init__(self, task: Any = "classification", seed: int = 0, **params: Any) -> None:
        super().__init__(task=task, seed=seed, **params)
        if self.task != "classification":
            raise InvalidValueError(
                "regime: a regime detector is a classifier (task must be "
                f"'classification', got {self.task!r})"
            )
        self._pipeline: Any = None
        self._order: np.ndarray | None = None

    def fit(
        self, X: pd.DataFrame, y: pd.Series | None = None, sample_weight: pd.Series | None = None
    ) -> RegimeModel:
        """Fit the mixture on the rows of ``X`` (``y`` and ``sample_weight`` are not used)."""
        X = check_features(X, None, f"{self.kind}.fit")
        n_regimes = int(self.params.get("n_regimes", 2))
        if n_regimes < 2:
            raise InvalidValueError(f"regime: n_regimes must be >= 2, got {n_regimes}")
        if len(X) < 2 * n_regimes:
            raise InvalidValueError(
                f"regime.fit: need at least {2 * n_regimes} rows for {n_regimes} regimes, "
                f"got {len(X)}"
            )
        self.features = [str(c) for c in X.columns]
        self.classes = list(range(n_regimes))
        self._fit(X, pd.Series(0, index=X.index), None)
        return self

    def _fit(self, X: pd.DataFrame, y: pd.Series, sample_weight: pd.Series | None) -> None:
        from sklearn.mixture import GaussianMixture  # noqa: PLC0415
        from sklearn.pipeline import make_pipeline  # noqa: PLC0415
        from sklearn.preprocessing import StandardScaler  # noqa: PLC0415

        params = dict(self.params)
        order_by = params.pop("order_by", None) or str(X.columns[0])
        if order_by not in X.columns:
            raise InvalidValueError(f"regime: order_by {order_by!r} is not a column of X")
        params["n_components"] = int(params.pop("n_regimes", 2))
        params = {"covariance_type": "full", "n_init": 3, "max_iter": 200, **params}
        params["random_state"] = self.seed
        mixture = build_estimator(GaussianMixture, params, self.kind)
        self._pipeline = make_pipeline(StandardScaler(), mixture)
        values = require_finite(X, "regime.fit")
        self._pipeline.fit(values)
        column = list(X.columns).index(order_by)
        self._order = np.argsort(mixture.means_[:, column], kind="stable")

    def _predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        values = require_finite(X, "regime.predict")
        proba = np.asarray(self._pipeline.predict_proba(values), dtype=np.float64)
        return proba[:, self._order]

    def _predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self._predict_proba(X).argmax(axis=1), dtype=np.int64)

    @property
    def regime_means(self) -> pd.DataFrame:
        """Each regime's mean of every feature in raw units (rows = regimes): what they mean."""
        features = self._fitted_features()
        scaler, mixture = self._pipeline[0], self._pipeline[-1]
        means = scaler.inverse_transform(mixture.means_)[self._order]
        return pd.DataFrame(means, columns=features)

    def _save_state(self, folder: Path) -> None:
        dump_pickle({"pipeline": self._pipeline, "order": self._order}, folder / self.file)

    def _load_state(self, folder: Path) -> None:
        state = load_pickle(folder / self.file)
        self._pipeline, self._order = state["pipeline"], state["order"]
