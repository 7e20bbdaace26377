"""The Numba kernels, run as plain Python (``py_func``), give the compiled results bit for bit.

This pins down that compilation changes nothing (no fast-math, no reassociation), and it runs the
kernels' source lines under coverage, which compiled code is invisible to.
"""

from __future__ import annotations

import types

import numpy as np
import pytest
from numba.core.registry import CPUDispatcher

from alphaforge.indicators import (
    INDICATORS,
    channels,
    directional,
    momentum,
    oscillators,
    overlap,
    realized,
    volume,
)
from alphaforge.indicators import _nb as nb

MODULES: tuple[types.ModuleType, ...] = (
    nb,
    overlap,
    momentum,
    directional,
    oscillators,
    channels,
    volume,
    realized,
)


def _run_as_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace every compiled function, in every module that names it, by its Python source."""
    for module in MODULES:
        for name, value in list(vars(module).items()):
            if isinstance(value, CPUDispatcher):
                monkeypatch.setattr(module, name, value.py_func)


@pytest.mark.parametrize("name", sorted(INDICATORS))
def test_python_kernels_equal_compiled_kernels(
    name: str, spx: dict[str, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = INDICATORS[name]
    data = {k: v[:400] for k, v in spx.items()}
    params = {k: (5 if isinstance(v, int) else v) for k, v in spec.params.items()}
    compiled = spec.compute(data, **params)
    with monkeypatch.context() as patch:
        _run_as_python(patch)
        interpreted = spec.compute(data, **params)
    for mine, python in zip(
        compiled if isinstance(compiled, tuple) else (compiled,),
        interpreted if isinstance(interpreted, tuple) else (interpreted,),
        strict=True,
    ):
        np.testing.assert_array_equal(mine, python)
