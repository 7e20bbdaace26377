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


_REALIZED, _FEES, _NOTIONAL = 0, 1, 2  # the sums of a symbol's fills, in this order


class Tally:
    """Per-symbol sums of realized PnL, fees, traded notional, and charges by kind."""

    __slots__ = ("_charges", "_fills")

    def __init__(self) -> None:
        # symbol -> [realized, fees, notional]: one look-up per fill for the three sums
        self._fills: dict[str, list[Decimal]] = {}
        self._charges: defaultdict[tuple[str, str | None], Decimal] = defaultdict(Decimal)

    def book_fill(self, symbol: str, realized: Decimal, fee: Decimal, notional: Decimal) -> None:
        """Add one fill's base-currency realized PnL (net of fee), fee and |notional|.

        Call it with ``DECIMAL_CONTEXT`` as the current decimal context (the ledger books a
        fill in it): the sums are the operators' in that context.
        """
        sums = self._fills.get(symbol)
        if sums is None:
            sums = self._fills[symbol] = [_ZERO, _ZERO, _ZERO]
        sums[_REALIZED] += realized
        sums[_FEES] += fee
        sums[_NOTIONAL] += notional

    def book_charge(self, kind: str, symbol: str | None, amount: Decimal) -> None:
        """Add a base-currency charge (positive = paid) of ``kind``."""
        key = (kind, symbol)
        self._charges[key] = DECIMAL_CONTEXT.add(self._charges[key], amount)

    def realized(self, symbol: str | None) -> Decimal:
        """Realized PnL net of fill fees, of ``symbol`` or of all (``None``)."""
        return self._pick(_REALIZED, symbol)

    def fees(self, symbol: str | None) -> Decimal:
        """Fill fees paid (rebates negative), of ``symbol`` or of all (``None``)."""
        return self._pick(_FEES, symbol)

    def notional(self, symbol: str | None) -> Decimal:
        """Traded notional ``Σ |qty * price * multiplier|``, of ``symbol`` or of all."""
        return self._pick(_NOTIONAL, symbol)

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

    def _pick(self, which: int, symbol: str | None) -> Decimal:
        """Sum ``which`` of ``symbol`` (``_ZERO`` if it never traded) or of every symbol."""
        if symbol is None:
            with localcontext(DECIMAL_CONTEXT):
                return sum((sums[which] for sums in self._fills.values()), _ZERO)
        sums = self._fills.get(symbol)
        return _ZERO if sums is None else sums[which]
