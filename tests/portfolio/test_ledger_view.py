"""PortfolioView: reads what the ledger holds, changes nothing, hands out nothing mutable."""

from __future__ import annotations

import inspect
import math
from decimal import Decimal

import pytest

from alphaforge.domain.enums import OrderSide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.fills import Fill
from alphaforge.domain.instruments import Instrument
from alphaforge.domain.positions import Position
from alphaforge.portfolio import Ledger, LedgerView, PortfolioView, PositionInfo

D = Decimal
SPY = Instrument.equity("SPY")
TLT = Instrument.equity("TLT")
GLD = Instrument.equity("GLD")


def fill(symbol: str, side: str, qty: int, price: str, n: int) -> Fill:
    return Fill.create(
        client_order_id=f"O-{n}",
        trade_id=f"T-{n}",
        symbol=symbol,
        side=OrderSide(side),
        quantity=qty,
        price=price,
        fee="1.00",
        ts_event=n,
    )


@pytest.fixture
def ledger() -> Ledger:
    ledger = Ledger("USD", 100_000, [SPY, TLT, GLD])
    ledger.apply(fill("SPY", "buy", 100, "400.00", 1))  # cash 100000 - 40000 - 1
    ledger.apply(fill("TLT", "sell", 50, "100.00", 2))  # cash + 5000 - 1
    ledger.mark("SPY", 410.0, 3)
    ledger.mark("TLT", 98.0, 3)
    return ledger


def test_view_reads_the_ledger(ledger: Ledger) -> None:
    view = LedgerView(ledger)
    assert isinstance(view, PortfolioView)
    assert view.base_currency == "USD"
    # cash = 100000 - 40000 - 1 + 5000 - 1 = 64998; equity = 64998 + 41000 - 4900 = 101098
    assert view.cash() == view.cash("USD") == D("64998.00")
    assert view.equity() == ledger.equity() == 101_098.0
    assert view.quantity("SPY") == 100
    assert view.quantity("TLT") == -50
    assert view.quantity("GLD") == 0
    assert view.avg_price("SPY") == D(400)
    assert view.avg_price("GLD") is None
    assert view.last_price("SPY") == 410.0
    assert math.isnan(view.last_price("GLD"))
    assert view.market_value("TLT") == -4_900.0
    assert view.unrealized_pnl("SPY") == 1_000.0  # (410 - 400) * 100
    assert view.unrealized_pnl("TLT") == 100.0  # (100 - 98) * 50
    assert view.unrealized_pnl() == 1_100.0
    assert view.weight("SPY") == 41_000 / 101_098
    assert view.weights() == {"SPY": 41_000 / 101_098, "TLT": -4_900 / 101_098}
    assert (view.gross_exposure(), view.net_exposure()) == (45_900.0, 36_100.0)
    assert view.leverage() == 45_900 / 101_098
    assert view.instrument("SPY") is SPY
    assert view.positions() == {
        "SPY": PositionInfo("SPY", D(100), D(400), 410.0, 41_000.0, 1_000.0, 41_000 / 101_098),
        "TLT": PositionInfo("TLT", D(-50), D(100), 98.0, -4_900.0, 100.0, -4_900 / 101_098),
    }
    assert "101098.00 USD" in repr(view)


def test_view_follows_the_live_ledger(ledger: Ledger) -> None:
    view = LedgerView(ledger)
    ledger.apply(fill("SPY", "sell", 100, "410.00", 4))
    assert view.quantity("SPY") == 0
    assert "SPY" not in view.positions()
    ledger.mark("TLT", 99.0, 5)
    assert view.market_value("TLT") == -4_950.0


def test_view_cannot_be_changed(ledger: Ledger) -> None:
    view = LedgerView(ledger)
    with pytest.raises(AttributeError, match="read-only"):
        view.equity = lambda: 0.0  # type: ignore[method-assign]
    with pytest.raises(AttributeError, match="read-only"):
        view.anything = 1
    with pytest.raises(AttributeError, match="read-only"):
        del view.equity
    with pytest.raises(AttributeError, match="read-only"):
        view.__class__ = LedgerView
    positions = view.positions()
    positions.clear()  # a fresh dict: the ledger does not notice
    assert set(view.positions()) == {"SPY", "TLT"}
    info = view.positions()["SPY"]
    with pytest.raises(AttributeError):
        info.quantity = D(0)  # type: ignore[misc]
    with pytest.raises(InvalidValueError, match="did you mean 'SPY'"):
        view.quantity("SPX")


def test_view_exposes_no_mutator_and_no_ledger(ledger: Ledger) -> None:
    view = LedgerView(ledger)
    public = {name for name in dir(view) if not name.startswith("_")}
    # the one private name is the mangled slot: reachable by introspection only (documented)
    private = [n for n in dir(view) if n.startswith("_") and not n.startswith("__")]
    assert private == ["_LedgerView__ledger"]
    mutators = {"apply", "charge", "mark", "set_fx_rate", "add_instrument", "position"}
    assert not public & mutators
    for name in ("_ledger", "ledger", "_LedgerView_ledger"):
        assert not hasattr(view, name)
    reached: list[object] = []
    for name in sorted(public):
        attr = getattr(view, name)
        if not callable(attr):
            reached.append(attr)
            continue
        params = inspect.signature(attr).parameters
        reached.append(attr("SPY") if "symbol" in params else attr())
    for value in reached:
        items = value.values() if isinstance(value, dict) else [value]
        assert not any(isinstance(item, Ledger | Position) for item in items), value


def test_protocol_and_view_list_the_same_reads() -> None:
    protocol = {name for name in vars(PortfolioView) if not name.startswith("_")} - {"register"}
    view = {name for name in vars(LedgerView) if not name.startswith("_")}
    assert protocol == view
    for name in protocol:
        if callable(getattr(LedgerView, name)):
            assert inspect.signature(getattr(LedgerView, name)) == inspect.signature(
                getattr(PortfolioView, name)
            ), name


def test_a_ledger_is_not_a_portfolio_view() -> None:
    # the owner's API differs (it books); strategies must get a view
    assert not isinstance(Ledger(), PortfolioView)
