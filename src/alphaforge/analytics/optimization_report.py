"""The HTML page of ``alphaforge optimize``: the best set, how likely it is overfit, and where in
parameter space the good results are (heatmap, parallel coordinates), with the top trials.

Self-contained like the tearsheet (plotly.js embedded once, opens offline); every value from the
study is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from alphaforge._version import __version__
from alphaforge.analytics._report_format import fmt_value
from alphaforge.analytics._tearsheet_html import Cell, esc, page, section, table
from alphaforge.analytics.optimization_charts import heatmap, parallel
from alphaforge.analytics.tearsheet import _plotly_js

__all__ = ["optimization_html", "write_optimization_html"]

_TOP = 25


def _figure(fig: Any, div_id: str) -> str:
    html: str = fig.to_html(
        full_html=False, include_plotlyjs=False, div_id=div_id, config={"displaylogo": False}
    )
    return html


def _overview(summary: Mapping[str, Any]) -> str:
    rows: list[list[Cell]] = [
        [("method", ""), (fmt_value(summary.get("method")), "val")],
        [("backend", ""), (fmt_value(summary.get("backend")), "val")],
        [("trials run", ""), (fmt_value(summary.get("trials")), "val")],
        [("sets refused by the strategy", ""), (fmt_value(summary.get("invalid_sets")), "val")],
        [("feasible (meet the constraints)", ""), (fmt_value(summary.get("feasible")), "val")],
        [("constraints", ""), (", ".join(summary.get("constraints", [])) or "none", "val")],
        [("metric", ""), (", ".join(summary.get("metric", [])), "val")],
        [("best parameters", ""), (fmt_value(summary.get("best_params")), "val")],
        [("seconds", ""), (fmt_value(summary.get("seconds")), "val")],
    ]
    for name, value in (summary.get("best_metrics") or {}).items():
        rows.append([(f"best: {name}", ""), (fmt_value(value), "val")])
    return table(("", "value"), rows)


def _overfitting(figures: Mapping[str, Any] | None) -> tuple[str, list[str]]:
    if not figures:
        return "<p>Not computed.</p>", []
    verdict = [str(v) for v in figures.get("verdict", [])]
    rows = [
        [(str(k), ""), (fmt_value(v), "val")]
        for k, v in figures.items()
        if k != "verdict" and not isinstance(v, Mapping | list)
    ]
    return table(("statistic", "value"), rows), verdict


def _top(trials: pd.DataFrame, columns: Sequence[str], metric: str, ascending: bool) -> str:
    shown = trials.sort_values(metric, ascending=ascending, na_position="last").head(_TOP)
    rows = [[(fmt_value(r[c]), "") for c in columns] for _, r in shown.iterrows()]
    return table(columns, rows)


def optimization_html(
    trials: pd.DataFrame,
    summary: Mapping[str, Any],
    params: Sequence[str],
    *,
    command: str | None = None,
) -> str:
    """Return the page for a study's ``trials`` table and ``summary`` (``OptimizationResult``)."""
    metric = str(summary["metric"][0])
    ascending = summary.get("directions", ["maximize"])[0] == "minimize"
    body: list[str] = []
    toc = [("overview", "overview"), ("overfitting", "overfitting")]
    body.append(section("overview", "The study", _overview(summary)))
    stats, verdict = _overfitting(summary.get("overfitting"))
    body.append(
        section(
            "overfitting",
            "How likely is the best set overfit?",
            stats,
            [
                *verdict,
                "PSR: probability the true Sharpe ratio is above 0 given this track record. DSR: "
                "the same against the best Sharpe expected from luck alone after this many "
                "trials. PBO: share of in-sample/out-of-sample splits where the in-sample "
                "winner ranks below the median out of sample (CSCV).",
            ],
        )
    )
    charts: list[str] = []
    if len(trials) and len(params) >= 2:
        charts.append(_figure(heatmap(trials, params[0], params[1], metric), "heat"))
    if len(trials) and params:
        charts.append(_figure(parallel(trials, list(params), metric), "parallel"))
    if charts:
        toc.append(("landscape", "landscape"))
        body.append(
            section(
                "landscape",
                "Where the good sets are",
                "".join(charts),
                [
                    "A robust optimum sits on a plateau: its neighbours do about as well. A lone "
                    "peak among poor neighbours is more likely luck."
                ],
            )
        )
    more = [c for c in ("max_drawdown", "number_of_trades") if c in trials.columns and c != metric]
    columns = ["trial", *params, metric, *more, "feasible"]
    if len(trials):
        toc.append(("trials", "top trials"))
        body.append(section("trials", f"Top {_TOP} trials by {metric}",
                            _top(trials, columns, metric, ascending)))  # fmt: skip
    if command:
        toc.append(("reproduce", "reproduce"))
        body.append(section("reproduce", "Reproduce", f"<pre>{esc(command)}</pre>"))
    objective = summary.get("objective", {})
    header = (
        f"<h1>Optimization: {esc(objective.get('strategy', ''))}</h1>"
        f"<div class='period'>{esc(summary.get('trials'))} trials · "
        f"{esc(summary.get('method'))} · data {esc(objective.get('data') or 'default')}</div>"
        f"<div class='badges'><span class='badge'>alphaforge {esc(__version__)}</span>"
        f"<span class='badge'>in-sample search</span></div>"
    )
    footer = (
        f"alphaforge {esc(__version__)} · written "
        f"{esc(datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC'))}"
    )
    return page("alphaforge optimize", _plotly_js(), header, toc, "\n".join(body), footer)


def write_optimization_html(
    path: str | Path,
    trials: pd.DataFrame,
    summary: Mapping[str, Any],
    params: Sequence[str],
    *,
    command: str | None = None,
) -> Path:
    """Write :func:`optimization_html` to ``path``; return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(optimization_html(trials, summary, params, command=command), encoding="utf-8")
    return out
