"""Position PnL: hand-computed examples, and properties against cash-flow accounting."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alphaforge.domain.enums import OrderSide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.fills import Fill
from alphaforge.domain.instruments import Instrument
from alphaforge.domain.positions import Position

D = Decimal
ES = Instrument.future("ES", currency="USD", tick_size="0.25", multiplier=50, margin_init="0.06")
MSFT = Instrument.equity("MSFT")
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
        ts_event=n,
    )


def test_future_round_trip_by_hand() -> None:
    pos = Position(ES)
    assert pos.is_flat
    assert pos.avg_open_price is None

    assert pos.apply(fill(ES, "buy", 2, "5000.00", fee="4.00")) == D("-4.00")
    # add: avg = (2 * 5000 + 1 * 5003) / 3 = 15003 / 3 = 5001
    pos.apply(fill(ES, "buy", 1, "5003.00", fee="2.00"))
    assert (pos.quantity, pos.avg_open_price, pos.realized_pnl) == (3, D(5001), D(-6))

    # partial close: (5010 - 5001) * 2 * 50 = 900, minus fee 4 -> realized -6 + 896 = 890
    assert pos.apply(fill(ES, "sell", 2, "5010.00", fee="4.00")) == D(896)
    assert (pos.quantity, pos.avg_open_price, pos.realized_pnl) == (1, D(5001), D(890))
    # unrealized at 5005: (5005 - 5001) * 1 * 50 = 200
    assert pos.unrealized_pnl(D(5005)) == D(200)
    assert pos.market_value(D(5005)) == D(250250)
    assert pos.cost_basis == D(250050)

    # flip: close 1 at 4990: (4990 - 5001) * 1 * 50 = -550; fee 6 -> 890 - 556 = 334;
    # the other 2 open a short at 4990
    pos.apply(fill(ES, "sell", 3, "4990.00", fee="6.00"))
    assert (pos.quantity, pos.avg_open_price, pos.realized_pnl) == (-2, D(4990), D(334))
    assert pos.is_short
    assert pos.fees_paid == D(16)
    # short 2 from 4990 marked at 4980: (4980 - 4990) * -2 * 50 = +1000
    assert pos.unrealized_pnl(D(4980)) == D(1000)
    assert pos.notional(D(4980)) == D(498000)

    # cover: (4985 - 4990) * 2 * 50 * -1 = +500 -> 834, flat again
    pos.apply(fill(ES, "buy", 2, "4985.00"))
    assert (pos.quantity, pos.avg_open_price, pos.realized_pnl) == (0, None, D(834))
    assert pos.unrealized_pnl(D(1)) == 0
    assert pos.fill_count == 5


def test_short_equity_and_a_rebate() -> None:
    pos = Position(MSFT)
    pos.apply(fill(MSFT, "sell", 100, 50))
    # buy back 40 at 45: (45 - 50) * 40 * -1 = +200; a rebate of 0.40 adds to it
    assert pos.apply(fill(MSFT, "buy", 40, 45, fee="-0.40")) == D("200.40")
    assert (pos.quantity, pos.avg_open_price, pos.fees_paid) == (-60, D(50), D("-0.40"))


def test_partial_close_keeps_an_inexact_average() -> None:
    pos = Position(MSFT)
    pos.apply(fill(MSFT, "buy", 1, 100))
    pos.apply(fill(MSFT, "buy", 2, 101))  # avg 302 / 3 = 100.666...
    before = pos.avg_open_price
    assert before is not None
    pos.apply(fill(MSFT, "sell", 1, 102))
    after = pos.avg_open_price
    assert after is not None
    assert abs(after - before) < D("1e-17")
    # no money lost to rounding: realized + unrealized at 102 = cash flows
    # -100 - 202 + 102 + 2 * 102 = 4
    assert pos.total_pnl(D(102)) == D(4)


def test_foreign_fills_leave_the_position_untouched() -> None:
    pos = Position(MSFT)
    pos.apply(fill(MSFT, "buy", 1, 100))
    with pytest.raises(InvalidValueError, match="not 'MSFT'"):
        pos.apply(fill(ES, "buy", 1, 100))
    with pytest.raises(InvalidValueError, match="convert first"):
        pos.apply(fill(MSFT, "buy", 1, 100, fee="0.1", ccy="EUR"))
    pos.apply(fill(MSFT, "buy", 1, 100, fee=0, ccy="EUR"))  # a zero fee has no currency
    assert (pos.quantity, pos.fill_count) == (2, 2)


# ---------------------------------------------------------------------- properties
instruments = st.sampled_from(
    [MSFT, ES, Instrument.crypto("BTC/USDT", "0.01", "0.001", multiplier="0.5")]
)
fill_specs = st.lists(
    st.tuples(
        st.sampled_from(["buy", "sell"]),
        st.decimals(min_value="0.001", max_value="500", places=3),
        st.decimals(min_value="0.01", max_value="10000", places=2),
        st.decimals(min_value="0", max_value="25", places=2),
    ),
    min_size=1,
    max_size=25,
)
marks = st.decimals(min_value="0.01", max_value="10000", places=2)


def replay(inst: Instrument, specs: list[tuple[str, Decimal, Decimal, Decimal]]) -> Position:
    pos = Position(inst)
    for side, qty, price, fee in specs:
        pos.apply(fill(inst, side, qty, price, fee))
    return pos


@given(instruments, fill_specs, marks)
def test_pnl_equals_cash_flow_accounting(
    inst: Instrument, specs: list[tuple[str, Decimal, Decimal, Decimal]], mark: Decimal
) -> None:
    pos = replay(inst, specs)
    m = inst.multiplier
    signed = [(OrderSide(s).sign * q, px, fee) for s, q, px, fee in specs]
    cash = sum((-q * px * m - fee for q, px, fee in signed), D(0))
    assert pos.quantity == sum((q for q, _, _ in signed), D(0))
    assert pos.realized_pnl + pos.unrealized_pnl(mark) == cash + pos.quantity * mark * m
    assert pos.fees_paid == sum((fee for _, _, fee in signed), D(0))


@given(instruments, fill_specs)
def test_fees_only_reduce_pnl(
    inst: Instrument, specs: list[tuple[str, Decimal, Decimal, Decimal]]
) -> None:
    with_fees = replay(inst, specs)
    without = replay(inst, [(s, q, px, D(0)) for s, q, px, _ in specs])
    assert with_fees.quantity == without.quantity
    assert with_fees.avg_open_price == without.avg_open_price
    assert with_fees.realized_pnl == without.realized_pnl - with_fees.fees_paid
    assert with_fees.realized_pnl <= without.realized_pnl


@given(
    instruments,
    fill_specs,
    st.decimals(min_value="0.001", max_value="500", places=3),
    st.decimals(min_value="0.01", max_value="10000", places=2),
    st.decimals(min_value="0", max_value="10", places=2),
)
def test_flipping_equals_closing_then_opening(
    inst: Instrument,
    specs: list[tuple[str, Decimal, Decimal, Decimal]],
    extra: Decimal,
    price: Decimal,
    fee: Decimal,
) -> None:
    flipped = replay(inst, specs)
    stepped = replay(inst, specs)
    if flipped.is_flat:
        return
    side = "sell" if flipped.is_long else "buy"
    held = abs(flipped.quantity)
    flipped.apply(fill(inst, side, held + extra, price, fee))
    stepped.apply(fill(inst, side, held, price, fee))
    stepped.apply(fill(inst, side, extra, price))
    assert flipped.quantity == stepped.quantity == (extra if side == "buy" else -extra)
    assert flipped.avg_open_price == stepped.avg_open_price == price
    assert flipped.realized_pnl == stepped.realized_pnl
    assert flipped.fees_paid == stepped.fees_paid
