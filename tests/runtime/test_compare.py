"""compare plans the right jobs, keeps in-sample and out-of-sample apart, and every row is the
backtest its command reproduces (real bundled data)."""

from __future__ import annotations

from typing import ClassVar

import pytest

from alphaforge.data.errors import UnknownDatasetError
from alphaforge.runtime import backtest
from alphaforge.runtime.compare import (
    AssetGroup,
    CompareJob,
    asset_groups,
    plan_jobs,
    run_compare,
    run_job,
)
from alphaforge.strategies import Strategy
from alphaforge.strategies.registry import _REGISTRY, register


def test_symbols_resolve_to_ohlcv_before_close_only_sets() -> None:
    msft, aapl, group = asset_groups(["msft", "AAPL", "stocks20_close"])
    assert msft == AssetGroup("MSFT", ("msft_daily",))
    assert aapl == AssetGroup("AAPL", ("stocks20_close",), ("AAPL",))
    assert group.data == ("stocks20_close",)
    assert group.size() == 20


def test_unknown_symbol_gets_a_hint() -> None:
    with pytest.raises(UnknownDatasetError, match="did you mean 'MSFT'"):
        asset_groups(["MSFTT"])


def test_split_keeps_only_the_periods_the_data_reaches() -> None:
    groups = asset_groups(["SPX", "GOOG", "EURUSD"])
    jobs = plan_jobs(["sma_cross"], groups, split="2014-01-01")
    periods = {(j.asset, j.period) for j in jobs}
    assert periods == {
        ("SPX", "in-sample"), ("SPX", "out-of-sample"),
        ("GOOG", "in-sample"),  # GOOG's data end in 2013
        ("EURUSD", "out-of-sample"),  # EUR/USD's begin in 2017
    }  # fmt: skip
    spx_in = next(j for j in jobs if j.asset == "SPX" and j.period == "in-sample")
    assert spx_in.end == "2013-12-31T23:59:59.999999999+00:00"


class _NeedsHigh(Strategy):
    name = "_test_needs_high"
    needs: ClassVar[frozenset[str]] = frozenset({"high", "close"})


class _Multi(Strategy):
    name = "_test_multi"
    universe = "multi"
    min_symbols = 2


class _OwnData(Strategy):
    name = "_test_own_data"
    universe = "multi"
    default_data = ("spx_daily", "nasdaq_daily")


@pytest.fixture
def registered() -> object:
    for kind in (_NeedsHigh, _Multi, _OwnData):
        register(kind)
    yield
    for kind in (_NeedsHigh, _Multi, _OwnData):
        _REGISTRY.pop(kind.strategy_name(), None)


@pytest.mark.usefixtures("registered")
def test_strategies_run_only_where_they_apply() -> None:
    groups = asset_groups(["SPX", "stocks20_close"])
    assets = {
        name: [j.asset for j in plan_jobs([name], groups)]
        for name in ("_test_needs_high", "_test_multi", "_test_own_data", "sma_cross")
    }
    assert assets["_test_needs_high"] == ["SPX"]  # the 20 stocks carry close only
    assert assets["_test_multi"] == ["STOCKS20"]  # one symbol is not a portfolio
    assert assets["_test_own_data"] == ["SPX+NASDAQ"]  # its own data, whatever was asked
    assert assets["sma_cross"] == ["SPX", "STOCKS20"]
    own = plan_jobs(["_test_own_data"], groups)[0]
    assert own.baseline_data == ("spx_daily",)  # compared with the underlying


def test_rows_are_the_backtests_their_commands_describe() -> None:
    jobs = plan_jobs(["sma_cross"], asset_groups(["SPX"]), split="2014-01-01")
    result = run_compare(jobs, workers=1, split="2014-01-01")
    table = result.table.set_index("period")
    assert list(table.index) == ["in-sample", "out-of-sample"]
    assert (table["error"] == "").all()
    oos = backtest("sma_cross", "spx_daily", start="2014-01-01")
    assert table.loc["out-of-sample", "sharpe"] == oos.metrics.sharpe_ratio
    assert table.loc["out-of-sample", "trades"] == oos.metrics.number_of_trades
    bh = backtest("buy_and_hold", "spx_daily", end="2013-12-31T23:59:59.999999999+00:00")
    assert table.loc["in-sample", "bh_cagr"] == bh.metrics.annual_return
    assert table.loc["in-sample", "excess_sharpe"] == pytest.approx(
        table.loc["in-sample", "sharpe"] - bh.metrics.sharpe_ratio
    )
    assert (
        "--strategy sma_cross --data spx_daily --start 2014-01-01"
        in (table.loc["out-of-sample", "command"])
    )
    markdown = result.to_markdown()
    assert markdown.index("**in-sample**") < markdown.index("**out-of-sample**")


def test_a_combination_that_fails_is_a_row_not_a_crash() -> None:
    job = CompareJob("sma_cross", "SPX", ("spx_daily",), params={"fast": 50, "slow": 20})
    out = run_job(job, {})
    assert "fast (50) must be shorter than slow (20)" in out["error"]


def test_process_pool_gives_the_same_table() -> None:
    jobs = plan_jobs(["sma_cross", "rsi_reversion"], asset_groups(["SPX"]))
    one = run_compare(jobs, workers=1).table.drop(columns="seconds")
    two = run_compare(jobs, workers=2).table.drop(columns="seconds")
    assert one.equals(two)


def test_default_data_jobs_start_when_all_their_data_exist() -> None:
    """covered_call's modelled series starts in 2014; judging it from 1999 (spx_daily's start)
    would compare years of idle cash with buy-and-hold."""
    jobs = plan_jobs(["covered_call"], asset_groups(None), split="2016-01-01")
    assert [(j.period, j.start[:10]) for j in jobs] == [  # type: ignore[index]
        ("in-sample", "2014-02-03"),
        ("out-of-sample", "2016-01-01"),
    ]
    assert all(j.baseline_data == ("spx_daily",) for j in jobs)


def test_runs_shorter_than_a_quarter_get_no_annualized_figures() -> None:
    """Three weeks of ETH/BTC 5-minute bars: annualized figures would be noise."""
    jobs = plan_jobs(["sma_cross"], asset_groups(["ETHBTC"]))
    row = run_compare(jobs, workers=1).table.iloc[0]
    assert row["years"] < 0.1
    for key in ("cagr", "sharpe", "sortino", "bh_cagr", "bh_sharpe", "excess_sharpe"):
        assert row[key] is None, key
    assert row["excess_return"] == row["total_return"] - row["bh_total_return"]
