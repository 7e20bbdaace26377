"""Streaming indicators: one class per indicator, O(1) ``update()`` per bar (CCI: O(period)).

>>> from alphaforge.indicators.streaming import RSI
>>> rsi = RSI(14)
>>> for close in closes:           # doctest: +SKIP
...     value = rsi.update(close)  # NaN until rsi.ready

Every class takes the keyword parameters of its batch twin and ``update`` takes that function's
inputs for one bar; ``value``, ``ready``, ``warmup`` and ``reset()`` are common to all.
Importing this package does not import Numba.
"""

from __future__ import annotations

from alphaforge.indicators.streaming._base import StreamingIndicator
from alphaforge.indicators.streaming.channels import Donchian, Keltner, ZScore
from alphaforge.indicators.streaming.directional import ADX, ATR, NATR, MinusDI, PlusDI, TRange
from alphaforge.indicators.streaming.momentum import CCI, MACD, MFI, MOM, ROC, RSI
from alphaforge.indicators.streaming.oscillators import Aroon, Stoch, StochRSI, WillR
from alphaforge.indicators.streaming.overlap import DEMA, EMA, SMA, TEMA, WMA, BBands
from alphaforge.indicators.streaming.realized import (
    CloseToClose,
    GarmanKlass,
    Parkinson,
    YangZhang,
)
from alphaforge.indicators.streaming.volume import OBV, VWAP, SessionVWAP

__all__ = [
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
]
