"""The top-level API stays small and deliberate: adding a name here is a design decision."""

from __future__ import annotations

import alphaforge


def test_public_names() -> None:
    assert sorted(alphaforge.__all__) == sorted(["__version__", "list_datasets", "load_dataset"])
    for name in alphaforge.__all__:
        assert hasattr(alphaforge, name)


def test_version_is_semver() -> None:
    major, minor, patch = alphaforge.__version__.split(".")
    assert all(part.isdigit() for part in (major, minor, patch))
