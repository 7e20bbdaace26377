"""Compare the event engine of an earlier commit with this tree's, alternating, on one machine.

    .venv/bin/python benchmarks/ab_engine.py 5a6ae9f            # that commit vs the work tree
    .venv/bin/python benchmarks/ab_engine.py 5a6ae9f --rounds 6 --bars 300000

On a shared VM, wall clocks of separate runs move by 30 % and more; old and new code run here
in alternating fresh processes (the old one from a temporary ``git worktree``), each timing
``--bars`` bars of (a) SMA 10/30, (a2) buy and hold and (c) the 20-stock monthly rebalance of
``bench_engine.py`` in CPU seconds, and the best of ``--rounds`` is printed for each.

The earlier commit runs from its sources unless ``--build`` compiles its core in the worktree
first (commits from 2026-12-06 on have one; about a minute); the work tree runs as installed,
compiled or not (each side's line says which). ``--pure`` runs the work tree as Python: with
neither flag, a difference mixes the code change with the compilation.

    .venv/bin/python benchmarks/ab_engine.py 88ef3ba --build --rounds 3   # compiled vs compiled
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_CHILD = """
import sys, time
sys.path.insert(0, "benchmarks")
from bench_engine import event_sma, event_hold, MonthlyEqualWeight, CFG
from alphaforge.runtime import backtest
from alphaforge.testing import tiled_bars
frame = tiled_bars({bars})
event_sma(frame)  # warm-up
def cpu(fn):
    start = time.process_time(); fn(); return time.process_time() - start
strategy = MonthlyEqualWeight()
print(cpu(lambda: event_sma(frame)), cpu(lambda: event_hold(frame)),
      cpu(lambda: backtest(strategy, "stocks20_close", config=CFG)))
try:
    from alphaforge import _native
    print(_native.status())
except ImportError:  # a commit from before the compiled core
    print("pure Python (no compiled core then)")
"""


def _times(tree: Path, bars: int, *, pure: bool) -> tuple[float, float, float, str]:
    env = {"PYTHONPATH": str(tree / "src"), "PATH": "/usr/bin:/bin"}
    if pure:
        env["ALPHAFORGE_PURE"] = "1"
    done = subprocess.run(  # noqa: S603  # our own interpreter and code
        [sys.executable, "-c", _CHILD.format(bars=bars)],
        cwd=tree, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    figures, core = done.stdout.splitlines()[-2:]
    a, hold, c = map(float, figures.split())
    return a, hold, c, core


def _build(tree: Path) -> None:
    """Compile ``tree``'s core in place, as ``make build`` does (its own ``setup.py``)."""
    if not (tree / "setup.py").exists():
        sys.exit(f"{tree.name}: this commit has no compiled core to build (drop --build)")
    subprocess.run(  # our own interpreter and build script
        [sys.executable, "setup.py", "-q", "build_ext", "--inplace"],
        cwd=tree, check=True, capture_output=True,
    )  # fmt: skip


def _git(*args: str) -> None:
    subprocess.run(["git", "-C", str(ROOT), *args], check=True)  # noqa: S603, S607  # our repo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the earlier commit (anything git rev-parse takes)")
    parser.add_argument("--bars", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--pure", action="store_true", help="run the work tree as Python too")
    parser.add_argument("--build", action="store_true", help="compile REV's core in its worktree")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        _git("worktree", "add", "--detach", "-q", str(old), args.rev)
        try:
            if args.build:
                _build(old)
            runs: dict[str, list[tuple[float, float, float, str]]] = {args.rev: [], "work tree": []}
            for _ in range(args.rounds):
                runs[args.rev].append(_times(old, args.bars, pure=False))  # no build there
                runs["work tree"].append(_times(ROOT, args.bars, pure=args.pure))
        finally:
            _git("worktree", "remove", "--force", str(old))
    print(f"best of {args.rounds} CPU times, {args.bars:,} bars, alternating fresh processes")
    for name, rows in runs.items():
        a, hold, c = (min(r[k] for r in rows) for k in range(3))  # type: ignore[type-var]
        print(f"{name:>12}: (a) {args.bars / a:>9,.0f} bars/s  (a2) {args.bars / hold:>9,.0f} "
              f"bars/s  (c) {20 * 8313 / c:>9,.0f} events/s  [{rows[-1][3]}]")  # fmt: skip


if __name__ == "__main__":
    main()
