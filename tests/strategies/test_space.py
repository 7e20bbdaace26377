"""alphaforge.strategies.space: dimensions, their ``--space`` text, grids and random draws.

No market data here: the module turns ranges into parameter values, so the known answers are
the values themselves.
"""

from __future__ import annotations

import math
import re

import numpy as np
import optuna
import pytest

from alphaforge.domain.errors import InvalidValueError
from alphaforge.strategies.space import (
    Choice,
    Dimension,
    FloatRange,
    IntRange,
    grid,
    grid_size,
    parse_dimension,
    parse_space,
    sample,
)

# ------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5:100:5", IntRange(5, 100, 5)),
        ("5:100", IntRange(5, 100, 1)),
        (" 1 : 1000 : log ", IntRange(1, 1000, 1, log=True)),
        ("0.5:3.0:0.5", FloatRange(0.5, 3.0, 0.5)),
        ("1:3:0.25", FloatRange(1.0, 3.0, 0.25)),  # one float makes the range a float range
        ("-0.5:1.0:0.25", FloatRange(-0.5, 1.0, 0.25)),
        ("0.001:0.1:log", FloatRange(0.001, 0.1, None, log=True)),
        ("0.1:0.9", FloatRange(0.1, 0.9, None)),
        ("long_only,long_short", Choice(("long_only", "long_short"))),
        ("true,False", Choice((True, False))),
        ("1, 2.5, x", Choice((1, 2.5, "x"))),
        ("M", Choice(("M",))),
        ("20", Choice((20,))),
    ],
)
def test_parse_dimension_reads_each_kind(text: str, expected: Dimension) -> None:
    parsed = parse_dimension("p", text)
    assert parsed == expected
    assert type(_first(parsed)) is type(_first(expected))  # 1:3:0.25 gives 1.0, not 1


def _first(dim: Dimension) -> object:
    return dim.options[0] if isinstance(dim, Choice) else dim.low


@pytest.mark.parametrize(
    "dim",
    [
        IntRange(5, 100, 5),
        IntRange(1, 500, 1, log=True),
        FloatRange(-0.5, 1.0, 0.25),
        FloatRange(0.001, 0.1, None, log=True),
        Choice(("W", "M", "Q")),
        Choice((0.001, 0.01, 0.1)),
        Choice((True, False)),
    ],
)
def test_str_is_the_space_text_that_parses_back(dim: Dimension) -> None:
    assert parse_dimension("p", str(dim)) == dim


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "--space fast= is empty"),
        ("   ", "--space fast= is empty"),
        ("a:b", "--space fast: 'a:b' is not LOW:HIGH[:STEP] of numbers"),
        ("5:x:1", "--space fast: '5:x:1' is not LOW:HIGH"),
        ("1:2:3:4", "--space fast=LOW:HIGH[:STEP][:log]"),
        ("7", None),  # a single number is a fixed value, not an error
    ],
)
def test_bad_text_is_refused_naming_the_parameter(text: str, fragment: str | None) -> None:
    if fragment is None:
        assert parse_dimension("fast", text) == Choice((7,))
        return
    with pytest.raises(InvalidValueError) as err:
        parse_dimension("fast", text)
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("100:5:5", "high (5) is below low (100)"),
        ("5:100:0", "step must be >= 1"),
        ("0:100:log", "log scale needs low >= 1"),
        ("1.0:0.5:0.1", "need finite low <= high"),
        ("0.1:0.9:-0.1", "step must be > 0"),
        ("0.0:1.0:log", "log scale needs low > 0"),
    ],
)
def test_impossible_ranges_are_refused(text: str, fragment: str) -> None:
    with pytest.raises(InvalidValueError, match=re.escape(fragment)):
        parse_dimension("fast", text)


def test_parse_space_builds_a_space_and_refuses_pairs_without_a_name() -> None:
    space = parse_space(["fast=5:50:5", " mode = long_only,long_short", "gamma=0.001:0.1:log"])
    assert space == {
        "fast": IntRange(5, 50, 5),
        "mode": Choice(("long_only", "long_short")),
        "gamma": FloatRange(0.001, 0.1, None, log=True),
    }
    for bad in ("fast", "=5:50", "fast:5:50"):
        with pytest.raises(InvalidValueError, match="--space needs NAME=RANGE"):
            parse_space([bad])


def test_direct_construction_checks_too() -> None:
    with pytest.raises(InvalidValueError, match="log scale needs low >= 1 and step 1"):
        IntRange(1, 100, 5, log=True)
    with pytest.raises(InvalidValueError, match="no step"):
        FloatRange(0.01, 1.0, 0.01, log=True)
    with pytest.raises(InvalidValueError, match="finite"):
        FloatRange(0.0, math.inf, 0.1)
    with pytest.raises(InvalidValueError, match="at least one option"):
        Choice(())


# ------------------------------------------------------------------ values and grids


def test_int_range_values_stop_at_high() -> None:
    assert IntRange(5, 22, 5).values() == [5, 10, 15, 20]
    assert IntRange(3, 3).values() == [3]


def test_float_range_values_are_rounded_and_keep_the_end() -> None:
    # 0.1 + 2 * 0.1 is 0.30000000000000004 in binary floating point; the grid says 0.3.
    assert FloatRange(0.1, 0.5, 0.1).values() == [0.1, 0.2, 0.3, 0.4, 0.5]
    # 0.3 / 0.1 is 2.9999999999999996: the end point is kept all the same.
    assert FloatRange(0.0, 0.3, 0.1).values() == [0.0, 0.1, 0.2, 0.3]
    assert FloatRange(0.1, 0.5, 0.05).values()[3] == 0.25
    assert FloatRange(1.0, 2.0, 0.3).values() == [1.0, 1.3, 1.6, 1.9]


def test_a_float_grid_needs_a_step() -> None:
    with pytest.raises(InvalidValueError, match=r"needs a step \(e\.g\. 0\.001:0\.1:0\.1\)"):
        FloatRange(0.001, 0.1, None, log=True).values()
    with pytest.raises(InvalidValueError, match="needs a step"):
        grid_size({"z": FloatRange(0.5, 2.0)})


def test_grid_varies_the_first_dimension_slowest() -> None:
    space: dict[str, Dimension] = {"a": IntRange(1, 2), "b": Choice(("x", "y", "z"))}
    assert grid(space) == [
        {"a": 1, "b": "x"},
        {"a": 1, "b": "y"},
        {"a": 1, "b": "z"},
        {"a": 2, "b": "x"},
        {"a": 2, "b": "y"},
        {"a": 2, "b": "z"},
    ]
    assert grid_size(space) == 6


def test_grid_size_is_the_product_and_an_empty_space_is_one_point() -> None:
    space: dict[str, Dimension] = {
        "fast": IntRange(5, 50, 5),
        "slow": IntRange(50, 250, 50),
        "z": FloatRange(1, 3, 0.5),
    }
    assert grid_size(space) == 10 * 5 * 5 == len(grid(space))
    assert grid({}) == [{}]  # no dimension: the one parameter set of the defaults
    assert grid_size({}) == 1


# ------------------------------------------------------------------ random draws


SPACE: dict[str, Dimension] = {
    "fast": IntRange(5, 100, 5),
    "window": IntRange(2, 5000, log=True),
    "z": FloatRange(0.5, 3.0, 0.25),
    "gamma": FloatRange(1e-4, 1.0, None, log=True),
    "band": FloatRange(0.0, 0.1),
    "mode": Choice(("long_only", "long_short")),
}


def test_sample_is_reproducible_from_its_seed() -> None:
    first = sample(SPACE, 50, seed=7)
    assert first == sample(SPACE, 50, seed=7)
    assert first != sample(SPACE, 50, seed=8)
    assert len(first) == 50
    assert all(set(point) == set(SPACE) for point in first)


def test_sample_draws_stay_in_their_dimension() -> None:
    points = sample(SPACE, 2_000, seed=0)
    assert {p["fast"] for p in points} == set(IntRange(5, 100, 5).values())  # every value, no other
    assert {p["z"] for p in points} == set(FloatRange(0.5, 3.0, 0.25).values())
    assert {p["mode"] for p in points} == {"long_only", "long_short"}
    assert all(2 <= p["window"] <= 5000 and isinstance(p["window"], int) for p in points)
    assert all(1e-4 <= p["gamma"] <= 1.0 for p in points)
    assert all(0.0 <= p["band"] <= 0.1 for p in points)


def test_log_draws_spread_over_the_orders_of_magnitude() -> None:
    gammas = np.array([p["gamma"] for p in sample(SPACE, 4_000, seed=1)])
    # log-uniform over 1e-4..1: a quarter of the draws per decade (a uniform draw would put
    # 90 % of them in the last decade).
    per_decade = np.histogram(np.log10(gammas), bins=[-4, -3, -2, -1, 0])[0] / gammas.size
    assert np.allclose(per_decade, 0.25, atol=0.03)


def test_int_range_draw_is_within_range_and_on_the_step() -> None:
    rng = np.random.default_rng(3)
    dim = IntRange(7, 45, 5)
    draws = [dim.draw(rng) for _ in range(1_000)]
    assert set(draws) == set(dim.values())  # 7, 12, ... 42: all of them, never 45
    assert max(draws) == 42
    assert all(isinstance(d, int) for d in draws)


def test_sample_refuses_a_count_below_one() -> None:
    with pytest.raises(InvalidValueError, match="must be >= 1, got 0"):
        sample(SPACE, 0)


# ------------------------------------------------------------------ Optuna


def test_dimensions_speak_optunas_trial_api() -> None:
    """A real Optuna study asks each dimension for a value; the values stay on the grid."""
    space: dict[str, Dimension] = {
        "fast": IntRange(5, 100, 5),
        "window": IntRange(10, 1000, log=True),
        "z": FloatRange(0.5, 3.0, 0.25),
        "gamma": FloatRange(1e-3, 0.1, None, log=True),
        "mode": Choice(("long_only", "long_short")),
    }
    seen: list[dict[str, object]] = []

    def objective(trial: optuna.Trial) -> float:
        seen.append({name: dim.suggest(trial, name) for name, dim in space.items()})
        return 0.0

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=40)
    assert len(seen) == 40
    for point in seen:
        assert point["fast"] in space["fast"].values()
        assert point["z"] in space["z"].values()
        assert point["mode"] in ("long_only", "long_short")
        assert 10 <= point["window"] <= 1000  # type: ignore[operator]
        assert 1e-3 <= point["gamma"] <= 0.1  # type: ignore[operator]
    assert study.trials[0].params == seen[0]
