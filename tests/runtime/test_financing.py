"""Holding costs in backtests: borrow fees on shorts, interest on cash, perpetual funding, each
checked against an independent computation from the run's own recorded equity and fills."""

from __future__ import annotations

import numpy as np
import pytest

from alphaforge.config import AlphaforgeConfig
from alphaforge.data import load_dataset
from alphaforge.domain.market import Bar
from alphaforge.domain.time import NS_PER_DAY
from alphaforge.runtime import backtest
from alphaforge.strategies import Strategy, StrategyContext

CFG = AlphaforgeConfig()


class _ShortAndHold(Strategy):
    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        if not ctx.portfolio.positions() and not ctx.open_orders():
            ctx.target_percent(bar.symbol, -0.5)


def _days(stamps: np.ndarray) -> np.ndarray:
    """UTC calendar days crossed between consecutive stamps (the accrual convention)."""
    day = (stamps - 1) // NS_PER_DAY
    return np.diff(day)


def test_a_short_pays_borrow_on_every_calendar_day() -> None:
    result = backtest(
        _ShortAndHold(), "spx_daily", end="2000-12-31", allow_short=True, borrow_rate=0.03,
        config=CFG,
    )  # fmt: skip
    eq = result.equity
    stamps = eq.index.as_unit("ns").asi8
    short_value = -eq["net"].to_numpy()[:-1]  # held over each interval, at the previous close
    expected = float(np.sum(short_value * 0.03 / 360 * _days(stamps)))
    assert result.costs["borrow"] == pytest.approx(expected, rel=1e-9, abs=1e-6 * len(eq))
    assert result.costs["borrow"] > 100  # about 50,000 short for two years at 3 %


def test_cash_earns_interest_and_equity_shows_it() -> None:
    plain = backtest("buy_and_hold", "spx_daily", params={"weight": 0.5}, end="2001-12-31",
                     config=CFG)  # fmt: skip
    paid = backtest("buy_and_hold", "spx_daily", params={"weight": 0.5}, end="2001-12-31",
                    cash_rate=0.04, config=CFG)  # fmt: skip
    eq = paid.equity
    stamps = eq.index.as_unit("ns").asi8
    expected = -float(np.sum(eq["cash"].to_numpy()[:-1] * 0.04 / 360 * _days(stamps)))
    assert paid.costs["interest"] == pytest.approx(expected, rel=1e-9, abs=1e-6 * len(eq))
    gain = paid.equity["equity"].iloc[-1] - plain.equity["equity"].iloc[-1]
    assert gain == pytest.approx(-paid.costs["interest"], rel=1e-9)


def test_a_perpetual_pays_its_real_funding() -> None:
    result = backtest("buy_and_hold", "binance_xrpusdt_perp_5m", fractional=True, config=CFG)
    funding = load_dataset("binance_xrpusdt_funding_8h")["funding_rate"]
    fill = result.fills.iloc[0]
    closes = load_dataset("binance_xrpusdt_perp_5m")["close"]
    closes.index = closes.index + np.timedelta64(5, "m")  # a 5-minute bar is known at its close
    end = result.equity.index[-1]
    due = funding[(funding.index > fill["ts"]) & (funding.index <= end)]
    assert len(due) >= 9
    # Each payment is valued at the last close known strictly before its funding time.
    marks = np.array([closes[closes.index < t].iloc[-1] for t in due.index])
    expected = float(np.sum(fill["quantity"] * marks * due.to_numpy()))
    assert result.costs["funding"] == pytest.approx(expected, rel=1e-6)
    assert result.provenance["data"][0]["dataset"] == "binance_xrpusdt_perp_5m"
