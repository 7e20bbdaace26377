"""``alphaforge compare``: every strategy on every asset it applies to, against buy-and-hold."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from alphaforge.cli._common import console, err_console, handle_errors
from alphaforge.cli.backtest import _parse_params
from alphaforge.domain.errors import InvalidValueError

if TYPE_CHECKING:
    from alphaforge.runtime.compare import CompareResult


def _split_names(values: list[str] | None) -> list[str] | None:
    """``--strategies a,b --strategies c`` -> [a, b, c]."""
    if not values:
        return None
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def _strategy_params(pairs: list[str] | None) -> dict[str, dict[str, Any]]:
    """``-p sma_cross.fast=20`` -> {"sma_cross": {"fast": 20}}."""
    out: dict[str, dict[str, Any]] = {}
    for key, value in _parse_params(pairs).items():
        name, dot, param = key.partition(".")
        if not dot or not param:
            raise InvalidValueError(
                f"-p {key}=... needs STRATEGY.PARAM=VALUE in compare (e.g. -p sma_cross.fast=20)"
            )
        out.setdefault(name, {})[param] = value
    return out


@handle_errors
def compare_command(
    strategies: Annotated[
        list[str] | None,
        typer.Option(
            "--strategies",
            "-s",
            help="Strategies to compare (repeatable or comma-separated; default: all).",
            show_default=False,
        ),
    ] = None,
    symbols: Annotated[
        list[str] | None,
        typer.Option(
            "--symbols",
            help="Assets: a symbol (SPX, MSFT, EURUSD ...) or a bundled data set name for a "
            "group (stocks20_close); repeatable. Default: SPX, NASDAQ, MSFT, GOOG, the 20 "
            "stocks, EUR/USD and ETH/BTC.",
            show_default=False,
        ),
    ] = None,
    split: Annotated[
        str | None,
        typer.Option(help="Date that separates in-sample from out-of-sample (e.g. 2014-01-01)."),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="STRATEGY.PARAM=VALUE, repeatable.", show_default=False),
    ] = None,
    cash: Annotated[float | None, typer.Option(help="Starting cash.")] = None,
    commission_bps: Annotated[
        float | None, typer.Option(help="Commission, bp of notional.")
    ] = None,
    slippage_bps: Annotated[float | None, typer.Option(help="Slippage, bp of price.")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Processes (default: one per core).", min=1)
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Folder for compare.csv, compare.md and compare.html.",
            file_okay=False,
        ),
    ] = Path("out/compare"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the table as JSON.")] = False,
) -> None:
    """Run every strategy on every asset it applies to, with costs; write one table and one page."""
    from alphaforge.analytics.compare_report import write_compare_html  # noqa: PLC0415
    from alphaforge.runtime.compare import asset_groups, plan_jobs, run_compare  # noqa: PLC0415

    settings: dict[str, Any] = {}
    if cash is not None:
        settings["cash"] = cash
    if commission_bps is not None:
        settings["commission_bps"] = commission_bps
    if slippage_bps is not None:
        settings["slippage_bps"] = slippage_bps
    jobs = plan_jobs(
        _split_names(strategies), asset_groups(symbols), split=split,
        params=_strategy_params(param),
    )  # fmt: skip
    if not jobs:
        raise InvalidValueError("no strategy applies to the assets given")
    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err_console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("backtesting", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = run_compare(jobs, workers=workers, split=split, settings=settings,
                             progress=advance)  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    result.table.to_csv(out / "compare.csv", index=False)
    (out / "compare.md").write_text(result.to_markdown(), encoding="utf-8")
    html = write_compare_html(out / "compare.html", result.table, split=split,
                              settings=settings, seconds=result.seconds)  # fmt: skip
    if as_json:
        rows = json.loads(result.table.to_json(orient="records", date_format="iso"))
        document = {"seconds": result.seconds, "split": split, "rows": rows}
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return
    _print_tables(result)
    failed = int((result.table["error"] != "").sum())
    console.print(
        f"{len(result.table)} backtests in {result.seconds:.1f} s"
        + (f" ({failed} did not run: see the page)" if failed else "")
    )
    for name in ("compare.csv", "compare.md"):
        console.print(f"{name:>12}: {out / name}")
    console.print(f"{'compare.html':>12}: {html}")


def _print_tables(result: CompareResult) -> None:
    from alphaforge.runtime.compare import _num, _pct  # noqa: PLC0415

    for period in result.periods():
        part = result.table[result.table["period"] == period]
        table = Table(title=f"{period} (after costs)", box=box.SIMPLE_HEAD)
        for column in ("strategy", "asset", "years", "return", "CAGR", "Sharpe", "max DD",
                       "trades", "B&H return", "B&H Sharpe", "Sharpe vs B&H"):  # fmt: skip
            table.add_column(column, justify="left" if column in ("strategy", "asset") else "right")
        for r in part.to_dict("records"):
            name, asset = escape(str(r["strategy"])), escape(str(r["asset"]))
            if r["error"]:
                table.add_row(name, asset, f"[red]error[/]: {escape(str(r['error']))[:60]}")
                continue
            table.add_row(
                name, asset, _num(r["years"], 2), _pct(r["total_return"]), _pct(r["cagr"]),
                _num(r["sharpe"]), _pct(r["max_drawdown"]), str(int(r["trades"])),
                _pct(r["bh_total_return"]), _num(r["bh_sharpe"]), _num(r["excess_sharpe"]),
            )  # fmt: skip
        console.print(table)
