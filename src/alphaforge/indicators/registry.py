"""The indicator registry: every indicator by name, with its inputs, parameters and outputs.

A strategy declares ``ctx.indicator("rsi", period=14)``; the engine looks the name up here,
checks the parameters (an unknown name gets a "did you mean …?"), knows which bar fields to feed
(``spec.inputs``), how many bars to warm up (``spec.warmup(params)``), and builds either the
batch result (``spec.compute(data, **params)``) or a streaming instance (``spec.stream(**params)``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

from alphaforge.core.suggest import did_you_mean
from alphaforge.domain.errors import InvalidValueError
from alphaforge.indicators import streaming
from alphaforge.indicators._arrays import check_period, check_real
from alphaforge.indicators.streaming import StreamingIndicator

__all__ = ["INDICATORS", "IndicatorSpec", "get_indicator"]

ParamValue = int | float
Params = Mapping[str, ParamValue]


class Columns(Protocol):
    """Anything that returns a column by name: a dict of arrays, a pandas DataFrame."""

    def __getitem__(self, key: str, /) -> Any: ...


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """What the engine needs to know about one indicator.

    ``inputs`` name the bar fields in the order the batch function and ``update`` take them;
    ``params`` are the keyword parameters with their defaults; ``outputs`` name the results (one
    name for a single array); ``talib`` is the TA-Lib twin, if any; ``recursive`` marks the
    indicators whose value keeps a decaying memory of its seed (EMA-like, Wilder smoothing):
    TA-Lib calls the bars one may want to discard beyond the warm-up its "unstable period".
    """

    name: str
    inputs: tuple[str, ...]
    params: Params
    outputs: tuple[str, ...]
    batch: Callable[..., Any]
    streaming: Callable[..., StreamingIndicator[Any]]
    lookback: Callable[[Mapping[str, Any]], int]
    talib: str | None
    recursive: bool
    summary: str

    def resolve(self, params: Mapping[str, object] | None = None) -> dict[str, ParamValue]:
        """Return the defaults updated with ``params``, each checked; raise on an unknown name."""
        resolved: dict[str, ParamValue] = dict(self.params)
        for key, value in (params or {}).items():
            if key not in self.params:
                known = ", ".join(self.params) or "none"
                raise InvalidValueError(
                    f"{self.name}: unknown parameter {key!r}{did_you_mean(key, self.params)} "
                    f"(parameters: {known})"
                )
            if isinstance(self.params[key], int):
                resolved[key] = check_period(self.name, key, value)
            else:
                resolved[key] = check_real(self.name, key, value)
        return resolved

    def warmup(self, params: Mapping[str, object] | None = None) -> int:
        """Return how many leading bars give no value (NaN) with ``params``."""
        return self.lookback(self.resolve(params))

    def compute(self, data: Columns, **params: object) -> Any:
        """Run the batch function on ``data``'s input columns; return its array or named tuple."""
        resolved = self.resolve(params)
        return self.batch(*(data[field] for field in self.inputs), **resolved)

    def stream(self, **params: object) -> StreamingIndicator[Any]:
        """Return a fresh streaming instance with ``params``."""
        return self.streaming(**self.resolve(params))


HLC = ("high", "low", "close")
HLCV = ("high", "low", "close", "volume")
OHLC = ("open", "high", "low", "close")
CLOSE = ("close",)


class _LazyBatch:
    """A batch function imported on first call: the registry is read by every backtest, which
    only needs the streaming classes; the batch modules compile with Numba (70 MB on import)."""

    __slots__ = ("_fn", "_module", "_name")

    def __init__(self, module: str, name: str) -> None:
        self._module = module
        self._name = name
        self._fn: Callable[..., Any] | None = None

    def _resolve(self) -> Callable[..., Any]:
        if self._fn is None:
            module = importlib.import_module(f"alphaforge.indicators.{self._module}")
            self._fn = getattr(module, self._name)
        return self._fn

    @property
    def __wrapped__(self) -> Callable[..., Any]:  # inspect.signature follows it
        return self._resolve()

    @property
    def __name__(self) -> str:
        return self._name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<batch indicator alphaforge.indicators.{self._module}.{self._name}>"


class _BatchModule:
    """``overlap.sma`` in the table below without importing ``overlap``: a lazy reference."""

    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str) -> _LazyBatch:
        if name.startswith("__"):
            raise AttributeError(name)
        return _LazyBatch(self._module, name)


channels, directional, momentum = (_BatchModule(m) for m in ("channels", "directional", "momentum"))
oscillators, overlap = _BatchModule("oscillators"), _BatchModule("overlap")
realized, volume = _BatchModule("realized"), _BatchModule("volume")


def _period(offset: int = 0, factor: int = 1) -> Callable[[Mapping[str, Any]], int]:
    return lambda p: factor * int(p["period"]) + offset


def _spec(
    name: str,
    inputs: tuple[str, ...],
    params: dict[str, ParamValue],
    outputs: tuple[str, ...] | None,
    batch: Callable[..., Any],
    stream: Callable[..., StreamingIndicator[Any]],
    lookback: Callable[[Mapping[str, Any]], int],
    talib: str | None,
    summary: str,
    *,
    recursive: bool = False,
) -> IndicatorSpec:
    return IndicatorSpec(
        name=name,
        inputs=inputs,
        params=MappingProxyType(params),
        outputs=outputs or (name,),
        batch=batch,
        streaming=stream,
        lookback=lookback,
        talib=talib,
        recursive=recursive,
        summary=summary,
    )


_P30: dict[str, ParamValue] = {"period": 30}
_P14: dict[str, ParamValue] = {"period": 14}
_P20: dict[str, ParamValue] = {"period": 20}
_P10: dict[str, ParamValue] = {"period": 10}
_VOL: dict[str, ParamValue] = {"period": 20, "annualization": 252.0}
_BANDS = ("upper", "middle", "lower")
st = streaming

# fmt: off
_SPECS = (
    _spec("sma", CLOSE, _P30, None, overlap.sma, st.SMA, _period(-1), "SMA", "simple MA"),
    _spec("ema", CLOSE, _P30, None, overlap.ema, st.EMA, _period(-1), "EMA", "exponential MA",
          recursive=True),
    _spec("wma", CLOSE, _P30, None, overlap.wma, st.WMA, _period(-1), "WMA", "weighted MA"),
    _spec("dema", CLOSE, _P30, None, overlap.dema, st.DEMA, _period(-2, 2), "DEMA", "double EMA",
          recursive=True),
    _spec("tema", CLOSE, _P30, None, overlap.tema, st.TEMA, _period(-3, 3), "TEMA", "triple EMA",
          recursive=True),
    _spec("bbands", CLOSE, {"period": 20, "nbdev_up": 2.0, "nbdev_dn": 2.0}, _BANDS,
          overlap.bbands, st.BBands, _period(-1), "BBANDS", "Bollinger Bands"),
    _spec("rsi", CLOSE, _P14, None, momentum.rsi, st.RSI, _period(), "RSI",
          "Wilder's relative strength index", recursive=True),
    _spec("macd", CLOSE, {"fast_period": 12, "slow_period": 26, "signal_period": 9},
          ("macd", "signal", "hist"), momentum.macd, st.MACD,
          lambda p: int(p["slow_period"]) + int(p["signal_period"]) - 2, "MACD",
          "moving average convergence/divergence", recursive=True),
    _spec("roc", CLOSE, _P10, None, momentum.roc, st.ROC, _period(), "ROC", "rate of change, %"),
    _spec("mom", CLOSE, _P10, None, momentum.mom, st.MOM, _period(), "MOM", "momentum"),
    _spec("cci", HLC, _P14, None, momentum.cci, st.CCI, _period(-1), "CCI",
          "commodity channel index"),
    _spec("mfi", HLCV, _P14, None, momentum.mfi, st.MFI, _period(), "MFI", "money flow index"),
    _spec("trange", HLC, {}, None, directional.trange, st.TRange, lambda p: 1, "TRANGE",
          "true range"),
    _spec("atr", HLC, _P14, None, directional.atr, st.ATR, _period(), "ATR",
          "Wilder's average true range", recursive=True),
    _spec("natr", HLC, _P14, None, directional.natr, st.NATR, _period(), "NATR",
          "ATR in % of close", recursive=True),
    _spec("plus_di", HLC, _P14, None, directional.plus_di, st.PlusDI, _period(), "PLUS_DI",
          "plus directional indicator", recursive=True),
    _spec("minus_di", HLC, _P14, None, directional.minus_di, st.MinusDI, _period(), "MINUS_DI",
          "minus directional indicator", recursive=True),
    _spec("adx", HLC, _P14, None, directional.adx, st.ADX, _period(-1, 2), "ADX",
          "average directional index", recursive=True),
    _spec("stoch", HLC, {"fastk_period": 5, "slowk_period": 3, "slowd_period": 3},
          ("slowk", "slowd"), oscillators.stoch, st.Stoch,
          lambda p: int(p["fastk_period"]) + int(p["slowk_period"]) + int(p["slowd_period"]) - 3,
          "STOCH", "slow stochastic"),
    _spec("stochrsi", CLOSE, {"period": 14, "fastk_period": 5, "fastd_period": 3},
          ("fastk", "fastd"), oscillators.stochrsi, st.StochRSI,
          lambda p: int(p["period"]) + int(p["fastk_period"]) + int(p["fastd_period"]) - 2,
          "STOCHRSI", "stochastic RSI", recursive=True),
    _spec("willr", HLC, _P14, None, oscillators.willr, st.WillR, _period(-1), "WILLR",
          "Williams' %R"),
    _spec("aroon", ("high", "low"), _P14, ("down", "up"), oscillators.aroon, st.Aroon,
          _period(), "AROON", "Aroon down/up"),
    _spec("obv", ("close", "volume"), {}, None, volume.obv, st.OBV, lambda p: 0, "OBV",
          "on-balance volume"),
    _spec("vwap", HLCV, _P20, None, volume.vwap, st.VWAP, _period(-1), None, "rolling VWAP"),
    _spec("session_vwap", (*HLCV, "session"), {}, None, volume.session_vwap, st.SessionVWAP,
          lambda p: 0, None, "VWAP since the session start"),
    _spec("keltner", HLC, {"period": 20, "atr_period": 10, "multiplier": 2.0}, _BANDS,
          channels.keltner, st.Keltner, lambda p: max(int(p["period"]) - 1, int(p["atr_period"])),
          None, "Keltner channels: EMA ± k·ATR", recursive=True),
    _spec("donchian", ("high", "low"), _P20, _BANDS, channels.donchian, st.Donchian,
          _period(-1), None, "Donchian channels"),
    _spec("zscore", CLOSE, _P20, None, channels.zscore, st.ZScore, _period(-1), None,
          "rolling z-score (population σ)"),
    _spec("close_to_close", CLOSE, _VOL, None, realized.close_to_close, st.CloseToClose,
          _period(), None, "close-to-close volatility"),
    _spec("parkinson", ("high", "low"), _VOL, None, realized.parkinson, st.Parkinson,
          _period(-1), None, "Parkinson volatility"),
    _spec("garman_klass", OHLC, _VOL, None, realized.garman_klass, st.GarmanKlass, _period(-1),
          None, "Garman–Klass volatility"),
    _spec("yang_zhang", OHLC, _VOL, None, realized.yang_zhang, st.YangZhang, _period(), None,
          "Yang–Zhang volatility"),
)
# fmt: on

INDICATORS: Mapping[str, IndicatorSpec] = MappingProxyType({spec.name: spec for spec in _SPECS})


def get_indicator(name: str) -> IndicatorSpec:
    """Return the spec of ``name``; an unknown name raises with a "did you mean …?" hint."""
    spec = INDICATORS.get(name)
    if spec is None:
        raise InvalidValueError(
            f"unknown indicator {name!r}{did_you_mean(name, INDICATORS)} "
            f"(known: {', '.join(sorted(INDICATORS))})"
        )
    return spec
