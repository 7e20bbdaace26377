"""File mechanics of the local catalog: safe names, atomic writes, the write lock, Parquet I/O.

Nothing here knows what an entry means; :mod:`alphaforge.data.catalog` does. What this module
guarantees is that a file is either wholly the old version or wholly the new one:

* every file is written to a temporary file in the same folder, flushed, ``fsync``-ed and moved
  over the target with ``os.replace`` (atomic on POSIX), then the folder is ``fsync``-ed;
* a failed write removes its temporary file before the error propagates;
* writers hold an exclusive ``fcntl.flock`` on ``<root>/.lock``, so two processes never interleave
  their writes to one catalog.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alphaforge.data.errors import CatalogError
from alphaforge.data.timeframes import Timeframe
from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "LOCK_NAME",
    "TMP_MARK",
    "decode_table",
    "encode_frame",
    "file_stem",
    "normalize_symbol",
    "read_json",
    "read_table",
    "remove_quietly",
    "symbol_dir",
    "write_atomic",
    "write_lock",
]

LOCK_NAME = ".lock"
TMP_MARK = ".tmp-"
"""Temporary files are named ``.<target><TMP_MARK><random>``; leftovers of a killed process are
swept by the next write."""

_SYMBOL = re.compile(r"[A-Z0-9^][A-Z0-9._\-^=/:]{0,63}")
_ROW_GROUP = 128 * 1024  # small enough that a ranged load skips most of a long file


# ---------------------------------------------------------------- names


def normalize_symbol(symbol: str) -> str:
    """Return ``symbol`` upper-cased and stripped; refuse anything that is not a plain ticker.

    Accepted: letters, digits and ``. _ - ^ = / :`` (``BRK.B``, ``^GSPC``, ``BTC/USDT``), at most
    64 characters, starting with a letter, a digit or ``^``. ``..`` is refused anywhere, so no
    symbol can name a path outside the catalog; ``/`` and ``:`` are escaped in folder names.
    """
    if not isinstance(symbol, str):
        raise InvalidValueError(f"symbol must be text, got {type(symbol).__name__}")
    text = symbol.strip().upper()
    if not _SYMBOL.fullmatch(text) or ".." in text:
        raise InvalidValueError(
            f"invalid symbol {symbol!r}; expected 1 to 64 letters, digits or . _ - ^ = / : "
            "starting with a letter, a digit or '^', and no '..' (e.g. 'SPX', 'BRK.B', 'BTC/USDT')"
        )
    return text


def symbol_dir(symbol: str) -> str:
    """Return the folder name of a normalized symbol (``BTC/USDT`` -> ``BTC%2FUSDT``)."""
    return quote(symbol, safe="^=")


def file_stem(timeframe: Timeframe) -> str:
    """Return the file stem of a timeframe; months become ``mo`` so that ``1M`` and ``1m`` stay
    apart on case-insensitive file systems (macOS, Windows)."""
    return timeframe.name.replace("M", "mo")


# ---------------------------------------------------------------- atomic writes


def write_atomic(path: Path, data: bytes | memoryview) -> None:
    """Write ``data`` to ``path`` so that ``path`` holds either the old bytes or all new ones."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{TMP_MARK}", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        remove_quietly(Path(tmp))
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX needs the folder synced too)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_quietly(path: Path) -> None:
    """Delete ``path`` if it exists."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


@contextlib.contextmanager
def write_lock(root: Path, timeout: float) -> Iterator[None]:
    """Hold the catalog's exclusive cross-process write lock; ``CatalogError`` after ``timeout``."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK_NAME, "a+b") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise CatalogError(
                        f"catalog {root} is locked by another writer for more than {timeout:g} s; "
                        "wait for it to finish (or remove a stale process), then retry"
                    ) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# ---------------------------------------------------------------- JSON


def read_json(path: Path) -> dict[str, Any]:
    """Read a manifest; a damaged one raises ``CatalogError`` naming the file."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise CatalogError(f"catalog manifest {path} cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise CatalogError(f"catalog manifest {path} holds {type(data).__name__}; expected object")
    return data


# ---------------------------------------------------------------- Parquet


def encode_frame(frame: pd.DataFrame) -> tuple[bytes, str]:
    """Return a canonical frame as Parquet bytes and their SHA-256.

    The index becomes a ``timestamp[ns, UTC]`` column, and pandas' schema metadata is kept so
    that a load gives back the very dtypes that were imported (text columns of trades included).
    """
    index = pd.DatetimeIndex(frame.index).as_unit("ns").rename("timestamp")
    table = pa.Table.from_pandas(frame.set_axis(index, axis=0), preserve_index=True)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="snappy", row_group_size=_ROW_GROUP)
    data = sink.getvalue().to_pybytes()
    return data, hashlib.sha256(data).hexdigest()


def read_table(
    path: Path,
    columns: Sequence[str] | None,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> pa.Table:
    """Read ``path``, pushing the column choice and the inclusive time range down to Parquet.

    pyarrow skips row groups by their min/max statistics and filters the rest; measured on a
    million bars it beats DuckDB for both full (~20 ms) and ranged (~4 ms vs ~6 ms) reads.
    """
    filters = []
    if start is not None:
        filters.append(("timestamp", ">=", start))
    if end is not None:
        filters.append(("timestamp", "<=", end))
    wanted = None if columns is None else ["timestamp", *columns]
    if not filters:
        # A whole-file read: memory-mapped, without the dataset machinery that filters need
        # (about a third faster on a million bars).
        return pq.ParquetFile(path, memory_map=True).read(columns=wanted, use_pandas_metadata=True)
    return pq.read_table(path, columns=wanted, filters=filters, memory_map=True)


def decode_table(table: pa.Table) -> pd.DataFrame:
    """Return a table read by :func:`read_table` as a canonical frame indexed by ``timestamp``."""
    # One block per column: no copy into a 2-D block (a million bars decode in ~4 ms, not ~20).
    frame: pd.DataFrame = table.to_pandas(split_blocks=True)
    if not isinstance(frame.index, pd.DatetimeIndex):  # a file without pandas metadata
        frame = frame.set_index("timestamp")
    return frame
