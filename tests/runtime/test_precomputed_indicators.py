"""A backtest's indicators are computed once per stream and read at the bar: bit for bit what the
streaming indicators give bar by bar, late declarations included, with no per-bar work and no
way for a strategy to read ahead.

The table test holds every indicator a bar stream can carry, with its defaults and two other
parameter sets, to its streaming twin on real bundled data: batch output equal to the last bit
(``-0.0`` and ``0.0`` told apart), and the first ready bar where ``PrecomputedHandle`` puts it.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from functools import cache
from typing import Any

import numpy as np
import pytest

from alphaforge.config import AlphaforgeConfig
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.market import Bar
from alphaforge.indicators.registry import INDICATORS, IndicatorSpec
from alphaforge.indicators.streaming import RSI
from alphaforge.runtime import backtest
from alphaforge.runtime.context import (
    BacktestContext,
    Handle,
    PrecomputedHandle,
    PrecomputedTupleHandle,
    StreamState,
)
from alphaforge.strategies import Strategy, StrategyContext
from alphaforge.strategies.context import IndicatorHandle
from alphaforge.testing import tiled_bars

CFG = AlphaforgeConfig()  # defaults only: tests never read the machine's config files
FIELDS = ("open", "high", "low", "close", "volume")
# What a bar stream can feed: session_vwap also needs session ids, which bars do not carry
# (``ctx.indicator`` refuses it, so it is never precomputed).
ON_BARS = [name for name, spec in INDICATORS.items() if set(spec.inputs) <= set(FIELDS)]

# Two parameter sets beside the defaults: short windows (the warm-up arithmetic at its edge) and
# long ones (recursive smoothing, reseeded sums).
PARAMS: dict[str, list[dict[str, Any]]] = {
    "sma": [{"period": 1}, {"period": 61}],
    "ema": [{"period": 2}, {"period": 50}],
    "wma": [{"period": 2}, {"period": 45}],
    "dema": [{"period": 3}, {"period": 40}],
    "tema": [{"period": 2}, {"period": 25}],
    "bbands": [{"period": 5, "nbdev_up": 1.0, "nbdev_dn": 2.5}, {"period": 50, "nbdev_up": 3.0}],
    "rsi": [{"period": 2}, {"period": 30}],
    "macd": [
        {"fast_period": 2, "slow_period": 3, "signal_period": 2},
        {"fast_period": 7, "slow_period": 40, "signal_period": 5},
    ],
    "roc": [{"period": 1}, {"period": 25}],
    "mom": [{"period": 1}, {"period": 21}],
    "cci": [{"period": 2}, {"period": 30}],
    "mfi": [{"period": 2}, {"period": 29}],
    "atr": [{"period": 1}, {"period": 30}],
    "natr": [{"period": 2}, {"period": 29}],
    "plus_di": [{"period": 1}, {"period": 30}],
    "minus_di": [{"period": 2}, {"period": 29}],
    "adx": [{"period": 2}, {"period": 30}],
    "stoch": [
        {"fastk_period": 2, "slowk_period": 2, "slowd_period": 1},
        {"fastk_period": 14, "slowk_period": 5, "slowd_period": 7},
    ],
    "stochrsi": [
        {"period": 2, "fastk_period": 2, "fastd_period": 1},
        {"period": 21, "fastk_period": 9, "fastd_period": 5},
    ],
    "willr": [{"period": 2}, {"period": 30}],
    "aroon": [{"period": 2}, {"period": 29}],
    "vwap": [{"period": 1}, {"period": 50}],
    "keltner": [
        {"period": 3, "atr_period": 12, "multiplier": 1.5},
        {"period": 40, "atr_period": 5, "multiplier": 0.5},
    ],
    "donchian": [{"period": 1}, {"period": 55}],
    "zscore": [{"period": 2}, {"period": 60}],
    "close_to_close": [{"period": 2, "annualization": 365.0}, {"period": 60}],
    "parkinson": [{"period": 1, "annualization": 8760.0}, {"period": 40}],
    "garman_klass": [{"period": 2}, {"period": 41}],
    "yang_zhang": [{"period": 2}, {"period": 35, "annualization": 52.0}],
    "trange": [],
    "obv": [],
}


@pytest.fixture(autouse=True)
def _numba_loaded() -> None:
    """Numba loaded, as after any batch call in a process: ``ctx.indicator`` then precomputes
    on any stream (what it does in a fresh process is the subprocess test's)."""
    importlib.import_module("alphaforge.indicators.overlap")


class _Capture(Strategy):
    """Keep the arrays the kernel holds for the run's stream (what indicators are fed)."""

    def on_stop(self, ctx: StrategyContext) -> None:
        self.arrays = {f: ctx.history(ctx.symbols[0], f) for f in FIELDS}


@cache
def _stream_arrays(name: str) -> dict[str, np.ndarray]:
    if name == "tiled_1m":  # real 5-minute bars at one-minute stamps
        frame = tiled_bars(20_000)
        return {f: frame[f].to_numpy(dtype=np.float64) for f in FIELDS}
    if name == "spx_late_inputs":  # inputs that start at different bars (a later listing)
        arrays = {f: a.copy() for f, a in _stream_arrays("spx_daily").items()}
        arrays["close"][:7] = np.nan
        arrays["high"][:3] = np.nan
        arrays["volume"][:11] = np.nan
        return arrays
    if name == "stocks20_close":  # close only: open/high/low repeat it, volume is NaN
        capture = _Capture()
        backtest(capture, name, symbols=["AAPL"], config=CFG)
        return capture.arrays
    capture = _Capture()
    backtest(capture, name, config=CFG)
    return capture.arrays


DATA = ("spx_daily", "eurusd_1h", "stocks20_close", "tiled_1m", "spx_late_inputs")


def _bits(values: np.ndarray) -> np.ndarray:
    """The IEEE bits of ``values`` (NaNs as one pattern): equal bits, equal floats, signs too."""
    bits = values.view(np.int64).copy()
    bits[np.isnan(values)] = 0
    return bits


def _state(arrays: dict[str, np.ndarray]) -> StreamState:
    n = len(arrays["close"])
    return StreamState("X", "1d", arrays, np.arange(n, dtype=np.int64))


def _streamed(spec: IndicatorSpec, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
    """Feed the streaming twin bar by bar: its values (bars x outputs) and first ready bar."""
    indicator = spec.stream(**params)
    rows = zip(*(arrays[f].tolist() for f in spec.inputs), strict=True)
    values, ready_at = [], None
    for i, row in enumerate(rows):
        values.append(indicator.update(*row))  # type: ignore[attr-defined]
        if ready_at is None and indicator.ready:
            ready_at = i
    return np.array(values, dtype=np.float64).reshape(len(values), -1), ready_at


def test_every_bar_indicator_has_two_other_parameter_sets() -> None:
    assert sorted(PARAMS) == sorted(ON_BARS)
    assert [n for n in INDICATORS if n not in ON_BARS] == ["session_vwap"]


@pytest.mark.parametrize("data", DATA)
@pytest.mark.parametrize("name", ON_BARS)
def test_batch_equals_streaming_bit_for_bit(name: str, data: str) -> None:
    spec = INDICATORS[name]
    arrays = _stream_arrays(data)
    n = len(arrays["close"])
    for params in [{}, *PARAMS[name]]:
        resolved = spec.resolve(params)
        streamed, ready_at = _streamed(spec, resolved, arrays)
        batch = spec.compute(arrays, **resolved)
        batch = np.column_stack(batch) if isinstance(batch, tuple) else batch[:, None]
        assert batch.dtype == np.float64
        np.testing.assert_array_equal(_bits(batch), _bits(streamed), err_msg=f"{params}")
        state = _state(arrays)
        handle = PrecomputedHandle.build(spec, resolved, state, (3,), load_numba=True)
        assert handle is not None
        first = n if ready_at is None else ready_at  # n: never ready in this stream
        state.position = first - 1
        assert not handle.ready, params
        if first < n:
            state.position = first
            assert handle.ready, params


@pytest.mark.parametrize("name", ON_BARS)
def test_handle_reads_what_a_streaming_handle_holds_at_every_bar(name: str) -> None:
    """value (same type: float or tuple), ready, ``h[output]`` and repr, from before the first
    bar on."""
    spec = INDICATORS[name]
    arrays = _stream_arrays("spx_late_inputs")
    state = _state(arrays)
    params = spec.resolve({})
    inputs = tuple(FIELDS.index(f) for f in spec.inputs)
    handle = PrecomputedHandle.build(spec, params, state, inputs, load_numba=True)
    assert handle is not None
    assert isinstance(handle, IndicatorHandle)
    streaming = Handle(spec.name, spec.streaming(**params), inputs, spec.outputs)
    columns = [arrays[f].tolist() for f in FIELDS]
    for i in range(-1, len(arrays["close"])):
        if i >= 0:
            streaming.update_row((columns[0][i], columns[1][i], columns[2][i], columns[3][i],
                                  columns[4][i]))  # fmt: skip
        state.position = i
        value, expected = handle.value, streaming.value
        assert type(value) is type(expected), i
        assert repr(value) == repr(expected), i  # NaN positions and every digit
        assert handle.ready is streaming.ready, i
        assert repr([handle[o] for o in spec.outputs]) == repr([streaming[o] for o in spec.outputs])
        assert repr(handle) == repr(streaming)


def test_an_empty_stream_gives_the_initial_value() -> None:
    empty = {f: np.empty(0) for f in FIELDS}
    for name in ("sma", "macd", "aroon"):
        spec = INDICATORS[name]
        handle = PrecomputedHandle.build(
            spec, spec.resolve({}), _state(empty), (3,), load_numba=True
        )
        assert handle is not None
        assert repr(handle.value) == repr(spec.stream().value)
        assert not handle.ready


_FRESH_PROCESS = """
import sys
from alphaforge.config import AlphaforgeConfig
from alphaforge.runtime import backtest
from alphaforge.strategies import Strategy

class Declare(Strategy):
    def on_start(self, ctx):
        print(type(ctx.indicator("sma")).__name__, "numba" in sys.modules)

backtest(Declare(), "spx_daily", config=AlphaforgeConfig())
import alphaforge.indicators.overlap
backtest(Declare(), "spx_daily", config=AlphaforgeConfig())
"""


def test_a_backtest_streams_rather_than_load_numba() -> None:
    """Loading Numba costs about a second and ~180 MB, more than streaming the indicators
    costs; once it is loaded, the same declaration precomputes."""
    out = subprocess.run(  # our own interpreter and code
        [sys.executable, "-c", _FRESH_PROCESS], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["Handle", "False", "PrecomputedHandle", "True"]


def _context(arrays: dict[str, np.ndarray]) -> tuple[BacktestContext, StreamState]:
    state = _state(arrays)
    ctx = BacktestContext(None, None, None, {("X", "1d"): state}, {"X": state})  # type: ignore[arg-type]
    return ctx, state


@pytest.mark.pure_only  # a context without a kernel (compiled: typed)
def test_precomputed_handles_add_no_per_bar_work() -> None:
    ctx, state = _context(_stream_arrays("spx_daily"))
    sma, macd = ctx.indicator("sma", period=5), ctx.indicator("macd")
    assert type(sma) is PrecomputedHandle
    assert type(macd) is PrecomputedTupleHandle
    assert state.updaters == []
    assert state.handles == [sma, macd]


@pytest.mark.pure_only  # a context without a kernel (compiled: typed)
def test_a_stream_with_a_gap_keeps_the_streaming_handle() -> None:
    """A NaN after the inputs started (unvalidated data): batch and streaming may part ways."""
    arrays = {f: a.copy() for f, a in _stream_arrays("spx_daily").items()}
    arrays["high"][300] = np.nan
    ctx, state = _context(arrays)
    state.position = 199  # declared late: warmed on the 200 bars so far
    atr, sma = ctx.indicator("atr"), ctx.indicator("sma")  # ATR reads high; SMA does not
    assert type(atr) is Handle
    assert type(sma) is PrecomputedHandle
    assert state.updaters == [atr.update_bar]
    fed = INDICATORS["atr"].stream()
    rows = zip(*(arrays[f].tolist() for f in ("high", "low", "close")), strict=True)
    for _, row in zip(range(200), rows, strict=False):
        fed.update(*row)  # type: ignore[attr-defined]
    assert atr.ready
    assert repr(atr.value) == repr(fed.value)
    assert np.isfinite(atr.value)


@pytest.mark.pure_only  # a context without a kernel (compiled: typed)
def test_a_handle_offers_no_way_to_the_future() -> None:
    ctx, state = _context(_stream_arrays("spx_daily"))
    state.position = 500
    handles = [ctx.indicator("sma"), ctx.indicator("bbands")]
    for handle in handles:
        public = {a for a in dir(handle) if not a.startswith("_")}
        assert public == {"build", "inputs", "name", "outputs", "ready", "value"}
        for attr in ("__array__", "__iter__", "__len__", "values"):
            assert not hasattr(handle, attr)
        with pytest.raises(InvalidValueError, match="outputs are read by name"):  # not bars
            handle[501]  # type: ignore[index]
        assert np.asarray(handle, dtype=object).shape == ()  # not the series
        with pytest.raises(AttributeError):
            handle.value = 1.0  # type: ignore[misc]
    with pytest.raises(InvalidValueError, match="did you mean 'upper'"):
        handles[1]["uper"]


class _EarlyAndLate(Strategy):
    """RSI and MACD declared at the start and again at bar ``late``; each bar both must equal
    streaming twins fed here, bar by bar, with what the strategy has seen."""

    def __init__(self, late: int) -> None:
        super().__init__()
        self.late, self.seen, self.mismatches = late, 0, []  # type: ignore[var-annotated]
        self.rsi, self.macd = RSI(14), INDICATORS["macd"].stream()

    def on_start(self, ctx: StrategyContext) -> None:
        self.early = [ctx.indicator("rsi"), ctx.indicator("macd")]
        self.late_handles: list[IndicatorHandle] = []

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        if self.seen == 0:  # the warm-up bars before ``start``, if any: not seen by on_bar
            for close in ctx.history(bar.symbol)[:-1].tolist():
                self.rsi.update(close)
                self.macd.update(close)  # type: ignore[attr-defined]
        expected = (self.rsi.update(bar.close), self.macd.update(bar.close))  # type: ignore[attr-defined]
        ready = (self.rsi.ready, self.macd.ready)
        self.seen += 1
        if self.seen == self.late:
            self.late_handles = [ctx.indicator("rsi"), ctx.indicator("macd")]
        for handles in (self.early, self.late_handles):
            got = tuple(h.value for h in handles)
            if handles and (repr(got) != repr(expected) or (handles[0].ready, handles[1].ready)
                            != ready):  # fmt: skip
                self.mismatches.append((self.seen, got, expected))


@pytest.mark.parametrize("start", [None, "2003-01-01"], ids=["no-warmup", "warm-up-bars"])
def test_late_declarations_in_a_backtest_read_the_streaming_values(start: str | None) -> None:
    strategy = _EarlyAndLate(late=150)
    result = backtest(strategy, "spx_daily", start=start, config=CFG)
    assert strategy.seen == len(result.equity)
    kinds = {type(h) for h in [*strategy.early, *strategy.late_handles]}
    assert kinds == {PrecomputedHandle, PrecomputedTupleHandle}
    assert strategy.mismatches == []
