"""pca_reversion: a constructed residual shock is bought and unwound, the book is sized and
hedged as documented; no look-ahead and a costed run on the bundled stocks; the CLI."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.regression.linear_model import OLS
from typer.testing import CliRunner

from alphaforge.cli.main import app
from alphaforge.data.bundled import load_dataset
from alphaforge.domain.errors import InvalidValueError
from alphaforge.runtime import backtest
from alphaforge.strategies.library.pca_reversion import (
    PcaReversion,
    PcaReversionParams,
    _Factors,
    hedged_book,
)
from alphaforge.testing import assert_no_lookahead

SHOCK_AT, SHOCK_BARS, SHOCKED = 340, 15, "S3"


def _market(seed: int = 4) -> dict[str, pd.DataFrame]:
    """Constructed closes with a known answer: 8 stocks = beta_i x one market walk + an
    AR(1) idiosyncratic part (phi 0.7, fast mean reversion); S3's idiosyncratic part drops by
    0.05 (about 10 of its daily sd) for bars SHOCK_AT..SHOCK_AT+14, then comes back."""
    n, names = 400, 8
    rng = np.random.default_rng(seed)
    index = pd.date_range("2020-01-01", periods=n, freq="B", tz="UTC")
    market = np.cumsum(rng.normal(0.0003, 0.01, n))
    betas = rng.uniform(0.6, 1.4, names)
    shocks = rng.normal(0, 0.004, (n, names))
    idio = np.zeros((n, names))
    for t in range(1, n):
        idio[t] = 0.7 * idio[t - 1] + shocks[t]
    idio[SHOCK_AT : SHOCK_AT + SHOCK_BARS, 3] -= 0.05
    logs = math.log(50) + market[:, None] * betas + idio
    return {f"S{i}": pd.DataFrame({"close": np.exp(logs[:, i])}, index=index) for i in range(8)}


def _bar(stamps: pd.DatetimeIndex, ts: int) -> int:
    return int(stamps.get_loc(pd.Timestamp(ts, tz="UTC")))


def test_buys_the_shocked_stock_and_sells_when_it_recovers() -> None:
    data = _market()
    strategy = PcaReversion(pca_window=250, n_factors=1, neutral="none")
    result = backtest(strategy, data, commission_bps=0.0, slippage_bps=0.0)
    stamps = result.equity.index
    mine = [(_bar(stamps, d.ts), d.action, d.s, d.kappa) for d in strategy.decisions
            if d.symbol == SHOCKED and _bar(stamps, d.ts) >= SHOCK_AT]  # fmt: skip
    (at, action, s, kappa), (out, closing, s_out, _) = mine[:2]
    assert (at, action) == (SHOCK_AT, "long")
    assert s < -1.25
    assert kappa > 252 / 30
    assert (out, closing) == (SHOCK_AT + SHOCK_BARS, "close")
    assert s_out > -0.5
    # Sized as claimed (neutral="none"): weight x equity in whole shares, S3 being flat.
    before = [
        d.action for d in strategy.decisions if d.symbol == SHOCKED and d.ts < stamps[at].value
    ]
    assert not before or before[-1] == "close"
    order = result.orders[
        (result.orders["created"] == stamps[at]) & (result.orders["symbol"] == SHOCKED)
    ].iloc[0]
    assert order["side"] == "buy"
    price = data[SHOCKED]["close"].iloc[at]
    equity = result.equity["equity"].iloc[at]
    assert abs(order["quantity"] * price - 0.1 * equity) <= price


def test_every_open_and_close_obeys_the_thresholds() -> None:
    strategy = PcaReversion(pca_window=250, n_factors=1)
    backtest(strategy, _market())
    assert len(strategy.decisions) > 10
    side: dict[str, str] = {}
    for d in strategy.decisions:
        if d.action == "long":
            assert d.s < -1.25
            assert d.kappa > 252 / 30
        elif d.action == "short":
            assert d.s > 1.25
            assert d.kappa > 252 / 30
        else:
            was = side.get(d.symbol)
            assert was in ("long", "short")
            assert (not math.isfinite(d.s)) or (d.s > -0.5 if was == "long" else d.s < 0.75)
        side[d.symbol] = d.action


def _factors_and_betas(seed: int = 4) -> tuple[_Factors, np.ndarray, np.ndarray]:
    data = _market(seed)
    closes = np.column_stack([f["close"].to_numpy() for f in data.values()])
    returns = closes[1:] / closes[:-1] - 1
    factors = _Factors(returns[-250:], 2, None)
    window = returns[-60:]
    design = np.column_stack([np.ones(60), factors.returns(window)])
    betas = np.linalg.lstsq(design, window, rcond=None)[0][1:].T
    return factors, betas, window


def test_factor_hedge_leaves_no_factor_exposure() -> None:
    """Avellaneda & Lee's hedge: the hedged book's returns over the regression window have
    zero betas on the factor returns (exactly, in sample)."""
    factors, betas, window = _factors_and_betas()
    params = PcaReversionParams(n_factors=2, weight=0.1, max_gross=4.0)
    side = np.array([1.0, 0, 0, -1.0, 0, 1.0, 0, 0])
    raw = hedged_book(side, betas, factors, params)
    book_returns = window @ raw
    fit = OLS(book_returns, np.column_stack([np.ones(60), factors.returns(window)])).fit()
    assert np.abs(fit.params[1:]).max() < 1e-12
    naked = OLS(window @ (0.1 * side), fit.model.exog).fit()
    assert np.abs(naked.params[1:]).max() > 1e-4  # it had exposure before the hedge


def test_dollar_hedge_and_gross_cap() -> None:
    factors, betas, _ = _factors_and_betas()
    side = np.array([1.0, 1.0, 1.0, -1.0, 0, 1.0, 0, 0])
    dollar = PcaReversionParams(neutral="dollar", weight=0.2, max_gross=1.0)
    w = hedged_book(side, betas, factors, dollar)
    assert w.sum() == pytest.approx(0.0, abs=1e-12)
    assert np.abs(w).sum() == pytest.approx(1.0)  # 0.2 x 5 names + hedges, cut to 1.0
    none = PcaReversionParams(neutral="none", weight=0.1)
    np.testing.assert_allclose(hedged_book(side, betas, factors, none), 0.1 * side)


def test_variance_explained_picks_the_fewest_factors() -> None:
    returns = load_dataset("stocks20_close").pct_change().to_numpy()[-253:][1:]
    few = _Factors(returns, 3, 0.3)
    many = _Factors(returns, 3, 0.8)
    assert 1 <= few.components.shape[0] < many.components.shape[0] <= 19


def test_parameters_are_checked() -> None:
    with pytest.raises(InvalidValueError, match="s_exit_long"):
        PcaReversion(s_entry=0.4)
    with pytest.raises(InvalidValueError, match="regression_window"):
        PcaReversion(regression_window=300)
    with pytest.raises(InvalidValueError, match="n_factors"):
        backtest(
            "pca_reversion",
            symbols=["KO", "PEP", "XOM", "CVX"],
            params={"n_factors": 4},
            start="2022-01-01",
        )


def test_no_lookahead_on_real_stocks() -> None:
    """Cuts mid-week and on Mondays (PCA refit days)."""
    result = assert_no_lookahead(
        "pca_reversion",
        "stocks20_close",
        cuts=["2021-11-17 23:00", "2022-03-07 23:00", "2022-06-27 23:00"],
        symbols=["KO", "PEP", "XOM", "CVX", "JNJ", "PFE", "JPM", "BAC"],
        start="2021-06-01",
    )
    assert result.metrics.number_of_trades > 0


def test_real_run_with_costs_and_borrow_trades() -> None:
    result = backtest("pca_reversion", start="2019-01-01", end="2021-12-31")
    m = result.metrics
    assert m.number_of_trades > 0
    assert all(math.isfinite(v) for v in (m.sharpe_ratio, m.max_drawdown, m.annual_return))
    assert result.costs["borrow"] > 0
    gross = result.equity["gross"] / result.equity["equity"]
    assert gross.max() <= 2.0  # max_gross 1.5 plus drift between rebalances, under the cap


def test_cli_backtest_runs() -> None:
    args = ["backtest", "-s", "pca_reversion", "-p", "neutral=dollar", "--start", "2022-01-01"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Sharpe ratio" in result.output
