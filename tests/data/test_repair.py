"""repair: named policies on damaged real data, each reporting exactly the rows it touched."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alphaforge.data.bundled import load_dataset
from alphaforge.data.errors import DataValidationError
from alphaforge.data.repair import REPAIR_POLICIES, RepairAction, repair
from alphaforge.data.validation import FILLED_COLUMN, validate_frame
from alphaforge.domain.errors import InvalidValueError

SPX = load_dataset("spx_daily")
CLEANUP = [
    "drop-nan",
    "drop-inf",
    "drop-nonpositive",
    "sort",
    "drop-duplicates-keep-first",
    "clip-ohlc",
]


def _set(frame: pd.DataFrame, row: int, column: str, value: float) -> None:
    frame.iloc[row, frame.columns.get_loc(column)] = value


def test_policies_are_documented() -> None:
    assert list(REPAIR_POLICIES)[:2] == ["drop-nan", "drop-inf"]
    assert all(len(text) > 20 for text in REPAIR_POLICIES.values())


def test_drops_name_the_input_rows_and_leave_the_input_alone() -> None:
    frame = SPX.iloc[:50].copy()
    _set(frame, 4, "close", np.nan)
    _set(frame, 9, "high", np.inf)
    _set(frame, 19, "low", -1.0)
    before = frame.copy()
    fixed, actions = repair(frame, ["drop-nonpositive", "drop-inf", "drop-nan"], source="spx")
    pd.testing.assert_frame_equal(frame, before)
    ohlcv = "open, high, low, close, volume"
    assert actions == (
        RepairAction("drop-nan", (5,), 1, f"dropped 1 row(s) with NaN in {ohlcv}"),
        RepairAction("drop-inf", (10,), 1, "dropped 1 row(s) with +inf or -inf"),
        RepairAction(
            "drop-nonpositive", (20,), 1, "dropped 1 row(s) with open or high or low or close <= 0"
        ),
    )
    assert len(fixed) == 47
    validate_frame(fixed, source="spx")


def test_sort_restores_time_order() -> None:
    frame = SPX.iloc[:10].iloc[[0, 1, 5, 2, 3, 4, 6, 7, 8, 9]]
    fixed, (action,) = repair(frame, ["sort"], source="spx")
    pd.testing.assert_frame_equal(fixed, SPX.iloc[:10])
    assert action.rows == (4, 5, 6, 3)  # input rows in the order they now stand
    assert action.count == 4


def test_duplicates_keep_first_or_last() -> None:
    dup = SPX.iloc[[3]].copy()
    dup["close"] = dup["close"] * 1.01
    frame = pd.concat([SPX.iloc[:5], dup, SPX.iloc[5:8]])  # row 6 repeats row 4's stamp
    first, (sort, keep_first) = repair(frame, ["drop-duplicates-keep-first", "sort"], source="s")
    assert sort.rows == (6, 5)
    assert keep_first.rows == (6,)
    pd.testing.assert_frame_equal(first, SPX.iloc[:8])
    last, (_, keep_last) = repair(frame, ["sort", "drop-duplicates-keep-last"], source="s")
    assert keep_last.rows == (4,)
    assert last["close"].iloc[3] == dup["close"].iloc[0]


def test_trades_are_deduplicated_by_id_not_by_stamp() -> None:
    trades = load_dataset("binance_xrpeth_trades").iloc[:20]
    frame = pd.concat([trades, trades.iloc[[7]]]).sort_index(kind="stable")
    fixed, (action,) = repair(frame, ["drop-duplicates-keep-first"], source="t", kind="trades")
    assert action.count == 1
    pd.testing.assert_frame_equal(fixed, trades)
    validate_frame(fixed, source="t", kind="trades")


def test_clip_ohlc_widens_high_and_low() -> None:
    frame = SPX.iloc[:30].copy()
    _set(frame, 2, "high", frame["close"].iloc[2] - 1)
    _set(frame, 7, "low", frame["open"].iloc[7] + 1)
    with pytest.raises(DataValidationError):
        validate_frame(frame, source="spx")
    fixed, (action,) = repair(frame, ["clip-ohlc"], source="spx")
    assert action.rows == (3, 8)
    assert fixed["high"].iloc[2] == max(frame[["open", "close", "low"]].iloc[2])
    assert fixed["low"].iloc[7] == min(frame[["open", "close", "high"]].iloc[7])
    validate_frame(fixed, source="spx")


def test_fill_gaps_on_adabtc() -> None:
    ada = load_dataset("binance_adabtc_5m")
    fixed, (action,) = repair(
        ada, ["fill-gaps-ffill"], source="ada", calendar="24/7", frequency="5m"
    )
    assert action.count == 40
    assert len(fixed) == 5760
    report = validate_frame(fixed, source="ada", calendar="24/7", frequency="5m")
    assert report.gaps == ()
    assert report.zero_volume == 40
    inserted = fixed.iloc[[r - 1 for r in action.rows]]
    assert (inserted[FILLED_COLUMN] == 1.0).all()
    assert fixed[FILLED_COLUMN].sum() == 40
    first = fixed.loc[pd.Timestamp("2018-01-15 12:00", tz="UTC")]
    close_before = ada.loc[pd.Timestamp("2018-01-15 11:55", tz="UTC"), "close"]
    assert first[["open", "high", "low", "close"]].tolist() == [close_before] * 4
    assert first["volume"] == 0.0
    pd.testing.assert_frame_equal(
        fixed[fixed[FILLED_COLUMN] == 0.0].drop(columns=FILLED_COLUMN), ada
    )


def test_fill_gaps_on_exchange_sessions() -> None:
    msft = load_dataset("msft_daily")
    fixed, (action,) = repair(msft, ["fill-gaps-ffill"], source="msft", calendar="XNYS")
    assert action.count == 2
    assert "2 gap(s) on XNYS at 1d" in action.description
    assert pd.Timestamp("1998-10-29", tz="UTC") in fixed.index
    assert validate_frame(fixed, source="msft", calendar="XNYS").gaps == ()


def test_fill_gaps_on_close_only_data_keeps_it_valid() -> None:
    closes = load_dataset("sp500_index_close").iloc[:40]
    holed = closes.drop(closes.index[[10, 11, 25]])
    fixed, (action,) = repair(
        holed, ["fill-gaps-ffill"], source="spx", kind="close", calendar="XNYS"
    )
    assert action.count == 3
    report = validate_frame(fixed, source="spx", kind="close", calendar="XNYS")
    assert report.gaps == ()
    assert report.suspects == ()  # the 0/1 flag column is not read as a price


def test_policy_order_does_not_matter() -> None:
    frame = SPX.iloc[:40].iloc[::-1].copy()
    _set(frame, 3, "open", np.nan)
    a, _ = repair(frame, ["sort", "drop-nan"], source="s")
    b, _ = repair(frame, ["drop-nan", "sort"], source="s")
    pd.testing.assert_frame_equal(a, b)


def test_nothing_to_do_is_reported_too() -> None:
    _, actions = repair(SPX.iloc[:20], CLEANUP, source="spx")
    assert [a.count for a in actions] == [0] * len(CLEANUP)
    assert (
        str(actions[0]) == "drop-nan: nothing to drop (with NaN in open, high, low, close, volume)"
    )


def test_bad_arguments() -> None:
    frame = SPX.iloc[:10]
    with pytest.raises(
        InvalidValueError, match="unknown repair policy 'drop-nans'; did you mean 'drop-nan'"
    ):
        repair(frame, ["drop-nans"], source="s")
    with pytest.raises(InvalidValueError, match="contradict"):
        repair(frame, ["drop-duplicates-keep-first", "drop-duplicates-keep-last"], source="s")
    with pytest.raises(InvalidValueError, match="fill-gaps-ffill needs bars on a calendar"):
        repair(frame, ["fill-gaps-ffill"], source="s")
    with pytest.raises(InvalidValueError, match="list of names"):
        repair(frame, "sort", source="s")
    with pytest.raises(InvalidValueError, match="needs sorted, unique timestamps"):
        repair(frame.iloc[::-1], ["fill-gaps-ffill"], source="s", calendar="XNYS")


_DAMAGE = st.sampled_from(["nan", "inf", "negative", "swap", "duplicate", "high_low"])


@given(st.lists(st.tuples(st.integers(0, 199), _DAMAGE), min_size=1, max_size=25))
def test_cleanup_policies_make_any_damaged_real_data_valid(damage: list[tuple[int, str]]) -> None:
    frame = SPX.iloc[1000:1200].copy()
    extra = []
    for row, kind in damage:
        if kind == "nan":
            _set(frame, row, "close", np.nan)
        elif kind == "inf":
            _set(frame, row, "volume", np.inf)
        elif kind == "negative":
            _set(frame, row, "low", -frame["low"].iloc[row])
        elif kind == "high_low":
            _set(frame, row, "high", frame["low"].iloc[row] * 0.98)
        elif kind == "duplicate":
            extra.append(frame.iloc[[row]])
        else:
            other = (row + 7) % len(frame)
            frame = frame.iloc[
                [other if i == row else row if i == other else i for i in range(len(frame))]
            ]
    damaged = pd.concat([frame, *extra])
    fixed, actions = repair(damaged, CLEANUP, source="spx")
    report = validate_frame(fixed, source="spx")
    dropped = sum(a.count for a in actions if a.policy.startswith("drop"))
    assert report.rows == len(damaged) - dropped
