"""How long the bundled default comparison takes: every applicable strategy x S&P 500, NASDAQ,
MSFT, GOOG, the 20 stocks, EUR/USD and ETH/BTC, split in-sample / out-of-sample at 2014-01-01.

    .venv/bin/python benchmarks/bench_compare.py               # what make bench runs
    .venv/bin/python benchmarks/bench_compare.py --workers 2

This is exactly ``alphaforge compare --split 2014-01-01`` (the run quoted in
docs/strategies.md), timed from planning to the last row, process start-up of the workers
included. Target from the issue: under 120 s on 2 cores. Also prints the slowest jobs, which is
where to look when the figure grows.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

from alphaforge.runtime.compare import asset_groups, plan_jobs, run_compare

TARGET_S = 120.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=None, help="processes (default: cores)")
    parser.add_argument("--split", default="2014-01-01")
    args = parser.parse_args()
    workers = args.workers or os.cpu_count() or 1
    t0 = time.perf_counter()
    jobs = plan_jobs(None, asset_groups(None), split=args.split)
    result = run_compare(jobs, workers=workers, split=args.split)
    seconds = time.perf_counter() - t0
    table = result.table
    print("alphaforge compare benchmark: the bundled default run")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {workers} workers")  # fmt: skip
    failed = int((table["error"] != "").sum())
    strategies = table["strategy"].nunique()
    print(f"{len(table)} backtests ({strategies} strategies), {failed} failed")
    print("slowest jobs (seconds inside the worker):")
    for r in table.sort_values("seconds", ascending=False).head(5).to_dict("records"):
        print(f"  {r['seconds']:7.2f}  {r['strategy']} on {r['asset']} ({r['period']})")
    verdict = "PASS" if seconds <= TARGET_S else "MISS"
    print(f"{'wall time':<20}{seconds:>10.1f} s   target <= {TARGET_S:.0f} s on 2 cores  {verdict}")


if __name__ == "__main__":
    main()
