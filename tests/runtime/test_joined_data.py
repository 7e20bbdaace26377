"""Several data sets in one run, the strategy's own default data, and data a strategy cannot use."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import pytest

from alphaforge.data.errors import UnknownDatasetError
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.market import Bar
from alphaforge.runtime import backtest
from alphaforge.runtime.inputs import load_series
from alphaforge.strategies import Strategy, StrategyContext


def test_a_list_joins_data_sets() -> None:
    series = load_series(["spx_daily", "vix_daily"])
    assert [s.symbol for s in series] == ["SPX", "VIX"]
    assert [s.source for s in series] == ["bundled:spx_daily", "bundled:vix_daily"]


def test_symbols_pick_across_a_joined_list() -> None:
    series = load_series(["stocks20_close", "sp500_index_close"], symbols=["spx", "MSFT"])
    assert [s.symbol for s in series] == ["SPX", "MSFT"]


def test_a_symbol_held_twice_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="SPX is in both spx_daily and sp500_index_close"):
        load_series(["spx_daily", "sp500_index_close"])


def test_unknown_symbol_in_a_list_is_named() -> None:
    with pytest.raises(UnknownDatasetError, match=r"no symbol 'MSFTX'.*did you mean 'MSFT'"):
        load_series(["stocks20_close", "vix_daily"], symbols=["MSFTX"])


class _NeedsHighLow(Strategy):
    needs: ClassVar[frozenset[str]] = frozenset({"high", "low", "close"})


class _Pair(Strategy):
    min_symbols: ClassVar[int] = 2
    default_data: ClassVar[tuple[str, ...]] = ("spx_daily", "nasdaq_daily")


def test_close_only_data_is_refused_by_name() -> None:
    with pytest.raises(InvalidValueError, match="reads high, low, which AAPL"):
        backtest(_NeedsHighLow, "stocks20_close", symbols=["AAPL"])


def test_too_few_symbols_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="at least 2 symbols; the data holds 1"):
        backtest(_Pair, "spx_daily")


def test_default_data_is_the_strategys_own() -> None:
    result = backtest(_Pair, start="2018-01-01")
    assert sorted(result.prices) == ["NASDAQ", "SPX"]


class _LongShort(Strategy):
    run_defaults: ClassVar[dict[str, object]] = {"allow_short": True, "max_gross_leverage": 2.0}

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        if bar.symbol == "SPX" and not ctx.open_orders() and not ctx.portfolio.positions():
            ctx.target_percent("SPX", 0.9)
            ctx.target_percent("NASDAQ", -0.9)


def test_run_defaults_let_a_long_short_strategy_trade() -> None:
    result = backtest(_LongShort, ["spx_daily", "nasdaq_daily"], start="2018-06-01")
    assert (result.orders["status"] == "filled").sum() == 2
    assert result.settings["backtest"]["allow_short"] is True
    assert result.settings["backtest"]["max_gross_leverage"] == 2.0


def test_arguments_win_over_run_defaults() -> None:
    result = backtest(_LongShort, ["spx_daily", "nasdaq_daily"], start="2018-06-01",
                      allow_short=False)  # fmt: skip
    assert set(result.orders["status"]) == {"filled", "denied"}


def test_unknown_run_default_is_refused_at_class_creation() -> None:
    with pytest.raises(InvalidValueError, match="unknown keys \\['leverage'\\]"):
        type("Bad", (Strategy,), {"run_defaults": {"leverage": 2}})


def test_a_venue_bound_strategy_brings_its_account_and_fees() -> None:
    """market_making is built for 2 ETH at Binance's fees; arguments still win."""
    own = backtest("market_making", end="2019-10-11 06:00")
    assert own.settings["backtest"]["cash"] == "2"
    assert own.settings["backtest"]["commission_bps"] == 10.0
    assert own.settings["backtest"]["maker_commission_bps"] == 10.0
    mine = backtest("market_making", end="2019-10-11 06:00", cash=5, commission_bps=12)
    assert mine.settings["backtest"]["cash"] == "5"
    assert mine.settings["backtest"]["commission_bps"] == 12.0


def test_a_strategys_own_data_start_when_all_of_them_exist() -> None:
    """covered_call's modelled series starts in February 2014; its S&P 500 data in 1999."""
    result = backtest("covered_call")
    assert result.equity.index[0].date().isoformat() == "2014-02-03"
    earlier = backtest("covered_call", start="2013-01-02")
    assert earlier.equity.index[0].year == 2013  # an explicit start still wins


def test_loaded_series_can_be_given_back_sliced() -> None:
    """A sliced copy of a loaded series runs as the series it came from (FX stays FX)."""
    (eurusd,) = load_series("eurusd_1h")
    part = dataclasses.replace(eurusd, frame=eurusd.frame.iloc[:2000])
    sliced = backtest("sma_cross", part)
    whole = backtest("sma_cross", "eurusd_1h", end=eurusd.frame.index[2000])
    assert sliced.metrics.final_equity == whole.metrics.final_equity
    assert sliced.provenance["data"][0]["rows"] == 2000
