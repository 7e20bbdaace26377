"""Price charts with the trades drawn on them, one per symbol (the first ``MAX_SYMBOLS``).

Candlesticks when the frame has open, high, low and close and at most ``MAX_POINTS`` bars in the
backtest period; otherwise a line of closes, downsampled past ``MAX_POINTS``. Markers come from
the fills (entries ▲ green, exits ▼ red, an entry being a fill that opens, adds to or reverses a
position); without fills, from the trades table's entry and exit prices.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from alphaforge.analytics._tearsheet_charts import COLORS, Chart, base_layout
from alphaforge.analytics._tearsheet_data import (
    MAX_POINTS,
    check_prices,
    fill_roles,
    line,
    time_labels,
)
from alphaforge.domain.errors import InvalidValueError

__all__ = ["MAX_MARKERS", "MAX_SYMBOLS", "price_charts"]

MAX_SYMBOLS = 5
MAX_MARKERS = 5_000  # per symbol
_OHLC = ("open", "high", "low", "close")


def _f32(frame: pd.DataFrame, name: str) -> np.ndarray:
    return frame[name].to_numpy(dtype=np.float64, na_value=np.nan).astype(np.float32)


def _price_trace(symbol: str, bars: pd.DataFrame) -> tuple[Any, list[str]]:
    if all(name in bars.columns for name in _OHLC) and len(bars) <= MAX_POINTS:
        trace = go.Candlestick(
            x=time_labels(pd.DatetimeIndex(bars.index)),
            open=_f32(bars, "open"),
            high=_f32(bars, "high"),
            low=_f32(bars, "low"),
            close=_f32(bars, "close"),
            name=symbol,
            increasing_line_color=COLORS["gain"],
            decreasing_line_color=COLORS["loss"],
        )
        return trace, []
    close = bars["close"].to_numpy(dtype=np.float64, na_value=np.nan)
    drawn = line(pd.DatetimeIndex(bars.index), close)
    trace = go.Scatter(
        x=drawn.x,
        y=drawn.y,
        name=f"{symbol} close",
        line={"color": COLORS["text"], "width": 1.1},
        hovertemplate="%{y:,.6g}<extra>close</extra>",
    )
    notes = []
    if drawn.downsampled:
        notes.append(
            f"{len(bars):,} bars drawn as a line of closes with {len(drawn.x):,} points (the "
            "lowest and highest close of each stretch are kept); the backtest used every bar."
        )
    return trace, notes


def _marker_trace(name: str, points: pd.DataFrame, entry: bool) -> go.Scatter:
    color, symbol = (COLORS["gain"], "triangle-up") if entry else (COLORS["loss"], "triangle-down")
    return go.Scatter(
        x=time_labels(pd.DatetimeIndex(points["ts"])),
        y=points["price"].to_numpy(dtype=np.float64).astype(np.float32),
        mode="markers",
        name=name,
        text=points["label"].tolist(),
        marker={
            "symbol": symbol,
            "color": color,
            "size": 10,
            "line": {"width": 1, "color": "#fff"},
        },
        hovertemplate="%{text}<extra></extra>",
    )


def _fill_points(fills: pd.DataFrame) -> pd.DataFrame:
    label = (
        fills["side"]
        + " "
        + fills["quantity"].map("{:,.6g}".format)
        + " @ "
        + fills["price"].map("{:,.6g}".format)
    )
    if "fee" in fills.columns:
        label = label + " · fee " + fills["fee"].map("{:,.2f}".format)
    if "reason" in fills.columns:
        label = label + " · " + fills["reason"].astype(str)
    return pd.DataFrame(
        {"ts": fills["ts"], "price": fills["price"], "label": label, "entry": fill_roles(fills)}
    )


def _utc(column: pd.Series, what: str) -> pd.Series:
    stamps = pd.to_datetime(column)
    if stamps.dt.tz is None:
        raise InvalidValueError(f"{what} holds naive timestamps; expected timezone-aware (UTC)")
    return stamps.dt.tz_convert("UTC")


def _trade_points(trades: pd.DataFrame) -> pd.DataFrame:
    side = trades["side"].astype(str) if "side" in trades.columns else "trade"
    reason = trades["exit_reason"].astype(str) if "exit_reason" in trades.columns else "exit"
    entries = pd.DataFrame(
        {
            "ts": _utc(trades["entry_ts"], "trades 'entry_ts'"),
            "price": trades["entry_price"],
            "label": "enter " + side,
            "entry": True,
        }
    )
    exits = pd.DataFrame(
        {
            "ts": _utc(trades["exit_ts"], "trades 'exit_ts'"),
            "price": trades["exit_price"],
            "label": "exit · " + reason,
            "entry": False,
        }
    )
    both = pd.concat([entries, exits], ignore_index=True).dropna(subset=["ts", "price"])
    return both.sort_values("ts", kind="stable")


def _markers(
    symbol: Hashable, fills: pd.DataFrame | None, trades: pd.DataFrame | None
) -> tuple[pd.DataFrame | None, str]:
    """Return the trade points of one symbol and where they came from."""
    if fills is not None:
        mine = fills[fills["symbol"] == symbol]
        return (_fill_points(mine.reset_index(drop=True)) if len(mine) else None), "fills"
    needed = {"symbol", "entry_ts", "exit_ts", "entry_price", "exit_price"}
    if trades is not None and needed <= set(trades.columns):
        mine = trades[trades["symbol"] == symbol]
        return (_trade_points(mine) if len(mine) else None), "trades"
    return None, ""


def _symbol_chart(
    symbol: Hashable,
    bars: pd.DataFrame,
    fills: pd.DataFrame | None,
    trades: pd.DataFrame | None,
) -> Chart:
    name = str(symbol)
    trace, notes = _price_trace(name, bars)
    fig = go.Figure(
        trace,
        layout=base_layout(
            420,
            hovermode="closest",
            title={"text": name, "x": 0.01, "font": {"size": 14}},
            xaxis={"rangeslider": {"visible": False}, "gridcolor": COLORS["grid"]},
        ),
    )
    points, source = _markers(symbol, fills, trades)
    if points is not None:
        start, end = bars.index[0], bars.index[-1]
        points = points[(points["ts"] >= start) & (points["ts"] <= end)]
        if len(points) > MAX_MARKERS:
            notes.append(f"Markers: the first {MAX_MARKERS:,} of {len(points):,} {source}.")
            points = points.iloc[:MAX_MARKERS]
        is_entry = points["entry"].to_numpy(dtype=bool)
        fig.add_trace(_marker_trace("Entry", points[is_entry], entry=True))
        fig.add_trace(_marker_trace("Exit", points[~is_entry], entry=False))
        notes.append(f"{len(points):,} markers from the {source}: ▲ entry, ▼ exit.")
    return Chart(fig, notes)


def price_charts(
    prices: Mapping[str, pd.DataFrame | pd.Series],
    fills: pd.DataFrame | None,
    trades: pd.DataFrame | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> tuple[list[Chart], list[str]]:
    """Return one chart per symbol (the first ``MAX_SYMBOLS``) over ``[start, end]``, and notes.

    ``fills`` must have passed ``check_fills``.
    """
    symbols = list(prices)
    notes = []
    if len(symbols) > MAX_SYMBOLS:
        rest = ", ".join(str(s) for s in symbols[MAX_SYMBOLS:])
        notes.append(
            f"Showing the first {MAX_SYMBOLS} of {len(symbols)} symbols; not drawn: {rest}."
        )
    charts = []
    for symbol in symbols[:MAX_SYMBOLS]:
        bars = check_prices(symbol, prices[symbol])
        bars = bars.loc[(bars.index >= start) & (bars.index <= end)]
        if len(bars) == 0:
            notes.append(f"{symbol}: no price in the backtest period.")
            continue
        charts.append(_symbol_chart(symbol, bars, fills, trades))
    return charts, notes
