"""Market data events: bars, quotes and trade ticks.

They are immutable ``NamedTuple`` subclasses rather than dataclasses on purpose: a backtest creates
millions of them, and a tuple is built about five times faster than a frozen dataclass while being
just as immutable. Every event carries two UTC nanosecond stamps:

* ``ts_event``: when the thing happened at the venue. For a bar this is the moment it *closed*,
  i.e. the first moment its values could be known. Feeds guarantee it; it is what prevents
  look-ahead when daily and intraday bars are merged.
* ``ts_init``: when alphaforge created the object (equal to ``ts_event`` in backtests).

Values are float64 here (the hot path); money becomes ``Decimal`` at the accounting boundary.
Use the ``create`` constructors to build one by hand: they check the invariants that the data layer
validates in bulk for files.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.time import ns_to_iso

__all__ = ["Bar", "QuoteTick", "TradeTick"]


def _finite_positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0.0):
        raise InvalidValueError(f"{name} must be a finite positive number, got {value!r}")


class Bar(NamedTuple):
    """One OHLCV bar of ``symbol`` at ``timeframe`` (e.g. ``"1d"``, ``"5m"``)."""

    symbol: str
    timeframe: str
    open: float
    high: float
    low: float
    close: float
    volume: float
    ts_event: int
    ts_init: int

    @classmethod
    def create(
        cls,
        symbol: str,
        timeframe: str,
        open: float,
        high: float,
        low: float,
        close: float,
        volume: float,
        ts_event: int,
        ts_init: int | None = None,
    ) -> Bar:
        """Build a bar after checking prices are positive, ``low <= open, close <= high``."""
        for name, value in (("open", open), ("high", high), ("low", low), ("close", close)):
            _finite_positive(name, value)
        if high < low:
            raise InvalidValueError(f"high {high} < low {low}")
        if not (low <= open <= high and low <= close <= high):
            raise InvalidValueError(f"open {open} / close {close} outside [low {low}, high {high}]")
        if not math.isfinite(volume) or volume < 0.0:
            raise InvalidValueError(f"volume must be finite and >= 0, got {volume!r}")
        init = ts_event if ts_init is None else ts_init
        return cls(symbol, timeframe, open, high, low, close, volume, ts_event, init)

    def __str__(self) -> str:
        return (
            f"Bar({self.symbol} {self.timeframe} {ns_to_iso(self.ts_event)} "
            f"O={self.open} H={self.high} L={self.low} C={self.close} V={self.volume})"
        )


class QuoteTick(NamedTuple):
    """Best bid and ask at one instant."""

    symbol: str
    bid: float
    ask: float
    bid_size: float
    ask_size: float
    ts_event: int
    ts_init: int

    @classmethod
    def create(
        cls,
        symbol: str,
        bid: float,
        ask: float,
        bid_size: float,
        ask_size: float,
        ts_event: int,
        ts_init: int | None = None,
    ) -> QuoteTick:
        """Build a quote after checking the prices are positive and not crossed."""
        _finite_positive("bid", bid)
        _finite_positive("ask", ask)
        if ask < bid:
            raise InvalidValueError(f"crossed quote: ask {ask} < bid {bid}")
        if bid_size < 0 or ask_size < 0:
            raise InvalidValueError(f"sizes must be >= 0, got {bid_size}, {ask_size}")
        init = ts_event if ts_init is None else ts_init
        return cls(symbol, bid, ask, bid_size, ask_size, ts_event, init)

    @property
    def mid(self) -> float:
        """The mid price."""
        return 0.5 * (self.bid + self.ask)

    @property
    def spread(self) -> float:
        """Ask minus bid."""
        return self.ask - self.bid


class TradeTick(NamedTuple):
    """One public trade. ``trade_id`` is the venue's id: trades may share a timestamp, so
    deduplication is by id, never by time. ``side`` is the aggressor: ``"buy"`` or ``"sell"``."""

    symbol: str
    price: float
    size: float
    side: str
    trade_id: str
    ts_event: int
    ts_init: int

    @classmethod
    def create(
        cls,
        symbol: str,
        price: float,
        size: float,
        side: str,
        trade_id: str,
        ts_event: int,
        ts_init: int | None = None,
    ) -> TradeTick:
        """Build a trade after checking price and size are positive and the side is known."""
        _finite_positive("price", price)
        _finite_positive("size", size)
        if side not in ("buy", "sell"):
            raise InvalidValueError(f"side must be 'buy' or 'sell', got {side!r}")
        init = ts_event if ts_init is None else ts_init
        return cls(symbol, price, size, side, str(trade_id), ts_event, init)
