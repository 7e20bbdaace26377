"""pairs_trading: selection, hedge ratios, entries and exits on constructed pairs; no
look-ahead and a costed run on the bundled stocks; the CLI."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.regression.linear_model import OLS
from typer.testing import CliRunner

from alphaforge.cli.main import app
from alphaforge.domain.errors import InvalidValueError
from alphaforge.runtime import backtest
from alphaforge.strategies.library.pairs_trading import PairsTrading
from alphaforge.testing import assert_no_lookahead

JUMP_AT = 400  # the bar where the constructed spread jumps
JUMP_BARS = 20  # how long it stays up
BETA = 1.3
NO_COSTS = {"commission_bps": 0.0, "slippage_bps": 0.0}


def _pair(bump: tuple[int, float] | None = None, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Constructed closes with a known answer: log AAA = 0.1 + 1.3 log BBB + s, where s is an
    AR(1) (phi 0.8, sd 0.0067) plus 0.05 for bars JUMP_AT..JUMP_AT+19 (about +5 z) and
    ``bump`` = (offset, size) on top; CCC is an unrelated random walk."""
    n = 500
    rng = np.random.default_rng(seed)
    index = pd.date_range("2020-01-01", periods=n, freq="B", tz="UTC")
    log_b = math.log(60) + np.cumsum(rng.normal(0, 0.01, n))
    shocks = rng.normal(0, 0.004, n)
    spread = np.zeros(n)
    for t in range(1, n):
        spread[t] = 0.8 * spread[t - 1] + shocks[t]
    spread[JUMP_AT : JUMP_AT + JUMP_BARS] += 0.05
    if bump is not None:
        spread[JUMP_AT + bump[0] : JUMP_AT + JUMP_BARS] += bump[1]
    log_a = 0.1 + BETA * log_b + spread
    log_c = math.log(40) + np.cumsum(rng.normal(0, 0.01, n))
    return {
        name: pd.DataFrame({"close": np.exp(v)}, index=index)
        for name, v in (("AAA", log_a), ("BBB", log_b), ("CCC", log_c))
    }


def _run(data: dict[str, pd.DataFrame], **params: object) -> tuple[PairsTrading, pd.DatetimeIndex]:
    strategy = PairsTrading(reselect="Y", **params)
    result = backtest(strategy, data, **NO_COSTS)
    return strategy, result.equity.index


def _around_jump(strategy: PairsTrading, stamps: pd.DatetimeIndex) -> list[tuple[int, str]]:
    """(bar, action) of the decisions from the jump on."""
    bars = [(stamps.get_loc(pd.Timestamp(d.ts, tz="UTC")), d.action) for d in strategy.decisions]
    return [(b, a) for b, a in bars if b >= JUMP_AT]


def test_selects_the_cointegrated_pair_and_recovers_the_hedge_ratio() -> None:
    strategy, _ = _run(_pair(), stop_z=None)
    assert strategy.selections
    for _, chosen in strategy.selections:
        assert [(c.first, c.second) for c in chosen] == [("AAA", "BBB")]
        assert chosen[0].beta == pytest.approx(BETA, abs=0.05)
    assert strategy.decisions
    before_jump = [d for d in strategy.decisions if d.action in ("long", "short")][:3]
    for d in before_jump:
        assert d.beta == pytest.approx(BETA, abs=0.05)  # rolling OLS at entry


def test_enters_short_at_the_jump_and_exits_when_the_spread_returns() -> None:
    strategy, stamps = _run(_pair(), stop_z=None, half_life_mult=None)
    events = _around_jump(strategy, stamps)
    assert events[:2] == [(JUMP_AT, "short"), (JUMP_AT + JUMP_BARS, "exit")]
    entry = next(d for d in strategy.decisions if d.action == "short" and d.z > 4)
    # The z-score, recomputed independently: OLS of the last 252 log closes, spread of the
    # last 60 bars under that fit, sample standard deviation.
    data = _pair()
    at = stamps.get_loc(pd.Timestamp(entry.ts, tz="UTC"))
    y = np.log(data["AAA"]["close"].to_numpy()[at - 251 : at + 1])
    x = np.log(data["BBB"]["close"].to_numpy()[at - 251 : at + 1])
    beta = OLS(y, np.column_stack([np.ones(252), x])).fit().params[1]
    spread = pd.Series(y[-60:] - beta * x[-60:])
    assert entry.z == pytest.approx((spread.iloc[-1] - spread.mean()) / spread.std(), rel=1e-9)
    assert entry.beta == pytest.approx(beta, rel=1e-9)


def test_sizes_the_legs_one_to_beta_of_gross() -> None:
    data = _pair()
    strategy = PairsTrading(reselect="Y", stop_z=None, gross=1.5)
    result = backtest(strategy, data, **NO_COSTS)
    first = strategy.decisions[0]
    assert first.action in ("long", "short")
    orders = result.orders[result.orders["created"] == pd.Timestamp(first.ts, tz="UTC")]
    at = result.equity.index.get_loc(pd.Timestamp(first.ts, tz="UTC"))
    equity = result.equity["equity"].iloc[at]
    sign = 1 if first.action == "long" else -1
    leg = 1.5 / (1 + first.beta) * equity
    for symbol, dollars in (("AAA", sign * leg), ("BBB", -sign * first.beta * leg)):
        row = orders[orders["symbol"] == symbol].iloc[0]
        signed = row["quantity"] * (1 if row["side"] == "buy" else -1)
        price = data[symbol]["close"].iloc[at]
        assert abs(signed * price - dollars) <= price  # whole shares


def test_time_stop_fires_after_the_half_life_multiple() -> None:
    strategy, stamps = _run(_pair(), stop_z=None, half_life_mult=2.0)
    half_life = strategy.selections[0][1][0].half_life
    limit = math.ceil(2.0 * half_life)
    events = _around_jump(strategy, stamps)
    assert events[:2] == [(JUMP_AT, "short"), (JUMP_AT + limit, "time_stop")]


def test_stop_loss_fires_when_the_spread_runs_further() -> None:
    """The spread jumps (entry) and three bars later jumps much further: z beyond stop_z."""
    strategy, stamps = _run(_pair(bump=(3, 0.2)), stop_z=6.0)
    events = _around_jump(strategy, stamps)
    assert events[:2] == [(JUMP_AT, "short"), (JUMP_AT + 3, "stop")]
    # No new trade while the spread stays stretched: re-armed only once |z| < entry_z.
    assert all(bar >= JUMP_AT + JUMP_BARS for bar, _ in events[2:])


def test_kalman_hedge_tracks_the_ratio_and_trades_the_jump() -> None:
    strategy, stamps = _run(_pair(), hedge="kalman", stop_z=None, half_life_mult=None)
    events = _around_jump(strategy, stamps)
    assert events[:2] == [(JUMP_AT, "short"), (JUMP_AT + JUMP_BARS, "exit")]
    for d in strategy.decisions[:4]:
        assert d.beta == pytest.approx(BETA, abs=0.05)


def test_a_pair_that_is_not_cointegrated_is_not_traded() -> None:
    """Constructed: CCC and DDD share one random walk plus each its own: correlated, not
    cointegrated. Nothing passes, nothing trades; forced, the pair trades."""
    data = _pair()
    rng = np.random.default_rng(11)
    walk = np.cumsum(rng.normal(0, 0.01, 500))
    ddd = data["CCC"]["close"].to_numpy() * np.exp(walk)
    pair = {"CCC": data["CCC"], "DDD": pd.DataFrame({"close": ddd}, index=data["CCC"].index)}
    strategy = PairsTrading()
    result = backtest(strategy, pair)
    assert strategy.selections
    assert all(chosen == [] for _, chosen in strategy.selections)
    assert result.orders.empty
    forced = PairsTrading(require_cointegration=False)
    assert not backtest(forced, pair).orders.empty


def test_parameters_are_checked() -> None:
    with pytest.raises(InvalidValueError, match="exit_z"):
        PairsTrading(entry_z=1.0, exit_z=1.5)
    with pytest.raises(InvalidValueError, match="stop_z"):
        PairsTrading(entry_z=2.0, stop_z=1.5)
    with pytest.raises(InvalidValueError, match="z_window"):
        PairsTrading(z_window=300)


def test_no_lookahead_on_real_stocks() -> None:
    """Cuts inside a holding period and on the first bars of quarters (reselection days)."""
    result = assert_no_lookahead(
        "pairs_trading",
        "stocks20_close",
        cuts=["2021-12-08 23:00", "2022-01-03 23:00", "2022-04-01 23:00", "2022-06-21 23:00"],
        symbols=["KO", "PEP", "XOM", "CVX"],
        params={"top_k": 2, "require_cointegration": False, "reselect": "Q",
                "reselect_every": 1, "entry_z": 1.5},
        start="2021-06-01",
    )  # fmt: skip
    assert result.metrics.number_of_trades > 0


def test_real_run_with_costs_and_borrow_trades() -> None:
    result = backtest("pairs_trading", start="2012-01-01", end="2016-12-31")
    m = result.metrics
    assert m.number_of_trades > 0
    assert math.isfinite(m.sharpe_ratio)
    assert math.isfinite(m.max_drawdown)
    assert result.costs["commission"] > 0
    assert result.costs["borrow"] > 0  # shorts pay the default 0.5 % a year
    assert (result.orders["side"] == "sell").any()


def test_cli_backtest_runs() -> None:
    symbols = ["--symbols", "KO", "--symbols", "PEP"]
    params = ["-p", "require_cointegration=false", "-p", "hedge=kalman"]
    args = ["backtest", "-s", "pairs_trading", *symbols, *params, "--start", "2020-01-01"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Sharpe ratio" in result.output
