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

>>> shocked = cost_shocks("sma_cross", "spx_daily", params={"fast": 20, "slow": 100})
>>> shocked.summary()
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from alphaforge.domain.errors import InvalidValueError
from alphaforge.research.backends import Backend, get_backend, task_seeds
from alphaforge.research.montecarlo import STATISTICS, curve_stats, summarize
from alphaforge.runtime.driver import backtest
from alphaforge.strategies import Strategy, StrategyParams
from alphaforge.strategies.registry import UnknownStrategyError, get_strategy

if TYPE_CHECKING:
    from datetime import datetime

    from alphaforge.domain.events import Event
    from alphaforge.domain.fills import Fill
    from alphaforge.domain.intents import OrderIntent
    from alphaforge.domain.market import Bar, TradeTick
    from alphaforge.portfolio import PortfolioView
    from alphaforge.runtime.inputs import DataLike
    from alphaforge.runtime.result import BacktestResult
    from alphaforge.strategies.context import IndicatorHandle, StrategyContext

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


# ---------------------------------------------------------------------- delayed decisions


@dataclass(slots=True)
class _Pending:
    """One queued decision: the context method to call, and when."""

    release: int
    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    ids: list[str]
    symbols: tuple[str, ...]
    key: tuple[Any, ...] | None


class DelayContext:
    """A ``StrategyContext`` that holds each order decision back for a random number of steps.

    Reads (``history``, ``indicator``, ``portfolio``, ``now``, ``symbols``) go to the real
    context, so the strategy sees the account as it is: the orders it decided have not reached
    it yet. Each decision (``submit``, ``order``, ``bracket``, ``protect``, ``cancel``, and a
    ``target_*`` call asking for something new) gets a delay ``k`` in ``0..max_delay`` steps
    (timestamps) from a seeded generator; ``k = 0`` with nothing queued goes straight through,
    the rest is released in the step ``k`` later, before the strategy's own ``on_step``.
    Decisions never overtake each other (a release step is at least the previous one's), so a
    stale target cannot replace a newer one. A ``target_*`` call that repeats the last target
    is upkeep, not a decision: dropped while that target is still queued, else passed on at
    once. A queued decision's id (``delayed-N``) stands for the real order's; fills and order
    events of released orders reach the strategy under it, and ``open_orders`` lists queued
    orders too. Decisions still queued when the data ends are dropped (counted).
    """

    def __init__(self, ctx: StrategyContext, rng: np.random.Generator, max_delay: int) -> None:
        self._ctx = ctx
        self._rng = rng
        self._max = max_delay
        self._queue: deque[_Pending] = deque()
        self._targets: dict[tuple[Any, ...], Any] = {}
        self._queued_keys: Counter[tuple[Any, ...]] = Counter()
        self._real: dict[str, str] = {}  # queued id -> real client order id
        self._alias: dict[str, str] = {}  # real client order id -> queued id
        self._step, self._last_ns, self._last_release, self._made = 0, -1, 0, 0
        self.counts: Counter[str] = Counter()
        """``decisions``, ``delayed`` (queued), ``delay_steps`` (their sum), ``dropped``."""

    # ------------------------------------------------------------------ reading

    @property
    def now_ns(self) -> int:
        """The real context's time (UTC nanoseconds)."""
        return self._ctx.now_ns

    @property
    def now(self) -> datetime:
        """The real context's time."""
        return self._ctx.now

    @property
    def symbols(self) -> Sequence[str]:
        """The run's symbols."""
        return self._ctx.symbols

    @property
    def portfolio(self) -> PortfolioView:
        """The real account (the delayed orders are not in it yet)."""
        return self._ctx.portfolio

    def history(
        self,
        symbol: str,
        field: str = "close",
        n: int | None = None,
        *,
        timeframe: str | None = None,
    ) -> np.ndarray:
        """The real history (read-only, up to now)."""
        return self._ctx.history(symbol, field, n, timeframe=timeframe)

    def indicator(
        self, name: str, *, symbol: str | None = None, timeframe: str | None = None, **params: Any
    ) -> IndicatorHandle:
        """A real indicator, declared on the real context."""
        return self._ctx.indicator(name, symbol=symbol, timeframe=timeframe, **params)

    def open_orders(self, symbol: str | None = None) -> Sequence[str]:
        """Working orders (under their queued ids where they have one), then queued ones."""
        out = [self._alias.get(i, i) for i in self._ctx.open_orders(symbol)]
        for pending in self._queue:
            if pending.method != "cancel" and (symbol is None or symbol in pending.symbols):
                out.extend(pending.ids)
        return out

    # ------------------------------------------------------------------ acting

    def submit(self, intent: OrderIntent) -> str:
        """Send ``intent`` now or later (see the class docstring); its id."""
        return str(self._decide("submit", (intent,), {}, (intent.symbol,), 1))

    def order(self, symbol: str, side: Any, quantity: float, **kwargs: Any) -> str:
        """Build and send an order now or later; its id."""
        return str(self._decide("order", (symbol, side, quantity), kwargs, (symbol,), 1))

    def bracket(self, symbol: str, side: Any, quantity: float, **kwargs: Any) -> list[str]:
        """An entry with exits, now or later; the ids, entry first."""
        count = 1 + _exits(kwargs)
        return list(self._decide("bracket", (symbol, side, quantity), kwargs, (symbol,), count))

    def protect(self, symbol: str, **kwargs: Any) -> list[str]:
        """Exits on the position, now or later (dropped if the position is gone by then)."""
        return list(self._decide("protect", (symbol,), kwargs, (symbol,), _exits(kwargs)))

    def cancel(self, client_order_id: str) -> None:
        """Cancel now or later (after the order it names, which was decided earlier)."""
        self._decide("cancel", (client_order_id,), {}, (), 0)

    def target_quantity(self, symbol: str, quantity: float, **kwargs: Any) -> str | None:
        """Trade towards ``quantity``, now or later (see the class docstring)."""
        value = (float(quantity), kwargs.get("order_type"), kwargs.get("limit_price"))
        key = ("quantity", symbol)
        made = self._target(key, value, "target_quantity", (symbol, quantity), kwargs, (symbol,))
        return None if made is None else str(made)

    def target_percent(self, symbol: str, percent: float, *, tag: str | None = None) -> str | None:
        """Trade towards ``percent`` of equity, now or later (see the class docstring)."""
        key = ("percent", symbol)
        args, kwargs = (symbol, percent), {"tag": tag}
        made = self._target(key, float(percent), "target_percent", args, kwargs, (symbol,))
        return None if made is None else str(made)

    def target_weights(self, weights: Mapping[str, float], *, tag: str | None = None) -> list[str]:
        """Rebalance to ``weights``, now or later; ids of the orders (one id while queued)."""
        value = tuple(sorted((s, float(w)) for s, w in weights.items()))
        args, symbols = (weights,), tuple(self._ctx.symbols)
        ids = self._target(("weights",), value, "target_weights", args, {"tag": tag}, symbols)
        if ids is None:
            return []
        return [ids] if isinstance(ids, str) else list(ids)

    # ------------------------------------------------------------------ the kernel's side

    def tick(self, now_ns: int) -> None:
        """Count a new step when the time moves on."""
        if now_ns != self._last_ns:
            self._last_ns = now_ns
            self._step += 1

    def release(self) -> None:
        """Send every queued decision that is due, in the order it was made."""
        while self._queue and self._queue[0].release <= self._step:
            pending = self._queue.popleft()
            if pending.key is not None:
                self._queued_keys[pending.key] -= 1
            self._map(pending.ids, self._send(pending))

    def finish(self) -> None:
        """The data ended: what is still queued never reaches the market."""
        self.counts["dropped"] += len(self._queue)
        self._queue.clear()

    def renamed(self, news: Any) -> Any:
        """A fill or order event under the id the strategy was given for its order."""
        alias = self._alias.get(getattr(news, "client_order_id", None) or "")
        return news if alias is None else dataclasses.replace(news, client_order_id=alias)

    # ------------------------------------------------------------------ internals

    def _target(
        self,
        key: tuple[Any, ...],
        value: Any,
        method: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        symbols: tuple[str, ...],
    ) -> Any:
        if key in self._targets and self._targets[key] == value:  # upkeep of a standing target
            return None if self._queued_keys[key] else self._call(method, args, kwargs)
        self._targets[key] = value
        return self._decide(method, args, kwargs, symbols, 1, key)

    def _decide(
        self,
        method: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        symbols: tuple[str, ...],
        n_ids: int,
        key: tuple[Any, ...] | None = None,
    ) -> Any:
        self.counts["decisions"] += 1
        delay = int(self._rng.integers(0, self._max + 1)) if self._max else 0
        if delay == 0 and not self._queue:
            return self._call(method, args, kwargs)
        release = max(self._step + delay, self._last_release)
        self._last_release = release
        ids = [self._next_id() for _ in range(n_ids)]
        self._queue.append(_Pending(release, method, args, kwargs, ids, symbols, key))
        if key is not None:
            self._queued_keys[key] += 1
        self.counts["delayed"] += 1
        self.counts["delay_steps"] += release - self._step
        if method in ("bracket", "protect"):
            return ids
        return ids[0] if ids else None

    def _send(self, pending: _Pending) -> Any:
        if pending.method == "cancel":
            (wanted,) = pending.args
            real = self._real.get(wanted, None if wanted.startswith("delayed-") else wanted)
            if real is not None:
                self._ctx.cancel(real)
            return None
        if pending.method == "protect" and not float(self._ctx.portfolio.quantity(pending.args[0])):
            self.counts["dropped"] += 1  # the position it guarded is gone
            return None
        return self._call(pending.method, pending.args, pending.kwargs)

    def _call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return getattr(self._ctx, method)(*args, **kwargs)

    def _map(self, ids: list[str], result: Any) -> None:
        real = [result] if isinstance(result, str) else list(result or [])
        for queued, actual in zip(ids, real, strict=False):
            self._real[queued] = actual
            self._alias[actual] = queued

    def _next_id(self) -> str:
        self._made += 1
        return f"delayed-{self._made}"


def _exits(kwargs: Mapping[str, Any]) -> int:
    """How many exit orders a bracket or protect call makes."""
    stop = kwargs.get("stop_loss") is not None or kwargs.get("trailing_offset") is not None
    return int(stop) + int(kwargs.get("take_profit") is not None)


def _strategy_class(spec: str) -> type[Strategy]:
    """A registered name, or ``package.module:Class`` for a strategy outside the registry."""
    if ":" not in spec:
        return get_strategy(spec)
    module, _, name = spec.partition(":")
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise InvalidValueError(f"cannot import strategy {spec!r}") from None
    if not (isinstance(found, type) and issubclass(found, Strategy)):
        raise InvalidValueError(f"{spec!r} is not a Strategy class")
    return found


def strategy_spec(strategy: str | type[Strategy]) -> str:
    """How :class:`DelayedParams` names ``strategy``: its registry name when it is the
    registered class, else ``module:Class``."""
    if isinstance(strategy, str):
        return strategy
    name = strategy.strategy_name()
    try:
        if get_strategy(name) is strategy:
            return name
    except UnknownStrategyError:
        pass
    return f"{strategy.__module__}:{strategy.__qualname__}"


class DelayedParams(StrategyParams):
    """Parameters of :class:`DelayedStrategy`: plain data, so a process pool can ship them."""

    strategy: str = Field(description="Registry name, or package.module:Class.")
    params: dict[str, Any] = Field(default_factory=dict, description="The strategy's parameters.")
    max_delay: int = Field(3, ge=0, description="Longest delay of a decision, in steps (bars).")
    seed: int = Field(0, ge=0, description="Seed of the delays.")


class DelayedStrategy(Strategy):
    """Run another strategy with each order decision delayed (see :class:`DelayContext`).

    ``max_delay=0`` reproduces the strategy's own run exactly. The strategy's ``run_defaults``
    and ``default_data`` are not this class's: :func:`entry_delays` passes them to the run.
    """

    name = "delayed_entries"
    Params = DelayedParams
    universe = "multi"

    def __init__(self, params: StrategyParams | Mapping[str, Any] | None = None, **kwargs: Any):
        """Validate the parameters and build the inner strategy."""
        super().__init__(params, **kwargs)
        p = self.params
        assert isinstance(p, DelayedParams)  # noqa: S101  # narrowing for mypy
        self.inner = _strategy_class(p.strategy)(p.params)
        self.needs = self.inner.needs  # type: ignore[misc]  # check_fit reads the instance's: the bar fields the run must carry are the inner's
        self.proxy: DelayContext | None = None

    def _proxy(self) -> DelayContext:
        if self.proxy is None:
            raise RuntimeError("on_start was not called")
        return self.proxy

    def on_start(self, ctx: StrategyContext) -> None:
        """Start the inner strategy on a fresh :class:`DelayContext`."""
        p = self.params
        assert isinstance(p, DelayedParams)  # noqa: S101
        self.proxy = DelayContext(ctx, np.random.default_rng(p.seed), p.max_delay)
        self.inner.on_start(self.proxy)

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        """The inner strategy's ``on_bar``."""
        proxy = self._proxy()
        proxy.tick(ctx.now_ns)
        self.inner.on_bar(bar, proxy)

    def on_step(self, ctx: StrategyContext) -> None:
        """Release due decisions, then the inner strategy's ``on_step``."""
        proxy = self._proxy()
        proxy.tick(ctx.now_ns)
        proxy.release()
        self.inner.on_step(proxy)

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> None:
        """The fill, under the id the inner strategy knows."""
        self.inner.on_fill(self._proxy().renamed(fill), self._proxy())

    def on_event(self, event: Event, ctx: StrategyContext) -> None:
        """The order event, under the id the inner strategy knows."""
        self.inner.on_event(self._proxy().renamed(event), self._proxy())

    def on_stop(self, ctx: StrategyContext) -> None:
        """Drop what is still queued; the inner strategy's ``on_stop``."""
        self._proxy().finish()
        self.inner.on_stop(self._proxy())

    def report(self) -> Mapping[str, Any] | None:
        """The inner strategy's report, with the delays: decisions, delayed, mean delay."""
        counts = self._proxy().counts
        delays = {
            "decisions": counts["decisions"],
            "delayed": counts["delayed"],
            "mean_delay": counts["delay_steps"] / counts["decisions"]
            if counts["decisions"]
            else 0.0,
            "dropped": counts["dropped"],
        }
        return {**(self.inner.report() or {}), "entry_delays": delays}


class DelayedTickStrategy(DelayedStrategy):
    """:class:`DelayedStrategy` for a strategy that trades on public trades (``on_trade``)."""

    name = "delayed_entries_ticks"

    def on_trade(self, trade: TradeTick, ctx: StrategyContext) -> None:
        """The inner strategy's ``on_trade``."""
        proxy = self._proxy()
        proxy.tick(ctx.now_ns)
        self.inner.on_trade(trade, proxy)


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
