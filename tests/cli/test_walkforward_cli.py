"""`alphaforge walkforward`: windows, IS vs OOS, efficiency and overfitting from the command line,
on the bundled S&P 500 (the command is mounted on an app built here, as main.py will do)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from alphaforge.cli._common import ExitCode, console, err_console
from alphaforge.cli.walkforward import walkforward_command

runner = CliRunner()
app = typer.Typer()
app.command("walkforward")(walkforward_command)


@app.callback()
def _root() -> None:
    """A root, so the command keeps its name as on ``alphaforge``."""


SMALL = ["walkforward", "sma_cross", "--data", "spx_daily", "--start", "2008-01-01",
         "--windows", "3", "--method", "random", "--trials", "6", "--space", "fast=10:50:10",
         "--space", "slow=100:250:50", "--backend", "serial", "--seed", "7"]  # fmt: skip


@pytest.fixture(autouse=True)
def defaults_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No machine config, and tables wide enough that no cell is cut."""
    monkeypatch.delenv("ALPHAFORGE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    for con in (console, err_console):
        monkeypatch.setattr(con, "_width", 220)


def test_walkforward_prints_windows_is_vs_oos_and_writes_files(tmp_path: Path) -> None:
    out = tmp_path / "wf"
    result = runner.invoke(app, [*SMALL, "--purge", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for words in ("Windows (train -> test)", "In-sample vs out-of-sample", "out-of-sample "
                  "(stitched)", "Walk-forward efficiency (OOS / IS)", "PSR", "DSR",
                  "Parameter stability", "walkforward.html"):  # fmt: skip
        assert words in result.stdout
    names = {p.name for p in out.iterdir()}
    assert names == {"windows.csv", "oos_equity.csv", "summary.json", "walkforward.html",
                     "window_01", "window_02", "window_03"}  # fmt: skip
    windows = pd.read_csv(out / "windows.csv")
    assert list(windows["window"]) == [1, 2, 3]
    assert {"fast", "slow", "is_sharpe_ratio", "oos_sharpe_ratio", "wfe", "pbo"} <= set(windows)
    curve = pd.read_csv(out / "oos_equity.csv")
    assert len(curve) == windows["test_bars"].sum() + 1
    assert curve["equity"].iloc[0] == 1.0
    assert set(curve["window"]) == {0, 1, 2, 3}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["settings"]["purge"] == 2
    assert summary["trials"] == summary["overfitting"]["n_trials"]
    assert summary["command"].startswith("alphaforge ")
    page = (out / "walkforward.html").read_text()
    assert "<script src=" not in page  # plotly.js inline: the page opens offline
    assert "Stitched out-of-sample equity" in page
    assert "Walk-forward efficiency" in page


def test_walkforward_json_is_parseable() -> None:
    result = runner.invoke(app, [*SMALL, "--scheme", "anchored", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["windows"] == 3
    assert document["settings"]["scheme"] == "anchored"
    assert set(document["efficiency"]) == {"annual_return", "sharpe_ratio"}
    assert document["out_of_sample"]["sharpe_ratio"] is not None


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--train", "1.5"], ExitCode.USAGE, "between 0 and 1"),
        (["--scheme", "expanding"], ExitCode.USAGE, "rolling' or 'anchored"),
        (["--test", "3m"], ExitCode.USAGE, "ambiguous"),
        (["--windows", "2000"], ExitCode.USAGE, "cannot hold"),
        (["--windows", "400"], ExitCode.USAGE, "needs at least 17"),
        (["--method", "anneal"], ExitCode.USAGE, "method must be"),
        (["--space", "fsat=1:5"], ExitCode.USAGE, "did you mean 'fast'"),
    ],
)
def test_walkforward_bad_input_is_one_clear_line(
    args: list[str], code: ExitCode, words: str
) -> None:
    result = runner.invoke(app, [*SMALL, *args])
    assert result.exit_code == code, result.output
    assert words in result.stderr
    assert "Traceback" not in result.output


def test_walkforward_unknown_strategy_suggests_a_name() -> None:
    result = runner.invoke(app, ["walkforward", "sma_crosss", "--windows", "2"])
    assert result.exit_code == ExitCode.NOT_FOUND
    assert "did you mean 'sma_cross'" in result.stderr
