"""How long a walk-forward optimization takes: SMA cross on the daily S&P 500, 10 rolling windows
(75 % train / 25 % test), 200 trials per window.

    .venv/bin/python benchmarks/bench_walkforward.py                  # tpe, process pool
    .venv/bin/python benchmarks/bench_walkforward.py --method random --workers 2
    .venv/bin/python benchmarks/bench_walkforward.py --out /tmp/wf    # streaming to disk too

Timed from the first window's optimization to the stitched result: every window's search
(``--method tpe``, Optuna's Bayesian sampler, by default; ``random`` draws 200 sets), the
overfitting statistics of each window (the best set's rerun, PBO by CSCV over 16 blocks), the
test runs and the stitched metrics, PSR and DSR. Process start-up of the workers is included;
the data load and the window arithmetic before it are not (about 0.5 s). Search space:
fast 5..100 step 5 x slow 20..300 step 10 (sets with fast >= slow are refused by the strategy
and not counted as trials). Target from the issue: 30 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

from alphaforge.research.backends import get_backend
from alphaforge.research.walkforward import walk_forward
from alphaforge.runtime.objective import StrategyObjective
from alphaforge.runtime.walkforward import strategy_windows
from alphaforge.strategies.space import IntRange

TARGET_S = 30.0
WINDOWS = 10
TRIALS = 200
SPACE = {"fast": IntRange(5, 100, 5), "slow": IntRange(20, 300, 10)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--method", default="tpe", choices=("tpe", "random"))
    parser.add_argument("--backend", default="process", choices=("process", "serial", "ray"))
    parser.add_argument("--workers", type=int, default=None, help="processes (default: cores)")
    parser.add_argument("--out", default=None, help="stream each window's study here")
    args = parser.parse_args()
    objective = StrategyObjective("sma_cross", data="spx_daily")
    windows = strategy_windows(objective, n_windows=WINDOWS, train=0.75, scheme="rolling")
    with get_backend(args.backend, workers=args.workers) as backend:
        t0 = time.perf_counter()
        result = walk_forward(
            objective, SPACE, windows, method=args.method, n_trials=TRIALS, seed=7,
            backend=backend, out=args.out,
        )  # fmt: skip
        seconds = time.perf_counter() - t0
        where = backend.describe()
    print("alphaforge walk-forward benchmark")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, backend {where}")  # fmt: skip
    print(f"method {args.method}, {TRIALS} asked per window, {result.total_trials:,} trials run "
          f"({sum(s.invalid for s in result.studies):,} sets refused), "
          f"{'streaming to ' + args.out if args.out else 'in memory'}")  # fmt: skip
    print(f"window searches: {', '.join(f'{s.seconds:.1f}' for s in result.studies)} s")
    oos, ins = result.oos_metrics, result.is_metrics
    print(f"OOS Sharpe {oos.sharpe_ratio:.2f} vs IS {ins.sharpe_ratio:.2f}; WFE (Sharpe) "
          f"{result.efficiency['sharpe_ratio']:.2f}; OOS PSR "
          f"{result.overfitting.psr if result.overfitting else float('nan'):.2f}")  # fmt: skip
    verdict = "PASS" if seconds <= TARGET_S else "MISS"
    label = f"walk-forward {WINDOWS} windows x {TRIALS} trials on spx_daily"
    print(f"{label:<50}{seconds:>8.1f} s   target <= {TARGET_S:.0f} s on 2 cores  {verdict}")


if __name__ == "__main__":
    main()
