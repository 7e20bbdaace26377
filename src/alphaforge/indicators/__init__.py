"""Technical indicators: batch functions on float64 arrays, streaming classes, a registry.

Batch functions (``sma``, ``rsi``, ``macd``, …) take array-likes and return arrays of the same
length, NaN during the warm-up, computed exactly as TA-Lib computes them (``docs/indicators.md``
lists each one's TA-Lib twin, warm-up and conventions). Streaming classes (``SMA``, ``RSI``, …,
also in :mod:`alphaforge.indicators.streaming`, which does not import Numba) update in O(1) per
bar and equal the batch values. ``INDICATORS`` maps each name to its :class:`IndicatorSpec`.

>>> from alphaforge.indicators import rsi, RSI, get_indicator
>>> get_indicator("rsi").warmup({"period": 14})
14
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alphaforge._lazy import lazy_exports

if TYPE_CHECKING:
    from alphaforge.indicators.channels import donchian, keltner, zscore
    from alphaforge.indicators.directional import adx, atr, minus_di, natr, plus_di, trange
    from alphaforge.indicators.momentum import cci, macd, mfi, mom, roc, rsi
    from alphaforge.indicators.oscillators import aroon, stoch, stochrsi, willr
    from alphaforge.indicators.overlap import bbands, dema, ema, sma, tema, wma
    from alphaforge.indicators.realized import close_to_close, garman_klass, parkinson, yang_zhang
    from alphaforge.indicators.registry import INDICATORS, IndicatorSpec, get_indicator
    from alphaforge.indicators.results import (
        AroonResult,
        BandsResult,
        MACDResult,
        StochResult,
        StochRSIResult,
    )
    from alphaforge.indicators.streaming import (
        ADX,
        ATR,
        CCI,
        DEMA,
        EMA,
        MACD,
        MFI,
        MOM,
        NATR,
        OBV,
        ROC,
        RSI,
        SMA,
        TEMA,
        VWAP,
        WMA,
        Aroon,
        BBands,
        CloseToClose,
        Donchian,
        GarmanKlass,
        Keltner,
        MinusDI,
        Parkinson,
        PlusDI,
        SessionVWAP,
        Stoch,
        StochRSI,
        StreamingIndicator,
        TRange,
        WillR,
        YangZhang,
        ZScore,
    )
    from alphaforge.indicators.volume import obv, session_vwap, vwap

_MODULES = {
    "alphaforge.indicators.channels": ("donchian", "keltner", "zscore"),
    "alphaforge.indicators.directional": ("adx", "atr", "minus_di", "natr", "plus_di", "trange"),
    "alphaforge.indicators.momentum": ("cci", "macd", "mfi", "mom", "roc", "rsi"),
    "alphaforge.indicators.oscillators": ("aroon", "stoch", "stochrsi", "willr"),
    "alphaforge.indicators.overlap": ("bbands", "dema", "ema", "sma", "tema", "wma"),
    "alphaforge.indicators.realized": (
        "close_to_close",
        "garman_klass",
        "parkinson",
        "yang_zhang",
    ),
    "alphaforge.indicators.registry": ("INDICATORS", "IndicatorSpec", "get_indicator"),
    "alphaforge.indicators.results": (
        "AroonResult",
        "BandsResult",
        "MACDResult",
        "StochRSIResult",
        "StochResult",
    ),
    "alphaforge.indicators.streaming": (
        "ADX",
        "ATR",
        "CCI",
        "DEMA",
        "EMA",
        "MACD",
        "MFI",
        "MOM",
        "NATR",
        "OBV",
        "ROC",
        "RSI",
        "SMA",
        "TEMA",
        "VWAP",
        "WMA",
        "Aroon",
        "BBands",
        "CloseToClose",
        "Donchian",
        "GarmanKlass",
        "Keltner",
        "MinusDI",
        "Parkinson",
        "PlusDI",
        "SessionVWAP",
        "Stoch",
        "StochRSI",
        "StreamingIndicator",
        "TRange",
        "WillR",
        "YangZhang",
        "ZScore",
    ),
    "alphaforge.indicators.volume": ("obv", "session_vwap", "vwap"),
}
# Imported on first use: the streaming classes work without loading Numba.
_LAZY: dict[str, str] = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "ADX",
    "ATR",
    "CCI",
    "DEMA",
    "EMA",
    "INDICATORS",
    "MACD",
    "MFI",
    "MOM",
    "NATR",
    "OBV",
    "ROC",
    "RSI",
    "SMA",
    "TEMA",
    "VWAP",
    "WMA",
    "Aroon",
    "AroonResult",
    "BBands",
    "BandsResult",
    "CloseToClose",
    "Donchian",
    "GarmanKlass",
    "IndicatorSpec",
    "Keltner",
    "MACDResult",
    "MinusDI",
    "Parkinson",
    "PlusDI",
    "SessionVWAP",
    "Stoch",
    "StochRSI",
    "StochRSIResult",
    "StochResult",
    "StreamingIndicator",
    "TRange",
    "WillR",
    "YangZhang",
    "ZScore",
    "adx",
    "aroon",
    "atr",
    "bbands",
    "cci",
    "close_to_close",
    "dema",
    "donchian",
    "ema",
    "garman_klass",
    "get_indicator",
    "keltner",
    "macd",
    "mfi",
    "minus_di",
    "mom",
    "natr",
    "obv",
    "parkinson",
    "plus_di",
    "roc",
    "rsi",
    "session_vwap",
    "sma",
    "stoch",
    "stochrsi",
    "tema",
    "trange",
    "vwap",
    "willr",
    "wma",
    "yang_zhang",
    "zscore",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
