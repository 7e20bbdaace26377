"""ctx.history hands out the past only: its array cannot lead to later bars (a view would: its
``.base`` is the whole preloaded series)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.market import Bar
from alphaforge.runtime import backtest
from alphaforge.strategies.base import Strategy
from alphaforge.strategies.context import StrategyContext


class _Probe(Strategy):
    """Records what each history window could reach."""

    name = "history_probe_test"
    reach: ClassVar[list[int]] = []

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        window = ctx.history(bar.symbol, "close")
        base = window if window.base is None else window.base
        seen = len(window)
        self.reach.append(int(np.asarray(base).size) - seen)
        assert not window.flags.writeable


def test_history_cannot_reach_future_bars() -> None:
    _Probe.reach.clear()
    backtest(_Probe, "spx_daily", end="2001-12-31")
    assert _Probe.reach
    assert max(_Probe.reach) == 0  # nothing beyond the bars already seen


class _Counts(Strategy):
    """Asks for windows the way research code does: NumPy integers, and a wrong count once."""

    name = "history_counts_test"
    sizes: ClassVar[list[int]] = []
    errors: ClassVar[list[str]] = []

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        self.sizes.append(len(ctx.history(bar.symbol, "close", np.int64(3))))
        if not self.errors:
            for bad in (-1, 2.5):
                try:
                    ctx.history(bar.symbol, "close", bad)  # type: ignore[arg-type]
                except InvalidValueError as error:
                    self.errors.append(str(error))


def test_history_takes_numpy_integers_and_refuses_other_counts() -> None:
    _Counts.sizes.clear()
    _Counts.errors.clear()
    backtest(_Counts, "spx_daily", end="1999-01-12")
    assert _Counts.sizes[:4] == [1, 2, 3, 3]
    assert _Counts.errors == [
        "n must be an integer >= 0, got -1",
        "n must be an integer >= 0, got 2.5",
    ]
