"""The registry describes every indicator truthfully and refuses unknown names with a hint."""

from __future__ import annotations

import inspect
import math
import subprocess
import sys

import numpy as np
import pytest

from alphaforge import indicators
from alphaforge.domain.errors import InvalidValueError
from alphaforge.indicators import INDICATORS, IndicatorSpec, get_indicator

REQUIRED = {
    "sma", "ema", "wma", "dema", "tema", "rsi", "macd", "bbands", "trange", "atr", "natr",
    "stoch", "stochrsi", "willr", "cci", "adx", "plus_di", "minus_di", "aroon", "mfi", "obv",
    "roc", "mom", "vwap", "session_vwap", "keltner", "donchian", "zscore", "close_to_close",
    "parkinson", "garman_klass", "yang_zhang",
}  # fmt: skip


def test_every_required_indicator_is_registered() -> None:
    assert set(INDICATORS) == REQUIRED
    for name, spec in INDICATORS.items():
        assert isinstance(spec, IndicatorSpec)
        assert spec.name == name


@pytest.mark.parametrize("name", sorted(INDICATORS))
def test_spec_matches_its_functions(name: str) -> None:
    spec = INDICATORS[name]
    batch = inspect.signature(spec.batch).parameters
    # The batch function takes the inputs positionally, then the parameters with the defaults.
    assert list(batch)[: len(spec.inputs)] == list(spec.inputs)
    assert {k: p.default for k, p in list(batch.items())[len(spec.inputs) :]} == dict(spec.params)
    stream_params = inspect.signature(spec.streaming).parameters  # the class's __init__
    assert {k: p.default for k, p in stream_params.items()} == dict(spec.params)
    update = inspect.signature(spec.streaming.update).parameters  # type: ignore[attr-defined]
    assert list(update)[1:] == list(spec.inputs)


@pytest.mark.parametrize("name", sorted(INDICATORS))
def test_outputs_count_and_warmup_match_the_batch_result(
    name: str, spx: dict[str, np.ndarray]
) -> None:
    spec = INDICATORS[name]
    result = spec.compute(spx)
    parts = result if isinstance(result, tuple) else (result,)
    assert len(parts) == len(spec.outputs)
    if len(parts) > 1:
        assert tuple(result._fields) == spec.outputs
    warmup = spec.warmup()
    for part in parts:
        assert part.shape == spx["close"].shape
        assert np.isnan(part[:warmup]).all()
        assert not math.isnan(part[warmup])


def test_unknown_indicator_suggests_the_closest_name() -> None:
    with pytest.raises(InvalidValueError, match=r"unknown indicator 'rsii'; did you mean 'rsi'\?"):
        get_indicator("rsii")
    with pytest.raises(InvalidValueError, match="known: adx, aroon"):
        get_indicator("nothing-like-it")


def test_unknown_parameter_suggests_the_closest_name() -> None:
    spec = get_indicator("stoch")
    with pytest.raises(InvalidValueError, match=r"'slowk_perod'; did you mean 'slowk_period'\?"):
        spec.resolve({"slowk_perod": 3})
    with pytest.raises(InvalidValueError, match="rsi: unknown parameter 'length'"):
        get_indicator("rsi").stream(length=14)


def test_resolve_fills_defaults_and_checks_values() -> None:
    spec = get_indicator("macd")
    assert spec.resolve({"signal_period": 5}) == {
        "fast_period": 12,
        "slow_period": 26,
        "signal_period": 5,
    }
    with pytest.raises(InvalidValueError, match="macd: signal_period must be >= 1"):
        spec.resolve({"signal_period": 0})
    assert get_indicator("bbands").resolve({"nbdev_up": 1})["nbdev_up"] == 1.0


def test_warmup_follows_the_parameters() -> None:
    assert get_indicator("rsi").warmup({"period": 14}) == 14
    assert get_indicator("sma").warmup({"period": 20}) == 19
    assert get_indicator("macd").warmup() == 33
    assert get_indicator("adx").warmup({"period": 10}) == 19
    assert get_indicator("keltner").warmup({"period": 5, "atr_period": 10}) == 10


def test_stream_builds_a_fresh_instance() -> None:
    first = get_indicator("ema").stream(period=3)
    second = get_indicator("ema").stream(period=3)
    assert first is not second
    for x in (1.0, 2.0, 3.0):
        first.update(x)  # type: ignore[attr-defined]
    assert first.ready
    assert not second.ready


def test_package_exports_resolve() -> None:
    for name in indicators.__all__:
        assert getattr(indicators, name) is not None
    assert sorted(dir(indicators)) == sorted(indicators.__all__)


def test_streaming_package_does_not_import_numba() -> None:
    code = (
        "import sys; import alphaforge.indicators.streaming as s; s.RSI(14).update(1.0); "
        "sys.exit(1 if 'numba' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
