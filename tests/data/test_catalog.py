"""The catalog stores, lists, loads, exports and deletes real market data."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alphaforge.data import catalog as catalog_module
from alphaforge.data.bundled import load_dataset
from alphaforge.data.catalog import Catalog
from alphaforge.data.catalog_files import TMP_MARK
from alphaforge.data.errors import CatalogError, DataValidationError, UnknownDatasetError
from alphaforge.data.sources import read_file
from alphaforge.domain.errors import InvalidValueError


@pytest.fixture
def cat(tmp_path: Path) -> Catalog:
    return Catalog(tmp_path / "catalog")


@pytest.fixture
def spx() -> pd.DataFrame:
    return load_dataset("spx_daily")


def test_import_and_load_round_trip(cat: Catalog, spx: pd.DataFrame) -> None:
    entry = cat.import_frame("spx", "1d", spx, calendar="XNYS", source="arch sp500")
    assert entry.symbol == "SPX"
    assert (entry.timeframe, entry.kind, entry.rows) == ("1d", "ohlcv", len(spx))
    assert entry.first == spx.index[0]
    assert entry.last == spx.index[-1]
    assert entry.calendar == "XNYS"
    assert entry.imported_at.tzinfo is not None
    assert len(entry.content_hash) == 64
    loaded = cat.load("SPX", "1d")
    pd.testing.assert_frame_equal(loaded, spx)
    assert str(loaded.index.tz) == "UTC"
    assert loaded.index.name == "timestamp"


def test_manifest_records_provenance(cat: Catalog) -> None:
    (entry,) = cat.import_bundled("eurusd_1h")
    manifest = json.loads((entry.path.parent / "1h.json").read_text())
    assert manifest["symbol"] == "EURUSD"
    assert manifest["calendar"] == "24/5"
    assert manifest["currency"] == "USD"
    assert manifest["asset_class"] == "fx"
    assert manifest["source"].startswith("bundled:eurusd_1h (backtesting")
    assert manifest["rows"] == 5000
    assert manifest["sha256"] == entry.content_hash
    assert manifest["file"] == entry.path.name
    assert manifest["gaps"] == entry.gaps > 0  # the real EUR/USD hours have holes
    assert datetime.fromisoformat(manifest["imported_at"]) <= datetime.now(UTC)


def test_range_load_is_inclusive_and_utc(cat: Catalog, spx: pd.DataFrame) -> None:
    cat.import_frame("SPX", "1d", spx, calendar="XNYS")
    part = cat.load("SPX", "1d", start="2008-09-15", end="2008-09-19")
    expected = spx.loc["2008-09-15":"2008-09-19"]
    assert len(part) == 5
    pd.testing.assert_frame_equal(part, expected)
    aware = cat.load("SPX", "1d", start=pd.Timestamp("2008-09-15 00:00", tz="America/New_York"))
    assert aware.index[0] == pd.Timestamp("2008-09-16", tz="UTC")  # 04:00 UTC is after midnight
    only_close = cat.load("SPX", "1d", end="1999-01-06", columns=["close"])
    assert list(only_close.columns) == ["close"]
    assert len(only_close) == 3


def test_naive_datetime_bound_is_refused(cat: Catalog, spx: pd.DataFrame) -> None:
    cat.import_frame("SPX", "1d", spx)
    with pytest.raises(InvalidValueError, match="naive"):
        cat.load("SPX", "1d", start=datetime(2008, 1, 1))


def test_unknown_column_is_named(cat: Catalog, spx: pd.DataFrame) -> None:
    cat.import_frame("SPX", "1d", spx)
    with pytest.raises(InvalidValueError, match="did you mean 'close'"):
        cat.load("SPX", "1d", columns=["clsoe"])


def test_head_and_tail(cat: Catalog) -> None:
    eth = load_dataset("binance_ethbtc_5m")
    cat.import_frame("ETHBTC", "5m", eth, calendar="24/7")
    pd.testing.assert_frame_equal(cat.head("ethbtc", "5m", 3), eth.iloc[:3])
    pd.testing.assert_frame_equal(cat.tail("ETHBTC", "5m", 4), eth.iloc[-4:])
    assert len(cat.tail("ETHBTC", "5m", 10_000)) == len(eth)
    assert len(cat.head("ETHBTC", "5m", 0)) == 0


def test_unknown_symbol_suggests_a_close_one(cat: Catalog, spx: pd.DataFrame) -> None:
    cat.import_frame("SPX", "1d", spx)
    with pytest.raises(UnknownDatasetError, match="did you mean 'SPX'"):
        cat.load("SPY", "1d")
    with pytest.raises(UnknownDatasetError, match="holds 1d"):
        cat.load("SPX", "1h")
    with pytest.raises(UnknownDatasetError, match="no symbol"):
        Catalog(cat.root / "empty").info("SPX")


@pytest.mark.parametrize("bad", ["../x", "..", "a/../b", "", " ", ".hidden", "x" * 65, "a b", "é"])
def test_symbols_cannot_escape_the_catalog(cat: Catalog, spx: pd.DataFrame, bad: str) -> None:
    with pytest.raises(InvalidValueError, match="invalid symbol"):
        cat.import_frame(bad, "1d", spx)
    assert not cat.root.exists() or not any(cat.root.rglob("*.parquet"))


def test_slash_and_case_make_safe_distinct_names(cat: Catalog) -> None:
    eth = load_dataset("binance_ethbtc_5m")
    a = cat.import_frame("eth/btc", "5m", eth)
    b = cat.import_frame("ETH-BTC", "5m", eth)
    assert a.symbol == "ETH/BTC"
    assert a.path.parent.name == "ETH%2FBTC"
    assert a.path.parent.parent == cat.root
    assert b.path.parent != a.path.parent
    assert [e.symbol for e in cat.entries()] == ["ETH-BTC", "ETH/BTC"]


def test_month_and_minute_files_do_not_collide(cat: Catalog) -> None:
    # On case-insensitive file systems "1M.json" and "1m.json" would be one file.
    btc = load_dataset("btcusd_monthly")
    minute = load_dataset("binance_xrpeth_1m")
    monthly = cat.import_frame("X", "1M", btc, stamp="period_end_date")
    per_minute = cat.import_frame("X", "1m", minute)
    assert monthly.path.name.lower() != per_minute.path.name.lower()
    assert len(cat.load("X", "1M")) == len(btc)
    assert len(cat.load("X", "1m")) == len(minute)
    with pytest.raises(CatalogError, match="2 timeframes"):
        cat.info("X")


def test_import_bundled_splits_wide_close_sets(cat: Catalog) -> None:
    entries = cat.import_bundled("stocks20_close", symbols=["aapl", "MSFT"])
    assert [e.symbol for e in entries] == ["AAPL", "MSFT"]
    assert all(e.kind == "close" and e.columns == ("close",) for e in entries)
    wide = load_dataset("stocks20_close")
    np.testing.assert_array_equal(cat.load("MSFT", "1d")["close"].to_numpy(), wide["MSFT"])
    with pytest.raises(UnknownDatasetError, match="did you mean 'AAPL'"):
        cat.import_bundled("stocks20_close", symbols=["APPL"])


def test_import_bundled_drops_rows_without_value(cat: Catalog) -> None:
    (vix,) = cat.import_bundled("vix_daily")
    assert vix.rows == 1305 - 46  # the holidays the source leaves empty
    assert vix.metadata["dropped_rows"] == "46 rows without a value"
    assert not cat.load("VIX", "1d")["close"].isna().any()


def test_import_bundled_trades_and_series(cat: Catalog) -> None:
    (trades,) = cat.import_bundled("binance_xrpeth_trades")
    assert (trades.timeframe, trades.kind, trades.stamp) == ("tick", "trades", "observation")
    loaded = cat.load("XRPETH", "tick")
    pd.testing.assert_frame_equal(loaded, load_dataset("binance_xrpeth_trades"))
    factors = cat.import_bundled("fama_french_monthly", symbols=["RF"])
    assert factors[0].columns == ("rf",)
    assert factors[0].calendar == "none"


def test_kind_change_is_refused(cat: Catalog) -> None:
    cat.import_bundled("spx_daily")
    with pytest.raises(CatalogError, match="holds 'ohlcv' data"):
        cat.import_bundled("sp500_index_close")
    assert cat.info("SPX", "1d").kind == "ohlcv"


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_export_reads_back_identical(cat: Catalog, tmp_path: Path, suffix: str) -> None:
    eurusd = load_dataset("eurusd_1h")
    cat.import_frame("EURUSD", "1h", eurusd, calendar="24/5")
    target = cat.export("EURUSD", "1h", tmp_path / f"out{suffix}", start="2017-06-01",
                        end="2017-06-30")  # fmt: skip
    back = read_file(target)
    expected = eurusd.loc["2017-06-01":"2017-06-30"]  # a date as end: the whole day
    pd.testing.assert_frame_equal(back, expected, check_freq=False)
    assert not list(tmp_path.glob(".*tmp*"))


def test_export_needs_a_known_format(cat: Catalog, spx: pd.DataFrame, tmp_path: Path) -> None:
    cat.import_frame("SPX", "1d", spx)
    with pytest.raises(InvalidValueError, match="export format"):
        cat.export("SPX", "1d", tmp_path / "out.xlsx")


def test_delete_one_timeframe_then_symbol(cat: Catalog) -> None:
    cat.import_frame("X", "1m", load_dataset("binance_xrpeth_1m"))
    cat.import_frame("X", "5m", load_dataset("binance_ethbtc_5m"))
    (gone,) = cat.delete("x", "1m")
    assert gone.timeframe == "1m"
    assert not gone.path.exists()
    assert [e.timeframe for e in cat.entries()] == ["5m"]
    assert [e.timeframe for e in cat.delete("X")] == ["5m"]
    assert cat.entries() == []
    assert list(cat.root.iterdir()) == [cat.root / ".lock"]
    with pytest.raises(UnknownDatasetError):
        cat.delete("X")


def test_entries_are_sorted_and_info_matches(cat: Catalog) -> None:
    cat.import_bundled("binance_ltcbtc_5m")
    cat.import_bundled("binance_ethbtc_5m")
    cat.import_bundled("binance_xrpeth_1m")
    cat.import_frame("XRPETH", "5m", load_dataset("binance_xrpusdt_perp_5m"))
    assert [(e.symbol, e.timeframe) for e in cat.entries()] == [
        ("ETHBTC", "5m"), ("LTCBTC", "5m"), ("XRPETH", "1m"), ("XRPETH", "5m"),
    ]  # fmt: skip
    assert cat.info("ethbtc") == cat.info("ETHBTC", "5m")
    assert cat.symbols() == ["ETHBTC", "LTCBTC", "XRPETH"]


def test_sql_over_the_catalog(cat: Catalog) -> None:
    cat.import_bundled("spx_daily")
    cat.import_bundled("nasdaq_daily")
    result = cat.query(
        "select symbol, count(*) as n, max(high) as top from ohlcv "
        "where timestamp >= ? group by symbol order by symbol",
        [pd.Timestamp("2018-01-01", tz="UTC")],
    )
    assert list(result["symbol"]) == ["NASDAQ", "SPX"]
    spx = load_dataset("spx_daily").loc["2018"]
    assert result.set_index("symbol").loc["SPX", "n"] == len(spx)
    assert result.set_index("symbol").loc["SPX", "top"] == spx["high"].max()
    first = cat.query("select timestamp from ohlcv order by timestamp limit 1")["timestamp"][0]
    assert first == pd.Timestamp("1999-01-04", tz="UTC")
    with pytest.raises(CatalogError, match="query failed"):
        cat.query("select nope from ohlcv")


def test_timeframe_must_fit_kind(cat: Catalog) -> None:
    with pytest.raises(InvalidValueError, match="does not fit kind"):
        cat.import_frame("XRPETH", "1m", load_dataset("binance_xrpeth_trades"), kind="trades")


# ---------------------------------------------------------------- atomicity


def _bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_rejected_data_leaves_every_byte(cat: Catalog, spx: pd.DataFrame) -> None:
    cat.import_frame("SPX", "1d", spx.iloc[:100], calendar="XNYS")
    before = _bytes(cat.root)
    bad = spx.iloc[:200].copy()
    bad.iloc[150, bad.columns.get_loc("high")] = 1.0  # high < low on a real day
    for mode in ("replace", "append", "merge"):
        with pytest.raises(DataValidationError, match="high"):
            cat.import_frame("SPX", "1d", bad, mode=mode)
    assert _bytes(cat.root) == before


def test_merge_refuses_conflicting_values(cat: Catalog, spx: pd.DataFrame) -> None:
    cat.import_frame("SPX", "1d", spx.iloc[:100])
    before = _bytes(cat.root)
    changed = spx.iloc[50:150].copy()
    changed.iloc[0, changed.columns.get_loc("volume")] += 1.0
    with pytest.raises(CatalogError, match="volume"):
        cat.import_frame("SPX", "1d", changed, mode="merge")
    assert _bytes(cat.root) == before
    merged = cat.import_frame("SPX", "1d", spx.iloc[50:150], mode="merge")
    assert merged.rows == 150


@pytest.mark.parametrize("failing", ["data", "manifest"])
def test_a_crash_while_writing_keeps_the_old_entry(
    cat: Catalog, spx: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    cat.import_frame("SPX", "1d", spx.iloc[:100])
    before = _bytes(cat.root)
    real = catalog_module.write_atomic

    def crash(path: Path, data: bytes | memoryview) -> None:
        is_manifest = path.suffix == ".json"
        if (failing == "manifest") == is_manifest:
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(catalog_module, "write_atomic", crash)
    with pytest.raises(OSError, match="No space"):
        cat.import_frame("SPX", "1d", spx)
    monkeypatch.undo()
    assert _bytes(cat.root) == before
    pd.testing.assert_frame_equal(cat.load("SPX", "1d"), spx.iloc[:100], check_freq=False)


def test_leftovers_of_a_killed_writer_are_swept(cat: Catalog, spx: pd.DataFrame) -> None:
    entry = cat.import_frame("SPX", "1d", spx.iloc[:100])
    folder = entry.path.parent
    (folder / f".1d.json{TMP_MARK}abc").write_bytes(b"half a manifest")
    (folder / "1d.0123456789abcdef.parquet").write_bytes(b"an orphan")
    assert cat.load("SPX", "1d").shape == (100, 5)  # readers ignore leftovers
    cat.import_frame("SPX", "1d", spx.iloc[:120])
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(["1d.json", cat.info("SPX").path.name])
    assert cat.verify() == []


def test_a_damaged_data_file_is_named(cat: Catalog, spx: pd.DataFrame) -> None:
    entry = cat.import_frame("SPX", "1d", spx.iloc[:100])
    entry.path.write_bytes(b"PAR1 not really")
    with pytest.raises(CatalogError, match="re-import"):
        cat.load("SPX", "1d")
    assert any("SHA-256" in line for line in cat.verify())
