"""Stress tests' windows and tables (private; re-exported by ``alphaforge.research.stress``).

The measuring half of the stress tests: the named historical windows
(:data:`HISTORICAL_WINDOWS`, :class:`StressWindow`) and a curve's figures inside them
(:func:`path_stats`, :func:`window_stats`), what a gap did to an equity curve
(:func:`gap_effect`), and the formatting of a stress table (:func:`table_display`,
:func:`table_markdown`, :func:`fmt_pct`, :func:`json_ready`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alphaforge.analytics.periodic import infer_periods_per_year
from alphaforge.analytics.returns import sharpe_ratio
from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "HISTORICAL_WINDOWS",
    "NOT_IN_DATA",
    "TABLE_COLUMNS",
    "WINDOW_COLUMNS",
    "StressWindow",
    "fmt_pct",
    "gap_effect",
    "json_ready",
    "path_stats",
    "table_display",
    "table_markdown",
    "window_stats",
]

NOT_IN_DATA = "not in data"
_STAT_KEYS = ("return", "max_drawdown", "volatility", "sharpe", "worst_day")
_DAY = pd.Timedelta(days=1)


def _date(value: object, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{name} {value!r} is not a date: {exc}") from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


@dataclass(frozen=True)
class StressWindow:
    """A named stretch of market history: from ``start`` (a peak close) to ``end`` (the trough
    close), both ISO dates, with what happened and where the dates come from."""

    name: str
    start: str
    end: str
    description: str
    source: str

    def __post_init__(self) -> None:
        """Refuse a window that ends before it starts or whose dates do not parse."""
        first, last = _date(self.start, f"{self.name} start"), _date(self.end, f"{self.name} end")
        if last < first:
            raise InvalidValueError(f"window {self.name!r} ends ({self.end}) before it starts")


_SPX = (
    "S&P 500 closing {kind}: {start} on {a}, {end} on {b} (S&P Dow Jones Indices' index history; "
    "the same closes are in the bundled sp500_index_close)"
)


def _spx(a: str, start: str, b: str, end: str, kind: str = "high and closing low") -> str:
    return _SPX.format(kind=kind, start=start, a=a, end=end, b=b)


HISTORICAL_WINDOWS: tuple[StressWindow, ...] = (
    StressWindow(
        "dot-com bust 2000-02", "2000-03-24", "2002-10-09",
        "The technology bubble deflates; the S&P 500 falls 49 % in two and a half years.",
        _spx("2000-03-24", "1,527.46", "2002-10-09", "776.76"),
    ),
    StressWindow(
        "2008-09 crisis", "2007-10-09", "2009-03-09",
        "Subprime losses, Lehman's failure and a global credit crisis; the S&P 500 falls 57 %.",
        _spx("2007-10-09", "1,565.15", "2009-03-09", "676.53"),
    ),
    StressWindow(
        "2011 downgrade", "2011-04-29", "2011-10-03",
        "Euro-area debt crisis and S&P's downgrade of US debt (2011-08-05); the S&P 500 "
        "falls 19 %.",
        _spx("2011-04-29", "1,363.61", "2011-10-03", "1,099.23"),
    ),
    StressWindow(
        "2015-16 selloff", "2015-05-21", "2016-02-11",
        "China's devaluation and the oil collapse; the S&P 500 falls 14 %.",
        _spx("2015-05-21", "2,130.82", "2016-02-11", "1,829.08"),
    ),
    StressWindow(
        "Q4 2018", "2018-09-20", "2018-12-24",
        "Rate hikes and trade-war fears; the S&P 500 falls 20 % in three months.",
        _spx("2018-09-20", "2,930.75", "2018-12-24", "2,351.10"),
    ),
    StressWindow(
        "2020 crash", "2020-02-19", "2020-03-23",
        "The COVID-19 crash: the S&P 500 falls 34 % in 23 trading days.",
        _spx("2020-02-19", "3,386.15", "2020-03-23", "2,237.40"),
    ),
)  # fmt: skip
"""The S&P 500's named falls since 2000, peak close to trough close (verified against the
bundled ``sp500_index_close``, whose closes on these dates are the quoted highs and lows)."""

WINDOW_COLUMNS = (
    "window", "description", "start", "end", "coverage", "first", "last", "return",
    "max_drawdown", "volatility", "worst_day", "worst_day_date", "benchmark_return",
    "benchmark_drawdown", "vs_benchmark",
)  # fmt: skip


# ------------------------------------------------------------------ window statistics


def _check_curve(values: object, name: str) -> pd.Series:
    if not isinstance(values, pd.Series):
        raise InvalidValueError(f"{name} must be a pandas Series, got {type(values).__name__}")
    index = values.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise InvalidValueError(f"{name} needs a time-zone aware DatetimeIndex (UTC)")
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise InvalidValueError(f"{name}'s index must be sorted with unique stamps")
    array = np.asarray(values, dtype=np.float64)
    if not np.isfinite(array).all() or (array <= 0).any():
        raise InvalidValueError(f"{name} must hold finite, positive values (equity or prices)")
    return pd.Series(array, index=index.tz_convert("UTC"), name=values.name)


def path_stats(values: pd.Series, periods_per_year: float) -> dict[str, Any]:
    """Return, max drawdown, annualized volatility, Sharpe and the worst bar of a value path.

    ``values`` is an equity curve or a price series (positive); returns are bar to bar, the
    first value is the level going in. NaN figures where fewer than two values exist.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.size < 2:
        return {**dict.fromkeys(_STAT_KEYS, math.nan), "worst_day_date": None}
    rets = v[1:] / v[:-1] - 1.0
    worst = int(np.argmin(rets))
    vol = float(np.std(rets, ddof=1) * math.sqrt(periods_per_year)) if rets.size > 1 else math.nan
    return {
        "return": float(v[-1] / v[0] - 1.0),
        "max_drawdown": float(np.min(v / np.maximum.accumulate(v) - 1.0)),
        "volatility": vol,
        "sharpe": sharpe_ratio(rets, 0.0, periods_per_year) if rets.size > 1 else math.nan,
        "worst_day": float(rets[worst]),
        "worst_day_date": values.index[worst + 1].date().isoformat(),
    }


def _window_part(curve: pd.Series, window: StressWindow) -> tuple[str, pd.Series]:
    """The values from the close on the window's first day to the close on its last day.

    Coverage is ``"full"``, ``"partial (...)"`` (figures over the part the data holds) or
    :data:`NOT_IN_DATA`. Stamps are read by their UTC date (a session close at 21:00 UTC is that
    day's close).
    """
    first_day, last_day = _date(window.start, "start"), _date(window.end, "end")
    index = curve.index
    if len(index) == 0 or index[-1] < first_day or index[0] >= last_day + _DAY:
        return NOT_IN_DATA, curve.iloc[:0]
    base = int(index.searchsorted(first_day + _DAY, side="left")) - 1  # last close on/before
    stop = int(index.searchsorted(last_day + _DAY, side="left"))
    gaps = []
    if base < 0:
        base = 0
        gaps.append(f"data from {index[0].date()}")
    if index[-1] < last_day:
        gaps.append(f"data to {index[-1].date()}")
    part = curve.iloc[base:stop]
    if len(part) < 2:
        return f"partial ({len(part)} bar)", part
    return ("partial (" + ", ".join(gaps) + ")") if gaps else "full", part


def window_stats(
    equity: pd.Series,
    benchmark: pd.Series | None = None,
    windows: Sequence[StressWindow] = HISTORICAL_WINDOWS,
    *,
    periods_per_year: float | None = None,
) -> pd.DataFrame:
    """A row per window: coverage, the strategy's return, max drawdown, annualized volatility
    and worst day inside it, the benchmark's return and drawdown, and the difference.

    Each window runs from the close of its first day (the level going in) to the close of its
    last. A window the data does not reach says ``"not in data"`` in ``coverage`` with NaN
    figures; one it reaches in part says which part (``"partial (data from 2001-05-01)"``).
    ``periods_per_year``: for the volatility; default inferred from ``equity``'s stamps.
    """
    curve = _check_curve(equity, "equity")
    bench = None if benchmark is None else _check_curve(benchmark, "benchmark")
    chosen = _check_windows(windows)
    ppy = float(periods_per_year or infer_periods_per_year(curve.index))
    if not (math.isfinite(ppy) and ppy > 0):
        raise InvalidValueError(f"periods_per_year must be a positive number, got {ppy!r}")
    rows = []
    for window in chosen:
        coverage, part = _window_part(curve, window)
        stats = path_stats(part, ppy)
        b_ret = b_dd = math.nan
        if bench is not None:
            b_stats = path_stats(_window_part(bench, window)[1], ppy)
            b_ret, b_dd = b_stats["return"], b_stats["max_drawdown"]
        rows.append({
            "window": window.name, "description": window.description,
            "start": window.start, "end": window.end, "coverage": coverage,
            "first": part.index[0].isoformat() if len(part) else None,
            "last": part.index[-1].isoformat() if len(part) else None,
            "return": stats["return"], "max_drawdown": stats["max_drawdown"],
            "volatility": stats["volatility"], "worst_day": stats["worst_day"],
            "worst_day_date": stats["worst_day_date"], "benchmark_return": b_ret,
            "benchmark_drawdown": b_dd, "vs_benchmark": stats["return"] - b_ret,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=list(WINDOW_COLUMNS))


def _check_windows(windows: Sequence[StressWindow]) -> list[StressWindow]:
    chosen = list(windows)
    for window in chosen:
        if not isinstance(window, StressWindow):
            raise InvalidValueError(
                f"windows must be StressWindow objects, got {type(window).__name__}"
            )
    names = [w.name for w in chosen]
    if len(set(names)) != len(names):
        raise InvalidValueError(f"window names must be unique, got {names}")
    return chosen


# ------------------------------------------------------------------ effects and tables


def gap_effect(
    shocked: pd.Series, baseline: pd.Series, gross: pd.Series, at: pd.Timestamp
) -> dict[str, Any]:
    """What a gap at the bar labelled ``at`` (its open) did to an equity curve.

    ``shock_day``: the shocked run's return over that bar (close to close); ``baseline_day``:
    the unshocked run's; ``exposure``: the baseline's gross exposure / equity going in (a
    long book loses about ``exposure x size`` more than the baseline that day);
    ``recovery_bars``: bars after the gap bar until the shocked equity is back at its level
    before the gap (0: it never fell below; NaN: not by the end), ``recovered_on`` its date.
    Equity is stamped at bar closes, after the bar's open label.
    """
    k = int(shocked.index.searchsorted(at, side="right"))
    kb = int(baseline.index.searchsorted(at, side="right"))
    if not (0 < k < len(shocked) and 0 < kb < len(baseline)):
        raise InvalidValueError(f"the gap bar {at} is not inside the equity curves")
    before = float(shocked.iloc[k - 1])
    hits = np.flatnonzero(shocked.to_numpy(dtype=np.float64)[k:] >= before)
    return {
        "shock_day": float(shocked.iloc[k] / before - 1.0),
        "baseline_day": float(baseline.iloc[kb] / baseline.iloc[kb - 1] - 1.0),
        "exposure": float(gross.iloc[kb - 1] / baseline.iloc[kb - 1]),
        "recovery_bars": int(hits[0]) if hits.size else math.nan,
        "recovered_on": shocked.index[k + int(hits[0])].date().isoformat() if hits.size else None,
    }


TABLE_COLUMNS = (
    "scenario", "kind", "start", "end", "status", "return", "max_drawdown", "volatility",
    "sharpe", "worst_day", "benchmark_return", "benchmark_drawdown", "vs_benchmark",
    "vs_baseline", "drawdown_vs_baseline", "shock_day", "shock_day_vs_baseline",
    "recovery_bars", "note",
)  # fmt: skip
"""The columns of a stress table (``alphaforge.runtime.stress_test``): a row per scenario."""
_DISPLAY = (
    ("scenario", "scenario"), ("start", "from"), ("end", "to"), ("status", "status"),
    ("return", "return"), ("max_drawdown", "max DD"), ("volatility", "vol"),
    ("sharpe", "Sharpe"), ("worst_day", "worst day"), ("benchmark_return", "bench"),
    ("vs_benchmark", "vs bench"), ("vs_baseline", "vs base"), ("shock_day", "gap day"),
)  # fmt: skip
_PERCENTS = frozenset(
    {"return", "max_drawdown", "volatility", "worst_day", "benchmark_return", "vs_benchmark",
     "vs_baseline", "shock_day"}
)  # fmt: skip


def _finite(value: object) -> bool:
    return isinstance(value, int | float | np.number) and math.isfinite(float(value))


def fmt_pct(value: object, digits: int = 2) -> str:
    """``-0.1234`` -> ``"-12.34%"`` (``digits`` decimals, no ``-0.00``); empty for NaN or None."""
    if not _finite(value):
        return ""
    text = f"{float(value) * 100:.{digits}f}"  # type: ignore[arg-type]
    if text.startswith("-") and not text.strip("-0."):
        text = text[1:]
    return text + "%"


def _cell(column: str, value: object) -> str:
    if column in _PERCENTS:
        return fmt_pct(value, 1)
    if column == "sharpe":
        return f"{float(value):.2f}" if _finite(value) else ""  # type: ignore[arg-type]
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def table_display(table: pd.DataFrame) -> tuple[list[str], list[list[str]], list[str]]:
    """Headers, formatted rows and notes (``scenario: note`` of the baseline and the shocks;
    a window's note is its description) of a stress table, for terminals and Markdown."""
    records = table.to_dict("records")
    headers = [h for _, h in _DISPLAY]
    rows = [[_cell(c, r.get(c)) for c, _ in _DISPLAY] for r in records]
    notes = [
        f"{r['scenario']}: {r['note']}"
        for r in records
        if r.get("kind") != "historical" and isinstance(r.get("note"), str) and r["note"]
    ]
    return headers, rows, notes


def table_markdown(title: str, table: pd.DataFrame) -> str:
    """A stress table as GitHub Markdown: ``title``, the table, then its notes as a list."""
    headers, rows, notes = table_display(table)
    lines = [title, "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join([*lines, "", *[f"- {n}" for n in notes]]) + "\n"


def json_ready(value: Any) -> Any:
    """A table cell as JSON takes it: NaN and NaT as None, NumPy scalars as Python numbers."""
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return None if value is pd.NaT else value
