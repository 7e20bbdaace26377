"""Trend and momentum strategies: ema_cross, macd_cross, momentum, donchian_breakout.

Known-answer tests run on synthetic daily candles built for the case (each says so); the
reference signals come from pandas (``ewm``, ``rolling``) or the batch indicators, never from
the strategy. Look-ahead and cost runs use the real bundled data.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from alphaforge.cli._common import ExitCode, console, err_console
from alphaforge.cli.main import app
from alphaforge.config import AlphaforgeConfig
from alphaforge.domain.errors import InvalidValueError
from alphaforge.indicators import macd, rsi
from alphaforge.runtime import BacktestResult, backtest
from alphaforge.strategies.registry import get_strategy
from alphaforge.testing import assert_no_lookahead

CFG = AlphaforgeConfig()  # defaults only: tests never read the machine's config files
FREE: dict[str, Any] = {"commission_bps": 0.0, "slippage_bps": 0.0, "config": CFG}
CASH = 100_000.0


def candles(close: np.ndarray, volume: np.ndarray | None = None) -> pd.DataFrame:
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
            "volume": np.full(len(close), 1000.0) if volume is None else volume,
        },
        index=index,
    )


def decisions(result: BacktestResult, frame: pd.DataFrame) -> list[tuple[int, str, float, str]]:
    """(bar whose close decided it, side, quantity, tag) for each order of the run."""
    created = pd.DatetimeIndex(result.orders["created"])
    bars = frame.index.searchsorted(created, side="left") - 1  # event time = the bar's close
    orders = result.orders
    return list(zip(bars.tolist(), orders["side"], orders["quantity"], orders["tag"], strict=True))


def ramp() -> np.ndarray:
    """60 bars flat at 100, 20 bars up 1 a bar, 20 bars down 2 a bar, 20 flat at 80."""
    return np.r_[np.full(60, 100.0), 100 + np.arange(1, 21), 120 - 2 * np.arange(1, 21),
                 np.full(20, 80.0)]  # fmt: skip


def first(mask: np.ndarray | pd.Series, after: int = -1) -> int:
    """The first position past ``after`` where ``mask`` holds."""
    hits = np.flatnonzero(np.asarray(mask, dtype=bool))
    return int(hits[hits > after][0])


# ------------------------------------------------------------------ ema_cross


def test_ema_cross_enters_on_the_cross_up_and_exits_on_the_cross_down() -> None:
    """Synthetic ramp: the EMAs (pandas ewm; a flat start makes TA-Lib's SMA seed equal to
    pandas' first value) decide the bars; a whole-share buy of all equity at that close."""
    frame = candles(ramp())
    close = frame["close"]
    up = close.ewm(span=10, adjust=False).mean() > close.ewm(span=30, adjust=False).mean()
    t_in = first(up)
    t_out = first(~up, after=t_in)
    assert t_in == 60  # the first rising close
    result = backtest("ema_cross", {"X": frame}, **FREE)
    qty = math.floor(CASH / close.iloc[t_in])
    assert decisions(result, frame) == [
        (t_in, "buy", qty, "ema fast>slow"),
        (t_out, "sell", qty, "ema fast<=slow"),
    ]
    assert result.fills["price"].tolist() == [frame["open"].iloc[t_in + 1],
                                              frame["open"].iloc[t_out + 1]]  # fmt: skip


def test_ema_cross_long_short_goes_short_with_half_the_equity() -> None:
    """Synthetic ramp, long_short with weight 0.5: short from the first ready bar (the flat
    start has fast == slow, i.e. not above), long on the cross up, short again after."""
    frame = candles(ramp())
    result = backtest(
        "ema_cross", {"X": frame}, params={"mode": "long_short", "weight": 0.5},
        allow_short=True, **FREE,
    )  # fmt: skip
    rows = decisions(result, frame)
    assert [(bar, side) for bar, side, _, _ in rows] == [
        (29, "sell"),
        (60, "buy"),
        (rows[2][0], "sell"),
    ]
    position = np.cumsum([q if side == "buy" else -q for _, side, q, _ in rows])
    assert position[0] == -math.floor(0.5 * CASH / 100.0)
    assert position[1] > 0 > position[2]
    equity = result.equity["equity"]
    for (bar, _, _, _), held in zip(rows[1:], position[1:], strict=True):
        worth = equity.iloc[equity.index.searchsorted(frame.index[bar], side="right")]
        assert abs(held) * frame["close"].iloc[bar] == pytest.approx(0.5 * worth, rel=0.02)


# ------------------------------------------------------------------ macd_cross


def test_macd_cross_trades_the_signal_line_crossings() -> None:
    """Synthetic ramp: MACD and signal from pandas ewm (12/26/9 from a flat start, where every
    seed is 100 or 0); long when MACD crosses above the signal line, flat when below (the
    turn up after the fall included)."""
    frame = candles(ramp())
    close = frame["close"]
    line = close.ewm(span=12, adjust=False).mean() - close.ewm(span=26, adjust=False).mean()
    signal = line.ewm(span=9, adjust=False).mean()
    up = (line > signal).to_numpy()
    ready = 12 + 26 + 9 - 12 - 2  # TA-Lib's warm-up: slow + signal - 2
    turns = [t for t in range(ready + 1, len(up)) if up[t] != up[t - 1]]
    assert len(turns) == 3
    assert turns[0] == 60
    assert not up[ready]
    result = backtest("macd_cross", {"X": frame}, **FREE)
    rows = decisions(result, frame)
    assert [(bar, side, tag) for bar, side, _, tag in rows] == [
        (turns[0], "buy", "macd>signal"),
        (turns[1], "sell", "macd<=signal"),
        (turns[2], "buy", "macd>signal"),
    ]
    qty = math.floor(CASH / close.iloc[60])
    assert rows[0][2] == rows[1][2] == qty
    cash = CASH + qty * (frame["open"].iloc[turns[1] + 1] - frame["open"].iloc[61])
    assert rows[2][2] == math.floor(cash / close.iloc[turns[2]])


# ------------------------------------------------------------------ momentum


def momentum_path(rally: float = 0.0) -> np.ndarray:
    """80 bars zigzag 100/101 (RSI near 50), 40 bars of +1/-0.5 steps (RSI near 67), then
    ``rally`` a bar for 10 bars (a straight run), then 20 bars down 2 a bar."""
    zigzag = 100 + (np.arange(80) % 2)
    steps = zigzag[-1] + np.cumsum(np.tile([1.0, -0.5], 20))
    run = steps[-1] + rally * np.arange(1, 11)
    fall = run[-1] - 2 * np.arange(1, 21)
    return np.r_[zigzag, steps, run, fall]


def test_momentum_enters_only_on_the_volume_spike_and_exits_when_macd_turns() -> None:
    """Synthetic: MACD above its signal and RSI in (50, 70) for many bars of a steady rise,
    but volume beats its prior 20-bar average only on bar 100: the one entry. The fall at
    the end turns MACD below its signal: the exit."""
    close = momentum_path()
    volume = np.full(len(close), 1000.0)
    volume[100] = 3000.0
    line, signal, _ = macd(close)
    strength = rsi(close, 14)
    assert line[100] > signal[100]
    assert 50 < strength[100] < 70
    assert ((line > signal) & (strength > 50) & (strength < 70))[90:100].any()  # volume decides
    frame = candles(close, volume)
    result = backtest("momentum", {"X": frame}, **FREE)
    t_out = first(line <= signal, after=100)
    qty = math.floor(CASH / close[100])
    assert decisions(result, frame) == [
        (100, "buy", qty, "momentum confirmed"),
        (t_out, "sell", qty, "macd<=signal"),
    ]
    quiet = backtest("momentum", {"X": candles(close)}, **FREE)
    assert len(quiet.orders) == 0
    # 3000 > 2.9 x 1000 (the 20 bars before) though not 2.9 x 1100 (a window holding bar 100)
    strict = backtest("momentum", {"X": frame}, params={"volume_factor": 2.9}, **FREE)
    assert decisions(strict, frame)[0] == (100, "buy", qty, "momentum confirmed")


def test_momentum_takes_profit_when_rsi_overheats_and_skips_overbought_entries() -> None:
    """Synthetic: after the entry on bar 100, a straight rally of 2 a bar lifts RSI above 80
    while MACD is still above its signal: exit on RSI. A volume spike inside that rally (RSI
    above the 70 cap) opens nothing."""
    close = momentum_path(rally=2.0)
    volume = np.full(len(close), 1000.0)
    volume[100] = 3000.0
    line, signal, _ = macd(close)
    strength = rsi(close, 14)
    t_out = first(strength > 80, after=100)
    assert line[t_out] > signal[t_out]
    spike = t_out + 2
    assert strength[spike] > 70
    assert line[spike] > signal[spike]
    volume[spike] = 5000.0
    frame = candles(close, volume)
    result = backtest("momentum", {"X": frame}, **FREE)
    qty = math.floor(CASH / close[100])
    assert decisions(result, frame) == [
        (100, "buy", qty, "momentum confirmed"),
        (t_out, "sell", qty, "rsi>exit"),
    ]


# ------------------------------------------------------------------ donchian_breakout


def breakout_path() -> np.ndarray:
    """60 bars zigzag 100/101, a close of 103 (above every prior high of 101.5 but below its
    own high of 103.5), 20 bars up 1 a bar, then 20 bars down 3 a bar."""
    zigzag = 100 + (np.arange(60) % 2)
    rise = 103 + np.arange(0, 21)
    return np.r_[zigzag, rise, rise[-1] - 3 * np.arange(1, 21)]


def test_donchian_breaks_out_above_the_prior_channel_and_exits_below_the_exit_channel() -> None:
    """Synthetic: the channels are those of the bars before (pandas rolling max/min shifted
    one bar); bar 60 closes above the prior 55 highs though not above its own high."""
    frame = candles(breakout_path())
    close = frame["close"]
    prior_high = frame["high"].rolling(55).max().shift(1)
    prior_low = frame["low"].rolling(20).min().shift(1)
    assert close.iloc[60] < frame["high"].iloc[60]  # a channel holding bar 60 never breaks
    t_in = first(close > prior_high)
    t_out = first(close < prior_low, after=t_in)
    assert t_in == 60
    result = backtest("donchian_breakout", {"X": frame}, **FREE)
    qty = math.floor(CASH / close.iloc[t_in])
    assert decisions(result, frame) == [
        (t_in, "buy", qty, "close>entry high"),
        (t_out, "sell", qty, "close<exit low"),
    ]


def test_donchian_long_short_shorts_the_mirror_image() -> None:
    """Synthetic: the breakout path mirrored (200 - close) breaks down on bar 60 and covers
    where the original exits (channels from pandas rolling windows); long_only ignores
    the breakdown."""
    up = candles(breakout_path())
    down = candles(200 - breakout_path())
    prior_low = up["low"].rolling(20).min().shift(1)
    t_out = first(up["close"] < prior_low, after=60)
    params = {"mode": "long_short", "weight": 0.5}
    result = backtest("donchian_breakout", {"X": down}, params=params, allow_short=True, **FREE)
    rows = decisions(result, down)
    qty = math.floor(0.5 * CASH / down["close"].iloc[60])
    assert rows[:2] == [
        (60, "sell", qty, "close<entry low"),
        (t_out, "buy", qty, "close>exit high"),
    ]
    # the mirrored path ends rising 3 a bar: in long_short mode that is an upside breakout
    t_long = first(down["close"] > down["high"].rolling(55).max().shift(1), after=t_out)
    assert [(bar, side, tag) for bar, side, _, tag in rows[2:]] == [
        (t_long, "buy", "close>entry high")
    ]
    long_only = backtest("donchian_breakout", {"X": down}, **FREE)
    assert [(bar, side) for bar, side, _, _ in decisions(long_only, down)] == [(t_long, "buy")]


# ------------------------------------------------------------------ shared checks


@pytest.mark.parametrize(
    ("name", "params", "words"),
    [
        ("ema_cross", {"fast": 30, "slow": 30}, "must be shorter"),
        ("macd_cross", {"fast": 26, "slow": 12}, "must be shorter"),
        ("momentum", {"rsi_floor": 60, "rsi_cap": 55}, "rsi_floor < rsi_cap"),
        ("momentum", {"rsi_exit": 65}, "rsi_cap <= rsi_exit"),
        ("donchian_breakout", {"entry_period": 0}, "entry_period"),
    ],
)
def test_inconsistent_parameters_are_refused(name: str, params: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidValueError, match=words):
        get_strategy(name)(**params)


@pytest.mark.parametrize(
    ("name", "missing"), [("momentum", "volume"), ("donchian_breakout", "high, low")]
)
def test_close_only_data_is_refused_by_name(name: str, missing: str) -> None:
    with pytest.raises(InvalidValueError, match=f"reads {missing}"):
        backtest(name, "sp500_index_close", config=CFG)


@pytest.mark.parametrize(
    ("name", "data", "params", "short"),
    [
        ("ema_cross", "spx_daily", {"mode": "long_short"}, True),
        ("macd_cross", "msft_daily", {}, False),
        ("momentum", "eurusd_1h", {}, False),
        ("donchian_breakout", "spx_daily", {"mode": "long_short", "entry_period": 20,
                                            "exit_period": 10}, True),
    ],
)  # fmt: skip
def test_no_lookahead_and_a_costed_run_on_real_data(
    name: str, data: str, params: dict[str, Any], short: bool
) -> None:
    """Real bundled data, default costs: truncated runs equal the full run's prefix, and the
    full run trades, pays costs and has finite metrics."""
    full = assert_no_lookahead(name, data, params=params, allow_short=short, config=CFG)
    assert len(full.trades) > 10
    assert full.costs["commission"] > 0
    m = full.metrics
    assert all(np.isfinite([m.sharpe_ratio, m.annual_return, m.max_drawdown]))
    if short:
        assert (full.trades["side"] == "short").any()


# ------------------------------------------------------------------ CLI


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    """No machine config, and tables wide enough that no cell is cut."""
    monkeypatch.delenv("ALPHAFORGE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    for con in (console, err_console):
        monkeypatch.setattr(con, "_width", 200)
    return CliRunner()


def test_cli_backtests_a_technical_strategy_and_refuses_close_only_data(cli: CliRunner) -> None:
    args = ["backtest", "--strategy", "donchian_breakout", "--data", "spx_daily",
            "-p", "mode=long_short", "--allow-short"]  # fmt: skip
    result = cli.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert "Sharpe ratio" in result.stdout
    assert "Benchmark total return" in result.stdout
    assert "mode=long_short" in result.stdout
    refused = cli.invoke(app, ["backtest", "-s", "momentum", "--data", "sp500_index_close"])
    assert refused.exit_code == ExitCode.USAGE, refused.stderr
    assert "volume" in refused.stderr
    assert "Traceback" not in refused.stderr
