"""Deterministic ids for backtests, random ones for live runs."""

from __future__ import annotations

import pytest

from alphaforge.core.ids import IdFactory, uuid_id
from alphaforge.domain.errors import InvalidValueError


def test_ids_count_from_start_and_repeat_across_factories() -> None:
    ids = IdFactory("O")
    assert [ids(), ids(), ids()] == ["O-1", "O-2", "O-3"]
    assert ids.last == "O-3"
    again = IdFactory("O")
    assert again() == "O-1"


def test_padding_keeps_text_order() -> None:
    ids = IdFactory("E", start=9, width=4)
    first, second = ids(), ids()
    assert (first, second) == ("E-0009", "E-0010")
    assert sorted([second, first]) == [first, second]


@pytest.mark.parametrize(("prefix", "start"), [("", 1), ("a b", 1), ("O", -1)])
def test_bad_arguments(prefix: str, start: int) -> None:
    with pytest.raises(InvalidValueError):
        IdFactory(prefix, start)


def test_uuid_ids_are_unique_hex() -> None:
    a, b = uuid_id(), uuid_id()
    assert a != b
    assert len(a) == 32
    int(a, 16)


def test_unpadded_and_padded_ids_agree_on_the_number() -> None:
    plain, padded = IdFactory("X", start=98), IdFactory("X", start=98, width=1)
    assert [plain() for _ in range(3)] == [padded() for _ in range(3)] == ["X-98", "X-99", "X-100"]
