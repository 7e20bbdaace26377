"""`alphaforge config show | validate | schema`: output, secrets and exit codes."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alphaforge.cli._common import ExitCode
from alphaforge.cli.main import app
from alphaforge.config import AlphaforgeConfig, load_config

runner = CliRunner()
TOKEN = "tok-0123456789-abcdef-SECRET"  # noqa: S105 (a test value that must never be printed)


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in an empty folder with no ALPHAFORGE_* variables from the real environment."""
    for name in list(os.environ):
        if name.startswith("ALPHAFORGE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("command", [[], ["show"], ["validate"], ["schema"]])
def test_help(command: list[str]) -> None:
    result = runner.invoke(app, ["config", *command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.stdout


def test_show_toml_masks_secrets_and_reloads(clean_env: Path) -> None:
    write(clean_env / "alphaforge.toml", "[backtest]\ncash = 2500\n")
    result = runner.invoke(app, ["config", "show"], env={"ALPHAFORGE_API__AUTH_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    expected = load_config(env={"ALPHAFORGE_API__AUTH_TOKEN": TOKEN})
    assert f"# run id: {expected.run_id}" in result.stdout
    assert "# files: alphaforge.toml" in result.stdout
    assert "api.auth_token" in result.stdout  # named as set …
    assert TOKEN not in result.output  # … never shown
    shown = tomllib.loads(result.stdout)
    assert shown["backtest"]["cash"] == 2500
    # The printed TOML is itself a valid config with the same run id.
    reloaded = load_config([write(clean_env / "shown.toml", result.stdout)], env={})
    assert reloaded.run_id == expected.run_id


def test_show_json_masks_secrets(clean_env: Path) -> None:
    config_file = write(clean_env / "c.toml", "[risk]\nallow_short = true\n")
    result = runner.invoke(
        app,
        ["config", "show", "--config", str(config_file), "--format", "json"],
        env={"ALPHAFORGE_API__AUTH_TOKEN": TOKEN},
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["config"]["api"]["auth_token"] == "*" * 10
    assert document["config"]["brokers"]["alpaca"]["api_key"] is None
    assert document["config"]["risk"]["allow_short"] is True
    assert TOKEN not in result.output
    config = load_config([config_file], env={"ALPHAFORGE_API__AUTH_TOKEN": TOKEN})
    assert document["run_id"] == config.run_id


def test_show_error_is_one_line_and_exit_5(clean_env: Path) -> None:
    write(clean_env / "alphaforge.toml", "[backtest]\ncomission_bps = 2\n")
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == ExitCode.CONFIG == 5
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "error: alphaforge.toml: unknown key 'backtest.comission_bps'; "
        "did you mean 'backtest.commission_bps'?"
    )


def test_validate_ok_prints_run_id(clean_env: Path) -> None:
    config_file = write(clean_env / "prod.toml", "[backtest]\nfill = 'close'\n")
    result = runner.invoke(app, ["config", "validate", str(config_file)])
    assert result.exit_code == 0, result.output
    run_id = load_config([config_file], env={}).run_id
    assert result.stdout.strip() == f"ok: {config_file} (run id {run_id})"


def test_validate_defaults_when_no_file(clean_env: Path) -> None:
    result = runner.invoke(app, ["config", "validate"])
    assert result.exit_code == 0
    assert AlphaforgeConfig().run_id in result.stdout


def test_validate_lists_every_problem_and_exits_5(clean_env: Path) -> None:
    config_file = write(
        clean_env / "bad.toml", "[backtest]\ncash = -1\n[brokers.alpaca]\nsecret_key = 'xyz'\n"
    )
    result = runner.invoke(
        app,
        ["config", "validate", str(config_file)],
        env={"ALPHAFORGE_BACKTEST__COMISSION_BPS": "2"},
    )
    assert result.exit_code == 5
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3
    assert all(line.startswith("error: ") for line in lines)
    assert any("did you mean ALPHAFORGE_BACKTEST__COMMISSION_BPS?" in line for line in lines)
    assert any(f"{config_file}: backtest.cash: got -1" in line for line in lines)
    assert any("ALPHAFORGE_BROKERS__ALPACA__SECRET_KEY" in line for line in lines)
    assert "xyz" not in result.output


def test_validate_no_env_ignores_settings_variables(clean_env: Path) -> None:
    env = {"ALPHAFORGE_BACKTEST__COMISSION_BPS": "2"}
    assert runner.invoke(app, ["config", "validate"], env=env).exit_code == 5
    assert runner.invoke(app, ["config", "validate", "--no-env"], env=env).exit_code == 0


def test_validate_missing_file_exit_5(clean_env: Path) -> None:
    result = runner.invoke(app, ["config", "validate", "nope.toml"])
    assert result.exit_code == 5
    assert "nope.toml: config file not found" in result.stderr


def test_schema_stdout_and_file(clean_env: Path) -> None:
    result = runner.invoke(app, ["config", "schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert {"backtest", "risk", "brokers", "notify"} <= set(schema["properties"])
    out = clean_env / "schema.json"
    result = runner.invoke(app, ["config", "schema", "--out", str(out)])
    assert result.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8")) == schema
