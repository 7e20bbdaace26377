"""``vector_backtest``: a built-in strategy over the runtime's series, on the vector engine.

This is what ``alphaforge.backtest(mode="vector")`` calls once it has loaded the series, built
the instruments and merged the settings (the runtime owns those steps). The bars go through the
same ``HistoricalFeed`` as in event mode, so the vector run sees the same event times (each
session's close), the same ``start``/``end`` cut and the same column of each symbol; the weights
come from the ``*_weights`` twin of the strategy (``VECTOR_STRATEGIES``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from alphaforge.core.suggest import did_you_mean
from alphaforge.data.feed import HistoricalFeed
from alphaforge.data.feed_events import span_rank
from alphaforge.data.timeframes import parse_timeframe
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.instruments import Instrument
from alphaforge.research import _layout as lay
from alphaforge.research._inputs import panel_of
from alphaforge.research._setup import Setup
from alphaforge.research.signals import (
    buy_and_hold_weights,
    rsi_reversion_weights,
    sma_cross_weights,
)
from alphaforge.research.vector import FillRule, VectorResult, run_vector, simulate_panel

__all__ = [
    "VECTOR_STRATEGIES",
    "SeriesLike",
    "VectorEvaluator",
    "VectorPanel",
    "VectorRun",
    "strategy_weights",
    "vector_backtest",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
# (close as a frame or a bars x assets array, params, start) -> weights of the same shape
WeightFn: TypeAlias = Callable[[Any, Mapping[str, Any], int], Any]


class SeriesLike(Protocol):
    """What the vector engine reads of ``alphaforge.runtime.Series``."""

    @property
    def symbol(self) -> str: ...
    @property
    def timeframe(self) -> str: ...
    @property
    def frame(self) -> pd.DataFrame: ...
    @property
    def calendar(self) -> str | None: ...
    @property
    def stamp(self) -> str: ...


@dataclass(frozen=True)
class VectorPanel:
    """Bars of every symbol on one grid of event times (NaN: no bar of that symbol then).

    Columns are in the feed's delivery order (by timeframe, then symbol), which is the order
    the event kernel handles the bars of one timestamp; ``symbol_order`` lists the columns in
    the order of the run's symbols (``ctx.symbols``): the ledger's slots, whose market values
    it sums in that order, and the order ``target_weights`` visits them.
    """

    index: pd.DatetimeIndex
    symbols: tuple[str, ...]
    open: FloatArray
    close: FloatArray
    symbol_order: tuple[int, ...]

    @classmethod
    def from_series(cls, series: Sequence[SeriesLike], *, end: object = None) -> VectorPanel:
        """Merge ``series`` through a ``HistoricalFeed`` (as the event engine does)."""
        feed = HistoricalFeed(end=end)  # type: ignore[arg-type]
        for s in series:
            feed.add_bars(s.symbol, s.timeframe, s.frame, stamp=s.stamp, calendar=s.calendar)
        batch = feed.arrays()
        if len(batch) == 0:
            raise InvalidValueError("no bars to run on between start and end")
        infos = batch.streams
        names = [i.symbol for i in infos]
        if len(set(names)) != len(names):
            raise InvalidValueError("the vector engine takes one timeframe per symbol")
        delivery = sorted(
            range(len(infos)),
            key=lambda k: (span_rank(parse_timeframe(infos[k].timeframe)), infos[k].symbol),
        )
        column_of = {infos[k].id: c for c, k in enumerate(delivery)}
        stamps, row = np.unique(batch.ts_event, return_inverse=True)
        col = np.array([column_of[int(s)] for s in range(len(infos))])[batch.stream]
        shape = (stamps.shape[0], len(infos))
        open_, close = np.full(shape, np.nan), np.full(shape, np.nan)
        open_[row, col] = batch.open
        close[row, col] = batch.close
        return cls(
            index=pd.DatetimeIndex(pd.to_datetime(stamps, unit="ns", utc=True), name="ts"),
            symbols=tuple(infos[k].symbol for k in delivery),
            open=open_,
            close=close,
            symbol_order=tuple(column_of[i.id] for i in infos),
        )


def _sma_cross(close: pd.DataFrame, p: Mapping[str, Any], start: int) -> Any:
    return sma_cross_weights(
        close,
        int(p.get("fast", 10)),
        int(p.get("slow", 30)),
        p.get("mode", "long_only"),
        float(p.get("weight", 1.0)),
        start=start,
    )


def _rsi_reversion(close: pd.DataFrame, p: Mapping[str, Any], start: int) -> Any:
    for key in ("trend_period", "max_hold"):  # the event strategy's refinements, off at 0
        if p.get(key):
            raise InvalidValueError(
                f"mode='vector' runs rsi_reversion without {key} (got {key}={p[key]!r}); "
                f"leave it at 0 or use mode='event'"
            )
    return rsi_reversion_weights(
        close,
        int(p.get("period", 14)),
        float(p.get("lower", 30.0)),
        float(p.get("upper", 70.0)),
        float(p.get("weight", 1.0)),
        start=start,
    )


def _buy_and_hold(close: pd.DataFrame, p: Mapping[str, Any], start: int) -> Any:
    return buy_and_hold_weights(close, float(p.get("weight", 1.0)), start=start)


#: Built-in strategies the vector engine reproduces: name -> weights of (close, params, start).
#: All three trade each symbol in its own ``on_bar``: ``decisions="per_asset"``.
VECTOR_STRATEGIES: dict[str, WeightFn] = {
    "buy_and_hold": _buy_and_hold,
    "rsi_reversion": _rsi_reversion,
    "sma_cross": _sma_cross,
}
#: The tags the strategies give their orders: (weight > 0, weight <= 0).
_TAGS = {
    "buy_and_hold": ("buy_and_hold", "buy_and_hold"),
    "rsi_reversion": ("rsi<lower", "rsi>upper"),
    "sma_cross": ("fast>slow", "fast<=slow"),
}


@dataclass(frozen=True)
class VectorRun:
    """A vector backtest: the result, the bars it ran on (warm-up included) and the tag of
    each order, i.e. what ``BacktestResult`` needs besides the result's frames."""

    result: VectorResult
    panel: VectorPanel
    start: int  # the first bar of the run in ``panel`` (earlier bars only warmed indicators)
    tags: tuple[str, ...]  # one per order, as the strategy tags it

    def bar_times(self) -> dict[str, npt.NDArray[np.int64]]:
        """Each symbol's bar times (int ns UTC), warm-up included: ``build_trades``' input."""
        stamps = self.panel.index.asi8
        return {
            s: stamps[~np.isnan(self.panel.close[:, j])] for j, s in enumerate(self.panel.symbols)
        }

    def last_prices(self) -> dict[str, float]:
        """Each symbol's last close (what the ledger was last marked at)."""
        out = {}
        for j, s in enumerate(self.panel.symbols):
            column = self.panel.close[:, j]
            out[s] = float(column[~np.isnan(column)][-1])
        return out

    def end_ts(self) -> int:
        """The last bar time of the run's first symbol (the event engine's ``end_ts``)."""
        first = self.panel.symbol_order[0]
        return int(self.bar_times()[self.panel.symbols[first]][-1])

    def trade_reasons(self) -> list[str]:
        """Per fill, ``"<order tag> / <fill reason>"``: the exit reason of a trade it closes."""
        why = "market at close" if self.result.fill_rule == "close" else "market at open"
        return [f"{self.tags[k]} / {why}" for k in self.result.fills.order]

    def orders_frame(self) -> pd.DataFrame:
        """``VectorResult.orders_frame`` with the strategy's tags."""
        return self.result.orders_frame(tags=self.tags)


def strategy_weights(
    strategy: str, params: Mapping[str, Any], close: pd.DataFrame, *, start: int = 0
) -> pd.DataFrame:
    """The weights ``strategy`` (a ``VECTOR_STRATEGIES`` name) decides on ``close``."""
    fn = VECTOR_STRATEGIES.get(strategy)
    if fn is None:
        raise InvalidValueError(
            f"mode='vector' runs {', '.join(sorted(VECTOR_STRATEGIES))}, not {strategy!r}; "
            f"use mode='event'{did_you_mean(strategy, list(VECTOR_STRATEGIES))}"
        )
    return pd.DataFrame(fn(close, params, start), index=close.index, columns=close.columns)


def vector_backtest(
    strategy: str,
    params: Mapping[str, Any],
    series: Sequence[SeriesLike],
    instruments: Sequence[Instrument],
    *,
    cash: object,
    commission_bps: float,
    slippage_bps: float,
    fill: FillRule = "next_open",
    allow_short: bool = False,
    max_position_weight: float = 1.0,
    max_gross_leverage: float = 1.0,
    max_drawdown_halt: float | None = None,
    trading_state: str = "ACTIVE",
    start_ns: int | None = None,
    end: object = None,
) -> VectorRun:
    """Run the built-in ``strategy`` with validated ``params`` on the vector engine.

    ``series`` and ``instruments`` are the runtime's (``load_series``, ``instrument_for``);
    ``start_ns``: bars before it only warm the indicators (no orders, no equity), as in event
    mode; ``end`` is the feed's end bound. The result's equity and fills have the event
    engine's timestamps; ``VectorRun`` adds what trades and the orders table need.
    """
    panel = VectorPanel.from_series(series, end=end)
    by_symbol = {i.symbol: i for i in instruments}
    missing = [s for s in panel.symbols if s not in by_symbol]
    if missing:
        raise InvalidValueError(f"no instrument for {missing}")
    chosen = [by_symbol[s] for s in panel.symbols]
    first = 0 if start_ns is None else int(panel.index.asi8.searchsorted(start_ns))
    if panel.index.shape[0] - first < 2:
        raise InvalidValueError("the run covers fewer than 2 bars; a backtest needs at least 2")
    close = pd.DataFrame(panel.close, index=panel.index, columns=list(panel.symbols))
    weights = strategy_weights(strategy, params, close, start=first).to_numpy()[first:]
    result = run_vector(
        panel.close[first:],
        panel.open[first:],
        weights=weights,
        index=panel.index[first:],
        symbols=panel.symbols,
        cash=str(cash),
        commission_bps=commission_bps,
        slippage_bps=slippage_bps,
        lot_size=[i.lot_size for i in chosen],
        tick_size=[i.tick_size for i in chosen],
        tick_tiers=[i.tick_tiers for i in chosen],
        multiplier=[i.multiplier for i in chosen],
        fill=fill,
        decisions="per_asset",
        symbol_order=panel.symbol_order,
        allow_short=allow_short,
        max_position_weight=max_position_weight,
        max_gross_leverage=max_gross_leverage,
        max_drawdown_halt=max_drawdown_halt,
        trading_state=trading_state,
    )
    up, down = _TAGS[strategy]
    decided = weights[result.orders.t, result.orders.asset]
    tags = tuple(up if w > 0 else down for w in decided.tolist())
    return VectorRun(result, panel, first, tags)


class VectorEvaluator:
    """One built-in strategy on fixed bars and settings, run for many parameter sets.

    What ``vector_backtest`` does per run, split so the bars, instruments and cost settings are
    prepared once and each parameter set only computes its weights and runs the kernel: the
    equity curve it returns is the one ``vector_backtest`` (and so the event engine) gives.
    """

    def __init__(
        self,
        strategy: str,
        series: Sequence[SeriesLike],
        instruments: Sequence[Instrument],
        *,
        cash: object,
        commission_bps: float,
        slippage_bps: float,
        fill: FillRule = "next_open",
        allow_short: bool = False,
        max_position_weight: float = 1.0,
        max_gross_leverage: float = 1.0,
        max_drawdown_halt: float | None = None,
        trading_state: str = "ACTIVE",
        start_ns: int | None = None,
        end: object = None,
    ) -> None:
        if strategy not in VECTOR_STRATEGIES:
            raise InvalidValueError(f"the vector engine does not run {strategy!r}")
        panel = VectorPanel.from_series(series, end=end)
        by_symbol = {i.symbol: i for i in instruments}
        chosen = [by_symbol[s] for s in panel.symbols]
        first = 0 if start_ns is None else int(panel.index.asi8.searchsorted(start_ns))
        if panel.index.shape[0] - first < 2:
            raise InvalidValueError("the run covers fewer than 2 bars; a backtest needs at least 2")
        self.strategy = strategy
        self.first = first
        self.index = panel.index[first:]
        self._close = panel.close  # the weight functions take arrays as well as frames
        self._panel = panel_of(panel.close[first:], panel.open[first:], self.index, panel.symbols)
        self._setup = Setup.build(
            len(panel.symbols),
            lot_size=[i.lot_size for i in chosen],
            tick_size=[i.tick_size for i in chosen],
            tick_tiers=[i.tick_tiers for i in chosen],
            multiplier=[i.multiplier for i in chosen],
            cash=str(cash),
            commission_bps=commission_bps,
            slippage_bps=slippage_bps,
            max_position_weight=max_position_weight,
            max_gross_leverage=max_gross_leverage,
            max_drawdown_halt=max_drawdown_halt,
            trading_state=trading_state,
            fill=fill,
            per_asset=True,
            allow_short=allow_short,
            symbol_order=panel.symbol_order,
        )

    def equity(self, params: Mapping[str, Any]) -> tuple[FloatArray, int]:
        """The equity at each bar of the run (``index``) and the number of closed trades
        (positions opened, less those still open at the end: ``Metrics.number_of_trades``)."""
        weights = VECTOR_STRATEGIES[self.strategy](self._close, params, self.first)
        w = np.ascontiguousarray(np.asarray(weights, dtype=np.float64)[self.first :])
        rec, state = simulate_panel(self._panel, w, self._setup)
        still_open = int(np.count_nonzero(state.ai[:, lay.AI_POS]))
        return rec.equity, int(state.acct[lay.ACCT_ENTRIES]) - still_open
