"""What the catalog knows about one stored series, and how stored and new rows are combined."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from alphaforge.data.errors import CatalogError

__all__ = ["MANIFEST_FORMAT", "MODES", "CatalogEntry", "combine"]

MANIFEST_FORMAT = 1
MODES: tuple[str, ...] = ("replace", "append", "merge")


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One stored series: ``symbol`` at ``timeframe`` (``"tick"`` for trades), with provenance.

    ``content_hash`` is the SHA-256 of the Parquet file ``path``; ``stamp`` says what a row's
    timestamp means (see :mod:`alphaforge.data.bundled.registry`); ``gaps`` and ``missing_bars``
    are what validation found against ``calendar`` when the entry was written.
    """

    symbol: str
    timeframe: str
    kind: str
    rows: int
    first: pd.Timestamp
    last: pd.Timestamp
    columns: tuple[str, ...]
    calendar: str | None
    stamp: str
    source: str
    imported_at: datetime
    content_hash: str
    path: Path
    currency: str | None = None
    asset_class: str | None = None
    gaps: int = 0
    missing_bars: int = 0
    metadata: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def to_manifest(self) -> dict[str, Any]:
        """Return the JSON-ready manifest that commits this entry."""
        return {
            "format": MANIFEST_FORMAT,
            "symbol": self.symbol,
            "timeframe": self.timeframe,
            "kind": self.kind,
            "file": self.path.name,
            "sha256": self.content_hash,
            "rows": self.rows,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "columns": list(self.columns),
            "calendar": self.calendar,
            "stamp": self.stamp,
            "source": self.source,
            "imported_at": self.imported_at.isoformat(),
            "currency": self.currency,
            "asset_class": self.asset_class,
            "gaps": self.gaps,
            "missing_bars": self.missing_bars,
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_manifest(cls, data: Mapping[str, Any], folder: Path, manifest: Path) -> CatalogEntry:
        """Rebuild an entry from its manifest; a damaged manifest raises ``CatalogError``."""
        try:
            name = str(data["file"])
            if Path(name).name != name or not name.endswith(".parquet"):
                raise ValueError(f"file {name!r} is not a Parquet file in the entry's folder")
            return cls(
                symbol=str(data["symbol"]),
                timeframe=str(data["timeframe"]),
                kind=str(data["kind"]),
                rows=int(data["rows"]),
                first=pd.Timestamp(data["first"]).tz_convert("UTC"),
                last=pd.Timestamp(data["last"]).tz_convert("UTC"),
                columns=tuple(str(c) for c in data["columns"]),
                calendar=None if data["calendar"] is None else str(data["calendar"]),
                stamp=str(data["stamp"]),
                source=str(data["source"]),
                imported_at=datetime.fromisoformat(str(data["imported_at"])),
                content_hash=str(data["sha256"]),
                path=folder / name,
                currency=data.get("currency"),
                asset_class=data.get("asset_class"),
                gaps=int(data.get("gaps", 0)),
                missing_bars=int(data.get("missing_bars", 0)),
                metadata=MappingProxyType({str(k): str(v) for k, v in data["metadata"].items()}),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CatalogError(f"catalog manifest {manifest} is damaged: {exc!r}") from exc

    def __str__(self) -> str:
        return (
            f"{self.symbol} {self.timeframe} {self.kind}: {self.rows:,} rows "
            f"{self.first.isoformat()} .. {self.last.isoformat()} ({self.source})"
        )


# ---------------------------------------------------------------- append / merge


def combine(
    stored: pd.DataFrame, new: pd.DataFrame, *, mode: str, kind: str, label: str
) -> pd.DataFrame:
    """Return the rows to write when ``new`` is appended to or merged into ``stored``.

    ``append`` refuses any overlap in time; ``merge`` takes the union keyed by timestamp (by trade
    id for trades) and refuses a key present in both with different values, naming the first
    conflict. Both refuse a different set of columns.
    """
    if set(new.columns) != set(stored.columns):
        raise CatalogError(
            f"{mode} refused for {label}: columns differ; stored "
            f"{', '.join(map(str, stored.columns))}, new {', '.join(map(str, new.columns))} "
            "(use mode='replace' to change the columns)"
        )
    new = new[list(stored.columns)]
    if mode == "append":
        return _append(stored, new, kind, label)
    return _merge(stored, new, kind, label)


def _append(stored: pd.DataFrame, new: pd.DataFrame, kind: str, label: str) -> pd.DataFrame:
    last = stored.index[-1]
    # Trades may share a stamp, so a batch may start at the stored last stamp (ids tell apart).
    overlap = new.index < last if kind == "trades" else new.index <= last
    if overlap.any():
        raise CatalogError(
            f"append refused for {label}: the new data starts at {new.index[0].isoformat()}, "
            f"{'before' if kind == 'trades' else 'not after'} the stored last timestamp "
            f"{last.isoformat()} ({int(overlap.sum())} overlapping rows); use mode='merge' to "
            "combine overlapping data or mode='replace' to overwrite"
        )
    return pd.concat([stored, new])


def _keys(frame: pd.DataFrame, kind: str) -> np.ndarray:
    if kind == "trades":
        return np.asarray(frame["id"].to_numpy())
    return _stamps(frame)


def _stamps(frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(pd.DatetimeIndex(frame.index).as_unit("ns").asi8)


def _merge(stored: pd.DataFrame, new: pd.DataFrame, kind: str, label: str) -> pd.DataFrame:
    old_keys, new_keys = _keys(stored, kind), _keys(new, kind)
    _, at_old, at_new = np.intersect1d(old_keys, new_keys, assume_unique=True, return_indices=True)
    _check_conflicts(stored, new, at_old, at_new, kind, label)
    fresh = np.ones(len(new), dtype=bool)
    fresh[at_new] = False
    merged = pd.concat([stored, new[fresh]])
    if kind == "trades":
        order = np.lexsort((_keys(merged, kind), _stamps(merged)))
    else:
        order = np.argsort(_stamps(merged), kind="stable")
    return merged.iloc[order]


def _check_conflicts(
    stored: pd.DataFrame,
    new: pd.DataFrame,
    at_old: np.ndarray,
    at_new: np.ndarray,
    kind: str,
    label: str,
) -> None:
    if len(at_old) == 0:
        return
    order = np.argsort(at_old, kind="stable")  # report conflicts in stored row order
    at_old, at_new = at_old[order], at_new[order]
    differs: dict[str, np.ndarray] = {}
    if kind == "trades":
        differs["timestamp"] = _stamps(stored)[at_old] != _stamps(new)[at_new]
    for name in stored.columns:
        a = stored[name].to_numpy()[at_old]
        b = new[name].to_numpy()[at_new]
        same = a == b
        if a.dtype.kind == "f":
            same |= np.isnan(a) & np.isnan(b)  # both missing is agreement, not a conflict
        differs[str(name)] = ~np.asarray(same, dtype=bool)
    bad = np.zeros(len(at_old), dtype=bool)
    for mask in differs.values():
        bad |= mask
    if not bad.any():
        return
    i = int(np.argmax(bad))
    column = next(name for name, mask in differs.items() if mask[i])
    old_value, new_value = _cell(stored, column, at_old[i]), _cell(new, column, at_new[i])
    where = stored.index[at_old[i]].isoformat()
    if kind == "trades":
        where = f"trade id {stored['id'].iloc[at_old[i]]!r} ({where})"
    raise CatalogError(
        f"merge refused for {label}: conflicting values at {where}, field {column!r}: stored "
        f"{old_value!r}, new {new_value!r} ({int(bad.sum())} conflicting row(s) in all); fix the "
        "source or use mode='replace'"
    )


def _cell(frame: pd.DataFrame, column: str, row: int) -> object:
    if column == "timestamp":
        return frame.index[row].isoformat()
    value = frame[column].iloc[row]
    return value.item() if isinstance(value, np.generic) else value
