"""Inventory-aware market making: quote a bid and an ask around a reservation price."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from alphaforge.domain.enums import LiquiditySide, OrderSide
from alphaforge.domain.fills import Fill
from alphaforge.domain.market import Bar, TradeTick
from alphaforge.strategies.base import Strategy, StrategyParams
from alphaforge.strategies.context import StrategyContext
from alphaforge.strategies.library._quoting import (
    BPS,
    MakerTally,
    Quote,
    avellaneda_stoikov,
    fit_intensity,
    glft,
    realized_sigma,
)
from alphaforge.strategies.registry import register
from alphaforge.strategies.space import Choice, FloatRange, IntRange

__all__ = ["MarketMaking", "MarketMakingParams"]

_NS = 1_000_000_000


class MarketMakingParams(StrategyParams):
    """Parameters of :class:`MarketMaking`."""

    model: Literal["glft", "avellaneda_stoikov"] = Field(
        "glft",
        description="glft: stationary Gueant-Lehalle-Fernandez-Tapia quotes (24/7 markets); "
        "avellaneda_stoikov: the 2008 quotes with a rolling horizon.",
    )
    gamma: float = Field(0.01, gt=0, description="Risk aversion, per lot and basis point.")
    horizon: float = Field(
        300.0, gt=0, description="avellaneda_stoikov only: the horizon T - t, seconds (rolling)."
    )
    order_size: float = Field(100.0, gt=0, description="Units of the asset per quote (a lot).")
    max_inventory: float = Field(
        500.0, gt=0, description="Hard position limit, units: the side that would pass it rests."
    )
    k: float | None = Field(
        None, gt=0, description="Intensity decay per bp; None: estimated from the data."
    )
    arrival: float | None = Field(
        None, gt=0, description="Intensity A at the mid, per second (glft); None: estimated."
    )
    window: int = Field(240, ge=20, description="Intervals used to estimate sigma, k and A.")
    refit: int = Field(15, ge=1, description="Re-estimate every this many intervals.")
    interval: float = Field(
        60.0, gt=0, description="Seconds per interval on trade data (bars: the bar)."
    )
    min_requote: float = Field(
        5.0, ge=0, description="Seconds before a working quote may be moved again."
    )
    tolerance_bps: float = Field(
        2.0,
        ge=0,
        description="A working quote within this of its new price stays (keeps its place).",
    )
    min_spread_bps: float = Field(0.0, ge=0, description="Floor of the quoted spread, bp.")


@dataclass
class _Book:
    """One symbol's quoting state."""

    mid: float = math.nan
    fill_mid: float = math.nan  # the mid before the latest event (a fill it caused meets it)
    last_ts: int = 0
    bid: float = math.nan  # the best bid / ask the last trades showed (trade data only)
    ask: float = math.nan
    ticks: bool = False  # trades seen: they drive the quotes, bars only inform
    bucket: int | None = None  # the current interval on trade data
    high: float = -math.inf
    low: float = math.inf
    open_mid: float = math.nan  # the mid when the interval began
    open_ts: int = 0
    rows: deque[tuple[float, float, float, float]] = field(default_factory=deque)
    seen: int = 0
    sigma: float = math.nan
    k: float = math.nan
    arrival: float = math.nan
    working: dict[int, tuple[str, float, float]] = field(default_factory=dict)
    moved: dict[int, int] = field(default_factory=dict)


@register
class MarketMaking(Strategy):
    """Quote both sides around an inventory-skewed reservation price (Avellaneda-Stoikov, GLFT).

    Idea: a market maker earns the spread between its bid and ask and loses when the price
    moves against the inventory it is left with. Avellaneda & Stoikov (2008) derive the quotes
    of a risk-averse dealer facing market orders that arrive at a rate
    ``lambda(delta) = A exp(-k delta)`` at distance ``delta`` from the mid: a reservation price
    ``r = s - q gamma sigma^2 (T - t)`` below the mid when long (``q`` > 0), and a spread
    ``gamma sigma^2 (T - t) + (2 / gamma) ln(1 + gamma / k)`` around it. A 24/7 market has no
    terminal time, so the default is the stationary solution of Gueant, Lehalle and
    Fernandez-Tapia (2013): half spread ``(1 / gamma) ln(1 + gamma / k) + c / 2``, reservation
    ``s - q c``, ``c = sqrt(sigma^2 gamma / (2 k A) (1 + gamma / k)^(1 + k / gamma))``; with
    ``model="avellaneda_stoikov"`` the horizon is a rolling ``horizon`` seconds.

    Units: distances in basis points of the mid, ``sigma`` in bp per square-root second, ``q``
    in lots of ``order_size``. ``sigma`` is realized volatility of interval mids; ``k`` and ``A``
    are fitted to how often intervals reached each distance from their opening mid
    (``_quoting.fit_intensity``), re-estimated every ``refit`` intervals over ``window``. No
    quotes until they are estimated. Quotes are rounded away from the mid to the tick, never
    cross the touch (a maker posts, it does not take), and at least ``min_spread_bps`` apart.
    A side that would take the position past ``max_inventory`` is not quoted. A quote moves
    (cancel and replace) when its price moves by more than ``tolerance_bps`` or its size
    changes, at most every ``min_requote`` seconds (a quote that stays keeps its queue place).

    Data: bars (each bar is an interval; the mid is the close) or public trades (the mid is
    halfway between the last seller- and buyer-initiated prices, the touch they show; intervals
    of ``interval`` seconds); with both, the trades drive it. Fills come from the backtest's
    passive limit model: on bars a quote fills when a later bar trades through it; on trades,
    queue-aware (``queue_ahead``): public trades stand in for the order book it cannot see.
    ``report()`` gives fills, spread captured, adverse selection (1 and 5 minute markouts),
    inventory and the PnL split into spread, inventory and fees.

    References: M. Avellaneda, S. Stoikov, "High-frequency trading in a limit order book",
    Quantitative Finance 8(3), 2008; O. Gueant, C.-A. Lehalle, J. Fernandez-Tapia, "Dealing
    with the inventory risk: a solution to the market making problem", Mathematics and
    Financial Economics 7, 2013.
    """

    name = "market_making"
    Params = MarketMakingParams
    needs: ClassVar[frozenset[str]] = frozenset({"high", "low", "close"})
    default_data: ClassVar[tuple[str, ...]] = ("binance_xrpeth_1m",)
    # The account and venue it is built for: 2 ETH quoting lots of 100 XRP at Binance's 10 bp
    # maker and taker fee (on trade data, pass --queue-ahead for a queue at the best price).
    run_defaults: ClassVar[dict[str, Any]] = {
        "allow_short": True,
        "cash": 2,
        "commission_bps": 10,
        "maker_commission_bps": 10,
    }

    # Risk aversion on a log grid around 0.01, a spread floor up to 30 bp (a round trip at
    # Binance's 10 bp fees costs 20), 2-16 hours of 1-minute intervals to estimate sigma, k, A.
    # Lot size and inventory limit size the account: they are not searched.
    search_space = MappingProxyType(
        {
            "gamma": Choice((0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1)),
            "min_spread_bps": FloatRange(0.0, 30.0, 5.0),
            "window": IntRange(120, 960, 120),
        }
    )

    def on_start(self, ctx: StrategyContext) -> None:
        self._p: MarketMakingParams = self.params  # type: ignore[assignment]
        self._books = {symbol: _Book(rows=deque(maxlen=self._p.window)) for symbol in ctx.symbols}
        self._tally = MakerTally()
        self._equity0 = ctx.portfolio.equity()
        self._pnl = 0.0

    # ------------------------------------------------------------------ market data

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        book = self._books[bar.symbol]
        if book.ticks:
            return
        ts = bar.ts_event
        self._tally.mark(ts - 1, book.mid)
        if not math.isnan(book.mid):
            seconds = (ts - book.last_ts) / _NS
            row = (book.mid, bar.high, bar.low, bar.close, seconds)
            self._close_interval(bar.symbol, book, row, ctx)
        book.fill_mid, book.mid, book.last_ts = book.mid, bar.close, ts
        self._tally.mark(ts, book.mid)
        self._quote(bar.symbol, book, ctx)

    def on_trade(self, trade: TradeTick, ctx: StrategyContext) -> None:
        book = self._books[trade.symbol]
        if not book.ticks:  # trades drive the quotes from now on: forget what bars began
            book.ticks, book.rows = True, deque(maxlen=self._p.window)
        ts = trade.ts_event
        self._tally.mark(ts - 1, book.mid)
        bucket = ts // int(self._p.interval * _NS)
        if bucket != book.bucket:
            if book.bucket is not None:
                seconds = (ts - book.open_ts) / _NS
                row = (book.open_mid, book.high, book.low, book.mid, seconds)
                self._close_interval(trade.symbol, book, row, ctx)
            book.bucket, book.open_ts = bucket, ts
            book.open_mid = book.mid if book.mid > 0.0 else trade.price
            book.high, book.low = -math.inf, math.inf
        book.high, book.low = max(book.high, trade.price), min(book.low, trade.price)
        if trade.side == "sell":
            book.bid = trade.price
        else:
            book.ask = trade.price
        both = book.bid < book.ask
        book.fill_mid = book.mid
        book.mid = (book.bid + book.ask) / 2.0 if both else trade.price
        self._tally.mark(ts, book.mid)
        self._quote(trade.symbol, book, ctx)

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> None:
        book = self._books[fill.symbol]
        sign = 1 if fill.side is OrderSide.BUY else -1
        quantity, price = float(fill.quantity), float(fill.price)
        mid = book.fill_mid if book.fill_mid > 0.0 else price
        self._tally.fill(fill.ts_event, sign, quantity, price, mid)
        self._tally.fees += float(fill.fee)
        self._tally.maker += fill.liquidity_side is LiquiditySide.MAKER

    def report(self) -> dict[str, Any]:
        """Fills, spread captured, adverse selection, inventory and PnL (see the class doc)."""
        return self._tally.report(self._pnl)

    def on_stop(self, ctx: StrategyContext) -> None:
        self._pnl = ctx.portfolio.equity() - self._equity0

    # ------------------------------------------------------------------ estimation

    def _close_interval(
        self,
        symbol: str,
        book: _Book,
        row: tuple[float, float, float, float, float],
        ctx: StrategyContext,
    ) -> None:
        """Book one interval (the mid it opened at, its high, low, closing mid and length in
        seconds) and re-estimate when due."""
        start, high, low, close, seconds = row
        if not (start > 0.0 and seconds > 0.0):
            return
        up, down = (high / start - 1.0) * BPS, (1.0 - low / start) * BPS
        book.rows.append((math.log(close / start), seconds, max(up, 0.0), max(down, 0.0)))
        book.seen += 1
        self._tally.inventory.append(float(ctx.portfolio.quantity(symbol)))
        if book.seen % self._p.refit == 0 or math.isnan(book.sigma):
            self._estimate(book)

    def _estimate(self, book: _Book) -> None:
        rows = np.asarray(book.rows, dtype=float)
        if len(rows) < 20:
            return
        returns, seconds = rows[:, 0], rows[:, 1]
        book.sigma = realized_sigma(returns, seconds)
        if self._p.k is not None and (self._p.arrival is not None or self._p.model != "glft"):
            book.k, book.arrival = self._p.k, self._p.arrival or math.nan
            return
        mean = float(seconds.mean())
        fitted = fit_intensity(rows[:, 2:].ravel(), mean, book.sigma * math.sqrt(mean))
        if fitted is not None:
            book.k = self._p.k or fitted[0]
            book.arrival = self._p.arrival or fitted[1]

    # ------------------------------------------------------------------ quoting

    def quotes(self, q: float, sigma: float, k: float, arrival: float) -> Quote:
        """The model's quotes (bp from the mid) for ``q`` lots of inventory."""
        p = self._p
        if p.model == "glft":
            return glft(q, sigma, p.gamma, k, arrival)
        return avellaneda_stoikov(q, sigma, p.gamma, k, p.horizon)

    def _quote(self, symbol: str, book: _Book, ctx: StrategyContext) -> None:
        ready = book.sigma > 0.0 and book.k > 0.0
        if not ready or (self._p.model == "glft" and not book.arrival > 0.0):
            return
        p = self._p
        position = float(ctx.portfolio.quantity(symbol))
        quote = self.quotes(position / p.order_size, book.sigma, book.k, book.arrival)
        instrument = ctx.portfolio.instrument(symbol)
        mid = book.mid
        tiered = bool(instrument.tick_tiers)  # the tick depends on the price (Rule 612)
        tick = float(instrument.tick_at(Decimal(repr(mid))) if tiered else instrument.tick_size)
        bid = math.floor(mid * (1.0 - quote.bid / BPS) / tick + 1e-9) * tick
        ask = math.ceil(mid * (1.0 + quote.ask / BPS) / tick - 1e-9) * tick
        ceiling = (book.ask if book.bid < book.ask else mid) - tick  # never cross the touch
        floor = (book.bid if book.bid < book.ask else mid) + tick
        bid, ask = min(bid, ceiling), max(ask, floor)
        wide = p.min_spread_bps / BPS * mid
        if ask - bid < wide:
            centre, half = (ask + bid) / 2.0, wide / 2.0
            bid = math.floor((centre - half) / tick + 1e-9) * tick
            ask = math.ceil((centre + half) / tick - 1e-9) * tick
        if tiered and bid > 0.0:  # a quote in another tier than the mid: onto its own grid
            bid = float(instrument.round_price(repr(round(bid, 12)), side=OrderSide.BUY))
            ask = float(instrument.round_price(repr(round(ask, 12)), side=OrderSide.SELL))
        if ask <= bid:
            return
        room_buy = p.max_inventory - position
        room_sell = p.max_inventory + position
        self._side(ctx, symbol, book, 1, bid, min(p.order_size, room_buy))
        self._side(ctx, symbol, book, -1, ask, min(p.order_size, room_sell))

    def _side(
        self, ctx: StrategyContext, symbol: str, book: _Book, sign: int, price: float, size: float
    ) -> None:
        """Keep one quote on side ``sign`` at ``price`` for ``size`` units (none if too small)."""
        lot = float(ctx.portfolio.instrument(symbol).lot_size)
        size = math.floor(size / lot + 1e-9) * lot
        working = book.working.get(sign)
        if working is not None and working[0] not in ctx.open_orders(symbol):
            working = None  # filled or canceled
            del book.working[sign]
        wanted = size > 0.0 and price > 0.0
        if working is not None:
            near = abs(working[1] - price) <= self._p.tolerance_bps / BPS * price
            same = wanted and near and abs(working[2] - size) < lot / 2
            recent = ctx.now_ns - book.moved.get(sign, 0) < self._p.min_requote * _NS
            if same or recent:
                return
            ctx.cancel(working[0])
            self._tally.cancels += 1
            del book.working[sign]
        if not wanted:
            return
        side = OrderSide.BUY if sign > 0 else OrderSide.SELL
        order_id = ctx.order(symbol, side, size, limit_price=round(price, 12), tag="quote")
        self._tally.quotes += 1
        book.working[sign] = (order_id, price, size)
        book.moved[sign] = ctx.now_ns
