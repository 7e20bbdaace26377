"""The modelled option indices: known answers on constructed paths, no look-ahead on real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphaforge.data.bundled import load_dataset
from alphaforge.domain.errors import InvalidValueError
from alphaforge.pricing import (
    ModelledSeries,
    bs_price,
    covered_call_index,
    put_write_index,
    straddle_index,
)


def _flat(days: int = 90, level: float = 100.0, start: str = "2020-01-02") -> pd.Series:
    """Synthetic closes (constructed for a known answer): a flat underlying on weekdays."""
    index = pd.date_range(start, periods=days, freq="B", tz="UTC")
    return pd.Series(level, index=index, dtype=float)


def _vol(close: pd.Series, value: float = 0.2) -> pd.Series:
    return pd.Series(value, index=close.index, dtype=float)


def _at(series: ModelledSeries, day: str) -> float:
    return float(series.close.loc[pd.Timestamp(day, tz="UTC")])


def test_covered_call_on_a_flat_index_earns_the_premium() -> None:
    """Flat underlying at 100, constant 20 % vol, no rate, no spread (constructed): each month
    the call written at the money expires worthless, so the index grows by 100 / (100 - C)."""
    close = _flat()
    cc = covered_call_index(close, _vol(close), rate=0.0, half_spread=0.0)
    # first roll 2020-02-03, nominal expiry Monday 2020-03-02 (28 days); next 2020-03-02 -> 04-01
    assert cc.close.index[0] == pd.Timestamp("2020-02-03", tz="UTC")
    assert list(cc.rolls["expiry"].dt.strftime("%Y-%m-%d")) == [
        "2020-03-02", "2020-04-01", "2020-05-01", "2020-06-01",
    ]  # fmt: skip
    c1 = bs_price(100.0, 100.0, 28 / 365, 0.2)
    c2 = bs_price(100.0, 100.0, 30 / 365, 0.2)
    assert cc.rolls["premium"].iloc[0] == pytest.approx(c1)
    assert cc.rolls["settlement"].iloc[0] == 0.0
    units = 100.0 / (100.0 - c1)
    assert _at(cc, "2020-02-03") == pytest.approx(100.0)  # no spread: the trade is at the mark
    assert _at(cc, "2020-03-02") == pytest.approx(units * 100.0)  # the call expired worthless
    assert _at(cc, "2020-04-01") == pytest.approx(units * 100.0 * 100.0 / (100.0 - c2))
    assert np.all(np.diff(cc.close.to_numpy()) >= -1e-12)  # time decay only works for the writer


def test_the_short_call_settles_at_intrinsic_value() -> None:
    """Constructed: the underlying jumps from 100 to 110 in the first month and stays there; the
    call struck at 100 settles at 10 on the next roll, leaving the index at units × 100."""
    close = _flat(days=60)
    close[close.index >= pd.Timestamp("2020-02-14", tz="UTC")] = 110.0
    cc = covered_call_index(close, _vol(close), rate=0.0, half_spread=0.0)
    first = cc.rolls.iloc[0]
    assert first["strike"] == 100.0
    assert first["settlement"] == pytest.approx(10.0)
    units = -first["quantity"]
    assert units == pytest.approx(100.0 / (100.0 - first["premium"]))
    assert _at(cc, "2020-03-02") == pytest.approx(units * (110.0 - 10.0))
    assert cc.rolls["strike"].iloc[1] == 110.0  # the next call is struck at the new spot


def test_moneyness_and_spread_are_applied() -> None:
    close = _flat()
    otm = covered_call_index(close, _vol(close), moneyness=1.05, half_spread=0.02)
    row = otm.rolls.iloc[0]
    assert row["strike"] == pytest.approx(105.0)
    assert row["traded"] == pytest.approx(0.98 * row["premium"])
    assert otm.close.iloc[0] < 100.0  # the spread is paid at once


def test_put_write_equals_covered_call_on_a_flat_path_without_rates() -> None:
    """Constructed: flat underlying, r = 0. Put-call parity makes the ATM put and call equal,
    so the cash-secured put and the covered call earn the same premium each month."""
    close = _flat()
    cc = covered_call_index(close, _vol(close), rate=0.0, half_spread=0.0)
    pw = put_write_index(close, _vol(close), rate=0.0, half_spread=0.0)
    np.testing.assert_allclose(pw.close.to_numpy(), cc.close.to_numpy(), rtol=1e-12)
    count = -pw.rolls["quantity"].iloc[0]
    assert count * 100.0 == pytest.approx(100.0 + count * pw.rolls["traded"].iloc[0])


def test_put_write_cash_earns_the_rate() -> None:
    """Constructed: flat underlying, tiny vol: the puts are worth ~0, the index is the cash."""
    close = _flat()
    pw = put_write_index(close, _vol(close, 1e-4), rate=0.05, half_spread=0.0)
    days = (pw.close.index[-1] - pw.close.index[0]).days
    assert pw.close.iloc[-1] == pytest.approx(100.0 * np.exp(0.05 * days / 365), rel=1e-9)


@pytest.mark.parametrize("side", [1, -1])
def test_straddle_on_a_flat_index_pays_or_earns_the_premium(side: int) -> None:
    """Constructed: no realized volatility, no rate, no costs. The long straddle loses its whole
    premium by expiry (the hedge never makes money); the short one keeps it."""
    close = _flat()
    book = straddle_index(close, _vol(close), side=side, rate=0.0, half_spread=0.0,
                          hedge_cost_bps=0.0)  # fmt: skip
    x1 = bs_price(100.0, 100.0, 28 / 365, 0.2) + bs_price(100.0, 100.0, 28 / 365, 0.2, kind="put")
    assert book.rolls["premium"].iloc[0] == pytest.approx(x1)
    assert book.rolls["quantity"].iloc[0] == pytest.approx(side * 1.0)  # value / spot
    assert _at(book, "2020-03-02") == pytest.approx(100.0 - side * x1)


def test_delta_hedged_straddle_earns_realized_minus_implied() -> None:
    """Constructed: the underlying zig-zags ±2 % a day (realized vol about 32 %) while implied
    stays at 10 %: the long hedged straddle gains, the short one loses; with realized below
    implied (a flat path) it is the other way round."""
    close = _flat(days=70)
    steps = np.where(np.arange(len(close)) % 2 == 0, 1.02, 1 / 1.02)
    wild = pd.Series(100.0 * np.cumprod(steps), index=close.index)
    long_wild = straddle_index(wild, _vol(wild, 0.10), side=1)
    short_wild = straddle_index(wild, _vol(wild, 0.10), side=-1)
    assert long_wild.close.iloc[-1] > 100.0 > short_wild.close.iloc[-1]
    long_calm = straddle_index(close, _vol(close, 0.10), side=1)
    assert long_calm.close.iloc[-1] < 100.0


def test_missing_implied_vol_is_carried_a_few_days_only() -> None:
    close = _flat()
    vol = _vol(close)
    gap = vol.copy()
    gap.iloc[30:32] = np.nan  # two holidays in a row
    filled = covered_call_index(close, gap.dropna())
    assert filled.close.index.equals(covered_call_index(close, vol).close.index)
    long_gap = vol.copy()
    long_gap.iloc[30:35] = np.nan
    first_unfilled = close.index[33].date()  # the 4th missing day in a row
    with pytest.raises(InvalidValueError, match=f"missing at {first_unfilled} for more than max"):
        covered_call_index(close, long_gap)


def test_bad_inputs_are_named() -> None:
    close = _flat()
    with pytest.raises(InvalidValueError, match="implied looks like percent"):
        covered_call_index(close, _vol(close, 20.0))
    with pytest.raises(InvalidValueError, match="timezone-aware"):
        covered_call_index(close.tz_localize(None), _vol(close))
    with pytest.raises(InvalidValueError, match="moneyness"):
        covered_call_index(close, _vol(close), moneyness=3.0)
    with pytest.raises(InvalidValueError, match="side must be 1"):
        straddle_index(close, _vol(close), side=2)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="no month change"):
        covered_call_index(close.iloc[:15], _vol(close).iloc[:15])


@pytest.fixture(scope="module")
def spx_vix() -> tuple[pd.Series, pd.Series]:
    return load_dataset("spx_daily")["close"], load_dataset("vix_daily")["close"] / 100.0


_BUILDERS = {
    "covered_call": covered_call_index,
    "put_write": put_write_index,
    "straddle": straddle_index,
    "short_straddle": lambda c, v: straddle_index(c, v, side=-1),
}


@pytest.mark.parametrize("name", list(_BUILDERS))
def test_a_truncated_input_gives_the_prefix_of_the_full_series(
    name: str, spx_vix: tuple[pd.Series, pd.Series]
) -> None:
    close, vix = spx_vix
    build = _BUILDERS[name]
    full = build(close, vix)
    for cut in ("2015-08-24", "2017-03-01", "2018-02-05"):  # mid-month, a roll, a VIX spike
        at = pd.Timestamp(cut, tz="UTC")
        part = build(close.loc[:at], vix.loc[:at])
        pd.testing.assert_frame_equal(part.frame, full.frame.loc[:at])
        done = full.rolls.loc[: part.rolls.index[-1]].iloc[:-1]
        pd.testing.assert_frame_equal(part.rolls.iloc[:-1], done)  # the open one's payoff: NaN
        assert np.isnan(part.rolls["settlement"].iloc[-1])


def test_real_data_indices_behave_like_their_strategies(
    spx_vix: tuple[pd.Series, pd.Series],
) -> None:
    """On the bundled S&P 500 and VIX: strikes at the money on each roll, and the covered call
    moves with the index but less (its upside is sold)."""
    close, vix = spx_vix
    cc = covered_call_index(close, vix)
    assert cc.close.index[0] == pd.Timestamp("2014-02-03", tz="UTC")
    assert len(cc.rolls) == 59
    np.testing.assert_allclose(cc.rolls["strike"], close.loc[cc.rolls.index])
    np.testing.assert_allclose(cc.rolls["implied_vol"], vix.loc[cc.rolls.index])
    r_cc = cc.close.pct_change().dropna()
    r_spx = close.loc[cc.close.index].pct_change().dropna()
    assert 0.3 < np.corrcoef(r_cc, r_spx)[0, 1] < 1.0
    assert r_cc.std() < r_spx.std()


def test_in_a_black_scholes_world_the_hedged_straddle_earns_the_risk_free_rate() -> None:
    """Simulated paths constructed for a known answer: the index follows a geometric Brownian
    motion whose volatility equals the implied one (20 %) and whose drift is the rate. Then a
    daily delta-hedged option book without costs earns the risk-free rate on average, long or
    short: a check of the signs, the hedge and the cash accrual together."""
    index = pd.date_range("2010-01-01", periods=504, freq="B", tz="UTC")
    dt = np.r_[1.0, np.diff(index.as_unit("ns").asi8) / 86_400e9] / 365.0
    rng = np.random.default_rng(0)
    rate, vol = 0.02, pd.Series(0.2, index=index)
    growth: dict[int, list[float]] = {1: [], -1: []}
    for _ in range(24):
        steps = (rate - 0.5 * 0.2**2) * dt + 0.2 * np.sqrt(dt) * rng.normal(size=len(index))
        close = pd.Series(100 * np.exp(np.cumsum(steps)), index=index)
        for side in (1, -1):
            book = straddle_index(close, vol, side=side, rate=rate, half_spread=0.0,
                                  hedge_cost_bps=0.0).close  # fmt: skip
            years = (book.index[-1] - book.index[0]).days / 365.0
            growth[side].append(book.iloc[-1] / book.iloc[0] / np.exp(rate * years))
    assert np.mean(growth[1]) == pytest.approx(1.0, abs=0.02)
    assert np.mean(growth[-1]) == pytest.approx(1.0, abs=0.02)
    assert np.std(growth[1]) > 0.01  # the paths really differ
