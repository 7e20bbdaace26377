"""Performance analytics: metrics of equity curves, returns and trades (layer L4).

``compute_metrics(equity, trades=..., benchmark=...)`` returns a frozen ``Metrics`` record of
every figure; the pure functions behind it (Sharpe, drawdowns, VaR, alpha/beta, trade
statistics, rolling and calendar tables for the tearsheet) work on NumPy arrays or pandas Series
and equal empyrical's wherever both define a figure. ``docs/metrics.md`` has every formula.
``render_tearsheet`` / ``write_tearsheet`` make the offline HTML report; they load plotly, so
they are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alphaforge._lazy import lazy_exports
from alphaforge.analytics.metrics import *  # noqa: F403
from alphaforge.analytics.metrics import __all__ as _metrics_all

if TYPE_CHECKING:
    from alphaforge.analytics.tearsheet import render_tearsheet, write_tearsheet

__all__ = list(_metrics_all)
__all__ += ["render_tearsheet", "write_tearsheet"]

_LAZY = dict.fromkeys(("render_tearsheet", "write_tearsheet"), "alphaforge.analytics.tearsheet")
__getattr__, _lazy_dir = lazy_exports(__name__, _LAZY, globals())


def __dir__() -> list[str]:
    return sorted(__all__)
