"""The ``alphaforge`` command: entry point and sub-command registry."""

from __future__ import annotations

import typer

from alphaforge._version import __version__
from alphaforge.cli._common import ExitCode, console, state
from alphaforge.cli.config import app as config_app
from alphaforge.cli.data import app as data_app

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
app.add_typer(data_app, name="data")
app.add_typer(config_app, name="config")


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"alphaforge {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
) -> None:
    """Research, backtest and trade with real data."""
    state.debug = debug


def main() -> None:
    """Run the CLI (the ``alphaforge`` console script)."""
    app()


if __name__ == "__main__":
    main()
