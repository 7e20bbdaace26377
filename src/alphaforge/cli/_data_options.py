"""The options the ``alphaforge data`` commands share, declared once with their help text."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alphaforge.data.repair import REPAIR_POLICIES

__all__ = [
    "CalendarOpt",
    "CatalogDir",
    "EndOpt",
    "FormatOpt",
    "JsonOpt",
    "KindOpt",
    "MapOpt",
    "RepairOpt",
    "StartOpt",
    "SymbolOpt",
    "TimeframeOpt",
    "TimestampOpt",
    "TzOpt",
]

_REPAIR_HELP = "Repair policy to apply, repeatable: " + "; ".join(
    f"{name}: {what}" for name, what in REPAIR_POLICIES.items()
)

CatalogDir = Annotated[
    Path | None,
    typer.Option(
        "--catalog",
        help="Catalog folder. Default: data.catalog_dir of the configuration "
        "(ALPHAFORGE_DATA__CATALOG_DIR, else the per-user data folder).",
        file_okay=False,
        metavar="DIR",
        show_default=False,
    ),
]
TimeframeOpt = Annotated[
    str | None,
    typer.Option(
        "--timeframe", "-t", help="Timeframe: 1m, 5m, 1h, 1d, 1w, 1M or tick.", show_default=False
    ),
]
SymbolOpt = Annotated[
    str | None,
    typer.Option("--symbol", "-s", help="One symbol of a multi-symbol set.", show_default=False),
]
KindOpt = Annotated[
    str | None,
    typer.Option(
        "--kind",
        help="Data kind of a file: ohlcv, close, series or trades (default: guessed from the "
        "header, and shown).",
        show_default=False,
    ),
]
CalendarOpt = Annotated[
    str | None,
    typer.Option(
        "--calendar",
        help="Trading calendar for gap checks: an exchange code (XNYS, XLON, ...), 24/7 "
        "(crypto), 24/5 (FX) or none.",
        show_default=False,
    ),
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help="Map a file column to a canonical name, repeatable: --map Date=timestamp",
        metavar="COLUMN=NAME",
        show_default=False,
    ),
]
TimestampOpt = Annotated[
    str | None,
    typer.Option("--timestamp", help="Name of the file's time column.", show_default=False),
]
TzOpt = Annotated[
    str | None,
    typer.Option(
        "--tz",
        help="Time zone of stamps written without an offset (e.g. UTC, America/New_York).",
        show_default=False,
    ),
]
FormatOpt = Annotated[
    str | None,
    typer.Option("--format", help="File format: csv or parquet (default: from the suffix)."),
]
RepairOpt = Annotated[
    list[str] | None,
    typer.Option("--repair", help=_REPAIR_HELP, metavar="POLICY", show_default=False),
]
StartOpt = Annotated[
    str | None,
    typer.Option("--start", help="First timestamp to include (UTC unless it has an offset)."),
]
EndOpt = Annotated[
    str | None,
    typer.Option("--end", help="Last timestamp to include; a date alone means the whole day."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of tables.")]
