"""Donchian and Williams %R take their rolling extremes from van Herk / Gil-Werman blocks
(``_nb.blocked_extremes``), and TA-Lib's rescan where a NaN sits inside the data: the two agree
bit for bit on real data, and a NaN sends the work to the rescan."""

from __future__ import annotations

import numpy as np
import pytest

from alphaforge.indicators import donchian, willr
from alphaforge.indicators._nb import blocked_extremes, fill_nan
from alphaforge.indicators.channels import _donchian_rescan
from alphaforge.indicators.oscillators import _willr_rescan

PERIODS = (1, 2, 3, 14, 20, 55, 250)


def _rescan_bands(high: np.ndarray, low: np.ndarray, period: int) -> tuple[np.ndarray, ...]:
    upper, lower = np.empty_like(high), np.empty_like(high)
    first = period - 1
    fill_nan(upper, first)
    fill_nan(lower, first)
    _donchian_rescan(high, low, first, period, upper, lower)
    return upper, lower


@pytest.mark.parametrize("period", PERIODS)
def test_blocks_equal_the_rescan_on_real_bars(market: dict[str, np.ndarray], period: int) -> None:
    high, low, close = market["high"], market["low"], market["close"]
    upper, lower = np.full_like(high, np.nan), np.full_like(high, np.nan)
    assert blocked_extremes(high, low, 0, period, upper, lower)
    expected_upper, expected_lower = _rescan_bands(high, low, period)
    np.testing.assert_array_equal(upper, expected_upper)
    np.testing.assert_array_equal(lower, expected_lower)
    bands = donchian(high, low, period)
    np.testing.assert_array_equal(bands.upper, expected_upper)
    np.testing.assert_array_equal(bands.middle, (expected_upper + expected_lower) / 2.0)
    rescanned = np.full_like(close, np.nan)
    _willr_rescan(high, low, close, period - 1, period, rescanned)
    np.testing.assert_array_equal(willr(high, low, close, period), rescanned)


@pytest.mark.parametrize("length", [1, 13, 14, 15, 27, 28, 29])
def test_every_tail_length_after_the_last_whole_block(
    spx: dict[str, np.ndarray], length: int
) -> None:
    high, low = spx["high"][:length], spx["low"][:length]
    expected_upper, expected_lower = _rescan_bands(high, low, 14)
    bands = donchian(high, low, 14)
    np.testing.assert_array_equal(bands.upper, expected_upper)
    np.testing.assert_array_equal(bands.lower, expected_lower)


@pytest.mark.parametrize("at", [0, 5, 13, 14, 500, -1])
def test_a_nan_inside_the_data_falls_back_to_the_rescan(
    spx: dict[str, np.ndarray], at: int
) -> None:
    high, low, close = spx["high"][:600].copy(), spx["low"][:600].copy(), spx["close"][:600]
    high[at] = np.nan  # after the first valid bar when at > 0: the rescan's semantics apply
    upper, lower = np.empty_like(high), np.empty_like(high)
    start = 1 if at == 0 else 0
    assert not blocked_extremes(high, low, start, 14, upper, lower) or at == 0
    bands = donchian(high, low, 14)
    s = start
    expected_upper, expected_lower = np.empty_like(high), np.empty_like(high)
    fill_nan(expected_upper, s + 13)
    fill_nan(expected_lower, s + 13)
    _donchian_rescan(high, low, s + 13, 14, expected_upper, expected_lower)
    np.testing.assert_array_equal(bands.upper, expected_upper)
    np.testing.assert_array_equal(bands.lower, expected_lower)
    rescanned = np.empty_like(close)
    fill_nan(rescanned, s + 13)
    _willr_rescan(high, low, close, s + 13, 14, rescanned)
    np.testing.assert_array_equal(willr(high, low, close, 14), rescanned)
