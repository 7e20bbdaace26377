"""alphaforge.runtime: the kernel and its drivers (layer L9). Only this layer knows the mode.

``backtest()`` runs a strategy over historical data with the simulated broker; paper and live
drivers come later and reuse the same kernel. The research runs built on it (an optimizer's
``StrategyObjective``, stress tests, bias checks, Monte Carlo reruns) load on first use.
"""

from typing import TYPE_CHECKING

from alphaforge._lazy import lazy_exports
from alphaforge.runtime.driver import backtest
from alphaforge.runtime.inputs import Series, load_series
from alphaforge.runtime.kernel import Kernel
from alphaforge.runtime.result import BacktestResult

if TYPE_CHECKING:
    from alphaforge.runtime.objective import StrategyObjective
    from alphaforge.runtime.stress import StressResult, stress_test

_MODULES = {
    "alphaforge.runtime.objective": ("StrategyObjective",),
    "alphaforge.runtime.stress": ("StressResult", "stress_test"),
}
_LAZY: dict[str, str] = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "BacktestResult",
    "Kernel",
    "Series",
    "StrategyObjective",
    "StressResult",
    "backtest",
    "load_series",
    "stress_test",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
