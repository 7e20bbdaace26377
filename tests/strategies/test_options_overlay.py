"""covered_call and cash_secured_put: hold a modelled option-overlay index on the S&P 500."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from alphaforge.cli.main import app
from alphaforge.domain.errors import InvalidValueError
from alphaforge.pricing import covered_call_index
from alphaforge.runtime import backtest
from alphaforge.testing import assert_no_lookahead


def _synthetic() -> dict[str, pd.DataFrame]:
    """Synthetic data constructed for a known answer: a flat index at 100 with 20 % implied vol,
    whose covered-call index gains the premium every month and starts a month after it."""
    index = pd.date_range("2020-01-02", periods=120, freq="B", tz="UTC")
    spx = pd.Series(100.0, index=index)
    cc = covered_call_index(spx, pd.Series(0.2, index=index))
    return {"SPX": spx.to_frame("close"), "SPX_CC": cc.frame}


def test_buys_the_overlay_once_it_exists_and_holds_it() -> None:
    data = _synthetic()
    result = backtest("covered_call", data, params={"weight": 0.5}, commission_bps=0,
                      slippage_bps=0)  # fmt: skip
    fills = result.fills
    assert list(fills["symbol"]) == ["SPX_CC"]  # one buy, never sold, the index never traded
    assert fills["side"].iloc[0] == "buy"
    second = data["SPX_CC"].index[1]  # decided on the index's first bar, filled on the next
    assert fills["ts"].iloc[0] == second + pd.Timedelta(days=1)  # that bar's close event
    assert float(fills["price"].iloc[0]) == pytest.approx(data["SPX_CC"]["close"][second], abs=0.01)
    cost = float(fills["quantity"].iloc[0]) * float(fills["price"].iloc[0])
    assert cost == pytest.approx(0.5 * 100_000, rel=0.01)
    equity = result.equity["equity"]
    assert equity.iloc[-1] > equity.iloc[0]  # the premium, on a flat index
    assert result.benchmark is not None
    assert result.benchmark.name == "SPX buy and hold"


def test_data_without_the_overlay_are_refused_by_name() -> None:
    with pytest.raises(InvalidValueError, match="holds SPX_PUTW, which the data lack"):
        backtest("cash_secured_put", ["spx_daily", "modelled:spx_covered_call"],
                 start="2018-01-01")  # fmt: skip


@pytest.mark.parametrize("name", ["covered_call", "cash_secured_put"])
def test_no_lookahead_on_the_real_data(name: str) -> None:
    result = assert_no_lookahead(name, start="2017-06-01")
    assert len(result.fills) == 1


@pytest.mark.parametrize(
    ("name", "symbol"), [("covered_call", "SPX_CC"), ("cash_secured_put", "SPX_PUTW")]
)
def test_real_data_run_with_costs_against_buy_and_hold(name: str, symbol: str) -> None:
    result = backtest(name, start="2014-02-03", commission_bps=1, slippage_bps=2)
    assert list(result.fills["symbol"]) == [symbol]
    assert result.costs["commission"] > 0
    m = result.metrics
    assert math.isfinite(m.annual_return)
    assert math.isfinite(m.sharpe_ratio)
    # Selling options caps the upside: daily moves are smaller than the index's own.
    overlay = result.equity["equity"].pct_change().dropna()
    spx = result.benchmark.reindex(result.equity.index, method="ffill").pct_change().dropna()
    assert overlay.std() < spx.std()
    assert 0.3 < np.corrcoef(overlay.loc[spx.index], spx)[0, 1] < 1.0
    entry = next(d for d in result.provenance["data"] if d["symbol"] == symbol)
    assert entry["modelled"] is True
    assert "not quoted" in entry["provenance"]


def test_cli_runs_cash_secured_put() -> None:
    out = CliRunner().invoke(
        app, ["backtest", "--strategy", "cash_secured_put", "--start", "2014-02-03"]
    )
    assert out.exit_code == 0, out.output
    assert "cash_secured_put" in out.output
