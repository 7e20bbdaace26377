"""Allocators: target weights on rebalance dates, the schedule, assets without history, sizing,
solver fallback, no look-ahead, and runs on the bundled 20 stocks (API and CLI)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from alphaforge.cli._common import console
from alphaforge.cli.main import app
from alphaforge.domain.errors import InvalidValueError
from alphaforge.runtime import backtest
from alphaforge.strategies import get_strategy
from alphaforge.strategies.library import _optimize as opt
from alphaforge.strategies.library.allocators import (
    EqualWeight,
    InverseVol,
    MeanVariance,
    MinVariance,
    RiskParity,
)
from alphaforge.testing import assert_no_lookahead

NO_COSTS = {"cash": 1_000_000, "commission_bps": 0.0, "slippage_bps": 0.0}
ALLOCATORS = ["equal_weight", "inverse_vol", "risk_parity", "min_variance", "mean_variance"]


def _zigzag(n: int, swing: float, drift: float = 0.0, start: str = "2020-01-01") -> pd.DataFrame:
    """Constructed closes whose returns alternate +swing and -swing around ``drift``: their
    volatility is known exactly (``swing``, in daily terms)."""
    steps = drift + swing * np.where(np.arange(n - 1) % 2 == 0, 1.0, -1.0)
    closes = 100.0 * np.cumprod(np.concatenate([[1.0], 1.0 + steps]))
    index = pd.date_range(start, periods=n, freq="B", tz="UTC")
    return pd.DataFrame({"close": closes}, index=index)


def _dates(stamps: list[int]) -> list[str]:
    return [pd.Timestamp(t, tz="UTC").date().isoformat() for t in stamps]


def _period_starts(index: pd.DatetimeIndex, freq: str) -> list[str]:
    """The first timestamp of each calendar period in a run's equity index (UTC), as dates.

    A bar of a frame without a calendar becomes known at the end of its day (00:00 UTC of the
    next), so these are the event times the schedule sees, not the frame's labels."""
    utc = index.tz_convert("UTC")
    months = utc.year * 12 + utc.month - 1
    keys = months // 3 if freq == "Q" else months
    first = ~pd.Series(keys).duplicated().to_numpy()
    return [t.date().isoformat() for t in utc[first]]


def test_equal_weight_targets_on_the_first_bar_of_each_month() -> None:
    """Constructed: three nearly flat series over Jan-Apr 2020 (so the next-bar fill price is the
    decision price to 0.03 %); 1/3 of 98 % each, every month."""
    data = {s: _zigzag(80, 0.0001 * (i + 1)) for i, s in enumerate(["AAA", "BBB", "CCC"])}
    strat = EqualWeight()
    result = backtest(strat, data, **NO_COSTS)
    stamps = _dates([t for t, _ in strat.allocations])
    assert stamps == _period_starts(result.equity.index, "M")
    assert len(stamps) == 4  # January to April
    for _, weights in strat.allocations:
        assert weights == pytest.approx({"AAA": 0.98 / 3, "BBB": 0.98 / 3, "CCC": 0.98 / 3})
    created = {t.date().isoformat() for t in result.orders["created"]}
    assert created <= set(_dates([t for t, _ in strat.allocations]))  # orders only on those days
    first_fill = result.fills[result.fills["ts"] == result.fills["ts"].min()]
    notional = (first_fill["quantity"].astype(float) * first_fill["price"].astype(float)).to_numpy()
    np.testing.assert_allclose(notional, 0.98 / 3 * 1_000_000, rtol=1e-3)  # sized as claimed


def test_a_quarterly_schedule_rebalances_once_a_quarter() -> None:
    data = {s: _zigzag(140, 0.01 * (i + 1)) for i, s in enumerate(["AAA", "BBB"])}
    strat = EqualWeight(freq="Q")
    result = backtest(strat, data, **NO_COSTS)
    stamps = _dates([t for t, _ in strat.allocations])
    assert stamps == _period_starts(result.equity.index, "Q")
    assert len(stamps) == 3
    assert {t.date().isoformat() for t in result.orders["created"]} <= set(stamps)


def test_inverse_vol_sizes_by_known_volatilities() -> None:
    """Constructed: BBB swings twice as much as AAA, so it gets half the weight (1/3 vs 2/3)."""
    data = {"AAA": _zigzag(60, 0.01), "BBB": _zigzag(60, 0.02)}
    strat = InverseVol(lookback=20)
    result = backtest(strat, data, start="2020-02-03", **NO_COSTS)
    weights = strat.allocations[0][1]
    assert weights == pytest.approx({"AAA": 0.98 * 2 / 3, "BBB": 0.98 / 3}, rel=1e-3)
    fills = result.fills.groupby("symbol").apply(
        lambda f: float((f["quantity"].astype(float) * f["price"].astype(float)).sum()),
        include_groups=False,
    )
    assert fills["AAA"] / fills["BBB"] == pytest.approx(2.0, rel=1e-2)


def test_assets_without_enough_history_get_no_weight_until_they_have_it() -> None:
    """Constructed: CCC lists in March 2020; with a 20-day window it joins in April."""
    late = _zigzag(40, 0.015, start="2020-03-02")
    data = {"AAA": _zigzag(100, 0.01), "BBB": _zigzag(100, 0.02), "CCC": late}
    strat = MinVariance(lookback=20, max_weight=1.0)
    backtest(strat, data, **NO_COSTS)
    by_month = {pd.Timestamp(t, tz="UTC").month: w for t, w in strat.allocations}
    assert by_month[1] == {}  # nobody has 21 closes on the first day
    assert set(by_month[2]) == {"AAA", "BBB"}
    assert set(by_month[3]) == {"AAA", "BBB"}  # CCC's first bars: no history yet
    april = by_month[4]
    assert set(april) == {"AAA", "BBB", "CCC"}
    assert sum(april.values()) == pytest.approx(0.98)


@pytest.mark.parametrize("cls", [RiskParity, MinVariance, MeanVariance])
def test_optimised_weights_respect_their_constraints_on_real_data(cls: type) -> None:
    strat = cls(lookback=126, max_weight=0.3) if cls is not RiskParity else cls(lookback=126)
    backtest(strat, "stocks20_close", symbols=["AAPL", "JNJ", "XOM", "KO", "JPM", "MSFT"],
             start="2021-06-01", end="2021-12-31")  # fmt: skip
    assert len(strat.allocations) == 7
    for _, weights in strat.allocations:
        values = np.array(list(weights.values()))
        assert len(values) == 6
        assert values.sum() == pytest.approx(0.98, abs=1e-6)
        assert values.min() >= 0
        if cls is not RiskParity:
            assert values.max() <= 0.3 * 0.98 + 1e-6
    assert strat.notes == []


def test_risk_parity_equalises_risk_on_the_window_it_saw() -> None:
    symbols = ["AAPL", "JNJ", "XOM", "KO"]
    strat = RiskParity()
    backtest(strat, "stocks20_close", symbols=symbols, start="2022-06-01", end="2022-06-30")
    at, weights = strat.allocations[0]
    frame = load_closes(symbols, before=at, n=253)
    cov = opt.ledoit_wolf_cov(frame[1:] / frame[:-1] - 1)
    w = np.array([weights[s] for s in symbols])
    np.testing.assert_allclose(opt.risk_contributions(w, cov), 0.25, atol=1e-4)


def load_closes(symbols: list[str], *, before: int, n: int) -> np.ndarray:
    from alphaforge.data.bundled import load_dataset  # noqa: PLC0415

    frame = load_dataset("stocks20_close")[symbols]
    frame = frame[frame.index <= pd.Timestamp(before, tz="UTC")]
    return frame.to_numpy()[-n:]


def test_a_failed_solve_keeps_the_last_weights_and_says_why() -> None:
    """max_turnover=0 is infeasible once prices have moved the book off its budget: the
    strategy must hold its last weights, note the reason, and carry on."""
    strat = MeanVariance(max_turnover=0.0)
    result = backtest(strat, "stocks20_close", symbols=["AAPL", "JNJ", "XOM"],
                      start="2022-01-01", end="2022-06-30")  # fmt: skip
    assert len(strat.allocations) == 6
    first = strat.allocations[0][1]
    assert sum(first.values()) == pytest.approx(0.98)  # the first purchase is not limited
    assert len(strat.notes) == 5
    assert "no solution" in strat.notes[0]
    assert "kept the last weights" in strat.notes[0]
    for _, weights in strat.allocations[1:]:
        assert weights == pytest.approx(first)
    assert math.isfinite(result.metrics.sharpe_ratio)


@pytest.mark.parametrize("name", ALLOCATORS)
def test_no_lookahead_on_real_stocks(name: str) -> None:
    full = assert_no_lookahead(name, "stocks20_close", symbols=["AAPL", "JNJ", "XOM", "KO", "JPM"],
                               start="2020-06-01")  # fmt: skip
    assert len(full.fills) > 0


def test_no_lookahead_when_the_cut_is_a_rebalance_day() -> None:
    """The default cuts rarely land on the first bar of a month; this one does, so a rebalance
    decided with the next close in view would show up as a different order. (AAPL's stream is
    the first of each timestamp: the one a runtime could advance before ``on_step`` is done.)"""
    assert_no_lookahead("risk_parity", "stocks20_close", symbols=["AAPL", "JNJ", "XOM", "KO"],
                        start="2020-06-01", cuts=["2021-03-01 21:00"])  # fmt: skip


def test_a_real_run_with_costs_trades_and_has_finite_metrics() -> None:
    result = backtest("min_variance", start="2018-01-01", commission_bps=5, slippage_bps=5)
    assert get_strategy("min_variance").default_data == ("stocks20_close",)
    sources = {d["source"] for d in result.provenance["data"]}
    assert sources == {"bundled:stocks20_close"}  # its default data: all 20 stocks
    assert len(result.prices) == 20
    assert len(result.fills) > 100
    assert result.costs["commission"] > 0
    m = result.metrics
    for value in (m.sharpe_ratio, m.max_drawdown, m.annual_return):
        assert math.isfinite(value)
    assert (result.orders["status"] == "denied").sum() == 0


def test_parameters_are_checked_by_name() -> None:
    with pytest.raises(InvalidValueError, match="max_gross"):
        MeanVariance(long_only=False, max_gross=0.5)
    with pytest.raises(InvalidValueError, match="freq"):
        EqualWeight(freq="H")
    with pytest.raises(InvalidValueError, match="lookback"):
        InverseVol(lookback=5)


def test_cli_backtest_runs_an_allocator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ALPHAFORGE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(console, "_width", 200)
    args = ["backtest", "-s", "risk_parity", "-p", "freq=Q", "--start", "2021-01-01",
            "--benchmark", "sp500_index_close"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Sharpe ratio" in result.stdout
    assert "freq=Q" in result.stdout
