"""Decimal grids (ticks, lots, fee cents) computed exactly with floats, for the Numba kernel.

The event engine rounds in ``Decimal``: a float ``x`` becomes ``Decimal(repr(x))`` (its shortest
round-tripping decimal), which is then put on a grid of step ``num / 10**e`` (a tick of 0.01 is
``(1, 2)``, a lot of 1 is ``(1, 0)``, fees are quantized to ``(1, 8)``). The kernel cannot call
``repr``, but it does not need to: for a grid value ``v_k = k * num / 10**e`` with at most 15
significant digits, ``float(v_k)`` is ``(k * num) / 10**e`` computed in binary64 (both operands are
exact, and IEEE division rounds correctly), and

* ``repr(x) == v_k``  exactly when  ``float(v_k) == x`` (a decimal of 15 digits or fewer is the
  only such decimal that maps to its double, so it is the shortest ``repr``);
* ``repr(x) < v_k``   exactly when  ``x < float(v_k)`` otherwise (``repr(x)`` lies in the
  rounding interval of ``x``, which does not reach ``v_k``'s).

So comparisons of ``repr(x)`` with grid points (and with midpoints between them, for
round-half-even) are float comparisons, and every rounding below equals its ``Decimal`` twin for
magnitudes under ``10**14`` grid steps (``docs/research.md``; the property tests check it against
``decimal``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import numpy as np

from alphaforge.core.jit import jit
from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "INLINE",
    "KERNEL",
    "P10",
    "decimal_grid",
    "floor_steps",
    "grid_value",
    "inline",
    "kernel",
    "round_steps",
    "step_range",
    "trunc_delta",
]

#: Numba options of every kernel function: compiled once and cached on disk; no reference
#: counting (the kernels allocate nothing, and counting every array argument cost more than the
#: arithmetic, measured); the NumPy error model (no ZeroDivisionError checks in the loops).
KERNEL: dict[str, Any] = {"cache": True, "_nrt": False, "error_model": "numpy"}
#: ``KERNEL``, inlined into the caller (small helpers of the hot loops).
INLINE: dict[str, Any] = {**KERNEL, "inline": "always"}

F = TypeVar("F", bound=Callable[..., Any])

#: Beyond 2**53 grid steps a float holds whole numbers of steps only: rounding there is
#: approximate (runs that large keep inexact cash, ``VectorResult.exact_cash``).
_STEP_LIMIT = 2.0**53
_INT_LIMIT = 2.0**63  # steps are counted in int64
_TOO_MANY_STEPS = "a quantity, price or fee of 2**63 grid steps or more"


def kernel(fn: F) -> F:
    """Compile ``fn`` with Numba under ``KERNEL`` (typed for mypy as the function itself)."""
    return jit(**KERNEL)(fn)


def inline(fn: F) -> F:
    """Compile ``fn`` under ``INLINE``: Numba copies it into every kernel that calls it."""
    return jit(**INLINE)(fn)


#: ``10.0 ** k`` for k = 0..22: every one of them is exact in binary64.
P10 = np.array([10.0**k for k in range(23)], dtype=np.float64)
_MAX_EXP = 22


def decimal_grid(step: object, name: str) -> tuple[int, int]:
    """Return ``(num, e)`` with ``step == num / 10**e`` exactly (``e`` in 0..22, ``num >= 1``).

    ``step`` is a ``Decimal``, a decimal string, an int or a float (read through its ``repr``,
    as the domain reads floats).
    """
    if isinstance(step, bool):
        raise InvalidValueError(f"{name} must be a positive decimal number, got {step!r}")
    try:
        value = Decimal(repr(step)) if isinstance(step, float) else Decimal(str(step).strip())
    except (InvalidOperation, ValueError):
        raise InvalidValueError(f"{name} must be a positive decimal number, got {step!r}") from None
    if not value.is_finite() or value <= 0:
        raise InvalidValueError(f"{name} must be a positive decimal number, got {step!r}")
    _, digits, exponent = value.normalize().as_tuple()
    num = int("".join(map(str, digits)))
    e = -int(exponent)
    if e < 0:
        num *= 10**-e
        e = 0
    if e > _MAX_EXP or num >= 2**53:
        raise InvalidValueError(
            f"{name} {step!r} has too many digits for the vector engine (at most 22 decimals "
            "and 15 significant digits)"
        )
    return num, e


@inline
def grid_value(k: int, num: int, e: int) -> float:
    """Return ``float(k * num / 10**e)``, correctly rounded (``|k * num| < 2**53``)."""
    if e == 0:
        return float(k * num)  # exact: no division (whole lots, whole shares)
    return float(float(k * num) / P10[e])


@contextmanager
def step_range() -> Iterator[None]:
    """Turn the kernels' step overflow (see ``floor_steps``) into an error a user can act on."""
    try:
        yield
    except OverflowError as error:
        if str(error) != _TOO_MANY_STEPS:
            raise
        raise InvalidValueError(
            "a target quantity, price or fee reached 2**63 lots, ticks or fee steps (1e-8), "
            "more than the vectorized engine can count: use a coarser lot_size or tick_size, "
            "or less cash"
        ) from None


#: Within this fraction of ``|y|`` of the scaled value, the exact decimal may lie (see ``_scaled``).
_SURE = 2.0**-50


@inline
def _scaled(x: float, num: int, e: int) -> float:
    """``x * 10**e / num`` in binary64, and the overflow check of every rounding below.

    The exact ``Decimal(repr(x)) * 10**e / num`` lies within ``|y| * 2**-51`` of the result:
    ``repr(x)`` is within half an ulp of ``x`` and the product and the quotient are each
    correctly rounded (three relative errors of at most 2**-53). So when ``y`` is farther than
    ``|y| * _SURE`` (twice that) from every integer, or from every half-integer, the exact value
    is on the same side of it, and the floor, or the nearest integer, is read off ``y`` at once,
    without the divisions of the exact comparison (a one-off A/B in commit 634c868's message).
    A ``y`` under 0.5 in magnitude, however
    inexact (a subnormal), still has the exact value's sign and magnitude under 0.5."""
    y = float(x * P10[e])
    if y >= _INT_LIMIT or y <= -_INT_LIMIT:  # no int64 holds k * num: the kernel cannot go on
        raise OverflowError(_TOO_MANY_STEPS)
    if num != 1:
        y /= num
    return y


@inline
def _floor_near(x: float, num: int, e: int, y: float) -> int:
    """The largest ``k`` with ``k * num / 10**e <= Decimal(repr(x))``, by comparing ``x`` with
    the grid's floats, from the estimate ``y`` (``_scaled``)."""
    k = math.floor(y)
    if y >= _STEP_LIMIT or y <= -_STEP_LIMIT:  # floats no longer tell k from k + 1 there: the
        return k  # corrections below would step one by one through millions of equal values
    while grid_value(k + 1, num, e) <= x:
        k += 1
    while grid_value(k, num, e) > x:
        k -= 1
    return k


@inline
def floor_steps(x: float, num: int, e: int) -> int:
    """Return the largest ``k`` with ``k * num / 10**e <= Decimal(repr(x))``."""
    y = _scaled(x, num, e)
    k = math.floor(y)
    frac = y - k  # exact below 2**52
    margin = abs(y) * _SURE
    if margin < frac < 1.0 - margin:  # sure (``_scaled``); also false for NaN
        return k
    return _floor_near(x, num, e, y)


@inline
def round_steps(x: float, num: int, e: int) -> int:
    """Return ``Decimal(repr(x))`` in grid steps, rounded to the nearest, ties to even."""
    y = _scaled(x, num, e)
    k = math.floor(y)
    frac = y - k
    if abs(frac - 0.5) > abs(y) * _SURE and abs(y) < _STEP_LIMIT:  # sure (``_scaled``)
        return k if frac < 0.5 else k + 1
    k = _floor_near(x, num, e, y)
    if grid_value(k, num, e) == x:
        return k
    # the midpoint between k and k + 1 steps (exact without a division for whole steps)
    mid = (k + 0.5) * num if e == 0 else float((2 * k + 1) * num) / (2.0 * P10[e])
    if x > mid:
        return k + 1
    if x < mid:
        return k
    return k if k % 2 == 0 else k + 1


@inline
def trunc_delta(target: float, held: int, num: int, e: int) -> int:
    """Return ``Decimal(repr(target)) - held`` steps, rounded toward zero to whole steps.

    ``held`` is in steps (exact); this is ``Instrument.round_quantity`` of the move to a target.
    """
    k = floor_steps(target, num, e)
    if k >= held:
        return k - held
    if grid_value(k, num, e) != target:
        k += 1
    return k - held
