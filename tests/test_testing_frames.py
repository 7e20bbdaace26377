"""tiled_bars: long frames of real bars that validate cleanly and keep the real bar shapes."""

from __future__ import annotations

import numpy as np
import pytest

from alphaforge.data.bundled import load_dataset
from alphaforge.data.validation import validate_frame
from alphaforge.domain.errors import InvalidValueError
from alphaforge.testing import tiled_bars


def test_tiled_bars_are_valid_gap_free_and_real() -> None:
    base = load_dataset("binance_ethbtc_5m")
    frame = tiled_bars(2 * len(base) + 7)
    report = validate_frame(frame, source="tiled", calendar="24/7", frequency="1m")
    assert report.rows == 2 * len(base) + 7
    assert report.gaps == ()
    # The first copy is the real data; later copies are scaled, so bar shapes (ratios) repeat.
    np.testing.assert_array_equal(frame["close"].to_numpy()[: len(base)], base["close"])
    second = frame.iloc[len(base) : 2 * len(base)]
    np.testing.assert_allclose(
        second["high"] / second["low"], (base["high"] / base["low"]).to_numpy()
    )
    assert second["open"].iloc[0] == pytest.approx(frame["close"].iloc[len(base) - 1])


def test_tiled_bars_refuses_what_it_cannot_make() -> None:
    with pytest.raises(InvalidValueError, match="rows"):
        tiled_bars(0)
    with pytest.raises(InvalidValueError, match="OHLCV"):
        tiled_bars(10, dataset="vix_daily")
