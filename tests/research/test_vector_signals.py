"""The weight helpers decide what the built-in strategies decide, bar for bar.

Each helper is compared with a plain loop that does what the strategy's ``on_bar`` does, fed by
the *streaming* indicators the strategy declares (``SMA``, ``RSI``), on real bundled closes.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alphaforge.data.bundled import load_dataset
from alphaforge.domain.errors import InvalidValueError
from alphaforge.indicators import RSI, SMA, sma
from alphaforge.research import (
    buy_and_hold_weights,
    rebalance_weights,
    rsi_reversion_weights,
    signals_to_weights,
    sma_cross_weights,
)
from alphaforge.research.signals import cross_weights

SPX = load_dataset("spx_daily")["close"]
STOCKS = load_dataset("stocks20_close")[["AAPL", "KO", "XOM"]]


def strategy_sma_cross(
    closes: np.ndarray, fast: int, slow: int, down: float, size: float, start: int = 0
) -> np.ndarray:
    """``SmaCross.on_bar`` as a loop over streaming indicators (warmed before ``start``)."""
    f, s = SMA(fast), SMA(slow)
    out = np.full(closes.shape[0], np.nan)
    state: bool | None = None
    for t, x in enumerate(closes):
        fv, sv = f.update(float(x)), s.update(float(x))
        if t < start or not s.ready:
            continue
        up = fv > sv
        if state is not up:
            state = up
            out[t] = size if up else down
    return out


def strategy_rsi(closes: np.ndarray, period: int, lower: float, upper: float) -> np.ndarray:
    """``RsiReversion.on_bar`` as a loop over the streaming RSI."""
    r = RSI(period)
    out = np.full(closes.shape[0], np.nan)
    long = False
    for t, x in enumerate(closes):
        value = r.update(float(x))
        if not r.ready:
            continue
        if not long and value < lower:
            long, out[t] = True, 1.0
        elif long and value > upper:
            long, out[t] = False, 0.0
    return out


@pytest.mark.parametrize(("fast", "slow"), [(10, 30), (20, 100), (1, 2), (50, 200)])
def test_sma_cross_weights_follow_the_strategy(fast: int, slow: int) -> None:
    closes = SPX.to_numpy()
    ours = sma_cross_weights(closes, fast, slow)
    np.testing.assert_array_equal(ours, strategy_sma_cross(closes, fast, slow, 0.0, 1.0))
    assert np.count_nonzero(~np.isnan(ours)) > 5


@pytest.mark.parametrize(
    "kind",
    ["random", "steps", "constant", "ulps", "signed", "negative", "magnitudes", "walk", "infinite"],
)
def test_sma_cross_in_one_pass_equals_the_two_smas(kind: str) -> None:
    """The fused pass (most comparisons without dividing) against ``sma`` + ``cross_weights``,
    on the hard cases: equal averages (ties, flat prices), signs, extreme magnitudes."""
    rng = np.random.default_rng(len(kind))
    for _ in range(400):
        n = int(rng.integers(1, 150))
        x = {
            "random": lambda n: rng.random(n) * 10,
            "steps": lambda n: np.round(rng.random(n) * 3) + 1,
            "constant": lambda n: np.full(n, 1.7),
            "ulps": lambda n: 1.7 + rng.integers(-3, 4, n) * 2.0**-52,  # averages a hair apart
            "signed": rng.standard_normal,
            "negative": lambda n: -1.7 - rng.integers(-3, 4, n) * 2.0**-52,
            "magnitudes": lambda n: 10.0 ** rng.uniform(-320, 308, n),
            "walk": lambda n: np.cumsum(rng.standard_normal(n)) * 1e-3 + 1,
            "infinite": lambda n: np.where(rng.random(n) < 0.05, np.inf, rng.random(n)),
        }[kind](n)
        fast = int(rng.integers(1, 10))
        slow = int(rng.integers(fast + 1, 40))
        start = int(rng.integers(0, 60))
        mode = "long_short" if rng.random() < 0.5 else "long_only"
        got = np.asarray(sma_cross_weights(x, fast, slow, mode, start=start))
        want = np.empty_like(x)
        down = -1.0 if mode == "long_short" else 0.0
        cross_weights(sma(x, fast), sma(x, slow), start, 1.0, down, want)
        np.testing.assert_array_equal(got, want)


def test_long_short_mode_and_start() -> None:
    closes = SPX.to_numpy()
    ours = sma_cross_weights(closes, 10, 50, "long_short", 0.5, start=1000)
    expected = strategy_sma_cross(closes, 10, 50, -0.5, 0.5, start=1000)
    np.testing.assert_array_equal(ours, expected)
    assert np.isnan(ours[:1000]).all()
    assert set(np.unique(ours[~np.isnan(ours)])) == {-0.5, 0.5}


@pytest.mark.parametrize(("period", "lower", "upper"), [(14, 30.0, 70.0), (2, 10.0, 90.0)])
def test_rsi_reversion_weights_follow_the_strategy(period: int, lower: float, upper: float) -> None:
    closes = load_dataset("msft_daily")["close"].to_numpy()
    ours = rsi_reversion_weights(closes, period, lower, upper)
    np.testing.assert_array_equal(ours, strategy_rsi(closes, period, lower, upper))
    assert np.count_nonzero(ours == 1.0) > 3


def test_frames_keep_their_labels_and_split_the_weight() -> None:
    ours = sma_cross_weights(STOCKS, 10, 40, weight=0.9)
    assert isinstance(ours, pd.DataFrame)
    assert ours.index.equals(STOCKS.index)
    assert list(ours.columns) == list(STOCKS.columns)
    for column in STOCKS:
        expected = strategy_sma_cross(STOCKS[column].to_numpy(), 10, 40, 0.0, 0.3)
        np.testing.assert_array_equal(ours[column].to_numpy(), expected)
    series = rsi_reversion_weights(SPX)
    assert isinstance(series, pd.Series)
    assert series.index.equals(SPX.index)


def test_missing_bars_are_skipped_like_the_indicator_handle_skips_them() -> None:
    closes = STOCKS.to_numpy().copy()
    closes[:250, 0] = np.nan  # listed later
    closes[500:510, 1] = np.nan  # a halt
    ours = sma_cross_weights(closes, 5, 20)
    for j in range(closes.shape[1]):
        bars = ~np.isnan(closes[:, j])
        expected = strategy_sma_cross(closes[bars, j], 5, 20, 0.0, 1 / 3)
        np.testing.assert_array_equal(ours[bars, j], expected)
        assert np.isnan(ours[~bars, j]).all()


def test_buy_and_hold_weights() -> None:
    closes = STOCKS.to_numpy().copy()
    closes[:3, 2] = np.nan
    ours = buy_and_hold_weights(closes, 0.6, start=1)
    assert ours[1, 0] == ours[1, 1] == pytest.approx(0.2)
    assert ours[3, 2] == pytest.approx(0.2)
    assert np.count_nonzero(~np.isnan(ours)) == 3


def test_signals_to_weights_emit_on_changes_only() -> None:
    signals = np.array([np.nan, 1, 1, np.nan, 1, 0, 0, -1, -1, 1])
    ours = signals_to_weights(signals, 0.5)
    expected = [np.nan, 0.5, np.nan, np.nan, np.nan, 0.0, np.nan, -0.5, np.nan, 0.5]
    np.testing.assert_array_equal(ours, expected)


def test_rebalance_weights_on_the_first_bar_of_each_period() -> None:
    index = pd.DatetimeIndex(STOCKS.index[:400], name="ts")
    assert str(index.tz) == "UTC"
    monthly = rebalance_weights(index, ["AAPL", "KO", "XOM"], "M", {"KO": 0.5, "AAPL": 0.25})
    rows = monthly.dropna()
    assert rows.index[0] == index[0]
    assert len(rows) == len({(t.year, t.month) for t in index})
    assert (rows["XOM"] == 0.0).all()
    assert (rows["KO"] == 0.5).all()
    for schedule, key in [
        ("Y", lambda t: t.year),
        ("Q", lambda t: (t.year, (t.month - 1) // 3)),
        ("W", lambda t: t.isocalendar()[:2]),
        ("D", lambda t: t.date()),
    ]:
        rows = rebalance_weights(index, ["AAPL"], schedule, start=10).dropna()
        assert rows.index[0] == index[10]
        assert len(rows) == len({key(t) for t in index[10:]})
    equal = rebalance_weights(index, ["A", "B", "C", "D"]).dropna()
    assert math.isclose(float(equal.iloc[0].sum()), 1.0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sma_cross_weights(SPX, 30, 10), "fast"),
        (lambda: sma_cross_weights(SPX, 0, 10), "fast"),
        (lambda: sma_cross_weights(SPX, 5, 10, "sideways"), "mode"),  # type: ignore[arg-type]
        (lambda: sma_cross_weights(SPX, 5, 10, weight=1.5), "weight"),
        (lambda: sma_cross_weights(SPX, 5, 10, start=-1), "start"),
        (lambda: rsi_reversion_weights(SPX, 14, 70, 30), "lower"),
        (lambda: rsi_reversion_weights(SPX, 1), "period"),
        (lambda: rebalance_weights(STOCKS.index, ["A"], "fortnight"), "schedule"),
        (lambda: rebalance_weights(STOCKS.index.tz_localize(None), ["A"]), "UTC"),
        (lambda: signals_to_weights([1.0], float("inf")), "size"),
    ],
)
def test_helpers_refuse_bad_arguments(call: object, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        call()  # type: ignore[operator]


def test_rebalance_weights_name_unknown_symbols() -> None:
    index = STOCKS.index
    with pytest.raises(InvalidValueError, match="did you mean 'AAPL'"):
        rebalance_weights(index, ["AAPL", "KO"], "M", {"APPL": 1.0})
