"""Long bar frames made of real bars, for speed tests that need more rows than any bundled set.

A million random-walk bars would be easy to make and would prove nothing about real data (its
ranges, volume profile, flat stretches and jumps), so the frames here repeat a real bundled set
end to end instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alphaforge.data.bundled import dataset_info, load_dataset
from alphaforge.domain.errors import InvalidValueError

__all__ = ["tiled_bars"]


def tiled_bars(
    rows: int = 1_000_000,
    *,
    dataset: str = "binance_ethbtc_5m",
    freq: str = "1min",
    start: str = "2018-01-01",
) -> pd.DataFrame:
    """Return ``rows`` real OHLCV bars: ``dataset`` repeated end to end, restamped ``freq`` apart.

    Each copy is rescaled so that it opens where the previous one closed (no fake jump at the
    seams), so the frame is valid, gap-free on a 24/7 calendar and keeps the real bar shapes.
    The defaults (Binance ETH/BTC 5-minute bars at one-minute stamps) are what the benchmarks
    quoted in the README use.
    """
    if rows < 1:
        raise InvalidValueError(f"rows must be >= 1, got {rows}")
    if dataset_info(dataset).kind != "ohlcv":
        raise InvalidValueError(f"{dataset} is not an OHLCV dataset; tiled_bars needs bars")
    base = load_dataset(dataset)
    reps = -(-rows // len(base))
    values = np.tile(base.to_numpy(dtype=np.float64), (reps, 1))[:rows]
    drift = base["close"].iloc[-1] / base["open"].iloc[0]
    values[:, :4] *= np.repeat(drift ** np.arange(reps), len(base))[:rows, None]
    index = pd.date_range(start, periods=rows, freq=freq, tz="UTC", name="timestamp")
    return pd.DataFrame(values, index=index.as_unit("ns"), columns=base.columns)
