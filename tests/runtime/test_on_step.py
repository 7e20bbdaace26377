"""on_step runs once per timestamp after every bar of it, so cross-asset decisions see them all."""

from __future__ import annotations

import pandas as pd

from alphaforge.data.bundled import load_dataset as af_load
from alphaforge.domain.market import Bar
from alphaforge.runtime import backtest
from alphaforge.strategies import Strategy, StrategyContext
from alphaforge.strategies.schedule import Every


class _Monthly(Strategy):
    def on_start(self, ctx: StrategyContext) -> None:
        self.steps: list[int] = []
        self.bars_at_step: list[int] = []
        self.bars = 0
        self.every = Every("M")

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        self.bars += 1

    def on_step(self, ctx: StrategyContext) -> None:
        self.steps.append(ctx.now_ns)
        self.bars_at_step.append(self.bars)
        for symbol in ctx.symbols:  # every symbol's history already holds this timestamp's bar
            assert ctx.history(symbol, "close", 1).size == 1
        if self.every(ctx.now_ns):
            n = len(ctx.symbols)
            ctx.target_weights({s: 0.9 / n for s in ctx.symbols})


def test_on_step_once_per_timestamp_after_all_bars() -> None:
    strat = _Monthly()
    result = backtest(strat, "stocks20_close", symbols=["AAPL", "MSFT", "XOM"], start="2020-01-01")
    assert len(strat.steps) == len(result.equity) == len(set(strat.steps))
    assert strat.steps == sorted(strat.steps)
    assert strat.bars_at_step[-1] == strat.bars  # the last step came after the last bar

    def months(index: object) -> set[tuple[int, int]]:
        return {(t.year, t.month) for t in index}  # type: ignore[attr-defined]

    assert months(result.orders["created"]) == months(result.equity.index)  # monthly rebalance


class _Recorder(Strategy):
    """Records, at every on_step, the last close each symbol's history shows."""

    def on_start(self, ctx: StrategyContext) -> None:
        self.seen: list[tuple[int, dict[str, float]]] = []

    def on_step(self, ctx: StrategyContext) -> None:
        last = {s: float(ctx.history(s, "close", 1)[0]) for s in ctx.symbols}
        self.seen.append((ctx.now_ns, last))


def test_on_step_history_ends_at_the_step_not_at_the_next_bar() -> None:
    """Regression: the next timestamp's first bar was counted before the step closed, so
    on_step saw one future close of the first symbol in feed order."""
    strat = _Recorder()
    backtest(strat, "stocks20_close", symbols=["AAPL", "XOM"], start="2022-06-01",
             end="2022-06-30")  # fmt: skip
    frame = af_load("stocks20_close")
    for ts, last in strat.seen:
        day = pd.Timestamp(ts, tz="UTC").normalize()
        for symbol, close in last.items():
            assert close == frame.loc[:day, symbol].dropna().iloc[-1]


class _FirstStep(Strategy):
    def on_start(self, ctx: StrategyContext) -> None:
        self.done = False

    def on_step(self, ctx: StrategyContext) -> None:
        if not self.done:
            self.done = True
            ctx.target_weights(dict.fromkeys(ctx.symbols, 0.45))


def test_symbols_without_a_bar_at_start_are_priced_from_the_warm_up() -> None:
    """WTI has no bar on 2000-01-03 (the S&P 500's first session of 2000): sizing it at the
    start used to fail with "no price yet" although its warm-up closes were known."""
    result = backtest(_FirstStep(), ["spx_daily", "wti_daily"], start="2000-01-03")
    filled = result.orders[result.orders["status"] == "filled"]
    assert sorted(filled["symbol"]) == ["SPX", "WTI"]
