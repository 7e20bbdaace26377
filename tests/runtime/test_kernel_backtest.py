"""The event kernel on real data: fills at the next open with the configured costs, no look-ahead,
bit-identical reruns, and books that add up (trades = realized PnL, equity = cash + positions)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from alphaforge.config import AlphaforgeConfig
from alphaforge.data import load_dataset
from alphaforge.domain.events import Event
from alphaforge.domain.market import Bar
from alphaforge.runtime import backtest
from alphaforge.strategies import Strategy, StrategyContext

CFG = AlphaforgeConfig()  # defaults only: tests never read the machine's config files


def test_first_sma_cross_trade_matches_a_hand_computation() -> None:
    spx = load_dataset("spx_daily")
    result = backtest("sma_cross", "spx_daily", params={"fast": 20, "slow": 100}, config=CFG)
    fast, slow = spx["close"].rolling(20).mean(), spx["close"].rolling(100).mean()
    signal = (fast > slow) & slow.notna()
    t = int(np.argmax(signal.to_numpy()))  # first close where fast > slow
    first = result.fills.iloc[0]
    assert first["side"] == "buy"
    # Decided on bar t's close with 100,000 of cash; filled at bar t+1's open plus 1 bp of
    # slippage, rounded to the cent; 1 bp commission on the notional.
    assert first["quantity"] == int(100_000 / spx["close"].iloc[t])
    expected_px = round(spx["open"].iloc[t + 1] * 1.0001, 2)
    assert first["price"] == pytest.approx(expected_px, abs=0.005)
    assert first["fee"] == pytest.approx(first["quantity"] * first["price"] * 1e-4, abs=1e-6)
    assert first["ts"].date() == spx.index[t + 1].date()


def test_books_add_up() -> None:
    result = backtest("sma_cross", "spx_daily", params={"fast": 10, "slow": 50}, config=CFG)
    eq = result.equity
    assert ((eq["cash"] + eq["net"]) - eq["equity"]).abs().max() < 1e-6
    closed = result.trades[result.trades["exit_reason"] != "open at end"]
    start = 100_000.0
    flows = sum(
        (-1 if side == "buy" else 1) * q * p - f
        for side, q, p, f in result.fills[["side", "quantity", "price", "fee"]].itertuples(
            index=False
        )
    )
    if len(closed) == len(result.trades):  # flat at the end: all PnL is realized
        assert closed["pnl"].sum() == pytest.approx(flows, rel=1e-9)
        assert eq["equity"].iloc[-1] == pytest.approx(start + flows, rel=1e-12)
    assert result.costs["commission"] == pytest.approx(result.fills["fee"].sum(), rel=1e-12)


def test_reruns_are_bit_identical() -> None:
    a = backtest("rsi_reversion", "msft_daily", config=CFG)
    b = backtest("rsi_reversion", "msft_daily", config=CFG)
    pd.testing.assert_frame_equal(a.equity, b.equity, check_exact=True)
    pd.testing.assert_frame_equal(a.fills, b.fills, check_exact=True)
    assert a.run_id == b.run_id
    assert (
        backtest("rsi_reversion", "msft_daily", params={"period": 10}, config=CFG).run_id
        != a.run_id
    )


def test_a_truncated_history_gives_the_prefix_of_the_full_run() -> None:
    full = backtest("sma_cross", "spx_daily", config=CFG)
    cut = "2008-06-30"
    part = backtest("sma_cross", "spx_daily", end=cut, config=CFG)
    n = len(part.equity)
    pd.testing.assert_frame_equal(full.equity.iloc[:n], part.equity, check_exact=True)
    early = full.fills[full.fills["ts"] <= part.equity.index[-1]]
    pd.testing.assert_frame_equal(early.reset_index(drop=True), part.fills, check_exact=True)


class _Peeker(Strategy):
    """Records what it can see (synthetic check of the context, on real data)."""

    def on_start(self, ctx: StrategyContext) -> None:
        self.seen: list[tuple[int, float, int]] = []
        self.sma = ctx.indicator("sma", period=3)

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        closes = ctx.history("SPX", "close")
        assert closes[-1] == bar.close
        assert not closes.flags.writeable
        self.seen.append((bar.ts_event, float(self.sma.value), len(closes)))


def test_the_context_shows_history_up_to_now_and_indicators_bar_by_bar() -> None:
    spx = load_dataset("spx_daily")
    strategy = _Peeker()
    backtest(strategy, "spx_daily", end="1999-03-31", config=CFG)
    expected = spx["close"].rolling(3).mean()
    values = [v for _, v, _ in strategy.seen]
    np.testing.assert_allclose(values[2:], expected.iloc[2 : len(values)].to_numpy(), rtol=1e-12)
    assert [n for _, _, n in strategy.seen] == list(range(1, len(values) + 1))


class _Greedy(Strategy):
    def on_start(self, ctx: StrategyContext) -> None:
        self.events: list[Event] = []

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        if not ctx.portfolio.positions() and not ctx.open_orders():
            ctx.target_percent(bar.symbol, 1.0)

    def on_event(self, event: Event, ctx: StrategyContext) -> None:
        self.events.append(event)


def test_risk_denials_reach_the_strategy_and_the_orders_file() -> None:
    strategy = _Greedy()
    result = backtest(strategy, "spx_daily", end="1999-01-31", max_position_weight=0.5, config=CFG)
    assert strategy.events, "every 100 % order must be denied by the 50 % weight limit"
    assert "max_position_weight" in strategy.events[0].reason  # type: ignore[attr-defined]
    assert set(result.orders["status"]) == {"denied"}
    assert result.fills.empty


def test_bars_before_start_only_warm_up() -> None:
    result = backtest("sma_cross", "spx_daily", start="2005-01-01", config=CFG)
    assert result.equity.index[0] >= pd.Timestamp("2005-01-01", tz="UTC")
    assert (result.fills["ts"] >= pd.Timestamp("2005-01-01", tz="UTC")).all()
    # The 30-day SMA was warm on the first day: a signal can trade on day one.
    assert result.fills["ts"].iloc[0] < pd.Timestamp("2005-01-10", tz="UTC")


def test_many_symbols_buy_and_hold_splits_cash() -> None:
    result = backtest(
        "buy_and_hold", "stocks20_close", symbols=["AAPL", "MSFT", "XOM"], end="2000-12-31",
        config=CFG,
    )  # fmt: skip
    buys = result.fills.groupby("symbol")["quantity"].sum()
    assert set(buys.index) == {"AAPL", "MSFT", "XOM"}
    notional = (
        (result.fills["quantity"] * result.fills["price"]).groupby(result.fills["symbol"]).sum()
    )
    assert (notional < 100_000 / 3 * 1.01).all()
    assert result.costs["commission"] > 0
    assert Decimal(str(result.settings["backtest"]["cash"])) == Decimal("100000")
