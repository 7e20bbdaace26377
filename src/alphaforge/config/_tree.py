"""The shape of the config tree: which dotted keys exist, which are secrets, their env names.

Every source (TOML file, environment, overrides) is flattened to ``{("backtest", "cash"): value}``
along this shape, so unknown keys are caught with a hint and each value remembers where it came
from; the merged leaves are then nested again for pydantic to validate.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, SecretStr

__all__ = [
    "ENV_DELIMITER",
    "ENV_PREFIX",
    "Key",
    "dotted",
    "env_var",
    "is_secret",
    "is_section",
    "leaf_keys",
    "nest",
    "secret_keys",
    "section_keys",
    "sequence_keys",
]

ENV_PREFIX = "ALPHAFORGE_"
ENV_DELIMITER = "__"

Key = tuple[str, ...]


def is_section(annotation: object) -> bool:
    """Return whether a field's annotation is a nested section (a pydantic model)."""
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def is_secret(annotation: object) -> bool:
    """Return whether a field's annotation is a secret (``SecretStr`` or ``SecretStr | None``)."""
    return SecretStr in _members(annotation)


def _members(annotation: object) -> tuple[object, ...]:
    """Return the members of a union annotation (``X | None``), or the annotation itself."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _walk(model: type[BaseModel], prefix: Key = ()) -> typing.Iterator[tuple[Key, object, bool]]:
    """Yield ``(key, annotation, is_section)`` for every field below ``model``, depth first."""
    for name, field in model.model_fields.items():
        key = (*prefix, name)
        annotation = field.annotation
        if is_section(annotation):
            yield key, annotation, True
            yield from _walk(typing.cast(type[BaseModel], annotation), key)
        else:
            yield key, annotation, False


@functools.cache
def leaf_keys(model: type[BaseModel]) -> frozenset[Key]:
    """Return every settable (non-section) key of ``model``."""
    return frozenset(key for key, _, section in _walk(model) if not section)


@functools.cache
def section_keys(model: type[BaseModel]) -> frozenset[Key]:
    """Return every section key of ``model`` (tables in TOML)."""
    return frozenset(key for key, _, section in _walk(model) if section)


@functools.cache
def secret_keys(model: type[BaseModel]) -> frozenset[Key]:
    """Return the keys whose values are secrets (``SecretStr``), accepted only from the env."""
    return frozenset(
        key for key, annotation, section in _walk(model) if not section and is_secret(annotation)
    )


@functools.cache
def sequence_keys(model: type[BaseModel]) -> frozenset[Key]:
    """Return the keys holding a tuple or list (comma-separated in an environment variable)."""
    return frozenset(
        key
        for key, annotation, section in _walk(model)
        if not section
        and any(typing.get_origin(member) in (tuple, list) for member in _members(annotation))
    )


def dotted(key: Key) -> str:
    """Return the dotted spelling of a key, e.g. ``backtest.cash``."""
    return ".".join(key)


def env_var(key: Key | str) -> str:
    """Return the environment variable that sets ``key`` (``ALPHAFORGE_BACKTEST__CASH``)."""
    parts = key.split(".") if isinstance(key, str) else key
    return ENV_PREFIX + ENV_DELIMITER.join(part.upper() for part in parts)


def nest(values: Mapping[Key, Any]) -> dict[str, Any]:
    """Turn ``{("a", "b"): 1}`` into ``{"a": {"b": 1}}`` for validation."""
    tree: dict[str, Any] = {}
    for key, value in values.items():
        node = tree
        for part in key[:-1]:
            node = node.setdefault(part, {})
        node[key[-1]] = value
    return tree
