"""The HTML page of ``alphaforge compare``: one table per period and a heatmap of the difference
to buy-and-hold, in-sample and out-of-sample shown apart (never blended into one figure).

Self-contained like the tearsheet: plotly.js from the installed package is embedded once, so the
page opens offline. Every value from the table is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from alphaforge._version import __version__
from alphaforge.analytics._tearsheet_html import (
    Cell,
    esc,
    fmt_count,
    fmt_money,
    fmt_pct,
    fmt_ratio,
    note,
    page,
    section,
    signed_cell,
    table,
)
from alphaforge.analytics.tearsheet import _plotly_js

__all__ = ["compare_html", "write_compare_html"]

_PERIODS = ("in-sample", "out-of-sample", "full")
_HEADERS = (
    "strategy", "asset", "first bar", "last bar", "years", "return", "CAGR", "Sharpe",
    "Sortino", "max drawdown", "trades", "exposure", "costs", "B&H return", "B&H CAGR",
    "B&H Sharpe", "B&H max DD", "return vs B&H", "CAGR vs B&H", "Sharpe vs B&H",
)  # fmt: skip


def compare_html(
    table_frame: pd.DataFrame,
    *,
    split: str | None = None,
    settings: Mapping[str, object] | None = None,
    seconds: float | None = None,
) -> str:
    """Return the comparison page for the rows of ``alphaforge.runtime.compare``."""
    periods = [p for p in _PERIODS if p in set(table_frame["period"])]
    ok = table_frame[table_frame["error"] == ""]
    failed = table_frame[table_frame["error"] != ""]
    body: list[str] = []
    toc: list[tuple[str, str]] = []
    for period in periods:
        rows = ok[ok["period"] == period]
        anchor = period.replace(" ", "-")
        toc.append((anchor, period))
        body.append(
            section(
                anchor,
                f"{period}: strategies after costs vs buy-and-hold",
                _heatmap(rows, f"heat-{anchor}") + _table(rows),
                _notes(period, split),
            )
        )
    if len(failed):
        toc.append(("errors", "errors"))
        cells = [
            [(str(r.strategy), ""), (str(r.asset), ""), (str(r.period), ""), (str(r.error), "val")]
            for r in failed.itertuples(index=False)
        ]
        body.append(
            section(
                "errors",
                "Combinations that did not run",
                table(("strategy", "asset", "period", "error"), cells),
            )
        )
    toc.append(("reproduce", "reproduce"))
    commands = [
        [(str(r.strategy), ""), (str(r.asset), ""), (str(r.period), ""), (str(r.command), "val")]
        for r in table_frame.itertuples(index=False)
    ]
    body.append(
        section(
            "reproduce",
            "Each row is one backtest: the command that reproduces it",
            '<div class="scroll">'
            + table(("strategy", "asset", "period", "command"), commands)
            + "</div>",
            ["Shared settings: " + _settings_text(settings or {})],
        )
    )
    took = f" · {seconds:.1f} s" if seconds is not None else ""
    header = (
        f"<h1>Strategy comparison</h1><div class='period'>{len(table_frame)} backtests"
        f"{esc(took)} · split {esc(split or 'none')}</div>"
        f"<div class='badges'><span class='badge'>alphaforge {esc(__version__)}</span>"
        f"<span class='badge'>real bundled data</span><span class='badge'>after costs</span></div>"
    )
    footer = (
        f"alphaforge {esc(__version__)} · written "
        f"{esc(datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC'))}"
    )
    return page("alphaforge compare", _plotly_js(), header, toc, "\n".join(body), footer)


def write_compare_html(path: str | Path, table_frame: pd.DataFrame, **kwargs: object) -> Path:
    """Write :func:`compare_html` to ``path`` (parent folders are created); return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(compare_html(table_frame, **kwargs), encoding="utf-8")  # type: ignore[arg-type]
    return out


def _notes(period: str, split: str | None) -> list[str]:
    base = (
        "Buy-and-hold (B&H) is bought at the same data's first tradable open with the same costs; "
        "for strategies built on several data sets it is the first one (the underlying). CAGR, "
        "Sharpe and Sortino are n/a for runs shorter than three months (the crypto minutes): "
        "scaling weeks to a year prints noise; compare their total returns. Costs are in the "
        "account currency."
    )
    if period == "in-sample":
        return [f"Bars before {split}. Parameters are the strategies' defaults.", base]
    if period == "out-of-sample":
        return [
            f"From {split} on, as a separate run: earlier bars only warm indicators up; no "
            "position or equity is carried over from the in-sample run.",
            base,
        ]
    return [base]


def _table(rows: pd.DataFrame) -> str:
    cells: list[list[Cell]] = []
    for r in rows.itertuples(index=False):
        cells.append(
            [
                (str(r.strategy), ""),
                (str(r.asset), ""),
                (_day(r.start), ""),
                (_day(r.end), ""),
                (_years(r.years), "num"),
                signed_cell(r.total_return, fmt_pct(r.total_return)),
                signed_cell(r.cagr, fmt_pct(r.cagr)),
                signed_cell(r.sharpe, fmt_ratio(r.sharpe)),
                (fmt_ratio(r.sortino), "num"),
                (fmt_pct(r.max_drawdown), "num"),
                (fmt_count(r.trades), "num"),
                (fmt_pct(r.exposure), "num"),
                (fmt_money(r.costs), "num"),
                (fmt_pct(r.bh_total_return), "num"),
                (fmt_pct(r.bh_cagr), "num"),
                (fmt_ratio(r.bh_sharpe), "num"),
                (fmt_pct(r.bh_max_drawdown), "num"),
                signed_cell(r.excess_return, fmt_pct(r.excess_return)),
                signed_cell(r.excess_cagr, fmt_pct(r.excess_cagr)),
                signed_cell(r.excess_sharpe, fmt_ratio(r.excess_sharpe)),
            ]
        )
    return '<div class="scroll">' + table(_HEADERS, cells) + "</div>"


def _heatmap(rows: pd.DataFrame, div_id: str) -> str:
    if rows.empty:
        return note("no results in this period")
    grid = rows.pivot_table(index="strategy", columns="asset", values="excess_sharpe")
    text = [[("" if _nan(v) else f"{v:+.2f}") for v in row] for row in grid.to_numpy()]
    figure = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=list(grid.columns),
            y=list(grid.index),
            text=text,
            texttemplate="%{text}",
            colorscale="RdBu",
            zmid=0,
            colorbar={"title": "Sharpe − B&H"},
            hovertemplate="%{y} on %{x}: Sharpe − B&H %{z:.2f}<extra></extra>",
        )
    )
    figure.update_layout(
        height=max(260, 34 * len(grid.index) + 120),
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        title={"text": "Sharpe ratio minus buy-and-hold's (after costs)", "font": {"size": 13}},
    )
    html: str = figure.to_html(
        full_html=False, include_plotlyjs=False, div_id=div_id, config={"displaylogo": False}
    )
    return html


def _nan(value: object) -> bool:
    return not isinstance(value, int | float) or math.isnan(float(value))


def _years(value: object) -> str:
    return "n/a" if _nan(value) else f"{float(value):.2f}"  # type: ignore[arg-type]


def _day(value: object) -> str:
    return str(value)[:10] if value else ""


def _settings_text(settings: Mapping[str, object]) -> str:
    if not settings:
        return "the configuration's defaults (commission and slippage from [backtest])"
    return ", ".join(f"{k}={v}" for k, v in settings.items())
