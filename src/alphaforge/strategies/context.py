"""What a strategy sees: the ``StrategyContext`` protocol the runtime implements.

The protocol is all a strategy can reach. History ends at the current event: arrays returned by
``history`` are read-only views that stop at *now*; indicators declared in ``on_start`` are
updated by the kernel one bar at a time, so their ``value`` is what was knowable then. Orders go
through ``submit``, which hands them to the risk engine; the broker is out of reach.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, SupportsIndex, runtime_checkable

import numpy as np

from alphaforge.domain.enums import OrderSide, OrderType, TimeInForce
from alphaforge.domain.intents import OrderIntent

if TYPE_CHECKING:
    from alphaforge.portfolio import PortfolioView

__all__ = ["IndicatorHandle", "StrategyContext"]


@runtime_checkable
class IndicatorHandle(Protocol):
    """A declared indicator: its value after the current bar of its stream, never later."""

    @property
    def value(self) -> Any:
        """The current value: a float, or a tuple for multi-output indicators (MACD, bands)."""
        ...

    @property
    def ready(self) -> bool:
        """False during warm-up, while ``value`` is NaN."""
        ...

    def __getitem__(self, output: str) -> float:
        """One named output of a multi-output indicator (``macd["signal"]``)."""
        ...


@runtime_checkable
class StrategyContext(Protocol):
    """The strategy's window on the world (see the module docstring)."""

    @property
    def now_ns(self) -> int:
        """The current event's ``ts_event`` (UTC nanoseconds)."""
        ...

    @property
    def now(self) -> datetime:
        """The current event's time as an aware UTC datetime."""
        ...

    @property
    def symbols(self) -> Sequence[str]:
        """The symbols this run trades."""
        ...

    @property
    def portfolio(self) -> PortfolioView:
        """A read-only view of cash, positions, equity and exposure."""
        ...

    def history(
        self,
        symbol: str,
        field: str = "close",
        n: SupportsIndex | None = None,
        *,
        timeframe: str | None = None,
    ) -> np.ndarray:
        """The last ``n`` values of ``field`` up to and including the current bar (read-only).

        With trade data, ``timeframe="tick"`` reads the trades so far: ``price``, ``size`` and
        ``side`` (+1 buyer-initiated, -1 seller-initiated); ``Strategy.on_trade`` sees each one.
        """
        ...

    def indicator(
        self, name: str, *, symbol: str | None = None, timeframe: str | None = None, **params: Any
    ) -> IndicatorHandle:
        """Declare an indicator (in ``on_start``) on ``symbol`` (default: the only one)."""
        ...

    def submit(self, intent: OrderIntent) -> str:
        """Send an order intent to the risk engine; return its client order id."""
        ...

    def cancel(self, client_order_id: str) -> None:
        """Ask to cancel an open order."""
        ...

    def open_orders(self, symbol: str | None = None) -> Sequence[str]:
        """Client order ids of this strategy's open orders."""
        ...

    def bracket(
        self,
        symbol: str,
        side: OrderSide,
        quantity: float,
        *,
        stop_loss: float | None = None,
        take_profit: float | None = None,
        trailing_offset: float | None = None,
        limit_price: float | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        tag: str | None = None,
    ) -> list[str]:
        """Enter with one-cancels-other exits (stop or trailing stop, take-profit) that wait for
        the entry's fill; the client ids, entry first."""
        ...

    def protect(
        self,
        symbol: str,
        *,
        stop_loss: float | None = None,
        take_profit: float | None = None,
        trailing_offset: float | None = None,
        tag: str | None = None,
    ) -> list[str]:
        """Put one-cancels-other exits on the position held now."""
        ...

    def target_quantity(
        self,
        symbol: str,
        quantity: float,
        *,
        order_type: OrderType = OrderType.MARKET,
        limit_price: float | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        tag: str | None = None,
    ) -> str | None:
        """Trade towards holding ``quantity`` (signed); None when already there."""
        ...

    def target_percent(self, symbol: str, percent: float, *, tag: str | None = None) -> str | None:
        """Trade towards a position worth ``percent`` of equity (signed; 1.0 = 100 %)."""
        ...

    def target_weights(self, weights: Mapping[str, float], *, tag: str | None = None) -> list[str]:
        """Rebalance to the given weights (symbols left out go to zero); orders that shrink a
        position go first, so exposure falls before it grows."""
        ...

    def order(self, symbol: str, side: OrderSide, quantity: float, **kwargs: Any) -> str:
        """Build an ``OrderIntent`` (``OrderIntent.market`` and friends) and submit it."""
        ...
