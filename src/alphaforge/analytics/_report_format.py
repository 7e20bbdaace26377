"""Value formats of the research reports (walk-forward, robustness, optimization), one copy.

The pages and the terminal tables of ``alphaforge walkforward``, ``robustness`` and ``optimize``
show the same figures the same way: percentages and ratios as the tearsheet writes them
(:mod:`alphaforge.analytics._tearsheet_html`), counts with thousands separators, other numbers
with four significant digits, ``n/a`` for a missing or non-finite value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from alphaforge.analytics._tearsheet_html import NOT_AVAILABLE, fmt_pct, fmt_ratio, fmt_time

__all__ = ["IS_OOS_FIGURES", "fmt_day", "fmt_value"]

#: (``Metrics`` field, label, format) of the in-sample / out-of-sample / buy & hold tables.
IS_OOS_FIGURES = (
    ("total_return", "Total return", "pct"),
    ("annual_return", "Annual return (CAGR)", "pct"),
    ("annual_volatility", "Annual volatility", "pct"),
    ("sharpe_ratio", "Sharpe ratio", "ratio"),
    ("sortino_ratio", "Sortino ratio", "ratio"),
    ("max_drawdown", "Max drawdown", "pct"),
    ("calmar_ratio", "Calmar ratio", "ratio"),
    ("periods", "Bars", "count"),
)


def _count(value: Any) -> str:
    return f"{value:,.0f}"


_KINDS: dict[str, Callable[[Any], str]] = {"pct": fmt_pct, "ratio": fmt_ratio, "count": _count}


def fmt_day(stamp: pd.Timestamp) -> str:
    """Return the date of ``stamp`` (``2024-01-31``)."""
    return stamp.strftime("%Y-%m-%d")


def fmt_value(value: Any, kind: str = "num", *, day_only: bool = False) -> str:
    """Return ``value`` as the reports show it.

    ``kind``: ``pct`` (12.34%), ``ratio`` (1.23), ``count`` (1,234) or ``num`` (4 significant
    digits for a float, ``str`` for anything else). None and non-finite floats are ``n/a``; a
    timestamp is its date at midnight, else date and minute (``day_only``: always the date).
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return NOT_AVAILABLE
    if isinstance(value, pd.Timestamp):
        return fmt_day(value) if day_only else fmt_time(value)
    if kind in _KINDS:
        return _KINDS[kind](value)
    return f"{value:.4g}" if isinstance(value, float | np.floating) else str(value)
