"""The base of every config section and the small checks several sections share."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

__all__ = ["Section", "check_name", "check_url"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$")


class Section(BaseModel):
    """A frozen config section: unknown keys are refused and NaN or infinity is never a number."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        allow_inf_nan=False,
        validate_default=True,
        str_strip_whitespace=True,
    )


def check_url(url: str, *, schemes: tuple[str, ...], env_name: str) -> str:
    """Return ``url`` if its scheme is one of ``schemes`` and it carries no password.

    A password inside a URL would be printed by ``config show`` and hashed into the run id, so it
    must come from the environment variable ``env_name`` instead.
    """
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme.split("+", 1)[0] not in schemes:
        expected = ", ".join(f"{name}://…" for name in schemes)
        raise ValueError(f"expected a URL starting with {expected}")
    try:
        password = urlsplit(url).password
    except ValueError as exc:  # a malformed port or netloc
        raise ValueError(f"expected a valid URL ({exc})") from None
    if password:
        # Never echo the URL itself: it holds the password.
        raise ValueError(f"the URL holds a password; remove it and set {env_name} instead")
    return url


def check_name(value: str, what: str) -> str:
    """Return ``value`` if it is a plain identifier-like name (letters, digits, ``_ . : / -``)."""
    if not _NAME.match(value):
        raise ValueError(f"expected {what}: letters, digits and _ . : / - only")
    return value
