"""The comparison table in docs/strategies.md is exactly what `alphaforge compare --split
2014-01-01` produces today (slow: it runs all 106 backtests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from alphaforge.runtime.compare import asset_groups, plan_jobs, run_compare

DOC = Path(__file__).parents[2] / "docs" / "strategies.md"


@pytest.mark.slow
def test_the_documented_table_is_the_current_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALPHAFORGE_CONFIG", raising=False)
    monkeypatch.chdir(Path(__file__).parent)  # no ./alphaforge.toml here
    jobs = plan_jobs(None, asset_groups(None), split="2014-01-01")
    table = run_compare(jobs, split="2014-01-01").to_markdown().rstrip("\n")
    assert table in DOC.read_text(), "rerun `alphaforge compare --split 2014-01-01` and paste it"
