"""Instruments: what can be traded, and the grid its prices and quantities live on.

An ``Instrument`` turns loose numbers into legal ones: prices on the tick grid, quantities on the
lot grid, notional values with the contract multiplier. Everything is ``Decimal``; a float given to
a converter goes through ``repr`` first, so ``0.1`` means one tenth and not its binary neighbour.

Two kinds of rounding on purpose:

* ``price(x)`` / ``quantity(x)`` *convert* a number meant to be on the grid (a price from a file, a
  size typed by a person): nearest grid point, ties to even, which absorbs binary noise.
* ``round_price(p, side=...)`` / ``round_quantity(q)`` *decide*: a limit price rounded passively
  (a buy down, a sell up, so the order never pays more than asked) and a size rounded towards zero
  (an order is never larger than what sizing allowed).

A tick can depend on the price (``tick_tiers``): US equities quote in cents from $1.00 and in
hundredths of a cent below (SEC Rule 612, ``RULE_612``). Every rounding and check takes the tick of
the price at hand, so a series that crosses $1 trades on the grid of each moment, decided by
nothing later.

Prices must be positive: instruments that trade at negative prices (spreads, some futures) are not
supported yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
)

from alphaforge.domain._num import DecimalLike, to_decimal, to_positive
from alphaforge.domain.enums import AssetClass, OrderSide
from alphaforge.domain.errors import InvalidValueError

__all__ = ["RULE_612", "Instrument"]

#: SEC Rule 612's minimum increments for US NMS stocks: $0.01 from $1.00, with ``tick_size``
#: ``0.0001`` below (``Instrument.equity(..., tick_size="0.0001", tick_tiers=RULE_612)``).
RULE_612: tuple[tuple[Decimal, Decimal], ...] = ((Decimal(1), Decimal("0.01")),)

# Enough digits that ``price / tick`` is exact for any price a venue can quote.
_CTX = Context(prec=60)
_ROUNDING_MODES = frozenset(
    {"ROUND_HALF_EVEN", "ROUND_HALF_UP", "ROUND_HALF_DOWN", "ROUND_UP", "ROUND_DOWN"}
    | {"ROUND_CEILING", "ROUND_FLOOR", "ROUND_05UP"}
)


# One context per rounding mode for the integral step of ``_on_grid``: ``Context.
# to_integral_value`` with the mode in the context costs half of ``Decimal.to_integral_value``
# with ``rounding=`` and ``context=`` keywords, and gives the same result (it is exact at any
# precision). Every fill price and every sized order goes through it.
_INTEGRAL = {mode: Context(prec=60, rounding=mode) for mode in _ROUNDING_MODES}


def _on_grid(value: Decimal, step: Decimal, mode: str) -> Decimal:
    """Round ``value`` to a multiple of ``step`` with the ``decimal`` rounding ``mode``."""
    steps = _INTEGRAL[mode].to_integral_value(_CTX.divide(value, step))
    return _CTX.multiply(steps, step)


def _is_multiple(value: Decimal, step: Decimal) -> bool:
    return _CTX.remainder(value, step).is_zero()


def _split_pair(symbol: str) -> tuple[str, str]:
    """Return ``("EUR", "USD")`` for ``"EUR/USD"``; six letters without a slash also work."""
    if "/" in symbol:
        base, _, quote = symbol.partition("/")
    elif len(symbol) == 6 and symbol.isalpha():
        base, quote = symbol[:3], symbol[3:]
    else:
        raise InvalidValueError(
            f"cannot read base and quote currencies from symbol {symbol!r}; "
            "write it as 'BASE/QUOTE' or pass base= and quote="
        )
    if not base or not quote:
        raise InvalidValueError(f"symbol {symbol!r} must look like 'BASE/QUOTE'")
    return base.upper(), quote.upper()


def _check_code(name: str, value: str | None, *, required: bool) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not value or not value.isalnum():
        raise InvalidValueError(
            f"{name} must be a currency code such as 'USD' or 'USDT', got {value!r}"
        )


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable thing and its rules: tick, lot, multiplier, margin, shortability.

    ``currency`` is the currency prices and PnL are quoted in (the quote currency of a pair).
    ``min_quantity`` is the smallest order the venue takes; ``0`` means one lot.
    ``margin_init`` is the fraction of notional held as initial margin: ``1`` for cash equities,
    ``0.05`` for a future needing 5 %.
    ``tick_tiers`` are ``(from_price, tick)`` pairs, ascending: from that price up the tick is the
    pair's (``tick_size`` below the first). Each tier's tick is a multiple of the one below and
    its first price a multiple of its tick, so a price on a coarser grid is on every finer one and
    a rounding never leaves its tier's grid (``RULE_612``; ``tick_at``).
    """

    symbol: str
    asset_class: AssetClass
    currency: str
    tick_size: Decimal
    lot_size: Decimal
    multiplier: Decimal = Decimal(1)
    min_quantity: Decimal = Decimal(0)
    venue: str | None = None
    base_currency: str | None = None
    quote_currency: str | None = None
    margin_init: Decimal = Decimal(1)
    shortable: bool = True
    tick_tiers: Sequence[tuple[Decimal, Decimal]] = ()  # stored as a tuple

    def __post_init__(self) -> None:
        if not isinstance(self.symbol, str) or not self.symbol.strip():
            raise InvalidValueError(f"symbol must be a non-empty string, got {self.symbol!r}")
        try:
            asset_class = AssetClass(self.asset_class)
        except ValueError:
            allowed = ", ".join(c.value for c in AssetClass)
            raise InvalidValueError(
                f"asset_class must be one of {allowed}; got {self.asset_class!r}"
            ) from None
        object.__setattr__(self, "asset_class", asset_class)
        _check_code("currency", self.currency, required=True)
        _check_code("base_currency", self.base_currency, required=False)
        _check_code("quote_currency", self.quote_currency, required=False)
        for name in ("tick_size", "lot_size", "multiplier", "margin_init"):
            object.__setattr__(self, name, to_positive(getattr(self, name), name))
        min_quantity = to_decimal(self.min_quantity, "min_quantity")
        if min_quantity < 0:
            raise InvalidValueError(f"min_quantity must be >= 0, got {min_quantity}")
        object.__setattr__(self, "min_quantity", min_quantity)
        object.__setattr__(self, "tick_tiers", _tiers(self.tick_tiers, self.tick_size))

    # ------------------------------------------------------------------ factories
    @classmethod
    def equity(
        cls,
        symbol: str,
        *,
        currency: str = "USD",
        tick_size: DecimalLike = "0.01",
        lot_size: DecimalLike = "1",
        venue: str | None = None,
        shortable: bool = True,
        asset_class: AssetClass = AssetClass.EQUITY,
        tick_tiers: Sequence[tuple[DecimalLike, DecimalLike]] = (),
    ) -> Instrument:
        """A cash equity (or ETF with ``asset_class=AssetClass.ETF``): cent ticks, whole shares;
        ``tick_size="0.0001", tick_tiers=RULE_612`` for US stocks on both sides of $1."""
        return cls(
            symbol,
            asset_class,
            currency,
            to_decimal(tick_size, "tick_size"),
            to_decimal(lot_size, "lot_size"),
            venue=venue,
            shortable=shortable,
            tick_tiers=_tiers(tick_tiers, to_positive(tick_size, "tick_size")),
        )

    @classmethod
    def fx(
        cls,
        symbol: str,
        *,
        pip: DecimalLike | None = None,
        fractional_pips: bool = True,
        lot_size: DecimalLike = "1",
        min_quantity: DecimalLike = "0",
        venue: str | None = None,
        margin_init: DecimalLike = "1",
    ) -> Instrument:
        """A spot FX pair such as ``"EUR/USD"``. The pip is 0.0001 (0.01 for JPY quotes); the tick
        is a tenth of a pip unless ``fractional_pips=False``. Quantities are in base currency."""
        base, quote = _split_pair(symbol)
        pip_size = to_positive(pip, "pip") if pip is not None else _default_pip(quote)
        tick = pip_size / 10 if fractional_pips else pip_size
        return cls(
            symbol,
            AssetClass.FX,
            quote,
            tick,
            to_decimal(lot_size, "lot_size"),
            min_quantity=to_decimal(min_quantity, "min_quantity"),
            venue=venue,
            base_currency=base,
            quote_currency=quote,
            margin_init=to_decimal(margin_init, "margin_init"),
        )

    @classmethod
    def crypto(
        cls,
        symbol: str,
        tick_size: DecimalLike,
        lot_size: DecimalLike,
        *,
        min_quantity: DecimalLike = "0",
        base: str | None = None,
        quote: str | None = None,
        venue: str | None = None,
        multiplier: DecimalLike = "1",
        margin_init: DecimalLike = "1",
    ) -> Instrument:
        """A crypto pair or perpetual such as ``"BTC/USDT"``; ``base``/``quote`` override what the
        symbol says (needed for symbols like ``"BTCUSDT"``)."""
        if base is None or quote is None:
            parsed_base, parsed_quote = _split_pair(symbol)
            base = parsed_base if base is None else base
            quote = parsed_quote if quote is None else quote
        return cls(
            symbol,
            AssetClass.CRYPTO,
            quote,
            to_decimal(tick_size, "tick_size"),
            to_decimal(lot_size, "lot_size"),
            multiplier=to_decimal(multiplier, "multiplier"),
            min_quantity=to_decimal(min_quantity, "min_quantity"),
            venue=venue,
            base_currency=base,
            quote_currency=quote,
            margin_init=to_decimal(margin_init, "margin_init"),
        )

    @classmethod
    def future(
        cls,
        symbol: str,
        *,
        currency: str,
        tick_size: DecimalLike,
        multiplier: DecimalLike,
        margin_init: DecimalLike,
        lot_size: DecimalLike = "1",
        venue: str | None = None,
    ) -> Instrument:
        """A futures contract: whole contracts, a multiplier, and initial margin as a fraction."""
        return cls(
            symbol,
            AssetClass.FUTURE,
            currency,
            to_decimal(tick_size, "tick_size"),
            to_decimal(lot_size, "lot_size"),
            multiplier=to_decimal(multiplier, "multiplier"),
            venue=venue,
            margin_init=to_decimal(margin_init, "margin_init"),
        )

    # ------------------------------------------------------------------ rounding
    def round_price(
        self, price: DecimalLike, *, side: OrderSide | None = None, mode: str | None = None
    ) -> Decimal:
        """Return ``price`` on the tick grid.

        By default the nearest tick, ties to even. With ``side`` the rounding is passive: a buy
        rounds down, a sell rounds up, so a limit order never pays more (or receives less) than
        its author asked. ``mode`` picks any ``decimal`` rounding constant instead (e.g.
        ``decimal.ROUND_HALF_UP``); giving both ``side`` and ``mode`` is an error.
        """
        value = to_decimal(price, "price")
        if side is not None and mode is not None:
            raise InvalidValueError("give round_price either side= or mode=, not both")
        if side is not None:
            mode = ROUND_FLOOR if OrderSide(side) is OrderSide.BUY else ROUND_CEILING
        elif mode is None:
            mode = ROUND_HALF_EVEN
        elif mode not in _ROUNDING_MODES:
            raise InvalidValueError(
                f"mode must be a decimal rounding constant ({', '.join(sorted(_ROUNDING_MODES))})"
                f", got {mode!r}"
            )
        return _on_grid(value, self.tick_at(value), mode)

    def round_quantity(self, quantity: DecimalLike) -> Decimal:
        """Return ``quantity`` rounded towards zero to the lot grid: never larger than given.

        The sign is kept, so a signed position delta rounds the same way. The result may be 0.
        """
        return _on_grid(to_decimal(quantity, "quantity"), self.lot_size, ROUND_DOWN)

    def price(self, value: DecimalLike) -> Decimal:
        """Convert a number meant as a price to the nearest tick (ties to even); must be > 0."""
        number = to_decimal(value, "price")
        result = _on_grid(number, self.tick_at(number), ROUND_HALF_EVEN)
        if result <= 0:
            raise InvalidValueError(f"price of {self.symbol} must be > 0, got {value!r}")
        return result

    def quantity(self, value: DecimalLike) -> Decimal:
        """Convert a number meant as a quantity to the nearest lot (ties to even); must be >= 0.

        Use :meth:`round_quantity` to size an order down instead.
        """
        result = _on_grid(to_decimal(value, "quantity"), self.lot_size, ROUND_HALF_EVEN)
        if result < 0:
            raise InvalidValueError(f"quantity of {self.symbol} must be >= 0, got {value!r}")
        return result

    def tick_at(self, price: Decimal) -> Decimal:
        """The tick at ``price``: the last tier starting at or below it, else ``tick_size``."""
        tick = self.tick_size
        for start, step in self.tick_tiers:
            if price < start:
                break
            tick = step
        return tick

    # ------------------------------------------------------------------ checks and values
    def is_valid_price(self, price: Decimal) -> bool:
        """Whether ``price`` is positive and on the tick grid (of its tier)."""
        return price.is_finite() and price > 0 and _is_multiple(price, self.tick_at(price))

    def is_valid_quantity(self, quantity: Decimal) -> bool:
        """Whether ``quantity`` is positive, on the lot grid and at least ``min_quantity``."""
        return (
            quantity.is_finite()
            and quantity > 0
            and quantity >= self.min_quantity
            and _is_multiple(quantity, self.lot_size)
        )

    def notional(self, quantity: Decimal, price: Decimal) -> Decimal:
        """Return ``quantity * price * multiplier`` in ``currency`` (signed like ``quantity``)."""
        return quantity * price * self.multiplier


def _tiers(tiers: object, tick_size: Decimal) -> tuple[tuple[Decimal, Decimal], ...]:
    """``tick_tiers`` as Decimal pairs, checked (the ``Instrument`` docstring's rules); typed
    ``object`` so that a malformed value gets this message, not the compiled core's TypeError."""
    if not isinstance(tiers, tuple | list):
        raise InvalidValueError(f"tick_tiers must be a list of (from_price, tick), got {tiers!r}")
    out: list[tuple[Decimal, Decimal]] = []
    below, last = tick_size, Decimal(0)
    for pair in tiers:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise InvalidValueError(f"tick_tiers are (from_price, tick) pairs, got {pair!r}")
        start = to_positive(pair[0], "tick tier price")
        step = to_positive(pair[1], "tick tier tick")
        if start <= last:
            raise InvalidValueError(
                f"tick_tiers must be ascending by price, got {start} after {last}"
            )
        if not _is_multiple(step, below):
            raise InvalidValueError(
                f"tick {step} from price {start} must be a multiple of the tick below it ({below})"
            )
        if not _is_multiple(start, step):
            raise InvalidValueError(
                f"tick tier price {start} must be a multiple of its tick {step}"
            )
        out.append((start, step))
        below, last = step, start
    return tuple(out)


def _default_pip(quote: str) -> Decimal:
    return Decimal("0.01") if quote == "JPY" else Decimal("0.0001")
