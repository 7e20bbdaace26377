"""Lazy package exports (PEP 562): a package lists its public names, each module loads on first use.

Used by ``alphaforge.core`` and ``alphaforge.data`` so that importing one light helper does not
load structlog, pyarrow or exchange_calendars. Outside the layers: it imports nothing of ours.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["LazyModule", "lazy_exports"]


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


class LazyModule:
    """A module imported on first attribute access: ``cp = LazyModule("cvxpy")``.

    For heavy optional machinery (cvxpy, scikit-learn, statsmodels, arch) that only some
    strategies use: the strategy library is imported whole to find strategies by name, and
    importing every solver up front cost a second and ~70 MB for every backtest.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: Any = None

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)

    def __repr__(self) -> str:
        state = "loaded" if self._module is not None else "not loaded yet"
        return f"<lazy module {self._name!r} ({state})>"
