"""``alphaforge data …``: list, inspect, validate, import, export, resample and delete market data.

Every command that takes a TARGET accepts a file (CSV or Parquet), a bundled dataset name
(``spx_daily``) or a symbol of the local catalog (``SPX``); ``bundled:``, ``catalog:`` and
``file:`` prefixes settle any ambiguity. Nothing is ever fixed silently: ``--repair`` names the
policies to apply and every change they make is printed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from alphaforge.cli import _data_support as support
from alphaforge.cli._common import ExitCode, console, err_console, handle_errors
from alphaforge.cli._data_options import (
    CalendarOpt,
    CatalogDir,
    EndOpt,
    FormatOpt,
    JsonOpt,
    KindOpt,
    MapOpt,
    RepairOpt,
    StartOpt,
    SymbolOpt,
    TimeframeOpt,
    TimestampOpt,
    TzOpt,
)
from alphaforge.cli._data_render import (
    bundled_table,
    catalog_table,
    entry_json,
    frame_table,
    repair_table,
    report_json,
    show_report,
    target_table,
)
from alphaforge.cli._data_targets import (
    FileOptions,
    parse_mapping,
    resolve_target,
    slice_frame,
)
from alphaforge.data.bundled import list_datasets
from alphaforge.data.errors import DataValidationError
from alphaforge.data.resample import resample_bars
from alphaforge.data.validation import validate_frame
from alphaforge.domain.errors import InvalidValueError

app = typer.Typer(
    help=(
        "Market data: the bundled real datasets, your own CSV/Parquet files and the local "
        "catalog. TARGET is a file, a bundled dataset (spx_daily) or a catalog symbol (SPX); "
        "prefix bundled:, catalog: or file: to be explicit."
    ),
    short_help="List, inspect, validate, import, export, resample and delete market data.",
    no_args_is_help=True,
)

# ---------------------------------------------------------------- list / info / show


@app.command("list")
@handle_errors
def list_(
    catalog: CatalogDir = None,
    bundled_only: Annotated[
        bool, typer.Option("--bundled", help="Only the bundled datasets.")
    ] = False,
    catalog_only: Annotated[bool, typer.Option("--local", help="Only the local catalog.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List the bundled real datasets and what the local catalog holds."""
    if bundled_only and catalog_only:
        raise InvalidValueError("--bundled and --local exclude each other; pass one or neither")
    infos = () if catalog_only else list_datasets()
    cat = support.open_catalog(catalog)
    entries = [] if bundled_only else cat.entries()
    if as_json:
        support.print_json(
            {
                "bundled": [support.info_json(i) for i in infos],
                "catalog": {"root": str(cat.root), "entries": [entry_json(e) for e in entries]},
            }
        )
        return
    if infos:
        console.print(bundled_table(infos))
    if not bundled_only:
        if entries:
            console.print(catalog_table(entries, cat.root))
        else:
            console.print(
                f"The catalog at {cat.root} is empty: `alphaforge data import bundled:spx_daily` "
                "or `alphaforge data import FILE --symbol SYM --timeframe 1d` fills it."
            )


@app.command()
@handle_errors
def info(
    target: Annotated[str, typer.Argument(help="File, bundled dataset or catalog symbol.")],
    timeframe: TimeframeOpt = None,
    symbol: SymbolOpt = None,
    kind: KindOpt = None,
    mapping: MapOpt = None,
    timestamp: TimestampOpt = None,
    tz: TzOpt = None,
    catalog: CatalogDir = None,
    as_json: JsonOpt = False,
) -> None:
    """Describe a dataset: kind, timeframe, calendar, span, columns and provenance."""
    opts = FileOptions(kind, parse_mapping(mapping), timestamp, tz)
    cat = support.open_catalog(catalog)
    resolved = resolve_target(target, cat, timeframe=timeframe, symbol=symbol, file=opts)
    frame = support.read_target(resolved)
    if as_json:
        support.print_json(support.target_json(resolved, frame))
        return
    console.print(target_table(resolved, frame))


@app.command()
@handle_errors
def show(
    target: Annotated[str, typer.Argument(help="File, bundled dataset or catalog symbol.")],
    timeframe: TimeframeOpt = None,
    symbol: SymbolOpt = None,
    head: Annotated[
        int | None, typer.Option("--head", "-n", help="Show the first N rows.", min=0)
    ] = None,
    tail: Annotated[int | None, typer.Option("--tail", help="Show the last N rows.", min=0)] = None,
    start: StartOpt = None,
    end: EndOpt = None,
    kind: KindOpt = None,
    mapping: MapOpt = None,
    timestamp: TimestampOpt = None,
    tz: TzOpt = None,
    catalog: CatalogDir = None,
) -> None:
    """Print rows: the first and last 5 by default, or --head N, --tail N, --start/--end."""
    if head is not None and tail is not None:
        raise InvalidValueError("--head and --tail exclude each other; pass one")
    opts = FileOptions(kind, parse_mapping(mapping), timestamp, tz)
    cat = support.open_catalog(catalog)
    resolved = resolve_target(target, cat, timeframe=timeframe, symbol=symbol, file=opts)
    if resolved.origin == "catalog" and start is None and end is None and (head or tail):
        # Only the row groups that hold the rows are read.
        sym, tf = resolved.symbols[0], str(resolved.timeframe)
        frame = cat.head(sym, tf, head) if head is not None else cat.tail(sym, tf, tail or 0)
        console.print(frame_table(frame, resolved.label))
        return
    frame = slice_frame(support.read_target(resolved), start, end)
    title = f"{resolved.label}: {len(frame):,} row(s)"
    if head is not None:
        console.print(frame_table(frame.iloc[:head], title, omitted=max(len(frame) - head, 0)))
    elif tail is not None:
        shown = frame.iloc[len(frame) - min(tail, len(frame)) :]
        console.print(frame_table(shown, title, omitted=len(frame) - len(shown)))
    elif start is not None or end is not None or len(frame) <= 10:
        console.print(frame_table(frame.iloc[:1000], title, omitted=max(len(frame) - 1000, 0)))
    else:
        both = pd.concat([frame.iloc[:5], frame.iloc[-5:]])
        console.print(frame_table(both, title, omitted=len(frame) - 10))


# ---------------------------------------------------------------- validate


@app.command()
@handle_errors
def validate(
    target: Annotated[str, typer.Argument(help="File, bundled dataset or catalog symbol.")],
    timeframe: TimeframeOpt = None,
    symbol: SymbolOpt = None,
    calendar: CalendarOpt = None,
    kind: KindOpt = None,
    mapping: MapOpt = None,
    timestamp: TimestampOpt = None,
    tz: TzOpt = None,
    repairs: RepairOpt = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the (repaired) data to this CSV or Parquet file.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option("--strict", help=f"Exit {int(ExitCode.FAILED)} when anything is suspect."),
    ] = False,
    catalog: CatalogDir = None,
    as_json: JsonOpt = False,
) -> None:
    """Check data against the contract: hard errors stop (exit 3), suspects are reported.

    Hard errors: NaN or inf, non-positive prices, high < low, open/close outside [low, high],
    negative volume, duplicate or unsorted or naive timestamps, missing columns, empty or corrupt
    files. Suspects: gaps against the calendar, zero-volume bars, jumps that look like splits.
    """
    opts = FileOptions(kind, parse_mapping(mapping), timestamp, tz)
    cat = support.open_catalog(catalog)
    resolved = resolve_target(
        target, cat, timeframe=timeframe, symbol=symbol, file=opts, calendar=calendar
    )
    cal = calendar if calendar is not None else resolved.calendar
    frame = support.read_target(resolved)
    frame, actions = support.apply_repairs(frame, repairs, resolved, cal)
    try:
        with support.status(f"validating {len(frame):,} rows of {resolved.label}"):
            report = validate_frame(
                frame,
                source=resolved.label,
                kind=resolved.kind,
                calendar=cal,
                frequency=resolved.frequency,
            )
    except DataValidationError as exc:
        support.fail_on(exc, as_json=as_json, repaired=bool(actions))
    if output is not None:
        support.write_frame(frame, output)
    if as_json:
        support.print_json(
            report_json(
                report,
                extra={
                    "repairs": [support.action_json(a) for a in actions],
                    "output": None if output is None else str(output),
                },
            )
        )
    else:
        if actions:
            console.print(repair_table(actions))
        show_report(console, report)
        if output is not None:
            console.print(f"wrote {len(frame):,} rows to {output}")
    if strict and not report.ok:
        raise typer.Exit(int(ExitCode.FAILED))


# ---------------------------------------------------------------- import / export


@app.command("import")
@handle_errors
def import_(
    source: Annotated[
        str,
        typer.Argument(help="A CSV/Parquet file, or bundled:NAME for a bundled dataset."),
    ],
    symbol: Annotated[
        list[str] | None,
        typer.Option(
            "--symbol",
            "-s",
            help="Symbol to store a file under (required for files); for a bundled set, the "
            "symbols to import (repeatable; default: all).",
            show_default=False,
        ),
    ] = None,
    timeframe: TimeframeOpt = None,
    kind: KindOpt = None,
    calendar: CalendarOpt = None,
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            help="replace: overwrite; append: add rows after the stored ones; merge: union, "
            "refusing conflicting values.",
        ),
    ] = "replace",
    stamp: Annotated[
        str,
        typer.Option(
            "--stamp",
            help="What a row's time means: bar_open (bar covers [t, t+tf)), period_end_date "
            "or observation (ticks).",
        ),
    ] = "bar_open",
    mapping: MapOpt = None,
    timestamp: TimestampOpt = None,
    tz: TzOpt = None,
    file_format: FormatOpt = None,
    currency: Annotated[str | None, typer.Option(help="Quote currency, e.g. USD.")] = None,
    asset_class: Annotated[
        str | None, typer.Option(help="equity, index, fx, crypto, commodity, ...")
    ] = None,
    repairs: RepairOpt = None,
    catalog: CatalogDir = None,
) -> None:
    """Validate data and store it in the catalog; on any error the catalog is left as it was."""
    cat = support.open_catalog(catalog)
    if source.startswith("bundled:"):
        if any(x is not None for x in (kind, timeframe, mapping, timestamp, tz, file_format)):
            raise InvalidValueError(
                "--kind, --timeframe, --map, --timestamp, --tz and --format are for files; a "
                "bundled set brings its own metadata"
            )
        if repairs:
            raise InvalidValueError("bundled sets are validated as shipped; --repair is for files")
        support.import_bundled(cat, source.removeprefix("bundled:"), symbol, mode)
        return
    if not symbol or len(symbol) != 1:
        raise InvalidValueError("a file is stored under one symbol: pass --symbol SYM once")
    if timeframe is None:
        raise InvalidValueError(
            "pass --timeframe (1m, 5m, 1h, 1d, ... or tick for trades): the catalog files data "
            "by symbol and timeframe"
        )
    opts = FileOptions(kind, parse_mapping(mapping), timestamp, tz, file_format)
    resolved = resolve_target(
        source if source.startswith("file:") else f"file:{source}",
        cat,
        timeframe=timeframe,
        file=opts,
        calendar=calendar,
    )
    frame = support.read_target(resolved)
    frame, actions = support.apply_repairs(frame, repairs, resolved, calendar)
    if actions:
        err_console.print(repair_table(actions))
    try:
        with support.status(
            f"validating and storing {len(frame):,} rows as {symbol[0]} {timeframe}"
        ):
            entry = cat.import_frame(
                symbol[0],
                timeframe,
                frame,
                kind=resolved.kind,
                calendar=calendar,
                source=resolved.label,
                mode=mode,
                stamp=stamp,
                currency=currency,
                asset_class=asset_class,
            )
    except DataValidationError as exc:
        support.fail_on(exc, as_json=False, repaired=bool(actions), storing=True)
    support.stored(entry, resolved.kind if kind is None else None)


@app.command()
@handle_errors
def export(
    symbol: Annotated[str, typer.Argument(help="Catalog symbol.")],
    path: Annotated[
        Path, typer.Argument(help="Target file: .csv, .csv.gz or .parquet.", dir_okay=False)
    ],
    timeframe: TimeframeOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    file_format: FormatOpt = None,
    catalog: CatalogDir = None,
) -> None:
    """Write a catalog series (or a time range of it) to a CSV or Parquet file."""
    cat = support.open_catalog(catalog)
    entry = cat.info(symbol, timeframe)
    written = cat.export(
        entry.symbol, entry.timeframe, path, format=file_format, start=start, end=end
    )
    console.print(f"exported {entry.symbol} {entry.timeframe} to {written}")


# ---------------------------------------------------------------- resample


@app.command()
@handle_errors
def resample(
    target: Annotated[str, typer.Argument(help="File, bundled dataset or catalog symbol.")],
    to: Annotated[str, typer.Option("--to", help="Target timeframe, e.g. 1h, 1d, 1w, 1M.")],
    timeframe: Annotated[
        str | None,
        typer.Option(
            "--timeframe",
            "-t",
            help="The source's timeframe (catalog: which entry; files: inferred when omitted).",
            show_default=False,
        ),
    ] = None,
    symbol: SymbolOpt = None,
    calendar: CalendarOpt = None,
    drop_partial: Annotated[
        bool,
        typer.Option(
            "--drop-partial", help="Drop a first or last bin the data does not fully cover."
        ),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the result to this file instead of storing it in the catalog.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    store_as: Annotated[
        str | None,
        typer.Option(
            "--store-as",
            help="Catalog symbol to store the result under (default: the source's symbol).",
            show_default=False,
        ),
    ] = None,
    kind: KindOpt = None,
    mapping: MapOpt = None,
    timestamp: TimestampOpt = None,
    tz: TzOpt = None,
    catalog: CatalogDir = None,
) -> None:
    """Aggregate bars to a longer timeframe (open first, high max, low min, close last, volume
    sum), aligned to the calendar's sessions, and store or write the result."""
    opts = FileOptions(kind, parse_mapping(mapping), timestamp, tz)
    cat = support.open_catalog(catalog)
    resolved = resolve_target(
        target, cat, timeframe=timeframe, symbol=symbol, file=opts, calendar=calendar
    )
    cal = calendar if calendar is not None else resolved.calendar
    frame = support.read_target(resolved)
    if resolved.kind not in ("ohlcv", "close"):
        raise InvalidValueError(
            f"{resolved.label} holds {resolved.kind!r} data; only bars (ohlcv) and close prices "
            "can be resampled"
        )
    if resolved.kind == "close" and len(frame.columns) > 1:
        raise InvalidValueError(
            f"{resolved.label} holds {len(frame.columns)} symbols; pick one with --symbol"
        )
    source_tf = resolved.timeframe if resolved.origin != "file" else timeframe
    with support.status(f"resampling {len(frame):,} rows of {resolved.label} to {to}"):
        out = resample_bars(
            frame,
            to,
            calendar=None if cal in (None, "none") else cal,
            drop_partial=drop_partial,
            source_timeframe=source_tf,
        )
    if output is not None:
        support.write_frame(out, output)
        console.print(f"wrote {len(out):,} {to} bars of {resolved.label} to {output}")
        return
    name = store_as or (resolved.symbols[0] if len(resolved.symbols) == 1 else None)
    if name is None:
        raise InvalidValueError(
            f"say where the {to} bars go: --output FILE, or --store-as SYMBOL for the catalog"
        )
    entry = cat.import_frame(
        name,
        to,
        out,
        kind=resolved.kind,
        calendar=cal,
        source=f"resample({resolved.label} -> {to})",
        stamp="bar_open",
    )
    support.stored(entry, None)


# ---------------------------------------------------------------- delete


@app.command()
@handle_errors
def delete(
    symbol: Annotated[str, typer.Argument(help="Catalog symbol.")],
    timeframe: Annotated[
        str | None,
        typer.Option(
            "--timeframe", "-t", help="Delete only this timeframe (default: all of them)."
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    catalog: CatalogDir = None,
) -> None:
    """Delete a symbol (or one timeframe of it) from the catalog."""
    cat = support.open_catalog(catalog)
    doomed = (
        [cat.info(symbol, timeframe)]
        if timeframe is not None
        else [e for e in cat.entries() if e.symbol == symbol.strip().upper()]
    )
    if not doomed:
        cat.info(symbol)  # raises the not-found error with suggestions
    listing = ", ".join(f"{e.symbol} {e.timeframe} ({e.rows:,} rows)" for e in doomed)
    if not yes:
        if not sys.stdin.isatty():
            raise InvalidValueError(f"refusing to delete {listing} without --yes (no terminal)")
        typer.confirm(f"Delete {listing} from {cat.root}?", abort=True)
    deleted = cat.delete(symbol, timeframe)
    for entry in deleted:
        console.print(f"deleted {entry.symbol} {entry.timeframe} ({entry.rows:,} rows)")
