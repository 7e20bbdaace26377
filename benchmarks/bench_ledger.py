"""Print the ledger's per-call costs: mark, equity, mark + equity, apply, recorder append.

Run:  .venv/bin/python benchmarks/bench_ledger.py [--symbols N] [--calls N]

Each figure is the best of five timed runs of ``--calls`` calls, in nanoseconds per call, with
the loop's own overhead (an empty call) reported beside it. Prices are real closes of the bundled
S&P 500 index, cycled.
"""

from __future__ import annotations

import argparse
import itertools
import platform
import time
from collections.abc import Callable
from decimal import Decimal

from alphaforge.data.bundled import load_dataset
from alphaforge.domain import Fill, Instrument, OrderSide
from alphaforge.portfolio import EquityRecorder, Ledger, LedgerView

RUNS = 5


def best_ns(step: Callable[[int], object], calls: int) -> float:
    """Best of RUNS timings of ``calls`` calls of ``step(i)``, in ns per call."""
    best = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter_ns()
        for i in range(calls):
            step(i)
        best = min(best, (time.perf_counter_ns() - start) / calls)
    return best


def make_ledger(symbols: int) -> tuple[Ledger, list[str]]:
    names = [f"S{k:02d}" for k in range(symbols)]
    ledger = Ledger("USD", 1_000_000, [Instrument.equity(name) for name in names])
    for k, name in enumerate(names):
        ledger.apply(
            Fill.create(
                client_order_id=f"O{k}",
                trade_id=f"T{k}",
                symbol=name,
                side=OrderSide.BUY,
                quantity=10,
                price="100.00",
                fee="1.00",
                ts_event=1,
            )
        )
    return ledger, names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=1)
    parser.add_argument("--calls", type=int, default=200_000)
    args = parser.parse_args()
    closes = load_dataset("spx_daily")["close"].to_numpy(dtype=float).tolist()
    prices = [closes[i % len(closes)] for i in range(args.calls)]
    ledger, names = make_ledger(args.symbols)
    view = LedgerView(ledger)
    symbol = names[0]
    mark, equity = ledger.mark, ledger.equity
    recorder = EquityRecorder()
    clock = itertools.count()

    def mark_and_equity(i: int) -> float:
        mark(symbol, prices[i], i)
        return equity()

    fills = [
        Fill.create(
            client_order_id=f"B{i}",
            trade_id=f"F{i}",
            symbol=symbol,
            side=OrderSide.BUY if i % 2 else OrderSide.SELL,
            quantity=5,
            price=Decimal("100.25"),
            fee="0.50",
            ts_event=2 + i,
        )
        for i in range(20_000)
    ]
    fill_iter = itertools.cycle(fills)

    def apply_one(_: int) -> object:
        return ledger.apply(next(fill_iter))

    figures = {
        "empty call (loop overhead)": best_ns(lambda i: None, args.calls),
        "mark()": best_ns(lambda i: mark(symbol, prices[i], i), args.calls),
        "equity()": best_ns(lambda i: equity(), args.calls),
        "mark() + equity()": best_ns(mark_and_equity, args.calls),
        "view.equity()": best_ns(lambda i: view.equity(), args.calls),
        "gross_exposure()": best_ns(lambda i: ledger.gross_exposure(), args.calls),
        "apply(fill)": best_ns(apply_one, 20_000),
        "recorder.record(ledger, ts)": best_ns(
            lambda i: recorder.record(ledger, next(clock)), args.calls
        ),
    }
    print(f"ledger with {args.symbols} symbol(s); Python {platform.python_version()}")
    for name, value in figures.items():
        print(f"  {name:<30} {value:10.0f} ns/call")


if __name__ == "__main__":
    main()
