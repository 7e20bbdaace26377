"""Backends: serial, a process pool and a local Ray runtime give the same results in the same
order; the same sweep gives the same table on each."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import pandas as pd
import pytest

from alphaforge.domain.errors import InvalidValueError
from alphaforge.research.backends import (
    ProcessBackend,
    RayBackend,
    SerialBackend,
    get_backend,
    task_seeds,
)
from alphaforge.research.optimization import optimize
from alphaforge.runtime.objective import StrategyObjective
from alphaforge.strategies.space import IntRange


def _fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return x


def _recorder(seen: list[tuple[int, int]]) -> Callable[[int, int], None]:
    return lambda done, total: seen.append((done, total))


@pytest.fixture(scope="module")
def ray_backend() -> Iterator[RayBackend]:
    backend = RayBackend(workers=2)
    yield backend
    backend.close()


def test_task_seeds_are_fixed_by_the_seed() -> None:
    assert task_seeds(7, 5) == task_seeds(7, 5)
    assert task_seeds(7, 5)[:3] == task_seeds(7, 3)  # a task's seed does not depend on n
    assert task_seeds(7, 5) != task_seeds(8, 5)
    assert len(set(task_seeds(7, 1000))) == 1000


def test_every_backend_keeps_input_order_and_reports_progress(ray_backend: RayBackend) -> None:
    # Ray workers import functions by module: a test module is not importable there, so the
    # task is a library function (math.sqrt of each seed).
    seeds = [float(s) for s in task_seeds(1, 40)]
    expected = [math.sqrt(s) for s in seeds]
    for backend in (SerialBackend(), ProcessBackend(2), ray_backend):
        seen: list[tuple[int, int]] = []
        got = list(backend.map(math.sqrt, seeds, chunk_size=3, progress=_recorder(seen)))
        assert got == expected, backend.name
        assert seen[-1] == (40, 40)
        assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    ProcessBackend(2).close()


def test_a_failing_task_raises_in_the_caller() -> None:
    with ProcessBackend(2) as backend, pytest.raises(ValueError, match="three"):
        list(backend.map(_fail_on_three, list(range(8)), chunk_size=2))


def test_the_same_sweep_on_pool_and_ray(ray_backend: RayBackend) -> None:
    objective = StrategyObjective("sma_cross", data="spx_daily", end="2010-12-31")
    space = {"fast": IntRange(5, 50, 5), "slow": IntRange(60, 240, 20)}
    tables = []
    for backend in (SerialBackend(), ProcessBackend(2), ray_backend):
        result = optimize(objective, space, method="random", n_trials=40, seed=5,
                          backend=backend)  # fmt: skip
        assert result.overfitting is not None
        tables.append((result.table.drop(columns="seconds"), result.overfitting.to_dict()))
    for table, stats in tables[1:]:
        pd.testing.assert_frame_equal(table, tables[0][0])
        assert stats == tables[0][1]


def test_tpe_picks_the_same_sets_on_every_backend(ray_backend: RayBackend) -> None:
    objective = StrategyObjective("sma_cross", data="spx_daily", end="2006-12-29")
    space = {"fast": IntRange(5, 60, 5), "slow": IntRange(70, 250, 10)}
    picked = []
    for backend in (SerialBackend(), ProcessBackend(2), ray_backend):
        result = optimize(objective, space, method="tpe", n_trials=24, seed=2**40 + 3,
                          backend=backend, statistics=False)  # fmt: skip
        picked.append(result.table[["fast", "slow", "sharpe_ratio"]].reset_index(drop=True))
    for table in picked[1:]:
        pd.testing.assert_frame_equal(table, picked[0])


def test_backend_names_and_options() -> None:
    assert isinstance(get_backend("serial"), SerialBackend)
    assert get_backend("process", workers=3).workers == 3
    assert get_backend("ray", workers=2).describe() == "ray x 2 (local)"
    with pytest.raises(InvalidValueError, match="backend must be one of"):
        get_backend("dask")
    with pytest.raises(InvalidValueError, match="--address is for the ray backend"):
        get_backend("process", address="ray://head:10001")
    with pytest.raises(InvalidValueError, match="workers must be >= 1"):
        ProcessBackend(0)
