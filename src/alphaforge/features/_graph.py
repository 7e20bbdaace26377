"""The feature graph: nodes that turn bar fields into features, in batch or one bar at a time.

A feature is a small graph whose leaves are bar fields (``Field``) and whose inner nodes are
registry indicators (``Indicator``, ``Output``), lags (``Lag``) and elementwise formulas
(``Formula``). The same graph is evaluated two ways:

* **batch** (``Plan.evaluate``): every node on whole float64 arrays, the indicators through their
  Numba batch functions;
* **streaming** (``FeatureStream``): every node updated once per bar, the indicators through
  their O(1) streaming twins, which equal the batch values (``docs/indicators.md``).

A formula is one Python function written once and called with ``ARRAY_OPS`` on arrays and with
``FLOAT_OPS`` on floats; ``+ - * /`` and ``abs`` mean the same IEEE operation on both, and the ops
give division by zero and the logarithm of a non-positive number the same answer (NaN, −inf) on
both. So a feature's streaming value equals its batch value by construction, not by a second
implementation. Nodes that several features share (one MACD for its line and signal, one SMA of
the closes for two ratios) are computed once per plan, matched by their structural ``key``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from functools import partial
from operator import itemgetter
from typing import Any

import numpy as np

from alphaforge.domain.errors import InvalidValueError
from alphaforge.indicators.registry import get_indicator

__all__ = [
    "ARRAY_OPS",
    "FIELDS",
    "FLOAT_OPS",
    "FeatureStream",
    "Field",
    "Formula",
    "Indicator",
    "Lag",
    "Node",
    "Output",
    "Plan",
]

FIELDS = ("open", "high", "low", "close", "volume")
NAN = math.nan
Step = Callable[[], None]


class _ArrayOps:
    """Formula helpers on NumPy arrays (the batch path); no warnings, NaN where undefined."""

    @staticmethod
    def div(a: Any, b: Any) -> Any:
        """Return ``a / b``, NaN where ``b`` is zero."""
        with np.errstate(divide="ignore", invalid="ignore"):
            quotient = np.divide(a, b)
        return np.where(np.equal(b, 0.0), NAN, quotient)

    @staticmethod
    def log(x: Any) -> Any:
        """Return the natural log: −inf at 0, NaN below."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x)


class _FloatOps:
    """The same helpers on Python floats (the streaming path), with the same answers."""

    @staticmethod
    def div(a: float, b: float) -> float:
        """Return ``a / b``, NaN where ``b`` is zero."""
        return a / b if b != 0.0 else NAN

    @staticmethod
    def log(x: float) -> float:
        """Return the natural log: −inf at 0, NaN below."""
        if x > 0.0:
            return math.log(x)
        return -math.inf if x == 0.0 else NAN


ARRAY_OPS = _ArrayOps()
FLOAT_OPS = _FloatOps()


class Node:
    """One node of a feature graph.

    ``key`` identifies the computation (equal keys compute equal values, so a plan shares them);
    ``warmup`` is the number of leading NaN values on data without gaps; ``fields`` the bar
    fields the node reads, directly or through its inputs.
    """

    __slots__ = ("fields", "inputs", "key", "warmup")

    key: Hashable
    inputs: tuple[Node, ...]
    warmup: int
    fields: frozenset[str]

    def __init__(self, key: Hashable, inputs: Sequence[Node], warmup: int) -> None:
        self.key = key
        self.inputs = tuple(inputs)
        self.warmup = warmup
        fields: frozenset[str] = frozenset()
        for node in self.inputs:
            fields |= node.fields
        self.fields = fields

    def batch(self, args: list[Any]) -> Any:
        """Return the node's values over whole arrays, given its inputs' values."""
        raise NotImplementedError

    def stepper(self) -> Callable[..., Any]:
        """Return a fresh per-bar function: inputs' current values -> the node's value."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r})"


class Field(Node):
    """A bar field: ``open``, ``high``, ``low``, ``close`` or ``volume``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        if name not in FIELDS:
            raise InvalidValueError(f"unknown bar field {name!r} (fields: {', '.join(FIELDS)})")
        super().__init__(("field", name), (), 0)
        self.name = name
        self.fields = frozenset((name,))


class Lag(Node):
    """The input's value ``k`` bars ago (NaN for the first ``k`` bars)."""

    __slots__ = ("k",)

    def __init__(self, source: Node, k: int) -> None:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise InvalidValueError(f"lag must be an integer >= 1, got {k!r}")
        super().__init__(("lag", k, source.key), (source,), source.warmup + k)
        self.k = k

    def batch(self, args: list[Any]) -> Any:
        (x,) = args
        out = np.full(len(x), NAN)
        out[self.k :] = x[: len(x) - self.k]
        return out

    def stepper(self) -> Callable[[float], float]:
        k = self.k
        buf = [NAN] * k
        pos = 0

        def step(x: float) -> float:
            nonlocal pos
            out = buf[pos]
            buf[pos] = x
            pos = pos + 1 if pos + 1 < k else 0
            return out

        return step


class Indicator(Node):
    """A registry indicator fed with its input nodes (its value: an array or named tuple)."""

    __slots__ = ("params", "spec")

    def __init__(self, name: str, inputs: Sequence[Node], params: Mapping[str, object]) -> None:
        spec = get_indicator(name)
        if len(inputs) != len(spec.inputs):
            raise InvalidValueError(
                f"{name} takes {len(spec.inputs)} inputs ({', '.join(spec.inputs)}), "
                f"got {len(inputs)}"
            )
        resolved = spec.resolve(params)
        warmup = max(node.warmup for node in inputs) + spec.lookback(resolved)
        key = ("ind", name, tuple(sorted(resolved.items())), tuple(n.key for n in inputs))
        super().__init__(key, inputs, warmup)
        self.spec = spec
        self.params = resolved

    def batch(self, args: list[Any]) -> Any:
        return self.spec.batch(*args, **self.params)

    def stepper(self) -> Callable[..., Any]:
        instance: Any = self.spec.streaming(**self.params)
        update: Callable[..., Any] = instance.update
        return update


class Output(Node):
    """One named output of a multi-output indicator (MACD's ``signal``, Bollinger's ``upper``)."""

    __slots__ = ("index",)

    def __init__(self, source: Indicator, output: str) -> None:
        outputs = source.spec.outputs
        if output not in outputs:
            raise InvalidValueError(
                f"{source.spec.name} has no output {output!r} (outputs: {', '.join(outputs)})"
            )
        super().__init__(("out", output, source.key), (source,), source.warmup)
        self.index = outputs.index(output)

    def batch(self, args: list[Any]) -> Any:
        return args[0][self.index]

    def stepper(self) -> Callable[[tuple[float, ...]], float]:
        return itemgetter(self.index)


class Formula(Node):
    """``fn(ops, *input values, *constants)``, elementwise, the same function on both paths."""

    __slots__ = ("constants", "fn")

    def __init__(
        self, fn: Callable[..., Any], inputs: Sequence[Node], constants: tuple[float, ...] = ()
    ) -> None:
        warmup = max(node.warmup for node in inputs)
        super().__init__(("fn", fn, constants, tuple(n.key for n in inputs)), inputs, warmup)
        self.fn = fn
        self.constants = constants

    def batch(self, args: list[Any]) -> Any:
        out = self.fn(ARRAY_OPS, *args, *self.constants)
        return np.asarray(out, dtype=np.float64)

    def stepper(self) -> Callable[..., float]:
        if self.constants:
            return lambda *xs: self.fn(FLOAT_OPS, *xs, *self.constants)
        return partial(self.fn, FLOAT_OPS)


class Plan:
    """The distinct nodes of some root nodes, in an order where inputs come first.

    The five bar fields always take slots 0-4 (in ``FIELDS`` order), so a stream writes a bar
    into fixed slots; every other node gets one slot, shared by all roots that reach it.
    """

    __slots__ = ("inputs", "nodes", "outputs")

    def __init__(self, roots: Sequence[Node]) -> None:
        self.nodes: list[Node] = [Field(name) for name in FIELDS]
        slots: dict[Hashable, int] = {node.key: i for i, node in enumerate(self.nodes)}
        self.inputs: list[tuple[int, ...]] = [() for _ in FIELDS]
        for root in roots:
            self._visit(root, slots)
        self.outputs = tuple(slots[root.key] for root in roots)

    def _visit(self, node: Node, slots: dict[Hashable, int]) -> None:
        if node.key in slots:
            return
        for source in node.inputs:
            self._visit(source, slots)
        slots[node.key] = len(self.nodes)
        self.nodes.append(node)
        self.inputs.append(tuple(slots[source.key] for source in node.inputs))

    def evaluate(self, columns: Mapping[str, np.ndarray], length: int) -> list[np.ndarray]:
        """Return each root's values over ``columns`` (fields the roots do not read may lack)."""
        missing = np.full(length, NAN)
        values: list[Any] = [columns.get(name, missing) for name in FIELDS]
        for node, sources in zip(
            self.nodes[len(FIELDS) :], self.inputs[len(FIELDS) :], strict=True
        ):
            values.append(node.batch([values[i] for i in sources]))
        return [np.asarray(values[i], dtype=np.float64) for i in self.outputs]


def _bind(fn: Callable[..., Any], slot: int, sources: tuple[int, ...], vals: list[Any]) -> Step:
    """Return a no-argument step that reads the sources' slots and writes ``fn``'s value."""
    if len(sources) == 1:
        (a,) = sources

        def step1() -> None:
            vals[slot] = fn(vals[a])

        return step1
    if len(sources) == 2:
        a, b = sources

        def step2() -> None:
            vals[slot] = fn(vals[a], vals[b])

        return step2
    if len(sources) == 3:
        a, b, c = sources

        def step3() -> None:
            vals[slot] = fn(vals[a], vals[b], vals[c])

        return step3

    def step_n() -> None:
        vals[slot] = fn(*[vals[i] for i in sources])

    return step_n


class FeatureStream:
    """Features one bar at a time: ``update(bar)`` returns the new feature row in O(1).

    Built by ``FeatureSet.stream()``. The row after the ``n``-th update equals row ``n − 1`` of
    ``FeatureSet.compute`` on the same bars (tested to 1e-9 relative on real data; NaN during
    the warm-up). ``ready`` turns True once every feature is past its warm-up.
    """

    __slots__ = ("_bars", "_names", "_plan", "_read", "_steps", "_vals", "_warmup")

    def __init__(self, names: Sequence[str], plan: Plan, warmup: int) -> None:
        self._names = tuple(names)
        self._plan = plan
        self._warmup = warmup
        outputs = plan.outputs
        self._read: Callable[[list[Any]], Any] = (
            itemgetter(*outputs) if len(outputs) > 1 else lambda v: (v[outputs[0]],)
        )
        self.reset()

    def reset(self) -> None:
        """Forget every bar: fresh indicator states, as a new stream."""
        plan = self._plan
        self._vals: list[Any] = [NAN] * len(plan.nodes)
        first = len(FIELDS)
        self._steps = [
            _bind(node.stepper(), slot, plan.inputs[slot], self._vals)
            for slot, node in enumerate(plan.nodes[first:], start=first)
        ]
        self._bars = 0

    @property
    def names(self) -> tuple[str, ...]:
        """The feature names, in the order of the row's values."""
        return self._names

    @property
    def warmup(self) -> int:
        """Bars before every feature has a value (the longest warm-up of the set)."""
        return self._warmup

    @property
    def bars(self) -> int:
        """Bars consumed since creation or the last ``reset``."""
        return self._bars

    @property
    def ready(self) -> bool:
        """True once every feature is past its warm-up (after ``warmup + 1`` bars)."""
        return self._bars > self._warmup

    def update(self, bar: Any) -> np.ndarray:
        """Add one bar; return the feature row (float64, NaN where a feature is warming up).

        ``bar`` is anything with ``open high low close volume`` attributes (a
        :class:`~alphaforge.domain.market.Bar`) or a sequence of those five floats.
        """
        if hasattr(bar, "close"):
            return self.update_ohlcv(bar.open, bar.high, bar.low, bar.close, bar.volume)
        if len(bar) != len(FIELDS):
            raise InvalidValueError(
                f"a bar must have open, high, low, close, volume; got {len(bar)} values"
            )
        return self.update_ohlcv(*bar)

    def update_ohlcv(
        self, open: float, high: float, low: float, close: float, volume: float
    ) -> np.ndarray:
        """Add one bar given as five numbers; return the feature row (the fast path)."""
        vals = self._vals
        vals[0] = float(open)
        vals[1] = float(high)
        vals[2] = float(low)
        vals[3] = float(close)
        vals[4] = float(volume)
        for step in self._steps:
            step()
        self._bars += 1
        return np.array(self._read(vals), dtype=np.float64)

    def update_close(self, close: float) -> np.ndarray:
        """Add a close-only bar (open = high = low = close, volume unknown); return the row."""
        c = float(close)
        return self.update_ohlcv(c, c, c, c, NAN)

    def __repr__(self) -> str:
        return f"FeatureStream({len(self._names)} features, bars={self._bars}, ready={self.ready})"
