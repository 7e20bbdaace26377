"""The compiled core (``alphaforge/_native.py``, ``setup.py``): used where built, identical in
results to the pure-Python core, and never used stale."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import pickle
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pandas as pd
import pytest

from alphaforge import _native
from alphaforge.config import AlphaforgeConfig
from alphaforge.runtime import backtest

ROOT = Path(__file__).resolve().parent.parent
COMPILED = _native.status() == "compiled"
RUNS: dict[str, dict[str, object]] = {
    "sma_costs_short": {"strategy": "sma_cross", "data": "spx_daily",
                        "params": {"mode": "long_short"}, "commission_bps": 2, "slippage_bps": 3,
                        "allow_short": True, "borrow_rate": 0.02, "cash_rate": 0.01},
    "sma_aggressive_capped": {"strategy": "sma_cross", "data": "spx_daily", "fill": "aggressive",
                              "spread_bps": 2, "max_participation": 0.01},
    "donchian_ohlc_path": {"strategy": "donchian_breakout", "data": "spx_daily",
                           "intrabar": "ohlc_path"},
    "market_making": {"strategy": "market_making"},
    "pairs": {"strategy": "pairs_trading"},
    "macd_eurusd_close": {"strategy": "macd_cross", "data": "eurusd_1h", "fill": "close"},
}  # fmt: skip
_CHILD = """
import pickle, sys, warnings
from alphaforge.config import AlphaforgeConfig
from alphaforge.runtime import backtest
from alphaforge import _native
out = {"status": _native.status()}
for name, kwargs in pickle.loads(sys.stdin.buffer.read()).items():
    kwargs = dict(kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = backtest(kwargs.pop("strategy"), config=AlphaforgeConfig(), **kwargs)
    out[name] = {t: getattr(result, t) for t in ("orders", "fills", "trades", "equity")}
    out[name]["metrics"] = repr(result.metrics)
sys.stdout.buffer.write(pickle.dumps(out))
"""


def _pure_env() -> dict[str, str]:
    return {**os.environ, "ALPHAFORGE_PURE": "1"}


def test_the_core_is_compiled_where_ci_runs() -> None:
    """CI installs as a user does (``make install``): a failed compile must not pass unseen, or
    every speed figure would describe a build nobody runs."""
    if os.environ.get("CI"):
        assert COMPILED, f"the core runs as {_native.status()} in CI"
    # whichever it is, every module of the set is loaded that way (all or none)
    files = [importlib.import_module(name).__file__ or "" for name in _native.COMPILED]
    if COMPILED:
        assert not any(path.endswith(".py") for path in files), files
    else:
        assert _native.status().startswith("pure Python (")
        assert all(path.endswith(".py") for path in files), files


@pytest.mark.skipif(not COMPILED, reason="compares the compiled core with the pure one")
def test_compiled_and_pure_cores_give_the_same_backtests_bit_for_bit() -> None:
    done = subprocess.run(  # our own interpreter and code
        [sys.executable, "-c", _CHILD],
        input=pickle.dumps(RUNS),
        capture_output=True,
        env=_pure_env(),
        check=True,
        cwd=ROOT,
    )
    pure = pickle.loads(done.stdout)  # noqa: S301  # our own child's output
    assert pure.pop("status") == "pure Python (ALPHAFORGE_PURE is set)"
    for name, spec in RUNS.items():
        kwargs = dict(spec)
        strategy = kwargs.pop("strategy")
        result = backtest(strategy, config=AlphaforgeConfig(), **kwargs)  # type: ignore[arg-type]
        assert len(result.fills) > 0, name  # a run without fills would compare nothing
        for table in ("orders", "fills", "trades", "equity"):
            pd.testing.assert_frame_equal(
                getattr(result, table), pure[name][table], check_exact=True, obj=f"{name} {table}"
            )
        assert repr(result.metrics) == pure[name]["metrics"], name


@pytest.mark.skipif(not COMPILED, reason="in a pure-Python run they ran with the others")
def test_the_pure_only_tests_pass_in_pure_python() -> None:
    files = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("test_*.py")
        if "mark.pure_only" in path.read_text() and path.name != "test_native.py"
    )
    assert files, "no pure_only tests found: the marker or this search changed"
    done = subprocess.run(  # our own interpreter and tests
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "pure_only", *files],
        capture_output=True,
        text=True,
        env=_pure_env(),
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
    assert "deselected" in done.stdout


def test_a_pure_process_imports_every_core_module_from_its_source() -> None:
    code = (
        "import importlib, alphaforge._native as n\n"
        "print(n.status())\n"
        "for name in n.COMPILED: print(importlib.import_module(name).__file__)\n"
    )
    done = subprocess.run(  # our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, env=_pure_env(), check=True
    )
    lines = done.stdout.splitlines()
    assert lines[0] == "pure Python (ALPHAFORGE_PURE is set)"
    assert len(lines) == 1 + len(_native.COMPILED)
    assert all(line.endswith(".py") for line in lines[1:])


# ------------------------------------------------------------------ the staleness guard
def _package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, record: bool = True) -> Path:
    """A package holding one compiled module, ``core/ids``, with its source and (``record``)
    the build's record; ``_native`` is pointed at it."""
    (tmp_path / "core").mkdir()
    source = tmp_path / "core" / "ids.py"
    source.write_text("X = 1\n")
    (tmp_path / "core" / f"ids{EXTENSION_SUFFIXES[0]}").write_bytes(b"")
    if record:
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        sources = {"core/ids.py": digest}
        (tmp_path / _native.MANIFEST).write_text(json.dumps({"sources": sources}))
    monkeypatch.setattr(_native, "_PACKAGE", tmp_path)
    monkeypatch.setattr(_native, "COMPILED", ("alphaforge.core.ids",))
    monkeypatch.delenv("ALPHAFORGE_PURE", raising=False)
    return source


def test_a_build_matching_its_sources_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _package(tmp_path, monkeypatch)
    assert _native._why_pure() is None
    monkeypatch.setenv("ALPHAFORGE_PURE", "1")
    assert _native._why_pure() == "ALPHAFORGE_PURE is set"


def test_an_edited_source_makes_the_build_stale_and_says_how_to_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _package(tmp_path, monkeypatch)
    source.write_text("X = 2\n")
    with pytest.warns(RuntimeWarning, match=r"core/ids.py changed after the build.*make build"):
        assert _native._why_pure() == "stale build: core/ids.py changed after the build"
    source.unlink()
    with pytest.warns(RuntimeWarning, match="core/ids.py is missing"):
        assert _native._why_pure() == "stale build: core/ids.py is missing"


def test_compiled_files_without_a_record_are_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _package(tmp_path, monkeypatch, record=False)
    with pytest.warns(RuntimeWarning, match="without a readable _native.json"):
        assert _native._why_pure() == "stale build: compiled files without a readable _native.json"
    (tmp_path / "core" / f"ids{EXTENSION_SUFFIXES[0]}").unlink()
    assert _native._why_pure() == "not compiled at install"


def test_the_source_finder_takes_only_the_compiled_set(tmp_path: Path) -> None:
    finder = _native._SourceFirst(frozenset({"alphaforge.core.ids"}))
    spec = finder.find_spec("alphaforge.core.ids")
    assert spec is not None
    assert spec.origin is not None
    assert spec.origin.endswith(os.path.join("alphaforge", "core", "ids.py"))
    assert finder.find_spec("alphaforge.core.clock") is None
