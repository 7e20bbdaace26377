"""Shared test configuration."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from alphaforge import _native

settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Where the core is compiled, set aside the ``pure_only`` tests: they patch or spy on
    private methods, which compiled callers reach directly. ``tests/test_native.py`` runs them
    in a pure-Python subprocess instead, so they still run (and fail) in every test run."""
    if _native.status() != "compiled":
        return
    kept, aside = [], []
    for item in items:
        (aside if item.get_closest_marker("pure_only") is not None else kept).append(item)
    if aside:
        config.hook.pytest_deselected(items=aside)
        items[:] = kept
