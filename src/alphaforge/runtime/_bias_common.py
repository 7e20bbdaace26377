"""What the two bias checks share: running a strategy (a name, class, instance or factory) the
same way each time, loading the series it reads, and writing their reports (table cells,
markdown, JSON-able documents).

The checks themselves are :func:`alphaforge.runtime.bias.check_lookahead` and
:func:`alphaforge.runtime.bias.check_warmup`; their module re-exports the public names here.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from alphaforge.data.catalog_args import time_bound
from alphaforge.data.feed import HistoricalFeed
from alphaforge.domain.errors import InvalidValueError
from alphaforge.runtime.driver import backtest
from alphaforge.runtime.inputs import DataLike, Series, load_series
from alphaforge.runtime.result import BacktestResult
from alphaforge.strategies import Strategy, get_strategy

__all__ = ["StrategyFactory", "StrategyLike", "cell_text"]


StrategyFactory = Callable[[Mapping[str, pd.DataFrame]], Strategy]
"""Builds a strategy from the frames a run sees, by symbol (a second timeframe of a symbol as
``"SYMBOL 1h"``)."""
StrategyLike = str | type[Strategy] | Strategy | StrategyFactory


# ---------------------------------------------------------------------------- running


class _Runner:
    """Runs one strategy (a name, class, instance or factory) the same way each time."""

    def __init__(
        self,
        strategy: StrategyLike,
        data: DataLike | None,
        params: Mapping[str, Any] | None,
        kwargs: Mapping[str, Any],
    ) -> None:
        self.strategy, self.params = strategy, params
        self.kwargs = {k: v for k, v in kwargs.items() if k != "end"}
        self.factory = callable(strategy) and not isinstance(strategy, type | Strategy)
        if (self.factory or isinstance(strategy, Strategy)) and params:
            raise InvalidValueError("pass params to the strategy's constructor or factory")
        self.data = "spx_daily" if data is None and self.factory else data
        self.series = _load(strategy, self.data, kwargs) if self.factory else None

    def run(self, *, end: Any = None, start: Any = None) -> BacktestResult:
        kwargs = {**self.kwargs, **({"start": start} if start is not None else {})}
        if self.series is not None:
            built = self.strategy(_known(self.series, end))  # type: ignore[operator]
            if not isinstance(built, Strategy):
                raise InvalidValueError(f"the factory returned {type(built).__name__}, not a "
                                        "Strategy")  # fmt: skip
            return backtest(built, self.data, end=end, **kwargs)
        if isinstance(self.strategy, Strategy):
            return backtest(copy.deepcopy(self.strategy), self.data, end=end, **kwargs)
        return backtest(self.strategy, self.data, params=self.params, end=end, **kwargs)  # type: ignore[arg-type]


def _load(strategy: StrategyLike, data: DataLike | None, kwargs: Mapping[str, Any]) -> list[Series]:
    """The series a run of ``strategy`` on ``data`` reads (its default data when None)."""
    if data is None:
        cls: type[Strategy] | None = None
        if isinstance(strategy, str):
            cls = get_strategy(strategy)
        elif isinstance(strategy, type):
            cls = strategy
        elif isinstance(strategy, Strategy):
            cls = type(strategy)
        data = (list(cls.default_data) if cls is not None else []) or "spx_daily"
    return load_series(data, symbols=kwargs.get("symbols"), timeframe=kwargs.get("timeframe"),
                       calendar=kwargs.get("calendar"), config=kwargs.get("config"))  # fmt: skip


def _event_ns(s: Series) -> np.ndarray:
    """When each row of ``s`` becomes known (``ts_event``, UTC ns), as the feed stamps it."""
    if s.is_trades:
        return np.asarray(s.frame.index.as_unit("ns").asi8)  # type: ignore[attr-defined]
    feed = HistoricalFeed()
    feed.add_bars(s.symbol, s.timeframe, s.frame, stamp=s.stamp, calendar=s.calendar)
    return np.asarray(feed.arrays().ts_event)


def _known(series: Sequence[Series], end: Any) -> dict[str, pd.DataFrame]:
    """Each series' rows known by ``end`` (all without one), keyed as a factory receives them."""
    bound = time_bound(end, "end", end=True)
    out: dict[str, pd.DataFrame] = {}
    for s in series:
        frame = s.frame
        if bound is not None:
            frame = frame.iloc[: int(np.searchsorted(_event_ns(s), bound.value, side="right"))]
        out[s.symbol if s.symbol not in out else f"{s.symbol} {s.timeframe}"] = frame
    return out


# ---------------------------------------------------------------------------- formatting


def _utc(value: str | pd.Timestamp, name: str) -> pd.Timestamp:
    if isinstance(value, pd.Timestamp) and value.tzinfo is None:
        value = value.tz_localize("UTC")  # a naive stamp in a data frame's index means UTC
    stamp = time_bound(value, name)
    if stamp is None:
        raise InvalidValueError(f"{name} is missing")
    return stamp


def cell_text(value: Any) -> str:
    """A value for a table cell: blank when missing, floats to 6 significant digits."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M")  # UTC, as every stamp of a run
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _markdown(frame: pd.DataFrame) -> str:
    """A pipe table without the optional ``tabulate`` dependency."""
    cells = [[str(c) for c in frame.columns]] + [
        [cell_text(v) for v in row] for row in frame.itertuples(index=False, name=None)
    ]
    lines = ["| " + " | ".join(row) + " |" for row in cells]
    lines.insert(1, "|" + "---|" * len(frame.columns))
    return "\n".join(lines)


def _document(value: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): _plain(v) for k, v in value.items()}


def _plain(value: Any) -> Any:
    """JSON-able: timestamps as ISO text, non-finite floats as None, numpy scalars as Python."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
