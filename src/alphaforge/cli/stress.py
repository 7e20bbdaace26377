"""``alphaforge stress``: a strategy through the named falls of its data and synthetic shocks."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from alphaforge.cli._common import console, handle_errors
from alphaforge.cli._research import (
    BackendOpt,
    CommissionOpt,
    DataOpt,
    EndOpt,
    ParamOpt,
    SlippageOpt,
    StartOpt,
    StrategyArg,
    SymbolsOpt,
    WorkersOpt,
)
from alphaforge.cli.backtest import _parse_params

if TYPE_CHECKING:
    from alphaforge.runtime.stress import StressResult


def _split(values: list[str] | None) -> list[str] | None:
    """``--shocks gap,spreads --shocks volume`` -> [gap, spreads, volume]."""
    if not values:
        return None
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def _settings(**values: Any) -> dict[str, Any]:
    """The run settings the user gave (left-out flags keep backtest's defaults)."""
    return {key: value for key, value in values.items() if value is not None}


@handle_errors
def stress_command(
    strategy: StrategyArg,
    data: DataOpt = None,
    param: ParamOpt = None,
    symbols: SymbolsOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    shock_at: Annotated[
        str | None,
        typer.Option(
            help="Date of the gap and start of the volatility window (default: the middle bar "
            "of the run).",
            show_default=False,
        ),
    ] = None,
    shocks: Annotated[
        list[str] | None,
        typer.Option(
            "--shocks",
            help="Synthetic shocks to run: gap, volatility, spreads, volume (comma-separated or "
            "repeated; default: all). --shocks none runs only the historical windows.",
            show_default=False,
        ),
    ] = None,
    benchmark: Annotated[
        str | None,
        typer.Option(
            help="Bundled dataset or symbol of the run to compare with (default: buying and "
            "holding the first symbol).",
            show_default=False,
        ),
    ] = None,
    cash: Annotated[str | None, typer.Option(help="Starting cash (default from config).")] = None,
    commission_bps: CommissionOpt = None,
    slippage_bps: SlippageOpt = None,
    spread_bps: Annotated[
        float | None, typer.Option(help="Bid-ask spread, bp (crossed by aggressive fills).")
    ] = None,
    max_participation: Annotated[
        float | None,
        typer.Option(
            help="Cap fills at this share of bar volume (the volume shock uses 0.10 if unset)."
        ),
    ] = None,
    backend: BackendOpt = "serial",
    workers: WorkersOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Folder for stress.csv, stress.json and stress.md.", file_okay=False
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Run a strategy through the historical crashes its data holds and synthetic shocks (a -10 %
    gap, volatility x3, spreads x5, volume /10); print one table."""
    from alphaforge.research.backends import get_backend  # noqa: PLC0415  # lazy: fast --help
    from alphaforge.runtime.stress import SHOCKS, stress_test  # noqa: PLC0415

    chosen = _split(shocks)
    run = _settings(
        symbols=symbols, start=start, end=end, benchmark=benchmark, cash=cash,
        commission_bps=commission_bps, slippage_bps=slippage_bps, spread_bps=spread_bps,
        max_participation=max_participation,
    )  # fmt: skip
    with get_backend(backend, workers=workers) as pool:
        result = stress_test(
            strategy,
            (data[0] if len(data) == 1 else data) if data else None,
            params=_parse_params(param) or None,
            shocks=SHOCKS if chosen is None else [s for s in chosen if s != "none"],
            shock_at=shock_at,
            backend=pool,
            **run,
        )
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        result.table.to_csv(out / "stress.csv", index=False)
        document = json.dumps(result.to_dict(), indent=2, allow_nan=False, default=str)
        (out / "stress.json").write_text(document + "\n", encoding="utf-8")
        (out / "stress.md").write_text(result.to_markdown(), encoding="utf-8")
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, default=str) + "\n")
        return
    _print(result)
    if out is not None:
        for name in ("stress.csv", "stress.json", "stress.md"):
            console.print(f"{name:>11}: {out / name}")


def _print(result: StressResult) -> None:
    headers, rows, notes = result.display()
    params = " ".join(f"{k}={v}" for k, v in result.params.items())
    table = Table(
        title=f"{result.strategy} {params} on {result.data} (benchmark: {result.benchmark})",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for header in headers:
        left = header in ("scenario", "from", "to", "status")
        wrap = header == "status"  # "partial (data from ...)" may wrap; figures never do
        table.add_column(header, justify="left" if left else "right", no_wrap=not wrap)
    kinds = list(result.table["kind"])
    for i, row in enumerate(rows):  # a rule between the baseline, the windows and the shocks
        last = i + 1 == len(rows) or kinds[i + 1] != kinds[i]
        table.add_row(*(escape(cell) for cell in row), end_section=last)
    console.print(table)
    for note in notes:
        console.print(f"  {escape(note)}", soft_wrap=True)
    console.print(f"shock bar {result.shock_at}; {result.seconds:.1f} s")
