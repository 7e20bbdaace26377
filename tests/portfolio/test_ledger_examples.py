"""Ledger: hand-computed examples (the arithmetic is written next to each figure) and errors."""

from __future__ import annotations

import itertools
import math
from decimal import Decimal

import pytest

from alphaforge import _native
from alphaforge.domain.enums import OrderSide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.fills import Fill
from alphaforge.domain.instruments import Instrument
from alphaforge.portfolio import CHARGE_KINDS, Ledger, PositionSnapshot

D = Decimal
AAPL = Instrument.equity("AAPL")
TSLA = Instrument.equity("TSLA")
SAP = Instrument.equity("SAP", currency="EUR")
ES = Instrument.future("ES", currency="USD", tick_size="0.25", multiplier=50, margin_init="0.06")
_ids = itertools.count(1)


def fill(
    inst: Instrument, side: str, qty: object, price: object, fee: object = 0, ccy: str = ""
) -> Fill:
    n = next(_ids)
    return Fill.create(
        client_order_id=f"O-{n}",
        trade_id=f"T-{n}",
        symbol=inst.symbol,
        side=OrderSide(side),
        quantity=qty,  # type: ignore[arg-type]
        price=price,  # type: ignore[arg-type]
        fee=fee,  # type: ignore[arg-type]
        fee_currency=ccy or inst.currency,
        ts_event=1_000 + n,
    )


def test_stock_round_trip_by_hand() -> None:
    ledger = Ledger("USD", 100_000, [AAPL])
    # buy 100 @ 150.00, fee 1.00: cash = 100000 - 100 * 150 - 1 = 84999; realized = -fee
    assert ledger.apply(fill(AAPL, "buy", 100, "150.00", fee="1.00")) == D("-1.00")
    assert ledger.cash() == ledger.cash("USD") == D("84999.00")
    ledger.mark("AAPL", 155.0, 2_000)
    # equity = 84999 + 100 * 155 = 100499; unrealized = (155 - 150) * 100 = 500
    assert ledger.equity() == 100_499.0
    assert ledger.equity_decimal() == D("100499")
    assert ledger.unrealized_pnl() == ledger.unrealized_pnl("AAPL") == 500.0
    assert (ledger.gross_exposure(), ledger.net_exposure()) == (15_500.0, 15_500.0)
    assert ledger.leverage() == pytest.approx(15_500 / 100_499, rel=1e-15)
    assert ledger.weight("AAPL") == pytest.approx(15_500 / 100_499, rel=1e-15)

    # sell 40 @ 160.00, fee 0.40: realized = (160 - 150) * 40 - 0.40 = 399.60
    # cash = 84999 + 40 * 160 - 0.40 = 91398.60
    assert ledger.apply(fill(AAPL, "sell", 40, "160.00", fee="0.40")) == D("399.60")
    assert ledger.cash() == D("91398.60")
    ledger.mark("AAPL", 158.0, 3_000)
    # equity = 91398.60 + 60 * 158 = 100878.60 = 100000 + realized 398.60 + unrealized 480
    assert ledger.equity_decimal() == D("100878.60")
    assert ledger.equity() == pytest.approx(100_878.60, rel=1e-15)
    assert ledger.realized_pnl() == ledger.realized_pnl("AAPL") == D("398.60")
    assert ledger.unrealized_pnl() == 480.0  # (158 - 150) * 60
    assert ledger.fees_paid() == D("1.40")
    # turnover = 100 * 150 + 40 * 160 = 21400
    assert ledger.turnover() == ledger.traded_notional() == ledger.traded_notional("AAPL")
    assert ledger.turnover() == D("21400.00")
    assert ledger.costs_by_kind() == {
        "borrow": D(0),
        "commission": D("1.40"),
        "funding": D(0),
        "interest": D(0),
    }
    position = ledger.position("AAPL")
    assert (position.quantity, position.avg_open_price) == (D(60), D(150))


def test_short_with_borrow_and_interest_by_hand() -> None:
    ledger = Ledger("USD", {"USD": "10000"}, [TSLA, AAPL])
    # short 50 @ 200: cash = 10000 + 50 * 200 = 20000
    ledger.apply(fill(TSLA, "sell", 50, "200.00"))
    ledger.mark("TSLA", 190.0, 2_000)
    # equity = 20000 - 50 * 190 = 10500; gross 9500, net -9500
    assert ledger.equity() == 10_500.0
    assert (ledger.gross_exposure(), ledger.net_exposure()) == (9_500.0, -9_500.0)
    assert ledger.weight("TSLA") == pytest.approx(-9_500 / 10_500, rel=1e-15)
    assert ledger.weight("AAPL") == 0.0
    assert ledger.unrealized_pnl("TSLA") == 500.0  # (200 - 190) * 50
    # borrow fee paid 2.50, interest received 10 (negative = received)
    ledger.charge(D("2.50"), "USD", "borrow", 3_000, symbol="TSLA")
    ledger.charge(-10, "USD", "interest", 3_000)
    # cash = 20000 - 2.50 + 10 = 20007.50; equity = 20007.50 - 9500 = 10507.50
    assert ledger.cash() == D("20007.50")
    assert ledger.equity() == 10_507.5
    assert ledger.costs_by_kind()["borrow"] == D("2.50")
    assert ledger.costs_by_kind()["interest"] == D(-10)
    assert ledger.costs_by_kind("TSLA") == {
        "borrow": D("2.50"),
        "commission": D(0),
        "funding": D(0),
        "interest": D(0),
    }
    assert ledger.costs_by_kind("AAPL") == dict.fromkeys(CHARGE_KINDS, D(0))
    # charges are not trading PnL: realized stays 0
    assert ledger.realized_pnl() == 0
    assert ledger.snapshot().ts == 3_000


def test_future_with_multiplier_and_margin_by_hand() -> None:
    ledger = Ledger("USD", 100_000, [ES])
    # buy 2 @ 5000.00, fee 4: cash = 100000 - 2 * 5000 * 50 - 4 = -400004 (notional booked)
    ledger.apply(fill(ES, "buy", 2, "5000.00", fee="4.00"))
    assert ledger.cash() == D(-400_004)
    # valued at the fill price until the first mark: equity = -400004 + 500000 = 99996
    assert ledger.last_price("ES") == 5_000.0
    assert ledger.equity() == 99_996.0
    ledger.mark("ES", 5_010.0, 2_000)
    # equity = -400004 + 2 * 5010 * 50 = 100996; unrealized = 10 * 2 * 50 = 1000
    assert ledger.equity() == 100_996.0
    assert ledger.unrealized_pnl() == 1_000.0
    # margin = 501000 * 0.06 = 30060; buying power at 10x = 100996 * 10 - 501000 = 508960
    assert ledger.margin_used() == pytest.approx(30_060.0, rel=1e-15)
    assert ledger.buying_power(10.0) == 508_960.0
    assert ledger.buying_power(1.0) == 100_996.0 - 501_000.0  # negative: must reduce
    assert ledger.leverage() == pytest.approx(501_000 / 100_996, rel=1e-15)


def test_multi_currency_by_hand() -> None:
    ledger = Ledger("USD", {"USD": 10_000, "EUR": 5_000}, [SAP], fx_rates={"EUR": 1.10})
    # equity = 10000 + 5000 * 1.10 = 15500
    assert ledger.equity() == pytest.approx(15_500.0, rel=1e-15)
    assert ledger.equity_decimal() == D("15500.00")
    # buy 10 SAP @ 120 EUR, fee 1 EUR: EUR cash = 5000 - 1200 - 1 = 3799
    ledger.apply(fill(SAP, "buy", 10, "120.00", fee="1.00"))
    assert ledger.cash("EUR") == D(3_799)
    ledger.mark("SAP", 125.0, 2_000)
    # equity = 10000 + (3799 + 10 * 125) * 1.10 = 10000 + 5553.9 = 15553.9
    assert ledger.equity() == pytest.approx(15_553.9, rel=1e-15)
    assert ledger.equity_decimal() == D("15553.900")
    # flows are converted when booked (at 1.10): fee 1.10 USD, turnover 1320 USD
    assert ledger.fees_paid() == D("1.1000")
    assert ledger.turnover() == D("1320.0000")
    ledger.set_fx_rate("EUR", 1.20)
    # stocks revalue at once: equity = 10000 + 5049 * 1.20 = 16058.8
    assert ledger.equity() == pytest.approx(16_058.8, rel=1e-15)
    assert ledger.equity_decimal() == D("16058.800")
    assert ledger.cash() == D("14558.800")  # 10000 + 3799 * 1.20
    assert ledger.unrealized_pnl() == pytest.approx(60.0, rel=1e-12)  # 5 * 10 * 1.20
    assert ledger.realized_pnl() == D("-1.1000")  # booked at 1.10, kept
    assert ledger.market_value("SAP") == pytest.approx(1_500.0, rel=1e-15)  # 1250 * 1.20
    # a charge in EUR: 2 EUR at 1.20 = 2.40 USD of funding
    ledger.charge(2, "EUR", "funding", 3_000, symbol="SAP")
    assert ledger.cash("EUR") == D(3_797)
    assert ledger.costs_by_kind()["funding"] == D("2.400")


def test_fx_pair_position_lives_in_the_quote_currency() -> None:
    eurusd = Instrument.fx("EUR/USD")
    ledger = Ledger("USD", 20_000, [eurusd])
    # buy 10000 EUR at 1.08500: USD cash = 20000 - 10850 = 9150; EUR is the position
    ledger.apply(fill(eurusd, "buy", 10_000, "1.08500"))
    assert ledger.cash("USD") == D("9150.00000")
    assert ledger.cash("EUR") == 0
    ledger.mark("EUR/USD", 1.09, 2_000)
    # equity = 9150 + 10000 * 1.09 = 20050
    assert ledger.equity() == pytest.approx(20_050.0, rel=1e-15)


def test_currency_without_rate_cannot_be_booked() -> None:
    toyota = Instrument.equity("7203", currency="JPY", tick_size="1")
    ledger = Ledger("USD", 1_000, [toyota])
    ledger.mark("7203", 3_000.0, 1)  # marking a flat position needs no rate
    assert ledger.equity() == 1_000.0
    with pytest.raises(InvalidValueError, match="no fx rate for JPY"):
        ledger.apply(fill(toyota, "buy", 1, "3000"))
    assert ledger.position("7203").is_flat
    with pytest.raises(InvalidValueError, match="no fx rate for JPY"):
        ledger.charge(1, "JPY", "interest", 1)
    with pytest.raises(InvalidValueError, match="no fx rate for GBP"):
        Ledger("USD", {"GBP": 1})
    ledger.set_fx_rate("JPY", 0.0065)
    ledger.apply(fill(toyota, "buy", 100, "3000"))
    # equity = 1000 + (-300000 + 100 * 3000) * 0.0065 = 1000
    assert ledger.equity() == pytest.approx(1_000.0, rel=1e-12)


def test_flat_and_open_positions() -> None:
    ledger = Ledger("USD", 1_000, [AAPL, TSLA])
    assert ledger.position("AAPL").is_flat
    assert ledger.positions() == {}
    ledger.apply(fill(AAPL, "buy", 1, "100"))
    ledger.apply(fill(TSLA, "buy", 1, "100"))
    ledger.apply(fill(TSLA, "sell", 1, "101"))
    assert list(ledger.positions()) == ["AAPL"]
    assert ledger.position("TSLA").is_flat
    assert ledger.market_value("TSLA") == 0.0


def test_snapshot_is_a_frozen_copy() -> None:
    ledger = Ledger("USD", 1_000, [AAPL])
    ledger.apply(fill(AAPL, "buy", 2, "100.00"))
    ledger.mark("AAPL", 101.0, 5_000)
    snap = ledger.snapshot()
    assert snap.ts == 5_000
    assert snap.cash == {"USD": D("800.00")}
    assert (snap.equity, snap.gross, snap.net) == (1_002.0, 202.0, 202.0)
    assert snap.positions == {"AAPL": PositionSnapshot(D(2), D(100), 101.0)}
    quantity, avg, last = snap.positions["AAPL"]
    assert (quantity, avg, last) == (D(2), D(100), 101.0)
    ledger.apply(fill(AAPL, "sell", 2, "101.00"))
    assert snap.positions["AAPL"].quantity == 2  # unchanged by later fills
    with pytest.raises(TypeError):
        snap.cash["USD"] = D(0)  # type: ignore[index]
    with pytest.raises(AttributeError):
        snap.equity = 0.0  # type: ignore[misc]
    assert ledger.snapshot(ts=7).ts == 7


def test_leverage_and_weights_fail_closed_without_equity() -> None:
    ledger = Ledger("USD", 0, [AAPL])
    assert ledger.leverage() == 0.0
    ledger.apply(fill(AAPL, "buy", 10, "100.00"))
    ledger.mark("AAPL", 50.0, 1)  # equity = -1000 + 500 = -500
    assert ledger.equity() == -500.0
    assert ledger.leverage() == math.inf
    assert ledger.weight("AAPL") == math.inf


def test_unknown_names_and_bad_values_raise() -> None:
    ledger = Ledger("USD", 1_000, [AAPL])
    with pytest.raises(InvalidValueError, match="did you mean 'AAPL'"):
        ledger.apply(fill(Instrument.equity("AAPK"), "buy", 1, "1"))
    with pytest.raises(InvalidValueError, match="unknown instrument 'MSFT'"):
        ledger.mark("MSFT", 1.0, 1)
    with pytest.raises(InvalidValueError, match="did you mean 'borrow'"):
        ledger.charge(1, "USD", "borow", 1)
    with pytest.raises(InvalidValueError, match="unknown instrument"):
        ledger.charge(1, "USD", "borrow", 1, symbol="MSFT")
    with pytest.raises(InvalidValueError, match="Decimal, int or decimal string"):
        ledger.charge(1.5, "USD", "borrow", 1)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="Decimal, int or decimal string"):
        Ledger("USD", 100.0)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="currency code"):
        Ledger("US D")
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(InvalidValueError, match="finite and > 0"):
            ledger.mark("AAPL", bad, 1)
    if _native.status() == "compiled":  # a float parameter takes what float() takes
        ledger.mark("AAPL", D("101.5"), 1)  # type: ignore[arg-type]
        assert ledger.last_price("AAPL") == 101.5
    else:
        with pytest.raises(TypeError):
            ledger.mark("AAPL", D("101.5"), 1)  # type: ignore[arg-type]
        assert math.isnan(ledger.last_price("AAPL"))  # nothing stored by the refused marks
    for rate in (0.0, math.nan, -2.0):
        with pytest.raises(InvalidValueError, match="finite and > 0"):
            ledger.set_fx_rate("EUR", rate)
    with pytest.raises(InvalidValueError, match="base currency USD has rate 1"):
        ledger.set_fx_rate("USD", 1.1)
    with pytest.raises(InvalidValueError, match="max_leverage"):
        ledger.buying_power(0.0)
    with pytest.raises(InvalidValueError, match="other terms"):
        ledger.add_instrument(Instrument.equity("AAPL", tick_size="0.0001"))
    ledger.add_instrument(Instrument.equity("AAPL"))  # the same terms again: a no-op
    assert ledger.equity() == 1_000.0


def test_a_refused_fill_books_nothing() -> None:
    ledger = Ledger("USD", 1_000, [AAPL], fx_rates={"EUR": 1.1})
    ledger.apply(fill(AAPL, "buy", 1, "100.00", fee="1"))
    before = (ledger.cash(), ledger.position("AAPL").quantity, ledger.fees_paid())
    with pytest.raises(InvalidValueError, match="fee in EUR"):
        ledger.apply(fill(AAPL, "buy", 1, "100.00", fee="1", ccy="EUR"))
    assert (ledger.cash(), ledger.position("AAPL").quantity, ledger.fees_paid()) == before
    assert ledger.turnover() == D("100.00")


def test_rebates_are_income() -> None:
    ledger = Ledger("USD", 1_000, [AAPL])
    # maker rebate 0.25: cash = 1000 - 100 + 0.25; realized = +0.25
    assert ledger.apply(fill(AAPL, "buy", 1, "100.00", fee="-0.25")) == D("0.25")
    assert ledger.cash() == D("900.25")
    assert ledger.costs_by_kind()["commission"] == D("-0.25")
