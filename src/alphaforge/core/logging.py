"""Logging setup: structlog, ISO UTC timestamps, correlation ids, secrets redacted.

``configure_logging`` is called once by an entry point (the CLI, the runtime); library code only
calls ``get_logger(__name__)`` and logs events with key-value pairs::

    log = get_logger(__name__)
    log.info("order.submitted", client_order_id="O-1", symbol="MSFT")

Each record carries ``timestamp`` (ISO 8601, UTC), ``level``, ``event``, ``logger`` and, inside a
``correlation_scope``, the ``correlation_id`` that ties a signal to its orders and fills. The
correlation id lives in a ``contextvars.ContextVar``, so it follows asyncio tasks correctly.

Secrets never reach the output: the value of any key that looks secret (``api_key``, ``secret``,
``password``, ``token``, ``passphrase``, ``private_key``, ``authorization``, ``credential``, in any
case and nested in dicts or lists) and any pydantic ``SecretStr``/``SecretBytes`` are replaced by
``"**********"``. Redaction errs on the side of hiding: ``"token_count"`` is hidden too.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal, TextIO, cast

import structlog
from pydantic import SecretBytes, SecretStr
from structlog.typing import EventDict, FilteringBoundLogger, Processor, WrappedLogger

from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "REDACTED",
    "bind_correlation_id",
    "configure_logging",
    "correlation_scope",
    "current_correlation_id",
    "get_logger",
    "new_correlation_id",
    "redact_secrets",
]

REDACTED = "**********"
_SECRET_KEY = re.compile(
    r"api[_-]?key|secret|passw(?:or)?d|token|passphrase|private[_-]?key|authorization|credential",
    re.IGNORECASE,
)
_LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARNING": logging.WARNING}
_LEVELS |= {"ERROR": logging.ERROR, "CRITICAL": logging.CRITICAL}
_CORRELATION_ID: ContextVar[str | None] = ContextVar("alphaforge_correlation_id", default=None)


# ---------------------------------------------------------------------- correlation ids
def new_correlation_id() -> str:
    """Return a fresh random correlation id (32 hex characters)."""
    return uuid.uuid4().hex


def current_correlation_id() -> str | None:
    """The correlation id bound in the current context, if any."""
    return _CORRELATION_ID.get()


def bind_correlation_id(cid: str | None = None) -> str:
    """Bind ``cid`` (a new id when ``None``) for the rest of the current context; return it.

    Prefer :func:`correlation_scope`, which also restores the previous id.
    """
    value = cid or new_correlation_id()
    _CORRELATION_ID.set(value)
    return value


@contextmanager
def correlation_scope(cid: str | None = None) -> Iterator[str]:
    """Bind ``cid`` (a new id when ``None``) inside the ``with`` block and yield it.

    Backtests pass ids from a deterministic ``IdFactory`` so that their logs repeat exactly.
    """
    value = cid or new_correlation_id()
    token = _CORRELATION_ID.set(value)
    try:
        yield value
    finally:
        _CORRELATION_ID.reset(token)


def _add_correlation_id(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    cid = _CORRELATION_ID.get()
    if cid is not None:
        event_dict.setdefault("correlation_id", cid)
    return event_dict


# ---------------------------------------------------------------------- redaction
def _redact(value: object) -> object:
    if isinstance(value, SecretStr | SecretBytes):
        return REDACTED
    if isinstance(value, Mapping):
        return {key: _redact_item(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact(item) for item in value)
    return value


def _redact_item(key: object, value: object) -> object:
    if isinstance(key, str) and _SECRET_KEY.search(key):
        return REDACTED
    return _redact(value)


def redact_secrets(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: hide the values of secret-looking keys and of ``SecretStr``s."""
    for key, value in event_dict.items():
        event_dict[key] = _redact_item(key, value)
    return event_dict


# ---------------------------------------------------------------------- setup
class _NamedPrintLogger(structlog.PrintLogger):
    """A ``PrintLogger`` that remembers the name given to ``get_logger``."""

    def __init__(self, file: TextIO, name: str | None) -> None:
        super().__init__(file)
        self.name = name


class _NamedPrintLoggerFactory:
    """Make loggers writing to ``file``, or to whatever ``sys.stderr`` is when they are made
    (``file=None``): a redirected or replaced stderr (a test runner, a daemon) is followed."""

    def __init__(self, file: TextIO | None) -> None:
        self._file = file

    def __call__(self, *args: object) -> _NamedPrintLogger:
        name = args[0] if args and isinstance(args[0], str) else None
        return _NamedPrintLogger(self._file if self._file is not None else sys.stderr, name)


def _add_logger_name(logger: WrappedLogger, _: str, event_dict: EventDict) -> EventDict:
    name = getattr(logger, "name", None)
    if name:
        event_dict.setdefault("logger", name)
    return event_dict


def _level(level: str | int) -> int:
    if isinstance(level, int) and not isinstance(level, bool):
        return level
    number = _LEVELS.get(str(level).upper())
    if number is None:
        raise InvalidValueError(f"log level must be one of {', '.join(_LEVELS)}, got {level!r}")
    return number


def configure_logging(
    level: str | int = "INFO",
    fmt: Literal["console", "json"] = "console",
    *,
    stream: TextIO | None = None,
) -> None:
    """Configure structlog for the whole process: ``fmt="json"`` writes one JSON object a line
    (for log shippers), ``"console"`` aligned text for people. ``stream`` defaults to stderr.

    Calling it again replaces the previous configuration.
    """
    if fmt not in ("console", "json"):
        raise InvalidValueError(f"log format must be 'console' or 'json', got {fmt!r}")
    out = sys.stderr if stream is None else stream
    processors: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        _add_logger_name,
        _add_correlation_id,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
        structlog.processors.StackInfoRenderer(),
    ]
    if fmt == "json":
        processors += [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    else:
        colors = bool(getattr(out, "isatty", lambda: False)())
        # No local variables in tracebacks: a frame's locals may hold a key or a password.
        tracebacks: structlog.typing.ExceptionRenderer = (
            structlog.dev.RichTracebackFormatter(show_locals=False)
            if colors
            else structlog.dev.plain_traceback
        )
        processors.append(
            structlog.dev.ConsoleRenderer(colors=colors, exception_formatter=tracebacks)
        )
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(_level(level)),
        logger_factory=_NamedPrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> FilteringBoundLogger:
    """Return a logger whose records carry ``logger=name``.

    The logger is lazy: it follows the configuration in force when it logs, so module-level
    loggers created before ``configure_logging`` still obey it.
    """
    return cast(FilteringBoundLogger, structlog.get_logger(name))


if not structlog.is_configured():
    # A library must not print to stdout uninvited (structlog's own default): until an entry
    # point calls configure_logging, only warnings and errors are written, to stderr.
    configure_logging("WARNING")
