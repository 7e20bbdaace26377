"""The ML replication: features -> model -> walk-forward out-of-sample predictions -> IC and a
backtest with costs, against baselines; one call, bundled data, every number reproducible.

:func:`cross_sectional_experiment` is the daily cross-sectional experiment Qlib publishes for
Alpha158 + LightGBM (IC, rank IC, ICIR, long-short performance), on the bundled 20 US stocks:

1. features: the close-only classic set per stock (``FeatureSet.close_only()``, 24 features),
   ranked across the stocks of each date (``cross_sectional_rank``);
2. label: the return from the close after the signal's bar to ``horizon`` bars later
   (Qlib's ``Ref($close, -h-1) / Ref($close, -1) - 1``: an order decided at a close fills at the
   next one), ranked per date to train, raw to score the IC;
3. walk-forward: :class:`~alphaforge.ml.validation.PurgedWalkForward`, test blocks of
   ``test_size`` dates (a year) back to back after ``min_train`` dates, each fitted on the dates
   before it (expanding, or the last ``train_size``) whose labels end before the block starts
   (purged by ``t1``);
4. IC and rank IC per date of the out-of-sample predictions, per year and overall;
5. the ``ml_signal`` strategy trades the predictions on the event engine with costs (long
   ``top_k``, short ``bottom_k``, rebalanced ``rebalance``), against buy-and-hold of the stocks
   in equal parts and a 12-1 month momentum score traded by the very same rules.

:func:`single_asset_experiment` is the one-asset variant: classic features of the S&P 500,
P(the next ``horizon`` bars rise) from a classifier, the same walk-forward, classification
scores, and ``ml_signal`` in single mode against buy-and-hold.

With ``register=NAME`` the model refitted on every labelled row is logged in the registry with
the walk-forward's out-of-sample metrics, judged by the gate and promoted if it passes; then
``backtest("ml_signal", params={"model": "NAME@production"})`` trades it by name.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from alphaforge.data.bundled import load_dataset
from alphaforge.domain.errors import InvalidValueError
from alphaforge.features.labels import Labels
from alphaforge.features.library import FeatureSet
from alphaforge.features.panel import compute_panel, cross_sectional_rank, frames_from_wide
from alphaforge.ml.base import make_model
from alphaforge.ml.evaluation import (
    classification_metrics,
    ic_by_date,
    ic_summary,
    ic_table,
    rank_ic_by_date,
    rolling_ic,
)
from alphaforge.runtime._ml_design import (
    LIGHTGBM_PARAMS,
    Design,
    Transform,
    check_run,
    default_params,
    delayed_forward_returns,
    feature_text,
    momentum_scores,
    resolve_features,
    scheme_text,
    span_text,
    times_of,
    transform_panel,
    walk_forward,
)
from alphaforge.runtime._ml_report import ExperimentResult, Registered, performance_row
from alphaforge.runtime.driver import backtest
from alphaforge.runtime.result import BacktestResult
from alphaforge.strategies.library.ml_signal import MLSignal

if TYPE_CHECKING:
    from alphaforge.ml.gates import Gate

__all__ = [
    "LIGHTGBM_PARAMS",
    "ExperimentResult",
    "cross_sectional_experiment",
    "delayed_forward_returns",
    "momentum_scores",
    "single_asset_experiment",
    "transform_panel",
]

# --------------------------------------------------------------------------- cross-sectional


def _wide_closes(
    data: str, symbols: Sequence[str] | None, start: str | None, end: str | None
) -> pd.DataFrame:
    wide = load_dataset(data)
    if "close" in wide.columns and wide.shape[1] <= 5:
        raise InvalidValueError(
            f"{data} holds one asset's bars; the cross-sectional experiment needs a set of "
            "closes with one column per symbol, such as stocks20_close"
        )
    if symbols:
        wanted = [s.upper() for s in symbols]
        missing = [s for s in wanted if s not in wide.columns]
        if missing:
            raise InvalidValueError(
                f"{data} has no symbols {missing} (it has {list(wide.columns)})"
            )
        wide = wide[wanted]
    wide = wide.loc[start:end] if (start or end) else wide
    if len(wide) == 0:
        raise InvalidValueError(f"{data} has no rows between {start} and {end}")
    return wide


def cross_sectional_experiment(
    data: str = "stocks20_close",
    *,
    symbols: Sequence[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    features: str | FeatureSet = "close_only",
    transform: Transform = "rank",
    horizon: int = 5,
    model: str = "lightgbm",
    model_params: Mapping[str, Any] | None = None,
    test_size: int = 252,
    min_train: int = 1000,
    train_size: int | None = None,
    embargo: int = 0,
    top_k: int = 4,
    bottom_k: int = 4,
    rebalance: Literal["D", "W", "M"] = "W",
    weight: float = 0.95,
    commission_bps: float = 5.0,
    slippage_bps: float = 5.0,
    seed: int = 0,
    register: str | None = None,
    tracking_uri: str | None = None,
    gate: Gate | None = None,
) -> ExperimentResult:
    """Run the cross-sectional replication (module docstring) and return every table of it.

    ``data``: a bundled set of closes, one column per symbol (``symbols`` picks some);
    ``start``/``end`` cut it (the features' warm-up comes out of the span). ``model_params``
    default to :data:`LIGHTGBM_PARAMS` for LightGBM. ``min_train``, ``test_size`` and
    ``train_size`` count dates. Costs: ``commission_bps`` and ``slippage_bps`` per trade, a
    0.5 %/year borrow fee on shorts (``ml_signal``'s account).
    """
    clock = time.perf_counter()
    wide = _wide_closes(data, symbols, start, end)
    check_run(top_k, bottom_k, wide.shape[1], horizon)
    timings: dict[str, float] = {}
    panel = compute_panel(frames_from_wide(wide), resolve_features(features))
    X = transform_panel(panel, transform)
    labels = delayed_forward_returns(wide, horizon)
    next_day = delayed_forward_returns(wide, 1).y.rename("ret_1d")
    target = cross_sectional_rank(labels.y.to_frame())["y"]  # what the model fits
    X_lab, known = labels.align(X)
    complete = X.dropna()
    tail = complete.loc[times_of(complete.index) > times_of(X_lab.index).max()]
    timings["features_and_labels"] = time.perf_counter() - clock
    params = dict(model_params if model_params is not None else default_params(model))
    design = Design(
        X_lab, target.loc[X_lab.index], known.t1, tail, model, "regression", params, seed
    )
    began = time.perf_counter()
    predictions, folds = walk_forward(
        design, test_size=test_size, min_train=min_train, train_size=train_size, embargo=embargo
    )
    timings["walk_forward_training"] = time.perf_counter() - began
    ic, rank_ic = ic_by_date(predictions, labels.y), rank_ic_by_date(predictions, labels.y)
    momentum = momentum_scores(wide).loc[lambda s: s.index.isin(predictions.index)]
    settings = {
        "data": data, "symbols": list(wide.columns), "span": span_text(wide.index),
        "features": feature_text(panel),
        "transform": transform, "label": f"return from close t+1 to close t+1+{horizon}",
        "model": model, "model_params": params,
        "walk_forward": scheme_text(test_size, min_train, train_size, embargo),
        "top_k": top_k, "bottom_k": bottom_k, "rebalance": rebalance, "weight": weight,
        "commission_bps": commission_bps, "slippage_bps": slippage_bps, "seed": seed,
    }  # fmt: skip
    signal = {
        "model": _signal_row(predictions, labels.y, next_day, horizon),
        "momentum_12_1": _signal_row(momentum, labels.y, next_day, horizon),
    }
    began = time.perf_counter()
    run = _Runs(data, list(wide.columns), times_of(predictions.index).min(), end,
                commission_bps, slippage_bps, _equal_weight_index(wide))  # fmt: skip
    rules = {"mode": "cross_sectional", "top_k": top_k, "bottom_k": bottom_k,
             "rebalance": rebalance, "weight": weight}  # fmt: skip
    backtests = {
        "ml_signal (model)": run.go(MLSignal(rules, predictions=predictions)),
        "ml_signal (model, no costs)": run.go(
            MLSignal(rules, predictions=predictions), costs=False
        ),
        "ml_signal (momentum 12-1)": run.go(MLSignal(rules, predictions=momentum)),
        "buy_and_hold (equal weight)": run.go("buy_and_hold"),
    }
    if bottom_k:  # the long leg alone, as Qlib's top-k benchmark strategy holds it
        long_only = MLSignal({**rules, "bottom_k": 0}, predictions=predictions)
        backtests = {**dict(list(backtests.items())[:2]),
                     f"ml_signal (model, long top {top_k} only)": run.go(long_only),
                     **dict(list(backtests.items())[2:])}  # fmt: skip
    timings["backtests"] = time.perf_counter() - began
    registered = None
    if register:
        registered = _register(register, tracking_uri, gate, design, signal["model"],
                               backtests["ml_signal (model)"], settings)  # fmt: skip
    timings["total"] = time.perf_counter() - clock
    return ExperimentResult(
        kind="cross_sectional",
        settings=settings,
        predictions=predictions,
        target=labels.y.loc[labels.y.index.isin(predictions.index)],
        folds=folds,
        scores=ic_table(ic, rank_ic, lags=horizon),
        signal=pd.DataFrame.from_dict(signal, orient="index"),
        performance=_performance(backtests, signal),
        backtests=backtests,
        timings=timings,
        registered=registered,
        ic=ic,
        rank_ic=rank_ic,
    )


def _signal_row(
    scores: pd.Series, target: pd.Series, next_day: pd.Series, horizon: int
) -> dict[str, float]:
    """IC figures of a score against the label and against the next day's return."""
    summary = ic_summary(ic_by_date(scores, target), rank_ic_by_date(scores, target), lags=horizon)
    one_day = ic_summary(ic_by_date(scores, next_day), rank_ic_by_date(scores, next_day))
    return {
        "dates": summary["dates"],
        "ic": summary["ic"],
        "icir": summary["icir"],
        "rank_ic": summary["rank_ic"],
        "rank_icir": summary["rank_icir"],
        "ic_t_nw": summary["ic_t_nw"],
        "ic_positive": summary["ic_positive"],
        "ic_1d": one_day["ic"],
        "icir_1d": one_day["icir"],
        "rank_ic_1d": one_day["rank_ic"],
        "rank_icir_1d": one_day["rank_icir"],
    }


def _equal_weight_index(wide: pd.DataFrame) -> pd.Series:
    """An equal-weight index of the stocks (daily rebalanced), the tearsheets' benchmark."""
    returns = wide.pct_change(fill_method=None).mean(axis=1).fillna(0.0)
    return (1.0 + returns).cumprod().rename("equal weight")


@dataclass(frozen=True)
class _Runs:
    """The backtests' shared settings: data, symbols, out-of-sample span, costs, benchmark."""

    data: str
    symbols: list[str]
    start: pd.Timestamp
    end: str | None
    commission_bps: float
    slippage_bps: float
    benchmark: pd.Series

    def go(self, strategy: MLSignal | str, *, costs: bool = True) -> BacktestResult:
        """Run ``strategy`` out of sample, with the costs (or, ``costs=False``, none at all:
        no commission, slippage or borrow fee, to show what the costs take)."""
        return backtest(
            strategy,
            self.data,
            symbols=self.symbols,
            start=self.start,
            end=self.end,
            commission_bps=self.commission_bps if costs else 0.0,
            slippage_bps=self.slippage_bps if costs else 0.0,
            borrow_rate=None if costs else 0.0,
            benchmark=self.benchmark.loc[self.start :],
        )


def _performance(
    backtests: Mapping[str, BacktestResult], signal: Mapping[str, Mapping[str, float]]
) -> pd.DataFrame:
    rows = {}
    for name, result in backtests.items():
        key = "model" if "(model" in name else "momentum_12_1" if "momentum" in name else None
        rows[name] = performance_row(result, signal.get(key, {}) if key else {})
    return pd.DataFrame.from_dict(rows, orient="index")


# --------------------------------------------------------------------------- registry


def _register(
    name: str,
    tracking_uri: str | None,
    gate: Gate | None,
    design: Design,
    signal: Mapping[str, float],
    result: BacktestResult,
    settings: Mapping[str, Any],
) -> Registered:
    """Refit on every labelled row, log it with the walk-forward's out-of-sample metrics, ask
    the gate, promote if it passed (the decision is recorded either way)."""
    from alphaforge.ml.gates import Gate  # noqa: PLC0415
    from alphaforge.ml.registry import ModelRegistry, PromotionRefusedError  # noqa: PLC0415

    final = make_model(design.model, task=design.task, seed=design.seed, **design.params)
    final.fit(design.X, design.y)
    metrics = {
        "ic": signal["rank_ic"],  # the gate's "ic" is Spearman's (alphaforge.ml.gates)
        "pearson_ic": signal["ic"],
        "icir": signal["icir"],
        "rank_icir": signal["rank_icir"],
        "sharpe": result.metrics.sharpe_ratio,
        "n_oos": signal["dates"],
    }
    registry = ModelRegistry(tracking_uri)
    version = registry.log_training(
        final,
        name=name,
        metrics={k: v for k, v in metrics.items() if math.isfinite(v)},
        params={k: str(v) for k, v in settings.items() if k != "model_params"},
        provenance={"experiment": "alphaforge.runtime.ml_experiment", "data": settings["data"]},
        data=design.X,
        target=design.y,
    )
    chosen = gate or Gate(min_ic=0.01, compare_on=None)
    decision = chosen.evaluate(metrics)
    with contextlib.suppress(PromotionRefusedError):  # recorded on the version either way
        registry.promote(name, version.version, decision)
    return Registered(
        name, version.version, registry.tracking_uri, decision.passed, decision.summary()
    )


# --------------------------------------------------------------------------- single asset


def single_asset_experiment(
    data: str = "spx_daily",
    *,
    start: str | None = None,
    end: str | None = None,
    features: str | FeatureSet = "classic",
    horizon: int = 5,
    model: str = "lightgbm",
    model_params: Mapping[str, Any] | None = None,
    test_size: int = 252,
    min_train: int = 1000,
    train_size: int | None = None,
    embargo: int = 0,
    threshold: float = 0.55,
    allow_short: bool = False,
    rebalance: Literal["D", "W", "M"] = "W",
    weight: float = 0.95,
    commission_bps: float = 5.0,
    slippage_bps: float = 5.0,
    seed: int = 0,
) -> ExperimentResult:
    """One asset: P(close rises from t+1 to t+1+``horizon``) from a classifier, walk-forward as
    the cross-sectional experiment; classification scores and rank IC per year; ``ml_signal``
    in single mode (long above ``threshold``) against buy-and-hold, with costs."""
    clock = time.perf_counter()
    frame = load_dataset(data)
    frame = frame.loc[start:end] if (start or end) else frame
    if "close" not in frame.columns:
        raise InvalidValueError(
            f"{data} has no close column: the single-asset experiment needs bars"
        )
    check_run(1, 0, 1, horizon)
    X = resolve_features(features).compute(frame, missing="skip")
    returns = delayed_forward_returns(frame["close"], horizon)
    up = Labels((returns.y > 0).astype(np.float64).where(returns.y.notna()), returns.t1,
                returns.horizon, "classes")  # fmt: skip
    X_lab, known = up.align(X)
    complete = X.dropna()
    tail = complete.loc[complete.index > X_lab.index.max()]
    params = dict(model_params if model_params is not None else default_params(model))
    if model == "lightgbm" and model_params is None:
        params["min_data_in_leaf"] = 50  # one asset: some 5,000 rows, not 150,000
    design = Design(X_lab, known.y, known.t1, tail, model, "classification", params, seed)
    prepared = time.perf_counter() - clock
    began = time.perf_counter()
    proba, folds = walk_forward(
        design, test_size=test_size, min_train=min_train, train_size=train_size, embargo=embargo
    )
    training = time.perf_counter() - began
    scores = _yearly_classification(proba, known.y, returns.y)
    settings = {
        "data": data, "span": span_text(frame.index), "features": feature_text(X),
        "label": f"1 if close t+1+{horizon} > close t+1, else 0", "model": model,
        "model_params": params,
        "walk_forward": scheme_text(test_size, min_train, train_size, embargo),
        "threshold": threshold, "allow_short": allow_short, "rebalance": rebalance,
        "commission_bps": commission_bps, "slippage_bps": slippage_bps, "seed": seed,
    }  # fmt: skip
    began = time.perf_counter()
    first = proba.index.min()
    kwargs = {"start": first, "end": end, "commission_bps": commission_bps,
              "slippage_bps": slippage_bps}  # fmt: skip
    rules = {"mode": "single", "threshold": threshold, "allow_short": allow_short,
             "rebalance": rebalance, "weight": weight}  # fmt: skip
    backtests = {
        "ml_signal (model)": backtest(MLSignal(rules, predictions=proba), data, **kwargs),
        "buy_and_hold": backtest("buy_and_hold", data, **kwargs),
    }
    timings = {
        "features_and_labels": prepared,
        "walk_forward_training": training,
        "backtests": time.perf_counter() - began,
    }
    timings["total"] = time.perf_counter() - clock
    overall = {str(k): float(v) for k, v in zip(scores.columns, scores.loc["all"], strict=True)}
    return ExperimentResult(
        kind="single_asset",
        settings=settings,
        predictions=proba,
        target=returns.y.loc[returns.y.index.isin(proba.index)],
        folds=folds,
        scores=scores,
        signal=pd.DataFrame({"model": overall}).T,
        performance=pd.DataFrame(
            {k: performance_row(v, overall if "model" in k else {}) for k, v in backtests.items()}
        ).T,
        backtests=backtests,
        timings=timings,
        registered=None,
        ic=rolling_ic(proba, returns.y, 252),
        rank_ic=None,
    )


def _yearly_classification(proba: pd.Series, up: pd.Series, returns: pd.Series) -> pd.DataFrame:
    """Classification scores and the rank IC of P(up) with the return, per year and overall."""
    known = up.loc[up.index.isin(proba.index)]
    rows: dict[str, dict[str, float]] = {}
    years = pd.DatetimeIndex(known.index).year
    for label, mask in [*((str(y), years == y) for y in sorted(set(years))), ("all", None)]:
        part = known if mask is None else known[mask]
        p = proba.loc[part.index]
        row = classification_metrics(part.astype(np.int64), p)
        ranked = pd.concat([p, returns.loc[part.index]], axis=1).corr(method="spearman")
        row["rank_ic"] = float(ranked.to_numpy()[0, 1])
        row["up_share"] = float(part.mean())
        rows[label] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "year"
    return table
