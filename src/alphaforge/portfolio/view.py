"""The read-only face of the ledger that strategies and the risk engine get.

``PortfolioView`` is the protocol: what a strategy or a risk rule may read (cash, equity, each
position's quantity, average price, mark, market value, unrealized PnL and weight, the exposures
and leverage) and nothing it could change. ``LedgerView`` implements it over a ``Ledger``:

* it has no mutators, and setting or deleting any attribute raises ``AttributeError``;
* it never hands out the ledger or a ``Position`` (both mutable): positions come back as
  ``PositionInfo`` tuples, mappings as fresh dicts;
* the ledger sits in a name-mangled slot, so no public (or single-underscore) name reaches it.

Python cannot make this airtight: introspection (``object.__getattribute__``, ``gc``, the mangled
name) still finds the ledger. The view is a guard against mistakes, not a sandbox; the
import-linter contracts and review keep strategies honest.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple, NoReturn, Protocol, runtime_checkable

from alphaforge.portfolio.ledger import weight_of

if TYPE_CHECKING:
    from alphaforge.domain.instruments import Instrument
    from alphaforge.portfolio.ledger import Ledger

__all__ = ["LedgerView", "PortfolioView", "PositionInfo"]


class PositionInfo(NamedTuple):
    """An open position as a strategy sees it; amounts in base currency unless noted."""

    symbol: str
    quantity: Decimal  # signed, exact
    avg_price: Decimal | None  # instrument currency
    last_price: float  # instrument currency
    market_value: float
    unrealized_pnl: float
    weight: float


@runtime_checkable
class PortfolioView(Protocol):
    """What a strategy and the risk engine may read of the account, and nothing more."""

    @property
    def base_currency(self) -> str:
        """The currency equity and exposures are in."""
        ...

    def cash(self, currency: str | None = None) -> Decimal:
        """Cash in ``currency``; ``None``: all cash in base currency."""
        ...

    def equity(self) -> float:
        """Cash plus market value of all positions, base currency."""
        ...

    def quantity(self, symbol: str) -> Decimal:
        """Signed quantity held (0 when flat)."""
        ...

    def avg_price(self, symbol: str) -> Decimal | None:
        """Average open price (instrument currency), ``None`` when flat."""
        ...

    def last_price(self, symbol: str) -> float:
        """The last mark (instrument currency), NaN before any mark or fill."""
        ...

    def market_value(self, symbol: str) -> float:
        """Signed market value, base currency."""
        ...

    def unrealized_pnl(self, symbol: str | None = None) -> float:
        """Unrealized PnL of ``symbol`` (or all), base currency."""
        ...

    def weight(self, symbol: str) -> float:
        """Market value over equity, signed."""
        ...

    def weights(self) -> dict[str, float]:
        """Weights of the open positions."""
        ...

    def gross_exposure(self) -> float:
        """``Σ |market value|``, base currency."""
        ...

    def net_exposure(self) -> float:
        """``Σ market value``, base currency."""
        ...

    def leverage(self) -> float:
        """Gross exposure over equity."""
        ...

    def positions(self) -> dict[str, PositionInfo]:
        """The open positions by symbol (a fresh dict)."""
        ...

    def instrument(self, symbol: str) -> Instrument:
        """The (immutable) instrument, for its tick, lot, multiplier and margin."""
        ...


class LedgerView:
    """A read-only ``PortfolioView`` over a live ``Ledger``: it always shows the current state."""

    __slots__ = ("__ledger",)
    __ledger: Ledger

    def __init__(self, ledger: Ledger) -> None:
        """Wrap ``ledger``; the view keeps no other state."""
        object.__setattr__(self, "_LedgerView__ledger", ledger)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"a portfolio view is read-only; cannot set {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"a portfolio view is read-only; cannot delete {name!r}")

    def __repr__(self) -> str:
        ledger = self.__ledger
        return f"LedgerView(equity={ledger.equity():.2f} {ledger.base_currency})"

    @property
    def base_currency(self) -> str:
        """The currency equity and exposures are in."""
        return self.__ledger.base_currency

    def cash(self, currency: str | None = None) -> Decimal:
        """Cash in ``currency`` (0 if none); ``None``: all cash in base currency."""
        return self.__ledger.cash(currency)

    def equity(self) -> float:
        """Cash plus market value of all positions, base currency."""
        return self.__ledger.equity()

    def quantity(self, symbol: str) -> Decimal:
        """Signed quantity held (0 when flat)."""
        return self.__ledger.position(symbol).quantity

    def avg_price(self, symbol: str) -> Decimal | None:
        """Average open price (instrument currency), ``None`` when flat."""
        return self.__ledger.position(symbol).avg_open_price

    def last_price(self, symbol: str) -> float:
        """The last mark (instrument currency), NaN before any mark or fill."""
        return self.__ledger.last_price(symbol)

    def market_value(self, symbol: str) -> float:
        """Signed market value, base currency."""
        return self.__ledger.market_value(symbol)

    def unrealized_pnl(self, symbol: str | None = None) -> float:
        """Unrealized PnL of ``symbol`` (or all), base currency."""
        return self.__ledger.unrealized_pnl(symbol)

    def weight(self, symbol: str) -> float:
        """Market value over equity, signed (``±inf`` when equity <= 0)."""
        return self.__ledger.weight(symbol)

    def weights(self) -> dict[str, float]:
        """Weights of the open positions (a fresh dict)."""
        ledger = self.__ledger
        equity = ledger.equity()
        return {s: weight_of(ledger.market_value(s), equity) for s in ledger.positions()}

    def gross_exposure(self) -> float:
        """``Σ |market value|``, base currency."""
        return self.__ledger.gross_exposure()

    def net_exposure(self) -> float:
        """``Σ market value``, base currency."""
        return self.__ledger.net_exposure()

    def leverage(self) -> float:
        """Gross exposure over equity (``inf`` when exposed with equity <= 0)."""
        return self.__ledger.leverage()

    def positions(self) -> dict[str, PositionInfo]:
        """The open positions by symbol, as immutable ``PositionInfo`` (a fresh dict)."""
        ledger = self.__ledger
        equity = ledger.equity()
        result = {}
        for symbol, position in ledger.positions().items():
            value = ledger.market_value(symbol)
            result[symbol] = PositionInfo(
                symbol,
                position.quantity,
                position.avg_open_price,
                ledger.last_price(symbol),
                value,
                ledger.unrealized_pnl(symbol),
                weight_of(value, equity),
            )
        return result

    def instrument(self, symbol: str) -> Instrument:
        """The (immutable) instrument, for its tick, lot, multiplier and margin."""
        return self.__ledger.instrument(symbol)
