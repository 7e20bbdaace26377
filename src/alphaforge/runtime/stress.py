"""``stress_test()``: a strategy through the named falls its data holds and through synthetic
shocks, in one table.

>>> result = stress_test("equal_weight", "stocks20_close")
>>> print(result.to_markdown())

Rows: the baseline run; one per historical window (``alphaforge.research.stress``:
peak-to-trough falls of the S&P 500, measured on the baseline's equity, ``"not in data"`` where
the data does not reach them); one per synthetic shock, each a full backtest with the same
strategy, parameters and settings on changed data or costs:

* ``gap``: every price of every symbol from the shock bar on moved by -10 %, an overnight gap
  at that bar's open; the row adds the equity's return on that day and the bars it took to win
  back the equity it had before the gap;
* ``volatility``: log returns' deviations from their mean x3 over ``volatility_bars`` bars
  (a quarter of daily bars) from the shock bar, on every symbol;
* ``spreads``: the run's ``spread_bps`` and ``slippage_bps`` x5 (a change of settings);
* ``volume``: volume /10 under a participation cap: the run's ``max_participation``, else
  ``participation`` (10 % of bar volume) for this row and for the capped run it is compared
  with; close-only data has no volume (``"n/a (no volume)"``).

Columns (``TABLE_COLUMNS``): figures over the window for historical rows and over the whole run
for the others; ``vs_benchmark`` is the return minus the benchmark's (the benchmark of a shocked
run is shocked too when it is a symbol of the run); ``vs_baseline`` is a shocked run's final
equity relative to the baseline's (-0.10: it ends 10 % poorer), ``drawdown_vs_baseline`` the
change of its max drawdown in points.

The shock bar is ``shock_at`` (a date: the first bar at or after it), by default the middle bar
of the traded span. Shocked data runs as frames (``{symbol: frame}``), which trade as USD
equities stamped at the bar open; data that is not (FX, crypto) gets ``"n/a"`` price and volume
shocks rather than runs on the wrong instrument.

Building and running the shocked scenarios lives in ``_stress_runs``; this module runs the test
and renders its table.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from alphaforge.analytics.periodic import infer_periods_per_year
from alphaforge.domain.errors import InvalidValueError
from alphaforge.research.backends import Backend, SerialBackend
from alphaforge.research.stress import (
    HISTORICAL_WINDOWS,
    SHOCKS,
    TABLE_COLUMNS,
    ShockSizes,
    StressWindow,
    fmt_pct,
    gap_effect,
    json_ready,
    path_stats,
    shock_label,
    table_display,
    table_markdown,
    window_stats,
)
from alphaforge.runtime._stress_runs import (
    _check_shocks,
    _fresh,
    _Outcome,
    _plan,
    _run_task,
    _Shock,
    _shock_bar,
    _tasks,
    _traded_bars,
)
from alphaforge.runtime.driver import backtest
from alphaforge.runtime.inputs import DataLike
from alphaforge.strategies import Strategy

__all__ = ["SHOCKS", "TABLE_COLUMNS", "ShockSizes", "StressResult", "stress_test"]


@dataclass
class StressResult:
    """One table of the baseline, the historical windows and the shocks, and how it was made."""

    table: pd.DataFrame
    strategy: str
    params: dict[str, Any]
    data: str
    benchmark: str | None
    shock_at: str
    sizes: ShockSizes
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def display(self) -> tuple[list[str], list[list[str]], list[str]]:
        """Column headers, formatted rows and the notes under them (for terminals and docs)."""
        return table_display(self.table)

    def title(self) -> str:
        """One line: the strategy, its parameters, the data, the benchmark, the shock bar."""
        params = " ".join(f"{k}={v}" for k, v in self.params.items()) or "(no parameters)"
        return (f"**{self.strategy}** {params} on {self.data}; benchmark: "
                f"{self.benchmark or 'none'}; shock bar {self.shock_at}")  # fmt: skip

    def to_markdown(self) -> str:
        """The table as GitHub Markdown with its notes (what the docs quote, unedited)."""
        return table_markdown(self.title(), self.table)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready document: the settings of the test and every row (NaN as None)."""
        rows = [
            {k: json_ready(v) for k, v in row.items()}
            for row in self.table.to_dict(orient="records")
        ]
        return {
            "strategy": self.strategy,
            "params": self.params,
            "data": self.data,
            "benchmark": self.benchmark,
            "shock_at": self.shock_at,
            "sizes": asdict(self.sizes),
            "settings": self.settings,
            "seconds": round(self.seconds, 3),
            "rows": rows,
        }


def stress_test(
    strategy: str | type[Strategy] | Strategy,
    data: DataLike | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    windows: Sequence[StressWindow] = HISTORICAL_WINDOWS,
    shocks: Sequence[str] = SHOCKS,
    shock_at: str | pd.Timestamp | None = None,
    sizes: ShockSizes | None = None,
    backend: Backend | None = None,
    **backtest_kwargs: Any,
) -> StressResult:
    """Run ``strategy`` on ``data`` and through ``windows`` and ``shocks``; see the module doc.

    ``backtest_kwargs`` (``start``, ``end``, ``symbols``, ``cash``, ``benchmark``, costs ...)
    go to every run. ``shock_at``: the date of the gap and the start of the volatility window
    (default: the middle bar of the run). ``backend``: where the shocked runs execute (default:
    one after another in this process; a few runs gain little from a pool); it is not closed.
    """
    began = time.perf_counter()
    chosen = _check_shocks(shocks)
    sizes = sizes or ShockSizes()
    windows = tuple(windows)
    plan = _plan(strategy, data, params, backtest_kwargs)
    base = backtest(_fresh(strategy), plan.data, params=params, **plan.kwargs)
    traded = _traded_bars(plan.series, plan.kwargs)
    pos = _shock_bar(traded, shock_at)
    end_pos = min(pos + sizes.volatility_bars - 1, len(traded) - 1)
    shock = _Shock(_fresh(strategy), params, plan, traded[pos], traded[end_pos], sizes,
                   base.settings["backtest"])  # fmt: skip
    tasks, skipped = _tasks(shock, chosen)
    outcomes = {o.scenario: o for o in (backend or SerialBackend()).map(_run_task, tasks)}
    baseline = _Outcome("baseline", base.equity[["equity", "gross"]], base.benchmark)
    return StressResult(
        table=_table(baseline, windows, chosen, outcomes, skipped, shock),
        strategy=base.strategy,
        params=base.params,
        data=_data_label(plan.data),
        benchmark=None if base.benchmark is None else str(base.benchmark.name),
        shock_at=traded[pos].date().isoformat(),
        sizes=sizes,
        settings=dict(base.settings["backtest"]),
        seconds=time.perf_counter() - began,
    )


def _data_label(data: DataLike) -> str:
    if isinstance(data, list | tuple):
        return " + ".join(map(str, data))
    if isinstance(data, pd.DataFrame):
        return "a frame"
    if isinstance(data, Mapping):
        return "frames of " + ", ".join(map(str, data))
    return str(data)


# ------------------------------------------------------------------ the table


def _table(
    baseline: _Outcome,
    windows: Sequence[StressWindow],
    shocks: Sequence[str],
    outcomes: Mapping[str, _Outcome],
    skipped: Mapping[str, str],
    s: _Shock,
) -> pd.DataFrame:
    equity = _equity(baseline)
    ppy = float(infer_periods_per_year(equity.index))
    base_stats = _run_stats(baseline, ppy)
    rows = [{
        "scenario": "baseline", "kind": "baseline", "start": _day(equity.index[0]),
        "end": _day(equity.index[-1]), "status": "ok", **base_stats, "note": _costs_note(s),
    }]  # fmt: skip
    bench = _in_span(baseline.benchmark, equity.index)
    for w in window_stats(equity, bench, windows, periods_per_year=ppy).to_dict("records"):
        rows.append({
            "scenario": w["window"], "kind": "historical", "start": w["start"], "end": w["end"],
            "status": w["coverage"], "return": w["return"], "max_drawdown": w["max_drawdown"],
            "volatility": w["volatility"], "worst_day": w["worst_day"],
            "benchmark_return": w["benchmark_return"],
            "benchmark_drawdown": w["benchmark_drawdown"], "vs_benchmark": w["vs_benchmark"],
            "note": w["description"],
        })  # fmt: skip
    rows += [_shock_row(name, outcomes, skipped, baseline, ppy, s) for name in shocks]
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def _equity(outcome: _Outcome) -> pd.Series:
    if outcome.equity is None:  # pragma: no cover - only outcomes that ran reach here
        raise InvalidValueError(f"{outcome.scenario} did not run")
    return outcome.equity["equity"]


def _day(stamp: pd.Timestamp) -> str:
    return stamp.date().isoformat()


def _in_span(bench: pd.Series | None, index: pd.Index) -> pd.Series | None:
    """The benchmark over the run's dates (it may start with the warm-up bars)."""
    if bench is None:
        return None
    days = pd.DatetimeIndex(bench.index).normalize()
    kept = bench[(days >= index[0].normalize()) & (days <= index[-1].normalize())]
    return kept if len(kept) > 1 else None


def _run_stats(outcome: _Outcome, ppy: float) -> dict[str, Any]:
    equity = _equity(outcome)
    stats = path_stats(equity, ppy)
    stats.pop("worst_day_date")
    bench = _in_span(outcome.benchmark, pd.DatetimeIndex(equity.index))
    b = path_stats(bench, ppy) if bench is not None else {"return": math.nan,
                                                          "max_drawdown": math.nan}  # fmt: skip
    return {**stats, "benchmark_return": b["return"], "benchmark_drawdown": b["max_drawdown"],
            "vs_benchmark": stats["return"] - b["return"]}  # fmt: skip


def _shock_row(
    name: str,
    outcomes: Mapping[str, _Outcome],
    skipped: Mapping[str, str],
    baseline: _Outcome,
    ppy: float,
    s: _Shock,
) -> dict[str, Any]:
    equity = _equity(baseline)
    start = s.at if name in ("gap", "volatility") else equity.index[0]
    end = s.window_end if name == "volatility" else equity.index[-1]
    row: dict[str, Any] = {"scenario": shock_label(name, s.sizes), "kind": "shock",
                           "start": _day(start), "end": _day(end)}  # fmt: skip
    if name in skipped:
        return {**row, "status": skipped[name]}
    out = outcomes[name]
    ref = outcomes.get("volume reference", baseline) if name == "volume" else baseline
    failed = out.error or ref.error
    if failed:
        return {**row, "status": f"error: {failed}"}
    stats, ref_stats = _run_stats(out, ppy), _run_stats(ref, ppy)
    ratio = (1 + stats["return"]) / (1 + ref_stats["return"]) - 1  # final equity vs reference
    row.update(stats, status="ok", vs_baseline=ratio,
               drawdown_vs_baseline=stats["max_drawdown"] - ref_stats["max_drawdown"])  # fmt: skip
    extras = {"gap": _gap_extras, "volatility": _volatility_extras, "spreads": _spreads_extras,
              "volume": _volume_extras}  # fmt: skip
    row.update(extras[name](out, ref, s))
    return row


def _gap_extras(out: _Outcome, base: _Outcome, s: _Shock) -> dict[str, Any]:
    gross = base.equity["gross"] if base.equity is not None else None
    e = gap_effect(_equity(out), _equity(base), gross, s.at)  # type: ignore[arg-type]
    recovery = (
        f"won back its pre-gap equity after {e['recovery_bars']} bars ({e['recovered_on']})"
        if e["recovered_on"]
        else f"had not won back its pre-gap equity by {_day(_equity(out).index[-1])}"
    )
    note = (f"{fmt_pct(s.sizes.gap)} at the open of {_day(s.at)} on every symbol; that day "
            f"{fmt_pct(e['shock_day'])} (baseline {fmt_pct(e['baseline_day'])}, exposure "
            f"before it {fmt_pct(e['exposure'])}); {recovery}")  # fmt: skip
    return {"shock_day": e["shock_day"], "recovery_bars": e["recovery_bars"], "note": note,
            "shock_day_vs_baseline": e["shock_day"] - e["baseline_day"]}  # fmt: skip


def _volatility_extras(out: _Outcome, base: _Outcome, s: _Shock) -> dict[str, Any]:
    eq, ref = _equity(out), _equity(base)
    index = pd.DatetimeIndex(eq.index)  # equity is stamped at closes, after the bars' labels
    lo = int(index.searchsorted(s.at, side="right")) - 1
    hi = int(index.searchsorted(s.window_end, side="right")) + 1
    inside, before = path_stats(eq.iloc[lo:hi], 1.0), path_stats(ref.iloc[lo:hi], 1.0)
    note = (f"deviations of log returns from their mean x{s.sizes.volatility:g} over "
            f"{hi - lo - 1} bars on every symbol; in the window: return "
            f"{fmt_pct(inside['return'])} (baseline {fmt_pct(before['return'])}), max drawdown "
            f"{fmt_pct(inside['max_drawdown'])} "
            f"(baseline {fmt_pct(before['max_drawdown'])})")  # fmt: skip
    return {"note": note}


def _spreads_extras(out: _Outcome, base: _Outcome, s: _Shock) -> dict[str, Any]:
    spread, slip = float(s.base_settings["spread_bps"]), float(s.base_settings["slippage_bps"])
    f = s.sizes.spreads
    note = (f"spread {spread:g} -> {spread * f:g} bp, slippage {slip:g} -> {slip * f:g} bp "
            f"(commission unchanged)")  # fmt: skip
    if not spread and not slip:
        note += "; the run has no spread or slippage, so nothing changes"
    return {"note": note}


def _volume_extras(out: _Outcome, ref: _Outcome, s: _Shock) -> dict[str, Any]:
    own = s.base_settings.get("max_participation")
    cap = own or s.sizes.participation
    whose = "the run's max_participation" if own else "a default cap: the run sets none"
    against = (
        "the baseline" if own else f"the same cap on full volume ({fmt_pct(_run_return(ref))})"
    )
    return {
        "note": f"fills capped at {fmt_pct(cap)} of bar volume ({whose}); compared with {against}"
    }


def _run_return(outcome: _Outcome) -> float:
    equity = _equity(outcome)
    return float(equity.iloc[-1] / equity.iloc[0] - 1)


def _costs_note(s: _Shock) -> str:
    st = s.base_settings
    cap = st.get("max_participation")
    return (f"commission {float(st['commission_bps']):g} bp, slippage "
            f"{float(st['slippage_bps']):g} bp, spread {float(st['spread_bps']):g} bp, fill "
            f"{st['fill']}" + (f", volume cap {fmt_pct(cap)}" if cap else ""))  # fmt: skip
