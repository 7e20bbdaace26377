"""read_file: common real-world layouts load without options, and every guess can be overridden."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alphaforge.data.bundled import dataset_info, dataset_path, load_dataset
from alphaforge.data.errors import DataValidationError
from alphaforge.data.sources import DROPPED_ATTR, read_file, sniff_kind
from alphaforge.data.validation import LINE_OFFSET_ATTR, validate_frame
from alphaforge.domain.errors import InvalidValueError

FILES = Path(__file__).parent / "files"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_yahoo_layout_reads_as_canonical_ohlcv() -> None:
    frame = read_file(FILES / "spx_tail.csv")
    assert list(frame.columns) == ["open", "high", "low", "close", "volume", "adj_close"]
    assert all(frame[c].dtype == np.float64 for c in frame.columns)
    assert frame.index.name == "timestamp"
    assert str(frame.index.tz) == "UTC"
    spx = load_dataset("spx_daily").tail(8)
    assert frame.index.equals(spx.index)  # date-only stamps: midnight UTC session labels
    np.testing.assert_allclose(frame[list(spx.columns)].to_numpy(), spx.to_numpy())
    assert frame.attrs[LINE_OFFSET_ATTR] == 1


def test_dates_alone_stay_session_labels_whatever_the_zone() -> None:
    frame = read_file(FILES / "spx_tail.csv", tz="America/New_York")
    assert frame.index[0] == pd.Timestamp("2018-12-19", tz="UTC")


def test_dukascopy_gmt_time_is_utc_without_a_zone() -> None:
    frame = read_file(FILES / "eurusd_dukascopy.csv")
    eurusd = load_dataset("eurusd_1h").loc["2017-04-23 21:00":"2017-04-24 00:00"]
    assert frame.index.equals(eurusd.index)
    np.testing.assert_allclose(frame.to_numpy(), eurusd.to_numpy())
    report = validate_frame(frame, source="duka", calendar="24/5", frequency="1h")
    assert report.ok


def test_binance_trades_with_epoch_ms_and_maker_flag() -> None:
    frame = read_file(FILES / "xrpeth_trades_binance.csv", kind="trades")
    real = load_dataset("binance_xrpeth_trades").head(5)
    assert list(frame.columns) == ["id", "side", "price", "amount"]
    assert frame.index.equals(real.index)
    assert frame["id"].tolist() == real["id"].tolist()
    assert frame["side"].tolist() == real["side"].tolist()  # buyer maker -> taker sold
    assert frame["price"].tolist() == real["price"].tolist()
    validate_frame(frame, source="trades", kind="trades")


def test_semicolons_and_decimal_commas(tmp_path: Path) -> None:
    text = "Date;Open;High;Low;Close;Vol\n2019-03-04T10:00:00Z;1,5;2,25;1,25;2;300\n"
    frame = read_file(_write(tmp_path, "eu.csv", text))
    assert frame.iloc[0].tolist() == [1.5, 2.25, 1.25, 2.0, 300.0]


def test_tab_separated(tmp_path: Path) -> None:
    text = "time\topen\thigh\tlow\tclose\tvolume\n2019-03-04 10:00:00+00:00\t1\t2\t0.5\t1.5\t7\n"
    frame = read_file(_write(tmp_path, "t.tsv", text))
    assert frame["volume"].iloc[0] == 7.0


@pytest.mark.parametrize(
    "value", ["1551693600", "1551693600000", "1551693600000000", "1551693600000000000"]
)
def test_epoch_units_are_told_apart_by_magnitude(tmp_path: Path, value: str) -> None:
    text = f"open_time,close\n{value},1.5\n"
    frame = read_file(_write(tmp_path, "epoch.csv", text), kind="close")
    assert frame.index[0] == pd.Timestamp("2019-03-04 10:00", tz="UTC")


def test_offsets_are_converted_to_utc(tmp_path: Path) -> None:
    text = (
        "Datetime,Close\n2019-03-04T09:30:00-05:00,1\n2019-03-04T15:00:00Z,2\n"
        "2019-03-04 16:00:00 UTC,3\n2019-03-04T17:00:00+0100,4\n"
    )
    frame = read_file(_write(tmp_path, "tz.csv", text), kind="close")
    assert [str(t) for t in frame.index] == [
        "2019-03-04 14:30:00+00:00",
        "2019-03-04 15:00:00+00:00",
        "2019-03-04 16:00:00+00:00",
        "2019-03-04 16:00:00+00:00",
    ]


def test_stamps_with_and_without_offset_are_refused(tmp_path: Path) -> None:
    text = "timestamp,close\n2019-03-04T09:30:00-05:00,1\n2019-03-04T10:30:00,2\n"
    with pytest.raises(DataValidationError, match=r"row 2 field 'timestamp'.*no UTC offset"):
        read_file(_write(tmp_path, "mixed.csv", text), kind="close")


def test_local_times_are_converted_with_the_zone(tmp_path: Path) -> None:
    # 2019-03-10 02:30 does not exist in New York (clocks jump from 02:00 to 03:00).
    text = "time,close\n2019-03-09 09:30,1\n2019-03-10 02:30,2\n2019-03-11 09:30,3\n"
    path = _write(tmp_path, "ny.csv", text)
    with pytest.raises(DataValidationError) as info:
        read_file(path, kind="close", tz="America/New_York")
    assert (info.value.first.row, info.value.first.field) == (2, "time")
    assert "does not exist in America/New_York" in str(info.value)
    fine = _write(tmp_path, "ny2.csv", text.replace("2019-03-10 02:30", "2019-03-10 12:00"))
    frame = read_file(fine, kind="close", tz="America/New_York")
    assert str(frame.index[0]) == "2019-03-09 14:30:00+00:00"  # EST, UTC-5
    assert str(frame.index[2]) == "2019-03-11 13:30:00+00:00"  # EDT, UTC-4


def test_unknown_zone_is_an_argument_error() -> None:
    with pytest.raises(InvalidValueError, match="unknown time zone 'Mars/Olympus'"):
        read_file(FILES / "spx_tail.csv", tz="Mars/Olympus")


def test_vendor_date_layouts(tmp_path: Path) -> None:
    compact = read_file(
        _write(tmp_path, "c.csv", "date,close\n20190304,1\n20190305,2\n"), kind="close"
    )
    assert compact.index[1] == pd.Timestamp("2019-03-05", tz="UTC")
    us = read_file(
        _write(tmp_path, "us.csv", "date,close\n03/04/2019,1\n03/25/2019,2\n"), kind="close"
    )
    assert us.index[1] == pd.Timestamp("2019-03-25", tz="UTC")
    with pytest.raises(DataValidationError, match="ambiguous dates such as '03/04/2019'"):
        read_file(
            _write(tmp_path, "amb.csv", "date,close\n03/04/2019,1\n04/05/2019,2\n"), kind="close"
        )


def test_separate_date_and_time_columns(tmp_path: Path) -> None:
    text = "Date,Time,Open,High,Low,Close,Volume\n2019.03.04,10:00,1,2,0.5,1.5,3\n"
    frame = read_file(_write(tmp_path, "mt4.csv", text), tz="UTC")
    assert frame.index[0] == pd.Timestamp("2019-03-04 10:00", tz="UTC")


def test_explicit_mapping_overrides_sniffing(tmp_path: Path) -> None:
    text = "Stamp,Px,Close\n2019-03-04T00:00:00Z,10,99\n2019-03-05T00:00:00Z,11,98\n"
    path = _write(tmp_path, "m.csv", text)
    frame = read_file(path, kind="close", columns={"Stamp": "timestamp", "Px": "close"})
    assert frame["close"].tolist() == [10.0, 11.0]
    with pytest.raises(DataValidationError, match="column 'Price' named in columns= is not in"):
        read_file(path, kind="close", columns={"Price": "close"})
    named = read_file(path, kind="close", timestamp="stamp")  # case-insensitive
    assert named["close"].tolist() == [99.0, 98.0]


def test_headerless_klines_read_by_position(tmp_path: Path) -> None:
    text = "1551693600000,1,2,0.5,1.5,100,1551693659999,150.5\n"
    frame = read_file(_write(tmp_path, "k.csv", text))
    assert frame.index[0] == pd.Timestamp("2019-03-04 10:00", tz="UTC")
    assert frame[["open", "high", "low", "close", "volume"]].iloc[0].tolist() == [
        1,
        2,
        0.5,
        1.5,
        100,
    ]
    assert frame.attrs[LINE_OFFSET_ATTR] == 0


def test_extra_columns_kept_when_numeric(tmp_path: Path) -> None:
    text = (
        "timestamp,open,high,low,close,volume,trades,symbol\n"
        "2019-03-04T00:00:00Z,1,2,0.5,1.5,10,4,XRP\n"
    )
    frame = read_file(_write(tmp_path, "x.csv", text))
    assert list(frame.columns) == ["open", "high", "low", "close", "volume", "trades"]
    assert frame.attrs[DROPPED_ATTR] == ("symbol",)


def test_series_keep_their_gaps_as_nan(tmp_path: Path) -> None:
    text = "date,y1month,y10year\n1990-01-02,,0.0794\n1990-01-03,.,0.0799\n"
    frame = read_file(_write(tmp_path, "curves.csv", text), kind="series")
    assert frame["y1month"].isna().all()
    report = validate_frame(frame, source="curves", kind="series")
    assert report.nan_counts == {"y1month": 2}


def test_bundled_parquet_reads_back_identical() -> None:
    for name in ("spx_daily", "binance_xrpeth_trades", "treasury_curves_daily"):
        info = dataset_info(name)
        frame = read_file(dataset_path(name), kind=info.kind)
        real = load_dataset(name)
        assert frame.index.equals(real.index)
        pd.testing.assert_frame_equal(frame, real, check_dtype=False, check_index_type=False)


def test_naive_parquet_stamps_need_a_zone(tmp_path: Path) -> None:
    path = tmp_path / "naive.parquet"
    load_dataset("spx_daily").head(5).tz_localize(None).to_parquet(path)
    with pytest.raises(DataValidationError, match="no UTC offset and no time zone was given"):
        read_file(path)
    assert read_file(path, tz="UTC").index.equals(load_dataset("spx_daily").head(5).index)


def test_unknown_kind_and_format() -> None:
    with pytest.raises(InvalidValueError, match="unknown data kind"):
        read_file(FILES / "spx_tail.csv", kind="candles")
    with pytest.raises(InvalidValueError, match="unknown format 'xlsx'"):
        read_file(FILES / "spx_tail.csv", format="xlsx")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("spx_daily", "ohlcv"),
        ("binance_xrpeth_trades", "trades"),
        ("vix_daily", "close"),
        ("stocks20_close", "close"),
        ("fama_french_monthly", "series"),
        ("treasury_curves_daily", "series"),
        ("binance_xrpusdt_funding_8h", "series"),
        ("spy_daily_returns", "series"),
    ],
)
def test_sniff_kind_on_real_data(name: str, kind: str) -> None:
    assert sniff_kind(load_dataset(name)) == kind
    assert dataset_info(name).kind == kind


def test_a_bad_stamp_among_vendor_layouts_is_named(tmp_path: Path) -> None:
    lines = (FILES / "eurusd_dukascopy.csv").read_text().splitlines()
    lines[3] = lines[3].replace("23.04.2017 23:00:00.000", "23.04.2017 25:00:00.000")
    path = _write(tmp_path, "duka.csv", "\n".join(lines) + "\n")
    with pytest.raises(DataValidationError) as info:
        read_file(path)
    (problem,) = info.value.problems
    assert (problem.row, problem.field) == (3, "Gmt time")
    assert "unparseable timestamp '23.04.2017 25:00:00.000'" in problem.message
    assert "(line 4)" in problem.message
