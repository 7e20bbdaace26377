"""The tearsheet's tables: trades, cost breakdown, every metric, parameters and provenance."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import pandas as pd

from alphaforge.analytics._tearsheet_html import (
    Cell,
    fmt_count,
    fmt_money,
    fmt_pct,
    fmt_price,
    fmt_time,
    kv_rows,
    signed_cell,
    table,
)
from alphaforge.analytics.trades import TRADE_COLUMNS

if TYPE_CHECKING:
    from alphaforge.analytics.metrics import Metrics

__all__ = ["MAX_TRADE_ROWS", "costs_table", "kv_table", "metrics_table", "trades_table"]

MAX_TRADE_ROWS = 500

_Format = Callable[[object], Cell]


def _num(fmt: Callable[[object], str]) -> _Format:
    return lambda v: (fmt(v), "num")


def _signed(fmt: Callable[[object], str]) -> _Format:
    return lambda v: signed_cell(v, fmt(v))


def _text(value: object) -> Cell:
    return (
        "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    ), ""


_BY_NAME: dict[str, _Format] = {
    "entry_ts": lambda v: (fmt_time(v), ""),
    "exit_ts": lambda v: (fmt_time(v), ""),
    "quantity": _num(fmt_price),
    "entry_price": _num(fmt_price),
    "exit_price": _num(fmt_price),
    "pnl": _signed(fmt_money),
    "return": _signed(fmt_pct),
    "fees": _num(fmt_money),
    "bars_held": _num(fmt_count),
}
_LABELS = {
    "entry_ts": "entry (UTC)",
    "exit_ts": "exit (UTC)",
    "entry_price": "entry price",
    "exit_price": "exit price",
    "bars_held": "bars",
    "exit_reason": "exit reason",
}


def _formatter(name: str, column: pd.Series) -> _Format:
    if name in _BY_NAME:
        return _BY_NAME[name]
    if pd.api.types.is_datetime64_any_dtype(column):
        return lambda v: (fmt_time(v), "")
    if pd.api.types.is_integer_dtype(column):
        return _num(fmt_count)
    if pd.api.types.is_float_dtype(column):
        return _num(fmt_price)
    return _text


def trades_table(trades: pd.DataFrame) -> tuple[str, list[str]]:
    """Return the first ``MAX_TRADE_ROWS`` trades as a scrollable table, and notes."""
    if len(trades) == 0:
        return "", ["The trades table is empty: no trade was closed."]
    known = [c for c in TRADE_COLUMNS if c in trades.columns]
    columns = known + [c for c in trades.columns if c not in TRADE_COLUMNS]
    shown = trades.iloc[:MAX_TRADE_ROWS]
    formats = [_formatter(str(c), shown[c]) for c in columns]
    data = [shown[c].tolist() for c in columns]
    rows = [
        [(str(i + 1), "num")] + [f(col[i]) for f, col in zip(formats, data, strict=True)]
        for i in range(len(shown))
    ]
    headers = ["#"] + [_LABELS.get(str(c), str(c)) for c in columns]
    body = f'<div class="scroll">{table(headers, rows, "trades")}</div>'
    notes = []
    if len(trades) > MAX_TRADE_ROWS:
        more = len(trades) - MAX_TRADE_ROWS
        notes.append(
            f"Showing the first {MAX_TRADE_ROWS:,} of {len(trades):,} trades; {more:,} more are "
            "not shown here (every trade counts in the metrics)."
        )
    else:
        notes.append(f"All {len(trades):,} trades.")
    return body, notes


def costs_table(costs: Mapping[str, float], metrics: Metrics) -> tuple[str, list[str]]:
    """Return costs by kind with their share, % of initial equity and bps of traded notional."""
    if not costs:
        return "", ["No costs were given (no cost mapping and no fees column)."]
    total = math.fsum(float(v) for v in costs.values())
    initial = metrics.initial_equity
    notional = metrics.traded_notional
    per_notional = math.isfinite(notional) and notional > 0

    def row(label: str, amount: float, css: str = "") -> list[Cell]:
        cells: list[Cell] = [
            (label, css),
            (fmt_money(amount), "num"),
            (fmt_pct(amount / total) if total else fmt_pct(math.nan), "num"),
            (fmt_pct(amount / initial) if initial else fmt_pct(math.nan), "num"),
        ]
        if per_notional:
            cells.append((f"{amount / notional * 1e4:,.2f}", "num"))
        return cells

    rows = [row(str(kind), float(amount)) for kind, amount in costs.items()]
    rows.append(row("Total", total))
    headers = ["kind", "amount", "share", "of initial equity"]
    if per_notional:
        headers.append("bps of traded notional")
    return table(headers, rows, "costs", total=True), [
        "Costs are amounts paid, in account currency."
    ]


def metrics_table(metrics: Metrics) -> str:
    """Return ``metrics.table_rows()`` as two side-by-side tables."""
    rows = metrics.table_rows()
    half = (len(rows) + 1) // 2
    parts = [
        table(["figure", "value"], [[(k, "key"), (v, "num")] for k, v in chunk], "metrics-table")
        for chunk in (rows[:half], rows[half:])
    ]
    return f'<div class="kv">{"".join(parts)}</div>'


def kv_table(mapping: Mapping[str, object] | None, what: str) -> tuple[str, list[str]]:
    """Return a key/value table of a mapping (nested keys dotted), or a note when there is none."""
    if not mapping:
        return "", [f"No {what} were given."]
    return table(["key", "value"], kv_rows(mapping), "kv-table"), []
