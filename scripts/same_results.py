"""Check that a change to the engine left every backtest result as it was, bit for bit.

    .venv/bin/python scripts/same_results.py 5a6ae9f     # that commit vs the work tree (~90 s)

Speed work on the kernel, the order path or the ledger must not move a single fill. This runs
the same set of backtests (the built-ins on their bundled data with costs, shorting, close and
aggressive fills, intrabar paths, a participation cap, the 20-stock rebalance of
``benchmarks/bench_engine.py`` and 100,000 tiled minute bars) on commit ``REV`` (checked out in
a temporary git worktree) and on the work tree, each in a fresh process, and compares orders,
fills, trades, equity and metrics exactly. Exit status 1 lists what differs.
"""

from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
RUNS: dict[str, dict[str, object]] = {
    "sma_spx": {"strategy": "sma_cross", "data": "spx_daily"},
    "sma_long_short_costs": {"strategy": "sma_cross", "data": "spx_daily",
                             "params": {"mode": "long_short"}, "commission_bps": 2,
                             "slippage_bps": 3, "allow_short": True, "borrow_rate": 0.02,
                             "cash_rate": 0.01},
    "sma_aggressive_capped": {"strategy": "sma_cross", "data": "spx_daily", "fill": "aggressive",
                              "spread_bps": 2, "max_participation": 0.01},
    "sma_close": {"strategy": "sma_cross", "data": "spx_daily", "fill": "close"},
    "rsi": {"strategy": "rsi_reversion", "data": "spx_daily"},
    "macd_eurusd": {"strategy": "macd_cross", "data": "eurusd_1h"},
    "bollinger": {"strategy": "bollinger_reversion", "data": "spx_daily"},
    "donchian": {"strategy": "donchian_breakout", "data": "spx_daily"},
    "donchian_ohlc_path": {"strategy": "donchian_breakout", "data": "spx_daily",
                           "intrabar": "ohlc_path"},
    "trend": {"strategy": "trend_following", "data": "spx_daily"},
    "ema": {"strategy": "ema_cross", "data": "spx_daily"},
    "hold": {"strategy": "buy_and_hold", "data": "spx_daily"},
    **{name: {"strategy": name} for name in (
        "momentum", "covered_call", "cash_secured_put", "inverse_vol", "pairs_trading",
        "market_making", "pca_reversion", "index_tracking", "vol_arb", "ensemble")},
}  # fmt: skip
_CHILD = """
import pickle, sys, warnings
sys.path.insert(0, "benchmarks")
from bench_engine import CFG, MonthlyEqualWeight, event_sma
from alphaforge.runtime import backtest
from alphaforge.testing import tiled_bars

def tables(result):
    out = {name: getattr(result, name) for name in ("orders", "fills", "trades", "equity")}
    out["metrics"] = repr(result.metrics)
    return out

out = {}
for name, kwargs in pickle.loads(sys.stdin.buffer.read()).items():
    kwargs = dict(kwargs)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[name] = tables(backtest(kwargs.pop("strategy"), config=CFG, **kwargs))
    except Exception as error:  # an error is a result too: it must not change either
        out[name] = f"{type(error).__name__}: {error}"
out["rebalance_stocks20"] = tables(backtest(MonthlyEqualWeight(), "stocks20_close", config=CFG))
out["sma_tiled_100k"] = tables(backtest("sma_cross", {"ETHBTC": tiled_bars(100_000)},
    params={"fast": 10, "slow": 30}, calendar="24/7", timeframe="1m", fractional=True, config=CFG))
sys.stdout.buffer.write(pickle.dumps(out))
"""


def results(tree: Path) -> dict[str, object]:
    """Every run's tables, computed by the code in ``tree`` in a fresh process."""
    done = subprocess.run(  # our own interpreter and code
        [sys.executable, "-c", _CHILD],
        cwd=tree,
        env={"PYTHONPATH": str(tree / "src"), "PATH": "/usr/bin:/bin"},
        input=pickle.dumps(RUNS),
        capture_output=True,
        check=True,
    )
    loaded: dict[str, object] = pickle.loads(done.stdout)  # noqa: S301  # our own child's output
    return loaded


def differences(old: dict[str, object], new: dict[str, object]) -> list[str]:
    """What differs between two sets of results, one line each."""
    out = []
    for name, before in old.items():
        after = new.get(name)
        if not (isinstance(before, dict) and isinstance(after, dict)):
            if before != after:
                out.append(f"{name}: {str(before)[:150]} | {str(after)[:150]}")
            continue
        for table, value in before.items():
            try:
                if isinstance(value, pd.DataFrame):
                    pd.testing.assert_frame_equal(value, after[table], check_exact=True)
                elif value != after[table]:
                    out.append(f"{name} {table}: differs")
            except AssertionError as error:
                out.append(f"{name} {table}: {str(error).splitlines()[0][:200]}")
    return out


def _git(*args: str) -> None:
    subprocess.run(["git", "-C", str(ROOT), *args], check=True)  # our repo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the commit to compare with (anything git rev-parse takes)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old_tree = Path(tmp) / "old"
        _git("worktree", "add", "--detach", "-q", str(old_tree), args.rev)
        try:
            old = results(old_tree)
        finally:
            _git("worktree", "remove", "--force", str(old_tree))
    new = results(ROOT)
    found = differences(old, new)
    for line in found:
        print(line)
    print(f"{len(old)} runs: " + ("identical" if not found else f"{len(found)} differences"))
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
