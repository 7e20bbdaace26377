"""Hyper-parameter tuning with Optuna inside purged cross-validation.

Each trial draws parameters, fits a fresh model on every purged training fold and scores it on
that fold's test rows; the trial's value is the mean fold score. Purging (``t1``) and the embargo
keep each fold's test labels out of its training rows, so a high score is not an overlap echo.
(The best value is still the best of ``n_trials`` draws: an optimistic estimate of the chosen
model's skill. Judge the winner on data the search did not see.)

>>> result = tune("lightgbm", X, labels.y, t1=labels.t1, n_trials=30, seed=7)
>>> result.best_params, result.best_score
>>> model = make_model("lightgbm", seed=7, **result.best_params).fit(X, labels.y)

Deterministic: a seeded TPE sampler, trials one after another, seeded models.

A search space maps a parameter to ``("int", low, high)``, ``("float", low, high)``,
``("float", low, high, "log")`` or ``("categorical", [choices])``; :data:`DEFAULT_SPACES` holds
one per kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from alphaforge.domain.errors import InvalidValueError
from alphaforge.ml.base import Task, make_model
from alphaforge.ml.models.trees import encode_classes
from alphaforge.ml.stacking import model_outputs, purged_splits

__all__ = ["DEFAULT_SPACES", "METRICS", "TuneResult", "tune"]

Space = Mapping[str, tuple[Any, ...]]

DEFAULT_SPACES: dict[str, dict[str, tuple[Any, ...]]] = {
    "lightgbm": {
        "num_leaves": ("int", 4, 64),
        "learning_rate": ("float", 0.01, 0.2, "log"),
        "min_data_in_leaf": ("int", 10, 200),
        "feature_fraction": ("float", 0.5, 1.0),
        "lambda_l2": ("float", 1e-3, 10.0, "log"),
    },
    "xgboost": {
        "max_depth": ("int", 2, 8),
        "eta": ("float", 0.01, 0.2, "log"),
        "subsample": ("float", 0.5, 1.0),
        "colsample_bytree": ("float", 0.5, 1.0),
        "lambda": ("float", 1e-3, 10.0, "log"),
    },
    "random_forest": {
        "max_depth": ("int", 2, 12),
        "min_samples_leaf": ("int", 5, 200),
        "max_features": ("float", 0.2, 1.0),
    },
    "linear": {"C": ("float", 1e-3, 10.0, "log"), "alpha": ("float", 1e-3, 100.0, "log")},
    "svm": {"C": ("float", 1e-2, 10.0, "log")},
    "lstm": {
        "hidden_size": ("categorical", [8, 16, 32]),
        "learning_rate": ("float", 1e-4, 1e-2, "log"),
    },
    "transformer": {
        "d_model": ("categorical", [8, 16, 32]),
        "learning_rate": ("float", 1e-4, 1e-2, "log"),
    },
}


def _log_loss(y: np.ndarray, out: np.ndarray, classes: list[Any]) -> float:
    codes = encode_classes(y, classes)
    picked = out[np.arange(len(y)), codes]
    return float(-np.log(np.clip(picked, 1e-12, 1.0)).mean())


def _accuracy(y: np.ndarray, out: np.ndarray, classes: list[Any]) -> float:
    return float((np.asarray(classes)[out.argmax(axis=1)] == y).mean())


def _brier(y: np.ndarray, out: np.ndarray, classes: list[Any]) -> float:
    onehot = np.asarray(y)[:, None] == np.asarray(classes)[None, :]
    return float(((out - onehot) ** 2).sum(axis=1).mean())


def _auc(y: np.ndarray, out: np.ndarray, classes: list[Any]) -> float:
    from sklearn.metrics import roc_auc_score  # noqa: PLC0415

    if len(classes) != 2:
        raise InvalidValueError("metric roc_auc needs two classes")
    return float(roc_auc_score(y == classes[1], out[:, 1]))


def _mse(y: np.ndarray, out: np.ndarray, _classes: Any) -> float:
    return float(((out[:, 0] - y) ** 2).mean())


def _mae(y: np.ndarray, out: np.ndarray, _classes: Any) -> float:
    return float(np.abs(out[:, 0] - y).mean())


def _ic(y: np.ndarray, out: np.ndarray, _classes: Any) -> float:
    from scipy.stats import spearmanr  # noqa: PLC0415

    return float(spearmanr(out[:, 0], y).statistic)


Direction = Literal["minimize", "maximize"]

#: name -> (task, direction, function(y, outputs, classes) -> score).
METRICS: dict[str, tuple[Task, Direction, Callable[[np.ndarray, np.ndarray, Any], float]]] = {
    "log_loss": ("classification", "minimize", _log_loss),
    "accuracy": ("classification", "maximize", _accuracy),
    "brier": ("classification", "minimize", _brier),
    "roc_auc": ("classification", "maximize", _auc),
    "mse": ("regression", "minimize", _mse),
    "mae": ("regression", "minimize", _mae),
    "ic": ("regression", "maximize", _ic),
}


@dataclass(frozen=True)
class TuneResult:
    """The winner: ``best_params`` (pass them to ``make_model``), its mean fold score, the
    metric and its direction, and the Optuna ``study`` (every trial, ``user_attrs`` hold each
    trial's fold scores)."""

    best_params: dict[str, Any]
    best_score: float
    metric: str
    direction: str
    study: Any


def _suggest(trial: Any, name: str, spec: tuple[Any, ...]) -> Any:
    kind = spec[0] if spec else None
    if kind == "int" and len(spec) == 3:
        return trial.suggest_int(name, int(spec[1]), int(spec[2]))
    if kind == "float" and len(spec) in (3, 4):
        log = len(spec) == 4 and spec[3] == "log"
        return trial.suggest_float(name, float(spec[1]), float(spec[2]), log=log)
    if kind == "categorical" and len(spec) == 2:
        return trial.suggest_categorical(name, list(spec[1]))
    raise InvalidValueError(
        f"search space entry {name}={spec!r}: use ('int', lo, hi), ('float', lo, hi[, 'log']) "
        "or ('categorical', [choices])"
    )


def _space(kind: str, task: Task, space: Space | None) -> Space:
    if space is not None:
        return space
    if kind not in DEFAULT_SPACES:
        raise InvalidValueError(f"no default search space for {kind!r}: pass space=")
    chosen = dict(DEFAULT_SPACES[kind])
    if kind == "linear":  # C is the classifier's strength, alpha the ridge's
        chosen.pop("alpha" if task == "classification" else "C")
    return chosen


def _metric(metric: str | None, task: Task) -> tuple[str, Direction, Callable[..., float]]:
    name = metric or ("log_loss" if task == "classification" else "mse")
    if name not in METRICS:
        raise InvalidValueError(f"unknown metric {name!r} (known: {', '.join(METRICS)})")
    wanted, direction, function = METRICS[name]
    if wanted != task:
        raise InvalidValueError(f"metric {name!r} is for {wanted}, the task is {task}")
    return name, direction, function


def tune(
    kind: str,
    X: pd.DataFrame,
    y: pd.Series,
    t1: pd.Series | None = None,
    space: Space | None = None,
    n_trials: int = 20,
    cv: Any = None,
    metric: str | None = None,
    seed: int = 0,
    *,
    task: Task = "classification",
    fixed: Mapping[str, Any] | None = None,
    timeout: float | None = None,
) -> TuneResult:
    """Search ``space`` for the ``kind`` parameters with the best mean purged-CV ``metric``.

    ``t1``: the labels' end times (default: each label ends at its own bar, then only the
    embargo separates folds). ``cv``: a splitter of ``alphaforge.ml.validation`` (default
    ``PurgedKFold(5, embargo=0.01)``). ``metric``: a name in :data:`METRICS` (default log_loss
    or mse). ``fixed``: parameters held constant. ``timeout``: seconds for the whole search (a
    deadline makes the trial count, hence the result, depend on the machine's speed).
    """
    import optuna  # noqa: PLC0415

    if n_trials < 1:
        raise InvalidValueError(f"n_trials must be >= 1, got {n_trials}")
    name, direction, score = _metric(metric, task)
    chosen = _space(kind, task, space)
    splits = purged_splits(X, t1, cv)
    classes = sorted(pd.unique(y).tolist()) if task == "classification" else None
    base = dict(fixed or {})
    y_values = y.to_numpy()

    def objective(trial: Any) -> float:
        params = {**base, **{k: _suggest(trial, k, spec) for k, spec in chosen.items()}}
        scores = []
        for train, test in splits:
            model = make_model(kind, task=task, seed=seed, **params)
            model.fit(X.iloc[train], y.iloc[train])
            out = model_outputs(model, X, test, classes).reshape(len(test), -1)
            scores.append(score(y_values[test], out, classes))
        trial.set_user_attr("fold_scores", scores)
        return float(np.mean(scores))

    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.create_study(
            direction=direction, sampler=optuna.samplers.TPESampler(seed=seed)
        )
        study.optimize(objective, n_trials=n_trials, timeout=timeout)
    finally:
        optuna.logging.set_verbosity(verbosity)
    best = study.best_trial
    value = float("nan") if best.value is None else float(best.value)
    return TuneResult({**base, **best.params}, value, name, direction, study)
