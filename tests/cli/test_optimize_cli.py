"""`alphaforge optimize` on the bundled S&P 500: the table, the files, resuming, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from alphaforge.cli._common import ExitCode, console, err_console
from alphaforge.cli.main import app

runner = CliRunner()

SMALL = ["optimize", "sma_cross", "--data", "spx_daily", "--end", "2006-12-29",
         "--space", "fast=10:40:10", "--space", "slow=30:90:30", "--backend", "serial"]  # fmt: skip


@pytest.fixture(autouse=True)
def defaults_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No machine config, and tables wide enough that no cell is cut."""
    monkeypatch.delenv("ALPHAFORGE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    for con in (console, err_console):
        monkeypatch.setattr(con, "_width", 220)


def test_a_grid_prints_the_winner_and_writes_its_study(tmp_path: Path) -> None:
    out = tmp_path / "study"
    result = runner.invoke(app, [*SMALL, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Top 10 of 10 trials" in result.output
    assert "(2 sets refused by the strategy)" in result.output  # fast >= slow
    assert "dsr" in result.output
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 12
    summary = json.loads((out / "summary.json").read_text())
    assert summary["trials"] == 10
    best = trials[trials["state"] == "ok"].sort_values("sharpe_ratio").iloc[-1]
    assert json.loads(best["params"]) == summary["best_params"]
    assert summary["overfitting"]["n_trials"] == 10
    page = (out / "optimization.html").read_text()
    assert "How likely is the best set overfit?" in page
    assert 'id="reproduce"' in page  # the command that rewrites this page


def test_a_rerun_resumes_and_fresh_starts_over(tmp_path: Path) -> None:
    out = tmp_path / "study"
    first = runner.invoke(app, [*SMALL, "--out", str(out), "--json"])
    again = runner.invoke(app, [*SMALL, "--out", str(out), "--json"])
    assert first.exit_code == again.exit_code == 0
    one, two = json.loads(first.stdout), json.loads(again.stdout)
    assert one["best_params"] == two["best_params"]
    assert len(pd.read_csv(out / "trials.csv")) == 12  # nothing ran twice
    fresh = runner.invoke(app, [*SMALL, "--out", str(out), "--fresh", "--json"])
    assert fresh.exit_code == 0
    assert len(pd.read_csv(out / "trials.csv")) == 12


def test_constraints_and_tpe_from_the_command_line(tmp_path: Path) -> None:
    result = runner.invoke(app, [*SMALL, "--method", "tpe", "--trials", "8", "--seed", "3",
                                 "-c", "number_of_trades>=5", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["method"] == "tpe"
    assert summary["trials"] + summary["invalid_sets"] == 8
    assert summary["constraints"] == ["number_of_trades >= 5"]
    assert summary["best_metrics"]["number_of_trades"] >= 5


@pytest.mark.parametrize(
    ("extra", "code", "text"),
    [
        (["--space", "fast=100:5"], ExitCode.USAGE, "--space fast=100:5"),
        (["--space", "slwo=100:200:50"], ExitCode.USAGE, "did you mean 'slow'"),
        (["--method", "anneal"], ExitCode.USAGE, "method must be one of"),
        (["--backend", "dask"], ExitCode.USAGE, "backend must be one of"),
    ],
)
def test_bad_input_is_one_clear_line(extra: list[str], code: ExitCode, text: str) -> None:
    result = runner.invoke(app, [*SMALL, *extra])
    assert result.exit_code == code, result.output
    assert text in result.output


def test_an_unknown_strategy_is_not_found() -> None:
    result = runner.invoke(app, ["optimize", "sma_crosss", "--backend", "serial"])
    assert result.exit_code == ExitCode.NOT_FOUND
    assert "did you mean 'sma_cross'" in result.output


def test_undefined_statistics_read_n_a() -> None:
    """One set: no spread across trials, so DSR and PBO are undefined and say so."""
    result = runner.invoke(app, ["optimize", "sma_cross", "--data", "spx_daily", "--end",
                                 "2006-12-29", "--space", "fast=10", "--space", "slow=50",
                                 "--backend", "serial"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "None" not in result.output
    assert "DSR undefined" in result.output
