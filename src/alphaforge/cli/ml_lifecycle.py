"""``alphaforge ml train | tune | models | promote | rollback | drift``: a model's life, by command.

``train`` builds features and labels from a dataset, fits a model on the rows up to
``--train-end`` (scoring it first by purged k-fold CV on those rows), scores it out of sample on
the rows after, and logs it to the model registry (MLflow) with the recipe that rebuilds its data
(``provenance.*`` tags). ``promote`` puts a version in production through the gate, scoring the
production model on the candidate's own test rows; ``rollback`` restores an earlier version;
``drift`` compares a period's features and predictions with the model's training rows.

The commands are added to a Typer app by :func:`register` (``alphaforge ml``). Everything is
seeded: the same command on the same data gives the same model and the same numbers.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Annotated, Any, cast

import numpy as np
import pandas as pd
import typer
from rich import box
from rich.table import Table

from alphaforge.cli._common import ExitCode, console, handle_errors
from alphaforge.cli.backtest import _parse_params
from alphaforge.core.suggest import did_you_mean
from alphaforge.domain.errors import InvalidValueError

if TYPE_CHECKING:
    from alphaforge.features import FeatureSet, Labels
    from alphaforge.ml.base import Model, Task
    from alphaforge.ml.gates import Gate
    from alphaforge.ml.registry import ModelRegistry, ModelVersion

__all__ = ["Recipe", "register"]

#: Label name -> the task it makes.
LABELS: dict[str, Task] = {
    "direction": "classification",  # 1 if the forward return over --horizon is > 0, else 0
    "return": "regression",  # the forward return over --horizon
    "classes": "classification",  # +1/0/-1 beyond +-0.5 volatility-scaled moves
    "triple_barrier": "classification",  # first barrier touched within --horizon bars
}
_SETS = ("classic", "close_only")
_SHOWN = ("ic", "accuracy", "log_loss", "auc", "rmse", "directional_accuracy")

# ----------------------------------------------------------------------------- options

TrackingOpt = Annotated[
    str | None,
    typer.Option(
        help="MLflow tracking URI (sqlite:///path.db, http://host:5000); default: the config's "
        "ml.tracking_uri, else $MLFLOW_TRACKING_URI, else a per-user SQLite file.",
        show_default=False,
    ),
]
DataOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--data", "-d", help="Bundled dataset, catalog symbol or file; repeat to join "
        "(default spx_daily). Several symbols make a (ts, symbol) panel.", show_default=False,
    ),
]  # fmt: skip
SymbolsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--symbols", help="Only these symbols of the data (repeatable).", show_default=False
    ),
]
FeaturesOpt = Annotated[
    str, typer.Option(help="classic (37), close_only (24) or feature names separated by commas.")
]
LabelOpt = Annotated[str, typer.Option(help=f"What to predict: {', '.join(LABELS)}.")]
HorizonOpt = Annotated[int, typer.Option(help="Bars the label looks ahead.", min=1)]
ModelOpt = Annotated[str, typer.Option("--model", "-m", help="Model kind: lightgbm, linear ...")]
ParamOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--param", "-p", help="Model parameter KEY=VALUE (repeatable).", show_default=False
    ),
]
StartOpt = Annotated[
    str | None, typer.Option(help="First sample (earlier bars only warm up the features).")
]
EndOpt = Annotated[str | None, typer.Option(help="Last bar used (a date alone: that whole day).")]
TrainEndOpt = Annotated[
    str,
    typer.Option(
        help="Last bar of the training rows; the rows after it are the out-of-sample test.",
        show_default=False,
    ),
]
FoldsOpt = Annotated[
    int, typer.Option(help="Purged k-fold CV folds on the training rows (0: no CV).", min=0)
]
EmbargoOpt = Annotated[
    str, typer.Option(help="Embargo after each CV test block: 0.01 of the dates, 5 bars, '5D'.")
]
SeedOpt = Annotated[int, typer.Option(help="Seed of the model and the search.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
MinIcOpt = Annotated[float | None, typer.Option(help="Gate: out-of-sample IC floor.")]
MinAccOpt = Annotated[float | None, typer.Option(help="Gate: accuracy floor.", show_default=False)]
MaxLossOpt = Annotated[
    float | None, typer.Option(help="Gate: log-loss ceiling.", show_default=False)
]
MinRowsOpt = Annotated[int | None, typer.Option(help="Gate: fewest out-of-sample rows.")]
CompareOpt = Annotated[
    str, typer.Option(help="Gate: metric to beat production on ('none': no comparison).")
]
MarginOpt = Annotated[float, typer.Option(help="Gate: margin to beat production by.", min=0)]

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


def _times(index: pd.Index) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(index.get_level_values(0) if index.nlevels > 1 else index)


def _between(frame: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None) -> Any:
    ts = _times(frame.index)
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


def _features(frames: dict[str, pd.DataFrame], spec: str) -> tuple[pd.DataFrame, Any]:
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
    X_all, close = _features(frames, recipe.features)
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
    ts = _times(built.X.index)
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


def _span(index: pd.Index) -> str:
    ts = _times(index)
    return f"{_day(ts.min())}..{_day(ts.max())}"


# ----------------------------------------------------------------------------- fit and score


def _embargo(text: str) -> float | int | str:
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


def _score(out: np.ndarray, classes: list[Any] | None) -> np.ndarray:
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
    metrics["ic"] = _ic(pd.Series(_score(out, classes), index=y.index), outcome)
    metrics["n_oos"] = float(len(y))
    return metrics


def _outputs(model: Model, X: pd.DataFrame, rows: np.ndarray, classes: list[Any] | None) -> Any:
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
    for train, test in PurgedKFold(folds, embargo=_embargo(embargo), t1=labels.t1).split(X):
        model = fit(kind, params, seed, task, X.iloc[train], labels.take(train))
        out[test] = _outputs(model, X, test, classes)
    return score(out, classes, labels.y, built.outcome.iloc[rows])


def _finite(metrics: Mapping[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items() if math.isfinite(v)}


# ----------------------------------------------------------------------------- registry, gate


def open_registry(tracking_uri: str | None) -> ModelRegistry:
    """The registry that ``--tracking-uri``, else the ``[ml]`` config, names."""
    from pydantic import ValidationError  # noqa: PLC0415

    from alphaforge.config import load_config  # noqa: PLC0415
    from alphaforge.config.sections import MlConfig  # noqa: PLC0415
    from alphaforge.ml.registry import ModelRegistry  # noqa: PLC0415

    ml = load_config().ml
    if tracking_uri is not None:
        try:  # the config's own check: a known scheme, no password in it
            ml = MlConfig(tracking_uri=tracking_uri, artifact_dir=ml.artifact_dir,
                          experiment=ml.experiment)  # fmt: skip
        except ValidationError as exc:
            why = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            raise InvalidValueError(f"--tracking-uri: {why}") from None
    return ModelRegistry(ml.tracking_uri, experiment=ml.experiment, artifact_dir=ml.artifact_dir)


def make_gate(
    min_ic: float | None, min_accuracy: float | None, max_log_loss: float | None,
    min_oos_rows: int | None, compare_on: str, margin: float,
) -> Gate:  # fmt: skip
    """The gate the options describe."""
    from alphaforge.ml.gates import Gate  # noqa: PLC0415

    return Gate(
        min_ic=min_ic, min_accuracy=min_accuracy, max_log_loss=max_log_loss,
        min_oos_rows=min_oos_rows, compare_on=None if compare_on == "none" else compare_on,
        margin=margin,
    )  # fmt: skip


def production_scores(
    registry: ModelRegistry, name: str, built: Built | None, test: np.ndarray | None
) -> tuple[ModelVersion | None, dict[str, float] | None, list[str]]:
    """The production version, its metrics on the candidate's test rows (or, where those
    cannot be rebuilt, its own logged ones) and notes on how they were obtained."""
    current = registry.production(name) if registry.exists(name) else None
    if current is None:
        return None, None, []
    notes: list[str] = []
    theirs = Recipe.from_tags(current.tags)
    if built is not None and test is not None and theirs is not None:
        target = (built.recipe.label, built.recipe.horizon)
        try:
            if (theirs.label, theirs.horizon) != target:
                raise InvalidValueError(f"it predicts {theirs.label}/{theirs.horizon}")
            model = registry.load(name, current.version)
            return current, _rescore(model, built, test), notes
        except InvalidValueError as exc:
            notes.append(f"production v{current.version} could not be scored on these rows: {exc}")
    notes.append(
        f"compared with production v{current.version}'s own logged metrics (other test rows)"
    )
    return current, dict(current.metrics), notes


def _rescore(model: Model, built: Built, test: np.ndarray) -> dict[str, float]:
    X = built.X
    if model.features != list(X.columns):
        X = _features(built.frames, ",".join(model.features or []))[0].reindex(X.index)
    y = built.labels.y.iloc[test]
    classes = model.classes if model.task == "classification" else None
    return score(_outputs(model, X, test, classes), classes, y, built.outcome.iloc[test])


def gate_and_promote(
    registry: ModelRegistry, name: str, version: int, gate: Gate,
    built: Built | None, test: np.ndarray | None,
) -> dict[str, Any]:  # fmt: skip
    """Judge ``version`` against production scored on the same test rows, record the decision
    on the version, and promote it if it passed; return what happened."""
    from alphaforge.ml.registry import PromotionRefusedError  # noqa: PLC0415

    candidate = registry.get(name, version)
    current, theirs, notes = production_scores(registry, name, built, test)
    if current is not None and current.version == version:
        raise InvalidValueError(f"{name} v{version} is already in production")
    decision = gate.evaluate(candidate.metrics, theirs)
    with contextlib.suppress(PromotionRefusedError):  # recorded on the version either way
        registry.promote(name, version, decision)
    return {
        "passed": decision.passed, "checks": list(decision.checks),
        "reasons": list(decision.reasons), "notes": notes,
        "production_before": None if current is None else current.version,
        "production_metrics": None if theirs is None else _jsonable(theirs),
    }  # fmt: skip


def _print_promotion(outcome: Mapping[str, Any], name: str, version: int) -> None:
    for line in outcome["notes"]:
        console.print(f"[yellow]note:[/] {line}")
    for line in outcome["checks"]:
        console.print(f"  gate: {line}")
    if not outcome["passed"]:
        console.print(f"[red]refused:[/] {name} v{version} stays out of production")
        for reason in outcome["reasons"]:
            console.print(f"  - {reason}")
        return
    before = outcome["production_before"]
    was = "none" if before is None else f"v{before}"
    console.print(f"[green]promoted:[/] {name} v{version} is in production (was {was})")


# ----------------------------------------------------------------------------- train, tune


@handle_errors
def train_command(
    name: Annotated[str, typer.Option(help="Registered model name.", show_default=False)],
    train_end: TrainEndOpt,
    data: DataOpt = None,
    symbols: SymbolsOpt = None,
    features: FeaturesOpt = "classic",
    label: LabelOpt = "direction",
    horizon: HorizonOpt = 5,
    model: ModelOpt = "lightgbm",
    param: ParamOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    cv_folds: FoldsOpt = 5,
    embargo: EmbargoOpt = "0.01",
    seed: SeedOpt = 0,
    tracking_uri: TrackingOpt = None,
    promote: Annotated[
        bool, typer.Option("--promote", help="Put it in production if it passes the gate.")
    ] = False,
    min_ic: MinIcOpt = 0.0,
    min_accuracy: MinAccOpt = None,
    max_log_loss: MaxLossOpt = None,
    min_oos_rows: MinRowsOpt = 50,
    compare_on: CompareOpt = "ic",
    margin: MarginOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Train a model up to --train-end, score it out of sample on the rows after, and log it
    to the registry as a new version (with --promote: through the gate into production)."""
    recipe = Recipe(
        tuple(data or ["spx_daily"]), tuple(symbols or ()), features, label, horizon, start,
        end, train_end,
    )  # fmt: skip
    params = _parse_params(param)
    gate = make_gate(min_ic, min_accuracy, max_log_loss, min_oos_rows, compare_on, margin)
    registry = open_registry(tracking_uri)  # a bad URI or name fails before the work
    registry.exists(name)
    built = build(recipe)
    train, test, purged = split(built, train_end)
    cv = (
        cross_validate(model, params, seed, recipe.task, built, train, cv_folds, embargo)
        if cv_folds
        else {}
    )
    fitted = fit(model, params, seed, recipe.task, built.X.iloc[train], built.labels.take(train))
    oos = score(
        _outputs(
            fitted, built.X, test, fitted.classes if recipe.task == "classification" else None
        ),
        fitted.classes if recipe.task == "classification" else None,
        built.labels.y.iloc[test],
        built.outcome.iloc[test],
    )
    logged = {**_finite(oos), **{f"cv_{k}": v for k, v in _finite(cv).items() if k != "n_oos"}}
    mv = registry.log_training(
        fitted, name=name, metrics=logged | {"n_train": float(len(train))},
        params={"label": label, "horizon": horizon, "train_end": train_end,
                "cv": f"PurgedKFold({cv_folds}, embargo={embargo})" if cv_folds else "none"},
        provenance=recipe.provenance(), data=built.X.iloc[train], target=built.labels.y.iloc[train],
    )  # fmt: skip
    summary: dict[str, Any] = {
        "name": name, "version": mv.version, "run_id": mv.run_id, "model": model,
        "task": recipe.task, "features": len(built.X.columns),
        "tracking_uri": registry.tracking_uri,
        "train": {"span": _span(built.X.index[train]), "rows": len(train), "purged": purged},
        "test": {"span": _span(built.X.index[test]), "rows": len(test)},
        "cv": _jsonable(cv), "oos": _jsonable(oos),
    }  # fmt: skip
    if promote:
        summary["promotion"] = gate_and_promote(registry, name, mv.version, gate, built, test)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        _print_training(summary, recipe, cv, oos)
        if promote:
            _print_promotion(summary["promotion"], name, mv.version)
    if promote and not summary["promotion"]["passed"]:
        raise typer.Exit(int(ExitCode.FAILED))


def _jsonable(metrics: Mapping[str, float]) -> dict[str, float | None]:
    return {k: (float(v) if math.isfinite(v) else None) for k, v in metrics.items()}


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if math.isfinite(value) else "n/a"
    return "-" if value is None else str(value)


def _print_training(
    summary: Mapping[str, Any], recipe: Recipe, cv: Mapping[str, float], oos: Mapping[str, float]
) -> None:
    tr, te = summary["train"], summary["test"]
    console.print(
        f"[bold]{summary['name']} v{summary['version']}[/] logged to {summary['tracking_uri']} "
        f"(run {summary['run_id'][:12]})\n"
        f"  {summary['model']} {summary['task']} on {summary['features']} features "
        f"({recipe.features}) of {', '.join(recipe.data)}; label {recipe.label}, "
        f"horizon {recipe.horizon} bars\n"
        f"  train {tr['span']}: {tr['rows']} rows ({tr['purged']} purged: labels reaching "
        f"into the test period)\n  test  {te['span']}: {te['rows']} rows, out of sample"
    )
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("metric")
    table.add_column("purged CV (train)", justify="right")
    table.add_column("out of sample (test)", justify="right")
    for key in [k for k in oos if k != "n_oos"]:
        table.add_row(key, _fmt(cv.get(key)), _fmt(oos[key]))
    console.print(table)


@handle_errors
def tune_command(
    train_end: TrainEndOpt,
    data: DataOpt = None,
    symbols: SymbolsOpt = None,
    features: FeaturesOpt = "classic",
    label: LabelOpt = "direction",
    horizon: HorizonOpt = 5,
    model: ModelOpt = "lightgbm",
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="Parameter held fixed, KEY=VALUE (repeatable).",
            show_default=False,
        ),
    ] = None,
    start: StartOpt = None,
    end: EndOpt = None,
    trials: Annotated[
        int, typer.Option("--trials", "-n", help="Parameter sets to try.", min=1)
    ] = 20,
    metric: Annotated[
        str | None,
        typer.Option(
            help="log_loss, accuracy, brier, roc_auc (classes); mse, mae, ic (returns).",
            show_default="log_loss or mse",
        ),
    ] = None,
    cv_folds: Annotated[int, typer.Option(help="Purged k-fold CV folds.", min=2)] = 5,
    embargo: EmbargoOpt = "0.01",
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Search the model's parameters by purged k-fold CV on the rows up to --train-end
    (Optuna TPE, seeded); print the best set, to pass to `ml train` with -p."""
    from alphaforge.ml.tuning import tune  # noqa: PLC0415
    from alphaforge.ml.validation import PurgedKFold  # noqa: PLC0415

    recipe = Recipe(tuple(data or ["spx_daily"]), tuple(symbols or ()), features, label, horizon,
                    start, end, train_end)  # fmt: skip
    built = build(recipe)
    train, _, _ = split(built, train_end)
    X, labels = built.X.iloc[train], built.labels.take(train)
    result = tune(
        model, X, labels.y, t1=labels.t1, n_trials=trials, metric=metric, seed=seed,
        cv=PurgedKFold(cv_folds, embargo=_embargo(embargo)), task=recipe.task,
        fixed=_parse_params(param),
    )  # fmt: skip
    found = {
        "model": model, "metric": result.metric, "direction": result.direction,
        "best_score": result.best_score, "best_params": result.best_params, "trials": trials,
        "rows": len(train), "span": _span(X.index),
    }  # fmt: skip
    if as_json:
        typer.echo(json.dumps(found, indent=2, default=str))
        return
    table = Table("parameter", "value", box=box.SIMPLE_HEAD)
    for key, value in result.best_params.items():
        table.add_row(key, _fmt(value))
    console.print(table)
    console.print(
        f"best mean {result.metric} {result.best_score:.4f} ({result.direction}) of {trials} "
        f"trials, {cv_folds}-fold purged CV on {len(train)} rows {found['span']}.\n"
        "The best of many trials flatters itself: judge it out of sample with `ml train`:"
    )
    flags = " ".join(f"-p {k}={json.dumps(v)}" for k, v in result.best_params.items())
    console.print(f"  {flags}", soft_wrap=True)  # one line, to copy


# ----------------------------------------------------------------------------- registry views

models_app = typer.Typer(help="Registered models and their versions.", no_args_is_help=True)


@models_app.command("list")
@handle_errors
def models_list(tracking_uri: TrackingOpt = None, as_json: JsonOpt = False) -> None:
    """List the registered models: versions, the production one, the latest."""
    registry = open_registry(tracking_uri)
    rows = []
    for name in registry.models():
        versions = registry.versions(name)
        latest = versions[-1] if versions else None
        production = next((v.version for v in versions if "production" in v.aliases), None)
        rows.append({
            "name": name, "versions": len(versions), "production": production,
            "latest": None if latest is None else latest.version,
            "kind": None if latest is None else latest.tags.get("alphaforge.kind"),
            "created": None if latest is None else f"{latest.created:%Y-%m-%d %H:%M}",
        })  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        console.print(f"No registered model in {registry.tracking_uri}.")
        return
    table = Table(*rows[0], box=box.SIMPLE_HEAD, title=f"Models in {registry.tracking_uri}")
    for row in rows:
        table.add_row(*(_fmt(v) for v in row.values()))
    console.print(table)


_COLUMNS = ("version", "aliases", "kind", "label", "trained to", "n_oos", "ic", "accuracy",
            "log_loss", "rmse", "gate")  # fmt: skip


def _version_row(v: ModelVersion) -> dict[str, Any]:
    tags = v.tags
    return {
        "version": v.version,
        "aliases": ",".join(v.aliases),
        "created": f"{v.created:%Y-%m-%d %H:%M}",
        "kind": tags.get("alphaforge.kind"),
        "data": tags.get("provenance.data"),
        "label": f"{tags.get('provenance.label', '?')}/{tags.get('provenance.horizon', '?')}",
        "trained from": tags.get("data.start", "?")[:10],
        "trained to": tags.get("data.end", "?")[:10],
        **({"n_oos": int(v.metrics["n_oos"])} if "n_oos" in v.metrics else {}),
        **{k: v.metrics[k] for k in _SHOWN if k in v.metrics},
        "gate": {None: "-", True: "passed", False: "refused"}[v.gate_passed],
        "reasons": v.gate_reasons,
    }


@models_app.command("show")
@handle_errors
def models_show(
    name: Annotated[str, typer.Argument(help="Registered model name.", show_default=False)],
    tracking_uri: TrackingOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show every version of a model: data, label, out-of-sample metrics, gate verdicts, and
    the order in which versions were in production."""
    registry = open_registry(tracking_uri)
    rows = [_version_row(v) for v in registry.versions(name)]
    history = registry.history(name)
    if as_json:
        typer.echo(json.dumps({"name": name, "versions": rows, "history": history}, indent=2))
        return
    columns = [c for c in _COLUMNS if any(c in row for row in rows)]
    table = Table(*columns, box=box.SIMPLE_HEAD, title=name, collapse_padding=True)
    for row in rows:
        table.add_row(*(_fmt(row.get(c)) for c in columns))
    console.print(table)
    console.print(f"production history: {' -> '.join(f'v{v}' for v in history) or 'none'}")
    for row in rows:
        for reason in row["reasons"]:
            console.print(f"v{row['version']} refused: {reason}")


# ----------------------------------------------------------------------------- promote, rollback


@handle_errors
def promote_command(
    name: Annotated[str, typer.Argument(help="Registered model name.", show_default=False)],
    version: Annotated[int, typer.Argument(help="Version to promote.", show_default=False)],
    tracking_uri: TrackingOpt = None,
    min_ic: MinIcOpt = 0.0,
    min_accuracy: MinAccOpt = None,
    max_log_loss: MaxLossOpt = None,
    min_oos_rows: MinRowsOpt = 50,
    compare_on: CompareOpt = "ic",
    margin: MarginOpt = 0.0,
) -> None:
    """Put a version in production if it passes the gate: its out-of-sample metrics against
    the thresholds, and against the production model scored on the same test rows. The
    decision is recorded on the version either way; a refusal exits with code 7."""
    gate = make_gate(min_ic, min_accuracy, max_log_loss, min_oos_rows, compare_on, margin)
    registry = open_registry(tracking_uri)
    recipe = Recipe.from_tags(registry.get(name, version).tags)
    built = test = None
    if recipe is not None and recipe.train_end:
        built = build(recipe)
        test = split(built, recipe.train_end)[1]
    outcome = gate_and_promote(registry, name, version, gate, built, test)
    _print_promotion(outcome, name, version)
    if not outcome["passed"]:
        raise typer.Exit(int(ExitCode.FAILED))


@handle_errors
def rollback_command(
    name: Annotated[str, typer.Argument(help="Registered model name.", show_default=False)],
    version: Annotated[
        int | None,
        typer.Argument(
            help="Version to restore (default: the one before the current).", show_default=False
        ),
    ] = None,
    tracking_uri: TrackingOpt = None,
) -> None:
    """Put an earlier version back in production (no gate: it was there before)."""
    registry = open_registry(tracking_uri)
    before = registry.production(name)
    after = registry.rollback(name, version)
    was = "none" if before is None else f"v{before.version}"
    console.print(f"rolled back: {name} production {was} -> v{after.version}")


# ----------------------------------------------------------------------------- drift


def _rows(recipe: Recipe, start: str | None, end: str | None) -> tuple[pd.DataFrame, Any]:
    """Complete feature rows in [start, end] and the closes up to end."""
    frames = _frames(recipe.data, recipe.symbols, end)
    X, close = _features(frames, recipe.features)
    rows = _between(X.dropna(), _bound(start, "--start"), _bound(end, "--end", end=True))
    return rows, close


def _outcomes(model: Model, recipe: Recipe, close: Any, rows: pd.DataFrame) -> pd.Series | None:
    """What the model's score is judged against, where known: the 0/1 outcome of a binary
    classifier, the return of a regressor; None for more classes."""
    if model.task == "classification" and len(model.classes or []) != 2:
        return None
    y = make_labels(close, recipe.label, recipe.horizon).dropna().y
    y = y[y.index.isin(rows.index)]
    return y if model.task == "regression" else (y == (model.classes or [])[-1]).astype(float)


@handle_errors
def drift_command(
    name: Annotated[str, typer.Argument(help="Registered model name.", show_default=False)],
    start: Annotated[
        str, typer.Option(help="First bar of the period to check.", show_default=False)
    ],
    end: EndOpt = None,
    version: Annotated[
        int | None, typer.Option(help="Version (default: production).", show_default=False)
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data", "-d", help="Data of the period (default: the model's).", show_default=False
        ),
    ] = None,
    symbols: SymbolsOpt = None,
    psi: Annotated[float, typer.Option(help="A feature drifts above this PSI.", min=0)] = 0.25,
    ks: Annotated[float, typer.Option(help="... or at this KS statistic, if p < 0.01.")] = 0.15,
    min_rows: Annotated[int, typer.Option(help="Fewest rows to judge.", min=3)] = 50,
    tracking_uri: TrackingOpt = None,
    fail_on_drift: Annotated[
        bool, typer.Option("--fail-on-drift", help="Exit with code 7 when anything drifted.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Compare a period's features, the model's predictions on them and (where outcomes are
    known) its hit rate and IC with the rows it was trained on: PSI and KS per feature."""
    from alphaforge.ml.drift import DriftMonitor, DriftThresholds  # noqa: PLC0415

    registry = open_registry(tracking_uri)
    mv = registry.get(name, version)
    recipe = Recipe.from_tags(mv.tags)
    if recipe is None:
        raise InvalidValueError(
            f"{name} v{mv.version} was not logged by `alphaforge ml train` (no provenance.* "
            "recipe): check its drift with alphaforge.ml.drift.DriftMonitor"
        )
    model = registry.load(name, mv.version)
    recipe = replace(recipe, features=",".join(model.features or []))
    reference, _ = _rows(recipe, mv.tags.get("data.start"), mv.tags.get("data.end"))
    period = replace(
        recipe,
        data=tuple(data) if data else recipe.data,
        symbols=tuple(symbols) if symbols else (() if data else recipe.symbols),
    )
    current, close = _rows(period, start, end)
    if len(current) < min_rows:
        raise InvalidValueError(
            f"{start}..{end or 'last bar'} has {len(current)} complete feature rows, fewer than "
            f"--min-rows {min_rows}: take a longer period"
        )
    classes = model.classes if model.task == "classification" else None

    def scores(rows: pd.DataFrame) -> pd.Series:
        out = _outputs(model, rows, np.arange(len(rows)), classes)
        return pd.Series(_score(out, classes), index=rows.index)

    monitor = DriftMonitor(
        reference, DriftThresholds(psi=psi, prediction_psi=psi, ks=ks, min_rows=min_rows),
        model=name, reference_predictions=scores(reference), window=len(current),
        task=model.task,
    )  # fmt: skip
    report = monitor.update(current, scores(current), _outcomes(model, recipe, close, current))
    _print_drift(name, mv.version, reference, current, report, as_json)
    if fail_on_drift and report.drifted:
        raise typer.Exit(int(ExitCode.FAILED))


def _verdict(report: Any, n_features: int) -> str:
    parts = []
    names = report.drifted_features()
    if names:
        more = ", ..." if len(names) > 5 else ""
        parts.append(f"{len(names)} of {n_features} features ({', '.join(names[:5])}{more})")
    for b in report.breaches:
        if b.kind == "prediction":
            parts.append(f"predictions (PSI {b.value:.3f} > {b.threshold:g})")
        elif b.kind == "performance":
            parts.append(f"live {b.subject} {b.value:.3f} (limit {b.threshold:g})")
    return "drift: " + "; ".join(parts) if parts else "no drift"


def _print_drift(
    name: str, version: int, reference: pd.DataFrame, current: pd.DataFrame, report: Any,
    as_json: bool,
) -> None:  # fmt: skip
    table = report.features.sort_values("psi", ascending=False)
    flagged = {b.subject: b.metric for b in report.breaches if b.kind == "feature"}
    ref = _times(reference.index)
    now = _times(current.index)
    found = {
        "name": name, "version": version, "reference": _span(reference.index),
        "reference_rows": len(reference), "period": _span(current.index), "rows": len(current),
        "in_sample_rows": int(((now >= ref.min()) & (now <= ref.max())).sum()),
        "drifted": report.drifted, "drifted_features": report.drifted_features(),
        "prediction_psi": report.prediction_psi, "performance": _jsonable(report.performance),
        "features": {str(k): _jsonable(row.to_dict()) for k, row in table.iterrows()},
    }  # fmt: skip
    if as_json:
        typer.echo(json.dumps(found, indent=2))
        return
    console.print(
        f"[bold]{name} v{version}[/]: {found['period']} ({len(current)} rows) against its "
        f"training rows {found['reference']} ({len(reference)} rows)"
    )
    if found["in_sample_rows"]:
        console.print(
            f"[yellow]note:[/] {found['in_sample_rows']} rows of the period lie in the training "
            "span: the model has seen them, its scores there are in-sample"
        )
    grid = Table("feature", "psi", "ks", "ks p-value", "drift", box=box.SIMPLE_HEAD)
    for feature, row in table.iterrows():
        grid.add_row(str(feature), *(_fmt(float(x)) for x in row), flagged.get(str(feature), ""))
    console.print(grid)
    console.print(f"prediction PSI: {_fmt(report.prediction_psi)}")
    perf = dict(report.performance)
    if perf:
        shown = ", ".join(f"{k} {_fmt(v)}" for k, v in perf.items() if k != "n")
        console.print(f"against the labels of the {int(perf['n'])} rows known by then: {shown}")
    console.print(_verdict(report, len(table)))


# ----------------------------------------------------------------------------- mounting


def register(app: typer.Typer) -> None:
    """Add ``train``, ``tune``, ``models list|show``, ``promote``, ``rollback`` and ``drift``
    to ``app`` (the ``alphaforge ml`` group)."""
    app.command("train")(train_command)
    app.command("tune")(tune_command)
    app.add_typer(models_app, name="models")
    app.command("promote")(promote_command)
    app.command("rollback")(rollback_command)
    app.command("drift")(drift_command)
