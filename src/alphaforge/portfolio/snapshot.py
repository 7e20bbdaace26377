"""Frozen read-outs of a ledger: what it held at one moment, safe to keep, compare and log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

__all__ = ["LedgerSnapshot", "PositionSnapshot"]


class PositionSnapshot(NamedTuple):
    """One open position: signed quantity, average open price, last mark (all in its currency)."""

    quantity: Decimal
    avg_price: Decimal | None
    last_price: float


@dataclass(frozen=True, slots=True)
class LedgerSnapshot:
    """The ledger at ``ts``: cash by currency (exact), and the marked figures in base currency.

    ``equity``, ``gross`` and ``net`` are the float read-outs (``Ledger.equity()`` …); ``cash`` and
    the position quantities are the exact ``Decimal`` books. The mappings are read-only copies,
    so a snapshot never changes after it is taken.
    """

    ts: int
    base_currency: str
    cash: Mapping[str, Decimal]
    equity: float
    gross: float
    net: float
    positions: Mapping[str, PositionSnapshot]
