"""Where ``ml_signal`` gets its scores: precomputed predictions, a registry model, or a model it
trains itself on the bars it has seen.

* :class:`PredictionTable` -- out-of-sample predictions computed elsewhere (a walk-forward
  experiment), looked up by time: at each bar only the latest row stamped at or before *now*.
* :class:`LiveScorer` -- features computed bar by bar with streaming ``FeatureSet`` s (one per
  symbol), turned cross-sectional per date when the model was trained that way, then scored by a
  fitted model (one loaded from the registry).
* :class:`OnlineLearner` -- the same live features, plus a rolling window of them and of the
  closes; every ``retrain`` period it fits a fresh model on the labels that are already known
  (a label at date ``d`` ends at ``d + 1 + horizon``, at or before now), so the model never sees
  a price after the bar it trades on.

A model's *score* of a row: the probability of its last (highest) class for a classifier, the
predicted value for a regressor. Everything heavy (the feature library, NumPy kernels, the model
libraries, MLflow) loads when a run starts, not when the strategy library is imported.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from alphaforge.domain.errors import InvalidValueError
from alphaforge.strategies.context import StrategyContext

if TYPE_CHECKING:
    from alphaforge.features.library import FeatureSet, FeatureStream
    from alphaforge.ml.base import Model, Task

__all__ = [
    "FIELDS",
    "LiveFeatures",
    "OnlineLearner",
    "PredictionTable",
    "Transform",
    "data_fields",
    "load_registry_model",
    "model_scores",
    "parse_model_spec",
    "transform_rows",
]

Transform = Literal["rank", "zscore", "none"]
FIELDS = ("open", "high", "low", "close", "volume")
#: Bars streamed before the first decision beyond a feature set's warm-up: recursive indicators
#: (EMA, RSI, MACD ...) forget their seed geometrically, so after this many bars the live row
#: equals the row computed on the whole history to ~1e-12.
SEED_BARS = 1000
#: Model settings of an online fit when none are given: small and quick (refitted every period).
ONLINE_DEFAULTS: Mapping[str, Mapping[str, Any]] = {
    "lightgbm": {"n_estimators": 50, "num_leaves": 15, "min_data_in_leaf": 100},
    "xgboost": {"n_estimators": 50, "max_depth": 3},
    "random_forest": {"n_estimators": 50, "min_samples_leaf": 50},
}


# --------------------------------------------------------------------------- precomputed


class PredictionTable:
    """Precomputed predictions, indexed by the time they became known, read only up to *now*.

    Accepts a wide DataFrame (rows: times, columns: symbols), a Series on a ``(ts, symbol)``
    index (a panel), or a Series on a ``DatetimeIndex`` for a single symbol (``symbol``).
    Stamps are UTC: the bar's close time, or the bar's label as in the data's own index (a
    daily bar labelled at midnight of its session is then read at that session's close).
    """

    __slots__ = ("_stamps", "_symbols", "_values")

    def __init__(self, predictions: pd.DataFrame | pd.Series, symbol: str | None = None) -> None:
        wide = _wide(predictions, symbol)
        index = wide.index
        if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
            tz = getattr(index, "tz", None)
            raise InvalidValueError(
                "predictions must be indexed by UTC-aware times (a tz-aware DatetimeIndex or a "
                f"(ts, symbol) index with one), got {type(index).__name__} (tz={tz})"
            )
        if not index.is_unique:
            raise InvalidValueError("predictions have duplicate (time, symbol) rows")
        wide = wide.sort_index()
        try:
            self._values = wide.to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidValueError(f"predictions must be numbers: {exc}") from None
        self._stamps = np.asarray(pd.DatetimeIndex(wide.index).as_unit("ns").asi8)
        self._symbols = [str(c) for c in wide.columns]

    @property
    def symbols(self) -> list[str]:
        """The symbols with predictions."""
        return list(self._symbols)

    def __len__(self) -> int:
        return len(self._stamps)

    def latest(self, now_ns: int) -> tuple[int, dict[str, float]] | None:
        """The stamp and the finite values of the latest row stamped at or before ``now_ns``."""
        i = int(np.searchsorted(self._stamps, now_ns, side="right")) - 1
        if i < 0:
            return None
        row = self._values[i]
        return int(self._stamps[i]), {
            s: float(v) for s, v in zip(self._symbols, row, strict=True) if math.isfinite(v)
        }


def _wide(predictions: pd.DataFrame | pd.Series, symbol: str | None) -> pd.DataFrame:
    if isinstance(predictions, pd.DataFrame):
        if isinstance(predictions.index, pd.MultiIndex):
            if predictions.shape[1] != 1:
                raise InvalidValueError(
                    "a panel of predictions needs one column (or pass a Series); got "
                    f"{list(predictions.columns)}"
                )
            return _wide(predictions.iloc[:, 0], symbol)
        return predictions
    if not isinstance(predictions, pd.Series):
        raise InvalidValueError(
            f"predictions must be a pandas DataFrame or Series, got {type(predictions).__name__}"
        )
    index = predictions.index
    if isinstance(index, pd.MultiIndex):
        if list(index.names) != ["ts", "symbol"]:
            raise InvalidValueError(
                f"a panel of predictions needs a ('ts', 'symbol') index, got {list(index.names)}"
            )
        if not index.is_unique:
            raise InvalidValueError("predictions have duplicate (time, symbol) rows")
        return predictions.unstack("symbol")
    if symbol is None:
        raise InvalidValueError(
            "predictions on a plain time index are for one symbol, and this run trades several: "
            "pass a wide DataFrame (one column per symbol) or a (ts, symbol) Series"
        )
    return predictions.rename(symbol).to_frame()


# --------------------------------------------------------------------------- models


def parse_model_spec(spec: str) -> tuple[str, int | None, str | None]:
    """``NAME`` (production), ``NAME@ALIAS`` or ``NAME@VERSION`` -> (name, version, alias)."""
    name, _, tail = spec.partition("@")
    if not name or (spec.count("@") > 1) or ("@" in spec and not tail):
        raise InvalidValueError(
            f"model must be NAME, NAME@ALIAS or NAME@VERSION (e.g. stocks20_lgbm@production), "
            f"got {spec!r}"
        )
    digits = tail.removeprefix("v")
    if digits.isdigit():
        return name, int(digits), None
    return name, None, tail or None


def load_registry_model(spec: str, tracking_uri: str | None) -> Model:
    """The fitted model ``spec`` names in the registry at ``tracking_uri``."""
    from alphaforge.ml.registry import ModelRegistry  # noqa: PLC0415  # MLflow: only when used

    name, version, alias = parse_model_spec(spec)
    registry = ModelRegistry(tracking_uri)
    if not registry.exists(name):
        known = registry.models()
        raise InvalidValueError(
            f"no model {name!r} in the registry at {registry.tracking_uri} "
            f"(it holds: {', '.join(known) or 'none'})"
        )
    return registry.load(name, version=version, alias=alias)


def model_scores(model: Model, rows: pd.DataFrame) -> np.ndarray:
    """One score per row: P(last class) of a classifier, the value of a regressor."""
    if model.task == "classification":
        return np.asarray(model.predict_proba(rows).iloc[:, -1], dtype=np.float64)
    return np.asarray(model.predict(rows), dtype=np.float64)


def transform_dates(features: np.ndarray, how: Transform) -> np.ndarray:
    """Many dates at once (dates x symbols x features), each date across its symbols: the
    panel functions themselves (``cross_sectional_rank`` / ``_zscore``) on a (date, symbol)
    panel, so the numbers are those of a batch training set."""
    if how == "none" or features.size == 0:
        return features
    from alphaforge.features.panel import (  # noqa: PLC0415
        cross_sectional_rank,
        cross_sectional_zscore,
    )

    dates, symbols, width = features.shape
    index = pd.MultiIndex.from_product([range(dates), range(symbols)], names=["ts", "symbol"])
    panel = pd.DataFrame(features.reshape(-1, width), index=index)
    out = cross_sectional_rank(panel) if how == "rank" else cross_sectional_zscore(panel)
    return out.to_numpy(dtype=np.float64).reshape(dates, symbols, width)


def transform_rows(rows: np.ndarray, how: Transform) -> np.ndarray:
    """One date's rows (symbols x features) ranked or z-scored across the symbols, as the panel
    functions do for training (``rank_rows``, ``zscore_rows``), or as they are."""
    if how == "none" or len(rows) == 0:
        return rows
    from alphaforge.features.panel import rank_rows, zscore_rows  # noqa: PLC0415

    out = rank_rows(rows) if how == "rank" else zscore_rows(rows)
    return np.asarray(out, dtype=np.float64)


# --------------------------------------------------------------------------- live features


def data_fields(ctx: StrategyContext, symbols: Sequence[str]) -> frozenset[str]:
    """The bar fields the run's data really carries (close-only data padded to OHLC has only
    ``close``), judged on the recent history of the first symbol with bars."""
    from alphaforge.features.library import available_fields  # noqa: PLC0415

    for symbol in symbols:
        columns: dict[str, np.ndarray] = {}
        for name in FIELDS:
            try:
                columns[name] = np.asarray(ctx.history(symbol, name, 500), dtype=np.float64)
            except InvalidValueError:
                continue  # the stream has no such field
        if len(columns.get("close", ())) > 0:
            return available_fields(pd.DataFrame(columns))
    return frozenset({"close"})


class LiveFeatures:
    """One streaming feature set per symbol; the current row of each symbol.

    ``start(ctx)`` (at the first decision) replays each symbol's last ``catch_up`` bars of
    history; then ``update(symbol, ctx)`` adds the symbol's new bar (call it from ``on_bar``).
    """

    def __init__(self, features: FeatureSet, catch_up: int) -> None:
        self.features = features
        self.names = list(features.names)
        self.catch_up = catch_up
        self._close_only = features.needs <= {"close"}
        self._fields = ("close",) if self._close_only else FIELDS
        self._streams: dict[str, FeatureStream] = {}
        self.rows: dict[str, np.ndarray] = {}
        self.started = False

    def start(self, ctx: StrategyContext) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Catch every symbol up on its history; return each one's rows and closes so far."""
        replay: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for symbol in ctx.symbols:
            stream = self.features.stream()
            self._streams[symbol] = stream
            data = [ctx.history(symbol, f, self.catch_up) for f in self._fields]
            rows = np.full((len(data[0]), len(self.names)), np.nan)
            for i in range(len(data[0])):
                rows[i] = self._push(stream, [float(column[i]) for column in data])
            if len(rows):
                self.rows[symbol] = rows[-1]
            replay[symbol] = (rows, np.asarray(data[self._fields.index("close")]))
        self.started = True
        return replay

    def update(self, symbol: str, ctx: StrategyContext) -> np.ndarray | None:
        """Add ``symbol``'s current bar; return its new feature row (None before ``start``)."""
        stream = self._streams.get(symbol)
        if stream is None:
            return None
        values = [float(ctx.history(symbol, f, 1)[0]) for f in self._fields]
        row = self._push(stream, values)
        self.rows[symbol] = row
        return row

    def _push(self, stream: FeatureStream, values: list[float]) -> np.ndarray:
        if self._close_only:
            return stream.update_close(values[0])
        return stream.update_ohlcv(*values)

    def matrix(self, symbols: Sequence[str]) -> np.ndarray:
        """The current rows of ``symbols`` (symbols x features; NaN for one without a row)."""
        out = np.full((len(symbols), len(self.names)), np.nan)
        for i, symbol in enumerate(symbols):
            row = self.rows.get(symbol)
            if row is not None:
                out[i] = row
        return out


class LiveScorer:
    """Scores of a fitted model on the live features of the symbols trading now."""

    def __init__(self, model: Model, live: LiveFeatures, transform: Transform) -> None:
        self.model = model
        self.live = live
        self.transform = transform

    def scores(self, symbols: Sequence[str]) -> dict[str, float]:
        """``symbol -> score`` for the symbols whose (transformed) row is complete."""
        if not symbols:
            return {}
        rows = transform_rows(self.live.matrix(symbols), self.transform)
        complete = np.isfinite(rows).all(axis=1)
        if not complete.any():
            return {}
        chosen = [s for s, ok in zip(symbols, complete, strict=True) if ok]
        frame = pd.DataFrame(rows[complete], columns=self.live.names)
        values = model_scores(self.model, frame)
        return {s: float(v) for s, v in zip(chosen, values, strict=True) if math.isfinite(v)}


# --------------------------------------------------------------------------- online learning


class OnlineLearner:
    """A rolling window of transformed feature rows and closes by date; fits on known labels.

    Rows are kept raw (NaN for a symbol without a bar that date) and made cross-sectional
    (``transform``) per date when a fit needs them. Label of date ``d``: the return from the
    close of ``d + 1`` (when an order decided at ``d`` fills, for close-only data) to that of
    ``d + 1 + horizon``; ranked across the symbols of the date for a cross-sectional model
    (regression), or 1 if positive else 0 for a single-asset one (classification). Dates are
    aligned by position: the symbols share one calendar.
    """

    def __init__(
        self,
        kind: str,
        *,
        cross_sectional: bool,
        horizon: int,
        train_bars: int,
        min_train_bars: int,
        names: Sequence[str],
        transform: Transform = "none",
        seed: int = 0,
    ) -> None:
        self.kind = kind
        self.transform: Transform = transform
        self.cross_sectional = cross_sectional
        self.horizon = horizon
        self.min_train_bars = min_train_bars
        self.names = list(names)
        self.seed = seed
        self._window: deque[tuple[np.ndarray, np.ndarray]] = deque(maxlen=train_bars + horizon + 1)
        self.model: Model | None = None
        self.fits = 0

    def push(self, rows: np.ndarray, closes: np.ndarray) -> None:
        """Add one date: the raw feature rows (symbols x features) and the closes (NaN where a
        symbol has no bar that date)."""
        self._window.append((rows, closes))

    def fit(self) -> bool:
        """Fit a fresh model on the window's known labels; False if there are too few."""
        from alphaforge.ml.base import make_model  # noqa: PLC0415

        data = self._training_rows()
        if data is None:
            return False
        X, y = data
        task: Task = "regression" if self.cross_sectional else "classification"
        if task == "classification" and len(np.unique(y)) < 2:
            return False
        params = dict(ONLINE_DEFAULTS.get(self.kind, {}))
        model = make_model(self.kind, task=task, seed=self.seed, **params)
        model.fit(pd.DataFrame(X, columns=self.names), pd.Series(y))
        self.model = model
        self.fits += 1
        return True

    def _training_rows(self) -> tuple[np.ndarray, np.ndarray] | None:
        n, h = len(self._window), self.horizon
        labelled = n - 1 - h
        if labelled < self.min_train_bars:
            return None
        features = np.stack([rows for rows, _ in self._window][:labelled])  # dates x sym x feat
        features = transform_dates(features, self.transform)
        closes = np.stack([c for _, c in self._window])  # dates x symbols
        with np.errstate(invalid="ignore", divide="ignore"):
            forward = closes[1 + h :] / closes[1 : n - h] - 1.0  # label of dates 0 .. n-2-h
        if self.cross_sectional:
            target = pd.DataFrame(forward).rank(axis=1, pct=True).to_numpy()
        else:
            target = np.where(np.isfinite(forward), (forward > 0).astype(np.float64), np.nan)
        X = features.reshape(-1, len(self.names))
        y = target.reshape(-1)
        keep = np.isfinite(y) & np.isfinite(X).all(axis=1)
        if keep.sum() < 2 * len(self.names):
            return None
        return X[keep], y[keep]
