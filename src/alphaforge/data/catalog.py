"""The local catalog: market data as Parquet files in a folder, read fast, never half-written.

>>> cat = Catalog(tmp_path)                                   # doctest: +SKIP
>>> cat.import_bundled("spx_daily")                           # doctest: +SKIP
>>> spx = cat.load("SPX", "1d", start="2008-01-01", end="2008-12-31")   # doctest: +SKIP

Layout (one folder per symbol, one manifest per timeframe)::

    <root>/.lock                          cross-process write lock
    <root>/SPX/1d.json                    manifest: metadata, provenance, file name, SHA-256
    <root>/SPX/1d.<sha256[:16]>.parquet   the rows (timestamp column first, float64 values)
    <root>/BTC%2FUSDT/1mo.json            '/' escaped; months spelt 'mo' (1M vs 1m)

The manifest is the commit point. An import validates the frame, takes the write lock, writes
the new Parquet file under a content-addressed name, then atomically replaces the manifest, then
deletes the file the old manifest named. A crash or an error at any step leaves the old manifest
pointing at the old, untouched file; leftovers of a killed process are swept by the next write.
Readers take no lock: a reader that lost a race with a writer re-reads the manifest.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, get_args

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alphaforge.core.logging import get_logger
from alphaforge.core.suggest import did_you_mean
from alphaforge.data.bundled import dataset_info, load_dataset
from alphaforge.data.bundled.registry import Stamp
from alphaforge.data.catalog_args import (
    TimeBound,
    bundled_part,
    check_choice,
    check_columns,
    export_format,
    pick_symbols,
    time_bound,
    timeframe_for,
    timeframe_order,
)
from alphaforge.data.catalog_entry import MODES, CatalogEntry, combine
from alphaforge.data.catalog_files import (
    TMP_MARK,
    decode_table,
    encode_frame,
    file_stem,
    normalize_symbol,
    read_json,
    read_table,
    remove_quietly,
    symbol_dir,
    write_atomic,
    write_lock,
)
from alphaforge.data.catalog_sql import run_query
from alphaforge.data.errors import CatalogError, UnknownDatasetError
from alphaforge.data.sources import read_file
from alphaforge.data.timeframes import Timeframe, parse_timeframe
from alphaforge.data.validation import KINDS, validate_frame
from alphaforge.domain.errors import InvalidValueError

__all__ = ["Catalog", "CatalogEntry"]

_STAMPS: tuple[str, ...] = get_args(Stamp)

_READ_ATTEMPTS = 3

_log = get_logger(__name__)


class Catalog:
    """A folder of market data: import (validated, atomic), list, load, export, delete, query."""

    def __init__(self, root: str | Path, *, lock_timeout: float = 30.0) -> None:
        self._root = Path(root).expanduser()
        self._lock_timeout = lock_timeout

    @classmethod
    def default(cls) -> Catalog:
        """Open the per-user catalog (e.g. ``~/.local/share/alphaforge/catalog``)."""
        from alphaforge.config.sections import default_catalog_dir  # noqa: PLC0415  # lazy: CLI cost

        return cls(default_catalog_dir())

    @property
    def root(self) -> Path:
        """The catalog folder."""
        return self._root

    def __repr__(self) -> str:
        return f"Catalog({str(self._root)!r})"

    # ------------------------------------------------------------ import

    def import_frame(
        self,
        symbol: str,
        timeframe: str,
        frame: pd.DataFrame,
        *,
        kind: str = "ohlcv",
        calendar: str | None = None,
        source: str = "frame",
        mode: str = "replace",
        stamp: str = "bar_open",
        currency: str | None = None,
        asset_class: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> CatalogEntry:
        """Validate ``frame`` and store it as ``symbol`` at ``timeframe``; return the new entry.

        ``mode``: ``"replace"`` overwrites, ``"append"`` adds rows strictly after the stored ones
        (refuses overlap), ``"merge"`` takes the union and refuses a timestamp (trade id) stored
        with other values. Nothing is written unless the data passes ``validate_frame``; on any
        error the stored entry stays byte-identical. ``source`` is recorded as provenance and
        names the data in validation errors.
        """
        sym, tf = normalize_symbol(symbol), timeframe_for(timeframe, kind)
        check_choice("mode", mode, MODES)
        check_choice("kind", kind, KINDS)
        check_choice("stamp", stamp, _STAMPS)
        frequency = None if tf.is_tick else tf.name
        if isinstance(frame, pd.DataFrame) and isinstance(frame.index, pd.DatetimeIndex):
            frame = frame.set_axis(frame.index.as_unit("ns"), axis=0)  # one unit on disk
        report = validate_frame(
            frame, source=source, kind=kind, calendar=calendar, frequency=frequency
        )
        label = f"{sym} {tf.name}"
        with write_lock(self._root, self._lock_timeout):
            stored = self._stored(sym, tf)
            if stored is not None and stored.kind != kind:
                raise CatalogError(
                    f"{label} holds {stored.kind!r} data (from {stored.source}); refusing to "
                    f"{mode} it with {kind!r} data: delete it first (catalog.delete({sym!r}, "
                    f"{tf.name!r})) or import under another symbol"
                )
            if stored is not None and mode != "replace":
                calendar = calendar if calendar is not None else stored.calendar
                old = decode_table(read_table(stored.path, None, None, None))
                frame = combine(old, frame, mode=mode, kind=kind, label=label)
                report = validate_frame(
                    frame,
                    source=f"{label} after {mode}",
                    kind=kind,
                    calendar=calendar,
                    frequency=frequency,
                )
            entry = CatalogEntry(
                sym,
                tf.name,
                kind,
                len(frame),
                frame.index[0],
                frame.index[-1],
                tuple(str(c) for c in frame.columns),
                report.calendar,
                stamp,
                source,
                datetime.now(UTC),
                "",
                Path(),
                currency,
                asset_class,
                len(report.gaps),
                report.missing_bars,
                MappingProxyType(dict(metadata or {})),
            )
            return self._commit(entry, frame, stored)

    def import_file(
        self,
        path: str | Path,
        symbol: str,
        timeframe: str,
        *,
        kind: str = "ohlcv",
        calendar: str | None = None,
        mode: str = "replace",
        stamp: str = "bar_open",
        currency: str | None = None,
        asset_class: str | None = None,
        metadata: Mapping[str, str] | None = None,
        format: str | None = None,
        columns: Mapping[str, str] | None = None,
        timestamp: str | None = None,
        tz: str | None = None,
    ) -> CatalogEntry:
        """Read a CSV or Parquet file with ``read_file`` and import it (see ``import_frame``)."""
        frame = read_file(
            path, format=format, columns=columns, timestamp=timestamp, tz=tz, kind=kind
        )
        return self.import_frame(
            symbol,
            timeframe,
            frame,
            kind=kind,
            calendar=calendar,
            source=str(path),
            mode=mode,
            stamp=stamp,
            currency=currency,
            asset_class=asset_class,
            metadata=metadata,
        )

    def import_bundled(
        self, name: str, symbols: Iterable[str] | None = None, *, mode: str = "replace"
    ) -> list[CatalogEntry]:
        """Import a bundled dataset; a wide close or series set becomes one entry per symbol.

        Each such entry has one column (``close`` for close sets, the dataset's column name for
        series); rows where that symbol has no value (before listing, holidays) are left out and
        counted in the entry's metadata (``dropped_rows``).
        """
        info = dataset_info(name)
        wanted = pick_symbols(info.symbols, symbols, name)
        frame = load_dataset(name)
        timeframe = "tick" if info.frequency == "tick" else info.frequency
        entries = []
        for symbol in wanted:
            part, dropped = bundled_part(frame, info.symbols, info.kind, symbol)
            meta = {"dataset": name, "venue": info.venue, "notes": info.notes}
            if dropped:
                meta["dropped_rows"] = f"{dropped} rows without a value"
            entries.append(
                self.import_frame(
                    symbol,
                    timeframe,
                    part,
                    kind=info.kind,
                    calendar=info.calendar,
                    source=f"bundled:{name} ({info.source})",
                    mode=mode,
                    stamp=info.stamp,
                    currency=info.currency,
                    asset_class=info.asset_class,
                    metadata=meta,
                )
            )
        return entries

    # ------------------------------------------------------------ inspect

    def entries(self) -> list[CatalogEntry]:
        """Return every stored entry, sorted by symbol then timeframe."""
        if not self._root.is_dir():
            return []
        found = [self._entry_at(path) for path in self._root.glob("*/*.json")]
        return sorted(found, key=lambda e: (e.symbol, timeframe_order(e.timeframe)))

    def symbols(self) -> list[str]:
        """Return the stored symbols, sorted."""
        return sorted({entry.symbol for entry in self.entries()})

    def info(self, symbol: str, timeframe: str | None = None) -> CatalogEntry:
        """Return one entry; without ``timeframe`` the symbol must have exactly one."""
        if timeframe is not None:
            return self._entry(normalize_symbol(symbol), parse_timeframe(timeframe))
        sym = normalize_symbol(symbol)
        held = [e for e in self.entries() if e.symbol == sym]
        if not held:
            raise self._unknown(sym)
        if len(held) > 1:
            raise CatalogError(
                f"{sym} is stored at {len(held)} timeframes "
                f"({', '.join(e.timeframe for e in held)}); pass the one you want"
            )
        return held[0]

    # ------------------------------------------------------------ read

    def load(
        self,
        symbol: str,
        timeframe: str,
        *,
        start: TimeBound = None,
        end: TimeBound = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Return the stored rows in ``[start, end]`` (both inclusive, pushed down to Parquet).

        Bounds are aware datetimes or text; text without an offset is UTC, and a date alone as
        ``end`` includes that whole day (``end="2018-06-30"`` keeps the 30th's intraday bars).
        The frame is indexed by a UTC ``timestamp``, exactly as it was imported.
        """
        lo, hi = time_bound(start, "start"), time_bound(end, "end", end=True)
        sym, tf = normalize_symbol(symbol), parse_timeframe(timeframe)
        attempt = 1
        while True:
            entry = self._entry(sym, tf)
            picked = None if columns is None else check_columns(str(entry), entry.columns, columns)
            try:
                return decode_table(read_table(entry.path, picked, lo, hi))
            except FileNotFoundError:
                # A writer replaced the file between our manifest read and our open: re-read.
                if attempt == _READ_ATTEMPTS:
                    raise CatalogError(f"{entry.path} vanished while being read; retry") from None
                attempt += 1
            except (pa.ArrowException, OSError) as exc:
                raise _damaged(entry, exc) from exc

    def head(self, symbol: str, timeframe: str, n: int = 5) -> pd.DataFrame:
        """Return the first ``n`` rows, reading only the row groups that hold them."""
        return self._ends(symbol, timeframe, n, first=True)

    def tail(self, symbol: str, timeframe: str, n: int = 5) -> pd.DataFrame:
        """Return the last ``n`` rows, reading only the row groups that hold them."""
        return self._ends(symbol, timeframe, n, first=False)

    def export(
        self,
        symbol: str,
        timeframe: str,
        path: str | Path,
        *,
        format: str | None = None,
        start: TimeBound = None,
        end: TimeBound = None,
    ) -> Path:
        """Write the rows in ``[start, end]`` to a CSV (``.csv``, ``.csv.gz``) or Parquet file.

        The format comes from the suffix unless ``format`` is given; the file is written
        atomically and reads back with ``read_file`` to the same frame.
        """
        target = Path(path).expanduser()
        fmt = export_format(target, format)
        frame = self.load(symbol, timeframe, start=start, end=end)
        if fmt == "parquet":
            data, _ = encode_frame(frame)
        elif fmt in ("csv", "csv.gz"):
            text = frame.to_csv(index_label="timestamp", date_format="%Y-%m-%dT%H:%M:%S.%f%z")
            data = text.encode()
            if fmt == "csv.gz" or target.name.lower().endswith(".gz"):
                data = gzip.compress(data, mtime=0)
        else:
            raise InvalidValueError(f"unknown export format {fmt!r}; expected 'csv' or 'parquet'")
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, data)
        return target

    def query(self, sql: str, params: Sequence[object] | None = None) -> pd.DataFrame:
        """Run DuckDB SQL over the catalog; each kind is a view (``ohlcv``, ``close``, ...).

        Views have ``symbol`` and ``timeframe`` columns before the stored ones, e.g.
        ``select symbol, max(high) from ohlcv where timeframe = '1d' group by symbol``.
        """
        return run_query(self.entries(), sql, params)

    def verify(self) -> list[str]:
        """Re-hash every data file against its manifest; return a line per mismatch (none: [])."""
        problems = []
        for entry in self.entries():
            try:
                digest = hashlib.sha256(entry.path.read_bytes()).hexdigest()
            except OSError as exc:
                problems.append(f"{entry.symbol} {entry.timeframe}: {entry.path} unreadable: {exc}")
                continue
            if digest != entry.content_hash:
                problems.append(
                    f"{entry.symbol} {entry.timeframe}: {entry.path} has SHA-256 {digest[:16]}..., "
                    f"the manifest says {entry.content_hash[:16]}...; re-import from {entry.source}"
                )
        return problems

    # ------------------------------------------------------------ delete

    def delete(self, symbol: str, timeframe: str | None = None) -> list[CatalogEntry]:
        """Delete one timeframe of ``symbol``, or all of them; return what was deleted."""
        sym = normalize_symbol(symbol)
        with write_lock(self._root, self._lock_timeout):
            if timeframe is None:
                doomed = [e for e in self.entries() if e.symbol == sym]
                if not doomed:
                    raise self._unknown(sym)
            else:
                doomed = [self._entry(sym, parse_timeframe(timeframe))]
            for entry in doomed:
                folder = entry.path.parent
                manifest = folder / f"{file_stem(parse_timeframe(entry.timeframe))}.json"
                manifest.unlink()  # the commit point first: the entry is gone from here on
                remove_quietly(entry.path)
                self._sweep(folder)
                if not any(folder.iterdir()):
                    folder.rmdir()
        for entry in doomed:
            _log.info(
                "catalog.deleted",
                symbol=entry.symbol,
                timeframe=entry.timeframe,
                rows=entry.rows,
                root=str(self._root),
            )
        return doomed

    # ------------------------------------------------------------ internals

    def _folder(self, symbol: str) -> Path:
        return self._root / symbol_dir(symbol)

    def _manifest(self, symbol: str, tf: Timeframe) -> Path:
        return self._folder(symbol) / f"{file_stem(tf)}.json"

    def _entry_at(self, manifest: Path) -> CatalogEntry:
        return CatalogEntry.from_manifest(read_json(manifest), manifest.parent, manifest)

    def _stored(self, symbol: str, tf: Timeframe) -> CatalogEntry | None:
        manifest = self._manifest(symbol, tf)
        return self._entry_at(manifest) if manifest.exists() else None

    def _entry(self, symbol: str, tf: Timeframe) -> CatalogEntry:
        entry = self._stored(symbol, tf)
        if entry is not None:
            return entry
        held = [e.timeframe for e in self.entries() if e.symbol == symbol]
        if not held:
            raise self._unknown(symbol)
        raise UnknownDatasetError(
            f"{symbol} has no {tf.name} data in the catalog at {self._root} (it holds "
            f"{', '.join(held)}){did_you_mean(tf.name, held)}"
        )

    def _unknown(self, symbol: str) -> UnknownDatasetError:
        held = self.symbols()
        listing = ", ".join(held[:20]) + (" ..." if len(held) > 20 else "") if held else "nothing"
        return UnknownDatasetError(
            f"no symbol {symbol!r} in the catalog at {self._root} (it holds {listing}; import "
            f"data with Catalog.import_file or import_bundled){did_you_mean(symbol, held)}"
        )

    def _commit(
        self, entry: CatalogEntry, frame: pd.DataFrame, stored: CatalogEntry | None
    ) -> CatalogEntry:
        """Write data file, then manifest (the commit), then drop the old file. Caller holds the
        write lock."""
        folder = self._folder(entry.symbol)
        folder.mkdir(parents=True, exist_ok=True)
        data, digest = encode_frame(frame)
        stem = file_stem(parse_timeframe(entry.timeframe))
        data_path = folder / f"{stem}.{digest[:16]}.parquet"
        committed = _with(entry, content_hash=digest, path=data_path)
        try:
            write_atomic(data_path, data)
            manifest = json.dumps(committed.to_manifest(), indent=2, sort_keys=True)
            write_atomic(
                self._manifest(entry.symbol, parse_timeframe(entry.timeframe)), manifest.encode()
            )
        except BaseException:
            if stored is None or stored.path != data_path:
                remove_quietly(data_path)
            raise
        self._sweep(folder)
        _log.info(
            "catalog.stored",
            symbol=committed.symbol,
            timeframe=committed.timeframe,
            rows=committed.rows,
            sha256=digest,
            source=committed.source,
            root=str(self._root),
        )
        return committed

    def _sweep(self, folder: Path) -> None:
        """Delete temporary files and data files no manifest names (leftovers of a crash)."""
        if not folder.is_dir():
            return
        named = set()
        for manifest in folder.glob("*.json"):
            try:
                named.add(str(read_json(manifest).get("file")))
            except CatalogError:
                return  # leave everything as found; the damaged manifest is reported on read
        for path in folder.iterdir():
            orphan = path.suffix == ".parquet" and path.name not in named
            if TMP_MARK in path.name or orphan:
                remove_quietly(path)

    def _ends(self, symbol: str, timeframe: str, n: int, *, first: bool) -> pd.DataFrame:
        if n < 0:
            raise InvalidValueError(f"n must be >= 0, got {n}")
        entry = self._entry(normalize_symbol(symbol), parse_timeframe(timeframe))
        try:
            parquet = pq.ParquetFile(entry.path)
            groups = list(range(parquet.num_row_groups))
            picked, rows = [], 0
            for g in groups if first else reversed(groups):
                if rows >= n:
                    break
                picked.append(g)
                rows += parquet.metadata.row_group(g).num_rows
            frame = decode_table(parquet.read_row_groups(sorted(picked)))
        except (pa.ArrowException, OSError) as exc:
            raise _damaged(entry, exc) from exc
        return frame.iloc[:n] if first else frame.iloc[len(frame) - min(n, len(frame)) :]


# ---------------------------------------------------------------- helpers


def _with(entry: CatalogEntry, **changes: Any) -> CatalogEntry:
    fields = {name: getattr(entry, name) for name in entry.__dataclass_fields__}
    fields.update(changes)
    return CatalogEntry(**fields)


def _damaged(entry: CatalogEntry, exc: BaseException) -> CatalogError:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return CatalogError(
        f"{entry.symbol} {entry.timeframe}: data file {entry.path} cannot be read ({first}); "
        f"re-import it from its source ({entry.source})"
    )
