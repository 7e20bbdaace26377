"""Shared data for the indicator tests: the bundled S&P 500 daily bars and EUR/USD hourly bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphaforge.data import load_dataset

DATASETS = ("spx_daily", "eurusd_1h")


def _columns(name: str) -> dict[str, np.ndarray]:
    frame = load_dataset(name)
    columns: dict[str, np.ndarray] = {
        str(c): np.ascontiguousarray(frame[c].to_numpy(), dtype=np.float64) for c in frame
    }
    # Session ids: the UTC calendar day of each bar (a new session every day).
    columns["session"] = pd.DatetimeIndex(frame.index).normalize().asi8
    return columns


_CACHE: dict[str, dict[str, np.ndarray]] = {}


def market_data(name: str) -> dict[str, np.ndarray]:
    """The columns of bundled dataset ``name`` as float64 arrays (read once per process)."""
    if name not in _CACHE:
        _CACHE[name] = _columns(name)
    return _CACHE[name]


@pytest.fixture(params=DATASETS)
def market(request: pytest.FixtureRequest) -> dict[str, np.ndarray]:
    """Each real dataset in turn: open, high, low, close, volume, session."""
    return market_data(request.param)


@pytest.fixture
def spx() -> dict[str, np.ndarray]:
    """The S&P 500 daily columns."""
    return market_data("spx_daily")


@pytest.fixture
def eurusd() -> dict[str, np.ndarray]:
    """The EUR/USD hourly columns."""
    return market_data("eurusd_1h")
