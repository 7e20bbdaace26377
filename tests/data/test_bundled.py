"""The bundled datasets load offline and agree with their registry entries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphaforge.data.bundled import (
    BUNDLED_DIR,
    dataset_info,
    dataset_path,
    find_symbol,
    list_datasets,
    load_dataset,
)
from alphaforge.data.errors import UnknownDatasetError

NAMES = [info.name for info in list_datasets()]


def test_every_shared_data_set_is_bundled() -> None:
    assert len(NAMES) == 24
    assert sorted(p.stem for p in BUNDLED_DIR.glob("*.parquet")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_registry_matches_file(name: str) -> None:
    info = dataset_info(name)
    frame = load_dataset(name)
    assert len(frame) == info.rows
    assert tuple(frame.columns) == info.columns
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert str(frame.index.tz) == "UTC"
    assert frame.index.name == "timestamp"
    assert frame.index[0].strftime("%Y-%m-%d") == info.first
    assert frame.index[-1].strftime("%Y-%m-%d") == info.last
    assert info.source
    assert info.notes
    assert len(info.symbols) >= 1


def test_prices_are_float64_and_real() -> None:
    spx = load_dataset("spx_daily")
    assert all(spx[c].dtype == np.float64 for c in spx.columns)
    # The S&P 500 closed at 896.24 on 2008-11-28 (a published value anyone can check).
    assert spx.loc[pd.Timestamp("2008-11-28", tz="UTC"), "close"] == pytest.approx(896.24, abs=0.01)


def test_columns_subset_and_unknown_name_hint() -> None:
    closes = load_dataset("stocks20_close", columns=["AAPL", "MSFT"])
    assert list(closes.columns) == ["AAPL", "MSFT"]
    with pytest.raises(UnknownDatasetError, match="did you mean 'spx_daily'"):
        dataset_info("spx_dialy")


def test_find_symbol_and_path() -> None:
    assert [i.name for i in find_symbol("msft")] == ["stocks20_close", "msft_daily"]
    assert dataset_path("vix_daily").name == "vix_daily.parquet"
