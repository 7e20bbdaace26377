"""The vector engine behind ``backtest(mode="vector")``: same fills as the event engine, faster.

``vector_unsupported`` says what of a run it cannot model (the run then needs the event engine);
``run_vector_backtest`` runs a :class:`~alphaforge.runtime.driver.PreparedBacktest` on it and
builds the same ``BacktestResult`` as the event run.
"""

from __future__ import annotations

from alphaforge.analytics import compute_metrics
from alphaforge.config.settings import public_settings
from alphaforge.data.catalog_args import time_bound
from alphaforge.domain.errors import InvalidValueError
from alphaforge.research.bridge import VECTOR_STRATEGIES, vector_backtest
from alphaforge.runtime._wiring import (
    funding_schedules,
    instruments_of,
    price_frames,
    settings_document,
)
from alphaforge.runtime.driver import PreparedBacktest, _benchmark, _provenance, _run_id
from alphaforge.runtime.result import BacktestResult, build_trades

__all__ = ["run_vector_backtest", "vector_unsupported"]


def vector_unsupported(prepared: PreparedBacktest) -> list[str]:
    """What of the run the vector engine does not model (empty: it can run it)."""
    settings, series = prepared.settings, prepared.series
    unsupported = {
        "spread_bps": settings.spread_bps,
        "borrow_rate": settings.borrow_rate,
        "cash_rate": settings.cash_rate,
        "max_participation": settings.max_participation,
        "fill='aggressive'": settings.fill == "aggressive",
        "trades": any(s.is_trades for s in series),
        "intrabar='lower_timeframe'": settings.intrabar == "lower_timeframe",
        "limit_fill='touch'": settings.limit_fill != "through",
        "queue_ahead": settings.queue_ahead is not None,
        "maker_commission_bps": settings.maker_commission_bps is not None,
        "funding": bool(funding_schedules(series, prepared.funding)),
        "several currencies": any(s.currency.upper() != settings.currency for s in series),
    }
    if prepared.strategy.strategy_name() not in VECTOR_STRATEGIES:
        unsupported[f"the strategy {prepared.strategy.strategy_name()!r}"] = True
    return [name for name, value in unsupported.items() if value]


def run_vector_backtest(prepared: PreparedBacktest) -> BacktestResult:
    """The same run on the vectorized engine (``docs/research.md``): identical fills, faster."""
    strategy, series, settings = prepared.strategy, prepared.series, prepared.settings
    start, end, cfg = prepared.start, prepared.end, prepared.config
    used = vector_unsupported(prepared)
    if used:
        raise InvalidValueError(f"mode='vector' does not model {', '.join(used)}; use mode='event'")
    instruments = instruments_of(series, settings.fractional)
    start_ns = None if start is None else int(time_bound(start, "start").value)  # type: ignore[union-attr]
    run = vector_backtest(
        strategy.strategy_name(),
        strategy.params.model_dump(),
        series,
        instruments,
        cash=settings.cash,
        commission_bps=settings.commission_bps,
        slippage_bps=settings.slippage_bps,
        fill="close" if settings.fill == "close" else "next_open",
        allow_short=settings.allow_short,
        max_position_weight=settings.max_position_weight,
        max_gross_leverage=settings.max_gross_leverage,
        max_drawdown_halt=settings.max_drawdown_halt,
        trading_state=settings.trading_state,
        start_ns=start_ns,
        end=end,
    )
    frames = run.result.to_frames()
    equity = frames.equity
    trades = build_trades(
        run.result.fill_objects(settings.currency),
        run.trade_reasons(),
        {},
        {i.symbol: i for i in instruments},
        run.bar_times(),
        run.last_prices(),
        run.end_ts(),
    )
    costs = run.result.costs()
    bench = _benchmark(prepared.benchmark, series)
    metrics = compute_metrics(
        equity["equity"],
        trades=trades[trades["exit_reason"] != "open at end"],
        benchmark=bench,
        costs=costs,
        exposure=equity["gross"] / equity["equity"],
        turnover=run.result.traded_notional(),
    )
    params = strategy.params.model_dump(mode="json")
    provenance = _provenance(series, bench, equity)
    run_settings = {
        "backtest": settings_document(settings),
        "risk": public_settings(cfg.risk),
        "mode": "vector",
    }
    return BacktestResult(
        strategy=strategy.strategy_name(),
        params=params,
        equity=equity,
        orders=run.orders_frame(),
        fills=frames.fills,
        trades=trades,
        metrics=metrics,
        costs=costs,
        benchmark=bench,
        prices=price_frames(series),
        provenance=provenance,
        settings=run_settings,
        run_id=_run_id(strategy, params, run_settings, provenance),
    )
