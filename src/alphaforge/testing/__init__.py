"""Helpers for tests and benchmarks, yours and ours: long bar frames built from real data.

Outside the layers on purpose (see docs/architecture.md): nothing in the package imports it.
"""

from alphaforge.testing.frames import tiled_bars

__all__ = ["tiled_bars"]
