"""Print the vectorized engine's speed figures, next to vectorbt's on the same signals.

Run:  .venv/bin/python benchmarks/bench_vector.py [--json] [--runs N]

(a) SMA cross 10/30 on the million bars of ``bench_data.py`` (real Binance ETH/BTC 5-minute
    bars tiled end to end), *including the indicators*: ``sma_cross_weights`` (two SMAs and the
    change detection) then ``run_vector`` (fills at the next open with 1 bp commission and 1 bp
    slippage, ticks and lots of 1e-8 as the runtime's crypto instrument, the risk limits, the
    cash and position book-keeping and the equity of every bar). Target: at least 50,000,000
    bars/s.
(b) vectorbt's ``Portfolio.from_signals`` on the same entries and exits (NumPy inputs, its
    fastest path; fees and slippage 1 bp; it fills at the close and trades fractional units),
    timed alone, without the indicators. Target: (a) at least 30x faster.
(c) ``sweep`` of 1,000 SMA-cross parameter sets (fast 2..41 x slow 50..290) over 5,000 daily
    S&P 500 bars: indicators once per distinct window, a full kernel run and the metrics per
    set. Target: under 1 s.
(d) ``run_vector`` alone on (a)'s weights, for reference (no target).
(e) ``sma_cross_weights`` alone: the two SMAs (running sums bit for bit those of the streaming
    indicators, which is a chain of dependent additions) and the change detection.
(f) ``run_vector`` on weights without a decision: one pass that marks every bar and records
    its equity, no order. (e) and (f) are the floor under (a) before any order or fill; the
    table ends with what a 30x margin over (b) leaves, and what each order and fill costs
    ((d) - (f) over the fills).

Every figure is the best of ``--runs`` timed runs after one untimed warm-up (which compiles the
Numba kernels, ours and vectorbt's), ours and vectorbt's alternating. Misses are printed as MISS;
the exit status is 0 unless the script itself fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from alphaforge.data.bundled import load_dataset
from alphaforge.research import run_vector, sma_cross_weights, sweep
from bench_data import ROWS, machine, million_bars

MIN_BARS_PER_S = 50_000_000
MIN_VS_VECTORBT = 30.0
MAX_SWEEP_S = 1.0
SWEEP_BARS = 5_000
GRID = {"fast": list(range(2, 42)), "slow": list(range(50, 300, 10))}
COSTS: dict[str, Any] = {"cash": 100_000, "commission_bps": 1.0, "slippage_bps": 1.0}


@dataclass(frozen=True, slots=True)
class Figure:
    """One timed figure with its target (``None``: reported only)."""

    name: str
    seconds: float
    value: float
    unit: str
    target: str
    passed: bool | None


def _best(call: Callable[[], object], runs: int) -> float:
    call()  # warm-up: compiles or loads the kernels
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


#: The runtime's instrument for a crypto pair (``Instrument.crypto``): ticks and lots of 1e-8.
STEPS: dict[str, Any] = {"tick_size": "0.00000001", "lot_size": "0.00000001"}


def measure(runs: int) -> tuple[list[Figure], dict[str, Any]]:
    frame = million_bars()
    close = np.ascontiguousarray(frame["close"].to_numpy())
    open_ = np.ascontiguousarray(frame["open"].to_numpy())
    steps = STEPS

    def ours() -> object:
        weights = sma_cross_weights(close, 10, 30)
        return run_vector(close, open_, weights=weights, **steps, **COSTS)

    weights = np.asarray(sma_cross_weights(close, 10, 30))
    entries, exits = weights > 0, weights == 0

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import vectorbt as vbt  # noqa: PLC0415  # optional: only this benchmark needs it

    def theirs() -> object:
        return vbt.Portfolio.from_signals(
            close, entries, exits, init_cash=100_000.0, fees=1e-4, slippage=1e-4
        )

    ours(), theirs()  # warm-ups (compilation)
    t_ours, t_theirs = float("inf"), float("inf")
    for _ in range(runs):
        t_ours = min(t_ours, _best(ours, 1))
        t_theirs = min(t_theirs, _best(theirs, 1))
    t_kernel = _best(lambda: run_vector(close, open_, weights=weights, **steps, **COSTS), runs)
    t_signals = _best(lambda: sma_cross_weights(close, 10, 30), runs)
    idle = np.full(close.shape[0], np.nan)
    t_idle = _best(lambda: run_vector(close, open_, weights=idle, **steps, **COSTS), runs)

    spx = load_dataset("spx_daily").iloc[:SWEEP_BARS]
    s_close, s_open = spx["close"].to_numpy(), spx["open"].to_numpy()
    n_sets = len(GRID["fast"]) * len(GRID["slow"])
    t_sweep = _best(lambda: sweep(s_close, s_open, GRID, "sma_cross", **COSTS), runs)

    result = run_vector(close, open_, weights=weights, **steps, **COSTS)
    pf = theirs()
    facts = {
        "fills_ours": result.n_fills,
        "final_equity_ours": float(result.equity[-1]),
        "orders_vectorbt": int(pf.orders.count()),
        "final_value_vectorbt": float(pf.final_value()),
        "vectorbt": vbt.__version__,
        "sweep_sets": n_sets,
        "budget_ms": t_theirs / MIN_VS_VECTORBT * 1e3,
        "floor_ms": (t_signals + t_idle) * 1e3,
        "ns_per_fill": (t_kernel - t_idle) / max(result.n_fills, 1) * 1e9,
    }
    rate = ROWS / t_ours
    ratio = t_theirs / t_ours
    figures = [
        Figure(
            "(a) SMA cross 10/30, indicators + run_vector",
            t_ours,
            rate,
            "bars/s",
            f">= {MIN_BARS_PER_S:,}",
            rate >= MIN_BARS_PER_S,
        ),
        Figure(
            "(b) vectorbt from_signals, same signals",
            t_theirs,
            ratio,
            "x slower than (a)",
            f">= {MIN_VS_VECTORBT:g}x",
            ratio >= MIN_VS_VECTORBT,
        ),
        Figure(
            f"(c) sweep: {n_sets:,} sets x {SWEEP_BARS:,} bars",
            t_sweep,
            n_sets / t_sweep,
            "sets/s",
            f"< {MAX_SWEEP_S:g} s",
            t_sweep < MAX_SWEEP_S,
        ),
        Figure(
            "(d) run_vector alone (weights given)",
            t_kernel,
            ROWS / t_kernel,
            "bars/s",
            "-",
            None,
        ),
        Figure("(e) sma_cross_weights alone", t_signals, ROWS / t_signals, "bars/s", "-", None),
        Figure("(f) run_vector, no decision", t_idle, ROWS / t_idle, "bars/s", "-", None),
    ]
    return figures, facts


def _money(value: float) -> str:
    """Two decimals, or three significant digits below 1 (where .2f would print 0.00)."""
    return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.3g}"


def table(figures: list[Figure], facts: dict[str, Any], info: dict[str, str], runs: int) -> str:
    lines = [
        f"alphaforge vectorized engine benchmarks (best of {runs} after a warm-up)",
        f"machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}, "
        f"NumPy {info['numpy']}, vectorbt {facts['vectorbt']}",
        f"data: {ROWS:,} real ETH/BTC bars tiled end to end; sweep: daily S&P 500",
        "",
        f"{'figure':<46} {'time':>10} {'rate':>16} {'':<18} {'target':<14} result",
    ]
    for f in figures:
        verdict = "-" if f.passed is None else ("PASS" if f.passed else "MISS")
        lines.append(
            f"{f.name:<46} {f.seconds * 1e3:>7.2f} ms {f.value:>16,.1f} {f.unit:<18} "
            f"{f.target:<14} {verdict}"
        )
    lines += [
        "",
        f"(a) made {facts['fills_ours']:,} fills, final equity {_money(facts['final_equity_ours'])}"
        f"; vectorbt {facts['orders_vectorbt']:,} orders, final value "
        f"{_money(facts['final_value_vectorbt'])} (fills at the close, fractional units; from "
        "100,000: a 5-minute SMA cross pays 2 bp a side on every cross)",
        f"30x (b) leaves {facts['budget_ms']:.2f} ms for (a); (e) + (f) take "
        f"{facts['floor_ms']:.2f} ms before any order, and each order with its fill "
        f"{facts['ns_per_fill']:.0f} ns ((d) - (f) over the fills)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per figure (default 7)")
    args = parser.parse_args(argv)
    runs = max(1, args.runs)
    started = time.perf_counter()
    figures, facts = measure(runs)
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
