"""Search spaces: the ranges an optimizer may try for a strategy's parameters.

A strategy declares where its parameters are worth searching (``Strategy.search_space``), apart
from the bounds that make a value *valid* (its ``Params`` fields): ``fast`` may be any positive
integer, but a search tries ``5, 10, ... 100``. Users override a dimension on the command line
with ``--space fast=5:100:5`` (see :func:`parse_dimension`).

>>> space = {"fast": IntRange(5, 50, 5), "slow": IntRange(50, 250, 50)}
>>> len(grid(space))
50

The same space feeds every search method: :func:`grid` (every combination, in order),
:func:`sample` (random draws from a seed) and the Bayesian samplers of ``alphaforge.research``
(through :meth:`IntRange.suggest` and friends, which speak Optuna's trial API).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

import numpy as np

from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "Choice",
    "Dimension",
    "FloatRange",
    "IntRange",
    "Space",
    "grid",
    "grid_size",
    "parse_dimension",
    "parse_space",
    "sample",
]


class _Trial(Protocol):
    """The part of ``optuna.trial.Trial`` a dimension uses (kept structural: no import)."""

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int: ...
    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float: ...
    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any: ...


@dataclass(frozen=True)
class IntRange:
    """Integers ``low, low + step, ... <= high``; ``log`` samples on a log scale (step 1 only)."""

    low: int
    high: int
    step: int = 1
    log: bool = False

    def __post_init__(self) -> None:
        if self.high < self.low:
            raise InvalidValueError(f"IntRange: high ({self.high}) is below low ({self.low})")
        if self.step < 1:
            raise InvalidValueError(f"IntRange: step must be >= 1, got {self.step}")
        if self.log and (self.low < 1 or self.step != 1):
            raise InvalidValueError("IntRange: log scale needs low >= 1 and step 1")

    def values(self) -> list[int]:
        """Every value of the grid."""
        return list(range(self.low, self.high + 1, self.step))

    def draw(self, rng: np.random.Generator) -> int:
        """One uniform draw (log-uniform with ``log``)."""
        if self.log:
            return round(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return int(self.low + self.step * rng.integers(0, (self.high - self.low) // self.step + 1))

    def suggest(self, trial: _Trial, name: str) -> int:
        """Ask an Optuna trial for a value."""
        return trial.suggest_int(name, self.low, self.high, step=self.step, log=self.log)

    def __str__(self) -> str:
        return f"{self.low}:{self.high}:{self.step}" + (":log" if self.log else "")


@dataclass(frozen=True)
class FloatRange:
    """Floats in ``[low, high]``; a ``step`` makes a grid of them (a grid search needs one)."""

    low: float
    high: float
    step: float | None = None
    log: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.high < self.low:
            raise InvalidValueError(
                f"FloatRange: need finite low <= high, got {self.low}, {self.high}"
            )
        if self.step is not None and not self.step > 0:
            raise InvalidValueError(f"FloatRange: step must be > 0, got {self.step}")
        if self.log and (self.low <= 0 or self.step is not None):
            raise InvalidValueError("FloatRange: log scale needs low > 0 and no step")

    def values(self) -> list[float]:
        """Every value of the grid; needs ``step``."""
        if self.step is None:
            raise InvalidValueError(
                f"a grid over {self.low}..{self.high} needs a step "
                f"(e.g. {self.low}:{self.high}:0.1)"
            )
        count = math.floor((self.high - self.low) / self.step + 1e-9) + 1
        return [round(float(self.low) + i * float(self.step), 12) for i in range(count)]

    def draw(self, rng: np.random.Generator) -> float:
        """One uniform draw (on the grid with ``step``, log-uniform with ``log``)."""
        if self.step is not None:
            values = self.values()
            return values[int(rng.integers(0, len(values)))]
        if self.log:
            return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return float(rng.uniform(self.low, self.high))

    def suggest(self, trial: _Trial, name: str) -> float:
        """Ask an Optuna trial for a value."""
        return trial.suggest_float(name, self.low, self.high, step=self.step, log=self.log)

    def __str__(self) -> str:
        step = "" if self.step is None else f":{self.step}"
        return f"{self.low}:{self.high}{step}" + (":log" if self.log else "")


@dataclass(frozen=True)
class Choice:
    """One of a few values (strings, numbers or booleans), tried in the order given."""

    options: tuple[Any, ...]

    def __post_init__(self) -> None:
        if not self.options:
            raise InvalidValueError("Choice needs at least one option")

    def values(self) -> list[Any]:
        """Every option."""
        return list(self.options)

    def draw(self, rng: np.random.Generator) -> Any:
        """One uniform draw."""
        return self.options[int(rng.integers(0, len(self.options)))]

    def suggest(self, trial: _Trial, name: str) -> Any:
        """Ask an Optuna trial for an option."""
        return trial.suggest_categorical(name, list(self.options))

    def __str__(self) -> str:
        return ",".join(str(o) for o in self.options)


Dimension: TypeAlias = IntRange | FloatRange | Choice
Space: TypeAlias = Mapping[str, Dimension]


def grid_size(space: Space) -> int:
    """How many parameter sets :func:`grid` yields."""
    return math.prod(len(d.values()) for d in space.values())


def grid(space: Space) -> list[dict[str, Any]]:
    """Every combination of every dimension's values, the first dimension varying slowest."""
    names = list(space)
    axes = [space[n].values() for n in names]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*axes)]


def sample(space: Space, n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` random parameter sets (independent draws; the same seed gives the same sets)."""
    if n < 1:
        raise InvalidValueError(f"the number of random sets must be >= 1, got {n}")
    rng = np.random.default_rng(seed)
    return [{name: dim.draw(rng) for name, dim in space.items()} for _ in range(n)]


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _range(name: str, parts: list[str]) -> Dimension:
    log = parts[-1] == "log"
    if log:
        parts = parts[:-1]
    if len(parts) not in (2, 3):
        raise InvalidValueError(f"--space {name}=LOW:HIGH[:STEP][:log], got {':'.join(parts)!r}")
    try:
        nums = [_number(p) for p in parts]
    except ValueError:
        raise InvalidValueError(
            f"--space {name}: {':'.join(parts)!r} is not LOW:HIGH[:STEP] of numbers"
        ) from None
    if all(isinstance(v, int) for v in nums):
        return IntRange(int(nums[0]), int(nums[1]), int(nums[2]) if len(nums) == 3 else 1, log)
    step = float(nums[2]) if len(nums) == 3 else None
    return FloatRange(float(nums[0]), float(nums[1]), step, log)


def _option(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return _number(text)
    except ValueError:
        return text


def parse_dimension(name: str, text: str) -> Dimension:
    """``"5:100:5"`` -> IntRange, ``"0.5:3.0:0.5"`` or ``"0.001:0.1:log"`` -> FloatRange,
    ``"long_only,long_short"`` -> Choice, a single value -> a one-option Choice."""
    text = text.strip()
    if not text:
        raise InvalidValueError(f"--space {name}= is empty")
    try:
        if ":" in text:
            return _range(name, [p.strip() for p in text.split(":")])
        return Choice(tuple(_option(p.strip()) for p in text.split(",") if p.strip()))
    except InvalidValueError as exc:
        if str(exc).startswith("--space"):
            raise
        raise InvalidValueError(f"--space {name}={text}: {exc}") from None


def parse_space(pairs: Sequence[str]) -> dict[str, Dimension]:
    """``["fast=5:50:5", "mode=long_only,long_short"]`` -> a space."""
    out: dict[str, Dimension] = {}
    for pair in pairs:
        name, eq, text = pair.partition("=")
        if not eq or not name.strip():
            raise InvalidValueError(f"--space needs NAME=RANGE (e.g. fast=5:50:5), got {pair!r}")
        out[name.strip()] = parse_dimension(name.strip(), text)
    return out
