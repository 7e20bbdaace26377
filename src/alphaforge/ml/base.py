"""The one interface every model of ``alphaforge.ml`` speaks, whatever library is underneath.

A model is fitted on a feature matrix ``X`` (float64 DataFrame, index = bar times or
``(ts, symbol)``) and a target ``y`` on the same index; it predicts a value (regression) or class
probabilities (classification) per row; it saves itself to one directory and loads from it with
no other state. The registry (``alphaforge.ml.registry``) stores those directories as MLflow
artifacts; strategies load them by name and version or alias.

>>> model = make_model("lightgbm", task="classification", seed=7)
>>> model.fit(X_train, y_train)
>>> model.predict_proba(X_test)        # DataFrame: one column per class
>>> model.save("models/lgbm")
>>> same = load_model("models/lgbm")
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "MODEL_FILE",
    "Model",
    "NotFittedError",
    "Task",
    "check_features",
    "load_model",
    "make_model",
    "model_kinds",
    "register_model_kind",
]

Task = Literal["classification", "regression"]
#: The file in a saved model's directory that says what it is (kind, task, params, features).
MODEL_FILE = "alphaforge_model.json"


class NotFittedError(InvalidValueError):
    """A model was asked to predict or save before ``fit``."""


def check_features(X: pd.DataFrame, expected: Sequence[str] | None, what: str) -> pd.DataFrame:
    """``X`` as float64 with exactly the ``expected`` columns in that order (a model predicts on
    the features it was fitted on, or says which are missing)."""
    if not isinstance(X, pd.DataFrame):
        raise InvalidValueError(f"{what}: X must be a pandas DataFrame, got {type(X).__name__}")
    if expected is not None:
        missing = [c for c in expected if c not in X.columns]
        if missing:
            raise InvalidValueError(f"{what}: X lacks the features {missing[:5]} the model needs")
        X = X[list(expected)]
    return X.astype(np.float64)  # copy-on-write (pandas 3): no copy when already float64


class Model(ABC):
    """Base of every model: ``fit``, ``predict``, ``predict_proba``, ``save``, ``load``.

    Subclasses set ``kind`` and implement ``_fit``, ``_predict`` (and ``_predict_proba`` for
    classifiers), ``_save_state``/``_load_state`` for the library's own files. ``params`` are
    the hyper-parameters (JSON-able), ``seed`` makes fits repeatable, ``features`` and
    ``classes`` are learned by ``fit``.
    """

    kind: ClassVar[str] = ""

    def __init__(self, task: Task = "classification", seed: int = 0, **params: Any) -> None:
        if task not in ("classification", "regression"):
            raise InvalidValueError(f"task must be 'classification' or 'regression', got {task!r}")
        self.task: Task = task
        self.seed = int(seed)
        self.params: dict[str, Any] = dict(params)
        self.features: list[str] | None = None
        self.classes: list[Any] | None = None

    # -- the interface -------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: pd.Series, sample_weight: pd.Series | None = None) -> Model:
        """Fit on rows of ``X`` whose target ``y`` is known (rows with NaN in ``y`` are an error:
        drop them first, they are the future)."""
        X = check_features(X, None, f"{self.kind}.fit")
        if not isinstance(y, pd.Series) or not y.index.equals(X.index):
            raise InvalidValueError(f"{self.kind}.fit: y must be a Series on X's index")
        if y.isna().any():
            raise InvalidValueError(f"{self.kind}.fit: y has NaN (rows without a label yet)")
        if len(X) < 2:
            raise InvalidValueError(f"{self.kind}.fit: need at least 2 rows, got {len(X)}")
        self.features = [str(c) for c in X.columns]
        if self.task == "classification":
            self.classes = sorted(pd.unique(y).tolist())
            if len(self.classes) < 2:
                raise InvalidValueError(f"{self.kind}.fit: y has one class only ({self.classes})")
        self._fit(X, y, sample_weight)
        return self

    def predict(self, X: pd.DataFrame) -> pd.Series:
        """Predicted value (regression) or most likely class (classification) per row."""
        X = check_features(X, self._fitted_features(), f"{self.kind}.predict")
        return pd.Series(self._predict(X), index=X.index, name="prediction")

    def predict_proba(self, X: pd.DataFrame) -> pd.DataFrame:
        """Class probabilities per row, one column per class (classification only)."""
        if self.task != "classification":
            raise InvalidValueError(f"{self.kind}: predict_proba needs a classifier")
        X = check_features(X, self._fitted_features(), f"{self.kind}.predict_proba")
        proba = np.asarray(self._predict_proba(X), dtype=np.float64)
        return pd.DataFrame(proba, index=X.index, columns=self.classes)

    def save(self, path: str | Path) -> Path:
        """Write the model to directory ``path`` (created); return it."""
        features = self._fitted_features()
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "kind": self.kind,
            "task": self.task,
            "seed": self.seed,
            "params": self.params,
            "features": features,
            "classes": self.classes,
        }
        (folder / MODEL_FILE).write_text(json.dumps(meta, indent=2, default=_json) + "\n")
        self._save_state(folder)
        return folder

    @classmethod
    def load(cls, path: str | Path) -> Model:
        """Read a model saved by :meth:`save` (any kind: see :func:`load_model`)."""
        return load_model(path)

    # -- for subclasses ------------------------------------------------------------------
    @abstractmethod
    def _fit(self, X: pd.DataFrame, y: pd.Series, sample_weight: pd.Series | None) -> None: ...

    @abstractmethod
    def _predict(self, X: pd.DataFrame) -> np.ndarray: ...

    def _predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        raise InvalidValueError(f"{self.kind} gives no probabilities")

    @abstractmethod
    def _save_state(self, folder: Path) -> None: ...

    @abstractmethod
    def _load_state(self, folder: Path) -> None: ...

    def _fitted_features(self) -> list[str]:
        if self.features is None:
            raise NotFittedError(f"{self.kind}: fit the model first")
        return self.features

    def __repr__(self) -> str:
        state = "fitted" if self.features is not None else "not fitted"
        return f"{type(self).__name__}(task={self.task!r}, seed={self.seed}, {state})"


def _json(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


_KINDS: dict[str, type[Model]] = {}


def register_model_kind(cls: type[Model]) -> type[Model]:
    """Class decorator: make a model kind available to :func:`make_model` and loading."""
    if not cls.kind:
        raise InvalidValueError(f"{cls.__name__} needs a kind")
    _KINDS[cls.kind] = cls
    return cls


def model_kinds() -> list[str]:
    """Every registered kind (``lightgbm``, ``xgboost``, ``lstm`` ...)."""
    _load_builtin()
    return sorted(_KINDS)


def _load_builtin() -> None:
    import importlib  # noqa: PLC0415

    for module in ("alphaforge.ml.models", "alphaforge.ml.calibration", "alphaforge.ml.stacking"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:  # the built-in models are not written yet
            if exc.name != module:
                raise


def make_model(kind: str, task: Task = "classification", seed: int = 0, **params: Any) -> Model:
    """A new, unfitted model of ``kind`` (see :func:`model_kinds`)."""
    from alphaforge.core.suggest import did_you_mean  # noqa: PLC0415

    _load_builtin()
    if kind not in _KINDS:
        raise InvalidValueError(
            f"no model kind {kind!r} (known: {', '.join(sorted(_KINDS))})"
            f"{did_you_mean(kind, list(_KINDS))}"
        )
    return _KINDS[kind](task=task, seed=seed, **params)


def load_model(path: str | Path) -> Model:
    """Read any model saved by ``Model.save``."""
    folder = Path(path)
    meta_file = folder / MODEL_FILE
    if not meta_file.exists():
        raise InvalidValueError(f"{folder} holds no saved model ({MODEL_FILE} is missing)")
    meta: Mapping[str, Any] = json.loads(meta_file.read_text())
    model = make_model(meta["kind"], task=meta["task"], seed=meta["seed"], **meta["params"])
    model.features = list(meta["features"])
    model.classes = meta.get("classes")
    model._load_state(folder)  # the model restores its own state
    return model
