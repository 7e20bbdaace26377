"""Input checks shared by every batch indicator: convert once, validate, fail with a clear message.

Each batch function converts its array-like inputs to contiguous float64 NumPy arrays exactly once
(no copy when they already are), checks that they are one-dimensional and of equal length, and
checks its parameters. Errors are :class:`~alphaforge.domain.errors.InvalidValueError` and name
the indicator, the argument, what was received and what was expected.
"""

from __future__ import annotations

import math
import numbers
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "FloatArray",
    "IntArray",
    "as_float_arrays",
    "as_session_ids",
    "check_macd_periods",
    "check_period",
    "check_real",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]


def _as_one(indicator: str, name: str, values: npt.ArrayLike) -> FloatArray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(
            f"{indicator}: {name} must be numbers convertible to float64, got "
            f"{type(values).__name__} ({exc})"
        ) from exc
    if array.ndim != 1:
        raise InvalidValueError(
            f"{indicator}: {name} must be one-dimensional, got an array of shape {array.shape}"
        )
    return np.ascontiguousarray(array)


def as_float_arrays(
    indicator: str, names: tuple[str, ...], values: tuple[npt.ArrayLike, ...]
) -> tuple[FloatArray, ...]:
    """Return ``values`` as contiguous 1-D float64 arrays of one common length.

    ``names`` label the inputs in error messages (``("high", "low", "close")``).
    """
    arrays = tuple(_as_one(indicator, n, v) for n, v in zip(names, values, strict=True))
    lengths = {a.shape[0] for a in arrays}
    if len(lengths) > 1:
        got = ", ".join(f"{n}={a.shape[0]}" for n, a in zip(names, arrays, strict=True))
        raise InvalidValueError(f"{indicator}: inputs must have the same length, got {got}")
    return arrays


def as_session_ids(indicator: str, values: npt.ArrayLike, length: int) -> IntArray:
    """Return session ids as int64 (integers, booleans or datetime64 values are accepted)."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise InvalidValueError(
            f"{indicator}: session must be one-dimensional, got an array of shape {array.shape}"
        )
    if array.dtype.kind == "M":
        array = array.astype("datetime64[ns]").view(np.int64)
    elif array.dtype.kind not in "iub":
        raise InvalidValueError(
            f"{indicator}: session must hold integer ids (or datetime64 session dates), "
            f"got dtype {array.dtype}"
        )
    if array.shape[0] != length:
        raise InvalidValueError(
            f"{indicator}: session must have the same length as the prices, "
            f"got {array.shape[0]} and {length}"
        )
    return np.ascontiguousarray(array, dtype=np.int64)


def check_period(indicator: str, name: str, value: object, minimum: int = 1) -> int:
    """Return ``value`` as an ``int`` if it is an integer ``>= minimum``; raise otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidValueError(
            f"{indicator}: {name} must be an integer >= {minimum}, got {value!r} "
            f"({type(value).__name__})"
        )
    period = int(value)
    if period < minimum:
        raise InvalidValueError(f"{indicator}: {name} must be >= {minimum}, got {period}")
    return period


def check_real(indicator: str, name: str, value: object, *, positive: bool = False) -> float:
    """Return ``value`` as a finite ``float`` (``> 0`` when ``positive``); raise otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidValueError(
            f"{indicator}: {name} must be a real number, got {value!r} ({type(value).__name__})"
        )
    number = float(value)
    if not math.isfinite(number):
        raise InvalidValueError(f"{indicator}: {name} must be finite, got {number}")
    if positive and number <= 0.0:
        raise InvalidValueError(f"{indicator}: {name} must be > 0, got {number}")
    return number


def check_macd_periods(
    fast_period: object, slow_period: object, signal_period: object
) -> tuple[int, int, int]:
    """Validate the MACD periods; the fast EMA must not be slower than the slow one."""
    fast = check_period("macd", "fast_period", fast_period)
    slow = check_period("macd", "slow_period", slow_period)
    signal = check_period("macd", "signal_period", signal_period)
    if fast > slow:
        raise InvalidValueError(
            f"macd: fast_period must be <= slow_period, got fast_period={fast} and "
            f"slow_period={slow} (TA-Lib silently swaps them; alphaforge refuses)"
        )
    return fast, slow, signal
