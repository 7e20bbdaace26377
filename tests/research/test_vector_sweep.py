"""``sweep``: each row is the run ``run_vector`` would make, with the analytics' metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphaforge.analytics import max_drawdown, sharpe_ratio
from alphaforge.data.bundled import load_dataset
from alphaforge.domain.errors import InvalidValueError
from alphaforge.research import (
    param_sets,
    rsi_reversion_weights,
    run_vector,
    sma_cross_weights,
    sweep,
)

SPX = load_dataset("spx_daily").iloc[:3000]
CLOSE, OPEN = SPX["close"].to_numpy(), SPX["open"].to_numpy()


def test_param_sets_expand_a_grid_in_order() -> None:
    assert param_sets({"a": [1, 2], "b": ["x"]}) == [{"a": 1, "b": "x"}, {"a": 2, "b": "x"}]
    assert param_sets([{"a": 1}]) == [{"a": 1}]


def test_each_row_is_the_run_of_run_vector() -> None:
    grid = {"fast": [5, 20, 60], "slow": [30, 60, 120]}
    table = sweep(CLOSE, OPEN, grid, "sma_cross", commission_bps=2.0)
    assert list(table.columns[:2]) == ["fast", "slow"]
    assert len(table) == 7  # (60, 30) and (60, 60) are refused, as the strategy refuses them
    for row in table.itertuples():
        weights = sma_cross_weights(CLOSE, int(row.fast), int(row.slow))
        run = run_vector(CLOSE, OPEN, weights=weights, commission_bps=2.0)
        assert row.final_equity == run.equity[-1]
        assert row.fills == run.n_fills
        assert row.trades == run.entries
        returns = run.equity[1:] / run.equity[:-1] - 1
        assert row.total_return == pytest.approx(run.equity[-1] / run.equity[0] - 1, rel=1e-12)
        assert row.sharpe == pytest.approx(sharpe_ratio(returns, periods_per_year=252), rel=1e-9)
        assert row.max_drawdown == pytest.approx(max_drawdown(returns), rel=1e-9, abs=1e-12)


def test_rsi_and_callable_signals() -> None:
    grid = {"period": [7, 14], "lower": [25.0, 35.0], "upper": [65.0]}
    builtin = sweep(CLOSE, OPEN, grid, "rsi_reversion")

    def signal(close: np.ndarray, **p: float) -> np.ndarray:
        return np.asarray(rsi_reversion_weights(close, int(p["period"]), p["lower"], p["upper"]))

    custom = sweep(CLOSE, OPEN, grid, signal)
    pd.testing.assert_frame_equal(builtin, custom)
    assert (builtin["fills"] > 0).all()


def test_sweep_checks_its_inputs() -> None:
    with pytest.raises(InvalidValueError, match="no parameter set"):
        sweep(CLOSE, OPEN, [], "sma_cross")
    with pytest.raises(InvalidValueError, match="signal_fn"):
        sweep(CLOSE, OPEN, {"fast": [5], "slow": [10]}, "macd_cross")
    gappy = CLOSE.copy()
    gappy[100] = np.nan
    with pytest.raises(InvalidValueError, match="callable"):
        sweep(gappy, OPEN, {"fast": [5], "slow": [10]}, "sma_cross")
    with pytest.raises(InvalidValueError, match="shape"):
        sweep(CLOSE, OPEN, [{"x": 1}], lambda c, **p: np.zeros(5))


def test_several_assets_are_swept_like_the_strategy_trades_them() -> None:
    stocks = load_dataset("stocks20_close")[["KO", "PG", "XOM"]].iloc[:2000].to_numpy()
    table = sweep(stocks, None, {"fast": [10], "slow": [40]}, "sma_cross", tick_size="0.01")
    weights = sma_cross_weights(stocks, 10, 40)
    run = run_vector(stocks, weights=weights, decisions="per_asset", tick_size="0.01")
    assert table["final_equity"].iloc[0] == run.equity[-1]
    assert table["fills"].iloc[0] == run.n_fills > 30
