"""Performance metrics of a backtest: ``compute_metrics(equity, ...) -> Metrics``.

``Metrics`` is a frozen record of every figure (returns, risk, drawdown, distribution,
benchmark-relative, trades, exposure, turnover, costs) with ``to_dict()`` for ``metrics.json`` and
``table_rows()`` for printing. The pure functions it is built from live in the sibling modules
and are re-exported here; ``docs/metrics.md`` gives every formula and convention.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from alphaforge.analytics._inputs import FloatArray, check_periods_per_year
from alphaforge.analytics._table import table_rows
from alphaforge.analytics.benchmark import (
    alpha,
    alpha_beta,
    benchmark_returns,
    beta,
    excess_sharpe,
    information_ratio,
    tracking_error,
)
from alphaforge.analytics.distribution import (
    conditional_value_at_risk,
    kurtosis,
    skew,
    stability_of_timeseries,
    tail_ratio,
    value_at_risk,
)
from alphaforge.analytics.drawdown import (
    DrawdownPeriod,
    drawdown_periods,
    drawdown_series,
    drawdown_summary,
    max_drawdown,
    max_drawdown_duration,
    max_drawdown_period,
)
from alphaforge.analytics.periodic import (
    infer_periods_per_year,
    monthly_returns,
    rolling_sharpe,
    rolling_volatility,
    yearly_returns,
)
from alphaforge.analytics.returns import (
    annual_return,
    annual_volatility,
    calmar_ratio,
    downside_risk,
    omega_ratio,
    sharpe_ratio,
    sortino_ratio,
    total_return,
)
from alphaforge.analytics.trades import (
    TradeStats,
    average_holding_time,
    average_loss,
    average_win,
    costs_by_kind,
    expectancy,
    exposure,
    exposure_from_trades,
    largest_loss,
    largest_win,
    number_of_trades,
    profit_factor,
    trade_stats,
    turnover,
    win_rate,
)
from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "MIN_ANNUALIZED_YEARS",
    "DrawdownPeriod",
    "Metrics",
    "TradeStats",
    "alpha",
    "alpha_beta",
    "annual_return",
    "annual_volatility",
    "average_holding_time",
    "average_loss",
    "average_win",
    "benchmark_returns",
    "beta",
    "calmar_ratio",
    "compute_metrics",
    "conditional_value_at_risk",
    "costs_by_kind",
    "downside_risk",
    "drawdown_periods",
    "drawdown_series",
    "excess_sharpe",
    "expectancy",
    "exposure",
    "exposure_from_trades",
    "infer_periods_per_year",
    "information_ratio",
    "kurtosis",
    "largest_loss",
    "largest_win",
    "max_drawdown",
    "max_drawdown_duration",
    "max_drawdown_period",
    "monthly_returns",
    "number_of_trades",
    "omega_ratio",
    "profit_factor",
    "rolling_sharpe",
    "rolling_volatility",
    "sharpe_ratio",
    "skew",
    "sortino_ratio",
    "stability_of_timeseries",
    "tail_ratio",
    "total_return",
    "tracking_error",
    "trade_stats",
    "turnover",
    "value_at_risk",
    "win_rate",
    "yearly_returns",
]

_NAN = math.nan

MIN_ANNUALIZED_YEARS = 0.25
"""Below this span (three months) annualized figures (CAGR, volatility, Sharpe, Sortino) mean
little: compounding three weeks of crypto returns to a year prints thousands of percent, and a
Sharpe ratio of minutes scaled to a year prints hundreds. ``compare`` leaves them out and
``alphaforge backtest`` says so; the total return is the figure to read."""


@dataclass(frozen=True, slots=True)
class Metrics:
    """Every figure of one run. NaN (or None for dates and durations) where undefined.

    Returns are fractions (0.12 = 12 %), per-period figures are per bar of the equity curve,
    annual ones use ``periods_per_year``. Drawdown dates are equity timestamps: ``max_drawdown_*``
    describe the deepest episode, ``longest_drawdown_*`` the longest one. VaR and CVaR are
    returns (negative = loss). Benchmark figures are NaN without a benchmark
    (``has_benchmark``); trade figures are NaN with ``number_of_trades`` None without a trades
    table. Costs are positive amounts paid, in account currency.
    """

    start: Hashable | None
    end: Hashable | None
    periods: int
    periods_per_year: float
    risk_free: float
    initial_equity: float
    final_equity: float
    # returns and risk-adjusted ratios
    total_return: float
    annual_return: float
    annual_volatility: float
    sharpe_ratio: float
    sortino_ratio: float
    calmar_ratio: float
    omega_ratio: float
    downside_risk: float
    # drawdown
    max_drawdown: float
    max_drawdown_peak: Hashable | None
    max_drawdown_trough: Hashable | None
    max_drawdown_recovery: Hashable | None
    max_drawdown_duration_periods: int
    max_drawdown_duration: timedelta | None
    longest_drawdown_peak: Hashable | None
    longest_drawdown_recovery: Hashable | None
    # distribution
    skew: float
    kurtosis: float
    tail_ratio: float
    stability: float
    var_95: float
    var_99: float
    cvar_95: float
    cvar_99: float
    var_95_gaussian: float
    var_99_gaussian: float
    cvar_95_gaussian: float
    cvar_99_gaussian: float
    # against the benchmark
    has_benchmark: bool
    alpha: float
    beta: float
    information_ratio: float
    tracking_error: float
    benchmark_total_return: float
    benchmark_annual_return: float
    # trades, exposure, turnover, costs
    number_of_trades: int | None
    win_rate: float
    profit_factor: float
    expectancy: float
    average_win: float
    average_loss: float
    largest_win: float
    largest_loss: float
    average_holding_time: timedelta | None
    exposure: float
    traded_notional: float
    turnover: float
    annual_turnover: float
    total_costs: float
    costs: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def to_dict(self) -> dict[str, Any]:
        """Return the figures as JSON-safe values.

        Floats stay floats except NaN and ±inf, which become None (JSON has neither; the
        ``Metrics`` object keeps them); dates become ISO 8601 strings, durations seconds,
        ``costs`` a plain dict. ``json.dumps(m.to_dict(), allow_nan=False)`` always works.
        """
        out = {f.name: _json(getattr(self, f.name)) for f in fields(self)}
        out["costs"] = {str(kind): _json(amount) for kind, amount in self.costs.items()}
        return out

    def table_rows(self) -> list[tuple[str, str]]:
        """Return ``(label, formatted value)`` rows for a printed table, grouped by topic.

        Benchmark rows only with a benchmark, trade rows only with a trades table; undefined
        figures read ``n/a``.
        """
        return table_rows(self)


def _json(value: object) -> Any:
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _equity_values(equity: pd.Series) -> FloatArray:
    if not isinstance(equity, pd.Series):
        raise InvalidValueError(
            f"equity must be a pandas Series of account values; got {type(equity).__name__}"
        )
    index = equity.index
    if isinstance(index, pd.DatetimeIndex):
        if index.tz is None:
            raise InvalidValueError(
                "equity has naive timestamps; expected a timezone-aware (UTC) DatetimeIndex"
            )
        if not index.is_monotonic_increasing:
            raise InvalidValueError("equity timestamps must be sorted in increasing order")
    eq = equity.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(eq)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InvalidValueError(
            f"equity must be finite everywhere; at {index[row]!r} (row {row}) it is {eq[row]!r}"
        )
    return eq


def _returns(eq: FloatArray) -> FloatArray:
    # 0 / 0 (an account that stays wiped out) is NaN: no return, counted as 0 % when compounding.
    with np.errstate(divide="ignore", invalid="ignore"):
        return eq[1:] / eq[:-1] - 1.0


def _trade_notional(trades: pd.DataFrame) -> float | None:
    if len(trades) == 0:
        return 0.0
    needed = ("quantity", "entry_price", "exit_price")
    if not all(name in trades.columns for name in needed):
        return None
    qty = np.abs(trades["quantity"].to_numpy(dtype=np.float64))
    prices = np.abs(trades["entry_price"].to_numpy(dtype=np.float64)) + np.abs(
        trades["exit_price"].to_numpy(dtype=np.float64)
    )
    return float(np.nansum(qty * prices))


def _benchmark_figures(
    r: FloatArray,
    benchmark: pd.Series | pd.DataFrame,
    index: pd.Index,
    risk_free: float,
    ppy: float,
) -> dict[str, float]:
    if isinstance(benchmark, pd.DataFrame):
        if benchmark.shape[1] != 1:
            raise InvalidValueError(
                f"benchmark must be one price series; got a frame with columns "
                f"{list(benchmark.columns)}"
            )
        benchmark = benchmark.iloc[:, 0]
    if not isinstance(benchmark, pd.Series):
        raise InvalidValueError(
            f"benchmark must be a pandas Series of prices; got {type(benchmark).__name__}"
        )
    b = benchmark_returns(benchmark, index)
    a, bt = alpha_beta(r, b, risk_free, ppy)
    return {
        "alpha": a,
        "beta": bt,
        "information_ratio": information_ratio(r, b, ppy),
        "tracking_error": tracking_error(r, b, ppy),
        "benchmark_total_return": total_return(b),
        "benchmark_annual_return": annual_return(b, ppy),
    }


_NO_BENCHMARK = dict.fromkeys(
    (
        "alpha",
        "beta",
        "information_ratio",
        "tracking_error",
        "benchmark_total_return",
        "benchmark_annual_return",
    ),
    _NAN,
)


def _trade_figures(trades: pd.DataFrame | None) -> dict[str, Any]:
    if trades is None:
        names = ("win_rate", "profit_factor", "expectancy", "average_win", "average_loss")
        out: dict[str, Any] = dict.fromkeys((*names, "largest_win", "largest_loss"), _NAN)
        out.update(number_of_trades=None, average_holding_time=None)
        return out
    stats = trade_stats(trades)
    out = {f.name: getattr(stats, f.name) for f in fields(stats)}
    del out["gross_profit"], out["gross_loss"]
    return out


def _distribution_figures(r: FloatArray) -> dict[str, float]:
    out = {
        "skew": skew(r),
        "kurtosis": kurtosis(r),
        "tail_ratio": tail_ratio(r),
        "stability": stability_of_timeseries(r),
    }
    for level, suffix in ((0.95, "95"), (0.99, "99")):
        for method, tag in (("historical", ""), ("gaussian", "_gaussian")):
            out[f"var_{suffix}{tag}"] = value_at_risk(r, level, method=method)  # type: ignore[arg-type]
            out[f"cvar_{suffix}{tag}"] = conditional_value_at_risk(
                r,
                level,
                method=method,  # type: ignore[arg-type]
            )
    return out


def _drawdown_figures(eq: FloatArray, index: pd.Index) -> dict[str, Any]:
    depth, deepest, longest = drawdown_summary(eq, index)
    return {
        "max_drawdown": depth,
        "max_drawdown_peak": deepest.peak if deepest else None,
        "max_drawdown_trough": deepest.trough if deepest else None,
        "max_drawdown_recovery": deepest.recovery if deepest else None,
        "max_drawdown_duration_periods": longest.periods if longest else 0,
        "max_drawdown_duration": longest.duration if longest else None,
        "longest_drawdown_peak": longest.peak if longest else None,
        "longest_drawdown_recovery": longest.recovery if longest else None,
    }


def _activity_figures(
    eq: FloatArray,
    index: pd.Index,
    trades: pd.DataFrame | None,
    positions: pd.Series | None,
    notional: float | None,
    ppy: float,
) -> dict[str, float]:
    if positions is not None:
        held = exposure(positions)
    elif trades is not None and isinstance(index, pd.DatetimeIndex):
        held = exposure_from_trades(trades, index)
    else:
        held = _NAN
    if notional is None and trades is not None:
        notional = _trade_notional(trades)
    if notional is None:
        return {
            "exposure": held,
            "traded_notional": _NAN,
            "turnover": _NAN,
            "annual_turnover": _NAN,
        }
    return {
        "exposure": held,
        "traded_notional": float(notional),
        "turnover": turnover(notional, eq),
        "annual_turnover": turnover(notional, eq, periods_per_year=ppy),
    }


def compute_metrics(
    equity: pd.Series,
    *,
    trades: pd.DataFrame | None = None,
    benchmark: pd.Series | None = None,
    periods_per_year: float | None = None,
    risk_free: float = 0.0,
    costs: Mapping[str, float] | None = None,
    exposure: pd.Series | None = None,
    turnover: float | None = None,
) -> Metrics:
    """Return every metric of an equity curve (and optionally its trades and a benchmark).

    ``equity``: account value per bar, indexed by UTC timestamps (bar close), finite. Its simple
    returns ``equity[t] / equity[t-1] - 1`` feed every return metric.
    ``trades``: the closed-trades table (see ``alphaforge.analytics.trades``).
    ``benchmark``: the benchmark's *prices or equity* (not returns); its returns are taken over
    the same intervals as the equity's, each level read as of the equity's stamp (the last
    level at or before it), so differently stamped series align without look-ahead.
    ``periods_per_year``: annualization factor; None infers it from the index spacing
    (``infer_periods_per_year``: 252 for daily equities, 365 for daily crypto, bars per day
    times 252 or 365 intraday), 252 when the index is not a DatetimeIndex.
    ``risk_free``: risk-free return *per period*, used by Sharpe, Sortino (as the minimum
    acceptable return), downside risk, Omega and alpha.
    ``costs``: costs paid per kind (commission, slippage, borrow, funding...); None: the trades'
    ``fees`` column.
    ``exposure``: positions or exposure per bar; the share of bars with a non-zero value is
    reported. None: estimated from the trades' entry and exit times.
    ``turnover``: the total traded notional (sum of ``|quantity × price|`` over fills); None:
    estimated from the trades as ``|quantity| × (entry_price + exit_price)``. Reported as
    ``traded_notional``, ``turnover`` (notional / average equity) and ``annual_turnover``.

    Figures that are undefined for the data (one bar, no volatility, no losing trade...) are NaN,
    ±inf or None as documented; only invalid input raises ``InvalidValueError``.
    """
    eq = _equity_values(equity)
    index = equity.index
    ppy = (
        check_periods_per_year(periods_per_year)
        if periods_per_year is not None
        else float(infer_periods_per_year(index))
    )
    if not math.isfinite(risk_free) or risk_free <= -1.0:
        raise InvalidValueError(f"risk_free is a per-period return above -1; got {risk_free!r}")
    r = _returns(eq)
    annual = annual_return(r, ppy)
    dd = _drawdown_figures(eq, index)
    bench = (
        _benchmark_figures(r, benchmark, index, risk_free, ppy)
        if benchmark is not None
        else _NO_BENCHMARK
    )
    paid = costs_by_kind(costs, trades)
    figures: dict[str, Any] = {
        "start": index[0] if eq.size else None,
        "end": index[-1] if eq.size else None,
        "periods": int(r.size),
        "periods_per_year": ppy,
        "risk_free": float(risk_free),
        "initial_equity": float(eq[0]) if eq.size else _NAN,
        "final_equity": float(eq[-1]) if eq.size else _NAN,
        "total_return": total_return(r),
        "annual_return": annual,
        "annual_volatility": annual_volatility(r, ppy),
        "sharpe_ratio": sharpe_ratio(r, risk_free, ppy),
        "sortino_ratio": sortino_ratio(r, risk_free, ppy),
        "calmar_ratio": _calmar(annual, dd["max_drawdown"]),
        "omega_ratio": omega_ratio(r, risk_free, 0.0, ppy),
        "downside_risk": downside_risk(r, risk_free, ppy),
        "has_benchmark": benchmark is not None,
        "total_costs": float(sum(paid.values())),
        "costs": MappingProxyType(paid),
    }
    figures.update(dd)
    figures.update(_distribution_figures(r))
    figures.update(bench)
    figures.update(_trade_figures(trades))
    figures.update(_activity_figures(eq, index, trades, exposure, turnover, ppy))
    return Metrics(**figures)


def _calmar(annual: float, drawdown: float) -> float:
    """Calmar from figures already computed (the same rule as ``calmar_ratio``)."""
    if not drawdown < 0.0:
        return _NAN
    value = annual / -drawdown
    return _NAN if math.isinf(value) else value
