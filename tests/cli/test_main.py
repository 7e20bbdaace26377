"""The root command: version, help, exit codes and one-line errors."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from alphaforge import __version__
from alphaforge.cli._common import ExitCode, exit_code_for
from alphaforge.cli.main import app
from alphaforge.core.errors import ConfigError, FatalError, RetryableError
from alphaforge.data.errors import (
    DataSourceError,
    DataValidationError,
    Problem,
    UnknownDatasetError,
)

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"alphaforge {__version__}"


def test_help_lists_groups_and_exit_codes() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for word in ("data", "config", "Exit codes", "invalid_data"):
        assert word in result.output


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (DataValidationError([Problem("f.csv", "bad", row=3)]), ExitCode.INVALID_DATA),
        (DataSourceError("corrupt"), ExitCode.INVALID_DATA),
        (UnknownDatasetError("nope"), ExitCode.NOT_FOUND),
        (FileNotFoundError("x"), ExitCode.NOT_FOUND),
        (ConfigError("bad key"), ExitCode.CONFIG),
        (RetryableError("busy"), ExitCode.RETRYABLE),
        (TimeoutError("slow"), ExitCode.RETRYABLE),
        (FatalError("refused"), ExitCode.FAILED),
        (ZeroDivisionError("bug"), ExitCode.INTERNAL),
    ],
)
def test_exit_codes(exc: BaseException, code: ExitCode) -> None:
    assert exit_code_for(exc) is code


def test_problem_message_names_file_row_field() -> None:
    problem = Problem("spx.csv", "high 1.0 < low 2.0", row=17, field="high", timestamp="2019-03-04")
    assert str(problem) == "spx.csv row 17 (2019-03-04) field 'high': high 1.0 < low 2.0"
