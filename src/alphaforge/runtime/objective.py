"""``StrategyObjective``: one strategy on fixed data, period and settings, as an optimizer's
objective (``alphaforge.research.optimization``): parameter set in, metrics out.

>>> objective = StrategyObjective("sma_cross", data="spx_daily", end="2012-12-31")
>>> objective({"fast": 20, "slow": 100}).metrics["sharpe_ratio"]

``mode="auto"`` (default) runs a built-in strategy that has a vector twin (``sma_cross``,
``rsi_reversion``, ``buy_and_hold``) on the vector engine, whose fills equal the event
engine's, when the settings allow it; everything else on the event engine. With the vector
engine a parameter set costs well under a millisecond on 5,000 daily bars and reports
``FAST_METRICS``; the event engine reports every ``Metrics`` figure.

The objective is a small frozen dataclass, so a process pool or Ray ships it cheaply; each
worker prepares the data once (on its first call) and reuses it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal

import numpy as np
import pandas as pd

from alphaforge.analytics.metrics import infer_periods_per_year
from alphaforge.domain.errors import InvalidValueError
from alphaforge.research.trials import Trial, moments_of, return_metrics
from alphaforge.runtime._vector import vector_options, vector_unsupported
from alphaforge.runtime._wiring import instruments_of
from alphaforge.runtime.driver import PreparedBacktest, prepare_backtest
from alphaforge.strategies.registry import get_strategy

__all__ = ["Mode", "StrategyObjective"]

Mode = Literal["auto", "event", "vector"]


@dataclass(frozen=True)
class StrategyObjective:
    """Runs ``strategy`` with ``fixed`` parameters updated by each set it is called with.

    ``data``/``symbols``/``start``/``end`` and ``settings`` (any other ``backtest`` keyword:
    ``commission_bps``, ``fill``, ``allow_short`` ...) are fixed for the whole study.
    ``n_splits``: slices of the run whose return moments each trial reports (for PBO).
    """

    strategy: str
    data: str | tuple[str, ...] | None = None
    symbols: tuple[str, ...] | None = None
    start: str | None = None
    end: str | None = None
    fixed: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    mode: Mode = "auto"
    n_splits: int = 16
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in ("auto", "event", "vector"):
            raise InvalidValueError(f"mode must be 'auto', 'event' or 'vector', got {self.mode!r}")
        if self.n_splits < 2 or self.n_splits % 2:
            raise InvalidValueError(f"n_splits must be even and >= 2, got {self.n_splits}")
        get_strategy(self.strategy)  # an unknown name fails here, with a suggestion

    def __getstate__(self) -> dict[str, Any]:
        state = {f.name: getattr(self, f.name) for f in fields(self)}
        state["_cache"] = {}  # prepared data stays in the process that built it
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def with_period(self, start: str | None, end: str | None) -> StrategyObjective:
        """The same objective over another period (a walk-forward window)."""
        return StrategyObjective(
            self.strategy, self.data, self.symbols, start, end, dict(self.fixed),
            dict(self.settings), self.mode, self.n_splits,
        )  # fmt: skip

    def describe(self) -> dict[str, Any]:
        """Strategy, data, period, fixed parameters, settings and engine: a study's identity."""
        return {
            "strategy": self.strategy,
            "data": self.data,
            "symbols": self.symbols,
            "start": self.start,
            "end": self.end,
            "fixed": dict(self.fixed),
            "settings": dict(self.settings),
            "mode": self.mode,
            "engine": self.engine,
            "n_splits": self.n_splits,
        }

    # -- preparation (once per process) --------------------------------------------------
    def prepared(self) -> PreparedBacktest:
        """The resolved run (strategy at its fixed parameters, series, settings)."""
        found = self._cache.get("prepared")
        if found is None:
            data: Any = list(self.data) if isinstance(self.data, tuple) else self.data
            found = prepare_backtest(
                self.strategy,
                data,
                params=dict(self.fixed),
                symbols=list(self.symbols) if self.symbols else None,
                start=self.start,
                end=self.end,
                **dict(self.settings),
            )
            self._cache["prepared"] = found
        return found

    @property
    def engine(self) -> str:
        """``"vector"`` or ``"event"``: what this objective runs on."""
        found = self._cache.get("engine")
        if found is None:
            found = self._choose_engine()
            self._cache["engine"] = found
        return str(found)

    def _choose_engine(self) -> str:
        if self.mode == "event":
            return "event"
        missing = vector_unsupported(self.prepared())
        if self.mode == "vector" and missing:
            raise InvalidValueError(
                f"mode='vector' does not model {', '.join(missing)}; use mode='event' or 'auto'"
            )
        return "event" if missing else "vector"

    def _evaluator(self) -> Any:
        found = self._cache.get("evaluator")
        if found is None:
            from alphaforge.research.bridge import VectorEvaluator  # noqa: PLC0415

            run = self.prepared()
            found = VectorEvaluator(
                self.strategy,
                run.series,
                instruments_of(run.series, run.settings.fractional),
                **vector_options(run),
            )
            self._cache["evaluator"] = found
            self._cache["ppy"] = float(infer_periods_per_year(found.index))
        return found

    # -- evaluation ----------------------------------------------------------------------
    def _params(self, params: Mapping[str, Any]) -> dict[str, Any] | str:
        """The full parameter set, or why the strategy refuses it."""
        merged = {**self.fixed, **params}
        try:
            kind = get_strategy(self.strategy)
            return kind.parse_params(merged).model_dump()
        except InvalidValueError as exc:
            return str(exc)

    def __call__(self, params: Mapping[str, Any]) -> Trial:
        """Run one parameter set; a set the strategy refuses comes back with ``error``."""
        t0 = time.perf_counter()
        full = self._params(params)
        if isinstance(full, str):
            return Trial(dict(params), error=full)
        if self.engine == "vector":
            evaluator = self._evaluator()
            equity, entries = evaluator.equity(full)
            metrics = return_metrics(equity, self._cache["ppy"], entries)
            returns = _returns(equity)
        else:
            result = self._event(full)
            metrics = _numbers(result.metrics.to_dict())
            returns = _returns(result.equity["equity"].to_numpy(dtype=np.float64))
        moments = moments_of(returns, self.n_splits)
        return Trial(dict(params), metrics, moments, None, time.perf_counter() - t0)

    def _event(self, full: Mapping[str, Any]) -> Any:
        run = self.prepared()
        kind = type(run.strategy)
        return run.with_strategy(kind(full)).run("event")

    def returns(self, params: Mapping[str, Any]) -> pd.Series:
        """Per-bar returns of one set, indexed by bar time (the first bar has none)."""
        full = self._params(params)
        if isinstance(full, str):
            raise InvalidValueError(f"{self.strategy} refuses {dict(params)}: {full}")
        if self.engine == "vector":
            evaluator = self._evaluator()
            equity, _ = evaluator.equity(full)
            index = evaluator.index
        else:
            frame = self._event(full).equity
            equity, index = frame["equity"].to_numpy(dtype=np.float64), frame.index
        return pd.Series(_returns(equity), index=index[1:], name="returns")

    def run(self, params: Mapping[str, Any]) -> Any:
        """The full ``BacktestResult`` of one set (event engine), for reports."""
        full = self._params(params)
        if isinstance(full, str):
            raise InvalidValueError(f"{self.strategy} refuses {dict(params)}: {full}")
        return self._event(full)


def _returns(equity: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(equity[1:] / equity[:-1] - 1.0, dtype=np.float64)


def _numbers(figures: Mapping[str, Any]) -> dict[str, float]:
    """The numeric figures of ``Metrics.to_dict()`` (None -> NaN; dates and maps left out)."""
    out: dict[str, float] = {}
    for name, value in figures.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            out[name] = float(value)
        elif value is None and name not in _NOT_NUMBERS:
            out[name] = math.nan
    return out


_NOT_NUMBERS: Sequence[str] = (
    "start",
    "end",
    "max_drawdown_peak",
    "max_drawdown_trough",
    "max_drawdown_recovery",
    "max_drawdown_duration",
    "longest_drawdown_peak",
    "longest_drawdown_recovery",
    "average_holding_time",
)
