"""Financing: what holding a position or cash costs (or earns) over time.

Each model returns an **amount charged to the account** in the relevant currency, with the sign
convention of ``Fill.fee``: positive = the account pays, negative = the account receives. The
ledger books it (``Ledger.charge``); these models only compute.

* ``BorrowFee``: a short position pays ``|short market value| * annual_rate / day_count`` per
  calendar day it is held (Friday's short pays for Saturday and Sunday too, as at brokers).
* ``FundingSchedule``: a perpetual future exchanges ``position notional * rate`` at each funding
  time; with a positive rate longs pay and shorts receive.
* ``CashInterest``: positive cash earns ``cash * annual_rate / day_count`` per day; negative cash
  pays ``debit_rate`` when one is given (otherwise it is not charged).

Day counts follow money-market convention: 360 for USD and EUR, 365 for GBP and some others.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.time import NS_PER_DAY

__all__ = ["BorrowFee", "CashInterest", "FundingSchedule", "calendar_days"]

_DAY_COUNTS = (360, 365)


def _rate(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValueError(f"{name} must be a number, got {value!r}")
    result = float(value)
    if not math.isfinite(result) or result < 0.0:
        raise InvalidValueError(f"{name} must be a finite rate >= 0, got {value!r}")
    return result


def _day_count(value: int) -> int:
    if value not in _DAY_COUNTS:
        raise InvalidValueError(f"day_count must be 360 or 365, got {value!r}")
    return value


def _days(days: float) -> float:
    if not math.isfinite(days) or days < 0:
        raise InvalidValueError(f"days must be finite and >= 0, got {days!r}")
    return float(days)


def calendar_days(from_ns: int, to_ns: int) -> int:
    """Return how many UTC midnights lie in ``(from_ns, to_ns]``: the days to accrue for.

    Accrue once per day crossed: from Friday's close to Monday's close is 3 days.
    """
    if to_ns < from_ns:
        raise InvalidValueError(f"to_ns {to_ns} is before from_ns {from_ns}")
    return to_ns // NS_PER_DAY - from_ns // NS_PER_DAY


class BorrowFee:
    """The stock-loan fee of short positions, accrued daily on the short market value.

    ``annual_rate`` is the general-collateral rate (e.g. 0.0025 = 0.25 % a year); ``rates``
    overrides it per symbol for hard-to-borrow names. Example: short 1,000 shares at 50.00 at
    3 % a year on 360 days: ``50,000 * 0.03 / 360 = 4.1667`` a day.
    """

    __slots__ = ("annual_rate", "day_count", "rates")

    def __init__(
        self,
        annual_rate: float,
        day_count: int = 360,
        *,
        rates: Mapping[str, float] | None = None,
    ) -> None:
        """Charge ``annual_rate`` (or ``rates[symbol]``) over ``day_count`` days a year."""
        self.annual_rate = _rate("annual_rate", annual_rate)
        self.day_count = _day_count(day_count)
        self.rates: dict[str, float] = {
            symbol: _rate(f"rates[{symbol!r}]", value) for symbol, value in (rates or {}).items()
        }

    def __repr__(self) -> str:
        return f"BorrowFee(annual_rate={self.annual_rate}, day_count={self.day_count})"

    def rate(self, symbol: str | None = None) -> float:
        """Return the annual rate that applies to ``symbol``."""
        if symbol is None:
            return self.annual_rate
        return self.rates.get(symbol, self.annual_rate)

    def charge(
        self, short_market_value: float, days: float = 1.0, *, symbol: str | None = None
    ) -> float:
        """Return the fee for holding a short worth ``short_market_value`` for ``days`` days.

        The sign of ``short_market_value`` is ignored (pass the position's market value as is).
        """
        return abs(short_market_value) * self.rate(symbol) / self.day_count * _days(days)

    def charge_between(
        self, short_market_value: float, from_ns: int, to_ns: int, *, symbol: str | None = None
    ) -> float:
        """Return the fee for the UTC calendar days crossed in ``(from_ns, to_ns]``."""
        return self.charge(short_market_value, calendar_days(from_ns, to_ns), symbol=symbol)


class CashInterest:
    """Interest on the cash balance: credit on positive cash, optional debit on negative cash.

    Example: 100,000 USD at 4 % a year on 360 days earns ``100,000 * 0.04 / 360 = 11.1111`` a
    day, returned as ``-11.1111`` (a negative charge is a credit).
    """

    __slots__ = ("annual_rate", "day_count", "debit_rate")

    def __init__(
        self, annual_rate: float, day_count: int = 360, *, debit_rate: float | None = None
    ) -> None:
        """Pay ``annual_rate`` on positive cash; charge ``debit_rate`` on negative cash if set."""
        self.annual_rate = _rate("annual_rate", annual_rate)
        self.day_count = _day_count(day_count)
        self.debit_rate = None if debit_rate is None else _rate("debit_rate", debit_rate)

    def __repr__(self) -> str:
        return (
            f"CashInterest(annual_rate={self.annual_rate}, day_count={self.day_count}, "
            f"debit_rate={self.debit_rate})"
        )

    def charge(self, cash: float, days: float = 1.0) -> float:
        """Return the charge for holding ``cash`` for ``days`` days (negative = interest earned)."""
        days = _days(days)
        if cash >= 0.0:
            return -cash * self.annual_rate / self.day_count * days
        if self.debit_rate is None:
            return 0.0
        return -cash * self.debit_rate / self.day_count * days

    def charge_between(self, cash: float, from_ns: int, to_ns: int) -> float:
        """Return the charge for the UTC calendar days crossed in ``(from_ns, to_ns]``."""
        return self.charge(cash, calendar_days(from_ns, to_ns))


class FundingSchedule:
    """The funding rates of a perpetual future at their funding times.

    At each funding time the holder of ``quantity`` contracts (signed: > 0 long) pays
    ``quantity * mark_price * multiplier * rate``: with a positive rate longs pay and shorts
    receive, with a negative rate the reverse (Binance, Bybit and others). Example: long 10,000
    XRP at a mark of 1.05 with rate 0.0001 pays ``10,000 * 1.05 * 0.0001 = 1.05`` USDT.

    Times are UTC nanoseconds, strictly increasing. Use :meth:`events_between` to find the
    funding times a holding period crosses and :meth:`payment` to price each one at its mark.
    """

    __slots__ = ("rates", "times_ns")

    def __init__(
        self, times_ns: Sequence[int] | npt.ArrayLike, rates: Sequence[float] | npt.ArrayLike
    ) -> None:
        """Validate: same length, times strictly increasing, rates finite."""
        times = np.asarray(times_ns, dtype=np.int64)
        values = np.asarray(rates, dtype=np.float64)
        if times.ndim != 1 or values.shape != times.shape:
            raise InvalidValueError(
                f"times_ns and rates must be 1-d and of equal length, got shapes "
                f"{times.shape} and {values.shape}"
            )
        if times.size and np.any(np.diff(times) <= 0):
            raise InvalidValueError("funding times must be strictly increasing")
        if not np.all(np.isfinite(values)):
            raise InvalidValueError("funding rates must be finite")
        self.times_ns: npt.NDArray[np.int64] = times
        self.rates: npt.NDArray[np.float64] = values

    def __len__(self) -> int:
        return int(self.times_ns.size)

    def __repr__(self) -> str:
        return f"FundingSchedule({len(self)} funding times)"

    @classmethod
    def from_bundled(
        cls, name: str = "binance_xrpusdt_funding_8h", *, column: str = "funding_rate"
    ) -> FundingSchedule:
        """Build the schedule from a bundled funding-rate series (default: Binance XRP perp)."""
        import pandas as pd  # noqa: PLC0415  (pandas only when asked)

        from alphaforge.data import load_dataset  # noqa: PLC0415

        frame = load_dataset(name, columns=[column])
        index = frame.index
        if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
            raise InvalidValueError(f"dataset {name!r} has no UTC timestamp index")
        times = index.tz_convert("UTC").as_unit("ns").asi8
        return cls(times, frame[column].to_numpy(dtype=np.float64))

    @staticmethod
    def payment(
        quantity: float, mark_price: float, rate: float, *, multiplier: float = 1.0
    ) -> float:
        """Return what a position of ``quantity`` pays at one funding time (negative = receives)."""
        return quantity * mark_price * multiplier * rate

    def events_between(self, from_ns: int, to_ns: int) -> list[tuple[int, float]]:
        """Return ``(time, rate)`` of every funding time in ``(from_ns, to_ns]``, oldest first."""
        lo = int(np.searchsorted(self.times_ns, from_ns, side="right"))
        hi = int(np.searchsorted(self.times_ns, to_ns, side="right"))
        return [(int(self.times_ns[i]), float(self.rates[i])) for i in range(lo, hi)]

    def rate_at(self, ts: int) -> float | None:
        """Return the rate of the funding time exactly at ``ts``, ``None`` if there is none."""
        i = int(np.searchsorted(self.times_ns, ts, side="left"))
        if i < self.times_ns.size and int(self.times_ns[i]) == ts:
            return float(self.rates[i])
        return None

    def charges_between(
        self,
        quantity: float,
        mark_price: float,
        from_ns: int,
        to_ns: int,
        *,
        multiplier: float = 1.0,
    ) -> list[tuple[int, float]]:
        """Return ``(time, amount)`` for each funding time in ``(from_ns, to_ns]``, all priced at
        one ``mark_price`` (call once per bar with the bar's close for a bar-level backtest)."""
        return [
            (ts, self.payment(quantity, mark_price, rate, multiplier=multiplier))
            for ts, rate in self.events_between(from_ns, to_ns)
        ]
