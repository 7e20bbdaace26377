"""Read a user's CSV or Parquet file into a canonical frame (not yet validated).

>>> frame = read_file("spx.csv", tz="America/New_York")          # doctest: +SKIP
>>> report = validate_frame(frame, source="spx.csv", calendar="XNYS", frequency="1d")  # +SKIP

What is sniffed, so that common exports load without options:

* format by suffix (``.csv``, ``.csv.gz``, ``.txt``, ``.parquet``, ``.pq``) and gzip by its magic
  bytes; delimiter ``,`` ``;`` or tab from the first line; whether that line is a header;
* column names through aliases (``Date``/``Gmt time``/``open_time``, ``Adj Close``, ``Vol``,
  ``qty``/``size``, ...; see :mod:`alphaforge.data.columns`); ``columns=`` overrides them;
* timestamps as ISO text with or without offset, vendor layouts, or epoch numbers in any unit
  (see :mod:`alphaforge.data.stamps`);
* decimal commas in ``;``-separated files; ``.`` as a missing value (FRED's convention).

File-level failures (missing, empty, corrupt gzip or Parquet, binary garbage) raise
``DataSourceError``; row-level ones (unparseable stamps or numbers, missing columns) raise
``DataValidationError`` listing rows, fields, raw text and the file line. Rows stay in file order;
unknown numeric columns are kept as float, others are dropped and listed in
``frame.attrs["alphaforge.dropped_columns"]``.
"""

from __future__ import annotations

import csv
import gzip
import re
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from alphaforge.data.columns import ColumnPlan, plan_columns, sniff_kind
from alphaforge.data.errors import DataSourceError, DataValidationError, Problem
from alphaforge.data.stamps import check_tz, parse_stamps
from alphaforge.data.validation import (
    KINDS,
    LINE_OFFSET_ATTR,
    OHLCV_COLUMNS,
    ROWS_FINGERPRINT_ATTR,
    TRADE_COLUMNS,
    rows_fingerprint,
)
from alphaforge.domain.errors import InvalidValueError

__all__ = ["DROPPED_ATTR", "FORMATS", "SOURCE_ATTR", "read_file", "sniff_kind"]

FORMATS: dict[str, str] = {
    ".csv": "csv", ".csv.gz": "csv", ".txt": "csv", ".txt.gz": "csv", ".tsv": "csv",
    ".parquet": "parquet", ".pq": "parquet",
}  # fmt: skip
"""File suffix -> format read by :func:`read_file`."""
SOURCE_ATTR = "alphaforge.source"
DROPPED_ATTR = "alphaforge.dropped_columns"

_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_HEAD_BYTES = 64 * 1024
_DELIMITERS = (",", ";", "\t")
_SIDES = {"buy": "buy", "sell": "sell", "b": "buy", "s": "sell"}
_FIRST = {name: k for k, name in enumerate((*OHLCV_COLUMNS, "adj_close", *TRADE_COLUMNS))}


def read_file(
    path: str | Path,
    *,
    format: str | None = None,
    columns: Mapping[str, str] | None = None,
    timestamp: str | None = None,
    tz: str | None = None,
    kind: str = "ohlcv",
) -> pd.DataFrame:
    """Read ``path`` into a canonical frame of ``kind``, rows in file order, not yet validated.

    ``columns`` maps file column names to canonical ones (``{"Px": "close"}``; ``"timestamp"``
    names the time column too), ``timestamp`` names the time column, ``tz`` is the zone of
    stamps written without an offset (none given and such stamps found is an error).
    """
    if kind not in KINDS:
        raise InvalidValueError(f"unknown data kind {kind!r}; expected one of {', '.join(KINDS)}")
    check_tz(tz)
    file = Path(path)
    source = str(path)
    fmt = _format_of(file, format)
    if not file.is_file():
        raise DataSourceError(f"{source}: no such file")
    if fmt == "csv":
        raw, line_offset, decimal_comma = _read_csv(file, source)
    else:
        raw, line_offset, decimal_comma = _read_parquet(file, source), None, False
    if len(raw) == 0:
        raise DataSourceError(f"{source}: no data rows (the file has only a header or nothing)")
    frame = _canonical(raw, source, kind, columns, timestamp, tz, line_offset, decimal_comma)
    if line_offset is not None:
        frame.attrs[LINE_OFFSET_ATTR] = line_offset
        frame.attrs[ROWS_FINGERPRINT_ATTR] = rows_fingerprint(frame.index)
    frame.attrs[SOURCE_ATTR] = source
    return frame


def _format_of(file: Path, format: str | None) -> str:
    if format is not None:
        if format not in ("csv", "parquet"):
            raise InvalidValueError(f"unknown format {format!r}; expected 'csv' or 'parquet'")
        return format
    name = file.name.lower()
    for suffix, fmt in sorted(FORMATS.items(), key=lambda item: -len(item[0])):
        if name.endswith(suffix):
            return fmt
    raise DataSourceError(
        f"{file}: cannot tell the format from the name; expected a suffix among "
        f"{', '.join(FORMATS)} or format='csv' / 'parquet'"
    )


# ---------------------------------------------------------------- CSV


def _read_csv(file: Path, source: str) -> tuple[pd.DataFrame, int, bool]:
    head = _head(file, source)
    first = next((line for line in head.splitlines() if line.strip()), None)
    if first is None:
        raise DataSourceError(f"{source}: empty file (no text at all)")
    delimiter = max(_DELIMITERS, key=first.count) if any(d in first for d in _DELIMITERS) else ","
    fields = [f.strip() for f in next(csv.reader([first], delimiter=delimiter))]
    has_header = any(_is_label(f) for f in fields) and not any(_is_number(f) for f in fields)
    names = fields if has_header else [str(i) for i in range(len(fields))]
    try:
        raw = pd.read_csv(
            file,
            sep=delimiter,
            header=0 if has_header else None,
            names=names,
            na_values=["."],  # FRED's missing value; pandas' defaults ("", "NA", "null") stay
            skipinitialspace=True,
            low_memory=False,  # infer each column's type once, from all of it
            compression="gzip" if _is_gzip(file) else None,
            encoding="utf-8-sig",
        )
    except (pd.errors.ParserError, ValueError, EOFError, OSError, zlib.error) as exc:
        raise DataSourceError(f"{source}: not readable as CSV: {_first_line(exc)}") from exc
    return raw, 1 if has_header else 0, delimiter == ";"


def _head(file: Path, source: str) -> str:
    """Return the first ~64 KB as text; raise for empty, corrupt gzip, binary or non-UTF-8."""
    if _is_gzip(file):
        try:
            with gzip.open(file, "rb") as stream:
                data = stream.read(_HEAD_BYTES)
        except (EOFError, OSError, zlib.error) as exc:
            raise DataSourceError(f"{source}: corrupt gzip file: {_first_line(exc)}") from exc
    else:
        with file.open("rb") as stream:
            data = stream.read(_HEAD_BYTES)
    if not data.strip():
        raise DataSourceError(f"{source}: empty file")
    if data.startswith(_PARQUET_MAGIC):
        raise DataSourceError(f"{source}: this is a Parquet file; use format='parquet'")
    if b"\x00" in data:
        raise DataSourceError(f"{source}: binary data, not CSV text")
    try:
        return data.decode("utf-8-sig", errors="strict")
    except UnicodeDecodeError as exc:
        if len(data) == _HEAD_BYTES and exc.start >= len(data) - 4:  # a character cut in two
            return data[: exc.start].decode("utf-8-sig")
        raise DataSourceError(
            f"{source}: not UTF-8 text (byte {exc.start}: {data[exc.start : exc.start + 1]!r})"
        ) from exc


def _is_gzip(file: Path) -> bool:
    with file.open("rb") as stream:
        return stream.read(2) == _GZIP_MAGIC or file.name.lower().endswith(".gz")


def _is_label(text: str) -> bool:
    """Whether a first-line field reads as a column name rather than a value."""
    if not text or not any(ch.isalpha() for ch in text):
        return False
    try:
        float(text)
    except ValueError:
        return pd.isna(pd.to_datetime(text, format="ISO8601", errors="coerce"))
    return False


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


# ---------------------------------------------------------------- Parquet


def _read_parquet(file: Path, source: str) -> pd.DataFrame:
    import pyarrow as pa  # noqa: PLC0415  # ~30 MB: only when a Parquet file is read
    import pyarrow.parquet as pq  # noqa: PLC0415

    try:
        table = pq.read_table(file)
    except (pa.ArrowException, OSError) as exc:
        raise DataSourceError(f"{source}: not a readable Parquet file: {_first_line(exc)}") from exc
    frame: pd.DataFrame = table.to_pandas()
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
    frame.columns = [str(c) for c in frame.columns]
    return frame


# ---------------------------------------------------------------- canonical frame


def _canonical(
    raw: pd.DataFrame,
    source: str,
    kind: str,
    columns: Mapping[str, str] | None,
    timestamp: str | None,
    tz: str | None,
    line_offset: int | None,
    decimal_comma: bool,
) -> pd.DataFrame:
    plan = plan_columns(
        [str(c) for c in raw.columns], kind=kind, columns=columns, timestamp=timestamp,
        source=source,
    )  # fmt: skip
    if plan.problems:
        raise DataValidationError(plan.problems)
    if tz is None and _says_utc(plan.timestamp[0]):
        tz = "UTC"  # the header says so: "Gmt time", "time (UTC)"
    stamps_raw = raw[plan.timestamp[0]]
    if len(plan.timestamp) == 2:
        stamps_raw = raw[plan.timestamp[0]].astype(str) + " " + raw[plan.timestamp[1]].astype(str)
    index, problems = parse_stamps(
        stamps_raw, tz=tz, field=plan.timestamp[0], source=source, line_offset=line_offset
    )
    cells = _Cells(source, line_offset, decimal_comma, problems)
    data = _convert(raw, plan, kind, cells)
    if cells.problems:
        cells.problems.sort(key=lambda p: p.row or 0)
        raise DataValidationError(cells.problems)
    order = sorted(data, key=lambda name: _FIRST.get(name, len(_FIRST)))
    frame = pd.DataFrame({name: data[name] for name in order}, index=index)
    frame.attrs[DROPPED_ATTR] = tuple(cells.dropped)
    return frame


def _says_utc(name: str) -> bool:
    words = set(re.split(r"[^a-z]+", name.lower()))
    return bool(words & {"utc", "gmt"})


class _Cells:
    """Converts text cells and records the ones that fail, with row, field and file line."""

    def __init__(
        self, source: str, line_offset: int | None, decimal_comma: bool, problems: list[Problem]
    ) -> None:
        self.source = source
        self.line_offset = line_offset
        self.decimal_comma = decimal_comma
        self.problems = problems
        self.dropped: list[str] = []

    def report(self, i: int, name: str, message: str) -> None:
        if self.line_offset is not None:
            message += f" (line {i + 1 + self.line_offset})"
        self.problems.append(Problem(self.source, message, row=i + 1, field=name))

    def floats(self, column: pd.Series, name: str, *, required: bool) -> np.ndarray | None:
        """Return the column as float64; for an optional column, None when mostly not numbers."""
        if pd.api.types.is_bool_dtype(column.dtype):
            values: pd.Series = column.astype(np.float64)
            return np.asarray(values.to_numpy(), dtype=np.float64)
        if pd.api.types.is_numeric_dtype(column.dtype):
            return np.asarray(column.to_numpy(dtype=np.float64, na_value=np.nan))
        text = column.astype("str").str.strip()
        empty = np.asarray(text.isna() | text.isin(["", ".", "NA", "N/A", "NaN", "nan", "null"]))
        parsed = pd.to_numeric(text.where(~empty), errors="coerce")
        bad = np.asarray(parsed.isna()) & ~empty
        if bad.any() and self.decimal_comma:
            comma = pd.to_numeric(text.where(~empty).str.replace(",", ".", regex=False),
                                  errors="coerce")  # fmt: skip
            if (np.asarray(comma.isna()) & ~empty).sum() < bad.sum():
                parsed = comma
                bad = np.asarray(parsed.isna()) & ~empty
        if not required and bad.sum() * 2 > (~empty).sum():
            self.dropped.append(name)
            return None
        for i in np.flatnonzero(bad)[:50].tolist():
            self.report(i, name, f"not a number: {text.iloc[i]!r}")
        return np.asarray(parsed.to_numpy(dtype=np.float64, na_value=np.nan))


def _convert(
    raw: pd.DataFrame, plan: ColumnPlan, kind: str, cells: _Cells
) -> dict[str, np.ndarray]:
    data: dict[str, np.ndarray] = {}
    for name, target in plan.rename.items():
        if kind == "trades" and target == "id":
            data["id"] = _trade_ids(raw[name])
        elif kind == "trades" and target == "side":
            data["side"] = _sides(raw[name])
        else:
            values = cells.floats(raw[name], name, required=True)
            if values is not None:
                data[target] = values
    if plan.maker_flag is not None:
        maker = raw[plan.maker_flag].astype(str).str.strip().str.lower()
        buyer_maker = maker.isin(["true", "1", "t", "yes"])
        data["side"] = np.where(np.asarray(buyer_maker), "sell", "buy").astype(object)
    for name in plan.extras:
        values = cells.floats(raw[name], name, required=False)
        if values is not None:
            data[name] = values
    if kind in ("close", "series") and not data:
        cells.problems.append(Problem(cells.source, "no numeric columns besides the timestamp"))
    return data


def _trade_ids(column: pd.Series) -> np.ndarray:
    if pd.api.types.is_integer_dtype(column.dtype):
        return np.asarray(column.to_numpy(dtype=np.int64))
    text = column.astype("str").str.strip()
    if bool(text.str.fullmatch(r"[+-]?\d+").all()):
        return np.asarray(text.astype(np.int64).to_numpy())
    return np.asarray(text.to_numpy(dtype=object))


def _sides(column: pd.Series) -> np.ndarray:
    text = column.astype("str").str.strip().str.lower()
    # Unknown spellings pass through unchanged so that validation names them.
    return np.asarray(text.map(lambda s: _SIDES.get(s, s)).to_numpy(dtype=object))
