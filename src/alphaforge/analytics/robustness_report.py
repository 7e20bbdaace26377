"""The HTML page of ``alphaforge robustness``: one strategy's verdict first, then the evidence
behind each check (walk-forward OOS curve, Monte Carlo fan of the OOS returns, stress table,
parameter landscape with each window's choice, overfitting statistics) and the command that
reproduces every figure.

The page takes plain data (:class:`RobustnessPage`: frames, mappings, ``Metrics``) so this
layer stays below the runtime that computes it; ``alphaforge.runtime.robustness`` fills it.
Self-contained like the tearsheet: plotly.js embedded once, opens offline; every value escaped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from alphaforge._version import __version__
from alphaforge.analytics._report_format import IS_OOS_FIGURES, fmt_value
from alphaforge.analytics._tearsheet_html import Cell, esc, fmt_pct, page, section, table
from alphaforge.analytics.metrics import Metrics
from alphaforge.analytics.optimization_charts import heatmap_grid
from alphaforge.analytics.tearsheet import _plotly_js

__all__ = ["RobustnessPage", "fmt_check_value", "robustness_html"]

#: Checks whose value is a share or a return (shown as a percentage); the others are ratios.
_PCT_CHECKS = ("mc_loss", "mc_ruin", "stress_drawdown", "parameter_stability")
_EXTRA_CSS = """<style>
.grade{display:inline-block;font-size:20px;font-weight:700;padding:4px 16px;border-radius:8px;
margin-right:10px;color:#fff}.grade.robust{background:#1a7f43}.grade.fragile{background:#b7791f}
.grade.overfit{background:#c0392b}.headline{font-size:15px;font-weight:600}
td.pass{color:#1a7f43;font-weight:650}td.warn{color:#b7791f;font-weight:650}
td.fail{color:#c0392b;font-weight:650}td.na{color:#6b7280;font-weight:650}
pre{white-space:pre-wrap;word-break:break-word}
header pre{background:rgba(255,255,255,.12);padding:6px 10px;border-radius:6px;font-size:12.5px;
margin:10px 0 0}
</style>"""


@dataclass(frozen=True)
class RobustnessPage:
    """What the page shows (``alphaforge.runtime.robustness.RobustnessReport`` fills it)."""

    strategy: str
    data: str
    period: tuple[pd.Timestamp, pd.Timestamp]
    command: str
    grade: str
    verdict: Sequence[str]
    checks: pd.DataFrame  # status, name, kind, value, rule, reason
    oos_equity: pd.Series
    benchmark: pd.Series
    metrics: Sequence[tuple[str, Metrics]]
    efficiency: Mapping[str, float]
    windows: pd.DataFrame
    params: Sequence[str]
    metric: str
    search: str
    bands: pd.DataFrame
    mc_summary: pd.DataFrame
    mc_facts: Mapping[str, Any]
    stress_title: str
    stress_source: str
    stress_headers: Sequence[str]
    stress_rows: Sequence[Sequence[str]]
    stress_notes: Sequence[str]
    landscape: pd.DataFrame
    landscape_method: str
    axes: Sequence[str]
    full_best: Mapping[str, Any]
    stability: pd.DataFrame
    overfitting_full: Mapping[str, Any] | None
    overfitting_oos: Mapping[str, Any] | None
    window_pbo: Sequence[float]


# ------------------------------------------------------------------ formats


def _num(value: Any, kind: str = "num") -> str:
    """:func:`fmt_value`, a timestamp as its date alone (the windows table stays narrow)."""
    return fmt_value(value, kind, day_only=True)


def fmt_check_value(name: str, value: float) -> str:
    """A check's value as the verdict table shows it."""
    return _num(value, "pct" if name in _PCT_CHECKS else "ratio")


def _figure(fig: Any, div_id: str) -> str:
    html: str = fig.to_html(
        full_html=False, include_plotlyjs=False, div_id=div_id, config={"displaylogo": False}
    )
    return html


def _layout(fig: Any, title: str) -> None:
    """Plot style of the curves, with buttons to switch the y axis between log and linear."""
    scales = [{"label": k, "method": "relayout", "args": [{"yaxis.type": k}]}
              for k in ("log", "linear")]  # fmt: skip
    fig.update_layout(
        height=440, margin={"l": 10, "r": 10, "t": 60, "b": 10}, template="plotly_white",
        title={"text": title, "font": {"size": 13}}, yaxis_title="growth of 1",
        yaxis_type="log", legend={"orientation": "h"},
        updatemenus=[{"type": "buttons", "direction": "left", "x": 0.5, "xanchor": "center",
                      "y": 1.02, "yanchor": "bottom", "buttons": scales}],
    )  # fmt: skip


def _line(x: Any, y: Any, name: str, **style: Any) -> Any:
    import plotly.graph_objects as go  # noqa: PLC0415  # plotting only on demand

    return go.Scatter(x=x, y=np.asarray(y), name=name, **style)


# ------------------------------------------------------------------ sections


def _verdict(p: RobustnessPage) -> str:
    rows: list[list[Cell]] = [
        [(str(c["status"]).upper(), str(c["status"]).replace("/", "")), (str(c["name"]), "key"),
         (str(c["kind"]), ""), (fmt_check_value(str(c["name"]), c["value"]), "num"),
         (str(c["reason"]), "val"), (str(c["rule"]), "val")]
        for c in p.checks.to_dict("records")
    ]  # fmt: skip
    head = (
        f"<p><span class='grade {esc(p.grade)}'>{esc(p.grade.upper())}</span>"
        f"<span class='headline'>{esc(p.verdict[0] if p.verdict else '')}</span></p>"
    )
    body = head + table(("status", "check", "kind", "value", "reason", "rule"), rows)
    return section("verdict", "Verdict", body, [
        "Grade: overfit when a check of kind overfitting fails (PBO, walk-forward efficiency); "
        "else fragile when any check fails; else robust. A check that cannot be computed is "
        "n/a: it neither passes nor fails. docs/robustness.md explains each rule.",
    ])  # fmt: skip


def _oos_chart(p: RobustnessPage) -> str:
    import plotly.graph_objects as go  # noqa: PLC0415

    equity, bench = p.oos_equity, p.benchmark
    fig = go.Figure([_line(equity.index, equity, "walk-forward OOS"),
                     _line(bench.index, bench, "buy & hold", line={"dash": "dot"})])  # fmt: skip
    for k, w in enumerate(p.windows.to_dict("records")):
        fig.add_vrect(x0=w["test_start"], x1=w["test_end"], line_width=0, opacity=0.06,
                      fillcolor="#1f5fbf" if k % 2 == 0 else "#f08c00")  # fmt: skip
    _layout(fig, "Stitched out-of-sample equity vs buy & hold (shaded: each window's test span)")
    return _figure(fig, "oos")


def _metrics_table(p: RobustnessPage) -> str:
    rows: list[list[Cell]] = [
        [(label, "key"), *((_num(getattr(m, f), kind), "num") for _, m in p.metrics)]
        for f, label, kind in IS_OOS_FIGURES
    ]
    return table(("figure", *(label for label, _ in p.metrics)), rows)


def _windows_table(p: RobustnessPage) -> str:
    m = p.metric
    kinds = {f"is_{m}": "ratio", f"oos_{m}": "ratio", "wfe": "ratio", "oos_return": "pct",
             "pbo": "ratio", "dsr": "ratio"}  # fmt: skip
    columns = ["window", "train_start", "train_end", "test_start", "test_end", *p.params,
               "trials", *kinds]  # fmt: skip
    columns = [c for c in dict.fromkeys(columns) if c in p.windows.columns]
    rows = [[(_num(r[c], kinds.get(c, "num")), "num") for c in columns]
            for r in p.windows.to_dict("records")]  # fmt: skip
    return '<div class="scroll">' + table(columns, rows) + "</div>"


def _walkforward(p: RobustnessPage) -> str:
    wfe = p.efficiency
    body = _oos_chart(p) + _metrics_table(p) + _windows_table(p)
    return section("walkforward", "Walk-forward: the out-of-sample curve", body, [
        f"Search: {p.search}. Each window's test run trades the set chosen on that window's "
        "train span only; chained, they make the OOS curve.",
        "Walk-forward efficiency (OOS / IS): Sharpe ratio "
        f"{_num(wfe.get('sharpe_ratio'), 'ratio')}, annual return "
        f"{_num(wfe.get('annual_return'), 'ratio')} (n/a when the in-sample figure is 0 or below).",
    ])  # fmt: skip


def _fan_chart(p: RobustnessPage) -> str:
    import plotly.graph_objects as go  # noqa: PLC0415

    bands, equity = p.bands, p.oos_equity
    same = len(bands) == len(equity)
    x = equity.index if same else bands.index
    fig = go.Figure()
    for low, high, name, alpha in (("q05", "q95", "5-95%", 0.15), ("q25", "q75", "25-75%", 0.3)):
        fig.add_trace(_line(x, bands[high], high, line={"width": 0}, showlegend=False,
                            hoverinfo="skip"))  # fmt: skip
        fig.add_trace(_line(x, bands[low], name, line={"width": 0}, fill="tonexty",
                            fillcolor=f"rgba(31,95,191,{alpha})"))  # fmt: skip
    fig.add_trace(_line(x, bands["q50"], "median path", line={"color": "#1f5fbf", "dash": "dash"}))
    if same:
        fig.add_trace(_line(x, equity, "walk-forward OOS (actual)", line={"color": "#111827"}))
    _layout(fig, "Resampled out-of-sample equity (quantile bands)")
    return _figure(fig, "fan")


_MC_LABELS = {
    "final_return": ("final return", "pct"),
    "max_drawdown": ("max drawdown", "pct"),
    "sharpe": ("Sharpe ratio", "ratio"),
    "min_equity": ("lowest equity", "ratio"),
}


def _montecarlo(p: RobustnessPage) -> str:
    rows: list[list[Cell]] = []
    for name, r in p.mc_summary.iterrows():
        label, kind = _MC_LABELS.get(str(name), (str(name), "num"))
        figures = [_num(r[c], kind) for c in ("original", "median", "ci_low", "ci_high")]
        rows.append([(label, "key"), *((v, "num") for v in figures),
                     (_num(r["original_pct"]), "num")])  # fmt: skip
    f = p.mc_facts
    odds = table(("figure", "value"), [
        [("P(loss): paths ending below their start", "key"), (fmt_pct(f["prob_loss"]), "num")],
        [(f"P(ruin): paths losing {f['ruin']:.0%} at some point", "key"),
         (fmt_pct(f["prob_ruin"]), "num")],
    ])  # fmt: skip
    stats = table(("statistic", "actual OOS", "median", "5%", "95%", "actual percentile"), rows)
    block = "" if f["block"] is None else f" of {_num(f['block'])} bars"
    return section("montecarlo", "Monte Carlo of the OOS returns", _fan_chart(p) + stats + odds, [
        f"{f['method']} bootstrap{block} of the stitched out-of-sample returns, {f['paths']:,} "
        f"paths, seed {f['seed']}: what the walk-forward strategy could have done had the same "
        "bars come in another order. Bands: quantiles of the first 500 paths per bar.",
    ])  # fmt: skip


def _stress(p: RobustnessPage) -> str:
    rows = [[(cell, "num" if k else "key") for k, cell in enumerate(r)] for r in p.stress_rows]
    body = f"<p>{esc(p.stress_title)}</p><div class='scroll'>"
    return section("stress", "Stress test", body + table(p.stress_headers, rows) + "</div>", [
        f"Parameters: {p.stress_source}. Baseline and shocks run over the whole data, so the "
        "baseline includes the bars those parameters were chosen on.", *p.stress_notes,
    ])  # fmt: skip


def _chosen(p: RobustnessPage) -> dict[tuple[Any, ...], list[str]]:
    """Each window's chosen set on the landscape's axes -> the windows that chose it."""
    marks: dict[tuple[Any, ...], list[str]] = {}
    for r in p.windows.to_dict("records"):
        point = tuple(r.get(a) for a in p.axes)
        if not any(v is None or (isinstance(v, float) and math.isnan(v)) for v in point):
            marks.setdefault(point, []).append(f"W{r['window']}")
    return marks


def _is_number(values: Iterable[Any]) -> bool:
    return all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in values)


def _heatmap(p: RobustnessPage) -> str:
    import plotly.graph_objects as go  # noqa: PLC0415

    x, y = p.axes
    grid = heatmap_grid(p.landscape, x, y, p.metric)
    numeric = _is_number(grid.columns) and _is_number(grid.index)

    def axis(values: Iterable[Any]) -> list[Any]:
        return list(values) if numeric else [str(v) for v in values]

    z = grid.to_numpy(dtype=float)
    finite = z[np.isfinite(z)]
    # both signs: red below 0, blue above; one sign: a sequential scale, so a plateau shows
    both = finite.size > 0 and finite.min() < 0 < finite.max()
    colours = {"colorscale": "RdBu", "zmid": 0.0} if both else {"colorscale": "Viridis"}
    fig = go.Figure(go.Heatmap(
        z=z, x=axis(grid.columns), y=axis(grid.index), colorbar={"title": p.metric}, **colours,
        hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{p.metric}=%{{z:.3f}}<extra></extra>",
    ))  # fmt: skip
    marks = _chosen(p)
    ring = {"symbol": "circle", "size": 11, "color": "#fff",
            "line": {"width": 2, "color": "#111827"}}  # fmt: skip
    fig.add_trace(go.Scatter(x=axis(k[0] for k in marks), y=axis(k[1] for k in marks),
                             mode="markers", name="windows' choices", marker=ring,
                             text=[", ".join(v) for v in marks.values()]))  # fmt: skip
    xs, ys = axis(grid.columns), axis(grid.index)
    for (px, py), names in marks.items():
        # on a category axis an annotation sits at the category's serial number, not its text
        at_x = px if numeric else (xs.index(str(px)) if str(px) in xs else None)
        at_y = py if numeric else (ys.index(str(py)) if str(py) in ys else None)
        if at_x is not None and at_y is not None:
            fig.add_annotation(x=at_x, y=at_y, text=", ".join(names), yshift=16,
                               showarrow=False, bgcolor="rgba(255,255,255,0.85)")  # fmt: skip
    if all(a in p.full_best for a in p.axes):
        star = {"symbol": "star", "size": 16, "color": "#f08c00"}
        fig.add_trace(go.Scatter(x=axis([p.full_best[x]]), y=axis([p.full_best[y]]),
                                 mode="markers", name="full-period best", marker=star))  # fmt: skip
    fig.update_layout(title=f"{p.metric} by {x} and {y} (full period, in-sample)", height=540,
                      xaxis_title=x, yaxis_title=y, template="plotly_white",
                      legend={"orientation": "h", "y": -0.15})  # fmt: skip
    if not numeric:  # text that looks like numbers ("63") must stay categories
        fig.update_xaxes(type="category")
        fig.update_yaxes(type="category")
    return _figure(fig, "landscape")


def _curve(p: RobustnessPage) -> str:
    """One parameter: the metric along it, each window's choice marked."""
    import plotly.graph_objects as go  # noqa: PLC0415

    (x,) = p.axes
    curve = p.landscape.groupby(x)[p.metric].mean().sort_index()
    marks = _chosen(p)
    fig = go.Figure([
        _line([str(v) for v in curve.index], curve, p.metric, mode="lines+markers"),
        _line([str(k[0]) for k in marks], [curve.get(k[0], math.nan) for k in marks],
              "windows' choices", mode="markers+text", textposition="top center",
              text=[", ".join(v) for v in marks.values()], marker={"size": 12}),
    ])  # fmt: skip
    fig.update_xaxes(type="category")
    fig.update_layout(title=f"{p.metric} by {x} (full period, in-sample)", xaxis_title=x,
                      template="plotly_white", height=440)  # fmt: skip
    return _figure(fig, "landscape")


_STABILITY = ("distinct", "changes", "change_share", "mean", "std", "min", "max",
              "mean_abs_step", "relative_step")  # fmt: skip


def _stability(p: RobustnessPage) -> str:
    chart = _heatmap(p) if len(p.axes) == 2 else _curve(p)
    columns = [c for c in _STABILITY if c in p.stability.columns]
    rows = [[(str(name), "key"), *((_num(r[c]), "num") for c in columns)]
            for name, r in p.stability.iterrows()]  # fmt: skip
    body = chart + table(["parameter", *columns], rows)
    return section("stability", "Parameter stability", body, [
        f"The landscape is the full-period search ({p.landscape_method}; the mean where other "
        "parameters vary); circles mark each window's chosen set (W1 = window 1), the star the "
        "full-period best. A robust choice sits on a plateau and stays put from window to "
        "window; relative_step is the mean move between windows as a share of the searched range.",
    ])  # fmt: skip


_OVERFIT_ROWS = (
    ("trials", "n_trials", "count"), ("periods (bars)", "n_periods", "count"),
    ("Sharpe ratio (annualized)", "sharpe_annualized", "ratio"), ("skew", "skew", "ratio"),
    ("kurtosis", "kurtosis", "ratio"), ("PSR (Sharpe > 0)", "psr", "ratio"),
    ("DSR (Sharpe > luck of the trials)", "dsr", "ratio"),
    ("expected max Sharpe of the trials (per bar)", "expected_max_sharpe", "num"),
    ("MinTRL (years)", "min_trl_years", "ratio"),
)  # fmt: skip


def _overfitting(p: RobustnessPage) -> str:
    full, oos = p.overfitting_full or {}, p.overfitting_oos or {}
    rows: list[list[Cell]] = [
        [(label, "key"), (_num(full.get(key), kind), "num"), (_num(oos.get(key), kind), "num")]
        for label, key, kind in _OVERFIT_ROWS
    ]
    pbo = full.get("pbo") or {}
    windows = [v for v in p.window_pbo if math.isfinite(v)]
    mean = _num(float(np.mean(windows)) if windows else math.nan, "ratio")
    rows += [
        [("PBO (CSCV)", "key"), (_num(pbo.get("pbo"), "ratio"), "num"),
         (f"{mean} (mean of the windows' searches)", "num")],
        [("P(in-sample best loses out of sample), CSCV", "key"),
         (_num(pbo.get("prob_oos_loss"), "ratio"), "num"), ("n/a", "num")],
        [("performance degradation slope, CSCV", "key"),
         (_num(pbo.get("degradation_slope"), "ratio"), "num"), ("n/a", "num")],
    ]  # fmt: skip
    notes = [f"full period: {v}" for v in full.get("verdict", [])]
    notes += [f"walk-forward OOS: {v}" for v in oos.get("verdict", [])]
    headers = ("statistic", "full-period search (in-sample best)", "walk-forward OOS (stitched)")
    return section("overfitting", "Overfitting statistics", table(headers, rows), [
        *notes, "The DSR of the OOS curve charges it for every trial of every window's search.",
    ])  # fmt: skip


def _header(p: RobustnessPage) -> str:
    start, end = p.period
    oos = p.oos_equity.index
    return (
        f"<h1>Robustness: {esc(p.strategy)}</h1>"
        f"<div class='period'>data {esc(p.data)} · {start:%Y-%m-%d} .. {end:%Y-%m-%d} · "
        f"out of sample {oos[0]:%Y-%m-%d} .. {oos[-1]:%Y-%m-%d} · {esc(p.search)}</div>"
        f"<div class='badges'><span class='badge'>grade: {esc(p.grade)}</span>"
        f"<span class='badge'>alphaforge {esc(__version__)}</span></div>"
        f"<pre>{esc(p.command)}</pre>{_EXTRA_CSS}"
    )


def robustness_html(p: RobustnessPage) -> str:
    """Return the whole page for ``p``: verdict first, then the evidence, then how to rerun."""
    reproduce = section("reproduce", "Reproduce", f"<pre>{esc(p.command)}</pre>", [
        "Every figure on this page comes from this command (the same seed gives the same "
        "figures on every backend).",
    ])  # fmt: skip
    body = [_verdict(p), _walkforward(p), _montecarlo(p), _stress(p), _stability(p),
            _overfitting(p), reproduce]  # fmt: skip
    toc = [("verdict", "verdict"), ("walkforward", "walk-forward"), ("montecarlo", "Monte Carlo"),
           ("stress", "stress"), ("stability", "parameter stability"),
           ("overfitting", "overfitting"), ("reproduce", "reproduce")]  # fmt: skip
    footer = f"alphaforge {esc(__version__)} · written {datetime.now(UTC):%Y-%m-%d %H:%M UTC}"
    return page(f"alphaforge robustness: {p.strategy}", _plotly_js(), _header(p), toc,
                "\n".join(body), footer)  # fmt: skip
