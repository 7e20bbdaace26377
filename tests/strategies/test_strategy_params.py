"""Strategy parameters are typed and validated; the registry finds strategies by name."""

from __future__ import annotations

import pytest
from pydantic import Field

from alphaforge.domain.errors import InvalidValueError
from alphaforge.strategies import (
    Strategy,
    StrategyParams,
    UnknownStrategyError,
    get_strategy,
    list_strategies,
)
from alphaforge.strategies.library import RsiReversion, SmaCross


def test_defaults_and_overrides() -> None:
    assert SmaCross().params.model_dump() == {
        "fast": 10, "slow": 30, "mode": "long_only", "weight": 1.0,
    }  # fmt: skip
    assert SmaCross(fast=5, slow=20).params.fast == 5
    assert SmaCross({"fast": 5}, slow=50).params.slow == 50


def test_unknown_parameter_gets_a_hint() -> None:
    with pytest.raises(InvalidValueError, match="did you mean 'slow'"):
        SmaCross(slwo=20)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"fast": 0}, "fast"),
        ({"fast": 30, "slow": 10}, "must be shorter"),
        ({"mode": "sideways"}, "mode"),
        ({"fast": "ten"}, "fast='ten'"),
    ],
)
def test_bad_values_name_the_parameter(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(InvalidValueError, match=words):
        SmaCross(**kwargs)


def test_params_are_frozen() -> None:
    strategy = RsiReversion(period=10)
    with pytest.raises(ValueError, match="frozen"):
        strategy.params.period = 3  # type: ignore[misc]


def test_registry_lists_the_builtins_and_suggests() -> None:
    names = [cls.strategy_name() for cls in list_strategies()]
    assert {"buy_and_hold", "sma_cross", "rsi_reversion"} <= set(names)
    assert get_strategy("sma_cross") is SmaCross
    with pytest.raises(UnknownStrategyError, match="did you mean 'sma_cross'"):
        get_strategy("sma_crosss")


def test_a_user_strategy_gets_a_snake_case_name() -> None:
    class MyBreakout(Strategy):
        class Params(StrategyParams):
            lookback: int = Field(20, ge=2)

    assert MyBreakout.strategy_name() == "my_breakout"
    assert MyBreakout(lookback=55).params.lookback == 55  # type: ignore[attr-defined]
    assert repr(MyBreakout()) == "MyBreakout(lookback=20)"
