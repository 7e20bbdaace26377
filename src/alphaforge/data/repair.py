"""Named, explicit repairs for data that failed validation, each one reported row by row.

Nothing is repaired silently: the caller names the policies, and every action lists the rows it
touched, so the repair can be written next to the data (``alphaforge data import --repair ...``).
Policies run in the order of :data:`REPAIR_POLICIES` whatever order they are given in (drops
first, then sort and de-duplication, then fixes that need clean rows), so a list of policies
always means one result.

Row numbers are 1-based positions in the frame as given to :func:`repair` (for inserted bars:
positions in the repaired frame). Filled bars carry ``filled = 1.0`` in a ``filled`` column that
validation knows; every other row has 0.0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd

from alphaforge.core.suggest import did_you_mean
from alphaforge.data.calendars import (
    check_calendar,
    expected_timestamps,
    find_gaps,
    infer_frequency,
)
from alphaforge.data.validation import (
    FILLED_COLUMN,
    KINDS,
    LINE_OFFSET_ATTR,
    OHLCV_COLUMNS,
    ROWS_FINGERPRINT_ATTR,
)
from alphaforge.domain.errors import InvalidValueError

__all__ = ["REPAIR_POLICIES", "RepairAction", "repair"]

REPAIR_POLICIES: Mapping[str, str] = MappingProxyType(
    {
        "drop-nan": "drop rows with NaN in a required field (series: rows that are all NaN)",
        "drop-inf": "drop rows with +inf or -inf in any numeric field",
        "drop-nonpositive": "drop rows with a price <= 0 (trades: also an amount <= 0)",
        "sort": "sort rows by timestamp; rows with equal stamps keep their order",
        "drop-duplicates-keep-first": (
            "drop rows whose timestamp (trades: trade id) repeats an earlier row's"
        ),
        "drop-duplicates-keep-last": (
            "drop rows whose timestamp (trades: trade id) repeats a later row's"
        ),
        "clip-ohlc": "widen high and low to include open and close",
        "fill-gaps-ffill": (
            "insert the bars the calendar expects but lacks, carrying the last close forward "
            "with volume 0 and filled = 1 (needs a calendar)"
        ),
    }
)
"""Every repair policy by name, in the order they run, with what it does."""

_PRICE_FIELDS = {"ohlcv": ("open", "high", "low", "close"), "trades": ("price", "amount")}


@dataclass(frozen=True, slots=True)
class RepairAction:
    """What one policy did: the rows it dropped, changed, moved or inserted, and how many."""

    policy: str
    rows: tuple[int, ...]
    count: int
    description: str

    def __str__(self) -> str:
        shown = ", ".join(str(r) for r in self.rows[:10])
        more = f", ... ({self.count} in all)" if self.count > 10 else ""
        return f"{self.policy}: {self.description}" + (f" [rows {shown}{more}]" if shown else "")


@dataclass
class _State:
    frame: pd.DataFrame
    origin: np.ndarray  # 1-based row number in the input of each current row (0: inserted)
    kind: str
    source: str
    calendar: str | None
    frequency: str | None

    def drop(self, mask: np.ndarray, policy: str, why: str) -> RepairAction:
        rows = tuple(int(r) for r in self.origin[mask])
        self.frame = self.frame.loc[~mask]
        self.origin = self.origin[~mask]
        what = f"dropped {len(rows)} row(s) {why}" if rows else f"nothing to drop ({why})"
        return RepairAction(policy, rows, len(rows), what)

    def numeric(self) -> list[str]:
        return [
            str(c)
            for c in self.frame.columns
            if c != FILLED_COLUMN and pd.api.types.is_numeric_dtype(self.frame[c].dtype)
            and not (self.kind == "trades" and c == "id")
        ]  # fmt: skip


def repair(
    frame: pd.DataFrame,
    policies: Sequence[str],
    *,
    source: str,
    kind: str = "ohlcv",
    calendar: str | None = None,
    frequency: str | None = None,
) -> tuple[pd.DataFrame, tuple[RepairAction, ...]]:
    """Apply the named policies to a copy of ``frame``; return it with one action per policy.

    Raise ``InvalidValueError`` for an unknown policy, contradictory ones (keep-first with
    keep-last), or ``fill-gaps-ffill`` without a calendar. The result is not validated: run
    ``validate_frame`` on it.
    """
    wanted = _check_policies(policies, kind, calendar)
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise InvalidValueError(
            f"{source}: repair needs a DatetimeIndex, got {type(frame.index).__name__}"
        )
    state = _State(
        frame=frame.copy(),
        origin=np.arange(1, len(frame) + 1, dtype=np.int64),
        kind=kind,
        source=source,
        calendar=None if calendar is None else check_calendar(calendar),
        frequency=frequency,
    )
    actions = tuple(_STEPS[name](state, name) for name in REPAIR_POLICIES if name in wanted)
    state.frame.attrs.pop(LINE_OFFSET_ATTR, None)  # rows no longer match file lines
    state.frame.attrs.pop(ROWS_FINGERPRINT_ATTR, None)
    return state.frame, actions


def _check_policies(policies: Sequence[str], kind: str, calendar: str | None) -> set[str]:
    if kind not in KINDS:
        raise InvalidValueError(f"unknown data kind {kind!r}; expected one of {', '.join(KINDS)}")
    if isinstance(policies, str):
        raise InvalidValueError(f"policies must be a list of names, got the string {policies!r}")
    for name in policies:
        if name not in REPAIR_POLICIES:
            raise InvalidValueError(
                f"unknown repair policy {name!r}{did_you_mean(name, REPAIR_POLICIES)}; "
                f"expected some of {', '.join(REPAIR_POLICIES)}"
            )
    wanted = set(policies)
    if {"drop-duplicates-keep-first", "drop-duplicates-keep-last"} <= wanted:
        raise InvalidValueError(
            "drop-duplicates-keep-first and drop-duplicates-keep-last contradict each other; "
            "choose one"
        )
    if "fill-gaps-ffill" in wanted and (kind == "trades" or calendar in (None, "none")):
        raise InvalidValueError(
            "fill-gaps-ffill needs bars on a calendar: give calendar= (e.g. 'XNYS', '24/7', "
            f"'24/5'); got kind {kind!r}, calendar {calendar!r}"
        )
    return wanted


# ---------------------------------------------------------------- steps


def _drop_nan(state: _State, policy: str) -> RepairAction:
    frame = state.frame
    if state.kind == "series":
        fields = state.numeric()
        mask = (
            np.asarray(frame[fields].isna().all(axis=1)) if fields else np.zeros(len(frame), bool)
        )
        return state.drop(mask, policy, "where every value is NaN")
    if state.kind == "ohlcv":
        fields = [c for c in OHLCV_COLUMNS if c in frame.columns]
    elif state.kind == "trades":
        fields = [c for c in ("id", "side", "price", "amount") if c in frame.columns]
    else:
        fields = state.numeric()
    mask = np.asarray(frame[fields].isna().any(axis=1))
    return state.drop(mask, policy, f"with NaN in {', '.join(fields)}")


def _drop_inf(state: _State, policy: str) -> RepairAction:
    fields = state.numeric()
    values = state.frame[fields].to_numpy(dtype=np.float64, na_value=np.nan)
    mask = np.asarray(np.isinf(values).any(axis=1))
    return state.drop(mask, policy, "with +inf or -inf")


def _drop_nonpositive(state: _State, policy: str) -> RepairAction:
    fields = list(_PRICE_FIELDS.get(state.kind, ()))
    if state.kind == "close":
        fields = state.numeric()
    fields = [c for c in fields if c in state.frame.columns]
    if not fields:
        return state.drop(np.zeros(len(state.frame), bool), policy, "no price fields")
    values = state.frame[fields].to_numpy(dtype=np.float64, na_value=np.nan)
    mask = np.asarray((values <= 0).any(axis=1))
    return state.drop(mask, policy, f"with {' or '.join(fields)} <= 0")


def _sort(state: _State, policy: str) -> RepairAction:
    ns = _ns(state.frame.index)
    order = np.argsort(ns, kind="stable")
    moved = order != np.arange(len(order))
    rows = tuple(int(r) for r in state.origin[order][moved])
    state.frame = state.frame.iloc[order]
    state.origin = state.origin[order]
    what = f"moved {len(rows)} row(s) into time order" if rows else "already in time order"
    return RepairAction(policy, rows, len(rows), what)


def _ns(index: pd.Index) -> np.ndarray:
    return np.asarray(pd.DatetimeIndex(index).as_unit("ns").asi8, dtype=np.int64)


def _dedupe(state: _State, policy: str) -> RepairAction:
    keep: Literal["first", "last"] = "first" if policy.endswith("first") else "last"
    if state.kind == "trades":
        mask = np.asarray(state.frame["id"].duplicated(keep=keep))
        return state.drop(mask, policy, f"repeating a trade id (kept the {keep})")
    mask = np.asarray(state.frame.index.duplicated(keep=keep))
    return state.drop(mask, policy, f"repeating a timestamp (kept the {keep})")


def _clip_ohlc(state: _State, policy: str) -> RepairAction:
    if state.kind != "ohlcv":
        return RepairAction(policy, (), 0, f"not applicable to {state.kind} data")
    frame = state.frame
    prices = frame[["open", "high", "low", "close"]].to_numpy(dtype=np.float64, na_value=np.nan)
    high = np.fmax.reduce(prices, axis=1)
    low = np.fmin.reduce(prices, axis=1)
    old_high = prices[:, 1]
    old_low = prices[:, 2]
    changed = (high > old_high) | (low < old_low)
    rows = tuple(int(r) for r in state.origin[changed])
    if rows:
        frame = frame.copy()
        frame["high"] = np.where(changed, high, old_high)
        frame["low"] = np.where(changed, low, old_low)
        state.frame = frame
    what = f"widened high/low on {len(rows)} row(s)" if rows else "high/low already hold open/close"
    return RepairAction(policy, rows, len(rows), what)


def _fill_gaps(state: _State, policy: str) -> RepairAction:
    frame = state.frame
    index = frame.index
    if not (index.is_monotonic_increasing and index.is_unique):
        raise InvalidValueError(
            f"{state.source}: fill-gaps-ffill needs sorted, unique timestamps; add the 'sort' "
            "and 'drop-duplicates-keep-first' policies"
        )
    calendar = state.calendar or "none"
    frequency = state.frequency or infer_frequency(pd.DatetimeIndex(index))
    if frequency is None:
        raise InvalidValueError(
            f"{state.source}: cannot infer the bar frequency; give frequency= (e.g. '1d')"
        )
    gaps = find_gaps(pd.DatetimeIndex(index), calendar, frequency)
    missing = [expected_timestamps(calendar, frequency, g.start, g.end) for g in gaps]
    if FILLED_COLUMN not in frame.columns:
        frame = frame.assign(**{FILLED_COLUMN: 0.0})
    if not missing:
        state.frame = frame
        return RepairAction(policy, (), 0, f"no gaps on {calendar} at {frequency}")
    stamps = missing[0].append(missing[1:]) if len(missing) > 1 else missing[0]
    filled = _forward_filled(frame, pd.DatetimeIndex(stamps), state.kind)
    both = frame.index.append(filled.index)
    order = np.argsort(_ns(both), kind="stable")
    inserted = np.concatenate((np.zeros(len(frame), bool), np.ones(len(filled), bool)))[order]
    state.frame = pd.concat([frame, filled]).iloc[order]
    state.origin = np.concatenate((state.origin, np.zeros(len(filled), np.int64)))[order]
    rows = tuple(int(r) + 1 for r in np.flatnonzero(inserted))
    what = (
        f"inserted {len(rows)} bar(s) in {len(gaps)} gap(s) on {calendar} at {frequency} "
        "(rows are positions in the repaired frame)"
    )
    return RepairAction(policy, rows, len(rows), what)


def _forward_filled(frame: pd.DataFrame, stamps: pd.DatetimeIndex, kind: str) -> pd.DataFrame:
    """Rows for ``stamps``: every column carried forward from the last earlier row."""
    position = np.searchsorted(_ns(frame.index), _ns(stamps)) - 1
    before = frame.iloc[np.clip(position, 0, None)].copy()
    before.index = stamps.rename(frame.index.name)
    if kind == "ohlcv":
        for name in ("open", "high", "low"):
            before[name] = before["close"]
        before["volume"] = 0.0
    before[FILLED_COLUMN] = 1.0
    return before


_STEPS: dict[str, Callable[[_State, str], RepairAction]] = {
    "drop-nan": _drop_nan,
    "drop-inf": _drop_inf,
    "drop-nonpositive": _drop_nonpositive,
    "sort": _sort,
    "drop-duplicates-keep-first": _dedupe,
    "drop-duplicates-keep-last": _dedupe,
    "clip-ohlc": _clip_ohlc,
    "fill-gaps-ffill": _fill_gaps,
}
