"""ML signal: trade a model's predictions, cross-sectionally (long the top names, short the
bottom ones) or one asset at a time (long when the model says up)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.market import Bar
from alphaforge.strategies.base import LONG_SHORT_ACCOUNT, Strategy, StrategyParams, Universe
from alphaforge.strategies.context import StrategyContext
from alphaforge.strategies.library._ml_sources import (
    SEED_BARS,
    LiveFeatures,
    LiveScorer,
    OnlineLearner,
    PredictionTable,
    Transform,
    data_fields,
    load_registry_model,
)
from alphaforge.strategies.registry import register
from alphaforge.strategies.schedule import Every
from alphaforge.strategies.space import Choice, FloatRange, IntRange

__all__ = ["MLSignal", "MLSignalParams"]

_TAG = "ml_signal"
Freq = Literal["D", "W", "M", "Q", "Y"]


class MLSignalParams(StrategyParams):
    """Parameters of :class:`MLSignal`."""

    model: str | None = Field(
        None,
        description="A registry model: NAME (its production version), NAME@ALIAS or "
        "NAME@VERSION, e.g. stocks20_lgbm@production. None: precomputed predictions if given, "
        "else a model trained online on the run's own past bars (online_model).",
    )
    tracking_uri: str | None = Field(
        None, description="MLflow tracking URI of the registry (default: MLFLOW_TRACKING_URI, "
        "else the per-user SQLite file)."
    )  # fmt: skip
    mode: Literal["auto", "cross_sectional", "single"] = Field(
        "auto",
        description="cross_sectional: rank the symbols by score, long top_k, short bottom_k; "
        "single: each symbol long (or short) on its own score; auto: single for a run of one "
        "symbol, else cross_sectional.",
    )
    top_k: int = Field(4, ge=1, le=500, description="Names held long (cross_sectional).")
    bottom_k: int = Field(
        4, ge=0, le=500, description="Names held short (cross_sectional); 0: long only."
    )
    weight: float = Field(
        0.95,
        gt=0,
        le=1,
        description="Equity per side: long top_k share it, short bottom_k too (gross 2x this); "
        "single mode: split over the symbols.",
    )
    rebalance: Freq = Field(
        "W", description="Decide on the first bar of each D(ay), W(eek), M(onth), Q, Y."
    )
    score: Literal["auto", "probability", "return"] = Field(
        "auto",
        description="What a score is (single mode): probability of up (long above threshold) "
        "or a return forecast (long above 0); auto: from the model's task, probability for "
        "precomputed predictions.",
    )
    threshold: float = Field(
        0.55,
        gt=0,
        lt=1,
        description="Single mode: long when P(up) > threshold, short (allow_short) when "
        "P(up) < 1 - threshold, else flat.",
    )
    allow_short: bool = Field(False, description="Single mode: take the short side too.")
    features: Literal["auto", "close_only", "classic"] = Field(
        "auto",
        description="Online model's features: the classic set the data allows (auto), or a "
        "named set. A registry model uses the features it was trained on.",
    )
    transform: Literal["auto", "rank", "zscore", "none"] = Field(
        "auto",
        description="How live features are made cross-sectional before scoring, as in "
        "training: auto = rank (cross_sectional) or none (single).",
    )
    online_model: str = Field("lightgbm", description="Model kind trained online (make_model).")
    horizon: int = Field(5, ge=1, le=252, description="Online label: return over these bars.")
    retrain: Freq = Field("Y", description="Refit the online model every D, W, M, Q or Y.")
    train_bars: int = Field(
        756, ge=20, le=20_000, description="Online model: dates in its rolling training window."
    )
    min_train_bars: int = Field(
        252, ge=10, description="Online model: labelled dates needed before the first fit."
    )

    @model_validator(mode="after")
    def _consistent(self) -> MLSignalParams:
        if self.min_train_bars > self.train_bars:
            raise ValueError(
                f"min_train_bars ({self.min_train_bars}) exceeds train_bars ({self.train_bars})"
            )
        return self


@register
class MLSignal(Strategy):
    """Trade a model's out-of-sample scores, with the portfolio rules of a factor study.

    Three sources of scores, one per run:

    * **precomputed predictions** (``MLSignal(predictions=...)``): a wide frame (times x
      symbols), a ``(ts, symbol)`` Series, or a time Series for one symbol; e.g. the walk-forward
      predictions of ``alphaforge.runtime.ml_experiment``. At each decision the strategy reads the
      latest row stamped at or before the current bar, never a later one;
    * **a registry model** (``model="NAME@ALIAS"``): features are computed bar by bar with
      streaming feature sets (the same code as the batch features it was trained on), made
      cross-sectional per date as in training (``transform``), and scored live;
    * **online** (neither given): the strategy trains ``online_model`` itself every ``retrain``
      period on its rolling window of past features and the labels already known (return from
      the bar after a date to ``horizon`` bars later), so it runs by name on any data.

    ``cross_sectional``: on each ``rebalance`` date, rank the symbols trading that day by score,
    hold the ``top_k`` highest long and the ``bottom_k`` lowest short, each side ``weight`` of
    equity in equal parts (a dollar-neutral book when shorting; the run's account allows shorts
    and 2x gross by default, with a 0.5 %/year borrow fee). ``single``: per symbol, long when the
    score says up, short too with ``allow_short``; orders only when a symbol's side changes.

    Assumptions: orders decided at a bar's close fill at the next bar (its open, or its close
    for close-only data), with the run's costs; symbols trade on one calendar. Scores are
    compared across symbols of one date only (their scale over time does not matter).
    Gu, Kelly & Xiu (2020), "Empirical Asset Pricing via Machine Learning", Review of Financial
    Studies 33(5), sort stocks on ML forecasts this way; Qlib (Yang et al., 2020) reports the
    same IC and long-short figures for its Alpha158 + LightGBM benchmark.
    """

    name = "ml_signal"
    Params = MLSignalParams
    universe: ClassVar[Universe] = "multi"
    min_symbols: ClassVar[int] = 1
    default_data: ClassVar[tuple[str, ...]] = ("stocks20_close",)
    run_defaults = LONG_SHORT_ACCOUNT

    # Portfolio breadth and the decision calendar are the practitioner's knobs (a quarter to
    # half of the 20 stocks per side; weekly or monthly); the threshold matters in single mode.
    # Model hyper-parameters belong to the model's own tuning, not to this search.
    search_space = MappingProxyType(
        {
            "top_k": IntRange(2, 8, 1),
            "bottom_k": IntRange(0, 8, 1),
            "rebalance": Choice(("W", "M")),
            "threshold": FloatRange(0.5, 0.65, 0.05),
        }
    )

    def __init__(
        self,
        params: StrategyParams | Mapping[str, Any] | None = None,
        *,
        predictions: pd.DataFrame | pd.Series | None = None,
        **kwargs: Any,
    ) -> None:
        """Validate parameters; ``predictions`` are precomputed scores (see the class doc)."""
        super().__init__(params, **kwargs)
        p = self.params
        assert isinstance(p, MLSignalParams)  # noqa: S101  # narrowing for mypy
        if predictions is not None and p.model is not None:
            raise InvalidValueError("ml_signal: give predictions or model=..., not both")
        self.predictions = predictions

    # ------------------------------------------------------------------ callbacks

    def on_start(self, ctx: StrategyContext) -> None:
        p = self.params
        assert isinstance(p, MLSignalParams)  # noqa: S101  # narrowing for mypy
        self._p = p
        self._mode = (
            p.mode
            if p.mode != "auto"
            else ("single" if len(ctx.symbols) == 1 else "cross_sectional")
        )
        self._every = Every(p.rebalance)
        self._refit = Every(p.retrain)
        self._seen: dict[str, int] = {}
        self._side: dict[str, int] = {}
        self._table: PredictionTable | None = None
        self._live: LiveFeatures | None = None
        self._scorer: LiveScorer | None = None
        self._learner: OnlineLearner | None = None
        self._transform: Transform = "none"
        self.decisions: list[tuple[int, dict[str, float]]] = []
        """(time, target weights) of every decision, in order."""
        self.scores: list[tuple[int, dict[str, float]]] = []
        """(time, scores of the symbols trading then) of every decision, in order."""
        self.source = "predictions" if self.predictions is not None else p.model or "online"
        if self.predictions is not None:
            only = ctx.symbols[0] if len(ctx.symbols) == 1 else None
            self._table = PredictionTable(self.predictions, symbol=only)
            unknown = set(self._table.symbols) - set(ctx.symbols)
            if len(unknown) == len(self._table.symbols):
                raise InvalidValueError(
                    f"ml_signal: the predictions are for {sorted(unknown)[:5]}, none of which "
                    f"this run trades ({', '.join(ctx.symbols)})"
                )

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        self._seen[bar.symbol] = bar.ts_event
        if self._live is not None and self._live.started:
            self._live.update(bar.symbol, ctx)

    def on_step(self, ctx: StrategyContext) -> None:
        due = self._every(ctx.now_ns)
        refit = self._refit(ctx.now_ns)
        if self._table is None and self._live is None:
            self._start_live(ctx)
        present = [s for s in ctx.symbols if self._seen.get(s) == ctx.now_ns]
        if self._learner is not None and self._live is not None:
            self._learn(ctx, self._learner, self._live, present, refit)
        if not due:
            return
        scores = self._scores(ctx, present)
        if not scores:
            return
        self.scores.append((ctx.now_ns, scores))
        if self._mode == "cross_sectional":
            self._rank_and_trade(ctx, scores)
        else:
            self._trade_each(ctx, scores)

    def report(self) -> Mapping[str, Any] | None:
        """The score source, the decisions taken and, online, the fits made."""
        out: dict[str, Any] = {"source": self.source, "decisions": len(self.decisions)}
        if self._learner is not None:
            out["online_fits"] = self._learner.fits
        return out

    # ------------------------------------------------------------------ sources

    def _start_live(self, ctx: StrategyContext) -> None:
        """Build the live features (registry or online model) and catch them up on history."""
        from alphaforge.features.library import FeatureSet  # noqa: PLC0415  # only when used

        p = self._p
        cross = self._mode == "cross_sectional"
        self._transform = ("rank" if cross else "none") if p.transform == "auto" else p.transform
        classic = FeatureSet.classic()
        if p.model is not None:
            model = load_registry_model(p.model, p.tracking_uri)
            features = _model_features(classic, model.features or [], p.model)
            lacking = features.needs - data_fields(ctx, ctx.symbols)
            if lacking:
                raise InvalidValueError(
                    f"ml_signal: model {p.model!r} reads {', '.join(sorted(lacking))} (features "
                    f"{', '.join(f.name for f in features if f.needs & lacking)}), which this "
                    "data lacks (close-only data?)"
                )
            self._live = LiveFeatures(features, catch_up=features.warmup + SEED_BARS)
            self._scorer = LiveScorer(model, self._live, self._transform)
            self._live.start(ctx)
            return
        features = _online_features(classic, p.features, ctx)
        window = p.train_bars + p.horizon + 1
        self._live = LiveFeatures(features, catch_up=features.warmup + window)
        self._learner = OnlineLearner(
            p.online_model,
            cross_sectional=cross,
            horizon=p.horizon,
            train_bars=p.train_bars,
            min_train_bars=p.min_train_bars,
            names=features.names,
            transform=self._transform,
        )
        self._replay(self._live.start(ctx), ctx)

    def _replay(
        self, replay: Mapping[str, tuple[np.ndarray, np.ndarray]], ctx: StrategyContext
    ) -> None:
        """Push the caught-up history, date by date (aligned on each symbol's last bar), into
        the learner's window; the current date is pushed by ``_learn`` as every later one."""
        assert self._learner is not None  # noqa: S101  # narrowing for mypy
        symbols = list(ctx.symbols)
        depth = max((len(closes) for _, closes in replay.values()), default=0)
        n_features = len(self._learner.names)
        for back in range(depth - 1, 0, -1):  # oldest first; back = dates before now
            rows = np.full((len(symbols), n_features), np.nan)
            closes = np.full(len(symbols), np.nan)
            for i, symbol in enumerate(symbols):
                past_rows, past_closes = replay[symbol]
                if len(past_closes) > back:
                    rows[i] = past_rows[-1 - back]
                    closes[i] = past_closes[-1 - back]
            self._learner.push(rows, closes)

    def _learn(
        self,
        ctx: StrategyContext,
        learner: OnlineLearner,
        live: LiveFeatures,
        present: list[str],
        refit: bool,
    ) -> None:
        """Add today's rows and closes to the window; refit when the period turns."""
        symbols = list(ctx.symbols)
        rows = live.matrix(symbols)
        closes = np.full(len(symbols), np.nan)
        for i, symbol in enumerate(symbols):
            if symbol in present:
                closes[i] = float(ctx.history(symbol, "close", 1)[0])
            else:
                rows[i] = np.nan
        learner.push(rows, closes)
        if (refit or learner.model is None) and learner.fit() and learner.model is not None:
            self._scorer = LiveScorer(learner.model, live, self._transform)

    def _scores(self, ctx: StrategyContext, present: list[str]) -> dict[str, float]:
        if self._table is not None:
            found = self._table.latest(ctx.now_ns)
            if found is None:
                return {}
            return {s: v for s, v in found[1].items() if s in present}
        if self._scorer is None:
            return {}  # online: not enough history for a first fit yet
        return self._scorer.scores(present)

    # ------------------------------------------------------------------ portfolios

    def _rank_and_trade(self, ctx: StrategyContext, scores: Mapping[str, float]) -> None:
        """Equal weights on the top_k (long) and bottom_k (short) scores of today."""
        weights = rank_weights(scores, self._p.top_k, self._p.bottom_k, self._p.weight)
        self.decisions.append((ctx.now_ns, weights))
        ctx.target_weights(weights, tag=_TAG)

    def _trade_each(self, ctx: StrategyContext, scores: Mapping[str, float]) -> None:
        """Each scored symbol long, short or flat; orders only where the side changes."""
        p = self._p
        kind = self._score_kind()
        size = p.weight / len(ctx.symbols)
        weights: dict[str, float] = {}
        for symbol, value in scores.items():
            side = _side(value, kind, p.threshold, p.allow_short)
            weights[symbol] = side * size
            if side != self._side.get(symbol, 0):
                self._side[symbol] = side
                ctx.target_percent(symbol, side * size, tag=f"{_TAG} {value:.4g}")
        self.decisions.append((ctx.now_ns, weights))

    def _score_kind(self) -> str:
        if self._p.score != "auto":
            return self._p.score
        if self._scorer is not None and self._scorer.model.task == "regression":
            return "return"
        return "probability"


# ---------------------------------------------------------------------- pure helpers


def rank_weights(
    scores: Mapping[str, float], top_k: int, bottom_k: int, weight: float
) -> dict[str, float]:
    """Target weights: ``weight / k`` on each of the ``top_k`` highest scores, ``-weight / k``
    on each of the ``bottom_k`` lowest; ties broken by symbol name. With fewer names than
    ``top_k + bottom_k``, the long side is filled first and the sides never overlap."""
    names = sorted(scores)
    values = np.array([scores[s] for s in names], dtype=np.float64)
    order = np.lexsort((np.arange(len(names)), -values))  # best first, then by name
    n_long = min(top_k, len(names))
    n_short = min(bottom_k, len(names) - n_long)
    out: dict[str, float] = {}
    for i in order[:n_long]:
        out[names[i]] = weight / n_long
    if n_short:
        for i in order[len(names) - n_short :]:
            out[names[i]] = -weight / n_short
    return out


def _side(value: float, kind: str, threshold: float, allow_short: bool) -> int:
    up, down = (threshold, 1.0 - threshold) if kind == "probability" else (0.0, 0.0)
    if value > up:
        return 1
    if allow_short and value < down:
        return -1
    return 0


def _model_features(classic: Any, names: list[str], spec: str) -> Any:
    unknown = [n for n in names if n not in classic.names]
    if unknown or not names:
        raise InvalidValueError(
            f"ml_signal: model {spec!r} was trained on features {unknown[:5] or names} that "
            "are not alphaforge's classic features, which ml_signal computes live; trade its "
            "precomputed predictions instead (MLSignal(predictions=...))"
        )
    return classic.select(names)


def _online_features(classic: Any, which: str, ctx: StrategyContext) -> Any:
    from alphaforge.features.library import FeatureSet  # noqa: PLC0415

    if which == "close_only":
        return FeatureSet.close_only()
    have = data_fields(ctx, ctx.symbols)
    if which == "classic" and not classic.needs <= have:
        missing = ", ".join(sorted(classic.needs - have))
        raise InvalidValueError(
            f"ml_signal: features='classic' needs {missing}, which this data lacks "
            "(close-only data?); use features='auto' or 'close_only'"
        )
    return classic.usable(have)
