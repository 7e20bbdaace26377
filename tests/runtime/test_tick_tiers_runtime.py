"""Stocks trade on Rule 612's tiers, price by price: the grid of a fill never depends on later
data (it once did: the tick was chosen from the whole loaded series)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from alphaforge.domain.instruments import RULE_612
from alphaforge.runtime import backtest, load_series
from alphaforge.runtime.inputs import instrument_for

PARAMS = {"fast": 10, "slow": 30, "mode": "long_only", "weight": 1.0}


def test_equities_get_rule_612_from_metadata_alone() -> None:
    (rrc,) = load_series("stocks20_close", symbols=["RRC"])
    inst = instrument_for(rrc, fractional=False)
    assert (inst.tick_size, inst.tick_tiers) == (Decimal("0.0001"), RULE_612)
    assert inst.tick_at(Decimal("0.95")) == Decimal("0.0001")
    assert inst.tick_at(Decimal("25")) == Decimal("0.01")


def test_fills_before_a_cut_do_not_depend_on_the_data_after_it() -> None:
    # RRC's adjusted close is below $1 only from 2000-04-26 to 2000-05-02: a run that stops in
    # 1999 and one that goes on must fill 1990-1999 at the same prices (cents, above $1)
    kw = {"symbols": ["RRC"], "params": PARAMS}
    cut = backtest("sma_cross", "stocks20_close", end="1999-12-31", **kw)
    full = backtest("sma_cross", "stocks20_close", **kw)
    before = full.fills[full.fills["ts"] <= pd.Timestamp("1999-12-31", tz="UTC")]
    assert len(before) > 20
    pd.testing.assert_frame_equal(cut.fills.reset_index(drop=True), before.reset_index(drop=True))
    cents = before["price"].map(lambda p: Decimal(repr(p)) % Decimal("0.01") == 0)
    assert cents.all()
    dip = full.fills[full.fills["price"] < 1]  # fills inside the dip, if any, on the fine grid
    assert all(Decimal(repr(p)) % Decimal("0.0001") == 0 for p in dip["price"])
