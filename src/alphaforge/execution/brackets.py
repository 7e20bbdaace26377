"""Brackets: an entry order with a stop-loss and a take-profit that cancel each other (OCO).

The exits wait until the entry has finished: when it is filled they become active for its
quantity; when it ends partly filled (IOC, a cancel, DAY expiry) they become active for the part
that filled; when it ends unfilled they are canceled. From then on they are one-cancels-other:
the first exit to trigger or fill (even partly) cancels the other. When both could have happened
inside one bar, the simulated broker decides which came first by its ``IntrabarPolicy``.

Without an entry (``Bracket.oco``) the two exits protect a position already held.
"""

from __future__ import annotations

from dataclasses import dataclass

from alphaforge.domain.enums import OrderSide, OrderType
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.orders import Order

__all__ = ["Bracket"]

_STOP_TYPES = frozenset({OrderType.STOP, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP})


@dataclass(frozen=True, slots=True)
class Bracket:
    """``entry`` (any type; ``None`` for a plain OCO pair) with ``stop_loss`` (a stop,
    stop-limit or trailing stop) and/or ``take_profit`` (a limit) on the opposite side, for the
    same symbol and the entry's quantity."""

    entry: Order | None
    stop_loss: Order | None = None
    take_profit: Order | None = None

    def __post_init__(self) -> None:
        exits = self.exits
        if not exits:
            raise InvalidValueError("a bracket needs a stop_loss, a take_profit or both")
        orders = self.orders
        ids = [order.client_order_id for order in orders]
        if len(set(ids)) != len(ids):
            raise InvalidValueError(f"bracket orders must have distinct client ids, got {ids}")
        symbols = {order.symbol for order in orders}
        if len(symbols) != 1:
            raise InvalidValueError(f"bracket orders must share one symbol, got {sorted(symbols)}")
        self._check_types()
        self._check_sides_and_sizes()
        self._check_prices()

    def _check_types(self) -> None:
        if self.stop_loss is not None and self.stop_loss.order_type not in _STOP_TYPES:
            raise InvalidValueError(
                f"stop_loss must be a stop, stop-limit or trailing stop order, "
                f"got {self.stop_loss.order_type.value}"
            )
        if self.take_profit is not None and self.take_profit.order_type is not OrderType.LIMIT:
            raise InvalidValueError(
                f"take_profit must be a limit order, got {self.take_profit.order_type.value}"
            )

    def _check_sides_and_sizes(self) -> None:
        exits = self.exits
        sides = {order.side for order in exits}
        if len(sides) != 1:
            raise InvalidValueError("stop_loss and take_profit must be on the same side")
        quantities = {order.quantity for order in exits}
        if len(quantities) != 1:
            raise InvalidValueError(f"exit quantities differ: {sorted(quantities)}")
        if self.entry is None:
            return
        if self.entry.side is not self.exit_side.opposite:
            raise InvalidValueError(
                f"exits must be on the side opposite the entry ({self.entry.side.opposite.value})"
            )
        if self.entry.quantity != exits[0].quantity:
            raise InvalidValueError(
                f"exit quantity {exits[0].quantity} differs from the entry's {self.entry.quantity}"
            )

    def _check_prices(self) -> None:
        stop_loss, take_profit = self.stop_loss, self.take_profit
        if stop_loss is None or take_profit is None or stop_loss.stop_price is None:
            return
        stop, target = stop_loss.stop_price, take_profit.intent.limit_price
        if target is None:
            return
        wrong = stop >= target if self.exit_side is OrderSide.SELL else stop <= target
        if wrong:
            raise InvalidValueError(
                f"stop_loss {stop} and take_profit {target} are on the wrong sides of each other "
                f"for {self.exit_side.value} exits"
            )

    @property
    def exits(self) -> tuple[Order, ...]:
        """The stop-loss and take-profit that were given, stop-loss first."""
        return tuple(order for order in (self.stop_loss, self.take_profit) if order is not None)

    @property
    def orders(self) -> tuple[Order, ...]:
        """Every order of the bracket, entry first."""
        head = () if self.entry is None else (self.entry,)
        return head + self.exits

    @property
    def exit_side(self) -> OrderSide:
        """The side of the exits (sell for a long entry)."""
        return self.exits[0].side

    @classmethod
    def oco(cls, stop_loss: Order | None, take_profit: Order | None) -> Bracket:
        """Two exits for a position already held, one canceling the other."""
        return cls(None, stop_loss, take_profit)
