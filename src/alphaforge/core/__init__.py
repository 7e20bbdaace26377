"""alphaforge.core: runtime primitives every higher layer shares (layer L1).

Clocks (``SimClock`` for backtests, ``LiveClock`` for paper and live), the in-process synchronous
``MessageBus``, deterministic ids, logging setup with correlation ids and secret redaction, and
the error hierarchy with ``retry``. It imports only ``alphaforge.domain`` and third-party
libraries, never pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alphaforge._lazy import lazy_exports

if TYPE_CHECKING:
    from alphaforge.core.bus import MessageBus, Subscription
    from alphaforge.core.clock import Clock, LiveClock, SimClock, TimerFired
    from alphaforge.core.errors import (
        AlphaforgeError,
        ConfigError,
        FatalError,
        IllegalTransitionError,
        InvalidValueError,
        RetryableError,
        is_retryable,
        retry,
    )
    from alphaforge.core.ids import IdFactory, IdSource, uuid_id
    from alphaforge.core.logging import (
        bind_correlation_id,
        configure_logging,
        correlation_scope,
        current_correlation_id,
        get_logger,
        new_correlation_id,
    )

# Imported on first use, so that a light import (``alphaforge.core.suggest``) does not load
# structlog and pydantic.
_LAZY: dict[str, str] = {
    "AlphaforgeError": "alphaforge.core.errors",
    "Clock": "alphaforge.core.clock",
    "ConfigError": "alphaforge.core.errors",
    "FatalError": "alphaforge.core.errors",
    "IdFactory": "alphaforge.core.ids",
    "IdSource": "alphaforge.core.ids",
    "IllegalTransitionError": "alphaforge.core.errors",
    "InvalidValueError": "alphaforge.core.errors",
    "LiveClock": "alphaforge.core.clock",
    "MessageBus": "alphaforge.core.bus",
    "RetryableError": "alphaforge.core.errors",
    "SimClock": "alphaforge.core.clock",
    "Subscription": "alphaforge.core.bus",
    "TimerFired": "alphaforge.core.clock",
    "bind_correlation_id": "alphaforge.core.logging",
    "configure_logging": "alphaforge.core.logging",
    "correlation_scope": "alphaforge.core.logging",
    "current_correlation_id": "alphaforge.core.logging",
    "get_logger": "alphaforge.core.logging",
    "is_retryable": "alphaforge.core.errors",
    "new_correlation_id": "alphaforge.core.logging",
    "retry": "alphaforge.core.errors",
    "uuid_id": "alphaforge.core.ids",
}

__all__ = [
    "AlphaforgeError",
    "Clock",
    "ConfigError",
    "FatalError",
    "IdFactory",
    "IdSource",
    "IllegalTransitionError",
    "InvalidValueError",
    "LiveClock",
    "MessageBus",
    "RetryableError",
    "SimClock",
    "Subscription",
    "TimerFired",
    "bind_correlation_id",
    "configure_logging",
    "correlation_scope",
    "current_correlation_id",
    "get_logger",
    "is_retryable",
    "new_correlation_id",
    "retry",
    "uuid_id",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
