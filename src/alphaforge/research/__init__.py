"""Vectorized research (layer L8): the event engine's fill and cost rules over whole arrays.

``run_vector`` simulates target weights (bars x assets) with a Numba kernel that reproduces the
event engine's fills exactly (``docs/research.md``); the ``*_weights`` helpers produce the
weights the built-in strategies decide; ``sweep`` runs many parameter sets; ``vector_backtest``
is what ``alphaforge.backtest(mode="vector")`` calls. ``optimize`` searches a strategy's
parameters (grid, random, TPE, NSGA-II) on a ``get_backend`` (process pool or Ray) and reports
the winner's overfitting statistics.

>>> from alphaforge.research import run_vector, sma_cross_weights
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alphaforge._lazy import lazy_exports

if TYPE_CHECKING:
    from alphaforge.research.backends import Backend, get_backend, task_seeds
    from alphaforge.research.bridge import (
        VECTOR_STRATEGIES,
        VectorPanel,
        VectorRun,
        strategy_weights,
        vector_backtest,
    )
    from alphaforge.research.optimize import OptimizationResult, optimize
    from alphaforge.research.signals import (
        buy_and_hold_weights,
        rebalance_weights,
        rsi_reversion_weights,
        signals_to_weights,
        sma_cross_weights,
    )
    from alphaforge.research.sweeps import param_sets, sweep
    from alphaforge.research.vector import (
        VectorFills,
        VectorFrames,
        VectorOrders,
        VectorResult,
        run_vector,
    )

_MODULES = {
    "alphaforge.research.backends": ("Backend", "get_backend", "task_seeds"),
    "alphaforge.research.optimize": ("OptimizationResult", "optimize"),
    "alphaforge.research.bridge": (
        "VECTOR_STRATEGIES",
        "VectorPanel",
        "VectorRun",
        "strategy_weights",
        "vector_backtest",
    ),
    "alphaforge.research.signals": (
        "buy_and_hold_weights",
        "rebalance_weights",
        "rsi_reversion_weights",
        "signals_to_weights",
        "sma_cross_weights",
    ),
    "alphaforge.research.sweeps": ("param_sets", "sweep"),
    "alphaforge.research.vector": (
        "VectorFills",
        "VectorFrames",
        "VectorOrders",
        "VectorResult",
        "run_vector",
    ),
}
_LAZY: dict[str, str] = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "VECTOR_STRATEGIES",
    "Backend",
    "OptimizationResult",
    "VectorFills",
    "VectorFrames",
    "VectorOrders",
    "VectorPanel",
    "VectorResult",
    "VectorRun",
    "buy_and_hold_weights",
    "get_backend",
    "optimize",
    "param_sets",
    "rebalance_weights",
    "rsi_reversion_weights",
    "run_vector",
    "signals_to_weights",
    "sma_cross_weights",
    "strategy_weights",
    "sweep",
    "task_seeds",
    "vector_backtest",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
