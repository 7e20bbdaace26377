"""Every kind of bad input is refused with a message that names the file, the row and the field.

The files are the committed ``files/spx_tail.csv`` (eight real S&P 500 days from the bundled
``spx_daily``, in Yahoo's layout) with one cell broken per test.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from alphaforge.data.errors import DataSourceError, DataValidationError, Problem
from alphaforge.data.sources import read_file
from alphaforge.data.validation import validate_frame

FILES = Path(__file__).parent / "files"
SPX_TAIL = FILES / "spx_tail.csv"
HEADER = "Date,Open,High,Low,Close,Adj Close,Volume"


def _lines() -> list[str]:
    return SPX_TAIL.read_text().splitlines()


def _broken(tmp_path: Path, row: int, column: str, value: str, name: str = "spx.csv") -> Path:
    """Write spx_tail.csv with one cell (1-based data row, header column name) replaced."""
    lines = _lines()
    header = lines[0].split(",")
    cells = lines[row].split(",")
    cells[header.index(column)] = value
    lines[row] = ",".join(cells)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _load_and_validate(path: Path) -> None:
    frame = read_file(path)
    validate_frame(frame, source=str(path), calendar="XNYS", frequency="1d")


def _first_problem(action: Callable[[], object]) -> tuple[Problem, str]:
    with pytest.raises(DataValidationError) as info:
        action()
    return info.value.first, str(info.value)


def _assert_names(problem: Problem, text: str, path: Path, row: int, field: str) -> None:
    assert problem.source == str(path)
    assert problem.row == row
    assert problem.field == field
    assert str(path) in text
    assert f"row {row}" in text
    assert f"field {field!r}" in text
    assert f"(line {row + 1})" in text  # the header is line 1


def test_the_clean_fixture_is_valid() -> None:
    frame = read_file(SPX_TAIL)
    report = validate_frame(frame, source="spx_tail.csv", calendar="XNYS", frequency="1d")
    assert report.rows == 8
    assert report.ok  # eight consecutive XNYS sessions, Christmas 2018 included
    real = pd.read_csv(SPX_TAIL)
    assert frame["close"].tolist() == real["Close"].tolist()


@pytest.mark.parametrize(
    ("column", "value", "field", "words"),
    [
        ("Close", "", "close", "NaN"),
        ("High", "inf", "high", "inf is not a finite number"),
        ("Low", "-5", "low", "non-positive price -5.0"),
        ("Open", "0", "open", "non-positive price 0.0"),
        ("Volume", "-100", "volume", "negative volume -100.0"),
    ],
)
def test_bad_value_names_file_row_field(
    tmp_path: Path, column: str, value: str, field: str, words: str
) -> None:
    path = _broken(tmp_path, 3, column, value)
    problem, text = _first_problem(lambda: _load_and_validate(path))
    _assert_names(problem, text, path, 3, field)
    assert words in text
    assert "2018-12-21T00:00:00+00:00" in text  # the row's timestamp


def test_high_below_low(tmp_path: Path) -> None:
    path = _broken(tmp_path, 5, "High", "2300.5")  # low that day was 2346.580078
    problem, text = _first_problem(lambda: _load_and_validate(path))
    _assert_names(problem, text, path, 5, "high")
    assert "high 2300.5 < low 2346.580078" in text


def test_open_outside_range(tmp_path: Path) -> None:
    path = _broken(tmp_path, 2, "Open", "2600")  # high that day was 2509.629883
    problem, text = _first_problem(lambda: _load_and_validate(path))
    _assert_names(problem, text, path, 2, "open")
    assert "open 2600.0 outside [low 2441.179932, high 2509.629883]" in text


def test_every_problem_is_listed_in_row_order(tmp_path: Path) -> None:
    lines = _lines()
    lines[6] = lines[6].replace("4096610000", "-1")  # row 6: negative volume
    lines[2] = lines[2].replace("2509.629883", "2400")  # row 2: high < low (and < open)
    path = tmp_path / "two.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataValidationError) as info:
        _load_and_validate(path)
    rows = [(p.row, p.field) for p in info.value.problems]
    assert rows == [(2, "high"), (6, "volume")]


def test_duplicate_timestamps(tmp_path: Path) -> None:
    path = _broken(tmp_path, 4, "Date", "2018-12-21")  # same date as row 3
    problem, text = _first_problem(lambda: _load_and_validate(path))
    _assert_names(problem, text, path, 4, "timestamp")
    assert "duplicate timestamp: same as row 3" in text


def test_unsorted_timestamps(tmp_path: Path) -> None:
    lines = _lines()
    lines[3], lines[4] = lines[4], lines[3]
    path = tmp_path / "swapped.csv"
    path.write_text("\n".join(lines) + "\n")
    problem, text = _first_problem(lambda: _load_and_validate(path))
    _assert_names(problem, text, path, 4, "timestamp")
    assert "earlier than row 3's 2018-12-24T00:00:00+00:00" in text


def test_naive_timestamps_need_a_zone(tmp_path: Path) -> None:
    lines = [HEADER] + [
        line.replace(",", " 16:00:00,", 1) for line in _lines()[1:]
    ]  # clock times, no offset
    path = tmp_path / "naive.csv"
    path.write_text("\n".join(lines) + "\n")
    problem, text = _first_problem(lambda: read_file(path))
    assert (problem.row, problem.field) == (1, "Date")
    assert str(path) in text
    assert "'2018-12-19 16:00:00' has no UTC offset" in text
    assert "--tz" in text
    assert "(line 2)" in text
    # With the zone given, 16:00 New York is 21:00 UTC in December.
    frame = read_file(path, tz="America/New_York")
    assert frame.index[0] == pd.Timestamp("2018-12-19 21:00", tz="UTC")


def test_naive_index_is_refused_by_validation() -> None:
    frame = read_file(SPX_TAIL).tz_localize(None)
    problem, text = _first_problem(lambda: validate_frame(frame, source="spx_tail.csv"))
    assert problem.row is None
    assert "naive" in text
    assert "--tz" in text


def test_missing_columns_names_missing_and_present(tmp_path: Path) -> None:
    lines = [",".join(c for i, c in enumerate(line.split(",")) if i != 3) for line in _lines()]
    path = tmp_path / "nolow.csv"
    path.write_text("\n".join(lines) + "\n")
    _, text = _first_problem(lambda: read_file(path))
    assert str(path) in text
    assert "missing required column(s) low" in text
    assert "the file has: Date, Open, High, Close, Adj Close, Volume" in text


def test_missing_columns_in_a_frame() -> None:
    frame = read_file(SPX_TAIL).drop(columns=["volume"])
    _, text = _first_problem(lambda: validate_frame(frame, source="mem"))
    assert "missing required column(s) volume" in text
    assert "present: open, high, low, close, adj_close" in text


def test_unparseable_timestamp(tmp_path: Path) -> None:
    path = _broken(tmp_path, 4, "Date", "2018-13-45")
    problem, text = _first_problem(lambda: read_file(path))
    assert (problem.row, problem.field) == (4, "Date")
    assert str(path) in text
    assert "unparseable timestamp '2018-13-45'" in text
    assert "(line 5)" in text


def test_non_numeric_price(tmp_path: Path) -> None:
    path = _broken(tmp_path, 7, "Close", "24a5.7")
    problem, text = _first_problem(lambda: read_file(path))
    assert (problem.row, problem.field) == (7, "Close")
    assert str(path) in text
    assert "not a number: '24a5.7'" in text
    assert "(line 8)" in text


def test_text_column_in_a_frame_names_the_cell() -> None:
    frame = read_file(SPX_TAIL)
    frame["close"] = frame["close"].astype(str)
    frame.iloc[2, frame.columns.get_loc("close")] = "n/a?"
    problem, text = _first_problem(lambda: validate_frame(frame, source="mem"))
    assert (problem.row, problem.field) == (3, "close")
    assert "not a number: 'n/a?'" in text


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(DataSourceError, match=r"empty\.csv: empty file"):
        read_file(path)


def test_header_only_file(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text(HEADER + "\n")
    with pytest.raises(DataSourceError, match=r"header\.csv: no data rows"):
        read_file(path)


def test_empty_frame() -> None:
    frame = read_file(SPX_TAIL).iloc[:0]
    _, text = _first_problem(lambda: validate_frame(frame, source="mem"))
    assert "empty: 0 rows" in text


def test_corrupt_gzip() -> None:
    path = FILES / "truncated.csv.gz"
    with pytest.raises(DataSourceError, match=r"truncated\.csv\.gz: corrupt gzip file"):
        read_file(path)


def test_gzip_suffix_on_plain_garbage(tmp_path: Path) -> None:
    path = tmp_path / "garbage.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage that is not deflate data" * 3)
    with pytest.raises(DataSourceError, match=r"garbage\.csv\.gz: corrupt gzip file"):
        read_file(path)


def test_corrupt_parquet() -> None:
    path = FILES / "not_parquet.parquet"
    with pytest.raises(DataSourceError, match=r"not_parquet\.parquet: not a readable Parquet"):
        read_file(path)


def test_truncated_parquet(tmp_path: Path) -> None:
    whole = tmp_path / "whole.parquet"
    read_file(SPX_TAIL).to_parquet(whole)
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(whole.read_bytes()[:-40])
    with pytest.raises(DataSourceError, match=r"cut\.parquet: not a readable Parquet"):
        read_file(cut)


def test_binary_garbage_csv(tmp_path: Path) -> None:
    path = tmp_path / "noise.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataSourceError, match=r"noise\.csv: binary data"):
        read_file(path)


def test_non_utf8_text(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "\n2018-12-19,1,2,0.5,1.5,1.5,10 \xe9t\xe9\n").encode("latin-1"))
    with pytest.raises(DataSourceError, match=r"latin1\.csv: not UTF-8 text"):
        read_file(path)


def test_parquet_named_csv_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "mislabelled.csv"
    read_file(SPX_TAIL).to_parquet(path)
    with pytest.raises(DataSourceError, match="this is a Parquet file; use format='parquet'"):
        read_file(path)
    assert len(read_file(path, format="parquet")) == 8


def test_missing_file_and_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="no such file"):
        read_file(tmp_path / "nope.csv")
    odd = tmp_path / "data.xlsx"
    odd.write_text("x")
    with pytest.raises(DataSourceError, match="cannot tell the format"):
        read_file(odd)


def test_gzip_roundtrip_of_a_broken_file_keeps_line_numbers(tmp_path: Path) -> None:
    plain = _broken(tmp_path, 6, "Low", "-1")
    packed = tmp_path / "spx.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    problem, text = _first_problem(lambda: _load_and_validate(packed))
    _assert_names(problem, text, packed, 6, "low")


def test_line_numbers_are_left_out_once_rows_move(tmp_path: Path) -> None:
    path = _broken(tmp_path, 6, "Low", "-1")
    frame = read_file(path).iloc[2:]  # row 6 of the file is now row 4 of the frame
    problem, text = _first_problem(lambda: validate_frame(frame, source=str(path)))
    assert (problem.row, problem.field) == (4, "low")
    assert "(line" not in text
