"""A self-contained, offline HTML tearsheet of one backtest.

``render_tearsheet(equity=..., metrics=...)`` returns one HTML document with plotly.js embedded
from the installed ``plotly`` package (no CDN, no network: it opens from a ``file://`` URL on a
machine without internet); ``write_tearsheet(path, ...)`` writes it atomically. Sections: key
figures, equity against a rebased benchmark (linear/log), underwater drawdown, monthly and
yearly returns, rolling Sharpe and volatility (6 months), the return distribution with VaR 95,
prices with trade markers, the trades, costs, every metric, parameters and provenance.

Honesty rules: every number shown is the given ``metrics`` or computed here from the inputs; the
header states the backtest period and, when ``provenance`` has ``in_sample`` /
``out_of_sample``, labels them; charts that draw fewer points than the data say so, while metrics
always use every bar. ``metrics`` must describe ``equity`` (same first and last stamp, same
number of periods), or the header would describe another curve than the charts.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import plotly
import plotly.offline

from alphaforge._version import __version__
from alphaforge.analytics._tearsheet_charts import (
    Chart,
    Shade,
    distribution_chart,
    equity_chart,
    figure_html,
    monthly_heatmap,
    rolling_chart,
    underwater_chart,
    yearly_chart,
)
from alphaforge.analytics._tearsheet_data import (
    as_of_levels,
    check_equity,
    check_fills,
    utc_index,
)
from alphaforge.analytics._tearsheet_html import cards, esc, fmt_time, note, page, section
from alphaforge.analytics._tearsheet_prices import price_charts
from alphaforge.analytics._tearsheet_tables import (
    costs_table,
    kv_table,
    metrics_table,
    trades_table,
)
from alphaforge.analytics.metrics import Metrics
from alphaforge.domain.errors import InvalidValueError

__all__ = ["SECTION_TITLES", "render_tearsheet", "write_tearsheet"]

SECTION_TITLES = {  # anchor -> title, in page order
    "equity": "Equity vs benchmark",
    "drawdown": "Underwater (drawdown)",
    "monthly": "Monthly returns",
    "yearly": "Yearly returns",
    "distribution": "Return distribution",
    "sharpe": "Rolling Sharpe ratio (6 months)",
    "volatility": "Rolling volatility (6 months)",
    "prices": "Prices and trades",
    "trades": "Trades",
    "costs": "Costs",
    "metrics": "All metrics",
    "parameters": "Parameters",
    "provenance": "Provenance",
}
_SAMPLES = (("in_sample", "In-sample", "#1f5fbf"), ("out_of_sample", "Out-of-sample", "#f08c00"))


@functools.cache
def _plotly_js() -> str:
    """Return the installed plotly.js source (read once per process: about 4.8 MB)."""
    source: str = plotly.offline.get_plotlyjs()
    return source


def _check_metrics(metrics: Metrics, equity: pd.Series) -> None:
    if not isinstance(metrics, Metrics):
        raise InvalidValueError(
            f"metrics must be the Metrics of compute_metrics; got {type(metrics).__name__}"
        )
    expected = (equity.index[0], equity.index[-1], len(equity) - 1)
    got = (metrics.start, metrics.end, metrics.periods)
    if got != expected:
        raise InvalidValueError(
            "metrics describe another equity curve: (start, end, periods) is "
            f"{got!r} in the metrics and {expected!r} in the equity; compute them on this equity"
        )


def _benchmark_levels(
    benchmark: pd.Series | pd.DataFrame, index: pd.DatetimeIndex, eq: np.ndarray
) -> tuple[np.ndarray | None, list[str]]:
    """Return the benchmark as of each equity stamp, rebased to the equity where it starts."""
    if isinstance(benchmark, pd.DataFrame) and benchmark.shape[1] == 1:
        benchmark = benchmark.iloc[:, 0]
    if not isinstance(benchmark, pd.Series):
        raise InvalidValueError(
            f"benchmark must be one series of prices or equity; got {type(benchmark).__name__}"
        )
    levels = as_of_levels(benchmark, index)
    usable = np.flatnonzero(np.isfinite(levels) & (levels > 0))
    if usable.size == 0:
        return None, ["The benchmark has no positive level in the backtest period."]
    first = int(usable[0])
    rebased = levels / levels[first] * eq[first]
    when = fmt_time(index[first])
    return rebased, [
        f"Benchmark levels as of each equity stamp (last known level, nothing later), rebased "
        f"to the strategy's equity on {when}."
    ]


def _bound(value: object) -> pd.Timestamp | None:
    if not isinstance(value, str | date | np.datetime64):  # datetime is a date
        return None
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    if pd.isna(stamp):
        return None
    if stamp.tzinfo is None:
        # a bare date is a UTC day in alphaforge; a naive time of day would be a guess
        return stamp.tz_localize("UTC") if stamp == stamp.normalize() else None
    return stamp.tz_convert("UTC")


def _span(value: object) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """Return the (start, end) of a period given as a mapping, a pair or "start/end"."""
    if isinstance(value, Mapping):
        pair: object = (value.get("start"), value.get("end"))
    elif isinstance(value, str):
        pair = tuple(value.split("/")) if value.count("/") == 1 else None
    else:
        pair = value
    if not isinstance(pair, tuple | list) or len(pair) != 2:
        return None
    start, end = _bound(pair[0]), _bound(pair[1])
    if start is None or end is None or end < start:
        return None
    return start, end


def _samples(
    provenance: Mapping[str, object] | None, index: pd.DatetimeIndex
) -> tuple[list[str], list[Shade]]:
    """Return the header badges and chart shades of the in-sample / out-of-sample periods."""
    badges, shades = [], []
    for key, label, color in _SAMPLES:
        if provenance is None or provenance.get(key) is None:
            continue
        value = provenance[key]
        span = _span(value)
        text = f"{fmt_time(span[0])} → {fmt_time(span[1])}" if span else str(value)
        badges.append(f'<span class="badge" data-sample="{key}">{esc(label)}: {esc(text)}</span>')
        if span is None:
            continue
        start, end = max(span[0], index[0]), min(span[1], index[-1])
        if start <= end:
            fmt = "%Y-%m-%d %H:%M:%S"
            shades.append(Shade(label.lower(), start.strftime(fmt), end.strftime(fmt), color))
    return badges, shades


def _header(title: str, metrics: Metrics, bars: int, badges: list[str]) -> str:
    period = (
        f"Backtest period {fmt_time(metrics.start)} → {fmt_time(metrics.end)} (UTC) · "
        f"{bars:,} bars · {metrics.periods_per_year:,g} bars a year"
    )
    badge_html = f'<div class="badges">{"".join(badges)}</div>' if badges else ""
    return (
        f'<h1>{esc(title)}</h1><div class="period" data-period>{esc(period)}</div>'
        f"{badge_html}{cards(metrics)}"
    )


def _chart_section(key: str, chart: Chart, extra_notes: list[str] | None = None) -> str:
    body = figure_html(chart.figure, f"af-{key}") if chart.figure is not None else ""
    return section(key, SECTION_TITLES[key], body, [*(extra_notes or []), *chart.notes])


def _grid(*parts: str) -> str:
    return f'<div class="grid2">{"".join(parts)}</div>'


def _performance_sections(
    index: pd.DatetimeIndex,
    eq: np.ndarray,
    metrics: Metrics,
    benchmark: pd.Series | None,
    shades: list[Shade],
) -> list[str]:
    bench, bench_notes = (None, ["No benchmark was given."])
    if benchmark is not None:
        bench, bench_notes = _benchmark_levels(benchmark, index, eq)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = eq[1:] / eq[:-1] - 1.0  # the returns compute_metrics uses
    returns = pd.Series(r, index=index[1:], name="return")
    ppy, rf = metrics.periods_per_year, metrics.risk_free
    window = max(2, round(ppy / 2))
    var_lines = [
        ("VaR 95 historical", metrics.var_95),
        ("VaR 95 Gaussian", metrics.var_95_gaussian),
    ]
    return [
        _chart_section("equity", equity_chart(index, eq, bench, shades), bench_notes),
        _chart_section("drawdown", underwater_chart(index, eq, metrics.max_drawdown)),
        _chart_section("monthly", monthly_heatmap(returns)),
        _grid(
            _chart_section("yearly", yearly_chart(returns)),
            _chart_section("distribution", distribution_chart(r, var_lines)),
        ),
        _grid(
            _chart_section(
                "sharpe", rolling_chart(returns, window, ppy, rf, metrics.sharpe_ratio, "sharpe")
            ),
            _chart_section(
                "volatility",
                rolling_chart(returns, window, ppy, rf, metrics.annual_volatility, "volatility"),
            ),
        ),
    ]


def _prices_section(
    prices: Mapping[str, pd.DataFrame | pd.Series] | None,
    fills: pd.DataFrame | None,
    trades: pd.DataFrame | None,
    index: pd.DatetimeIndex,
) -> str:
    if not prices:
        return section("prices", SECTION_TITLES["prices"], "", ["No prices were given."])
    charts, notes = price_charts(prices, fills, trades, index[0], index[-1])
    body = "".join(
        figure_html(chart.figure, f"af-price-{i}") + "".join(note(n) for n in chart.notes)
        for i, chart in enumerate(charts)
    )
    return section("prices", SECTION_TITLES["prices"], body, notes)


def _table_sections(
    metrics: Metrics,
    trades: pd.DataFrame | None,
    costs: Mapping[str, float] | None,
    parameters: Mapping[str, object] | None,
    provenance: Mapping[str, object] | None,
) -> list[str]:
    trades_html, trade_notes = ("", ["No trades table was given."])
    if trades is not None:
        trades_html, trade_notes = trades_table(trades)
    costs_html, cost_notes = costs_table(costs if costs is not None else metrics.costs, metrics)
    params_html, param_notes = kv_table(parameters, "parameters")
    prov_html, prov_notes = kv_table(provenance, "provenance details")
    return [
        section("trades", SECTION_TITLES["trades"], trades_html, trade_notes),
        section("costs", SECTION_TITLES["costs"], costs_html, cost_notes),
        section("metrics", SECTION_TITLES["metrics"], metrics_table(metrics)),
        _grid(
            section("parameters", SECTION_TITLES["parameters"], params_html, param_notes),
            section("provenance", SECTION_TITLES["provenance"], prov_html, prov_notes),
        ),
    ]


def _footer() -> str:
    js_version = plotly.offline.get_plotlyjs_version()
    return esc(
        f"Rendered by alphaforge {__version__} with plotly.js {js_version}, embedded: this file "
        "needs no network. Times are UTC. Every number on this page is the given metrics or is "
        "computed from the given inputs; charts may draw fewer points than the data (each says "
        "so), metrics use every bar."
    )


def render_tearsheet(
    *,
    equity: pd.Series,
    metrics: Metrics,
    trades: pd.DataFrame | None = None,
    fills: pd.DataFrame | None = None,
    benchmark: pd.Series | None = None,
    prices: Mapping[str, pd.DataFrame] | None = None,
    costs: Mapping[str, float] | None = None,
    parameters: Mapping[str, object] | None = None,
    provenance: Mapping[str, object] | None = None,
    title: str = "alphaforge backtest",
) -> str:
    """Return the tearsheet of one backtest as one self-contained offline HTML document.

    ``equity``: account value per bar on UTC timestamps; ``metrics``: ``compute_metrics`` of that
    same equity (checked). ``trades``: the closed-trades table (first 500 rows shown);
    ``fills``: columns ``ts, symbol, side ("buy"/"sell"), quantity, price`` and optionally
    ``fee, reason``, drawn as entry/exit markers; ``benchmark``: its prices or equity, rebased to
    the strategy for the chart; ``prices``: symbol -> OHLCV or close-only bars (first 5
    symbols drawn); ``costs``: paid per kind (default ``metrics.costs``); ``parameters`` and
    ``provenance`` (config hash, data sources, version, ``in_sample`` / ``out_of_sample`` as
    ``(start, end)``, ``{"start", "end"}`` or ``"start/end"``) are listed as given.

    Raises ``InvalidValueError`` for malformed inputs (naive timestamps, non-finite equity,
    metrics of another curve, fills without the needed columns).
    """
    eq = check_equity(equity)
    _check_metrics(metrics, equity)
    index = utc_index(equity.index, "equity")
    checked_fills = check_fills(fills) if fills is not None else None
    badges, shades = _samples(provenance, index)
    body = [
        *_performance_sections(index, eq, metrics, benchmark, shades),
        _prices_section(prices, checked_fills, trades, index),
        *_table_sections(metrics, trades, costs, parameters, provenance),
    ]
    toc = [(key, name) for key, name in SECTION_TITLES.items()]
    header = _header(title, metrics, len(eq), badges)
    return page(title, _plotly_js(), header, toc, "\n".join(body), _footer())


def write_tearsheet(
    path: str | os.PathLike[str],
    *,
    equity: pd.Series,
    metrics: Metrics,
    trades: pd.DataFrame | None = None,
    fills: pd.DataFrame | None = None,
    benchmark: pd.Series | None = None,
    prices: Mapping[str, pd.DataFrame] | None = None,
    costs: Mapping[str, float] | None = None,
    parameters: Mapping[str, object] | None = None,
    provenance: Mapping[str, object] | None = None,
    title: str = "alphaforge backtest",
) -> Path:
    """Render the tearsheet (see ``render_tearsheet``) and write it to ``path`` atomically.

    The document goes to a temporary file in the same folder, is flushed to disk, then renamed
    over ``path`` (``os.replace``): a reader sees the old file or the new one, never half of
    one, and a failure leaves an existing file as it was. Missing parent folders are created.
    Returns the path written.
    """
    text = render_tearsheet(
        equity=equity,
        metrics=metrics,
        trades=trades,
        fills=fills,
        benchmark=benchmark,
        prices=prices,
        costs=costs,
        parameters=parameters,
        provenance=provenance,
        title=title,
    )
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        if hasattr(os, "fchmod"):  # not on Windows
            os.fchmod(fd, 0o644)  # mkstemp's 0600 would make a report only its writer can read
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    return target
