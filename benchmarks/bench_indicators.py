"""Print the indicators' speed figures: each batch indicator against its TA-Lib twin, and the
streaming update cost of SMA, EMA, RSI and ATR.

Run:  .venv/bin/python benchmarks/bench_indicators.py [--json] [--runs N]

The data are the million bars of ``bench_data.py`` (real Binance ETH/BTC 5-minute bars tiled end
to end, each copy rescaled to open where the previous one closed). Every batch figure is the best
of ``--runs`` timed calls after one untimed call (which also compiles the Numba kernels), ours and
TA-Lib's calls alternating so that a busy machine slows both alike, with the registry's default
parameters on both sides; the target is at most 2x TA-Lib's time. The
streaming figure is a plain Python loop ``for x in closes: ind.update(x)`` over the first 200,000
closes (as Python floats), divided by the count: it includes the loop and the method call, which
alone cost about 0.05-0.2 µs in CPython; the target is at most 1 µs per update.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import talib

from alphaforge.indicators import INDICATORS
from alphaforge.indicators.streaming import ATR, EMA, RSI, SMA
from bench_data import ROWS, machine, million_bars

MAX_RATIO = 2.0
MAX_STREAM_US = 1.0
STREAM_BARS = 200_000

# Our parameter names -> TA-Lib's, for the indicators that have a twin.
TALIB_NAMES = {
    "period": "timeperiod",
    "nbdev_up": "nbdevup",
    "nbdev_dn": "nbdevdn",
    "fast_period": "fastperiod",
    "slow_period": "slowperiod",
    "signal_period": "signalperiod",
}


@dataclass(frozen=True, slots=True)
class BatchFigure:
    """One indicator: our best time against TA-Lib's on the same arrays and parameters."""

    name: str
    ours: float
    talib: float

    @property
    def ratio(self) -> float:
        return self.ours / self.talib

    @property
    def passed(self) -> bool:
        return self.ratio <= MAX_RATIO


@dataclass(frozen=True, slots=True)
class StreamFigure:
    """One streaming class: best seconds per update over the loop."""

    name: str
    per_update: float

    @property
    def passed(self) -> bool:
        return self.per_update * 1e6 <= MAX_STREAM_US


def talib_call(name: str, columns: dict[str, np.ndarray]) -> Callable[[], object]:
    """Return a call of ``name``'s TA-Lib twin with the registry defaults."""
    spec = INDICATORS[name]
    if name == "donchian":  # its upper and lower bands are TA-Lib's MAX(high) and MIN(low)
        high, low, period = columns["high"], columns["low"], int(spec.params["period"])
        return lambda: (talib.MAX(high, period), talib.MIN(low, period))
    function = getattr(talib, str(spec.talib))
    kwargs = {TALIB_NAMES.get(k, k): v for k, v in spec.params.items()}
    arrays = [columns[field] for field in spec.inputs]
    return lambda: function(*arrays, **kwargs)


def ours_call(name: str, columns: dict[str, np.ndarray]) -> Callable[[], object]:
    """Return a call of our batch function with the registry defaults."""
    spec = INDICATORS[name]
    arrays = [columns[field] for field in spec.inputs]
    params = dict(spec.params)
    return lambda: spec.batch(*arrays, **params)


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def measure_batch(columns: dict[str, np.ndarray], runs: int) -> list[BatchFigure]:
    """Time ours and TA-Lib's alternately (a busy machine slows both alike), best of ``runs``."""
    figures = []
    for name, spec in INDICATORS.items():
        if spec.talib is None and name != "donchian":
            continue
        ours_fn, talib_fn = ours_call(name, columns), talib_call(name, columns)
        ours_fn()  # compiles (or loads) the Numba kernels
        talib_fn()
        ours, theirs = float("inf"), float("inf")
        for _ in range(runs):
            ours = min(ours, _timed(ours_fn))
            theirs = min(theirs, _timed(talib_fn))
        figures.append(BatchFigure(name, ours, theirs))
    return figures


def _stream_time(make: Callable[[], Any], rows: Sequence[tuple[Any, ...]], runs: int) -> float:
    best = float("inf")
    for attempt in range(runs + 1):
        update = make().update
        start = time.perf_counter()
        for row in rows:
            update(*row)
        elapsed = time.perf_counter() - start
        if attempt:  # the first pass is the warm-up
            best = min(best, elapsed)
    return best / len(rows)


def measure_streaming(columns: dict[str, np.ndarray], runs: int) -> list[StreamFigure]:
    closes = columns["close"][:STREAM_BARS].tolist()
    highs = columns["high"][:STREAM_BARS].tolist()
    lows = columns["low"][:STREAM_BARS].tolist()
    single = [(x,) for x in closes]
    triple = list(zip(highs, lows, closes, strict=True))
    return [
        StreamFigure("SMA(30).update(close)", _stream_time(SMA, single, runs)),
        StreamFigure("EMA(30).update(close)", _stream_time(EMA, single, runs)),
        StreamFigure("RSI(14).update(close)", _stream_time(RSI, single, runs)),
        StreamFigure("ATR(14).update(high, low, close)", _stream_time(ATR, triple, runs)),
    ]


def table(
    batch: list[BatchFigure], stream: list[StreamFigure], info: dict[str, str], runs: int
) -> str:
    lines = [
        f"alphaforge indicator benchmarks (best of {runs} after a warm-up)",
        f"machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}, "
        f"NumPy {info['numpy']}, TA-Lib {talib.__version__}",
        f"data: {ROWS:,} real 5-minute ETH/BTC bars, tiled end to end; registry defaults",
        "",
        f"{'indicator':<12} {'ours':>9} {'TA-Lib':>9} {'ratio':>6}  {'target':<7} result",
    ]
    for f in batch:
        lines.append(
            f"{f.name:<12} {f.ours * 1e3:>6.2f} ms {f.talib * 1e3:>6.2f} ms {f.ratio:>6.2f}  "
            f"{'<= 2.0':<7} {'PASS' if f.passed else 'MISS'}"
        )
    lines.append(
        "(donchian is timed against TA-Lib MAX(high) + MIN(low), its upper and lower bands)"
    )
    lines += ["", f"{'streaming (per update, loop included)':<40} {'time':>9}  target   result"]
    for s in stream:
        lines.append(
            f"{s.name:<40} {s.per_update * 1e6:>6.3f} µs  <= 1 µs  {'PASS' if s.passed else 'MISS'}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per figure (default 15)")
    args = parser.parse_args(argv)
    runs = max(1, args.runs)
    started = time.perf_counter()
    frame = million_bars()
    columns = {str(c): np.ascontiguousarray(frame[c].to_numpy(), dtype=np.float64) for c in frame}
    batch = measure_batch(columns, runs)
    stream = measure_streaming(columns, runs)
    info = machine()
    if args.json:
        payload = {
            "machine": info,
            "runs": runs,
            "batch": [asdict(f) | {"ratio": f.ratio, "passed": f.passed} for f in batch],
            "streaming": [asdict(s) | {"passed": s.passed} for s in stream],
        }
        print(json.dumps(payload, indent=2))
    else:
        print(table(batch, stream, info, runs))
        print(f"\ntotal {time.perf_counter() - started:.1f} s")
    ok = all(f.passed for f in batch) and all(s.passed for s in stream)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
