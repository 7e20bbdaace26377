"""The HTML tearsheet: offline, honest (numbers equal the metrics and the data), atomic to write.

The equity is a buy-and-hold of the bundled S&P 500 closes, the benchmark the bundled S&P 500
index closes, and the trades and fills are built from real dates and real closes. Synthetic data
only where a test needs a known answer (the roles of fills, the downsampling property), and the
test says so. Figures are read back from the page by decoding plotly's JSON.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.offline
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from alphaforge import analytics as an
from alphaforge.analytics import _tearsheet_data as tsd
from alphaforge.analytics.tearsheet import render_tearsheet, write_tearsheet
from alphaforge.data import load_dataset
from alphaforge.domain.errors import InvalidValueError

TITLES = (
    "Equity vs benchmark",
    "Underwater (drawdown)",
    "Monthly returns",
    "Yearly returns",
    "Rolling Sharpe ratio (6 months)",
    "Rolling volatility (6 months)",
    "Return distribution",
    "Prices and trades",
    "Trades",
    "Costs",
    "All metrics",
    "Parameters",
    "Provenance",
)
PROVENANCE = {
    "config_hash": "3f9a1c",
    "data": {"spx_daily": "bundled", "sp500_index_close": "bundled"},
    "alphaforge_version": "0.1.0",
    "in_sample": ("1999-01-04", "2012-12-31"),
    "out_of_sample": {"start": "2013-01-02", "end": "2018-12-31"},
}


# ------------------------------------------------------------------ real inputs


@pytest.fixture(scope="module")
def spx() -> pd.DataFrame:
    frame: pd.DataFrame = load_dataset("spx_daily")
    return frame


@pytest.fixture(scope="module")
def equity(spx: pd.DataFrame) -> pd.Series:
    close: pd.Series = spx["close"]
    curve: pd.Series = (close / close.iloc[0] * 100_000.0).rename("equity")
    return curve


@pytest.fixture(scope="module")
def benchmark() -> pd.Series:
    series: pd.Series = load_dataset("sp500_index_close")["close"]
    return series


def _trades(close: pd.Series, entries: list[int], hold: int) -> pd.DataFrame:
    """Long trades of 10 units entered at the close of bar ``i`` and exited ``hold`` bars later."""
    dates = close.index
    entry = close.iloc[entries].to_numpy()
    exit_ = close.iloc[[i + hold for i in entries]].to_numpy()
    fees = 1.0
    pnl = (exit_ - entry) * 10.0 - 2 * fees
    return pd.DataFrame(
        {
            "symbol": "SPX",
            "side": "long",
            "entry_ts": dates[entries],
            "exit_ts": dates[[i + hold for i in entries]],
            "quantity": 10.0,
            "entry_price": entry,
            "exit_price": exit_,
            "pnl": pnl,
            "return": pnl / (entry * 10.0),
            "fees": 2 * fees,
            "bars_held": hold,
            "exit_reason": "signal",
        }
    )


@pytest.fixture(scope="module")
def trades(spx: pd.DataFrame) -> pd.DataFrame:
    return _trades(spx["close"], [100, 1500, 2300, 4000], 250)


@pytest.fixture(scope="module")
def fills(trades: pd.DataFrame) -> pd.DataFrame:
    buys = pd.DataFrame({"ts": trades["entry_ts"], "side": "buy", "price": trades["entry_price"]})
    sells = pd.DataFrame({"ts": trades["exit_ts"], "side": "sell", "price": trades["exit_price"]})
    both = pd.concat([buys, sells]).sort_values("ts", kind="stable")
    return both.assign(symbol="SPX", quantity=10.0, fee=1.0, reason="signal").reset_index(drop=True)


@pytest.fixture(scope="module")
def metrics(equity: pd.Series, trades: pd.DataFrame, benchmark: pd.Series) -> an.Metrics:
    return an.compute_metrics(equity, trades=trades, benchmark=benchmark)


@pytest.fixture(scope="module")
def full(
    equity: pd.Series,
    metrics: an.Metrics,
    trades: pd.DataFrame,
    fills: pd.DataFrame,
    benchmark: pd.Series,
    spx: pd.DataFrame,
) -> str:
    return render_tearsheet(
        equity=equity,
        metrics=metrics,
        trades=trades,
        fills=fills,
        benchmark=benchmark,
        prices={"SPX": spx.iloc[-2000:]},
        costs={"commission": 6.0, "slippage": 2.0},
        parameters={"fast": 10, "slow": 30, "risk": {"max_weight": 1.0}},
        provenance=PROVENANCE,
    )


# ------------------------------------------------------------------ reading the page back


def _figure(html: str, div_id: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Return the (data, layout) JSON that the page passes to ``Plotly.newPlot`` for a div."""
    match = re.search(r'Plotly\.newPlot\(\s*"' + re.escape(div_id) + r'",\s*', html)
    assert match is not None, f"no figure {div_id}"
    decoder = json.JSONDecoder()
    data, end = decoder.raw_decode(html, match.end())
    layout_start = re.compile(r",\s*").match(html, end)
    assert layout_start is not None
    layout, _ = decoder.raw_decode(html, layout_start.end())
    return data, layout


def _values(field: Any) -> np.ndarray:
    """Return a plotly array as float64: typed (base64) or a plain JSON list."""
    if isinstance(field, dict):
        raw = np.frombuffer(base64.b64decode(field["bdata"]), dtype=np.dtype(field["dtype"]))
        return raw.astype(np.float64)
    return np.array([np.nan if v is None else v for v in field], dtype=np.float64)


def _cards(html: str) -> dict[str, str]:
    pattern = r'data-metric="([a-z_]+)">.*?<div class="metric-value">([^<]*)</div>'
    return dict(re.findall(pattern, html))


# ------------------------------------------------------------------ content


def test_every_section_has_its_title(full: str) -> None:
    for title in TITLES:
        assert f"<h2>{title}</h2>" in full, title


def test_the_page_is_offline_with_plotly_embedded_once(full: str) -> None:
    assert re.search(r"<script[^>]*\bsrc\s*=", full, re.IGNORECASE) is None
    assert re.search(r"<link[^>]*\bhref\s*=\s*[\"']?https?://", full, re.IGNORECASE) is None
    assert "@import" not in full
    assert full.count(plotly.offline.get_plotlyjs()) == 1
    assert full.count("Plotly.newPlot(") == 8  # 7 performance charts and one price chart


def test_header_shows_the_metrics_formatted(full: str, metrics: an.Metrics) -> None:
    cards = _cards(full)
    assert cards["total_return"] == format(metrics.total_return, ".2%")
    assert cards["annual_return"] == format(metrics.annual_return, ".2%")
    assert cards["sharpe_ratio"] == format(metrics.sharpe_ratio, ".2f")
    assert cards["max_drawdown"] == format(metrics.max_drawdown, ".2%")
    assert cards["number_of_trades"] == "4"
    assert cards["win_rate"] == format(metrics.win_rate, ".2%")
    assert cards["exposure"] == format(metrics.exposure, ".2%")
    assert cards["benchmark_total_return"] == format(metrics.benchmark_total_return, ".2%")


def test_header_states_the_period_and_labels_the_samples(full: str, equity: pd.Series) -> None:
    period = re.search(r"<div class=\"period\" data-period>([^<]*)</div>", full)
    assert period is not None
    assert "1999-01-04 → 2018-12-31" in period.group(1)
    assert f"{len(equity):,} bars" in period.group(1)
    assert "In-sample: 1999-01-04 → 2012-12-31" in full
    assert "Out-of-sample: 2013-01-02 → 2018-12-31" in full
    _, layout = _figure(full, "af-equity")
    shaded = [a["text"] for a in layout["annotations"]]
    assert shaded == ["in-sample", "out-of-sample"]


def test_heatmap_and_yearly_bars_show_the_real_2008_return(full: str, spx: pd.DataFrame) -> None:
    close = spx["close"]
    expected = close.loc["2008"].iloc[-1] / close.loc["2007"].iloc[-1] - 1.0  # independent
    data, _ = _figure(full, "af-monthly")
    months, year = data
    row = year["y"].index("2008")
    assert year["x"] == ["Year"]
    assert _values([z[0] for z in year["z"]])[row] == pytest.approx(expected, rel=1e-5)
    assert year["text"][row] == [format(expected, ".1%")]
    compounded = np.prod(1.0 + _values(months["z"][months["y"].index("2008")])) - 1.0
    assert compounded == pytest.approx(expected, rel=1e-4)  # months rounded to 6 digits
    (bars,), _ = _figure(full, "af-yearly")
    assert _values(bars["y"])[bars["x"].index("2008")] == pytest.approx(expected, rel=1e-5)


def test_benchmark_is_rebased_to_the_equity(full: str, equity: pd.Series) -> None:
    (strategy, bench), _ = _figure(full, "af-equity")
    assert strategy["x"][0] == bench["x"][0] == "1999-01-04"
    assert _values(bench["y"])[0] == pytest.approx(equity.iloc[0], rel=1e-6)
    assert _values(strategy["y"])[-1] == pytest.approx(equity.iloc[-1], rel=1e-6)


def test_long_series_are_thinned_for_the_chart_only(full: str, equity: pd.Series) -> None:
    (strategy, _), layout = _figure(full, "af-equity")
    assert len(strategy["x"]) <= tsd.MAX_POINTS < len(equity)
    drawn = _values(strategy["y"])
    assert drawn.max() == pytest.approx(equity.max(), rel=1e-6)  # the peak survives
    assert drawn.min() == pytest.approx(equity.min(), rel=1e-6)
    assert f"of {len(equity):,} points drawn" in full
    assert layout["updatemenus"][0]["buttons"][1]["args"] == [{"yaxis.type": "log"}]


def test_distribution_draws_the_var_95_lines(full: str, metrics: an.Metrics) -> None:
    _, layout = _figure(full, "af-distribution")
    lines = sorted(shape["x0"] for shape in layout["shapes"])
    assert lines == pytest.approx(sorted([metrics.var_95, metrics.var_95_gaussian]))
    texts = {a["text"] for a in layout["annotations"]}
    assert f"VaR 95 historical {metrics.var_95:.2%}" in texts


def test_price_chart_has_candles_and_the_fills_as_markers(full: str, fills: pd.DataFrame) -> None:
    data, _ = _figure(full, "af-price-0")
    candles, entries, exits = data
    assert candles["type"] == "candlestick"
    first = pd.Timestamp(candles["x"][0], tz="UTC")  # the chart covers the last 2,000 bars
    shown = fills[fills["ts"] >= first]
    assert len(entries["x"]) == (shown["side"] == "buy").sum() > 0
    assert len(exits["x"]) == (shown["side"] == "sell").sum() > 0
    assert entries["marker"]["symbol"] == "triangle-up"
    assert exits["marker"]["symbol"] == "triangle-down"
    assert _values(entries["y"]) == pytest.approx(shown.loc[shown["side"] == "buy", "price"])


def test_without_fills_the_trades_give_the_markers(
    equity: pd.Series, metrics: an.Metrics, trades: pd.DataFrame, spx: pd.DataFrame
) -> None:
    html = render_tearsheet(equity=equity, metrics=metrics, trades=trades, prices={"SPX": spx})
    _, entries, exits = _figure(html, "af-price-0")[0]
    assert _values(entries["y"]) == pytest.approx(trades["entry_price"].to_numpy())
    assert _values(exits["y"]) == pytest.approx(trades["exit_price"].to_numpy())
    assert "8 markers from the trades" in html
    naive = trades.assign(entry_ts=trades["entry_ts"].dt.tz_localize(None))
    with pytest.raises(InvalidValueError, match="naive"):
        render_tearsheet(equity=equity, metrics=metrics, trades=naive, prices={"SPX": spx})


def test_tables_show_trades_costs_metrics_parameters_provenance(
    full: str, metrics: an.Metrics
) -> None:
    assert "All 4 trades." in full
    for label, value in metrics.table_rows():
        assert f'<td class="num">{value}</td>' in full, label
    assert '<td class="key">risk.max_weight</td>' in full
    assert '<td class="key">config_hash</td><td class="val">3f9a1c</td>' in full
    total = re.search(r'<tr class="total"><td class="">Total</td><td class="num">([^<]*)<', full)
    assert total is not None
    assert total.group(1) == "8.00"


def test_rendering_is_deterministic(
    equity: pd.Series, metrics: an.Metrics, trades: pd.DataFrame
) -> None:
    one = render_tearsheet(equity=equity, metrics=metrics, trades=trades)
    assert one == render_tearsheet(equity=equity, metrics=metrics, trades=trades)


# ------------------------------------------------------------------ fewer inputs, odd inputs


def test_equity_and_metrics_alone_are_enough(equity: pd.Series) -> None:
    m = an.compute_metrics(equity)
    html = render_tearsheet(equity=equity, metrics=m)
    for title in TITLES:
        assert f"<h2>{title}</h2>" in html, title
    for text in ("No benchmark was given.", "No trades table was given.", "No prices were given."):
        assert text in html
    cards = _cards(html)
    assert cards["number_of_trades"] == cards["win_rate"] == "n/a"
    assert "benchmark_total_return" not in cards
    assert len(html) - len(plotly.offline.get_plotlyjs()) < 1_000_000


def test_undefined_metrics_read_na(equity: pd.Series, metrics: an.Metrics) -> None:
    blank = dataclasses.replace(
        metrics, sharpe_ratio=math.nan, total_return=math.nan, exposure=math.nan
    )
    cards = _cards(render_tearsheet(equity=equity, metrics=blank))
    assert cards["sharpe_ratio"] == cards["total_return"] == cards["exposure"] == "n/a"


def test_a_single_value_renders_with_notes(equity: pd.Series) -> None:
    one = equity.iloc[:1]
    html = render_tearsheet(equity=one, metrics=an.compute_metrics(one))
    assert _cards(html)["sharpe_ratio"] == "n/a"
    assert "No returns: the equity curve has a single value." in html
    assert "not enough for one 126-bar window" in html


def test_more_than_five_symbols_are_named_not_drawn(
    equity: pd.Series, metrics: an.Metrics, spx: pd.DataFrame
) -> None:
    prices = {f"S{i}": spx[["close"]] for i in range(7)}
    html = render_tearsheet(equity=equity, metrics=metrics, prices=prices)
    assert "Showing the first 5 of 7 symbols; not drawn: S5, S6." in html
    assert "af-price-4" in html
    assert "af-price-5" not in html
    data, _ = _figure(html, "af-price-0")
    assert data[0]["type"] == "scatter"  # close only: a line
    assert f"{len(spx):,} bars drawn as a line of closes" in html


def test_hourly_bars_keep_their_times_and_long_prices_become_a_line() -> None:
    fx: pd.DataFrame = load_dataset("eurusd_1h_ask_2017")
    curve = (fx["close"] / fx["close"].iloc[0] * 100_000.0).rename("equity")
    html = render_tearsheet(equity=curve, metrics=an.compute_metrics(curve), prices={"FX": fx})
    (strategy,), _ = _figure(html, "af-equity")
    assert strategy["x"][0] == curve.index[0].strftime("%Y-%m-%dT%H:%M")
    assert strategy["x"][-1] == curve.index[-1].strftime("%Y-%m-%dT%H:%M")
    (price,), _ = _figure(html, "af-price-0")
    assert price["type"] == "scatter"
    assert len(price["x"]) <= tsd.MAX_POINTS < len(fx)
    assert f"{len(fx):,} bars drawn as a line of closes" in html


def test_trades_table_shows_the_first_500(equity: pd.Series, spx: pd.DataFrame) -> None:
    many = _trades(spx["close"], list(range(600)), 5)
    m = an.compute_metrics(equity, trades=many)
    html = render_tearsheet(equity=equity, metrics=m, trades=many)
    start = html.index('<table class="trades">')
    table = html[start : html.index("</table>", start)]
    assert table.count("<tr>") == 1 + 500
    assert "Showing the first 500 of 600 trades; 100 more are not shown here" in html


def test_caller_text_is_escaped(equity: pd.Series) -> None:
    m = an.compute_metrics(equity)
    html = render_tearsheet(
        equity=equity,
        metrics=m,
        title="<script>alert(1)</script>",
        parameters={"<b>": "</td>"},
    )
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;/td&gt;" in html


def test_inputs_are_checked(equity: pd.Series, metrics: an.Metrics) -> None:
    with pytest.raises(InvalidValueError, match="another equity curve"):
        render_tearsheet(equity=equity.iloc[:-1], metrics=metrics)
    naive = equity.tz_localize(None)
    with pytest.raises(InvalidValueError, match="naive"):
        render_tearsheet(equity=naive, metrics=metrics)
    bad_fills = pd.DataFrame({"ts": equity.index[:1], "symbol": ["SPX"]})
    with pytest.raises(InvalidValueError, match="lacks columns"):
        render_tearsheet(equity=equity, metrics=metrics, fills=bad_fills)


# ------------------------------------------------------------------ writing


def test_write_replaces_the_file(tmp_path: Path, equity: pd.Series) -> None:
    m = an.compute_metrics(equity)
    target = tmp_path / "out" / "tearsheet.html"
    written = write_tearsheet(target, equity=equity, metrics=m, title="first")
    assert written == target
    assert "<title>first</title>" in target.read_text(encoding="utf-8")
    write_tearsheet(target, equity=equity, metrics=m, title="second")
    assert "<title>second</title>" in target.read_text(encoding="utf-8")
    assert os.listdir(target.parent) == ["tearsheet.html"]


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_failed_write_leaves_the_old_file(
    tmp_path: Path, equity: pd.Series, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    m = an.compute_metrics(equity)
    target = tmp_path / "tearsheet.html"
    write_tearsheet(target, equity=equity, metrics=m, title="old")
    before = target.read_bytes()

    def boom(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(OSError, match="disk full"):
        write_tearsheet(target, equity=equity, metrics=m, title="new")
    monkeypatch.undo()
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["tearsheet.html"]  # no temporary file left behind


# ------------------------------------------------------------------ helpers (known answers)


def test_fill_roles_follow_the_position() -> None:
    """Synthetic: buy 10, buy 5, sell 5, sell 10 (flat), sell 3 (short), buy 8 (reverse long)."""
    fills = pd.DataFrame(
        {
            "quantity": [10.0, 5.0, 5.0, 10.0, 3.0, 8.0],
            "sign": [1.0, 1.0, -1.0, -1.0, -1.0, 1.0],
        }
    )
    assert tsd.fill_roles(fills).tolist() == [True, True, False, False, True, True]


@given(
    values=hnp.arrays(
        np.float64,
        st.integers(1, 400),
        elements=st.floats(-1e6, 1e6) | st.just(math.nan),
    ),
    max_points=st.integers(4, 60),
)
def test_downsampling_keeps_ends_and_extremes(values: np.ndarray, max_points: int) -> None:
    """Synthetic: any series, any budget."""
    keep = tsd.downsample(values, max_points)
    assert keep.size <= max_points
    assert np.all(np.diff(keep) > 0)
    assert keep[0] == 0
    assert keep[-1] == values.size - 1
    if not np.isnan(values).all():
        assert int(np.nanargmin(values)) in keep
        assert int(np.nanargmax(values)) in keep
