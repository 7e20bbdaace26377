"""The ``alphaforge`` command: entry point and sub-command registry."""

from __future__ import annotations

import typer

from alphaforge import _native
from alphaforge._version import __version__
from alphaforge.cli._common import ExitCode, console, handle_errors, state
from alphaforge.cli.backtest import backtest_command, strategies_app
from alphaforge.cli.check import check_app
from alphaforge.cli.compare import compare_command
from alphaforge.cli.config import app as config_app
from alphaforge.cli.data import app as data_app
from alphaforge.cli.ml import ml_app
from alphaforge.cli.ml_lifecycle import register as register_ml_lifecycle
from alphaforge.cli.montecarlo import montecarlo_command
from alphaforge.cli.optimize import optimize_command
from alphaforge.cli.robustness import robustness_command
from alphaforge.cli.stress import stress_command
from alphaforge.cli.walkforward import walkforward_command
from alphaforge.core.logging import configure_logging
from alphaforge.domain.errors import InvalidValueError

_EXIT_CODES = "  ".join(f"{int(code)} {code.name.lower()}" for code in ExitCode)

app = typer.Typer(
    name="alphaforge",
    help=(
        "alphaforge: an honest AI trading system. Real data, leak-free research, "
        f"one kernel for backtest, paper and live.\n\nExit codes: {_EXIT_CODES}."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("backtest")(backtest_command)
app.command("compare")(compare_command)
app.command("optimize")(optimize_command)
app.command("stress")(stress_command)
app.command("walkforward")(walkforward_command)
app.command("robustness")(robustness_command)
app.command("montecarlo")(montecarlo_command)
app.add_typer(strategies_app, name="strategies")
app.add_typer(check_app, name="check")
register_ml_lifecycle(ml_app)  # train, tune, models, promote, rollback, drift
app.add_typer(ml_app, name="ml")
app.add_typer(data_app, name="data")
app.add_typer(config_app, name="config")


def _version_callback(value: bool) -> None:
    if value:
        # the engine's core: compiled at install, or Python (alphaforge/_native.py)
        console.print(f"alphaforge {__version__}\ncore: {_native.status()}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    log_level: str = typer.Option(
        "WARNING",
        "--log-level",
        envvar="ALPHAFORGE_LOGGING__LEVEL",
        help="Lowest log level written to stderr: DEBUG, INFO, WARNING, ERROR.",
    ),
    log_format: str = typer.Option(
        "console",
        "--log-format",
        envvar="ALPHAFORGE_LOGGING__FORMAT",
        help="Logs as 'console' text or 'json' (one object a line, for log shippers).",
    ),
) -> None:
    """Research, backtest and trade with real data."""
    state.debug = debug
    _configure_logging(log_level, log_format)


@handle_errors
def _configure_logging(level: str, fmt: str) -> None:
    levels = ("DEBUG", "INFO", "WARNING", "ERROR")
    if level.upper() not in levels:
        raise InvalidValueError(f"--log-level {level!r} is not one of {', '.join(levels)}")
    if fmt not in ("console", "json"):
        raise InvalidValueError(f"--log-format {fmt!r} is not 'console' or 'json'")
    configure_logging(level.upper(), "json" if fmt == "json" else "console")


def main() -> None:
    """Run the CLI (the ``alphaforge`` console script)."""
    app()


if __name__ == "__main__":
    main()
