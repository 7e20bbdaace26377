"""``alphaforge walkforward``: re-optimize a strategy window by window and judge it by the
stitched out-of-sample curve (in-sample figures next to it, walk-forward efficiency,
overfitting statistics, parameter stability); ``--out`` writes windows.csv, oos_equity.csv,
summary.json and walkforward.html (offline)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from alphaforge.analytics._report_format import IS_OOS_FIGURES, fmt_day, fmt_value
from alphaforge.cli._common import console, handle_errors
from alphaforge.cli._research import (
    AddressOpt,
    BackendOpt,
    CommissionOpt,
    ConstraintOpt,
    DataOpt,
    EmbargoOpt,
    EndOpt,
    JsonOpt,
    ModeOpt,
    ParamOpt,
    PurgeOpt,
    SchemeOpt,
    SeedOpt,
    SlippageOpt,
    SpaceOpt,
    StartOpt,
    StrategyArg,
    SymbolsOpt,
    TestOpt,
    TrainOpt,
    WorkersOpt,
    make_backend,
    make_objective,
    make_space,
    out_option,
    progress_bar,
    search_options,
    trials_option,
    window_options,
    windows_option,
)

if TYPE_CHECKING:
    from alphaforge.analytics.metrics import Metrics
    from alphaforge.research.walkforward import WalkForwardResult

__all__ = ["walkforward_command"]


@handle_errors
def walkforward_command(
    strategy: StrategyArg,
    data: DataOpt = None,
    symbols: SymbolsOpt = None,
    param: ParamOpt = None,
    space: SpaceOpt = None,
    windows: Annotated[
        int | None,
        windows_option(
            "Number of windows (default: 10, or as many as fit when --test is a length)."
        ),
    ] = None,
    train: TrainOpt = "0.75",
    test: TestOpt = None,
    scheme: SchemeOpt = "rolling",
    purge: PurgeOpt = 0,
    embargo: EmbargoOpt = 0,
    method: Annotated[str, typer.Option(help="grid, random or tpe (Bayesian).")] = "grid",
    trials: Annotated[
        int | None, trials_option("Sets per window (random/tpe; default 100).")
    ] = None,
    metric: Annotated[str, typer.Option(help="Metric each window maximizes.")] = "sharpe_ratio",
    constraint: ConstraintOpt = None,
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
            "Folder for windows.csv, oos_equity.csv, summary.json, walkforward.html and "
            "each window's study (window_XX/, resumed by a rerun)."
        ),
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Start every window's study over.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Walk-forward optimization: per window, optimize on the train span and trade the best set
    on the test span that follows; report the stitched out-of-sample curve."""
    from alphaforge.research.walkforward import walk_forward  # noqa: PLC0415
    from alphaforge.runtime.walkforward import buy_and_hold, strategy_windows  # noqa: PLC0415

    objective = make_objective(
        strategy, data, symbols, param, start, end, commission_bps, slippage_bps, mode
    )
    dims = make_space(strategy, space)
    split = window_options(train, test, scheme, purge, embargo)
    spans = strategy_windows(objective, n_windows=windows, **split)
    with make_backend(backend, workers, address) as runner, progress_bar("walking forward") as bar:
        result = walk_forward(
            objective, dims, spans, metric=metric, backend=runner, out=out, resume=not fresh,
            progress=bar, **search_options(method, trials, constraint, seed),
        )  # fmt: skip
    settings = {"strategy": strategy, "data": objective.data, **split, "seed": seed}
    benchmark = buy_and_hold(objective, pd.DatetimeIndex(result.oos_equity.index))
    summary = {**result.summary(), "settings": settings}
    if out is not None:
        _write(out, result, benchmark, summary, _command(sys.argv))
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2, default=str) + "\n")
        return
    _print(result, benchmark)
    if out is not None:
        for name in ("windows.csv", "oos_equity.csv", "summary.json", "walkforward.html"):
            console.print(f"{name:>17}: {out / name}")


def _command(argv: list[str]) -> str:
    return "alphaforge " + " ".join(shlex.quote(a) for a in argv[1:])


# ------------------------------------------------------------------ terminal


def _print(result: WalkForwardResult, benchmark: pd.Series) -> None:
    _print_windows(result)
    _print_metrics(result, benchmark)
    wfe = result.efficiency
    console.print(
        "Walk-forward efficiency (OOS / IS): annual return "
        f"{fmt_value(wfe['annual_return'], 'ratio')}, Sharpe ratio "
        f"{fmt_value(wfe['sharpe_ratio'], 'ratio')}  (n/a: in-sample figure <= 0)"
    )
    report = result.overfitting
    if report is not None:
        console.print(
            f"Overfitting of the stitched OOS curve: PSR {fmt_value(report.psr, 'ratio')}, DSR "
            f"{fmt_value(report.dsr, 'ratio')} over {report.n_trials:,} trials in all windows, "
            f"MinTRL {fmt_value(report.min_trl_years, 'ratio')} years"
        )
        for line in report.verdict:
            console.print(f"- {escape(line)}")
    _print_stability(result)
    console.print(
        f"{len(result.spans)} windows, {result.total_trials:,} trials, {result.method} on "
        f"{result.backend}, {result.seconds:.1f} s"
    )


def _print_windows(result: WalkForwardResult) -> None:
    metric = result.metric
    names = list(result.studies[0].space) if result.studies else []
    grid = Table(box=box.SIMPLE_HEAD, title="Windows (train -> test)")
    for column in ("#", "train", "test", *names, "trials", f"IS {metric}", f"OOS {metric}",
                   "WFE", "OOS return", "PBO"):  # fmt: skip
        grid.add_column(column, justify="left" if column in ("train", "test") else "right")
    for row in result.windows.to_dict("records"):
        grid.add_row(
            str(row["window"]),
            f"{fmt_day(row['train_start'])} .. {fmt_day(row['train_end'])}",
            f"{fmt_day(row['test_start'])} .. {fmt_day(row['test_end'])}",
            *(fmt_value(row[n]) for n in names),
            str(row["trials"]),
            fmt_value(row[f"is_{metric}"], "ratio"),
            fmt_value(row[f"oos_{metric}"], "ratio"),
            fmt_value(row["wfe"], "ratio"),
            fmt_value(row["oos_return"], "pct"),
            fmt_value(row["pbo"], "ratio"),
        )
    console.print(grid)


def _metric_columns(result: WalkForwardResult, benchmark: pd.Series) -> list[tuple[str, Metrics]]:
    from alphaforge.analytics.metrics import compute_metrics  # noqa: PLC0415

    return [
        ("in-sample (train runs, chained)", result.is_metrics),
        ("out-of-sample (stitched)", result.oos_metrics),
        ("buy & hold (OOS span)", compute_metrics(benchmark)),
    ]


def _print_metrics(result: WalkForwardResult, benchmark: pd.Series) -> None:
    columns = _metric_columns(result, benchmark)
    grid = Table(box=box.SIMPLE_HEAD, title="In-sample vs out-of-sample")
    grid.add_column("figure")
    for label, _ in columns:
        grid.add_column(label, justify="right")
    for field, label, kind in IS_OOS_FIGURES:
        grid.add_row(label, *(fmt_value(getattr(m, field), kind) for _, m in columns))
    console.print(grid)


def _print_stability(result: WalkForwardResult) -> None:
    frame = result.parameter_stability
    grid = Table(box=box.SIMPLE_HEAD, title="Parameter stability across windows")
    columns = [c for c in ("distinct", "changes", "mean", "std", "min", "max", "relative_step")
               if c in frame.columns]  # fmt: skip
    grid.add_column("parameter")
    for column in columns:
        grid.add_column(column, justify="right")
    for name, row in frame.iterrows():
        grid.add_row(str(name), *(fmt_value(row[c]) for c in columns))
    console.print(grid)


# ------------------------------------------------------------------ files


def _write(
    out: Path,
    result: WalkForwardResult,
    benchmark: pd.Series,
    summary: dict[str, Any],
    command: str,
) -> None:
    from alphaforge.analytics.walkforward_report import walkforward_html  # noqa: PLC0415

    out.mkdir(parents=True, exist_ok=True)
    result.windows.to_csv(out / "windows.csv", index=False)
    curve = pd.DataFrame({
        "equity": result.oos_equity,
        "returns": result.oos_returns.reindex(result.oos_equity.index),
        "window": _window_of(result),
        "buy_and_hold": benchmark,
    })  # fmt: skip
    curve.to_csv(out / "oos_equity.csv", index_label="ts")
    full = {**result.to_dict(), "settings": summary["settings"], "command": command}
    (out / "summary.json").write_text(json.dumps(full, indent=2, default=str) + "\n")
    page = walkforward_html(
        result.oos_equity, benchmark, result.windows, _metric_columns(result, benchmark),
        summary, command,
    )  # fmt: skip
    (out / "walkforward.html").write_text(page)


def _window_of(result: WalkForwardResult) -> pd.Series:
    """The window whose test run made each bar of the OOS curve (0 for the base bar)."""
    index = result.oos_equity.index
    label = pd.Series(0, index=index, name="window")
    for w in result.spans:
        label[(index >= w.test_start) & (index <= w.test_end)] = w.number
    return label
