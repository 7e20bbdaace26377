"""What the ML experiments share (``alphaforge.runtime.ml_experiment``): labels that start
when a decision's order fills, the momentum baseline's scores, cross-sectional transforms, and
the purged walk-forward that fits one model per test block and predicts it."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from alphaforge.domain.errors import InvalidValueError
from alphaforge.features.labels import Labels, forward_returns
from alphaforge.features.library import FeatureSet
from alphaforge.features.panel import cross_sectional_rank, cross_sectional_zscore
from alphaforge.ml.base import Model, Task, make_model
from alphaforge.ml.validation import PurgedWalkForward

__all__ = [
    "LIGHTGBM_PARAMS",
    "Design",
    "Transform",
    "check_run",
    "default_params",
    "delayed_forward_returns",
    "feature_text",
    "momentum_scores",
    "predict_scores",
    "resolve_features",
    "scheme_text",
    "span_text",
    "times_of",
    "transform_panel",
    "walk_forward",
]

#: LightGBM settings of the replication, fixed before any out-of-sample result was seen: a small
#: learning rate, few leaves and large leaves (daily stock returns are mostly noise), column and
#: row subsampling. Not tuned on the test years.
LIGHTGBM_PARAMS: Mapping[str, Any] = {
    "n_estimators": 100,
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 500,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
}
Transform = Literal["rank", "zscore", "none"]


# --------------------------------------------------------------------------- labels and scores


def delayed_forward_returns(
    close: pd.DataFrame | pd.Series, horizon: int, delay: int = 1
) -> Labels:
    """Label each bar with the return from ``delay`` bars later to ``delay + horizon`` bars later.

    ``y[t] = close[t+delay+h] / close[t+delay] - 1`` and ``t1[t]`` = time of bar ``t+delay+h``,
    per symbol: what a position decided at ``t``'s close and filled at a later close earns.
    With ``delay=0`` this is ``forward_returns``.
    """
    if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
        raise InvalidValueError(f"delay must be an int >= 0, got {delay!r}")
    base = forward_returns(close, horizon)
    if delay == 0:
        return base
    panel = isinstance(base.index, pd.MultiIndex)
    if panel:
        y = base.y.groupby(level="symbol", sort=False).shift(-delay)
        t1 = base.t1.groupby(level="symbol", sort=False).shift(-delay)
    else:
        y, t1 = base.y.shift(-delay), base.t1.shift(-delay)
    t1 = t1.where(y.notna())
    return Labels(
        y.astype(np.float64), pd.to_datetime(t1, utc=True), horizon + delay, "forward_return"
    )


def momentum_scores(wide: pd.DataFrame, lookback: int = 252, skip: int = 21) -> pd.Series:
    """The 12-1 month momentum of each stock on a ``(ts, symbol)`` index: the return from
    ``lookback`` bars ago to ``skip`` bars ago (Jegadeesh & Titman, 1993), known at ``t``."""
    if not 0 <= skip < lookback:
        raise InvalidValueError(f"need 0 <= skip < lookback, got skip={skip}, lookback={lookback}")
    parts = []
    for symbol in wide.columns:
        close = wide[symbol].dropna()
        score = close.shift(skip) / close.shift(lookback) - 1.0
        index = pd.MultiIndex.from_arrays(
            [score.index, np.full(len(score), str(symbol), dtype=object)], names=["ts", "symbol"]
        )
        parts.append(pd.Series(score.to_numpy(), index=index))
    return pd.concat(parts).sort_index().dropna().rename("momentum_12_1")


def predict_scores(model: Model, X: pd.DataFrame) -> pd.Series:
    if model.task == "classification":
        values = model.predict_proba(X).iloc[:, -1].to_numpy()
    else:
        values = model.predict(X).to_numpy()
    return pd.Series(values, index=X.index, name="prediction", dtype=np.float64)


# --------------------------------------------------------------------------- walk-forward


@dataclass(frozen=True)
class Design:
    """What a walk-forward fits: complete feature rows with known labels, the target to fit,
    its end times, the rows after the last label (predicted by the last fold), the model."""

    X: pd.DataFrame
    y: pd.Series
    t1: pd.Series
    tail: pd.DataFrame
    model: str
    task: Task
    params: Mapping[str, Any]
    seed: int


def times_of(index: pd.Index) -> pd.DatetimeIndex:
    """The sample times of a single-asset or (ts, symbol) index."""
    values = index.get_level_values(0) if isinstance(index, pd.MultiIndex) else index
    return pd.DatetimeIndex(values)


def walk_forward(
    design: Design, *, test_size: int, min_train: int, train_size: int | None, embargo: int
) -> tuple[pd.Series, pd.DataFrame]:
    """Out-of-sample scores of every test block, and one row per fold (spans, rows, purging)."""
    dates = times_of(design.X.index).unique()
    n_splits = (len(dates) - min_train) // test_size
    if n_splits < 1:
        raise InvalidValueError(
            f"{len(dates)} labelled dates cannot hold {min_train} training dates and a test "
            f"block of {test_size}: use more data, a smaller min_train or test_size"
        )
    splitter = PurgedWalkForward(
        n_splits, train_size=train_size, test_size=test_size, embargo=embargo, t1=design.t1
    )
    parts, folds = [], []
    stamps = times_of(design.X.index)
    for k, (train, test) in enumerate(splitter.split(design.X)):
        began = time.perf_counter()
        model = make_model(design.model, task=design.task, seed=design.seed, **design.params)
        model.fit(design.X.iloc[train], design.y.iloc[train])
        fitted = time.perf_counter() - began
        rows = design.X.iloc[test]
        if k == n_splits - 1 and len(design.tail):
            rows = pd.concat([rows, design.tail])
        parts.append(predict_scores(model, rows))
        folds.append({
            "fold": k + 1,
            "train_start": stamps[train].min(),
            "train_end": stamps[train].max(),
            "train_last_t1": design.t1.iloc[train].max(),
            "train_rows": len(train),
            "test_start": stamps[test].min(),
            "test_end": times_of(rows.index).max(),
            "test_rows": len(rows),
            "fit_seconds": fitted,
        })  # fmt: skip
    return pd.concat(parts).sort_index(), pd.DataFrame(folds).set_index("fold")


def transform_panel(panel: pd.DataFrame, how: Transform) -> pd.DataFrame:
    """``panel`` ranked (``rank``) or z-scored (``zscore``) per date across the symbols, or as
    it is (``none``)."""
    if how not in ("rank", "zscore", "none"):
        raise InvalidValueError(f"transform must be rank, zscore or none, got {how!r}")
    if how == "rank":
        return cross_sectional_rank(panel)
    if how == "zscore":
        return cross_sectional_zscore(panel)
    return panel


def resolve_features(features: str | FeatureSet) -> FeatureSet:
    """A feature set by name (``close_only``, ``classic``) or as given."""
    if isinstance(features, FeatureSet):
        return features
    if features == "close_only":
        return FeatureSet.close_only()
    if features == "classic":
        return FeatureSet.classic()
    raise InvalidValueError(
        f"features must be 'close_only', 'classic' or a FeatureSet, got {features!r}"
    )


def check_run(top_k: int, bottom_k: int, n_symbols: int, horizon: int) -> None:
    """Refuse a portfolio the symbols cannot fill and a horizon that is not a bar count."""
    if top_k < 1 or bottom_k < 0 or top_k + bottom_k > n_symbols:
        raise InvalidValueError(
            f"top_k={top_k} and bottom_k={bottom_k} need top_k >= 1, bottom_k >= 0 and "
            f"top_k + bottom_k <= the {n_symbols} symbols"
        )
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise InvalidValueError(f"horizon must be an int >= 1 bar, got {horizon!r}")


def feature_text(X: pd.DataFrame) -> str:
    """``24 (rsi_14, macd_12_26, ...)``: the settings table's features cell."""
    return f"{X.shape[1]} ({', '.join(map(str, X.columns[:4]))}, ...)"


def default_params(model: str) -> Mapping[str, Any]:
    """The replication's settings of ``model`` (LightGBM's), else the model's own."""
    return LIGHTGBM_PARAMS if model == "lightgbm" else {}


def span_text(index: pd.Index) -> str:
    """``first .. last`` date of an index."""
    stamps = times_of(index)
    return f"{stamps.min():%Y-%m-%d} .. {stamps.max():%Y-%m-%d}"


def scheme_text(test_size: int, min_train: int, train_size: int | None, embargo: int) -> str:
    """The walk-forward in words, for the settings table."""
    window = "expanding" if train_size is None else f"rolling {train_size} dates"
    return (
        f"test blocks of {test_size} dates after >= {min_train} training dates; {window}; "
        f"purged by label end (t1); embargo {embargo} dates"
    )
