"""``robustness()``: every test alphaforge has, on one strategy, and one plain verdict.

>>> report = robustness("sma_cross", "spx_daily", n_trials=100, windows=6, seed=0)
>>> report.grade, report.verdict[0]
>>> report.write("out/robustness/sma_cross")  # robustness.html + robustness.json

What runs, in order (``docs/robustness.md``):

1. **Walk-forward** (``research.walkforward``): ``windows`` windows over the run's bars; each
   train span is searched with ``method``, its winner traded on the test span that follows.
   The stitched out-of-sample (OOS) curve is set against buying and holding the same bars.
2. **Full-period search**: the same space searched on all bars at once (in-sample by
   construction): a grid when the space has at most ``full_grid_max`` points, else ``method``.
   It gives the parameter landscape (metric over two parameters, each window's choice marked)
   and the deflated Sharpe ratio and probability of backtest overfitting of a one-shot search.
3. **Monte Carlo** (``research.montecarlo.bootstrap_returns``) of the stitched OOS returns, not
   the in-sample ones: the spread of what the walk-forward strategy could have done.
4. **Stress test** (``runtime.stress``) with the parameters the walk-forward chose last (what
   one would trade next; ``stress_params="last"``) or the full-period optimum (``"full"``).
5. **Verdict**: :func:`judge` applies the rules of :class:`Thresholds` to the figures above
   (:class:`Evidence`); every check is listed, failing ones included. Grade ``overfit`` when a
   check of the search's generalization fails (PBO, walk-forward efficiency); else ``fragile``
   when any check fails; else ``robust`` (warnings listed).

The rules live in ``_robustness_rules`` and the reproduce line in ``_robustness_command`` (to keep
modules short); their public names are re-exported here: import them from this module.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from alphaforge.analytics.metrics import Metrics, compute_metrics, infer_periods_per_year
from alphaforge.analytics.robustness_report import RobustnessPage, robustness_html
from alphaforge.core.suggest import did_you_mean
from alphaforge.domain.errors import InvalidValueError
from alphaforge.research.backends import Backend, get_backend
from alphaforge.research.montecarlo import MonteCarloResult, bootstrap_returns
from alphaforge.research.optimization import OptimizationResult, optimize
from alphaforge.research.walkforward import WalkForwardResult, walk_forward
from alphaforge.runtime._robustness_command import SETTINGS, reproduce
from alphaforge.runtime._robustness_rules import (
    GRADES,
    Check,
    Evidence,
    Thresholds,
    grade_of,
    judge,
    verdict_lines,
)
from alphaforge.runtime.objective import Mode, StrategyObjective
from alphaforge.runtime.stress import StressResult, stress_test
from alphaforge.runtime.walkforward import buy_and_hold, run_bars, strategy_windows
from alphaforge.strategies.registry import get_strategy
from alphaforge.strategies.space import Dimension, grid_size, parse_dimension

__all__ = [
    "GRADES",
    "Check",
    "Evidence",
    "RobustnessReport",
    "Thresholds",
    "grade_of",
    "judge",
    "reproduce",
    "robustness",
    "verdict_lines",
]

#: ``progress(stage, done, total)``; stages: walk-forward, full-period search, stress test,
#: monte carlo.
Progress = Callable[[str, int, int], None]


# ------------------------------------------------------------------ the report


@dataclass(frozen=True)
class RobustnessReport:
    """Everything :func:`robustness` ran, the figures its rules read and the verdict.

    ``walkforward``: the walk-forward (OOS curve, windows, efficiency, overfitting, parameter
    stability); ``benchmark``: buy & hold over the OOS stamps; ``full``: the full-period
    search (landscape, DSR, PBO); ``montecarlo``: the bootstrap of the OOS returns; ``stress``:
    the stress table, run with ``stress_params`` (``stress_source`` says whose they are).
    ``command`` reproduces every figure.
    """

    strategy: str
    settings: Mapping[str, Any]
    command: str
    walkforward: WalkForwardResult
    benchmark: pd.Series
    benchmark_metrics: Metrics
    full: OptimizationResult
    montecarlo: MonteCarloResult
    stress: StressResult
    stress_params: Mapping[str, Any]
    stress_source: str
    evidence: Evidence
    thresholds: Thresholds
    checks: tuple[Check, ...]
    grade: str
    verdict: list[str]
    period: tuple[pd.Timestamp, pd.Timestamp]
    seconds: float

    @property
    def heatmap_axes(self) -> tuple[str, ...]:
        """The (one or two) parameters the landscape is drawn over."""
        return tuple(self.settings["heatmap"])

    def checks_table(self) -> pd.DataFrame:
        """One row per check: status, name, kind, value, rule, reason."""
        return pd.DataFrame([asdict(c) for c in self.checks])

    def to_dict(self) -> dict[str, Any]:
        """Everything JSON-able (NaN as None): settings, command, verdict, every part."""
        mc = {**self.montecarlo.to_dict(), "prob_loss": self.evidence.prob_loss}
        out: dict[str, Any] = _json({
            "strategy": self.strategy, "grade": self.grade, "verdict": self.verdict,
            "checks": [asdict(c) for c in self.checks], "evidence": asdict(self.evidence),
            "thresholds": asdict(self.thresholds), "settings": dict(self.settings),
            "command": self.command, "period": [s.isoformat() for s in self.period],
            "seconds": round(self.seconds, 3), "walkforward": self.walkforward.to_dict(),
            "buy_and_hold": self.benchmark_metrics.to_dict(), "full_period": self.full.summary(),
            "montecarlo": mc, "stress": {**self.stress.to_dict(), "source": self.stress_source},
            "stress_params": dict(self.stress_params),
        })  # fmt: skip
        return out

    def page(self) -> RobustnessPage:
        """What the page shows, as plain data (``analytics.robustness_report``)."""
        return _page(self)

    def html(self) -> str:
        """The self-contained page: verdict, evidence, reproduce command (plotly.js inline)."""
        return robustness_html(self.page())

    def write(self, out: str | Path) -> dict[str, Path]:
        """Write ``robustness.html`` and ``robustness.json`` into ``out``; return their paths."""
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {"html": folder / "robustness.html", "json": folder / "robustness.json"}
        paths["html"].write_text(self.html(), encoding="utf-8")
        text = json.dumps(self.to_dict(), indent=2, allow_nan=False, default=str)
        paths["json"].write_text(text + "\n", encoding="utf-8")
        return paths


def _json(value: Any) -> Any:
    """Strict JSON: NaN and infinities to None, NumPy scalars and stamps to plain values."""
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, pd.Timestamp | pd.Timedelta):
        return str(value)
    return value


# ------------------------------------------------------------------ the run


@dataclass(frozen=True)
class _Plan:
    """The checked inputs of one robustness run."""

    objective: StrategyObjective
    space: dict[str, Dimension]
    settings: dict[str, Any]
    extra: dict[str, Any]
    thresholds: Thresholds


def _space(strategy: str, given: Mapping[str, Dimension | str] | None) -> dict[str, Dimension]:
    """The strategy's declared space with ``given`` dimensions added or replacing."""
    kind = get_strategy(strategy)
    space: dict[str, Dimension] = dict(kind.search_space)
    for name, dim in (given or {}).items():
        space[name] = parse_dimension(name, dim) if isinstance(dim, str) else dim
    known = list(kind.Params.model_fields)
    unknown = [n for n in space if n not in known]
    if unknown:
        raise InvalidValueError(
            f"{strategy} has no parameter {unknown[0]!r}{did_you_mean(unknown[0], known)}"
        )
    if not space:
        raise InvalidValueError(f"{strategy} declares no search space; pass space={{...}}")
    return space


def _axes(space: Mapping[str, Dimension], heatmap: Sequence[str] | None) -> list[str]:
    axes = list(heatmap) if heatmap else list(space)[:2]
    if not 1 <= len(axes) <= 2 or any(a not in space for a in axes):
        raise InvalidValueError(
            f"heatmap takes one or two parameters of the space {list(space)}, got {axes}"
        )
    return axes


def _full_method(space: Mapping[str, Dimension], method: str, cap: int) -> str:
    if method == "grid":
        return "grid"
    try:
        size = grid_size(space)
    except InvalidValueError:  # a continuous dimension: no grid
        return method
    return "grid" if size <= cap else method


def _check(values: Mapping[str, Any]) -> None:
    if values["stress_params"] not in ("last", "full"):
        raise InvalidValueError(
            f"stress_params must be 'last' (the last window's choice) or 'full' (the full-period "
            f"optimum), got {values['stress_params']!r}"
        )
    if values["mc_method"] not in ("iid", "block", "stationary"):
        raise InvalidValueError(
            f"mc_method must be iid, block or stationary, got {values['mc_method']!r}"
        )
    for name in ("windows", "mc_paths", "full_grid_max"):
        value = values[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidValueError(f"{name} must be a whole number >= 1, got {value!r}")


@contextmanager
def _runner(backend: Backend | str | None) -> Iterator[Backend]:
    if isinstance(backend, Backend):
        yield backend
        return
    with get_backend(backend or "process") as own:
        yield own


def _stage(progress: Progress | None, name: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None

    def report(done: int, total: int) -> None:
        progress(name, done, total)

    return report


def robustness(
    strategy: str,
    data: str | Sequence[str] | None = None,
    *,
    space: Mapping[str, Dimension | str] | None = None,
    params: Mapping[str, Any] | None = None,
    method: str = "tpe",
    n_trials: int | None = 100,
    windows: int = 6,
    train: int | float | str = 0.75,
    test: int | str | None = None,
    scheme: Literal["rolling", "anchored"] = "rolling",
    purge: int = 0,
    embargo: int = 0,
    metric: str = "sharpe_ratio",
    constraints: Sequence[str] = (),
    mc_paths: int = 10_000,
    mc_method: str = "block",
    shock_at: str | None = None,
    stress_params: Literal["last", "full"] = "last",
    heatmap: Sequence[str] | None = None,
    full_grid_max: int = 2_500,
    thresholds: Thresholds | None = None,
    symbols: Sequence[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    mode: Mode = "auto",
    seed: int = 0,
    backend: Backend | str | None = None,
    out: str | Path | None = None,
    progress: Progress | None = None,
    **settings: Any,
) -> RobustnessReport:
    """Walk forward, search the full period, bootstrap the OOS returns, stress the chosen set
    and judge (module docstring); ``out``: also write the page and JSON there.

    ``space``: dimensions added to or replacing the strategy's declared space (``Dimension``
    objects or ``"5:100:5"`` strings); ``params``: fixed parameters; ``method``/``n_trials``/
    ``metric``/``constraints``: each window's search (``n_trials`` per window; a grid runs all
    its points); ``windows``/``train``/``test``/``scheme``/``purge``/``embargo``: as
    ``walk_forward_windows``; ``mc_paths``/``mc_method``: the bootstrap; ``shock_at``: the
    stress test's shock bar; ``heatmap``: the landscape's parameters (default: the first two of
    the space); ``full_grid_max``: the full-period search is a grid up to this many points;
    ``thresholds``: the verdict's lines (and the Monte Carlo ruin level); ``backend``: a
    ``Backend`` (not closed) or its name (results are the same on every backend);
    ``progress(stage, done, total)``; ``settings``: backtest settings (``commission_bps`` ...)
    of every run.
    """
    began = time.perf_counter()
    plan = _plan(strategy, data, locals(), settings)
    with _runner(backend) as runner:
        wf = _walk(plan, runner, progress)
        full = _full(plan, runner, progress)
        chosen, source = _stress_choice(plan, wf, full)
        if progress:
            progress("stress test", 0, 1)
        stress = _stress(plan, chosen, runner)
    report = _assemble(plan, (wf, full, stress), chosen, source, progress, began)
    if out is not None:
        report.write(out)
    return report


#: ``robustness`` under the name ``alphaforge.runtime`` exports (see that package's docstring).
run_robustness = robustness


def _plan(
    strategy: str, data: str | Sequence[str] | None, given: Mapping[str, Any], extra: dict[str, Any]
) -> _Plan:
    _check(given)
    objective = StrategyObjective(
        strategy, data=data if data is None or isinstance(data, str) else tuple(data),
        symbols=tuple(given["symbols"]) if given["symbols"] else None, start=given["start"],
        end=given["end"], fixed=dict(given["params"] or {}), settings=dict(extra),
        mode=given["mode"],
    )  # fmt: skip
    space = _space(strategy, given["space"])
    settings: dict[str, Any] = {k: given[k] for k in SETTINGS}
    if settings["method"] == "grid":  # a grid runs every point: a trial count means nothing
        settings["n_trials"] = None
    settings.update(
        strategy=strategy, data=objective.data, symbols=objective.symbols,
        params=dict(objective.fixed), space={k: str(v) for k, v in space.items()},
        constraints=list(given["constraints"]), heatmap=_axes(space, given["heatmap"]),
        full_method=_full_method(space, given["method"], given["full_grid_max"]),
        backtest=dict(extra),
    )  # fmt: skip
    return _Plan(objective, space, settings, dict(extra), given["thresholds"] or Thresholds())


def _walk(plan: _Plan, runner: Backend, progress: Progress | None) -> WalkForwardResult:
    s = plan.settings
    spans = strategy_windows(
        plan.objective, n_windows=s["windows"], train=s["train"], test=s["test"],
        scheme=s["scheme"], purge=s["purge"], embargo=s["embargo"],
    )  # fmt: skip
    return walk_forward(
        plan.objective, plan.space, spans, method=s["method"], n_trials=s["n_trials"],
        metric=s["metric"], constraints=s["constraints"], seed=s["seed"], backend=runner,
        progress=_stage(progress, "walk-forward"),
    )  # fmt: skip


def _full(plan: _Plan, runner: Backend, progress: Progress | None) -> OptimizationResult:
    s = plan.settings
    grid = s["full_method"] == "grid"
    return optimize(
        plan.objective, plan.space, method=s["full_method"],
        n_trials=None if grid else s["n_trials"], metric=s["metric"],
        constraints=s["constraints"], seed=s["seed"], backend=runner,
        progress=_stage(progress, "full-period search"),
    )  # fmt: skip


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _stress_choice(
    plan: _Plan, wf: WalkForwardResult, full: OptimizationResult
) -> tuple[dict[str, Any], str]:
    """The parameters to stress and whose they are."""
    last, span = wf.studies[-1].best_params, wf.spans[-1]
    if plan.settings["stress_params"] == "last" and last is not None:
        source = (f"the last window's choice (window {span.number}, trained "
                  f"{span.train_start:%Y-%m-%d} .. {span.train_end:%Y-%m-%d}): what one would "
                  "trade next")  # fmt: skip
        return {k: _plain(v) for k, v in last.items()}, source
    if full.best_params is not None:
        why = ""
        if plan.settings["stress_params"] == "last":
            why = " (the last window had no set meeting the constraints)"
        return dict(full.best_params), f"the full-period optimum{why}"
    return {}, "the strategy's defaults (no set met the constraints)"


def _stress(plan: _Plan, chosen: Mapping[str, Any], runner: Backend) -> StressResult:
    o = plan.objective
    data: Any = list(o.data) if isinstance(o.data, tuple) else o.data
    kwargs: dict[str, Any] = {k: v for k, v in (("start", o.start), ("end", o.end)) if v}
    if o.symbols:
        kwargs["symbols"] = list(o.symbols)
    return stress_test(
        o.strategy, data, params={**o.fixed, **chosen}, shock_at=plan.settings["shock_at"],
        backend=runner, **kwargs, **plan.extra,
    )  # fmt: skip


def _assemble(
    plan: _Plan,
    parts: tuple[WalkForwardResult, OptimizationResult, StressResult],
    chosen: dict[str, Any],
    source: str,
    progress: Progress | None,
    began: float,
) -> RobustnessReport:
    (wf, full, stress), s, t = parts, plan.settings, plan.thresholds
    if progress:
        progress("monte carlo", 0, 1)
    bench = buy_and_hold(plan.objective, pd.DatetimeIndex(wf.oos_equity.index))
    mc = bootstrap_returns(
        wf.oos_returns, s["mc_paths"], method=s["mc_method"], seed=s["seed"], ruin=t.ruin,
        periods_per_year=float(infer_periods_per_year(wf.oos_equity.index)),
    )  # fmt: skip
    bench_metrics = compute_metrics(bench)
    evidence = _evidence(wf, bench_metrics, full, mc, stress, t)
    checks = judge(evidence, t)
    bars = run_bars(plan.objective)
    return RobustnessReport(
        strategy=plan.objective.strategy, command=reproduce(s, t), walkforward=wf,
        settings={**s, "data_label": stress.data, "thresholds": asdict(t)},
        benchmark=bench, benchmark_metrics=bench_metrics, full=full, montecarlo=mc,
        stress=stress, stress_params=chosen, stress_source=source, evidence=evidence,
        thresholds=t, checks=checks, grade=grade_of(checks), verdict=verdict_lines(checks),
        period=(bars[0], bars[-1]), seconds=time.perf_counter() - began,
    )  # fmt: skip


def _worst(stress: StressResult) -> tuple[float, str]:
    """The deepest max drawdown of any stress row and its scenario."""
    drawdowns = pd.to_numeric(stress.table["max_drawdown"], errors="coerce").to_numpy(float)
    if not np.isfinite(drawdowns).any():
        return math.nan, ""
    k = int(np.nanargmin(drawdowns))
    return float(drawdowns[k]), str(stress.table["scenario"].iloc[k])


def _evidence(
    wf: WalkForwardResult,
    bench: Metrics,
    full: OptimizationResult,
    mc: MonteCarloResult,
    stress: StressResult,
    t: Thresholds,
) -> Evidence:
    wf_report, full_report = wf.overfitting, full.overfitting
    pbo = None if full_report is None else full_report.pbo
    stability = wf.parameter_stability
    steps = stability["relative_step"] if "relative_step" in stability else pd.Series(dtype=float)
    worst, scenario = _worst(stress)
    return Evidence(
        oos_sharpe=float(wf.oos_metrics.sharpe_ratio),
        oos_psr=math.nan if wf_report is None else wf_report.psr,
        benchmark_sharpe=float(bench.sharpe_ratio), wfe=float(wf.efficiency["sharpe_ratio"]),
        dsr=math.nan if full_report is None else full_report.dsr,
        pbo=math.nan if pbo is None else pbo.pbo,
        prob_loss=float((mc.paths["final_return"].to_numpy() < 0).mean()),
        prob_ruin=mc.prob_ruin(t.ruin), worst_drawdown=worst, worst_scenario=scenario,
        relative_steps={str(k): float(v) for k, v in steps.items() if pd.notna(v)},
        change_shares={str(k): float(v) for k, v in stability["change_share"].items()},
        n_windows=len(wf.spans), n_trials=0 if full_report is None else full_report.n_trials,
    )  # fmt: skip


# ------------------------------------------------------------------ the page's data


def _page(r: RobustnessReport) -> RobustnessPage:
    wf, s, mc = r.walkforward, r.settings, r.montecarlo
    full_report = r.full.overfitting
    headers, rows, notes = r.stress.display()
    metrics = (("in-sample (train runs, chained)", wf.is_metrics),
               ("out-of-sample (stitched)", wf.oos_metrics),
               ("buy & hold (OOS bars)", r.benchmark_metrics))  # fmt: skip
    search = f"{s['method']}, {wf.total_trials:,} trials in {len(wf.spans)} {s['scheme']} windows"
    facts = {"method": mc.method, "block": mc.block, "paths": mc.n_paths, "seed": mc.seed,
             "prob_loss": r.evidence.prob_loss, "prob_ruin": r.evidence.prob_ruin,
             "ruin": r.thresholds.ruin}  # fmt: skip
    return RobustnessPage(
        strategy=r.strategy, data=str(s["data_label"]), period=r.period, command=r.command,
        grade=r.grade, verdict=r.verdict, checks=r.checks_table(), oos_equity=wf.oos_equity,
        benchmark=r.benchmark, metrics=metrics, efficiency=dict(wf.efficiency),
        windows=wf.windows, params=list(s["space"]), metric=wf.metric, search=search,
        bands=mc.bands, mc_summary=mc.summary(), mc_facts=facts,
        stress_title=r.stress.title().replace("**", ""), stress_source=r.stress_source,
        stress_headers=headers, stress_rows=rows, stress_notes=notes, landscape=r.full.table,
        landscape_method=f"{r.full.method}, {r.full.n_trials:,} trials", axes=r.heatmap_axes,
        full_best=r.full.best_params or {}, stability=wf.parameter_stability,
        overfitting_full=None if full_report is None else full_report.to_dict(),
        overfitting_oos=None if wf.overfitting is None else wf.overfitting.to_dict(),
        window_pbo=[float(v) for v in wf.windows["pbo"]],
    )  # fmt: skip
