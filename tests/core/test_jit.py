"""``alphaforge.core.jit``: Numba's disk cache, made stale by a change to any kernel source.

Numba alone keys a cached kernel by its own file, so a kernel that calls one from another file
kept the callee's old machine code after the callee's file changed (found on 2026-12-06: an
edit to ``research/_grid.py`` needed its caches deleted by hand).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import alphaforge
from alphaforge.core.jit import KERNEL_SOURCES

PACKAGE = Path(alphaforge.__file__).resolve().parent
_DECORATED = re.compile(r"^@(jit|kernel|inline|_jit|_inline)\b", re.M)


def test_every_module_that_compiles_kernels_is_in_the_stamp() -> None:
    found = {
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if _DECORATED.search(p.read_text(encoding="utf-8"))
    }
    constants_only = {"core/jit.py", "research/_layout.py"}  # read by kernels, no kernel of theirs
    assert found | constants_only == set(KERNEL_SOURCES)
    assert all((PACKAGE / name).is_file() for name in KERNEL_SOURCES)


CALLER = """
from pathlib import Path
from alphaforge.core.jit import jit
from callee import g

HERE = Path(__file__).parent

@jit(depends_on=[HERE / "caller.py", HERE / "callee.py"])
def f(x):
    return g(x) + 1.0

print(f(1.0))
"""

CALLEE = """
from pathlib import Path
from alphaforge.core.jit import jit

HERE = Path(__file__).parent

@jit(depends_on=[HERE / "caller.py", HERE / "callee.py"], inline="{inline}")
def g(x):
    return x * {factor}
"""


def _run(folder: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(folder), "NUMBA_CACHE_DIR": str(folder / "cache")}
    done = subprocess.run(
        [sys.executable, str(folder / "caller.py")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=300,
    )
    return done.stdout.strip()


def test_a_changed_callee_in_another_file_is_compiled_again(tmp_path: Path) -> None:
    for inline in ("never", "always"):  # called, and copied into the caller
        folder = tmp_path / inline
        folder.mkdir()
        (folder / "caller.py").write_text(textwrap.dedent(CALLER))
        callee = folder / "callee.py"
        callee.write_text(textwrap.dedent(CALLEE.format(inline=inline, factor="2.0")))
        assert _run(folder) == "3.0"  # compiled, and cached
        assert any((folder / "cache").rglob("*.nbc"))
        assert _run(folder) == "3.0"  # from the cache
        callee.write_text(textwrap.dedent(CALLEE.format(inline=inline, factor="10.0")))
        assert _run(folder) == "11.0"  # the caller's file is unchanged: stale without the stamp
