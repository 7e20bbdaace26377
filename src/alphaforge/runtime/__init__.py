"""alphaforge.runtime: the kernel and its drivers (layer L9). Only this layer knows the mode.

``backtest()`` runs a strategy over historical data with the simulated broker; paper and live
drivers come later and reuse the same kernel. The research runs built on it (an optimizer's
``StrategyObjective``, stress tests, the bias checks ``check_lookahead`` and ``check_warmup``,
the Monte Carlo reruns ``cost_shocks`` and ``entry_delays``, ``strategy_windows`` for a
walk-forward on a strategy's own bars, ``run_robustness`` with its ``RobustnessReport``) load on
first use.

``run_robustness`` is ``alphaforge.runtime.robustness.robustness`` under another name: a package
attribute called ``robustness`` would be replaced by the submodule of that name as soon as the
submodule is imported (Python binds an imported submodule on its package), so
``alphaforge.runtime.robustness`` always means the module, never the function.
"""

from typing import TYPE_CHECKING

from alphaforge._lazy import lazy_exports
from alphaforge.runtime.driver import backtest
from alphaforge.runtime.inputs import Series, load_series
from alphaforge.runtime.kernel import Kernel
from alphaforge.runtime.result import BacktestResult

if TYPE_CHECKING:
    from alphaforge.runtime.bias import check_lookahead, check_warmup
    from alphaforge.runtime.montecarlo import cost_shocks, entry_delays
    from alphaforge.runtime.objective import StrategyObjective
    from alphaforge.runtime.robustness import RobustnessReport, run_robustness
    from alphaforge.runtime.stress import StressResult, stress_test
    from alphaforge.runtime.walkforward import strategy_windows

_MODULES = {
    "alphaforge.runtime.objective": ("StrategyObjective",),
    "alphaforge.runtime.stress": ("StressResult", "stress_test"),
    "alphaforge.runtime.bias": ("check_lookahead", "check_warmup"),
    "alphaforge.runtime.montecarlo": ("cost_shocks", "entry_delays"),
    "alphaforge.runtime.robustness": ("RobustnessReport", "run_robustness"),
    "alphaforge.runtime.walkforward": ("strategy_windows",),
}
_LAZY: dict[str, str] = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "BacktestResult",
    "Kernel",
    "RobustnessReport",
    "Series",
    "StrategyObjective",
    "StressResult",
    "backtest",
    "check_lookahead",
    "check_warmup",
    "cost_shocks",
    "entry_delays",
    "load_series",
    "run_robustness",
    "strategy_windows",
    "stress_test",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
