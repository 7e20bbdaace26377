"""Build the package's bundled Parquet copies from the real data in ``shared/data``.

Values are copied unchanged; only types are made explicit (UTC timestamps, float64 prices).
The script checks each file against its registry entry (rows, first and last stamp, columns)
and refuses to write anything if one disagrees, so the registry never drifts from the data.

Run: ``python scripts/bundle_data.py [--source ../shared/data]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alphaforge.data.bundled import BUNDLED_DIR
from alphaforge.data.bundled.registry import BUNDLED, DatasetInfo


def _convert(info: DatasetInfo, source: Path) -> pa.Table:
    # FRED marks a day without a value (an exchange holiday) with "."; it becomes NaN.
    frame = pd.read_csv(source / info.source_file, compression="gzip", na_values=["."])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601")
    frame["timestamp"] = frame["timestamp"].astype("datetime64[ns, UTC]")
    columns = tuple(c for c in frame.columns if c != "timestamp")
    problems = []
    if columns != info.columns:
        problems.append(f"columns {columns} != registry {info.columns}")
    if len(frame) != info.rows:
        problems.append(f"rows {len(frame)} != registry {info.rows}")
    first = frame["timestamp"].iloc[0].strftime("%Y-%m-%d")
    last = frame["timestamp"].iloc[-1].strftime("%Y-%m-%d")
    if (first, last) != (info.first, info.last):
        problems.append(f"range {first}..{last} != registry {info.first}..{info.last}")
    if problems:
        raise SystemExit(f"{info.source_file}: " + "; ".join(problems))
    for column in columns:
        if column == "id":
            frame[column] = frame[column].astype("int64")
        elif column == "side":
            frame[column] = frame[column].astype("string")
        else:
            frame[column] = frame[column].astype("float64")
    return pa.Table.from_pandas(frame, preserve_index=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("--source", type=Path, default=default)
    args = parser.parse_args(argv)
    tables = {info.name: _convert(info, args.source) for info in BUNDLED}
    for name, table in tables.items():
        target = BUNDLED_DIR / f"{name}.parquet"
        pq.write_table(table, target, compression="zstd", compression_level=9)
        print(
            f"{target.relative_to(Path.cwd()) if target.is_relative_to(Path.cwd()) else target}"
            f"  {table.num_rows} rows"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
