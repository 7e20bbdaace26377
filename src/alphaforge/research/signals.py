"""Target weights the built-in strategies would decide, computed for all bars at once.

Each helper returns weights for ``run_vector``: ``weights[t, i]`` is the fraction of equity the
strategy asks for in asset ``i`` at bar ``t``'s close, NaN where it decides nothing. Like the
strategies, a weight is emitted only when the signal changes (and on the first bar where the
indicators are ready), never in between, so positions are not resized as equity drifts.

Indicators come from ``alphaforge.indicators`` (the batch twins of what strategies declare), on
each asset's own bars: a NaN close (no bar) is skipped, as the strategy's indicator handle never
sees it. ``start`` is the first bar on which decisions may happen (``backtest(start=...)``:
earlier bars only warm the indicators). ``weight`` is the strategy's parameter: each of ``N``
assets gets ``weight / N``, as in the strategies.

Inputs: a 1-D array or Series (one asset), a (T x N) array, or a DataFrame (one column per
symbol); the result has the same shape and labels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from alphaforge.core.suggest import did_you_mean
from alphaforge.domain.errors import InvalidValueError
from alphaforge.indicators import rsi, sma
from alphaforge.research._grid import kernel

__all__ = [
    "SCHEDULES",
    "buy_and_hold_weights",
    "cross_weights",
    "rebalance_weights",
    "reversion_weights",
    "rsi_reversion_weights",
    "signals_to_weights",
    "sma_cross_weights",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
PricesLike: TypeAlias = pd.DataFrame | pd.Series | npt.ArrayLike
WeightsOut: TypeAlias = pd.DataFrame | pd.Series | FloatArray
Column: TypeAlias = Callable[[FloatArray, FloatArray, int], None]
Whole: TypeAlias = Callable[[FloatArray, FloatArray, int], bool]

#: Rebalancing calendars: a new period starts when the UTC day / ISO week / month / quarter /
#: year of a bar's timestamp differs from the previous bar's.
SCHEDULES = ("D", "W", "M", "Q", "Y")
_NS_PER_DAY = 86_400 * 10**9


# ---------------------------------------------------------------- kernels


@kernel
def cross_weights(
    fast: FloatArray, slow: FloatArray, start: int, up: float, down: float, out: FloatArray
) -> None:
    """``SmaCross.on_bar``: once ``slow`` is ready, emit ``up`` or ``down`` when ``fast > slow``
    changes (and on the first ready bar); NaN elsewhere."""
    state = -1
    for t in range(fast.shape[0]):  # one pass, one write per bar: memory is the bottleneck
        x = np.nan
        s = slow[t]
        if t >= start and not math.isnan(s):
            now = 1 if fast[t] > s else 0
            if now != state:
                state = now
                x = up if now == 1 else down
        out[t] = x


#: ``_sma_cross_nb``'s margin, and the range where its products are exact to half an ulp.
_MARGIN = 1.0 + 2.0**-40
_TINY, _HUGE = 2.0**-900, 2.0**900


@kernel
def _sma_cross_nb(  # the two windows, the rule and the output
    x: FloatArray, fast: int, slow: int, start: int, up: float, down: float, out: FloatArray
) -> bool:
    """``cross_weights(sma(x, fast), sma(x, slow), ...)`` in one pass, without the two SMA
    arrays: the same running sums, added and subtracted in the same order as ``sma_into``, so
    every SMA value is bit for bit the same; side by side, the processor overlaps the two
    chains of additions.

    The comparison ``sum_f / fast > sum_s / slow`` gives the same answer as on the divided
    values, but mostly without dividing (a division costs as much as the rest of a bar).
    While long (``state == 1``), ``a = sum_f * slow`` and ``b = sum_s * fast`` are, within
    ``_TINY`` and ``_HUGE``, normal products within half an ulp (2**-53) of the exact ones
    (windows are shorter than the data, far below 2**40), so ``a > b * _MARGIN`` puts the
    exact averages more than 2**-41 apart relatively, further than their roundings (2**-53
    each) can close: the divided values still compare greater, and the state stays. Flat
    (``state == 0``) is the mirror image. Near a cross, or out of that range, the averages
    are divided and compared as ``cross_weights`` does.

    Returns False, with ``out`` written, when ``x`` holds a NaN (a missing bar: the caller
    takes the general path, which skips them). A NaN, once added, stays in both sums, which
    include every value of ``x``: no test per bar (an infinite value makes them NaN too, and
    takes the general path)."""
    n = x.shape[0]
    total_f = 0.0
    total_s = 0.0
    warm_f = min(fast - 1, n)
    warm_s = min(slow - 1, n)
    for t in range(warm_f):  # both windows fill up
        v = x[t]
        total_f += v
        total_s += v
        out[t] = np.nan
    for t in range(warm_f, warm_s):  # the fast SMA is ready, the slow one fills up
        v = x[t]
        total_f += v
        total_f -= x[t - fast + 1]
        total_s += v
        out[t] = np.nan
    begin = min(max(start, warm_s), n)
    for t in range(warm_s, begin):  # both ready, before ``start``: no decision yet
        v = x[t]
        total_f += v
        total_f -= x[t - fast + 1]
        total_s += v
        total_s -= x[t - slow + 1]
        out[t] = np.nan
    state = -1
    p, q = float(fast), float(slow)
    for t in range(begin, n):
        v = x[t]
        total_f += v
        value_f = total_f
        total_f -= x[t - fast + 1]
        total_s += v
        value_s = total_s
        total_s -= x[t - slow + 1]
        # the state stays: most bars, told without dividing (docstring)
        a, b = value_f * q, value_s * p
        if state == 1 and b > _TINY and a < _HUGE and a > b * _MARGIN:
            out[t] = np.nan
            continue
        if state == 0 and a > _TINY and b < _HUGE and b > a * _MARGIN:
            out[t] = np.nan
            continue
        w = np.nan
        s = value_s / slow
        if not math.isnan(s):
            now = 1 if value_f / fast > s else 0
            if now != state:
                state = now
                w = up if now == 1 else down
        out[t] = w
    return not (math.isnan(total_f) or math.isnan(total_s))


@kernel
def reversion_weights(
    r: FloatArray, start: int, lower: float, upper: float, weight: float, out: FloatArray
) -> None:
    """``RsiReversion.on_bar``: emit ``weight`` when RSI falls below ``lower`` while flat, 0
    when it rises above ``upper`` while long; NaN elsewhere (and while RSI warms up)."""
    long = False
    for t in range(r.shape[0]):
        out[t] = np.nan
        x = r[t]
        if t < start or math.isnan(x):
            continue
        if not long and x < lower:
            long = True
            out[t] = weight
        elif long and x > upper:
            long = False
            out[t] = 0.0


@kernel
def _changes_nb(signal: FloatArray, start: int, size: float, out: FloatArray) -> None:
    state = np.nan
    for t in range(signal.shape[0]):
        out[t] = np.nan
        s = signal[t]
        if t < start or math.isnan(s):
            continue
        if s != state:
            state = s
            out[t] = s * size


# ---------------------------------------------------------------- helpers


def sma_cross_weights(
    close: PricesLike,
    fast: int = 10,
    slow: int = 30,
    mode: Literal["long_only", "long_short"] = "long_only",
    weight: float = 1.0,
    *,
    start: int = 0,
) -> WeightsOut:
    """``sma_cross``: ``weight / N`` long while SMA(fast) > SMA(slow); flat (or short with
    ``mode="long_short"``) otherwise; emitted when the comparison changes."""
    _check_int("fast", fast, 1)
    _check_int("slow", slow, 2)
    if fast >= slow:
        raise InvalidValueError(f"fast ({fast}) must be shorter than slow ({slow})")
    if mode not in ("long_only", "long_short"):
        raise InvalidValueError(f"mode must be 'long_only' or 'long_short', got {mode!r}")
    size = _check_weight(weight) / _n_assets(close)
    down = -size if mode == "long_short" else 0.0

    def column(x: FloatArray, out: FloatArray, first: int) -> None:
        cross_weights(sma(x, fast), sma(x, slow), first, size, down, out)

    def whole(x: FloatArray, out: FloatArray, first: int) -> bool:
        return bool(_sma_cross_nb(x, int(fast), int(slow), first, size, down, out))

    return _apply(close, column, start, whole=whole)


def rsi_reversion_weights(
    close: PricesLike,
    period: int = 14,
    lower: float = 30.0,
    upper: float = 70.0,
    weight: float = 1.0,
    *,
    start: int = 0,
) -> WeightsOut:
    """``rsi_reversion``: ``weight / N`` long when RSI(period) < lower, flat when RSI > upper."""
    _check_int("period", period, 2)
    if not 0 < lower < upper < 100:
        raise InvalidValueError(f"need 0 < lower < upper < 100, got lower={lower}, upper={upper}")
    size = _check_weight(weight) / _n_assets(close)

    def column(x: FloatArray, out: FloatArray, first: int) -> None:
        reversion_weights(rsi(x, period), first, float(lower), float(upper), size, out)

    return _apply(close, column, start)


def buy_and_hold_weights(close: PricesLike, weight: float = 1.0, *, start: int = 0) -> WeightsOut:
    """``buy_and_hold``: ``weight / N`` in each asset on its first bar (from ``start``)."""
    size = _check_weight(weight) / _n_assets(close)

    def column(x: FloatArray, out: FloatArray, first: int) -> None:
        out[:] = np.nan
        if first < x.shape[0]:
            out[first] = size

    return _apply(close, column, start)


def signals_to_weights(signals: PricesLike, size: float, *, start: int = 0) -> WeightsOut:
    """Turn target states (+1 long, 0 flat, -1 short, NaN = no opinion) into weights
    ``state x size``, emitted when the state changes."""
    step = float(size)
    if not np.isfinite(step):
        raise InvalidValueError(f"size must be a finite number, got {size!r}")

    def column(x: FloatArray, out: FloatArray, first: int) -> None:
        _changes_nb(x, first, step, out)

    return _apply(signals, column, start, skip_nan=False)


def rebalance_weights(
    index: pd.DatetimeIndex,
    symbols: Sequence[str],
    schedule: str = "M",
    weights: Mapping[str, float] | Sequence[float] | None = None,
    *,
    start: int = 0,
) -> pd.DataFrame:
    """Target ``weights`` (default equal, summing to 1) on the first bar of each ``schedule``
    period (``SCHEDULES``) from ``start``; symbols left out get 0 (``ctx.target_weights``)."""
    if not isinstance(index, pd.DatetimeIndex) or str(index.tz) != "UTC":
        raise InvalidValueError("rebalance_weights needs a UTC DatetimeIndex")
    names = [str(s) for s in symbols]
    row = _weight_row(names, weights)
    key = _period_keys(index, schedule)
    decide = np.zeros(len(index), dtype=bool)
    if start < len(index):
        decide[start] = True
        decide[start + 1 :] = key[start + 1 :] != key[start:-1]
    values = np.full((len(index), len(names)), np.nan)
    values[decide] = row
    return pd.DataFrame(values, index=index, columns=names)


# ---------------------------------------------------------------- plumbing


def _period_keys(index: pd.DatetimeIndex, schedule: str) -> npt.NDArray[np.int64]:
    days = index.asi8 // _NS_PER_DAY
    year = index.year.to_numpy(dtype=np.int64)
    month = index.month.to_numpy(dtype=np.int64)
    keys: dict[str, Callable[[], npt.NDArray[np.int64]]] = {
        "D": lambda: days,
        "W": lambda: (days + 3) // 7,  # 1970-01-01 was a Thursday: weeks start on Monday
        "M": lambda: year * 12 + month - 1,
        "Q": lambda: year * 4 + (month - 1) // 3,
        "Y": lambda: year,
    }
    make = keys.get(str(schedule).upper())
    if make is None:
        raise InvalidValueError(
            f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}"
            f"{did_you_mean(str(schedule), list(SCHEDULES))}"
        )
    return np.asarray(make(), dtype=np.int64)


def _weight_row(
    names: list[str], weights: Mapping[str, float] | Sequence[float] | None
) -> FloatArray:
    if weights is None:
        return np.full(len(names), 1.0 / len(names))
    if isinstance(weights, Mapping):
        unknown = [s for s in weights if s not in names]
        if unknown:
            raise InvalidValueError(
                f"weights name unknown symbols {unknown}{did_you_mean(str(unknown[0]), names)}"
            )
        row = np.array([float(weights.get(s, 0.0)) for s in names])
    else:
        row = np.asarray(list(weights), dtype=np.float64)
        if row.shape != (len(names),):
            raise InvalidValueError(f"{row.shape[0]} weights for {len(names)} symbols")
    if not np.all(np.isfinite(row)):
        raise InvalidValueError("weights must be finite numbers")
    return row


def _check_int(name: str, value: object, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise InvalidValueError(f"{name} must be an integer >= {least}, got {value!r}")


def _check_weight(weight: float) -> float:
    w = float(weight)
    if not 0 < w <= 1:
        raise InvalidValueError(f"weight must be in (0, 1], got {weight!r}")
    return w


def _n_assets(values: PricesLike) -> int:
    shape = np.shape(values)
    return 1 if len(shape) < 2 else int(shape[1])


def _apply(
    values: PricesLike,
    column: Column,
    start: int,
    *,
    skip_nan: bool = True,
    whole: Whole | None = None,
) -> WeightsOut:
    """Run ``column(x, out, first)`` on each asset's bars and put the result back in shape.

    ``whole(x, out, first)``, when given, is tried first on a column: it does ``column``'s
    work in one pass and returns False when the column has a missing bar (NaN), which it
    finds on the way (cheaper than looking for one first)."""
    if isinstance(start, bool) or not isinstance(start, int | np.integer) or start < 0:
        raise InvalidValueError(f"start must be an integer >= 0, got {start!r}")
    array = np.asarray(values, dtype=np.float64)
    if array.ndim not in (1, 2):
        raise InvalidValueError(f"prices must be 1-D or (bars x assets), got shape {array.shape}")
    matrix = array.reshape(array.shape[0], -1)
    out = np.empty((matrix.shape[1], matrix.shape[0]))  # one contiguous row per asset
    for j in range(matrix.shape[1]):
        x = np.ascontiguousarray(matrix[:, j])
        if whole is not None and whole(x, out[j], int(start)):
            continue
        holes = skip_nan and bool(np.isnan(x).any())
        if not holes:
            column(x, out[j], int(start))
            continue
        rows = np.flatnonzero(~np.isnan(x))
        part = np.empty(rows.shape[0])
        column(x[rows], part, int(np.searchsorted(rows, start)))
        out[j] = np.nan
        out[j, rows] = part
    shaped = out.T.reshape(array.shape)
    if isinstance(values, pd.DataFrame):
        return pd.DataFrame(shaped, index=values.index, columns=values.columns)
    if isinstance(values, pd.Series):
        return pd.Series(shaped, index=values.index, name=values.name)
    return shaped
