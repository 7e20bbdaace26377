"""The kernel's implementation of ``StrategyContext``: history up to now, indicators, orders.

Everything a strategy reads is cut at the current event: ``history`` returns read-only copies
that end at the current bar of each stream (or the current trade of a trade stream: fields
``price``, ``size`` and ``side``, +1 for a buyer-initiated trade and -1 for a seller-initiated
one), indicator handles hold the value after the current bar (read from the series computed
once for the whole stream, or updated by the kernel before ``on_bar``), and the portfolio is a
``LedgerView``. Orders go to the kernel, which passes them to the risk engine.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, SupportsIndex

import numpy as np

from alphaforge.core.suggest import did_you_mean
from alphaforge.domain.enums import OrderSide, OrderType, TimeInForce
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.intents import OrderIntent
from alphaforge.domain.time import ns_to_dt
from alphaforge.indicators.registry import get_indicator
from alphaforge.runtime._handles import Handle, PrecomputedHandle, PrecomputedTupleHandle

if TYPE_CHECKING:
    from alphaforge.domain.market import Bar
    from alphaforge.portfolio import Ledger, LedgerView
    from alphaforge.runtime.kernel import Kernel

__all__ = [
    "BacktestContext",
    "Handle",
    "PrecomputedHandle",
    "PrecomputedTupleHandle",
    "StreamState",
]

_FIELDS = ("open", "high", "low", "close", "volume")


class StreamState:
    """One bar stream's data and how far the run has read it."""

    __slots__ = (
        "arrays",
        "collect",
        "execution",
        "handles",
        "lower",
        "position",
        "records",
        "span",
        "symbol",
        "timeframe",
        "ts",
        "updaters",
    )

    def __init__(
        self, symbol: str, timeframe: str, arrays: Mapping[str, np.ndarray], ts: np.ndarray
    ):
        self.symbol = symbol
        self.timeframe = timeframe
        self.arrays = dict(arrays)
        self.ts = ts
        self.position = -1  # index of the current bar in this stream
        self.handles: list[Handle | PrecomputedHandle] = []
        self.updaters: list[Callable[[Bar], None]] = []  # each handle's update_bar
        self.execution = False  # whether orders of this symbol are matched on this stream
        self.records = True  # whether equity is recorded at the steps of this stream's bars
        # intrabar="lower_timeframe": the path stream appends its bars to ``collect``, which is
        # the ``lower`` list the execution stream hands to the broker with each of its bars.
        self.collect: list[Any] | None = None
        self.lower: list[Any] | None = None
        self.span = 0  # the bar length in ns (0: calendar bars), to cut ``lower`` to the bar


class BacktestContext:
    """``StrategyContext`` for the kernel (see the module docstring)."""

    def __init__(
        self,
        kernel: Kernel,
        ledger: Ledger,
        view: LedgerView,
        streams: Mapping[tuple[str, str], StreamState],
        primary: Mapping[str, StreamState],
    ) -> None:
        self._kernel = kernel
        self._ledger = ledger
        self._view = view
        self._streams = streams
        self._primary = primary  # each symbol's default stream: its finest bars, else its trades
        self._symbols = tuple(primary)
        self.now_ns = 0
        self._now_ns = 0  # the time ``_now`` holds (``now`` caches its last conversion)
        self._now = ns_to_dt(0)

    # ------------------------------------------------------------------ reading

    @property
    def now(self) -> datetime:
        """The current event's time (UTC)."""
        ns = self.now_ns
        if ns != self._now_ns:  # many bars share a time: convert once per time (immutable)
            self._now = ns_to_dt(ns)
            self._now_ns = ns
        return self._now

    @property
    def symbols(self) -> Sequence[str]:
        """The symbols of this run, in feed order."""
        return self._symbols

    @property
    def portfolio(self) -> LedgerView:
        """A read-only view of the account."""
        return self._view

    def history(
        self,
        symbol: str,
        field: str = "close",
        n: SupportsIndex | None = None,
        *,
        timeframe: str | None = None,
    ) -> np.ndarray:
        """The last ``n`` values (all when ``None``; any integer, NumPy's included) of ``field``
        up to the current bar.

        ``timeframe="tick"`` reads the symbol's trades (``price``, ``size``, ``side``); a symbol
        with trades and no bars reads them by default."""
        stream = self._stream(symbol, timeframe)
        if field not in stream.arrays:
            raise InvalidValueError(
                f"unknown field {field!r}; expected one of {', '.join(stream.arrays)}"
                f"{did_you_mean(field, list(stream.arrays))}"
            )
        end = stream.position + 1
        start = 0 if n is None else max(0, end - _count(n))
        # A copy, not a view: a view's ``.base`` is the whole preloaded array, future bars
        # included, and a strategy must not be able to reach them through it.
        window = stream.arrays[field][start:end].copy()
        window.flags.writeable = False
        return window

    def indicator(
        self, name: str, *, symbol: str | None = None, timeframe: str | None = None, **params: Any
    ) -> Handle | PrecomputedHandle:
        """Declare an indicator on a stream; declared late, it holds its value at the current bar.

        The stream's whole series is computed at once (``PrecomputedHandle``), or, where that
        could differ from feeding the bars one by one or cost more, the streaming handle is
        warmed on the history so far and updated by the kernel from then on."""
        spec = get_indicator(name)
        resolved = spec.resolve(params)
        stream = self._stream(symbol, timeframe)
        if stream.timeframe == "tick":
            raise InvalidValueError(
                f"indicators run on bars; {stream.symbol} has only trades in this run (join its "
                "bars, or compute from ctx.history(symbol, 'price', timeframe='tick'))"
            )
        missing = [f for f in spec.inputs if f not in _FIELDS]
        if missing:
            raise InvalidValueError(f"{name} needs {missing}, which bars do not carry")
        inputs = tuple(_FIELDS.index(f) for f in spec.inputs)
        precomputed = PrecomputedHandle.build(spec, resolved, stream, inputs)
        if precomputed is not None:  # nothing for the kernel to do per bar: no updater
            stream.handles.append(precomputed)
            return precomputed
        handle = Handle(spec.name, spec.streaming(**resolved), inputs, spec.outputs)
        arrays = [stream.arrays[f] for f in _FIELDS]
        for i in range(stream.position + 1):
            handle.update(tuple(float(a[i]) for a in arrays))  # type: ignore[arg-type]
        stream.handles.append(handle)
        stream.updaters.append(handle.update_bar)
        return handle

    def open_orders(self, symbol: str | None = None) -> Sequence[str]:
        """Client order ids of the open orders (of ``symbol``)."""
        return [o.client_order_id for o in self._kernel.engine.open_orders(symbol)]

    # ------------------------------------------------------------------ acting

    def submit(self, intent: OrderIntent) -> str:
        """Send an intent to the risk engine; return its client order id."""
        return self._kernel.submit(intent)

    def cancel(self, client_order_id: str) -> None:
        """Ask to cancel an open order."""
        self._kernel.engine.cancel(client_order_id)

    def order(self, symbol: str, side: OrderSide, quantity: float, **kwargs: Any) -> str:
        """Build an intent (market unless ``limit_price`` or ``stop_price`` is given); submit it."""
        side = OrderSide(side)
        limit, stop = kwargs.pop("limit_price", None), kwargs.pop("stop_price", None)
        if limit is not None and stop is not None:
            intent = OrderIntent.stop_limit(symbol, side, quantity, stop, limit, **kwargs)
        elif limit is not None:
            intent = OrderIntent.limit(symbol, side, quantity, limit, **kwargs)
        elif stop is not None:
            intent = OrderIntent.stop(symbol, side, quantity, stop, **kwargs)
        else:
            intent = OrderIntent.market(symbol, side, quantity, **kwargs)
        return self.submit(intent)

    def bracket(
        self,
        symbol: str,
        side: OrderSide,
        quantity: float,
        *,
        stop_loss: float | None = None,
        take_profit: float | None = None,
        trailing_offset: float | None = None,
        limit_price: float | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        tag: str | None = None,
    ) -> list[str]:
        """Enter ``quantity`` (market, or limit at ``limit_price``) with one-cancels-other exits:
        a stop at ``stop_loss`` (or a stop trailing ``trailing_offset`` behind the best price
        since entry) and a limit at ``take_profit``. Exits wait for the entry's fill and are
        sized to what filled; return the client ids, entry first."""
        side = OrderSide(side)
        if limit_price is None:
            entry = OrderIntent.market(symbol, side, quantity, time_in_force=time_in_force, tag=tag)
        else:
            entry = OrderIntent.limit(
                symbol, side, quantity, limit_price, time_in_force=time_in_force, tag=tag
            )
        stop, target = self._exits(
            symbol, side.opposite, quantity, stop_loss, take_profit, trailing_offset, tag
        )
        return self._kernel.submit_bracket(entry, stop, target)

    def protect(
        self,
        symbol: str,
        *,
        stop_loss: float | None = None,
        take_profit: float | None = None,
        trailing_offset: float | None = None,
        tag: str | None = None,
    ) -> list[str]:
        """Put one-cancels-other exits (stop and/or take-profit) on the position held now."""
        held = float(self._ledger.position(symbol).quantity)
        if held == 0:
            raise InvalidValueError(f"no {symbol} position to protect")
        side = OrderSide.SELL if held > 0 else OrderSide.BUY
        stop, target = self._exits(
            symbol, side, abs(held), stop_loss, take_profit, trailing_offset, tag
        )
        return self._kernel.submit_bracket(None, stop, target)

    @staticmethod
    def _exits(
        symbol: str,
        side: OrderSide,
        quantity: float,
        stop_loss: float | None,
        take_profit: float | None,
        trailing_offset: float | None,
        tag: str | None,
    ) -> tuple[OrderIntent | None, OrderIntent | None]:
        if stop_loss is not None and trailing_offset is not None:
            raise InvalidValueError("give stop_loss or trailing_offset, not both")
        if stop_loss is None and trailing_offset is None and take_profit is None:
            raise InvalidValueError("a bracket needs stop_loss, trailing_offset or take_profit")
        stop: OrderIntent | None = None
        if stop_loss is not None:
            stop = OrderIntent.stop(symbol, side, quantity, stop_loss, tag=tag or "stop-loss")
        elif trailing_offset is not None:
            stop = OrderIntent.trailing_stop(
                symbol, side, quantity, trailing_offset, tag=tag or "trailing stop"
            )
        target = None
        if take_profit is not None:
            target = OrderIntent.limit(
                symbol, side, quantity, take_profit, tag=tag or "take-profit"
            )
        return stop, target

    def target_quantity(
        self,
        symbol: str,
        quantity: float,
        *,
        order_type: OrderType = OrderType.MARKET,
        limit_price: float | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        tag: str | None = None,
    ) -> str | None:
        """Trade towards a signed ``quantity``, counting open orders; None when already there."""
        ledger, engine = self._ledger, self._kernel.engine
        instrument = ledger.instrument(symbol)
        # The common case costs no Decimal: no open order and a move under one lot.
        working = engine.has_open(symbol)
        if not working and abs(quantity - ledger.float_quantity(symbol)) < float(
            instrument.lot_size
        ):
            return None
        # nothing working (the common case): what pending_quantity would say, without asking
        pending = engine.pending_quantity(symbol) if working else Decimal(0)
        held = ledger.position(symbol).quantity + pending
        delta = instrument.round_quantity(Decimal(repr(float(quantity))) - held)
        if delta == 0:
            return None
        side = OrderSide.BUY if delta > 0 else OrderSide.SELL
        if order_type is OrderType.LIMIT:
            if limit_price is None:
                raise InvalidValueError("a LIMIT target needs limit_price")
            intent = OrderIntent.limit(
                symbol, side, abs(delta), limit_price, time_in_force=time_in_force, tag=tag
            )
        elif order_type is OrderType.MARKET:
            intent = OrderIntent.market(
                symbol, side, abs(delta), time_in_force=time_in_force, tag=tag
            )
        else:
            raise InvalidValueError(f"targets trade with MARKET or LIMIT orders, not {order_type}")
        return self.submit(intent)

    def target_percent(self, symbol: str, percent: float, *, tag: str | None = None) -> str | None:
        """Trade towards a position worth ``percent`` of equity at the last price."""
        unit = self._kernel.unit_value(symbol)
        equity = self._ledger.equity()
        if not (math.isfinite(unit) and unit > 0):
            raise InvalidValueError(f"{symbol} has no price yet: cannot size a percent target")
        return self.target_quantity(symbol, percent * equity / unit, tag=tag)

    def target_weights(self, weights: Mapping[str, float], *, tag: str | None = None) -> list[str]:
        """Rebalance to ``weights`` (others go to zero); orders that shrink a position go first,
        so a book's exposure falls before it grows (for shorts, the buys that cover them)."""
        unknown = [s for s in weights if s not in self._primary]
        if unknown:
            raise InvalidValueError(
                f"unknown symbols {unknown}{did_you_mean(unknown[0], list(self._primary))}"
            )
        equity = self._ledger.equity()
        moves: list[tuple[bool, str, float]] = []
        for symbol in self._symbols:
            unit = self._kernel.unit_value(symbol)
            if not (math.isfinite(unit) and unit > 0):
                continue  # no price yet: nothing can be sized (and nothing is held)
            target = weights.get(symbol, 0.0) * equity / unit
            held = float(self._ledger.position(symbol).quantity)
            shrinks = abs(target) < abs(held) and (target == 0 or (target > 0) == (held > 0))
            moves.append((not shrinks, symbol, target))
        ids = []
        for _, symbol, target in sorted(moves, key=lambda m: m[0]):  # shrinking (False) first
            order_id = self.target_quantity(symbol, target, tag=tag)
            if order_id is not None:
                ids.append(order_id)
        return ids

    # ------------------------------------------------------------------ internals

    def _stream(self, symbol: str | None, timeframe: str | None) -> StreamState:
        if symbol is None:
            if len(self._symbols) != 1:
                raise InvalidValueError(
                    f"this run trades {len(self._symbols)} symbols; pass symbol= "
                    f"(one of {', '.join(self._symbols)})"
                )
            symbol = self._symbols[0]
        if timeframe is None:
            stream = self._primary.get(symbol)
            if stream is None:
                raise InvalidValueError(
                    f"unknown symbol {symbol!r}{did_you_mean(symbol, list(self._primary))}"
                )
            return stream
        found = self._streams.get((symbol, timeframe))
        if found is None:
            held = [f"{s} {t}" for s, t in self._streams]
            raise InvalidValueError(f"no {symbol} {timeframe} bars in this run (it has {held})")
        return found


def _count(n: SupportsIndex) -> int:
    try:
        count = operator.index(n)
    except TypeError:
        raise InvalidValueError(f"n must be an integer >= 0, got {n!r}") from None
    if count < 0:
        raise InvalidValueError(f"n must be an integer >= 0, got {count}")
    return count


def unit_value_fn(ledger: Ledger) -> Callable[[str], float]:
    """Return a function: one unit's base-currency value at the last mark."""

    factors: dict[str, float] = {}  # float(multiplier) by symbol: an instrument is frozen

    def unit(symbol: str) -> float:
        price = ledger.last_price(symbol)  # first: an unknown symbol raises here, as before
        factor = factors.get(symbol)
        if factor is None:
            factor = factors[symbol] = float(ledger.instrument(symbol).multiplier)
        return price * factor

    return unit
