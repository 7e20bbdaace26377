"""Trade statistics, exposure, turnover and costs on a small hand-made trades table.

The table is synthetic on purpose: five trades whose statistics are worked out by hand below.
"""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alphaforge import analytics as an
from alphaforge.analytics.trades import TRADE_COLUMNS
from alphaforge.domain.errors import InvalidValueError

UTC = "UTC"


def _ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=UTC)


def make_trades(pnl: list[float], holding_hours: list[float] | None = None) -> pd.DataFrame:
    n = len(pnl)
    hours = holding_hours if holding_hours is not None else [24.0] * n
    entry = [_ts("2024-01-01") + pd.Timedelta(days=3 * i) for i in range(n)]
    exit_ = [e + pd.Timedelta(hours=h) for e, h in zip(entry, hours, strict=True)]
    return pd.DataFrame(
        {
            "symbol": ["SPX"] * n,
            "side": ["long"] * n,
            "entry_ts": pd.DatetimeIndex(entry),
            "exit_ts": pd.DatetimeIndex(exit_),
            "quantity": [10.0] * n,
            "entry_price": [100.0] * n,
            "exit_price": [100.0 + p / 10.0 for p in pnl],
            "pnl": pnl,
            "return": [p / 1000.0 for p in pnl],
            "fees": [1.0] * n,
            "bars_held": [1] * n,
            "exit_reason": ["signal"] * n,
        }
    )


# two wins (100, 250), two losses (-50, -25), one at exactly zero
TRADES = make_trades([100.0, -50.0, 0.0, 250.0, -25.0], [24, 48, 3, 120, 12])


def test_known_statistics() -> None:
    assert list(TRADES.columns) == list(TRADE_COLUMNS)
    assert an.number_of_trades(TRADES) == 5
    assert an.win_rate(TRADES) == pytest.approx(2 / 5)  # the break-even trade is no win
    assert an.profit_factor(TRADES) == pytest.approx(350 / 75)
    assert an.expectancy(TRADES) == pytest.approx(275 / 5)
    assert an.average_win(TRADES) == pytest.approx(175.0)
    assert an.average_loss(TRADES) == pytest.approx(-37.5)
    assert an.largest_win(TRADES) == 250.0
    assert an.largest_loss(TRADES) == -50.0
    assert an.average_holding_time(TRADES) == timedelta(hours=(24 + 48 + 3 + 120 + 12) / 5)
    stats = an.trade_stats(TRADES)
    assert stats.gross_profit == 350.0
    assert stats.gross_loss == -75.0
    assert stats.expectancy == pytest.approx(55.0)


def test_undefined_statistics() -> None:
    none = make_trades([])
    assert an.number_of_trades(none) == 0
    for func in (an.win_rate, an.profit_factor, an.expectancy, an.average_win, an.largest_loss):
        assert math.isnan(func(none))
    assert an.average_holding_time(none) is None
    assert an.trade_stats(pd.DataFrame()).number_of_trades == 0  # a bare frame means no trades
    assert an.profit_factor(make_trades([10.0, 5.0])) == math.inf  # no losses
    assert math.isnan(an.average_loss(make_trades([10.0, 5.0])))
    assert an.profit_factor(make_trades([-10.0])) == 0.0
    assert math.isnan(an.profit_factor(make_trades([0.0, 0.0])))


def test_bad_tables_are_rejected() -> None:
    with pytest.raises(InvalidValueError, match="no 'pnl' column"):
        an.win_rate(TRADES.drop(columns="pnl"))
    broken = TRADES.copy()
    broken.loc[3, "pnl"] = np.nan
    with pytest.raises(InvalidValueError, match="row 3"):
        an.profit_factor(broken)
    naive = TRADES.assign(entry_ts=TRADES["entry_ts"].dt.tz_localize(None))
    with pytest.raises(InvalidValueError, match="naive"):
        an.average_holding_time(naive)


def test_exposure_from_positions_and_from_trades() -> None:
    assert an.exposure([0.0, 1.0, -2.0, 0.0]) == 0.5
    assert an.exposure(pd.Series([0.0, np.nan, 3.0])) == 0.5  # NaN bars are not counted
    assert an.exposure(np.array([[0.0, 0.0], [0.0, 1.0], [np.nan, np.nan]])) == 0.5
    assert math.isnan(an.exposure([]))
    index = pd.date_range("2024-01-01", periods=10, freq="D", tz=UTC)
    trades = make_trades([1.0, 2.0], [48, 24])  # open 01-01..01-03 and 01-04..01-05
    # open at stamps t with entry <= t < exit: 01-01, 01-02, 01-04
    assert an.exposure_from_trades(trades, index) == pytest.approx(3 / 10)
    assert an.exposure_from_trades(make_trades([]), index) == 0.0
    still_open = trades.assign(exit_ts=[trades["exit_ts"].iloc[0], pd.NaT])
    assert an.exposure_from_trades(still_open, index) == pytest.approx(2 / 10 + 7 / 10)


def test_turnover_and_costs() -> None:
    equity = np.full(505, 100_000.0)
    assert an.turnover(200_000.0, equity) == 2.0
    assert an.turnover([50_000.0, -150_000.0], equity) == 2.0  # per-bar amounts, absolute
    assert an.turnover(200_000.0, equity, periods_per_year=252) == pytest.approx(1.0)
    assert math.isnan(an.turnover(1.0, []))
    assert an.costs_by_kind({"commission": 12.5, "slippage": 3}) == {
        "commission": 12.5,
        "slippage": 3.0,
    }
    assert an.costs_by_kind(trades=TRADES) == {"fees": 5.0}
    assert an.costs_by_kind() == {}
    with pytest.raises(InvalidValueError, match="borrow"):
        an.costs_by_kind({"borrow": math.nan})


pnls = st.lists(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda x: round(x, 2)),
    max_size=40,
)


@given(pnls)
def test_statistics_are_consistent(pnl: list[float]) -> None:
    trades = make_trades(pnl)
    stats = an.trade_stats(trades)
    assert stats.number_of_trades == len(pnl)
    if not pnl:
        assert math.isnan(stats.win_rate)
        return
    assert 0.0 <= stats.win_rate <= 1.0
    assert stats.profit_factor >= 0.0 or math.isnan(stats.profit_factor)
    loss_rate = sum(p < 0 for p in pnl) / len(pnl)
    rebuilt = stats.win_rate * np.nan_to_num(stats.average_win) + loss_rate * np.nan_to_num(
        stats.average_loss
    )
    assert rebuilt == pytest.approx(stats.expectancy, rel=1e-9, abs=1e-6)
    assert stats.gross_profit + stats.gross_loss == pytest.approx(sum(pnl), rel=1e-9, abs=1e-6)
