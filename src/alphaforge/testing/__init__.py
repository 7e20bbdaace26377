"""Helpers for tests and benchmarks, yours and ours: long bar frames built from real data, and
the look-ahead test every strategy must pass.

Outside the layers on purpose (see docs/architecture.md): nothing in the package imports it.
"""

from alphaforge.testing.frames import tiled_bars
from alphaforge.testing.lookahead import LookaheadError, assert_no_lookahead

__all__ = ["LookaheadError", "assert_no_lookahead", "tiled_bars"]
