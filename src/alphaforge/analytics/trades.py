"""Trade statistics, exposure, turnover and costs.

The trades table has one row per closed trade with the columns ``symbol, side, entry_ts,
exit_ts, quantity, entry_price, exit_price, pnl, return, fees, bars_held, exit_reason``; each
function here reads only the columns it names. ``pnl`` is net of fees, in account currency.

A trade *wins* when its pnl is above zero and *loses* when below; a trade at exactly zero is
neither (it counts in the number of trades, so it lowers the win rate, but in no average of wins
or losses). Undefined figures (no trades, no losses...) are NaN or None as each docstring says.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alphaforge.analytics._inputs import (
    FloatArray,
    ReturnsLike,
    finite,
    ratio,
    utc_nanos,
    values,
)
from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "TRADE_COLUMNS",
    "TradeStats",
    "average_holding_time",
    "average_loss",
    "average_win",
    "costs_by_kind",
    "expectancy",
    "exposure",
    "exposure_from_trades",
    "largest_loss",
    "largest_win",
    "number_of_trades",
    "profit_factor",
    "trade_stats",
    "turnover",
    "win_rate",
]

TRADE_COLUMNS = (
    "symbol",
    "side",
    "entry_ts",
    "exit_ts",
    "quantity",
    "entry_price",
    "exit_price",
    "pnl",
    "return",
    "fees",
    "bars_held",
    "exit_reason",
)


def _column(trades: pd.DataFrame, name: str) -> pd.Series:
    if name not in trades.columns:
        raise InvalidValueError(
            f"the trades table has no {name!r} column; got columns {list(trades.columns)}, "
            f"expected {list(TRADE_COLUMNS)}"
        )
    column: pd.Series = trades[name]
    return column


def _pnl(trades: pd.DataFrame) -> FloatArray:
    if len(trades) == 0:  # no trades: a bare ``pd.DataFrame()`` will do
        return np.empty(0)
    pnl = _column(trades, "pnl").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(pnl)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InvalidValueError(
            f"trade pnl must be a finite number; row {row} (label {trades.index[row]!r}) "
            f"has {pnl[row]!r}"
        )
    return pnl


def _timestamps(trades: pd.DataFrame, name: str) -> pd.DatetimeIndex:
    stamps = pd.DatetimeIndex(_column(trades, name))
    if len(stamps) and stamps.tz is None:
        raise InvalidValueError(
            f"trade column {name!r} holds naive timestamps; expected timezone-aware (UTC) ones"
        )
    return stamps


@dataclass(frozen=True, slots=True)
class TradeStats:
    """All trade statistics of one trades table (see the functions of the same names)."""

    number_of_trades: int
    win_rate: float
    profit_factor: float
    expectancy: float
    average_win: float
    average_loss: float
    largest_win: float
    largest_loss: float
    gross_profit: float
    gross_loss: float
    average_holding_time: timedelta | None


def _stats_of_pnl(pnl: FloatArray) -> dict[str, float | int]:
    wins, losses = pnl[pnl > 0.0], pnl[pnl < 0.0]
    gross_profit, gross_loss = float(wins.sum()), float(losses.sum())
    n = int(pnl.size)
    return {
        "number_of_trades": n,
        "win_rate": wins.size / n if n else math.nan,
        "profit_factor": ratio(gross_profit, -gross_loss),
        "expectancy": float(pnl.mean()) if n else math.nan,
        "average_win": float(wins.mean()) if wins.size else math.nan,
        "average_loss": float(losses.mean()) if losses.size else math.nan,
        "largest_win": float(wins.max()) if wins.size else math.nan,
        "largest_loss": float(losses.min()) if losses.size else math.nan,
        "gross_profit": gross_profit,
        "gross_loss": gross_loss,
    }


def trade_stats(trades: pd.DataFrame) -> TradeStats:
    """Return every trade statistic at once (reads ``pnl``, ``entry_ts`` and ``exit_ts``)."""
    return TradeStats(
        **_stats_of_pnl(_pnl(trades)),  # type: ignore[arg-type]
        average_holding_time=average_holding_time(trades),
    )


def number_of_trades(trades: pd.DataFrame) -> int:
    """Return the number of closed trades (rows)."""
    return len(trades)


def win_rate(trades: pd.DataFrame) -> float:
    """Return the share of trades with a positive pnl, in [0, 1]; NaN without trades."""
    return float(_stats_of_pnl(_pnl(trades))["win_rate"])


def profit_factor(trades: pd.DataFrame) -> float:
    """Return gross profit / gross loss (both as positive amounts).

    +inf with profits and no losses; NaN with neither (no trades, or all at zero).
    """
    return float(_stats_of_pnl(_pnl(trades))["profit_factor"])


def expectancy(trades: pd.DataFrame) -> float:
    """Return the mean pnl per trade in account currency, ``win_rate × average_win +
    loss_rate × average_loss``; NaN without trades."""
    return float(_stats_of_pnl(_pnl(trades))["expectancy"])


def average_win(trades: pd.DataFrame) -> float:
    """Return the mean pnl of the winning trades; NaN without any."""
    return float(_stats_of_pnl(_pnl(trades))["average_win"])


def average_loss(trades: pd.DataFrame) -> float:
    """Return the mean pnl of the losing trades (a negative amount); NaN without any."""
    return float(_stats_of_pnl(_pnl(trades))["average_loss"])


def largest_win(trades: pd.DataFrame) -> float:
    """Return the largest pnl of a winning trade; NaN without any."""
    return float(_stats_of_pnl(_pnl(trades))["largest_win"])


def largest_loss(trades: pd.DataFrame) -> float:
    """Return the most negative pnl of a losing trade; NaN without any."""
    return float(_stats_of_pnl(_pnl(trades))["largest_loss"])


def average_holding_time(trades: pd.DataFrame) -> timedelta | None:
    """Return the mean of ``exit_ts - entry_ts`` over the trades with both stamps, or None."""
    if len(trades) == 0:
        return None
    held = _timestamps(trades, "exit_ts") - _timestamps(trades, "entry_ts")
    mean = held.mean()
    return None if pd.isna(mean) else pd.Timedelta(mean).to_pytimedelta()


def exposure(positions: pd.Series | pd.DataFrame | ReturnsLike) -> float:
    """Return the fraction of bars with a position: a non-zero value in any column.

    ``positions`` holds quantities or exposures per bar (one column per asset for a frame).
    Bars where every value is NaN are not counted at all. NaN without any counted bar.
    """
    arr = np.asarray(positions, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, np.newaxis]
    if arr.ndim != 2:
        raise InvalidValueError(f"positions must be 1-D or 2-D; got shape {arr.shape}")
    present: NDArray[np.bool_] = np.asarray(~np.isnan(arr).all(axis=1))
    held: NDArray[np.bool_] = np.asarray((np.abs(np.nan_to_num(arr)) > 0.0).any(axis=1))
    counted = int(present.sum())
    return float(held[present].sum()) / counted if counted else math.nan


def exposure_from_trades(trades: pd.DataFrame, index: pd.DatetimeIndex) -> float:
    """Return the fraction of the stamps of ``index`` at which some trade was open.

    A trade is open at stamp ``t`` when ``entry_ts <= t < exit_ts`` (a trade without
    ``exit_ts`` stays open); with bars stamped at their close, that is "the bar ended with a
    position". NaN for an empty index.
    """
    if len(index) == 0:
        return math.nan
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise InvalidValueError("exposure_from_trades needs a timezone-aware DatetimeIndex")
    if len(trades) == 0:
        return 0.0
    stamps = np.sort(utc_nanos(index))
    entry = _timestamps(trades, "entry_ts")
    exit_ = _timestamps(trades, "exit_ts")
    known = ~np.asarray(entry.isna(), dtype=bool)
    entry_ns = utc_nanos(entry)[known]
    exit_ns = np.where(np.asarray(exit_.isna()), np.iinfo(np.int64).max, utc_nanos(exit_))[known]
    lo = np.searchsorted(stamps, entry_ns, side="left")
    hi = np.searchsorted(stamps, exit_ns, side="left")
    open_count = np.zeros(stamps.size + 1, dtype=np.int64)
    np.add.at(open_count, lo, 1)
    np.add.at(open_count, hi, -1)
    held = np.cumsum(open_count[:-1]) > 0
    return float(held.mean())


def turnover(
    traded_notional: float | ReturnsLike,
    equity: ReturnsLike,
    *,
    periods_per_year: float | None = None,
) -> float:
    """Return traded notional over average equity: how many times the book was traded.

    ``traded_notional`` is the total (or per-bar amounts, summed as absolute values) of
    ``|quantity × price|`` over all fills, in account currency. With ``periods_per_year`` the
    figure is annualized over the ``len(equity) - 1`` periods of ``equity``. NaN without equity
    (or without a period to annualize over).
    """
    amounts = np.abs(np.atleast_1d(np.asarray(traded_notional, dtype=np.float64)))
    notional = float(np.nansum(amounts))
    eq = values(equity, name="equity")
    present = finite(eq)
    if present.size == 0:
        return math.nan
    total = ratio(notional, float(present.mean()))
    if periods_per_year is None:
        return total
    periods = eq.size - 1
    if periods <= 0:
        return math.nan
    return total * float(periods_per_year) / periods


def costs_by_kind(
    costs: Mapping[str, float] | None = None, trades: pd.DataFrame | None = None
) -> dict[str, float]:
    """Return trading costs per kind (commission, spread, slippage, borrow, funding...).

    Amounts are in account currency, positive when paid. ``costs`` is taken as given (each
    value must be a finite number); without it, the sum of the trades' ``fees`` column is
    reported as ``{"fees": ...}``; without either, ``{}``.
    """
    if costs is not None:
        out: dict[str, float] = {}
        for kind, amount in costs.items():
            try:
                value = float(amount)
            except (TypeError, ValueError):
                value = math.nan
            if not math.isfinite(value):
                raise InvalidValueError(f"cost {kind!r} must be a finite number; got {amount!r}")
            out[str(kind)] = value
        return out
    if trades is not None and "fees" in trades.columns:
        return {"fees": float(np.nansum(trades["fees"].to_numpy(dtype=np.float64)))}
    return {}
