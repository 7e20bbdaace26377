"""Inputs of the vector engine, checked once: prices and weights as (bars x assets) float64
arrays with their labels, and the run's scalar settings. Errors say what was received."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "FloatArray",
    "IntArray",
    "Panel",
    "PanelLike",
    "StepLike",
    "TiersLike",
    "aligned",
    "as_2d",
    "bps",
    "decimal",
    "each_asset",
    "each_tiers",
    "halt",
    "labels",
    "order_of",
    "panel_of",
    "positive",
    "state_code",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
PanelLike: TypeAlias = pd.DataFrame | pd.Series | npt.ArrayLike
StepLike: TypeAlias = Decimal | str | float | int
#: ``Instrument.tick_tiers`` of one asset: ``(from_price, tick)`` pairs, ascending.
TiersLike: TypeAlias = Sequence[tuple[StepLike, StepLike]]
_STATES = {"ACTIVE": 0, "REDUCING": 1, "HALTED": 2}


class Panel(NamedTuple):
    """Prices on one grid of bars: NaN close = no bar of that asset then."""

    close: FloatArray
    open: FloatArray
    stamps: pd.DatetimeIndex | None
    symbols: tuple[str, ...]


def as_2d(values: PanelLike, name: str) -> FloatArray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{name} must be numbers, got {type(values).__name__}") from exc
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise InvalidValueError(f"{name} must be (bars x assets), got shape {array.shape}")
    return np.ascontiguousarray(array)


_FIELD_NAMES = {"open", "high", "low", "close", "volume", "weights", "signals"}


def labels(values: PanelLike) -> tuple[pd.DatetimeIndex | None, tuple[str, ...] | None]:
    """The index and symbols of a frame (a Series is one asset: its name, unless the name is
    just a field's, like ``"close"``); ``(None, None)`` for arrays."""
    if isinstance(values, pd.Series):
        name = values.name
        label = "ASSET" if name is None or str(name).lower() in _FIELD_NAMES else str(name)
        values = values.to_frame(label)
    if not isinstance(values, pd.DataFrame):
        return None, None
    index = values.index
    if not isinstance(index, pd.DatetimeIndex) or str(index.tz) != "UTC":
        raise InvalidValueError(
            f"a frame's index must be a UTC DatetimeIndex, got {type(index).__name__}"
            f"{'' if not isinstance(index, pd.DatetimeIndex) else f' in {index.tz}'}"
        )
    return index, tuple(str(c) for c in values.columns)


def panel_of(
    close: PanelLike,
    open_: PanelLike | None,
    index: pd.DatetimeIndex | None,
    symbols: Sequence[str] | None,
) -> Panel:
    c = as_2d(close, "close")
    o = c if open_ is None else as_2d(open_, "open")
    if o.shape != c.shape:
        raise InvalidValueError(f"open has shape {o.shape}, close {c.shape}: they must match")
    frame_index, frame_symbols = labels(close)
    if open_ is not None:
        open_index, open_symbols = labels(open_)
        if (
            open_index is not None
            and frame_index is not None
            and not open_index.equals(frame_index)
        ):
            raise InvalidValueError("open and close frames must share one index")
        frames = isinstance(open_, pd.DataFrame) and isinstance(close, pd.DataFrame)
        if frames and open_symbols != frame_symbols:
            raise InvalidValueError("open and close frames must have the same columns, in order")
    idx = index if index is not None else frame_index
    if idx is not None and len(idx) != c.shape[0]:
        raise InvalidValueError(f"index has {len(idx)} labels for {c.shape[0]} bars")
    names = tuple(symbols) if symbols is not None else frame_symbols
    if names is None:
        names = tuple(f"ASSET{i}" for i in range(c.shape[1])) if c.shape[1] > 1 else ("ASSET",)
    if len(names) != c.shape[1]:
        raise InvalidValueError(f"{len(names)} symbols for {c.shape[1]} columns")
    return Panel(c, o, idx, names)


def aligned(values: PanelLike, panel: Panel, name: str) -> FloatArray:
    array = as_2d(values, name)
    if array.shape != panel.close.shape:
        raise InvalidValueError(f"{name} has shape {array.shape}, close {panel.close.shape}")
    index, columns = labels(values)
    if index is not None and panel.stamps is not None and not index.equals(panel.stamps):
        raise InvalidValueError(f"{name} must have the index of close")
    if columns is not None and columns != panel.symbols:
        raise InvalidValueError(f"{name} must have the columns of close, in order")
    return array


def bps(value: float, name: str) -> float:
    x = float(value)
    if not (np.isfinite(x) and x >= 0):
        raise InvalidValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return x


def positive(value: float, name: str) -> float:
    x = float(value)
    if not (np.isfinite(x) and x > 0):
        raise InvalidValueError(f"{name} must be a positive number, got {value!r}")
    return x


def halt(value: float | None) -> float:
    if value is None:
        return float("nan")
    x = float(value)
    if not 0 < x < 1:
        raise InvalidValueError(f"max_drawdown_halt must be in (0, 1), got {value!r}")
    return x


def state_code(value: str) -> int:
    state = _STATES.get(str(value).upper())
    if state is None:
        raise InvalidValueError(f"trading_state must be ACTIVE, REDUCING or HALTED, got {value!r}")
    return state


def order_of(order: Sequence[int] | None, n: int) -> IntArray:
    if order is None:
        return np.arange(n, dtype=np.int64)
    array = np.asarray(order, dtype=np.int64)
    if sorted(array.tolist()) != list(range(n)):
        raise InvalidValueError(f"symbol_order must be a permutation of 0..{n - 1}, got {order}")
    return array


def each_asset(value: StepLike | Sequence[StepLike], n: int, name: str) -> list[StepLike]:
    if isinstance(value, str | Decimal | int | float):
        return [value] * n
    values = list(value)
    if len(values) != n:
        raise InvalidValueError(f"{name} has {len(values)} values for {n} assets")
    return values


def _is_list(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def each_tiers(value: object, n: int) -> list[object]:
    """``tick_tiers`` per asset: ``None`` (none), one list of ``(from_price, tick)`` pairs for
    every asset, or one such list per asset (told apart by their items: pairs or lists)."""
    if value is None:
        return [()] * n
    if not _is_list(value):
        raise InvalidValueError(
            f"tick_tiers must be a list of (from_price, tick) pairs or one per asset, not {value!r}"
        )
    items = list(value)  # type: ignore[call-overload]  # a Sequence, checked above
    per_asset = len(items) == n and all(
        _is_list(x) and (len(x) == 0 or _is_list(x[0])) for x in items
    )
    return items if per_asset else [items] * n


def decimal(value: StepLike, name: str) -> Decimal:
    try:
        d = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidValueError(f"{name} must be a decimal number, got {value!r}") from None
    if not d.is_finite() or d <= 0:
        raise InvalidValueError(f"{name} must be a positive decimal number, got {value!r}")
    return d
