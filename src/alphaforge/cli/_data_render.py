"""Rich tables and panels of the data commands, and their JSON twins for scripts."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from alphaforge.cli._data_targets import Target
from alphaforge.data.bundled import DatasetInfo
from alphaforge.data.catalog import CatalogEntry
from alphaforge.data.errors import DataValidationError
from alphaforge.data.findings import ValidationReport
from alphaforge.data.repair import RepairAction

__all__ = [
    "bundled_table",
    "catalog_table",
    "entry_json",
    "frame_table",
    "problems_table",
    "repair_table",
    "report_json",
    "show_report",
    "target_table",
]

_SHOWN_GAPS = 10
_SHOWN_SUSPECTS = 20
_SHOWN_PROBLEMS = 20


def bundled_table(infos: Iterable[DatasetInfo]) -> Table:
    """One row per bundled dataset: what it holds, how often, which years, on which clock.

    Narrow enough for an 80-column terminal; ``data info NAME`` and ``--json`` give everything.
    """
    table = Table(
        title="Bundled real datasets (inside the package; `alphaforge data info NAME`)",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("name", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("freq", no_wrap=True)
    table.add_column("rows", justify="right", no_wrap=True)
    table.add_column("years", no_wrap=True)
    table.add_column("clock", no_wrap=True)
    table.add_column("symbols", no_wrap=True)
    for info in infos:
        more = len(info.symbols) - 1
        symbols = info.symbols[0] + (f" +{more}" if more else "")
        years = (
            info.first[:4]
            if info.first[:4] == info.last[:4]
            else (f"{info.first[:4]}-{info.last[:4]}")
        )
        table.add_row(
            info.name,
            info.kind,
            info.frequency,
            f"{info.rows:,}",
            years,
            info.calendar,
            escape(symbols),
        )
    return table


def catalog_table(entries: Sequence[CatalogEntry], root: object) -> Table:
    """One row per stored series of the local catalog."""
    table = Table(title=f"Catalog at {escape(str(root))}", box=box.SIMPLE_HEAD)
    for name, justify in (
        ("symbol", "left"),
        ("tf", "left"),
        ("kind", "left"),
        ("rows", "right"),
        ("first", "left"),
        ("last", "left"),
        ("calendar", "left"),
        ("gaps", "right"),
        ("source", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for e in entries:
        table.add_row(
            escape(e.symbol),
            e.timeframe,
            e.kind,
            f"{e.rows:,}",
            _when(e.first),
            _when(e.last),
            e.calendar or "-",
            f"{e.gaps:,}",
            escape(_short(e.source.split(" (")[0], 40)),
        )
    return table


def entry_json(entry: CatalogEntry) -> dict[str, Any]:
    """A catalog entry as plain JSON values."""
    return {
        "symbol": entry.symbol,
        "timeframe": entry.timeframe,
        "kind": entry.kind,
        "rows": entry.rows,
        "first": entry.first.isoformat(),
        "last": entry.last.isoformat(),
        "columns": list(entry.columns),
        "calendar": entry.calendar,
        "stamp": entry.stamp,
        "source": entry.source,
        "imported_at": entry.imported_at.isoformat(),
        "sha256": entry.content_hash,
        "path": str(entry.path),
        "currency": entry.currency,
        "asset_class": entry.asset_class,
        "gaps": entry.gaps,
        "missing_bars": entry.missing_bars,
        "metadata": dict(entry.metadata),
    }


def target_table(target: Target, frame: pd.DataFrame | None) -> Table:
    """What ``data info`` prints: origin, kind, clock, span and provenance of one target."""
    table = Table(title=escape(target.label), show_header=False, box=box.SIMPLE)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    rows: list[tuple[str, str]] = [
        ("origin", target.origin),
        ("kind", target.kind),
        ("timeframe", target.timeframe or "-"),
        ("calendar", target.calendar or "-"),
    ]
    if target.symbols:
        rows.append(("symbols", ", ".join(target.symbols)))
    if frame is not None:
        rows.append(("rows", f"{len(frame):,}"))
        if len(frame):
            rows.append(("span", f"{frame.index[0]} .. {frame.index[-1]}"))
        rows.append(("columns", ", ".join(str(c) for c in frame.columns)))
    rows += list(target.details.items())
    for label, value in rows:
        table.add_row(label, escape(str(value)))
    return table


def frame_table(frame: pd.DataFrame, title: str, *, omitted: int = 0) -> Table:
    """Rows of a frame with the UTC timestamp first; numbers keep their precision."""
    table = Table(title=escape(title), box=box.SIMPLE_HEAD)
    table.add_column("timestamp (UTC)")
    for column in frame.columns:
        table.add_column(escape(str(column)), justify="right")
    for stamp, row in zip(frame.index, frame.itertuples(index=False), strict=True):
        table.add_row(_stamp(stamp), *(_cell(v) for v in row))
    if omitted:
        table.caption = f"{omitted:,} more row(s) not shown"
    return table


def show_report(console: Console, report: ValidationReport) -> None:
    """Print a validation report: the summary table, then gaps and suspects, if any."""
    verdict = "[green]clean[/]" if report.ok else "[yellow]valid, with findings[/]"
    table = Table(title=f"{escape(report.source)}: {verdict}", show_header=False, box=box.SIMPLE)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for label, value in report.table_rows():
        table.add_row(label, escape(value))
    console.print(table)
    if report.gaps:
        gaps = Table(title="Gaps against the calendar", box=box.SIMPLE_HEAD)
        gaps.add_column("first missing bar")
        gaps.add_column("last missing bar")
        gaps.add_column("missing bars", justify="right")
        for gap in report.gaps[:_SHOWN_GAPS]:
            gaps.add_row(str(gap.start), str(gap.end), f"{gap.missing:,}")
        if len(report.gaps) > _SHOWN_GAPS:
            gaps.caption = f"first {_SHOWN_GAPS} of {len(report.gaps):,} gaps (--json lists all)"
        console.print(gaps)
    if report.suspects:
        suspects = Table(title="Suspect rows (legal, worth a look)", box=box.SIMPLE_HEAD)
        for name in ("row", "timestamp", "field", "kind", "finding"):
            suspects.add_column(name)
        for s in report.suspects[:_SHOWN_SUSPECTS]:
            suspects.add_row(str(s.row), str(s.timestamp), s.field, s.kind, escape(s.message))
        if len(report.suspects) > _SHOWN_SUSPECTS:
            suspects.caption = f"first {_SHOWN_SUSPECTS} of {len(report.suspects):,}"
        console.print(suspects)


def report_json(report: ValidationReport, *, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A validation report as plain JSON values (every gap and suspect)."""
    return {
        "source": report.source,
        "ok": report.ok,
        "kind": report.kind,
        "rows": report.rows,
        "first": None if report.first is None else report.first.isoformat(),
        "last": None if report.last is None else report.last.isoformat(),
        "calendar": report.calendar,
        "frequency": report.frequency,
        "missing_bars": report.missing_bars,
        "gaps": [
            {"start": g.start.isoformat(), "end": g.end.isoformat(), "missing": g.missing}
            for g in report.gaps[: len(report.gaps)]
        ],
        "zero_volume": report.zero_volume,
        "nan_counts": dict(report.nan_counts),
        "suspects": [
            {
                "row": s.row,
                "timestamp": s.timestamp.isoformat(),
                "field": s.field,
                "kind": s.kind,
                "message": s.message,
                "value": s.value,
            }
            for s in report.suspects
        ],
        **(extra or {}),
    }


def problems_table(error: DataValidationError) -> Table:
    """The hard problems that stopped a command, one per row: where, then what."""
    count = len(error.problems)
    table = Table(
        title=f"[bold red]{count} problem(s): the data breaks hard rules[/]", box=box.SIMPLE_HEAD
    )
    for name in ("source", "row", "timestamp", "field", "problem"):
        table.add_column(name, overflow="fold")
    for p in error.problems[:_SHOWN_PROBLEMS]:
        table.add_row(
            escape(p.source),
            "-" if p.row is None else str(p.row),
            p.timestamp or "-",
            p.field or "-",
            escape(p.message),
        )
    if count > _SHOWN_PROBLEMS:
        table.caption = f"first {_SHOWN_PROBLEMS} of {count}"
    return table


def repair_table(actions: Sequence[RepairAction]) -> Table:
    """What each --repair policy changed (every change is listed; nothing is fixed silently)."""
    table = Table(title="Repairs applied", box=box.SIMPLE_HEAD)
    table.add_column("policy")
    table.add_column("rows", justify="right")
    table.add_column("what", overflow="fold")
    for action in actions:
        table.add_row(action.policy, f"{action.count:,}", escape(str(action)))
    return table


def _stamp(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else f"{value:.10g}"
    return escape(str(value))


def _when(stamp: pd.Timestamp) -> str:
    """A UTC stamp as short as it can be without losing anything: a date at midnight."""
    if stamp == stamp.normalize():
        return stamp.strftime("%Y-%m-%d")
    if stamp.second == 0 and stamp.microsecond == 0 and stamp.nanosecond == 0:
        return stamp.strftime("%Y-%m-%d %H:%M")
    return stamp.isoformat()


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
