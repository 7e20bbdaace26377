"""The vector engine against the event engine on real bundled data: identical fills, equal equity.

Each test runs ``alphaforge.runtime.backtest`` (the reference: strategy, risk engine, simulated
broker, ledger) and ``run_vector`` on the same bars, as the feed stamps them, with the weights
the ``*_weights`` helper derives from the same indicators. Fills must match field by field
(timestamp, symbol, side, quantity, price, fee) and equity within 1e-9 relative.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import Field

from alphaforge.config import AlphaforgeConfig
from alphaforge.domain.instruments import RULE_612
from alphaforge.domain.market import Bar
from alphaforge.research import (
    rebalance_weights,
    rsi_reversion_weights,
    run_vector,
    sma_cross_weights,
    vector_backtest,
)
from alphaforge.research.bridge import VectorPanel
from alphaforge.runtime import BacktestResult, backtest, load_series
from alphaforge.runtime.inputs import instrument_for
from alphaforge.runtime.result import build_trades
from alphaforge.strategies import Strategy
from alphaforge.strategies.base import StrategyParams
from alphaforge.strategies.context import StrategyContext

CONFIG = AlphaforgeConfig()
FILL_COLUMNS = ["ts", "symbol", "side", "quantity", "price", "fee"]
REBALANCE = ["XOM", "AAPL", "JNJ"]  # not alphabetical: the run's symbol order matters


class MonthlyRebalanceParams(StrategyParams):
    """Target weights by symbol."""

    weights: dict[str, float] = Field(default_factory=dict)


class MonthlyRebalance(Strategy):
    """Rebalance to fixed weights on the first bar of each month (UTC), once per timestamp."""

    name = "test_monthly_rebalance"
    Params = MonthlyRebalanceParams

    def on_start(self, ctx: StrategyContext) -> None:
        self._month: tuple[int, int] | None = None
        self._last = max(ctx.symbols)  # bars of one timestamp come in symbol order

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        if bar.symbol != self._last:
            return  # decide once, after every symbol of this timestamp was marked
        month = (ctx.now.year, ctx.now.month)
        if month != self._month:
            self._month = month
            assert isinstance(self.params, MonthlyRebalanceParams)
            ctx.target_weights(self.params.weights)


def panel_of(data: str, symbols: Sequence[str] | None = None) -> VectorPanel:
    """The bars of ``data`` on the feed's event times, as the event engine sees them."""
    return VectorPanel.from_series(load_series(data, symbols=symbols, config=CONFIG))


def steps(panel: VectorPanel) -> dict[str, Any]:
    """The runtime's instrument rules for equities: Rule 612 ticks (cents from $1, 0.0001
    below, price by price), whole units."""
    return {"tick_size": "0.0001", "tick_tiers": RULE_612, "lot_size": 1}


def costs() -> dict[str, Any]:
    bt = CONFIG.backtest
    return {
        "cash": bt.cash,
        "commission_bps": float(bt.commission_bps),
        "slippage_bps": float(bt.slippage_bps),
    }


def assert_same_run(event: BacktestResult, frames: Any) -> None:
    """Identical fills; equity (and cash, gross, net) within 1e-9 relative, same timestamps."""
    ours = frames.fills[FILL_COLUMNS].reset_index(drop=True)
    theirs = event.fills[FILL_COLUMNS].reset_index(drop=True)
    assert len(theirs) > 0
    pd.testing.assert_frame_equal(ours, theirs, check_exact=True)
    assert frames.equity.index.equals(event.equity.index)
    for column in ("equity", "cash", "gross", "net"):
        np.testing.assert_allclose(
            frames.equity[column].to_numpy(), event.equity[column].to_numpy(), rtol=1e-9, atol=0
        )


def test_sma_cross_on_spx_matches_the_event_engine() -> None:
    params = {"fast": 20, "slow": 100}
    event = backtest("sma_cross", "spx_daily", params=params, config=CONFIG)
    panel = panel_of("spx_daily")
    weights = sma_cross_weights(panel.close, **params)
    result = run_vector(
        panel.close, panel.open, weights=weights, index=panel.index, symbols=panel.symbols,
        **steps(panel), **costs(),
    )  # fmt: skip
    assert_same_run(event, result.to_frames())
    assert result.exact_cash


def test_rsi_reversion_on_msft_matches_the_event_engine() -> None:
    event = backtest("rsi_reversion", "msft_daily", config=CONFIG)
    panel = panel_of("msft_daily")
    weights = rsi_reversion_weights(panel.close, 14, 30.0, 70.0)
    result = run_vector(
        panel.close, panel.open, weights=weights, index=panel.index, symbols=panel.symbols,
        **steps(panel), **costs(),
    )  # fmt: skip
    assert_same_run(event, result.to_frames())


@pytest.mark.parametrize(
    ("weights", "most_denied"),
    [
        ({"AAPL": 0.3, "JNJ": 0.3, "XOM": 0.3}, 5),  # 10 % cash: nearly every order passes
        ({"AAPL": 0.4, "JNJ": 0.35, "XOM": 0.25}, None),  # fully invested: some buys denied by
        # a fraction of a share (sells round toward zero, so the committed book tops 1.00x)
    ],
)
def test_three_asset_monthly_rebalance_matches_the_event_engine(
    weights: dict[str, float], most_denied: int | None
) -> None:
    event = backtest(
        MonthlyRebalance, "stocks20_close", params={"weights": weights}, symbols=REBALANCE,
        config=CONFIG,
    )  # fmt: skip
    panel = panel_of("stocks20_close", REBALANCE)
    assert panel.symbols == ("AAPL", "JNJ", "XOM")  # the feed's delivery order
    target = rebalance_weights(panel.index, panel.symbols, "M", weights)
    result = run_vector(
        panel.close, panel.open, weights=target, index=panel.index, symbols=panel.symbols,
        symbol_order=panel.symbol_order, **steps(panel), **costs(),
    )  # fmt: skip
    frames = result.to_frames()
    assert_same_run(event, frames)
    event_denied = int((event.orders["status"] == "denied").sum())
    assert int((frames.orders["status"] == "denied").sum()) == event_denied
    if most_denied is None:
        assert event_denied > 10
    else:
        assert event_denied <= most_denied


def test_long_short_sma_cross_with_shorting_matches_the_event_engine() -> None:
    params = {"fast": 10, "slow": 50, "mode": "long_short", "weight": 0.5}
    event = backtest("sma_cross", "spx_daily", params=params, allow_short=True, config=CONFIG)
    panel = panel_of("spx_daily")
    weights = sma_cross_weights(panel.close, 10, 50, "long_short", 0.5)
    result = run_vector(
        panel.close, panel.open, weights=weights, index=panel.index, symbols=panel.symbols,
        allow_short=True, **steps(panel), **costs(),
    )  # fmt: skip
    assert_same_run(event, result.to_frames())
    assert (result.fills.position_after < 0).any()


def test_fill_at_close_matches_the_event_engine() -> None:
    event = backtest("rsi_reversion", "msft_daily", fill="close", config=CONFIG)
    panel = panel_of("msft_daily")
    weights = rsi_reversion_weights(panel.close)
    result = run_vector(
        panel.close, panel.open, weights=weights, index=panel.index, symbols=panel.symbols,
        fill="close", **steps(panel), **costs(),
    )  # fmt: skip
    assert_same_run(event, result.to_frames())
    assert (result.fills.t == result.orders.t[result.fills.order]).all()


def _vector_backtest(strategy: str, params: dict[str, Any], data: str, **kw: Any) -> Any:
    """The bridge as the runtime wires it (see docs/research.md): series, instruments, run."""
    series = load_series(data, symbols=kw.get("symbols"), config=CONFIG)
    instruments = [instrument_for(s, fractional=False) for s in series]
    start = kw.get("start")
    start_ns = None if start is None else pd.Timestamp(start, tz="UTC").value
    run = vector_backtest(strategy, params, series, instruments, start_ns=start_ns, **costs())
    return run, instruments


def test_vector_backtest_matches_per_symbol_strategies_with_warm_up() -> None:
    """Three symbols traded each in its own on_bar, sized off a partly updated equity, with a
    start date (earlier bars only warm the indicators): the bridge the runtime calls."""
    params = {"fast": 10, "slow": 50, "mode": "long_only", "weight": 1.0}
    kw: dict[str, Any] = {"symbols": REBALANCE, "start": "2001-01-01"}
    event = backtest("sma_cross", "stocks20_close", params=params, config=CONFIG, **kw)
    run, _ = _vector_backtest("sma_cross", params, "stocks20_close", **kw)
    assert_same_run(event, run.result.to_frames())


@pytest.mark.parametrize(
    ("strategy", "params", "data"),
    [
        ("sma_cross", {"fast": 20, "slow": 100, "mode": "long_only", "weight": 1.0}, "spx_daily"),
        (
            "rsi_reversion",
            {"period": 14, "lower": 30.0, "upper": 70.0, "weight": 1.0},
            "msft_daily",
        ),
        ("buy_and_hold", {"weight": 1.0}, "spx_daily"),
    ],
)
def test_the_runtime_wiring_gives_the_event_engines_trades_orders_and_costs(
    strategy: str, params: dict[str, Any], data: str
) -> None:
    """What ``backtest(mode="vector")`` will assemble: trades through the runtime's own
    ``build_trades``, the orders table with the strategy's tags, costs and turnover."""
    event = backtest(strategy, data, params=params, config=CONFIG)
    run, instruments = _vector_backtest(strategy, params, data)
    fills = run.result.fill_objects("USD")
    trades = build_trades(
        fills,
        run.trade_reasons(),
        {},
        {i.symbol: i for i in instruments},
        run.bar_times(),
        run.last_prices(),
        run.end_ts(),
    )
    pd.testing.assert_frame_equal(trades, event.trades, check_exact=False, rtol=1e-12)
    assert run.result.costs() == event.costs
    drop = ["client_order_id", "reason"]
    pd.testing.assert_frame_equal(
        run.orders_frame().drop(columns=drop), event.orders.drop(columns=drop), check_dtype=False
    )
    assert run.result.traded_notional() == pytest.approx(
        float(sum(f.quantity * f.price for f in fills)), rel=1e-15
    )
