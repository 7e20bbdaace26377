"""EquityRecorder: rows survive chunking, the frame is indexed by UTC time, time never goes back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphaforge.domain.enums import OrderSide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.fills import Fill
from alphaforge.domain.instruments import Instrument
from alphaforge.domain.time import NS_PER_DAY
from alphaforge.portfolio import EquityRecorder, Ledger
from alphaforge.portfolio.recorder import CHUNK_ROWS

START = 1_704_067_200 * 1_000_000_000  # 2024-01-01T00:00:00Z


def test_rows_round_trip_across_chunks() -> None:
    recorder = EquityRecorder()
    rows = 2 * CHUNK_ROWS + 5
    for i in range(rows):
        recorder.append(START + i * NS_PER_DAY, 100.0 + i, 50.0, 60.0 - i, 50.0 + i)
    assert len(recorder) == rows
    columns = recorder.arrays()
    assert columns["ts"].dtype == np.int64
    np.testing.assert_array_equal(columns["ts"], START + np.arange(rows) * NS_PER_DAY)
    np.testing.assert_array_equal(columns["equity"], 100.0 + np.arange(rows))
    np.testing.assert_array_equal(columns["gross"], 60.0 - np.arange(rows))
    frame = recorder.to_frame()
    assert list(frame.columns) == ["equity", "cash", "gross", "net"]
    assert frame.index.name == "ts"
    assert str(frame.index.dtype) == "datetime64[ns, UTC]"
    assert frame.index[0] == pd.Timestamp("2024-01-01", tz="UTC")
    assert frame.index[-1] == pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(days=rows - 1)
    assert (frame.dtypes == np.float64).all()
    curve = recorder.equity_curve()
    assert curve.name == "equity"
    assert curve.iloc[-1] == 100.0 + rows - 1
    recorder.append(START + rows * NS_PER_DAY, 1.0, 1.0, 1.0, 1.0)  # still appendable
    assert len(recorder.to_frame()) == rows + 1


def test_empty_recorder_gives_an_empty_frame() -> None:
    frame = EquityRecorder().to_frame()
    assert frame.empty
    assert list(frame.columns) == ["equity", "cash", "gross", "net"]
    assert str(frame.index.dtype) == "datetime64[ns, UTC]"


def test_time_never_goes_back() -> None:
    recorder = EquityRecorder()
    recorder.append(START, 1.0, 1.0, 0.0, 0.0)
    recorder.append(START, 1.0, 1.0, 0.0, 0.0)  # equal stamps are kept
    with pytest.raises(InvalidValueError, match="before the previous row"):
        recorder.append(START - 1, 1.0, 1.0, 0.0, 0.0)
    assert len(recorder) == 2


def test_record_reads_the_ledger() -> None:
    spy = Instrument.equity("SPY")
    ledger = Ledger("USD", 10_000, [spy])
    recorder = EquityRecorder()
    recorder.record(ledger, START)
    ledger.apply(
        Fill.create(
            client_order_id="O-1",
            trade_id="T-1",
            symbol="SPY",
            side=OrderSide.SELL,
            quantity=10,
            price="400.00",
            ts_event=START + 1,
        )
    )
    ledger.mark("SPY", 390.0, START + NS_PER_DAY)
    recorder.record(ledger, START + NS_PER_DAY)
    frame = recorder.to_frame()
    # short 10 @ 400: cash 14000, market value -3900, equity 10100
    assert frame.to_numpy().tolist() == [
        [10_000.0, 10_000.0, 0.0, 0.0],
        [10_100.0, 14_000.0, 3_900.0, -3_900.0],
    ]
