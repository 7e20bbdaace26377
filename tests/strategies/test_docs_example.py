"""The strategy in docs/strategies.md runs as printed, and really trades a breakout."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import alphaforge as af

DOC = Path(__file__).parents[2] / "docs" / "strategies.md"


def _example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert blocks, "docs/strategies.md lost its example"
    return blocks[0]


def test_the_documented_strategy_is_about_20_lines() -> None:
    body = _example().split("class Breakout", 1)[1].split("result = ", 1)[0]
    lines = [line for line in body.splitlines() if line.strip()]
    assert len(lines) <= 22


def test_the_documented_strategy_runs_and_buys_new_highs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ALPHAFORGE_CONFIG", raising=False)
    monkeypatch.chdir(Path(__file__).parent)  # no ./alphaforge.toml here
    namespace: dict[str, object] = {"__name__": "docs_example"}
    exec(compile(_example(), str(DOC), "exec"), namespace)  # noqa: S102  # our own documentation
    result = namespace["result"]
    assert isinstance(result, af.BacktestResult)
    _sharpe, trades = capsys.readouterr().out.split()
    assert int(trades) == len(result.trades) > 10
    spx = af.load_dataset("spx_daily")
    # Every entry fill is the open after a close above the prior 55 highs.
    entries = result.fills[result.fills["side"] == "buy"]
    for ts in entries["ts"].iloc[:5]:
        i = spx.index.get_loc(pd.Timestamp(ts.date(), tz="UTC"))
        assert spx["close"].iloc[i - 1] > spx["high"].iloc[i - 56 : i - 1].max()


def test_the_documented_portfolio_strategy_rebalances_monthly() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    portfolio = next(b for b in blocks if "class EqualWeight" in b)
    namespace: dict[str, object] = {"__name__": "docs_example", "af": af}
    exec(compile(portfolio, str(DOC), "exec"), namespace)  # noqa: S102  # our own documentation
    strategy = namespace["EqualWeight"]
    result = af.backtest(strategy, "stocks20_close", symbols=["AAPL", "KO", "XOM"],  # type: ignore[arg-type]
                         start="2021-01-01")  # fmt: skip
    months = {(t.year, t.month) for t in result.orders["created"]}
    assert len(months) == 24  # 2021 and 2022, every month
    assert (result.orders["status"] == "filled").mean() > 0.95
