"""`alphaforge check lookahead|warmup` on real data: tables, verdicts, files and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alphaforge.cli._common import ExitCode, console, err_console
from alphaforge.cli.check import check_app

runner = CliRunner()

PEEK = '''
import pandas as pd

from alphaforge.strategies import Strategy


class Tomorrow(Strategy):
    """Built from its frame with shift(-1): each bar knows whether the next close is higher."""

    def __init__(self, frame):
        super().__init__()
        self.up = frame["close"].shift(-1) > frame["close"]

    def on_bar(self, bar, ctx):
        day = pd.Timestamp(bar.ts_event, tz="UTC").normalize()
        ctx.target_percent(bar.symbol, 1.0 if self.up.get(day, False) else 0.0)


def build(frames):
    return Tomorrow(frames["SPX"])


class LongRunMean(Strategy):
    """Long above the mean of all history seen: never stable, whatever the warm-up."""

    def on_bar(self, bar, ctx):
        mean = float(ctx.history(bar.symbol).mean())
        ctx.target_percent(bar.symbol, 1.0 if bar.close > mean else 0.0)
'''


@pytest.fixture(autouse=True)
def defaults_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No machine config, and tables wide enough that no cell is cut."""
    monkeypatch.delenv("ALPHAFORGE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    for con in (console, err_console):
        monkeypatch.setattr(con, "_width", 220)


@pytest.fixture
def peek_file(tmp_path: Path) -> Path:
    path = tmp_path / "peek_strategies.py"
    path.write_text(PEEK, encoding="utf-8")
    return path


def test_an_honest_strategy_passes_with_its_cut_table(tmp_path: Path) -> None:
    out = tmp_path / "report"
    args = ["lookahead", "sma_cross", "-p", "fast=20", "-p", "slow=100", "--data", "spx_daily",
            "--start", "2012-01-01", "--cuts", "3", "--out", str(out)]  # fmt: skip
    result = runner.invoke(check_app, args)
    assert result.exit_code == 0, result.output
    assert "no look-ahead found at 6 cuts" in result.stdout
    assert "7 runs in" in result.stdout  # the full run and one per cut, timed
    assert {p.name for p in out.iterdir()} == {
        "lookahead.json", "lookahead_cuts.csv", "lookahead_differences.csv"
    }  # fmt: skip
    document = json.loads((out / "lookahead.json").read_text())
    assert document["passed"] is True
    assert document["params"]["slow"] == 100
    assert len(document["cuts"]) == 6
    assert document["differences"] == []


def test_a_peek_from_a_file_fails_and_names_the_first_signal(
    peek_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "peek"
    args = ["lookahead", f"{peek_file}:build", "--data", "spx_daily", "--start", "2010-01-01",
            "--cuts", "2", "--show", "1", "--out", str(out)]  # fmt: skip
    result = runner.invoke(check_app, args)
    assert result.exit_code == ExitCode.FAILED, result.output
    assert "LOOK-AHEAD" in result.stdout
    assert "first: order at 2016-01-04 21:00 only with the future known: buy" in result.stdout
    document = json.loads((out / "lookahead.json").read_text())
    assert document["first"]["signal"] == "order"
    assert document["passed"] is False


def test_json_output_and_explicit_cuts() -> None:
    args = ["lookahead", "sma_cross", "--data", "spx_daily", "--start", "2016-01-01",
            "--cuts", "2016-06-01,2017-03-01", "--json"]  # fmt: skip
    result = runner.invoke(check_app, args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [c["cut"][:10] for c in document["cuts"]] == ["2016-06-01", "2017-03-01"]


@pytest.mark.parametrize(
    ("strategy", "code", "message"),
    [
        ("no_such", ExitCode.NOT_FOUND, "no strategy named 'no_such'"),
        ("missing_file.py:Thing", ExitCode.NOT_FOUND, "no strategy file"),
        ("alphaforge.no_such_module:Thing", ExitCode.USAGE, "cannot import"),
        ("alphaforge.strategies:SmaCros", ExitCode.USAGE, "has no 'SmaCros'"),
    ],
)
def test_an_unknown_strategy_is_one_clear_line(strategy: str, code: int, message: str) -> None:
    result = runner.invoke(check_app, ["lookahead", strategy, "--data", "spx_daily"])
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_cut_after_the_data_is_a_usage_error() -> None:
    args = ["lookahead", "sma_cross", "--data", "spx_daily", "--start", "2018-01-01",
            "--cuts", "2019-06-01"]  # fmt: skip
    result = runner.invoke(check_app, args)
    assert result.exit_code == ExitCode.USAGE
    assert "not before the run's last bar" in result.stderr


def test_warmup_of_a_200_bar_sma_is_stable_from_199_bars(tmp_path: Path) -> None:
    args = ["warmup", "sma_cross", "-p", "fast=50", "-p", "slow=200", "--data", "spx_daily",
            "--start", "2005-01-03", "--warmups", "0,150,199,all", "--strict",
            "--out", str(tmp_path / "w")]  # fmt: skip
    result = runner.invoke(check_app, args)
    assert result.exit_code == 0, result.output
    assert "results stable with >= 199 bars of history" in result.stdout
    assert "4 runs in" in result.stdout
    for word in ("differs", "identical", "reference", "total return", "first trade"):
        assert word in result.stdout
    document = json.loads((tmp_path / "w" / "warmup.json").read_text())
    assert document["stable_from"] == 199
    assert document["reference_bars"] == 1508


def test_warmup_strict_fails_only_when_asked(peek_file: Path) -> None:
    args = ["warmup", f"{peek_file}:LongRunMean", "--data", "spx_daily",
            "--start", "2008-01-02", "--warmups", "250,1000,all"]  # fmt: skip
    relaxed = runner.invoke(check_app, args)
    assert relaxed.exit_code == 0, relaxed.output
    assert "UNSTABLE" in relaxed.stdout
    strict = runner.invoke(check_app, [*args, "--strict"])
    assert strict.exit_code == ExitCode.FAILED


def test_warmup_refuses_bad_input() -> None:
    bad = runner.invoke(check_app, ["warmup", "sma_cross", "--warmups", "0,lots"])
    assert bad.exit_code == ExitCode.USAGE
    assert "'lots' is not a number" in bad.stderr
    fx = runner.invoke(check_app, ["warmup", "sma_cross", "--data", "eurusd_1h"])
    assert fx.exit_code == ExitCode.USAGE
    assert "USD equities" in fx.stderr


def test_the_documented_warmup_example_is_what_the_command_prints() -> None:
    """docs/bias_checks.md pastes this run; every table row and the verdict must still match
    (the title's wall time aside)."""
    doc = (Path(__file__).parents[2] / "docs" / "bias_checks.md").read_text(encoding="utf-8")
    documented = {" ".join(line.split()) for line in doc.splitlines()}
    args = ["warmup", "sma_cross", "-p", "fast=50", "-p", "slow=200", "--data", "spx_daily",
            "--start", "2005-01-03", "--warmups", "0,100,150,199,250,all"]  # fmt: skip
    assert f"$ alphaforge check {' '.join(args)}" in documented
    result = runner.invoke(check_app, args)
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    rows = [
        line for line in lines if line.split(" ")[0] in ("0", "100", "150", "199", "250", "all")
    ]
    assert len(rows) == 6
    for line in [*rows, lines[-1]]:
        assert line in documented, line
