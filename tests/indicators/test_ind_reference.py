"""The Numba kernels agree with the plain reference implementations (``indicators._reference``).

The reference computes every window from scratch (``sliding_window_view``) and every recursion as
a textbook loop, without the kernels' running sums, re-anchoring or index tricks; it is the
parity check that the fast path is the same function, independent of TA-Lib.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from alphaforge.indicators import INDICATORS
from alphaforge.indicators import _reference as ref

Reference = Callable[[dict[str, np.ndarray]], Any]

CASES: dict[str, Reference] = {
    "sma": lambda d: ref.sma(d["close"], 30),
    "ema": lambda d: ref.ema(d["close"], 30),
    "wma": lambda d: ref.wma(d["close"], 30),
    "dema": lambda d: ref.dema(d["close"], 30),
    "tema": lambda d: ref.tema(d["close"], 30),
    "bbands": lambda d: ref.bbands(d["close"], 20, 2.0, 2.0),
    "rsi": lambda d: ref.rsi(d["close"], 14),
    "macd": lambda d: ref.macd(d["close"], 12, 26, 9),
    "roc": lambda d: ref.roc(d["close"], 10),
    "mom": lambda d: ref.mom(d["close"], 10),
    "cci": lambda d: ref.cci(d["high"], d["low"], d["close"], 14),
    "mfi": lambda d: ref.mfi(d["high"], d["low"], d["close"], d["volume"], 14),
    "trange": lambda d: ref.trange(d["high"], d["low"], d["close"]),
    "atr": lambda d: ref.atr(d["high"], d["low"], d["close"], 14),
    "natr": lambda d: 100 * ref.atr(d["high"], d["low"], d["close"], 14) / d["close"],
    "plus_di": lambda d: ref.di(d["high"], d["low"], d["close"], 14)[0],
    "minus_di": lambda d: ref.di(d["high"], d["low"], d["close"], 14)[1],
    "adx": lambda d: ref.adx(d["high"], d["low"], d["close"], 14),
    "stoch": lambda d: ref.stoch(d["high"], d["low"], d["close"], 5, 3, 3),
    "stochrsi": lambda d: ref.stochrsi(d["close"], 14, 5, 3),
    "willr": lambda d: ref.willr(d["high"], d["low"], d["close"], 14),
    "aroon": lambda d: ref.aroon(d["high"], d["low"], 14),
    "obv": lambda d: ref.obv(d["close"], d["volume"]),
    "vwap": lambda d: ref.vwap(d["high"], d["low"], d["close"], d["volume"], 20),
    "session_vwap": lambda d: ref.session_vwap(
        d["high"], d["low"], d["close"], d["volume"], d["session"]
    ),
    "keltner": lambda d: ref.keltner(d["high"], d["low"], d["close"], 20, 10, 2.0),
    "donchian": lambda d: ref.donchian(d["high"], d["low"], 20),
    "zscore": lambda d: ref.zscore(d["close"], 20),
    "close_to_close": lambda d: ref.close_to_close(d["close"], 20, 252.0),
    "parkinson": lambda d: ref.parkinson(d["high"], d["low"], 20, 252.0),
    "garman_klass": lambda d: ref.garman_klass(
        d["open"], d["high"], d["low"], d["close"], 20, 252.0
    ),
    "yang_zhang": lambda d: ref.yang_zhang(d["open"], d["high"], d["low"], d["close"], 20, 252.0),
}


def test_every_indicator_has_a_reference() -> None:
    assert set(CASES) == set(INDICATORS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_kernel_equals_reference(name: str, market: dict[str, np.ndarray]) -> None:
    spec = INDICATORS[name]
    ours = spec.compute(market)  # registry defaults, as in CASES
    expected = CASES[name](market)
    ours_t = ours if isinstance(ours, tuple) else (ours,)
    expected_t = expected if isinstance(expected, tuple) else (expected,)
    assert len(ours_t) == len(expected_t) == len(spec.outputs)
    for output, mine, theirs in zip(spec.outputs, ours_t, expected_t, strict=True):
        reference = np.asarray(theirs, dtype=float)
        np.testing.assert_array_equal(np.isnan(mine), np.isnan(reference), err_msg=output)
        valid = ~np.isnan(reference)
        scale = float(np.max(np.abs(reference[valid])))
        # Wilder and EMA recursions compound their rounding differently in the two forms.
        np.testing.assert_allclose(
            mine[valid], reference[valid], rtol=1e-9, atol=1e-11 * scale, err_msg=output
        )
