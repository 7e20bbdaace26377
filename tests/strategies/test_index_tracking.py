"""index_tracking: the fitted basket, entries and exits on the spread's z-score, leg sizes, the
stop, tracking error in and out of sample, no look-ahead, and runs on the bundled index and
stocks (API and CLI)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from alphaforge.cli._common import console
from alphaforge.cli.main import app
from alphaforge.domain.errors import InvalidValueError
from alphaforge.runtime import backtest
from alphaforge.strategies.library.index_tracking import IndexTracking
from alphaforge.testing import assert_no_lookahead

NO_COSTS = {"cash": 1_000_000, "commission_bps": 0.0, "slippage_bps": 0.0, "borrow_rate": 0.0}
WEIGHTS = {"AAA": 0.5, "BBB": 0.3, "CCC": 0.2}
SMALL = {"fit_window": 40, "z_window": 20, "entry_z": 2.5, "exit_z": 1.5, "stop_z": 6.0,
         "max_weight": 1.0}  # fmt: skip
N = 125  # business days of 2020 from January 1 to June 16


def _market(bumps: dict[int, float]) -> dict[str, pd.DataFrame]:
    """Constructed: three random-walk stocks (fixed seed) and an index whose daily returns are
    exactly 0.5/0.3/0.2 of theirs (a basket rebalanced daily) until the first refit (April), then
    that level times exp(+-0.1 %) alternating day by day, plus ``bumps`` (day -> log bump)."""
    rng = np.random.default_rng(11)
    index = pd.date_range("2020-01-01", periods=N, freq="B", tz="UTC")
    returns = rng.normal(0.0005, 0.012, (N - 1, 3))
    stocks = 50.0 * np.cumprod(np.vstack([np.ones(3), 1.0 + returns]), axis=0)
    basket = 3000.0 * np.cumprod(np.concatenate([[1.0], 1.0 + returns @ list(WEIGHTS.values())]))
    noise = np.where(np.arange(N) % 2 == 0, 0.001, -0.001)
    noise[index < pd.Timestamp("2020-04-01", tz="UTC")] = 0.0  # the fit window tracks exactly
    for day, bump in bumps.items():
        noise[day] += bump
    frames = {"SPX": pd.DataFrame({"close": basket * np.exp(noise)}, index=index)}
    for i, symbol in enumerate(WEIGHTS):
        frames[symbol] = pd.DataFrame({"close": stocks[:, i]}, index=index)
    return frames


BUMP_DAY = 116  # 2020-06-11 (well after the April fit and a full z window)


def _tags(result: object) -> list[tuple[str, str, str]]:
    orders = result.orders  # type: ignore[attr-defined]
    return [
        (t.date().isoformat(), sym, tag.split(" ")[0])
        for t, sym, tag in zip(orders["created"], orders["symbol"], orders["tag"], strict=True)
    ]


def test_the_fit_recovers_a_basket_that_tracks_exactly() -> None:
    strat = IndexTracking(**SMALL)
    backtest(strat, _market({}), **NO_COSTS)
    assert len(strat.fits) == 1  # one refit: the first bar of April (January lacked history)
    fit = strat.fits[0]
    assert fit.weights == pytest.approx(WEIGHTS, abs=1e-5)
    assert fit.in_sample < 1e-5
    assert 0.0 < fit.out_of_sample < 0.1  # the alternating +-0.1 % noise after the fit


def test_no_trade_while_the_spread_is_only_noise() -> None:
    result = backtest(IndexTracking(**SMALL), _market({}), **NO_COSTS)
    assert len(result.orders) == 0


@pytest.mark.parametrize(("bump", "index_side"), [(0.008, "sell"), (-0.008, "buy")])
def test_a_rich_index_is_sold_against_the_basket_and_the_trade_closes(
    bump: float, index_side: str
) -> None:
    """A one-day 0.8 % bump of the index over its basket (|z| about 3.3) opens the trade; the
    next day the spread is back within the noise and it closes."""
    strat = IndexTracking(**SMALL)
    result = backtest(strat, _market({BUMP_DAY: bump}), **NO_COSTS)
    orders = result.orders
    enter = orders[orders["tag"].str.startswith("enter")]
    exits = orders[orders["tag"].str.startswith("exit")]
    assert set(enter["symbol"]) == {"SPX", "AAA", "BBB", "CCC"}
    assert len(exits) == 4
    assert enter["created"].max() < exits["created"].min()
    assert (exits["created"] - enter["created"].max()).max() == pd.Timedelta(days=1)
    assert enter.set_index("symbol").loc["SPX", "side"] == index_side
    stock_side = {"sell": "buy", "buy": "sell"}[index_side]
    assert set(enter[enter["symbol"] != "SPX"]["side"]) == {stock_side}
    # each leg is leg_weight (0.5) of the 1,000,000 equity at the decision's closes
    market = _market({BUMP_DAY: bump})
    notional = {
        sym: float(qty) * market[sym]["close"].iloc[BUMP_DAY]
        for sym, qty in zip(enter["symbol"], enter["quantity"], strict=True)
    }
    assert notional["SPX"] == pytest.approx(500_000, rel=0.01)
    assert sum(v for s, v in notional.items() if s != "SPX") == pytest.approx(500_000, rel=0.01)


def test_a_runaway_spread_is_stopped_and_not_reentered_at_once() -> None:
    """A 0.6 % bump opens the trade (z 2.9); the spread then runs 3 % away (z 4.1 > stop_z 3.5):
    the trade is stopped, and no new one opens while the spread stays out there."""
    strat = IndexTracking(**{**SMALL, "stop_z": 3.5})
    bumps = {BUMP_DAY: 0.006, BUMP_DAY + 1: 0.03, BUMP_DAY + 2: 0.03}
    result = backtest(strat, _market(bumps), **NO_COSTS)
    kinds = [(day, tag) for day, sym, tag in _tags(result) if sym == "SPX"]
    assert [tag for _, tag in kinds] == ["enter", "stop"]
    assert kinds[1][0] > kinds[0][0]


def test_the_index_must_be_in_the_data() -> None:
    market = _market({})
    market["SPY"] = market.pop("SPX")
    with pytest.raises(InvalidValueError, match="index 'SPX' is not in the data"):
        backtest(IndexTracking(**SMALL), market, **NO_COSTS)
    with pytest.raises(InvalidValueError, match="exit_z < entry_z < stop_z"):
        IndexTracking(entry_z=5.0, stop_z=4.0)


def test_no_lookahead_on_the_real_index() -> None:
    full = assert_no_lookahead(
        "index_tracking",
        ["sp500_index_close", "stocks20_close"],
        symbols=["SPX", "AAPL", "JNJ", "XOM", "KO", "JPM", "MSFT"],
        start="2019-01-01",
        params={"z_window": 40},
        cuts=["2020-04-01 20:00", "2021-07-01 20:00"],  # refit days: the fit must not peek
    )
    assert len(full.fills) > 0


def test_a_real_run_with_costs_trades_and_reports_tracking_error() -> None:
    strat = IndexTracking()
    result = backtest(strat, start="2016-01-01", commission_bps=2, slippage_bps=2)
    assert sorted(result.prices)[:2] == ["AAPL", "AMD"]
    assert len(result.prices) == 21
    assert len(result.fills) > 50
    assert result.costs["commission"] > 0
    assert result.costs["borrow"] > 0
    summary = strat.tracking_summary()
    assert summary["fits"] >= 27
    assert 0 < summary["in_sample"] < summary["out_of_sample"] < 0.2  # out of sample is worse
    assert math.isfinite(result.metrics.sharpe_ratio)
    assert strat.notes == []  # no order refused, no failed fit


def test_cli_backtest_runs_index_tracking(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ALPHAFORGE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(console, "_width", 200)
    args = ["backtest", "-s", "index_tracking", "--start", "2020-01-01", "-p", "z_window=40"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Sharpe ratio" in result.stdout
    assert "borrow" in result.stdout
