"""compute_metrics: edge cases never crash, the output is JSON-safe, inputs are checked.

Equity curves are built from bundled real prices except where a test needs an exact answer
(empty, one value, flat, steady growth), which it says.
"""

from __future__ import annotations

import json
import math
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from alphaforge import analytics as an
from alphaforge.data import load_dataset
from alphaforge.domain.errors import InvalidValueError

UTC = "UTC"

# Synthetic trades (their entry and exit stamps are set per test): pnl 100, -50, 0, 250, -25.
TRADES = pd.DataFrame(
    {
        "symbol": "SPX",
        "side": "long",
        "entry_ts": pd.DatetimeIndex([pd.Timestamp("2024-01-01", tz=UTC)] * 5),
        "exit_ts": pd.DatetimeIndex([pd.Timestamp("2024-01-02", tz=UTC)] * 5),
        "quantity": 10.0,
        "entry_price": 100.0,
        "exit_price": [110.0, 95.0, 100.0, 125.0, 97.5],
        "pnl": [100.0, -50.0, 0.0, 250.0, -25.0],
        "return": [0.1, -0.05, 0.0, 0.25, -0.025],
        "fees": 1.0,
        "bars_held": 1,
        "exit_reason": "signal",
    }
)


def _equity(values: list[float] | np.ndarray, start: str = "2024-01-01") -> pd.Series:
    index = pd.date_range(start, periods=len(values), freq="B", tz=UTC)
    return pd.Series(np.asarray(values, dtype=float), index=index, name="equity")


def _json_roundtrip(m: an.Metrics) -> dict[str, object]:
    text = json.dumps(m.to_dict(), allow_nan=False)
    loaded: dict[str, object] = json.loads(text)
    return loaded


@pytest.mark.parametrize("values", [[], [100.0]], ids=["empty", "one value"])
def test_too_short_a_curve_gives_undefined_figures(values: list[float]) -> None:
    """Synthetic: no return at all."""
    m = an.compute_metrics(_equity(values), trades=TRADES.iloc[:0])
    assert m.periods == 0
    for name in ("total_return", "annual_return", "sharpe_ratio", "max_drawdown", "var_95"):
        assert math.isnan(getattr(m, name)), name
    assert m.max_drawdown_duration is None
    assert m.max_drawdown_duration_periods == 0
    assert m.number_of_trades == 0
    out = _json_roundtrip(m)
    assert out["sharpe_ratio"] is None
    assert out["start"] == (None if not values else "2024-01-01T00:00:00+00:00")
    assert m.table_rows()


def test_flat_equity() -> None:
    """Synthetic: all returns zero."""
    m = an.compute_metrics(_equity([100.0] * 50))
    assert m.total_return == 0.0
    assert m.annual_return == 0.0
    assert m.annual_volatility == 0.0
    assert m.max_drawdown == 0.0
    assert m.max_drawdown_duration_periods == 0
    assert m.max_drawdown_peak is None
    for name in ("sharpe_ratio", "sortino_ratio", "calmar_ratio", "omega_ratio", "tail_ratio"):
        assert math.isnan(getattr(m, name)), name
    for name in ("stability", "skew", "kurtosis"):
        assert math.isnan(getattr(m, name)), name
    assert m.var_95 == 0.0
    assert m.var_99_gaussian == 0.0
    _json_roundtrip(m)


def test_steady_growth_has_infinite_ratios() -> None:
    """Synthetic: +25 % every period (exact in binary), so no deviation and no loss."""
    m = an.compute_metrics(_equity(100.0 * 1.25 ** np.arange(20)))
    assert m.annual_volatility == 0.0
    assert m.sharpe_ratio == math.inf
    assert m.sortino_ratio == math.inf
    assert m.omega_ratio == math.inf
    assert math.isnan(m.calmar_ratio)
    assert m.annual_return == pytest.approx(1.25**252 - 1, rel=1e-12)
    assert an.sharpe_ratio([0.001] * 10) == math.inf  # an exactly constant return series
    assert an.sharpe_ratio([-0.001] * 10) == -math.inf
    assert _json_roundtrip(m)["sharpe_ratio"] is None
    assert ("Sharpe ratio", "inf") in m.table_rows()


def test_real_backtest_like_run_with_trades_costs_and_benchmark() -> None:
    closes = load_dataset("spx_daily")["close"]
    equity = (100_000 * closes / closes.iloc[0]).rename("equity")
    index = equity.index
    trades = TRADES.assign(
        entry_ts=[index[10], index[100], index[200], index[300], index[400]],
        exit_ts=[index[20], index[150], index[201], index[390], index[500]],
    )
    m = an.compute_metrics(
        equity,
        trades=trades,
        benchmark=load_dataset("sp500_index_close")["close"],
        costs={"commission": 10.0, "slippage": 2.5},
        turnover=1_000_000.0,
    )
    assert m.start == index[0]
    assert m.end == index[-1]
    assert m.periods == len(equity) - 1
    assert m.periods_per_year == 252
    assert m.beta == pytest.approx(1.0, abs=1e-3)  # the same index from two sources
    assert m.number_of_trades == 5
    assert m.exposure == pytest.approx((10 + 50 + 1 + 90 + 100) / len(equity))
    assert m.traded_notional == 1_000_000.0
    assert m.turnover == pytest.approx(1_000_000.0 / equity.mean())
    assert m.annual_turnover == pytest.approx(m.turnover * 252 / m.periods)
    assert dict(m.costs) == {"commission": 10.0, "slippage": 2.5}
    assert m.total_costs == 12.5
    peak, trough = m.max_drawdown_peak, m.max_drawdown_trough
    assert isinstance(peak, pd.Timestamp)
    assert isinstance(trough, pd.Timestamp)
    assert (peak.date().isoformat(), trough.date().isoformat()) == ("2007-10-09", "2009-03-09")
    assert isinstance(m.max_drawdown_duration, timedelta)
    out = _json_roundtrip(m)
    assert out["max_drawdown_peak"] == "2007-10-09T00:00:00+00:00"
    assert out["max_drawdown_duration"] == m.max_drawdown_duration.total_seconds()
    assert out["average_holding_time"] == pytest.approx(
        np.mean(
            [(b - a).total_seconds() for a, b in zip(trades.entry_ts, trades.exit_ts, strict=True)]
        )
    )
    assert out["costs"] == {"commission": 10.0, "slippage": 2.5}
    labels = [label for label, _ in m.table_rows()]
    assert "Beta" in labels
    assert "Win rate" in labels
    assert "  commission" in labels
    plain = an.compute_metrics(equity)
    assert "Beta" not in [label for label, _ in plain.table_rows()]
    assert math.isnan(plain.beta)
    assert not plain.has_benchmark
    assert plain.number_of_trades is None
    assert math.isnan(plain.exposure)


def test_benchmark_is_read_as_of_each_equity_stamp() -> None:
    """An equity stamped at the 21:00 UTC close meets a benchmark labelled at midnight."""
    closes = load_dataset("spx_daily")["close"].iloc[:300]
    equity = (closes * 3.0).set_axis(closes.index + pd.Timedelta(hours=21))
    m = an.compute_metrics(equity, benchmark=closes)
    assert m.beta == pytest.approx(1.0, rel=1e-12)
    assert m.tracking_error == pytest.approx(0.0, abs=1e-12)
    # a benchmark that starts later: the earlier periods have no pair and are left out
    late = an.compute_metrics(equity, benchmark=closes.iloc[100:])
    assert late.beta == pytest.approx(1.0, rel=1e-12)
    assert late.benchmark_total_return == pytest.approx(closes.iloc[-1] / closes.iloc[100] - 1)
    returns = an.benchmark_returns(closes.iloc[100:], equity.index)
    assert np.isnan(returns[:100]).all()
    assert not np.isnan(returns[100:]).any()


def test_bad_inputs_raise_named_errors() -> None:
    good = _equity([100.0, 101.0, 102.0])
    with pytest.raises(InvalidValueError, match="finite"):
        an.compute_metrics(_equity([100.0, np.nan, 102.0]))
    with pytest.raises(InvalidValueError, match="naive"):
        an.compute_metrics(good.tz_localize(None))
    with pytest.raises(InvalidValueError, match="sorted"):
        an.compute_metrics(good.iloc[::-1])
    with pytest.raises(InvalidValueError, match="Series"):
        an.compute_metrics(good.to_numpy())  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="periods_per_year"):
        an.compute_metrics(good, periods_per_year=0)
    with pytest.raises(InvalidValueError, match="risk_free"):
        an.compute_metrics(good, risk_free=math.nan)
    with pytest.raises(InvalidValueError, match="gaussian"):
        an.value_at_risk([0.1, 0.2], method="gausian")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="confidence"):
        an.value_at_risk([0.1, 0.2], 95)
    with pytest.raises(InvalidValueError, match="same length"):
        an.beta(np.zeros(3), np.zeros(4))


def test_a_wiped_out_account_does_not_crash() -> None:
    """Synthetic: equity falls to zero and stays there (0/0 returns are NaN = no change)."""
    m = an.compute_metrics(_equity([100.0, 50.0, 0.0, 0.0, 0.0]))
    assert m.total_return == -1.0
    assert m.annual_return == -1.0
    assert m.max_drawdown == -1.0
    assert m.max_drawdown_recovery is None
    _json_roundtrip(m)


@pytest.mark.parametrize(
    ("dataset", "expected"),
    [
        ("spx_daily", 252),  # exchange days
        ("btcusd_monthly", 12),
        ("fama_french_monthly", 12),
        ("eurusd_1h", 252 * 24),  # 24/5: 24 bars a weekday
        ("binance_ethbtc_5m", 365 * 288),  # 24/7
        ("binance_xrpusdt_funding_8h", 365 * 3),
    ],
)
def test_periods_per_year_inferred_from_real_indexes(dataset: str, expected: int) -> None:
    assert an.infer_periods_per_year(load_dataset(dataset).index) == expected


def test_periods_per_year_inferred_for_other_clocks() -> None:
    """Synthetic indexes for clocks no bundled dataset has."""
    crypto_daily = pd.date_range("2024-01-01", periods=100, freq="D", tz=UTC)
    assert an.infer_periods_per_year(crypto_daily) == 365
    weekly = pd.date_range("2024-01-05", periods=60, freq="W-FRI", tz=UTC)
    assert an.infer_periods_per_year(weekly) == 52
    quarterly = pd.date_range("2000-03-31", periods=20, freq="QE", tz=UTC)
    assert an.infer_periods_per_year(quarterly) == 4
    days = pd.bdate_range("2024-01-01", periods=20, tz=UTC)
    minutes = pd.DatetimeIndex(
        [d + pd.Timedelta(hours=13, minutes=30 + m) for d in days for m in range(390)]
    )
    assert an.infer_periods_per_year(minutes) == 252 * 390
    assert an.infer_periods_per_year(pd.RangeIndex(10)) == 252
    assert an.infer_periods_per_year(days[:1]) == 252
    closes = load_dataset("binance_ethbtc_5m")["close"]
    m = an.compute_metrics(closes)
    assert m.periods_per_year == 365 * 288
    assert an.compute_metrics(closes, periods_per_year=1000).periods_per_year == 1000
