"""``alphaforge backtest`` and ``alphaforge strategies``: run a strategy, list and describe them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from alphaforge.cli._common import console, err_console, handle_errors
from alphaforge.domain.errors import InvalidValueError

strategies_app = typer.Typer(
    help="The strategies alphaforge knows by name, and their parameters.",
    no_args_is_help=True,
)

_KEY_FIGURES = (
    "Start", "End", "Total return", "Annual return (CAGR)", "Annual volatility", "Sharpe ratio",
    "Sortino ratio", "Max drawdown", "Calmar ratio", "Trades", "Win rate", "Profit factor",
    "Exposure (bars with a position)", "Costs", "Benchmark total return", "Alpha (annual)", "Beta",
)  # fmt: skip


def _parse_params(pairs: list[str] | None) -> dict[str, Any]:
    """``-p fast=20 -p mode=long_short`` -> {"fast": 20, "mode": "long_short"} (JSON values)."""
    params: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidValueError(f"-p {pair!r} is not KEY=VALUE (e.g. -p fast=20)")
        try:
            params[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            params[key.strip()] = raw  # plain text: an enum name such as long_short
    return params


@handle_errors
def backtest_command(
    strategy: Annotated[
        str,
        typer.Option("--strategy", "-s", help="Strategy name (see `alphaforge strategies list`)."),
    ] = "sma_cross",
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param", "-p", help="Strategy parameter KEY=VALUE, repeatable.", show_default=False
        ),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            "-d",
            help="Bundled dataset, catalog symbol or CSV/Parquet file; repeat to join several "
            "(default: the strategy's own data sets, else spx_daily).",
            show_default=False,
        ),
    ] = None,
    symbols: Annotated[
        list[str] | None,
        typer.Option(
            "--symbols", help="Symbols of a multi-symbol set (repeatable).", show_default=False
        ),
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="First bar to trade; earlier bars only warm up indicators.")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="Last bar (a date alone: that whole day).")
    ] = None,
    timeframe: Annotated[
        str | None, typer.Option(help="Bar timeframe of a file or catalog symbol.")
    ] = None,
    cash: Annotated[str | None, typer.Option(help="Starting cash (default from config).")] = None,
    commission_bps: Annotated[
        float | None, typer.Option(help="Commission, bp of notional.")
    ] = None,
    slippage_bps: Annotated[float | None, typer.Option(help="Slippage, bp of price.")] = None,
    fill: Annotated[
        str | None,
        typer.Option(
            help="When market orders fill: next_open (default, no look-ahead), aggressive (next "
            "open, crossing half of --spread-bps) or close (optimistic). Limit orders always rest "
            "and fill passively at their limit (maker); on trade data at the next trade."
        ),
    ] = None,
    limit_fill: Annotated[
        str,
        typer.Option(
            help="through: a resting limit fills when the price trades beyond it; touch "
            "(optimistic): at it."
        ),
    ] = "through",
    intrabar: Annotated[
        str,
        typer.Option(
            help="When a stop and a target are both inside one bar: pessimistic (the stop "
            "first), ohlc_path (open, nearer extreme, farther extreme, close) or lower_timeframe "
            "(walk the finer bars of the same symbol given with another --data)."
        ),
    ] = "pessimistic",
    queue_ahead: Annotated[
        float | None,
        typer.Option(
            help="Trade data: units assumed queued ahead of a limit at or behind the best price "
            "(default: unknown, only a trade through the limit fills it).",
            show_default=False,
        ),
    ] = None,
    maker_commission_bps: Annotated[
        float | None,
        typer.Option(
            help="Commission on passive (maker) fills, bp; negative for a rebate "
            "(default: --commission-bps).",
            show_default=False,
        ),
    ] = None,
    spread_bps: Annotated[float, typer.Option(help="Quoted spread, bp (half is paid).")] = 0.0,
    borrow_rate: Annotated[
        float | None,
        typer.Option(
            help="Annual stock-loan fee on shorts, e.g. 0.03 (default: none).", show_default=False
        ),
    ] = None,
    cash_rate: Annotated[
        float | None,
        typer.Option(
            help="Annual interest on cash, e.g. 0.02 (default: none).", show_default=False
        ),
    ] = None,
    mode: Annotated[
        str, typer.Option(help="event (the kernel) or vector (research engine).")
    ] = "event",
    benchmark: Annotated[
        str | None,
        typer.Option(help="Bundled dataset or symbol to compare with (default: buy and hold)."),
    ] = None,
    allow_short: Annotated[
        bool | None, typer.Option("--allow-short/--no-short", help="Allow short positions.")
    ] = None,
    max_gross_leverage: Annotated[
        float | None,
        typer.Option(
            help="Risk limit: gross exposure / equity (default: the strategy's, else "
            "the [risk] setting).",
            min=0.01,
            show_default=False,
        ),
    ] = None,
    max_position_weight: Annotated[
        float | None,
        typer.Option(
            help="Risk limit: one position's value / equity.", min=0.01, show_default=False
        ),
    ] = None,
    fractional: Annotated[
        bool | None,
        typer.Option(
            "--fractional/--whole",
            help="Trade fractional units (default: whole).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Folder for trades/orders/fills/equity CSV, metrics.json and tearsheet.html.",
            file_okay=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print metrics as JSON.")] = False,
) -> None:
    """Backtest a strategy on real data; print the key metrics and write the tearsheet."""
    from alphaforge.runtime import backtest  # noqa: PLC0415  # heavy: only when running

    source: str | list[str] | None = data[0] if data and len(data) == 1 else data
    shown = ", ".join(data) if data else "its default data"
    with err_console.status(f"backtesting {strategy} on {shown}", spinner="dots"):
        result = backtest(
            strategy,
            source,
            params=_parse_params(param),
            symbols=symbols,
            start=start,
            end=end,
            timeframe=timeframe,
            cash=cash,
            commission_bps=commission_bps,
            slippage_bps=slippage_bps,
            fill=fill,  # type: ignore[arg-type]
            limit_fill=limit_fill,  # type: ignore[arg-type]
            intrabar=intrabar,  # type: ignore[arg-type]
            queue_ahead=queue_ahead,
            maker_commission_bps=maker_commission_bps,
            mode=mode,  # type: ignore[arg-type]
            benchmark=benchmark,
            allow_short=allow_short,
            max_gross_leverage=max_gross_leverage,
            max_position_weight=max_position_weight,
            fractional=fractional,
            spread_bps=spread_bps,
            borrow_rate=borrow_rate,
            cash_rate=cash_rate,
        )
        paths = result.write(out) if out is not None else {}
    if as_json:
        document = {
            "run_id": result.run_id,
            "metrics": result.metrics.to_dict(),
            "files": {k: str(v) for k, v in paths.items()},
        }
        sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")
        return
    rows = dict(result.summary())
    table = Table(
        title=f"{escape(result.strategy)} on {escape(shown)}  ·  run {result.run_id}",
        show_header=False,
        box=box.SIMPLE,
    )
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label in _KEY_FIGURES:
        if label in rows:
            table.add_row(label, escape(str(rows[label])))
    console.print(table)
    from alphaforge.analytics.metrics import MIN_ANNUALIZED_YEARS  # noqa: PLC0415

    m = result.metrics
    years = m.periods / m.periods_per_year if m.periods_per_year else None
    if years is not None and years < MIN_ANNUALIZED_YEARS:
        console.print(
            f"note: the run covers {years * 365.25:.1f} days; its annualized figures (CAGR, "
            "volatility, Sharpe, Sortino) scale that to a year and mean little: read the total "
            "return"
        )
    params = ", ".join(f"{k}={v}" for k, v in result.params.items())
    console.print(f"parameters: {escape(params)}")
    costs = ", ".join(f"{k} {v:,.2f}" for k, v in result.costs.items() if v)
    console.print(
        f"costs: {escape(costs) or 'none'}; {_trade_counts(result.trades)}, "
        f"{len(result.fills)} fills"
    )
    if result.strategy_report:
        figures = ", ".join(f"{k}={_figure(v)}" for k, v in result.strategy_report.items())
        console.print(f"strategy report: {escape(figures)}")
    for name, path in paths.items():
        console.print(f"{name:>9}: {path}")


def _trade_counts(trades: Any) -> str:
    """Closed trades (as the table counts them) and any still open when the data ended."""
    still_open = int((trades["exit_reason"] == "open at end").sum())
    closed = len(trades) - still_open
    text = f"{closed} closed trade{'s' if closed != 1 else ''}"
    return text + (f" + {still_open} open at the end" if still_open else "")


@strategies_app.command("list")
@handle_errors
def list_strategies_command() -> None:
    """List the built-in and registered strategies."""
    from alphaforge.strategies import list_strategies  # noqa: PLC0415

    table = Table(title="Strategies", box=box.SIMPLE_HEAD)
    table.add_column("name", no_wrap=True)
    table.add_column("parameters (defaults)")
    table.add_column("idea")
    for cls in list_strategies():
        defaults = ", ".join(f"{k}={f.default}" for k, f in cls.Params.model_fields.items())
        idea = (cls.__doc__ or "").strip().splitlines()[0]
        table.add_row(cls.strategy_name(), escape(defaults), escape(idea))
    console.print(table)


@strategies_app.command("show")
@handle_errors
def show_strategy_command(
    name: Annotated[str, typer.Argument(help="Strategy name.")],
) -> None:
    """Describe a strategy: its idea, assumptions and every parameter."""
    from alphaforge.strategies import get_strategy  # noqa: PLC0415

    cls = get_strategy(name)
    console.print(f"[bold]{cls.strategy_name()}[/]  ({cls.__module__}.{cls.__qualname__})\n")
    console.print(escape(_dedent(cls.__doc__ or "")))
    table = Table(title="Parameters", box=box.SIMPLE_HEAD)
    for column in ("name", "type", "default", "description"):
        table.add_column(column)
    for key, info in cls.Params.model_fields.items():
        kind = getattr(info.annotation, "__name__", str(info.annotation))
        table.add_row(key, escape(kind), escape(repr(info.default)), escape(info.description or ""))
    console.print(table)


def _figure(value: object) -> str:
    """A report figure for the terminal: floats to 6 significant digits."""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _dedent(text: str) -> str:
    import inspect  # noqa: PLC0415

    return inspect.cleandoc(text)
