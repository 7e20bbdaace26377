"""Walk-forward on a strategy's own bars: the glue between ``StrategyObjective`` (a strategy,
its data and settings) and the generic ``alphaforge.research.walkforward``.

>>> objective = StrategyObjective("sma_cross", data="spx_daily")
>>> windows = strategy_windows(objective, n_windows=10, train=0.75)
>>> result = walk_forward(objective, {"fast": IntRange(5, 100, 5)}, windows, method="tpe")
>>> benchmark = buy_and_hold(objective, result.oos_equity.index)

The windows are cut on the stamps a run of the objective marks its equity at (each bar's event
time: the session close of a daily bar), from its ``start`` (earlier bars only warm up
indicators) to its ``end``, so every window bound is a real bar of the run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from alphaforge.data.catalog_args import time_bound
from alphaforge.domain.errors import InvalidValueError
from alphaforge.research.walkforward import Window, walk_forward_windows
from alphaforge.runtime._wiring import make_feed
from alphaforge.runtime.objective import StrategyObjective

__all__ = ["buy_and_hold", "run_bars", "strategy_windows"]


def run_bars(objective: StrategyObjective) -> pd.DatetimeIndex:
    """The stamps of the objective's run (bars and trades merged as the engines merge them),
    from its ``start`` to its ``end``."""
    run = objective.prepared()
    feed = make_feed(run.series, run.end)
    stamps = np.unique(np.concatenate([feed.arrays().ts_event, feed.trades().ts_event]))
    start = time_bound(run.start, "start")
    if start is not None:
        stamps = stamps[stamps >= start.value]
    return pd.DatetimeIndex(pd.to_datetime(stamps, unit="ns", utc=True), name="ts")


def strategy_windows(objective: StrategyObjective, **options: Any) -> list[Window]:
    """``walk_forward_windows`` over :func:`run_bars` (same keyword options)."""
    return walk_forward_windows(run_bars(objective), **options)


def buy_and_hold(objective: StrategyObjective, index: pd.DatetimeIndex) -> pd.Series:
    """Growth of 1 from ``index[0]`` by holding the run's symbols in equal parts, without costs
    (each symbol's last close at or before each stamp): the yardstick of the OOS curve."""
    if len(index) < 1:
        raise InvalidValueError("buy_and_hold needs at least one stamp")
    run = objective.prepared()
    batch = make_feed(run.series, run.end).arrays()
    if len(batch) == 0:
        raise InvalidValueError("the run has no bars to buy and hold")
    curves: list[pd.Series] = []
    for stream in np.unique(batch.stream):
        rows = batch.stream == stream
        close = pd.Series(
            batch.close[rows], index=pd.to_datetime(batch.ts_event[rows], unit="ns", utc=True)
        )
        levels = close.reindex(close.index.union(index)).ffill().reindex(index)
        if pd.notna(levels.iloc[0]) and levels.iloc[0] > 0:
            curves.append(levels / levels.iloc[0])
    if not curves:
        raise InvalidValueError("no symbol has a price at the first stamp to buy at")
    growth: pd.Series = pd.concat(curves, axis=1).mean(axis=1).ffill()
    return growth.rename("buy_and_hold")
