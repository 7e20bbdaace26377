"""``run_vector``'s inputs, outputs and rules: frames, checks, risk limits, trading states."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from alphaforge.data.bundled import load_dataset
from alphaforge.domain.enums import OrderSide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.research import run_vector, signals_to_weights, sma_cross_weights

SPX = load_dataset("spx_daily")
CLOSE, OPEN = SPX["close"], SPX["open"]
STOCKS = load_dataset("stocks20_close")[["AAPL", "KO", "XOM"]].iloc[:1500]


def test_frames_in_frames_out() -> None:
    weights = sma_cross_weights(CLOSE, 20, 100)
    result = run_vector(CLOSE, OPEN, weights=weights)
    frames = result.to_frames()
    assert result.symbols == ("ASSET",)
    assert frames.equity.index.equals(CLOSE.index.rename("ts"))
    assert list(frames.equity.columns) == ["equity", "cash", "gross", "net"]
    assert list(frames.fills.columns[:6]) == ["ts", "symbol", "side", "quantity", "price", "fee"]
    assert frames.fills["ts"].iloc[0] == CLOSE.index[result.fills.t[0]]
    assert set(frames.orders["status"]) <= {"filled", "denied", "rejected", "accepted"}
    assert frames.positions.shape == (len(CLOSE), 1)
    # the account identity, bar by bar: equity = cash + position x close
    marks = result.cash + result.positions[:, 0] * CLOSE.to_numpy()
    np.testing.assert_allclose(result.equity, marks, rtol=1e-12)
    np.testing.assert_array_equal(frames.equity["net"] + frames.equity["cash"], result.equity)


def test_cash_and_positions_change_only_at_fills() -> None:
    result = run_vector(CLOSE, OPEN, weights=sma_cross_weights(CLOSE, 10, 50))
    moved = np.flatnonzero(np.diff(result.cash)) + 1
    assert set(moved) <= set(result.fills.t)
    assert result.cash[0] == 100_000.0
    bought = result.fills.side > 0
    spent = (result.fills.quantity * result.fills.price)[bought].sum()
    assert spent > 0
    assert result.costs()["commission"] == pytest.approx(result.fills.fee.sum())
    assert result.traded_notional() == pytest.approx(
        float(np.sum(result.fills.quantity * result.fills.price))
    )


def test_signals_are_weights_emitted_on_change() -> None:
    fast, slow = CLOSE.rolling(10).mean(), CLOSE.rolling(40).mean()
    signals = np.where(slow.isna(), np.nan, (fast > slow).astype(float))
    a = run_vector(CLOSE.to_numpy(), OPEN.to_numpy(), signals=signals, size=0.8)
    b = run_vector(CLOSE.to_numpy(), OPEN.to_numpy(), weights=signals_to_weights(signals, 0.8))
    np.testing.assert_array_equal(a.equity, b.equity)
    assert a.n_fills > 10


def test_fill_objects_are_exact_decimals() -> None:
    result = run_vector(CLOSE, OPEN, weights=sma_cross_weights(CLOSE, 20, 100))
    fills = result.fill_objects()
    assert len(fills) == result.n_fills
    first = fills[0]
    assert first.side is OrderSide.BUY
    assert first.symbol == "ASSET"
    assert first.price == Decimal(repr(float(result.fills.price[0])))
    assert first.price.as_tuple().exponent >= -2
    assert first.fee == first.fee.quantize(Decimal("1e-8"))
    assert first.ts_event == CLOSE.index[result.fills.t[0]].value


def test_trading_states_and_the_drawdown_halt() -> None:
    weights = sma_cross_weights(CLOSE, 10, 50)
    halted = run_vector(CLOSE, OPEN, weights=weights, trading_state="HALTED")
    assert halted.n_fills == 0
    assert (halted.orders.reason == 1).all()
    reducing = run_vector(CLOSE, OPEN, weights=weights, trading_state="reducing")
    assert reducing.n_fills == 0
    free = run_vector(CLOSE, OPEN, weights=weights)
    stopped = run_vector(CLOSE, OPEN, weights=weights, max_drawdown_halt=0.05)
    assert 0 < stopped.n_fills < free.n_fills
    last = stopped.fills.t[-1]
    assert (stopped.orders.reason[stopped.orders.t > last] == 1).all()


def test_limits_deny_oversized_orders() -> None:
    weights = np.full(len(CLOSE), np.nan)
    weights[300] = 0.7
    small = run_vector(CLOSE, OPEN, weights=weights, max_position_weight=0.5)
    assert small.n_fills == 0
    assert small.orders.reason.tolist() == [5]
    weights[300] = -0.3
    no_short = run_vector(CLOSE, OPEN, weights=weights)
    assert no_short.orders.reason.tolist() == [3]
    shorted = run_vector(CLOSE, OPEN, weights=weights, allow_short=True)
    assert shorted.fills.position_after.tolist()[0] < 0


def test_missing_bars_wait_for_the_next_bar() -> None:
    close = STOCKS.to_numpy().copy()
    close[101:105, 1] = np.nan  # KO has no bars right after the decision
    weights = np.full(close.shape, np.nan)
    weights[100] = [0.3, 0.3, 0.3]
    result = run_vector(close, close, weights=weights, tick_size=["0.0001", "0.01", "0.01"])
    assert sorted(zip(result.fills.asset.tolist(), result.fills.t.tolist(), strict=False)) == [
        (0, 101),
        (1, 105),
        (2, 101),
    ]
    assert result.fills.price[result.fills.asset == 1][0] == pytest.approx(close[105, 1], abs=0.01)


def test_too_many_waiting_orders_is_an_error() -> None:
    close = STOCKS.to_numpy()[:60, :2].copy()
    close[20:50, 0] = np.nan  # asset 0 has no bars while target_weights keeps asking for more
    weights = np.full(close.shape, np.nan)
    weights[20:40, 0] = np.linspace(0.1, 0.9, 20)
    with pytest.raises(InvalidValueError, match="waited for the next bar of ASSET0 at bar"):
        run_vector(close, close, weights=weights, tick_size="0.0001")


def test_huge_cash_leaves_exact_units_but_stays_close() -> None:
    kw: dict[str, Any] = {"weights": sma_cross_weights(CLOSE, 20, 100), "cash": 10**13}
    fast = run_vector(CLOSE, OPEN, **kw)
    assert not fast.exact_cash
    slow = run_vector(CLOSE, OPEN, implementation="python", **kw)
    np.testing.assert_allclose(fast.equity, slow.equity, rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one"),
        ({"weights": np.zeros(3), "signals": np.zeros(3)}, "exactly one"),
        ({"weights": np.zeros(4)}, "shape"),
        ({"weights": np.full(3, np.inf)}, "finite"),
        ({"weights": np.zeros(3), "fill": "vwap"}, "fill"),
        ({"weights": np.zeros(3), "decisions": "all"}, "decisions"),
        ({"weights": np.zeros(3), "lot_size": 0}, "lot_size"),
        ({"weights": np.zeros(3), "tick_size": [1, 2]}, "tick_size"),
        ({"weights": np.zeros(3), "commission_bps": -1}, "commission_bps"),
        ({"weights": np.zeros(3), "max_gross_leverage": 0}, "max_gross_leverage"),
        ({"weights": np.zeros(3), "max_drawdown_halt": 1.5}, "max_drawdown_halt"),
        ({"weights": np.zeros(3), "trading_state": "PAUSED"}, "trading_state"),
        ({"weights": np.zeros(3), "symbol_order": [1]}, "permutation"),
        ({"weights": np.zeros(3), "implementation": "cuda"}, "implementation"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        run_vector(np.array([1.0, 2.0, 3.0]), **kwargs)


def test_bad_prices_are_named() -> None:
    close = CLOSE.copy()
    close.iloc[50] = -1.0
    with pytest.raises(
        InvalidValueError, match=r"close of ASSET at bar 50 \(1999-03-17T00:00:00\+00:00\) is -1.0"
    ):
        run_vector(close, OPEN, weights=np.full(len(close), np.nan))
    opens = OPEN.to_numpy().copy()
    opens[101] = np.nan  # the fill bar of a decision at bar 100
    weights = np.full(len(CLOSE), np.nan)
    weights[100] = 0.5
    with pytest.raises(InvalidValueError, match="open of ASSET at bar 101"):
        run_vector(CLOSE.to_numpy(), opens, weights=weights)
    opens[101] = OPEN.iloc[101]
    opens[5] = np.nan  # no order fills there: not read
    assert run_vector(CLOSE.to_numpy(), opens, weights=weights).n_fills == 1


def test_frames_must_be_utc_and_aligned() -> None:
    naive = CLOSE.tz_localize(None)
    with pytest.raises(InvalidValueError, match="UTC"):
        run_vector(naive, weights=np.zeros(len(naive)))
    frame = STOCKS.copy()
    other = frame.iloc[:, ::-1]
    with pytest.raises(InvalidValueError, match="columns"):
        run_vector(frame, other, weights=np.zeros(frame.shape))
    with pytest.raises(InvalidValueError, match="columns"):
        run_vector(frame, weights=pd.DataFrame(np.zeros(frame.shape), index=frame.index))


def test_a_run_without_fills_has_cash_and_flat_positions() -> None:
    """Every order denied (no asset may weigh more than 0.3): nothing fills, nothing moves."""
    weights = np.full(STOCKS.shape, np.nan)
    weights[::50] = 1 / 3
    result = run_vector(STOCKS, weights=weights, max_position_weight=0.3)
    assert result.n_fills == 0
    assert set(result.orders.status) == {2}
    np.testing.assert_array_equal(result.cash, np.full(len(STOCKS), 100_000.0))
    np.testing.assert_array_equal(result.positions, np.zeros(STOCKS.shape))
    assert (result.to_frames().equity["equity"] == 100_000.0).all()
