"""Intrabar paths: the policies, the nearest-extreme rule, lower-timeframe paths."""

from __future__ import annotations

import pytest

from alphaforge.domain import Bar, InvalidValueError
from alphaforge.execution import path_for
from alphaforge.execution.intrabar import bar_path, check_policy, nearest_extreme_first, point_path

H = 3_600_000_000_000
BAR = Bar.create("AAA", "1h", 100.0, 105.0, 96.0, 101.0, 1.0, 4 * H)


def test_pessimistic_puts_the_adverse_extreme_first() -> None:
    assert path_for(BAR, "pessimistic", 1).prices == (100.0, 105.0, 96.0, 101.0)
    assert path_for(BAR, "pessimistic", -1).prices == (100.0, 96.0, 105.0, 101.0)
    assert path_for(BAR, "pessimistic", 1).jumps == (True, False, False, False)


def test_ohlc_path_visits_the_extreme_nearer_the_open_first() -> None:
    assert not nearest_extreme_first(BAR)  # 5 to the high, 4 to the low
    assert path_for(BAR, "ohlc_path", 1).prices == (100.0, 96.0, 105.0, 101.0)
    near_high = BAR._replace(open=103.0)
    assert path_for(near_high, "ohlc_path", -1).prices == (103.0, 105.0, 96.0, 101.0)
    tie = BAR._replace(open=100.5)
    assert path_for(tie, "ohlc_path", 1).prices[1] == 96.0  # a tie goes low first


def test_lower_timeframe_concatenates_the_small_bars() -> None:
    lower = [
        Bar.create("AAA", "30m", 100.0, 105.0, 99.0, 104.0, 1.0, 3 * H + H // 2),
        Bar.create("AAA", "30m", 103.0, 104.0, 96.0, 101.0, 1.0, 4 * H),
    ]
    path = path_for(BAR, "lower_timeframe", -1, lower)
    assert path.prices == (100.0, 99.0, 105.0, 104.0, 103.0, 96.0, 104.0, 101.0)
    assert path.jumps == (True, False, False, False, True, False, False, False)
    assert path.note == "lower timeframe: 2 30m bars"
    fallback = path_for(BAR, "lower_timeframe", -1, None)
    assert fallback.prices == (100.0, 96.0, 105.0, 101.0)
    assert fallback.note.startswith("no lower-timeframe bars given")


@pytest.mark.parametrize(
    "lower",
    [
        [Bar.create("BBB", "30m", 100.0, 101.0, 99.0, 100.0, 1.0, 4 * H)],
        [Bar.create("AAA", "30m", 100.0, 101.0, 99.0, 100.0, 1.0, 5 * H)],
        [
            Bar.create("AAA", "30m", 100.0, 101.0, 99.0, 100.0, 1.0, 4 * H),
            Bar.create("AAA", "30m", 100.0, 101.0, 99.0, 100.0, 1.0, 4 * H),
        ],
    ],
)
def test_lower_bars_must_belong_to_the_bar(lower: list[Bar]) -> None:
    with pytest.raises(InvalidValueError):
        path_for(BAR, "lower_timeframe", 1, lower)


def test_point_path_and_policy_check() -> None:
    assert point_path(100.5, "close") == ((100.5,), (True,), "close", "")
    assert bar_path(BAR, high_first=True).label == "open"
    assert check_policy("ohlc_path") == "ohlc_path"
    with pytest.raises(InvalidValueError, match="intrabar policy"):
        check_policy("optimistic")
