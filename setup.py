"""Build hook: compile the engine's core with mypyc where possible, else install it as Python.

Everything else about the package is in ``pyproject.toml``. The modules compiled are listed in
``src/alphaforge/_native.py`` (``COMPILED``), which says why and how a stale build is caught.

* ``ALPHAFORGE_PURE=1`` at install: compile nothing.
* No C compiler, or mypyc refusing a module: a warning, and the same modules run as Python
  (slower, same results). ``python -c "import alphaforge._native as n; print(n.status())"``
  says which one a process runs.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
PACKAGE = ROOT / "src" / "alphaforge"
# Commands that build extension modules; metadata commands (egg_info, ...) skip mypyc's type check.
_BUILDS = {"build", "build_ext", "bdist_wheel", "editable_wheel", "develop", "install"}


def _compiled() -> list[str]:
    """``COMPILED`` of ``_native.py``, read without importing alphaforge (its dependencies may
    not be installed yet)."""
    for node in ast.parse((PACKAGE / "_native.py").read_text()).body:
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == "COMPILED"
            and node.value is not None
        ):
            return list(ast.literal_eval(node.value))
    raise RuntimeError("src/alphaforge/_native.py defines no COMPILED tuple")


def _source(module: str) -> Path | None:
    path = ROOT / "src" / Path(*module.split("."))
    if (path / "__init__.py").exists():
        return path / "__init__.py"
    return path.with_suffix(".py") if path.with_suffix(".py").exists() else None


def _read_by_build(modules: list[str]) -> list[Path]:
    """The compiled modules' sources, those of the alphaforge modules they import, and
    ``_native.py`` (which lists the compiled modules)."""
    found: set[Path] = {PACKAGE / "_native.py"}
    for module in modules:
        path = _source(module)
        if path is None:
            raise RuntimeError(f"COMPILED names {module}, which has no source file")
        found.add(path)
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("alphaforge"):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("alphaforge")]
            found.update(p for p in map(_source, names) if p is not None)
    return sorted(found)


def _extensions() -> list[object]:
    if os.environ.get("ALPHAFORGE_PURE", "") not in ("", "0"):
        return []
    if not _BUILDS.intersection(sys.argv[1:]):
        return []
    try:
        from mypyc.build import mypycify  # noqa: PLC0415  # a build requirement only

        paths = [str(_source(m).relative_to(ROOT)) for m in _compiled()]  # type: ignore[union-attr]
        extensions = mypycify(
            ["--config-file", str(ROOT / "mypyc.ini"), *paths],
            opt_level="3",
            group_name="alphaforge_core",
        )
    except (Exception, SystemExit) as exc:  # any failure: install pure Python
        print(f"warning: alphaforge's core is not compiled ({exc!r}); it runs as Python")
        return []
    if os.name != "nt":  # gcc and clang: no fused multiply-add, so results match Python's
        for extension in extensions:
            extension.extra_compile_args = [*extension.extra_compile_args, "-ffp-contract=off"]
    return list(extensions)


class BuildCore(build_ext):
    """``build_ext`` that installs pure Python on a compiler failure and records the sources."""

    def run(self) -> None:
        if not self.extensions:
            return
        try:
            super().run()
        except Exception as exc:  # no compiler, no headers: install pure Python
            for ext in self.extensions:  # all or none: the modules call each other natively
                Path(self.get_ext_fullpath(ext.name)).unlink(missing_ok=True)
            print(f"warning: alphaforge's core is not compiled ({exc!r}); it runs as Python")
            return
        target = PACKAGE if self.inplace else Path(self.build_lib) / "alphaforge"
        sources = {
            str(path.relative_to(PACKAGE)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in _read_by_build(_compiled())
        }
        record = {"mypy": _mypy_version(), "sources": sources}
        (target / "_native.json").write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")


def _mypy_version() -> str:
    from mypy.version import __version__  # noqa: PLC0415

    return str(__version__)


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildCore})
