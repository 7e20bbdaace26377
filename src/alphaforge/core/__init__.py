"""alphaforge.core: runtime primitives every higher layer shares (layer L1).

Clocks (``SimClock`` for backtests, ``LiveClock`` for paper and live), the in-process synchronous
``MessageBus``, deterministic ids, logging setup with correlation ids and secret redaction, and
the error hierarchy with ``retry``. It imports only ``alphaforge.domain`` and third-party
libraries, never pandas.
"""

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
