"""Event-engine speed: bars per second, next to backtesting.py on the same machine and data.

    .venv/bin/python benchmarks/bench_engine.py            # the table (make bench runs it)
    .venv/bin/python benchmarks/bench_engine.py --bars 200000

Figures (best of ``--runs`` after a warm-up run, whole ``backtest()`` calls: validation, feed
merge, the loop, trades and metrics):

(a) one symbol, ``--bars`` real 1-minute-spaced bars (``alphaforge.testing.tiled_bars``), the
    built-in ``sma_cross`` 10/30 (a Python ``on_bar``), risk engine on, 1 bp commission and
    1 bp slippage;
(a2) the same bars with ``buy_and_hold`` (one order in all): the per-bar cost of the kernel alone,
    so that (a) - (a2) shows what the orders cost;
(b) backtesting.py's ``Backtest.run`` of the same SMA 10/30 cross on the same bars
    (``backtesting`` from the ``bench`` extra), and the ratio (a) / (b);
(c) 20 stocks x 8,313 daily closes (``stocks20_close``), a monthly equal-weight rebalance with
    ``ctx.target_weights``: bar-events per second;
(d) peak resident memory of a child process running (a) once.

Targets from the issue: (a) >= 300,000 bars/s and >= 2x (b); (c) >= 300,000 bar-events/s;
(d) <= 500 MB. A missed target prints MISS; the script still exits 0 (these are measurements).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from alphaforge import _native
from alphaforge.config import AlphaforgeConfig
from alphaforge.domain.market import Bar
from alphaforge.runtime import backtest
from alphaforge.strategies import Strategy, StrategyContext
from alphaforge.testing import tiled_bars

CFG = AlphaforgeConfig()


class MonthlyEqualWeight(Strategy):
    """Rebalance to equal weights on the first bar of each month."""

    def on_start(self, ctx: StrategyContext) -> None:
        self._month = -1

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        month = ctx.now.month
        if month != self._month and bar.symbol == ctx.symbols[-1]:
            self._month = month
            weight = 0.99 / len(ctx.symbols)
            ctx.target_weights(dict.fromkeys(ctx.symbols, weight))


def _cpu_model() -> str:
    """The CPU's model name where Linux tells it (figures differ a lot between models)."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return f"{line.split(':', 1)[1].strip()}, {os.cpu_count()} cores"
    except OSError:
        pass
    return platform.processor() or platform.machine()


def best_of(run: Callable[[], object], runs: int) -> float:
    run()  # warm-up: JIT, caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def event_sma(frame: pd.DataFrame) -> None:
    backtest(
        "sma_cross",
        {"ETHBTC": frame},
        params={"fast": 10, "slow": 30},
        calendar="24/7",
        timeframe="1m",
        fractional=True,
        config=CFG,
    )


def sma_fills(frame: pd.DataFrame) -> pd.DataFrame:
    result = backtest("sma_cross", {"ETHBTC": frame}, params={"fast": 10, "slow": 30},
                      calendar="24/7", timeframe="1m", fractional=True, config=CFG)  # fmt: skip
    return result.fills


def event_hold(frame: pd.DataFrame) -> None:
    backtest("buy_and_hold", {"ETHBTC": frame}, calendar="24/7", timeframe="1m", fractional=True,
             config=CFG)  # fmt: skip


def backtesting_py(frame: pd.DataFrame) -> Callable[[], object]:
    from backtesting import Backtest  # noqa: PLC0415  # optional: the bench extra
    from backtesting import Strategy as BtStrategy  # noqa: PLC0415
    from backtesting.lib import crossover  # noqa: PLC0415

    def sma(values: np.ndarray, n: int) -> np.ndarray:
        return pd.Series(values).rolling(n).mean().to_numpy()

    class SmaCross(BtStrategy):  # type: ignore[misc]
        def init(self) -> None:
            self.fast = self.I(sma, self.data.Close, 10)
            self.slow = self.I(sma, self.data.Close, 30)

        def next(self) -> None:
            if crossover(self.fast, self.slow):
                self.buy()
            elif crossover(self.slow, self.fast):
                self.position.close()

    data = frame.rename(columns=str.capitalize).tz_localize(None)
    bt = Backtest(data, SmaCross, cash=1e9, commission=1e-4, finalize_trades=True)
    return bt.run


def child_peak_mb(bars: int) -> float:
    """Peak resident memory of a fresh process that runs (a) once, as that process reports it.

    The child reads its own high-water mark (``VmHWM``, Linux): ``ru_maxrss`` would also count
    the pages the child, forked from this by then large process, held before it exec'd.
    """
    code = (
        "import sys; sys.path.insert(0, 'benchmarks');"
        "from bench_engine import event_sma; from alphaforge.testing import tiled_bars;"
        f"event_sma(tiled_bars({bars}));"
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    )
    return int(done.stdout.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--bt-bars", type=int, default=100_000, help="bars for backtesting.py")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    cpu = _cpu_model()
    print(f"alphaforge event-engine benchmark (best of {args.runs} after a warm-up)")
    print(f"machine: {cpu}, Python {platform.python_version()}")
    print(f"core: {_native.status()}")  # compiled by mypyc at install, or ALPHAFORGE_PURE=1
    frame = tiled_bars(args.bars)
    rows = []
    t = best_of(lambda: event_sma(frame), args.runs)
    rate_a = args.bars / t
    rows.append(
        (
            "(a) event engine, SMA 10/30, 1 symbol",
            f"{rate_a:,.0f} bars/s",
            ">= 300,000",
            rate_a >= 300_000,
        )
    )
    t_hold = best_of(lambda: event_hold(frame), args.runs)
    orders = len(sma_fills(frame))
    per_order = (t - t_hold) / max(orders, 1) * 1e6
    rows.append(("(a2) same bars, buy and hold", f"{args.bars / t_hold:,.0f} bars/s", "-", None))
    rows.append(
        ("     cost per order of (a): (a)-(a2)", f"{per_order:,.0f} µs x {orders:,}", "-", None)
    )
    try:
        small = tiled_bars(args.bt_bars)
        t_bt = best_of(backtesting_py(small), args.runs)
        rate_b = args.bt_bars / t_bt
        rows.append(("(b) backtesting.py, same strategy", f"{rate_b:,.0f} bars/s", "-", None))
        rows.append(
            ("    ratio (a) / (b)", f"{rate_a / rate_b:.1f}x", ">= 2x", rate_a / rate_b >= 2)
        )
    except ImportError:
        rows.append(("(b) backtesting.py", "not installed (pip install -e '.[bench]')", "-", None))
    strategy = MonthlyEqualWeight()
    events = 20 * 8313
    t = best_of(lambda: backtest(strategy, "stocks20_close", config=CFG), args.runs)
    rate_c = events / t
    rows.append(
        (
            "(c) 20 stocks daily, monthly rebalance",
            f"{rate_c:,.0f} events/s",
            ">= 300,000",
            rate_c >= 300_000,
        )
    )
    peak = child_peak_mb(args.bars)
    rows.append(
        (f"(d) peak memory, (a) on {args.bars:,} bars", f"{peak:,.0f} MB", "<= 500 MB", peak <= 500)
    )
    print()
    print(f"{'figure':<44}{'measured':>26}  {'target':<12}result")
    for name, value, target, ok in rows:
        verdict = "" if ok is None else ("PASS" if ok else "MISS")
        print(f"{name:<44}{value:>26}  {target:<12}{verdict}")


if __name__ == "__main__":
    main()
