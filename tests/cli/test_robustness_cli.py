"""`alphaforge robustness` on the bundled S&P 500: the verdict on the terminal, robustness.html
and robustness.json in the output folder, and the command on the page reproducing the report
(the command is mounted on an app built here, as main.py will do)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from alphaforge.cli._common import ExitCode, console, err_console
from alphaforge.cli.robustness import robustness_command

runner = CliRunner()
app = typer.Typer()
app.command("robustness")(robustness_command)


@app.callback()
def _root() -> None:
    """A root, so the command keeps its name as on ``alphaforge``."""


SMALL = ["robustness", "sma_cross", "--data", "spx_daily", "--start", "2012-01-01",
         "--windows", "2", "--method", "random", "--trials", "4", "--space", "fast=10:50:20",
         "--space", "slow=100:200:50", "--paths", "100", "--backend", "serial",
         "--seed", "5"]  # fmt: skip


@pytest.fixture(autouse=True)
def defaults_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No machine config, a scratch working folder, tables wide enough that no cell is cut."""
    monkeypatch.delenv("ALPHAFORGE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    for con in (console, err_console):
        monkeypatch.setattr(con, "_width", 220)


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Two reports agree on every figure (only the wall time may differ)."""
    for key in ("grade", "verdict", "checks", "evidence", "command", "settings", "montecarlo",
                "buy_and_hold", "stress_params", "stress"):  # fmt: skip
        assert a[key] == b[key] if key != "stress" else a[key]["rows"] == b[key]["rows"], key
    drop = {"seconds", "backend"}
    assert {k: v for k, v in a["full_period"].items() if k not in drop} == {
        k: v for k, v in b["full_period"].items() if k not in drop
    }
    wa, wb = a["walkforward"], b["walkforward"]
    assert wa["windows_table"] == wb["windows_table"]
    assert wa["out_of_sample"] == wb["out_of_sample"]


def _run(args: list[str]) -> dict[str, Any]:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_robustness_prints_the_verdict_and_writes_the_files(tmp_path: Path) -> None:
    result = runner.invoke(app, SMALL)  # default --out: out/robustness/STRATEGY
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "robustness" / "sma_cross"
    assert {p.name for p in folder.iterdir()} == {"robustness.html", "robustness.json"}
    document = json.loads((folder / "robustness.json").read_text())
    lines = result.stdout.splitlines()
    assert document["verdict"][0] in lines  # the grade line, then one line per check
    for check in document["checks"]:
        status = check["status"].upper()
        assert any(line.split() and line.split()[0] == status and check["reason"] in line
                   for line in lines), check["name"]  # fmt: skip
    assert f"reproduce: {document['command']}" in result.stdout
    page = (folder / "robustness.html").read_text()
    assert "<script src=" not in page
    assert document["command"] in page.replace("&#x27;", "'")
    # the command on the page, run again, gives the same report (and --json prints it)
    args = shlex.split(document["command"])
    assert args[:2] == ["alphaforge", "robustness"]
    again = _run([*args[1:], "--backend", "serial", "--out", str(tmp_path / "again"), "--json"])
    _same(again, json.loads((tmp_path / "again" / "robustness.json").read_text()))
    _same(again, document)


@pytest.mark.slow
def test_the_command_as_printed_reproduces_on_a_process_pool(tmp_path: Path) -> None:
    first = _run([*SMALL, "--json"])
    args = shlex.split(first["command"])
    assert "--backend" not in args  # as printed: the default process pool
    _same(_run([*args[1:], "--out", str(tmp_path / "pool"), "--json"]), first)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--stress-params", "middle"], "stress_params must be 'last'"),
        (["--mc-method", "trades"], "mc_method must be iid, block or stationary"),
        (["--space", "fastt=5:50:5"], "has no parameter 'fastt'"),
        (["--heatmap", "fast,period"], "heatmap takes one or two parameters"),
        (["--space", "fast"], "is not NAME=LOW:HIGH"),
    ],
)
def test_bad_options_exit_with_a_usage_error(args: list[str], words: str) -> None:
    result = runner.invoke(app, [*SMALL, *args])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert words in result.stderr
    assert "Traceback" not in result.output
