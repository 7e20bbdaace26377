"""Print the Monte Carlo speed figures: 10,000 paths of a 5,000-bar strategy.

Run:  .venv/bin/python benchmarks/bench_montecarlo.py [--json] [--runs N] [--paths N]

The strategy is SMA cross 20/100 on the bundled S&P 500 (``spx_daily``: 5,031 real daily bars,
so 5,030 returns); its equity comes from one event-engine ``backtest()`` (untimed).

(a) ``bootstrap_returns(method="iid")``: 10,000 paths of 5,030 bars, every path's final return,
    max drawdown, Sharpe ratio and lowest equity, and the 5/25/50/75/95 % bands of 500 kept
    equity curves. Target from the issue: <= 10 s on 2 cores.
(b) the same with ``method="block"`` (circular blocks of the Politis-White length, chosen
    inside the timed call). Target: <= 10 s.
(c) ``method="stationary"`` (random block lengths), reported.
(d) ``reshuffle_trades`` of the run's closed trades, 10,000 orders, reported.
(e) (b) on a process pool of 2 workers, pool start-up included, reported: the same figures
    as (b), bit for bit.

Each runs in this process unless said otherwise: the paths are computed on the fly by a Numba
kernel, one task of 250 paths at a time, so memory stays bounded (the peak traced memory of (b)
is printed next to the 400 MB that a 10,000 x 5,031 equity matrix would take). Every figure is
the best of ``--runs`` timed runs after one untimed warm-up (which compiles or loads the
kernels); the median is printed beside it. Misses print MISS; the exit status is 0 unless the
script itself fails.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from alphaforge.research.backends import ProcessBackend
from alphaforge.research.montecarlo import bootstrap_returns, reshuffle_trades
from alphaforge.runtime import backtest
from bench_data import machine

TARGET_S = 10.0
PATHS = 10_000
PARAMS = {"fast": 20, "slow": 100}


@dataclass(frozen=True, slots=True)
class Figure:
    """One timed figure with its target (``None``: reported only)."""

    name: str
    best: float
    median: float
    target: str
    passed: bool | None


def _times(call: Callable[[], object], runs: int) -> tuple[float, float]:
    call()  # warm-up: compiles or loads the kernels
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return min(seconds), statistics.median(seconds)


def _peak_mb(call: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def measure(runs: int, paths: int) -> tuple[list[Figure], dict[str, Any]]:
    run = backtest("sma_cross", "spx_daily", params=PARAMS)
    returns: pd.Series = run.equity["equity"].pct_change().iloc[1:]
    trades = run.trades[run.trades["exit_reason"] != "open at end"]
    cash = float(run.settings["backtest"]["cash"])

    def iid() -> object:
        return bootstrap_returns(returns, paths, method="iid", seed=1, start_equity=cash)

    def block() -> object:
        return bootstrap_returns(returns, paths, method="block", seed=1, start_equity=cash)

    def stationary() -> object:
        return bootstrap_returns(returns, paths, method="stationary", seed=1, start_equity=cash)

    def shuffle() -> object:
        return reshuffle_trades(trades, paths, start_equity=cash, seed=1)

    def pooled() -> object:
        with ProcessBackend(workers=2) as pool:
            return bootstrap_returns(returns, paths, method="block", seed=1, start_equity=cash,
                                     backend=pool)  # fmt: skip

    timed = [
        (f"(a) iid bootstrap, {paths:,} paths", iid, True),
        (f"(b) block bootstrap, {paths:,} paths", block, True),
        (f"(c) stationary bootstrap, {paths:,} paths", stationary, False),
        (f"(d) {len(trades)} trades reshuffled, {paths:,} orders", shuffle, False),
        ("(e) (b) on 2 worker processes", pooled, False),
    ]
    figures = []
    for name, call, judged in timed:
        best, median = _times(call, runs)
        target = f"<= {TARGET_S:g} s" if judged else "-"
        figures.append(Figure(name, best, median, target, best <= TARGET_S if judged else None))
    result: Any = block()
    same = result.paths.equals(pooled().paths)  # type: ignore[attr-defined]
    facts = {
        "bars": len(run.equity),
        "returns": len(returns),
        "block": result.block,
        "peak_mb_block": _peak_mb(block),
        "matrix_mb": paths * len(run.equity) * 8 / 1e6,
        "process_equals_serial": bool(same),
        "median_final_return": float(result.paths["final_return"].median()),
        "original_final_return": float(result.original["final_return"]),
    }
    return figures, facts


def table(figures: list[Figure], facts: dict[str, Any], info: dict[str, str], runs: int) -> str:
    lines = [
        f"alphaforge Monte Carlo benchmarks (best of {runs} after a warm-up)",
        f"machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}, "
        f"NumPy {info['numpy']}",
        f"data: SMA cross 20/100 on spx_daily, {facts['bars']:,} bars ({facts['returns']:,} "
        f"returns); block length {facts['block']:g} (Politis-White)",
        "",
        f"{'figure':<44} {'best':>9} {'median':>9}   {'target':<10} result",
    ]
    for f in figures:
        verdict = "-" if f.passed is None else ("PASS" if f.passed else "MISS")
        lines.append(f"{f.name:<44} {f.best:>7.3f} s {f.median:>7.3f} s   {f.target:<10} {verdict}")
    lines += [
        "",
        f"peak traced memory of (b): {facts['peak_mb_block']:,.0f} MB (a full paths x bars "
        f"equity matrix would be {facts['matrix_mb']:,.0f} MB)",
        f"(e) equals (b) bit for bit: {facts['process_equals_serial']}; median final return "
        f"{facts['median_final_return']:+.1%} (original {facts['original_final_return']:+.1%})",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (default 5)")
    parser.add_argument("--paths", type=int, default=PATHS, help="paths (default 10,000)")
    args = parser.parse_args(argv)
    runs = max(1, args.runs)
    started = time.perf_counter()
    figures, facts = measure(runs, args.paths)
    info = machine()
    if args.json:
        payload = {"machine": info, "runs": runs, "facts": facts}
        payload["figures"] = [asdict(f) for f in figures]
        print(json.dumps(payload, indent=2))
    else:
        print(table(figures, facts, info, runs))
        print(f"\ntotal {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
