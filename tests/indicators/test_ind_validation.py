"""Bad inputs fail fast with InvalidValueError naming the indicator, the argument and the value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphaforge.domain.errors import InvalidValueError
from alphaforge.indicators import (
    ATR,
    EMA,
    MACD,
    SMA,
    BBands,
    ZScore,
    atr,
    bbands,
    close_to_close,
    ema,
    keltner,
    macd,
    rsi,
    session_vwap,
    sma,
    stoch,
    zscore,
)


def test_lengths_must_match() -> None:
    with pytest.raises(InvalidValueError, match=r"atr: .*same length.*high=3, low=3, close=2"):
        atr([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 2.0], 2)


@pytest.mark.parametrize("period", [0, -3])
def test_period_below_one_is_refused(period: int) -> None:
    with pytest.raises(InvalidValueError, match=rf"sma: period must be >= 1, got {period}"):
        sma([1.0, 2.0], period)
    with pytest.raises(InvalidValueError, match="SMA: period must be >= 1"):
        SMA(period)


@pytest.mark.parametrize("period", [2.5, "14", True, None])
def test_period_must_be_an_integer(period: object) -> None:
    with pytest.raises(InvalidValueError, match="rsi: period must be an integer"):
        rsi([1.0, 2.0, 3.0], period)  # type: ignore[arg-type]


def test_numpy_integer_periods_are_accepted() -> None:
    np.testing.assert_array_equal(
        sma([1.0, 2.0, 3.0], np.int64(2)),  # type: ignore[arg-type]
        [np.nan, 1.5, 2.5],
    )


def test_sample_variance_estimators_need_two_values() -> None:
    with pytest.raises(InvalidValueError, match="zscore: period must be >= 2, got 1"):
        zscore([1.0, 2.0], 1)
    with pytest.raises(InvalidValueError, match="close_to_close: period must be >= 2"):
        close_to_close([1.0, 2.0], 1)
    with pytest.raises(InvalidValueError, match="ZScore: period must be >= 2"):
        ZScore(1)


def test_real_parameters_must_be_finite_and_annualization_positive() -> None:
    with pytest.raises(InvalidValueError, match="bbands: nbdev_up must be finite"):
        bbands([1.0, 2.0], 2, float("inf"))
    with pytest.raises(InvalidValueError, match="annualization must be > 0"):
        close_to_close([1.0, 2.0, 3.0], 2, annualization=0.0)
    with pytest.raises(InvalidValueError, match="keltner: multiplier must be a real number"):
        keltner([1.0], [1.0], [1.0], multiplier="2")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="BBands: nbdev_dn must be finite"):
        BBands(20, 2.0, float("nan"))


def test_macd_refuses_a_fast_period_slower_than_the_slow_one() -> None:
    with pytest.raises(InvalidValueError, match="fast_period must be <= slow_period"):
        macd([1.0] * 50, fast_period=26, slow_period=12)
    with pytest.raises(InvalidValueError, match="fast_period must be <= slow_period"):
        MACD(26, 12)


def test_inputs_must_be_one_dimensional_numbers() -> None:
    with pytest.raises(InvalidValueError, match=r"ema: close must be one-dimensional.*\(2, 2\)"):
        ema(np.ones((2, 2)), 2)
    with pytest.raises(InvalidValueError, match="ema: close must be numbers"):
        ema(["a", "b"], 2)


def test_session_ids_must_be_integers_of_the_right_length() -> None:
    ones = np.ones(3)
    with pytest.raises(InvalidValueError, match="session must hold integer ids"):
        session_vwap(ones, ones, ones, ones, np.array([0.5, 1.0, 1.5]))
    with pytest.raises(InvalidValueError, match="same length as the prices, got 2 and 3"):
        session_vwap(ones, ones, ones, ones, np.array([1, 2]))


def test_array_likes_are_converted_once() -> None:
    closes = [1.0, 2.0, 3.0, 4.0]
    expected = sma(np.array(closes), 2)
    np.testing.assert_array_equal(sma(closes, 2), expected)
    np.testing.assert_array_equal(sma(pd.Series(closes), 2), expected)
    np.testing.assert_array_equal(sma(np.array([1, 2, 3, 4]), 2), expected)  # integers
    np.testing.assert_array_equal(sma(np.array(closes)[::-1][::-1], 2), expected)  # a view


def test_short_and_empty_inputs_give_all_nan() -> None:
    assert sma([], 3).shape == (0,)
    np.testing.assert_array_equal(sma([1.0, 2.0], 3), [np.nan, np.nan])
    k, d = stoch([1.0, 2.0], [0.5, 1.5], [1.0, 2.0])
    assert np.isnan(k).all()
    assert np.isnan(d).all()
    assert np.isnan(macd([1.0] * 10).macd).all()
    assert np.isnan(rsi([np.nan] * 5, 2)).all()  # never starts


def test_streaming_indicators_take_the_same_parameters() -> None:
    with pytest.raises(InvalidValueError, match="EMA: period must be an integer"):
        EMA(2.0)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="ATR: period must be >= 1"):
        ATR(0)


def test_streaming_periods_may_be_numpy_integers() -> None:
    """Parameter grids are often NumPy arrays: their integers are periods like any other (the
    compiled core checks ``int`` arguments strictly, so these parameters say ``SupportsIndex``)."""
    closes = [10.0, 11.0, 12.5, 12.0, 13.0, 12.8, 14.0, 15.5, 15.0, 16.0] * 5
    pairs = [
        (SMA(np.int64(3)), SMA(3)),
        (EMA(np.int32(4)), EMA(4)),
        (MACD(np.int64(3), np.int64(6), np.int64(2)), MACD(3, 6, 2)),
        (BBands(np.int64(5)), BBands(5)),
        (ZScore(np.int16(5)), ZScore(5)),
    ]
    for numpy_made, int_made in pairs:
        for close in closes:
            assert repr(numpy_made.update(close)) == repr(int_made.update(close))
    with pytest.raises(InvalidValueError, match="ZScore: period must be an integer"):
        ZScore(np.float64(5.0))  # type: ignore[arg-type]
