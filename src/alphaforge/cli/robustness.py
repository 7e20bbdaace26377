"""``alphaforge robustness``: one strategy through walk-forward, a full-period search, Monte Carlo
of the out-of-sample returns and a stress test; prints the verdict and writes ``robustness.html``
(every figure, offline) and ``robustness.json`` to ``--out`` (default
``out/robustness/STRATEGY``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from alphaforge.cli._common import console, handle_errors
from alphaforge.cli._research import (
    AddressOpt,
    BackendOpt,
    CommissionOpt,
    ConstraintOpt,
    DataOpt,
    EmbargoOpt,
    EndOpt,
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
    cost_settings,
    data_spec,
    make_backend,
    out_option,
    search_options,
    stage_progress_bar,
    trials_option,
    window_options,
    windows_option,
)
from alphaforge.cli.backtest import _parse_params

if TYPE_CHECKING:
    from alphaforge.runtime.robustness import RobustnessReport

__all__ = ["robustness_command"]

_COLOURS = {"PASS": "green", "WARN": "yellow", "FAIL": "red", "N/A": "bright_black"}
_GRADE_COLOURS = {"robust": "green", "fragile": "yellow", "overfit": "red"}


def _space(pairs: list[str] | None) -> dict[str, str]:
    """``--space fast=5:100:5`` -> {"fast": "5:100:5"} (parsed and checked by robustness)."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            from alphaforge.domain.errors import InvalidValueError  # noqa: PLC0415

            raise InvalidValueError(f"--space {pair!r} is not NAME=LOW:HIGH[:STEP] or NAME=a,b,c")
        out[name.strip()] = text.strip()
    return out


@handle_errors
def robustness_command(
    strategy: StrategyArg,
    data: DataOpt = None,
    symbols: SymbolsOpt = None,
    param: ParamOpt = None,
    space: SpaceOpt = None,
    windows: Annotated[int, windows_option("Walk-forward windows.")] = 6,
    train: TrainOpt = "0.75",
    test: TestOpt = None,
    scheme: SchemeOpt = "rolling",
    purge: PurgeOpt = 0,
    embargo: EmbargoOpt = 0,
    method: Annotated[str, typer.Option(help="Each window's search: grid, random or tpe.")] = "tpe",
    trials: Annotated[int | None, trials_option("Sets per window (random/tpe).")] = 100,
    metric: Annotated[str, typer.Option(help="Metric each search maximizes.")] = "sharpe_ratio",
    constraint: ConstraintOpt = None,
    paths: Annotated[
        int, typer.Option("--paths", help="Monte Carlo paths of the OOS returns.", min=1)
    ] = 10_000,
    mc_method: Annotated[
        str, typer.Option(help="Bootstrap of the OOS returns: iid, block or stationary.")
    ] = "block",
    ruin: Annotated[
        float, typer.Option(help="Loss of the starting equity that counts as ruin (0.5: half).")
    ] = 0.5,
    shock_at: Annotated[
        str | None,
        typer.Option(
            help="Stress test: date of the gap and start of the volatility window (default: the "
            "middle bar of the run).",
            show_default=False,
        ),
    ] = None,
    stress_params: Annotated[
        str,
        typer.Option(
            help="Parameters to stress: last (the last window's choice) or full (the "
            "full-period optimum)."
        ),
    ] = "last",
    heatmap: Annotated[
        str | None,
        typer.Option(
            help="Parameters of the landscape, X,Y (default: the first two of the space).",
            show_default=False,
        ),
    ] = None,
    full_grid_max: Annotated[
        int,
        typer.Option(
            help="The full-period search is a grid when the space has at most this many points, "
            "else --method with --trials.",
            min=1,
        ),
    ] = 2_500,
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
            "Folder for robustness.html and robustness.json (default: out/robustness/STRATEGY).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON (files are still written).")
    ] = False,
) -> None:
    """One robustness report: walk-forward OOS curve, Monte Carlo of it, stress table, parameter
    landscape and overfitting statistics, with a plain verdict (robust, fragile or overfit)."""
    from alphaforge.runtime.robustness import Thresholds, robustness  # noqa: PLC0415

    folder = out if out is not None else Path("out") / "robustness" / strategy
    with make_backend(backend, workers, address) as runner, stage_progress_bar("robustness") as bar:
        report = robustness(
            strategy,
            data_spec(data),
            space=_space(space),
            params=_parse_params(param),
            windows=windows,
            # scheme is a str here, checked by walk_forward_windows
            **window_options(train, test, scheme, purge, embargo),  # type: ignore[arg-type]
            metric=metric,
            **search_options(method, trials, constraint, seed),
            mc_paths=paths,
            mc_method=mc_method,
            shock_at=shock_at,
            stress_params=stress_params,  # type: ignore[arg-type]  # checked by robustness
            heatmap=heatmap.split(",") if heatmap else None,
            full_grid_max=full_grid_max,
            thresholds=Thresholds(ruin=ruin),
            symbols=symbols,
            start=start,
            end=end,
            mode=mode,  # type: ignore[arg-type]  # checked by StrategyObjective
            backend=runner,
            progress=bar,
            **cost_settings(commission_bps, slippage_bps),
        )
    written = report.write(folder)
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2, default=str) + "\n")
        return
    _print(report, written)


def _print(report: RobustnessReport, written: dict[str, Path]) -> None:
    s = report.settings
    wf, mc = report.walkforward, report.montecarlo
    console.print(
        f"[bold]{escape(report.strategy)}[/] on {escape(str(s['data_label']))}: "
        f"{len(wf.spans)} {escape(str(s['scheme']))} windows, {wf.total_trials:,} trials "
        f"({escape(str(s['method']))}); full period {report.full.n_trials:,} trials "
        f"({escape(report.full.method)}); {mc.n_paths:,} {escape(mc.method)} paths; stress with "
        f"{escape(_params(report.stress_params))}",
        emoji=False,
        soft_wrap=True,
    )
    grade = report.grade
    console.print(
        f"[bold {_GRADE_COLOURS[grade]}]{escape(report.verdict[0])}[/]", emoji=False, soft_wrap=True
    )
    for line in report.verdict[1:]:
        status, _, rest = line.partition(" ")
        colour = _COLOURS.get(status, "white")
        console.print(
            f"  [{colour}]{escape(status):<4}[/] {escape(rest)}", emoji=False, soft_wrap=True
        )
    console.print(f"reproduce: {report.command}", soft_wrap=True, markup=False, emoji=False)
    for kind, path in written.items():
        console.print(f"{'robustness.' + kind:>16}: {path}")
    console.print(f"ran in {report.seconds:.1f} s (writing the files not included)")


def _params(values: dict[str, Any] | Any) -> str:
    return " ".join(f"{k}={v}" for k, v in dict(values).items()) or "the defaults"
