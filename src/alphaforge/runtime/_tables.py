"""The tables of a backtest's result (fills, orders, trades), built from the run's objects.

Private to ``runtime``: ``result.py`` re-exports what others use. Compiled with the engine's core
(``alphaforge/_native.py``): it walks every fill and order of a run once.

A *trade* is one position's life from flat to flat (a fill through zero closes one trade and
opens the next). Its ``pnl`` is the sum of its cash flows, fees included, so trade PnLs add up to
the account's realized PnL exactly; ``entry_price`` and ``exit_price`` are quantity-weighted
averages of the opening and closing fills. A position still open when the data ends is reported
as a trade marked ``"open at end"``, valued at the last close.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alphaforge.domain.enums import OrderSide

if TYPE_CHECKING:
    from alphaforge.domain.fills import Fill
    from alphaforge.domain.instruments import Instrument
    from alphaforge.domain.orders import Order

__all__ = ["TRADE_COLUMNS", "build_trades", "fills_frame", "orders_frame"]

TRADE_COLUMNS = (
    "symbol", "side", "entry_ts", "exit_ts", "quantity", "entry_price", "exit_price", "pnl",
    "return", "fees", "bars_held", "exit_reason",
)  # fmt: skip


def _utc(ns: Sequence[int] | np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(np.asarray(ns, dtype=np.int64), tz="UTC")  # no object detour


def fills_frame(fills: Sequence[Fill], reasons: Sequence[str | None]) -> pd.DataFrame:
    """One row per fill, in execution order (``str`` of a ``StrEnum`` member is its value)."""
    return pd.DataFrame(
        {
            "ts": _utc([f.ts_event for f in fills]),
            "symbol": [f.symbol for f in fills],
            "side": [str(f.side) for f in fills],
            "quantity": [float(f.quantity) for f in fills],
            "price": [float(f.price) for f in fills],
            "fee": [float(f.fee) for f in fills],
            "liquidity": [str(f.liquidity_side) for f in fills],
            "client_order_id": [f.client_order_id for f in fills],
            "trade_id": [f.trade_id for f in fills],
            "reason": list(reasons),
        }
    )


def orders_frame(orders: Sequence[Order]) -> pd.DataFrame:
    """One row per order (denied ones included), in creation order."""

    def num(value: object) -> float:
        return float("nan") if value is None else float(value)  # type: ignore[arg-type]

    return pd.DataFrame(
        {
            "client_order_id": [o.client_order_id for o in orders],
            "created": _utc([o.ts_init for o in orders]),
            "symbol": [o.symbol for o in orders],
            "side": [str(o.side) for o in orders],
            "type": [str(o.intent.order_type) for o in orders],
            "quantity": [float(o.quantity) for o in orders],
            "limit_price": [num(o.intent.limit_price) for o in orders],
            "stop_price": [num(o.intent.stop_price) for o in orders],
            "time_in_force": [str(o.intent.time_in_force) for o in orders],
            "status": [str(o.status) for o in orders],
            "filled_quantity": [float(o.filled_qty) for o in orders],
            "avg_fill_price": [num(o.avg_fill_px) for o in orders],
            "updated": _utc([o.ts_last for o in orders]),
            "tag": [o.intent.tag or "" for o in orders],
            "reason": [o.last_reason or "" for o in orders],
        }
    )


@dataclass(slots=True)
class _Open:
    side: int
    entry_ts: int
    qty: float = 0.0  # signed, open
    opened: float = 0.0  # total opened (positive)
    entry_value: float = 0.0
    closed: float = 0.0
    exit_value: float = 0.0
    cash: float = 0.0
    fees: float = 0.0


class _Rows:
    """The trades table by column (a dict per row costs several times more per trade)."""

    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {name: [] for name in TRADE_COLUMNS}

    def add(self, symbol: str, trade: _Open, exit_ts: int, reason: str, mult: float) -> None:
        c = self.columns
        pnl = trade.cash - trade.fees
        c["symbol"].append(symbol)
        c["side"].append("long" if trade.side > 0 else "short")
        c["entry_ts"].append(trade.entry_ts)
        c["exit_ts"].append(exit_ts)
        c["quantity"].append(trade.opened)
        c["entry_price"].append(trade.entry_value / trade.opened)
        c["exit_price"].append(trade.exit_value / trade.closed if trade.closed else math.nan)
        c["pnl"].append(pnl)
        c["return"].append(pnl / (trade.entry_value * mult) if trade.entry_value else math.nan)
        c["fees"].append(trade.fees)
        c["exit_reason"].append(reason)

    def frame(self, bar_times: Mapping[str, np.ndarray]) -> pd.DataFrame:
        """The table, with ``bars_held`` counted per symbol in one search of its bar times."""
        c = self.columns
        symbols = np.asarray(c["symbol"], dtype=object)
        entry = np.asarray(c["entry_ts"], dtype=np.int64)
        exit_ = np.asarray(c["exit_ts"], dtype=np.int64)
        held = np.zeros(len(symbols), dtype=np.int64)
        for symbol in dict.fromkeys(c["symbol"]):
            times = bar_times.get(symbol)
            if times is not None:
                rows = symbols == symbol
                held[rows] = times.searchsorted(exit_[rows]) - times.searchsorted(entry[rows])
        c["bars_held"] = held.tolist()
        frame = pd.DataFrame(c, columns=list(TRADE_COLUMNS))
        for column in ("entry_ts", "exit_ts"):
            frame[column] = pd.to_datetime(frame[column].astype("int64"), utc=True)
        return frame


def build_trades(
    fills: Sequence[Fill],
    reasons: Sequence[str | None],
    orders: Mapping[str, Order],
    instruments: Mapping[str, Instrument],
    bar_times: Mapping[str, np.ndarray],
    last_prices: Mapping[str, float],
    end_ts: int | None,
) -> pd.DataFrame:
    """Round trips from the fills (see the module docstring)."""
    rows = _Rows()
    open_: dict[str, _Open] = {}
    mults: dict[str, float] = {}  # float(multiplier) by symbol, converted once
    for fill, reason in zip(fills, reasons, strict=True):
        symbol = fill.symbol
        mult = mults.get(symbol)
        if mult is None:
            mult = mults[symbol] = float(instruments[symbol].multiplier)
        sign = 1 if fill.side is OrderSide.BUY else -1
        size = float(fill.quantity)
        qty, px, fee = size, float(fill.price), float(fill.fee)
        why = _exit_reason(fill, reason, orders)
        while qty > 0:
            trade = open_.get(symbol)
            if trade is None:
                trade = open_[symbol] = _Open(side=sign, entry_ts=fill.ts_event)
            if trade.side == sign:  # opening or adding
                part = qty
                trade.opened += part
                trade.entry_value += part * px
            else:  # reducing
                part = min(qty, abs(trade.qty))
                trade.closed += part
                trade.exit_value += part * px
            share = fee * part / size
            trade.qty += sign * part
            trade.cash -= sign * part * px * mult
            trade.fees += share
            qty -= part
            if abs(trade.qty) <= 1e-12 and trade.closed > 0:
                rows.add(symbol, trade, fill.ts_event, why, mult)
                del open_[symbol]
    for symbol, trade in open_.items():
        mult = float(instruments[symbol].multiplier)
        last = last_prices.get(symbol, float("nan"))
        trade.closed = abs(trade.qty)
        trade.exit_value = abs(trade.qty) * last
        trade.cash += trade.qty * last * mult
        rows.add(symbol, trade, end_ts or trade.entry_ts, "open at end", mult)
    return rows.frame(bar_times)


def _exit_reason(fill: Fill, reason: str | None, orders: Mapping[str, Order]) -> str:
    order = orders.get(fill.client_order_id)
    tag = order.intent.tag if order is not None else None
    return " / ".join(x for x in (tag, reason) if x) or "signal"
