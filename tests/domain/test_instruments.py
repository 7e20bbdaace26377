"""Instruments put prices and quantities on their grids, in Decimal, without binary noise."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alphaforge.domain.enums import AssetClass, OrderSide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.instruments import _CTX, _ROUNDING_MODES, RULE_612, Instrument, _on_grid

MSFT = Instrument.equity("MSFT", currency="USD")

ticks = st.sampled_from(["0.01", "0.05", "0.25", "0.5", "1", "5", "0.00001", "0.0001", "0.03"])
prices = st.decimals(min_value="0.001", max_value="1000000", allow_nan=False, places=6)


def test_equity_defaults() -> None:
    assert MSFT.asset_class is AssetClass.EQUITY
    assert (MSFT.tick_size, MSFT.lot_size, MSFT.multiplier) == (Decimal("0.01"), 1, 1)
    assert MSFT.shortable
    assert MSFT.margin_init == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tick_size", Decimal(0)),
        ("lot_size", Decimal("-1")),
        ("multiplier", Decimal(0)),
        ("margin_init", Decimal(0)),
        ("min_quantity", Decimal("-0.1")),
        ("currency", ""),
        ("symbol", " "),
        ("asset_class", "stonks"),
    ],
)
def test_invalid_fields_are_named(field: str, value: object) -> None:
    fields: dict[str, object] = {
        "symbol": "X",
        "asset_class": AssetClass.EQUITY,
        "currency": "USD",
        "tick_size": Decimal("0.01"),
        "lot_size": Decimal(1),
    }
    fields[field] = value
    with pytest.raises(InvalidValueError, match=field):
        Instrument(**fields)  # type: ignore[arg-type]


def test_fx_factory_reads_the_pair_and_uses_fractional_pips() -> None:
    eurusd = Instrument.fx("EUR/USD")
    assert (eurusd.base_currency, eurusd.quote_currency, eurusd.currency) == ("EUR", "USD", "USD")
    assert eurusd.tick_size == Decimal("0.00001")
    usdjpy = Instrument.fx("USDJPY", fractional_pips=False)
    assert usdjpy.tick_size == Decimal("0.01")
    assert usdjpy.quote_currency == "JPY"
    with pytest.raises(InvalidValueError, match="BASE/QUOTE"):
        Instrument.fx("EURO")


def test_crypto_and_future_factories() -> None:
    btc = Instrument.crypto("BTC/USDT", "0.01", "0.00001", min_quantity="0.0001")
    assert (btc.base_currency, btc.currency, btc.lot_size) == ("BTC", "USDT", Decimal("0.00001"))
    perp = Instrument.crypto("XRPUSDT", "0.0001", "0.1", base="XRP", quote="USDT")
    assert perp.currency == "USDT"
    es = Instrument.future(
        "ESZ4", currency="USD", tick_size="0.25", multiplier=50, margin_init="0.06"
    )
    assert es.notional(Decimal(2), Decimal("5000.25")) == Decimal("500025.00")


def test_float_inputs_lose_their_binary_noise() -> None:
    assert MSFT.price(0.1 + 0.2) == Decimal("0.30")
    assert MSFT.price(101.23) == Decimal("101.23")
    assert str(MSFT.price("410.005")) == "410.00"  # a tie goes to the even tick
    assert MSFT.quantity(2.9999999999999996) == 3
    with pytest.raises(InvalidValueError):
        MSFT.price(float("nan"))
    with pytest.raises(InvalidValueError):
        MSFT.price(True)  # type: ignore[arg-type]


def test_passive_rounding_by_side_and_explicit_mode() -> None:
    assert MSFT.round_price(Decimal("10.005"), side=OrderSide.BUY) == Decimal("10.00")
    assert MSFT.round_price(Decimal("10.001"), side=OrderSide.SELL) == Decimal("10.01")
    assert MSFT.round_price(Decimal("10.005"), mode=ROUND_HALF_UP) == Decimal("10.01")
    with pytest.raises(InvalidValueError, match="not both"):
        MSFT.round_price(Decimal(1), side=OrderSide.BUY, mode=ROUND_HALF_UP)
    with pytest.raises(InvalidValueError, match="rounding"):
        MSFT.round_price(Decimal(1), mode="sideways")


def test_validity_checks() -> None:
    btc = Instrument.crypto("BTC/USDT", "0.01", "0.00001", min_quantity="0.0001")
    assert btc.is_valid_price(Decimal("65000.01"))
    assert not btc.is_valid_price(Decimal("65000.015"))
    assert not btc.is_valid_price(Decimal("-1"))
    assert btc.is_valid_quantity(Decimal("0.00012"))
    assert not btc.is_valid_quantity(Decimal("0.00005"))  # below the venue minimum
    assert not btc.is_valid_quantity(Decimal("0.000125"))  # off the lot grid


@given(ticks, prices)
def test_round_price_lands_on_the_grid_within_half_a_tick(tick: str, price: Decimal) -> None:
    inst = Instrument("X", AssetClass.EQUITY, "USD", Decimal(tick), Decimal(1))
    rounded = inst.round_price(price)
    assert rounded % inst.tick_size == 0
    assert abs(rounded - price) <= inst.tick_size / 2


@given(ticks, prices, st.sampled_from(list(OrderSide)))
def test_passive_rounding_never_crosses(tick: str, price: Decimal, side: OrderSide) -> None:
    inst = Instrument("X", AssetClass.EQUITY, "USD", Decimal(tick), Decimal(1))
    rounded = inst.round_price(price, side=side)
    assert rounded % inst.tick_size == 0
    assert abs(rounded - price) < inst.tick_size
    assert (rounded <= price) if side is OrderSide.BUY else (rounded >= price)


@given(
    st.sampled_from(["1", "0.001", "0.1", "100", "0.00001"]),
    st.decimals(min_value="-100000", max_value="100000", allow_nan=False, places=8),
)
def test_round_quantity_never_grows(lot: str, qty: Decimal) -> None:
    inst = Instrument("X", AssetClass.CRYPTO, "USDT", Decimal("0.01"), Decimal(lot))
    rounded = inst.round_quantity(qty)
    assert abs(rounded) <= abs(qty)
    assert rounded % inst.lot_size == 0
    assert abs(qty) - abs(rounded) < inst.lot_size


@given(
    value=st.decimals(min_value="-1e9", max_value="1e9", allow_nan=False, allow_infinity=False),
    tick=ticks,
    mode=st.sampled_from(sorted(_ROUNDING_MODES)),
)
def test_the_grid_rounds_as_decimal_to_integral_value_with_the_mode(
    value: Decimal, tick: str, mode: str
) -> None:
    # _on_grid takes the mode from a per-mode context (half the cost): same digits, same exponent
    step = Decimal(tick)
    steps = _CTX.divide(value, step).to_integral_value(rounding=mode, context=_CTX)
    assert str(_on_grid(value, step, mode)) == str(_CTX.multiply(steps, step))


# ---------------------------------------------------------------- tick tiers (SEC Rule 612)

PENNY = Instrument.equity("PFE", tick_size="0.0001", tick_tiers=RULE_612)


def test_rule_612_cents_from_one_dollar_hundredths_of_a_cent_below() -> None:
    assert PENNY.tick_tiers == ((Decimal(1), Decimal("0.01")),)
    assert PENNY.tick_at(Decimal("0.9999")) == Decimal("0.0001")
    assert PENNY.tick_at(Decimal(1)) == Decimal("0.01")
    assert PENNY.price(0.12345) == Decimal("0.1234")  # ties to even
    assert PENNY.price(1.2345) == Decimal("1.23")
    assert PENNY.price(0.99996) == Decimal("1.0000")  # rounds up onto the tier's first price
    assert PENNY.round_price("1.009", side=OrderSide.BUY) == Decimal("1.00")
    assert PENNY.round_price("0.99991", side=OrderSide.SELL) == Decimal("1.0000")
    assert PENNY.is_valid_price(Decimal("0.9995"))
    assert not PENNY.is_valid_price(Decimal("1.005"))
    assert PENNY.is_valid_price(Decimal("1.01"))


@given(
    price=st.decimals(min_value="0.0001", max_value="1000", allow_nan=False, places=7),
    mode=st.sampled_from(sorted(_ROUNDING_MODES)),
)
def test_a_rounding_never_leaves_its_tiers_grid(price: Decimal, mode: str) -> None:
    # every tier's tick divides the next and its first price: a result is valid in its own tier
    inst = Instrument.equity("X", tick_size="0.0001", tick_tiers=[(1, "0.01"), (100, "0.05")])
    rounded = inst.round_price(price, mode=mode)
    assert inst.is_valid_price(rounded) or rounded == 0
    assert abs(rounded - price) < inst.tick_at(price)


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([(1, "0.00015")], "multiple of the tick below it"),
        ([("1.005", "0.01")], "must be a multiple of its tick"),
        ([(2, "0.01"), (1, "0.1")], "ascending"),
        ([(1,)], "pairs"),
        (5, "list of"),
        ([("x", "0.01")], "tick tier price"),
        ([(-1, "0.01")], "must be > 0"),
    ],
)
def test_bad_tick_tiers_are_refused_by_name(tiers: object, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        Instrument("X", AssetClass.EQUITY, "USD", Decimal("0.0001"), Decimal(1), tick_tiers=tiers)  # type: ignore[arg-type]
