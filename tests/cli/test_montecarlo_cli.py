"""`alphaforge montecarlo`: the tables, the probability of ruin and the files it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from alphaforge.cli._common import ExitCode, console, err_console
from alphaforge.cli.montecarlo import montecarlo_command

runner = CliRunner()
app = typer.Typer()
app.command("montecarlo")(montecarlo_command)


@app.callback()
def _root() -> None:
    """A stand-in for the real root (main.py registers the command)."""


@pytest.fixture(autouse=True)
def defaults_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ALPHAFORGE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    for con in (console, err_console):
        monkeypatch.setattr(con, "_width", 200)


def test_bootstrap_and_shocks_print_tables_and_write_files(tmp_path: Path) -> None:
    out = tmp_path / "mc"
    args = ["montecarlo", "sma_cross", "--data", "spx_daily", "-p", "fast=20", "-p", "slow=100",
            "--method", "block", "--paths", "400", "--seed", "7", "--ruin", "0.5",
            "--shocks", "costs,delay", "--runs", "2", "--backend", "serial",
            "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "block bootstrap of bar returns (blocks of 9 bars), 400 paths, seed 7" in text
    assert "cost shocks, 2 runs" in text
    assert "entry delays of 0-3 bars, 2 runs" in text
    assert "90% interval" in text
    assert "+57.2%" in text  # the original final return of SMA 20/100 on the S&P 500
    assert text.count("probability of ruin (a loss of 50% at some point)") == 3
    paths = pd.read_csv(out / "paths.csv")
    assert len(paths) == 400
    assert list(paths.columns) == ["path", "final_return", "max_drawdown", "sharpe",
                                   "min_equity", "ruined"]  # fmt: skip
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["test"]) == {"block", "cost_shocks", "entry_delays"}
    assert len(pd.read_csv(out / "costs.csv")) == 2
    assert len(pd.read_csv(out / "delays.csv")) == 2
    assert len(pd.read_csv(out / "bands.csv")) == 5031  # every step of 5,030 returns, and 0
    document = json.loads((out / "summary.json").read_text())
    assert document["bootstrap"]["n_paths"] == 400
    assert document["bootstrap"]["prob_ruin"] == pytest.approx(paths["ruined"].mean())
    assert document["entry_delays"]["settings"]["max_delay"] == 3


def test_same_seed_prints_the_same_table() -> None:
    args = ["montecarlo", "sma_cross", "-p", "fast=20", "-p", "slow=100", "--method", "iid",
            "--paths", "300", "--seed", "3"]  # fmt: skip
    first, second = runner.invoke(app, args), runner.invoke(app, args)
    assert first.exit_code == 0, first.stderr
    assert "iid bootstrap of bar returns" in first.stdout
    assert first.stdout == second.stdout


def test_trades_are_reshuffled() -> None:
    args = ["montecarlo", "sma_cross", "-p", "fast=20", "-p", "slow=100", "--method", "trades",
            "--paths", "300"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert "closed trades reshuffled, 300 paths" in result.stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--method", "bootstrap"], "--method must be one of"),
        (["--shocks", "costs,latency"], "--shocks takes costs, delay; got latency"),
        (["--method", "trades", "--block", "5"], "--block is for"),
        (["-p", "fast"], "is not KEY=VALUE"),
        (["--ruin", "2"], "ruin threshold"),
    ],
)
def test_bad_options_are_one_line_errors(extra: list[str], message: str) -> None:
    result = runner.invoke(app, ["montecarlo", "sma_cross", "--paths", "10", *extra])
    assert result.exit_code == ExitCode.USAGE
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_strategy_is_not_found() -> None:
    result = runner.invoke(app, ["montecarlo", "sma_cros", "--paths", "10"])
    assert result.exit_code == ExitCode.NOT_FOUND
    assert "did you mean 'sma_cross'" in result.stderr
