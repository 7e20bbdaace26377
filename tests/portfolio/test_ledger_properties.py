"""Ledger properties (hypothesis): the accounting identity, fees, fill order, currencies, costs.

Synthetic fills on purpose: the properties must hold for any prices, sizes and fees.

Fill order within a bar, precisely (docs/portfolio.md states the same):

* Always independent of order: final quantities, cash in every currency, fees, turnover, and so
  equity at a given mark and total PnL (realized + unrealized).
* The split between realized and unrealized PnL (and the average open price) is independent of
  order when the fills never move the position's size both ways: all of them add to it on one
  side (from flat, or the side already held), or all reduce it without crossing zero. (A partial
  close cuts its share of the cost basis to 1e-18, so "independent" is up to that cut there.)
  Otherwise (adds mixed with reductions, or a flip through zero) it generally depends on order;
  examples below.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from alphaforge.domain.enums import OrderSide
from alphaforge.domain.fills import Fill
from alphaforge.domain.instruments import Instrument
from alphaforge.portfolio import CHARGE_KINDS, Ledger

D = Decimal
STOCK = Instrument.equity("STK")
FUT = Instrument.future("FUT", currency="USD", tick_size="0.25", multiplier=50, margin_init="0.1")
EUR_STOCK = Instrument.equity("EUX", currency="EUR")
INSTRUMENTS = (STOCK, FUT, EUR_STOCK)
START = {"USD": D(1_000_000), "EUR": D(50_000)}
NO_FEE = D(0)
_ids = itertools.count(1)

cents = st.integers(min_value=100, max_value=100_000).map(lambda c: D(c) / 100)  # 1.00-1000.00
quantities = st.integers(min_value=1, max_value=500).map(D)
fees = st.integers(min_value=0, max_value=1_000).map(lambda c: D(c) / 100)
sides = st.sampled_from([OrderSide.BUY, OrderSide.SELL])
marks = st.integers(min_value=100, max_value=100_000).map(lambda c: c / 100)
rates = st.integers(min_value=5_000, max_value=20_000).map(lambda r: r / 10_000)


def make_fill(
    inst: Instrument, side: OrderSide, qty: Decimal, price: Decimal, fee: Decimal = NO_FEE
) -> Fill:
    n = next(_ids)
    return Fill.create(
        client_order_id=f"O-{n}",
        trade_id=f"T-{n}",
        symbol=inst.symbol,
        side=side,
        quantity=qty,
        price=inst.round_price(price),
        fee=fee,
        fee_currency=inst.currency,
        ts_event=n,
    )


@st.composite
def fill_lists(draw: st.DrawFn, instruments: tuple[Instrument, ...] = INSTRUMENTS) -> list[Fill]:
    count = draw(st.integers(min_value=1, max_value=12))
    return [
        make_fill(draw(st.sampled_from(instruments)), draw(sides), draw(quantities),
                  draw(cents), draw(fees))
        for _ in range(count)
    ]  # fmt: skip


def new_ledger(eur_rate: float = 1.1) -> Ledger:
    return Ledger("USD", START, INSTRUMENTS, fx_rates={"EUR": eur_rate})


def book(fills: list[Fill], prices: dict[str, float], eur_rate: float = 1.1) -> Ledger:
    ledger = new_ledger(eur_rate)
    for f in fills:
        ledger.apply(f)
    for symbol, price in prices.items():
        ledger.mark(symbol, price, 10**9)
    return ledger


mark_maps = st.fixed_dictionaries({inst.symbol: marks for inst in INSTRUMENTS})


def fx_of(inst: Instrument, eur_rate: float) -> Decimal:
    return D(1) if inst.currency == "USD" else D(repr(eur_rate))


@given(fills=fill_lists(), prices=mark_maps, eur_rate=rates)
def test_equity_is_cash_plus_positions_at_marks(
    fills: list[Fill], prices: dict[str, float], eur_rate: float
) -> None:
    ledger = book(fills, prices, eur_rate)
    # an independent model: cash flows per currency, quantities per symbol
    cash = dict(START)
    qty = dict.fromkeys(prices, D(0))
    for f in fills:
        inst = ledger.instrument(f.symbol)
        cash[inst.currency] += -f.side.sign * f.quantity * f.price * inst.multiplier - f.fee
        qty[f.symbol] += f.signed_quantity
    fx = {"USD": D(1), "EUR": D(repr(eur_rate))}
    expected = sum((amount * fx[ccy] for ccy, amount in cash.items()), D(0))
    for inst in INSTRUMENTS:
        expected += (
            qty[inst.symbol]
            * D(repr(prices[inst.symbol]))
            * inst.multiplier
            * fx_of(inst, eur_rate)
        )
    assert ledger.equity_decimal() == expected
    assert {c: ledger.cash(c) for c in cash} == cash
    scale = float(sum(abs(v) for v in cash.values())) * 2 + ledger.gross_exposure()
    assert abs(ledger.equity() - float(expected)) <= 1e-9 * scale
    assert abs(ledger.net_exposure() - float(expected - ledger.cash())) <= 1e-9 * scale


@given(fills=fill_lists(), prices=mark_maps)
def test_pnl_identity_in_one_currency(fills: list[Fill], prices: dict[str, float]) -> None:
    usd_fills = [f for f in fills if f.symbol != EUR_STOCK.symbol]
    ledger = book(usd_fills, prices)
    # with fixed rates, equity - starting equity == realized (net of fees) + unrealized - charges
    ledger.charge(D("3.25"), "USD", "borrow", 1)
    start = START["USD"] + START["EUR"] * D("1.1")
    unrealized = sum(
        (p.unrealized_pnl(D(repr(prices[s]))) for s, p in ledger.positions().items()), D(0)
    )
    costs = ledger.costs_by_kind()
    charges = sum(costs.values(), D(0)) - ledger.fees_paid()
    assert ledger.equity_decimal() - start == ledger.realized_pnl() + unrealized - charges
    assert abs(ledger.unrealized_pnl() - float(unrealized)) <= 1e-9 * (1 + ledger.gross_exposure())


@given(fills=fill_lists(), prices=mark_maps)
def test_fees_only_ever_reduce_equity(fills: list[Fill], prices: dict[str, float]) -> None:
    free = [make_fill(ledger_inst(f.symbol), f.side, f.quantity, f.price, D(0)) for f in fills]
    with_fees = book(fills, prices)
    without = book(free, prices)
    fees = sum((f.fee * fx_of(ledger_inst(f.symbol), 1.1) for f in fills), D(0))
    assert with_fees.equity_decimal() == without.equity_decimal() - fees
    assert with_fees.fees_paid() == fees
    if fees:
        assert with_fees.equity() < without.equity()
        assert with_fees.realized_pnl() < without.realized_pnl()
    else:
        assert with_fees.equity() == without.equity()


def ledger_inst(symbol: str) -> Instrument:
    return next(inst for inst in INSTRUMENTS if inst.symbol == symbol)


def state(ledger: Ledger) -> tuple[object, ...]:
    """Everything that must not depend on the order of fills within a bar."""
    total = ledger.realized_pnl() + sum(
        (
            p.unrealized_pnl(D(repr(ledger.last_price(s)))) * fx_of(p.instrument, 1.1)
            for s, p in ledger.positions().items()
        ),
        D(0),
    )
    return (
        {c: ledger.cash(c) for c in ("USD", "EUR")},
        {inst.symbol: ledger.position(inst.symbol).quantity for inst in INSTRUMENTS},
        ledger.equity_decimal(),
        total,
        ledger.fees_paid(),
        ledger.turnover(),
        ledger.costs_by_kind(),
    )


@given(data=st.data(), fills=fill_lists(), prices=mark_maps)
def test_fill_order_never_changes_cash_quantities_or_equity(
    data: st.DataObject, fills: list[Fill], prices: dict[str, float]
) -> None:
    shuffled = data.draw(st.permutations(fills))
    assert state(book(fills, prices)) == state(book(shuffled, prices))


def split(ledger: Ledger, symbol: str) -> tuple[Decimal, Decimal | None, Decimal]:
    position = ledger.position(symbol)
    unrealized = position.unrealized_pnl(D(repr(ledger.last_price(symbol))))
    return ledger.realized_pnl(symbol), position.avg_open_price, unrealized


@given(data=st.data(), side=sides, mark=marks)
def test_split_is_order_independent_when_fills_only_add(
    data: st.DataObject, side: OrderSide, mark: float
) -> None:
    fills = [
        make_fill(FUT, side, data.draw(quantities), data.draw(cents), data.draw(fees))
        for _ in range(data.draw(st.integers(1, 8)))
    ]
    shuffled = data.draw(st.permutations(fills))
    assert split(book(fills, {"FUT": mark}), "FUT") == split(book(shuffled, {"FUT": mark}), "FUT")


@given(data=st.data(), side=sides, mark=marks)
def test_split_is_order_independent_when_fills_only_reduce(
    data: st.DataObject, side: OrderSide, mark: float
) -> None:
    opening = [make_fill(FUT, side, data.draw(quantities), data.draw(cents)) for _ in range(3)]
    held = sum((f.quantity for f in opening), D(0))
    sizes = data.draw(st.lists(quantities, min_size=1, max_size=6))
    closing = []
    for wanted in sizes:  # never more in total than is held: no flip
        size = min(wanted, held)
        if not size:
            break
        held -= size
        closing.append(make_fill(FUT, side.opposite, size, data.draw(cents), data.draw(fees)))
    shuffled = data.draw(st.permutations(closing))
    a, b = book(opening + closing, {"FUT": mark}), book(opening + shuffled, {"FUT": mark})
    (real_a, avg_a, unreal_a), (real_b, avg_b, unreal_b) = split(a, "FUT"), split(b, "FUT")
    tolerance = D("1e-15") * len(closing)  # each partial close cuts its cost share to 1e-18
    if avg_a is None or avg_b is None:
        assert avg_a is avg_b is None  # closed out in both orders
    else:
        assert abs(avg_a - avg_b) <= tolerance
    assert abs(real_a - real_b) <= tolerance
    assert abs(unreal_a - unreal_b) <= tolerance
    assert real_a + unreal_a == real_b + unreal_b  # the total is exact


def test_split_depends_on_order_when_adds_and_reductions_mix() -> None:
    # buy 10 @ 100, sell 10 @ 110, buy 10 @ 120, mark 120.
    # in this order: realized (110 - 100) * 10 = 100, then long 10 @ 120: unrealized 0.
    # buys first: long 20 @ 110, sell 10 @ 110 realizes 0, long 10 @ 110: unrealized 100.
    b1 = make_fill(STOCK, OrderSide.BUY, D(10), D(100))
    s1 = make_fill(STOCK, OrderSide.SELL, D(10), D(110))
    b2 = make_fill(STOCK, OrderSide.BUY, D(10), D(120))
    as_listed = book([b1, s1, b2], {"STK": 120.0})
    buys_first = book([b1, b2, s1], {"STK": 120.0})
    assert split(as_listed, "STK") == (D(100), D(120), D(0))
    assert split(buys_first, "STK") == (D(0), D(110), D(100))
    assert state(as_listed) == state(buys_first)


def test_split_depends_on_order_when_a_fill_flips_the_position() -> None:
    # f1 buy 10 @ 100, f2 sell 20 @ 110, f3 sell 5 @ 90; mark 100; final short 15.
    # f1 f2 f3: f2 realizes (110 - 100) * 10 = 100 and opens short 10 @ 110; f3 adds 5 @ 90:
    #   short 15 @ (1100 + 450) / 15 = 103.33..; unrealized (103.33.. - 100) * 15 = 50.
    # f3 f1 f2: short 5 @ 90; f1 closes it, realizing (90 - 100) * 5 = -50, opens long 5 @ 100;
    #   f2 closes that, realizing (110 - 100) * 5 = 50, opens short 15 @ 110: unrealized 150.
    f1 = make_fill(STOCK, OrderSide.BUY, D(10), D(100))
    f2 = make_fill(STOCK, OrderSide.SELL, D(20), D(110))
    f3 = make_fill(STOCK, OrderSide.SELL, D(5), D(90))
    first = book([f1, f2, f3], {"STK": 100.0})
    second = book([f3, f1, f2], {"STK": 100.0})
    real_1, _, unreal_1 = split(first, "STK")
    real_2, avg_2, unreal_2 = split(second, "STK")
    assert (real_1, abs(unreal_1 - D(50)) < D("1e-15")) == (D(100), True)
    assert (real_2, avg_2, unreal_2) == (D(0), D(110), D(150))
    assert state(first) == state(second)
    assert first.equity() == second.equity()


@given(fills=fill_lists(), eur_rate=rates)
def test_turnover_sums_absolute_notional_in_base(fills: list[Fill], eur_rate: float) -> None:
    ledger = new_ledger(eur_rate)
    for f in fills:
        ledger.apply(f)
    expected = {inst.symbol: D(0) for inst in INSTRUMENTS}
    for f in fills:
        inst = ledger_inst(f.symbol)
        expected[f.symbol] += f.quantity * f.price * inst.multiplier * fx_of(inst, eur_rate)
    assert ledger.turnover() == sum(expected.values(), D(0))
    for symbol, value in expected.items():
        assert ledger.traded_notional(symbol) == value


charge_lists = st.lists(
    st.tuples(
        st.sampled_from(CHARGE_KINDS),
        st.integers(min_value=-10_000, max_value=10_000).map(lambda c: D(c) / 100),
        st.sampled_from(["USD", "EUR"]),
        st.sampled_from([None, "STK", "EUX"]),
    ),
    max_size=15,
)


@given(charges=charge_lists, eur_rate=rates)
def test_charges_accumulate_by_kind(
    charges: list[tuple[str, Decimal, str, str | None]], eur_rate: float
) -> None:
    ledger = new_ledger(eur_rate)
    expected = dict.fromkeys(CHARGE_KINDS, D(0))
    for_stk = dict.fromkeys(CHARGE_KINDS, D(0))
    cash = dict(START)
    for ts, (kind, amount, currency, symbol) in enumerate(charges):
        ledger.charge(amount, currency, kind, ts, symbol=symbol)
        base = amount * (D(1) if currency == "USD" else D(repr(eur_rate)))
        expected[kind] += base
        if symbol == "STK":
            for_stk[kind] += base
        cash[currency] -= amount
    assert ledger.costs_by_kind() == expected
    assert ledger.costs_by_kind("STK") == for_stk
    assert {c: ledger.cash(c) for c in cash} == cash
    assert ledger.realized_pnl() == 0
    paid = sum(expected.values(), D(0))
    start = START["USD"] + START["EUR"] * D(repr(eur_rate))
    assert ledger.equity_decimal() == start - paid


@given(fills=fill_lists(), prices=mark_maps, first=rates, second=rates)
def test_fx_moves_revalue_cash_and_positions(
    fills: list[Fill], prices: dict[str, float], first: float, second: float
) -> None:
    moved = book(fills, prices, first)
    moved.set_fx_rate("EUR", second)
    # the same books marked at the second rate from the start give the same equity, as long as
    # only stocks are compared (flows keep the rate they were booked at)
    fresh = book(fills, prices, second)
    assert moved.equity_decimal() == fresh.equity_decimal()
    assert moved.cash() == fresh.cash()
    scale = 2e6 + moved.gross_exposure()
    assert abs(moved.equity() - fresh.equity()) <= 1e-9 * scale
    assert abs(moved.unrealized_pnl() - fresh.unrealized_pnl()) <= 1e-9 * scale
