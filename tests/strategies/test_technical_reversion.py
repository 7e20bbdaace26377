"""Mean-reversion strategies: bollinger_reversion and rsi_reversion's trend filter and time stop.

Known-answer tests run on synthetic daily candles built for the case (each says so); the
reference z-scores and moving averages come from pandas, RSI from the batch indicator (tested
against TA-Lib elsewhere), never from the strategy. Look-ahead and cost runs use the real
bundled data.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from alphaforge.config import AlphaforgeConfig
from alphaforge.data import load_dataset
from alphaforge.domain.errors import InvalidValueError
from alphaforge.indicators import rsi
from alphaforge.runtime import BacktestResult, backtest
from alphaforge.strategies.registry import get_strategy
from alphaforge.testing import assert_no_lookahead

CFG = AlphaforgeConfig()  # defaults only: tests never read the machine's config files
FREE: dict[str, Any] = {"commission_bps": 0.0, "slippage_bps": 0.0, "config": CFG}
CASH = 100_000.0


def candles(close: np.ndarray) -> pd.DataFrame:
    """Synthetic business-day candles from a close path: open = previous close, 0.5 wicks."""
    close = np.asarray(close, dtype=float)
    open_ = np.r_[close[0], close[:-1]]
    index = pd.date_range("2020-01-01", periods=len(close), freq="B", tz="UTC")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + 0.5,
            "low": np.minimum(open_, close) - 0.5,
            "close": close,
            "volume": 1000.0,
        },
        index=index,
    )


def decisions(result: BacktestResult, frame: pd.DataFrame) -> list[tuple[int, str, float, str]]:
    """(bar whose close decided it, side, quantity, tag) for each order of the run."""
    created = pd.DatetimeIndex(result.orders["created"])
    bars = frame.index.searchsorted(created, side="left") - 1  # event time = the bar's close
    orders = result.orders
    return list(zip(bars.tolist(), orders["side"], orders["quantity"], orders["tag"], strict=True))


def zigzag(n: int) -> np.ndarray:
    return 100.0 + (np.arange(n) % 2)


def zscore(close: np.ndarray, period: int = 20) -> np.ndarray:
    c = pd.Series(close)
    mean, std = c.rolling(period).mean(), c.rolling(period).std(ddof=0)
    return ((c - mean) / std).to_numpy()


# ------------------------------------------------------------------ bollinger_reversion


def test_bollinger_buys_a_close_below_the_band_and_sells_at_the_average() -> None:
    """Synthetic: a 100/101 zigzag, one close of 97 (z < -2) on bar 40, back to 100.6 (z >= 0)
    on bar 41; half the equity in whole shares."""
    close = np.r_[zigzag(40), 97.0, 100.6, zigzag(20)]
    z = zscore(close)
    assert z[40] < -2
    assert z[41] >= 0
    assert not (z[42:] < -2).any()
    frame = candles(close)
    result = backtest("bollinger_reversion", {"X": frame}, params={"weight": 0.5}, **FREE)
    qty = math.floor(0.5 * CASH / 97.0)
    assert decisions(result, frame) == [
        (40, "buy", qty, "z<-entry"),
        (41, "sell", qty, "z>=-exit"),
    ]
    assert result.fills["price"].tolist() == [97.0, 100.6]  # the next bars' opens


def stop_path() -> np.ndarray:
    """Zigzag, a dip to 97 (bar 40) that keeps falling (90, 89, 89.5, 89), a recovery to the
    zigzag (bar 45 on), and a second, one-bar dip to 97 on bar 85."""
    return np.r_[zigzag(40), 97.0, 90.0, 89.0, 89.5, 89.0, zigzag(40), 97.0, 100.6, zigzag(20)]


def test_bollinger_stop_closes_a_runaway_trade_and_waits_to_rearm() -> None:
    """Synthetic (stop_path): entry on bar 40 (z between -4 and -2), stopped on bar 41
    (z < -4); bars 42-44 are still below -2 but the long side waits until z is back inside
    the band (bar 45); the second dip (bar 85) is traded normally."""
    close = stop_path()
    z = zscore(close)
    assert -4 < z[40] < -2
    assert z[41] < -4
    assert (z[42:45] < -2).all()
    assert z[45] >= -2
    assert -4 < z[85] < -2
    assert z[86] >= 0
    frame = candles(close)
    result = backtest("bollinger_reversion", {"X": frame}, params={"stop_z": 4.0}, **FREE)
    first_qty = math.floor(CASH / 97.0)
    cash = CASH + first_qty * (frame["open"].iloc[42] - frame["open"].iloc[41])
    assert decisions(result, frame) == [
        (40, "buy", first_qty, "z<-entry"),
        (41, "sell", first_qty, "z<-stop"),
        (85, "buy", math.floor(cash / 97.0), "z<-entry"),
        (86, "sell", math.floor(cash / 97.0), "z>=-exit"),
    ]


def test_bollinger_does_not_enter_beyond_its_stop() -> None:
    """Synthetic (stop_path) with stop_z 3.5: bars 40, 41 and 85 are beyond -3.5 (no entry);
    bar 42 (z near -3) is inside the entry band: long until z reaches 0 on bar 45."""
    close = stop_path()
    z = zscore(close)
    assert z[40] < -3.5
    assert z[41] < -3.5
    assert z[85] < -3.5
    assert -3.5 < z[42] < -2
    frame = candles(close)
    result = backtest("bollinger_reversion", {"X": frame}, params={"stop_z": 3.5}, **FREE)
    assert [(bar, side, tag) for bar, side, _, tag in decisions(result, frame)] == [
        (42, "buy", "z<-entry"),
        (45, "sell", "z>=-exit"),
    ]


def test_bollinger_long_short_mirrors_the_long_side() -> None:
    """Synthetic: the stop path mirrored (200 - close) gives the same bars on the short side."""
    frame = candles(200.0 - stop_path())
    params = {"mode": "long_short", "stop_z": 4.0, "weight": 0.5}
    result = backtest("bollinger_reversion", {"X": frame}, params=params, allow_short=True, **FREE)
    rows = decisions(result, frame)
    assert [(bar, side, tag) for bar, side, _, tag in rows] == [
        (40, "sell", "z>entry"),
        (41, "buy", "z>stop"),
        (85, "sell", "z>entry"),
        (86, "buy", "z<=exit"),
    ]
    assert rows[0][2] == math.floor(0.5 * CASH / 103.0)


# ------------------------------------------------------------------ rsi_reversion


def time_stop_path() -> np.ndarray:
    """Zigzag, five falls of 2 (RSI below 30 on bar 44), flat for 15 bars (RSI stays put),
    ten rises of 1 (RSI back above 30, then above 70), four falls of 4, flat again."""
    return np.r_[zigzag(40), 101 - 2 * np.arange(1, 6), np.full(15, 91.0),
                 91 + np.arange(1, 11), 101 - 4 * np.arange(1, 5), np.full(10, 85.0)]  # fmt: skip


def test_rsi_time_stop_exits_after_max_hold_bars_and_needs_a_fresh_signal() -> None:
    """Synthetic (time_stop_path): without a time stop the first trade waits for RSI > 70;
    with max_hold=5 it ends on the 5th bar after entry, and the still-oversold flat stretch
    opens nothing until RSI has been back above 30 and falls below it again."""
    close = time_stop_path()
    r = rsi(close, 14)
    t0 = int(np.argmax(r < 30))
    rearm = t0 + 5 + int(np.argmax(r[t0 + 5 :] >= 30))
    t1 = rearm + int(np.argmax(r[rearm:] < 30))
    top = t0 + int(np.argmax(r[t0:] > 70))
    assert t0 == 44
    assert (r[t0 : t0 + 15] < 30).all()
    assert top < t1 < len(close) - 6
    frame = candles(close)
    plain = backtest("rsi_reversion", {"X": frame}, **FREE)
    assert [(bar, side, tag) for bar, side, _, tag in decisions(plain, frame)] == [
        (t0, "buy", "rsi<lower"),
        (top, "sell", "rsi>upper"),
        (t1, "buy", "rsi<lower"),
    ]
    stopped = backtest("rsi_reversion", {"X": frame}, params={"max_hold": 5}, **FREE)
    rows = decisions(stopped, frame)
    assert [(bar, side, tag) for bar, side, _, tag in rows] == [
        (t0, "buy", "rsi<lower"),
        (t0 + 5, "sell", "max_hold"),
        (t1, "buy", "rsi<lower"),
        (t1 + 5, "sell", "max_hold"),
    ]
    assert rows[0][2] == math.floor(CASH / close[t0])
    assert stopped.trades["bars_held"].tolist() == [5, 5]


def test_rsi_trend_filter_buys_dips_above_the_trend_average_only() -> None:
    """Synthetic: a 100-bar rise from 100 to 199, four falls of 10 (RSI below 30 on bar 102
    at 169), flat after. The close is above its 100-bar average (pandas) but below its
    20-bar one: trend_period=100 buys as the unfiltered rule does; trend_period=20 does not."""
    close = np.r_[100 + np.arange(100.0), 199 - 10 * np.arange(1, 5), np.full(10, 159.0)]
    r = rsi(close, 14)
    c = pd.Series(close)
    assert int(np.argmax(r < 30)) == 102
    assert close[102] > c.rolling(100).mean()[102]
    assert (close[102:] < c.rolling(20).mean()[102:]).all()
    frame = candles(close)
    qty = math.floor(CASH / close[102])
    for trend in (0, 100):
        result = backtest("rsi_reversion", {"X": frame}, params={"trend_period": trend}, **FREE)
        assert decisions(result, frame) == [(102, "buy", qty, "rsi<lower")]
    filtered = backtest("rsi_reversion", {"X": frame}, params={"trend_period": 20}, **FREE)
    assert len(filtered.orders) == 0


def test_rsi_filters_on_real_data_hold_and_leave_no_lookahead() -> None:
    """Real spx_daily with default costs: every entry is decided on a close above its 200-day
    average with RSI below 30; no trade lasts more than max_hold bars; truncated runs give
    the full run's prefix."""
    params = {"trend_period": 200, "max_hold": 10, "lower": 35.0}
    full = assert_no_lookahead("rsi_reversion", "spx_daily", params=params, config=CFG)
    spx = load_dataset("spx_daily")
    rows = decisions(full, spx)
    buys = [bar for bar, side, _, _ in rows if side == "buy"]
    assert len(buys) > 5
    above = spx["close"] > spx["close"].rolling(200).mean()
    strength = rsi(spx["close"].to_numpy(), 14)
    assert all(above.iloc[b] and strength[b] < 35 for b in buys)
    assert full.trades["bars_held"].max() <= 10
    assert "max_hold" in set(full.orders["tag"])
    assert full.costs["commission"] > 0
    assert np.isfinite(full.metrics.sharpe_ratio)


def test_rsi_filters_are_refused_by_the_vector_engine_by_name() -> None:
    with pytest.raises(InvalidValueError, match="without max_hold"):
        backtest("rsi_reversion", "msft_daily", params={"max_hold": 10}, mode="vector", config=CFG)
    with pytest.raises(InvalidValueError, match="without trend_period"):
        backtest(
            "rsi_reversion", "msft_daily", params={"trend_period": 200}, mode="vector", config=CFG
        )


# ------------------------------------------------------------------ shared checks


def test_bollinger_no_lookahead_and_a_costed_run_on_real_data() -> None:
    """Real eurusd_1h, default costs, both sides with a stop: no look-ahead, trades both ways."""
    params = {"mode": "long_short", "stop_z": 3.0}
    full = assert_no_lookahead(
        "bollinger_reversion", "eurusd_1h", params=params, allow_short=True, config=CFG
    )
    assert {"long", "short"} <= set(full.trades["side"])
    assert "z<-stop" in set(full.orders["tag"]) or "z>stop" in set(full.orders["tag"])
    assert full.costs["commission"] > 0
    m = full.metrics
    assert all(np.isfinite([m.sharpe_ratio, m.annual_return, m.max_drawdown]))


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"exit_z": 2.0}, "exit_z < entry_z"),
        ({"exit_z": -2.5}, "-entry_z <= exit_z"),
        ({"stop_z": 1.5}, "must be beyond entry_z"),
    ],
)
def test_bollinger_refuses_inconsistent_levels(params: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidValueError, match=words):
        get_strategy("bollinger_reversion")(**params)


def test_rsi_reversion_refuses_a_one_bar_trend_average() -> None:
    with pytest.raises(InvalidValueError, match="trend_period"):
        get_strategy("rsi_reversion")(trend_period=1)
