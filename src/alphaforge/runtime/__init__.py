"""alphaforge.runtime: the kernel and its drivers (layer L9). Only this layer knows the mode.

``backtest()`` runs a strategy over historical data with the simulated broker; paper and live
drivers come later and reuse the same kernel.
"""

from alphaforge.runtime.driver import backtest
from alphaforge.runtime.inputs import Series, load_series
from alphaforge.runtime.kernel import Kernel
from alphaforge.runtime.result import BacktestResult

__all__ = ["BacktestResult", "Kernel", "Series", "backtest", "load_series"]
