"""The engine's compiled core: which modules mypyc compiles, and a guard against stale builds.

The modules of ``COMPILED`` are the path every bar and every order of a backtest takes (orders,
positions, ledger, simulated broker, execution and risk engines, kernel, strategy context). They
are plain, type-annotated Python; where a C compiler is at hand, installing alphaforge compiles
them with mypyc (``setup.py``), which makes an event backtest 1.3-1.6x faster
(``benchmarks/ab_engine.py HEAD --build --pure``). Compiled or not, a backtest gives the same
results bit for bit (``tests/test_native.py`` compares them).

A compiled module whose source changed after the build would silently run the old code. So, when
``alphaforge`` is imported, :func:`activate` compares the sources the build read with the hashes
it recorded (``_native.json``, written next to this file by the build). If any differ, or no
record exists beside compiled files, or ``ALPHAFORGE_PURE=1`` is set, every module of the set is
imported from its ``.py`` file instead: all or none, since compiled modules call each other
directly. A stale build says so with a ``RuntimeWarning`` (``make build`` rebuilds it).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import warnings
from importlib.machinery import EXTENSION_SUFFIXES, ModuleSpec
from pathlib import Path
from types import ModuleType

__all__ = ["COMPILED", "MANIFEST", "activate", "status"]

#: The modules mypyc compiles (``setup.py`` reads this tuple from the source; keep it a literal).
#: Modules with runtime-checkable protocols, or classes users subclass, stay Python.
COMPILED: tuple[str, ...] = (
    "alphaforge.core.ids",
    "alphaforge.domain._num",
    "alphaforge.domain.instruments",
    "alphaforge.domain.orders",
    "alphaforge.domain.positions",
    "alphaforge.execution.engine",
    "alphaforge.execution.fill_rules",
    "alphaforge.execution.slippage",
    "alphaforge.indicators.streaming._base",
    "alphaforge.indicators.streaming.channels",
    "alphaforge.indicators.streaming.directional",
    "alphaforge.indicators.streaming.momentum",
    "alphaforge.indicators.streaming.oscillators",
    "alphaforge.indicators.streaming.overlap",
    "alphaforge.indicators.streaming.realized",
    "alphaforge.indicators.streaming.volume",
    "alphaforge.brokers._sim_book",
    "alphaforge.brokers._sim_events",
    "alphaforge.brokers._sim_match",
    "alphaforge.brokers.sim",
    "alphaforge.portfolio._tally",
    "alphaforge.portfolio.ledger",
    "alphaforge.risk.engine",
    "alphaforge.runtime._handles",
    "alphaforge.runtime.context",
    "alphaforge.runtime.kernel",
    "alphaforge.runtime._tables",
)

#: The build's record, next to this file: ``{"mypy": version, "sources": {path: sha256}}`` for
#: every source it read (the compiled modules and the alphaforge modules they import).
MANIFEST = "_native.json"

_PACKAGE = Path(__file__).resolve().parent
_state: str | None = None


def status() -> str:
    """``"compiled"``, or ``"pure Python (<why>)"``: how the engine's core runs in this process."""
    return activate()


def activate() -> str:
    """Decide once per process whether the compiled core may be used (module docstring)."""
    global _state  # noqa: PLW0603  # one decision per process, before any core module loads
    if _state is None:
        reason = _why_pure()
        if reason is None:
            _state = "compiled"
        else:
            _state = f"pure Python ({reason})"
            if _has_extensions():
                sys.meta_path.insert(0, _SourceFirst(frozenset(COMPILED)))
    return _state


def _why_pure() -> str | None:
    if os.environ.get("ALPHAFORGE_PURE", "") not in ("", "0"):
        return "ALPHAFORGE_PURE is set"
    if not _has_extensions():
        return "not compiled at install"
    try:
        recorded = json.loads((_PACKAGE / MANIFEST).read_text())["sources"]
    except (OSError, ValueError, KeyError, TypeError):
        return _stale(f"compiled files without a readable {MANIFEST}")
    for relative, digest in recorded.items():
        path = _PACKAGE / relative
        try:
            actual = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return _stale(f"{relative} is missing")
        if actual != digest:
            return _stale(f"{relative} changed after the build")
    return None


def _stale(reason: str) -> str:
    warnings.warn(
        f"alphaforge's compiled core is out of date: {reason}; running it as pure Python "
        "(same results, slower). Rebuild it with `make build` (or reinstall alphaforge).",
        RuntimeWarning,
        stacklevel=4,
    )
    return f"stale build: {reason}"


def _has_extensions() -> bool:
    """Whether any module of ``COMPILED`` has a compiled file beside its source."""
    for name in COMPILED:
        stem = _PACKAGE.joinpath(*name.split(".")[1:])
        if any(stem.with_name(stem.name + suffix).exists() for suffix in EXTENSION_SUFFIXES):
            return True
    return False


class _SourceFirst:
    """A meta-path finder that imports the modules of the compiled set from their sources."""

    def __init__(self, names: frozenset[str]) -> None:
        self._names = names

    def find_spec(
        self, fullname: str, path: object = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        """The spec of ``fullname``'s ``.py`` file, for a module of the set; None otherwise."""
        if fullname not in self._names:
            return None
        source = _PACKAGE.joinpath(*fullname.split(".")[1:]).with_suffix(".py")
        return importlib.util.spec_from_file_location(fullname, source)
