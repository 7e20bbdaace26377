"""A look-ahead test any strategy can take: a run cut short must be the prefix of the full run.

A strategy that peeks at bars it should not know yet decides differently once those bars exist.
So run it twice on the same data, once ending at ``cut`` and once to the end, and demand that
every order it sent up to ``cut``, every fill up to ``cut`` and the equity curve up to ``cut`` are
identical. Orders sent on the last bar before the cut are compared as *decisions* (symbol, side,
type, quantity, prices, tag), not by their fate, which the truncated run cannot know.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from alphaforge.runtime.inputs import DataLike
    from alphaforge.runtime.result import BacktestResult
    from alphaforge.strategies import Strategy

__all__ = ["LookaheadError", "assert_no_lookahead", "default_cuts"]

_DECISION = ("created", "symbol", "side", "type", "quantity", "limit_price", "stop_price", "tag")
_FILL = ("ts", "symbol", "side", "quantity", "price")


class LookaheadError(AssertionError):
    """The truncated run is not a prefix of the full run: the strategy used future data."""


def assert_no_lookahead(
    strategy: str | type[Strategy],
    data: DataLike | None = None,
    *,
    cuts: Sequence[str | pd.Timestamp] | None = None,
    params: Mapping[str, Any] | None = None,
    **backtest_kwargs: Any,
) -> BacktestResult:
    """Run ``strategy`` in full and cut at each of ``cuts``; raise :class:`LookaheadError` on a
    difference. ``cuts`` default to :func:`default_cuts` (the bars at one third and two thirds of
    the run and the first bar of the month after each). Returns the full run (so a test can also
    check it traded at all)."""
    from alphaforge.runtime import backtest  # noqa: PLC0415  # testing sits above the layers

    end = backtest_kwargs.pop("end", None)
    kwargs = {"params": params, **backtest_kwargs}
    full = backtest(strategy, data, end=end, **kwargs)
    stamps = full.equity.index
    if cuts is None:
        cuts = default_cuts(pd.DatetimeIndex(stamps))
    for cut in cuts:
        at = pd.Timestamp(cut)
        at = at.tz_localize("UTC") if at.tzinfo is None else at.tz_convert("UTC")
        if at >= stamps[-1]:
            raise ValueError(f"cut {cut} is not before the run's last bar ({stamps[-1]})")
        part = backtest(strategy, data, end=at, **kwargs)
        _compare(full, part, at)
    return full


def default_cuts(stamps: pd.DatetimeIndex) -> list[pd.Timestamp]:
    """The bars at one third and two thirds of the run, and the first bar of the month after
    each: a monthly rebalance decides on that bar, and a peek is only visible where a decision
    is taken."""
    if len(stamps) < 3:
        raise ValueError("the run has fewer than 3 bars; pass cuts=")
    cuts: list[pd.Timestamp] = []
    months = stamps.year * 12 + stamps.month
    for i in (len(stamps) // 3, 2 * len(stamps) // 3):
        cuts.append(stamps[i])
        later = stamps[(stamps > stamps[i]) & (months != months[i])]
        if len(later) and later[0] < stamps[-1]:
            cuts.append(later[0])
    return sorted(set(cuts))


def _compare(full: BacktestResult, part: BacktestResult, cut: pd.Timestamp) -> None:
    eq_full = full.equity.loc[full.equity.index <= cut]
    eq_part = part.equity.loc[part.equity.index <= cut]
    if not eq_full.index.equals(eq_part.index):
        raise LookaheadError(f"cut at {cut}: the equity curves have different timestamps")
    diff = (eq_full["equity"] - eq_part["equity"]).abs()
    if (diff > 0).any():
        first = diff[diff > 0].index[0]
        raise LookaheadError(
            f"cut at {cut}: equity differs first at {first}: {eq_full['equity'][first]!r} "
            f"with the future known, {eq_part['equity'][first]!r} without"
        )
    _same_rows(full.orders, part.orders, "created", _DECISION, cut, "orders")
    _same_rows(full.fills, part.fills, "ts", _FILL, cut, "fills")


def _same_rows(
    a: pd.DataFrame,
    b: pd.DataFrame,
    stamp: str,
    columns: Sequence[str],
    cut: pd.Timestamp,
    what: str,
) -> None:
    cols = [c for c in columns if c in a.columns]
    left = a.loc[a[stamp] <= cut, cols].reset_index(drop=True)
    right = b.loc[b[stamp] <= cut, cols].reset_index(drop=True)
    if len(left) != len(right):
        raise LookaheadError(
            f"cut at {cut}: {len(left)} {what} up to the cut with the future known, "
            f"{len(right)} without"
        )
    for i in range(len(left)):
        x, y = left.iloc[i], right.iloc[i]
        if not all(_same(x[c], y[c]) for c in cols):
            raise LookaheadError(
                f"cut at {cut}: {what} row {i} differs: {dict(x)} with the future known, "
                f"{dict(y)} without"
            )


def _same(x: object, y: object) -> bool:
    if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
        return True
    return bool(x == y)
