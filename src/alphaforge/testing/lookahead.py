"""A look-ahead test any strategy can take: a run cut short must be the prefix of the full run.

A strategy that peeks at bars it should not know yet decides differently once those bars exist.
So run it twice on the same data, once ending at ``cut`` and once to the end, and demand that
every order it sent up to ``cut``, every fill up to ``cut`` and the equity curve up to ``cut`` are
identical. Orders sent on the last bar before the cut are compared as *decisions* (symbol, side,
type, quantity, prices, tag), not by their fate, which the truncated run cannot know.

This is the assertion form of :func:`alphaforge.runtime.bias.check_lookahead`, which lists every
difference instead of stopping at the first cut that has one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from alphaforge.runtime.bias import StrategyLike
    from alphaforge.runtime.inputs import DataLike
    from alphaforge.runtime.result import BacktestResult

__all__ = ["LookaheadError", "assert_no_lookahead", "default_cuts"]


class LookaheadError(AssertionError):
    """The truncated run is not a prefix of the full run: the strategy used future data."""


def assert_no_lookahead(
    strategy: StrategyLike,
    data: DataLike | None = None,
    *,
    cuts: Sequence[str | pd.Timestamp] | None = None,
    params: Mapping[str, Any] | None = None,
    **backtest_kwargs: Any,
) -> BacktestResult:
    """Run ``strategy`` in full and cut at each of ``cuts``; raise :class:`LookaheadError` on a
    difference. ``cuts`` default to :func:`default_cuts` (the bars at one third and two thirds of
    the run and the first bar of the month after each). Returns the full run (so a test can also
    check it traded at all). ``strategy`` may also be a factory ``f(frames) -> Strategy`` (see
    :func:`~alphaforge.runtime.bias.check_lookahead`)."""
    from alphaforge.runtime.bias import check_lookahead  # noqa: PLC0415  # testing sits above

    report = check_lookahead(
        strategy, data, cuts=cuts, params=params, fail_fast=True, **backtest_kwargs
    )
    first = report.first
    if first is not None:
        found = report.at(first.cut)
        raise LookaheadError(
            f"cut at {first.cut}: {first.describe()} ({len(found)} differences up to this cut; "
            "alphaforge.runtime.bias.check_lookahead lists them all)"
        )
    return report.full


def default_cuts(stamps: pd.DatetimeIndex) -> list[pd.Timestamp]:
    """The bars at one third and two thirds of the run, and the first bar of the month after
    each: a monthly rebalance decides on that bar, and a peek is only visible where a decision
    is taken."""
    from alphaforge.runtime.bias import default_cuts as cuts_of  # noqa: PLC0415

    return cuts_of(stamps)
