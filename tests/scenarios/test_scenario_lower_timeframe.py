"""Scenarios through ``backtest()``: ``intrabar="lower_timeframe"`` resolves a bar from finer bars.

Synthetic known-answer candles: three 4-hour bars of AAA and the hourly bars they are made of.
The strategy buys 10 at the close of 4h bar 0 (filled at bar 1's open, 100.00) and, once
filled, protects it with a sell trailing stop 2.00 under the last close (100.00): stop 98.00.
4h bar 2 is (100, 104, 97.5, 101): the 4-hour bar alone cannot say whether 104 came before
97.5. The pessimistic policy assumes the low first (stopped at 98.00); the hourly bars say
which came first: with the high first, the stop ratchets to 102.00 and is hit there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import pytest

from alphaforge.domain.enums import OrderSide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.fills import Fill
from alphaforge.domain.intents import OrderIntent
from alphaforge.domain.market import Bar
from alphaforge.runtime import backtest
from alphaforge.strategies import Strategy, StrategyContext

Row = tuple[float, float, float, float]
QUIET: list[Row] = [
    (100.0, 100.5, 99.8, 100.2),
    (100.2, 100.4, 99.5, 99.9),
    (99.9, 100.3, 99.7, 100.1),
    (100.1, 100.3, 99.9, 100.0),
]
HIGH_FIRST: list[Row] = [
    (100.0, 104.0, 100.0, 103.5),
    (103.5, 103.6, 101.0, 101.5),
    (101.5, 101.6, 97.5, 98.0),
    (98.0, 101.0, 98.0, 101.0),
]
LOW_FIRST: list[Row] = [
    (100.0, 100.5, 97.5, 98.0),
    (98.0, 101.0, 98.0, 100.5),
    (100.5, 104.0, 100.5, 103.5),
    (103.5, 103.6, 101.0, 101.0),
]


def _frames(last: list[Row]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(4h bars, 1h bars) of AAA; each 4h bar is the hourly bars it holds."""
    hours = QUIET + QUIET + last
    index = pd.date_range("2024-01-01", periods=len(hours), freq="h", tz="UTC")
    hourly = pd.DataFrame(hours, index=index, columns=["open", "high", "low", "close"])
    hourly["volume"] = 1000.0
    coarse = hourly.resample("4h").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    return coarse, hourly


class _BuyThenTrail(Strategy):
    """Buy 10 after the first 4h bar; trail a stop 2.00 under the price once filled."""

    def on_start(self, ctx: StrategyContext) -> None:
        self.coarse = 0

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        if bar.timeframe == "4h":
            self.coarse += 1
            if self.coarse == 1:
                ctx.order("AAA", OrderSide.BUY, 10)

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> None:
        if fill.side is OrderSide.BUY:
            ctx.submit(OrderIntent.trailing_stop("AAA", OrderSide.SELL, 10, "2.00"))


@dataclass(frozen=True)
class Case:
    name: str
    last: list[Row]
    lower: bool
    exit_price: float


CASES = [
    Case("4h alone, pessimistic: low first", HIGH_FIRST, False, 98.0),
    Case("hourly bars, high first: ratchets to 102", HIGH_FIRST, True, 102.0),
    Case("hourly bars, low first: stopped at 98", LOW_FIRST, True, 98.0),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_trailing_stop_follows_the_hourly_path(case: Case) -> None:
    coarse, hourly = _frames(case.last)
    data: dict[str, Any] = {"AAA": [coarse, hourly]} if case.lower else {"AAA": coarse}
    intrabar: Any = "lower_timeframe" if case.lower else "pessimistic"
    result = backtest(_BuyThenTrail, data, intrabar=intrabar, commission_bps=0, slippage_bps=0)
    fills = [(row.side, row.price, row.reason) for row in result.fills.itertuples()]
    assert fills == [
        ("buy", 100.0, "market at open"),
        ("sell", case.exit_price, "trailing stop hit"),
    ]
    closes = pd.DatetimeIndex(coarse.index + pd.Timedelta(hours=4))
    assert result.fills["ts"].tolist() == list(closes[1:])  # stamped at the 4h closes
    assert result.equity.index.equals(closes)  # equity on the 4h clock, not the hourly one


class _StopMidBar(Strategy):
    """Buy 10 after the first 4h bar; after the 10:00 hourly bar, a sell stop at 99.00."""

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        if bar.timeframe == "4h" and ctx.history("AAA", timeframe="4h").size == 1:
            ctx.order("AAA", OrderSide.BUY, 10)
        if bar.timeframe == "1h" and ctx.now.hour == 10:
            ctx.order("AAA", OrderSide.SELL, 10, stop_price=99.0)


def test_an_order_sent_inside_a_bar_meets_only_the_hours_after_it() -> None:
    # LOW_FIRST reaches 97.5 at 08:00-09:00 and 98.0 at 09:00-10:00, before the stop existed;
    # after 10:00 the low is 100.5: the stop must not fill.
    coarse, hourly = _frames(LOW_FIRST)
    result = backtest(_StopMidBar, {"AAA": [coarse, hourly]}, intrabar="lower_timeframe")
    assert result.fills["side"].tolist() == ["buy"]
    assert result.orders["status"].tolist() == ["filled", "accepted"]


def test_lower_timeframe_without_finer_bars_is_refused() -> None:
    coarse, _ = _frames(HIGH_FIRST)
    with pytest.raises(InvalidValueError, match="needs a finer bar stream of AAA"):
        backtest(_BuyThenTrail, {"AAA": coarse}, intrabar="lower_timeframe")
