"""``alphaforge check lookahead|warmup``: does a strategy peek at the future, and do its results
hang on the history before the start? (``docs/bias_checks.md``)

Exit codes: 0 when the check passes; 7 (failed) when ``lookahead`` finds a signal that changes
once the future is known, or ``warmup --strict`` finds results that still depend on the history.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from alphaforge.cli._common import ExitCode, console, err_console, handle_errors
from alphaforge.cli.backtest import _parse_params
from alphaforge.core.suggest import did_you_mean
from alphaforge.domain.errors import InvalidValueError

if TYPE_CHECKING:
    from alphaforge.runtime.bias import LookaheadReport, StrategyLike, WarmupReport

check_app = typer.Typer(
    help="Bias checks: look-ahead (signals that change once the future is known) and warm-up "
    "(results that depend on the history before the start).",
    no_args_is_help=True,
)

_STRATEGY = typer.Argument(
    help="A strategy name (`alphaforge strategies list`), or MODULE:NAME / FILE.py:NAME for "
    "your own Strategy class or a factory f(frames) -> Strategy."
)
_PARAM = typer.Option(
    "--param", "-p", help="Strategy parameter KEY=VALUE, repeatable.", show_default=False
)
_DATA = typer.Option(
    "--data",
    "-d",
    help="Bundled dataset, catalog symbol or CSV/Parquet file; repeat to join several "
    "(default: the strategy's own data sets, else spx_daily).",
    show_default=False,
)
_SYMBOLS = typer.Option(
    "--symbols", help="Symbols of a multi-symbol set (repeatable).", show_default=False
)
_END = typer.Option(help="Last bar (a date alone: that whole day).")
_TIMEFRAME = typer.Option(help="Bar timeframe of a file or catalog symbol.")
_CASH = typer.Option(help="Starting cash (default from config).")
_FILL = typer.Option(help="When market orders fill: next_open (default), aggressive or close.")
_JSON = typer.Option("--json", help="Print the whole report as JSON.")


@check_app.command("lookahead")
@handle_errors
def lookahead_command(
    strategy: Annotated[str, _STRATEGY],
    param: Annotated[list[str] | None, _PARAM] = None,
    data: Annotated[list[str] | None, _DATA] = None,
    symbols: Annotated[list[str] | None, _SYMBOLS] = None,
    start: Annotated[
        str | None, typer.Option(help="First bar to trade; earlier bars only warm up.")
    ] = None,
    end: Annotated[str | None, _END] = None,
    timeframe: Annotated[str | None, _TIMEFRAME] = None,
    cash: Annotated[str | None, _CASH] = None,
    fill: Annotated[str | None, _FILL] = None,
    cuts: Annotated[
        list[str] | None,
        typer.Option(
            "--cuts",
            help="Where to cut the history: dates (repeatable or comma-separated), or a number "
            "N of evenly spaced cuts, each with the first bar of the next month.",
        ),
    ] = None,
    show: Annotated[
        int, typer.Option(help="Differences shown per cut (all of them go to --out).", min=0)
    ] = 10,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Folder for the full report (CSV and JSON).", file_okay=False
        ),
    ] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Find signals that change once the future is known (exit 7 if any).

    The strategy runs in full and ended at each cut; every order decision, fill and equity
    point up to a cut that differs between the two is listed."""
    from alphaforge.runtime.bias import check_lookahead  # noqa: PLC0415  # heavy: when run

    target, params = _strategy(strategy, param)
    with err_console.status(f"checking {strategy} for look-ahead", spinner="dots"):
        report = check_lookahead(
            target, _source(data), params=params, cuts=_cuts(cuts), symbols=symbols,
            start=start, end=end, timeframe=timeframe, cash=cash, fill=fill,
        )  # fmt: skip
        paths = report.write(out) if out is not None else {}
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        _print_lookahead(report, show, _shown(data))
        _print_paths(paths)
    if not report.passed:
        raise typer.Exit(int(ExitCode.FAILED))


@check_app.command("warmup")
@handle_errors
def warmup_command(
    strategy: Annotated[str, _STRATEGY],
    param: Annotated[list[str] | None, _PARAM] = None,
    data: Annotated[list[str] | None, _DATA] = None,
    symbols: Annotated[list[str] | None, _SYMBOLS] = None,
    start: Annotated[
        str | None,
        typer.Option(
            help="First bar of the period every run trades (default: the bar after the most "
            "history asked for, at most half the data)."
        ),
    ] = None,
    end: Annotated[str | None, _END] = None,
    timeframe: Annotated[str | None, _TIMEFRAME] = None,
    cash: Annotated[str | None, _CASH] = None,
    fill: Annotated[str | None, _FILL] = None,
    warmups: Annotated[
        str,
        typer.Option(help="Bars of history before the start, comma-separated; 'all': all of it."),
    ] = "0,50,100,250,500,1000,all",
    tolerance: Annotated[
        float,
        typer.Option(
            help="Positions differ where net or gross exposure (fraction of equity) is "
            "further apart than this.",
            min=0.0,
        ),
    ] = 0.05,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 7 when the results are not stable.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Folder for the table (CSV) and the report (JSON).", file_okay=False
        ),
    ] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Measure how results depend on the history before the start.

    The same period runs with each amount of warm-up history; the table shows how the figures
    move and the verdict from how much history they are stable."""
    from alphaforge.runtime.bias import check_warmup  # noqa: PLC0415  # heavy: when run

    target, params = _strategy(strategy, param)
    asked = [w.strip() for w in warmups.split(",") if w.strip()]
    with err_console.status(f"checking {strategy} for warm-up dependence", spinner="dots"):
        report = check_warmup(
            target, _source(data), params=params, start=start, warmups=asked,
            tolerance=tolerance, symbols=symbols, end=end, timeframe=timeframe, cash=cash,
            fill=fill,
        )  # fmt: skip
        paths = report.write(out) if out is not None else {}
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        _print_warmup(report, _shown(data))
        _print_paths(paths)
    if strict and not report.passed:
        raise typer.Exit(int(ExitCode.FAILED))


# ---------------------------------------------------------------------------- inputs


def _strategy(text: str, pairs: list[str] | None) -> tuple[StrategyLike, dict[str, Any] | None]:
    """A registered name as is; ``module:Name`` or ``file.py:Name`` imported."""
    params = _parse_params(pairs) or None
    where, sep, name = text.rpartition(":")
    if not sep:
        return text, params
    module = _import(where)
    found = getattr(module, name, None)
    if found is None:
        public = [n for n in vars(module) if not n.startswith("_")]
        raise InvalidValueError(f"{where} has no {name!r}{did_you_mean(name, public)}")
    return found, params


def _import(where: str) -> Any:
    if not where.endswith(".py"):
        try:
            return importlib.import_module(where)
        except ImportError as exc:
            raise InvalidValueError(f"cannot import {where!r}: {exc}") from None
    path = Path(where).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"no strategy file {path}")
    name = f"_alphaforge_check_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise InvalidValueError(f"cannot load {path} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # pydantic resolves a Params class's annotations through it
    spec.loader.exec_module(module)
    return module


def _source(data: list[str] | None) -> str | list[str] | None:
    return data[0] if data and len(data) == 1 else data


def _shown(data: list[str] | None) -> str:
    return ", ".join(data) if data else "its default data"


def _cuts(values: list[str] | None) -> list[str] | int:
    """``--cuts 5`` -> 5 evenly spaced cuts; ``--cuts 2010-01-04,2012-06-01`` -> those dates."""
    items = [p.strip() for v in values or [] for p in v.split(",") if p.strip()]
    if not items:
        return 5
    if len(items) == 1 and items[0].isdigit():
        return int(items[0])
    return items


# ---------------------------------------------------------------------------- output


def _print_lookahead(report: LookaheadReport, show: int, shown: str) -> None:
    from alphaforge.runtime.bias import cell_text  # noqa: PLC0415

    title = (
        f"look-ahead check · {escape(report.strategy)} on {escape(shown)} · "
        f"{len(report.compared) + 1} runs in {report.seconds:.2f} s"
    )
    table = Table(title=title, box=box.SIMPLE_HEAD)
    for column in report.cuts_table.columns:
        table.add_column(str(column), justify="left" if column == "cut" else "right")
    for row in report.cuts_table.itertuples(index=False, name=None):
        table.add_row(*(escape(cell_text(v)) for v in row))
    console.print(table)
    for cut in report.cuts:
        rows = report.at(cut)
        if rows and show:
            detail = Table(
                title=f"cut at {cell_text(cut)}: {len(rows)} differences", box=box.SIMPLE_HEAD
            )
            for column in ("signal", "time", "change", "fields", "with the future", "without"):
                detail.add_column(column)
            for d in rows[:show]:
                detail.add_row(d.signal, cell_text(d.ts), d.change, d.fields,
                               escape(d.with_future), escape(d.without_future))  # fmt: skip
            console.print(detail)
            if len(rows) > show:
                console.print(f"... and {len(rows) - show} more (all of them: --out DIR)")
    style = "green" if report.passed else "bold red"
    console.print(f"[{style}]{escape(report.verdict())}[/]", soft_wrap=True)
    for note in report.notes:
        console.print(f"note: {escape(note)}", soft_wrap=True)


def _print_warmup(report: WarmupReport, shown: str) -> None:
    from alphaforge.runtime.bias import cell_text  # noqa: PLC0415

    title = (
        f"warm-up check · {escape(report.strategy)} on {escape(shown)} from "
        f"{cell_text(report.start)} · {len(report.rows)} runs in {report.seconds:.2f} s"
    )
    table = Table(title=title, box=box.SIMPLE_HEAD)
    headers = ("warm-up", "bars", "data from", "total return", "Sharpe", "trades",
               "fills", "first trade", "equity differs from", "positions differ until",
               "bars apart", "status")  # fmt: skip
    for header in headers:
        numeric = header in ("bars", "total return", "Sharpe", "trades", "fills", "bars apart")
        table.add_column(header, justify="right" if numeric else "left")
    for row in report.table.itertuples(index=False, name=None):
        values = [cell_text(v) for v in row]
        values[3], values[4] = f"{row[3]:.2%}", f"{row[4]:.2f}"
        table.add_row(*(escape(v) for v in values))
    console.print(table)
    style = "green" if report.passed else "bold red"
    console.print(f"[{style}]{escape(report.verdict())}[/]", soft_wrap=True)
    for note in report.notes:
        console.print(f"note: {escape(note)}", soft_wrap=True)


def _print_paths(paths: dict[str, Path]) -> None:
    for name, path in paths.items():
        console.print(f"{name:>11}: {path}")
