"""Performance analytics: metrics of equity curves, returns and trades (layer L4).

``compute_metrics(equity, trades=..., benchmark=...)`` returns a frozen ``Metrics`` record of
every figure; the pure functions behind it (Sharpe, drawdowns, VaR, alpha/beta, trade
statistics, rolling and calendar tables for the tearsheet) work on NumPy arrays or pandas Series
and equal empyrical's wherever both define a figure. ``docs/metrics.md`` has every formula.
"""

from __future__ import annotations

from alphaforge.analytics.metrics import *  # noqa: F403
from alphaforge.analytics.metrics import __all__ as _metrics_all

__all__ = list(_metrics_all)
