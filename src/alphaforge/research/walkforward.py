"""Walk-forward optimization: re-optimize on each train span, trade the winner on the test span
that follows, and judge the strategy by the stitched out-of-sample curve.

>>> windows = walk_forward_windows(bars, n_windows=10, train=0.75, scheme="rolling")
>>> result = walk_forward(objective, {"fast": IntRange(5, 100, 5)}, windows, method="tpe")
>>> result.oos_metrics.sharpe_ratio, result.efficiency["sharpe_ratio"], result.overfitting.dsr

**Windows** (:func:`walk_forward_windows`). The test spans are back to back and end at the last
bar; window ``k`` trains on the bars before its test span. ``rolling``: every train span has the
same length; ``anchored``: every train span starts at the first bar and grows. ``train`` is a
fraction of each window (0.75: train 75 %, test 25 % of one window of ``train + test`` bars) or
a length (``756`` bars, ``"3Y"``); ``test`` a length, or None to share the bars out among
``n_windows``. Calendar lengths (``"3Y"``, ``"6M"``, ``"90D"``) become bar counts at the data's
average bar density.

* ``purge`` (bars): the last ``purge`` bars of each train span are dropped, so the optimizer
  never scores a set on the bars just before the test span (a signal computed there, or a trade
  it opens, may run into the test span). Window ``k``'s train span ends ``purge + 1`` bars
  before its test span starts.
* ``embargo`` (bars): López de Prado's embargo keeps the bars right after a test span out of a
  train span that *follows* the test. In a walk-forward no train span follows its own test, so
  here the embargo is a cool-off gap after each test span: the next test span starts
  ``embargo`` bars later, and the embargoed bars are traded by no window (the stitched curve
  skips them), which makes neighbouring windows' out-of-sample results less dependent on each
  other. The next train span ends ``purge + 1`` bars before its own test, as always, and may
  use them: they are in its past.

**Runs** (:func:`walk_forward`). Each span runs as its own backtest that starts flat (cash only)
at the close of the bar before the span's first bar (``*_run_start``): bars before that only
warm up indicators, and the span's returns are exactly the returns of its bars. Train spans go
to ``optimize``; the best set then runs on the test span. The test runs' returns, chained, are
the out-of-sample curve: every test bar once, nothing trained on, each window's parameters
chosen only from bars before it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from alphaforge.analytics.metrics import Metrics, compute_metrics, infer_periods_per_year
from alphaforge.domain.errors import InvalidValueError
from alphaforge.research._windows import (
    DEFAULT_WINDOWS,
    Window,
    walk_forward_windows,
)
from alphaforge.research.backends import Backend, ProcessBackend, task_seeds
from alphaforge.research.optimization import METHODS, OptimizationResult, optimize
from alphaforge.research.trials import Constraint, Objective, Score, Trial
from alphaforge.strategies.space import Space, grid_size

if TYPE_CHECKING:
    from alphaforge.research.overfitting import OverfittingReport

__all__ = [
    "DEFAULT_WINDOWS",
    "PeriodObjective",
    "WalkForwardResult",
    "Window",
    "walk_forward",
    "walk_forward_windows",
]

Progress = Callable[[int, int], None]


class PeriodObjective(Objective, Protocol):
    """An objective that can run over another period (``StrategyObjective`` is one)."""

    def with_period(self, start: str | None, end: str | None) -> PeriodObjective:
        """The same objective from ``start`` to ``end`` (both bars included)."""
        ...


# ------------------------------------------------------------------ the result


@dataclass(frozen=True)
class WalkForwardResult:
    """What a walk-forward found (see :func:`walk_forward`).

    ``windows``: one row per window (spans, bars, the chosen parameters, ``trials``,
    ``is_<metric>`` (the winner's train score), ``oos_<metric>`` (its test score), ``wfe`` (their
    ratio, NaN when the train score is <= 0), the test span's return and trades, and the ``pbo``
    and ``dsr`` of that window's optimization). ``oos_returns``/``oos_equity``: the stitched test
    runs (equity as the growth of 1 from the first test run's start). ``is_returns``: each
    window's winner over its own train span, keyed by (window, bar); in a rolling or anchored
    walk-forward the train spans overlap, so this is a chain of separate runs, not one period.
    ``efficiency``: walk-forward efficiency, OOS / IS of the annual return and of the Sharpe
    ratio (NaN when the IS figure is <= 0: a ratio to a loss, or of two losses, says nothing).
    ``overfitting``: PSR, DSR (charging every trial of every window), MinTRL of the OOS returns.
    ``parameter_stability``: per parameter, how much the chosen value moved between windows.
    """

    spans: tuple[Window, ...]
    studies: tuple[OptimizationResult, ...]
    windows: pd.DataFrame
    oos_returns: pd.Series
    oos_equity: pd.Series
    is_returns: pd.Series
    oos_metrics: Metrics
    is_metrics: Metrics
    efficiency: Mapping[str, float]
    overfitting: OverfittingReport | None
    parameter_stability: pd.DataFrame
    metric: str
    method: str
    seconds: float
    backend: str

    @property
    def total_trials(self) -> int:
        """Parameter sets run over all windows (what the deflated Sharpe ratio charges for)."""
        return sum(s.n_trials for s in self.studies)

    def summary(self) -> dict[str, Any]:
        """Headline figures, JSON-able: IS next to OOS, efficiency, overfitting, stability."""
        keys = ("total_return", "annual_return", "annual_volatility", "sharpe_ratio",
                "sortino_ratio", "max_drawdown", "calmar_ratio")  # fmt: skip
        pbo = self.windows["pbo"].astype(float) if "pbo" in self.windows else pd.Series()
        report = self.overfitting
        out: dict[str, Any] = _clean({
            "windows": len(self.spans),
            "method": self.method,
            "metric": self.metric,
            "trials": self.total_trials,
            "seconds": round(self.seconds, 3),
            "backend": self.backend,
            "oos_bars": len(self.oos_returns),
            "in_sample": {k: getattr(self.is_metrics, k) for k in keys},
            "out_of_sample": {k: getattr(self.oos_metrics, k) for k in keys},
            "efficiency": dict(self.efficiency),
            "overfitting": None if report is None else {
                "psr": report.psr, "dsr": report.dsr, "n_trials": report.n_trials,
                "min_trl_years": report.min_trl_years, "verdict": list(report.verdict),
            },
            "mean_window_pbo": float(pbo.mean()) if pbo.notna().any() else None,
            "parameter_stability": self.parameter_stability.to_dict("index"),
        })  # fmt: skip
        return out

    def to_dict(self) -> dict[str, Any]:
        """Everything JSON-able: the summary, every window, all metrics, the full report."""
        rows = self.windows.astype(object).where(self.windows.notna(), None)
        out = self.summary()
        out["windows_table"] = _clean(rows.to_dict("records"))
        out["spans"] = [w.to_dict() for w in self.spans]
        out["in_sample_metrics"] = self.is_metrics.to_dict()
        out["out_of_sample_metrics"] = self.oos_metrics.to_dict()
        out["overfitting_report"] = None if self.overfitting is None else _clean(
            self.overfitting.to_dict()
        )  # fmt: skip
        return out


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities to None, NumPy scalars and stamps to plain values."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


# ------------------------------------------------------------------ the run


@dataclass(frozen=True)
class _TestRun:
    """Runs one window's chosen set over its test span (picklable, for any backend)."""

    objective: PeriodObjective

    def __call__(self, item: tuple[str, str, Mapping[str, Any]]) -> tuple[Trial, pd.Series]:
        start, end, params = item
        period = self.objective.with_period(start, end)
        return period(params), period.returns(params)


def _stamp(value: pd.Timestamp) -> str:
    return value.isoformat()


def _check_windows(windows: Sequence[Window], objective: PeriodObjective) -> None:
    if not windows:
        raise InvalidValueError("no windows to walk forward over")
    for w in windows:
        if not isinstance(w, Window):
            raise InvalidValueError(f"windows must be Window objects, got {type(w).__name__}")
        need = objective.n_splits + 1
        if w.train_bars < need or w.test_bars < need:
            raise InvalidValueError(
                f"window {w.number} has {w.train_bars} train and {w.test_bars} test bars; each "
                f"span needs at least {need} (the objective reports {objective.n_splits} slices)"
            )
    for a, b in pairwise(windows):
        if b.test_start <= a.test_end:
            raise InvalidValueError(f"the test spans of windows {a.number} and {b.number} overlap")


def walk_forward(
    objective: PeriodObjective,
    space: Space,
    windows: Sequence[Window],
    *,
    method: str = "grid",
    n_trials: int | None = None,
    metric: str | Callable[[Mapping[str, float]], float] = "sharpe_ratio",
    direction: str | None = None,
    constraints: Sequence[str | Constraint] = (),
    seed: int = 0,
    backend: Backend | None = None,
    out: str | Path | None = None,
    resume: bool = True,
    progress: Progress | None = None,
    batch_size: int | None = None,
) -> WalkForwardResult:
    """Optimize on each window's train span, run the best set on its test span, stitch.

    ``method``/``n_trials``/``metric``/``direction``/``constraints``/``backend``: as
    ``optimize`` (one metric). Window ``k`` searches with seed ``task_seeds(seed, n)[k]``
    (reduced below 2**32 for Optuna), so each window's draws are its own and reproducible on
    every backend. ``out``: each window's study streams to ``out/window_XX/`` and resumes from
    there (``resume=False`` starts each over). ``progress(done, total)``: trials over all
    windows. ``batch_size``: Optuna trials asked at once
    (default ``optimization.DEFAULT_BATCH`` whatever the backend: every backend draws the
    same sets). A window where
    no set meets the constraints stays in cash over its test span.
    """
    if method not in METHODS:
        raise InvalidValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if not isinstance(metric, str) and not callable(metric):
        raise InvalidValueError("walk-forward re-optimizes one metric: give one name")
    _check_windows(windows, objective)
    score = Score.of(metric, direction)
    own = backend is None
    backend = backend or ProcessBackend()
    search = _Search(
        method, n_trials, metric, direction, tuple(constraints), seed, out, resume, progress,
        batch_size,
    )  # fmt: skip
    t0 = time.perf_counter()
    try:
        studies = search.run(objective, space, windows, backend)
        tests = _test_runs(objective, windows, studies, backend)
    finally:
        if own:
            backend.close()
    return _assemble(windows, studies, tests, score, space, method, backend, t0)


@dataclass(frozen=True)
class _Search:
    """``optimize``'s arguments, the same for every window but the seed and the folder."""

    method: str
    n_trials: int | None
    metric: str | Callable[[Mapping[str, float]], float]
    direction: str | None
    constraints: tuple[str | Constraint, ...]
    seed: int
    out: str | Path | None
    resume: bool
    progress: Progress | None
    batch_size: int | None

    def run(
        self, objective: PeriodObjective, space: Space, windows: Sequence[Window], backend: Backend
    ) -> list[OptimizationResult]:
        """Optimize every window's train span in turn."""
        per_window = grid_size(space) if self.method == "grid" else (self.n_trials or 100)
        total = len(windows) * per_window
        seeds = [s % 2**32 for s in task_seeds(self.seed, len(windows))]
        studies = []
        for k, (window, seed) in enumerate(zip(windows, seeds, strict=True)):

            def report(done: int, _: int, base: int = k * per_window) -> None:
                if self.progress:
                    self.progress(base + min(done, per_window), total)

            train = objective.with_period(_stamp(window.train_run_start), _stamp(window.train_end))
            folder = None if self.out is None else Path(self.out) / f"window_{window.number:02d}"
            studies.append(optimize(
                train, space, method=self.method, n_trials=self.n_trials, metric=self.metric,
                direction=self.direction, constraints=self.constraints, seed=seed,
                backend=backend, out=folder, resume=self.resume, progress=report,
                batch_size=self.batch_size,
            ))  # fmt: skip
        return studies


def _test_runs(
    objective: PeriodObjective,
    windows: Sequence[Window],
    studies: Sequence[OptimizationResult],
    backend: Backend,
) -> list[tuple[Trial | None, pd.Series]]:
    """Each window's test run: the winner's (trial, returns), or (None, zero returns) in cash."""
    items = []
    for w, study in zip(windows, studies, strict=True):
        if study.table.empty:
            raise InvalidValueError(f"window {w.number}: every parameter set was refused")
        params = study.best_params or {k: _plain(study.table.iloc[0][k]) for k in study.space}
        items.append((_stamp(w.test_run_start), _stamp(w.test_end), params))
    runs = list(backend.map(_TestRun(objective), items, chunk_size=1))
    out: list[tuple[Trial | None, pd.Series]] = []
    for study, (trial, returns) in zip(studies, runs, strict=True):
        series = returns.fillna(0.0).rename("returns")
        if study.best_params is None:  # nothing met the constraints: no position, no return
            out.append((None, series * 0.0))
        else:
            out.append((trial, series))
    return out


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _assemble(
    windows: Sequence[Window],
    studies: Sequence[OptimizationResult],
    tests: Sequence[tuple[Trial | None, pd.Series]],
    score: Score,
    space: Space,
    method: str,
    backend: Backend,
    t0: float,
) -> WalkForwardResult:
    oos = pd.concat([r for _, r in tests])
    oos_equity = _growth(oos, windows[0].test_run_start)
    ppy = float(infer_periods_per_year(oos_equity.index))
    ins = _in_sample(windows, studies)
    is_equity = pd.Series(np.concatenate([[1.0], np.cumprod(1.0 + ins.to_numpy())]))
    oos_metrics = compute_metrics(oos_equity)
    is_metrics = compute_metrics(is_equity, periods_per_year=ppy)
    table = _windows_table(windows, studies, tests, score)
    return WalkForwardResult(
        spans=tuple(windows),
        studies=tuple(studies),
        windows=table,
        oos_returns=oos.rename("returns"),
        oos_equity=oos_equity,
        is_returns=ins.rename("returns"),
        oos_metrics=oos_metrics,
        is_metrics=is_metrics,
        efficiency=_efficiency(is_metrics, oos_metrics),
        overfitting=_overfitting(oos, studies, ppy),
        parameter_stability=_stability(table, space),
        metric=score.names[0],
        method=method,
        seconds=time.perf_counter() - t0,
        backend=backend.describe(),
    )


def _in_sample(windows: Sequence[Window], studies: Sequence[OptimizationResult]) -> pd.Series:
    """Each window's winner over its train span, keyed by (window, bar)."""
    parts = {
        w.number: s.best_returns.fillna(0.0)
        for w, s in zip(windows, studies, strict=True)
        if s.best_returns is not None
    }
    if not parts:
        return pd.Series(dtype=float)
    chained: pd.Series = pd.concat(parts, names=["window", "ts"])
    return chained


def _growth(returns: pd.Series, base: pd.Timestamp) -> pd.Series:
    values = np.concatenate([[1.0], np.cumprod(1.0 + returns.to_numpy())])
    index = pd.DatetimeIndex([base]).append(pd.DatetimeIndex(returns.index))
    return pd.Series(values, index=index.rename("ts"), name="equity")


def _ratio(oos: float, ins: float) -> float:
    if not (math.isfinite(oos) and math.isfinite(ins)) or ins <= 0.0:
        return math.nan
    return oos / ins


def _efficiency(ins: Metrics, oos: Metrics) -> dict[str, float]:
    return {
        "annual_return": _ratio(oos.annual_return, ins.annual_return),
        "sharpe_ratio": _ratio(oos.sharpe_ratio, ins.sharpe_ratio),
    }


def _windows_table(
    windows: Sequence[Window],
    studies: Sequence[OptimizationResult],
    tests: Sequence[tuple[Trial | None, pd.Series]],
    score: Score,
) -> pd.DataFrame:
    name = score.names[0]
    rows = []
    for w, study, (trial, returns) in zip(windows, studies, tests, strict=True):
        best, report = study.best, study.overfitting
        is_value = math.nan if best is None else float(best[name])
        oos_value = math.nan if trial is None else score.values(trial.metrics)[0]
        row: dict[str, Any] = {
            "window": w.number, "train_start": w.train_start, "train_end": w.train_end,
            "test_start": w.test_start, "test_end": w.test_end,
            "train_bars": w.train_bars, "test_bars": w.test_bars,
        }  # fmt: skip
        row.update(study.best_params or dict.fromkeys(study.space))
        row.update({
            "trials": study.n_trials,
            f"is_{name}": is_value,
            f"oos_{name}": oos_value,
            "wfe": _ratio(oos_value, is_value) if score.directions[0] == "maximize" else math.nan,
            "oos_return": float(np.prod(1.0 + returns.to_numpy()) - 1.0),
            "oos_trades": math.nan if trial is None else trial.metrics.get("number_of_trades"),
            "pbo": math.nan if report is None or report.pbo is None else report.pbo.pbo,
            "dsr": math.nan if report is None else report.dsr,
        })  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows)


def _overfitting(
    oos: pd.Series, studies: Sequence[OptimizationResult], ppy: float
) -> OverfittingReport | None:
    """PSR and MinTRL of the OOS returns; DSR against the best of every trial of every window
    (per-period Sharpe ratios of the trials' train runs)."""
    from alphaforge.research.overfitting import overfitting_report  # noqa: PLC0415

    if len(oos) < 2:
        return None
    sharpes = np.concatenate([
        pd.to_numeric(s.table.get("sharpe_ratio", pd.Series(np.nan, index=s.table.index)),
                      errors="coerce").to_numpy(dtype=float) / math.sqrt(ppy)
        for s in studies
    ])  # fmt: skip
    sharpes = np.where(np.isfinite(sharpes), sharpes, np.nan)
    report = overfitting_report(oos.to_numpy(), sharpes, periods_per_year=ppy)
    # its "above every trial" check assumes the trials ran on the same returns; here they ran
    # on the train spans, so an OOS Sharpe above them is a finding, not a mistake
    verdict = tuple(line for line in report.verdict if not line.startswith("note:"))
    return replace(report, verdict=verdict)


def _stability(table: pd.DataFrame, space: Space) -> pd.DataFrame:
    """Per parameter: distinct values chosen, window-to-window changes, spread and mean step
    (also relative to the searched range)."""
    rows = {}
    for name, dim in space.items():
        values = table[name].dropna()
        steps = (values != values.shift()).iloc[1:] if len(values) > 1 else values.iloc[:0]
        row: dict[str, Any] = {
            "distinct": int(values.nunique()),
            "changes": int(steps.sum()),
            "change_share": float(steps.mean()) if len(steps) else math.nan,
        }
        numbers = pd.to_numeric(values, errors="coerce")
        flags = any(isinstance(v, bool | np.bool_) for v in values)
        if len(numbers) and numbers.notna().all() and not flags:
            width = float(getattr(dim, "high", math.nan)) - float(getattr(dim, "low", math.nan))
            step = float(numbers.diff().abs().mean()) if len(numbers) > 1 else math.nan
            row.update(mean=float(numbers.mean()), std=float(numbers.std(ddof=1)),
                       min=float(numbers.min()), max=float(numbers.max()), mean_abs_step=step,
                       relative_step=step / width if width > 0 else math.nan)  # fmt: skip
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")
