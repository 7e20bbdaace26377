"""The error hierarchy (re-exported from the domain) and helpers that act on it.

``is_retryable`` classifies any exception, ours or a library's; ``retry`` re-runs a callable
while it raises retryable errors, with capped exponential backoff, and re-raises fatal ones at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from alphaforge.domain.errors import (
    AlphaforgeError,
    FatalError,
    IllegalTransitionError,
    InvalidValueError,
    RetryableError,
)

__all__ = [
    "AlphaforgeError",
    "ConfigError",
    "FatalError",
    "IllegalTransitionError",
    "InvalidValueError",
    "RetryableError",
    "is_retryable",
    "retry",
]

T = TypeVar("T")

_TRANSIENT_BUILTINS: tuple[type[BaseException], ...] = (TimeoutError, ConnectionError)


class ConfigError(FatalError):
    """A setting is missing, unknown or invalid; the message names it and what was expected."""


def is_retryable(exc: BaseException) -> bool:
    """Return whether retrying the call that raised ``exc`` could help."""
    if isinstance(exc, AlphaforgeError):
        return exc.retryable
    return isinstance(exc, _TRANSIENT_BUILTINS)


def retry(
    func: Callable[[], T],
    *,
    attempts: int = 3,
    base_delay: float = 0.5,
    max_delay: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``func`` until it succeeds, retrying only retryable errors.

    Waits ``base_delay * 2**k`` (capped at ``max_delay``) between attempts; after the last attempt
    the last error propagates unchanged.
    """
    if attempts < 1:
        raise InvalidValueError(f"attempts must be >= 1, got {attempts}")
    for attempt in range(attempts):
        try:
            return func()
        except Exception as exc:
            if not is_retryable(exc) or attempt == attempts - 1:
                raise
            sleep(min(max_delay, base_delay * 2**attempt))
    raise AssertionError("unreachable")  # pragma: no cover
