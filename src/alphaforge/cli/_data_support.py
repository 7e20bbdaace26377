"""What the ``alphaforge data`` commands share: catalog lookup, reading, repairs, writing, JSON.

Kept apart from ``cli/data.py`` so that the command module reads as the list of commands.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd
import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from alphaforge.cli._common import ExitCode, console, err_console
from alphaforge.cli._data_render import (
    catalog_table,
    problems_table,
)
from alphaforge.cli._data_targets import (
    Target,
)
from alphaforge.data.bundled import dataset_info
from alphaforge.data.catalog import Catalog, CatalogEntry
from alphaforge.data.errors import DataValidationError
from alphaforge.data.repair import RepairAction, repair
from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "action_json",
    "apply_repairs",
    "fail_on",
    "import_bundled",
    "info_json",
    "open_catalog",
    "print_json",
    "read_target",
    "status",
    "stored",
    "target_json",
    "write_frame",
]


def open_catalog(folder: Path | None) -> Catalog:
    if folder is not None:
        return Catalog(folder)
    from alphaforge.config import load_config  # noqa: PLC0415  # only when no --catalog

    return Catalog(load_config().data.catalog_dir)


def read_target(target: Target) -> pd.DataFrame:
    with status(f"reading {target.label}"):
        return target.read()


def status(message: str) -> Any:
    return err_console.status(message, spinner="dots")


def apply_repairs(
    frame: pd.DataFrame, policies: list[str] | None, target: Target, calendar: str | None
) -> tuple[pd.DataFrame, tuple[RepairAction, ...]]:
    if not policies:
        return frame, ()
    return repair(
        frame,
        policies,
        source=target.label,
        kind=target.kind,
        calendar=None if calendar in (None, "none") else calendar,
        frequency=target.frequency,
    )


def fail_on(
    error: DataValidationError, *, as_json: bool, repaired: bool, storing: bool = False
) -> NoReturn:
    """Show every hard problem and exit with INVALID_DATA (an import has stored nothing)."""
    if as_json:
        print_json(
            {
                "ok": False,
                "problems": [
                    {
                        "source": p.source,
                        "row": p.row,
                        "timestamp": p.timestamp,
                        "field": p.field,
                        "message": p.message,
                    }
                    for p in error.problems
                ],
            }
        )
    else:
        err_console.print(problems_table(error))
        hint = (
            "the repairs above were not enough"
            if repaired
            else "fix the source, or pass --repair POLICY (see --help) to change it explicitly"
        )
        err_console.print(
            f"[bold red]error:[/] {escape(str(error.first))}; "
            + ("nothing was stored; " if storing else "")
            + hint,
            soft_wrap=True,
        )
    raise typer.Exit(int(ExitCode.INVALID_DATA))


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """Write a frame to CSV (optionally gzipped) or Parquet, atomically (temp file, rename)."""
    name = path.name.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if name.endswith(".parquet") or name.endswith(".pq"):
            frame.to_parquet(tmp)
        elif name.endswith(".csv") or name.endswith(".csv.gz"):
            frame.to_csv(
                tmp,
                index_label="timestamp",
                date_format="%Y-%m-%dT%H:%M:%S.%f%z",
                compression="gzip" if name.endswith(".gz") else None,
            )
        else:
            raise InvalidValueError(
                f"{path}: unknown output format; use a .csv, .csv.gz or .parquet name"
            )
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def import_bundled(cat: Catalog, name: str, symbols: list[str] | None, mode: str) -> None:
    info = dataset_info(name)
    wanted = list(symbols) if symbols else list(info.symbols)
    entries: list[CatalogEntry] = []
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"importing {name}", total=len(wanted))
        for sym in wanted:
            progress.update(task, description=f"importing {name}: {sym}")
            entries += cat.import_bundled(name, [sym], mode=mode)
            progress.advance(task)
    console.print(catalog_table(entries, cat.root))


def stored(entry: CatalogEntry, guessed_kind: str | None) -> None:
    guess = f" (kind {guessed_kind!r} guessed from the header; pass --kind to set it)"
    console.print(
        f"stored {entry.symbol} {entry.timeframe}: {entry.rows:,} {entry.kind} rows "
        f"{entry.first} .. {entry.last}, {entry.gaps:,} gap(s) against "
        f"{entry.calendar or 'no calendar'}" + (guess if guessed_kind else "")
    )


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def info_json(info: Any) -> dict[str, Any]:
    return {name: getattr(info, name) for name in info.__dataclass_fields__}


def action_json(action: RepairAction) -> dict[str, Any]:
    return {
        "policy": action.policy,
        "count": action.count,
        "rows": list(action.rows),
        "description": action.description,
    }


def target_json(target: Target, frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "label": target.label,
        "origin": target.origin,
        "kind": target.kind,
        "timeframe": target.timeframe,
        "calendar": target.calendar,
        "symbols": list(target.symbols),
        "rows": len(frame),
        "first": frame.index[0].isoformat() if len(frame) else None,
        "last": frame.index[-1].isoformat() if len(frame) else None,
        "columns": [str(c) for c in frame.columns],
        "details": target.details,
    }
