"""Real market datasets shipped inside the package, loadable offline.

>>> from alphaforge.data.bundled import load_dataset
>>> spx = load_dataset("spx_daily")          # UTC DatetimeIndex, float64 OHLCV
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from alphaforge.core.suggest import did_you_mean
from alphaforge.data.bundled.registry import BUNDLED, DatasetInfo, DatasetKind, Stamp
from alphaforge.data.errors import UnknownDatasetError

__all__ = [
    "BUNDLED_DIR",
    "DatasetInfo",
    "DatasetKind",
    "Stamp",
    "dataset_info",
    "dataset_path",
    "find_symbol",
    "list_datasets",
    "load_dataset",
]

BUNDLED_DIR = Path(__file__).resolve().parent
_BY_NAME = {info.name: info for info in BUNDLED}


def list_datasets() -> tuple[DatasetInfo, ...]:
    """Return every bundled dataset's metadata, in registry order."""
    return BUNDLED


def dataset_info(name: str) -> DatasetInfo:
    """Return the metadata of one bundled dataset; unknown names get a "did you mean" hint."""
    try:
        return _BY_NAME[name]
    except KeyError:
        hint = did_you_mean(name, _BY_NAME)
        raise UnknownDatasetError(
            f"no bundled dataset named {name!r}{hint}; `alphaforge data list` shows them"
        ) from None


def dataset_path(name: str) -> Path:
    """Return the path of a bundled dataset's Parquet file inside the installed package."""
    return BUNDLED_DIR / dataset_info(name).file


def load_dataset(name: str, *, columns: list[str] | None = None) -> pd.DataFrame:
    """Load a bundled dataset as a frame indexed by its UTC ``timestamp``.

    No network and no file outside the installed package is touched.
    """
    info = dataset_info(name)
    path = BUNDLED_DIR / info.file
    if not path.exists():
        raise UnknownDatasetError(
            f"bundled file {path} is missing: the package was built without its data "
            "(run `python scripts/bundle_data.py` in a source checkout)"
        )
    wanted = None if columns is None else ["timestamp", *columns]
    import pyarrow.parquet as pq  # noqa: PLC0415  # ~30 MB: only when a dataset is read

    frame: pd.DataFrame = pq.read_table(path, columns=wanted).to_pandas()
    return frame.set_index("timestamp")


def find_symbol(symbol: str) -> list[DatasetInfo]:
    """Return the bundled datasets that hold ``symbol`` (case-insensitive)."""
    wanted = symbol.upper()
    return [info for info in BUNDLED if wanted in info.symbols]
