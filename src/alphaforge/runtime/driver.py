"""``backtest()``: one call from a strategy and data to a result with metrics and a tearsheet.

>>> result = backtest("sma_cross", data="spx_daily", params={"fast": 20, "slow": 100})
>>> result.metrics.sharpe_ratio
>>> result.write("out/")

``data`` is a bundled dataset name, a catalog symbol, a CSV/Parquet file, a DataFrame, a mapping
of symbol to DataFrame, or a list of names joined into one run (``["spx_daily", "vix_daily"]``);
left out, it is the strategy's ``default_data`` (else ``spx_daily``), from the first day all of
those data sets exist unless ``start`` says otherwise. Defaults of cash, costs, fill rule and
risk limits come from the ``[backtest]`` and ``[risk]`` sections of the configuration;
arguments override them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import pandas as pd

from alphaforge._version import __version__
from alphaforge.analytics import compute_metrics
from alphaforge.config import AlphaforgeConfig, load_config
from alphaforge.config.settings import public_settings
from alphaforge.data.bundled import dataset_info, load_dataset
from alphaforge.data.catalog_args import time_bound
from alphaforge.data.feed import HistoricalFeed
from alphaforge.domain.errors import InvalidValueError
from alphaforge.execution.engine import ExecutionEngine
from alphaforge.execution.financing import BorrowFee, CashInterest
from alphaforge.portfolio import Ledger
from alphaforge.risk import RiskEngine, RiskLimits
from alphaforge.runtime._wiring import (
    check_fit,
    check_settings,
    funding_schedules,
    instruments_of,
    make_broker,
    make_feed,
    make_strategy,
    price_frames,
    settings_document,
    strategy_report,
    trade_prices,
)
from alphaforge.runtime.financing import Financing
from alphaforge.runtime.inputs import (
    DataLike,
    Series,
    common_currency,
    load_series,
)
from alphaforge.runtime.kernel import Kernel
from alphaforge.runtime.result import BacktestResult, build_trades, fills_frame, orders_frame
from alphaforge.strategies import Strategy

__all__ = ["BacktestSettings", "PreparedBacktest", "backtest", "prepare_backtest"]


@dataclass(frozen=True)
class BacktestSettings:
    """The settings of one run, after arguments were merged over the configuration."""

    cash: str
    currency: str
    commission_bps: float
    slippage_bps: float
    fill: str
    spread_bps: float
    borrow_rate: float
    cash_rate: float
    intrabar: str
    max_participation: float | None
    allow_short: bool
    max_position_weight: float
    max_gross_leverage: float
    max_drawdown_halt: float | None
    trading_state: str
    fractional: bool
    start: str | None
    end: str | None
    limit_fill: str = "through"  # settings from here on are recorded only when set: see
    queue_ahead: float | None = None  # ``_wiring.settings_document``
    maker_commission_bps: float | None = None


@dataclass(frozen=True)
class PreparedBacktest:
    """A backtest with every argument resolved (:func:`prepare_backtest`); ``run`` it."""

    strategy: Strategy
    series: tuple[Series, ...]
    settings: BacktestSettings
    start: str | pd.Timestamp | None
    end: str | pd.Timestamp | None
    benchmark: str | pd.Series | None
    funding: Mapping[str, str] | None
    config: AlphaforgeConfig

    def run(self, mode: Literal["event", "vector"] = "event") -> BacktestResult:
        """Run it on the event engine, or on the vector engine (``vector_unsupported`` empty)."""
        if mode == "vector":
            from alphaforge.runtime._vector import run_vector_backtest  # noqa: PLC0415

            return run_vector_backtest(self)
        return _run_event(self)

    def with_strategy(self, strategy: Strategy) -> PreparedBacktest:
        """The same run for another parameter set of the same strategy class."""
        return replace(self, strategy=strategy)


def backtest(
    strategy: str | type[Strategy] | Strategy,
    data: DataLike | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    symbols: Sequence[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    timeframe: str | None = None,
    calendar: str | None = None,
    cash: float | str | Decimal | None = None,
    currency: str | None = None,
    commission_bps: float | None = None,
    slippage_bps: float | None = None,
    fill: Literal["next_open", "close", "aggressive"] | None = None,
    mode: Literal["event", "vector"] = "event",
    benchmark: str | pd.Series | None = None,
    allow_short: bool | None = None,
    max_position_weight: float | None = None,
    max_gross_leverage: float | None = None,
    fractional: bool | None = None,
    spread_bps: float = 0.0,
    borrow_rate: float | None = None,
    cash_rate: float | None = None,
    funding: Mapping[str, str] | None = None,
    intrabar: Literal["pessimistic", "ohlc_path", "lower_timeframe"] = "pessimistic",
    max_participation: float | None = None,
    limit_fill: Literal["through", "touch"] = "through",
    queue_ahead: float | None = None,
    maker_commission_bps: float | None = None,
    config: AlphaforgeConfig | None = None,
) -> BacktestResult:
    """Run ``strategy`` over ``data``; see the module docstring and ``docs/backtesting.md``.

    ``start``: bars before it only warm up indicators (no orders, no equity). ``benchmark``: a
    bundled dataset, a symbol of the run, or a price series; default: buying and holding the
    first symbol. ``fractional``: trade fractional units (default: whole shares/contracts).
    Where an argument is left out, the strategy's ``run_defaults`` (a pairs strategy needs
    shorting and 2x gross leverage, say) come before the configuration.
    ``currency``: the account currency; default: the one all series are quoted in (USDT for
    Binance USDT pairs), else the configured one.
    ``fill="aggressive"``: next-open fills that also cross half of ``spread_bps``.
    ``borrow_rate`` / ``cash_rate``: annual rates of the stock-loan fee on shorts and of interest
    on cash (360-day years). ``funding``: symbol -> bundled funding-rate dataset; a bundled
    perpetual's own funding series is attached by default. ``intrabar`` orders a bar's high and
    low for stops and targets (``"lower_timeframe"``: each symbol trades on its coarsest bars,
    walked along its finest bars in the run); ``max_participation`` caps fills at that share of
    bar volume.
    Limit orders rest and fill passively at their limit (maker) under every ``fill`` mode:
    ``limit_fill="through"`` needs a price beyond the limit, ``"touch"`` (optimistic) one at it.
    With trade data (``binance_xrpeth_trades``) orders fill against each trade; ``queue_ahead``
    (units) is the queue assumed ahead of a limit joining at or behind the best price the trades
    show (None: unknown, only a trade through the limit fills it). ``maker_commission_bps``:
    commission on passive fills (negative: a rebate); default ``commission_bps``.
    """
    if mode not in ("event", "vector"):
        raise InvalidValueError(f"mode must be 'event' or 'vector', got {mode!r}")
    prepared = prepare_backtest(
        strategy, data, params=params, symbols=symbols, start=start, end=end,
        timeframe=timeframe, calendar=calendar, cash=cash, currency=currency,
        commission_bps=commission_bps, slippage_bps=slippage_bps, fill=fill,
        allow_short=allow_short, max_position_weight=max_position_weight,
        max_gross_leverage=max_gross_leverage, fractional=fractional, spread_bps=spread_bps,
        borrow_rate=borrow_rate, cash_rate=cash_rate, intrabar=intrabar,
        max_participation=max_participation, limit_fill=limit_fill, queue_ahead=queue_ahead,
        maker_commission_bps=maker_commission_bps, benchmark=benchmark, funding=funding,
        config=config,
    )  # fmt: skip
    return prepared.run(mode)


def prepare_backtest(
    strategy: str | type[Strategy] | Strategy,
    data: DataLike | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    symbols: Sequence[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    timeframe: str | None = None,
    calendar: str | None = None,
    cash: float | str | Decimal | None = None,
    currency: str | None = None,
    commission_bps: float | None = None,
    slippage_bps: float | None = None,
    fill: Literal["next_open", "close", "aggressive"] | None = None,
    benchmark: str | pd.Series | None = None,
    allow_short: bool | None = None,
    max_position_weight: float | None = None,
    max_gross_leverage: float | None = None,
    fractional: bool | None = None,
    spread_bps: float = 0.0,
    borrow_rate: float | None = None,
    cash_rate: float | None = None,
    funding: Mapping[str, str] | None = None,
    intrabar: Literal["pessimistic", "ohlc_path", "lower_timeframe"] = "pessimistic",
    max_participation: float | None = None,
    limit_fill: Literal["through", "touch"] = "through",
    queue_ahead: float | None = None,
    maker_commission_bps: float | None = None,
    config: AlphaforgeConfig | None = None,
) -> PreparedBacktest:
    """Resolve ``backtest``'s arguments (same meaning) into the run's strategy, series and
    settings, without running it: what ``backtest`` does first, and what an optimizer does once
    before it runs many parameter sets on the same data and settings."""
    cfg = config or load_config()
    bt, rk = cfg.backtest, cfg.risk
    strat = make_strategy(strategy, params)
    own_data = data is None and len(type(strat).default_data) > 1
    if data is None:
        data = list(type(strat).default_data) or "spx_daily"
    series = load_series(data, symbols=symbols, timeframe=timeframe, calendar=calendar, config=cfg)
    check_fit(strat, series)
    if own_data and start is None:  # its own data sets: start when all of them exist (a
        start = max(s.frame.index[0] for s in series)  # modelled series begins in 2014)
    own = type(strat).run_defaults  # the strategy's needs (shorting, leverage) under arguments
    if allow_short is None:
        allow_short = own.get("allow_short")
    max_position_weight = max_position_weight or own.get("max_position_weight")
    max_gross_leverage = max_gross_leverage or own.get("max_gross_leverage")
    fractional = bool(fractional if fractional is not None else own.get("fractional", False))
    borrow_rate = borrow_rate if borrow_rate is not None else own.get("borrow_rate", 0.0)
    cash_rate = cash_rate if cash_rate is not None else own.get("cash_rate", 0.0)
    cash = cash if cash is not None else own.get("cash", bt.cash)
    commission_bps = commission_bps if commission_bps is not None else own.get("commission_bps")
    if maker_commission_bps is None:
        maker_commission_bps = own.get("maker_commission_bps")
    if queue_ahead is None:
        queue_ahead = own.get("queue_ahead")
    settings = BacktestSettings(
        cash=str(cash),
        currency=(currency or common_currency(series) or bt.currency).upper(),
        commission_bps=float(commission_bps if commission_bps is not None else bt.commission_bps),
        slippage_bps=float(slippage_bps if slippage_bps is not None else bt.slippage_bps),
        fill=str(fill or bt.fill),
        spread_bps=float(spread_bps),
        borrow_rate=float(borrow_rate or 0.0),
        cash_rate=float(cash_rate or 0.0),
        intrabar=intrabar,
        max_participation=max_participation,
        allow_short=bool(allow_short if allow_short is not None else bt.allow_short),
        max_position_weight=float(max_position_weight or rk.max_position_weight),
        max_gross_leverage=float(max_gross_leverage or rk.max_gross_leverage),
        max_drawdown_halt=rk.max_drawdown_halt,
        trading_state=str(rk.trading_state),
        fractional=fractional,
        start=None if start is None else str(start),
        end=None if end is None else str(end),
        limit_fill=str(limit_fill),
        queue_ahead=None if queue_ahead is None else float(queue_ahead),
        maker_commission_bps=None if maker_commission_bps is None else float(maker_commission_bps),
    )
    check_settings(settings, series)
    return PreparedBacktest(strat, tuple(series), settings, start, end, benchmark, funding, cfg)


def _run_event(prepared: PreparedBacktest) -> BacktestResult:
    strat, series, settings = prepared.strategy, prepared.series, prepared.settings
    start, end, funding = prepared.start, prepared.end, prepared.funding
    margin = settings.allow_short or settings.max_gross_leverage > 1
    instruments = instruments_of(series, settings.fractional, margin_account=margin)
    ledger = Ledger(settings.currency, cash=Decimal(settings.cash), instruments=instruments)
    broker = make_broker(settings, instruments)
    schedules = funding_schedules(series, funding)
    financing = Financing(
        ledger,
        borrow=BorrowFee(settings.borrow_rate) if settings.borrow_rate else None,
        interest=CashInterest(settings.cash_rate) if settings.cash_rate else None,
        funding=schedules,
    )
    engine = ExecutionEngine(broker, ledger)
    risk = RiskEngine(
        RiskLimits(
            max_position_weight=settings.max_position_weight,
            max_gross_leverage=settings.max_gross_leverage,
            allow_short=settings.allow_short,
            max_drawdown_halt=settings.max_drawdown_halt,
        ),
        state=settings.trading_state,
    )
    feed = make_feed(series, end)
    batch, trades = feed.arrays(), feed.trades()
    start_ns = None if start is None else int(time_bound(start, "start").value)  # type: ignore[union-attr]
    kernel = Kernel(
        batch=batch,
        bars=feed.bars(),
        trades=trades if len(trades) else None,
        events=iter(feed) if len(trades) or settings.intrabar == "lower_timeframe" else None,
        lower_timeframe=settings.intrabar == "lower_timeframe",
        strategy=strat,
        ledger=ledger,
        broker=broker,
        engine=engine,
        risk=risk,
        start_ns=start_ns,
        financing=financing,
        margin=margin,
    )
    kernel.run()
    return _result(kernel, strat, series, settings, prepared.benchmark, prepared.config)


def _provenance(
    series: Sequence[Series], bench: pd.Series | None, equity: pd.DataFrame
) -> dict[str, Any]:
    return {
        "alphaforge": __version__,
        "data": [
            {
                "symbol": s.symbol,
                "timeframe": s.timeframe,
                "source": s.source,
                "rows": len(s.frame),
                "first": s.frame.index[0].isoformat(),
                "last": s.frame.index[-1].isoformat(),
                **s.extra,
            }
            for s in series
        ],
        "benchmark": None if bench is None else str(bench.name),
        "period": {"first": equity.index[0].isoformat(), "last": equity.index[-1].isoformat()},
    }


def _run_id(
    strategy: Strategy, params: dict[str, Any], settings: dict[str, Any], provenance: dict[str, Any]
) -> str:
    document = {
        "strategy": strategy.strategy_name(),
        "params": params,
        "settings": settings,
        "data": provenance["data"],
        "version": __version__,
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()[
        :16
    ]


def _result(
    kernel: Kernel,
    strategy: Strategy,
    series: Sequence[Series],
    settings: BacktestSettings,
    benchmark: str | pd.Series | None,
    cfg: AlphaforgeConfig,
) -> BacktestResult:
    ledger, engine = kernel.ledger, kernel.engine
    equity = kernel.recorder.to_frame()
    if len(equity) < 2:
        raise InvalidValueError(
            f"the run covered {len(equity)} bar(s); a backtest needs at least 2"
        )
    orders = list(engine.orders())
    bar_times = {sym: st.ts for sym, st in kernel.primary.items()}
    last_prices = {sym: ledger.last_price(sym) for sym in kernel.primary}
    ends = [int(st.ts[-1]) for st in kernel.primary.values() if len(st.ts)]
    end_ts = ends[0] if ends else None
    trades = build_trades(
        engine.fills,
        engine.fill_reasons,
        {o.client_order_id: o for o in orders},
        {s.symbol: ledger.instrument(s.symbol) for s in series},
        bar_times,
        last_prices,
        end_ts,
    )
    costs = {kind: float(value) for kind, value in ledger.costs_by_kind().items()}
    bench = _benchmark(benchmark, series, kernel)
    closed = trades[trades["exit_reason"] != "open at end"]
    exposure = equity["gross"] / equity["equity"]
    metrics = compute_metrics(
        equity["equity"],
        trades=closed,
        benchmark=bench,
        costs=costs,
        exposure=exposure,
        turnover=float(ledger.traded_notional()),
    )
    params = strategy.params.model_dump(mode="json")
    provenance = _provenance(series, bench, equity)
    run_settings = {"backtest": settings_document(settings), "risk": public_settings(cfg.risk)}
    return BacktestResult(
        strategy=strategy.strategy_name(),
        params=params,
        equity=equity,
        orders=orders_frame(orders),
        fills=fills_frame(engine.fills, engine.fill_reasons),
        trades=trades,
        metrics=metrics,
        costs=costs,
        benchmark=bench,
        prices=price_frames(series),
        provenance=provenance,
        settings=run_settings,
        run_id=_run_id(strategy, params, run_settings, provenance),
        strategy_report=strategy_report(strategy),
    )


def _benchmark(
    benchmark: str | pd.Series | None, series: Sequence[Series], kernel: Kernel | None = None
) -> pd.Series | None:
    if isinstance(benchmark, pd.Series):
        return benchmark if benchmark.name else benchmark.rename("benchmark")
    wanted = series[0].symbol if benchmark is None else benchmark.upper()
    for s in series:
        if s.symbol == wanted:
            state = None if kernel is None or s.is_trades else kernel.primary.get(s.symbol)
            if state is not None:  # the run's own closes and event times: no second feed
                closes = state.arrays["close"]
                index = pd.DatetimeIndex(np.asarray(state.ts, dtype=np.int64), tz="UTC")
                return pd.Series(closes, index=index, name=f"{s.symbol} buy and hold")
            return _at_close(s).rename(f"{s.symbol} buy and hold")
    if benchmark is None:
        return None
    info = dataset_info(benchmark)
    if info.kind not in ("ohlcv", "close") or len(info.symbols) != 1:
        raise InvalidValueError(f"benchmark {benchmark!r} must be a one-symbol price dataset")
    frame = load_dataset(benchmark)
    s = Series(info.symbols[0], info.frequency, frame, info.calendar, info.stamp,
               info.asset_class, info.currency, f"bundled:{benchmark}")  # fmt: skip
    return _at_close(s).rename(benchmark)


def _at_close(s: Series) -> pd.Series:
    """The close series stamped when each close was known (the feed's event times)."""
    if s.is_trades:
        return trade_prices(s)
    feed = HistoricalFeed()
    feed.add_bars(s.symbol, s.timeframe, s.frame[["close"]], stamp=s.stamp, calendar=s.calendar)
    batch = feed.arrays()
    return pd.Series(batch.close, index=pd.DatetimeIndex(batch.ts_event, tz="UTC"))
