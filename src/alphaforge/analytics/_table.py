"""Format a ``Metrics`` record as ``(label, value)`` rows for printing (CLI, README, reports)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alphaforge.analytics.metrics import Metrics

__all__ = ["table_rows"]

NOT_AVAILABLE = "n/a"


def _number(value: object, spec: str) -> str:
    if value is None:
        return NOT_AVAILABLE
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number):
        return NOT_AVAILABLE
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    return format(number, spec)


def _pct(value: object) -> str:
    return _number(value, ".2%")


def _ratio(value: object) -> str:
    return _number(value, ".2f")


def _money(value: object) -> str:
    return _number(value, ",.2f")


def _count(value: object) -> str:
    return NOT_AVAILABLE if value is None else str(value)


def _when(value: object) -> str:
    if value is None:
        return NOT_AVAILABLE
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes").removesuffix(" 00:00+00:00")
    return str(value)


def _span(value: object) -> str:
    if not isinstance(value, timedelta):
        return NOT_AVAILABLE
    days, seconds = value.days, value.seconds
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if days and not (hours or minutes):
        return f"{days} d"
    if days:
        return f"{days} d {hours:02d}:{minutes:02d}"
    return f"{hours:02d}:{minutes:02d}"


Row = tuple[str, str, Callable[[object], str]]

_GENERAL: tuple[Row, ...] = (
    ("start", "Start", _when),
    ("end", "End", _when),
    ("periods", "Periods", _count),
    ("periods_per_year", "Periods per year", lambda v: _number(v, "g")),
    ("initial_equity", "Initial equity", _money),
    ("final_equity", "Final equity", _money),
    ("total_return", "Total return", _pct),
    ("annual_return", "Annual return (CAGR)", _pct),
    ("annual_volatility", "Annual volatility", _pct),
    ("sharpe_ratio", "Sharpe ratio", _ratio),
    ("sortino_ratio", "Sortino ratio", _ratio),
    ("calmar_ratio", "Calmar ratio", _ratio),
    ("omega_ratio", "Omega ratio", _ratio),
    ("downside_risk", "Downside risk", _pct),
    ("max_drawdown", "Max drawdown", _pct),
    ("max_drawdown_peak", "Max drawdown peak", _when),
    ("max_drawdown_trough", "Max drawdown trough", _when),
    ("max_drawdown_recovery", "Max drawdown recovery", _when),
    ("max_drawdown_duration_periods", "Longest drawdown (periods)", _count),
    ("max_drawdown_duration", "Longest drawdown", _span),
    ("skew", "Skew", _ratio),
    ("kurtosis", "Excess kurtosis", _ratio),
    ("tail_ratio", "Tail ratio", _ratio),
    ("stability", "Stability (R²)", _ratio),
    ("var_95", "VaR 95% (historical)", _pct),
    ("cvar_95", "CVaR 95% (historical)", _pct),
    ("var_99", "VaR 99% (historical)", _pct),
    ("cvar_99", "CVaR 99% (historical)", _pct),
    ("var_95_gaussian", "VaR 95% (Gaussian)", _pct),
    ("cvar_95_gaussian", "CVaR 95% (Gaussian)", _pct),
    ("var_99_gaussian", "VaR 99% (Gaussian)", _pct),
    ("cvar_99_gaussian", "CVaR 99% (Gaussian)", _pct),
)
_BENCHMARK: tuple[Row, ...] = (
    ("benchmark_total_return", "Benchmark total return", _pct),
    ("benchmark_annual_return", "Benchmark annual return", _pct),
    ("alpha", "Alpha (annual)", _pct),
    ("beta", "Beta", _ratio),
    ("information_ratio", "Information ratio", _ratio),
    ("tracking_error", "Tracking error", _pct),
)
_TRADES: tuple[Row, ...] = (
    ("number_of_trades", "Trades", _count),
    ("win_rate", "Win rate", _pct),
    ("profit_factor", "Profit factor", _ratio),
    ("expectancy", "Expectancy (per trade)", _money),
    ("average_win", "Average win", _money),
    ("average_loss", "Average loss", _money),
    ("largest_win", "Largest win", _money),
    ("largest_loss", "Largest loss", _money),
    ("average_holding_time", "Average holding time", _span),
)
_ACTIVITY: tuple[Row, ...] = (
    ("exposure", "Exposure (bars with a position)", _pct),
    ("traded_notional", "Traded notional", _money),
    ("turnover", "Turnover (× average equity)", _ratio),
    ("annual_turnover", "Turnover per year", _ratio),
    ("total_costs", "Costs", _money),
)


def table_rows(metrics: Metrics) -> list[tuple[str, str]]:
    """Return ``(label, formatted value)`` for every figure that applies to ``metrics``."""
    groups = [_GENERAL]
    if metrics.has_benchmark:
        groups.append(_BENCHMARK)
    if metrics.number_of_trades is not None:
        groups.append(_TRADES)
    groups.append(_ACTIVITY)
    rows = [(label, fmt(getattr(metrics, name))) for group in groups for name, label, fmt in group]
    rows.extend((f"  {kind}", _money(amount)) for kind, amount in metrics.costs.items())
    return rows
