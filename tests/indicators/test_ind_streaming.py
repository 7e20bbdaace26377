"""Every streaming indicator equals its batch twin on real data, bar by bar.

The test feeds each registry indicator's streaming class the bundled bars one at a time and holds
its values to the batch output (to 1e-9 relative; in practice they agree to the last bit), its
``ready`` flag to the batch warm-up, and ``reset()`` to a fresh instance.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from alphaforge.indicators import INDICATORS, IndicatorSpec

# Non-default parameters, so that the period arithmetic is exercised beyond the defaults.
OTHER_PARAMS: dict[str, dict[str, Any]] = {
    "sma": {"period": 7},
    "ema": {"period": 2},
    "wma": {"period": 5},
    "dema": {"period": 4},
    "tema": {"period": 3},
    "bbands": {"period": 10, "nbdev_up": 1.0, "nbdev_dn": 2.5},
    "rsi": {"period": 2},
    "macd": {"fast_period": 3, "slow_period": 10, "signal_period": 16},
    "roc": {"period": 1},
    "mom": {"period": 3},
    "cci": {"period": 5},
    "mfi": {"period": 3},
    "atr": {"period": 1},
    "natr": {"period": 5},
    "plus_di": {"period": 1},
    "minus_di": {"period": 3},
    "adx": {"period": 5},
    "stoch": {"fastk_period": 3, "slowk_period": 5, "slowd_period": 4},
    "stochrsi": {"period": 5, "fastk_period": 3, "fastd_period": 2},
    "willr": {"period": 3},
    "aroon": {"period": 5},
    "vwap": {"period": 3},
    "keltner": {"period": 5, "atr_period": 12, "multiplier": 1.5},
    "donchian": {"period": 3},
    "zscore": {"period": 5},
    "close_to_close": {"period": 2, "annualization": 365.0},
    "parkinson": {"period": 1, "annualization": 8760.0},
    "garman_klass": {"period": 3},
    "yang_zhang": {"period": 2},
}


def _as_matrix(result: Any) -> np.ndarray:
    if isinstance(result, tuple):
        return np.column_stack(result)
    return np.asarray(result, dtype=float)[:, None]


def _run_stream(
    indicator: Any, data: dict[str, np.ndarray], inputs: tuple[str, ...]
) -> tuple[np.ndarray, list[bool]]:
    values, ready = [], []
    for row in zip(*(data[field].tolist() for field in inputs), strict=True):
        value = indicator.update(*row)
        values.append(value if isinstance(value, tuple) else (value,))
        ready.append(indicator.ready)
    return np.array(values, dtype=float), ready


def _check(
    spec: IndicatorSpec, data: dict[str, np.ndarray], params: dict[str, Any], offset: int = 0
) -> None:
    label = f"{spec.name}{params}"
    batch = _as_matrix(spec.compute(data, **params))
    indicator = spec.stream(**params)
    stream, ready = _run_stream(indicator, data, spec.inputs)
    np.testing.assert_array_equal(np.isnan(stream), np.isnan(batch), err_msg=label)
    valid = ~np.isnan(batch)
    np.testing.assert_allclose(stream[valid], batch[valid], rtol=1e-9, atol=0, err_msg=label)
    np.testing.assert_array_equal(np.atleast_1d(indicator.value), stream[-1], err_msg=label)
    # ``ready`` turns on exactly where the batch output starts, and stays on.
    warmup = spec.warmup(params)
    assert warmup == indicator.warmup, label
    assert ready.index(True) == offset + warmup, label
    assert all(ready[offset + warmup :]), label
    assert np.isnan(batch[: offset + warmup]).all(), label
    assert not np.isnan(batch[offset + warmup]).all(), label
    # reset() gives a fresh instance: the same bars again yield the same values.
    indicator.reset()
    assert not indicator.ready
    head = {field: data[field][:120] for field in spec.inputs}
    again, _ = _run_stream(indicator, head, spec.inputs)
    np.testing.assert_array_equal(again, stream[:120], err_msg=f"{label} after reset()")


@pytest.mark.parametrize("name", sorted(INDICATORS))
def test_streaming_equals_batch_with_defaults(name: str, market: dict[str, np.ndarray]) -> None:
    _check(INDICATORS[name], market, {})


@pytest.mark.parametrize("name", sorted(OTHER_PARAMS))
def test_streaming_equals_batch_with_other_params(name: str, spx: dict[str, np.ndarray]) -> None:
    _check(INDICATORS[name], spx, OTHER_PARAMS[name])


def test_other_params_cover_every_parametrized_indicator() -> None:
    with_params = {name for name, spec in INDICATORS.items() if spec.params}
    assert set(OTHER_PARAMS) == with_params


@pytest.mark.parametrize("name", sorted(INDICATORS))
def test_leading_nans_are_skipped_like_batch(name: str, spx: dict[str, np.ndarray]) -> None:
    data = {k: v[:400].copy() for k, v in spx.items()}
    for field in ("open", "high", "low", "close", "volume"):
        data[field][:5] = np.nan
    _check(INDICATORS[name], data, {}, offset=5)
