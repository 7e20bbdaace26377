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

from alphaforge.cli._common import console, handle_errors
from alphaforge.cli._research import (
    AddressOpt,
    BackendOpt,
    CommissionOpt,
    DataOpt,
    EndOpt,
    ModeOpt,
    ParamOpt,
    SeedOpt,
    SlippageOpt,
    SpaceOpt,
    StartOpt,
    StrategyArg,
    SymbolsOpt,
    WorkersOpt,
    make_backend,
    make_objective,
    make_space,
    progress_bar,
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
        typer.Option(
            "--windows",
            "-w",
            help="Number of windows (default: 10, or as many as fit when --test is a length).",
            min=1,
        ),
    ] = None,
    train: Annotated[
        str,
        typer.Option(help="Train part: a fraction of each window (0.75) or a length (756, 3Y)."),
    ] = "0.75",
    test: Annotated[
        str | None,
        typer.Option(help="Test length (252, 1Y, 6M); default: the bars shared out by --windows."),
    ] = None,
    scheme: Annotated[
        str, typer.Option(help="rolling (train spans of one length) or anchored (from the start).")
    ] = "rolling",
    purge: Annotated[
        int, typer.Option(help="Bars dropped from the end of each train span.", min=0)
    ] = 0,
    embargo: Annotated[
        int, typer.Option(help="Bars left out after each test span before the next.", min=0)
    ] = 0,
    method: Annotated[str, typer.Option(help="grid, random or tpe (Bayesian).")] = "grid",
    trials: Annotated[
        int | None,
        typer.Option("--trials", "-n", help="Sets per window (random/tpe; default 100).", min=1),
    ] = None,
    metric: Annotated[str, typer.Option(help="Metric each window maximizes.")] = "sharpe_ratio",
    constraint: Annotated[
        list[str] | None,
        typer.Option(
            "--constraint",
            "-c",
            help="Only sets meeting it may win, e.g. 'number_of_trades>=5' (repeatable).",
            show_default=False,
        ),
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
        typer.Option(
            "--out",
            "-o",
            help="Folder for windows.csv, oos_equity.csv, summary.json, walkforward.html and "
            "each window's study (window_XX/, resumed by a rerun).",
            file_okay=False,
        ),
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Start every window's study over.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Walk-forward optimization: per window, optimize on the train span and trade the best set
    on the test span that follows; report the stitched out-of-sample curve."""
    from alphaforge.research.walkforward import walk_forward  # noqa: PLC0415
    from alphaforge.runtime.walkforward import buy_and_hold, strategy_windows  # noqa: PLC0415

    objective = make_objective(
        strategy, data, symbols, param, start, end, commission_bps, slippage_bps, mode
    )
    dims = make_space(strategy, space)
    spans = strategy_windows(
        objective, n_windows=windows, train=train, test=test, scheme=scheme,
        purge=purge, embargo=embargo,
    )  # fmt: skip
    with make_backend(backend, workers, address) as runner, progress_bar("walking forward") as bar:
        result = walk_forward(
            objective, dims, spans, method=method, n_trials=trials, metric=metric,
            constraints=constraint or (), seed=seed, backend=runner, out=out,
            resume=not fresh, progress=bar,
        )  # fmt: skip
    settings = {"strategy": strategy, "data": objective.data, "scheme": scheme, "train": train,
                "test": test, "purge": purge, "embargo": embargo, "seed": seed}  # fmt: skip
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
    from alphaforge.analytics.walkforward_report import _fmt  # noqa: PLC0415

    _print_windows(result)
    _print_metrics(result, benchmark)
    wfe = result.efficiency
    console.print(
        f"Walk-forward efficiency (OOS / IS): annual return {_fmt(wfe['annual_return'], 'ratio')}"
        f", Sharpe ratio {_fmt(wfe['sharpe_ratio'], 'ratio')}  (n/a: in-sample figure <= 0)"
    )
    report = result.overfitting
    if report is not None:
        console.print(
            f"Overfitting of the stitched OOS curve: PSR {_fmt(report.psr, 'ratio')}, DSR "
            f"{_fmt(report.dsr, 'ratio')} over {report.n_trials:,} trials in all windows, "
            f"MinTRL {_fmt(report.min_trl_years, 'ratio')} years"
        )
        for line in report.verdict:
            console.print(f"- {escape(line)}")
    _print_stability(result)
    console.print(
        f"{len(result.spans)} windows, {result.total_trials:,} trials, {result.method} on "
        f"{result.backend}, {result.seconds:.1f} s"
    )


def _print_windows(result: WalkForwardResult) -> None:
    from alphaforge.analytics.walkforward_report import _day, _fmt  # noqa: PLC0415

    metric = result.metric
    names = list(result.studies[0].space) if result.studies else []
    grid = Table(box=box.SIMPLE_HEAD, title="Windows (train -> test)")
    for column in ("#", "train", "test", *names, "trials", f"IS {metric}", f"OOS {metric}",
                   "WFE", "OOS return", "PBO"):  # fmt: skip
        grid.add_column(column, justify="left" if column in ("train", "test") else "right")
    for row in result.windows.to_dict("records"):
        grid.add_row(
            str(row["window"]),
            f"{_day(row['train_start'])} .. {_day(row['train_end'])}",
            f"{_day(row['test_start'])} .. {_day(row['test_end'])}",
            *(_fmt(row[n]) for n in names),
            str(row["trials"]),
            _fmt(row[f"is_{metric}"], "ratio"),
            _fmt(row[f"oos_{metric}"], "ratio"),
            _fmt(row["wfe"], "ratio"),
            _fmt(row["oos_return"], "pct"),
            _fmt(row["pbo"], "ratio"),
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
    from alphaforge.analytics.walkforward_report import _FIGURES, _fmt  # noqa: PLC0415

    columns = _metric_columns(result, benchmark)
    grid = Table(box=box.SIMPLE_HEAD, title="In-sample vs out-of-sample")
    grid.add_column("figure")
    for label, _ in columns:
        grid.add_column(label, justify="right")
    for field, label, kind in _FIGURES:
        grid.add_row(label, *(_fmt(getattr(m, field), kind) for _, m in columns))
    console.print(grid)


def _print_stability(result: WalkForwardResult) -> None:
    from alphaforge.analytics.walkforward_report import _fmt  # noqa: PLC0415

    frame = result.parameter_stability
    grid = Table(box=box.SIMPLE_HEAD, title="Parameter stability across windows")
    columns = [c for c in ("distinct", "changes", "mean", "std", "min", "max", "relative_step")
               if c in frame.columns]  # fmt: skip
    grid.add_column("parameter")
    for column in columns:
        grid.add_column(column, justify="right")
    for name, row in frame.iterrows():
        grid.add_row(str(name), *(_fmt(row[c]) for c in columns))
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
