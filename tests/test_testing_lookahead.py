"""The look-ahead test catches a planted peek and passes honest strategies (on the real S&P 500)."""

from __future__ import annotations

import pytest

from alphaforge.domain.market import Bar
from alphaforge.strategies import Strategy, StrategyContext
from alphaforge.testing import LookaheadError, assert_no_lookahead


class _Peek(Strategy):
    """Cheats on purpose: reads five bars ahead through the kernel's private arrays."""

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        stream = ctx._kernel.streams[(bar.symbol, "1d")]  # type: ignore[attr-defined]
        ahead = stream.arrays["close"][stream.position + 1 : stream.position + 6]
        if len(ahead) == 5:
            ctx.target_percent(bar.symbol, 1.0 if ahead[-1] > bar.close else 0.0)


def test_planted_peek_is_caught() -> None:
    with pytest.raises(LookaheadError, match="cut at"):
        assert_no_lookahead(_Peek, "spx_daily", start="2010-01-01")


def test_honest_strategy_passes_and_traded() -> None:
    full = assert_no_lookahead(
        "sma_cross", "spx_daily", params={"fast": 10, "slow": 30}, start="2010-01-01"
    )
    assert len(full.orders) > 20  # it traded, so the comparison compared something


def test_explicit_cuts_on_joined_data() -> None:
    full = assert_no_lookahead(
        "sma_cross", ["spx_daily", "nasdaq_daily"], cuts=["2005-06-01"], start="2004-01-01"
    )
    assert set(full.orders["symbol"]) == {"SPX", "NASDAQ"}


def test_an_end_argument_bounds_both_runs() -> None:
    full = assert_no_lookahead("sma_cross", "spx_daily", start="2010-01-01", end="2014-12-31")
    assert full.equity.index[-1].year == 2014
    with pytest.raises(ValueError, match="not before the run's last bar"):
        assert_no_lookahead("sma_cross", "spx_daily", start="2010-01-01", end="2014-12-31",
                            cuts=["2016-01-04"])  # fmt: skip
