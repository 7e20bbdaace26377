"""The strategies alphaforge knows by name (``alphaforge strategies list``)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import TypeVar

from alphaforge.core.suggest import did_you_mean
from alphaforge.data.errors import UnknownDatasetError
from alphaforge.domain.errors import InvalidValueError
from alphaforge.strategies.base import Strategy

__all__ = ["UnknownStrategyError", "get_strategy", "list_strategies", "register"]

S = TypeVar("S", bound=type[Strategy])

_REGISTRY: dict[str, type[Strategy]] = {}


class UnknownStrategyError(UnknownDatasetError):
    """No strategy of that name is registered (a lookup error: exit code 4 in the CLI)."""


def register(cls: S) -> S:
    """Class decorator: make a strategy available by its ``strategy_name()``."""
    name = cls.strategy_name()
    existing = _REGISTRY.get(name)
    if existing is not None and existing is not cls:
        raise InvalidValueError(
            f"strategy name {name!r} is taken by {existing.__module__}.{existing.__qualname__}"
        )
    _REGISTRY[name] = cls
    return cls


def get_strategy(name: str) -> type[Strategy]:
    """Return the strategy class registered as ``name``."""
    _load_library()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = sorted(_REGISTRY)
        raise UnknownStrategyError(
            f"no strategy named {name!r} (known: {', '.join(known)}){did_you_mean(name, known)}"
        ) from None


def list_strategies() -> list[type[Strategy]]:
    """Every registered strategy, sorted by name."""
    _load_library()
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


_LOADED: list[bool] = []


def _load_library() -> None:
    """Import every module of the built-in library (each registers its strategies), once."""
    if _LOADED:
        return
    from alphaforge.strategies import library  # noqa: PLC0415  # only when asked

    for module in pkgutil.iter_modules(library.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{library.__name__}.{module.name}")
    _LOADED.append(True)
