"""The ledger's running totals of flows, in base currency, exact (``Decimal``).

Flows (realized PnL, fees, traded notional, charges) are converted to base currency **when they
are booked**, at the fx rate of that moment, and summed per symbol (``None`` for flows not tied
to a symbol). Stocks (cash, positions) are converted at read time instead; see the ledger.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Context, Decimal, localcontext

__all__ = ["CHARGE_KINDS", "DECIMAL_CONTEXT", "Tally"]

#: The kinds of non-trade cash flow :meth:`Ledger.charge` books. Fill fees are reported under
#: ``"commission"`` as well, so ``costs_by_kind()`` is the complete cost breakdown.
CHARGE_KINDS: tuple[str, ...] = ("borrow", "commission", "funding", "interest")

_ZERO = Decimal(0)

#: Wide enough that sums of products of prices, quantities and fx rates stay exact (as in
#: ``domain/positions.py``); every ledger computation in ``Decimal`` runs in it.
DECIMAL_CONTEXT = Context(prec=60)


class Tally:
    """Per-symbol sums of realized PnL, fees, traded notional, and charges by kind."""

    __slots__ = ("_charges", "_fees", "_notional", "_realized")

    def __init__(self) -> None:
        self._realized: defaultdict[str, Decimal] = defaultdict(Decimal)
        self._fees: defaultdict[str, Decimal] = defaultdict(Decimal)
        self._notional: defaultdict[str, Decimal] = defaultdict(Decimal)
        self._charges: defaultdict[tuple[str, str | None], Decimal] = defaultdict(Decimal)

    def book_fill(self, symbol: str, realized: Decimal, fee: Decimal, notional: Decimal) -> None:
        """Add one fill's base-currency realized PnL (net of fee), fee and |notional|."""
        add = DECIMAL_CONTEXT.add
        self._realized[symbol] = add(self._realized[symbol], realized)
        self._fees[symbol] = add(self._fees[symbol], fee)
        self._notional[symbol] = add(self._notional[symbol], notional)

    def book_charge(self, kind: str, symbol: str | None, amount: Decimal) -> None:
        """Add a base-currency charge (positive = paid) of ``kind``."""
        key = (kind, symbol)
        self._charges[key] = DECIMAL_CONTEXT.add(self._charges[key], amount)

    def realized(self, symbol: str | None) -> Decimal:
        """Realized PnL net of fill fees, of ``symbol`` or of all (``None``)."""
        return _pick(self._realized, symbol)

    def fees(self, symbol: str | None) -> Decimal:
        """Fill fees paid (rebates negative), of ``symbol`` or of all (``None``)."""
        return _pick(self._fees, symbol)

    def notional(self, symbol: str | None) -> Decimal:
        """Traded notional ``Σ |qty * price * multiplier|``, of ``symbol`` or of all."""
        return _pick(self._notional, symbol)

    def costs(self, symbol: str | None) -> dict[str, Decimal]:
        """Costs by kind (every kind present), fill fees included under ``"commission"``.

        ``symbol=None`` sums everything, charges without a symbol included.
        """
        result = dict.fromkeys(CHARGE_KINDS, _ZERO)
        with localcontext(DECIMAL_CONTEXT):
            for (kind, charged), amount in self._charges.items():
                if symbol is None or charged == symbol:
                    result[kind] += amount
            result["commission"] += self.fees(symbol)
        return result


def _pick(values: dict[str, Decimal], symbol: str | None) -> Decimal:
    if symbol is None:
        with localcontext(DECIMAL_CONTEXT):
            return sum(values.values(), _ZERO)
    return values.get(symbol, _ZERO)
