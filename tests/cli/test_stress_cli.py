"""`alphaforge stress`: one table printed, and written as CSV, JSON and Markdown."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from alphaforge.cli._common import ExitCode, console, err_console
from alphaforge.cli.stress import stress_command

runner = CliRunner()
app = typer.Typer()
app.command("stress")(stress_command)


@app.command("other")
def _other() -> None:
    """A second command, so that ``stress`` is a sub-command as under ``alphaforge``."""


@pytest.fixture(autouse=True)
def defaults_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ALPHAFORGE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    for con in (console, err_console):
        monkeypatch.setattr(con, "_width", 200)


def test_stress_prints_the_table_and_writes_files(tmp_path: Path) -> None:
    out = tmp_path / "st"
    args = ["stress", "sma_cross", "--data", "spx_daily", "-p", "fast=20", "-p", "slow=100",
            "--shock-at", "2012-06-01", "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    for text in ("sma_cross fast=20 slow=100", "2020 crash", "not in data", "gap -10%",
                 "volume /10", "shock bar 2012-06-01"):  # fmt: skip
        assert text in result.stdout, text
    table = pd.read_csv(out / "stress.csv")
    assert list(table["kind"]) == ["baseline"] + ["historical"] * 6 + ["shock"] * 4
    document = json.loads((out / "stress.json").read_text())
    assert document["params"]["fast"] == 20
    assert document["shock_at"] == "2012-06-01"
    assert document["rows"][6]["status"] == "not in data"
    assert document["rows"][6]["return"] is None
    assert "| gap -10% | 2012-06-01 |" in (out / "stress.md").read_text()


def test_stress_windows_only_as_json() -> None:
    args = ["stress", "buy_and_hold", "-d", "spx_daily", "--shocks", "none", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["rows"]
    assert [r["kind"] for r in rows] == ["baseline"] + ["historical"] * 6


def test_stress_errors_are_one_line_with_exit_codes() -> None:
    result = runner.invoke(app, ["stress", "sma_cross", "-d", "spx_daily", "--shocks", "gapp"])
    assert result.exit_code == ExitCode.USAGE
    assert "did you mean 'gap'" in result.stderr
    result = runner.invoke(app, ["stress", "sma_cross", "-d", "spx_dialy"])
    assert result.exit_code == ExitCode.NOT_FOUND
    result = runner.invoke(app, ["stress", "sma_cross", "-d", "spx_daily", "-p", "fast"])
    assert result.exit_code == ExitCode.USAGE
    assert "KEY=VALUE" in result.stderr
    result = runner.invoke(app, ["stress", "sma_cross", "--backend", "cluster"])
    assert result.exit_code == ExitCode.USAGE
    assert "backend must be one of" in result.stderr
