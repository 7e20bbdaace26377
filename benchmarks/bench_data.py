"""Print the data layer's speed figures: catalog load, validation, feed merge and iteration,
resampling. Every figure is the best of several timed runs after a warm-up, on real bundled data.

Run:  .venv/bin/python benchmarks/bench_data.py [--json] [--runs N]

The million-bar frame is real Binance ETH/BTC 5-minute bars tiled end to end (each copy rescaled
to open where the previous one closed) and restamped one minute apart: real shapes and volumes,
gap-free, a million rows. The merge uses the bundled 20 US stocks (8,313 daily closes each).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from alphaforge.data.bundled import dataset_info, load_dataset
from alphaforge.data.catalog import Catalog
from alphaforge.data.feed import HistoricalFeed
from alphaforge.data.resample import resample_bars
from alphaforge.data.validation import validate_frame
from alphaforge.testing import tiled_bars

ROWS = 1_000_000
STOCKS = "stocks20_close"


@dataclass(frozen=True, slots=True)
class Figure:
    """One line of the table: what was timed, how fast, against which target."""

    name: str
    seconds: float  # best run
    median: float  # median run: how noisy the machine was
    items: int
    unit: str  # what ``items`` counts: bars, events
    target: str
    passed: bool | None  # None: no target

    @property
    def rate(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else float("inf")


def best_of(run: Callable[[], object], runs: int, warmup: int = 1) -> tuple[float, float]:
    """Return the fastest and the median of ``runs`` timed calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times), float(np.median(times))


def million_bars() -> pd.DataFrame:
    """Real 5-minute ETH/BTC bars tiled to a million rows, one minute apart (see module doc)."""
    return tiled_bars(ROWS)


def stock_frames() -> dict[str, pd.DataFrame]:
    """The 20 bundled stocks, one close-only frame each (as the catalog and feed hold them)."""
    wide = load_dataset(STOCKS)
    return {str(c): wide[[c]].dropna().rename(columns={c: "close"}).copy() for c in wide.columns}


def build_feed(frames: dict[str, pd.DataFrame]) -> HistoricalFeed:
    feed = HistoricalFeed()
    for symbol, frame in frames.items():
        feed.add_bars(symbol, "1d", frame, calendar="XNYS")
    return feed


def figure(
    name: str,
    times: tuple[float, float],
    items: int,
    unit: str,
    *,
    max_s: float = 0.0,
    min_rate: float = 0.0,
) -> Figure:
    """A figure judged on its best run: a time limit (``max_s``), a rate floor, or no target."""
    best, median = times
    if max_s:
        return Figure(name, best, median, items, unit, f"<= {max_s:g} s", best <= max_s)
    if min_rate:
        target = f">= {min_rate / 1e6:g} M {unit}/s"
        return Figure(name, best, median, items, unit, target, items / best >= min_rate)
    return Figure(name, best, median, items, unit, "-", None)


def measure(runs: int) -> list[Figure]:
    bars = million_bars()
    figures = []
    with tempfile.TemporaryDirectory(prefix="alphaforge-bench-") as root:
        catalog = Catalog(Path(root))
        catalog.import_frame("ETHBTC", "1m", bars, calendar="24/7", source="bench")
        loaded = catalog.load("ETHBTC", "1m")
        if len(loaded) != ROWS:
            raise SystemExit(f"catalog returned {len(loaded)} rows, expected {ROWS}")
        times = best_of(lambda: catalog.load("ETHBTC", "1m"), runs)
        figures.append(figure("(a) catalog load, 1M 1m bars", times, ROWS, "bars", max_s=0.1))

    def validate() -> object:
        return validate_frame(bars, source="bench", calendar="24/7", frequency="1m")

    times = best_of(validate, runs)
    figures.append(figure("(b) validate_frame, 1M bars", times, ROWS, "bars", max_s=0.2))

    frames = stock_frames()
    events = sum(len(f) for f in frames.values())
    times = best_of(lambda: build_feed(frames).arrays(), runs)
    name = f"(c) feed merge, {len(frames)} stocks -> arrays()"
    figures.append(figure(name, times, events, "events", min_rate=2_000_000))

    feed = build_feed(frames)
    feed.arrays()  # merged once; the figure is the cost of building Bar objects

    def iterate() -> int:
        n = 0
        for _ in feed:
            n += 1
        return n

    times = best_of(iterate, runs)
    figures.append(figure("(d) feed iteration as Bar objects", times, events, "events"))

    times = best_of(lambda: resample_bars(bars, "1h", source_timeframe="1m"), runs)
    figures.append(figure("(e) resample_bars 1M 1m -> 1h", times, ROWS, "bars"))
    return figures


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, str]:
    return {
        "cpu": cpu_model(),
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "platform": platform.platform(),
        "tmp": tempfile.gettempdir(),
    }


def _stock_rows() -> str:
    rows = dataset_info(STOCKS).rows
    enough = "at least" if rows >= 8_000 else "FEWER than"
    return f"{rows:,} daily closes per symbol ({enough} the 8,000 asked for), 20 symbols"


def table(figures: list[Figure], info: dict[str, str], runs: int) -> str:
    lines = [
        f"alphaforge data benchmarks (best of {runs} after a warm-up)",
        f"machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}, "
        f"NumPy {info['numpy']}, pandas {info['pandas']}",
        f"catalog folder: {info['tmp']} (a temporary folder, removed afterwards)",
        f"stocks: {_stock_rows()}",
        "",
        f"{'figure':<40} {'best':>9} {'median':>9} {'rate (best)':>17}  {'target':<19} result",
    ]
    for f in figures:
        verdict = "-" if f.passed is None else ("PASS" if f.passed else "MISS")
        rate = f"{f.rate / 1e6:,.2f} M {f.unit}/s"
        lines.append(
            f"{f.name:<40} {f.seconds * 1e3:>6.1f} ms {f.median * 1e3:>6.1f} ms {rate:>17}  "
            f"{f.target:<19} {verdict}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per figure (default 7)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    figures = measure(max(1, args.runs))
    info = machine()
    if args.json:
        rows = [asdict(f) | {"rate_per_s": f.rate} for f in figures]
        print(json.dumps({"machine": info, "runs": args.runs, "figures": rows}, indent=2))
    else:
        print(table(figures, info, args.runs))
        print(f"\ntotal {time.perf_counter() - started:.1f} s")
    return 0 if all(f.passed is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
