"""Book the costs of holding things over time: borrow fees, funding payments, cash interest.

The kernel calls :meth:`Financing.accrue` whenever time moves on. Borrow fees and cash interest
accrue per UTC calendar day crossed (a short held over a weekend pays three days, as at a broker),
valued at the last marks; funding is exchanged at each funding time of a perpetual's schedule,
valued at the symbol's last mark before that time. Every amount goes to ``Ledger.charge`` under
its kind (``borrow``, ``funding``, ``interest``), so it shows in ``costs`` and in equity.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import numpy as np

from alphaforge.domain.time import NS_PER_DAY
from alphaforge.execution.financing import BorrowFee, CashInterest, FundingSchedule
from alphaforge.portfolio import Ledger

__all__ = ["Financing"]

_QUANTUM = Decimal("1e-8")


class Financing:
    """Daily borrow and interest accruals and funding payments for one run."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        borrow: BorrowFee | None = None,
        interest: CashInterest | None = None,
        funding: Mapping[str, FundingSchedule] | None = None,
    ) -> None:
        self._ledger = ledger
        self._borrow = borrow
        self._interest = interest
        self._funding = dict(funding or {})
        self._day: int | None = None
        self._last: int | None = None
        self._next_funding = min(
            (int(s.times_ns[0]) for s in self._funding.values() if len(s)), default=None
        )

    @property
    def active(self) -> bool:
        """Whether anything is ever charged (the kernel skips the call otherwise)."""
        return bool(self._borrow or self._interest or self._funding)

    def accrue(self, ts: int) -> None:
        """Charge what holding positions and cash cost from the previous call to ``ts``."""
        last, self._last = self._last, ts
        if last is None:
            self._day = (ts - 1) // NS_PER_DAY
            return
        nxt = self._next_funding
        if nxt is not None and ts >= nxt:
            self._pay_funding(last, ts)
        day = (ts - 1) // NS_PER_DAY
        if self._day is not None and day != self._day:
            self._accrue_days(last, ts)
        self._day = day

    def _accrue_days(self, last: int, ts: int) -> None:
        ledger = self._ledger
        if self._borrow is not None:
            for symbol, position in ledger.positions().items():
                if position.quantity < 0:
                    fee = self._borrow.charge_between(
                        ledger.market_value(symbol), last, ts, symbol=symbol
                    )
                    if fee:
                        currency = ledger.instrument(symbol).currency
                        ledger.charge(_money(fee), currency, "borrow", ts, symbol)
        if self._interest is not None:
            cash = float(ledger.cash(ledger.base_currency))
            amount = self._interest.charge_between(cash, last, ts)
            if amount:
                ledger.charge(_money(amount), ledger.base_currency, "interest", ts)

    def _pay_funding(self, last: int, ts: int) -> None:
        ledger = self._ledger
        upcoming = []
        for symbol, schedule in self._funding.items():
            quantity = ledger.float_quantity(symbol)
            mark = ledger.last_price(symbol)
            multiplier = float(ledger.instrument(symbol).multiplier)
            if quantity:
                for when, amount in schedule.charges_between(
                    quantity, mark, last, ts, multiplier=multiplier
                ):
                    currency = ledger.instrument(symbol).currency
                    ledger.charge(_money(amount), currency, "funding", when, symbol)
            i = int(np.searchsorted(schedule.times_ns, ts, side="right"))
            if i < len(schedule.times_ns):
                upcoming.append(int(schedule.times_ns[i]))
        self._next_funding = min(upcoming, default=None)


def _money(amount: float) -> Decimal:
    return Decimal(repr(amount)).quantize(_QUANTUM)
