"""`alphaforge backtest` and `alphaforge strategies`: the main job from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alphaforge.cli._common import ExitCode, console, err_console
from alphaforge.cli.main import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def defaults_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No machine config, and tables wide enough that no cell is cut."""
    monkeypatch.delenv("ALPHAFORGE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    for con in (console, err_console):
        monkeypatch.setattr(con, "_width", 200)


def test_backtest_writes_every_file_and_prints_metrics(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["backtest", "-s", "sma_cross", "-p", "fast=20", "-p", "slow=100",
            "--data", "spx_daily", "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    for word in ("Sharpe ratio", "Max drawdown", "Benchmark total return", "tearsheet"):
        assert word in result.stdout
    names = {p.name for p in out.iterdir()}
    assert names == {"trades.csv", "orders.csv", "fills.csv", "equity.csv", "metrics.json",
                     "tearsheet.html"}  # fmt: skip
    document = json.loads((out / "metrics.json").read_text())
    assert document["params"] == {"fast": 20, "slow": 100, "mode": "long_only", "weight": 1.0}
    assert document["provenance"]["data"][0]["source"] == "bundled:spx_daily"
    assert document["provenance"]["alphaforge"]
    assert len(document["run_id"]) == 16
    html = (out / "tearsheet.html").read_text()
    assert "<script src=" not in html


def test_backtest_json_is_parseable() -> None:
    result = runner.invoke(
        app, ["backtest", "-s", "rsi_reversion", "--data", "msft_daily", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["metrics"]["number_of_trades"] > 0


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["-s", "sma_crosss"], ExitCode.NOT_FOUND, "did you mean 'sma_cross'"),
        (["-p", "fsat=3"], ExitCode.USAGE, "did you mean 'fast'"),
        (["-p", "fast"], ExitCode.USAGE, "KEY=VALUE"),
        (["-p", "fast=50", "-p", "slow=20"], ExitCode.USAGE, "must be shorter"),
        (["--data", "spx_dayly"], ExitCode.NOT_FOUND, "did you mean 'spx_daily'"),
        (["--fill", "passive"], ExitCode.USAGE, "not available"),
    ],
)
def test_bad_arguments_get_one_clear_line(args: list[str], code: int, words: str) -> None:
    result = runner.invoke(app, ["backtest", *args])
    assert result.exit_code == code, result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_strategies_list_and_show() -> None:
    listing = runner.invoke(app, ["strategies", "list"])
    assert listing.exit_code == 0
    for name in ("buy_and_hold", "sma_cross", "rsi_reversion"):
        assert name in listing.stdout
    shown = runner.invoke(app, ["strategies", "show", "rsi_reversion"])
    assert shown.exit_code == 0
    assert "Wilder" in shown.stdout
    assert "Enter long when RSI falls below this." in shown.stdout


def test_intrabar_policy_is_an_option() -> None:
    ok = runner.invoke(app, ["backtest", "--intrabar", "ohlc_path", "--start", "2018-01-01"])
    assert ok.exit_code == 0, ok.stderr
    bad = runner.invoke(app, ["backtest", "--intrabar", "sideways"])
    assert bad.exit_code != 0
    assert "pessimistic, ohlc_path, lower_timeframe" in bad.stderr


def test_risk_limits_are_options(tmp_path: Path) -> None:
    args = ["backtest", "-s", "sma_cross", "-p", "mode=long_short", "--allow-short",
            "--max-gross-leverage", "1.5", "--max-position-weight", "0.5",
            "--start", "2018-01-01", "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    out = tmp_path / "lim"
    runner.invoke(app, [*args[:-1], "--out", str(out)])
    settings = json.loads((out / "metrics.json").read_text())["settings"]["backtest"]
    assert settings["max_gross_leverage"] == 1.5
    assert settings["max_position_weight"] == 0.5


def test_a_run_of_days_warns_that_annualized_figures_mean_little() -> None:
    result = runner.invoke(app, ["backtest", "-s", "sma_cross", "--data", "binance_ethbtc_5m"])
    assert result.exit_code == 0, result.stderr
    assert "annualized figures" in result.stdout
    long_run = runner.invoke(app, ["backtest", "-s", "sma_cross", "--start", "2018-01-01"])
    assert "annualized figures" not in long_run.stdout
