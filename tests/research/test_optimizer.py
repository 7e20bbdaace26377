"""optimize(): grid / random / TPE / NSGA over real S&P 500 data, resumable, with overfitting
statistics; the objective's vector fast path equals the event engine."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alphaforge.domain.errors import InvalidValueError
from alphaforge.research.backends import SerialBackend
from alphaforge.research.optimization import optimize
from alphaforge.research.trials import FAST_METRICS, parse_constraint
from alphaforge.runtime import backtest
from alphaforge.runtime.objective import StrategyObjective
from alphaforge.strategies.registry import UnknownStrategyError
from alphaforge.strategies.space import Choice, IntRange

END = "2006-12-29"  # 8 years of spx_daily keep every search here fast
SMALL = {"fast": IntRange(10, 40, 10), "slow": IntRange(30, 90, 30)}


@pytest.fixture(scope="module")
def objective() -> StrategyObjective:
    return StrategyObjective("sma_cross", data="spx_daily", end=END)


def test_vector_fast_path_equals_the_event_engine(objective: StrategyObjective) -> None:
    event = StrategyObjective("sma_cross", data="spx_daily", end=END, mode="event")
    assert objective.engine == "vector"
    assert event.engine == "event"
    for params in ({"fast": 20, "slow": 60}, {"fast": 5, "slow": 200}):
        fast, slow = objective(params), event(params)
        for name in FAST_METRICS:
            assert fast.metrics[name] == pytest.approx(slow.metrics[name], rel=1e-12, abs=1e-12)
        assert fast.moments is not None
        assert slow.moments is not None
        np.testing.assert_allclose(fast.moments, slow.moments, rtol=1e-12, atol=1e-14)
        full = backtest("sma_cross", "spx_daily", params=params, end=END)
        assert fast.metrics["sharpe_ratio"] == pytest.approx(full.metrics.sharpe_ratio, rel=1e-12)


def test_refused_sets_are_not_trials(objective: StrategyObjective) -> None:
    trial = objective({"fast": 50, "slow": 30})
    assert not trial.ok
    assert "fast" in (trial.error or "")
    result = optimize(objective, SMALL, backend=SerialBackend(), statistics=False)
    # 4 x 3 grid; fast >= slow refused for (30,30), (40,30)
    assert result.invalid == 2
    assert result.n_trials == 10
    assert len(result.table) == 10


def test_grid_best_is_the_best_separate_backtest(objective: StrategyObjective) -> None:
    result = optimize(objective, SMALL, backend=SerialBackend())
    sharpes = {}
    for fast in (10, 20, 30, 40):
        for slow in (30, 60, 90):
            if fast < slow:
                run = backtest("sma_cross", "spx_daily", params={"fast": fast, "slow": slow},
                               end=END)  # fmt: skip
                sharpes[(fast, slow)] = run.metrics.sharpe_ratio
    winner = max(sharpes, key=lambda k: sharpes[k])
    assert result.best_params == {"fast": winner[0], "slow": winner[1]}
    assert result.best is not None
    assert result.best["sharpe_ratio"] == pytest.approx(sharpes[winner], rel=1e-12)
    report = result.overfitting
    assert report is not None
    assert report.n_trials == 10
    assert report.pbo is not None
    assert 0.0 <= report.pbo.pbo <= 1.0
    assert report.dsr <= report.psr  # charging for 10 trials can only lower the bar's odds
    assert result.best_returns is not None
    assert len(result.best_returns) == report.n_periods


def test_constraints_decide_the_winner(objective: StrategyObjective) -> None:
    free = optimize(objective, SMALL, backend=SerialBackend(), statistics=False)
    assert free.best is not None
    least = float(free.table["number_of_trades"].min())
    assert free.best["number_of_trades"] > least  # the free winner trades more than some set
    bound = optimize(
        objective,
        SMALL,
        backend=SerialBackend(),
        constraints=[f"number_of_trades <= {least}"],
        statistics=False,
    )
    assert bound.best is not None
    assert bound.best["number_of_trades"] == least
    assert (bound.feasible["number_of_trades"] == least).all()
    assert bound.best_params != free.best_params
    assert len(bound.table) == len(free.table)  # constraints filter winners, not trials


def test_random_search_is_seeded(objective: StrategyObjective) -> None:
    space = {"fast": IntRange(5, 60, 5), "slow": IntRange(70, 250, 10)}
    one = optimize(objective, space, method="random", n_trials=12, seed=3,
                   backend=SerialBackend(), statistics=False)  # fmt: skip
    two = optimize(objective, space, method="random", n_trials=12, seed=3,
                   backend=SerialBackend(), statistics=False)  # fmt: skip
    other = optimize(objective, space, method="random", n_trials=12, seed=4,
                     backend=SerialBackend(), statistics=False)  # fmt: skip
    pd.testing.assert_frame_equal(one.table.drop(columns="seconds"),
                                  two.table.drop(columns="seconds"))  # fmt: skip
    assert (
        one.table[["fast", "slow"]].values.tolist() != other.table[["fast", "slow"]].values.tolist()
    )


def test_tpe_is_seeded_and_respects_the_space(objective: StrategyObjective) -> None:
    space = {"fast": IntRange(5, 60, 5), "slow": IntRange(70, 250, 10)}
    runs = [
        optimize(
            objective,
            space,
            method="tpe",
            n_trials=15,
            seed=11,
            backend=SerialBackend(),
            statistics=False,
        )
        for _ in range(2)
    ]
    a, b = (r.table[["fast", "slow", "sharpe_ratio"]] for r in runs)
    pd.testing.assert_frame_equal(a, b)
    assert a["fast"].isin(range(5, 61, 5)).all()
    assert a["slow"].isin(range(70, 251, 10)).all()
    assert len(a) == 15


def test_nsga_returns_a_pareto_front(objective: StrategyObjective) -> None:
    space = {"fast": IntRange(5, 60, 5), "slow": IntRange(70, 250, 10)}
    result = optimize(
        objective, space, method="nsga", n_trials=20, metric=["annual_return", "max_drawdown"],
        seed=1, backend=SerialBackend(), statistics=False,
    )  # fmt: skip
    front = result.pareto
    assert 1 <= len(front) <= len(result.table)
    values = result.table[["annual_return", "max_drawdown"]].to_numpy()
    for row in front[["annual_return", "max_drawdown"]].to_numpy():
        beaten = np.all(values >= row, axis=1) & np.any(values > row, axis=1)
        assert not beaten.any()


def test_a_user_function_is_the_score(objective: StrategyObjective) -> None:
    def return_over_drawdown(m: dict[str, float]) -> float:
        return m["annual_return"] / -m["max_drawdown"] if m["max_drawdown"] < 0 else math.nan

    result = optimize(objective, SMALL, metric=return_over_drawdown, backend=SerialBackend(),
                      statistics=False)  # fmt: skip
    assert "return_over_drawdown" in result.table.columns
    best = result.best
    assert best is not None
    assert best["return_over_drawdown"] == result.table["return_over_drawdown"].max()


def test_studies_resume_from_their_folder(objective: StrategyObjective, tmp_path) -> None:
    space = {"fast": IntRange(5, 60, 5), "slow": IntRange(70, 250, 10)}
    first = optimize(objective, space, method="random", n_trials=8, seed=2, out=tmp_path,
                     backend=SerialBackend(), statistics=False)  # fmt: skip
    lines = (tmp_path / "trials.csv").read_text().splitlines()
    assert len(lines) == 1 + 8  # header + one row per set, written as they finish
    more = optimize(objective, space, method="random", n_trials=12, seed=2, out=tmp_path,
                    backend=SerialBackend(), statistics=False)  # fmt: skip
    assert len((tmp_path / "trials.csv").read_text().splitlines()) == 1 + 12
    pd.testing.assert_frame_equal(
        more.table.head(8).drop(columns="seconds").reset_index(drop=True),
        first.table.drop(columns="seconds").reset_index(drop=True),
        check_dtype=False,
    )
    again = optimize(objective, space, method="tpe", n_trials=6, seed=2, out=tmp_path / "tpe",
                     backend=SerialBackend(), statistics=False)  # fmt: skip
    resumed = optimize(objective, space, method="tpe", n_trials=9, seed=2, out=tmp_path / "tpe",
                       backend=SerialBackend(), statistics=False)  # fmt: skip
    assert len(again.table) + again.invalid == 6
    assert len(resumed.table) + resumed.invalid == 9
    with pytest.raises(InvalidValueError, match="holds another study"):
        optimize(objective, SMALL, method="grid", out=tmp_path, backend=SerialBackend())


def test_event_engine_strategies_optimize_too(tmp_path) -> None:
    objective = StrategyObjective("donchian_breakout", data="spx_daily", start="2004-01-02",
                                  end=END)  # fmt: skip
    assert objective.engine == "event"
    space = {"entry_period": IntRange(20, 60, 20), "exit_period": Choice((10, 20))}
    result = optimize(objective, space, backend=SerialBackend())
    assert result.n_trials == 6
    assert "win_rate" in result.table.columns  # the event engine reports every metric
    assert result.overfitting is not None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "anneal"}, "method must be one of"),
        ({"metric": "sharp_ratio"}, "no metric 'sharp_ratio'"),
        ({"method": "grid", "n_trials": 3}, "a grid runs all 12 points"),
        ({"constraints": ["drawdown < -"]}, "is not a number"),
        ({"direction": "up"}, "direction must be"),
    ],
)
def test_bad_requests_say_what_is_wrong(
    objective: StrategyObjective, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidValueError, match=message):
        optimize(objective, SMALL, backend=SerialBackend(), statistics=False, **kwargs)  # type: ignore[arg-type]


def test_constraint_text() -> None:
    c = parse_constraint("max_drawdown>=-0.2")
    assert (c.metric, c.op, c.value) == ("max_drawdown", ">=", -0.2)
    assert c.holds({"max_drawdown": -0.1})
    assert not c.holds({"max_drawdown": -0.3})
    assert not c.holds({"max_drawdown": math.nan})
    assert c.violation({"max_drawdown": -0.3}) == pytest.approx(0.1)
    with pytest.raises(InvalidValueError, match="METRIC OP VALUE"):
        parse_constraint("sharpe is big")


def test_unknown_strategy_and_bad_mode_fail_early() -> None:
    with pytest.raises(UnknownStrategyError, match="did you mean"):
        StrategyObjective("sma_crosss")
    with pytest.raises(InvalidValueError, match="mode must be"):
        StrategyObjective("sma_cross", mode="fast")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="does not model"):
        _ = StrategyObjective("donchian_breakout", data="spx_daily", mode="vector").engine


def test_a_single_set_has_no_pbo(objective: StrategyObjective) -> None:
    result = optimize(objective, {"fast": Choice((10,)), "slow": Choice((50,))},
                      backend=SerialBackend())  # fmt: skip
    assert result.n_trials == 1
    assert result.overfitting is not None
    assert result.overfitting.pbo is None  # CSCV needs two trials to rank
    assert math.isnan(result.overfitting.dsr)
