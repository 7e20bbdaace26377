"""The delaying wrapper behind ``entry_delays`` (private; re-exported by
``alphaforge.runtime.montecarlo``).

:class:`DelayedStrategy` (and :class:`DelayedTickStrategy` for strategies that trade on public
trades) runs any strategy on a stand-in context, :class:`DelayContext`, that holds each order
decision back for a random number of steps; :class:`DelayedParams` names the inner strategy
(:func:`strategy_spec`) so that a process pool can ship it.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field

from alphaforge.domain.errors import InvalidValueError
from alphaforge.strategies import Strategy, StrategyParams
from alphaforge.strategies._proxy import ForwardingContext
from alphaforge.strategies.registry import UnknownStrategyError, get_strategy

if TYPE_CHECKING:
    from alphaforge.domain.events import Event
    from alphaforge.domain.fills import Fill
    from alphaforge.domain.intents import OrderIntent
    from alphaforge.domain.market import Bar, TradeTick
    from alphaforge.strategies.context import StrategyContext

__all__ = [
    "DelayContext",
    "DelayedParams",
    "DelayedStrategy",
    "DelayedTickStrategy",
    "strategy_spec",
]


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


class DelayContext(ForwardingContext):
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
        super().__init__(ctx)
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

    # ------------------------------------------------------- reading (the rest: ForwardingContext)

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
