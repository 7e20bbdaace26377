"""The daily grid the modelled option indices live on: aligned spot and implied vol, monthly
rolls and each contract's nominal expiry. Everything at a stamp is built from data up to it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alphaforge.domain.errors import InvalidValueError

__all__ = ["Grid", "build_grid"]

_NS_PER_DAY = 86_400_000_000_000


@dataclass(frozen=True)
class Grid:
    """Aligned inputs from the first monthly roll on (see :func:`build_grid`)."""

    stamps: pd.DatetimeIndex
    spot: np.ndarray
    vol: np.ndarray
    day: np.ndarray
    """Session date of each stamp, in days since 1970-01-01 (UTC)."""
    roll: np.ndarray
    """True where a contract is written (the first stamp of each month; the first stamp)."""
    contract: np.ndarray
    """Index (into the roll positions) of the contract live after each stamp's roll."""
    expiry: np.ndarray
    """Nominal expiry day of each contract: the first weekday of the month after its roll."""

    @property
    def starts(self) -> np.ndarray:
        """Positions of the roll stamps."""
        return np.flatnonzero(self.roll)

    def years_left(self) -> np.ndarray:
        """Calendar years from each stamp to its live contract's expiry (0 at or after it)."""
        left = self.expiry[self.contract] - self.day
        years: np.ndarray = np.maximum(left, 0).astype(np.float64) / 365.0
        return years


def build_grid(close: pd.Series, implied: pd.Series, max_fill: int) -> Grid:
    """Align ``implied`` (annual vol as a fraction) on ``close``'s stamps and mark monthly rolls.

    A missing implied vol is carried forward over at most ``max_fill`` stamps (VIX has no value
    on some holidays); a longer gap inside the data is an error, one at the end ends the grid.
    The grid starts at the first stamp whose month differs from the one before it, so each
    contract is written on the first session of a month.
    """
    spot_all = _checked_series("close", close)
    if max_fill < 0:
        raise InvalidValueError(f"max_fill must be >= 0, got {max_fill}")
    iv = _checked_series("implied", implied.dropna())
    if float(iv.median()) > 3.0:
        raise InvalidValueError(
            f"implied looks like percent (median {float(iv.median()):.4g}); pass it as a fraction "
            "(VIX / 100)"
        )
    vol_all = iv.reindex(spot_all.index).ffill(limit=max_fill).to_numpy()
    known = np.flatnonzero(np.isfinite(vol_all))
    if known.size == 0:
        raise InvalidValueError("close and implied share no stamps; align them first")
    first, last = int(known[0]), int(known[-1])
    gaps = np.flatnonzero(~np.isfinite(vol_all[first : last + 1]))
    if gaps.size:
        at = spot_all.index[first + int(gaps[0])]
        raise InvalidValueError(
            f"implied vol is missing at {at.date()} for more than max_fill={max_fill} stamps; "
            "fill or cut the data"
        )
    stamps = pd.DatetimeIndex(spot_all.index[first : last + 1])
    day = stamps.as_unit("ns").asi8 // _NS_PER_DAY
    month = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    change = np.flatnonzero(np.diff(month) != 0) + 1
    if change.size == 0:
        raise InvalidValueError(
            "the data hold no month change after implied vol starts; a monthly roll needs one"
        )
    start = int(change[0])
    roll = np.zeros(len(stamps) - start, dtype=bool)
    roll[change - start] = True
    contract = np.cumsum(roll) - 1
    roll_days = day[start:][roll]
    next_month = roll_days.astype("datetime64[D]").astype("datetime64[M]") + 1
    expiry = np.busday_offset(next_month.astype("datetime64[D]"), 0, roll="forward")
    return Grid(
        stamps=stamps[start:],
        spot=spot_all.to_numpy()[first + start : last + 1],
        vol=vol_all[first + start : last + 1],
        day=day[start:],
        roll=roll,
        contract=contract,
        expiry=expiry.astype(np.int64),
    )


def _checked_series(name: str, s: pd.Series) -> pd.Series:
    if not isinstance(s, pd.Series):
        raise InvalidValueError(f"{name} must be a pandas Series, got {type(s).__name__}")
    if not isinstance(s.index, pd.DatetimeIndex) or s.index.tz is None:
        raise InvalidValueError(f"{name} needs a timezone-aware DatetimeIndex (UTC)")
    if not s.index.is_monotonic_increasing or s.index.has_duplicates:
        raise InvalidValueError(f"{name}'s stamps must be sorted and unique")
    values = s.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (values <= 0.0)
    if bad.any():
        at = s.index[int(np.flatnonzero(bad)[0])]
        raise InvalidValueError(f"{name} must be finite and > 0; got {values[bad][0]!r} at {at}")
    return s.astype(np.float64).tz_convert("UTC")
