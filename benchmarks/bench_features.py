"""Print the feature library's speed: the per-bar streaming update and the batch computation.

Run:  .venv/bin/python benchmarks/bench_features.py [--json] [--runs N]

(a) Streaming: a fresh ``FeatureSet.classic().stream()`` (37 features) is fed the 5,031 real
S&P 500 daily bars of ``spx_daily`` one by one, as ``Bar`` objects through ``update(bar)`` (what
a live strategy calls on each new bar), each call timed on its own with ``perf_counter_ns``;
``--runs`` passes after one untimed pass, so ``runs x 5,031`` samples. The p50 and p99 of the
per-call times are printed, on the wall clock and as the thread's CPU time; the target is
p99 <= 0.3 ms, so that a whole live prediction (new bar -> features -> model) stays under 1 ms.
It is judged on the CPU time: on a shared VM whose load exceeds its cores, about one call in
a hundred is preempted for a scheduler time slice (milliseconds), whatever the call costs; the
wall p99 then measures the neighbours. Both are printed, with the load average. The same for
the 24-feature close-only set through ``update_close(close)``.
(b) Batch: ``FeatureSet.classic().compute(spx_daily)``, best of ``--runs`` after one untimed call
(which also loads the Numba kernels); ``compute_panel`` of the 20 stocks' close-only features
(166,260 rows) and their cross-sectional rank and z-score, best of 3. Reported, no target.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from alphaforge.data import load_dataset
from alphaforge.domain.market import Bar
from alphaforge.features import (
    FeatureSet,
    compute_panel,
    cross_sectional_rank,
    cross_sectional_zscore,
    frames_from_wide,
)
from bench_data import machine

MAX_P99_MS = 0.3


@dataclass(frozen=True, slots=True)
class StreamFigure:
    """Per-call times of one streaming update path over many bars."""

    name: str
    features: int
    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    cpu_p50_ms: float
    cpu_p99_ms: float

    @property
    def passed(self) -> bool:
        """Judged on the CPU time: the wall p99 of a 40 µs call on a shared, loaded VM is the
        scheduler's time slice (a call preempted once in ~100 takes milliseconds)."""
        return self.cpu_p99_ms <= MAX_P99_MS


@dataclass(frozen=True, slots=True)
class BatchFigure:
    """Best wall time of one batch computation."""

    name: str
    seconds: float


def _per_call(
    make: Callable[[], Any], inputs: Sequence[Any], runs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Feed every input to a fresh stream per pass; return the timed passes' per-call ns,
    wall clock and thread CPU time."""
    walls: list[int] = []
    cpus: list[int] = []
    wall, cpu = time.perf_counter_ns, time.thread_time_ns
    for attempt in range(runs + 1):
        update = make()
        w, c = [], []
        for item in inputs:
            start_wall, start_cpu = wall(), cpu()
            update(item)
            end_cpu, end_wall = cpu(), wall()
            w.append(end_wall - start_wall)
            c.append(end_cpu - start_cpu)
        if attempt:  # the first pass is the warm-up
            walls.extend(w)
            cpus.extend(c)
    return np.asarray(walls, dtype=np.float64), np.asarray(cpus, dtype=np.float64)


def _figure(name: str, features: int, times: tuple[np.ndarray, np.ndarray]) -> StreamFigure:
    wall, cpu = times
    p50, p99 = np.percentile(wall, [50, 99]) / 1e6
    cpu50, cpu99 = np.percentile(cpu, [50, 99]) / 1e6
    return StreamFigure(
        name,
        features,
        len(wall),
        float(p50),
        float(p99),
        float(wall.max() / 1e6),
        float(cpu50),
        float(cpu99),
    )


def measure_streaming(runs: int) -> list[StreamFigure]:
    frame = load_dataset("spx_daily")
    bars = [
        Bar("SPX", "1d", o, h, lo, c, v, ts.value, ts.value)
        for ts, o, h, lo, c, v in frame.itertuples()
    ]
    classic, close_only = FeatureSet.classic(), FeatureSet.close_only()
    closes = frame["close"].tolist()
    return [
        _figure(
            "classic: stream.update(bar)",
            len(classic),
            _per_call(lambda: classic.stream().update, bars, runs),
        ),
        _figure(
            "close-only: stream.update_close(c)",
            len(close_only),
            _per_call(lambda: close_only.stream().update_close, closes, runs),
        ),
    ]


def _best(call: Callable[[], object], runs: int) -> float:
    call()
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def measure_batch(runs: int) -> list[BatchFigure]:
    frame = load_dataset("spx_daily")
    classic, close_only = FeatureSet.classic(), FeatureSet.close_only()
    frames = frames_from_wide(load_dataset("stocks20_close"))
    panel = compute_panel(frames, close_only)
    return [
        BatchFigure(
            "classic.compute(spx_daily), 5,031 bars", _best(lambda: classic.compute(frame), runs)
        ),
        BatchFigure(
            "compute_panel(stocks20, close_only)",
            _best(lambda: compute_panel(frames, close_only), 3),
        ),
        BatchFigure("cross_sectional_rank(panel)", _best(lambda: cross_sectional_rank(panel), 3)),
        BatchFigure(
            "cross_sectional_zscore(panel)", _best(lambda: cross_sectional_zscore(panel), 3)
        ),
    ]


def table(stream: list[StreamFigure], batch: list[BatchFigure], info: dict[str, str]) -> str:
    lines = [
        "alphaforge feature benchmarks",
        f"machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}, "
        f"NumPy {info['numpy']}, pandas {info['pandas']}",
        "data: spx_daily (5,031 real daily S&P 500 bars); stocks20_close (20 x 8,313 closes)",
        "",
        f"load average (1 min) at the start: {info['load']}",
        "",
        "streaming, per bar (one call each); wall clock, then the thread's CPU time",
        f"{'':<36} {'feats':>5} {'samples':>7} {'wall p50':>9} {'wall p99':>9} {'wall max':>9} "
        f"{'cpu p50':>9} {'cpu p99':>9}  target (cpu p99)  result",
    ]
    for s in stream:
        lines.append(
            f"{s.name:<36} {s.features:>5} {s.samples:>7,} {s.p50_ms:>6.3f} ms "
            f"{s.p99_ms:>6.3f} ms {s.max_ms:>6.3f} ms {s.cpu_p50_ms:>6.3f} ms "
            f"{s.cpu_p99_ms:>6.3f} ms  <= {MAX_P99_MS} ms         {'PASS' if s.passed else 'MISS'}"
        )
    lines += ["", f"{'batch (best run)':<44} {'time':>10}"]
    for b in batch:
        lines.append(f"{b.name:<44} {b.seconds * 1e3:>7.1f} ms")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--runs", type=int, default=5, help="timed passes / runs (default 5)")
    args = parser.parse_args(argv)
    runs = max(1, args.runs)
    started = time.perf_counter()
    load = f"{os.getloadavg()[0]:.2f}"
    stream = measure_streaming(runs)
    batch = measure_batch(runs)
    info = machine() | {"load": load}
    if args.json:
        payload = {
            "machine": info,
            "runs": runs,
            "streaming": [asdict(s) | {"passed": s.passed} for s in stream],
            "batch": [asdict(b) for b in batch],
        }
        print(json.dumps(payload, indent=2))
    else:
        print(table(stream, batch, info))
        print(f"\ntotal {time.perf_counter() - started:.1f} s")
    return 0 if all(s.passed for s in stream) else 1


if __name__ == "__main__":
    sys.exit(main())
