"""ensemble: members' orders become votes; votes blend by weight or majority; no look-ahead."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from alphaforge.cli._common import ExitCode, console, err_console
from alphaforge.cli.main import app
from alphaforge.domain.enums import OrderSide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.intents import OrderIntent
from alphaforge.domain.market import Bar
from alphaforge.runtime import backtest
from alphaforge.strategies import Strategy, StrategyContext
from alphaforge.strategies.library._ensemble import (
    MemberContext,
    bounded_shares,
    combine,
    performance_shares,
)
from alphaforge.strategies.library.ensemble import Ensemble
from alphaforge.testing import assert_no_lookahead

CASH = 1_000_000
NO_COSTS = {"cash": CASH, "commission_bps": 0.0, "slippage_bps": 0.0}


def _frame(log_returns: np.ndarray, start: str = "2020-01-01") -> pd.DataFrame:
    closes = 100.0 * np.exp(np.concatenate([[0.0], np.cumsum(log_returns)]))
    index = pd.date_range(start, periods=closes.size, freq="B", tz="UTC")
    return pd.DataFrame({"close": closes}, index=index)


def _zigzag(n: int, drift: float, swing: float = 0.01) -> np.ndarray:
    return drift + swing * np.where(np.arange(n) % 2 == 0, 1.0, -1.0)


# ---------------------------------------------------------------------- the maths


def test_average_is_the_share_weighted_mean_vote() -> None:
    votes = np.array([1.0, 0.0, -0.5])
    assert combine(votes, np.array([0.5, 0.25, 0.25]), "average") == pytest.approx(0.375)


@pytest.mark.parametrize(
    ("votes", "shares", "expected"),
    [
        ([1.0, 1.0, 0.0], [1 / 3, 1 / 3, 1 / 3], 1.0),  # two of three long: long
        ([1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], 0.0),  # one of three: no majority, flat
        ([1.0, 0.0], [0.5, 0.5], 0.0),  # a tie is not a majority
        ([-0.5, -1.0, 1.0], [0.4, 0.4, 0.2], -0.75),  # short side, mean size of its voters
        ([0.6, 0.0, -1.0], [0.6, 0.1, 0.3], 0.6),
    ],
)
def test_vote_needs_a_weighted_majority(
    votes: list[float], shares: list[float], expected: float
) -> None:
    got = combine(np.array(votes), np.array(shares), "vote", quorum=0.5)
    assert got == pytest.approx(expected)


def test_performance_shares_follow_positive_sharpe_with_floor_and_cap() -> None:
    """Constructed returns with known per-bar Sharpe ratios 0.1, 0.3 and -0.2."""
    noise = 0.01 * np.where(np.arange(100) % 2 == 0, 1.0, -1.0)  # mean 0, std 0.01
    returns = np.vstack([0.001 + noise, 0.003 + noise, -0.002 + noise])
    static = np.full(3, 1 / 3)
    assert performance_shares(returns, static, 0.0, 1.0) == pytest.approx([0.25, 0.75, 0.0])
    # a floor of 0.1 pins the loser; the other 0.9 is shared 1:3
    assert performance_shares(returns, static, 0.1, 1.0) == pytest.approx([0.225, 0.675, 0.1])
    # a cap of 0.6 pins the winner; the rest goes by score (the loser scores 0)
    assert performance_shares(returns, static, 0.0, 0.6) == pytest.approx([0.4, 0.6, 0.0])
    # static weights scale the scores: a 3x weight on the first member evens them
    uneven = np.array([0.6, 0.2, 0.2])
    assert performance_shares(returns, uneven, 0.0, 1.0) == pytest.approx([0.5, 0.5, 0.0])
    # nobody above 0 (or flat): the static weights
    losers = np.vstack([-0.001 + noise, -0.003 + noise, noise])
    assert performance_shares(losers, uneven, 0.0, 1.0) == pytest.approx(uneven)
    assert performance_shares(np.zeros((3, 10)), uneven, 0.0, 1.0) == pytest.approx(uneven)
    assert bounded_shares(np.zeros(4), 0.0, 1.0) == pytest.approx([0.25] * 4)


# ---------------------------------------------------------------------- capturing members


class _Probe(Strategy):
    """Drives a MemberContext by hand inside a real run and records what it captured."""

    def on_start(self, ctx: StrategyContext) -> None:
        self.member = MemberContext(ctx, "probe")
        self.seen: dict[str, object] = {}
        self.bars = 0

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        self.bars += 1
        m = self.member
        if self.bars == 3:
            m.target_percent("X", 0.5)
            self.seen["weight"] = m.portfolio.weight("X")
            self.seen["quantity"] = float(m.portfolio.quantity("X"))
            self.seen["price"] = bar.close
            self.seen["equity"] = ctx.portfolio.equity()
        elif self.bars == 4:
            m.order("X", OrderSide.SELL, 1000.0)  # a market order moves the vote at once
            m.order("X", OrderSide.BUY, 5.0, limit_price=1.0)  # conditional: not counted
            m.submit(OrderIntent.stop("X", OrderSide.SELL, 5, 50.0))
            self.seen["after_orders"] = m.votes["X"]
            self.seen["price4"] = bar.close
            self.seen["equity4"] = ctx.portfolio.equity()
        elif self.bars == 5:
            m.target_quantity("X", 2000.0)
            self.seen["after_quantity"] = m.votes["X"]
            self.seen["price5"] = bar.close
        elif self.bars == 6:
            self.seen["unchanged"] = m.target_weights({"X": m.votes["X"]})
            m.target_weights({})
            self.seen["open_orders"] = list(m.open_orders())


def test_member_orders_become_votes_and_never_reach_the_broker() -> None:
    """Constructed rising closes; the probe's member orders must change only its votes."""
    probe = _Probe()
    result = backtest(probe, {"X": _frame(_zigzag(20, 0.002))}, **NO_COSTS)
    assert len(result.orders) == 0  # nothing captured went out
    seen, member = probe.seen, probe.member
    assert seen["weight"] == 0.5
    assert seen["quantity"] == pytest.approx(0.5 * seen["equity"] / seen["price"])  # type: ignore[operator]
    sold = 1000.0 * seen["price4"] / seen["equity4"]  # type: ignore[operator]
    assert seen["after_orders"] == pytest.approx(0.5 - sold)
    assert member.ignored == 2  # the limit and the stop order
    assert seen["after_quantity"] == pytest.approx(2000.0 * seen["price5"] / CASH)  # type: ignore[operator]
    assert seen["unchanged"] == []  # the same vote again sends nothing
    assert member.votes["X"] == 0.0  # target_weights({}) votes every symbol to 0
    assert member.portfolio.weights() == {}
    assert seen["open_orders"] == []
    with pytest.raises(InvalidValueError, match="unknown symbol 'Y'"):
        member.target_percent("Y", 0.1)


# ---------------------------------------------------------------------- whole runs, known answers


def _fall_then_rise() -> pd.DataFrame:
    """Constructed: 40 bars down, then 40 bars up (zigzag, so the RSI stays between 30 and 70)."""
    return _frame(np.concatenate([_zigzag(40, -0.004), _zigzag(40, 0.004)]))


def test_average_holds_half_while_members_disagree_then_all_when_they_agree() -> None:
    """buy_and_hold votes 1 from the start; sma_cross votes 0 in the fall and 1 in the rise."""
    members = [
        {"strategy": "buy_and_hold", "params": {"weight": 0.9}},
        {"strategy": "sma_cross", "params": {"fast": 2, "slow": 5, "weight": 0.9}},
    ]
    frame = _fall_then_rise()
    strategy = Ensemble(members=members, weighting="static")
    result = backtest(strategy, {"X": frame}, **NO_COSTS)
    orders = result.orders
    assert list(orders["side"]) == ["buy", "buy"]
    first, second = orders.iloc[0], orders.iloc[1]
    close = frame["close"]
    at_first = close[close.index < first["created"]].iloc[-1]
    assert first["quantity"] == pytest.approx(0.45 * CASH / at_first, abs=1.0)
    assert second["created"] > frame.index[40]  # only once the rise has turned the SMAs
    assert strategy.sent["X"] == pytest.approx(0.9)


def test_vote_mode_waits_for_a_majority() -> None:
    """Same members and series: a 1-1 tie holds nothing; agreement buys the full 0.9."""
    members = [
        {"strategy": "buy_and_hold", "params": {"weight": 0.9}},
        {"strategy": "sma_cross", "params": {"fast": 2, "slow": 5, "weight": 0.9}},
    ]
    frame = _fall_then_rise()
    result = backtest(
        Ensemble(members=members, weighting="static", mode="vote"), {"X": frame}, **NO_COSTS
    )
    orders = result.orders
    assert orders.iloc[0]["created"] > frame.index[40]
    close = frame["close"]
    at_first = close[close.index < orders.iloc[0]["created"]].iloc[-1]
    assert orders.iloc[0]["quantity"] == pytest.approx(0.9 * CASH / at_first, abs=1.0)


def test_performance_weighting_moves_to_the_member_that_earns() -> None:
    """Constructed steady zigzag rise: buy_and_hold earns, rsi_reversion never enters (its RSI
    stays near 60) and earns 0. Static 50/50 until `window` bars, then all on buy_and_hold."""
    members = [
        {"strategy": "buy_and_hold", "params": {"weight": 0.9}},
        {"strategy": "rsi_reversion"},
    ]
    frame = _frame(_zigzag(120, 0.003))
    strategy = Ensemble(members=members, weighting="performance", window=30)
    result = backtest(strategy, {"X": frame}, **NO_COSTS)
    orders = result.orders
    assert list(orders["side"]) == ["buy", "buy"]
    assert orders.iloc[1]["created"] > frame.index[30]
    assert strategy.shares["X"] == pytest.approx([1.0, 0.0])
    assert strategy.sent["X"] == pytest.approx(0.9)
    assert strategy.members[1].ctx.votes.get("X", 0.0) == 0.0


def test_parameters_are_checked() -> None:
    with pytest.raises(InvalidValueError, match=r"member 0 \(sma_crosss\).*did you mean"):
        Ensemble(members=[{"strategy": "sma_crosss"}])
    with pytest.raises(InvalidValueError, match=r"member 1 .*fast"):
        Ensemble(
            members=[{"strategy": "buy_and_hold"}, {"strategy": "sma_cross", "params": {"fast": 0}}]
        )
    with pytest.raises(InvalidValueError, match="floor"):
        Ensemble(members=[{"strategy": "buy_and_hold"}, {"strategy": "sma_cross"}], floor=0.6)


def test_a_member_needing_more_symbols_is_refused_by_name() -> None:
    with pytest.raises(InvalidValueError, match="member m0:pairs_trading trades at least"):
        backtest(Ensemble(members=[{"strategy": "pairs_trading"}]), "wti_daily")


# ---------------------------------------------------------------------- real data


def test_no_lookahead_on_spx() -> None:
    full = assert_no_lookahead("ensemble", "spx_daily", start="2009-01-01")
    assert len(full.fills) > 5
    voted = assert_no_lookahead(
        "ensemble", "spx_daily", params={"mode": "vote", "window": 40}, start="2012-01-01"
    )
    assert len(voted.fills) > 2


def test_real_run_with_costs_trades() -> None:
    result = backtest("ensemble", "msft_daily", start="2005-01-01")
    assert len(result.fills) > 10
    assert result.costs["commission"] > 0
    m = result.metrics
    assert all(math.isfinite(x) for x in (m.sharpe_ratio, m.annual_return, m.max_drawdown))
    assert (result.orders["status"] == "denied").sum() == 0


def test_cli_backtest_with_json_members(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ALPHAFORGE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    for con in (console, err_console):
        monkeypatch.setattr(con, "_width", 200)
    members = (
        '[{"strategy": "sma_cross", "params": {"fast": 10, "slow": 50}}, '
        '{"strategy": "rsi_reversion"}, {"strategy": "buy_and_hold", "weight": 0.5}]'
    )
    runner = CliRunner()
    args = ["backtest", "--strategy", "ensemble", "--data", "spx_daily", "--start", "2010-01-01",
            "-p", f"members={members}", "-p", "mode=vote"]  # fmt: skip
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.stderr
    assert "Sharpe ratio" in out.stdout
    bad = runner.invoke(app, ["backtest", "-s", "ensemble", "-p", 'members=[{"strategy": "x"}]'])
    assert bad.exit_code == ExitCode.USAGE, bad.stderr
    assert "member 0" in bad.stderr
