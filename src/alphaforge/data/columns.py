"""Map a user file's column names onto the canonical ones, and guess what kind of data it holds.

Names are compared case-insensitively with ``_``, ``-`` and ``.`` read as spaces, so ``Adj Close``,
``adj_close`` and ``ADJ-CLOSE`` are one name. An explicit mapping always wins over the aliases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alphaforge.data.errors import Problem

__all__ = ["ColumnPlan", "normalize", "plan_columns", "sniff_kind"]

TIME_ALIASES: tuple[str, ...] = (
    "timestamp", "datetime", "date time", "open time", "opentime", "gmt time", "utc time",
    "time utc", "ts", "unix", "epoch", "date", "time",
)  # fmt: skip
"""Timestamp column names, most specific first."""

BAR_ALIASES: dict[str, tuple[str, ...]] = {
    "open": ("open", "o", "open price", "opening price", "first"),
    "high": ("high", "h", "high price", "max"),
    "low": ("low", "l", "low price", "min"),
    "close": ("close", "c", "close price", "closing price", "last", "last price"),
    "volume": ("volume", "vol", "v", "base volume", "tick volume", "tickvol"),
    "adj_close": ("adj close", "adjusted close", "adjclose", "adj"),
}
TRADE_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "trade id", "tradeid", "tid", "trade"),
    "side": ("side", "taker side", "direction"),
    "price": ("price", "p", "px", "rate"),
    "amount": ("amount", "qty", "quantity", "size", "volume", "vol", "q", "base amount"),
}
MAKER_ALIASES: tuple[str, ...] = ("is buyer maker", "isbuyermaker", "buyer maker", "m")
"""Binance-style flag: the buyer was the resting order, so the aggressor sold."""

_CLOSE_KIND: dict[str, tuple[str, ...]] = {
    "close": (*BAR_ALIASES["close"], "price"),
    "adj_close": BAR_ALIASES["adj_close"],
}
_SERIES_WORDS = re.compile(r"rate|return|ret\b|yield|factor|funding|spread|excess|mkt|rf\b")
_SPACES = re.compile(r"[\s_\-.]+")


def normalize(name: object) -> str:
    """Return the comparable form of a column name: lower case, single spaces."""
    return _SPACES.sub(" ", str(name)).strip().lower()


@dataclass
class ColumnPlan:
    """Which file columns become which canonical columns."""

    timestamp: list[str] = field(default_factory=list)  # one column, or date + time to join
    rename: dict[str, str] = field(default_factory=dict)  # file column -> canonical name
    extras: list[str] = field(default_factory=list)  # kept under their own name if numeric
    maker_flag: str | None = None  # trades: derive side from an is-buyer-maker column
    problems: list[Problem] = field(default_factory=list)


def plan_columns(
    names: list[str],
    *,
    kind: str,
    columns: Mapping[str, str] | None,
    timestamp: str | None,
    source: str,
) -> ColumnPlan:
    """Decide the role of every file column; missing required ones become problems."""
    plan = ColumnPlan()
    by_norm: dict[str, str] = {}
    for name in names:
        by_norm.setdefault(normalize(name), name)
    taken: set[str] = set()
    _apply_explicit(plan, names, by_norm, taken, columns, timestamp, source)
    if not plan.timestamp:
        plan.timestamp = _sniff_time(names, by_norm, taken)
        taken.update(plan.timestamp)
    if kind == "ohlcv" and names and all(n.isdigit() for n in names):
        _assign_positions(plan, names, taken)
    else:
        _assign_aliases(plan, kind, by_norm, taken)
    plan.extras = [n for n in names if n not in taken and n not in plan.rename]
    _check_required(plan, kind, names, source)
    return plan


def _apply_explicit(
    plan: ColumnPlan,
    names: list[str],
    by_norm: dict[str, str],
    taken: set[str],
    columns: Mapping[str, str] | None,
    timestamp: str | None,
    source: str,
) -> None:
    wanted = [(user, target, "columns=") for user, target in (columns or {}).items()]
    if timestamp is not None:
        wanted.append((timestamp, "timestamp", "timestamp="))
    for user, target, label in wanted:
        found = user if user in names else by_norm.get(normalize(user))
        if found is None:
            plan.problems.append(
                Problem(
                    source,
                    f"column {user!r} named in {label} is not in the file; "
                    f"it has: {', '.join(names)}",
                )
            )
            continue
        taken.add(found)
        if target == "timestamp":
            plan.timestamp = [found]
        else:
            plan.rename[found] = target


def _sniff_time(names: list[str], by_norm: dict[str, str], taken: set[str]) -> list[str]:
    for alias in TIME_ALIASES:
        name = by_norm.get(alias)
        if name is None or name in taken:
            continue
        clock = by_norm.get("time")
        if alias == "date" and clock is not None and clock not in taken:
            return [name, clock]  # separate date and time columns (MetaTrader exports)
        return [name]
    if names and all(n.isdigit() for n in names):
        return [names[0]]  # no header: the first column holds the time
    return []


def _assign_positions(plan: ColumnPlan, names: list[str], taken: set[str]) -> None:
    """No header: read the common layout time, open, high, low, close, volume, ..."""
    free = [n for n in names if n not in taken]
    targets = [
        t for t in ("open", "high", "low", "close", "volume") if t not in plan.rename.values()
    ]
    for name, target in zip(free, targets, strict=False):
        plan.rename[name] = target
        taken.add(name)


def _alias_table(kind: str) -> dict[str, tuple[str, ...]]:
    return {"trades": TRADE_ALIASES, "close": _CLOSE_KIND, "ohlcv": BAR_ALIASES}.get(kind, {})


def _first_free(aliases: Iterable[str], by_norm: dict[str, str], taken: set[str]) -> str | None:
    for alias in aliases:
        name = by_norm.get(alias)
        if name is not None and name not in taken:
            return name
    return None


def _assign_aliases(plan: ColumnPlan, kind: str, by_norm: dict[str, str], taken: set[str]) -> None:
    targets = set(plan.rename.values())
    for target, aliases in _alias_table(kind).items():
        name = None if target in targets else _first_free(aliases, by_norm, taken)
        if name is not None:
            plan.rename[name] = target
            taken.add(name)
    if kind == "trades" and "side" not in plan.rename.values():
        plan.maker_flag = _first_free(MAKER_ALIASES, by_norm, taken)
        if plan.maker_flag is not None:
            taken.add(plan.maker_flag)
    if kind == "close" and plan.rename:
        # A file with a close column: keep the close prices, not open/high/low/volume.
        bars = (a for aliases in BAR_ALIASES.values() for a in aliases)
        taken.update(by_norm[a] for a in bars if a in by_norm)


def _check_required(plan: ColumnPlan, kind: str, names: list[str], source: str) -> None:
    have = set(plan.rename.values())
    required = {"ohlcv": ("open", "high", "low", "close", "volume"),
                "trades": ("id", "side", "price", "amount")}.get(kind, ())  # fmt: skip
    missing = [c for c in required if c not in have and not (c == "side" and plan.maker_flag)]
    if not plan.timestamp:
        missing.insert(0, "timestamp")
    if missing:
        hint = "; map them with columns={'file name': 'canonical name'} (CLI: --column)"
        if "timestamp" in missing:
            hint += " and name the time column with timestamp= (CLI: --timestamp)"
        plan.problems.append(
            Problem(
                source,
                f"missing required column(s) {', '.join(missing)} for kind {kind!r}; "
                f"the file has: {', '.join(names) or 'no columns'}{hint}",
            )
        )


def sniff_kind(frame: pd.DataFrame) -> str:
    """Guess ``"ohlcv"``, ``"trades"``, ``"close"`` or ``"series"`` from a frame's columns.

    A guess for ``alphaforge data import``, to be confirmed by a person: OHLC names mean bars;
    price + amount names mean trades; a close/price column, or columns of positive numbers
    without gaps, mean close prices; anything else (NaN, negative values, names such as rate,
    return, yield, factor, funding) is a series.
    """
    names = {normalize(c): c for c in frame.columns}
    if _has_all(names, BAR_ALIASES, ("open", "high", "low", "close")):
        return "ohlcv"
    if _has_all(names, TRADE_ALIASES, ("price", "amount")):
        return "trades"
    if any(a in names for a in _CLOSE_KIND["close"] + _CLOSE_KIND["adj_close"]):
        return "close"
    data = [c for n, c in names.items() if n not in TIME_ALIASES]
    if not data or any(_SERIES_WORDS.search(normalize(c)) for c in data):
        return "series"
    numeric = frame[data].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    if np.isnan(numeric).any() or (numeric <= 0).any():
        return "series"
    return "close"


def _has_all(
    names: Iterable[str], table: dict[str, tuple[str, ...]], wanted: tuple[str, ...]
) -> bool:
    present = set(names)
    return all(any(a in present for a in table[w]) for w in wanted)
