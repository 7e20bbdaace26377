"""Reruns under shocks: costs multiplied, order decisions delayed (any strategy, no peeking)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from alphaforge.domain.enums import OrderSide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.fills import Fill
from alphaforge.domain.market import Bar
from alphaforge.research.backends import ProcessBackend, SerialBackend
from alphaforge.runtime import BacktestResult, backtest
from alphaforge.runtime.montecarlo import (
    DelayedStrategy,
    cost_shocks,
    entry_delays,
    strategy_spec,
)
from alphaforge.strategies import Strategy, StrategyContext
from alphaforge.strategies.registry import UnknownStrategyError
from alphaforge.testing import assert_no_lookahead

SMA = {"fast": 20, "slow": 100}


@pytest.fixture(scope="module")
def baseline() -> BacktestResult:
    return backtest("sma_cross", "spx_daily", params=SMA)


def _delayed(max_delay: int, seed: int = 0) -> dict[str, Any]:
    return {"strategy": "sma_cross", "params": SMA, "max_delay": max_delay, "seed": seed}


# ---------------------------------------------------------------------- the wrapper


def test_no_delay_reproduces_the_strategy_bit_for_bit(baseline: BacktestResult) -> None:
    run = backtest(DelayedStrategy, "spx_daily", params=_delayed(0))
    for name in ("equity", "orders", "fills", "trades"):
        pd.testing.assert_frame_equal(getattr(run, name), getattr(baseline, name), check_exact=True)
    assert run.strategy_report["entry_delays"]["delayed"] == 0
    assert run.strategy_report["entry_delays"]["decisions"] == len(baseline.orders)


def test_delays_move_the_fills_by_whole_bars(baseline: BacktestResult) -> None:
    run = backtest(DelayedStrategy, "spx_daily", params=_delayed(3, seed=4))
    report = run.strategy_report["entry_delays"]
    assert report["decisions"] == len(baseline.orders)  # the same decisions, sent later
    assert 0 < report["delayed"] <= report["decisions"]
    assert 0.5 < report["mean_delay"] < 3.0
    bars = baseline.equity.index
    lag = bars.get_indexer(run.fills["ts"]) - bars.get_indexer(baseline.fills["ts"])
    assert len(run.fills) == len(baseline.fills)
    assert lag.min() >= 0  # never earlier
    assert lag.max() >= 2  # and some by several bars
    assert not run.equity["equity"].equals(baseline.equity["equity"])


def test_the_wrapper_does_not_leak_future_data() -> None:
    full = assert_no_lookahead(DelayedStrategy, "spx_daily", params=_delayed(3, seed=1))
    assert full.strategy_report["entry_delays"]["delayed"] > 10


class OrderIdProbe(Strategy):
    """Test strategy: raw market orders every 15th bar (buy when flat, else sell), recording
    the ids it was handed, what ``open_orders`` said right after, and the ids of its fills."""

    def on_start(self, ctx: StrategyContext) -> None:
        self.sent: list[str] = []
        self.listed: list[bool] = []
        self.filled: list[str] = []
        self.bars = 0

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        self.bars += 1
        if self.bars % 15:
            return
        held = float(ctx.portfolio.quantity(bar.symbol))
        side = OrderSide.BUY if held == 0 else OrderSide.SELL
        order_id = ctx.order(bar.symbol, side, 10 if held == 0 else held)
        self.sent.append(order_id)
        self.listed.append(order_id in ctx.open_orders(bar.symbol))

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> None:
        self.filled.append(fill.client_order_id)


def test_queued_orders_keep_the_ids_the_strategy_was_given() -> None:
    spec = strategy_spec(OrderIdProbe)
    assert spec.endswith(":OrderIdProbe")  # not registered: reached by its import path
    wrapper = DelayedStrategy({"strategy": spec, "max_delay": 2, "seed": 3})
    run = backtest(wrapper, "spx_daily", end="2001-12-31")
    probe = wrapper.inner
    assert isinstance(probe, OrderIdProbe)
    assert any(i.startswith("delayed-") for i in probe.sent)
    assert all(probe.listed)  # queued or working, an order is listed as open
    assert probe.filled
    assert set(probe.filled) <= set(probe.sent)
    assert len(run.fills) == len(probe.filled)


def test_unknown_inner_strategy_or_parameter_is_named() -> None:
    with pytest.raises(UnknownStrategyError, match="did you mean 'sma_cross'"):
        DelayedStrategy({"strategy": "sma_cros"})
    with pytest.raises(InvalidValueError, match="has no parameter 'fastt'"):
        DelayedStrategy({"strategy": "sma_cross", "params": {"fastt": 3}})
    with pytest.raises(InvalidValueError, match="cannot import strategy"):
        DelayedStrategy({"strategy": "nowhere.module:Thing"})


# ---------------------------------------------------------------------- the reruns


def test_cost_shocks_lower_the_return(baseline: BacktestResult) -> None:
    result = cost_shocks("sma_cross", "spx_daily", params=SMA, n_runs=4, seed=3,
                         backend=SerialBackend())  # fmt: skip
    runs = result.runs
    assert len(runs) == 4
    assert result.baseline["final_return"] == pytest.approx(baseline.metrics.total_return)
    assert (runs["commission_factor"].between(1, 3)).all()
    assert (runs["slippage_factor"].between(1, 5)).all()
    assert np.allclose(runs["commission_bps"], 1.0 * runs["commission_factor"])  # default 1 bp
    assert (runs["final_return"] < result.baseline["final_return"]).all()
    summary = result.summary()
    assert summary.loc["final_return", "mean"] < summary.loc["final_return", "original"]
    assert summary.loc["final_return", "original_pct"] == 100.0
    assert result.to_dict()["settings"]["commission"] == [1.0, 3.0]


def test_log_uniform_draws_stay_in_range() -> None:
    result = cost_shocks(
        "sma_cross",
        "spx_daily",
        params=SMA,
        n_runs=3,
        commission=(2.0, 2.0),
        slippage=(1.0, 10.0),
        draw="log_uniform",
        backend=SerialBackend(),
    )
    assert (result.runs["commission_factor"] == 2.0).all()
    assert result.runs["slippage_factor"].between(1.0, 10.0).all()


def test_entry_delays_give_a_distribution_around_the_baseline(baseline: BacktestResult) -> None:
    result = entry_delays("sma_cross", "spx_daily", params=SMA, n_runs=3, seed=8,
                          backend=SerialBackend())  # fmt: skip
    runs = result.runs
    assert (runs["delayed"] > 0).all()
    assert runs["final_return"].nunique() == 3
    assert (runs["final_return"] != baseline.metrics.total_return).all()
    assert result.summary().loc["sharpe", "original"] == pytest.approx(
        baseline.metrics.sharpe_ratio
    )


def test_entry_delays_carry_the_strategys_own_data_and_account() -> None:
    """market_making has its own data set and account (cash, Binance fees) and trades with ids
    and cancels: with no delay, the wrapped rerun is the strategy's own run."""
    result = entry_delays("market_making", max_delay=0, n_runs=1, backend=SerialBackend())
    (run,) = result.runs.to_dict("records")
    for name in ("final_return", "max_drawdown", "sharpe", "min_equity"):
        assert run[name] == result.baseline[name]


def test_reruns_are_the_same_on_every_backend() -> None:
    here = entry_delays("sma_cross", "spx_daily", params=SMA, n_runs=2, seed=2,
                        backend=SerialBackend())  # fmt: skip
    with ProcessBackend(workers=2) as pool:
        pooled = entry_delays("sma_cross", "spx_daily", params=SMA, n_runs=2, seed=2,
                              backend=pool)  # fmt: skip
    pd.testing.assert_frame_equal(here.runs, pooled.runs, check_exact=True)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: cost_shocks("sma_cross", n_runs=0), "n_runs must be"),
        (
            lambda: cost_shocks(
                "sma_cross", commission=(3.0, 1.0), n_runs=1, backend=SerialBackend()
            ),
            "0 < low <= high",
        ),
        (
            lambda: cost_shocks("sma_cross", commission_bps=0, slippage_bps=0, n_runs=1),
            "both 0",
        ),
        (lambda: cost_shocks("sma_cross", draw="normal", n_runs=1), "draw must be"),
        (lambda: entry_delays("sma_cross", max_delay=-1), "max_delay must be"),
    ],
)
def test_bad_arguments_are_named(call: Any, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        call()
