"""The HTML page of ``alphaforge walkforward``: the stitched out-of-sample curve against buy and
hold with the test spans shaded, in-sample next to out-of-sample figures with the walk-forward
efficiency and the overfitting verdict, the windows table, and the command that made it.

Layer L4, so it takes plain data, not a ``WalkForwardResult``: the curves (Series), the windows
table (DataFrame), the metrics of each column and the result's JSON summary (a dict, with the
run's ``settings``), as :mod:`alphaforge.analytics.optimization_report` does. Self-contained like
the tearsheet (plotly.js inline, opens offline); every value from the run is escaped. The value
formats (:mod:`alphaforge.analytics._report_format`) are the terminal's too (``alphaforge
walkforward`` prints the same figures).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from alphaforge.analytics._report_format import IS_OOS_FIGURES, fmt_day, fmt_value
from alphaforge.analytics._tearsheet_html import esc, page, section, table

if TYPE_CHECKING:
    from alphaforge.analytics.metrics import Metrics

__all__ = ["walkforward_html"]


def _chart(oos_equity: pd.Series, benchmark: pd.Series, windows: pd.DataFrame) -> str:
    import plotly.graph_objects as go  # noqa: PLC0415

    fig = go.Figure()
    fig.add_trace(go.Scatter(x=oos_equity.index, y=oos_equity.to_numpy(), name="walk-forward OOS"))
    fig.add_trace(go.Scatter(x=benchmark.index, y=benchmark.to_numpy(), name="buy & hold",
                             line={"dash": "dot"}))  # fmt: skip
    for number, test_start, test_end in _test_spans(windows):
        fill = "#1f5fbf" if number % 2 else "#f08c00"
        fig.add_vrect(x0=test_start, x1=test_end, fillcolor=fill, opacity=0.06, line_width=0)
    fig.update_layout(
        height=420, margin={"l": 10, "r": 10, "t": 30, "b": 10}, yaxis_type="log",
        yaxis_title="growth of 1 (log)", legend={"orientation": "h"},
        title={"text": "Stitched out-of-sample equity vs buy & hold", "font": {"size": 13}},
    )  # fmt: skip
    html: str = fig.to_html(
        full_html=False, include_plotlyjs=False, div_id="oos", config={"displaylogo": False}
    )
    return html


def _test_spans(windows: pd.DataFrame) -> list[tuple[int, pd.Timestamp, pd.Timestamp]]:
    """(window number, test start, test end) of each row of the windows table."""
    return list(zip(windows["window"], windows["test_start"], windows["test_end"], strict=True))


def _cells(values: list[str]) -> list[tuple[str, str]]:
    return [(v, "num") for v in values]


def _metrics_table(columns: Sequence[tuple[str, Metrics]]) -> str:
    rows = [
        [(label, "key"), *_cells([fmt_value(getattr(m, field), kind) for _, m in columns])]
        for field, label, kind in IS_OOS_FIGURES
    ]
    return table(("figure", *(label for label, _ in columns)), rows)


def _windows_table(frame: pd.DataFrame) -> str:
    drop = {"train_bars", "test_bars"}
    columns = [c for c in frame.columns if c not in drop]
    rows = [[(fmt_value(r[c]), "num") for c in columns] for r in frame.to_dict("records")]
    return '<div class="scroll">' + table(columns, rows) + "</div>"


def walkforward_html(
    oos_equity: pd.Series,
    benchmark: pd.Series,
    windows: pd.DataFrame,
    metrics: Sequence[tuple[str, Metrics]],
    summary: Mapping[str, Any],
    command: str,
) -> str:
    """Return the page of one walk-forward.

    ``oos_equity``: the stitched out-of-sample curve; ``benchmark``: buy and hold on its stamps;
    ``windows``: ``WalkForwardResult.windows`` (one row per window, with ``window``,
    ``test_start`` and ``test_end``); ``metrics``: (column label, ``Metrics``) of the IS / OOS
    table; ``summary``: ``WalkForwardResult.summary()`` plus ``settings`` (``strategy``,
    ``scheme``); ``command``: how to rerun it.
    """
    from alphaforge._version import __version__  # noqa: PLC0415
    from alphaforge.analytics.tearsheet import _plotly_js  # noqa: PLC0415

    settings = summary["settings"]
    verdict = list((summary.get("overfitting") or {}).get("verdict", []))
    wfe = summary["efficiency"]
    spans = _test_spans(windows)
    body = [
        section("curve", "Out-of-sample equity", _chart(oos_equity, benchmark, windows), [
            "Each shaded span is one window's test run: it starts flat at the close of the bar "
            "before the span, with the parameters chosen on that window's train span only. "
            "Their returns, chained, make the curve; buy & hold holds the data throughout.",
        ]),
        section("metrics", "In-sample vs out-of-sample", _metrics_table(metrics), [
            f"Walk-forward efficiency (OOS / IS): annual return "
            f"{fmt_value(wfe['annual_return'], 'ratio')}, "
            f"Sharpe {fmt_value(wfe['sharpe_ratio'], 'ratio')} "
            "(n/a when the in-sample figure is 0 or below).", *verdict,
        ]),
        section("windows", "Windows", _windows_table(windows), [
            "is_/oos_: the metric of the chosen set on the train span and on the test span; "
            "wfe: their ratio; pbo/dsr: that window's optimization (CSCV, deflated Sharpe).",
        ]),
        section("reproduce", "Reproduce", f"<pre>{esc(command)}</pre>"),
    ]  # fmt: skip
    toc = [("curve", "OOS curve"), ("metrics", "IS vs OOS"), ("windows", "windows"),
           ("reproduce", "reproduce")]  # fmt: skip
    header = (
        f"<h1>Walk-forward: {esc(settings['strategy'])}</h1>"
        f"<div class='period'>{len(spans)} {esc(settings['scheme'])} windows · "
        f"{summary['trials']:,} trials ({esc(summary['method'])}) · "
        f"OOS {fmt_day(spans[0][1])} .. {fmt_day(spans[-1][2])}</div>"
        f"<div class='badges'><span class='badge'>alphaforge {esc(__version__)}</span>"
        f"<span class='badge'>out-of-sample stitched</span></div>"
    )
    footer = f"alphaforge {esc(__version__)} · written {datetime.now(UTC):%Y-%m-%d %H:%M UTC}"
    return page("alphaforge walkforward", _plotly_js(), header, toc, "\n".join(body), footer)
