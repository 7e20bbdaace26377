"""Indicator handles of a backtest: what ``ctx.indicator`` returns.

``Handle`` is fed bar by bar by the kernel (a streaming indicator); ``PrecomputedHandle`` reads
a series computed once for the whole stream at the stream's current position. Both hold the
value after the current bar and nothing later (``runtime/context.py`` chooses between them).
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from alphaforge.core.suggest import did_you_mean
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.market import Bar

if TYPE_CHECKING:
    from alphaforge.indicators.registry import IndicatorSpec
    from alphaforge.indicators.streaming import StreamingIndicator
    from alphaforge.runtime.context import StreamState

__all__ = ["Handle", "PrecomputedHandle", "PrecomputedTupleHandle"]

_BAR_OFFSET = Bar._fields.index("open")  # a Bar's fields: symbol, timeframe, open, ... volume


class Handle:
    """A declared indicator: ``value`` and ``ready`` after the current bar of its stream.

    This handle is fed bar by bar (``update_bar``, which the kernel calls before ``on_bar``;
    ``update`` takes an ``(open, high, low, close, volume)`` row instead).
    A backtest uses it where a ``PrecomputedHandle`` could differ or would cost more (see
    ``PrecomputedHandle.build``).
    """

    __slots__ = (
        "_indicator",
        "_update",
        "_update_bar",
        "inputs",
        "name",
        "outputs",
        "ready",
        "value",
    )

    def __init__(
        self,
        name: str,
        indicator: StreamingIndicator[Any],
        inputs: tuple[int, ...],
        outputs: tuple[str, ...],
    ) -> None:
        self.name = name
        self._indicator = indicator
        self.inputs = inputs  # indices into (open, high, low, close, volume)
        self.outputs = outputs
        self.value: Any = indicator.value
        self.ready = False
        self._update = self._make_update(0)
        self._update_bar = self._make_update(_BAR_OFFSET)

    def update(self, row: tuple[float, float, float, float, float]) -> None:
        """Feed one bar (the kernel calls this before the strategy's ``on_bar``)."""
        self._update(row)

    @property
    def update_row(self) -> Callable[[tuple[float, float, float, float, float]], None]:
        """The specialized update of one ``(open, high, low, close, volume)`` row."""
        return self._update

    @property
    def update_bar(self) -> Callable[[Bar], None]:
        """The specialized per-bar update the kernel calls directly: it reads the ``Bar`` (a
        tuple) where ``update_row`` reads a row, so no row is built per bar."""
        return self._update_bar  # type: ignore[return-value]  # a Bar is a tuple of its fields

    def _make_update(
        self, offset: int
    ) -> Callable[[tuple[float, float, float, float, float]], None]:
        # One specialized closure per arity: the per-bar path does no list building. ``offset``:
        # where ``open`` sits in what the closure is given (0 in a row, 2 in a ``Bar``).
        ind = self._indicator
        step = ind.update  # type: ignore[attr-defined]
        inputs = tuple(i + offset for i in self.inputs)
        if len(inputs) == 1:
            (a,) = inputs

            def one(row: tuple[Any, ...]) -> None:
                self.value = step(row[a])
                if not self.ready:
                    self.ready = ind.ready

            return one

        def many(row: tuple[Any, ...]) -> None:
            self.value = step(*[row[i] for i in inputs])
            if not self.ready:
                self.ready = ind.ready

        return many

    def __getitem__(self, output: str) -> float:
        i = self.output_index(self.name, self.outputs, output)
        value = self.value
        return float(value[i]) if isinstance(value, tuple) else float(value)

    def __repr__(self) -> str:
        return f"Handle({self.name}, value={self.value!r}, ready={self.ready})"

    @staticmethod
    def output_index(name: str, outputs: tuple[str, ...], output: str) -> int:
        """The position of ``output`` among ``outputs``; raise with a hint when it is not one."""
        if not isinstance(output, str):
            raise InvalidValueError(
                f"{name}[{output!r}]: outputs are read by name ({', '.join(outputs)}), and a "
                "handle holds the current value only (earlier values: ctx.history or a list)"
            )
        try:
            return outputs.index(output)
        except ValueError:
            raise InvalidValueError(
                f"{name} has no output {output!r} (outputs: {', '.join(outputs)})"
                f"{did_you_mean(output, outputs)}"
            ) from None


class PrecomputedHandle:
    """A backtest's declared indicator: computed once for its whole stream, read at the bar.

    A backtest holds every bar of a stream from the start and every indicator is causal (its
    value at a bar depends on that bar and earlier ones only), so the series is computed once
    by the batch kernel and ``value`` / ``ready`` read it at the stream's current position:
    the kernel does no per-bar work for this handle. Both equal a streaming ``Handle``'s at
    every bar, bit for bit (``tests/runtime/test_precomputed_indicators.py``), late declarations
    included. The series stays private: nothing public reads past the current bar (no
    ``values``, no ``__array__``). ``build`` says where a backtest uses it.
    """

    __slots__ = ("_columns", "_ready_at", "_state", "_values", "inputs", "name", "outputs")

    # The batch kernels run on Numba, whose first load in a process costs 0.5-1 s and ~180 MB
    # at its peak (LLVM compiling), which a plain backtest never pays otherwise; streaming costs
    # 0.3-1 us a bar and indicator, so a backtest precomputes only where Numba is loaded already
    # (a sweep, an optimization, a notebook): a kernel costs microseconds then.

    def __init__(
        self,
        name: str,
        state: StreamState,
        columns: list[array[float]],
        ready_at: int,
        inputs: tuple[int, ...],
        outputs: tuple[str, ...],
    ) -> None:
        """``columns``: one per output, each one value per bar plus the value before the first
        bar at the end, where ``position == -1`` reads it; ``ready_at``: the first ready bar."""
        self.name = name
        self._state = state
        self._values = columns[0]
        self._columns = tuple(columns)  # one per output (a multi-output indicator reads them)
        self._ready_at = ready_at
        self.inputs = inputs  # indices into (open, high, low, close, volume)
        self.outputs = outputs

    @property
    def value(self) -> Any:
        """The value after the current bar (NaN before the first bar and during warm-up)."""
        return self._values[self._state.position]

    @property
    def ready(self) -> bool:
        """False during warm-up (``value`` is NaN), True from the first full window on."""
        return self._state.position >= self._ready_at

    def __getitem__(self, output: str) -> float:
        Handle.output_index(self.name, self.outputs, output)
        return self._values[self._state.position]

    def __repr__(self) -> str:
        return f"Handle({self.name}, value={self.value!r}, ready={self.ready})"

    @classmethod
    def build(
        cls,
        spec: IndicatorSpec,
        params: Mapping[str, Any],
        state: StreamState,
        inputs: tuple[int, ...],
        *,
        load_numba: bool = False,
    ) -> PrecomputedHandle | None:
        """The handle of ``spec`` with resolved ``params`` on ``state``'s bars, computed by the
        batch kernel; None where the streaming ``Handle`` is the one to use.

        That is where the two could differ: both start once every input has started (leading
        NaNs) and then match bit for bit while the inputs stay finite, so a NaN or an infinity
        later on (unvalidated data) keeps the streaming handle. And where Numba is not loaded
        yet (``load_numba=True`` loads it).
        """
        n = len(state.ts)
        if not load_numba and "numba" not in sys.modules:
            return None
        columns = [state.arrays[field] for field in spec.inputs]
        start = 0
        for column in columns:
            started = ~np.isnan(column)
            start = max(start, int(started.argmax()) if started.any() else n)
        if not all(np.isfinite(column[start:]).all() for column in columns):
            return None
        indicator = spec.streaming(**params)  # pure Python: its first value and its warm-up
        initial = indicator.value  # a tuple for a multi-output indicator, as ``value`` is
        firsts = list(initial) if isinstance(initial, tuple) else [initial]
        out = spec.batch(*columns, **params)
        series = [array("d", part.tobytes()) for part in (out if len(firsts) > 1 else [out])]
        for part, first in zip(series, firsts, strict=True):
            part.append(first)  # read at position -1: before the stream's first bar
        ready_at = min(start + indicator.warmup, n)  # n: never ready
        kind = cls if len(firsts) == 1 else PrecomputedTupleHandle
        return kind(spec.name, state, series, ready_at, inputs, spec.outputs)


class PrecomputedTupleHandle(PrecomputedHandle):
    """A ``PrecomputedHandle`` of a multi-output indicator: ``value`` is a tuple, as streaming."""

    __slots__ = ()

    @property
    def value(self) -> Any:
        """The outputs after the current bar, in ``outputs`` order (NaNs before ``ready``)."""
        i = self._state.position
        columns = self._columns
        if len(columns) == 3:
            return (columns[0][i], columns[1][i], columns[2][i])
        if len(columns) == 2:
            return (columns[0][i], columns[1][i])
        return tuple([column[i] for column in columns])

    def __getitem__(self, output: str) -> float:
        j = Handle.output_index(self.name, self.outputs, output)
        return self._columns[j][self._state.position]
