"""The vector engine behind ``backtest(mode="vector")``: same fills as the event engine, faster.

``vector_unsupported`` says what of a run it cannot model (the run then needs the event engine);
``run_vector_backtest`` runs a :class:`~alphaforge.runtime.driver.PreparedBacktest` on it and
builds the same ``BacktestResult`` as the event run.
"""

from __future__ import annotations

from typing import Any

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


def vector_options(prepared: PreparedBacktest) -> dict[str, Any]:
    """The vector engine's cost, fill, risk and period arguments for a prepared run (what
    ``vector_backtest`` and ``VectorEvaluator`` take besides the strategy and the data)."""
    s = prepared.settings
    bound = None if prepared.start is None else time_bound(prepared.start, "start")
    return {
        "cash": s.cash,
        "commission_bps": s.commission_bps,
        "slippage_bps": s.slippage_bps,
        "fill": "close" if s.fill == "close" else "next_open",
        "allow_short": s.allow_short,
        "max_position_weight": s.max_position_weight,
        "max_gross_leverage": s.max_gross_leverage,
        "max_drawdown_halt": s.max_drawdown_halt,
        "trading_state": s.trading_state,
        "start_ns": None if bound is None else int(bound.value),
        "end": prepared.end,
    }


def run_vector_backtest(prepared: PreparedBacktest) -> BacktestResult:
    """The same run on the vectorized engine (``docs/research.md``): identical fills, faster."""
    strategy, series, settings = prepared.strategy, prepared.series, prepared.settings
    cfg = prepared.config
    used = vector_unsupported(prepared)
    if used:
        raise InvalidValueError(f"mode='vector' does not model {', '.join(used)}; use mode='event'")
    instruments = instruments_of(series, settings.fractional)
    run = vector_backtest(
        strategy.strategy_name(),
        strategy.params.model_dump(),
        series,
        instruments,
        **vector_options(prepared),
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
