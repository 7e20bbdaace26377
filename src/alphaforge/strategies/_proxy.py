"""The read side of a stand-in ``StrategyContext``: :class:`ForwardingContext`.

Some code runs a strategy on a stand-in context that changes what happens to its orders but not
what it sees: the ensemble turns a member's orders into votes
(``strategies.library._ensemble.MemberContext``), Monte Carlo's entry delays hold them back
(``runtime._delays.DelayContext``). Both read the world exactly as the real context does, so the
forwarding lives here once; each subclass adds its own order handling (``submit``, ``order``,
``cancel``, ``open_orders``, ``bracket``, ``protect``, ``target_*``) and may override a read
(the ensemble's ``portfolio`` is the member's own book).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, SupportsIndex

if TYPE_CHECKING:
    from datetime import datetime

    import numpy as np

    from alphaforge.portfolio import PortfolioView
    from alphaforge.strategies.context import IndicatorHandle, StrategyContext

__all__ = ["ForwardingContext"]


class ForwardingContext:
    """Forward every read of the ``StrategyContext`` API to a real context.

    History stays read-only and ends at *now*, and indicators are declared on (and updated by)
    the real context, so a strategy on a stand-in cannot see more than it would on the real
    one. This class alone is not a full ``StrategyContext``: the order methods are the
    subclass's.
    """

    def __init__(self, ctx: StrategyContext) -> None:
        self._ctx = ctx

    @property
    def now_ns(self) -> int:
        """The real context's time (UTC nanoseconds)."""
        return self._ctx.now_ns

    @property
    def now(self) -> datetime:
        """The real context's time."""
        return self._ctx.now

    @property
    def symbols(self) -> Sequence[str]:
        """The run's symbols."""
        return self._ctx.symbols

    @property
    def portfolio(self) -> PortfolioView:
        """The real account."""
        return self._ctx.portfolio

    def history(
        self,
        symbol: str,
        field: str = "close",
        n: SupportsIndex | None = None,
        *,
        timeframe: str | None = None,
    ) -> np.ndarray:
        """The real history (read-only, up to now)."""
        return self._ctx.history(symbol, field, n, timeframe=timeframe)

    def indicator(
        self, name: str, *, symbol: str | None = None, timeframe: str | None = None, **params: Any
    ) -> IndicatorHandle:
        """A real indicator, declared on the real context."""
        return self._ctx.indicator(name, symbol=symbol, timeframe=timeframe, **params)
