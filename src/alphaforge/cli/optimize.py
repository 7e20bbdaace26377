"""``alphaforge optimize``: search a strategy's parameters and report how likely the winner is
overfit (probabilistic and deflated Sharpe ratio, minimum track record length, PBO)."""

from __future__ import annotations

import json
import math
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table

from alphaforge.cli._common import console, handle_errors
from alphaforge.cli._research import (
    AddressOpt,
    BackendOpt,
    CommissionOpt,
    DataOpt,
    EndOpt,
    JsonOpt,
    ModeOpt,
    ParamOpt,
    SeedOpt,
    SlippageOpt,
    SpaceOpt,
    StartOpt,
    StrategyArg,
    SymbolsOpt,
    WorkersOpt,
    constraint_option,
    make_backend,
    make_objective,
    make_space,
    out_option,
    progress_bar,
    search_options,
    trials_option,
)

if TYPE_CHECKING:
    from alphaforge.research.optimization import OptimizationResult

__all__ = ["optimize_command"]


@handle_errors
def optimize_command(
    strategy: StrategyArg,
    data: DataOpt = None,
    symbols: SymbolsOpt = None,
    param: ParamOpt = None,
    space: SpaceOpt = None,
    method: Annotated[
        str, typer.Option(help="grid, random, tpe (Bayesian) or nsga (several metrics).")
    ] = "grid",
    trials: Annotated[
        int | None, trials_option("Sets to try (random/tpe/nsga; default 100).")
    ] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            help="Metric to maximize (repeat for nsga): sharpe_ratio, annual_return, "
            "calmar_ratio, sortino_ratio, max_drawdown ...",
            show_default="sharpe_ratio",
        ),
    ] = None,
    constraint: Annotated[
        list[str] | None, constraint_option("'max_drawdown>=-0.2' or 'number_of_trades>=10'")
    ] = None,
    start: StartOpt = None,
    end: EndOpt = None,
    commission_bps: CommissionOpt = None,
    slippage_bps: SlippageOpt = None,
    mode: ModeOpt = "auto",
    backend: BackendOpt = "process",
    workers: WorkersOpt = None,
    address: AddressOpt = None,
    seed: SeedOpt = 0,
    out: Annotated[
        Path | None,
        out_option(
            "Study folder: trials stream here and a rerun resumes them "
            "(default out/optimize/STRATEGY)."
        ),
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Start the study over instead of resuming it.")
    ] = False,
    top: Annotated[int, typer.Option(help="Rows of the printed table.", min=1)] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Search a strategy's parameters on one period (in-sample); print the best sets and the
    overfitting statistics; write trials.csv, summary.json and optimization.html."""
    from alphaforge.analytics.optimization_report import write_optimization_html  # noqa: PLC0415
    from alphaforge.research.optimization import optimize  # noqa: PLC0415

    objective = make_objective(
        strategy, data, symbols, param, start, end, commission_bps, slippage_bps, mode
    )
    dims = make_space(strategy, space)
    folder = out or Path("out") / "optimize" / strategy
    with make_backend(backend, workers, address) as runner, progress_bar("optimizing") as bar:
        result = optimize(
            objective, dims, metric=metric or "sharpe_ratio", backend=runner, out=folder,
            resume=not fresh, progress=bar, **search_options(method, trials, constraint, seed),
        )  # fmt: skip
    summary = result.summary()
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    html = write_optimization_html(
        folder / "optimization.html", result.table, summary, list(dims),
        command=_command(sys.argv),
    )  # fmt: skip
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2, default=str) + "\n")
        return
    _print(result, top)
    for name in ("trials.csv", "summary.json"):
        console.print(f"{name:>18}: {folder / name}")
    console.print(f"{'optimization.html':>18}: {html}")


def _command(argv: list[str]) -> str:
    return "alphaforge " + " ".join(shlex.quote(a) for a in argv[1:])


def _fmt(value: Any) -> str:
    if value is None:  # an undefined figure (JSON-safe dicts turn NaN into None)
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else "n/a"
    return str(value)


def _print(result: OptimizationResult, top: int) -> None:
    table = result.feasible if len(result.feasible) else result.table
    metric = result.score_columns[0]
    ascending = result.score.directions[0] == "minimize"
    shown = table.sort_values(metric, ascending=ascending, na_position="last").head(top)
    extra = [c for c in ("annual_return", "max_drawdown", "number_of_trades") if c != metric]
    columns = ["trial", *result.space, metric, *[c for c in extra if c in table.columns]]
    grid = Table(box=box.SIMPLE_HEAD, title=f"Top {len(shown)} of {result.n_trials} trials")
    for c in columns:
        grid.add_column(c, justify="right")
    for _, row in shown.iterrows():
        grid.add_row(*(_fmt(row[c]) for c in columns))
    console.print(grid)
    console.print(
        f"{result.n_trials} trials ({result.invalid} sets refused by the strategy) in "
        f"{result.seconds:.1f} s on {result.backend}; best: {result.best_params}"
    )
    if result.overfitting is None:
        console.print("[yellow]No overfitting statistics: no feasible set.[/yellow]")
        return
    figures = result.overfitting.to_dict()
    stats = Table(box=box.SIMPLE_HEAD, title="Overfitting statistics of the best set")
    stats.add_column("statistic")
    stats.add_column("value", justify="right")
    for name, value in figures.items():
        if name != "verdict" and not isinstance(value, dict | list):
            stats.add_row(name, _fmt(value))
    console.print(stats)
    for line in result.overfitting.verdict:
        console.print(f"- {line}")
