"""backtest(mode="vector") gives the event engine's fills, equity and metrics on real data."""

from __future__ import annotations

import pandas as pd
import pytest

from alphaforge.config import AlphaforgeConfig
from alphaforge.domain.errors import InvalidValueError
from alphaforge.runtime import backtest

CFG = AlphaforgeConfig()


@pytest.mark.parametrize(
    ("strategy", "data", "kwargs"),
    [
        ("sma_cross", "spx_daily", {"params": {"fast": 20, "slow": 100}}),
        (
            "rsi_reversion",
            "stocks20_close",
            {"symbols": ["AAPL", "JPM", "XOM"], "start": "2000-01-01"},
        ),
    ],
)
def test_vector_mode_equals_event_mode(strategy: str, data: str, kwargs: dict[str, object]) -> None:
    event = backtest(strategy, data, config=CFG, **kwargs)  # type: ignore[arg-type]
    vector = backtest(strategy, data, mode="vector", config=CFG, **kwargs)  # type: ignore[arg-type]
    columns = ["ts", "symbol", "side", "quantity", "price", "fee"]
    pd.testing.assert_frame_equal(event.fills[columns], vector.fills[columns], check_dtype=False)
    pd.testing.assert_series_equal(
        event.equity["equity"], vector.equity["equity"], check_exact=False, rtol=1e-9
    )
    assert vector.metrics.sharpe_ratio == pytest.approx(event.metrics.sharpe_ratio, rel=1e-9)
    assert len(vector.trades) == len(event.trades)
    assert vector.run_id != event.run_id  # the mode is part of what a run id names


def test_vector_mode_refuses_what_it_does_not_model() -> None:
    with pytest.raises(InvalidValueError, match="borrow_rate"):
        backtest("sma_cross", "spx_daily", mode="vector", borrow_rate=0.03, config=CFG)
