"""``jit``: Numba's ``njit`` with a disk cache that goes stale when any kernel source changes.

Numba keys a cached function by its own file's time stamp and size. A kernel that calls, or
inlines, a kernel from another file keeps that callee's machine code in its own cache entry, so
an edit to the callee's file alone (``git pull``, an upgrade that touched one file) would run the
old code without a word. Every kernel of alphaforge is compiled through :func:`jit`, whose
cache entries also carry a hash of all the package's kernel sources (``KERNEL_SOURCES``): any
change to any of them makes every entry stale, and each kernel compiles again on first use
(seconds), which is the price of never running machine code of a source that is gone.

``tests/core/test_jit.py`` checks that ``KERNEL_SOURCES`` lists every module that compiles with
Numba (a module that only holds constants kernels read, like ``research/_layout.py``, is listed
by hand), and that a changed callee in another file is picked up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, TypeVar, cast

from numba import njit
from numba.core.caching import FunctionCache

__all__ = ["KERNEL_SOURCES", "jit", "sources_stamp"]

F = TypeVar("F", bound=Callable[..., Any])

_PACKAGE = Path(__file__).resolve().parents[1]

#: Every module (relative to the package) that compiles kernels with Numba, and every module
#: whose constants they read (Numba freezes module globals into the machine code): their
#: sources make up the stamp of every cache entry.
KERNEL_SOURCES: tuple[str, ...] = (
    "core/jit.py",
    "features/labels.py",
    "indicators/_nb.py",
    "indicators/channels.py",
    "indicators/directional.py",
    "indicators/momentum.py",
    "indicators/oscillators.py",
    "indicators/overlap.py",
    "indicators/realized.py",
    "indicators/volume.py",
    "research/_cscv.py",
    "research/_grid.py",
    "research/_kernel.py",
    "research/_layout.py",
    "research/_orders.py",
    "research/_setup.py",
    "research/montecarlo.py",
    "research/signals.py",
    "research/sweeps.py",
    "research/trials.py",
)


@cache
def sources_stamp(paths: tuple[Path, ...] | None = None) -> str:
    """The sha256 of ``paths`` (default: ``KERNEL_SOURCES``), read once per process."""
    files = paths if paths is not None else tuple(_PACKAGE / name for name in KERNEL_SOURCES)
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class _StampedCache(FunctionCache):
    """Numba's per-function cache with ``sources_stamp`` added to the source file's stamp."""

    def __init__(self, py_func: Callable[..., Any], stamp: str) -> None:
        super().__init__(py_func)  # type: ignore[no-untyped-call]  # numba is untyped
        cache_file = self._cache_file
        cache_file._source_stamp = (cache_file._source_stamp, stamp)


def jit(*, depends_on: Sequence[Path] | None = None, **options: Any) -> Callable[[F], F]:
    """``numba.njit(**options)`` with a disk cache stamped by the kernel sources (module
    docstring); ``depends_on`` replaces ``KERNEL_SOURCES`` (tests). ``cache`` is implied."""
    options.pop("cache", None)
    paths = None if depends_on is None else tuple(Path(p).resolve() for p in depends_on)

    def wrap(fn: F) -> F:
        dispatcher = njit(**options)(fn)
        dispatcher._cache = _StampedCache(dispatcher.py_func, sources_stamp(paths))
        return cast("F", dispatcher)

    return wrap
