"""Transforms that learn from data (scalers, PCA): fitted on a training window, then applied.

A scaler's mean or a PCA's axes computed over all the data carry the test period's statistics
into the training features: a quiet leak that flatters every out-of-sample figure. So these
wrappers around scikit-learn are explicit about it:

* ``fit(X_train)`` learns the parameters and records the training span (``train_span``: the first
  and last time of ``X_train``, its ``ts`` level on a panel) and the columns;
* ``transform(X)`` refuses to run before ``fit`` (:class:`NotFittedError`) and refuses columns
  other than the fitted ones;
* ``fit_transform_split(transform, train, test)`` fits on ``train`` only and transforms both,
  after checking that the two share no row.

Scalers pass NaN through (a feature still warming up stays NaN) and ignore it when fitting; PCA
needs complete rows (``X.dropna()`` first).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn import decomposition, preprocessing

from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "PCA",
    "LearnedTransform",
    "NotFittedError",
    "RobustScaler",
    "StandardScaler",
    "fit_transform_split",
]


class NotFittedError(InvalidValueError):
    """A learned transform was used before ``fit``: fit it on the training window first."""


def _times(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return index.get_level_values("ts") if "ts" in index.names else index.get_level_values(0)
    return index


class LearnedTransform(ABC):
    """A transform with parameters learned by ``fit`` on training rows only."""

    def __init__(self) -> None:
        self._model: Any = None
        self._columns: tuple[str, ...] = ()
        self._span: tuple[Any, Any] | None = None
        self._rows = 0

    @abstractmethod
    def _make(self) -> Any:
        """Return a fresh, unfitted scikit-learn estimator."""

    @abstractmethod
    def params(self) -> dict[str, np.ndarray]:
        """The learned parameters (copies), e.g. ``mean`` and ``scale``."""

    def _output_columns(self, count: int) -> list[str]:
        return list(self._columns)

    def _fitted(self) -> Any:
        if self._model is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted: call fit(X_train) first")
        return self._model

    @property
    def is_fitted(self) -> bool:
        """True after ``fit``."""
        return self._model is not None

    @property
    def train_span(self) -> tuple[Any, Any] | None:
        """First and last time (index label) of the rows ``fit`` saw; None before ``fit``."""
        return self._span

    @property
    def train_rows(self) -> int:
        """How many rows ``fit`` saw."""
        return self._rows

    @property
    def columns(self) -> tuple[str, ...]:
        """The feature columns ``fit`` saw, in order."""
        return self._columns

    def _matrix(self, frame: pd.DataFrame, what: str) -> np.ndarray:
        if not isinstance(frame, pd.DataFrame):
            raise InvalidValueError(f"{what}: expected a DataFrame, got {type(frame).__name__}")
        if len(frame) == 0:
            raise InvalidValueError(f"{what}: no rows")
        try:
            values = frame.to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise InvalidValueError(f"{what}: features must be numeric ({error})") from error
        if np.isinf(values).any():
            raise InvalidValueError(f"{what}: the features hold infinite values")
        return values

    def fit(self, X_train: pd.DataFrame) -> Self:
        """Learn the parameters from ``X_train`` (the training window only); return self."""
        name = type(self).__name__
        values = self._matrix(X_train, f"{name}.fit")
        model = self._make()
        model.fit(values)
        times = _times(X_train.index)
        self._model = model
        self._columns = tuple(str(c) for c in X_train.columns)
        self._span = (times.min(), times.max())
        self._rows = len(X_train)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Apply the fitted parameters to ``X`` (same columns as at ``fit``), on ``X``'s index."""
        name = type(self).__name__
        if self._model is None:
            raise NotFittedError(
                f"{name}.transform before fit: call fit(X_train) on the training window first"
            )
        values = self._matrix(X, f"{name}.transform")
        columns = tuple(str(c) for c in X.columns)
        if columns != self._columns:
            lacking = [c for c in self._columns if c not in columns]
            extra = [c for c in columns if c not in self._columns]
            raise InvalidValueError(
                f"{name}.transform: columns differ from fit's (missing {lacking}, extra {extra}"
                + (", or in another order)" if not lacking and not extra else ")")
            )
        out = self._model.transform(values)
        return pd.DataFrame(out, index=X.index, columns=self._output_columns(out.shape[1]))

    def fit_transform(self, X_train: pd.DataFrame) -> pd.DataFrame:
        """``fit(X_train)`` then ``transform(X_train)``."""
        return self.fit(X_train).transform(X_train)

    def __repr__(self) -> str:
        state = f"fitted on {self._rows} rows {self._span}" if self.is_fitted else "not fitted"
        return f"{type(self).__name__}({state})"


class StandardScaler(LearnedTransform):
    """``(x − mean)/σ`` per column, mean and σ (ddof=0) from the training rows (NaN ignored)."""

    def _make(self) -> Any:
        return preprocessing.StandardScaler()

    def params(self) -> dict[str, np.ndarray]:
        """``mean`` and ``scale`` per column."""
        model = self._fitted()
        return {"mean": model.mean_.copy(), "scale": model.scale_.copy()}


class RobustScaler(LearnedTransform):
    """``(x − median)/IQR`` per column: robust to the fat tails of returns (NaN ignored)."""

    def __init__(self, quantile_range: tuple[float, float] = (25.0, 75.0)) -> None:
        low, high = quantile_range
        if not 0.0 <= low < high <= 100.0:
            raise InvalidValueError(
                f"quantile_range must satisfy 0 <= low < high <= 100, got {quantile_range}"
            )
        super().__init__()
        self.quantile_range = (float(low), float(high))

    def _make(self) -> Any:
        return preprocessing.RobustScaler(quantile_range=self.quantile_range)

    def params(self) -> dict[str, np.ndarray]:
        """``center`` (median) and ``scale`` (interquantile range) per column."""
        model = self._fitted()
        return {"center": model.center_.copy(), "scale": model.scale_.copy()}


class PCA(LearnedTransform):
    """Principal components of the training rows; output columns ``pc_1``, ``pc_2``, …

    ``n_components``: an int, or a float in (0, 1) for the share of variance to keep. Inputs
    are not standardized here: chain a :class:`StandardScaler` first when scales differ.
    """

    def __init__(self, n_components: int | float | None = None, *, whiten: bool = False) -> None:
        if n_components is not None and not (
            (isinstance(n_components, int) and n_components >= 1)
            or (isinstance(n_components, float) and 0.0 < n_components < 1.0)
        ):
            raise InvalidValueError(
                f"n_components must be an int >= 1 or a float in (0, 1), got {n_components!r}"
            )
        super().__init__()
        self.n_components = n_components
        self.whiten = whiten

    def _make(self) -> Any:
        return decomposition.PCA(
            n_components=self.n_components, whiten=self.whiten, svd_solver="full"
        )

    def _matrix(self, frame: pd.DataFrame, what: str) -> np.ndarray:
        values = super()._matrix(frame, what)
        if np.isnan(values).any():
            raise InvalidValueError(
                f"{what}: PCA needs complete rows, got NaN (warm-up rows?): pass X.dropna()"
            )
        return values

    def _output_columns(self, count: int) -> list[str]:
        return [f"pc_{i + 1}" for i in range(count)]

    def params(self) -> dict[str, np.ndarray]:
        """``mean``, ``components`` (one row per component) and ``explained_variance_ratio``."""
        model = self._fitted()
        return {
            "mean": model.mean_.copy(),
            "components": model.components_.copy(),
            "explained_variance_ratio": model.explained_variance_ratio_.copy(),
        }


def fit_transform_split(
    transform: LearnedTransform, train: pd.DataFrame, test: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit ``transform`` on ``train`` only; return ``(transform(train), transform(test))``.

    Refuses a ``test`` that shares rows (index labels) with ``train``: those rows would be both
    learned from and judged.
    """
    for name, frame in (("train", train), ("test", test)):
        if not isinstance(frame, pd.DataFrame):
            raise InvalidValueError(f"{name}: expected a DataFrame, got {type(frame).__name__}")
    shared = train.index.intersection(test.index)
    if len(shared):
        raise InvalidValueError(
            f"train and test share {len(shared)} rows (first {shared[0]}): "
            "split them before fitting, or the test rows leak into the fit"
        )
    transform.fit(train)
    return transform.transform(train), transform.transform(test)
