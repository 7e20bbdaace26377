"""``alphaforge ml train | tune | models | promote | rollback | drift``: a model's life, by command.

``train`` builds features and labels from a dataset, fits a model on the rows up to
``--train-end`` (scoring it first by purged k-fold CV on those rows), scores it out of sample on
the rows after, and logs it to the model registry (MLflow) with the recipe that rebuilds its data
(``provenance.*`` tags). ``promote`` puts a version in production through the gate, scoring the
production model on the candidate's own test rows; ``rollback`` restores an earlier version;
``drift`` compares a period's features and predictions with the model's training rows.

The commands are added to a Typer app by :func:`register` (``alphaforge ml``). Everything is
seeded: the same command on the same data gives the same model and the same numbers. The
recipe, its rows and their scores live in ``_ml_recipe``, the registry and the gate in
``_ml_gate``, the tables in ``_ml_render``; this module holds the commands.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer

from alphaforge.cli._common import ExitCode, console, handle_errors
from alphaforge.cli._ml_gate import gate_and_promote, make_gate, open_registry
from alphaforge.cli._ml_recipe import (
    LABELS,
    Recipe,
    build,
    cross_validate,
    finite,
    fit,
    jsonable,
    known_outcomes,
    outputs,
    parse_embargo,
    period_rows,
    ranking_score,
    score,
    span,
    split,
)
from alphaforge.cli._ml_render import (
    print_drift,
    print_models,
    print_promotion,
    print_training,
    print_tuning,
    print_versions,
    version_row,
)
from alphaforge.cli.backtest import _parse_params
from alphaforge.domain.errors import InvalidValueError

__all__ = ["Recipe", "register"]

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
        outputs(fitted, built.X, test, fitted.classes if recipe.task == "classification" else None),
        fitted.classes if recipe.task == "classification" else None,
        built.labels.y.iloc[test],
        built.outcome.iloc[test],
    )
    logged = {**finite(oos), **{f"cv_{k}": v for k, v in finite(cv).items() if k != "n_oos"}}
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
        "train": {"span": span(built.X.index[train]), "rows": len(train), "purged": purged},
        "test": {"span": span(built.X.index[test]), "rows": len(test)},
        "cv": jsonable(cv), "oos": jsonable(oos),
    }  # fmt: skip
    if promote:
        summary["promotion"] = gate_and_promote(registry, name, mv.version, gate, built, test)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        print_training(summary, recipe, cv, oos)
        if promote:
            print_promotion(summary["promotion"], name, mv.version)
    if promote and not summary["promotion"]["passed"]:
        raise typer.Exit(int(ExitCode.FAILED))


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
        cv=PurgedKFold(cv_folds, embargo=parse_embargo(embargo)), task=recipe.task,
        fixed=_parse_params(param),
    )  # fmt: skip
    found = {
        "model": model, "metric": result.metric, "direction": result.direction,
        "best_score": result.best_score, "best_params": result.best_params, "trials": trials,
        "rows": len(train), "span": span(X.index),
    }  # fmt: skip
    if as_json:
        typer.echo(json.dumps(found, indent=2, default=str))
        return
    print_tuning(found, cv_folds)


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
    print_models(rows, registry.tracking_uri)


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
    rows = [version_row(v) for v in registry.versions(name)]
    history = registry.history(name)
    if as_json:
        typer.echo(json.dumps({"name": name, "versions": rows, "history": history}, indent=2))
        return
    print_versions(name, rows, history)


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
    print_promotion(outcome, name, version)
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
    reference, _ = period_rows(recipe, mv.tags.get("data.start"), mv.tags.get("data.end"))
    period = replace(
        recipe,
        data=tuple(data) if data else recipe.data,
        symbols=tuple(symbols) if symbols else (() if data else recipe.symbols),
    )
    current, close = period_rows(period, start, end)
    if len(current) < min_rows:
        raise InvalidValueError(
            f"{start}..{end or 'last bar'} has {len(current)} complete feature rows, fewer than "
            f"--min-rows {min_rows}: take a longer period"
        )
    classes = model.classes if model.task == "classification" else None

    def scores(rows: pd.DataFrame) -> pd.Series:
        out = outputs(model, rows, np.arange(len(rows)), classes)
        return pd.Series(ranking_score(out, classes), index=rows.index)

    monitor = DriftMonitor(
        reference, DriftThresholds(psi=psi, prediction_psi=psi, ks=ks, min_rows=min_rows),
        model=name, reference_predictions=scores(reference), window=len(current),
        task=model.task,
    )  # fmt: skip
    report = monitor.update(current, scores(current), known_outcomes(model, recipe, close, current))
    print_drift(name, mv.version, reference, current, report, as_json)
    if fail_on_drift and report.drifted:
        raise typer.Exit(int(ExitCode.FAILED))


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
