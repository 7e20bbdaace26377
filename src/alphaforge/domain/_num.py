"""Turn outside numbers into ``Decimal`` without binary noise, and check their sign.

A float goes through ``repr`` (the shortest string that round-trips), so ``0.1`` becomes
``Decimal("0.1")`` and not ``Decimal("0.1000000000000000055511151231257827021181583404541015625")``.
``bool`` is refused: ``True`` is an ``int`` to Python, but never a quantity to a trader.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from alphaforge.domain.errors import InvalidValueError

__all__ = ["DecimalLike", "to_decimal", "to_positive", "to_positive_or_none"]

DecimalLike = Decimal | int | float | str


def to_decimal(value: DecimalLike, name: str) -> Decimal:
    """Return ``value`` as a finite ``Decimal``; anything else raises ``InvalidValueError``."""
    if type(value) is Decimal and value.is_finite():  # the common case on the order path
        return value
    if type(value) is float:  # a price from a bar: the same conversion as below, without checks
        converted = Decimal(repr(value))
        if converted.is_finite():
            return converted
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise InvalidValueError(
            f"{name} must be a Decimal, int, float or str, got {type(value).__name__} {value!r}"
        )
    if isinstance(value, Decimal):
        result = value
    else:
        text = repr(value) if isinstance(value, float) else str(value).strip()
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise InvalidValueError(f"{name} is not a number: {value!r}") from None
    if not result.is_finite():
        raise InvalidValueError(f"{name} must be finite, got {value!r}")
    return result


def to_positive(value: DecimalLike, name: str) -> Decimal:
    """Return ``value`` as a ``Decimal`` that must be strictly positive."""
    if type(value) is Decimal and value.is_finite() and value > 0:  # the order path's case
        return value
    result = to_decimal(value, name)
    if result <= 0:
        raise InvalidValueError(f"{name} must be > 0, got {value!r}")
    return result


def to_positive_or_none(value: DecimalLike | None, name: str) -> Decimal | None:
    """Like :func:`to_positive`, letting ``None`` through."""
    return None if value is None else to_positive(value, name)
