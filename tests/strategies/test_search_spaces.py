"""Every built-in strategy's search space is one an optimizer can use as it stands.

Its dimensions name real parameters, every value passes that parameter's own bounds, the
default lies on the grid (so a search contains the strategy as shipped), most points are valid
parameter sets, the grid stays small enough to search in full, each dimension survives the
round trip through its ``--space`` text, and the table of spaces in docs/strategies.md is the
current one.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import TypeAdapter, ValidationError

from alphaforge.domain.errors import InvalidValueError
from alphaforge.strategies.base import Strategy
from alphaforge.strategies.registry import list_strategies
from alphaforge.strategies.space import Dimension, grid, grid_size, parse_dimension, sample

DOC = Path(__file__).parents[2] / "docs" / "strategies.md"
STRATEGIES = list_strategies()
NO_KNOBS = {"buy_and_hold", "covered_call", "cash_secured_put"}
"""Strategies whose parameters are all capital or data names (see the comment in each)."""
EXHAUSTIVE = 2_000
"""Grids up to this size are checked point by point; larger ones on 200 random draws."""


@pytest.fixture(params=STRATEGIES, ids=[s.strategy_name() for s in STRATEGIES])
def strategy(request: pytest.FixtureRequest) -> type[Strategy]:
    return request.param  # type: ignore[no-any-return]


def _default(cls: type[Strategy], name: str) -> Any:
    return cls.Params.model_fields[name].default


def _valid(cls: type[Strategy], point: Mapping[str, Any]) -> bool:
    try:
        cls.parse_params(point)
    except InvalidValueError:
        return False
    return True


def _share_valid(cls: type[Strategy], points: Iterable[Mapping[str, Any]]) -> float:
    outcomes = [_valid(cls, point) for point in points]
    return sum(outcomes) / len(outcomes)


def test_only_strategies_without_knobs_have_an_empty_space() -> None:
    assert len(STRATEGIES) >= 22  # the whole library was loaded
    empty = {s.strategy_name() for s in STRATEGIES if not s.search_space}
    assert empty == NO_KNOBS


def test_every_dimension_names_a_parameter(strategy: type[Strategy]) -> None:
    unknown = set(strategy.search_space) - set(strategy.Params.model_fields)
    assert not unknown, f"{strategy.strategy_name()}: no parameters {sorted(unknown)}"


def test_every_value_passes_its_parameters_own_bounds(strategy: type[Strategy]) -> None:
    """A refused point is refused only by a rule across parameters, never by one value."""
    for name, dim in strategy.search_space.items():
        info = strategy.Params.model_fields[name]
        field: TypeAdapter[Any] = TypeAdapter(Annotated[info.annotation, info])  # type: ignore[arg-type]
        for value in dim.values():
            try:
                field.validate_python(value)
            except ValidationError as exc:
                pytest.fail(f"{strategy.strategy_name()}.{name}={value!r}: {exc.errors()[0]}")


def test_the_default_lies_on_the_grid(strategy: type[Strategy]) -> None:
    for name, dim in strategy.search_space.items():
        default, values = _default(strategy, name), dim.values()
        assert default in values, f"{strategy.strategy_name()}.{name}={default!r} not in {dim}"
        assert {type(v) for v in values} == {type(default)}, f"{name}: {values} vs {default!r}"


def test_most_points_are_valid_parameter_sets(strategy: type[Strategy]) -> None:
    space = strategy.search_space
    points = grid(space) if grid_size(space) <= EXHAUSTIVE else sample(space, 200, seed=0)
    assert _share_valid(strategy, points) >= 0.8


def test_the_grid_is_small_enough_to_search_in_full(strategy: type[Strategy]) -> None:
    assert grid_size(strategy.search_space) <= 5_000


def test_each_dimension_round_trips_through_its_space_text(strategy: type[Strategy]) -> None:
    """The table in the docs shows ``str(dim)``: pasted after ``--space NAME=`` it is the same."""
    for name, dim in strategy.search_space.items():
        parsed: Dimension = parse_dimension(name, str(dim))
        assert parsed == dim
        assert parsed.values() == dim.values()


def test_a_refused_point_is_counted_as_invalid() -> None:
    """The validity count can fail: sma_cross refuses fast >= slow (81 points of its grid)."""
    sma = next(s for s in STRATEGIES if s.strategy_name() == "sma_cross")
    points = grid(sma.search_space)
    assert not _valid(sma, {"fast": 50, "slow": 50})
    assert sum(_valid(sma, p) for p in points) == sum(p["fast"] < p["slow"] for p in points) == 499


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_documented_table_of_spaces_is_current() -> None:
    snippet = next(b for b in _blocks() if "list_strategies" in b and "grid_size" in b)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(snippet, str(DOC), "exec"), {"__name__": "docs_spaces"})  # noqa: S102  # our docs
    table = out.getvalue().strip()
    assert table.count("\n") == len(STRATEGIES) + 1
    assert table in DOC.read_text(), "rerun the snippet under 'Search spaces' and paste its table"


def test_the_documented_tunable_breakout_has_its_defaults_on_the_grid() -> None:
    blocks = _blocks()
    namespace: dict[str, Any] = {"__name__": "docs_spaces"}
    exec(compile(blocks[0].split("result = ")[0], str(DOC), "exec"), namespace)  # noqa: S102
    exec(compile(next(b for b in blocks if "TunableBreakout" in b), str(DOC), "exec"), namespace)  # noqa: S102
    tunable = namespace["TunableBreakout"]
    for name, dim in tunable.search_space.items():
        assert _default(tunable, name) in dim.values()
    assert _share_valid(tunable, grid(tunable.search_space)) == 1.0
