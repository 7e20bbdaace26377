"""The feature library: named features built on the indicators, and sets of them.

A :class:`Feature` is a name, a description and a small graph over bar fields and registry
indicators (``features/_graph.py``); it knows the fields it needs and its warm-up. A
:class:`FeatureSet` computes many features at once, sharing the indicators they have in common:

* ``compute(frame)`` -> a float64 DataFrame on the frame's index (NaN during each warm-up), for
  training;
* ``stream()`` -> a :class:`FeatureStream` whose ``update(bar)`` returns the same row for one new
  bar in O(1), for live inference.

Both run the same formulas; only the indicators switch between their batch and streaming twins,
which agree to the last bit. ``FeatureSet.classic()`` holds the 37 classic features
(``docs/features.md``), ``FeatureSet.close_only()`` the 24 of them that need only closes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from alphaforge.core.suggest import did_you_mean
from alphaforge.domain.errors import InvalidValueError
from alphaforge.features._graph import (
    FIELDS,
    FeatureStream,
    Field,
    Formula,
    Indicator,
    Lag,
    Node,
    Output,
    Plan,
)
from alphaforge.indicators.registry import get_indicator

__all__ = [
    "Feature",
    "FeatureSet",
    "FeatureStream",
    "adx",
    "available_fields",
    "bollinger",
    "drawdown",
    "indicator_feature",
    "ma_ratio",
    "macd",
    "obv_slope",
    "range_position",
    "ret",
    "ret_lag",
    "rsi",
    "rvol",
    "stochastic",
    "trend_regime",
    "trend_strength",
    "vol_regime",
    "volume_ratio",
    "zscore",
]

Missing = Literal["raise", "skip"]

OPEN, HIGH, LOW, CLOSE, VOLUME = (Field(name) for name in FIELDS)


@dataclass(frozen=True, slots=True, eq=False)
class Feature:
    """One named feature: ``node`` computes it; ``description`` says how, in a line."""

    name: str
    node: Node
    description: str

    def __post_init__(self) -> None:
        if not self.name or not self.name.isidentifier():
            raise InvalidValueError(f"a feature name must be an identifier, got {self.name!r}")

    @property
    def needs(self) -> frozenset[str]:
        """The bar fields this feature reads (``close``, ``high``, ``volume`` …)."""
        return self.node.fields

    @property
    def warmup(self) -> int:
        """Leading bars without a value (NaN) on data without gaps."""
        return self.node.warmup

    def compute(self, frame: pd.DataFrame) -> pd.Series:
        """Return this feature over ``frame`` (batch), NaN during the warm-up."""
        return FeatureSet([self]).compute(frame)[self.name]

    def stream(self) -> FeatureStream:
        """Return a fresh one-feature stream."""
        return FeatureSet([self]).stream()

    def __repr__(self) -> str:
        needs = ",".join(f for f in FIELDS if f in self.needs)
        return f"Feature({self.name!r}, needs={needs}, warmup={self.warmup})"


# --------------------------------------------------------------------------- formulas
# Each takes ``ops`` (array or float helpers) first and works on arrays and floats alike.


def _relative(ops: Any, a: Any, b: Any) -> Any:
    return ops.div(a, b) - 1.0


def _ratio(ops: Any, a: Any, b: Any) -> Any:
    return ops.div(a, b)


def _scaled_ratio(ops: Any, a: Any, b: Any, n: float) -> Any:
    return ops.div(a, b * n)


def _position(ops: Any, x: Any, low: Any, high: Any) -> Any:
    return ops.div(x - low, high - low)


def _width(ops: Any, upper: Any, middle: Any, lower: Any) -> Any:
    return ops.div(upper - lower, middle)


def _balance(ops: Any, a: Any, b: Any) -> Any:
    return ops.div(a - b, a + b)


def _log_ratio(ops: Any, a: Any, b: Any) -> Any:
    return ops.log(ops.div(a, b))


def _abs_change(ops: Any, a: Any, b: Any) -> Any:
    return abs(a - b)


def _ind(name: str, *inputs: Node, output: str | None = None, **params: object) -> Node:
    node = Indicator(name, inputs, params)
    return Output(node, output) if output is not None else node


def indicator_feature(
    name: str, indicator: str, *inputs: str, output: str | None = None, **params: object
) -> Feature:
    """Return a feature that is a registry indicator's raw value on bar fields.

    ``indicator_feature("aroon_up_25", "aroon", "high", "low", output="up", period=25)``;
    the fields default to the indicator's own inputs.
    """
    fields = inputs or get_indicator(indicator).inputs
    node = _ind(indicator, *(Field(f) for f in fields), output=output, **params)
    return Feature(name, node, f"{indicator}({', '.join(fields)}) {output or ''}".strip())


# --------------------------------------------------------------------------- close-only features


def rsi(period: int = 14) -> Feature:
    """Wilder's RSI of the closes, 0-100."""
    return Feature(f"rsi_{period}", _ind("rsi", CLOSE, period=period), f"RSI({period}), 0-100")


def macd(fast: int = 12, slow: int = 26, signal: int = 9, *, line: str = "macd") -> Feature:
    """MACD line (``line="macd"``) or its signal, divided by the close (scale-free)."""
    node = _ind(
        "macd", CLOSE, output=line, fast_period=fast, slow_period=slow, signal_period=signal
    )
    name = f"macd_{fast}_{slow}" if line == "macd" else f"macd_{line}_{fast}_{slow}_{signal}"
    what = "line" if line == "macd" else line
    return Feature(
        name, Formula(_ratio, (node, CLOSE)), f"MACD {what}({fast},{slow},{signal})/close"
    )


def bollinger(period: int = 20, nbdev: float = 2.0) -> tuple[Feature, Feature]:
    """Position of the close in the Bollinger band (0 lower, 1 upper) and the band's width."""
    bands = Indicator("bbands", [CLOSE], {"period": period, "nbdev_up": nbdev, "nbdev_dn": nbdev})
    up, mid, low = (Output(bands, o) for o in ("upper", "middle", "lower"))
    what = f"BBANDS({period},{nbdev:g})"
    return (
        Feature(
            f"bb_pos_{period}", Formula(_position, (CLOSE, low, up)), f"{what}: (c-lo)/(up-lo)"
        ),
        Feature(f"bb_width_{period}", Formula(_width, (up, mid, low)), f"{what}: (up-lo)/mid"),
    )


def ma_ratio(period: int, kind: str = "sma") -> Feature:
    """Close over its moving average, minus 1 (``kind`` ``"sma"`` or ``"ema"``)."""
    if kind not in ("sma", "ema"):
        raise InvalidValueError(f"ma_ratio kind must be 'sma' or 'ema', got {kind!r}")
    node = Formula(_relative, (CLOSE, _ind(kind, CLOSE, period=period)))
    return Feature(f"{kind}_ratio_{period}", node, f"close/{kind.upper()}({period}) - 1")


def zscore(period: int = 20) -> Feature:
    """Rolling z-score of the close (population σ)."""
    return Feature(f"zscore_{period}", _ind("zscore", CLOSE, period=period), f"ZSCORE({period})")


def _one_bar_return() -> Node:
    return Formula(_log_ratio, (CLOSE, Lag(CLOSE, 1)))


def ret_lag(k: int) -> Feature:
    """The ``k``-th latest one-bar log return: ``ret_lag_1 = ln(c[t]/c[t-1])``."""
    node = _one_bar_return()
    if k > 1:
        node = Lag(node, k - 1)
    newer = "c[t]" if k == 1 else f"c[t-{k - 1}]"
    return Feature(f"ret_lag_{k}", node, f"ln({newer}/c[t-{k}])")


def ret(k: int) -> Feature:
    """Log return over the last ``k`` bars: ``ln(c[t]/c[t-k])``."""
    return Feature(f"ret_{k}", Formula(_log_ratio, (CLOSE, Lag(CLOSE, k))), f"ln(c[t]/c[t-{k}])")


def rvol(period: int) -> Feature:
    """Close-to-close realized volatility per bar (σ of log returns, ddof=1, not annualized)."""
    node = _ind("close_to_close", CLOSE, period=period, annualization=1.0)
    return Feature(f"rvol_{period}", node, f"CLOSE_TO_CLOSE({period}), per bar")


def trend_strength(period: int = 20) -> Feature:
    """Kaufman's efficiency ratio, signed: net move over the path length, in [-1, 1]."""
    path = _ind("sma", Formula(_abs_change, (CLOSE, Lag(CLOSE, 1))), period=period)
    node = Formula(_scaled_ratio, (_ind("mom", CLOSE, period=period), path), (float(period),))
    return Feature(f"trend_strength_{period}", node, f"MOM({period})/(n·SMA(|Δc|,{period}))")


def vol_regime(short: int = 20, long: int = 100) -> Feature:
    """Short over long realized volatility: above 1 in a volatile spell."""
    a, b = (_ind("close_to_close", CLOSE, period=p, annualization=1.0) for p in (short, long))
    return Feature(
        f"vol_regime_{short}_{long}", Formula(_ratio, (a, b)), f"rvol_{short}/rvol_{long}"
    )


def trend_regime(fast: int = 50, slow: int = 200) -> Feature:
    """Fast over slow SMA, minus 1: positive in an uptrend (the golden-cross regime)."""
    a, b = (_ind("sma", CLOSE, period=p) for p in (fast, slow))
    return Feature(
        f"trend_regime_{fast}_{slow}", Formula(_relative, (a, b)), f"SMA{fast}/SMA{slow}-1"
    )


def drawdown(period: int = 252) -> Feature:
    """Close below its highest close of the last ``period`` bars (0 at a high, < 0 below)."""
    high = _ind("donchian", CLOSE, CLOSE, output="upper", period=period)
    return Feature(f"drawdown_{period}", Formula(_relative, (CLOSE, high)), f"c/max(c,{period})-1")


# --------------------------------------------------------------------------- OHLCV features

HLC = (HIGH, LOW, CLOSE)


def adx(period: int = 14) -> tuple[Feature, Feature]:
    """ADX (trend strength, 0-100) and the DI balance (+DI − −DI)/(+DI + −DI), in [-1, 1]."""
    plus, minus = (_ind(n, *HLC, period=period) for n in ("plus_di", "minus_di"))
    return (
        Feature(f"adx_{period}", _ind("adx", *HLC, period=period), f"ADX({period})"),
        Feature(f"di_balance_{period}", Formula(_balance, (plus, minus)), "(+DI-−DI)/(+DI+−DI)"),
    )


def stochastic(period: int = 14, smooth: int = 3) -> tuple[Feature, Feature]:
    """Slow stochastic %K and %D, 0-100."""
    params = {"fastk_period": period, "slowk_period": smooth, "slowd_period": smooth}
    stoch = Indicator("stoch", HLC, params)
    return (
        Feature(f"stoch_k_{period}", Output(stoch, "slowk"), f"STOCH({period},{smooth}) %K"),
        Feature(f"stoch_d_{period}", Output(stoch, "slowd"), f"STOCH({period},{smooth}) %D"),
    )


def range_position(period: int = 20) -> Feature:
    """Position of the close between the lowest low and highest high of ``period`` bars."""
    up, low = (_ind("donchian", HIGH, LOW, output=o, period=period) for o in ("upper", "lower"))
    node = Formula(_position, (CLOSE, low, up))
    return Feature(f"range_pos_{period}", node, f"(c-minL)/(maxH-minL), {period} bars")


def volume_ratio(period: int = 20) -> Feature:
    """Volume over its ``period``-bar average."""
    node = Formula(_ratio, (VOLUME, _ind("sma", VOLUME, period=period)))
    return Feature(f"volume_ratio_{period}", node, f"v/SMA(v,{period})")


def obv_slope(period: int = 20) -> Feature:
    """OBV change over ``period`` bars over the volume traded then, in [-1, 1]."""
    change = _ind("mom", _ind("obv", CLOSE, VOLUME), period=period)
    node = Formula(_scaled_ratio, (change, _ind("sma", VOLUME, period=period)), (float(period),))
    return Feature(f"obv_slope_{period}", node, f"MOM(OBV,{period})/(n·SMA(v,{period}))")


def _simple(name: str, indicator: str, inputs: tuple[Node, ...], **params: object) -> Feature:
    what = ", ".join(f"{k}={v}" for k, v in params.items())
    return Feature(name, Indicator(indicator, inputs, params), f"{indicator.upper()}({what})")


def _classic_features() -> list[Feature]:
    bb_pos, bb_width = bollinger(20)
    adx_f, di = adx(14)
    stoch_k, stoch_d = stochastic(14)
    per_bar = {"annualization": 1.0}
    return [
        rsi(14),
        macd(12, 26, 9),
        macd(12, 26, 9, line="signal"),
        bb_pos,
        bb_width,
        *(ma_ratio(p, "sma") for p in (10, 50, 200)),
        *(ma_ratio(p, "ema") for p in (12, 26)),
        zscore(20),
        *(ret_lag(k) for k in (1, 2, 3, 5)),
        ret(5),
        ret(20),
        *(rvol(p) for p in (10, 20, 60)),
        trend_strength(20),
        vol_regime(20, 100),
        trend_regime(50, 200),
        drawdown(252),
        adx_f,
        di,
        stoch_k,
        stoch_d,
        _simple("willr_14", "willr", HLC, period=14),
        _simple("cci_20", "cci", HLC, period=20),
        _simple("natr_14", "natr", HLC, period=14),
        range_position(20),
        _simple("mfi_14", "mfi", (*HLC, VOLUME), period=14),
        volume_ratio(20),
        obv_slope(20),
        _simple("rvol_parkinson_20", "parkinson", (HIGH, LOW), period=20, **per_bar),
        _simple("rvol_gk_20", "garman_klass", (OPEN, HIGH, LOW, CLOSE), period=20, **per_bar),
    ]


# --------------------------------------------------------------------------- frames


def available_fields(frame: pd.DataFrame) -> frozenset[str]:
    """Return the bar fields ``frame`` really carries.

    A field counts when its column exists and holds a value; ``open``, ``high`` and ``low``
    equal to the close on every bar are close-only data padded to OHLC (as the feeds do), so
    they do not count, and neither does an all-NaN volume.
    """
    present = {f for f in FIELDS if f in frame.columns and bool(frame[f].notna().any())}
    if "close" in present:
        close = frame["close"].to_numpy(dtype=np.float64)
        for name in ("open", "high", "low"):
            if name in present and np.array_equal(frame[name].to_numpy(np.float64), close):
                present.discard(name)
    return frozenset(present)


def _columns(frame: pd.DataFrame, needs: frozenset[str]) -> dict[str, np.ndarray]:
    columns: dict[str, np.ndarray] = {}
    for name in needs:
        values = np.ascontiguousarray(frame[name].to_numpy(dtype=np.float64))
        bad = ~np.isfinite(values)
        if bad.any():
            first = frame.index[int(np.argmax(bad))]
            raise InvalidValueError(
                f"column {name!r} has {int(bad.sum())} NaN or infinite values (first at {first}); "
                "features need gap-free bars: drop or repair them first"
            )
        columns[name] = values
    return columns


def _check_frame(frame: object) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise InvalidValueError(f"expected a pandas DataFrame of bars, got {type(frame).__name__}")
    if len(frame) == 0:
        raise InvalidValueError("the frame has no rows")
    if not (frame.index.is_monotonic_increasing and frame.index.is_unique):
        raise InvalidValueError("the frame's index must be sorted and unique (one row per bar)")
    return frame


# --------------------------------------------------------------------------- sets


class FeatureSet:
    """An ordered set of features with distinct names, computed together.

    Compose with ``+``, ``select``, ``drop``; ``FeatureSet.classic()`` and
    ``FeatureSet.close_only()`` are the built-in sets.
    """

    __slots__ = ("_features", "_plan")

    def __init__(self, features: Iterable[Feature]) -> None:
        items = tuple(features)
        if not items:
            raise InvalidValueError("a FeatureSet needs at least one feature")
        seen: set[str] = set()
        for feature in items:
            if not isinstance(feature, Feature):
                raise InvalidValueError(f"expected Feature objects, got {type(feature).__name__}")
            if feature.name in seen:
                raise InvalidValueError(f"feature name {feature.name!r} appears twice")
            seen.add(feature.name)
        self._features = items
        self._plan: Plan | None = None

    @classmethod
    def classic(cls) -> FeatureSet:
        """The 37 classic features (24 from closes, 13 from high, low, open or volume)."""
        return cls(_classic_features())

    @classmethod
    def close_only(cls) -> FeatureSet:
        """The classic features that need only closes (24): for close-only data."""
        return cls(f for f in _classic_features() if f.needs == {"close"})

    @property
    def names(self) -> tuple[str, ...]:
        """The feature names, in column order."""
        return tuple(f.name for f in self._features)

    @property
    def needs(self) -> frozenset[str]:
        """Every bar field some feature reads."""
        return frozenset().union(*(f.needs for f in self._features))

    @property
    def warmup(self) -> int:
        """The longest warm-up: rows from this index on have every feature."""
        return max(f.warmup for f in self._features)

    def __len__(self) -> int:
        return len(self._features)

    def __iter__(self) -> Iterator[Feature]:
        return iter(self._features)

    def __getitem__(self, name: str) -> Feature:
        for feature in self._features:
            if feature.name == name:
                return feature
        raise KeyError(self._unknown(name))

    def __add__(self, other: FeatureSet | Feature) -> FeatureSet:
        extra = (other,) if isinstance(other, Feature) else tuple(other)
        return FeatureSet((*self._features, *extra))

    def _unknown(self, name: str) -> str:
        return f"unknown feature {name!r}{did_you_mean(name, self.names)}"

    def select(self, names: Sequence[str]) -> FeatureSet:
        """Return the features named, in that order."""
        for name in names:
            if name not in self.names:
                raise InvalidValueError(self._unknown(name))
        return FeatureSet(self[name] for name in names)

    def drop(self, names: Sequence[str]) -> FeatureSet:
        """Return the set without the features named."""
        for name in names:
            if name not in self.names:
                raise InvalidValueError(self._unknown(name))
        return FeatureSet(f for f in self._features if f.name not in names)

    def usable(self, fields: Iterable[str]) -> FeatureSet:
        """Return the features computable from ``fields`` (e.g. ``available_fields(frame)``)."""
        have = frozenset(fields)
        usable = [f for f in self._features if f.needs <= have]
        if not usable:
            raise InvalidValueError(
                f"no feature of this set can be computed from fields {sorted(have)}"
            )
        return FeatureSet(usable)

    def describe(self) -> pd.DataFrame:
        """A table of the features: name, needs, warm-up, description."""
        rows = [
            (f.name, " ".join(x for x in FIELDS if x in f.needs), f.warmup, f.description)
            for f in self._features
        ]
        table = pd.DataFrame(rows, columns=["name", "needs", "warmup", "description"])
        return table.set_index("name")

    def _resolve(self, frame: pd.DataFrame, missing: Missing) -> FeatureSet:
        if missing not in ("raise", "skip"):
            raise InvalidValueError(f"missing must be 'raise' or 'skip', got {missing!r}")
        have = available_fields(frame)
        lacking = self.needs - have
        if not lacking:
            return self
        if missing == "skip":
            return self.usable(have)
        blocked = [f.name for f in self._features if not f.needs <= have]
        raise InvalidValueError(
            f"the data lack field(s) {', '.join(sorted(lacking))} (close-only data?), which "
            f"{len(blocked)} feature(s) need: {', '.join(blocked)}; use FeatureSet.close_only(), "
            "set.usable(available_fields(frame)) or compute(frame, missing='skip')"
        )

    def compute(self, frame: pd.DataFrame, *, missing: Missing = "raise") -> pd.DataFrame:
        """Return the features over ``frame`` (batch): float64, ``frame``'s index, NaN in warm-up.

        ``frame`` holds bars (``open high low close volume`` columns, or only some of them).
        A feature whose fields the frame lacks raises (``missing="raise"``) or is left out
        (``missing="skip"``); the error names the fields and the features.
        """
        frame = _check_frame(frame)
        features = self._resolve(frame, missing)
        columns = _columns(frame, features.needs)
        values = features.plan().evaluate(columns, len(frame))
        data = np.column_stack(values) if values else np.empty((len(frame), 0))
        return pd.DataFrame(data, index=frame.index, columns=list(features.names))

    def stream(self) -> FeatureStream:
        """Return a fresh :class:`FeatureStream`: one row per new bar, equal to ``compute``'s."""
        return FeatureStream(self.names, self.plan(), self.warmup)

    def plan(self) -> Plan:
        """The shared evaluation plan (built once)."""
        if self._plan is None:
            self._plan = Plan([f.node for f in self._features])
        return self._plan

    def __repr__(self) -> str:
        return f"FeatureSet({len(self)} features, needs={sorted(self.needs)}, warmup={self.warmup})"
