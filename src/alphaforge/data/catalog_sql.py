"""SQL over the catalog with DuckDB: one view per data kind, reading the Parquet files in place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from alphaforge.data.errors import CatalogError

if TYPE_CHECKING:
    from alphaforge.data.catalog_entry import CatalogEntry

__all__ = ["run_query"]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def run_query(
    entries: Sequence[CatalogEntry], sql: str, params: Sequence[object] | None = None
) -> pd.DataFrame:
    """Run ``sql`` with a view per kind (``ohlcv``, ``close``, ``series``, ``trades``).

    Each view holds ``symbol`` and ``timeframe`` columns, then the union (by name) of the stored
    columns of every entry of that kind. Timestamps come back tz-aware in UTC, at microsecond
    precision (DuckDB's ``TIMESTAMPTZ``); ``Catalog.load`` keeps nanoseconds.
    """
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        for kind in sorted({e.kind for e in entries}):
            group = [e for e in entries if e.kind == kind]
            files = ", ".join(_literal(str(e.path)) for e in group)
            names = ", ".join(
                f"({_literal(str(e.path))}, {_literal(e.symbol)}, {_literal(e.timeframe)})"
                for e in group
            )
            con.execute(
                f"CREATE VIEW {kind} AS SELECT m.symbol, m.timeframe, "  # noqa: S608  # literals escaped above
                "CAST(p.timestamp AS TIMESTAMPTZ) AS timestamp, p.* EXCLUDE (filename, timestamp) "
                f"FROM read_parquet([{files}], union_by_name = true, filename = true) AS p "
                f"JOIN (VALUES {names}) AS m(file, symbol, timeframe) ON p.filename = m.file"
            )
        try:
            return con.execute(sql, list(params) if params is not None else None).df()
        except duckdb.Error as exc:
            raise CatalogError(f"query failed: {exc}") from exc
    finally:
        con.close()
