"""Intrabar paths: the order in which a bar is assumed to have visited its open, high, low, close.

A bar does not say whether its high came before its low. Whenever that matters (a stop-loss and
a take-profit both inside one bar; a stop-limit that triggers and then needs the price to come
back; a trailing stop that ratchets and then is hit), the fill rules walk a **price path**: a
short sequence of prices, each reached either *continuously* from the previous one (so every
price in between traded, and a stop fills at its level) or by a *jump* (a gap: nothing traded in
between, so a stop fills at the price after the gap).

A bar becomes ``open -> high -> low -> close`` or ``open -> low -> high -> close``; the open is
reached by a jump (the gap from the previous close). Which of the two, is the
``IntrabarPolicy``:

* ``"pessimistic"`` (default): the extreme **adverse to the order** comes first. A sell (a long's
  stop-loss and take-profit, or a short entry) sees the low before the high; a buy sees the high
  first. So a bracket whose stop and target both lie inside one bar is stopped out.
* ``"ohlc_path"``: the extreme **nearer the open** comes first; a tie goes low first. This is the
  convention of MultiCharts' backtester ("Intra-bar Price Movement Assumptions": open nearer the
  high -> O-H-L-C, else O-L-H-C) and of NautilusTrader's adaptive bar ordering. It ignores the
  order's side, so it can be optimistic.
* ``"lower_timeframe"``: the path is the sequence of the lower-timeframe bars that make up the
  bar (e.g. the 5-minute bars of an hour), each reached by a jump at its open and walked
  pessimistically inside. When none are given it falls back to ``"pessimistic"`` and says so in
  the path's ``note`` (which the simulated broker copies into fill reasons).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple, get_args

from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.market import Bar

__all__ = [
    "INTRABAR_POLICIES",
    "IntrabarPolicy",
    "PricePath",
    "bar_path",
    "check_policy",
    "nearest_extreme_first",
    "path_for",
    "point_path",
]

IntrabarPolicy = Literal["pessimistic", "ohlc_path", "lower_timeframe"]
INTRABAR_POLICIES: tuple[str, ...] = get_args(IntrabarPolicy)


class PricePath(NamedTuple):
    """Prices in the order they are assumed to have traded.

    ``jumps[i]`` is True when ``prices[i]`` was reached by a gap from ``prices[i - 1]`` (always
    True for ``i == 0``, the arrival). ``label`` names the arrival price in fill reasons
    ("open", "close", "trade"); ``note`` says how the path was chosen.
    """

    prices: tuple[float, ...]
    jumps: tuple[bool, ...]
    label: str = "open"
    note: str = ""


_BAR_JUMPS = (True, False, False, False)


def check_policy(policy: str) -> IntrabarPolicy:
    """Return ``policy`` if it is an ``IntrabarPolicy``; raise ``InvalidValueError`` otherwise."""
    if policy not in INTRABAR_POLICIES:
        raise InvalidValueError(
            f"intrabar policy must be one of {', '.join(INTRABAR_POLICIES)}; got {policy!r}"
        )
    return policy  # type: ignore[return-value]


def bar_path(bar: Bar, *, high_first: bool, note: str = "") -> PricePath:
    """Return ``O-H-L-C`` (``high_first``) or ``O-L-H-C`` for ``bar``."""
    middle = (bar.high, bar.low) if high_first else (bar.low, bar.high)
    return PricePath((bar.open, *middle, bar.close), _BAR_JUMPS, "open", note)


def point_path(price: float, label: str) -> PricePath:
    """Return a path of one price reached by a jump: a close (``fill="close"``) or a trade."""
    return PricePath((price,), (True,), label, "")


def nearest_extreme_first(bar: Bar) -> bool:
    """Return whether the high comes first under ``"ohlc_path"``: the open is nearer the high."""
    return bar.high - bar.open < bar.open - bar.low


def _adverse_first(side_sign: int) -> bool:
    """A buy (+1) fears the high, a sell (-1) the low: high first for buys."""
    return side_sign > 0


def _lower_path(bar: Bar, lower_bars: Sequence[Bar], side_sign: int) -> PricePath:
    prices: list[float] = []
    jumps: list[bool] = []
    high_first = _adverse_first(side_sign)
    previous_ts = None
    for lower in lower_bars:
        if lower.symbol != bar.symbol:
            raise InvalidValueError(
                f"lower-timeframe bar of {lower.symbol!r} given for a bar of {bar.symbol!r}"
            )
        if lower.ts_event > bar.ts_event or (
            previous_ts is not None and lower.ts_event <= previous_ts
        ):
            raise InvalidValueError(
                f"lower-timeframe bars of {bar.symbol} must be sorted and end by the bar's "
                f"ts_event {bar.ts_event}; got {lower.ts_event} after {previous_ts}"
            )
        previous_ts = lower.ts_event
        middle = (lower.high, lower.low) if high_first else (lower.low, lower.high)
        prices.extend((lower.open, *middle, lower.close))
        jumps.extend(_BAR_JUMPS)
    note = f"lower timeframe: {len(lower_bars)} {lower_bars[0].timeframe} bars"
    return PricePath(tuple(prices), tuple(jumps), "open", note)


def path_for(
    bar: Bar,
    policy: IntrabarPolicy,
    side_sign: int,
    lower_bars: Sequence[Bar] | None = None,
) -> PricePath:
    """Return the path the orders of side ``side_sign`` (+1 buy, -1 sell) walk through ``bar``."""
    if policy == "ohlc_path":
        high_first = nearest_extreme_first(bar)
        order = "O-H-L-C" if high_first else "O-L-H-C"
        return bar_path(
            bar, high_first=high_first, note=f"ohlc_path: open nearer extreme first, {order}"
        )
    if policy == "lower_timeframe":
        if lower_bars:
            return _lower_path(bar, lower_bars, side_sign)
        return bar_path(
            bar,
            high_first=_adverse_first(side_sign),
            note="no lower-timeframe bars given: pessimistic, adverse extreme first",
        )
    return bar_path(
        bar, high_first=_adverse_first(side_sign), note="pessimistic: adverse extreme first"
    )
