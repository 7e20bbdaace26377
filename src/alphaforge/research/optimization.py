"""``optimize``: search a strategy's parameter space, and say how likely the winner is overfit.

>>> result = optimize(objective, {"fast": IntRange(5, 100, 5), "slow": IntRange(20, 300, 10)})
>>> result.best_params, result.overfitting.dsr

Methods: ``grid`` (every point), ``random`` (``n_trials`` seeded draws), ``tpe`` (Optuna's
Bayesian tree-structured Parzen estimator) and ``nsga`` (Optuna's NSGA-II, for several metrics
at once: the result is a Pareto front). The objective (``alphaforge.runtime.objective``) runs
one parameter set on the vector engine when the strategy has a vector twin, else on the event
engine; the backend (``alphaforge.research.backends``) runs many at once, on a process pool by
default or on Ray. Results stream to ``out`` as they finish; running again with the same
``out`` resumes the study (grid and random skip the sets already run; Optuna's samplers reload
their history from ``out/study.journal``).

Every optimization counts its trials and reports, for the selected set, the probabilistic and
deflated Sharpe ratios, the minimum track record length and the probability of backtest
overfitting (``alphaforge.research.overfitting``): the more sets tried, the higher the bar.
Constraints (``max_drawdown >= -0.2``, ``number_of_trades >= 10``) restrict which sets may win;
Optuna's samplers also learn from them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alphaforge.domain.errors import InvalidValueError
from alphaforge.research._study import StudyFiles, param_key
from alphaforge.research.backends import Backend, ProcessBackend
from alphaforge.research.trials import Constraint, Objective, Score, Trial, parse_constraint
from alphaforge.strategies.space import Space, grid, grid_size, sample

if TYPE_CHECKING:
    import optuna
    import plotly.graph_objects as go

    from alphaforge.research.overfitting import OverfittingReport

__all__ = ["METHODS", "OptimizationResult", "optimize"]

METHODS = ("grid", "random", "tpe", "nsga")
#: Optuna trials asked at once: fixed, not tied to the worker count, so a seed gives the same
#: study on every backend (a sampler's choices depend on how many results it has seen).
DEFAULT_BATCH = 8
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class OptimizationResult:
    """The trials of one study and what they say.

    ``table``: one row per parameter set that ran (``trial``, the parameters, the metrics, the
    ``score`` columns, ``feasible``), in the order they finished. ``best``: the winning row
    (single metric) among feasible sets; ``pareto``: the non-dominated feasible rows (several
    metrics). ``invalid``: sets the strategy refused (not counted as trials).
    """

    method: str
    space: Mapping[str, str]
    score: Score
    constraints: tuple[Constraint, ...]
    table: pd.DataFrame
    invalid: int
    seconds: float
    backend: str
    objective: Mapping[str, Any]
    out: Path | None = None
    overfitting: OverfittingReport | None = None
    best_returns: pd.Series | None = field(default=None, repr=False)

    @property
    def n_trials(self) -> int:
        """Parameter sets that ran: the number of trials the deflated Sharpe ratio charges for."""
        return len(self.table)

    @property
    def feasible(self) -> pd.DataFrame:
        """Rows that meet every constraint."""
        return self.table[self.table["feasible"]]

    @property
    def best(self) -> pd.Series | None:
        """The best feasible row by the (first) score; None when no set is feasible."""
        rows = self.feasible
        if rows.empty:
            return None
        keys = [self.score.key([v]) for v in rows[self.score_columns[0]]]
        return rows.iloc[int(np.argmax(keys))]

    @property
    def best_params(self) -> dict[str, Any] | None:
        """The parameters of :attr:`best`."""
        row = self.best
        return None if row is None else {k: _plain(row[k]) for k in self.space}

    @property
    def score_columns(self) -> list[str]:
        """Columns of the table holding the score(s)."""
        return list(self.score.names)

    @property
    def pareto(self) -> pd.DataFrame:
        """Feasible rows no other feasible row beats on every metric (all rows' best trade-offs)."""
        rows = self.feasible
        if rows.empty:
            return rows
        signs = np.array([1.0 if d == "maximize" else -1.0 for d in self.score.directions])
        values = rows[self.score_columns].to_numpy(dtype=float) * signs
        values = np.where(np.isfinite(values), values, -np.inf)
        keep = np.ones(len(values), dtype=bool)
        for i in range(len(values)):
            others = np.delete(values, i, axis=0)
            dominated = np.all(others >= values[i], axis=1) & np.any(others > values[i], axis=1)
            keep[i] = not dominated.any()
        return rows[keep]

    def summary(self) -> dict[str, Any]:
        """JSON-able figures: method, trials, best, overfitting statistics."""
        out: dict[str, Any] = {
            "method": self.method,
            "space": dict(self.space),
            "metric": list(self.score.names),
            "directions": list(self.score.directions),
            "constraints": [str(c) for c in self.constraints],
            "trials": self.n_trials,
            "invalid_sets": self.invalid,
            "feasible": int(self.table["feasible"].sum()) if len(self.table) else 0,
            "seconds": round(self.seconds, 3),
            "backend": self.backend,
            "objective": dict(self.objective),
            "best_params": self.best_params,
        }
        best = self.best
        if best is not None:
            out["best_metrics"] = {
                k: _json_number(best[k]) for k in self.table.columns if k not in self.space and
                k not in ("trial", "state", "error", "params", "feasible", "seconds")
            }  # fmt: skip
        if self.overfitting is not None:
            out["overfitting"] = self.overfitting.to_dict()
        return out

    def heatmap(self, x: str, y: str, metric: str | None = None) -> go.Figure:
        """The metric over two parameters (the mean where other parameters vary): where the
        good region is, and whether it is a plateau or a lone peak."""
        from alphaforge.analytics.optimization_charts import heatmap  # noqa: PLC0415

        return heatmap(self.table, x, y, metric or self.score_columns[0])

    def parallel(self, metric: str | None = None) -> go.Figure:
        """Parallel coordinates of every parameter and the metric."""
        from alphaforge.analytics.optimization_charts import parallel  # noqa: PLC0415

        return parallel(self.table, list(self.space), metric or self.score_columns[0])


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _json_number(value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def optimize(
    objective: Objective,
    space: Space,
    *,
    method: str = "grid",
    n_trials: int | None = None,
    metric: str | Sequence[str] | Callable[[Mapping[str, float]], float] = "sharpe_ratio",
    direction: str | Sequence[str] | None = None,
    constraints: Sequence[str | Constraint] = (),
    seed: int = 0,
    backend: Backend | None = None,
    out: str | Path | None = None,
    resume: bool = True,
    progress: Progress | None = None,
    batch_size: int | None = None,
    statistics: bool = True,
) -> OptimizationResult:
    """Search ``space`` with ``method`` (module docstring) and return every trial.

    ``n_trials``: sets to run (random, tpe, nsga; default 100; a grid runs all its points).
    ``metric``: a metric name (``sharpe_ratio``), several (``nsga``), or a function of the
    metrics dict (maximized). ``direction`` defaults to maximize (minimize for volatility-like
    metrics). ``out``: directory the study streams to and resumes from (``resume=False``
    starts over there). ``batch_size``: Optuna trials asked at once (default
    ``DEFAULT_BATCH`` whatever the backend; 1 gives the sampler the most information).
    ``statistics``: compute the overfitting statistics (reruns the best set for its returns).
    """
    if method not in METHODS:
        raise InvalidValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if not space:
        raise InvalidValueError("the search space is empty: give --space NAME=RANGE")
    score = Score.of(metric, direction)
    if len(score.names) > 1 and method not in ("nsga", "grid", "random"):
        raise InvalidValueError("several metrics need method='nsga' (or grid/random)")
    rules = tuple(c if isinstance(c, Constraint) else parse_constraint(c) for c in constraints)
    if n_trials is not None and n_trials < 1:
        raise InvalidValueError(f"n_trials must be >= 1, got {n_trials}")
    own = backend is None
    backend = backend or ProcessBackend()
    try:
        return _optimize(objective, space, method, n_trials, score, rules, seed, backend, out,
                         resume, progress, batch_size, statistics)  # fmt: skip
    finally:
        if own:
            backend.close()


def _optimize(
    objective: Objective,
    space: Space,
    method: str,
    n_trials: int | None,
    score: Score,
    rules: tuple[Constraint, ...],
    seed: int,
    backend: Backend,
    out: str | Path | None,
    resume: bool,
    progress: Progress | None,
    batch_size: int | None,
    statistics: bool,
) -> OptimizationResult:
    identity = {
        "objective": objective.describe(),
        "space": {k: str(v) for k, v in space.items()},
        "method": method,
        "seed": seed,
        "metric": list(score.names),
        "directions": list(score.directions),
        "constraints": [str(c) for c in rules],
    }
    files = StudyFiles(Path(out) if out is not None else None, identity, objective.n_splits)
    files.open(resume=resume)
    t0 = time.perf_counter()
    if method in ("grid", "random"):
        _run_listed(objective, space, method, n_trials, seed, score, backend, files, progress)
    else:
        _run_optuna(
            objective, space, method, n_trials or 100, score, rules, seed, backend, files,
            progress, batch_size,
        )  # fmt: skip
    seconds = time.perf_counter() - t0
    return _result(objective, space, method, score, rules, files, seconds, backend, statistics)


def _run_listed(
    objective: Objective,
    space: Space,
    method: str,
    n_trials: int | None,
    seed: int,
    score: Score,
    backend: Backend,
    files: StudyFiles,
    progress: Progress | None,
) -> None:
    if method == "grid":
        if n_trials is not None and n_trials < grid_size(space):
            raise InvalidValueError(
                f"a grid runs all {grid_size(space):,} points; use method='random' for "
                f"{n_trials} of them"
            )
        sets = grid(space)
    else:
        sets = sample(space, n_trials or 100, seed)
    done = files.done()
    todo = [p for p in sets if param_key(p) not in done]
    number = len(files.rows)
    chunk = 256
    for start in range(0, len(todo), chunk):
        part = todo[start : start + chunk]
        base = number + start

        def report(k: int, total: int, base: int = start) -> None:
            if progress:
                progress(len(done) + base + k, len(done) + len(todo))

        trials = list(backend.map(objective, part, progress=report))
        _check_score(score, trials)
        files.add(trials, range(base, base + len(trials)))


def _check_score(score: Score, trials: Sequence[Trial]) -> None:
    """Fail on the first batch, not after the whole study, when a metric name is unknown."""
    for trial in trials:
        if trial.ok:
            score.values(trial.metrics)
            return


def _sampler(method: str, seed: int) -> optuna.samplers.BaseSampler:
    import optuna  # noqa: PLC0415  # imported on demand: grid/random sweeps do not need it

    seed %= 2**32  # Optuna's samplers take 32-bit seeds; task_seeds gives 64-bit ones
    if method == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    return optuna.samplers.NSGAIISampler(seed=seed)


def _run_optuna(
    objective: Objective,
    space: Space,
    method: str,
    n_trials: int,
    score: Score,
    rules: tuple[Constraint, ...],
    seed: int,
    backend: Backend,
    files: StudyFiles,
    progress: Progress | None,
    batch_size: int | None,
) -> None:
    import optuna  # noqa: PLC0415

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name=f"alphaforge-{files.signature}",
        storage=files.storage(),
        sampler=_sampler(method, seed),
        directions=[str(d) for d in score.directions],  # type: ignore[misc]
        load_if_exists=True,
    )
    finished = len(files.rows)
    batch = batch_size or DEFAULT_BATCH
    while finished < n_trials:
        asked = [study.ask() for _ in range(min(batch, n_trials - finished))]
        sets = [{name: dim.suggest(t, name) for name, dim in space.items()} for t in asked]
        trials = list(backend.map(objective, sets))
        for handle, trial in zip(asked, trials, strict=True):
            _tell(study, handle, trial, score, rules)
        files.add(trials, range(finished, finished + len(trials)))
        finished += len(trials)
        if progress:
            progress(finished, n_trials)


def _tell(
    study: optuna.Study,
    handle: optuna.trial.Trial,
    trial: Trial,
    score: Score,
    rules: tuple[Constraint, ...],
) -> None:
    import optuna  # noqa: PLC0415

    if not trial.ok:
        study.tell(handle, state=optuna.trial.TrialState.FAIL)
        return
    values = score.values(trial.metrics)
    if not all(math.isfinite(v) for v in values):
        study.tell(handle, state=optuna.trial.TrialState.FAIL)
        return
    for rule in rules:  # the samplers prefer sets that meet them (Optuna's trial constraints)
        handle.set_constraint(str(rule), rule.violation(trial.metrics))
    study.tell(handle, list(values))


def _result(
    objective: Objective,
    space: Space,
    method: str,
    score: Score,
    rules: tuple[Constraint, ...],
    files: StudyFiles,
    seconds: float,
    backend: Backend,
    statistics: bool,
) -> OptimizationResult:
    ok = [i for i, row in enumerate(files.rows) if row["state"] == "ok"]
    rows = []
    for i in ok:
        row = files.rows[i]
        flat = {"trial": int(row["trial"]), **row["params"]}
        metrics = {k: v for k, v in row.items() if k not in ("trial", "state", "error", "params")}
        flat.update(metrics)
        if score.function is not None:  # a user's function: its value gets a column
            flat[score.names[0]] = score.values(metrics)[0]
        flat["feasible"] = all(c.holds(metrics) for c in rules)
        rows.append(flat)
    table = pd.DataFrame(rows)
    if table.empty:
        table = pd.DataFrame(columns=["trial", *space, *score.names, "feasible"])
    result = OptimizationResult(
        method=method,
        space={k: str(v) for k, v in space.items()},
        score=score,
        constraints=rules,
        table=table,
        invalid=len(files.rows) - len(ok),
        seconds=seconds,
        backend=backend.describe(),
        objective=objective.describe(),
        out=files.directory,
    )
    if not statistics or result.best_params is None or len(ok) < 1:
        return result
    best = result.best_params
    returns = objective.returns({**best})
    moments = np.stack([files.moments[i] for i in ok])
    report = _overfitting(returns, moments)
    return _with(result, report, returns)


def _with(
    result: OptimizationResult, report: OverfittingReport, returns: pd.Series
) -> OptimizationResult:
    from dataclasses import replace  # noqa: PLC0415

    return replace(result, overfitting=report, best_returns=returns)


def _overfitting(returns: pd.Series, moments: np.ndarray) -> OverfittingReport:
    from alphaforge.analytics.metrics import infer_periods_per_year  # noqa: PLC0415
    from alphaforge.research.overfitting import BlockMoments, overfitting_report  # noqa: PLC0415

    count, total, squares = moments[:, 0, :], moments[:, 1, :], moments[:, 2, :]
    n = count.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total.sum(axis=1) / n
        var = (squares.sum(axis=1) - n * mean * mean) / (n - 1)
        sharpes = mean / np.sqrt(var)
    blocks = BlockMoments(count, total, squares, len(returns)) if len(moments) >= 2 else None
    ppy = float(infer_periods_per_year(returns.index)) if len(returns) > 2 else 252.0
    return overfitting_report(returns.to_numpy(), sharpes, moments=blocks, periods_per_year=ppy)
