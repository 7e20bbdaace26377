"""`alphaforge data …` end to end: every command on bundled data and on user files, every kind of
bad input refused with its exit code, and the catalog left byte-identical when a command fails.

The user files are the committed ``tests/data/files/spx_tail.csv`` (eight real S&P 500 days in
Yahoo's layout) and the real Binance/Dukascopy samples beside it; a broken file is that file with
one cell changed, so every failure has a known row and field.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from alphaforge.cli._common import ExitCode, console, err_console
from alphaforge.cli.main import app
from alphaforge.data.bundled import load_dataset
from alphaforge.data.catalog import Catalog
from alphaforge.data.sources import read_file

FILES = Path(__file__).parents[1] / "data" / "files"
SPX_TAIL = FILES / "spx_tail.csv"

runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["data", *(str(a) for a in args)])
    return result.exit_code, result.stdout, result.stderr


def snapshot(root: Path) -> dict[str, str]:
    """Every file under the catalog with its SHA-256: 'left intact' means equal snapshots."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def broken(tmp_path: Path, row: int, column: str, value: str) -> Path:
    lines = SPX_TAIL.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[row].split(",")
    cells[header.index(column)] = value
    lines[row] = ",".join(cells)
    path = tmp_path / "spx_broken.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(autouse=True)
def wide_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables wide enough that no cell is cut, whatever COLUMNS the test runner inherited."""
    for con in (console, err_console):
        monkeypatch.setattr(con, "_width", 200)


@pytest.fixture
def cat(tmp_path: Path) -> Path:
    """A catalog holding the real SPX tail (8 rows) and the ADA/BTC 5-minute bars."""
    root = tmp_path / "catalog"
    code, out, err = run("import", SPX_TAIL, "-s", "SPX", "-t", "1d", "--calendar", "XNYS",
                         "--catalog", root)  # fmt: skip
    assert code == 0, err
    assert "stored SPX 1d: 8 ohlcv rows" in out
    code, _, err = run("import", "bundled:binance_adabtc_5m", "--catalog", root)
    assert code == 0, err
    return root


# ---------------------------------------------------------------- list / info / show


def test_list_shows_bundled_sets_and_the_catalog(cat: Path) -> None:
    code, out, _ = run("list", "--catalog", cat)
    assert code == 0
    for word in ("spx_daily", "binance_xrpeth_trades", "stocks20_close", "XNYS", "24/5"):
        assert word in out
    assert "ADABTC" in out
    assert "SPX" in out


def test_list_json_is_complete(cat: Path) -> None:
    code, out, _ = run("list", "--json", "--catalog", cat)
    assert code == 0
    data = json.loads(out)
    assert len(data["bundled"]) == 24
    spx = next(d for d in data["bundled"] if d["name"] == "spx_daily")
    assert spx["calendar"] == "XNYS"
    assert spx["rows"] == 5031
    held = {(e["symbol"], e["timeframe"]) for e in data["catalog"]["entries"]}
    assert held == {("SPX", "1d"), ("ADABTC", "5m")}


def test_list_of_an_empty_catalog_says_how_to_fill_it(tmp_path: Path) -> None:
    code, out, _ = run("list", "--local", "--catalog", tmp_path / "empty")
    assert code == 0
    assert "empty" in out
    assert "alphaforge data import" in out


def test_list_flags_that_exclude_each_other(tmp_path: Path) -> None:
    code, _, err = run("list", "--bundled", "--local", "--catalog", tmp_path)
    assert code == ExitCode.USAGE
    assert "exclude each other" in err


def test_info_on_bundled_catalog_and_file(cat: Path) -> None:
    code, out, _ = run("info", "msft_daily", "--catalog", cat)
    assert code == 0
    assert "7,983" in out
    assert "XNYS" in out
    assert "1986-03-13" in out

    code, out, _ = run("info", "ADABTC", "--json", "--catalog", cat)
    data = json.loads(out)
    assert (data["origin"], data["kind"], data["timeframe"], data["calendar"]) == (
        "catalog", "ohlcv", "5m", "24/7",
    )  # fmt: skip
    assert data["rows"] == 5720
    assert data["details"]["dataset"] == "binance_adabtc_5m"

    code, out, _ = run("info", SPX_TAIL, "--json", "--catalog", cat)
    data = json.loads(out)
    assert data["origin"] == "file"
    assert data["kind"] == "ohlcv"  # guessed from the header
    assert data["rows"] == 8


def test_info_picks_one_symbol_of_a_wide_set(cat: Path) -> None:
    code, out, _ = run("info", "stocks20_close", "--symbol", "msft", "--json", "--catalog", cat)
    assert code == 0
    data = json.loads(out)
    assert data["columns"] == ["close"]
    assert data["symbols"] == ["MSFT"]


def test_show_head_tail_and_range(cat: Path) -> None:
    code, out, _ = run("show", "SPX", "--head", "2", "--catalog", cat)
    assert code == 0
    assert "2018-12-19" in out
    assert "2018-12-20" in out
    assert "2018-12-21" not in out

    code, out, _ = run("show", "SPX", "--tail", "1", "--catalog", cat)
    assert "2018-12-31" in out
    assert "2018-12-28" not in out

    code, out, _ = run("show", "spx_daily", "--start", "2008-10-15", "--end", "2008-10-15")
    assert code == 0
    assert "2008-10-15" in out
    assert "1 row(s)" in out
    assert "907.84" in out  # the S&P 500 close on 2008-10-15 (-9 % that day)


def test_show_refuses_head_and_tail_together(cat: Path) -> None:
    code, _, err = run("show", "SPX", "--head", "2", "--tail", "2", "--catalog", cat)
    assert code == ExitCode.USAGE
    assert "exclude each other" in err


# ---------------------------------------------------------------- validate


def test_validate_bundled_is_clean() -> None:
    code, out, _ = run("validate", "spx_daily")
    assert code == 0
    assert "clean" in out
    assert "5,031" in out


def test_validate_reports_the_real_ada_gap(cat: Path) -> None:
    code, out, _ = run("validate", "ADABTC", "--json", "--catalog", cat)
    assert code == 0
    report = json.loads(out)
    assert not report["ok"]
    widest = max(report["gaps"], key=lambda g: g["missing"])
    assert widest == {
        "start": "2018-01-15T12:00:00+00:00",
        "end": "2018-01-15T14:40:00+00:00",
        "missing": 33,
    }
    code, _, _ = run("validate", "ADABTC", "--strict", "--catalog", cat)
    assert code == ExitCode.FAILED


def test_validate_finds_the_msft_crash_is_not_a_split() -> None:
    code, out, _ = run("validate", "msft_daily", "--json")
    assert code == 0
    report = json.loads(out)
    crash = [s for s in report["suspects"] if s["timestamp"].startswith("1987-10-19")]
    assert crash, "the -30 % day should be reported as a jump"
    assert all(s["kind"] != "split" for s in crash)


@pytest.mark.parametrize(
    ("row", "column", "value", "field"),
    [
        (2, "Close", "", "close"),  # NaN
        (3, "High", "inf", "high"),
        (4, "Low", "-5", "low"),  # non-positive price
        (5, "High", "1000", "high"),  # high < low
        (6, "Open", "9999", "open"),  # open outside [low, high]
        (7, "Volume", "-100", "volume"),
        (3, "Date", "2018-12-19", "timestamp"),  # duplicate stamp
    ],
)
def test_bad_cells_are_refused_and_the_catalog_is_intact(
    cat: Path, tmp_path: Path, row: int, column: str, value: str, field: str
) -> None:
    path = broken(tmp_path, row, column, value)
    code, _, err = run("validate", path)
    assert code == ExitCode.INVALID_DATA
    assert str(path) in err
    assert f"field '{field}'" in err
    before = snapshot(cat)
    code, _out, err = run("import", path, "-s", "SPX", "-t", "1d", "--catalog", cat)
    assert code == ExitCode.INVALID_DATA
    assert "nothing was stored" in err
    assert snapshot(cat) == before
    assert Catalog(cat).load("SPX", "1d")["close"].iloc[-1] == pytest.approx(2506.850098)


def test_unsorted_stamps_are_refused_then_repaired_explicitly(cat: Path, tmp_path: Path) -> None:
    lines = SPX_TAIL.read_text().splitlines()
    lines[2], lines[3] = lines[3], lines[2]
    path = tmp_path / "unsorted.csv"
    path.write_text("\n".join(lines) + "\n")
    code, _, err = run("validate", path)
    assert code == ExitCode.INVALID_DATA
    assert "row" in err
    fixed = tmp_path / "sorted.parquet"
    code, out, _ = run("validate", path, "--repair", "sort", "--output", fixed)
    assert code == 0
    assert "sort" in out  # the repair is listed, never silent
    assert read_file(fixed).index.is_monotonic_increasing


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("", "empty"),
        ("Date,Open,High,Low,Close,Volume\n", "no data rows"),
        ("Date,Open,High,Low,Volume\n2018-12-19,1,2,1,5\n", "close"),  # a missing column
    ],
)
def test_empty_and_incomplete_files(cat: Path, tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    before = snapshot(cat)
    code, _, err = run("import", path, "-s", "SPX", "-t", "1d", "--kind", "ohlcv", "--catalog", cat)
    assert code == ExitCode.INVALID_DATA, err
    assert str(path) in err
    assert words in err
    assert snapshot(cat) == before


def test_corrupt_files(cat: Path, tmp_path: Path) -> None:
    before = snapshot(cat)
    for path in (FILES / "not_parquet.parquet", FILES / "truncated.csv.gz"):
        code, _, err = run("import", path, "-s", "SPX", "-t", "1d", "--kind", "ohlcv",
                           "--catalog", cat)  # fmt: skip
        assert code == ExitCode.INVALID_DATA, err
        assert path.name in err
    assert snapshot(cat) == before


def test_naive_stamps_need_a_zone(cat: Path, tmp_path: Path) -> None:
    lines = SPX_TAIL.read_text().splitlines()
    lines[1:] = [line.replace(",", " 16:00:00,", 1) for line in lines[1:]]
    path = tmp_path / "naive.csv"
    path.write_text("\n".join(lines) + "\n")
    code, _, err = run("validate", path)
    assert code == ExitCode.INVALID_DATA
    assert "--tz" in err or "time zone" in err
    code, out, _ = run("validate", path, "--tz", "America/New_York", "--json")
    assert code == 0
    assert json.loads(out)["first"] == "2018-12-19T21:00:00+00:00"  # 16:00 EST is 21:00 UTC


# ---------------------------------------------------------------- import / export / resample


def test_import_modes(cat: Path, tmp_path: Path) -> None:
    code, _, err = run("import", SPX_TAIL, "-s", "SPX", "-t", "1d", "--mode", "append",
                       "--catalog", cat)  # fmt: skip
    assert code == ExitCode.FAILED
    assert "append refused" in err
    code, out, _ = run("import", SPX_TAIL, "-s", "SPX", "-t", "1d", "--mode", "merge",
                       "--catalog", cat)  # fmt: skip
    assert code == 0
    assert "8 ohlcv rows" in out  # the union of identical rows


def test_import_needs_symbol_and_timeframe_for_files(cat: Path) -> None:
    code, _, err = run("import", SPX_TAIL, "--catalog", cat)
    assert code == ExitCode.USAGE
    assert "--symbol" in err
    code, _, err = run("import", SPX_TAIL, "-s", "SPX", "--catalog", cat)
    assert code == ExitCode.USAGE
    assert "--timeframe" in err


def test_import_a_real_trades_file_keeps_same_time_trades(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    path = FILES / "xrpeth_trades_binance.csv"
    code, _out, err = run("import", path, "-s", "XRP/ETH", "-t", "tick", "--catalog", root)
    assert code == 0, err
    stored = Catalog(root).load("XRP/ETH", "tick")
    raw = pd.read_csv(path)
    assert len(stored) == len(raw)  # trades that share a millisecond are all kept
    assert stored.index.duplicated().any()


def test_import_bundled_subset_with_progress(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    code, _out, _ = run("import", "bundled:stocks20_close", "-s", "AAPL", "-s", "MSFT",
                       "--catalog", root)  # fmt: skip
    assert code == 0
    assert {e.symbol for e in Catalog(root).entries()} == {"AAPL", "MSFT"}
    code, _, err = run("import", "bundled:stocks20_close", "-s", "APPL", "--catalog", root)
    assert code == ExitCode.NOT_FOUND
    assert "did you mean 'AAPL'" in err


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_export_reads_back(cat: Path, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"ada{suffix}"
    code, _out, err = run("export", "ADABTC", target, "--start", "2018-01-15", "--end",
                         "2018-01-15", "--catalog", cat)  # fmt: skip
    assert code == 0, err
    back = read_file(target)
    day = Catalog(cat).load("ADABTC", "5m", start="2018-01-15", end="2018-01-15")
    pd.testing.assert_frame_equal(back, day, check_freq=False, check_names=False)
    if suffix == ".csv.gz":
        assert gzip.decompress(target.read_bytes()).startswith(b"timestamp,")


def test_resample_into_the_catalog_and_to_a_file(cat: Path, tmp_path: Path) -> None:
    code, _, err = run("resample", "ADABTC", "--to", "1h", "--catalog", cat)
    assert code == 0, err
    hourly = Catalog(cat).load("ADABTC", "1h")
    five = load_dataset("binance_adabtc_5m")
    assert hourly["volume"].sum() == pytest.approx(five["volume"].sum(), rel=1e-12)
    noon = hourly.loc["2018-01-15 10:00"]
    window = five.loc["2018-01-15 10:00":"2018-01-15 10:55"]
    assert noon["open"] == window["open"].iloc[0]
    assert noon["high"] == window["high"].max()
    assert noon["low"] == window["low"].min()
    assert noon["close"] == window["close"].iloc[-1]

    weekly = tmp_path / "spx_weekly.csv"
    code, _out, err = run("resample", "spx_daily", "--to", "1w", "-o", weekly)
    assert code == 0, err
    assert read_file(weekly)["volume"].sum() == pytest.approx(
        load_dataset("spx_daily")["volume"].sum(), rel=1e-12
    )


def test_resample_refuses_upsampling() -> None:
    code, _, err = run("resample", "spx_daily", "--to", "1h", "-o", "x.csv")
    assert code == ExitCode.USAGE
    assert "upsampling" in err


# ---------------------------------------------------------------- delete and lookups


def test_delete_needs_confirmation_without_a_terminal(cat: Path) -> None:
    code, _, err = run("delete", "SPX", "--catalog", cat)
    assert code == ExitCode.USAGE
    assert "--yes" in err
    assert "SPX" in Catalog(cat).symbols()
    code, out, _ = run("delete", "spx", "--yes", "--catalog", cat)
    assert code == 0
    assert "deleted SPX 1d (8 rows)" in out
    assert Catalog(cat).symbols() == ["ADABTC"]


def test_unknown_targets_suggest_a_name(cat: Path) -> None:
    code, _, err = run("validate", "spx_dayly", "--catalog", cat)
    assert code == ExitCode.NOT_FOUND
    assert "did you mean 'spx_daily'" in err
    code, _, err = run("show", "ADABTX", "--catalog", cat)
    assert code == ExitCode.NOT_FOUND
    assert "did you mean 'ADABTC'" in err
    code, _, err = run("validate", "missing.csv", "--catalog", cat)
    assert code == ExitCode.NOT_FOUND
    assert "no such file" in err


def test_errors_are_one_line_without_traceback(cat: Path) -> None:
    code, _, err = run("show", "SPX", "--timeframe", "1x", "--catalog", cat)
    assert code == ExitCode.USAGE
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
