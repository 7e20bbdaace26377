"""The ledger: cash by currency, positions, PnL and costs, and a fast float mirror for marking.

Two representations on purpose (``docs/portfolio.md`` explains them in full):

* **The books** are exact ``Decimal``: cash per currency, one ``domain.positions.Position`` per
  instrument (quantity, cost basis, realized PnL, fees), and the running totals of flows. Only
  ``apply`` (a fill) and ``charge`` (a non-trade cash flow) change them.
* **The float mirror** is what ``mark`` updates once per bar per symbol: the last price, the
  position's quantity as a float, and its market value in base currency, kept in plain lists
  indexed by a slot per instrument. ``equity()`` and the exposures read only the mirror, so the
  per-bar path never touches ``Decimal``. ``equity_decimal()`` recomputes the same figure from the
  books (marks converted through their shortest ``repr``) for reports and tests.

Sign conventions: quantities are signed (short < 0); a fill moves the cash of the instrument's
currency by ``-sign * qty * price * multiplier - fee``; ``charge`` amounts and fees are positive
when paid and negative when received (a rebate, interest earned, funding received).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal, getcontext, localcontext, setcontext
from types import MappingProxyType

from alphaforge.core.suggest import did_you_mean
from alphaforge.domain.enums import OrderSide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.fills import Fill
from alphaforge.domain.instruments import Instrument
from alphaforge.domain.positions import Position
from alphaforge.portfolio._tally import CHARGE_KINDS, DECIMAL_CONTEXT, Tally
from alphaforge.portfolio.snapshot import LedgerSnapshot, PositionSnapshot

__all__ = ["CashLike", "Ledger"]

CashLike = Decimal | int | str
"""An amount of money: ``Decimal``, ``int`` or a decimal string (never a float: binary noise)."""

_ZERO = Decimal(0)
_INF = math.inf
_NAN = math.nan


def _amount(value: object, name: str) -> Decimal:
    """Return ``value`` as a finite ``Decimal``; floats and bools are refused."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise InvalidValueError(
            f"{name} must be a Decimal, int or decimal string, got {type(value).__name__} {value!r}"
        )
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except ArithmeticError:
        raise InvalidValueError(f"{name} is not a number: {value!r}") from None
    if not result.is_finite():
        raise InvalidValueError(f"{name} must be finite, got {value!r}")
    return result


def _check_currency(code: object, name: str = "currency") -> str:
    if not isinstance(code, str) or not code or not code.isalnum():
        raise InvalidValueError(f"{name} must be a currency code such as 'USD', got {code!r}")
    return code


def weight_of(value: float, equity: float) -> float:
    """``value / equity``, failing closed: ``±inf`` (by the sign of ``value``) when equity <= 0,
    so that a risk limit on weight denies rather than passes (a NaN compares false)."""
    if not value:
        return 0.0
    return value / equity if equity > 0 else math.copysign(_INF, value)


def _to_decimal(value: float) -> Decimal:
    """A float mark or rate as the decimal it was meant to be (its shortest ``repr``)."""
    return Decimal(repr(float(value)))


class Ledger:
    """Multi-asset, multi-currency account: the single owner of cash and positions.

    ``cash`` is a mapping of currency to amount, or one amount in ``base_currency``. Currencies
    other than the base need an fx rate (``fx_rates`` here, or :meth:`set_fx_rate`) before any
    money is booked in them; ``rate_to_base`` is the price of one unit in base currency (for a
    EUR amount in a USD ledger, the EUR/USD rate).
    """

    def __init__(
        self,
        base_currency: str = "USD",
        cash: Mapping[str, CashLike] | CashLike = 0,
        instruments: Iterable[Instrument] = (),
        *,
        fx_rates: Mapping[str, float] | None = None,
    ) -> None:
        """Open an account with starting ``cash``, known ``instruments`` and fx rates."""
        self._base = _check_currency(base_currency, "base_currency")
        self._fx: dict[str, float] = {self._base: 1.0}
        self._cash: dict[str, Decimal] = {self._base: _ZERO}
        self._tally = Tally()
        self._ts = 0
        # the float mirror, one slot per instrument
        self._slot: dict[str, int] = {}
        self._instruments: list[Instrument] = []
        self._positions: list[Position] = []
        self._qty: list[float] = []  # float(position.quantity)
        self._last: list[float] = []  # last mark, NaN until the first mark or fill
        self._k: list[float] = []  # multiplier * fx rate of the instrument's currency
        self._mv: list[float] = []  # qty * last * k: market value in base currency
        self._cost: list[float] = []  # float(position.cost_basis), instrument currency
        self._cash_f = 0.0  # Σ float(cash) * fx, base currency
        for currency, rate in (fx_rates or {}).items():
            self.set_fx_rate(currency, rate)
        items = cash.items() if isinstance(cash, Mapping) else ((self._base, cash),)
        for currency, amount in items:
            self._rate(_check_currency(currency))
            self._cash[currency] = _amount(amount, f"cash[{currency!r}]")
        for instrument in instruments:
            self.add_instrument(instrument)
        self._sync_cash()

    def __repr__(self) -> str:
        return (
            f"Ledger(base={self._base} equity={self.equity():.2f} "
            f"positions={len(self.positions())} instruments={len(self._instruments)})"
        )

    # ------------------------------------------------------------------ set-up
    @property
    def base_currency(self) -> str:
        """The currency equity, exposures and every converted total are reported in."""
        return self._base

    def add_instrument(self, instrument: Instrument) -> None:
        """Make ``instrument`` tradable here; adding the same one again changes nothing.

        A different instrument under a symbol already known raises ``InvalidValueError``.
        """
        if not isinstance(instrument, Instrument):
            raise InvalidValueError(f"expected an Instrument, got {type(instrument).__name__}")
        known = self._slot.get(instrument.symbol)
        if known is not None:
            if self._instruments[known] != instrument:
                raise InvalidValueError(
                    f"instrument {instrument.symbol!r} is already known with other terms: "
                    f"{self._instruments[known]!r}"
                )
            return
        self._slot[instrument.symbol] = len(self._instruments)
        self._instruments.append(instrument)
        self._positions.append(Position(instrument))
        self._qty.append(0.0)
        self._last.append(_NAN)
        # an unknown rate leaves k at 0: harmless, since nothing can be booked before the rate
        self._k.append(float(instrument.multiplier) * self._fx.get(instrument.currency, 0.0))
        self._mv.append(0.0)
        self._cost.append(0.0)

    def instrument(self, symbol: str) -> Instrument:
        """The instrument traded as ``symbol``."""
        try:
            return self._instruments[self._slot[symbol]]  # _index inlined: a hot path
        except KeyError:
            raise self._unknown(symbol) from None

    def set_fx_rate(self, currency: str, rate_to_base: float) -> None:
        """Set the value of one unit of ``currency`` in base currency (the base is always 1).

        Cash and positions in ``currency`` are revalued at once; flows booked earlier keep the
        rate they were booked at.
        """
        _check_currency(currency)
        rate = float(rate_to_base)
        if not 0.0 < rate < _INF:
            raise InvalidValueError(f"fx rate of {currency} must be finite and > 0, got {rate!r}")
        if currency == self._base and rate != 1.0:
            raise InvalidValueError(f"the base currency {currency} has rate 1, got {rate!r}")
        self._fx[currency] = rate
        for i, instrument in enumerate(self._instruments):
            if instrument.currency == currency:
                self._k[i] = float(instrument.multiplier) * rate
                self._mv[i] = self._qty[i] * self._last[i] * self._k[i] if self._qty[i] else 0.0
        self._sync_cash()

    # ------------------------------------------------------------------ booking
    def apply(self, fill: Fill) -> Decimal:
        """Book ``fill``; return the PnL it realized net of its fee, in the instrument's currency.

        Cash of the instrument's currency moves by ``-sign * qty * price * multiplier - fee``.
        Raises ``InvalidValueError`` (and books nothing) for an unknown symbol, a currency
        without an fx rate, or a fee in a currency other than the instrument's.
        """
        try:
            i = self._slot[fill.symbol]  # _index inlined: once per fill
        except KeyError:
            raise self._unknown(fill.symbol) from None
        instrument = self._instruments[i]
        currency = instrument.currency
        rate = self._fx.get(currency)
        if rate is None:
            rate = self._rate(currency)  # raises: no rate for this currency
        position = self._positions[i]
        # Every Decimal operation of a fill (the position's, the cash's, the tally's) computes in
        # DECIMAL_CONTEXT (exact, 60 digits), made the current context once for all of them:
        # operators in the current context cost a third of the context's methods, and
        # ``setcontext`` a tenth of ``localcontext`` (which copies the context).
        previous = getcontext()
        setcontext(DECIMAL_CONTEXT)
        try:
            # validates first: nothing is booked if it raises
            realized = position.apply_in_context(fill)
            notional = fill.quantity * fill.price * instrument.multiplier
            held = self._cash.get(currency, _ZERO)
            held = held + notional if fill.side is OrderSide.SELL else held - notional
            self._cash[currency] = held - fill.fee
            if rate == 1.0:
                self._tally.book_fill(fill.symbol, realized, fill.fee, notional)
            else:
                fx = _to_decimal(rate)
                self._tally.book_fill(fill.symbol, realized * fx, fill.fee * fx, notional * fx)
        finally:
            setcontext(previous)
        qty = float(position.quantity)
        self._qty[i] = qty
        # A flat position's cost is zero by construction (``Position._close``)
        self._cost[i] = float(position.cost_basis) if qty else 0.0
        if math.isnan(self._last[i]):
            self._last[i] = float(fill.price)  # value it at its fill price until the first mark
        self._mv[i] = qty * self._last[i] * self._k[i] if qty else 0.0
        cash = self._cash
        if len(cash) == 1:  # _sync_cash's common case, inline: only the base currency
            self._cash_f = float(cash[self._base])
        else:
            self._sync_cash()
        if fill.ts_event > self._ts:  # noqa: PLR1730 (cheaper than a call to max, once per fill)
            self._ts = fill.ts_event
        return realized

    def charge(
        self,
        amount: CashLike,
        currency: str,
        kind: str,
        ts: int,
        symbol: str | None = None,
    ) -> None:
        """Book a non-trade cash flow: ``amount > 0`` is paid, ``amount < 0`` is received.

        ``kind`` is one of :data:`CHARGE_KINDS` (borrow fee, funding, interest, or a commission
        adjustment); ``symbol`` attributes it to an instrument (``costs_by_kind(symbol)``).
        """
        value = _amount(amount, "charge amount")
        _check_currency(currency)
        if kind not in CHARGE_KINDS:
            raise InvalidValueError(
                f"charge kind must be one of {', '.join(CHARGE_KINDS)}; got {kind!r}"
                + did_you_mean(str(kind), CHARGE_KINDS)
            )
        if symbol is not None:
            self._index(symbol)
        rate = self._rate(currency)
        ctx = DECIMAL_CONTEXT
        self._cash[currency] = ctx.subtract(self._cash.get(currency, _ZERO), value)
        base = value if rate == 1.0 else ctx.multiply(value, _to_decimal(rate))
        self._tally.book_charge(kind, symbol, base)
        self._sync_cash()
        self._ts = max(self._ts, ts)

    def mark(self, symbol: str, price: float, ts: int) -> None:
        """Revalue ``symbol`` at ``price`` (the per-bar hot path: O(1), floats only).

        ``price`` must be a finite float > 0; ``ts`` (int ns) becomes the ledger's time if later.
        """
        try:
            i = self._slot[symbol]
        except KeyError:
            raise self._unknown(symbol) from None
        if not 0.0 < price < _INF:
            raise InvalidValueError(f"mark of {symbol} must be finite and > 0, got {price!r}")
        value = self._qty[i] * price * self._k[i]  # before any store: a Decimal fails here
        self._last[i] = price
        self._mv[i] = value
        if ts > self._ts:  # noqa: PLR1730 (cheaper than a call to max on the hot path)
            self._ts = ts

    def float_quantity(self, symbol: str) -> float:
        """Signed quantity as a float (the hot-path mirror; exact value: ``position()``)."""
        try:
            return self._qty[self._slot[symbol]]
        except KeyError:
            raise self._unknown(symbol) from None

    # ------------------------------------------------------------------ exact read-outs
    def cash(self, currency: str | None = None) -> Decimal:
        """Cash held in ``currency`` (0 if none); ``None``: all cash in base currency."""
        if currency is not None:
            return self._cash.get(currency, _ZERO)
        with localcontext(DECIMAL_CONTEXT):
            return sum((self._in_base(amount, ccy) for ccy, amount in self._cash.items()), _ZERO)

    def position(self, symbol: str) -> Position:
        """The position in ``symbol`` (flat if never traded); the ledger's own object."""
        try:
            return self._positions[self._slot[symbol]]  # _index inlined: a hot path
        except KeyError:
            raise self._unknown(symbol) from None

    def positions(self) -> dict[str, Position]:
        """The open (non-flat) positions by symbol."""
        return {p.symbol: p for p in self._positions if p.quantity}

    def equity_decimal(self) -> Decimal:
        """Equity recomputed from the books: ``cash + Σ qty * last * multiplier``, in base.

        Exact given the marks and rates (each taken as the decimal of its shortest ``repr``).
        """
        with localcontext(DECIMAL_CONTEXT):
            total = self.cash()
            for i, position in enumerate(self._positions):
                if position.quantity:
                    value = position.market_value(_to_decimal(self._last[i]))
                    total += self._in_base(value, position.instrument.currency)
            return total

    def realized_pnl(self, symbol: str | None = None) -> Decimal:
        """Realized PnL net of fill fees, in base (each fill at its booking-time rate)."""
        return self._tally.realized(self._opt(symbol))

    def fees_paid(self, symbol: str | None = None) -> Decimal:
        """Fill fees paid (rebates negative), in base at booking-time rates."""
        return self._tally.fees(self._opt(symbol))

    def costs_by_kind(self, symbol: str | None = None) -> dict[str, Decimal]:
        """Costs by kind (all of :data:`CHARGE_KINDS`), in base; fill fees count as commission.

        Positive is paid, negative received. With ``symbol``, only what was attributed to it.
        """
        return self._tally.costs(self._opt(symbol))

    def turnover(self) -> Decimal:
        """Traded notional ``Σ |qty * price * multiplier|`` of every fill, in base currency.

        Divide by average equity over the period for the turnover ratio (a one-way figure: a
        round trip of the whole book counts twice).
        """
        return self._tally.notional(None)

    def traded_notional(self, symbol: str | None = None) -> Decimal:
        """Traded notional of ``symbol`` (or of all, like :meth:`turnover`), in base currency."""
        return self._tally.notional(self._opt(symbol))

    # ------------------------------------------------------------------ fast read-outs (float)
    def equity(self) -> float:
        """Cash plus the market value of every position, in base currency (the float mirror)."""
        return self._cash_f + sum(self._mv)

    def gross_exposure(self) -> float:
        """``Σ |market value|`` in base currency."""
        gross = 0.0
        for value in self._mv:  # a plain loop beats sum(map(abs, ...)) on short lists
            gross += abs(value)
        return gross

    def net_exposure(self) -> float:
        """``Σ market value`` in base currency (shorts count negative)."""
        return sum(self._mv)

    def leverage(self) -> float:
        """``gross_exposure / equity``; ``inf`` when exposed with equity <= 0 (fails closed)."""
        gross = self.gross_exposure()
        if not gross:
            return 0.0
        equity = self.equity()
        return gross / equity if equity > 0 else _INF

    def weight(self, symbol: str) -> float:
        """Market value of ``symbol`` over equity (signed); ``±inf`` when equity <= 0."""
        value = self._mv[self._index(symbol)]
        return weight_of(value, self.equity()) if value else 0.0

    def market_value(self, symbol: str) -> float:
        """Signed market value of ``symbol`` at its last mark, in base currency."""
        return self._mv[self._index(symbol)]

    def last_price(self, symbol: str) -> float:
        """The last mark of ``symbol`` (its first fill price before any mark; NaN before both)."""
        try:
            return self._last[self._slot[symbol]]  # _index inlined: a hot path
        except KeyError:
            raise self._unknown(symbol) from None

    def unrealized_pnl(self, symbol: str | None = None) -> float:
        """What closing at the last marks would realize before fees, in base at current rates."""
        slots = range(len(self._mv)) if symbol is None else (self._index(symbol),)
        total = 0.0
        for i in slots:
            if self._qty[i]:
                total += self._mv[i] - self._cost[i] * self._fx[self._instruments[i].currency]
        return total

    def margin_used(self) -> float:
        """Initial margin the open positions tie up: ``Σ |market value| * margin_init``."""
        return sum(
            abs(value) * float(self._instruments[i].margin_init)
            for i, value in enumerate(self._mv)
            if value
        )

    def buying_power(self, max_leverage: float) -> float:
        """Gross notional that may still be opened: ``equity * max_leverage - gross_exposure``.

        Negative when the account is already above ``max_leverage`` (it must reduce).
        """
        if not 0.0 < max_leverage < _INF:
            raise InvalidValueError(f"max_leverage must be finite and > 0, got {max_leverage!r}")
        return self.equity() * max_leverage - self.gross_exposure()

    def snapshot(self, ts: int | None = None) -> LedgerSnapshot:
        """A frozen copy of cash, marked figures and open positions at ``ts`` (default: the
        latest time the ledger has seen in a mark, fill or charge)."""
        positions = {
            p.symbol: PositionSnapshot(p.quantity, p.avg_open_price, self._last[i])
            for i, p in enumerate(self._positions)
            if p.quantity
        }
        return LedgerSnapshot(
            ts=self._ts if ts is None else ts,
            base_currency=self._base,
            cash=MappingProxyType(dict(self._cash)),
            equity=self.equity(),
            gross=self.gross_exposure(),
            net=self.net_exposure(),
            positions=MappingProxyType(positions),
        )

    # ------------------------------------------------------------------ package internals
    def equity_row(self) -> tuple[float, float, float, float]:
        """``(equity, cash, gross, net)`` in base currency, in one pass over the float mirror."""
        out: list[float] = []
        self.equity_into(out)
        return out[0], out[1], out[2], out[3]

    def equity_into(self, out: list[float]) -> None:
        """Append :meth:`equity_row`'s four values to ``out``: the kernel's per-bar record,
        without a tuple per step."""
        net = gross = 0.0
        for value in self._mv:
            net += value
            gross += abs(value)
        cash = self._cash_f
        out.append(cash + net)
        out.append(cash)
        out.append(gross)
        out.append(net)

    def _index(self, symbol: str) -> int:
        try:
            return self._slot[symbol]
        except KeyError:
            raise self._unknown(symbol) from None

    def _opt(self, symbol: str | None) -> str | None:
        if symbol is not None:
            self._index(symbol)
        return symbol

    def _unknown(self, symbol: object) -> InvalidValueError:
        return InvalidValueError(
            f"unknown instrument {symbol!r}; add it with add_instrument first"
            + did_you_mean(str(symbol), self._slot)
        )

    def _rate(self, currency: str) -> float:
        try:
            return self._fx[currency]
        except KeyError:
            raise InvalidValueError(
                f"no fx rate for {currency} in a {self._base} ledger; call set_fx_rate first"
            ) from None

    def _in_base(self, amount: Decimal, currency: str) -> Decimal:
        """``amount`` of ``currency`` in base at the current rate (call in DECIMAL_CONTEXT)."""
        rate = self._fx[currency]
        return amount if rate == 1.0 else amount * _to_decimal(rate)

    def _sync_cash(self) -> None:
        """Refresh the float mirror of cash (base currency) after a booking or an fx move."""
        cash = self._cash
        if len(cash) == 1:  # only the base currency: the common case, kept cheap
            self._cash_f = float(cash[self._base])
        else:
            self._cash_f = sum(float(amount) * self._fx[ccy] for ccy, amount in cash.items())
