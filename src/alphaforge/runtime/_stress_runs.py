"""The scenarios of ``stress_test()`` (private): building the shocked runs and running them.

What ``alphaforge.runtime.stress`` delegates: the test's data resolved once (``_plan``), the
shock bar and window (``_traded_bars``, ``_shock_bar``), one picklable backtest task per shocked
scenario (``_Shock``, ``_tasks``) and its outcome (``_run_task``, ``_Outcome``), a refused run
becoming the row's status rather than a crash.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alphaforge.core.suggest import did_you_mean
from alphaforge.data.catalog_args import time_bound
from alphaforge.domain.errors import AlphaforgeError, InvalidValueError
from alphaforge.research.stress import (
    SHOCKS,
    ShockSizes,
    gap_shock,
    volatility_shock,
    volume_shock,
)
from alphaforge.runtime._wiring import make_strategy
from alphaforge.runtime.driver import backtest
from alphaforge.runtime.inputs import DataLike, Series, load_series
from alphaforge.strategies import Strategy

_LOADING = ("symbols", "timeframe", "calendar")
_RUN_ARGS = frozenset(inspect.signature(backtest).parameters) - {"strategy", "data", "params"}


# ------------------------------------------------------------------ the runs


@dataclass(frozen=True)
class _Task:
    """One shocked backtest, picklable for any backend."""

    scenario: str
    strategy: str | type[Strategy] | Strategy
    params: Mapping[str, Any] | None
    data: Any
    kwargs: Mapping[str, Any]


@dataclass(frozen=True)
class _Outcome:
    scenario: str
    equity: pd.DataFrame | None  # equity and gross by timestamp
    benchmark: pd.Series | None
    error: str = ""


def _fresh(strategy: str | type[Strategy] | Strategy) -> str | type[Strategy] | Strategy:
    """A strategy instance keeps state from a run: each run gets its own copy."""
    return copy.deepcopy(strategy) if isinstance(strategy, Strategy) else strategy


def _run_task(task: _Task) -> _Outcome:
    """Run one shocked backtest; a refused run becomes the row's status, not a crash."""
    try:
        result = backtest(_fresh(task.strategy), task.data, params=task.params, **task.kwargs)
    except AlphaforgeError as exc:
        return _Outcome(task.scenario, None, None, str(exc))
    return _Outcome(task.scenario, result.equity[["equity", "gross"]], result.benchmark)


@dataclass(frozen=True)
class _Plan:
    """The data of the test, resolved once: what the baseline runs on and what gets shocked."""

    data: DataLike
    series: list[Series]
    kwargs: dict[str, Any]  # backtest arguments of every run
    frame_kwargs: dict[str, Any]  # the same for runs on shocked series (no loading options)


def _check_kwargs(kwargs: Mapping[str, Any]) -> None:
    for key in kwargs:
        if key not in _RUN_ARGS:
            raise InvalidValueError(
                f"stress_test passes {key!r} to backtest(), which has no such argument"
                f"{did_you_mean(key, sorted(_RUN_ARGS))}"
            )


def _plan(
    strategy: str | type[Strategy] | Strategy,
    data: DataLike | None,
    params: Mapping[str, Any] | None,
    kwargs: Mapping[str, Any],
) -> _Plan:
    _check_kwargs(kwargs)
    kind = type(make_strategy(_fresh(strategy), params))  # also checks the parameters
    own = data is None and len(kind.default_data) > 1
    resolved: DataLike = data if data is not None else (list(kind.default_data) or "spx_daily")
    run = dict(kwargs)
    series = load_series(resolved, config=run.get("config"),
                         **{k: run.get(k) for k in _LOADING})  # fmt: skip
    trades = [s.symbol for s in series if s.is_trades]
    if trades:
        raise InvalidValueError(f"stress tests shock bars; {', '.join(trades)} comes as trade data")
    if own and run.get("start") is None:  # as backtest(): from when all its data sets exist
        run["start"] = max(s.frame.index[0] for s in series)
    frame_kwargs = {k: v for k, v in run.items() if k not in _LOADING}
    return _Plan(resolved, series, run, frame_kwargs)


def _frames(
    series: Sequence[Series], shock: Callable[[pd.DataFrame], pd.DataFrame | None]
) -> tuple[list[Series], int]:
    """The series with ``shock`` applied to each frame where it returns one (a shocked copy keeps
    its asset class, currency, calendar and stamp); how many it hit."""
    out: list[Series] = []
    hit = 0
    for s in series:
        shocked = shock(s.frame)
        hit += shocked is not None
        out.append(s if shocked is None else dataclasses.replace(s, frame=shocked))
    return out, hit


def _traded_bars(series: Sequence[Series], kwargs: Mapping[str, Any]) -> pd.DatetimeIndex:
    labels = pd.DatetimeIndex(sorted(set().union(*(s.frame.index for s in series))))
    lo = time_bound(kwargs.get("start"), "start")
    hi = time_bound(kwargs.get("end"), "end", end=True)
    keep = np.ones(len(labels), dtype=bool)
    if lo is not None:
        keep &= labels >= lo
    if hi is not None:
        keep &= labels <= hi
    traded = labels[keep]
    if len(traded) < 3:
        raise InvalidValueError(f"the run holds {len(traded)} bars; a stress test needs 3 or more")
    return traded


def _shock_bar(traded: pd.DatetimeIndex, shock_at: str | pd.Timestamp | None) -> int:
    """Position in ``traded`` of the shock bar: the first at or after ``shock_at``, else the
    middle bar of the run."""
    if shock_at is None:
        return len(traded) // 2
    at = time_bound(shock_at, "shock_at") or traded[0]
    pos = int(traded.searchsorted(at, side="left"))
    if pos == 0 or pos >= len(traded):
        raise InvalidValueError(
            f"shock_at {shock_at} must fall after the run's first bar ({traded[0].date()}) and "
            f"at most at its last ({traded[-1].date()})"
        )
    return pos


@dataclass(frozen=True)
class _Shock:
    """What the tasks of one test share."""

    strategy: str | type[Strategy] | Strategy
    params: Mapping[str, Any] | None
    plan: _Plan
    at: pd.Timestamp
    window_end: pd.Timestamp
    sizes: ShockSizes
    base_settings: Mapping[str, Any]

    def task(self, scenario: str, frames: Sequence[Series] | None, **changes: Any) -> _Task:
        """A run on shocked ``frames`` (None: on the data as given), with settings changed."""
        kwargs = {**(self.plan.kwargs if frames is None else self.plan.frame_kwargs), **changes}
        data = self.plan.data if frames is None else frames
        return _Task(scenario, self.strategy, self.params, data, kwargs)


def _gap_task(s: _Shock) -> _Task | str:
    def shock(frame: pd.DataFrame) -> pd.DataFrame | None:
        inside = frame.index[0] < s.at <= frame.index[-1]
        return gap_shock(frame, s.at, s.sizes.gap) if inside else None

    frames, hit = _frames(s.plan.series, shock)
    return s.task("gap", frames) if hit else "n/a (no symbol has bars on both sides of the gap)"


def _volatility_task(s: _Shock) -> _Task | str:
    def shock(frame: pd.DataFrame) -> pd.DataFrame | None:
        inside = frame.index[(frame.index >= s.at) & (frame.index <= s.window_end)]
        if len(inside) < 2 or frame.index[0] >= s.at:
            return None
        return volatility_shock(frame, s.sizes.volatility, s.at, s.window_end)

    frames, hit = _frames(s.plan.series, shock)
    return s.task("volatility", frames) if hit else "n/a (the window holds too few bars)"


def _spreads_task(s: _Shock) -> _Task | str:
    spread = float(s.base_settings["spread_bps"]) * s.sizes.spreads
    slippage = float(s.base_settings["slippage_bps"]) * s.sizes.spreads
    return s.task("spreads", None, spread_bps=spread, slippage_bps=slippage)


def _volume_tasks(s: _Shock) -> list[_Task] | str:
    cap = s.base_settings.get("max_participation") or s.sizes.participation

    def shock(frame: pd.DataFrame) -> pd.DataFrame | None:
        return volume_shock(frame, s.sizes.volume) if "volume" in frame.columns else None

    frames, _ = _frames(s.plan.series, shock)
    tasks = [s.task("volume", frames, max_participation=cap)]
    if not s.base_settings.get("max_participation"):  # compared with the same cap, full volume
        tasks.append(s.task("volume reference", None, max_participation=cap))
    return tasks


def _tasks(s: _Shock, shocks: Sequence[str]) -> tuple[list[_Task], dict[str, str]]:
    """The backtests to run, and the status of scenarios that cannot run."""
    builders: dict[str, Callable[[_Shock], Any]] = {
        "gap": _gap_task, "volatility": _volatility_task, "spreads": _spreads_task,
        "volume": _volume_tasks,
    }  # fmt: skip
    tasks: list[_Task] = []
    skipped: dict[str, str] = {}
    for name in shocks:
        if name == "volume" and not any("volume" in x.frame.columns for x in s.plan.series):
            skipped[name] = "n/a (no volume)"
            continue
        built = builders[name](s)
        if isinstance(built, str):
            skipped[name] = built
        else:
            tasks += built if isinstance(built, list) else [built]
    return tasks, skipped


def _check_shocks(shocks: Sequence[str]) -> list[str]:
    chosen = [shocks] if isinstance(shocks, str) else list(shocks)
    for name in chosen:
        if name not in SHOCKS:
            raise InvalidValueError(
                f"unknown shock {name!r} (known: {', '.join(SHOCKS)}){did_you_mean(name, SHOCKS)}"
            )
    return list(dict.fromkeys(chosen))
