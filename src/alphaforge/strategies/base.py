"""The strategy API: what a strategy may see and do, and nothing more.

A strategy is a class with typed parameters and callbacks. It sees the market only through a
``StrategyContext`` (history up to *now*, indicators revealed bar by bar, a read-only portfolio)
and acts only by submitting ``OrderIntent`` objects, which the risk engine approves or denies.
It never imports execution, brokers, runtime or store (an import-linter contract), so the same
class runs unchanged in backtest, paper and live::

    class SmaCross(Strategy):
        class Params(StrategyParams):
            fast: int = Field(10, ge=1)
            slow: int = Field(30, ge=2)

        def on_start(self, ctx: StrategyContext) -> None:
            self.fast = ctx.indicator("sma", period=self.params.fast)
            self.slow = ctx.indicator("sma", period=self.params.slow)

        def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
            if self.slow.ready:
                ctx.target_percent(bar.symbol, 1.0 if self.fast.value > self.slow.value else 0.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from alphaforge.core.suggest import did_you_mean
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.events import Event
from alphaforge.domain.fills import Fill
from alphaforge.domain.market import Bar, TradeTick
from alphaforge.strategies.context import StrategyContext
from alphaforge.strategies.space import Dimension

__all__ = ["LONG_SHORT_ACCOUNT", "Strategy", "StrategyParams", "Universe"]

Universe = Literal["single", "multi"]
"""How a strategy uses its symbols: ``single`` trades each on its own signal (``compare`` runs it
on one asset at a time); ``multi`` decides across all of them at once (allocators, pairs,
baskets, hedged books) and needs at least ``min_symbols``."""


LONG_SHORT_ACCOUNT: Mapping[str, Any] = MappingProxyType(
    {"allow_short": True, "max_gross_leverage": 2.0, "borrow_rate": 0.005}
)
"""``run_defaults`` of a market-neutral book: shorting on, 2x gross, a 0.5 % a year stock-loan
fee (general collateral for large caps), margined as a Reg T account."""


class StrategyParams(BaseModel):
    """Base of a strategy's parameters: typed, validated, frozen; unknown names are refused.

    Subclass it inside your strategy as ``Params`` and declare fields with defaults and bounds
    (``pydantic.Field(10, ge=1, description=...)``); the descriptions become the help of
    ``alphaforge strategies show NAME``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class Strategy:
    """Base class of every strategy. Override the callbacks you need; all default to no-ops.

    Callbacks, in the order the kernel calls them:

    * ``on_start(ctx)``: once, before the first bar: declare indicators, read parameters.
    * ``on_bar(bar, ctx)``: each bar of each subscribed symbol and timeframe, in ``ts_event``
      order, after fills of earlier orders have been applied.
    * ``on_trade(trade, ctx)``: each public trade of a run with trade data (``TradeTick``:
      price, size, aggressor side), after resting orders have met it. Only called when
      overridden.
    * ``on_step(ctx)``: once per timestamp, after every bar of that time was seen: decide across
      all symbols at once here (portfolio rebalancing). Only called when overridden.
    * ``on_fill(fill, ctx)``: each fill of this strategy's orders.
    * ``on_event(event, ctx)``: order lifecycle news: denied by risk, rejected by the venue,
      canceled, expired.
    * ``on_stop(ctx)``: once, after the last bar.

    ``report()``, called after ``on_stop``, may return figures the strategy measured about itself
    (JSON-able: a market maker's spread capture and inventory); a backtest keeps them as
    ``strategy_report``.
    """

    Params: ClassVar[type[StrategyParams]] = StrategyParams
    name: ClassVar[str] = ""
    """Registry name (``sma_cross``); defaults to the class name in snake case."""
    universe: ClassVar[Universe] = "single"
    """``single`` or ``multi`` (see :data:`Universe`): tells ``compare`` how to give it data."""
    min_symbols: ClassVar[int] = 1
    """Fewest symbols it can trade (2 for a pair)."""
    needs: ClassVar[frozenset[str]] = frozenset({"close"})
    """Bar fields it reads; data without them (close-only sets lack high, low and volume) is
    not given to it by ``compare``, and ``backtest`` refuses it with a clear error."""
    default_data: ClassVar[tuple[str, ...]] = ()
    """Bundled datasets it was built for when it needs a particular set (the S&P 500 with the
    VIX, say); ``compare`` runs it on exactly these. Empty: any data with ``needs``."""
    run_defaults: ClassVar[Mapping[str, Any]] = MappingProxyType({})
    """Account settings it cannot work without, used where a run leaves them out (arguments
    win over these, these over the configuration). Keys: ``allow_short``,
    ``max_position_weight``, ``max_gross_leverage``, ``fractional``, ``borrow_rate``,
    ``cash_rate``, and for a strategy built for one venue and account size ``cash``,
    ``commission_bps``, ``maker_commission_bps``, ``queue_ahead``. A long-short pairs strategy
    sets ``allow_short`` and 2x leverage; the XRP/ETH market maker its account and Binance's
    fees."""
    search_space: ClassVar[Mapping[str, Dimension]] = MappingProxyType({})
    """Where an optimizer looks for each tunable parameter (``alphaforge.strategies.space``):
    ranges worth trying, narrower than what is valid. Parameters left out keep their value;
    ``alphaforge optimize --space`` adds or replaces dimensions."""
    _RUN_KEYS: ClassVar[frozenset[str]] = frozenset(
        {"allow_short", "max_position_weight", "max_gross_leverage", "fractional",
         "borrow_rate", "cash_rate", "cash", "commission_bps", "maker_commission_bps",
         "queue_ahead"}
    )  # fmt: skip

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        unknown = set(cls.run_defaults) - Strategy._RUN_KEYS
        if unknown:
            raise InvalidValueError(
                f"{cls.__name__}.run_defaults has unknown keys {sorted(unknown)} "
                f"(allowed: {', '.join(sorted(Strategy._RUN_KEYS))})"
            )

    def __init__(self, params: StrategyParams | Mapping[str, Any] | None = None, **kwargs: Any):
        """Validate parameters given as a ``Params`` object, a mapping, or keyword arguments."""
        self.params = self.parse_params(params, **kwargs)

    @classmethod
    def parse_params(
        cls, params: StrategyParams | Mapping[str, Any] | None = None, **kwargs: Any
    ) -> StrategyParams:
        """Return validated parameters; an unknown name gets a "did you mean" hint."""
        if isinstance(params, StrategyParams):
            if kwargs:
                raise InvalidValueError("pass parameters as a Params object or by name, not both")
            if not isinstance(params, cls.Params):
                raise InvalidValueError(
                    f"{cls.strategy_name()} expects {cls.Params.__name__}, got "
                    f"{type(params).__name__}"
                )
            return params
        values = {**(params or {}), **kwargs}
        known = list(cls.Params.model_fields)
        for key in values:
            if key not in cls.Params.model_fields:
                listing = ", ".join(known) or "none"
                raise InvalidValueError(
                    f"{cls.strategy_name()} has no parameter {key!r} (it takes {listing})"
                    f"{did_you_mean(key, known)}"
                )
        try:
            return cls.Params(**values)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InvalidValueError(
                f"{cls.strategy_name()} parameter {where}={first.get('input')!r}: {first['msg']}"
            ) from None

    @classmethod
    def strategy_name(cls) -> str:
        """The registry name: ``name`` if set, else the class name in snake case."""
        if cls.name:
            return cls.name
        out = []
        for i, ch in enumerate(cls.__name__):
            if ch.isupper() and i and not cls.__name__[i - 1].isupper():
                out.append("_")
            out.append(ch.lower())
        return "".join(out)

    # ------------------------------------------------------------------ callbacks

    def on_start(self, ctx: StrategyContext) -> None:
        """Called once before the first bar: declare indicators here."""

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        """Called for each bar, after earlier orders' fills were applied."""

    def on_trade(self, trade: TradeTick, ctx: StrategyContext) -> None:
        """Called for each public trade (runs with trade data), after orders have met it."""

    def on_step(self, ctx: StrategyContext) -> None:
        """Called once per timestamp after all of its bars: the place for cross-asset decisions."""

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> None:
        """Called for each fill of this strategy's orders."""

    def on_event(self, event: Event, ctx: StrategyContext) -> None:
        """Called when an order is denied, rejected, canceled or expires."""

    def on_stop(self, ctx: StrategyContext) -> None:
        """Called once after the last bar."""

    def report(self) -> Mapping[str, Any] | None:
        """Return figures about the run for the result (JSON-able), or None (the default)."""
        return None

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.model_dump().items())
        return f"{type(self).__name__}({args})"
