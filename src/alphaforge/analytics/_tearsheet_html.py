"""HTML pieces of the tearsheet: the page, its style sheet, number formats, header and tables.

Everything here returns strings; every value that comes from the caller is escaped. Figures
follow the conventions of ``Metrics.table_rows``: percentages with two decimals, ratios with two,
money with thousands separators, ``n/a`` for an undefined figure.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from alphaforge.analytics.metrics import Metrics

__all__ = [
    "NOT_AVAILABLE",
    "cards",
    "esc",
    "fmt_count",
    "fmt_money",
    "fmt_pct",
    "fmt_price",
    "fmt_ratio",
    "fmt_time",
    "kv_rows",
    "note",
    "page",
    "section",
    "table",
]

NOT_AVAILABLE = "n/a"


def esc(value: object) -> str:
    """Return ``str(value)`` escaped for HTML text and attributes."""
    return html.escape(str(value), quote=True)


def _finite(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _number(value: object, spec: str) -> str:
    number = _finite(value)
    if number is None:
        return NOT_AVAILABLE
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    return format(number, spec)


def fmt_pct(value: object) -> str:
    """Return a fraction as a percentage with two decimals (0.1234 -> 12.34%)."""
    return _number(value, ".2%")


def fmt_ratio(value: object) -> str:
    """Return a ratio with two decimals."""
    return _number(value, ".2f")


def fmt_money(value: object) -> str:
    """Return an amount with thousands separators and two decimals."""
    return _number(value, ",.2f")


def fmt_count(value: object) -> str:
    """Return a whole number with thousands separators, ``n/a`` for None."""
    number = _finite(value)
    return NOT_AVAILABLE if number is None else f"{int(number):,}"


def fmt_price(value: object) -> str:
    """Return a price or quantity with about 6 significant digits, at least 2 decimals."""
    number = _finite(value)
    if number is None or math.isinf(number):
        return _number(value, "g")
    digits = len(str(int(abs(number)))) if abs(number) >= 1 else 0
    decimals = min(8, max(2, 6 - digits))
    text = f"{number:,.{decimals}f}"
    if "." in text and decimals > 2:
        text = text.rstrip("0")
        head, _, tail = text.partition(".")
        text = f"{head}.{tail.ljust(2, '0')}"
    return text


def fmt_time(value: object) -> str:
    """Return a timestamp in UTC: the date for a midnight, else date and time to the minute."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return NOT_AVAILABLE
    if isinstance(value, datetime | np.datetime64):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC")
        if stamp == stamp.normalize():
            return stamp.strftime("%Y-%m-%d")
        return stamp.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _signed_class(value: object) -> str:
    number = _finite(value)
    if number is None or number == 0:
        return ""
    return "pos" if number > 0 else "neg"


def note(text: str) -> str:
    """Return a small explanatory paragraph (text is escaped)."""
    return f'<p class="note">{esc(text)}</p>'


def section(anchor: str, title: str, body: str, notes: Iterable[str] = ()) -> str:
    """Return a titled card; ``body`` is trusted HTML, ``notes`` plain text."""
    notes_html = "".join(note(n) for n in notes)
    return (
        f'<section class="card-section" id="{esc(anchor)}">'
        f"<h2>{esc(title)}</h2>{body}{notes_html}</section>"
    )


Cell = tuple[str, str]  # (text, css class)


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Cell]], css: str = "", *, total: bool = False
) -> str:
    """Return an HTML table; cell texts are escaped. ``total`` styles the last row as a sum."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    last = len(rows) - 1 if total else -1
    body = "".join(
        ('<tr class="total">' if i == last else "<tr>")
        + "".join(f'<td class="{esc(c)}">{esc(t)}</td>' for t, c in row)
        + "</tr>"
        for i, row in enumerate(rows)
    )
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _flatten(mapping: Mapping[str, object], prefix: str = "") -> Iterable[tuple[str, object]]:
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _flatten(value, f"{name}.")
        else:
            yield name, value


def _plain(value: object) -> str:
    if isinstance(value, datetime | date | np.datetime64):
        return fmt_time(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple | set | frozenset | Mapping):
        data = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return json.dumps(data, default=str, ensure_ascii=False)
    return str(value)


def kv_rows(mapping: Mapping[str, object]) -> list[tuple[Cell, Cell]]:
    """Return ``(key, value)`` cells of a mapping, nested mappings flattened to dotted keys."""
    return [((key, "key"), (_plain(value), "val")) for key, value in _flatten(mapping)]


def _card(key: str, label: str, value: str, css: str = "") -> str:
    return (
        f'<div class="metric {css}" data-metric="{esc(key)}">'
        f'<div class="metric-label">{esc(label)}</div>'
        f'<div class="metric-value">{esc(value)}</div></div>'
    )


def cards(metrics: Metrics) -> str:
    """Return the key-figure cards of the header, each value formatted from ``metrics``."""
    items: list[tuple[str, str, str, bool]] = [  # (field, label, text, coloured by sign)
        ("total_return", "Total return", fmt_pct(metrics.total_return), True),
        ("annual_return", "CAGR", fmt_pct(metrics.annual_return), True),
        ("sharpe_ratio", "Sharpe", fmt_ratio(metrics.sharpe_ratio), True),
        ("max_drawdown", "Max drawdown", fmt_pct(metrics.max_drawdown), True),
        ("number_of_trades", "Trades", fmt_count(metrics.number_of_trades), False),
        ("win_rate", "Win rate", fmt_pct(metrics.win_rate), False),
        ("exposure", "Exposure", fmt_pct(metrics.exposure), False),
    ]
    if metrics.has_benchmark:
        benchmark = fmt_pct(metrics.benchmark_total_return)
        items.append(("benchmark_total_return", "Benchmark return", benchmark, True))
    html_cards = [
        _card(key, label, text, _signed_class(getattr(metrics, key)) if signed else "")
        for key, label, text, signed in items
    ]
    return f'<div class="metrics">{"".join(html_cards)}</div>'


def signed_cell(value: object, text: str) -> Cell:
    """Return a cell coloured by the sign of ``value``."""
    return text, f"num {_signed_class(value)}".strip()


_CSS = """
:root{--bg:#f4f6fa;--card:#fff;--ink:#1f2937;--muted:#6b7280;--line:#e5e9f0;
--accent:#1f5fbf;--pos:#1a7f43;--neg:#c0392b}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header.top{background:linear-gradient(135deg,#0f2a4d,#1f5fbf);color:#fff;padding:28px 0 22px}
.wrap{max-width:1320px;margin:0 auto;padding:0 20px}
h1{margin:0 0 4px;font-size:26px;font-weight:650;letter-spacing:-.01em}
.period{opacity:.9;font-size:14px}
.badges{margin-top:8px;display:flex;flex-wrap:wrap;gap:8px}
.badge{background:rgba(255,255,255,.16);border:1px solid rgba(255,255,255,.3);border-radius:999px;
padding:2px 12px;font-size:12.5px}
.metrics{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:12px;
margin-top:18px}
.metric{background:#fff;color:var(--ink);border-radius:10px;padding:12px 14px;
box-shadow:0 1px 3px rgba(0,0,0,.18)}
.metric-label{font-size:11.5px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.metric-value{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums;margin-top:2px}
.metric.pos .metric-value{color:var(--pos)}.metric.neg .metric-value{color:var(--neg)}
nav.toc{position:sticky;top:0;z-index:5;background:rgba(255,255,255,.95);
border-bottom:1px solid var(--line);backdrop-filter:blur(4px)}
nav.toc .wrap{display:flex;flex-wrap:wrap;gap:4px 16px;padding-top:8px;padding-bottom:8px}
nav.toc a{color:var(--accent);text-decoration:none;font-size:13px}
nav.toc a:hover{text-decoration:underline}
main{padding:18px 0 30px}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:18px}
.card-section{background:var(--card);border:1px solid var(--line);border-radius:12px;
padding:16px 18px;margin-bottom:18px;min-width:0;box-shadow:0 1px 2px rgba(16,24,40,.04)}
.grid2 .card-section{margin-bottom:0}
.grid2{margin-bottom:18px}
h2{font-size:16px;margin:0 0 10px;font-weight:650}
.note{color:var(--muted);font-size:12.5px;margin:8px 0 0}
.scroll{overflow:auto;max-height:620px;border:1px solid var(--line);border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
thead th{position:sticky;top:0;background:#f8fafc;font-weight:600;color:#374151;z-index:1}
tbody tr:nth-child(even){background:#fafbfd}
tbody tr:hover{background:#eef4ff}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.pos{color:var(--pos)}td.neg{color:var(--neg)}
td.val{white-space:normal;word-break:break-word;font-family:ui-monospace,SFMono-Regular,Menlo,
Consolas,monospace;font-size:12.5px}
td.key{color:#374151;font-weight:500}
tr.total td{font-weight:650;border-top:2px solid var(--line)}
.kv{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:0 24px}
footer{color:var(--muted);font-size:12px;padding:0 0 30px}
@media (max-width:640px){.grid2,.kv{grid-template-columns:1fr}h1{font-size:21px}
.metric-value{font-size:18px}}
"""


def page(
    title: str, plotly_js: str, header: str, toc: Sequence[tuple[str, str]], body: str, footer: str
) -> str:
    """Return the whole document: style, the one embedded plotly.js, header, sections, footer."""
    links = "".join(f'<a href="#{esc(a)}">{esc(t)}</a>' for a, t in toc)
    # An inline script ends at the first "</script"; plotly.js has none, but make sure.
    script = plotly_js.replace("</script", "<\\/script")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n"
        f'<script type="text/javascript">{script}</script>\n</head>\n<body>\n'
        f'<header class="top"><div class="wrap">{header}</div></header>\n'
        f'<nav class="toc"><div class="wrap">{links}</div></nav>\n'
        f'<main><div class="wrap">{body}</div></main>\n'
        f'<footer><div class="wrap">{footer}</div></footer>\n</body>\n</html>\n'
    )
