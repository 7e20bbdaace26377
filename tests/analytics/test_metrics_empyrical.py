"""Every metric with an empyrical twin equals it, to 1e-10 relative, on real bundled returns.

Series: the S&P 500 index (spx_daily, 1999-2018), Microsoft (msft_daily, 1986-2017) and three
stocks of stocks20_close against the S&P 500 index close (sp500_index_close) as benchmark.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from functools import cache

import empyrical as ep
import numpy as np
import pandas as pd
import pytest
import scipy.stats
from pandas.errors import Pandas4Warning

from alphaforge import analytics as an
from alphaforge.data import load_dataset

RTOL = 1e-10
RF = 0.0001  # a per-period risk-free return, about 2.5 % a year on daily bars


@cache
def _returns(name: str) -> pd.Series:
    if name == "spx":
        prices = load_dataset("spx_daily")["close"]
    elif name == "msft":
        prices = load_dataset("msft_daily")["close"]
    else:
        prices = load_dataset("stocks20_close")[name]
    return prices.pct_change().iloc[1:]


@cache
def _benchmark() -> pd.Series:
    return load_dataset("sp500_index_close")["close"].pct_change().iloc[1:]


@cache
def _with_nans(name: str) -> pd.Series:
    """The returns with a leading NaN (as pct_change leaves) and a few more inside."""
    r = _returns(name).copy()
    r.iloc[[0, 17, 500, 501, 502, 3000]] = np.nan
    return r


def _aligned(func: Callable[..., float], *args: object) -> float:
    """Call an empyrical function that aligns two Series with different indexes.

    empyrical aligns them with ``pd.concat``, which warns on pandas 3 that its default sort of
    DatetimeIndexes will change; only that warning, from that call, is silenced.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Sorting by default when concatenating", category=Pandas4Warning
        )
        return func(*args)


def assert_close(ours: float, theirs: float) -> None:
    theirs = float(theirs)
    if math.isnan(theirs):
        assert math.isnan(ours)
    else:
        assert ours == pytest.approx(theirs, rel=RTOL, abs=0.0)


SERIES = ["spx", "msft", "AAPL"]

# (our function, empyrical's), both called with the return series only
UNARY: dict[str, tuple[Callable[..., float], Callable[..., float]]] = {
    "total_return": (an.total_return, ep.cum_returns_final),
    "annual_return": (an.annual_return, ep.annual_return),
    "annual_volatility": (an.annual_volatility, ep.annual_volatility),
    "sharpe_ratio": (an.sharpe_ratio, ep.sharpe_ratio),
    "sortino_ratio": (an.sortino_ratio, ep.sortino_ratio),
    "downside_risk": (an.downside_risk, ep.downside_risk),
    "calmar_ratio": (an.calmar_ratio, ep.calmar_ratio),
    "max_drawdown": (an.max_drawdown, ep.max_drawdown),
    "omega_ratio": (an.omega_ratio, ep.omega_ratio),
    "tail_ratio": (an.tail_ratio, ep.tail_ratio),
    "stability": (an.stability_of_timeseries, ep.stability_of_timeseries),
    "var_95": (an.value_at_risk, ep.value_at_risk),
    "cvar_95": (an.conditional_value_at_risk, ep.conditional_value_at_risk),
    "skew": (an.skew, scipy.stats.skew),
    "kurtosis": (an.kurtosis, scipy.stats.kurtosis),
}


@pytest.mark.parametrize("series", SERIES)
@pytest.mark.parametrize("metric", sorted(UNARY))
def test_unary_metric_equals_empyrical(series: str, metric: str) -> None:
    ours, theirs = UNARY[metric]
    r = _returns(series)
    assert_close(ours(r), theirs(r))
    assert_close(ours(r.to_numpy()), theirs(r.to_numpy()))


@pytest.mark.parametrize("series", SERIES)
def test_parameters_are_passed_like_empyrical(series: str) -> None:
    r = _returns(series)
    assert_close(an.sharpe_ratio(r, RF), ep.sharpe_ratio(r, risk_free=RF))
    assert_close(an.sortino_ratio(r, RF), ep.sortino_ratio(r, required_return=RF))
    assert_close(an.downside_risk(r, RF), ep.downside_risk(r, required_return=RF))
    assert_close(an.omega_ratio(r, RF, 0.05), ep.omega_ratio(r, RF, 0.05))
    for ppy, period in ((52, "weekly"), (12, "monthly")):
        assert_close(an.annual_return(r, ppy), ep.annual_return(r, period=period))
        assert_close(an.annual_volatility(r, ppy), ep.annual_volatility(r, period=period))
        assert_close(an.sharpe_ratio(r, RF, ppy), ep.sharpe_ratio(r, RF, period=period))
        assert_close(an.sortino_ratio(r, RF, ppy), ep.sortino_ratio(r, RF, period=period))
        assert_close(an.calmar_ratio(r, ppy), ep.calmar_ratio(r, period=period))
    assert_close(an.annual_return(r, 365), ep.annual_return(r, annualization=365))
    assert_close(an.omega_ratio(r, 0.0, 0.1, 365), ep.omega_ratio(r, 0.0, 0.1, 365))
    for confidence in (0.95, 0.99):
        cutoff = round(1 - confidence, 12)
        assert_close(an.value_at_risk(r, confidence), ep.value_at_risk(r, cutoff))
        assert_close(
            an.conditional_value_at_risk(r, confidence),
            ep.conditional_value_at_risk(r, cutoff),
        )


@pytest.mark.parametrize("series", SERIES)
def test_nan_inside_is_handled_like_empyrical(series: str) -> None:
    r = _with_nans(series)
    assert r.isna().sum() == 6
    for metric in sorted(set(UNARY) - {"var_95", "skew", "kurtosis"}):
        ours, theirs = UNARY[metric]
        assert_close(ours(r), theirs(r))
    # empyrical's VaR and scipy's moments return NaN as soon as one value is NaN; ours skip
    # it, which is what they give without the NaN.
    for ours_fn, theirs_fn in (UNARY["var_95"], UNARY["skew"], UNARY["kurtosis"]):
        assert_close(ours_fn(r), theirs_fn(r.dropna()))


@pytest.mark.parametrize("series", SERIES)
def test_drawdown_series_equals_empyrical(series: str) -> None:
    r = _returns(series)
    ours = an.drawdown_series(r)
    assert isinstance(ours, pd.Series)
    pd.testing.assert_index_equal(ours.index, r.index)
    # Where the price is back at its old high both leave a rounding residue near 1e-16 (not the
    # same one), hence the absolute tolerance for those values.
    theirs = ep.stats.drawdown_series(r).to_numpy()
    np.testing.assert_allclose(ours.to_numpy(), theirs, rtol=RTOL, atol=1e-14)


@pytest.mark.parametrize("stock", ["AAPL", "JPM", "XOM"])
def test_benchmark_figures_equal_empyrical(stock: str) -> None:
    r, b = _returns(stock), _benchmark()
    alpha, beta = an.alpha_beta(r, b)
    their_alpha, their_beta = ep.alpha_beta(r, b)
    assert_close(alpha, their_alpha)
    assert_close(beta, their_beta)
    assert_close(an.alpha(r, b, RF), ep.alpha(r, b, risk_free=RF))
    assert_close(an.beta(r, b), ep.beta(r, b))
    assert_close(an.alpha(r, b, RF, 52), ep.alpha(r, b, risk_free=RF, period="weekly"))
    excess = ep.excess_sharpe(r, b)
    assert_close(an.excess_sharpe(r, b), excess)
    assert_close(an.information_ratio(r, b), excess * math.sqrt(252))
    assert_close(an.tracking_error(r, b), float(np.std(r - b, ddof=1)) * math.sqrt(252))


def test_benchmark_series_are_aligned_on_their_index_like_empyrical() -> None:
    r = _returns("JPM").iloc[1000:6000]  # a window of the stock
    b = _benchmark().iloc[::-1]  # all benchmark days, in reverse order
    b = b.drop(b.index[[10, 20, 30]])
    assert_close(an.beta(r, b), _aligned(ep.beta, r, b.sort_index()))
    assert_close(an.alpha(r, b), _aligned(ep.alpha, r, b.sort_index()))
    # empyrical's excess_sharpe subtracts the Series, which aligns them (NaN where one is missing)
    assert_close(an.excess_sharpe(r, b), ep.excess_sharpe(r, b.sort_index()))
    nan_r = _with_nans("JPM")
    assert_close(an.beta(nan_r, _benchmark()), ep.beta(nan_r, _benchmark()))
    assert_close(an.alpha(nan_r, _benchmark()), ep.alpha(nan_r, _benchmark()))


def test_gaussian_var_and_cvar_use_the_normal_quantile() -> None:
    r = _returns("spx")
    mean, std = float(r.mean()), float(r.std(ddof=1))
    for confidence in (0.95, 0.99):
        z = scipy.stats.norm.ppf(1 - confidence)
        assert_close(an.value_at_risk(r, confidence, method="gaussian"), mean + std * z)
        shortfall = mean - std * scipy.stats.norm.pdf(z) / (1 - confidence)
        assert_close(an.conditional_value_at_risk(r, confidence, method="gaussian"), shortfall)


@pytest.mark.parametrize("series", ["spx", "msft"])
def test_calendar_tables_equal_empyrical_aggregates(series: str) -> None:
    r = _with_nans(series)
    monthly = an.monthly_returns(r).stack().dropna()  # months before the first return
    theirs = ep.aggregate_returns(r, "monthly")
    np.testing.assert_allclose(monthly.to_numpy(), theirs.to_numpy(), rtol=RTOL)
    assert list(monthly.index) == list(theirs.index)
    yearly = an.yearly_returns(r)
    theirs_y = ep.aggregate_returns(r, "yearly")
    np.testing.assert_allclose(yearly.to_numpy(), theirs_y.to_numpy(), rtol=RTOL)
    assert list(yearly.index) == list(theirs_y.index)


def test_rolling_figures_equal_empyrical_windows() -> None:
    """Each rolling value equals empyrical's figure of the window that ends there."""
    r = _returns("spx").iloc[:2000]
    window = 126
    sharpe = an.rolling_sharpe(r, window)
    vol = an.rolling_volatility(r, window)
    assert sharpe.iloc[: window - 1].isna().all()
    assert vol.iloc[: window - 1].isna().all()
    their_sharpe = ep.roll_sharpe_ratio(r, window=window)
    their_vol = ep.roll_annual_volatility(r, window=window)
    np.testing.assert_allclose(
        sharpe.iloc[window - 1 :].to_numpy(), their_sharpe.to_numpy(), rtol=RTOL
    )
    np.testing.assert_allclose(vol.iloc[window - 1 :].to_numpy(), their_vol.to_numpy(), rtol=RTOL)


def test_compute_metrics_equals_the_pure_functions_and_empyrical() -> None:
    equity = 1_000_000 * (1.0 + _returns("MSFT")).cumprod()
    benchmark = load_dataset("sp500_index_close")["close"]
    m = an.compute_metrics(equity, benchmark=benchmark, risk_free=RF)
    r = equity.pct_change().iloc[1:]
    b = benchmark.pct_change().reindex(r.index)
    assert m.periods_per_year == 252
    assert_close(m.total_return, ep.cum_returns_final(r))
    assert_close(m.annual_return, ep.annual_return(r))
    assert_close(m.annual_volatility, ep.annual_volatility(r))
    assert_close(m.sharpe_ratio, ep.sharpe_ratio(r, RF))
    assert_close(m.sortino_ratio, ep.sortino_ratio(r, RF))
    assert_close(m.calmar_ratio, ep.calmar_ratio(r))
    assert_close(m.max_drawdown, ep.max_drawdown(r))
    assert_close(m.omega_ratio, ep.omega_ratio(r, RF))
    assert_close(m.stability, ep.stability_of_timeseries(r))
    assert_close(m.tail_ratio, ep.tail_ratio(r))
    assert_close(m.var_99, ep.value_at_risk(r, 0.01))
    assert_close(m.cvar_99, ep.conditional_value_at_risk(r, 0.01))
    their_alpha, their_beta = ep.alpha_beta(r, b, risk_free=RF)
    assert_close(m.alpha, their_alpha)
    assert_close(m.beta, their_beta)
    assert_close(m.information_ratio, ep.excess_sharpe(r, b) * math.sqrt(252))
