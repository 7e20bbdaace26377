"""alphaforge: an honest AI trading system.

Real market data in, strategies and models, an event-driven backtester with realistic costs,
leak-free validation, risk controls, paper and live trading through one kernel.

The public API is small on purpose; everything else lives in sub-packages.
"""

from alphaforge._version import __version__
from alphaforge.data.bundled import list_datasets, load_dataset

__all__ = ["__version__", "list_datasets", "load_dataset"]
