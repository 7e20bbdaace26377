"""Gradient-boosted trees (LightGBM, XGBoost) and scikit-learn's random forest behind ``Model``.

Trees need no scaling and take NaN features as "missing" (the warm-up rows of a rolling
feature), so these models accept NaN in ``X``. Every fit is seeded and single-answer:
LightGBM runs with ``deterministic=True`` and row-wise histograms, XGBoost with the ``hist``
method (deterministic on CPU), the forest with ``random_state=seed``.

The live path of a boosted model is :meth:`LightGBMModel.predict_row` (and XGBoost's): one
NumPy row straight into the booster, no DataFrame, about 20 µs for LightGBM.
"""

from __future__ import annotations

import pickle
import warnings
from abc import abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from alphaforge.core.suggest import did_you_mean
from alphaforge.domain.errors import InvalidValueError
from alphaforge.ml.base import Model, register_model_kind

__all__ = [
    "LightGBMModel",
    "RandomForestModel",
    "XGBoostModel",
    "class_labels",
    "dump_pickle",
    "encode_classes",
    "load_pickle",
    "weights_array",
]


def encode_classes(y: pd.Series | np.ndarray, classes: list[Any]) -> np.ndarray:
    """``y`` as integer codes 0..k-1 in the order of ``classes`` (what the libraries expect);
    -1 for a label that is not in ``classes``."""
    return np.asarray(pd.Index(classes).get_indexer(np.asarray(y)), dtype=np.int64)


def class_labels(classes: list[Any] | None, codes: np.ndarray) -> np.ndarray:
    """The class labels at positions ``codes`` (the inverse of :func:`encode_classes`)."""
    return np.take(np.asarray(classes), codes)


def dump_pickle(value: object, path: Path) -> None:
    """Write a scikit-learn object (the format scikit-learn documents for its models)."""
    with path.open("wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)


def load_pickle(path: Path) -> Any:
    """Read what :func:`dump_pickle` wrote. A pickle can run code: load only models you trust
    (your own, or from your registry)."""
    with path.open("rb") as handle:
        return pickle.load(handle)  # noqa: S301  # trusted: the model's own save directory


def weights_array(sample_weight: pd.Series | None, X: pd.DataFrame) -> np.ndarray | None:
    """``sample_weight`` as float64, or a clear error unless it is a Series on ``X``'s index of
    finite, non-negative weights with a positive sum."""
    if sample_weight is None:
        return None
    if not isinstance(sample_weight, pd.Series) or not sample_weight.index.equals(X.index):
        raise InvalidValueError("sample_weight must be a Series on X's index")
    values = sample_weight.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all() or (values < 0).any() or values.sum() <= 0:
        raise InvalidValueError("sample_weight must be finite, >= 0 and not all 0")
    return values


def _two_columns(p1: np.ndarray) -> np.ndarray:
    """Binary probabilities [P(class 0), P(class 1)] from P(class 1)."""
    p1 = np.asarray(p1, dtype=np.float64).reshape(-1)
    return np.column_stack([1.0 - p1, p1])


class _Booster(Model):
    """What LightGBM and XGBoost share: rounds, objective by task, a booster file."""

    defaults: ClassVar[dict[str, Any]] = {}
    file: ClassVar[str] = ""

    def __init__(self, task: Any = "classification", seed: int = 0, **params: Any) -> None:
        super().__init__(task=task, seed=seed, **params)
        self._booster: Any = None

    def _lib_params(self) -> tuple[dict[str, Any], int]:
        """The library's parameters (defaults, then the user's) and the number of rounds."""
        merged = {**self.defaults, **self.params}
        rounds = int(merged.pop("n_estimators"))
        if rounds < 1:
            raise InvalidValueError(f"{self.kind}: n_estimators must be >= 1, got {rounds}")
        return merged, rounds

    def _n_classes(self) -> int:
        return len(self.classes or [])

    def _target(self, y: pd.Series) -> np.ndarray:
        if self.task == "classification":
            return encode_classes(y, list(self.classes or []))
        return y.to_numpy(dtype=np.float64)

    @abstractmethod
    def _raw(self, values: np.ndarray) -> np.ndarray:
        """The booster's raw output for rows of feature values."""

    def _predict(self, X: pd.DataFrame) -> np.ndarray:
        raw = self._raw(X.to_numpy())
        if self.task == "regression":
            return np.asarray(raw, dtype=np.float64).reshape(-1)
        return class_labels(self.classes, self._as_proba(raw).argmax(axis=1))

    def _predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self._as_proba(self._raw(X.to_numpy()))

    def _as_proba(self, raw: np.ndarray) -> np.ndarray:
        if self._n_classes() == 2:
            return _two_columns(raw)
        return np.asarray(raw, dtype=np.float64).reshape(-1, self._n_classes())

    def predict_row(self, row: np.ndarray) -> np.ndarray:
        """The live path: one row of features (in ``self.features`` order) as a NumPy vector ->
        class probabilities (classification) or a one-element array (regression)."""
        features = self._fitted_features()
        values = np.asarray(row, dtype=np.float64).reshape(1, -1)
        if values.shape[1] != len(features):
            raise InvalidValueError(
                f"{self.kind}.predict_row: need {len(features)} values (the features "
                f"{features[:3]}...), got {values.shape[1]}"
            )
        raw = self._raw(values)
        if self.task == "regression":
            return np.asarray(raw, dtype=np.float64).reshape(-1)
        return np.asarray(self._as_proba(raw)[0])


@register_model_kind
class LightGBMModel(_Booster):
    """LightGBM ``train`` with LightGBM's own parameter names; ``n_estimators`` = rounds.

    Defaults: 200 rounds, learning_rate 0.05, num_leaves 31, min_data_in_leaf 20, num_threads 1
    (one thread is fastest below some 100,000 rows and on a busy machine; 0 = all cores);
    always ``deterministic``, ``force_row_wise``, ``seed`` = the model's seed, silent.
    """

    kind = "lightgbm"
    file = "lightgbm.txt"
    defaults: ClassVar[dict[str, Any]] = {
        "n_estimators": 200,
        "learning_rate": 0.05,
        "num_leaves": 31,
        "min_data_in_leaf": 20,
        "num_threads": 1,
    }

    def _objective(self) -> dict[str, Any]:
        if self.task == "regression":
            return {"objective": "regression"}
        if self._n_classes() == 2:
            return {"objective": "binary"}
        return {"objective": "multiclass", "num_class": self._n_classes()}

    def _fit(self, X: pd.DataFrame, y: pd.Series, sample_weight: pd.Series | None) -> None:
        import lightgbm as lgb  # noqa: PLC0415  # heavy: only when a LightGBM model is used

        params, rounds = self._lib_params()
        _check_lightgbm_names(params, lgb)
        params.update(self._objective())
        params.update(
            {"seed": self.seed, "deterministic": True, "force_row_wise": True, "verbose": -1}
        )
        data = lgb.Dataset(
            X.to_numpy(),
            label=self._target(y),
            weight=weights_array(sample_weight, X),
            feature_name=[_safe_name(c) for c in X.columns],
            free_raw_data=True,
        )
        self._booster = lgb.train(params, data, num_boost_round=rounds)

    def _raw(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(self._booster.predict(values, num_threads=1))

    @property
    def booster(self) -> Any:
        """The fitted ``lightgbm.Booster`` (feature importances, SHAP via ``pred_contrib``)."""
        self._fitted_features()
        return self._booster

    def _save_state(self, folder: Path) -> None:
        self._booster.save_model(str(folder / self.file))

    def _load_state(self, folder: Path) -> None:
        import lightgbm as lgb  # noqa: PLC0415

        self._booster = lgb.Booster(model_file=str(folder / self.file))


@register_model_kind
class XGBoostModel(_Booster):
    """XGBoost ``train`` with XGBoost's own parameter names; ``n_estimators`` = rounds.

    Defaults: 200 rounds, eta 0.05, max_depth 4, tree_method ``hist``, nthread 1 (0 = all
    cores); ``seed`` = the model's.
    """

    kind = "xgboost"
    file = "xgboost.ubj"
    defaults: ClassVar[dict[str, Any]] = {
        "n_estimators": 200,
        "eta": 0.05,
        "max_depth": 4,
        "tree_method": "hist",
        "nthread": 1,
    }

    def _objective(self) -> dict[str, Any]:
        if self.task == "regression":
            return {"objective": "reg:squarederror"}
        if self._n_classes() == 2:
            return {"objective": "binary:logistic"}
        return {"objective": "multi:softprob", "num_class": self._n_classes()}

    def _fit(self, X: pd.DataFrame, y: pd.Series, sample_weight: pd.Series | None) -> None:
        import xgboost as xgb  # noqa: PLC0415  # heavy: only when an XGBoost model is used

        params, rounds = self._lib_params()
        params.update(self._objective())
        # Verbosity 1 makes XGBoost warn about parameters it did not use: turned into an error.
        params.update({"seed": self.seed, "verbosity": 1, "validate_parameters": True})
        data = xgb.DMatrix(
            X.to_numpy(), label=self._target(y), weight=weights_array(sample_weight, X), nthread=1
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self._booster = xgb.train(params, data, num_boost_round=rounds)
        for warning in caught:
            text = str(warning.message)
            if "are not used" in text:
                unused = text[text.index("{") : text.index("}") + 1]
                raise InvalidValueError(f"xgboost: unknown parameters {unused} (XGBoost's names)")
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )

    def _raw(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(self._booster.inplace_predict(values))

    def _save_state(self, folder: Path) -> None:
        self._booster.save_model(str(folder / self.file))

    def _load_state(self, folder: Path) -> None:
        import xgboost as xgb  # noqa: PLC0415

        self._booster = xgb.Booster()
        self._booster.load_model(str(folder / self.file))


@register_model_kind
class RandomForestModel(Model):
    """scikit-learn's ``RandomForestClassifier`` / ``RandomForestRegressor``.

    Parameters are scikit-learn's (``n_estimators`` 200, ``max_depth`` None, ``min_samples_leaf``
    20, ``max_features`` "sqrt", ``n_jobs`` 1 by default); ``random_state`` = the model's seed.
    Saved as a pickle: load only models you trust.
    """

    kind = "random_forest"
    file: ClassVar[str] = "forest.pkl"
    defaults: ClassVar[dict[str, Any]] = {
        "n_estimators": 200,
        "min_samples_leaf": 20,
        "max_features": "sqrt",
        "n_jobs": 1,
    }

    def __init__(self, task: Any = "classification", seed: int = 0, **params: Any) -> None:
        super().__init__(task=task, seed=seed, **params)
        self._forest: Any = None

    def _fit(self, X: pd.DataFrame, y: pd.Series, sample_weight: pd.Series | None) -> None:
        from sklearn.ensemble import (  # noqa: PLC0415
            RandomForestClassifier,
            RandomForestRegressor,
        )

        cls = RandomForestClassifier if self.task == "classification" else RandomForestRegressor
        params = {**self.defaults, **self.params, "random_state": self.seed}
        self._forest = build_estimator(cls, params, self.kind)
        target = (
            encode_classes(y, list(self.classes or []))
            if self.task == "classification"
            else y.to_numpy(dtype=np.float64)
        )
        self._forest.fit(X.to_numpy(), target, sample_weight=weights_array(sample_weight, X))

    def _predict(self, X: pd.DataFrame) -> np.ndarray:
        out = self._forest.predict(X.to_numpy())
        if self.task == "regression":
            return np.asarray(out, dtype=np.float64)
        return class_labels(self.classes, np.asarray(out, dtype=np.int64))

    def _predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self._forest.predict_proba(X.to_numpy()), dtype=np.float64)

    def _save_state(self, folder: Path) -> None:
        dump_pickle(self._forest, folder / self.file)

    def _load_state(self, folder: Path) -> None:
        self._forest = load_pickle(folder / self.file)


def _check_lightgbm_names(params: dict[str, Any], lgb: Any) -> None:
    """Name a parameter LightGBM does not know (it would ignore it silently when quiet)."""
    try:
        aliases = lgb.basic._ConfigAliases._get_all_param_aliases()  # LightGBM's own table
    except AttributeError:  # a LightGBM without the table: let it decide
        return
    known = set(aliases) | {name for names in aliases.values() for name in names}
    for name in params:
        if name not in known:
            raise InvalidValueError(
                f"lightgbm: unknown parameter {name!r}{did_you_mean(name, sorted(known))}"
            )


def build_estimator(cls: type, params: dict[str, Any], kind: str) -> Any:
    """``cls(**params)``, or a clear error naming the parameter scikit-learn does not know."""
    import inspect  # noqa: PLC0415

    known = list(inspect.signature(cls).parameters)
    for name in params:
        if name not in known:
            raise InvalidValueError(
                f"{kind}: unknown parameter {name!r} for {cls.__name__}{did_you_mean(name, known)}"
            )
    return cls(**params)


def _safe_name(name: object) -> str:
    """LightGBM refuses some characters in feature names (JSON specials); keep the rest."""
    text = str(name)
    return "".join("_" if ch in '[]{}:,"' else ch for ch in text)
