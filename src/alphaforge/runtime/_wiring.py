"""Building a backtest's venue and feed from its settings, and reading its outputs back.

Private to ``driver.py``: the strategy instance, the checks that refuse data the strategy cannot
use and settings the data cannot honour, funding schedules, the simulated broker with its fill
and cost models, the feed of bars and trades, and the price frames and strategy report the
result carries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd

from alphaforge.brokers.sim import SimulatedBroker
from alphaforge.core.suggest import did_you_mean
from alphaforge.data.bundled import list_datasets
from alphaforge.data.feed import HistoricalFeed
from alphaforge.domain.enums import AssetClass
from alphaforge.domain.errors import InvalidValueError
from alphaforge.execution.costs import BpsCommission, CommissionModel, MakerTakerCommission
from alphaforge.execution.financing import FundingSchedule
from alphaforge.execution.slippage import (
    CompositeSlippage,
    SlippageBps,
    SlippageModel,
    SpreadModel,
)
from alphaforge.runtime.inputs import Series, instrument_for
from alphaforge.strategies import Strategy, get_strategy

if TYPE_CHECKING:
    from alphaforge.domain.instruments import Instrument
    from alphaforge.runtime.driver import BacktestSettings

__all__ = [
    "check_fit",
    "check_settings",
    "funding_schedules",
    "instruments_of",
    "make_broker",
    "make_feed",
    "make_strategy",
    "price_frames",
    "settings_document",
    "strategy_report",
    "trade_prices",
]

_FILLS = ("next_open", "close", "aggressive")
#: Settings added after runs were published: left out of the run id while at these defaults, so
#: a run that does not use them keeps the id it always had.
_NEUTRAL = {"limit_fill": "through", "queue_ahead": None, "maker_commission_bps": None}


def settings_document(settings: BacktestSettings) -> dict[str, Any]:
    """The settings as recorded and hashed into the run id (see ``_NEUTRAL``)."""
    document = asdict(settings)
    for key, neutral in _NEUTRAL.items():
        if document.get(key) == neutral:
            document.pop(key, None)
    return document


def check_settings(settings: BacktestSettings, series: Sequence[Series]) -> None:
    """Refuse fill settings that are unknown or that the data cannot honour, by name."""
    if settings.fill not in _FILLS:
        hint = (
            " (limit orders already rest and fill passively at their limit in every mode; "
            "limit_fill and queue_ahead tune how)"
            if settings.fill == "passive"
            else ""
        )
        raise InvalidValueError(
            f"fill {settings.fill!r} is not available in backtests; use 'next_open', 'close' or "
            f"'aggressive'{hint}"
        )
    if settings.limit_fill not in ("through", "touch"):
        raise InvalidValueError(
            f"limit_fill must be 'through' or 'touch', got {settings.limit_fill!r}"
        )
    ahead = settings.queue_ahead
    if ahead is not None and not (math.isfinite(ahead) and ahead >= 0):
        raise InvalidValueError(f"queue_ahead must be a quantity >= 0 (or None), got {ahead!r}")
    traded = sorted({s.symbol for s in series if s.is_trades})
    if traded and settings.fill == "close":
        raise InvalidValueError(
            f"fill='close' needs bars: {', '.join(traded)} trade on trade data, where orders "
            "fill against the next trade; use fill='next_open'"
        )
    if ahead is not None and not traded:
        raise InvalidValueError(
            "queue_ahead applies to trade data (a queue at a price); this run has only bars"
        )


REG_T_INITIAL = Decimal("0.5")
"""Initial margin of stocks in a US margin account (Regulation T: 50 %); with the broker's
maintenance at half the initial margin, a call comes when equity falls below 25 % of the
positions' value, FINRA rule 4210's minimum."""


def instruments_of(
    series: Sequence[Series], fractional: bool, *, margin_account: bool = False
) -> list[Instrument]:
    """One instrument per symbol (a symbol may come with bars and trades, or two timeframes).

    ``margin_account``: the run may short or lever, so stocks and indices are margined as in a
    Reg T account (50 % initial) instead of as cash (100 %), which would call a 2x book at once.
    """
    out: dict[str, Instrument] = {}
    for s in series:
        if s.symbol not in out:
            inst = instrument_for(s, fractional)
            stock = inst.asset_class in (AssetClass.EQUITY, AssetClass.INDEX)
            if margin_account and stock and inst.margin_init == 1:
                inst = replace(inst, margin_init=REG_T_INITIAL)
            out[s.symbol] = inst
    return list(out.values())


def make_broker(settings: BacktestSettings, instruments: Sequence[Instrument]) -> SimulatedBroker:
    """The simulated venue of a run: fill timing, limit rule, queue, commission and slippage."""
    costs: list[SlippageModel] = []
    if settings.fill == "aggressive" or settings.spread_bps:
        costs.append(SpreadModel(settings.spread_bps))
    if settings.slippage_bps:
        costs.append(SlippageBps(settings.slippage_bps))
    commission: CommissionModel | None = None
    if settings.maker_commission_bps is not None:
        commission = MakerTakerCommission(settings.maker_commission_bps, settings.commission_bps)
    elif settings.commission_bps:
        commission = BpsCommission(settings.commission_bps)
    return SimulatedBroker(
        instruments,
        fill_mode="close" if settings.fill == "close" else "next_open",
        commission=commission,
        slippage=CompositeSlippage(*costs) if costs else None,
        allow_short=settings.allow_short,
        intrabar=settings.intrabar,  # type: ignore[arg-type]
        max_participation=settings.max_participation,
        limit_fill=settings.limit_fill,  # type: ignore[arg-type]
        queue_ahead=settings.queue_ahead,
    )


def make_feed(series: Sequence[Series], end: object) -> HistoricalFeed:
    """The merged feed of every series (trades as trades); refuse a run with nothing in it."""
    feed = HistoricalFeed(end=end)  # type: ignore[arg-type]
    for s in series:
        if s.is_trades:
            feed.add_trades(s.symbol, s.frame)
        else:
            feed.add_bars(s.symbol, s.timeframe, s.frame, stamp=s.stamp, calendar=s.calendar)
    if len(feed) == 0:
        raise InvalidValueError("no bars or trades to run on between start and end")
    return feed


def trade_prices(s: Series) -> pd.Series:
    """The last trade price of each timestamp of a trade series (for charts and benchmarks)."""
    prices = s.frame["price"].astype("float64")
    return prices[~prices.index.duplicated(keep="last")].rename("close")


def price_frames(series: Sequence[Series]) -> dict[str, pd.DataFrame]:
    """One price frame per symbol for the tearsheet: its first bars, else its trade prices."""
    out: dict[str, pd.DataFrame] = {}
    for s in series:
        if not s.is_trades:
            out.setdefault(s.symbol, s.frame)
    for s in series:
        if s.is_trades and s.symbol not in out:
            out[s.symbol] = trade_prices(s).to_frame()
    return out


def strategy_report(strategy: Strategy) -> dict[str, Any]:
    """What ``strategy.report()`` returned, as a plain dict (empty when it reports nothing)."""
    report = strategy.report()
    if report is None:
        return {}
    if not isinstance(report, Mapping):
        raise InvalidValueError(
            f"{strategy.strategy_name()}.report() must return a mapping or None, "
            f"got {type(report).__name__}"
        )
    return dict(report)


def check_fit(strategy: Strategy, series: Sequence[Series]) -> None:
    """Refuse data the strategy cannot use, naming what is missing (not a KeyError mid-run)."""
    kind = type(strategy)
    name = kind.strategy_name()
    held = len({s.symbol for s in series})
    if held < kind.min_symbols:
        raise InvalidValueError(
            f"{name} trades at least {kind.min_symbols} symbols; the data holds {held}"
        )
    bars = [s for s in series if not s.is_trades]
    if not bars and kind.on_trade is Strategy.on_trade:
        raise InvalidValueError(
            f"{name} decides on bars (on_bar) and the data holds only trades "
            f"({', '.join(s.source for s in series)}); join bars of the same symbol "
            "(e.g. data=['binance_xrpeth_1m', 'binance_xrpeth_trades'])"
        )
    for s in bars:
        missing = sorted(strategy.needs - set(s.frame.columns))  # an instance may widen them
        if missing:
            raise InvalidValueError(
                f"{name} reads {', '.join(missing)}, which {s.symbol} ({s.source}) does not "
                f"carry (it has {', '.join(map(str, s.frame.columns))})"
            )


def funding_schedules(
    series: Sequence[Series], wanted: Mapping[str, str] | None
) -> dict[str, FundingSchedule]:
    """Funding schedules by symbol: the ones asked for, and bundled perpetuals' own series."""
    symbols = {s.symbol for s in series}
    chosen: dict[str, str] = {}
    for info in list_datasets():
        if "funding" in info.name and info.kind == "series":
            for symbol in info.symbols:
                if symbol in symbols:
                    chosen[symbol] = info.name
    for symbol, name in (wanted or {}).items():
        if symbol.upper() not in symbols:
            hint = did_you_mean(symbol, sorted(symbols))
            raise InvalidValueError(f"funding for {symbol!r}, which this run does not trade{hint}")
        chosen[symbol.upper()] = name
    return {symbol: FundingSchedule.from_bundled(name) for symbol, name in chosen.items()}


def make_strategy(
    strategy: str | type[Strategy] | Strategy, params: Mapping[str, Any] | None
) -> Strategy:
    """The strategy instance a run uses: as given, or built by name or class with ``params``."""
    if isinstance(strategy, Strategy):
        if params:
            raise InvalidValueError("pass params to the strategy's constructor, not to backtest()")
        return strategy
    cls = get_strategy(strategy) if isinstance(strategy, str) else strategy
    return cls(dict(params or {}))
