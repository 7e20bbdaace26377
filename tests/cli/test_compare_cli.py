"""`alphaforge compare`: one table and one page, in-sample and out-of-sample apart."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from alphaforge.cli._common import ExitCode, console, err_console
from alphaforge.cli.main import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def defaults_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ALPHAFORGE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    for con in (console, err_console):
        monkeypatch.setattr(con, "_width", 200)


def test_compare_writes_table_markdown_and_page(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    args = ["compare", "-s", "sma_cross,rsi_reversion", "--symbols", "SPX", "--symbols", "GOOG",
            "--split", "2010-01-01", "--workers", "1", "-o", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert "in-sample (after costs)" in result.stdout
    assert "out-of-sample (after costs)" in result.stdout
    table = pd.read_csv(out / "compare.csv")
    assert len(table) == 8  # 2 strategies x 2 assets x 2 periods
    assert set(table["period"]) == {"in-sample", "out-of-sample"}
    assert table["error"].isna().all()
    page = (out / "compare.html").read_text()
    assert page.count('class="card-section"') >= 3  # in-sample, out-of-sample, reproduce
    assert "Plotly" in page
    assert "https://" not in page.split("<body>")[1].split("<script")[0]
    assert "| sma_cross | GOOG | in-sample |" in (out / "compare.md").read_text()


def test_compare_json_and_strategy_parameters(tmp_path: Path) -> None:
    args = ["compare", "-s", "sma_cross", "--symbols", "MSFT", "-p", "sma_cross.fast=5",
            "--workers", "1", "--json", "-o", str(tmp_path / "j")]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    (row,) = document["rows"]
    assert row["period"] == "full"
    assert "-p fast=5" in row["command"]


def test_compare_bad_parameter_is_a_clear_error() -> None:
    result = runner.invoke(app, ["compare", "-s", "sma_cross", "-p", "fast=5"])
    assert result.exit_code == ExitCode.USAGE
    assert "STRATEGY.PARAM=VALUE" in result.stderr
    result = runner.invoke(app, ["compare", "-s", "sma_cros"])
    assert "did you mean 'sma_cross'" in result.stderr
