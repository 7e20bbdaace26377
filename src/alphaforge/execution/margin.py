"""Margin calls: the rule that decides when an account must be liquidated.

The ledger knows the account's equity; the broker knows positions and prices. The rule:

    requirement = sum over positions of |quantity| * price * multiplier * margin_init
                  * maintenance_fraction
    margin call  when  equity < requirement

``margin_init`` is the instrument's initial margin fraction (1 for cash equities, 0.05 for a
future needing 5 %, 1 / leverage for a crypto perpetual); ``maintenance_fraction`` (default 0.5)
makes maintenance half the initial margin, as most futures and crypto venues roughly do. A cash
account that is long only never gets a call (its equity is at least its positions' value); a
short or a levered account does when the market moves against it.

On a call **every position is closed** with reduce-only market orders (:func:`liquidation_intents`,
tagged ``"liquidation"``), which fill at the next bar's open like any market order. Partial
liquidation (largest first until the requirement is met) is a refinement left for later.
The runtime checks once per time step, after the ledger has marked the bar, and submits the
liquidation orders through the normal path (risk lets reduce-only orders through in every state).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from alphaforge.domain.enums import OrderSide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.instruments import Instrument
from alphaforge.domain.intents import OrderIntent

__all__ = [
    "MarginAccount",
    "MarginCall",
    "check_margin",
    "liquidation_intents",
    "maintenance_requirement",
]


class MarginAccount(Protocol):
    """What the margin rule needs from the ledger: the account's equity now, as a float."""

    def equity(self) -> float:
        """Cash plus the market value of every position, in the account currency."""
        ...


@dataclass(frozen=True, slots=True)
class MarginCall:
    """A margin call at ``ts``: ``equity`` fell below ``requirement``; close ``positions``."""

    ts: int
    equity: float
    requirement: float
    positions: Mapping[str, Decimal]

    @property
    def reason(self) -> str:
        """A sentence for logs and the audit trail."""
        return (
            f"margin call: equity {self.equity:,.2f} below maintenance requirement "
            f"{self.requirement:,.2f}; closing {len(self.positions)} position(s)"
        )


def maintenance_requirement(
    positions: Mapping[str, Decimal],
    prices: Mapping[str, float],
    instruments: Mapping[str, Instrument],
    *,
    maintenance_fraction: float = 0.5,
) -> float:
    """Return the maintenance margin of ``positions`` at ``prices`` (see the module docstring)."""
    if not (math.isfinite(maintenance_fraction) and maintenance_fraction > 0.0):
        raise InvalidValueError(f"maintenance_fraction must be > 0, got {maintenance_fraction!r}")
    total = 0.0
    for symbol, quantity in positions.items():
        if not quantity:
            continue
        price = prices.get(symbol)
        if price is None:
            raise InvalidValueError(f"no price for {symbol!r} to compute its margin")
        instrument = instruments[symbol]
        exposure = abs(float(quantity)) * price * float(instrument.multiplier)
        total += exposure * float(instrument.margin_init) * maintenance_fraction
    return total


def check_margin(
    ts: int,
    equity: float,
    positions: Mapping[str, Decimal],
    prices: Mapping[str, float],
    instruments: Mapping[str, Instrument],
    *,
    maintenance_fraction: float = 0.5,
) -> MarginCall | None:
    """Return a ``MarginCall`` when ``equity`` is below the maintenance requirement."""
    held = {symbol: quantity for symbol, quantity in positions.items() if quantity}
    if not held:
        return None
    requirement = maintenance_requirement(
        held, prices, instruments, maintenance_fraction=maintenance_fraction
    )
    if equity >= requirement:
        return None
    return MarginCall(ts, equity, requirement, held)


def liquidation_intents(call: MarginCall) -> list[OrderIntent]:
    """Return reduce-only market intents that close every position of ``call``."""
    return [
        OrderIntent.market(
            symbol,
            OrderSide.SELL if quantity > 0 else OrderSide.BUY,
            abs(quantity),
            reduce_only=True,
            tag="liquidation",
        )
        for symbol, quantity in sorted(call.positions.items())
    ]
