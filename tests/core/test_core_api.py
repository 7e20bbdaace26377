"""alphaforge.core exports its primitives, and only names that exist."""

from __future__ import annotations

from alphaforge import core


def test_exports_exist_without_duplicates() -> None:
    assert len(set(core.__all__)) == len(core.__all__)
    for name in core.__all__:
        assert hasattr(core, name), name
    for name in ("SimClock", "LiveClock", "MessageBus", "configure_logging", "IdFactory"):
        assert name in core.__all__
