"""Every(...) fires on the first timestamp of each period (known dates, so known answers)."""

from __future__ import annotations

import pandas as pd
import pytest

from alphaforge.domain.errors import InvalidValueError
from alphaforge.strategies.schedule import Every


def _fires(freq: str, stamps: list[str], n: int = 1) -> list[str]:
    every = Every(freq, n)
    return [s for s in stamps if every(pd.Timestamp(s, tz="UTC").value)]


DAYS = ["2020-01-30", "2020-01-31", "2020-02-03", "2020-02-28", "2020-03-02", "2020-04-01"]


def test_monthly_fires_on_each_months_first_bar() -> None:
    assert _fires("M", DAYS) == ["2020-01-30", "2020-02-03", "2020-03-02", "2020-04-01"]


def test_every_second_month() -> None:
    assert _fires("M", DAYS, n=2) == ["2020-01-30", "2020-03-02"]


def test_weeks_start_on_monday() -> None:
    stamps = ["2020-01-03", "2020-01-05", "2020-01-06", "2020-01-12", "2020-01-13"]  # Fri Sun Mon
    assert _fires("W", stamps) == ["2020-01-03", "2020-01-06", "2020-01-13"]


def test_quarters_and_years() -> None:
    assert _fires("Q", DAYS) == ["2020-01-30", "2020-04-01"]
    assert _fires("Y", ["2019-12-31", "2020-01-02", "2020-06-01"]) == ["2019-12-31", "2020-01-02"]


def test_repeated_timestamp_fires_once() -> None:
    every = Every("D")
    ts = pd.Timestamp("2020-01-02", tz="UTC").value
    assert [every(ts), every(ts)] == [True, False]


def test_bad_frequency_is_named() -> None:
    with pytest.raises(InvalidValueError, match="one of D, W, M, Q, Y"):
        Every("H")
