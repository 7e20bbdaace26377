"""What the ``alphaforge ml`` lifecycle commands print: rich tables, and JSON where asked.

Private to :mod:`alphaforge.cli.ml_lifecycle`; the commands compute, these functions show.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import typer
from rich import box
from rich.table import Table

from alphaforge.cli._common import console
from alphaforge.cli._ml_recipe import jsonable, span, times

if TYPE_CHECKING:
    import pandas as pd

    from alphaforge.cli._ml_recipe import Recipe
    from alphaforge.ml.registry import ModelVersion

__all__ = [
    "print_drift",
    "print_models",
    "print_promotion",
    "print_training",
    "print_tuning",
    "print_versions",
    "version_row",
]

_SHOWN = ("ic", "accuracy", "log_loss", "auc", "rmse", "directional_accuracy")


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if math.isfinite(value) else "n/a"
    return "-" if value is None else str(value)


def print_training(
    summary: Mapping[str, Any], recipe: Recipe, cv: Mapping[str, float], oos: Mapping[str, float]
) -> None:
    """What ``ml train`` logged, on which rows, and its CV and out-of-sample metrics."""
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


def print_promotion(outcome: Mapping[str, Any], name: str, version: int) -> None:
    """The gate's checks and verdict on a promotion (``gate_and_promote``'s outcome)."""
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


def print_tuning(found: Mapping[str, Any], cv_folds: int) -> None:
    """The best parameters ``ml tune`` found, their CV score, and the ``-p`` flags to copy."""
    table = Table("parameter", "value", box=box.SIMPLE_HEAD)
    for key, value in found["best_params"].items():
        table.add_row(key, _fmt(value))
    console.print(table)
    console.print(
        f"best mean {found['metric']} {found['best_score']:.4f} ({found['direction']}) of "
        f"{found['trials']} trials, {cv_folds}-fold purged CV on {found['rows']} rows "
        f"{found['span']}.\n"
        "The best of many trials flatters itself: judge it out of sample with `ml train`:"
    )
    flags = " ".join(f"-p {k}={json.dumps(v)}" for k, v in found["best_params"].items())
    console.print(f"  {flags}", soft_wrap=True)  # one line, to copy


def print_models(rows: Sequence[Mapping[str, Any]], tracking_uri: str) -> None:
    """The ``ml models list`` table: one row per registered model."""
    if not rows:
        console.print(f"No registered model in {tracking_uri}.")
        return
    table = Table(*rows[0], box=box.SIMPLE_HEAD, title=f"Models in {tracking_uri}")
    for row in rows:
        table.add_row(*(_fmt(v) for v in row.values()))
    console.print(table)


_COLUMNS = ("version", "aliases", "kind", "label", "trained to", "n_oos", "ic", "accuracy",
            "log_loss", "rmse", "gate")  # fmt: skip


def version_row(v: ModelVersion) -> dict[str, Any]:
    """A version as ``ml models show`` lists it: recipe, metrics, gate verdict."""
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


def print_versions(name: str, rows: Sequence[Mapping[str, Any]], history: Sequence[int]) -> None:
    """The ``ml models show`` table (one row per version), the production history and the
    gate's reasons for each refusal."""
    columns = [c for c in _COLUMNS if any(c in row for row in rows)]
    table = Table(*columns, box=box.SIMPLE_HEAD, title=name, collapse_padding=True)
    for row in rows:
        table.add_row(*(_fmt(row.get(c)) for c in columns))
    console.print(table)
    console.print(f"production history: {' -> '.join(f'v{v}' for v in history) or 'none'}")
    for row in rows:
        for reason in row["reasons"]:
            console.print(f"v{row['version']} refused: {reason}")


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


def print_drift(
    name: str, version: int, reference: pd.DataFrame, current: pd.DataFrame, report: Any,
    as_json: bool,
) -> None:  # fmt: skip
    """The drift report of ``ml drift``: PSI and KS per feature, predictions, verdict."""
    table = report.features.sort_values("psi", ascending=False)
    flagged = {b.subject: b.metric for b in report.breaches if b.kind == "feature"}
    ref = times(reference.index)
    now = times(current.index)
    found = {
        "name": name, "version": version, "reference": span(reference.index),
        "reference_rows": len(reference), "period": span(current.index), "rows": len(current),
        "in_sample_rows": int(((now >= ref.min()) & (now <= ref.max())).sum()),
        "drifted": report.drifted, "drifted_features": report.drifted_features(),
        "prediction_psi": report.prediction_psi, "performance": jsonable(report.performance),
        "features": {str(k): jsonable(row.to_dict()) for k, row in table.iterrows()},
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
