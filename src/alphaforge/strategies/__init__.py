"""Strategies: the ``Strategy`` base, its context protocol, the registry and the built-ins."""

from alphaforge.strategies.base import Strategy, StrategyParams
from alphaforge.strategies.context import IndicatorHandle, StrategyContext
from alphaforge.strategies.registry import (
    UnknownStrategyError,
    get_strategy,
    list_strategies,
    register,
)

__all__ = [
    "IndicatorHandle",
    "Strategy",
    "StrategyContext",
    "StrategyParams",
    "UnknownStrategyError",
    "get_strategy",
    "list_strategies",
    "register",
]
