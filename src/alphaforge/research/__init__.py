"""Vectorized research (layer L8): the event engine's fill and cost rules over whole arrays.

``run_vector`` simulates target weights (bars x assets) with a Numba kernel that reproduces the
event engine's fills exactly (``docs/research.md``); the ``*_weights`` helpers produce the
weights the built-in strategies decide; ``sweep`` runs many parameter sets; ``vector_backtest``
is what ``alphaforge.backtest(mode="vector")`` calls. ``optimize`` searches a strategy's
parameters (grid, random, TPE, NSGA-II) on a ``get_backend`` (process pool or Ray) and reports
the winner's overfitting statistics; ``walk_forward`` re-optimizes window by window and judges
the stitched out-of-sample curve; ``bootstrap_returns`` / ``reshuffle_trades`` draw Monte Carlo
paths; ``probabilistic_sharpe_ratio``, ``deflated_sharpe_ratio``, ``min_track_record_length``,
``pbo`` and ``overfitting_report`` measure how likely a result is luck. All load on first use.

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
    from alphaforge.research.montecarlo import (
        MonteCarloResult,
        bootstrap_returns,
        reshuffle_trades,
    )
    from alphaforge.research.optimization import OptimizationResult, optimize
    from alphaforge.research.overfitting import (
        deflated_sharpe_ratio,
        min_track_record_length,
        overfitting_report,
        pbo,
        probabilistic_sharpe_ratio,
    )
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
    from alphaforge.research.walkforward import (
        WalkForwardResult,
        walk_forward,
        walk_forward_windows,
    )

_MODULES = {
    "alphaforge.research.backends": ("Backend", "get_backend", "task_seeds"),
    "alphaforge.research.optimization": ("OptimizationResult", "optimize"),
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
    "alphaforge.research.walkforward": (
        "WalkForwardResult",
        "walk_forward",
        "walk_forward_windows",
    ),
    "alphaforge.research.montecarlo": ("MonteCarloResult", "bootstrap_returns", "reshuffle_trades"),
    "alphaforge.research.overfitting": (
        "deflated_sharpe_ratio",
        "min_track_record_length",
        "overfitting_report",
        "pbo",
        "probabilistic_sharpe_ratio",
    ),
}
_LAZY: dict[str, str] = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "VECTOR_STRATEGIES",
    "Backend",
    "MonteCarloResult",
    "OptimizationResult",
    "VectorFills",
    "VectorFrames",
    "VectorOrders",
    "VectorPanel",
    "VectorResult",
    "VectorRun",
    "WalkForwardResult",
    "bootstrap_returns",
    "buy_and_hold_weights",
    "deflated_sharpe_ratio",
    "get_backend",
    "min_track_record_length",
    "optimize",
    "overfitting_report",
    "param_sets",
    "pbo",
    "probabilistic_sharpe_ratio",
    "rebalance_weights",
    "reshuffle_trades",
    "rsi_reversion_weights",
    "run_vector",
    "signals_to_weights",
    "sma_cross_weights",
    "strategy_weights",
    "sweep",
    "task_seeds",
    "vector_backtest",
    "walk_forward",
    "walk_forward_windows",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
