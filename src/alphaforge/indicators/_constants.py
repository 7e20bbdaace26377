"""Numeric constants shared by the batch kernels and the streaming classes (no Numba here).

Keeping them in one place is what lets a streaming update reproduce its batch twin bit for bit.
"""

from __future__ import annotations

import math

__all__ = [
    "EPSILON",
    "FLAT_RELATIVE_STD",
    "GK_CLOSE_WEIGHT",
    "LN2",
    "VARIANCE_EPSILON",
    "VAR_RESEED",
    "WMA_RESEED",
    "wilder_weights",
    "yang_zhang_k",
]

# TA-Lib's TA_EPSILON: the absolute band of TA_IS_ZERO (RSI, ATR/NATR, DI, ADX) and the relative
# band of TA_IS_ZERO_SCALED (CCI, MFI, STOCH, WILLR flatness tests).
EPSILON = 1e-14
# TA_IS_ZERO_OR_NEG threshold for a variance (BBANDS): below it the deviation is 0.
VARIANCE_EPSILON = 1e-14
# TA-Lib 0.8 rebuilds running sums from the window every RESEED·period bars (issues #118, #255).
VAR_RESEED = 32
WMA_RESEED = 8
# A z-score window whose σ is at most this fraction of |mean| counts as flat (z undefined).
FLAT_RELATIVE_STD = 1e-10

LN2 = math.log(2.0)
GK_CLOSE_WEIGHT = 2.0 * LN2 - 1.0


def yang_zhang_k(period: int) -> float:
    """Return Yang–Zhang's weight ``k = 0.34 / (1.34 + (n + 1) / (n − 1))`` for ``n = period``."""
    return 0.34 / (1.34 + (period + 1) / (period - 1))


def wilder_weights(period: int) -> tuple[float, float]:
    """Return TA-Lib 0.8's Wilder step weights ``(β, α)``: ``β = (n − 1)/n``, ``α = 1 − β``.

    α is derived from β so that ``α + β`` is exactly 1.
    """
    beta = (period - 1) / period
    return beta, 1.0 - beta
