"""Config problems: one line each, naming the source, the key, what was received and expected.

Pydantic's own messages know neither which file or variable a value came from nor that some
values are secrets; :func:`problems_from_validation` rewrites them with both in mind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from alphaforge.config._tree import Key, dotted
from alphaforge.core.errors import ConfigError

__all__ = [
    "ConfigProblem",
    "InvalidConfigError",
    "Origin",
    "problems_from_validation",
]

_TEMPLATES = {
    "greater_than": "expected a number > {gt}",
    "greater_than_equal": "expected a number >= {ge}",
    "less_than": "expected a number < {lt}",
    "less_than_equal": "expected a number <= {le}",
    "string_too_short": "expected at least {min_length} characters",
    "too_short": "expected at least {min_length} characters",
    "bool_parsing": "expected true or false",
    "string_pattern_mismatch": "expected text matching {pattern}",
}
_MAX_SHOWN = 60


class Origin(NamedTuple):
    """Where a value came from: a source (file path, ``environment``…) and the name used there."""

    source: str
    name: str


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing wrong with the configuration, printable as one line."""

    source: str
    message: str
    key: str | None = None

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


class InvalidConfigError(ConfigError):
    """The configuration has one or more problems; ``problems`` lists them, one line each."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = tuple(problems)
        lines = [str(problem) for problem in self.problems]
        if len(lines) == 1:
            message = lines[0]
        else:
            message = f"{len(lines)} configuration problems:\n" + "\n".join(
                f"  {line}" for line in lines
            )
        super().__init__(message)


def _redact(value: object) -> str:
    """Return a short repr of ``value`` with any password inside a URL masked."""
    text = repr(value)
    if isinstance(value, str) and "://" in value and "@" in value:
        try:
            password = urlsplit(value).password
        except ValueError:
            password = None
        if password:
            text = repr(value.replace(f":{password}@", ":***@", 1))
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _expectation(error: ErrorDetails) -> str:
    """Say what was expected, in words, from one pydantic error."""
    kind, message, ctx = error["type"], error["msg"], error.get("ctx") or {}
    if kind in _TEMPLATES:
        # A bound of 10 reads better than pydantic's 10.0.
        plain = {
            k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in ctx.items()
        }
        return _TEMPLATES[kind].format(**plain)
    if kind == "value_error":
        return str(ctx.get("error", message))
    if message.startswith("Input should be "):
        return "expected " + message.removeprefix("Input should be ")
    return message[:1].lower() + message[1:]


def _origin_for(loc: Key, origins: Mapping[Key, Origin]) -> tuple[Origin | None, Key]:
    """Find the origin of the leaf that ``loc`` points into, and that leaf's key."""
    for end in range(len(loc), 0, -1):
        if loc[:end] in origins:
            return origins[loc[:end]], loc[:end]
    return None, loc


def _section_sources(loc: Key, origins: Mapping[Key, Origin]) -> str:
    """Name the sources that set keys inside section ``loc`` (``defaults`` when none did)."""
    found = dict.fromkeys(
        origin.source for key, origin in origins.items() if key[: len(loc)] == loc
    )
    return ", ".join(found) or "defaults"


def _problem(
    error: ErrorDetails, origins: Mapping[Key, Origin], secrets: frozenset[Key]
) -> ConfigProblem:
    loc = tuple(str(part) for part in error["loc"])
    origin, leaf = _origin_for(loc, origins)
    expectation = _expectation(error)
    if origin is None:
        # A check across several keys (a section-level validator) or a default gone wrong.
        where = dotted(loc) if loc else "config"
        return ConfigProblem(_section_sources(loc, origins), f"{where}: {expectation}", where)
    name = origin.name + "".join(f"[{part}]" for part in loc[len(leaf) :])
    if leaf in secrets or isinstance(error["input"], Mapping):
        return ConfigProblem(origin.source, f"{name}: {expectation}", dotted(leaf))
    received = _redact(error["input"])
    return ConfigProblem(origin.source, f"{name}: got {received}; {expectation}", dotted(leaf))


def problems_from_validation(
    exc: ValidationError, origins: Mapping[Key, Origin], secrets: Iterable[Key]
) -> list[ConfigProblem]:
    """Rewrite pydantic's errors as problems naming their source; secrets are never echoed."""
    secret_set = frozenset(secrets)
    return [_problem(error, origins, secret_set) for error in exc.errors(include_url=False)]
