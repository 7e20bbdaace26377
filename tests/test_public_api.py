"""The top-level API stays small and deliberate: adding a name here is a design decision."""

from __future__ import annotations

import subprocess
import sys

import alphaforge


def test_public_names() -> None:
    assert sorted(alphaforge.__all__) == sorted(
        [
            "BacktestResult", "Strategy", "StrategyContext", "StrategyParams", "__version__",
            "backtest", "list_datasets", "load_dataset",
        ]
    )  # fmt: skip
    for name in alphaforge.__all__:
        assert hasattr(alphaforge, name)


def test_version_is_semver() -> None:
    major, minor, patch = alphaforge.__version__.split(".")
    assert all(part.isdigit() for part in (major, minor, patch))


def test_import_alphaforge_stays_light() -> None:
    code = (
        "import alphaforge, sys; "
        "print('pandas' in sys.modules, 'alphaforge.runtime' in sys.modules)"
    )
    out = subprocess.run(  # our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]


def test_finding_a_strategy_does_not_import_the_heavy_solvers() -> None:
    """The library is imported whole to look strategies up by name; cvxpy, scikit-learn,
    statsmodels and arch load only when a strategy that uses them runs."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = (
        "import sys; from alphaforge.strategies import list_strategies; list_strategies(); "
        "print(sorted(m for m in ('cvxpy', 'sklearn', 'statsmodels', 'arch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_event_backtest_does_not_import_numba_or_duckdb() -> None:
    """Numba (70 MB) compiles the batch indicators and the vector engine; duckdb serves the
    catalog. An event backtest on a frame needs neither (the 1M-bar memory target)."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = (
        "import sys; import pandas as pd; from alphaforge.runtime import backtest; "
        "from alphaforge.testing import tiled_bars; "
        "backtest('sma_cross', {'X': tiled_bars(2000)}, timeframe='1m', calendar='24/7'); "
        "print(sorted(m for m in ('numba', 'duckdb') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


_RESEARCH_ADDED = (
    "walk_forward", "walk_forward_windows", "WalkForwardResult", "bootstrap_returns",
    "reshuffle_trades", "MonteCarloResult", "probabilistic_sharpe_ratio", "deflated_sharpe_ratio",
    "min_track_record_length", "pbo", "overfitting_report",
)  # fmt: skip
_RUNTIME_ADDED = ("check_lookahead", "check_warmup", "cost_shocks", "entry_delays",
                  "strategy_windows", "RobustnessReport", "run_robustness")  # fmt: skip


def test_research_and_runtime_export_their_names_lazily() -> None:
    """``alphaforge.research`` and ``alphaforge.runtime`` list the walk-forward, Monte Carlo,
    overfitting and bias-check entry points, yet importing the packages loads none of Numba,
    Optuna or Ray: each name's module loads on first use, and the name is that module's object."""
    code = (
        "import importlib, sys; import alphaforge.research as r, alphaforge.runtime as t; "
        "print(sorted(m for m in ('numba', 'optuna', 'ray') if m in sys.modules)); "
        f"pairs = [(r, n) for n in {_RESEARCH_ADDED!r}] + [(t, n) for n in {_RUNTIME_ADDED!r}]; "
        "print([n for p, n in pairs if n not in p.__all__ or getattr(p, n) is not "
        "getattr(importlib.import_module(p._LAZY[n]), n)])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["[]", "[]"]


def test_runtime_exports_robustness_under_a_name_its_module_cannot_shadow() -> None:
    """Importing ``alphaforge.runtime.robustness`` binds the module on the package, so the
    package exports the function as ``run_robustness``: it stays the function once the module
    is imported, and ``robustness`` is the module."""
    code = (
        "import types, alphaforge.runtime as t; f = t.run_robustness; "
        "import alphaforge.runtime.robustness as m; "
        "print(t.run_robustness is f is m.robustness, isinstance(t.robustness, types.ModuleType), "
        "'robustness' in t.__all__, t.RobustnessReport is m.RobustnessReport)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "False", "True"]
