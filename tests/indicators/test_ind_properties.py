"""Properties that must hold for any input (hypothesis): bounds, invariances, constants, parity.

The bars are synthetic (hypothesis draws them) because a property must hold for every input, not
only the bundled history: random walks with consistent OHLC (low <= open, close <= high).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from alphaforge.indicators import (
    INDICATORS,
    aroon,
    atr,
    bbands,
    close_to_close,
    dema,
    donchian,
    ema,
    mfi,
    obv,
    rsi,
    sma,
    stoch,
    tema,
    trange,
    willr,
    wma,
    yang_zhang,
    zscore,
)


@st.composite
def bars(draw: st.DrawFn, min_size: int = 2, max_size: int = 120) -> dict[str, np.ndarray]:
    """Consistent OHLCV bars: a multiplicative random walk with wicks and positive volume."""
    n = draw(st.integers(min_size, max_size))
    moves = draw(arrays(np.float64, n, elements=st.floats(-0.05, 0.05)))
    wicks = draw(arrays(np.float64, (2, n), elements=st.floats(0.0, 0.03)))
    gaps = draw(arrays(np.float64, n, elements=st.floats(-0.01, 0.01)))
    volume = draw(arrays(np.float64, n, elements=st.floats(0.0, 1e6)))
    close = 100.0 * np.exp(np.cumsum(moves))
    open_ = np.concatenate(([100.0], close[:-1])) * np.exp(gaps)
    high = np.maximum(open_, close) * (1 + wicks[0])
    low = np.minimum(open_, close) * (1 - wicks[1])
    session = np.arange(n) // 7
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume,
            "session": session}  # fmt: skip


periods = st.integers(1, 30)


@given(value=st.floats(1e-6, 1e6), n=st.integers(1, 80), period=periods)
def test_moving_averages_of_a_constant_are_the_constant(value: float, n: int, period: int) -> None:
    x = np.full(n, value)
    for average in (sma, ema, wma, dema, tema):
        out = average(x, period)
        valid = out[~np.isnan(out)]
        np.testing.assert_allclose(valid, value, rtol=1e-12)


@given(data=bars(), period=periods)
def test_donchian_contains_every_bar(data: dict[str, np.ndarray], period: int) -> None:
    upper, middle, lower = donchian(data["high"], data["low"], period)
    valid = ~np.isnan(upper)
    assert (lower[valid] <= data["close"][valid]).all()
    assert (data["close"][valid] <= upper[valid]).all()
    assert (lower[valid] <= middle[valid]).all()
    assert (middle[valid] <= upper[valid]).all()


@given(data=bars(), period=periods)
def test_oscillators_stay_in_their_ranges(data: dict[str, np.ndarray], period: int) -> None:
    h, lo, c, v = data["high"], data["low"], data["close"], data["volume"]
    for values, low_bound, high_bound in (
        (rsi(c, period), 0.0, 100.0),
        (mfi(h, lo, c, v, period), 0.0, 100.0),
        (stoch(h, lo, c, period, 3, 3).slowk, 0.0, 100.0),
        (willr(h, lo, c, period), -100.0, 0.0),
        (aroon(h, lo, period).up, 0.0, 100.0),
    ):
        valid = values[~np.isnan(values)]
        # The SMA-smoothed %K keeps a running sum, which may stray by ~1e-14 (as TA-Lib's does).
        assert (valid >= low_bound - 1e-9).all()
        assert (valid <= high_bound + 1e-9).all()


@given(data=bars(), period=periods)
def test_ranges_are_non_negative(data: dict[str, np.ndarray], period: int) -> None:
    h, lo, c = data["high"], data["low"], data["close"]
    tr = trange(h, lo, c)
    assert (tr[1:] >= (h - lo)[1:] - 1e-12).all()
    a = atr(h, lo, c, period)
    assert (a[~np.isnan(a)] >= 0).all()
    upper, middle, lower = bbands(c, period, 2.0, 1.0)
    valid = ~np.isnan(middle)
    assert (upper[valid] >= middle[valid]).all()
    assert (middle[valid] >= lower[valid]).all()


@given(data=bars(min_size=3), scale=st.floats(1e-3, 1e3), shift=st.floats(-1e3, 1e3))
def test_zscore_is_invariant_to_affine_maps(
    data: dict[str, np.ndarray], scale: float, shift: float
) -> None:
    x = data["close"]
    z = zscore(x, 3)
    z2 = zscore(x * scale + shift, 3)
    both = ~np.isnan(z) & ~np.isnan(z2)
    np.testing.assert_allclose(z2[both], z[both], rtol=1e-6, atol=1e-6)


@given(data=bars(min_size=3), scale=st.floats(1e-3, 1e3))
def test_realized_volatility_ignores_the_price_level(
    data: dict[str, np.ndarray], scale: float
) -> None:
    o, h, lo, c = data["open"], data["high"], data["low"], data["close"]
    np.testing.assert_allclose(
        close_to_close(c * scale, 2), close_to_close(c, 2), rtol=1e-7, atol=1e-8
    )
    np.testing.assert_allclose(
        yang_zhang(o * scale, h * scale, lo * scale, c * scale, 2),
        yang_zhang(o, h, lo, c, 2),
        rtol=1e-6,
        # A volatility is a square root: when a bar's prices nearly coincide, log-price rounding
        # of 1e-15 in the variance shows as 1e-8 in the volatility (hypothesis found 3.5e-8
        # against 4.9e-8). Below 1e-7 a volatility is zero for every purpose.
        atol=1e-7,
    )


@given(data=bars())
def test_obv_moves_by_the_volume_or_not_at_all(data: dict[str, np.ndarray]) -> None:
    out = obv(data["close"], data["volume"])
    step = np.diff(out)
    sign = np.sign(np.diff(data["close"]))
    np.testing.assert_allclose(step, sign * data["volume"][1:], rtol=1e-9, atol=1e-6)


def _matrix(result: Any) -> np.ndarray:
    return np.column_stack(result) if isinstance(result, tuple) else np.asarray(result)[:, None]


@given(data=bars(), name=st.sampled_from(sorted(INDICATORS)), period=st.integers(2, 12))
def test_streaming_equals_batch_on_any_bars(
    data: dict[str, np.ndarray], name: str, period: int
) -> None:
    spec = INDICATORS[name]
    params = {key: period for key, value in spec.params.items() if isinstance(value, int)}
    batch = _matrix(spec.compute(data, **params))
    indicator = spec.stream(**params)
    rows = zip(*(data[f].tolist() for f in spec.inputs), strict=True)
    stream = np.array(
        [np.atleast_1d(indicator.update(*row)) for row in rows]  # type: ignore[attr-defined]
    )
    np.testing.assert_array_equal(np.isnan(stream), np.isnan(batch))
    valid = ~np.isnan(batch)
    np.testing.assert_allclose(stream[valid], batch[valid], rtol=1e-9, atol=1e-12)


def test_a_flat_market_gives_the_documented_answers() -> None:
    """Synthetic flat bars (every price 1.2345, volume 10): the 0/0 cases resolve as TA-Lib's."""
    n = 60
    flat = {"open": np.full(n, 1.2345), "high": np.full(n, 1.2345), "low": np.full(n, 1.2345),
            "close": np.full(n, 1.2345), "volume": np.full(n, 10.0),
            "session": np.zeros(n, dtype=np.int64)}  # fmt: skip
    expected_last = {
        "rsi": 0.0, "stoch": (0.0, 0.0), "stochrsi": (0.0, 0.0), "willr": 0.0, "cci": 0.0,
        "mfi": 0.0, "atr": 0.0, "natr": 0.0, "plus_di": 0.0, "minus_di": 0.0, "adx": 0.0,
        "trange": 0.0, "mom": 0.0, "roc": 0.0, "macd": (0.0, 0.0, 0.0),
        "bbands": (1.2345, 1.2345, 1.2345), "donchian": (1.2345, 1.2345, 1.2345),
        "vwap": 1.2345, "session_vwap": 1.2345, "close_to_close": 0.0, "parkinson": 0.0,
        "garman_klass": 0.0, "yang_zhang": 0.0, "aroon": (100.0, 100.0),
    }  # fmt: skip
    for name, expected in expected_last.items():
        spec = INDICATORS[name]
        batch = spec.compute(flat)
        last = tuple(part[-1] for part in batch) if isinstance(batch, tuple) else batch[-1]
        np.testing.assert_allclose(last, expected, rtol=1e-12, atol=1e-12, err_msg=name)
        indicator = spec.stream()
        for row in zip(*(flat[f].tolist() for f in spec.inputs), strict=True):
            value = indicator.update(*row)  # type: ignore[attr-defined]
        np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12, err_msg=name)
    assert np.isnan(INDICATORS["zscore"].compute(flat)[-1])  # no spread: no z-score


def test_a_window_without_volume_has_no_vwap_and_a_zero_mfi() -> None:
    price = np.array([1.0, 2.0, 3.0, 2.5, 2.0, 2.2, 2.4])
    volume = np.zeros(7)
    bars = {"high": price, "low": price, "close": price, "volume": volume}
    assert np.isnan(INDICATORS["vwap"].compute(bars, period=3)[2:]).all()
    mfi_values = mfi(price, price, price, volume, 3)
    np.testing.assert_array_equal(mfi_values[3:], 0.0)
