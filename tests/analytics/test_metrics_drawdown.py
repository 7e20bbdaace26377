"""Drawdown episodes: peak, trough, recovery, length in periods and as a timedelta.

The first tests use a hand-made return series with known answers (synthetic on purpose); the
last checks every episode of Microsoft's real daily closes against a plain-Python reference.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from alphaforge import analytics as an
from alphaforge.analytics.drawdown import drawdown_summary
from alphaforge.data import load_dataset

# wealth 1 → 1.1 → 0.55 → 0.66 → 1.32 → 1.188 → 1.2474
RETURNS = [0.1, -0.5, 0.2, 1.0, -0.1, 0.05]
DAYS = pd.date_range("2024-01-01", periods=6, freq="D", tz="UTC")
START = pd.Timestamp("2023-12-31", tz="UTC")


def test_episodes_of_a_known_series() -> None:
    r = pd.Series(RETURNS, index=DAYS)
    first, second = an.drawdown_periods(r, start=START)
    assert first.depth == pytest.approx(-0.5)
    assert (first.peak, first.trough, first.recovery) == (DAYS[0], DAYS[1], DAYS[3])
    assert first.periods == 3
    assert first.duration == timedelta(days=3)
    assert first.recovered
    assert second.depth == pytest.approx(-0.1)
    assert (second.peak, second.trough, second.recovery) == (DAYS[3], DAYS[4], None)
    assert second.periods == 2  # still open: counted to the last period
    assert second.duration == timedelta(days=2)
    assert not second.recovered
    assert an.max_drawdown_period(r) == first
    assert an.max_drawdown_duration(r) == first
    assert an.max_drawdown(r) == pytest.approx(-0.5)


def test_array_input_labels_are_wealth_positions() -> None:
    first, second = an.drawdown_periods(np.array(RETURNS))
    assert (first.peak, first.trough, first.recovery, first.periods) == (1, 2, 4, 3)
    assert (second.peak, second.trough, second.recovery, second.periods) == (4, 5, None, 2)
    assert first.duration is None


def test_a_loss_on_the_first_period_peaks_at_the_start() -> None:
    r = pd.Series([-0.1, 0.2], index=DAYS[:2])
    (episode,) = an.drawdown_periods(r, start=START)
    assert (episode.peak, episode.trough, episode.recovery) == (START, DAYS[0], DAYS[1])
    assert episode.duration == timedelta(days=2)
    (undated,) = an.drawdown_periods(r)
    assert undated.peak is None
    assert undated.duration is None
    assert undated.periods == 2


def test_the_longest_episode_can_differ_from_the_deepest() -> None:
    # a deep, quick dip, then a shallow one that never recovers
    r = pd.Series([-0.3, 0.5, -0.01, 0.0, 0.0, 0.0], index=DAYS)
    assert an.max_drawdown_period(r, start=START).depth == pytest.approx(-0.3)
    longest = an.max_drawdown_duration(r, start=START)
    assert longest is not None
    assert longest.depth == pytest.approx(-0.01)
    assert longest.periods == 4


def test_no_drawdown_and_empty() -> None:
    assert an.drawdown_periods([0.01, 0.0, 0.02]) == []
    assert an.max_drawdown_duration([0.01, 0.02]) is None
    assert an.max_drawdown_period([]) is None
    assert an.max_drawdown([0.0, 0.0]) == 0.0
    assert np.isnan(an.max_drawdown([]))
    assert len(an.drawdown_series(np.array([]))) == 0


def _reference_episodes(prices: list[float]) -> list[tuple[int, int, int | None]]:
    """Plain-Python episodes of a price list: (peak, trough, recovery) positions."""
    episodes: list[tuple[int, int, int | None]] = []
    peak, peak_at, trough_at, under = prices[0], 0, 0, False
    for i, price in enumerate(prices):
        if price >= peak:
            if under:
                episodes.append((peak_at, trough_at, i))
                under = False
            peak, peak_at = price, i
        elif not under:
            under, trough_at = True, i
        elif price < prices[trough_at]:
            trough_at = i
    if under:
        episodes.append((peak_at, trough_at, None))
    return episodes


def test_every_episode_of_real_prices_matches_a_reference() -> None:
    """Returns of a price back at its old high compound to a hair below it: still recovered."""
    prices = load_dataset("msft_daily")["close"]
    expected = _reference_episodes(prices.tolist())
    position = {stamp: i for i, stamp in enumerate(prices.index)}

    def positions(ep: an.DrawdownPeriod) -> tuple[int, int, int | None]:
        recovery = None if ep.recovery is None else position[ep.recovery]
        return position[ep.peak], position[ep.trough], recovery

    episodes = an.drawdown_periods(prices.pct_change().iloc[1:], start=prices.index[0])
    assert [positions(ep) for ep in episodes] == expected
    depth, deepest, longest = drawdown_summary(prices.to_numpy(), prices.index)
    assert deepest is not None
    assert longest is not None
    assert depth == pytest.approx(an.max_drawdown(prices.pct_change()), rel=1e-12)
    from_returns = min(episodes, key=lambda ep: ep.depth)
    assert deepest.depth == pytest.approx(from_returns.depth, rel=1e-12)
    assert (deepest.peak, deepest.trough, deepest.recovery) == (
        from_returns.peak,
        from_returns.trough,
        from_returns.recovery,
    )
    assert longest.periods == max(ep.periods for ep in episodes)
    assert longest.duration == longest.recovery - longest.peak
