"""Out-of-fold predictions under purged cross-validation, one copy for the models that need them.

A model that learns from another model's predictions (a stacking meta-learner, a probability
calibrator, a tuning score) must see predictions on rows that model did not train on, or it
learns how well the model fits instead of how well it predicts. The helpers here split the rows
with purged CV (labels' end times ``t1``, an embargo), fit a fresh model per fold and collect
its outputs on the held-out rows. :class:`PurgedCVModel` is the base of the model kinds that do
this inside their own ``fit`` (``stacking``, ``calibrated``): their ``fit`` also takes ``t1``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self

import numpy as np
import pandas as pd

from alphaforge.ml.base import Model

__all__ = [
    "DEFAULT_EMBARGO",
    "DEFAULT_SPLITS",
    "PurgedCVModel",
    "default_t1",
    "fit_fold",
    "model_outputs",
    "out_of_fold",
    "purged_splits",
]

#: The default CV: 5 purged date blocks, an embargo of 1 % of the dates after each.
DEFAULT_SPLITS = 5
DEFAULT_EMBARGO = 0.01


def default_t1(index: pd.Index) -> pd.Series:
    """Each sample's label taken to end at its own bar (no purging, only the embargo): the
    fallback when no ``t1`` is given. Pass the labels' ``t1`` for forward-looking labels."""
    times = index.get_level_values(0) if isinstance(index, pd.MultiIndex) else index
    return pd.Series(times, index=index)


def purged_splits(
    X: pd.DataFrame, t1: pd.Series | None, cv: Any = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(train, test)`` row positions of ``cv`` (default ``PurgedKFold(5, embargo=0.01)``),
    purged with ``t1`` (default: :func:`default_t1`)."""
    from alphaforge.ml.validation import PurgedKFold  # noqa: PLC0415

    ends = default_t1(X.index) if t1 is None else t1
    splitter = PurgedKFold(DEFAULT_SPLITS, embargo=DEFAULT_EMBARGO) if cv is None else cv
    return list(splitter.split(X, ends))


def model_outputs(
    model: Model, X: pd.DataFrame, rows: np.ndarray, classes: list[Any] | None
) -> np.ndarray:
    """The model's outputs for ``X.iloc[rows]``: probabilities reindexed to ``classes`` (a fold
    may lack a class), or predicted values. Sequence models (``lookback`` > 1) predict on all of
    ``X`` so that each row's window holds the rows before it, whatever fold they are in."""
    context = int(getattr(model, "lookback", 1)) > 1
    part = X if context else X.iloc[rows]
    values: np.ndarray
    if classes is None:
        values = model.predict(part).to_numpy(dtype=np.float64)
    else:
        proba = model.predict_proba(part).reindex(columns=classes, fill_value=0.0)
        values = proba.to_numpy(dtype=np.float64)
    return values[rows] if context else values


def fit_fold(
    build: Callable[[], Model],
    X: pd.DataFrame,
    y: pd.Series,
    train: np.ndarray,
    sample_weight: pd.Series | None = None,
) -> Model:
    """A fresh ``build()`` model fitted on the rows ``train`` only (with their weights)."""
    model = build()
    weights = None if sample_weight is None else sample_weight.iloc[train]
    return model.fit(X.iloc[train], y.iloc[train], sample_weight=weights)


def out_of_fold(
    build: Callable[[], Model],
    X: pd.DataFrame,
    y: pd.Series,
    splits: list[tuple[np.ndarray, np.ndarray]],
    classes: list[Any] | None,
    sample_weight: pd.Series | None = None,
) -> np.ndarray:
    """Out-of-fold outputs: for each split a fresh ``build()`` model is fitted on the training
    rows and predicts the test rows. ``(n_rows, n_classes)`` (or ``(n_rows, 1)``), NaN where a
    row is in no test set (walk-forward splits leave the first rows out)."""
    width = 1 if classes is None else len(classes)
    out = np.full((len(X), width), np.nan)
    for train, test in splits:
        model = fit_fold(build, X, y, train, sample_weight)
        out[test] = model_outputs(model, X, test, classes).reshape(len(test), width)
    return out


class PurgedCVModel(Model):
    """A model kind that cross-validates inside its own ``fit`` (out-of-fold predictions), so
    ``fit`` also takes the labels' end times ``t1`` to purge the folds with; ``_fit`` reads them
    from ``self._t1`` (None: :func:`default_t1`)."""

    _t1: pd.Series | None = None

    def fit(
        self,
        X: pd.DataFrame,
        y: pd.Series,
        sample_weight: pd.Series | None = None,
        t1: pd.Series | None = None,
    ) -> Self:
        """Fit as the kind's module describes; ``t1`` = the labels' end times (for purging)."""
        self._t1 = t1
        super().fit(X, y, sample_weight)
        return self
