"""market_making: the quote formulas, the estimator, quoting and inventory limits, real runs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from alphaforge.cli.main import app
from alphaforge.runtime import backtest
from alphaforge.strategies.library._quoting import (
    avellaneda_stoikov,
    fit_intensity,
    glft,
    realized_sigma,
)
from alphaforge.testing import assert_no_lookahead

COSTS = {"commission_bps": 10.0, "maker_commission_bps": 10.0, "slippage_bps": 0.0}


def test_avellaneda_stoikov_quotes_are_the_formula() -> None:
    # risk = gamma sigma^2 tau = 0.02 * 1.5^2 * 100 = 4.5; reservation = -q * risk = -9;
    # half spread = (4.5 + (2 / 0.02) ln(1 + 0.02 / 0.1)) / 2 = (4.5 + 18.2321557) / 2
    quote = avellaneda_stoikov(2.0, 1.5, 0.02, 0.1, 100.0)
    half = (4.5 + 18.232155679395462) / 2
    assert quote.reservation == pytest.approx(-9.0)
    assert quote.bid == pytest.approx(half + 9.0)  # the bid sits under the reservation price
    assert quote.ask == pytest.approx(half - 9.0)
    flat = avellaneda_stoikov(0.0, 1.5, 0.02, 0.1, 100.0)
    assert flat.bid == flat.ask == pytest.approx(half)


def test_glft_quotes_are_the_formula() -> None:
    # base = ln(1.1) / 0.01 = 9.53101798; c = sqrt(2^2 * 0.01 / (2 * 0.1 * 0.01) * 1.1^11)
    #      = sqrt(20 * 2.85311671) = 7.55396107
    base, c = 9.531017980432493, math.sqrt(20 * 1.1**11)
    long_one = glft(1.0, 2.0, 0.01, 0.1, 0.01)
    assert long_one.bid == pytest.approx(base + 1.5 * c)
    assert long_one.ask == pytest.approx(base - 0.5 * c)
    assert long_one.reservation == pytest.approx(-c)
    short_one = glft(-1.0, 2.0, 0.01, 0.1, 0.01)
    assert (short_one.bid, short_one.ask) == pytest.approx((long_one.ask, long_one.bid))


def test_realized_sigma_counts_gaps_as_time() -> None:
    returns = np.array([0.001, -0.001, 0.001])
    seconds = np.array([60.0, 60.0, 120.0])  # a two-minute gap
    assert realized_sigma(returns, seconds) == pytest.approx(math.sqrt(3e-6 / 240) * 1e4)


def test_intensity_fit_recovers_k_and_a_from_model_excursions() -> None:
    """Constructed excursions: an interval of 60 s reaches distance d with probability
    1 - exp(-A exp(-k d) 60), so the running maximum has that survival function."""
    k, arrival, interval = 0.2, 0.05, 60.0
    rng = np.random.default_rng(7)
    u = rng.uniform(size=200_000)
    # P(X > d) = 1 - exp(-A e^{-kd} T)  =>  X = -ln(-ln(1 - u) / (A T)) / k, floored at 0
    excursions = np.maximum(-np.log(-np.log1p(-u) / (arrival * interval)) / k, 0.0)
    fitted = fit_intensity(excursions, interval, sigma_interval=10.0)
    assert fitted is not None
    assert fitted[0] == pytest.approx(k, rel=0.03)
    assert fitted[1] == pytest.approx(arrival, rel=0.05)
    assert fit_intensity(np.zeros(50), interval, 10.0) is None  # nothing ever moved


def _minute_bars(closes: list[float], wick: float) -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=len(closes), freq="min", tz="UTC")
    close = np.asarray(closes)
    open_ = np.concatenate([[close[0]], close[:-1]])
    frame = pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + 0.001,
            "low": np.minimum(open_, close) - wick,
            "close": close,
        },
        index=index,
    )
    return frame.assign(volume=1000.0)


FIXED = {"k": 0.1, "arrival": 0.01, "gamma": 0.01, "window": 20, "refit": 1, "min_requote": 0.0}


def test_first_quotes_are_the_glft_formula_on_the_estimated_sigma() -> None:
    """Constructed closes alternating 100.00 / 100.10 every minute: realized sigma is
    ln(1.001) bp per minute, over sqrt(60) for seconds. With k and A fixed and no inventory
    the first quotes (after 20 intervals) are the GLFT quotes rounded away from the mid."""
    closes = [100.0 if i % 2 == 0 else 100.1 for i in range(30)]
    result = backtest("market_making", {"AAA": _minute_bars(closes, 0.001)}, params=FIXED, **COSTS)
    sigma = math.log(1.001) * 1e4 / math.sqrt(60)
    quote = glft(0.0, sigma, 0.01, 0.1, 0.01)
    mid = closes[20]  # the 21st bar closes the 20th interval
    first = result.orders.iloc[:2]
    assert first["created"].tolist() == [result.equity.index[20]] * 2
    bid = math.floor(mid * (1 - quote.bid / 1e4) / 0.01) * 0.01
    ask = math.ceil(mid * (1 + quote.ask / 1e4) / 0.01) * 0.01
    assert first["side"].tolist() == ["buy", "sell"]
    assert first["limit_price"].tolist() == pytest.approx([bid, ask], abs=1e-9)
    assert first["quantity"].tolist() == [100.0, 100.0]


def test_the_side_that_would_pass_the_inventory_limit_is_not_quoted() -> None:
    """Constructed falling prices with long lower wicks: every bid is traded through, no ask
    is reached. Lots of 10 and a limit of 30: the position grows to 30, then only asks go out."""
    closes = [100.0 - 0.2 * i for i in range(45)]
    params = {**FIXED, "order_size": 10.0, "max_inventory": 30.0}
    result = backtest("market_making", {"AAA": _minute_bars(closes, 1.0)}, params=params,
                      cash=100_000, **COSTS)  # fmt: skip
    buys = result.fills[result.fills["side"] == "buy"]
    assert len(buys) == 3
    assert (result.fills["side"] == "buy").all()
    position_at = buys.set_index("ts")["quantity"].cumsum()
    full = position_at.index[-1]
    assert position_at.iloc[-1] == 30.0
    later = result.orders[result.orders["created"] >= full]
    assert len(later) > 0
    assert (later["side"] == "sell").all()
    assert result.strategy_report["inventory_max_abs"] == 30.0


def test_no_lookahead_on_xrpeth_minutes() -> None:
    full = assert_no_lookahead(
        "market_making",
        "binance_xrpeth_1m",
        params={"window": 60},
        cash=2,
        **COSTS,
    )
    assert len(full.fills) > 100


def test_no_lookahead_on_xrpeth_trades() -> None:
    full = assert_no_lookahead(
        "market_making",
        "binance_xrpeth_trades",
        params={"window": 60},
        cash=2,
        queue_ahead=1000.0,
        **COSTS,
    )
    assert len(full.fills) > 100


def test_real_run_on_xrpeth_trades() -> None:
    result = backtest("market_making", "binance_xrpeth_trades", cash=2, queue_ahead=1000.0, **COSTS)
    report = result.strategy_report
    assert report["fills"] == len(result.fills) > 1000
    assert report["maker_fills"] == report["fills"]  # quotes never cross the touch
    assert (result.fills["liquidity"] == "maker").all()
    assert report["inventory_max_abs"] <= 500.0
    assert report["spread_captured"] > 0  # passive fills are on the good side of the mid
    assert report["pnl_fees"] == pytest.approx(-result.fills["fee"].sum())
    assert report["pnl_total"] == pytest.approx(result.equity["equity"].iloc[-1] - 2.0)
    assert all(math.isfinite(v) for v in report.values())


def test_cli_run_writes_the_strategy_report(tmp_path: Path) -> None:
    args = ["backtest", "-s", "market_making", "--data", "binance_xrpeth_trades",
            "--cash", "2", "--commission-bps", "10", "--maker-commission-bps", "7.5",
            "--queue-ahead", "1000", "--out", str(tmp_path)]  # fmt: skip
    outcome = CliRunner().invoke(app, args)
    assert outcome.exit_code == 0, outcome.output
    assert "strategy report: fills=" in outcome.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["strategy"] == "market_making"
    assert report["fills"] > 0
    assert (
        "maker_commission_bps"
        in json.loads((tmp_path / "metrics.json").read_text())["settings"]["backtest"]
    )
