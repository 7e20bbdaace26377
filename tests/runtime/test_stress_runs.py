"""``stress_test``: historical windows and shocked backtests on real bundled data."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from alphaforge.data.bundled import load_dataset
from alphaforge.domain.errors import InvalidValueError
from alphaforge.research.backends import ProcessBackend
from alphaforge.runtime import backtest
from alphaforge.runtime.stress import TABLE_COLUMNS, ShockSizes, stress_test
from alphaforge.strategies import get_strategy

WINDOWS = ["dot-com bust 2000-02", "2008-09 crisis", "2011 downgrade", "2015-16 selloff",
           "Q4 2018", "2020 crash"]  # fmt: skip


def _rows(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("scenario")


def test_stocks20_covers_all_six_windows_and_has_no_volume() -> None:
    result = stress_test("sma_cross", "stocks20_close", shocks=("volume",))
    table = _rows(result.table)
    assert list(result.table.columns) == list(TABLE_COLUMNS)
    assert list(result.table["scenario"]) == ["baseline", *WINDOWS, "volume /10"]
    windows = table.loc[WINDOWS]
    assert (windows["status"] == "full").all()
    assert windows["return"].notna().all()
    assert (windows["max_drawdown"] <= 0).all()
    # the benchmark is buying and holding AAPL: its 2020 fall, straight from the data
    aapl = load_dataset("stocks20_close")["AAPL"]
    expected = aapl["2020-03-23"] / aapl["2020-02-19"] - 1
    assert table.loc["2020 crash", "benchmark_return"] == pytest.approx(expected, rel=1e-9)
    assert table.loc["volume /10", "status"] == "n/a (no volume)"  # close-only data
    assert math.isnan(table.loc["volume /10", "return"])
    assert result.benchmark == "AAPL buy and hold"


def test_spx_daily_ends_in_2018_so_2020_is_not_in_data() -> None:
    result = stress_test("buy_and_hold", "spx_daily", shocks=())
    table = _rows(result.table)
    assert table.loc["2020 crash", "status"] == "not in data"
    assert math.isnan(table.loc["2020 crash", "return"])
    assert (table.loc[WINDOWS[:5], "status"] == "full").all()
    # holding the index loses what the index lost (whole units, costs: within half a point)
    assert table.loc["Q4 2018", "return"] == pytest.approx(-0.1978, abs=0.005)
    assert "| 2020 crash | 2020-02-19 | 2020-03-23 | not in data |" in result.to_markdown()


def test_gap_hurts_an_invested_long_book_by_exposure_times_10_percent() -> None:
    result = stress_test("buy_and_hold", "spx_daily", shocks=("gap",), shock_at="2012-06-01")
    gap = _rows(result.table).loc["gap -10%"]
    base = backtest("buy_and_hold", "spx_daily")
    before = base.equity.loc[:"2012-05-31 23:00"].iloc[-1]
    exposure = before["gross"] / before["equity"]
    assert exposure > 0.95
    assert gap["shock_day_vs_baseline"] == pytest.approx(-0.10 * exposure, abs=0.005)
    assert gap["shock_day"] < -0.10
    assert gap["vs_baseline"] == pytest.approx(-0.10 * exposure, abs=0.01)  # never made up
    assert gap["recovery_bars"] > 0
    assert "won back its pre-gap equity" in gap["note"]
    assert gap["start"] == "2012-06-01"


def test_a_zero_gap_reproduces_the_baseline_exactly() -> None:
    # shocked runs go through frames: with nothing changed they must be the baseline run
    result = stress_test("sma_cross", "spx_daily", shocks=("gap",), sizes=ShockSizes(gap=0.0))
    gap = _rows(result.table).loc["gap +0%"]
    assert gap["vs_baseline"] == 0.0
    assert gap["shock_day_vs_baseline"] == 0.0
    assert gap["max_drawdown"] == _rows(result.table).loc["baseline", "max_drawdown"]


def test_many_symbols_all_gap_together() -> None:
    result = stress_test("equal_weight", "stocks20_close", shocks=("gap",), start="2018-01-01",
                         shock_at="2019-06-03")  # fmt: skip
    gap = _rows(result.table).loc["gap -10%"]
    assert gap["shock_day_vs_baseline"] == pytest.approx(-0.098, abs=0.005)  # 98 % invested
    assert "on every symbol" in gap["note"]


def test_volatility_and_spreads_rows() -> None:
    result = stress_test("sma_cross", "spx_daily", shocks=("volatility", "spreads"),
                         shock_at="2008-06-02", slippage_bps=2.0, spread_bps=4.0)  # fmt: skip
    table = _rows(result.table)
    vol, spreads = table.loc["volatility x3"], table.loc["spreads x5"]
    assert (vol["start"], vol["end"]) == ("2008-06-02", "2008-08-28")  # 63 bars
    assert vol["status"] == "ok"
    assert "x3 over 63 bars" in vol["note"]
    assert "spread 4 -> 20 bp, slippage 2 -> 10 bp" in spreads["note"]
    assert spreads["vs_baseline"] < 0  # dearer trading never helps a strategy that trades


def test_volume_shock_binds_under_the_default_cap() -> None:
    # MSFT's real volume with a huge account: a tenth of it cannot absorb the orders
    result = stress_test("buy_and_hold", "msft_daily", shocks=("volume",), cash=5e10,
                         start="2010-01-01")  # fmt: skip
    row = _rows(result.table).loc["volume /10"]
    assert row["status"] == "ok"
    assert "10.00% of bar volume (a default cap: the run sets none)" in row["note"]
    assert row["vs_baseline"] < -0.2
    own = stress_test("buy_and_hold", "msft_daily", shocks=("volume",), cash=5e10,
                      start="2010-01-01", max_participation=0.05)  # fmt: skip
    assert "the run's max_participation" in _rows(own.table).loc["volume /10", "note"]


def test_fx_data_is_shocked_as_fx() -> None:
    """Shocked copies keep the series' asset class: EUR/USD stays FX (5-digit ticks, 24/5)."""
    result = stress_test("sma_cross", "eurusd_1h", shocks=("gap", "spreads"))
    table = _rows(result.table)
    assert table.loc["gap -10%", "status"] == "ok"
    assert table.loc["spreads x5", "status"] == "ok"
    assert table.loc["gap -10%", "vs_baseline"] != 0.0  # the shocked FX run differs
    base = backtest("sma_cross", "eurusd_1h")
    assert table.loc["baseline", "return"] == pytest.approx(base.metrics.total_return, rel=1e-12)


def test_process_backend_and_a_strategy_instance_give_the_same_table() -> None:
    serial = stress_test("sma_cross", "spx_daily", params={"fast": 20, "slow": 100})
    strategy = get_strategy("sma_cross")({"fast": 20, "slow": 100})
    with ProcessBackend(2) as pool:
        pooled = stress_test(strategy, "spx_daily", backend=pool)
    pd.testing.assert_frame_equal(serial.table, pooled.table)
    document = json.loads(json.dumps(serial.to_dict(), allow_nan=False))
    assert len(document["rows"]) == 11
    assert document["shock_at"] == serial.shock_at
    assert document["sizes"]["gap"] == -0.10


def test_clear_errors() -> None:
    with pytest.raises(InvalidValueError, match="did you mean 'gap'"):
        stress_test("sma_cross", "spx_daily", shocks=("gapp",))
    with pytest.raises(InvalidValueError, match=r"no such argument.*did you mean 'cash'"):
        stress_test("sma_cross", "spx_daily", cahs=1000)
    with pytest.raises(InvalidValueError, match="shock_at 2030-01-01 must fall"):
        stress_test("sma_cross", "spx_daily", shock_at="2030-01-01")
    with pytest.raises(InvalidValueError, match="trade data"):
        stress_test("sma_cross", "binance_xrpeth_trades")
    with pytest.raises(InvalidValueError, match="no parameter 'fats'"):
        stress_test("sma_cross", "spx_daily", params={"fats": 3})
