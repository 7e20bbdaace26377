"""The tearsheet's performance charts as plotly figures (prices and trades: ``_tearsheet_prices``).

Each builder takes full-resolution data, draws a ``_tearsheet_data.line`` of it (downsampled
past ``MAX_POINTS``) and returns the figure with a list of notes for the reader (what was
thinned, what could not be drawn). No number is drawn that is not computed from the inputs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from alphaforge.analytics._inputs import FloatArray
from alphaforge.analytics._tearsheet_data import Line, line, round6
from alphaforge.analytics._tearsheet_html import fmt_time
from alphaforge.analytics.periodic import (
    monthly_returns,
    rolling_sharpe,
    rolling_volatility,
    yearly_returns,
)

__all__ = [
    "COLORS",
    "Chart",
    "Shade",
    "base_layout",
    "distribution_chart",
    "equity_chart",
    "figure_html",
    "monthly_heatmap",
    "rolling_chart",
    "underwater_chart",
    "yearly_chart",
]

COLORS = {
    "strategy": "#1f5fbf",
    "benchmark": "#8a94a6",
    "gain": "#1a9850",
    "loss": "#d73027",
    "warn": "#f08c00",
    "grid": "#e9edf3",
    "text": "#1f2937",
}
_CONFIG = {
    "responsive": True,
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_RED_GREEN = [
    [0.0, "#b2182b"],
    [0.25, "#ef8a62"],
    [0.5, "#f7f7f7"],
    [0.75, "#7fbf7b"],
    [1.0, "#1b7837"],
]


@dataclass(slots=True)
class Chart:
    """A figure and the notes printed under it (downsampling, missing data)."""

    figure: go.Figure | None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Shade:
    """A labelled time span drawn behind the equity curve (in-sample, out-of-sample)."""

    label: str
    start: str
    end: str
    color: str


def base_layout(height: int, **extra: Any) -> dict[str, Any]:
    """Return the shared look: white, light grid, legend on top, system fonts."""
    axis = {"gridcolor": COLORS["grid"], "zerolinecolor": "#c9d1dc", "automargin": True}
    layout: dict[str, Any] = {
        "template": "none",
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 36, "b": 40},
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "legend": {"orientation": "h", "x": 0, "y": 1.08, "bgcolor": "rgba(0,0,0,0)"},
        "hovermode": "x unified",
        "xaxis": dict(axis),
        "yaxis": dict(axis),
    }
    layout.update(extra)
    return layout


def figure_html(figure: go.Figure, div_id: str) -> str:
    """Return the figure as an HTML fragment that uses the page's single plotly.js."""
    html: str = figure.to_html(
        full_html=False, include_plotlyjs=False, div_id=div_id, config=_CONFIG
    )
    return html


def _thinned(lines: Sequence[tuple[str, Line]]) -> list[str]:
    return [
        f"{name}: {len(ln.x):,} of {ln.total:,} points drawn (the lowest and highest of each "
        "stretch are kept); the metrics use all of them."
        for name, ln in lines
        if ln.downsampled
    ]


def _scale_buttons() -> list[dict[str, Any]]:
    buttons = [
        {"label": label, "method": "relayout", "args": [{"yaxis.type": kind}]}
        for label, kind in (("Linear", "linear"), ("Log", "log"))
    ]
    return [
        {
            "type": "buttons",
            "direction": "right",
            "buttons": buttons,
            "x": 1.0,
            "xanchor": "right",
            "y": 1.12,
            "yanchor": "bottom",
            "showactive": True,
            "bgcolor": "#f3f5f9",
        }
    ]


def equity_chart(
    index: pd.DatetimeIndex,
    equity: FloatArray,
    benchmark: FloatArray | None,
    shades: Sequence[Shade] = (),
) -> Chart:
    """Plot the equity and the benchmark rebased to it, with a linear/log scale toggle."""
    strategy = line(index, equity)
    fig = go.Figure(
        go.Scatter(
            x=strategy.x,
            y=strategy.y,
            name="Strategy",
            line={"color": COLORS["strategy"], "width": 1.6},
            hovertemplate="%{y:,.2f}<extra>Strategy</extra>",
        ),
        layout=base_layout(
            440, updatemenus=_scale_buttons(), margin={"l": 60, "r": 20, "t": 56, "b": 40}
        ),
    )
    lines = [("Equity", strategy)]
    if benchmark is not None:
        bench = line(index, benchmark)
        fig.add_trace(
            go.Scatter(
                x=bench.x,
                y=bench.y,
                name="Benchmark (rebased)",
                line={"color": COLORS["benchmark"], "width": 1.2},
                hovertemplate="%{y:,.2f}<extra>Benchmark</extra>",
            )
        )
        lines.append(("Benchmark", bench))
    for shade in shades:
        fig.add_vrect(
            x0=shade.start,
            x1=shade.end,
            fillcolor=shade.color,
            opacity=0.12,
            line_width=0,
            layer="below",
            annotation_text=shade.label,
            annotation_position="top left",
        )
    return Chart(fig, _thinned(lines))


def underwater_chart(index: pd.DatetimeIndex, equity: FloatArray, deepest: float) -> Chart:
    """Plot the drawdown from the running peak of the equity, as a filled area."""
    peak = np.maximum.accumulate(equity)
    with np.errstate(divide="ignore", invalid="ignore"):
        depth = np.where(peak > 0, equity / peak - 1.0, np.nan)
    dd = line(index, depth)
    title = f"Max drawdown {deepest:.2%}" if math.isfinite(deepest) else ""
    fig = go.Figure(
        go.Scatter(
            x=dd.x,
            y=dd.y,
            fill="tozeroy",
            name="Drawdown",
            line={"color": COLORS["loss"], "width": 1},
            fillcolor="rgba(215,48,39,0.25)",
            hovertemplate="%{y:.2%}<extra>Drawdown</extra>",
        ),
        layout=base_layout(
            300,
            showlegend=False,
            yaxis={"tickformat": ".0%", "gridcolor": COLORS["grid"], "automargin": True},
            title={"text": title, "x": 0.01, "font": {"size": 13}},
        ),
    )
    return Chart(fig, _thinned([("Drawdown", dd)]))


def _percent_text(values: FloatArray) -> list[str]:
    return [format(v, ".1%") if math.isfinite(v) else "" for v in values.tolist()]


def monthly_heatmap(returns: pd.Series) -> Chart:
    """Plot returns per calendar month (rows: years) with a last column for the whole year.

    Colours diverge around 0 (red losses, green gains); the year column has its own scale, as
    yearly returns are larger than monthly ones.
    """
    if returns.size == 0:
        return Chart(None, ["No returns: the equity curve has a single value."])
    table = monthly_returns(returns)
    yearly = yearly_returns(returns).reindex(table.index)
    years = [str(y) for y in table.index]
    month_z = table.to_numpy(dtype=np.float64)
    year_z = yearly.to_numpy(dtype=np.float64)
    common = {
        "y": years,
        "zmid": 0.0,
        "colorscale": _RED_GREEN,
        "texttemplate": "%{text}",
        "textfont": {"size": 11},
        "xgap": 2,
        "ygap": 2,
        "showscale": False,
        "hoverongaps": False,
    }
    fig = go.Figure(
        [
            go.Heatmap(
                x=list(_MONTHS),
                z=[[round6(v) for v in row] for row in month_z.tolist()],
                text=[_percent_text(row) for row in month_z],
                name="Month",
                hovertemplate="%{y} %{x}: %{z:.2%}<extra></extra>",
                **common,
            ),
            go.Heatmap(
                x=["Year"],
                z=[[round6(v)] for v in year_z.tolist()],
                text=[[t] for t in _percent_text(year_z)],
                name="Year",
                hovertemplate="%{y}: %{z:.2%}<extra></extra>",
                **common,
            ),
        ],
        layout=base_layout(
            max(220, 60 + 24 * len(years)),
            hovermode="closest",
            xaxis={"side": "top", "type": "category", "showgrid": False},
            yaxis={"autorange": "reversed", "type": "category", "showgrid": False},
            margin={"l": 50, "r": 10, "t": 40, "b": 10},
        ),
    )
    return Chart(fig, _calendar_notes(returns))


def _calendar_notes(returns: pd.Series) -> list[str]:
    first, last = returns.index[0], returns.index[-1]
    return [
        "Returns compound bar by bar within each calendar month and year (UTC). The first "
        f"return ends at {fmt_time(first)}, the last at {fmt_time(last)}: the first and last "
        "year may be partial."
    ]


def yearly_chart(returns: pd.Series) -> Chart:
    """Plot the compounded return of each calendar year as bars, green up and red down."""
    if returns.size == 0:
        return Chart(None, ["No returns: the equity curve has a single value."])
    yearly = yearly_returns(returns)
    values = yearly.to_numpy(dtype=np.float64)
    fig = go.Figure(
        go.Bar(
            x=[str(y) for y in yearly.index],
            y=[round6(v) for v in values.tolist()],
            text=_percent_text(values),
            textposition="outside",
            marker_color=[COLORS["gain"] if v >= 0 else COLORS["loss"] for v in values],
            hovertemplate="%{x}: %{y:.2%}<extra></extra>",
        ),
        layout=base_layout(
            320,
            showlegend=False,
            hovermode="closest",
            xaxis={"type": "category", "showgrid": False},
            yaxis={"tickformat": ".0%", "gridcolor": COLORS["grid"], "automargin": True},
        ),
    )
    return Chart(fig)


def rolling_chart(
    returns: pd.Series,
    window: int,
    periods_per_year: float,
    risk_free: float,
    full_period: float,
    kind: str,
) -> Chart:
    """Plot the rolling Sharpe ratio (``kind="sharpe"``) or volatility over ``window`` bars.

    ``full_period`` (the whole run's figure, from the metrics) is drawn as a dashed reference.
    """
    if returns.size < window:
        return Chart(
            None,
            [f"Fewer than {window:,} returns: not enough for one {window:,}-bar window."],
        )
    if kind == "sharpe":
        series = rolling_sharpe(returns, window, risk_free, periods_per_year)
        fmt, name, color = ".2f", "Rolling Sharpe", COLORS["strategy"]
    else:
        series = rolling_volatility(returns, window, periods_per_year)
        fmt, name, color = ".1%", "Rolling volatility", COLORS["warn"]
    drawn = line(pd.DatetimeIndex(series.index), series.to_numpy(dtype=np.float64))
    fig = go.Figure(
        go.Scatter(
            x=drawn.x,
            y=drawn.y,
            name=name,
            line={"color": color, "width": 1.3},
            hovertemplate=f"%{{y:{fmt}}}<extra>{name}</extra>",
        ),
        layout=base_layout(
            300,
            showlegend=False,
            yaxis={"tickformat": fmt, "gridcolor": COLORS["grid"], "automargin": True},
        ),
    )
    if math.isfinite(full_period):
        fig.add_hline(
            y=full_period,
            line_dash="dash",
            line_color=COLORS["benchmark"],
            annotation_text=f"whole run {format(full_period, fmt)}",
            annotation_position="top left",
        )
    notes = [f"Window: {window:,} bars (6 months at {periods_per_year:,g} bars a year)."]
    return Chart(fig, notes + _thinned([(name, drawn)]))


def distribution_chart(returns: FloatArray, var_lines: Sequence[tuple[str, float]]) -> Chart:
    """Plot the histogram of per-bar returns with vertical lines at the given VaR levels."""
    r = returns[np.isfinite(returns)]
    if r.size == 0:
        return Chart(None, ["No finite returns to draw."])
    bins = int(min(100, max(10, math.ceil(math.sqrt(r.size)))))
    counts, edges = np.histogram(r, bins=bins)
    centers = (edges[:-1] + edges[1:]) / 2.0
    fig = go.Figure(
        go.Bar(
            x=[round6(v) for v in centers.tolist()],
            y=counts.tolist(),
            width=float(edges[1] - edges[0]),
            marker_color=COLORS["strategy"],
            opacity=0.8,
            name="Bars",
            customdata=np.column_stack((edges[:-1], edges[1:])).astype(np.float32),
            hovertemplate="%{customdata[0]:.2%} to %{customdata[1]:.2%}: %{y} bars<extra></extra>",
        ),
        layout=base_layout(
            320,
            showlegend=False,
            hovermode="closest",
            bargap=0.02,
            xaxis={"tickformat": ".1%", "gridcolor": COLORS["grid"], "automargin": True},
            yaxis={"title": {"text": "bars"}, "gridcolor": COLORS["grid"]},
        ),
    )
    for (label, value), color in zip(var_lines, (COLORS["loss"], COLORS["warn"]), strict=False):
        if math.isfinite(value):
            fig.add_vline(
                x=value,
                line_dash="dash",
                line_color=color,
                annotation_text=f"{label} {value:.2%}",
                annotation_position="top left" if color == COLORS["loss"] else "bottom left",
            )
    return Chart(fig, [f"{r.size:,} per-bar returns in {bins} bins."])
