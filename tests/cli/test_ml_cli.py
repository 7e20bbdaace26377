"""`alphaforge ml`: the replication, feature matrices and the evaluation of saved predictions from
the command line, on the bundled data (the sub-app is mounted here as main.py mounts it)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from alphaforge.cli._common import ExitCode, console, err_console
from alphaforge.cli.ml import ml_app

runner = CliRunner()
app = typer.Typer()
app.add_typer(ml_app, name="ml")

SMALL = ["ml", "replicate", "--start", "2008-01-01", "--end", "2013-12-31", "--min-train", "504",
         "--top-k", "2", "--bottom-k", "2", "--no-tearsheet"]  # fmt: skip
for _symbol in ("AAPL", "MSFT", "JPM", "XOM", "KO", "PG"):
    SMALL += ["--symbols", _symbol]


@pytest.fixture(autouse=True)
def defaults_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No machine config, and output wide enough that no line is cut."""
    monkeypatch.delenv("ALPHAFORGE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    for con in (console, err_console):
        monkeypatch.setattr(con, "_width", 220)


def test_replicate_prints_the_tables_and_writes_them(tmp_path: Path) -> None:
    result = runner.invoke(app, [*SMALL, "--out", str(tmp_path / "rep")])
    assert result.exit_code == 0, result.output
    assert "**Signal quality (out of sample)**" in result.output
    assert "| ml_signal (model) |" in result.output
    report = (tmp_path / "rep" / "report.md").read_text()
    assert report.split("**Wall time**")[0] in result.output  # printed unedited
    performance = pd.read_csv(tmp_path / "rep" / "performance.csv", index_col="strategy")
    assert "buy_and_hold (equal weight)" in performance.index
    assert (tmp_path / "rep" / "report.html").exists()

    evaluated = runner.invoke(app, ["ml", "evaluate", str(tmp_path / "rep" / "predictions.csv"),
                                    "--out", str(tmp_path / "ic.csv")])  # fmt: skip
    assert evaluated.exit_code == 0, evaluated.output
    table = pd.read_csv(tmp_path / "ic.csv", index_col="year")
    signal = pd.read_csv(tmp_path / "rep" / "signal.csv", index_col="signal")
    # The evaluation on the whole data set sees the labels of the last days too, which the
    # experiment (cut at --end) could not score: same IC up to those few dates.
    assert table.loc["2012", "ic"] == pytest.approx(
        pd.read_csv(tmp_path / "rep" / "scores_by_year.csv", index_col="year").loc["2012", "ic"]
    )
    assert abs(table.loc["all", "ic"] - signal.loc["model", "ic"]) < 0.01


def test_replicate_single_asset() -> None:
    result = runner.invoke(app, ["ml", "replicate", "--single", "--start", "2005-01-01",
                                 "--min-train", "756", "--no-tearsheet"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "| buy_and_hold |" in result.output
    assert "balanced_accuracy" in result.output


def test_features_of_one_asset_and_of_a_panel(tmp_path: Path) -> None:
    one = runner.invoke(app, ["ml", "features", "spx_daily", "--out", str(tmp_path / "f.csv")])
    assert one.exit_code == 0, one.output
    assert "5,031 rows x 37 features" in one.output
    saved = pd.read_csv(tmp_path / "f.csv", index_col=0)
    assert saved.shape == (5031, 37)
    panel = runner.invoke(app, ["ml", "features", "stocks20_close", "--features", "close_only",
                                "--transform", "rank", "--start", "2021-01-01",
                                "--out", str(tmp_path / "p.parquet")])  # fmt: skip
    assert panel.exit_code == 0, panel.output
    ranks = pd.read_parquet(tmp_path / "p.parquet")
    assert list(ranks.index.names) == ["ts", "symbol"]
    assert ranks.shape[1] == 24
    values = ranks.stack().dropna()  # the warm-up's NaN stay NaN
    assert len(values) > 100_000
    assert values.between(0, 1).all()


def test_features_takes_the_lifecycle_option_name_and_still_its_old_one() -> None:
    # `ml train | tune` call the feature set --features; `ml features` took --set, kept hidden.
    recent = ["ml", "features", "spx_daily", "--start", "2017-01-01"]
    for flags in (["--features", "close_only"], ["--set", "close_only"],
                  ["--features", "close_only", "--set", "close_only"]):  # fmt: skip
        result = runner.invoke(app, [*recent, *flags])
        assert result.exit_code == 0, result.output
        assert "502 rows x 24 features" in result.output
    assert "x 37 features" in runner.invoke(app, recent).output  # classic by default
    both = runner.invoke(app, [*recent, "--features", "classic", "--set", "close_only"])
    assert both.exit_code == ExitCode.USAGE
    assert "--features classic and --set close_only disagree" in both.output
    for flag in ("--features", "--set"):
        bad = runner.invoke(app, [*recent, flag, "closeonly"])
        assert bad.exit_code == ExitCode.USAGE
        assert f"{flag} must be classic or close_only, got 'closeonly'" in bad.output
    shown = runner.invoke(app, ["ml", "features", "--help"]).output
    assert "--features" in shown
    assert "--set" not in shown


def test_errors_are_one_line_with_the_documented_exit_codes(tmp_path: Path) -> None:
    unknown = runner.invoke(app, ["ml", "features", "no_such_data"])
    assert unknown.exit_code == ExitCode.NOT_FOUND
    assert "Traceback" not in unknown.output
    bad = runner.invoke(app, ["ml", "features", "spx_daily", "--transform", "rank"])
    assert bad.exit_code == ExitCode.USAGE
    assert "needs a panel" in bad.output
    suffix = runner.invoke(app, ["ml", "features", "spx_daily", "--out", str(tmp_path / "x.txt")])
    assert suffix.exit_code == ExitCode.USAGE
    missing = runner.invoke(app, ["ml", "evaluate", str(tmp_path / "none.csv")])
    assert missing.exit_code == ExitCode.NOT_FOUND
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    columns = runner.invoke(app, ["ml", "evaluate", str(tmp_path / "bad.csv")])
    assert columns.exit_code == ExitCode.USAGE
    assert "needs columns ts, symbol and prediction" in columns.output
    single = runner.invoke(app, ["ml", "replicate", "--single", "--top-k", "3"])
    assert single.exit_code == ExitCode.USAGE
    freq = runner.invoke(app, ["ml", "replicate", "--rebalance", "Q"])
    assert freq.exit_code == ExitCode.USAGE
