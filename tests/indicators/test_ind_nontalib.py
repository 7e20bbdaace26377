"""Indicators TA-Lib lacks: VWAPs, Keltner, Donchian, z-score, realized volatility.

Each is checked twice: against an independent pandas computation on the real bundled data, and
against a small example worked out by hand (synthetic numbers chosen so the answer is known).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import talib

from alphaforge.indicators import (
    close_to_close,
    donchian,
    garman_klass,
    keltner,
    parkinson,
    session_vwap,
    vwap,
    yang_zhang,
    zscore,
)


def frame(data: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame({k: data[k] for k in ("open", "high", "low", "close", "volume")})


def assert_close(ours: np.ndarray, expected: pd.Series | np.ndarray, atol: float = 0.0) -> None:
    expected = np.asarray(expected, dtype=float)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(expected))
    valid = ~np.isnan(expected)
    np.testing.assert_allclose(ours[valid], expected[valid], rtol=1e-9, atol=atol)


# ---------------------------------------------------------------- against pandas, real data


def test_vwap_equals_pandas(market: dict[str, np.ndarray]) -> None:
    f = frame(market)
    flow = (f.high + f.low + f.close) / 3 * f.volume
    expected = flow.rolling(20).sum() / f.volume.rolling(20).sum()
    assert_close(vwap(f.high, f.low, f.close, f.volume, 20), expected)


def test_session_vwap_equals_pandas(market: dict[str, np.ndarray]) -> None:
    f = frame(market)
    session = market["session"]
    flow = (f.high + f.low + f.close) / 3 * f.volume
    expected = flow.groupby(session).cumsum() / f.volume.groupby(session).cumsum()
    ours = session_vwap(f.high, f.low, f.close, f.volume, session)
    assert_close(ours, expected)


def test_session_vwap_accepts_datetime64_sessions(eurusd: dict[str, np.ndarray]) -> None:
    days = eurusd["session"].astype("datetime64[ns]")
    ours = session_vwap(eurusd["high"], eurusd["low"], eurusd["close"], eurusd["volume"], days)
    expected = session_vwap(
        eurusd["high"], eurusd["low"], eurusd["close"], eurusd["volume"], eurusd["session"]
    )
    np.testing.assert_array_equal(ours, expected)


def test_keltner_equals_talib_ema_and_atr(market: dict[str, np.ndarray]) -> None:
    h, lo, c = market["high"], market["low"], market["close"]
    middle = talib.EMA(c, 20)
    width = 2.0 * talib.ATR(h, lo, c, 10)
    upper, mid, lower = keltner(h, lo, c, 20, 10, 2.0)
    assert_close(upper, middle + width)
    assert_close(mid, np.where(np.isnan(width), np.nan, middle))
    assert_close(lower, middle - width)


def test_donchian_equals_pandas(market: dict[str, np.ndarray]) -> None:
    f = frame(market)
    hi, lo = f.high.rolling(20).max(), f.low.rolling(20).min()
    upper, middle, lower = donchian(f.high, f.low, 20)
    assert_close(upper, hi)
    assert_close(lower, lo)
    assert_close(middle, (hi + lo) / 2)


def test_zscore_equals_pandas(market: dict[str, np.ndarray]) -> None:
    # A z-score does not change when a constant is subtracted; subtracting the series mean keeps
    # pandas' running sums (less careful than ours) from losing digits to cancellation.
    x = pd.Series(market["close"] - market["close"].mean())
    expected = (x - x.rolling(20).mean()) / x.rolling(20).std(ddof=0)
    assert_close(zscore(market["close"], 20), expected, atol=1e-9)  # z crosses 0


def test_realized_volatilities_equal_pandas(market: dict[str, np.ndarray]) -> None:
    f = frame(market)
    n, year = 20, 252.0
    log_hl = pd.Series(np.log(f.high / f.low))
    log_co = pd.Series(np.log(f.close / f.open))
    ret = pd.Series(np.log(f.close / f.close.shift()))
    assert_close(close_to_close(f.close, n), np.sqrt(year * ret.rolling(n).var(ddof=1)))
    park = (log_hl**2).rolling(n).mean() / (4 * math.log(2))
    assert_close(parkinson(f.high, f.low, n), np.sqrt(year * park))
    gk = (0.5 * log_hl**2 - (2 * math.log(2) - 1) * log_co**2).rolling(n).mean()
    assert_close(garman_klass(f.open, f.high, f.low, f.close, n), np.sqrt(year * gk))
    overnight = pd.Series(np.log(f.open / f.close.shift()))
    intraday = log_co.where(overnight.notna())
    rs = pd.Series(
        np.log(f.high / f.close) * np.log(f.high / f.open)
        + np.log(f.low / f.close) * np.log(f.low / f.open)
    )
    k = 0.34 / (1.34 + (n + 1) / (n - 1))
    yz = (
        overnight.rolling(n).var()
        + k * intraday.rolling(n).var()
        + (1 - k) * rs.where(overnight.notna()).rolling(n).mean()
    )
    assert_close(yang_zhang(f.open, f.high, f.low, f.close, n), np.sqrt(year * yz))


# ---------------------------------------------------------------- worked examples


def test_vwap_worked_example() -> None:
    # typical prices 10, 20, 30 (high = low = close); volumes 1, 3, 0; window 2.
    prices = np.array([10.0, 20.0, 30.0, 40.0])
    volume = np.array([1.0, 3.0, 0.0, 0.0])
    out = vwap(prices, prices, prices, volume, 2)
    # (10·1 + 20·3)/4 = 17.5; (20·3 + 30·0)/3 = 20; (0 + 0)/0: no volume -> NaN
    np.testing.assert_allclose(out, [np.nan, 17.5, 20.0, np.nan])


def test_session_vwap_worked_example() -> None:
    high = np.array([11.0, 13.0, 12.0, 20.0, 22.0])
    low = np.array([9.0, 11.0, 9.0, 18.0, 20.0])
    close = np.array([10.0, 12.0, 9.0, 19.0, 21.0])  # typical: 10, 12, 10, 19, 21
    volume = np.array([1.0, 1.0, 2.0, 0.0, 5.0])
    session = np.array([1, 1, 1, 2, 2])
    out = session_vwap(high, low, close, volume, session)
    # day 1: 10; (10+12)/2 = 11; (10+12+20)/4 = 10.5. day 2 opens with no volume: NaN, then 21.
    np.testing.assert_allclose(out, [10.0, 11.0, 10.5, np.nan, 21.0])


def test_keltner_worked_example() -> None:
    high = np.array([11.0, 12.0, 13.0])
    low = np.array([9.0, 10.0, 12.0])
    close = np.array([10.0, 11.0, 12.5])
    upper, middle, lower = keltner(high, low, close, period=2, atr_period=1, multiplier=2.0)
    # EMA(2): seed (10 + 11)/2 = 10.5, then 10.5 + (2/3)(12.5 − 10.5) = 11.8333…
    # ATR(1) = true range: bar 1: max(2, |12−10|, |10−10|) = 2; bar 2: max(1, 2, 1) = 2
    np.testing.assert_allclose(middle, [np.nan, 10.5, 10.5 + 2 / 3 * 2.0])
    np.testing.assert_allclose(upper, middle + 4.0)
    np.testing.assert_allclose(lower, middle - 4.0)


def test_donchian_worked_example() -> None:
    high = np.array([5.0, 7.0, 6.0, 4.0])
    low = np.array([3.0, 4.0, 2.0, 3.0])
    upper, middle, lower = donchian(high, low, 3)
    np.testing.assert_allclose(upper, [np.nan, np.nan, 7.0, 7.0])
    np.testing.assert_allclose(lower, [np.nan, np.nan, 2.0, 2.0])
    np.testing.assert_allclose(middle, [np.nan, np.nan, 4.5, 4.5])


def test_zscore_worked_example() -> None:
    out = zscore([1.0, 2.0, 3.0, 4.0, 4.0, 4.0, 4.0], 4)
    # window 1,2,3,4: mean 2.5, σ (ddof=0) = sqrt(1.25); then 2,3,4,4: mean 3.25, σ² = 0.6875
    np.testing.assert_allclose(out[3], 1.5 / math.sqrt(1.25))
    np.testing.assert_allclose(out[4], 0.75 / math.sqrt(0.6875))
    assert np.isnan(out[:3]).all()
    assert np.isnan(out[6])  # 4, 4, 4, 4: a flat window has no z-score


def test_realized_volatility_worked_examples() -> None:
    close = np.array([100.0, 110.0, 99.0])
    r1, r2 = math.log(1.1), math.log(0.9)
    out = close_to_close(close, period=2, annualization=252.0)
    np.testing.assert_allclose(out[2], math.sqrt(252.0 * (r1 - r2) ** 2 / 2))
    assert np.isnan(out[:2]).all()

    out = parkinson([110.0], [100.0], period=1, annualization=252.0)
    np.testing.assert_allclose(out, [math.sqrt(252.0 * math.log(1.1) ** 2 / (4 * math.log(2)))])

    # Garman–Klass, one bar: ½·ln(110/100)² − (2 ln 2 − 1)·ln(105/101)²
    gk = 0.5 * math.log(1.1) ** 2 - (2 * math.log(2) - 1) * math.log(105 / 101) ** 2
    out = garman_klass([101.0], [110.0], [100.0], [105.0], period=1, annualization=1.0)
    np.testing.assert_allclose(out, [math.sqrt(gk)])


def test_yang_zhang_worked_example() -> None:
    o = np.array([100.0, 102.0, 98.0])
    h = np.array([101.0, 104.0, 100.0])
    lo = np.array([99.0, 101.0, 97.0])
    c = np.array([100.0, 103.0, 99.0])
    out = yang_zhang(o, h, lo, c, period=2, annualization=1.0)
    overnight = [math.log(102 / 100), math.log(98 / 103)]
    intraday = [math.log(103 / 102), math.log(99 / 98)]
    rs = [
        math.log(104 / 103) * math.log(104 / 102) + math.log(101 / 103) * math.log(101 / 102),
        math.log(100 / 99) * math.log(100 / 98) + math.log(97 / 99) * math.log(97 / 98),
    ]
    k = 0.34 / (1.34 + 3.0)
    var = (
        (overnight[0] - overnight[1]) ** 2 / 2
        + k * (intraday[0] - intraday[1]) ** 2 / 2
        + (1 - k) * (rs[0] + rs[1]) / 2
    )
    np.testing.assert_allclose(out, [np.nan, np.nan, math.sqrt(var)])


@pytest.mark.parametrize("year", [252.0, 365.0, 8760.0])
def test_annualization_scales_with_its_square_root(year: float, spx: dict[str, np.ndarray]) -> None:
    daily = close_to_close(spx["close"], 20, annualization=1.0)
    np.testing.assert_allclose(
        close_to_close(spx["close"], 20, annualization=year), daily * math.sqrt(year)
    )
