"""alphaforge.domain exports its vocabulary, and only names that exist."""

from __future__ import annotations

from alphaforge import domain


def test_exports_exist_without_duplicates() -> None:
    assert len(set(domain.__all__)) == len(domain.__all__)
    for name in domain.__all__:
        assert hasattr(domain, name), name
    for name in ("Instrument", "OrderIntent", "Order", "Fill", "Position", "OrderFilled"):
        assert name in domain.__all__
