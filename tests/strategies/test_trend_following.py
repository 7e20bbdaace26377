"""trend_following: signs of past returns, volatility-targeted sizes, caps, band, no look-ahead."""

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
from alphaforge.strategies.library.trend_following import (
    TrendFollowing,
    ewma_volatility,
    trend_signal,
    trend_weights,
)
from alphaforge.testing import assert_no_lookahead

CASH = 1_000_000
NO_COSTS = {"cash": CASH, "commission_bps": 0.0, "slippage_bps": 0.0}


def _zigzag(n: int, drift: float, swing: float = 0.01, start: str = "2020-01-01") -> pd.DataFrame:
    """Constructed closes whose log returns alternate drift + swing and drift - swing."""
    steps = drift + swing * np.where(np.arange(n - 1) % 2 == 0, 1.0, -1.0)
    closes = 100.0 * np.exp(np.concatenate([[0.0], np.cumsum(steps)]))
    index = pd.date_range(start, periods=n, freq="B", tz="UTC")
    return pd.DataFrame({"close": closes}, index=index)


def _reference_vol(closes: np.ndarray, com: float) -> float:
    """MOP (2012) eq. 1 written out as a loop: EW mean, EW variance, 252 bars a year."""
    returns = [math.log(closes[i] / closes[i - 1]) for i in range(1, len(closes))]
    delta = com / (1 + com)
    weights = [delta**age for age in range(len(returns))][::-1]  # the newest return weighs 1
    total = sum(weights)
    mean = sum(w * r for w, r in zip(weights, returns, strict=True)) / total
    var = sum(w * (r - mean) ** 2 for w, r in zip(weights, returns, strict=True)) / total
    return math.sqrt(252 * var)


def _first_order(result: object) -> pd.Series:
    orders = result.orders  # type: ignore[attr-defined]
    assert len(orders) > 0, "the strategy never traded"
    return orders.iloc[0]


def test_ewma_volatility_matches_the_formula_written_out() -> None:
    closes = load_closes("AAPL", 400)
    for com in (5.0, 20.0):
        used = closes[-(10 * int(com) + 1) :]  # the latest 10 * com returns
        assert ewma_volatility(closes, com, 252.0) == pytest.approx(
            _reference_vol(used, com), rel=1e-10
        )
        assert ewma_volatility(closes, com, 252.0) == pytest.approx(
            _reference_vol(closes, com), rel=1e-3
        )
    assert math.isnan(ewma_volatility(closes[:2], 60.0, 252.0))  # one return is not enough


def load_closes(symbol: str, n: int) -> np.ndarray:
    from alphaforge.data.bundled import load_dataset  # noqa: PLC0415

    return load_dataset("stocks20_close")[symbol].to_numpy()[-n:]


def test_trend_signal_averages_signs_and_clips_scores() -> None:
    """Constructed closes: up over 3 bars and 10 bars, down over 5."""
    closes = np.array([100.0, 90, 80, 95, 96, 97, 110, 120, 110, 105, 104])
    assert trend_signal(closes, (3, 5, 10)) == pytest.approx((-1 + 1 + 1) / 3)
    assert math.isnan(trend_signal(closes, (11,)))  # needs 12 closes
    # clipped: a 4-bar log move of 0.02 with a daily vol of 0.02 scores 0.02 / (0.02 * 2) = 0.5
    path = 100.0 * np.exp([0.0, 0.0, 0.0, 0.0, 0.02])
    assert trend_signal(path, (4,), "clipped", daily_vol=0.02) == pytest.approx(0.5)
    assert trend_signal(path, (4,), "clipped", daily_vol=0.001) == 1.0


def test_weights_are_vol_targeted_then_capped_per_asset_and_in_gross() -> None:
    signals = {"A": 1.0, "B": -1.0, "C": 0.5, "D": math.nan}  # D: not enough history yet
    vols = {"A": 0.2, "B": 0.1, "C": 0.4, "D": 0.3}
    got = trend_weights(
        signals, vols, target_vol=0.4, max_weight=1.0, max_gross=10.0, long_only=False
    )
    # N = 3 assets with a signal: A 0.4/0.2/3, B -0.4/0.1/3 = -1.33 capped at -1, C 0.5*0.4/0.4/3
    assert got == pytest.approx({"A": 2 / 3, "B": -1.0, "C": 1 / 6, "D": 0.0})
    capped = trend_weights(
        signals, vols, target_vol=0.4, max_weight=1.0, max_gross=1.5, long_only=False
    )
    scale = 1.5 / (2 / 3 + 1 + 1 / 6)
    assert capped == pytest.approx({"A": 2 / 3 * scale, "B": -scale, "C": scale / 6, "D": 0.0})
    long_only = trend_weights(
        signals, vols, target_vol=0.4, max_weight=1.0, max_gross=10.0, long_only=True
    )
    assert long_only["B"] == 0.0
    assert long_only["A"] == pytest.approx(2 / 3)


@pytest.mark.parametrize(("drift", "side"), [(0.002, "buy"), (-0.002, "sell")])
def test_rising_goes_long_falling_goes_short_at_the_hand_computed_size(
    drift: float, side: str
) -> None:
    """Constructed zigzag trend (even lookbacks span whole swings): every lookback agrees, so
    the weight is target_vol / sigma / 1."""
    frame = _zigzag(200, drift)
    strategy = TrendFollowing(lookbacks=(4, 20), target_vol=0.1, vol_com=10)
    result = backtest(strategy, {"UP": frame}, start="2020-06-01", **NO_COSTS)
    order = _first_order(result)
    assert order["side"] == side
    # daily bars are stamped at their open: the bar that closes at `created` opened a day before
    decided = frame.loc[frame.index < order["created"], "close"].to_numpy()
    weight = 0.1 / _reference_vol(decided, 10.0)
    assert math.copysign(1.0, strategy.last_weights["UP"]) == math.copysign(1.0, drift)
    assert order["quantity"] == pytest.approx(weight * CASH / decided[-1], abs=1.0)
    # monthly: one order per month while the trend holds, never a second one inside a month
    months = [(t.year, t.month) for t in result.orders["created"]]
    assert len(months) == len(set(months)) > 3


def test_mixed_lookbacks_cancel_and_long_only_stays_out_of_a_fall() -> None:
    """Constructed: 150 bars up, then 12 bars down: the 4-bar return is negative, the 60-bar
    positive, so the average signal is 0; a steady fall gives a long-only book nothing."""
    up = _zigzag(150, 0.003)
    down = _zigzag(13, -0.01, start=str(up.index[-1].date()))
    down["close"] *= up["close"].iloc[-1] / down["close"].iloc[0]
    frame = pd.concat([up, down.iloc[1:]])
    start = str(down.index[5].date())  # a new month has begun inside the fall
    assert pd.Timestamp(start).month != up.index[-1].month
    flat = TrendFollowing(lookbacks=(4, 60), rebalance="D")
    result = backtest(flat, {"X": frame}, start=start, **NO_COSTS)
    assert flat.last_weights["X"] == 0.0
    assert len(result.orders) == 0
    falling = _zigzag(120, -0.003)
    result = backtest(
        TrendFollowing(lookbacks=(4, 20), mode="long_only"),
        {"X": falling},
        start="2020-04-01",
        **NO_COSTS,
    )
    assert len(result.orders) == 0


def test_a_late_asset_waits_for_its_longest_lookback_and_then_shares_the_book() -> None:
    """Constructed: A trades from the start; B's history starts 100 bars later."""
    a = _zigzag(260, 0.002)
    b = _zigzag(160, 0.002, start=str(a.index[100].date()))
    strategy = TrendFollowing(lookbacks=(4, 60), target_vol=0.1, vol_com=10)
    result = backtest(strategy, {"A": a, "B": b}, start="2020-04-01", **NO_COSTS)
    orders = result.orders
    first_b = orders.loc[orders["symbol"] == "B", "created"].min()
    assert first_b > b.index[60]  # B needs 61 closes (its 61st closes a day after it opens)
    first_a = orders.loc[orders["symbol"] == "A", "created"].min()
    assert first_a < b.index[60]
    assert set(strategy.last_weights) == {"A", "B"}
    # at the end both have a signal: each gets target_vol / sigma / 2
    vol_b = _reference_vol(b["close"].to_numpy(), 10.0)
    assert strategy.last_weights["B"] == pytest.approx(0.1 / vol_b / 2, rel=0.05)


def test_the_band_skips_small_changes() -> None:
    """Constructed zigzag, rebalanced daily: without a band the size follows the volatility."""
    frame = _zigzag(200, 0.002, swing=0.01)
    frame.iloc[150:, 0] *= np.exp(np.cumsum(np.where(np.arange(50) % 2 == 0, 0.01, -0.01)))
    loose = backtest(
        TrendFollowing(lookbacks=(4, 20), rebalance="D", band=0.0, vol_com=10, target_vol=0.1),
        {"X": frame},
        start="2020-04-01",
        **NO_COSTS,
    )
    tight = backtest(
        TrendFollowing(lookbacks=(4, 20), rebalance="D", band=0.5, vol_com=10, target_vol=0.1),
        {"X": frame},
        start="2020-04-01",
        **NO_COSTS,
    )
    assert len(tight.orders) == 1  # the entry only
    assert len(loose.orders) > 20


def test_parameters_are_checked() -> None:
    with pytest.raises(InvalidValueError, match="repeat"):
        TrendFollowing(lookbacks=(21, 21))
    with pytest.raises(InvalidValueError, match="lookbacks"):
        TrendFollowing(lookbacks=(0, 21))
    with pytest.raises(InvalidValueError, match="lookbacks"):
        TrendFollowing(lookbacks=())


def test_no_lookahead_on_real_stocks() -> None:
    result = assert_no_lookahead(
        "trend_following",
        "stocks20_close",
        symbols=["AAPL", "XOM", "JPM", "KO", "RRC"],
        start="2016-01-01",
    )
    assert len(result.fills) > 20


def test_real_indices_and_oil_with_costs_trade_long_and_short() -> None:
    """WTI starts in 1986, SPX and NASDAQ in 1999: they join the book a year later."""
    result = backtest(
        "trend_following", ["spx_daily", "nasdaq_daily", "wti_daily"], start="1998-01-01"
    )
    orders = result.orders
    assert (orders["status"] == "denied").sum() == 0
    spx_first = orders.loc[orders["symbol"] == "SPX", "created"].min()
    assert spx_first >= pd.Timestamp("2000-01-01", tz="UTC")  # 253 bars of SPX first
    assert set(orders["symbol"]) == {"SPX", "NASDAQ", "WTI"}
    assert result.costs["commission"] > 0
    assert result.costs["borrow"] > 0  # it shorted
    m = result.metrics
    assert all(math.isfinite(x) for x in (m.sharpe_ratio, m.annual_return, m.max_drawdown))
    assert result.equity["gross"].div(result.equity["equity"]).max() < 2.0


def test_a_symbol_without_a_bar_at_the_first_rebalance_is_sized_from_its_warm_up() -> None:
    """Real data: WTI has no bar on 2000-01-03, the first trading day after the start; its
    warm-up closes price it, so it joins the first rebalance with the others."""
    result = backtest(
        "trend_following", ["spx_daily", "nasdaq_daily", "wti_daily"], start="2000-01-01"
    )
    wti = result.prices["WTI"].index
    first_bar = wti[wti >= pd.Timestamp("2000-01-01", tz="UTC")][0]
    assert first_bar > pd.Timestamp("2000-01-03", tz="UTC")
    orders = result.orders
    first = orders.groupby("symbol")["created"].min()
    assert first["SPX"].normalize() == pd.Timestamp("2000-01-03", tz="UTC")
    assert first["WTI"] == first["SPX"]


def test_cli_backtest_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ALPHAFORGE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(console, "_width", 200)
    args = ["backtest", "--strategy", "trend_following", "--data", "stocks20_close",
            "--symbols", "KO", "--symbols", "XOM", "--start", "2018-01-01",
            "-p", "lookbacks=[21,63]", "-p", "mode=long_only"]  # fmt: skip
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.stderr
    assert "Sharpe ratio" in out.stdout
    assert "lookbacks=[21, 63]" in out.stdout
