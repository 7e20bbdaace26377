"""Labels for supervised learning (layer L4): what a model is asked to predict, and until when.

Every label at bar ``t`` looks at prices after ``t``; ``Labels.t1`` records the LAST bar time it
looks at, and ``Labels.horizon`` the most bars it may look ahead. Validation
(``alphaforge.ml.validation``) purges with ``t1``: a training sample whose window ``[t, t1]``
reaches into a test span would leak the test's prices into the fit.

``forward_returns`` (regression), ``classes`` (BUY/SELL/HOLD by fixed or volatility-scaled
thresholds), ``triple_barrier`` and ``meta_labels`` (López de Prado, *Advances in Financial
Machine Learning*, ch. 3); ``docs/ml_validation.md`` describes each.

Inputs: a single asset's closes (``Series`` on a ``DatetimeIndex``), a panel (``Series`` on a
``(ts, symbol)`` ``MultiIndex``), or a wide frame of closes (one column per symbol; NaN where a
symbol did not trade, e.g. before it listed). Panels are labelled symbol by symbol (a horizon
counts that symbol's bars) and come back on a ``(ts, symbol)`` index sorted by ts then symbol.
Labels are NaN where the future they need is not in the data yet (the last bars); ``dropna``
removes them. Barriers use closes only: a touch is seen at a bar's close, not intrabar.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from typing import Literal, TypeVar

import numpy as np
import pandas as pd

from alphaforge.core.jit import jit
from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "KINDS",
    "LabelKind",
    "Labels",
    "classes",
    "forward_returns",
    "meta_labels",
    "triple_barrier",
]

LabelKind = Literal["forward_return", "classes", "triple_barrier", "meta"]
KINDS: tuple[LabelKind, ...] = ("forward_return", "classes", "triple_barrier", "meta")
_DISCRETE = frozenset({"classes", "triple_barrier", "meta"})
_PANEL_NAMES = ("ts", "symbol")
_Part = TypeVar("_Part", pd.Series, pd.Index, pd.Series | float | None, pd.Index | None)

Close = pd.Series | pd.DataFrame
# One asset's computation: its closes (and the symbol, None for a single asset) -> a frame with
# columns y, t1 and extras, indexed by the labelled bars' times.
_Compute = Callable[[pd.Series, Hashable | None], pd.DataFrame]


@dataclass(frozen=True, eq=False)
class Labels:
    """Targets ``y`` and the last bar time ``t1`` each one looks at, on the samples' index.

    ``horizon`` is the most bars a label looks ahead (``t1`` is at most that many bars after
    ``t``); ``kind`` names the labelling. ``side`` holds the bet's direction where the labels
    have one (triple barrier with a side, meta labels); ``extra`` more columns on the same index
    (``ret``: the realized return until ``t1``; ``trgt``: the volatility the barriers scaled;
    ``upper``/``lower``: class thresholds; ``barrier``: which barrier a meta label's bet hit).
    ``y`` is float64 with NaN (and ``t1`` NaT) where the label is not known yet; ``dropna``
    removes those rows and makes discrete labels int64.
    """

    y: pd.Series
    t1: pd.Series
    horizon: int
    kind: LabelKind
    side: pd.Series | None = None
    extra: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidValueError(f"Labels.kind must be one of {KINDS}, got {self.kind!r}")
        if isinstance(self.horizon, bool) or not isinstance(self.horizon, int | np.integer):
            raise InvalidValueError(f"Labels.horizon must be an int, got {self.horizon!r}")
        if self.horizon < 1:
            raise InvalidValueError(f"Labels.horizon must be >= 1 bar, got {self.horizon}")
        parts = [("t1", self.t1.index)]
        if self.side is not None:
            parts.append(("side", self.side.index))
        if len(self.extra.columns):
            parts.append(("extra", self.extra.index))
        for name, index in parts:
            if not index.equals(self.y.index):
                raise InvalidValueError(f"Labels.{name} is not on the same index as Labels.y")
        if not pd.api.types.is_datetime64_any_dtype(self.t1.dtype):
            raise InvalidValueError(f"Labels.t1 must hold timestamps, got dtype {self.t1.dtype}")

    @property
    def index(self) -> pd.Index:
        """The labelled samples' index (``DatetimeIndex`` or ``(ts, symbol)`` ``MultiIndex``)."""
        return self.y.index

    def __len__(self) -> int:
        return len(self.y)

    def __repr__(self) -> str:
        known = int(self.y.notna().sum())
        return (
            f"Labels(kind={self.kind!r}, horizon={self.horizon}, samples={len(self)}, "
            f"known={known})"
        )

    def to_frame(self) -> pd.DataFrame:
        """Return ``y``, ``t1``, ``side`` (if any) and the extra columns as one frame."""
        columns: dict[str, pd.Series] = {"y": self.y, "t1": self.t1}
        if self.side is not None:
            columns["side"] = self.side
        frame = pd.DataFrame(columns)
        return pd.concat([frame, self.extra], axis=1) if len(self.extra.columns) else frame

    def take(self, positions: np.ndarray) -> Labels:
        """Return the labels at integer ``positions`` (as ``Series.iloc`` takes them)."""
        return Labels(
            self.y.iloc[positions],
            self.t1.iloc[positions],
            self.horizon,
            self.kind,
            None if self.side is None else self.side.iloc[positions],
            self.extra.iloc[positions] if len(self.extra.columns) else pd.DataFrame(),
        )

    def loc(self, index: pd.Index) -> Labels:
        """Return the labels of the samples in ``index``, in its order; all must be labelled."""
        positions = self.index.get_indexer(index)
        if (positions < 0).any():
            missing = index[positions < 0]
            raise InvalidValueError(
                f"{len(missing)} of the {len(index)} requested samples have no label "
                f"(first: {missing[0]!r})"
            )
        return self.take(positions)

    def dropna(self) -> Labels:
        """Drop the samples whose label is not known (NaN ``y`` or NaT ``t1``).

        Discrete kinds (classes, triple barrier, meta) come back with int64 ``y``.
        """
        known = self.y.notna().to_numpy() & self.t1.notna().to_numpy()
        out = self.take(np.flatnonzero(known))
        return replace(out, y=out.y.astype(np.int64)) if self.kind in _DISCRETE else out

    def align(self, features: pd.DataFrame, *, dropna: bool = True) -> tuple[pd.DataFrame, Labels]:
        """Return ``features`` (X) and these labels on their common samples, in X's order.

        Unknown labels are dropped, and with ``dropna`` the rows of X with a missing value
        (an indicator's warm-up) too, so ``model.fit(X, labels.y)`` gets complete rows only.
        """
        if type(features.index) is not type(self.index):
            raise InvalidValueError(
                f"X is indexed by a {type(features.index).__name__} but the labels by a "
                f"{type(self.index).__name__}; build both from the same data"
            )
        known = self.dropna()
        rows = features.dropna() if dropna else features
        common = rows.index[rows.index.isin(known.index)]
        if len(common) == 0:
            raise InvalidValueError("X and the labels have no sample in common")
        return rows.loc[common], known.loc(common)


# ---------------------------------------------------------------------- public labellers


def forward_returns(close: Close, horizon: int = 1, *, log: bool = False) -> Labels:
    """Label each bar with its return over the next ``horizon`` bars (a regression target).

    ``y[t] = close[t+h] / close[t] - 1`` (``log``: ``ln(close[t+h] / close[t])``),
    ``t1[t]`` = time of bar ``t+h``; the last ``horizon`` bars (of each symbol) are NaN.
    """
    h = _horizon(horizon, "horizon")

    def one(s: pd.Series, _symbol: Hashable | None) -> pd.DataFrame:
        return _forward_frame(s, h, log=log)

    frame = _per_symbol(close, one)
    return _labels(frame, h, "forward_return")


def classes(
    close: Close,
    horizon: int = 1,
    *,
    upper: float | None = None,
    lower: float | None = None,
    k: float | None = None,
    vol_window: int = 20,
) -> Labels:
    """Label each bar BUY (+1), SELL (-1) or HOLD (0) by its forward return over ``horizon``.

    Fixed thresholds: +1 when the return is above ``upper`` (default 0.01), -1 below ``lower``
    (default ``-upper``), else 0. Volatility-scaled (``k`` given, no ``upper``/``lower``): the
    thresholds are ``±k * vol[t] * sqrt(horizon)``, ``vol[t]`` the standard deviation of the
    ``vol_window`` one-bar returns up to ``t`` (known at ``t``; NaN labels before it is).
    ``extra`` holds ``ret``, ``upper`` and ``lower``.
    """
    h = _horizon(horizon, "horizon")
    up, lo = _class_thresholds(upper, lower, k)
    window = _horizon(vol_window, "vol_window") if k is not None else 0

    def one(s: pd.Series, _symbol: Hashable | None) -> pd.DataFrame:
        frame = _forward_frame(s, h, log=False)
        ret = frame["y"].to_numpy()
        if k is None:
            hi, low = np.full(len(s), up), np.full(len(s), lo)
        else:
            vol = s.pct_change().rolling(window, min_periods=window).std().to_numpy()
            hi, low = k * vol * math.sqrt(h), -k * vol * math.sqrt(h)
        y = np.where(ret > hi, 1.0, np.where(ret < low, -1.0, 0.0))
        y[np.isnan(ret) | np.isnan(hi)] = np.nan
        return frame.assign(y=y, ret=ret, upper=hi, lower=low)

    return _labels(_per_symbol(close, one), h, "classes")


def triple_barrier(
    close: Close,
    *,
    events: pd.Index | pd.Series | None = None,
    pt: float | None = 1.0,
    sl: float | None = 1.0,
    max_holding: int = 10,
    side: pd.Series | None = None,
    target: pd.Series | float | None = None,
    vol_span: int = 50,
) -> Labels:
    """Label each event by the first of three barriers its price path touches.

    From an event at bar ``t``, the return ``side * (close[s] / close[t] - 1)`` of each later
    bar ``s`` is checked: at or above ``pt * trgt[t]`` -> +1 (profit taken), at or below
    ``-sl * trgt[t]`` -> -1 (stopped out); if neither happens by bar ``t + max_holding``, the
    vertical barrier -> 0. ``t1`` is the touching bar's time. ``pt`` or ``sl`` None removes that
    barrier. ``trgt`` is ``target`` (a Series on the closes' index, or one number) or by default
    the EWM standard deviation (span ``vol_span``) of one-bar returns up to ``t``.

    ``events``: the bars to label (an index subset of the closes', or a boolean Series); default
    every bar. ``side``: +1/-1 per event (the bet's direction; its events when ``events`` is
    None); default +1. Events without a known ``trgt`` or whose path runs past the data
    before any touch are NaN. ``extra`` holds ``ret`` (the side's return at ``t1``) and ``trgt``.
    """
    frame = _barrier_frames(close, events, side, pt, sl, max_holding, target, vol_span)
    return _labels(frame, max_holding, "triple_barrier", with_side=side is not None)


def meta_labels(
    primary_side: pd.Series,
    close: Close,
    *,
    pt: float | None = 1.0,
    sl: float | None = 1.0,
    max_holding: int = 10,
    target: pd.Series | float | None = None,
    vol_span: int = 50,
) -> Labels:
    """Label each bet of a primary model 1 if it paid off, else 0 (López de Prado's meta-labels).

    ``primary_side`` holds +1 (long), -1 (short) or 0 (no bet: not labelled) at the primary's
    event times. Each bet runs to the first of its triple barriers (see ``triple_barrier``,
    the barriers in the bet's direction); ``y`` is 1 where its return at ``t1`` is positive.
    ``side`` holds the bet; ``extra`` ``ret``, ``trgt`` and ``barrier`` (+1 profit-taking,
    -1 stop-loss, 0 vertical).
    """
    if not isinstance(primary_side, pd.Series):
        raise InvalidValueError(
            f"primary_side must be a Series of +1/-1/0, got {type(primary_side).__name__}"
        )
    values = primary_side.to_numpy(dtype=float, na_value=np.nan)
    if not np.isin(values, (-1.0, 0.0, 1.0)).all():
        raise InvalidValueError("primary_side must hold only +1 (long), -1 (short) or 0 (no bet)")
    bets = primary_side[values != 0]
    frame = _barrier_frames(close, None, bets, pt, sl, max_holding, target, vol_span)
    ret = frame["ret"].to_numpy()
    frame = frame.assign(barrier=frame["y"], y=np.where(np.isnan(ret), np.nan, ret > 0))
    return _labels(frame, max_holding, "meta", with_side=True)


# ---------------------------------------------------------------------- the barrier scan


@jit()
def _barrier_scan(
    close: np.ndarray,
    starts: np.ndarray,
    upper: np.ndarray,
    lower: np.ndarray,
    side: np.ndarray,
    max_holding: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return each event's touch bar (-1: unknown), barrier (+1, -1, 0) and return at the touch.

    Event ``j`` starts at bar ``starts[j]``; its barriers are the returns ``upper[j]`` (NaN:
    unknown target; +inf: none) and ``lower[j]``; returns are multiplied by ``side[j]``.
    """
    n = close.shape[0]
    m = starts.shape[0]
    touch = np.full(m, -1, dtype=np.int64)
    barrier = np.zeros(m, dtype=np.int64)
    ret = np.full(m, np.nan)
    for j in range(m):
        i = starts[j]
        if np.isnan(upper[j]) or np.isnan(lower[j]):
            continue
        last = min(i + max_holding, n - 1)
        for s in range(i + 1, last + 1):
            r = side[j] * (close[s] / close[i] - 1.0)
            if r >= upper[j]:
                touch[j], barrier[j], ret[j] = s, 1, r
                break
            if r <= lower[j]:
                touch[j], barrier[j], ret[j] = s, -1, r
                break
        if touch[j] < 0 and i + max_holding <= n - 1:
            s = i + max_holding
            touch[j], ret[j] = s, side[j] * (close[s] / close[i] - 1.0)
    return touch, barrier, ret


def _barrier_frames(
    close: Close,
    events: pd.Index | pd.Series | None,
    side: pd.Series | None,
    pt: float | None,
    sl: float | None,
    max_holding: int,
    target: pd.Series | float | None,
    vol_span: int,
) -> pd.DataFrame:
    """Run the barrier scan per symbol; a frame with y (the barrier), t1, ret, trgt[, side]."""
    h = _horizon(max_holding, "max_holding")
    span = _horizon(vol_span, "vol_span")
    up, dn = _barrier_width(pt, "pt"), _barrier_width(sl, "sl")
    event_index = _event_index(events, side)
    _check_parts(close, {"events": event_index, "side": side, "target": target})
    if side is not None:
        _check_side(side)

    def one(s: pd.Series, symbol: Hashable | None) -> pd.DataFrame:
        starts = _positions(s.index, _for_symbol(event_index, symbol), "events")
        trgt = _target(s, _for_symbol(target, symbol), span)[starts]
        sides = np.ones(len(starts))
        if side is not None:
            mine = _for_symbol(side, symbol).reindex(s.index[starts])
            sides = mine.to_numpy(dtype=float, na_value=np.nan)
            if np.isnan(sides).any():
                raise InvalidValueError("side has no +1/-1 for some events")
        touch, barrier, ret = _barrier_scan(
            s.to_numpy(), starts, _scaled(up, trgt), -_scaled(dn, trgt), sides, h
        )
        known = touch >= 0
        times = pd.Series(s.index, index=s.index).iloc[np.where(known, touch, 0)].to_numpy()
        frame = pd.DataFrame(
            {"y": np.where(known, barrier, np.nan), "ret": ret, "trgt": trgt},
            index=s.index[starts],
        )
        frame.insert(1, "t1", pd.Series(times, index=frame.index).where(known))
        if side is not None:
            frame["side"] = sides
        return frame

    return _per_symbol(close, one)


def _scaled(width: float, trgt: np.ndarray) -> np.ndarray:
    """``width * trgt``; a barrier that is off (+inf) stays off even where ``trgt`` is 0."""
    return width * trgt if math.isfinite(width) else np.where(np.isnan(trgt), np.nan, np.inf)


def _barrier_width(value: float | None, name: str) -> float:
    """A barrier's multiple of the target: +inf when the barrier is off (None)."""
    if value is None:
        return math.inf
    if not math.isfinite(value) or value <= 0:
        raise InvalidValueError(f"{name} must be a positive multiple of the target, or None")
    return float(value)


def _event_index(events: pd.Index | pd.Series | None, side: pd.Series | None) -> pd.Index | None:
    """The events as an index (a boolean Series -> its True rows; None -> the side's index)."""
    if events is None:
        return None if side is None else side.index
    if isinstance(events, pd.Series):
        if not pd.api.types.is_bool_dtype(events.dtype):
            raise InvalidValueError("events as a Series must be a boolean mask of the bars")
        return events.index[events.to_numpy()]
    if isinstance(events, pd.Index):
        return events
    raise InvalidValueError(f"events must be an Index or a boolean Series, got {type(events)}")


def _check_side(side: pd.Series) -> None:
    values = side.to_numpy(dtype=float, na_value=np.nan)
    if not np.isin(values, (-1.0, 1.0)).all():
        raise InvalidValueError("side must hold only +1 (long) or -1 (short) for each event")


def _positions(index: pd.Index, wanted: pd.Index | None, name: str) -> np.ndarray:
    """Integer positions of ``wanted`` in ``index`` (all of it when None), sorted."""
    if wanted is None:
        return np.arange(len(index), dtype=np.int64)
    if not wanted.is_unique:
        raise InvalidValueError(f"{name} has duplicate times")
    positions = index.get_indexer(wanted)
    if (positions < 0).any():
        raise InvalidValueError(
            f"{name} has {int((positions < 0).sum())} times that are not bars of close "
            f"(first: {wanted[positions < 0][0]!r})"
        )
    return np.sort(positions).astype(np.int64)


def _target(s: pd.Series, target: pd.Series | float | None, span: int) -> np.ndarray:
    """The barrier scale per bar: given, or the EWM std of one-bar returns known at each bar."""
    if target is None:
        vol = s.pct_change().ewm(span=span, min_periods=span).std()
        return vol.to_numpy(dtype=float, na_value=np.nan)
    if isinstance(target, pd.Series):
        values = target.reindex(s.index).to_numpy(dtype=float, na_value=np.nan)
    else:
        values = np.full(len(s), float(target))
    if (values[~np.isnan(values)] <= 0).any() or np.isinf(values).any():
        raise InvalidValueError("target must be positive and finite (NaN: no label there)")
    return values


# ---------------------------------------------------------------------- shared helpers


def _labels(
    frame: pd.DataFrame, horizon: int, kind: LabelKind, *, with_side: bool = False
) -> Labels:
    extra = frame.drop(columns=["y", "t1", "side"], errors="ignore")
    y = frame["y"].astype(float).rename("y")
    return Labels(
        y=y,
        t1=frame["t1"].where(y.notna()).rename("t1"),  # an unknown label has no end either
        horizon=horizon,
        kind=kind,
        side=frame["side"].rename("side") if with_side else None,
        extra=extra,
    )


def _forward_frame(s: pd.Series, h: int, *, log: bool) -> pd.DataFrame:
    x = s.to_numpy()
    y = np.full(len(x), np.nan)
    if len(x) > h:
        ratio = x[h:] / x[:-h]
        y[:-h] = np.log(ratio) if log else ratio - 1.0
    return pd.DataFrame({"y": y, "t1": pd.Series(s.index, index=s.index).shift(-h)})


def _class_thresholds(
    upper: float | None, lower: float | None, k: float | None
) -> tuple[float, float]:
    if k is not None:
        if upper is not None or lower is not None:
            raise InvalidValueError("give either k (volatility-scaled) or upper/lower, not both")
        if not math.isfinite(k) or k <= 0:
            raise InvalidValueError(f"k must be a positive multiple of volatility, got {k}")
        return math.nan, math.nan
    up = 0.01 if upper is None else float(upper)
    lo = -up if lower is None else float(lower)
    if not (math.isfinite(up) and math.isfinite(lo)) or lo > up:
        raise InvalidValueError(f"need finite thresholds with lower <= upper, got {lo}, {up}")
    return up, lo


def _horizon(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InvalidValueError(f"{name} must be a whole number of bars >= 1, got {value!r}")
    return int(value)


def _per_symbol(close: Close, compute: _Compute) -> pd.DataFrame:
    """Run ``compute`` on each asset's closes; a panel comes back on a sorted (ts, symbol) index."""
    if isinstance(close, pd.Series) and not isinstance(close.index, pd.MultiIndex):
        return compute(_clean(close, "close"), None)
    frames = {
        symbol: compute(_clean(s, f"close of {symbol!r}"), symbol)
        for symbol, s in _symbols(close).items()
    }
    if not frames:
        raise InvalidValueError("the panel of closes has no symbol")
    out = pd.concat(frames, names=["symbol", "ts"]).swaplevel().sort_index()
    out.index = out.index.set_names(list(_PANEL_NAMES))
    return out


def _symbols(close: Close) -> dict[Hashable, pd.Series]:
    """A panel's closes per symbol, each on its own DatetimeIndex."""
    if isinstance(close, pd.DataFrame):
        if "close" in close.columns:
            raise InvalidValueError(
                "got a frame with a 'close' column: pass that column (frame['close']) for one "
                "asset, or a wide frame of closes with one column per symbol"
            )
        return {symbol: close[symbol].dropna() for symbol in close.columns}
    if not isinstance(close, pd.Series):
        raise InvalidValueError(f"close must be a Series or a DataFrame, got {type(close)}")
    if close.index.nlevels != 2:
        raise InvalidValueError("a panel's closes need a 2-level (ts, symbol) MultiIndex")
    return {
        symbol: group.droplevel(1)
        for symbol, group in close.groupby(level=1, sort=True, observed=True)
    }


def _clean(s: pd.Series, name: str) -> pd.Series:
    """Validate one asset's closes: sorted unique timestamps, positive finite float prices."""
    if not isinstance(s.index, pd.DatetimeIndex):
        raise InvalidValueError(
            f"{name} must be indexed by a DatetimeIndex (one asset) or a (ts, symbol) "
            f"MultiIndex (a panel), got {type(s.index).__name__}"
        )
    if not s.index.is_monotonic_increasing or not s.index.is_unique:
        raise InvalidValueError(f"{name} timestamps must be unique and increasing")
    values = s.to_numpy(dtype=float, na_value=np.nan)
    if not np.isfinite(values).all() or (values <= 0).any():
        raise InvalidValueError(f"{name} must hold positive, finite prices (no NaN)")
    return pd.Series(values, index=s.index, name=s.name)


def _check_parts(close: Close, parts: dict[str, object]) -> None:
    """events/side/target are indexed like close; a panel's name only symbols close has."""
    panel = not isinstance(close, pd.Series) or isinstance(close.index, pd.MultiIndex)
    if isinstance(close, pd.DataFrame):
        known = set(close.columns)
    else:
        known = set(close.index.get_level_values(1)) if panel else set()
    for name, part in parts.items():
        if not isinstance(part, pd.Series | pd.Index):
            continue
        index = part.index if isinstance(part, pd.Series) else part
        if panel != isinstance(index, pd.MultiIndex):
            want = "a (ts, symbol) MultiIndex" if panel else "a DatetimeIndex"
            raise InvalidValueError(f"{name} must be indexed like close: {want}")
        extra = set(index.get_level_values(1)) - known if panel else set()
        if extra:
            raise InvalidValueError(
                f"{name} names symbols that close does not have: {sorted(map(str, extra))}"
            )


def _for_symbol(part: _Part, symbol: Hashable | None) -> _Part:
    """The slice of a panel-indexed Series/Index for one symbol, on its ts level."""
    if symbol is None or not isinstance(part, pd.Series | pd.Index):
        return part
    index = part.index if isinstance(part, pd.Series) else part
    mine = index.get_level_values(1) == symbol
    if isinstance(part, pd.Series):
        return part[mine].droplevel(1)
    return index[mine].get_level_values(0)
