"""Bias checks on real data: planted peeks are caught and named, every built-in strategy passes
the look-ahead check, and the warm-up check finds what a 200-bar SMA needs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from alphaforge.data.bundled import load_dataset
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.market import Bar
from alphaforge.runtime import backtest
from alphaforge.runtime.bias import (
    WITH,
    check_lookahead,
    check_warmup,
    default_cuts,
)
from alphaforge.strategies import Strategy, StrategyContext, list_strategies
from alphaforge.testing import LookaheadError, assert_no_lookahead

# ---------------------------------------------------------------------------- planted peeks


class _Tomorrow(Strategy):
    """A strategy built from a DataFrame, with the classic bug: a signal made with shift(-1),
    so each bar 'knows' whether the next close is higher."""

    def __init__(self, frame: pd.DataFrame) -> None:
        super().__init__()
        self.up = frame["close"].shift(-1) > frame["close"]

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        day = pd.Timestamp(bar.ts_event, tz="UTC").normalize()
        ctx.target_percent(bar.symbol, 1.0 if self.up.get(day, False) else 0.0)


class _CheapVsHistory(Strategy):
    """Buys below the mean close of the frame it was built from: normalising with the whole
    sample's mean, a future average, is the other classic leak."""

    def __init__(self, frame: pd.DataFrame) -> None:
        super().__init__()
        self.mean = float(frame["close"].mean())

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        ctx.target_percent(bar.symbol, 1.0 if bar.close < self.mean else 0.0)


class _PeekKernel(Strategy):
    """Reads five bars ahead through the kernel's private arrays."""

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        stream = ctx._kernel.streams[(bar.symbol, "1d")]  # type: ignore[attr-defined]
        ahead = stream.arrays["close"][stream.position + 1 : stream.position + 6]
        if len(ahead) == 5:
            ctx.target_percent(bar.symbol, 1.0 if ahead[-1] > bar.close else 0.0)


def _tomorrow(frames: Any) -> Strategy:
    return _Tomorrow(frames["SPX"])


def test_a_shift_minus_one_signal_is_caught_and_the_decision_named() -> None:
    report = check_lookahead(_tomorrow, "spx_daily", start="2010-01-01")
    assert not report.passed
    first = report.first
    assert first is not None
    # Only the bar at a cut lacks its tomorrow in the cut run: the decision there is the leak.
    assert (first.signal, first.ts, first.change) == ("order", first.cut, WITH)
    assert first.with_future.startswith("buy ")
    assert first.with_future.endswith(" SPX market")
    assert report.verdict().startswith("LOOK-AHEAD")
    assert first.describe() in report.verdict()
    with pytest.raises(LookaheadError, match=re.escape(f"cut at {first.cut}: order at")):
        assert_no_lookahead(_tomorrow, "spx_daily", start="2010-01-01")


def test_a_full_sample_mean_leaks_long_before_the_cut() -> None:
    report = check_lookahead(lambda f: _CheapVsHistory(f["SPX"]), "spx_daily", start="2010-01-01")
    first = report.first
    assert first is not None
    assert first.signal == "order"
    assert first.ts < first.cut - pd.Timedelta(days=100)
    kinds = set(report.table["signal"])
    assert kinds == {"order", "fill", "equity"}  # the wrong decision, its fill, its equity


def test_every_difference_is_listed_per_cut_and_written(tmp_path: Path) -> None:
    report = check_lookahead(_PeekKernel, "spx_daily", start="2012-01-01")
    table = report.table
    assert len(table) == len(report.differences) > len(report.cuts)
    counts = report.cuts_table
    per_cut = counts[["order differences", "fill differences", "equity differences"]].sum(axis=1)
    for cut, expected in zip(counts["cut"], per_cut, strict=True):
        assert len(table[table["cut"] == cut]) == expected == len(report.at(cut))
    assert (per_cut > 0).sum() >= 2
    paths = report.write(tmp_path)
    assert len(pd.read_csv(paths["differences"])) == len(table)
    document = json.loads(paths["report"].read_text())
    assert document["passed"] is False
    assert len(document["differences"]) == len(table)
    assert document["first"]["ts"] == report.first.ts.isoformat()  # type: ignore[union-attr]
    markdown = report.to_markdown(max_rows=3)
    assert markdown.count("... and ") == (per_cut > 3).sum()  # each cut capped at 3 rows


def test_an_instance_holding_the_whole_frame_is_flagged_not_passed_silently() -> None:
    """Built outside the check, the strategy holds the future in every run: no cut reaches
    it, so the report passes and says why it cannot judge."""
    held = _Tomorrow(load_dataset("spx_daily"))
    report = check_lookahead(held, "spx_daily", start="2010-01-01")
    assert report.passed
    assert len(report.notes) == 1
    assert "holds 'up'" in report.notes[0]
    assert "factory" in report.notes[0]


def test_arguments_are_checked() -> None:
    with pytest.raises(InvalidValueError, match="not before the run's last bar"):
        check_lookahead("sma_cross", "spx_daily", start="2018-01-01", cuts=["2019-01-02"])
    with pytest.raises(InvalidValueError, match="params to the strategy's constructor"):
        check_lookahead(_Tomorrow(load_dataset("spx_daily")), "spx_daily", params={"a": 1})
    with pytest.raises(InvalidValueError, match="returned int, not a Strategy"):
        check_lookahead(lambda frames: 3, "spx_daily", start="2018-01-01")  # type: ignore[arg-type,return-value]
    with pytest.raises(InvalidValueError, match="cuts is empty"):
        check_lookahead("sma_cross", "spx_daily", start="2018-01-01", cuts=[])


def test_cuts_by_number_and_by_date() -> None:
    stamps = pd.date_range("2020-01-01", periods=300, freq="D", tz="UTC")
    assert len(default_cuts(stamps, 5)) == 10  # 5 bars and the next month's first bar of each
    assert default_cuts(stamps) == [stamps[100], pd.Timestamp("2020-05-01", tz="UTC"),
                                    stamps[200], pd.Timestamp("2020-08-01", tz="UTC")]  # fmt: skip
    report = check_lookahead("sma_cross", "spx_daily", start="2017-01-01",
                             cuts=["2017-06-30", pd.Timestamp("2017-03-01")])  # fmt: skip
    assert report.cuts == [pd.Timestamp("2017-03-01", tz="UTC"),
                           pd.Timestamp("2017-06-30", tz="UTC")]  # fmt: skip
    assert report.passed
    assert report.seconds > 0


# ---------------------------------------------------------------------------- every strategy

_SLOW = {"pca_reversion", "ml_signal"}  # 3.5-6.5 s; their own tests check them for look-ahead too
_WINDOW: dict[str, Any] = {"start": "2017-01-01", "end": "2018-06-30"}
_WINDOWS: dict[str, dict[str, Any]] = {
    "market_making": {},  # two days of XRP/ETH minutes: all of it
    "vol_arb": {},  # from 2014, when the VIX set begins
    "rsi_reversion": {"start": "2008-01-01", "end": "2012-12-31"},  # it trades rarely
}
_NAMES = [cls.strategy_name() for cls in list_strategies()]


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in _SLOW else n for n in _NAMES]
)
def test_every_built_in_strategy_passes_on_its_default_data(name: str) -> None:
    report = check_lookahead(name, **_WINDOWS.get(name, _WINDOW))
    assert report.passed, report.to_markdown()
    assert report.compared[-1]["orders"] > 0  # decisions were compared, not only equity


def test_the_registry_is_the_parametrized_list() -> None:
    assert len(_NAMES) >= 22
    assert "sma_cross" in _NAMES
    assert "pca_reversion" in _NAMES


# ---------------------------------------------------------------------------- warm-up

SMA200 = {"fast": 50, "slow": 200}


def test_a_200_bar_sma_needs_199_bars_of_history() -> None:
    """The SMA takes the first traded bar as its 200th: 199 bars before the start suffice;
    with none, the first 199 bars of the run are out of the market while the reference holds."""
    report = check_warmup("sma_cross", "spx_daily", params=SMA200, start="2005-01-03",
                          warmups=(0, 100, 150, 199, 250, "all"))  # fmt: skip
    rows = {r.warmup: r for r in report.rows}
    assert [rows[k].status for k in ("0", "100", "150")] == ["differs"] * 3
    assert [rows[k].status for k in ("199", "250", "all")] == ["identical", "identical",
                                                               "reference"]  # fmt: skip
    assert [rows[k].bars_positioned_differently for k in ("0", "100", "150")] == [199, 99, 49]
    assert rows["all"].bars == 1508  # every bar from 1999-01-04
    assert rows["199"].total_return == rows["all"].total_return
    assert rows["0"].total_return != rows["all"].total_return
    assert report.stable_from == 199
    assert report.passed
    assert report.verdict().startswith("results stable with >= 199 bars of history")
    assert "with 0 bars positions differ until 2005-10-17 20:00 (199 bars)" in report.verdict()


def test_the_longest_history_run_is_the_backtest_itself() -> None:
    """The runs are fed frames cut from the data; with all of it, the figures are exactly those
    of an ordinary backtest from the same start."""
    report = check_warmup("sma_cross", "spx_daily", params=SMA200, warmups=(0, "all"))
    plain = backtest("sma_cross", "spx_daily", params=SMA200, start=report.start)
    assert report.reference.total_return == plain.metrics.total_return
    assert report.reference.trades == plain.metrics.number_of_trades
    assert report.reference.bars == 5031 // 2  # default start with "all" asked: half the data


class _AboveLongRunMean(Strategy):
    """Long above the mean of all the history it has seen: its state grows with history, so no
    amount of warm-up makes it stable."""

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        mean = float(np.mean(ctx.history(bar.symbol)))
        ctx.target_percent(bar.symbol, 1.0 if bar.close > mean else 0.0)


def test_state_that_grows_with_history_is_unstable(tmp_path: Path) -> None:
    report = check_warmup(_AboveLongRunMean, "spx_daily", start="2008-01-02",
                          warmups=(250, 1000, "all"))  # fmt: skip
    assert not report.passed
    assert report.stable_from is None
    assert report.verdict().startswith("UNSTABLE")
    paths = report.write(tmp_path)
    assert json.loads(paths["report"].read_text())["passed"] is False
    assert list(pd.read_csv(paths["table"])["warmup"].astype(str)) == ["250", "1000", "all"]


def test_warmup_arguments_and_data_are_checked() -> None:
    with pytest.raises(InvalidValueError, match="not a number of bars"):
        check_warmup("sma_cross", "spx_daily", warmups=("ten",))
    with pytest.raises(InvalidValueError, match="negative"):
        check_warmup("sma_cross", "spx_daily", warmups=(-5,))
    with pytest.raises(InvalidValueError, match="trade as USD equities"):
        check_warmup("sma_cross", "eurusd_1h")  # fx would lose its tick size as a frame


def test_more_history_than_the_data_has_is_noted_and_run_once() -> None:
    report = check_warmup("sma_cross", "spx_daily", start="2000-01-03",
                          warmups=(100, 5000, "all"))  # fmt: skip
    assert sorted(r.bars for r in report.rows) == [100, 252]
    assert report.notes == ["asked 5000 bars, the data has 252"]
