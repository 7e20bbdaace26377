"""Lazy package exports (PEP 562): a package lists its public names, each module loads on first use.

Used by ``alphaforge.core`` and ``alphaforge.data`` so that importing one light helper does not
load structlog, pyarrow or exchange_calendars. Outside the layers: it imports nothing of ours.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, names: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the ``__getattr__`` and ``__dir__`` of ``package`` for ``names`` (name -> module).

    A name is imported once, then cached in the package's ``namespace`` (its ``globals()``).
    """

    def get(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def listing() -> list[str]:
        return sorted(names)

    return get, listing
