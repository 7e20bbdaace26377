"""Monte Carlo reruns of a strategy: costs shocked, order decisions delayed.

Resampling returns (``alphaforge.research.montecarlo``) keeps the strategy's trades as they
were. These reruns change what the strategy meets and run it again on the event engine:

* :func:`cost_shocks`: each run multiplies ``commission_bps`` and ``slippage_bps`` by factors
  drawn in given ranges (uniformly, or log-uniformly).
* :func:`entry_delays`: each run delays each order decision of the strategy by a random 0 to
  ``max_delay`` bars (:class:`DelayedStrategy`, which works for any strategy).

Both return a :class:`RerunResult`: one row per run, the unshocked baseline run, and a summary
with intervals. Runs go to a :class:`~alphaforge.research.backends.Backend` (default: a local
process pool); every random draw is fixed by ``seed`` before the runs are handed out, so the
result does not depend on the backend.

The delaying wrapper (:class:`DelayedStrategy`, :class:`DelayedTickStrategy`, their
:class:`DelayContext`) lives in ``_delays`` and is importable from here.

>>> shocked = cost_shocks("sma_cross", "spx_daily", params={"fast": 20, "slow": 100})
>>> shocked.summary()
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from alphaforge.domain.errors import InvalidValueError
from alphaforge.research.backends import Backend, get_backend, task_seeds
from alphaforge.research.montecarlo import STATISTICS, curve_stats, summarize
from alphaforge.runtime._delays import (
    DelayContext,
    DelayedParams,
    DelayedStrategy,
    DelayedTickStrategy,
    strategy_spec,
)
from alphaforge.runtime.driver import backtest
from alphaforge.strategies import Strategy
from alphaforge.strategies.registry import get_strategy

if TYPE_CHECKING:
    from alphaforge.runtime.inputs import DataLike
    from alphaforge.runtime.result import BacktestResult

__all__ = [
    "DelayContext",
    "DelayedParams",
    "DelayedStrategy",
    "DelayedTickStrategy",
    "RerunResult",
    "cost_shocks",
    "entry_delays",
    "strategy_spec",
]

Progress = Callable[[int, int], None]


# ---------------------------------------------------------------------- the reruns


@dataclass(frozen=True)
class RerunResult:
    """Reruns of a strategy under shocks: ``runs`` (one row each: what was drawn and
    :data:`~alphaforge.research.montecarlo.STATISTICS`), the ``baseline`` run's statistics,
    and what was varied (``settings``)."""

    kind: str
    runs: pd.DataFrame
    baseline: Mapping[str, float]
    seed: int
    settings: Mapping[str, Any] = field(default_factory=dict)

    def summary(self, ci: float = 0.90) -> pd.DataFrame:
        """Mean, median, ``ci`` interval, the baseline (``original``) and its percentile."""
        return summarize(self.runs, self.baseline, STATISTICS, ci)

    def to_dict(self, ci: float = 0.90) -> dict[str, Any]:
        """A JSON-able summary (non-finite numbers as None)."""
        summary = self.summary(ci).to_dict(orient="index")
        document: dict[str, Any] = _finite(
            {
                "kind": self.kind,
                "seed": self.seed,
                "n_runs": len(self.runs),
                "settings": dict(self.settings),
                "ci": ci,
                "baseline": dict(self.baseline),
                "summary": summary,
            }
        )
        return document


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _stats(result: BacktestResult) -> dict[str, float]:
    ppy = float(result.metrics.periods_per_year)
    out = curve_stats(result.equity["equity"].to_numpy(dtype=np.float64), ppy)
    out["trades"] = float(len(result.trades))
    return out


@dataclass(frozen=True)
class _CostRun:
    """One cost-shocked run (picklable: a process pool runs it)."""

    strategy: str | type[Strategy]
    data: Any
    params: dict[str, Any]
    kwargs: dict[str, Any]

    def __call__(self, item: tuple[float, float]) -> dict[str, float]:
        commission, slippage = item
        result = backtest(
            self.strategy,
            self.data,
            params=self.params,
            commission_bps=commission,
            slippage_bps=slippage,
            **self.kwargs,
        )
        return _stats(result)


@dataclass(frozen=True)
class _DelayRun:
    """One run with delayed decisions (picklable)."""

    wrapper: type[DelayedStrategy]
    spec: str
    data: Any
    params: dict[str, Any]
    max_delay: int
    kwargs: dict[str, Any]

    def __call__(self, seed: int) -> dict[str, float]:
        params = {"strategy": self.spec, "params": self.params, "max_delay": self.max_delay,
                  "seed": seed}  # fmt: skip
        result = backtest(self.wrapper, self.data, params=params, **self.kwargs)
        delays = result.strategy_report["entry_delays"]
        out = _stats(result)
        out.update(delayed=float(delays["delayed"]), mean_delay=float(delays["mean_delay"]),
                   dropped=float(delays["dropped"]))  # fmt: skip
        return out


def _resolve(
    strategy: str | type[Strategy] | Strategy, params: Mapping[str, Any] | None
) -> tuple[type[Strategy], dict[str, Any]]:
    """The strategy's class and validated parameters (as JSON values), picklable."""
    if isinstance(strategy, Strategy):
        if params:
            raise InvalidValueError("pass params to the strategy's constructor, not here")
        return type(strategy), strategy.params.model_dump(mode="json")
    cls = get_strategy(strategy) if isinstance(strategy, str) else strategy
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise InvalidValueError(
            f"strategy must be a name, a Strategy class or instance, got {cls!r}"
        )
    return cls, cls.parse_params(dict(params or {})).model_dump(mode="json")


def _check_runs(n_runs: int) -> None:
    if not isinstance(n_runs, int) or n_runs < 1:
        raise InvalidValueError(f"n_runs must be a whole number >= 1, got {n_runs!r}")


def _run_all(
    job: Callable[[Any], dict[str, float]],
    items: list[Any],
    backend: Backend | None,
    progress: Progress | None,
) -> pd.DataFrame:
    """``job`` over ``items`` on ``backend`` (None: a process pool, closed after)."""
    owned = backend is None
    runner = get_backend("process") if backend is None else backend
    try:
        rows = list(runner.map(job, items, progress=progress))
    finally:
        if owned:
            runner.close()
    return pd.DataFrame(rows).rename_axis("run")


def _factors(
    bounds: tuple[float, float], n: int, rng: np.random.Generator, log: bool, name: str
) -> np.ndarray:
    low, high = (float(b) for b in bounds)
    if not (math.isfinite(low) and math.isfinite(high) and 0 < low <= high):
        raise InvalidValueError(
            f"{name} factors must be a range (low, high) with 0 < low <= high, got {bounds!r}"
        )
    if log:
        return np.exp(rng.uniform(math.log(low), math.log(high), n))
    return rng.uniform(low, high, n)


def cost_shocks(
    strategy: str | type[Strategy] | Strategy,
    data: DataLike | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    n_runs: int = 100,
    commission: tuple[float, float] = (1.0, 3.0),
    slippage: tuple[float, float] = (1.0, 5.0),
    draw: Literal["uniform", "log_uniform"] = "uniform",
    seed: int = 0,
    backend: Backend | None = None,
    progress: Progress | None = None,
    **backtest_kwargs: Any,
) -> RerunResult:
    """Rerun ``strategy`` ``n_runs`` times with its costs multiplied by random factors.

    Each run multiplies the run's ``commission_bps`` and ``slippage_bps`` (the configured or
    given ones) by factors drawn in ``commission`` and ``slippage`` (``draw``: uniformly, or
    uniformly in log). A maker commission or rebate, if set, is left as it is. ``backtest_kwargs``
    go to every run (``alphaforge.backtest``). ``runs`` gains the ``commission_bps`` and
    ``slippage_bps`` used and their factors.
    """
    _check_runs(n_runs)
    if draw not in ("uniform", "log_uniform"):
        raise InvalidValueError(f"draw must be 'uniform' or 'log_uniform', got {draw!r}")
    cls, values = _resolve(strategy, params)
    base = backtest(cls, data, params=values, **backtest_kwargs)
    run = base.settings["backtest"]
    if not (run["commission_bps"] or run["slippage_bps"]):
        raise InvalidValueError(
            "cost shocks multiply the run's costs, and its commission_bps and slippage_bps are "
            "both 0; give commission_bps= or slippage_bps="
        )
    rng = np.random.default_rng(seed)
    f_c = _factors(commission, n_runs, rng, draw == "log_uniform", "commission")
    f_s = _factors(slippage, n_runs, rng, draw == "log_uniform", "slippage")
    bps = [
        (run["commission_bps"] * a, run["slippage_bps"] * b) for a, b in zip(f_c, f_s, strict=True)
    ]
    kwargs = {
        k: v for k, v in backtest_kwargs.items() if k not in ("commission_bps", "slippage_bps")
    }
    runs = _run_all(_CostRun(cls, data, values, kwargs), bps, backend, progress)
    factors = pd.DataFrame({"commission_factor": f_c, "slippage_factor": f_s,
                            "commission_bps": [c for c, _ in bps],
                            "slippage_bps": [s for _, s in bps]})  # fmt: skip
    settings = {
        "commission": list(commission),
        "slippage": list(slippage),
        "draw": draw,
        "commission_bps": run["commission_bps"],
        "slippage_bps": run["slippage_bps"],
    }
    return RerunResult("cost_shocks", pd.concat([factors, runs], axis=1).rename_axis("run"),
                       _stats(base), seed, settings)  # fmt: skip


def entry_delays(
    strategy: str | type[Strategy] | Strategy,
    data: DataLike | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    max_delay: int = 3,
    n_runs: int = 100,
    seed: int = 0,
    backend: Backend | None = None,
    progress: Progress | None = None,
    **backtest_kwargs: Any,
) -> RerunResult:
    """Rerun ``strategy`` ``n_runs`` times with each order decision delayed by a random 0 to
    ``max_delay`` bars (:class:`DelayedStrategy`; run ``i`` gets seed ``task_seeds(seed,
    n_runs)[i]``). The baseline is the strategy's own run. ``runs`` gains ``delayed`` (decisions
    held back), ``mean_delay`` (bars, over all decisions) and ``dropped`` (never sent)."""
    _check_runs(n_runs)
    if not isinstance(max_delay, int) or max_delay < 0:
        raise InvalidValueError(f"max_delay must be a whole number of bars >= 0, got {max_delay!r}")
    cls, values = _resolve(strategy, params)
    base = backtest(cls, data, params=values, **backtest_kwargs)
    kwargs = _own_settings(cls, base, backtest_kwargs)
    if data is None:
        data = list(cls.default_data) or "spx_daily"
    wrapper = DelayedTickStrategy if cls.on_trade is not Strategy.on_trade else DelayedStrategy
    job = _DelayRun(wrapper, strategy_spec(cls), data, values, max_delay, kwargs)
    seeds = [s % 2**63 for s in task_seeds(seed, n_runs)]
    runs = _run_all(job, seeds, backend, progress)
    runs.insert(0, "seed", seeds)
    return RerunResult("entry_delays", runs, _stats(base), seed, {"max_delay": max_delay})


def _own_settings(
    cls: type[Strategy], base: BacktestResult, kwargs: Mapping[str, Any]
) -> dict[str, Any]:
    """What the strategy's class gave its own run and the wrapper's class cannot: its
    ``run_defaults`` and the start its ``default_data`` implied."""
    out = dict(kwargs)
    for key, value in cls.run_defaults.items():
        out.setdefault(key, value)
    start = base.settings["backtest"].get("start")
    if start is not None:
        out.setdefault("start", start)
    return out
