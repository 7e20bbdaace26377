"""Positions: the signed holding of one instrument, and its profit and loss, in ``Decimal``.

Conventions (all amounts in the instrument's ``currency``):

* ``quantity`` is signed: ``> 0`` long, ``< 0`` short.
* The position keeps its **cost basis** ``quantity * avg_open_price`` rather than the average
  itself, so no money is created or lost by rounding: a partial close removes the closed fraction
  of the cost, the rest stays with the position. ``avg_open_price = cost / quantity``.
* Adding at the same sign moves the average (quantity-weighted); closing never moves it.
* Closing ``q`` units at ``px`` realizes ``(px - avg) * q * multiplier * sign(position)``.
* A fill larger than the position flips it: the old position is closed at the fill price, the
  remainder opens a new one at the fill price (exactly as two fills would).
* Fees are subtracted from ``realized_pnl`` at once and also summed in ``fees_paid``; a negative
  fee (rebate) adds to PnL. ``realized_pnl`` is therefore net of fees, and
  ``realized_pnl + unrealized_pnl(p)`` equals cash-flow accounting:
  ``Σ(-sign * qty * px * multiplier) - Σ fees + quantity * p * multiplier``.
* Fees must be booked in the instrument's currency; converting others is the ledger's job.
"""

from __future__ import annotations

from decimal import Context, Decimal, getcontext, localcontext, setcontext

from alphaforge.domain.enums import OrderSide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.fills import Fill
from alphaforge.domain.instruments import Instrument

__all__ = ["Position"]

# Wide enough that sums of qty * price products stay exact; a fraction of a cost basis (the
# only division) is cut to _SCALE decimal places so that later sums stay exact as well.
_CTX = Context(prec=60)
_SCALE = Decimal("1e-18")
_ZERO = Decimal(0)


def _sign(value: Decimal) -> int:
    return (value > 0) - (value < 0)


class Position:
    """The position in one instrument, updated fill by fill (owned by the ledger)."""

    __slots__ = (
        "_cost",
        "fees_paid",
        "fill_count",
        "instrument",
        "quantity",
        "realized_pnl",
        "ts_last",
    )

    def __init__(self, instrument: Instrument) -> None:
        """Start flat in ``instrument``."""
        self.instrument = instrument
        self.quantity = _ZERO
        self.realized_pnl = _ZERO
        self.fees_paid = _ZERO
        self.fill_count = 0
        self.ts_last: int | None = None
        self._cost = _ZERO  # signed like quantity, in price units (no multiplier)

    def __repr__(self) -> str:
        return (
            f"Position({self.symbol} qty={self.quantity} avg={self.avg_open_price} "
            f"realized={self.realized_pnl} fees={self.fees_paid})"
        )

    # ------------------------------------------------------------------ read side
    @property
    def symbol(self) -> str:
        """The instrument's symbol."""
        return self.instrument.symbol

    @property
    def avg_open_price(self) -> Decimal | None:
        """The average price of the open quantity, ``None`` when flat."""
        if not self.quantity:
            return None
        return self._cost / self.quantity

    @property
    def cost_basis(self) -> Decimal:
        """``quantity * avg_open_price * multiplier``: what the open quantity cost (signed)."""
        return self._cost * self.instrument.multiplier

    @property
    def is_flat(self) -> bool:
        """Whether the quantity is zero."""
        return not self.quantity

    @property
    def is_long(self) -> bool:
        """Whether the quantity is positive."""
        return self.quantity > 0

    @property
    def is_short(self) -> bool:
        """Whether the quantity is negative."""
        return self.quantity < 0

    def market_value(self, mark_price: Decimal) -> Decimal:
        """``quantity * mark * multiplier``, signed (a short is worth a negative amount)."""
        return self.quantity * mark_price * self.instrument.multiplier

    def notional(self, mark_price: Decimal) -> Decimal:
        """Gross exposure ``|quantity| * mark * multiplier`` (never negative)."""
        return abs(self.market_value(mark_price))

    def unrealized_pnl(self, mark_price: Decimal) -> Decimal:
        """What closing everything at ``mark_price`` would realize, before fees."""
        with localcontext(_CTX):
            return (self.quantity * mark_price - self._cost) * self.instrument.multiplier

    def total_pnl(self, mark_price: Decimal) -> Decimal:
        """``realized_pnl + unrealized_pnl(mark_price)``."""
        return self.realized_pnl + self.unrealized_pnl(mark_price)

    # ------------------------------------------------------------------ updates
    def apply(self, fill: Fill) -> Decimal:
        """Book ``fill``; return the PnL it realized, net of its fee.

        Raises ``InvalidValueError`` when the fill is for another symbol or charges its fee in
        another currency; the position is unchanged then.
        """
        previous = getcontext()
        setcontext(_CTX)
        try:
            return self.apply_in_context(fill)
        finally:
            setcontext(previous)

    def apply_in_context(self, fill: Fill) -> Decimal:
        """:meth:`apply`, computing in the current decimal context, which must be a 60-digit one
        like this module's (``Context(prec=60)``, as ``apply`` sets it).

        For the ledger, which books the fill's cash in the same context: it sets the context
        once per fill (``decimal.setcontext``: a tenth of the cost of ``localcontext``, which
        copies it) and the operators then cost a third of the context's methods.
        """
        self._check(fill)
        closed, realized = self._close(fill)
        remaining = fill.quantity - closed
        if remaining:
            opened = remaining if fill.side is OrderSide.BUY else remaining * -1
            self.quantity += opened
            self._cost += opened * fill.price
        realized -= fill.fee
        self.realized_pnl += realized
        self.fees_paid += fill.fee
        self.fill_count += 1
        self.ts_last = fill.ts_event
        return realized

    def _close(self, fill: Fill) -> tuple[Decimal, Decimal]:
        """Close what ``fill`` takes off the position; return (quantity closed, gross PnL)."""
        direction = _sign(self.quantity)
        if direction == 0 or (direction > 0) == (fill.side is OrderSide.BUY):
            return _ZERO, _ZERO
        held = abs(self.quantity)
        closed = min(held, fill.quantity)
        if closed == held:
            removed = self._cost
        else:
            removed = self._cost * closed / held
            cut = removed.quantize(_SCALE)
            if cut != removed:  # an inexact share of the cost: cut it so later sums stay exact
                removed = cut
        self.quantity -= direction * closed
        self._cost = self._cost - removed if self.quantity else _ZERO
        return closed, (direction * closed * fill.price - removed) * self.instrument.multiplier

    def _check(self, fill: Fill) -> None:
        if fill.symbol != self.instrument.symbol:
            raise InvalidValueError(
                f"fill {fill.trade_id} is for {fill.symbol!r}, not {self.instrument.symbol!r}"
            )
        if fill.fee and fill.fee_currency != self.instrument.currency:
            raise InvalidValueError(
                f"fill {fill.trade_id} charges its fee in {fill.fee_currency}; position "
                f"{self.instrument.symbol} books in {self.instrument.currency} (convert first)"
            )
