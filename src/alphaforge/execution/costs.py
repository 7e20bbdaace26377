"""Commission models: what a fill costs in fees, in the instrument's currency.

Every model answers one question, ``commission(quantity, price, *, liquidity, instrument, ts)``,
with a float amount: positive when the account pays, **negative for a rebate** (the same sign as
``Fill.fee``). Inputs are the fill's quantity (> 0, in units of the instrument) and price; the
notional is ``quantity * price * instrument.multiplier``. ``ts`` (UTC nanoseconds of the fill) is
optional and only read by models whose rate depends on time (``TieredCommission``).

Models with state (the month-to-date volume of a tiered schedule) also implement
``RecordsFills.record``; the simulated broker calls it after each fill, so ``commission`` itself
stays a pure query. Financing (borrow fees, funding, interest) lives in ``financing.py``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

from alphaforge.domain.enums import LiquiditySide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.instruments import Instrument
from alphaforge.domain.time import ns_to_dt

__all__ = [
    "BpsCommission",
    "CommissionModel",
    "MakerTakerCommission",
    "NoCommission",
    "PerShareCommission",
    "RecordsFills",
    "TieredCommission",
    "notional",
]

_BPS = 1e-4


def _finite(name: str, value: float, *, minimum: float | None = 0.0) -> float:
    """Return ``value`` as a float after checking it is finite and not below ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValueError(f"{name} must be a number, got {value!r}")
    result = float(value)
    if not math.isfinite(result):
        raise InvalidValueError(f"{name} must be finite, got {value!r}")
    if minimum is not None and result < minimum:
        raise InvalidValueError(f"{name} must be >= {minimum}, got {value!r}")
    return result


def notional(quantity: float, price: float, instrument: Instrument) -> float:
    """Return ``|quantity| * price * multiplier``: the traded value in the instrument's currency."""
    return abs(quantity) * price * float(instrument.multiplier)


class CommissionModel(Protocol):
    """What a fill costs: positive = paid, negative = rebate, in ``instrument.currency``."""

    def commission(
        self,
        quantity: float,
        price: float,
        *,
        liquidity: LiquiditySide,
        instrument: Instrument,
        ts: int | None = None,
    ) -> float:
        """Return the fee of filling ``quantity`` at ``price``."""
        ...


@runtime_checkable
class RecordsFills(Protocol):
    """A commission model with state: told about each fill after it is charged."""

    def record(self, quantity: float, price: float, *, instrument: Instrument, ts: int) -> None:
        """Count the fill towards whatever the model's rate depends on."""
        ...


class NoCommission:
    """Free trading (some brokers' equities, or a test). Prefer an honest model in research."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NoCommission()"

    def commission(
        self,
        quantity: float,
        price: float,
        *,
        liquidity: LiquiditySide,
        instrument: Instrument,
        ts: int | None = None,
    ) -> float:
        """Return 0."""
        return 0.0


class BpsCommission:
    """A fraction of notional: ``bps`` basis points (1 bp = 0.01 %), at least ``minimum``.

    Example: 1 bp on 100 shares at 50.00 is ``100 * 50 * 0.0001 = 0.50``.
    """

    __slots__ = ("bps", "minimum")

    def __init__(self, bps: float, *, minimum: float = 0.0) -> None:
        """Charge ``bps`` of notional per fill, never less than ``minimum``."""
        self.bps = _finite("bps", bps)
        self.minimum = _finite("minimum", minimum)

    def __repr__(self) -> str:
        return f"BpsCommission(bps={self.bps}, minimum={self.minimum})"

    def commission(
        self,
        quantity: float,
        price: float,
        *,
        liquidity: LiquiditySide,
        instrument: Instrument,
        ts: int | None = None,
    ) -> float:
        """Return ``max(notional * bps / 10_000, minimum)``."""
        return max(notional(quantity, price, instrument) * self.bps * _BPS, self.minimum)


class PerShareCommission:
    """A rate per unit with a minimum and an optional cap, like IBKR's fixed US stock pricing.

    ``fee = min(max(quantity * per_share, minimum), maximum_fraction_of_notional * notional)``:
    the cap wins over the minimum, as at IBKR (USD 0.005 per share, minimum USD 1.00, at most 1 %
    of trade value). Example: 100 shares at 20.00 cost ``max(0.50, 1.00) = 1.00``; 100 shares at
    0.50 (value 50.00) cost ``min(1.00, 0.50) = 0.50``.

    The minimum is applied **per fill**: an order filled in three parts pays it three times,
    where IBKR applies it per order. Set ``max_participation`` off, or accept the overcharge.
    """

    __slots__ = ("maximum_fraction_of_notional", "minimum", "per_share")

    def __init__(
        self,
        per_share: float,
        minimum: float = 0.0,
        maximum_fraction_of_notional: float | None = None,
    ) -> None:
        """Charge ``per_share`` per unit, at least ``minimum``, at most the notional fraction."""
        self.per_share = _finite("per_share", per_share)
        self.minimum = _finite("minimum", minimum)
        self.maximum_fraction_of_notional = (
            None
            if maximum_fraction_of_notional is None
            else _finite("maximum_fraction_of_notional", maximum_fraction_of_notional)
        )

    def __repr__(self) -> str:
        return (
            f"PerShareCommission(per_share={self.per_share}, minimum={self.minimum}, "
            f"maximum_fraction_of_notional={self.maximum_fraction_of_notional})"
        )

    def commission(
        self,
        quantity: float,
        price: float,
        *,
        liquidity: LiquiditySide,
        instrument: Instrument,
        ts: int | None = None,
    ) -> float:
        """Return the per-unit fee, raised to the minimum, then capped by the notional fraction."""
        fee = max(abs(quantity) * self.per_share, self.minimum)
        if self.maximum_fraction_of_notional is not None:
            cap = self.maximum_fraction_of_notional * notional(quantity, price, instrument)
            fee = min(fee, cap)
        return fee


class MakerTakerCommission:
    """Different rates for adding (maker) and taking (taker) liquidity, in bps of notional.

    ``maker_bps`` may be negative: a rebate, returned as a negative fee. Fills whose liquidity is
    unknown (``LiquiditySide.NONE``) pay the taker rate, the conservative choice.
    Example: maker -0.2 bp on 10,000 USDT of notional is a rebate of 0.20 (fee ``-0.20``).
    """

    __slots__ = ("maker_bps", "taker_bps")

    def __init__(self, maker_bps: float, taker_bps: float) -> None:
        """Charge ``maker_bps`` on maker fills and ``taker_bps`` on the others."""
        self.maker_bps = _finite("maker_bps", maker_bps, minimum=None)
        self.taker_bps = _finite("taker_bps", taker_bps)
        if self.maker_bps > self.taker_bps:
            raise InvalidValueError(
                f"maker_bps {maker_bps} is above taker_bps {taker_bps}; no venue charges that"
            )

    def __repr__(self) -> str:
        return f"MakerTakerCommission(maker_bps={self.maker_bps}, taker_bps={self.taker_bps})"

    def commission(
        self,
        quantity: float,
        price: float,
        *,
        liquidity: LiquiditySide,
        instrument: Instrument,
        ts: int | None = None,
    ) -> float:
        """Return ``notional * rate / 10_000`` with the maker or the taker rate."""
        bps = self.maker_bps if liquidity is LiquiditySide.MAKER else self.taker_bps
        return notional(quantity, price, instrument) * bps * _BPS


def _month_key(ts: int) -> int:
    """Return ``year * 12 + month - 1`` of a UTC nanosecond stamp (the tier reset period)."""
    moment = ns_to_dt(ts)
    return moment.year * 12 + moment.month - 1


class TieredCommission:
    """Bps of notional whose rate falls as the month's traded volume grows.

    ``tiers`` is ``[(threshold, bps), ...]`` with thresholds ascending from 0: a fill pays the
    rate of the last tier whose threshold is at most the **month-to-date volume before the fill**
    (the whole fill at one rate, as IBKR's tiered schedule does; it is not split across a
    boundary). ``basis`` says what is counted: ``"notional"`` (traded value in the instrument's
    currency, summed as is across instruments, so use one currency) or ``"quantity"`` (units).
    The count resets at the first fill of each UTC calendar month.

    State: the month-to-date total is updated by :meth:`record` (the simulated broker calls it
    after each fill); :meth:`commission` only reads it. Without ``ts`` the current total is used.
    Example: tiers ``[(0, 2.0), (1e6, 1.0)]``: a 10,000 fill after 995,000 of volume this month
    pays 2 bp (2.00); the next fill, with 1,005,000 behind it, pays 1 bp.
    """

    __slots__ = ("_month", "_total", "basis", "tiers")

    def __init__(
        self,
        tiers: Sequence[tuple[float, float]],
        *,
        basis: Literal["notional", "quantity"] = "notional",
    ) -> None:
        """Validate the schedule: at least one tier, thresholds ascending from exactly 0."""
        if basis not in ("notional", "quantity"):
            raise InvalidValueError(f"basis must be 'notional' or 'quantity', got {basis!r}")
        checked = [(_finite("tier threshold", t), _finite("tier bps", b)) for t, b in tiers]
        if not checked or checked[0][0] != 0.0:
            raise InvalidValueError(f"tiers must start at threshold 0, got {list(tiers)!r}")
        thresholds = [t for t, _ in checked]
        if any(b <= a for a, b in itertools.pairwise(thresholds)):
            raise InvalidValueError(f"tier thresholds must be strictly ascending: {thresholds}")
        self.tiers: tuple[tuple[float, float], ...] = tuple(checked)
        self.basis = basis
        self._month: int | None = None
        self._total = 0.0

    def __repr__(self) -> str:
        return f"TieredCommission(tiers={list(self.tiers)}, basis={self.basis!r})"

    @property
    def month_to_date(self) -> float:
        """The volume counted so far in the current month."""
        return self._total

    def bps_for(self, volume: float) -> float:
        """Return the rate (bps) of the tier that ``volume`` falls in."""
        rate = self.tiers[0][1]
        for threshold, bps in self.tiers:
            if volume < threshold:
                break
            rate = bps
        return rate

    def _volume_before(self, ts: int | None) -> float:
        if ts is not None and self._month is not None and _month_key(ts) != self._month:
            return 0.0
        return self._total

    def commission(
        self,
        quantity: float,
        price: float,
        *,
        liquidity: LiquiditySide,
        instrument: Instrument,
        ts: int | None = None,
    ) -> float:
        """Return ``notional * bps / 10_000`` at the rate of the month-to-date tier."""
        rate = self.bps_for(self._volume_before(ts))
        return notional(quantity, price, instrument) * rate * _BPS

    def record(self, quantity: float, price: float, *, instrument: Instrument, ts: int) -> None:
        """Add the fill to the month-to-date volume (resetting it in a new month)."""
        month = _month_key(ts)
        if month != self._month:
            self._month = month
            self._total = 0.0
        if self.basis == "notional":
            self._total += notional(quantity, price, instrument)
        else:
            self._total += abs(quantity)
