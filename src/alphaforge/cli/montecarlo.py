"""``alphaforge montecarlo``: how much of a backtest's result was the luck of one path.

Runs the strategy once, then resamples its returns (or reshuffles its trades) into many paths,
and optionally reruns it with shocked costs and delayed decisions; prints the distribution of
final return, drawdown and Sharpe ratio with intervals, and the probability of ruin.
"""

from __future__ import annotations

import json
import math
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
import typer
from rich import box
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from alphaforge.cli._common import console, err_console, handle_errors
from alphaforge.cli._research import (
    BackendOpt,
    DataOpt,
    EndOpt,
    ParamOpt,
    SeedOpt,
    StartOpt,
    StrategyArg,
    SymbolsOpt,
    WorkersOpt,
)
from alphaforge.cli.backtest import _parse_params
from alphaforge.domain.errors import InvalidValueError

if TYPE_CHECKING:
    from alphaforge.research.backends import Backend
    from alphaforge.research.montecarlo import MonteCarloResult
    from alphaforge.runtime.montecarlo import RerunResult
    from alphaforge.runtime.result import BacktestResult

METHODS = ("iid", "block", "stationary", "trades")
SHOCKS = ("costs", "delay")
_LABELS = {
    "final_return": "final return",
    "max_drawdown": "max drawdown",
    "sharpe": "Sharpe ratio",
    "min_equity": "lowest equity",
}


def _shock_names(text: str | None) -> list[str]:
    """``costs,delay`` -> ["costs", "delay"], checked."""
    names = [part.strip() for part in (text or "").split(",") if part.strip()]
    unknown = [n for n in names if n not in SHOCKS]
    if unknown:
        raise InvalidValueError(f"--shocks takes {', '.join(SHOCKS)}; got {', '.join(unknown)}")
    return list(dict.fromkeys(names))


def _value(statistic: str, value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if statistic in ("final_return", "max_drawdown"):
        return f"{value:+.1%}" if math.isfinite(value) else str(value)
    if statistic == "min_equity":
        return f"{value:,.0f}"
    return f"{value:.2f}"


def _table(title: str, summary: pd.DataFrame, ci: float, original: str) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD)
    table.add_column("statistic")
    for column in (original, "median", f"{ci:.0%} interval", f"{original} percentile"):
        table.add_column(column, justify="right")
    for statistic, row in summary.iterrows():
        name = str(statistic)
        pct = row["original_pct"]
        table.add_row(
            _LABELS.get(name, name),
            _value(name, row["original"]),
            _value(name, row["median"]),
            f"{_value(name, row['ci_low'])} to {_value(name, row['ci_high'])}",
            "-" if math.isnan(pct) else f"{pct:.0f}",
        )
    return table


def _bootstrap(
    base: BacktestResult,
    method: str,
    paths: int,
    block: float | None,
    seed: int,
    ruin: float | None,
) -> MonteCarloResult:
    """Resample the baseline's returns or trades (in this process: it takes well under a
    second, less than starting a pool)."""
    from alphaforge.research.montecarlo import bootstrap_returns, reshuffle_trades  # noqa: PLC0415

    cash = float(base.settings["backtest"]["cash"])
    ppy = float(base.metrics.periods_per_year)
    if method == "trades":
        closed = base.trades[base.trades["exit_reason"] != "open at end"]
        if len(closed) < 2:
            raise InvalidValueError(
                f"--method trades needs 2 closed trades; the run has {len(closed)}"
            )
        years = base.metrics.periods / ppy
        per_year = len(closed) / years if years > 0 else None
        return reshuffle_trades(
            closed, paths, start_equity=cash, seed=seed, ruin=ruin, periods_per_year=per_year
        )
    returns = base.equity["equity"].pct_change().iloc[1:]
    return bootstrap_returns(
        returns,
        paths,
        method=method,  # type: ignore[arg-type]  # checked against METHODS
        block=block,
        seed=seed,
        start_equity=cash,
        periods_per_year=ppy,
        ruin=ruin,
    )


def _progress() -> Progress:
    return Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err_console, transient=True,
    )  # fmt: skip


def _reruns(
    shocks: list[str], strategy: str, source: Any, params: dict[str, Any], settings: dict[str, Any],
    runs: int, max_delay: int, seed: int, backend: Backend,
) -> dict[str, RerunResult]:  # fmt: skip
    from alphaforge.runtime.montecarlo import cost_shocks, entry_delays  # noqa: PLC0415

    out: dict[str, RerunResult] = {}
    with _progress() as bar:
        for shock in shocks:
            task = bar.add_task("cost shocks" if shock == "costs" else "entry delays", total=runs)

            def advance(done: int, total: int, task: Any = task) -> None:
                bar.update(task, completed=done, total=total)

            common = {"params": params, "n_runs": runs, "seed": seed, "backend": backend,
                      "progress": advance, **settings}  # fmt: skip
            if shock == "costs":
                out[shock] = cost_shocks(strategy, source, **common)
            else:
                out[shock] = entry_delays(strategy, source, max_delay=max_delay, **common)
    return out


def _ruin_line(label: str, share: float, ruin: float) -> str:
    return f"{label}: probability of ruin (a loss of {ruin:.0%} at some point): {share:.2%}"


def _write(
    out: Path, mc: MonteCarloResult, reruns: dict[str, RerunResult], ci: float
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "paths.csv", out / "bands.csv", out / "summary.csv", out / "summary.json"]
    mc.paths.to_csv(written[0])
    mc.bands.to_csv(written[1])
    parts = [mc.summary(ci).reset_index().assign(test=mc.method)]
    document: dict[str, Any] = {"bootstrap": mc.to_dict(ci)}
    for shock, result in reruns.items():
        path = out / ("costs.csv" if shock == "costs" else "delays.csv")
        result.runs.to_csv(path)
        written.append(path)
        parts.append(result.summary(ci).reset_index().assign(test=result.kind))
        document[result.kind] = result.to_dict(ci)
    summary = pd.concat(parts, ignore_index=True)
    summary[["test", *summary.columns.drop("test")]].to_csv(written[2], index=False)
    written[3].write_text(json.dumps(document, indent=2, allow_nan=False), encoding="utf-8")
    return written


@handle_errors
def montecarlo_command(
    strategy: StrategyArg,
    data: DataOpt = None,
    param: ParamOpt = None,
    symbols: SymbolsOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    method: Annotated[
        str,
        typer.Option(
            help="iid, block or stationary bootstrap of the bar returns, or trades "
            "(reshuffle the order of closed trades)."
        ),
    ] = "block",
    block: Annotated[
        float | None,
        typer.Option(
            help="Block length in bars (default: Politis-White optimal).", show_default=False
        ),
    ] = None,
    paths: Annotated[int, typer.Option(help="Resampled paths.", min=1)] = 10_000,
    seed: SeedOpt = 0,
    ruin: Annotated[
        float | None,
        typer.Option(
            help="Loss that counts as ruin, e.g. 0.5 (half the start).", show_default=False
        ),
    ] = None,
    ci: Annotated[float, typer.Option(help="Width of the intervals.", min=0.5, max=0.999)] = 0.90,
    shocks: Annotated[
        str | None,
        typer.Option(
            help="Reruns of the strategy: costs (commission x1-3, slippage x1-5), "
            "delay (each decision 0..--max-delay bars late); comma-separated.",
            show_default=False,
        ),
    ] = None,
    runs: Annotated[int, typer.Option(help="Reruns per shock.", min=1)] = 50,
    max_delay: Annotated[int, typer.Option(help="Longest decision delay, bars.", min=0)] = 3,
    backend: BackendOpt = "process",
    workers: WorkersOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Folder for paths.csv, bands.csv, summary.csv, "
            "summary.json (and costs.csv, delays.csv).",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Monte Carlo robustness of a backtest: resampled paths, shocked costs, delayed orders."""
    from alphaforge.research.backends import get_backend  # noqa: PLC0415
    from alphaforge.runtime import backtest  # noqa: PLC0415

    if method not in METHODS:
        raise InvalidValueError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    if method == "trades" and block is not None:
        raise InvalidValueError("--block is for the block and stationary bootstraps")
    wanted = _shock_names(shocks)
    params = _parse_params(param)
    source: str | list[str] | None = data[0] if data and len(data) == 1 else data
    settings: dict[str, Any] = {"symbols": symbols, "start": start, "end": end}
    with err_console.status(f"backtesting {strategy}", spinner="dots"):
        base = backtest(strategy, source, params=params, **settings)
    with err_console.status(f"{paths:,} paths", spinner="dots"):
        mc = _bootstrap(base, method, paths, block, seed, ruin)
    reruns: dict[str, RerunResult] = {}
    if wanted:
        with ExitStack() as stack:
            pool = stack.enter_context(get_backend(backend, workers=workers))
            reruns = _reruns(wanted, strategy, source, params, settings, runs, max_delay, seed,
                             pool)  # fmt: skip
    _print(base, mc, reruns, ci, ruin)
    if out is not None:
        for path in _write(out, mc, reruns, ci):
            console.print(f"{path.name:>12}: {path}")


def _described(mc: MonteCarloResult) -> str:
    if mc.method.endswith("_trades"):
        how = "drawn with replacement" if mc.method.startswith("resample") else "reshuffled"
        return f"closed trades {how}"
    if mc.method == "block":
        return f"block bootstrap of bar returns (blocks of {mc.block:g} bars)"
    if mc.method == "stationary":
        return f"stationary bootstrap of bar returns (mean block {mc.block:.1f} bars)"
    return "iid bootstrap of bar returns"


def _print(
    base: BacktestResult,
    mc: MonteCarloResult,
    reruns: dict[str, RerunResult],
    ci: float,
    ruin: float | None,
) -> None:
    title = f"{escape(base.strategy)}: {_described(mc)}, {mc.n_paths:,} paths, seed {mc.seed}"
    console.print(_table(title, mc.summary(ci), ci, "original"))
    if ruin is not None:
        console.print(_ruin_line("paths", mc.prob_ruin(ruin), ruin))
    for result in reruns.values():
        label = "cost shocks" if result.kind == "cost_shocks" else (
            f"entry delays of 0-{result.settings['max_delay']} bars")  # fmt: skip
        title = f"{escape(base.strategy)}: {label}, {len(result.runs)} runs, seed {result.seed}"
        console.print(_table(title, result.summary(ci), ci, "baseline"))
        if ruin is not None:
            level = (1 - ruin) * float(base.settings["backtest"]["cash"])
            share = float((result.runs["min_equity"] <= level).mean())
            console.print(_ruin_line(label, share, ruin))
