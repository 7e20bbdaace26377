"""vol_arb: sells vol when VIX is far above the GARCH forecast, buys it when far below."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from alphaforge.cli.main import app
from alphaforge.domain.errors import InvalidValueError
from alphaforge.pricing import straddle_index
from alphaforge.runtime import backtest
from alphaforge.strategies.library.vol_arb import VolArb, garch_forecast
from alphaforge.testing import assert_no_lookahead


def _synthetic() -> dict[str, pd.DataFrame]:
    """Synthetic data constructed for a known answer: an index with 1 % daily moves (about 16 %
    a year), an implied vol of 40 % up to January 2020, 16 % in February-March and 2 % from
    April, and the two straddle indices modelled on them."""
    index = pd.date_range("2019-01-01", "2020-05-29", freq="B", tz="UTC")
    rng = np.random.default_rng(11)
    spx = pd.Series(3000.0 * np.exp(np.cumsum(rng.normal(0, 0.01, len(index)))), index=index)
    vix = pd.Series(40.0, index=index)
    vix[index >= pd.Timestamp("2020-02-01", tz="UTC")] = 16.0
    vix[index >= pd.Timestamp("2020-04-01", tz="UTC")] = 2.0
    long_vol = straddle_index(spx, vix / 100, side=1).frame
    short_vol = straddle_index(spx, vix / 100, side=-1).frame
    return {
        "SPX": spx.to_frame("close"),
        "VIX": vix.to_frame("close"),
        "SPX_STRADDLE": long_vol,
        "SPX_SHORT_STRADDLE": short_vol,
    }


def _held(result: object, symbol: str, day: str) -> float:
    fills = result.fills  # type: ignore[attr-defined]
    rows = fills[(fills["symbol"] == symbol) & (fills["ts"] <= pd.Timestamp(day, tz="UTC"))]
    signed = np.where(rows["side"] == "buy", 1.0, -1.0) * rows["quantity"].astype(float)
    return float(signed.sum())


def test_enters_exits_and_reverses_on_the_vol_gap() -> None:
    """Sell vol while implied (40 %) is far above the ~16 % forecast, flat while they agree
    within the 10-point margin, buy vol once implied (2 %) is far below."""
    strategy = VolArb(window=250, margin=0.10, weight=0.5)
    result = backtest(strategy, _synthetic(), commission_bps=0, slippage_bps=0)
    actions = [(pd.Timestamp(d.ts_ns, tz="UTC").strftime("%Y-%m"), d.action)
               for d in strategy.decisions]  # fmt: skip
    assert actions == [
        ("2020-01", "sell vol"), ("2020-02", "flat"), ("2020-03", "flat"),
        ("2020-04", "buy vol"), ("2020-05", "buy vol"),
    ]  # fmt: skip
    for d in strategy.decisions:
        assert 0.12 < d.forecast < 0.20  # the synthetic index moves ~16 % a year
    assert _held(result, "SPX_SHORT_STRADDLE", "2020-01-31") > 0
    assert _held(result, "SPX_SHORT_STRADDLE", "2020-02-28") == 0
    assert _held(result, "SPX_STRADDLE", "2020-03-31") == 0
    assert _held(result, "SPX_STRADDLE", "2020-04-30") > 0
    assert _held(result, "SPX", "2020-05-29") == 0  # the underlying is never traded
    first = result.fills.iloc[0]
    assert first["symbol"] == "SPX_SHORT_STRADDLE"
    assert first["ts"].strftime("%Y-%m-%d") == "2020-01-03"  # decided at the roll, next bar
    assert float(first["quantity"]) * float(first["price"]) == pytest.approx(50_000, rel=0.01)
    assert result.orders["tag"].iloc[0].startswith("garch ")


def test_garch_forecast_tracks_the_simulated_volatility() -> None:
    """Constructed: returns of 1 % a day give a forecast near 16 % a year."""
    rng = np.random.default_rng(3)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 800)))
    forecast, converged = garch_forecast(closes, 21)
    assert converged
    assert forecast == pytest.approx(0.01 * math.sqrt(252), abs=0.03)


def test_no_lookahead_on_the_real_data() -> None:
    result = assert_no_lookahead("vol_arb", params={"window": 300}, start="2017-06-01")
    assert len(result.fills) > 0


def test_real_data_run_with_costs_trades() -> None:
    strategy = VolArb(window=500)
    result = backtest(strategy, start="2014-02-03", commission_bps=1, slippage_bps=2)
    assert len(strategy.decisions) == 59  # one per monthly roll, Feb 2014 - Dec 2018
    assert {d.action for d in strategy.decisions} >= {"sell vol", "flat"}
    assert len(result.fills) > 10
    m = result.metrics
    assert math.isfinite(m.annual_return)
    assert math.isfinite(m.max_drawdown)
    assert result.costs["commission"] > 0
    sources = [d["source"] for d in result.provenance["data"]]
    assert "modelled:spx_straddle_dh" in sources


def test_data_without_the_straddles_is_refused_by_name() -> None:
    with pytest.raises(InvalidValueError, match="vol_arb needs SPX_STRADDLE"):
        backtest("vol_arb", ["spx_daily", "vix_daily", "modelled:spx_short_straddle_dh",
                             "nasdaq_daily"], start="2018-01-01")  # fmt: skip


def test_cli_runs_vol_arb() -> None:
    out = CliRunner().invoke(
        app, ["backtest", "--strategy", "vol_arb", "--start", "2018-01-01", "-p", "window=300"]
    )
    assert out.exit_code == 0, out.output
    assert "vol_arb" in out.output
