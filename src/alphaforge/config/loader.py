"""Load the effective configuration: defaults < TOML files < environment < overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from alphaforge.config._tree import nest, secret_keys
from alphaforge.config.errors import ConfigProblem, InvalidConfigError, problems_from_validation
from alphaforge.config.settings import AlphaforgeConfig
from alphaforge.config.sources import (
    CONFIG_ENV_VAR,
    ENVIRONMENT,
    Layer,
    read_environment,
    read_overrides,
    read_toml,
)

__all__ = ["DEFAULT_CONFIG_FILE", "config_paths", "load_config"]

DEFAULT_CONFIG_FILE = Path("alphaforge.toml")
"""Read from the working directory when no file is named and ``ALPHAFORGE_CONFIG`` is unset."""


def config_paths(environ: Mapping[str, str]) -> tuple[list[Path], list[ConfigProblem]]:
    """Return the config files to read when none are named, and any problem finding them.

    ``$ALPHAFORGE_CONFIG`` (one or more paths separated by ``os.pathsep``) if set, else
    ``./alphaforge.toml`` if it exists, else none.
    """
    named = environ.get(CONFIG_ENV_VAR, "")
    if not named:
        return ([DEFAULT_CONFIG_FILE] if DEFAULT_CONFIG_FILE.is_file() else []), []
    paths = [Path(part) for part in named.split(os.pathsep) if part]
    problems = [
        ConfigProblem(
            ENVIRONMENT,
            f"{CONFIG_ENV_VAR} names {str(path)!r}, which is not a file",
            CONFIG_ENV_VAR,
        )
        for path in paths
        if not path.is_file()
    ]
    return [path for path in paths if path.is_file()], problems


def load_config(
    paths: Sequence[Path] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> AlphaforgeConfig:
    """Build the effective configuration from defaults, files, environment and overrides.

    Later sources win key by key: defaults < each file of ``paths`` in order (or the default
    files, see :func:`config_paths`) < ``ALPHAFORGE_*`` variables of ``env`` (``os.environ``
    when None; a mapping passed here replaces it entirely) < ``overrides`` (nested mappings or
    dotted keys, e.g. ``{"backtest.cash": 5000}``).

    Every problem in every source is collected first, then raised together as one
    :class:`~alphaforge.config.errors.InvalidConfigError` (a ``ConfigError``), one line each.
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    merged = Layer()
    if paths is None:
        files, missing = config_paths(environ)
        merged.problems.extend(missing)
    else:
        files = [Path(path) for path in paths]
    for path in files:
        merged.update(read_toml(path, AlphaforgeConfig))
    merged.update(read_environment(environ, AlphaforgeConfig))
    if overrides:
        merged.update(read_overrides(overrides, AlphaforgeConfig))
    try:
        config = AlphaforgeConfig.model_validate(nest(merged.values))
    except ValidationError as exc:
        # ``from None``: pydantic's own error would print the inputs, secrets included.
        merged.problems.extend(
            problems_from_validation(exc, merged.origins, secret_keys(AlphaforgeConfig))
        )
        raise InvalidConfigError(merged.problems) from None
    if merged.problems:
        raise InvalidConfigError(merged.problems)
    return config
