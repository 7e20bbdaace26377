"""The root command: version, help, exit codes and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alphaforge import __version__, _native
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
    assert result.output.strip().splitlines() == [
        f"alphaforge {__version__}",
        f"core: {_native.status()}",  # "compiled", or "pure Python (why)"
    ]


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


def test_json_logs_go_to_stderr_and_keep_stdout_clean(tmp_path: Path) -> None:
    args = ["--log-level", "info", "--log-format", "json", "data", "import",
            "bundled:binance_xrpusdt_funding_8h", "--catalog", str(tmp_path)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    stored = [r for r in records if r["event"] == "catalog.stored"]
    assert len(stored) == 1
    assert stored[0]["symbol"] == "XRPUSDT-PERP"
    assert stored[0]["level"] == "info"
    assert stored[0]["timestamp"].endswith("Z")
    assert "{" not in result.stdout


def test_bad_log_level_is_a_usage_error() -> None:
    result = runner.invoke(app, ["--log-level", "loud", "data", "list", "--bundled"])
    assert result.exit_code == ExitCode.USAGE
    assert "--log-level" in result.stderr
