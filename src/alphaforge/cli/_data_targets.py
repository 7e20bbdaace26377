"""What a data command's TARGET argument names: a file, a bundled dataset or a catalog entry.

The rule, so that a person can predict it: ``bundled:NAME``, ``catalog:SYMBOL`` and ``file:PATH``
say it outright; otherwise an existing file wins, then a symbol held in the catalog, then a
bundled dataset name. Anything else is an error that lists what exists and suggests the closest
name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from alphaforge.core.suggest import did_you_mean
from alphaforge.data.bundled import dataset_info, list_datasets, load_dataset
from alphaforge.data.catalog import Catalog
from alphaforge.data.catalog_args import bundled_part, pick_symbols, time_bound
from alphaforge.data.columns import sniff_kind
from alphaforge.data.errors import UnknownDatasetError
from alphaforge.data.sources import read_file
from alphaforge.data.validation import KINDS
from alphaforge.domain.errors import InvalidValueError

__all__ = ["FileOptions", "Target", "parse_mapping", "resolve_target", "slice_frame"]

_PREFIXES = ("bundled:", "catalog:", "file:")
_FILE_SUFFIXES = (".csv", ".csv.gz", ".gz", ".parquet", ".pq", ".txt", ".tsv")


@dataclass(frozen=True)
class FileOptions:
    """How to read a user's file: kind, column mapping, time column and zone, format."""

    kind: str | None = None
    columns: Mapping[str, str] | None = None
    timestamp: str | None = None
    tz: str | None = None
    format: str | None = None


@dataclass
class Target:
    """A resolved TARGET: where it lives, what it holds and how to read it."""

    origin: str  # "file" | "bundled" | "catalog"
    label: str  # what errors and reports call it
    kind: str
    timeframe: str | None
    calendar: str | None
    symbols: tuple[str, ...]
    read: Callable[[], pd.DataFrame]
    details: dict[str, str] = field(default_factory=dict)

    @property
    def frequency(self) -> str | None:
        """The bar frequency validation checks gaps against (none for ticks)."""
        return None if self.timeframe in (None, "tick") else self.timeframe


def parse_mapping(pairs: Sequence[str] | None) -> dict[str, str] | None:
    """Turn ``["Date=timestamp", "Px=close"]`` into a column mapping, naming a malformed pair."""
    if not pairs:
        return None
    mapping: dict[str, str] = {}
    for pair in pairs:
        name, sep, canonical = pair.partition("=")
        if not sep or not name.strip() or not canonical.strip():
            raise InvalidValueError(
                f"--map {pair!r} is not FILE_COLUMN=CANONICAL (e.g. --map Date=timestamp)"
            )
        mapping[name.strip()] = canonical.strip()
    return mapping


def resolve_target(
    text: str,
    catalog: Catalog,
    *,
    timeframe: str | None = None,
    symbol: str | None = None,
    file: FileOptions | None = None,
    calendar: str | None = None,
) -> Target:
    """Resolve TARGET text (see the module docstring); nothing is read yet."""
    prefix, _, rest = text.partition(":")
    explicit = f"{prefix}:" in _PREFIXES and rest
    if explicit and prefix == "bundled":
        return _bundled(rest, symbol)
    if explicit and prefix == "catalog":
        return _catalog(catalog, rest, timeframe)
    if explicit and prefix == "file":
        return _file(Path(rest), file or FileOptions(), timeframe, calendar)
    path = Path(text).expanduser()
    if path.is_file():
        return _file(path, file or FileOptions(), timeframe, calendar)
    if path.suffix.lower() in _FILE_SUFFIXES or ("/" in text and not _looks_like_pair(text)):
        raise UnknownDatasetError(f"{text}: no such file")
    held = _catalog_symbols(catalog)
    if text.strip().upper() in held:
        return _catalog(catalog, text, timeframe)
    names = [info.name for info in list_datasets()]
    if text in names:
        return _bundled(text, symbol)
    known = names + held
    raise UnknownDatasetError(
        f"{text!r} is not a file, a symbol in the catalog at {catalog.root} or a bundled dataset "
        f"(see `alphaforge data list`){did_you_mean(text, known)}"
    )


def slice_frame(frame: pd.DataFrame, start: str | None, end: str | None) -> pd.DataFrame:
    """Return the rows in ``[start, end]`` (text bounds, UTC unless they carry an offset)."""
    lo, hi = time_bound(start, "--start"), time_bound(end, "--end", end=True)
    if lo is None and hi is None:
        return frame
    index = frame.index
    keep = np.ones(len(frame), dtype=bool)
    if lo is not None:
        keep &= np.asarray(index >= lo)
    if hi is not None:
        keep &= np.asarray(index <= hi)
    return frame.loc[keep]


# ---------------------------------------------------------------- the three origins


def _bundled(name: str, symbol: str | None) -> Target:
    info = dataset_info(name)
    symbols = info.symbols
    if symbol is not None:
        symbols = tuple(pick_symbols(info.symbols, [symbol], name))

    def read() -> pd.DataFrame:
        frame = load_dataset(name)
        if symbol is None or info.kind in ("ohlcv", "trades"):
            return frame
        return bundled_part(frame, info.symbols, info.kind, symbols[0])[0]

    label = f"bundled:{name}" + (f"[{symbols[0]}]" if symbol is not None else "")
    return Target(
        "bundled",
        label,
        info.kind,
        "tick" if info.frequency == "tick" else info.frequency,
        info.calendar,
        symbols,
        read,
        {
            "asset class": info.asset_class,
            "currency": info.currency,
            "venue": info.venue,
            "stamp": info.stamp,
            "source": info.source,
            "notes": info.notes,
        },
    )


def _catalog(catalog: Catalog, symbol: str, timeframe: str | None) -> Target:
    entry = catalog.info(symbol, timeframe)

    def read() -> pd.DataFrame:
        return catalog.load(entry.symbol, entry.timeframe)

    details = {
        "asset class": entry.asset_class or "-",
        "currency": entry.currency or "-",
        "stamp": entry.stamp,
        "source": entry.source,
        "imported": entry.imported_at.isoformat(timespec="seconds"),
        "sha256": entry.content_hash,
        "file": str(entry.path),
    }
    details.update(entry.metadata)
    return Target(
        "catalog",
        f"{entry.symbol} {entry.timeframe}",
        entry.kind,
        entry.timeframe,
        entry.calendar,
        (entry.symbol,),
        read,
        details,
    )


def _file(path: Path, opts: FileOptions, timeframe: str | None, calendar: str | None) -> Target:
    if opts.kind is not None and opts.kind not in KINDS:
        raise InvalidValueError(f"unknown --kind {opts.kind!r}; expected one of {', '.join(KINDS)}")
    target = Target("file", str(path), opts.kind or "ohlcv", timeframe, calendar, (), _unread)

    def read() -> pd.DataFrame:
        if opts.kind is None:
            target.kind = _sniff(path, opts)  # a guess from the header, shown in the report
        return read_file(
            path,
            format=opts.format,
            columns=opts.columns,
            timestamp=opts.timestamp,
            tz=opts.tz,
            kind=target.kind,
        )

    target.read = read
    return target


def _sniff(path: Path, opts: FileOptions) -> str:
    raw = read_file(
        path,
        format=opts.format,
        columns=opts.columns,
        timestamp=opts.timestamp,
        tz=opts.tz,
        kind="series",
    )
    return sniff_kind(raw)


def _unread() -> pd.DataFrame:  # pragma: no cover - replaced in _file before anyone calls it
    raise AssertionError("file target read before it was set up")


def _catalog_symbols(catalog: Catalog) -> list[str]:
    return catalog.symbols()


def _looks_like_pair(text: str) -> bool:
    """``BTC/USDT`` is a symbol, ``data/x`` a path: pairs are short upper-case-able codes."""
    left, _, right = text.partition("/")
    return 0 < len(left) <= 10 and 0 < len(right) <= 10 and (left + right).isalnum()
