"""The recipe of a model trained by ``alphaforge ml train``, and the rows it makes.

A :class:`Recipe` names the data, the features, the label and its horizon: enough to rebuild a
model's rows, so it is logged with the model as ``provenance.*`` tags and read back by
``promote`` (to score production on the candidate's test rows) and ``drift`` (to find the
training rows). :func:`build` makes the feature and label rows, :func:`split` cuts them at
``--train-end`` (purging labels that reach past it), :func:`fit`, :func:`cross_validate` and
:func:`score` fit and score models on them.

Private to the ``alphaforge ml`` lifecycle commands. Heavy libraries (features, models, SciPy)
are imported inside the functions that need them, so that ``alphaforge --help`` stays fast.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from alphaforge.core.suggest import did_you_mean
from alphaforge.domain.errors import InvalidValueError

if TYPE_CHECKING:
    from alphaforge.features import FeatureSet, Labels
    from alphaforge.ml.base import Model, Task

__all__ = [
    "LABELS",
    "Built",
    "Recipe",
    "build",
    "cross_validate",
    "feature_matrix",
    "feature_set",
    "finite",
    "fit",
    "jsonable",
    "known_outcomes",
    "make_labels",
    "outputs",
    "parse_embargo",
    "period_rows",
    "ranking_score",
    "score",
    "span",
    "split",
    "times",
]

#: Label name -> the task it makes.
LABELS: dict[str, Task] = {
    "direction": "classification",  # 1 if the forward return over --horizon is > 0, else 0
    "return": "regression",  # the forward return over --horizon
    "classes": "classification",  # +1/0/-1 beyond +-0.5 volatility-scaled moves
    "triple_barrier": "classification",  # first barrier touched within --horizon bars
}
_SETS = ("classic", "close_only")


# ----------------------------------------------------------------------------- the recipe


@dataclass(frozen=True)
class Recipe:
    """What a model is trained on, enough to rebuild it: logged as ``provenance.*`` tags."""

    data: tuple[str, ...]
    symbols: tuple[str, ...]
    features: str
    label: str
    horizon: int
    start: str | None = None
    end: str | None = None
    train_end: str | None = None

    def __post_init__(self) -> None:
        if self.label not in LABELS:
            raise InvalidValueError(
                f"--label {self.label!r}: use one of {', '.join(LABELS)}"
                f"{did_you_mean(self.label, LABELS)}"
            )

    @property
    def task(self) -> Task:
        """Classification or regression, by the label."""
        return LABELS[self.label]

    def provenance(self) -> dict[str, str]:
        """The recipe as registry provenance (strings, so tags read back as written)."""
        return {
            "data": ",".join(self.data),
            "symbols": ",".join(self.symbols),
            "features": self.features,
            "label": self.label,
            "horizon": str(self.horizon),
            "start": self.start or "",
            "end": self.end or "",
            "train_end": self.train_end or "",
        }

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> Recipe | None:
        """The recipe of a version logged by ``ml train`` (None for one logged otherwise)."""
        prefix = "provenance."
        p = {k.removeprefix(prefix): v for k, v in tags.items() if k.startswith(prefix)}
        if not {"data", "features", "label", "horizon"} <= p.keys():
            return None
        return cls(
            tuple(filter(None, p["data"].split(","))),
            tuple(filter(None, p.get("symbols", "").split(","))),
            p["features"],
            p["label"],
            int(p["horizon"]),
            p.get("start") or None,
            p.get("end") or None,
            p.get("train_end") or None,
        )


@dataclass(frozen=True)
class Built:
    """A recipe made real: raw frames, complete feature rows with known labels, realized returns."""

    recipe: Recipe
    frames: dict[str, pd.DataFrame]
    X: pd.DataFrame
    labels: Labels
    outcome: pd.Series


def _bound(value: str | None, name: str, *, end: bool = False) -> pd.Timestamp | None:
    from alphaforge.data.catalog_args import time_bound  # noqa: PLC0415

    return time_bound(value, name, end=end)


def times(index: pd.Index) -> pd.DatetimeIndex:
    """The timestamps of an index (the first level of a panel's)."""
    return pd.DatetimeIndex(index.get_level_values(0) if index.nlevels > 1 else index)


def _between(frame: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None) -> Any:
    ts = times(frame.index)
    keep = np.ones(len(frame), dtype=bool)
    if start is not None:
        keep &= np.asarray(ts >= start)
    if end is not None:
        keep &= np.asarray(ts <= end)
    return frame[keep]


def _frames(data: tuple[str, ...], symbols: tuple[str, ...], end: str | None) -> dict[str, Any]:
    """Each symbol's validated bars up to ``end``."""
    from alphaforge.runtime.inputs import load_series  # noqa: PLC0415

    source: Any = data[0] if len(data) == 1 else list(data)
    stop = _bound(end, "--end", end=True)
    frames: dict[str, pd.DataFrame] = {}
    for s in load_series(source, symbols=symbols or None):
        if s.is_trades or "close" not in s.frame.columns:
            raise InvalidValueError(f"{s.symbol} ({s.source}) has no close prices to label")
        if s.symbol in frames:
            raise InvalidValueError(f"{s.symbol} comes twice in --data; pick one with --symbols")
        frames[s.symbol] = s.frame if stop is None else s.frame.loc[s.frame.index <= stop]
    return frames


def feature_set(spec: str) -> FeatureSet:
    """``classic``, ``close_only`` or a comma list of classic feature names."""
    from alphaforge.features import FeatureSet  # noqa: PLC0415

    if spec in _SETS:
        return FeatureSet.classic() if spec == "classic" else FeatureSet.close_only()
    names = [n.strip() for n in spec.split(",") if n.strip()]
    known = FeatureSet.classic().names
    if len(names) == 1 and names[0] not in known:
        raise InvalidValueError(
            f"--features {spec!r}: give classic, close_only or feature names separated by "
            f"commas{did_you_mean(spec, [*_SETS, *known])}"
        )
    return FeatureSet.classic().select(names)


def feature_matrix(frames: dict[str, pd.DataFrame], spec: str) -> tuple[pd.DataFrame, Any]:
    """The feature matrix (one asset, or a panel) and the closes the labels need."""
    from alphaforge.features import available_fields, compute_panel  # noqa: PLC0415

    chosen = feature_set(spec)
    for symbol, frame in frames.items():
        lacking = sorted(chosen.needs - available_fields(frame))
        if lacking:
            raise InvalidValueError(
                f"{symbol} lacks {', '.join(lacking)} (close-only data?), which --features "
                f"{spec} needs: use --features close_only or name the features"
            )
    if len(frames) == 1:
        (frame,) = frames.values()
        return chosen.compute(frame), frame["close"]
    closes = pd.DataFrame({symbol: f["close"] for symbol, f in frames.items()})
    return compute_panel(frames, chosen), closes


def make_labels(close: Any, label: str, horizon: int) -> Labels:
    """The labels ``label`` names; ``extra["ret"]`` holds the realized return (for the IC)."""
    from alphaforge.features.labels import (  # noqa: PLC0415
        Labels,
        classes,
        forward_returns,
        triple_barrier,
    )

    if label == "classes":
        return classes(close, horizon, k=0.5)
    if label == "triple_barrier":
        return triple_barrier(close, max_holding=horizon)
    ahead = forward_returns(close, horizon)
    extra = pd.DataFrame({"ret": ahead.y})
    if label == "return":
        return replace(ahead, extra=extra)
    up = (ahead.y > 0).astype(np.float64).where(ahead.y.notna())
    return Labels(up, ahead.t1, ahead.horizon, "classes", extra=extra)


def build(recipe: Recipe) -> Built:
    """Load the data up to ``end``, compute features and labels, keep complete labelled rows
    from ``start`` on (features warm up on the bars before it)."""
    frames = _frames(recipe.data, recipe.symbols, recipe.end)
    X_all, close = feature_matrix(frames, recipe.features)
    labels = make_labels(close, recipe.label, recipe.horizon)
    rows = _between(X_all.dropna(), _bound(recipe.start, "--start"), None)
    if rows.empty:
        raise InvalidValueError(
            "no complete feature row in the period: start later or use more data"
        )
    X, known = labels.align(rows)
    return Built(recipe, frames, X, known, known.extra["ret"].astype(np.float64))


def split(built: Built, train_end: str) -> tuple[np.ndarray, np.ndarray, int]:
    """Training rows (up to ``train_end``, with labels ending by then), test rows (after it), and
    how many rows were purged because their label reached into the test period."""
    stop = _bound(train_end, "--train-end", end=True)
    if stop is None:
        raise InvalidValueError("--train-end is required")
    ts = times(built.X.index)
    before = np.asarray(ts <= stop)
    train = before & np.asarray(built.labels.t1 <= stop)
    if not train.any() or before.all():
        span = f"{_day(ts.min())}..{_day(ts.max())}"
        raise InvalidValueError(
            f"--train-end {train_end} leaves no {'training' if not train.any() else 'test'} "
            f"row: the labelled rows span {span}"
        )
    return np.flatnonzero(train), np.flatnonzero(~before), int(before.sum() - train.sum())


def _day(ts: pd.Timestamp) -> str:
    return f"{ts:%Y-%m-%d}" if ts == ts.normalize() else f"{ts:%Y-%m-%d %H:%M}"


def span(index: pd.Index) -> str:
    """The first and last day of an index, as ``first..last``."""
    ts = times(index)
    return f"{_day(ts.min())}..{_day(ts.max())}"


# ----------------------------------------------------------------------------- fit and score


def parse_embargo(text: str) -> float | int | str:
    """``--embargo`` as PurgedKFold takes it: bars (int), a fraction (float) or a period."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def fit(kind: str, params: Mapping[str, Any], seed: int, task: Task, X: Any, y: Labels) -> Model:
    """A fitted ``kind`` model; models that purge internally (stacking ...) get the ``t1``."""
    from alphaforge.ml.base import make_model  # noqa: PLC0415

    model = make_model(kind, task=task, seed=seed, **params)
    if "t1" in inspect.signature(model.fit).parameters:
        cast(Any, model).fit(X, y.y, t1=y.t1)
    else:
        model.fit(X, y.y)
    return model


def ranking_score(out: np.ndarray, classes: list[Any] | None) -> np.ndarray:
    """One number per row to rank by: the value, P(last class), or the expected class."""
    if classes is None:
        return np.asarray(out[:, 0])
    if len(classes) == 2:
        return np.asarray(out[:, 1])
    return np.asarray(out @ np.asarray(classes, dtype=np.float64))


def _ic(score: pd.Series, outcome: pd.Series) -> float:
    """Spearman IC of score and outcome: over time (one asset), or per date averaged (panel)."""
    from scipy import stats  # noqa: PLC0415

    from alphaforge.ml.evaluation import rank_ic_by_date  # noqa: PLC0415

    if isinstance(score.index, pd.MultiIndex):
        return float(rank_ic_by_date(score, outcome).mean())
    if np.ptp(score.to_numpy()) == 0 or np.ptp(outcome.to_numpy()) == 0:
        return math.nan
    return float(stats.spearmanr(score, outcome).statistic)


def score(
    out: np.ndarray, classes: list[Any] | None, y: pd.Series, outcome: pd.Series
) -> dict[str, float]:
    """Out-of-sample metrics of model outputs ``out`` on rows with targets ``y``: the
    classification or regression scores, ``ic`` (Spearman, against the realized return) and
    ``n_oos``."""
    from alphaforge.ml.evaluation import (  # noqa: PLC0415
        classification_metrics,
        regression_metrics,
    )

    if classes is None:
        metrics = regression_metrics(y, pd.Series(out[:, 0], index=y.index))
        metrics["pearson_ic"] = metrics.pop("ic")
        metrics.pop("rank_ic")
    else:
        metrics = classification_metrics(y, pd.DataFrame(out, index=y.index, columns=classes))
    metrics.pop("n")
    metrics["ic"] = _ic(pd.Series(ranking_score(out, classes), index=y.index), outcome)
    metrics["n_oos"] = float(len(y))
    return metrics


def outputs(model: Model, X: pd.DataFrame, rows: np.ndarray, classes: list[Any] | None) -> Any:
    """The model's outputs on ``rows`` of ``X``: one column per class, or the value."""
    from alphaforge.ml.stacking import model_outputs  # noqa: PLC0415

    return model_outputs(model, X, rows, classes).reshape(len(rows), -1)


def cross_validate(
    kind: str, params: Mapping[str, Any], seed: int, task: Task, built: Built, rows: np.ndarray,
    folds: int, embargo: str,
) -> dict[str, float]:  # fmt: skip
    """Purged k-fold CV on the training ``rows``: the metrics of the out-of-fold outputs."""
    from alphaforge.ml.validation import PurgedKFold  # noqa: PLC0415

    X, labels = built.X.iloc[rows], built.labels.take(rows)
    classes = sorted(pd.unique(labels.y).tolist()) if task == "classification" else None
    out = np.full((len(X), 1 if classes is None else len(classes)), np.nan)
    for train, test in PurgedKFold(folds, embargo=parse_embargo(embargo), t1=labels.t1).split(X):
        model = fit(kind, params, seed, task, X.iloc[train], labels.take(train))
        out[test] = outputs(model, X, test, classes)
    return score(out, classes, labels.y, built.outcome.iloc[rows])


def finite(metrics: Mapping[str, float]) -> dict[str, float]:
    """The finite metrics (what the registry logs)."""
    return {k: float(v) for k, v in metrics.items() if math.isfinite(v)}


def jsonable(metrics: Mapping[str, float]) -> dict[str, float | None]:
    """The metrics for JSON: NaN and infinities as None."""
    return {k: (float(v) if math.isfinite(v) else None) for k, v in metrics.items()}


# ----------------------------------------------------------------------------- drift rows


def period_rows(recipe: Recipe, start: str | None, end: str | None) -> tuple[pd.DataFrame, Any]:
    """Complete feature rows in [start, end] and the closes up to end."""
    frames = _frames(recipe.data, recipe.symbols, end)
    X, close = feature_matrix(frames, recipe.features)
    rows = _between(X.dropna(), _bound(start, "--start"), _bound(end, "--end", end=True))
    return rows, close


def known_outcomes(
    model: Model, recipe: Recipe, close: Any, rows: pd.DataFrame
) -> pd.Series | None:
    """What the model's score is judged against, where known: the 0/1 outcome of a binary
    classifier, the return of a regressor; None for more classes."""
    if model.task == "classification" and len(model.classes or []) != 2:
        return None
    y = make_labels(close, recipe.label, recipe.horizon).dropna().y
    y = y[y.index.isin(rows.index)]
    return y if model.task == "regression" else (y == (model.classes or [])[-1]).astype(float)
