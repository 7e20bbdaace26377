"""The root of alphaforge's error hierarchy.

Every error tells the caller what to do next: a ``RetryableError`` may succeed if tried again later
(a timeout, a venue that is busy), a ``FatalError`` will fail again until its input is fixed (bad
data, an illegal order transition, a wrong setting). The classes live in the domain layer so that
the purest code can raise them; ``alphaforge.core.errors`` re-exports them with retry helpers.
"""

from __future__ import annotations

__all__ = [
    "AlphaforgeError",
    "FatalError",
    "IllegalTransitionError",
    "InvalidValueError",
    "RetryableError",
]


class AlphaforgeError(Exception):
    """Base of every error alphaforge raises on purpose."""

    retryable: bool = False


class RetryableError(AlphaforgeError):
    """Transient: the same call may succeed later (back off, then retry)."""

    retryable = True


class FatalError(AlphaforgeError):
    """Permanent: retrying cannot help; fix the input, the setting or the code."""


class InvalidValueError(FatalError, ValueError):
    """A value is outside what the domain allows (a negative quantity, a price off the tick)."""


class IllegalTransitionError(FatalError):
    """An order (or other state machine) was asked to move to a state it cannot reach."""
