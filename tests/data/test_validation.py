"""validate_frame on the real bundled data: its real quirks are found, its real history is kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphaforge.data.bundled import dataset_info, list_datasets, load_dataset
from alphaforge.data.calendars import Gap
from alphaforge.data.errors import DataValidationError
from alphaforge.data.repair import repair
from alphaforge.data.validation import ValidationReport, validate_frame
from alphaforge.domain.errors import InvalidValueError


def _validate(name: str, **overrides: object) -> ValidationReport:
    info = dataset_info(name)
    options: dict[str, object] = {
        "kind": info.kind,
        "calendar": info.calendar,
        "frequency": info.frequency,
    }
    options.update(overrides)
    return validate_frame(load_dataset(name), source=name, **options)  # type: ignore[arg-type]


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.mark.parametrize("name", [i.name for i in list_datasets() if i.name != "vix_daily"])
def test_every_bundled_dataset_passes_the_hard_rules(name: str) -> None:
    report = _validate(name)
    assert report.rows == dataset_info(name).rows
    assert report.first == load_dataset(name).index[0]


# ---------------------------------------------------------------- gaps


def test_adabtc_has_its_three_hour_gap() -> None:
    report = _validate("binance_adabtc_5m")
    # The bar before the gap is 11:55 and the next one 14:45: 33 five-minute bars are absent.
    assert Gap(_utc("2018-01-15 12:00"), _utc("2018-01-15 14:40"), 33) in report.gaps
    assert report.gaps == (
        Gap(_utc("2018-01-15 10:10"), _utc("2018-01-15 10:10"), 1),
        Gap(_utc("2018-01-15 10:30"), _utc("2018-01-15 10:30"), 1),
        Gap(_utc("2018-01-15 11:10"), _utc("2018-01-15 11:25"), 4),
        Gap(_utc("2018-01-15 11:45"), _utc("2018-01-15 11:45"), 1),
        Gap(_utc("2018-01-15 12:00"), _utc("2018-01-15 14:40"), 33),
    )
    # 20 days of 5-minute bars hold 5,760; the file has 5,720.
    assert report.missing_bars == 5760 - 5720
    assert not report.ok
    assert "largest 2018-01-15T12:00:00+00:00 .. 2018-01-15T14:40:00+00:00 (33 bars" in (
        report.summary()
    )


def test_spx_matches_the_nyse_calendar_exactly() -> None:
    report = _validate("spx_daily")
    assert report.gaps == ()
    assert report.calendar == "XNYS"
    assert report.ok


def test_msft_lacks_two_real_sessions() -> None:
    # The source simply has no row for these two NYSE sessions.
    report = _validate("msft_daily")
    assert report.gaps == (
        Gap(_utc("1998-10-29"), _utc("1998-10-29"), 1),
        Gap(_utc("1999-11-16"), _utc("1999-11-16"), 1),
    )


def test_eurusd_gaps_are_the_christmas_and_new_year_closures() -> None:
    report = _validate("eurusd_1h")
    # Every weekend (DST shifts included) is expected closed; only the two holidays show.
    assert report.gaps == (
        Gap(_utc("2017-12-24 22:00"), _utc("2017-12-25 21:00"), 24),
        Gap(_utc("2017-12-31 22:00"), _utc("2018-01-01 21:00"), 24),
    )


def test_frequency_is_inferred_when_only_the_calendar_is_given() -> None:
    report = _validate("binance_adabtc_5m", frequency=None)
    assert report.frequency == "5m"
    assert report.missing_bars == 40


def test_no_calendar_means_no_gap_analysis() -> None:
    report = _validate("binance_adabtc_5m", calendar=None)
    assert report.gaps == ()
    assert report.calendar is None


# ---------------------------------------------------------------- trades


def test_trades_sharing_a_timestamp_are_valid() -> None:
    trades = load_dataset("binance_xrpeth_trades")
    assert trades.index.duplicated().sum() == 2490  # real: many fills per matching event
    report = _validate("binance_xrpeth_trades")
    assert report.frequency == "tick"
    assert report.ok


def test_a_repeated_trade_id_is_an_error() -> None:
    trades = load_dataset("binance_xrpeth_trades")
    trades.iloc[9, trades.columns.get_loc("id")] = trades["id"].iloc[2]
    with pytest.raises(DataValidationError) as info:
        validate_frame(trades, source="xrpeth", kind="trades")
    (problem,) = info.value.problems
    assert (problem.row, problem.field) == (10, "id")
    assert f"duplicate trade id {trades['id'].iloc[2]}: same as row 3" in problem.message


def test_trades_with_a_bad_side_or_amount() -> None:
    trades = load_dataset("binance_xrpeth_trades")
    trades.iloc[4, trades.columns.get_loc("side")] = "short"
    trades.iloc[7, trades.columns.get_loc("amount")] = 0.0
    with pytest.raises(DataValidationError) as info:
        validate_frame(trades, source="xrpeth", kind="trades")
    assert [(p.row, p.field) for p in info.value.problems] == [(5, "side"), (8, "amount")]
    assert "side 'short'; expected 'buy' or 'sell'" in str(info.value)


def test_trades_out_of_time_order() -> None:
    trades = load_dataset("binance_xrpeth_trades").iloc[[0, 1, 3, 2, 4]]
    with pytest.raises(DataValidationError) as info:
        validate_frame(trades, source="xrpeth", kind="trades")
    assert [(p.row, p.field) for p in info.value.problems] == [(4, "timestamp")]


# ---------------------------------------------------------------- splits and crashes


def _unadjust(frame: pd.DataFrame, date: str, factor: float, volume: bool = True) -> pd.DataFrame:
    """Undo a split adjustment: prices before ``date`` times ``factor``, volume divided by it."""
    out = frame.copy()
    before = out.index < _utc(date)
    out.loc[before, ["open", "high", "low", "close"]] *= factor
    if volume:
        out.loc[before, "volume"] /= factor
    return out


def test_black_monday_is_a_crash_not_a_split() -> None:
    report = _validate("msft_daily")
    assert report.suspects_of("split") == ()
    (crash,) = (s for s in report.suspects_of("jump") if s.timestamp == _utc("1987-10-19"))
    assert crash.row == 406
    assert crash.value == pytest.approx(0.23483 / 0.33551 - 1)  # -30 %
    assert "open/previous close = 0.9497, not a split ratio" in crash.message


def test_an_unadjusted_two_for_one_split_is_found() -> None:
    # MSFT really split 2:1 on 2003-02-18; the bundled data is adjusted. Undo the adjustment.
    msft = load_dataset("msft_daily")
    frame = _unadjust(msft, "2003-02-18", 2.0)
    report = validate_frame(frame, source="msft", calendar="XNYS", frequency="1d")
    (split,) = report.suspects_of("split")
    assert split.timestamp == _utc("2003-02-18")
    assert split.row == int(np.flatnonzero(msft.index == _utc("2003-02-18"))[0]) + 1
    assert split.field == "open"
    # The ratio is 1/2 times that morning's real overnight move.
    real_gap = msft.loc[_utc("2003-02-18"), "open"] / msft.loc[_utc("2003-02-14"), "close"]
    assert split.value == pytest.approx(0.5 * real_gap)
    assert "2:1 split" in split.message
    assert "volume x" in split.message


def test_an_unadjusted_reverse_split_is_found() -> None:
    frame = _unadjust(load_dataset("msft_daily"), "2010-06-01", 0.1)
    (split,) = validate_frame(frame, source="msft").suspects_of("split")
    assert split.timestamp == _utc("2010-06-01")
    assert "1:10 reverse split" in split.message


def test_a_halving_without_more_volume_is_a_jump_not_a_split() -> None:
    frame = _unadjust(load_dataset("msft_daily"), "2003-02-18", 2.0, volume=False)
    report = validate_frame(frame, source="msft")
    assert report.suspects_of("split") == ()
    assert _utc("2003-02-18") in [s.timestamp for s in report.suspects_of("jump")]


def test_close_only_data_names_the_ratio_but_never_claims_a_split() -> None:
    # WTI fell 33 % on 1991-01-17 (Desert Storm): within 0.1 % of a 3:2 ratio, yet real.
    report = _validate("wti_daily")
    assert report.suspects_of("split") == ()
    (jump,) = (s for s in report.suspects_of("jump") if s.timestamp == _utc("1991-01-17"))
    assert "matches a 3:2 split" in jump.message
    assert "cannot tell an unadjusted split from a crash" in jump.message


def test_zero_volume_bars_are_counted() -> None:
    report = _validate("nasdaq_daily")
    assert report.zero_volume == 2
    assert [s.timestamp for s in report.suspects_of("zero_volume")] == [
        _utc("2015-05-12"),
        _utc("2018-01-09"),
    ]


# ---------------------------------------------------------------- NaN


def test_vix_holidays_are_nan_and_refused_until_dropped() -> None:
    vix = load_dataset("vix_daily")
    nan_rows = [int(i) + 1 for i in np.flatnonzero(vix["close"].isna())]
    assert len(nan_rows) == 46
    with pytest.raises(DataValidationError) as info:
        validate_frame(vix, source="vix_daily", kind="close", calendar="XNYS", frequency="1d")
    problems = info.value.problems
    assert [p.row for p in problems] == nan_rows
    assert problems[0].row == 12
    assert problems[0].timestamp == "2014-01-20T00:00:00+00:00"  # Martin Luther King Day
    assert str(info.value).startswith(
        "vix_daily row 12 (2014-01-20T00:00:00+00:00) field 'close': NaN"
    )
    fixed, actions = repair(vix, ["drop-nan"], source="vix_daily", kind="close")
    assert actions[0].rows == tuple(nan_rows)
    report = validate_frame(fixed, source="vix_daily", kind="close", calendar="XNYS")
    assert report.rows == 1305 - 46
    assert report.gaps == ()  # every NaN row was an NYSE holiday


def test_max_problems_caps_the_list_but_counts_all() -> None:
    with pytest.raises(DataValidationError) as info:
        validate_frame(load_dataset("vix_daily"), source="vix", kind="close", max_problems=10)
    problems = info.value.problems
    assert len(problems) == 11
    assert problems[-1].message.startswith("46 problems in all; the first 10")


def test_series_may_hold_nan_but_not_inf() -> None:
    report = _validate("treasury_curves_daily")
    assert report.nan_counts["y1month"] == 2899
    assert "y10year" not in report.nan_counts
    curves = load_dataset("treasury_curves_daily")
    curves.iloc[5, 0] = np.inf
    with pytest.raises(DataValidationError, match=r"row 6 .* field 'y1month': inf is not"):
        validate_frame(curves, source="curves", kind="series")


# ---------------------------------------------------------------- arguments and report


def test_unknown_kind_and_calendar_are_argument_errors() -> None:
    spx = load_dataset("spx_daily")
    with pytest.raises(InvalidValueError, match="unknown data kind 'bars'"):
        validate_frame(spx, source="spx", kind="bars")
    with pytest.raises(InvalidValueError, match="did you mean 'XNYS'"):
        validate_frame(spx, source="spx", calendar="XNSY")


def test_non_utc_index_is_refused() -> None:
    spx = load_dataset("spx_daily").tz_convert("America/New_York")
    with pytest.raises(DataValidationError, match="timestamps are in America/New_York"):
        validate_frame(spx, source="spx")


def test_report_table_rows_and_summary() -> None:
    report = _validate("msft_daily")
    rows = dict(report.table_rows())
    assert rows["rows"] == "7,983"
    assert rows["gaps"].startswith("2 (2 bars missing)")
    assert rows["suspects"] == "2 jump, 1 zero_volume"
    assert "row 406 (1987-10-19T00:00:00+00:00)" in report.summary()
