"""Every indicator with a TA-Lib twin equals TA-Lib on real data, to 1e-9 relative.

Real bundled data: 5,031 S&P 500 daily bars and 5,000 EUR/USD hourly bars. The NaN warm-up must
match TA-Lib's position for position; the values must agree to ``rtol=1e-9`` (with an absolute
floor of 1e-12 of the series' scale, for outputs that cross zero such as MACD or momentum).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import talib

from alphaforge.indicators import INDICATORS, donchian

# Our parameter names -> TA-Lib's.
TALIB_NAMES = {
    "period": "timeperiod",
    "nbdev_up": "nbdevup",
    "nbdev_dn": "nbdevdn",
    "fast_period": "fastperiod",
    "slow_period": "slowperiod",
    "signal_period": "signalperiod",
}

CASES: list[tuple[str, dict[str, Any]]] = [
    *[("sma", {"period": p}) for p in (2, 30, 200)],
    *[("ema", {"period": p}) for p in (2, 10, 30)],
    *[("wma", {"period": p}) for p in (2, 14, 30)],
    *[("dema", {"period": p}) for p in (2, 10, 30)],
    *[("tema", {"period": p}) for p in (2, 10, 30)],
    ("bbands", {"period": 5, "nbdev_up": 2.0, "nbdev_dn": 2.0}),
    ("bbands", {"period": 20, "nbdev_up": 2.0, "nbdev_dn": 1.5}),
    ("bbands", {"period": 30, "nbdev_up": 1.0, "nbdev_dn": 3.0}),
    *[("rsi", {"period": p}) for p in (2, 14, 30)],
    ("macd", {"fast_period": 12, "slow_period": 26, "signal_period": 9}),
    ("macd", {"fast_period": 5, "slow_period": 35, "signal_period": 5}),
    ("macd", {"fast_period": 3, "slow_period": 10, "signal_period": 16}),
    *[("roc", {"period": p}) for p in (1, 10)],
    *[("mom", {"period": p}) for p in (1, 10)],
    *[("cci", {"period": p}) for p in (2, 14, 20)],
    *[("mfi", {"period": p}) for p in (2, 14)],
    ("trange", {}),
    *[("atr", {"period": p}) for p in (1, 14, 30)],
    *[("natr", {"period": p}) for p in (2, 14, 30)],
    *[("plus_di", {"period": p}) for p in (2, 14, 30)],
    *[("minus_di", {"period": p}) for p in (2, 14, 30)],
    *[("adx", {"period": p}) for p in (2, 14, 30)],
    ("stoch", {"fastk_period": 5, "slowk_period": 3, "slowd_period": 3}),
    ("stoch", {"fastk_period": 14, "slowk_period": 3, "slowd_period": 3}),
    ("stoch", {"fastk_period": 14, "slowk_period": 1, "slowd_period": 1}),
    ("stoch", {"fastk_period": 3, "slowk_period": 5, "slowd_period": 4}),
    ("stochrsi", {"period": 14, "fastk_period": 5, "fastd_period": 3}),
    ("stochrsi", {"period": 14, "fastk_period": 14, "fastd_period": 3}),
    ("stochrsi", {"period": 5, "fastk_period": 3, "fastd_period": 2}),
    *[("willr", {"period": p}) for p in (2, 14)],
    *[("aroon", {"period": p}) for p in (2, 14, 25)],
    ("obv", {}),
]


def _ids(case: tuple[str, dict[str, Any]]) -> str:
    name, params = case
    return name + "-" + "-".join(str(v) for v in params.values())


def assert_matches(ours: np.ndarray, theirs: np.ndarray, label: str) -> None:
    """Same NaN positions, then equal to 1e-9 relative (absolute floor: 1e-12 of the scale)."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs), err_msg=f"{label}: warm-up")
    valid = ~np.isnan(theirs)
    assert valid.sum() > 4000, f"{label}: too few values compared"
    scale = float(np.max(np.abs(theirs[valid])))
    np.testing.assert_allclose(
        ours[valid], theirs[valid], rtol=1e-9, atol=1e-12 * scale, err_msg=label
    )


def _talib(name: str, params: dict[str, Any], data: dict[str, np.ndarray]) -> Any:
    spec = INDICATORS[name]
    kwargs = {TALIB_NAMES.get(k, k): v for k, v in params.items()}
    return getattr(talib, str(spec.talib))(*(data[f] for f in spec.inputs), **kwargs)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_equals_talib(case: tuple[str, dict[str, Any]], market: dict[str, np.ndarray]) -> None:
    name, params = case
    ours = INDICATORS[name].compute(market, **params)
    theirs = _talib(name, params, market)
    if isinstance(ours, tuple):
        assert len(ours) == len(theirs) == len(INDICATORS[name].outputs)
        for output, mine, reference in zip(INDICATORS[name].outputs, ours, theirs, strict=True):
            assert_matches(mine, reference, f"{name}.{output}{params}")
    else:
        assert_matches(ours, theirs, f"{name}{params}")


def test_every_talib_twin_is_covered() -> None:
    covered = {name for name, _ in CASES}
    assert covered == {name for name, spec in INDICATORS.items() if spec.talib is not None}


@pytest.mark.parametrize("period", [2, 20, 55])
def test_donchian_bands_equal_talib_max_and_min(period: int, market: dict[str, np.ndarray]) -> None:
    upper, middle, lower = donchian(market["high"], market["low"], period)
    assert_matches(upper, talib.MAX(market["high"], period), "donchian.upper")
    assert_matches(lower, talib.MIN(market["low"], period), "donchian.lower")
    np.testing.assert_allclose(middle, (upper + lower) / 2, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("sma", {"period": 10}),
        ("ema", {"period": 10}),
        ("rsi", {"period": 14}),
        ("macd", {"fast_period": 12, "slow_period": 26, "signal_period": 9}),
        ("atr", {"period": 14}),
        ("adx", {"period": 14}),
        ("stoch", {"fastk_period": 5, "slowk_period": 3, "slowd_period": 3}),
        ("bbands", {"period": 20, "nbdev_up": 2.0, "nbdev_dn": 2.0}),
    ],
)
def test_leading_nans_are_skipped_like_talib(
    name: str, params: dict[str, Any], spx: dict[str, np.ndarray]
) -> None:
    """Inputs that start with NaN (a chained indicator, a late listing) start the warm-up later."""
    data = {k: v.copy() for k, v in spx.items()}
    for field in ("open", "high", "low", "close"):
        data[field][:7] = np.nan
    data["high"][7] = np.nan  # inputs starting at different bars: the latest start counts
    ours = INDICATORS[name].compute(data, **params)
    theirs = _talib(name, params, data)
    for mine, reference in zip(
        ours if isinstance(ours, tuple) else (ours,),
        theirs if isinstance(theirs, tuple) else (theirs,),
        strict=True,
    ):
        assert_matches(mine, reference, f"{name} with leading NaNs")
