"""alphaforge: an honest AI trading system.

Real market data in, strategies and models, an event-driven backtester with realistic costs,
leak-free validation, risk controls, paper and live trading through one kernel.

The public API is small on purpose; everything else lives in sub-packages:

>>> import alphaforge as af
>>> result = af.backtest("sma_cross", data="spx_daily", params={"fast": 20, "slow": 100})
>>> spx = af.load_dataset("spx_daily")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alphaforge import _native
from alphaforge._lazy import lazy_exports
from alphaforge._version import __version__

_native.activate()  # before any module of the compiled core is imported (see _native.py)

if TYPE_CHECKING:
    from alphaforge.data.bundled import list_datasets, load_dataset
    from alphaforge.runtime import BacktestResult, backtest
    from alphaforge.strategies import Strategy, StrategyContext, StrategyParams

_LAZY: dict[str, str] = {
    "BacktestResult": "alphaforge.runtime",
    "Strategy": "alphaforge.strategies",
    "StrategyContext": "alphaforge.strategies",
    "StrategyParams": "alphaforge.strategies",
    "backtest": "alphaforge.runtime",
    "list_datasets": "alphaforge.data.bundled",
    "load_dataset": "alphaforge.data.bundled",
}

__all__ = [
    "BacktestResult",
    "Strategy",
    "StrategyContext",
    "StrategyParams",
    "__version__",
    "backtest",
    "list_datasets",
    "load_dataset",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
