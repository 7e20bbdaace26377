"""What every command shares: the consoles, one-line errors and exit codes scripts can trust."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from enum import IntEnum
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from alphaforge.core.errors import AlphaforgeError, ConfigError, is_retryable
from alphaforge.data.errors import DataSourceError, DataValidationError, UnknownDatasetError
from alphaforge.domain.errors import InvalidValueError

__all__ = ["ExitCode", "console", "err_console", "exit_code_for", "handle_errors", "state"]

P = ParamSpec("P")
R = TypeVar("R")

# Piped output (files, `less`, CI logs) is not bound to a terminal's width: without COLUMNS,
# Rich would squeeze tables into 80 columns and cut every cell.
_PIPED_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160

console = Console(highlight=False, width=_PIPED_WIDTH)
_PIPED_ERR_WIDTH = None if sys.stderr.isatty() or "COLUMNS" in os.environ else 160
err_console = Console(stderr=True, highlight=False, width=_PIPED_ERR_WIDTH)


class ExitCode(IntEnum):
    """Exit codes of every ``alphaforge`` command (also listed in ``alphaforge --help``)."""

    OK = 0
    INTERNAL = 1  # a bug: please report it with the output of --debug
    USAGE = 2  # wrong or contradictory flags or arguments (also what Typer/Click use)
    INVALID_DATA = 3  # the data broke a hard rule; nothing was stored
    NOT_FOUND = 4  # an unknown dataset, symbol or file
    CONFIG = 5  # a setting is missing, unknown or invalid
    RETRYABLE = 6  # transient failure; the same command may succeed later
    FAILED = 7  # any other refused operation (the message says why)


class _State:
    """Global flags set by the root callback (``--debug``)."""

    debug: bool = False


state = _State()


# Checked in order: the first matching class decides.
_EXIT_CODES: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], ExitCode], ...] = (
    (DataValidationError, ExitCode.INVALID_DATA),
    ((UnknownDatasetError, FileNotFoundError), ExitCode.NOT_FOUND),
    (DataSourceError, ExitCode.INVALID_DATA),
    (ConfigError, ExitCode.CONFIG),
    (InvalidValueError, ExitCode.USAGE),  # at the CLI edge: an argument the user can fix
)


def exit_code_for(exc: BaseException) -> ExitCode:
    """Map an exception to the exit code documented in :class:`ExitCode`."""
    for classes, code in _EXIT_CODES:
        if isinstance(exc, classes):
            return code
    if is_retryable(exc):
        return ExitCode.RETRYABLE
    return ExitCode.FAILED if isinstance(exc, AlphaforgeError) else ExitCode.INTERNAL


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn errors into one clear line on stderr and a documented exit code.

    With ``--debug`` the full traceback is shown instead.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if state.debug:
                raise
            code = exit_code_for(exc)
            message = str(exc) or type(exc).__name__
            if code is ExitCode.INTERNAL:
                message = f"internal error ({type(exc).__name__}): {message}; rerun with --debug"
            err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
            sys.stderr.flush()
            raise typer.Exit(int(code)) from None

    return wrapper
