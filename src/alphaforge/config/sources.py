"""Read one source of settings (a TOML file, the environment, overrides) into a flat layer.

Each reader checks every key against the config's shape, so a typo is reported with a hint
before validation, and records where each value came from for the error messages.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from alphaforge.config._tree import (
    ENV_DELIMITER,
    ENV_PREFIX,
    Key,
    dotted,
    env_var,
    leaf_keys,
    secret_keys,
    section_keys,
    sequence_keys,
)
from alphaforge.config.errors import ConfigProblem, Origin
from alphaforge.core.suggest import did_you_mean

__all__ = [
    "CONFIG_ENV_VAR",
    "ENVIRONMENT",
    "OVERRIDES",
    "PURE_ENV_VAR",
    "Layer",
    "read_environment",
    "read_overrides",
    "read_toml",
]

CONFIG_ENV_VAR = "ALPHAFORGE_CONFIG"
"""Names the config file(s) to read (``os.pathsep``-separated); not itself a setting."""

ENVIRONMENT = "environment"
OVERRIDES = "overrides"

PURE_ENV_VAR = "ALPHAFORGE_PURE"
"""Runs the engine's compiled core as Python (``alphaforge/_native.py``); not itself a setting."""

_RESERVED_ENV_VARS = frozenset({CONFIG_ENV_VAR, PURE_ENV_VAR})


@dataclass
class Layer:
    """Settings from one source, flattened: ``{("backtest", "cash"): value}``."""

    values: dict[Key, Any] = field(default_factory=dict)
    origins: dict[Key, Origin] = field(default_factory=dict)
    problems: list[ConfigProblem] = field(default_factory=list)

    def set(self, key: Key, value: object, origin: Origin) -> None:
        """Record ``value`` for ``key`` and where it came from."""
        self.values[key] = value
        self.origins[key] = origin

    def update(self, other: Layer) -> None:
        """Lay ``other`` over this layer: its values win, its problems are kept."""
        self.values.update(other.values)
        self.origins.update(other.origins)
        self.problems.extend(other.problems)


def _unknown_key(key: Key, model: type[BaseModel], source: str) -> ConfigProblem:
    """Report the first part of ``key`` that does not exist, with the closest existing key."""
    sections = section_keys(model)
    known = sections | leaf_keys(model)
    end = next((i for i in range(1, len(key) + 1) if key[:i] not in known), len(key))
    # Below a leaf (``backtest.cash.x``) report the whole key; otherwise its first unknown part.
    bad = key[:end] if key[: end - 1] in sections or end == 1 else key
    hint = did_you_mean(dotted(bad), [dotted(k) for k in known if len(k) == len(bad)])
    return ConfigProblem(source, f"unknown key {dotted(bad)!r}{hint}", dotted(bad))


def _as_table(value: object) -> Mapping[str, Any] | None:
    """Return a section's value as a mapping (a model's fields count), or None if it is not."""
    if isinstance(value, BaseModel):
        return {name: getattr(value, name) for name in type(value).model_fields}
    if isinstance(value, Mapping):
        return value
    return None


def _flatten(
    data: Mapping[str, Any], model: type[BaseModel], source: str, layer: Layer, prefix: Key = ()
) -> None:
    """Add the leaves of nested ``data`` to ``layer``; dotted names (``"a.b"``) are split."""
    sections, leaves = section_keys(model), leaf_keys(model)
    for name, value in data.items():
        key = (*prefix, *str(name).split("."))
        if key in leaves:
            layer.set(key, value, Origin(source, dotted(key)))
        elif key in sections:
            table = _as_table(value)
            if table is None:
                layer.problems.append(
                    ConfigProblem(
                        source,
                        f"{dotted(key)}: got {value!r}; expected a table of settings "
                        f"([{dotted(key)}] in TOML)",
                        dotted(key),
                    )
                )
            else:
                _flatten(table, model, source, layer, key)
        else:
            layer.problems.append(_unknown_key(key, model, source))


def read_toml(path: Path, model: type[BaseModel]) -> Layer:
    """Read one TOML file; secrets in it are refused (they belong in the environment)."""
    layer, source = Layer(), str(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        layer.problems.append(ConfigProblem(source, "config file not found"))
        return layer
    except tomllib.TOMLDecodeError as exc:
        # The message ends with "(at line L, column C)".
        layer.problems.append(ConfigProblem(source, f"invalid TOML: {exc}"))
        return layer
    except UnicodeDecodeError:
        layer.problems.append(ConfigProblem(source, "invalid TOML: the file is not UTF-8 text"))
        return layer
    except OSError as exc:
        layer.problems.append(ConfigProblem(source, f"cannot read the file: {exc.strerror}"))
        return layer
    _flatten(data, model, source, layer)
    for key in sorted(secret_keys(model) & layer.values.keys()):
        del layer.values[key], layer.origins[key]
        layer.problems.append(
            ConfigProblem(
                source,
                f"{dotted(key)} is a secret and is never read from files (they get committed); "
                f"remove it and set {env_var(key)} in the environment instead",
                dotted(key),
            )
        )
    return layer


def _sequence(raw: str) -> object:
    """Parse a list from an environment variable: a JSON array or comma-separated values."""
    text = raw.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return raw  # validation then reports the value as received
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _env_problem(name: str, key: Key, model: type[BaseModel]) -> ConfigProblem:
    """Explain why ``name`` is not a setting: it names a section, or nothing (with a hint)."""
    if key in section_keys(model):
        example = env_var(min(k for k in leaf_keys(model) if k[: len(key)] == key))
        return ConfigProblem(
            ENVIRONMENT,
            f"{name} names a section, not a setting; set its keys one by one, such as {example}",
            dotted(key),
        )
    hint = did_you_mean(name, sorted(env_var(k) for k in leaf_keys(model)))
    # Variable names are shown bare, as a shell prints them; they never contain quotes.
    return ConfigProblem(ENVIRONMENT, f"unknown variable {name}{hint.replace(chr(39), '')}")


def read_environment(environ: Mapping[str, str], model: type[BaseModel]) -> Layer:
    """Read every ``ALPHAFORGE_*`` variable; nested keys are joined by ``__``.

    An empty variable counts as unset, so ``ALPHAFORGE_API__AUTH_TOKEN=`` never sets an empty
    token. Any other ``ALPHAFORGE_*`` name that is not a setting is an error, with a hint.
    """
    layer = Layer()
    leaves, sequences = leaf_keys(model), sequence_keys(model)
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX) or name in _RESERVED_ENV_VARS:
            continue
        key = tuple(part.lower() for part in name[len(ENV_PREFIX) :].split(ENV_DELIMITER))
        if key not in leaves:
            layer.problems.append(_env_problem(name, key, model))
            continue
        raw = environ[name]
        if raw == "":
            continue
        value = _sequence(raw) if key in sequences else raw
        layer.set(key, value, Origin(ENVIRONMENT, f"{name} ({dotted(key)})"))
    return layer


def read_overrides(overrides: Mapping[str, Any], model: type[BaseModel]) -> Layer:
    """Read explicit overrides: nested mappings, sections as models, or dotted keys."""
    layer = Layer()
    _flatten(overrides, model, OVERRIDES, layer)
    return layer
