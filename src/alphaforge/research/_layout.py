"""The vector kernel's state and records: flat arrays with named columns, and their codes.

The account lives in a few arrays (``State``) whose columns are named by the constants below
(``AI_*`` per-asset integers, ``AF_*`` per-asset floats, ``ACCT_*`` account integers,
``MONEY_*`` account floats), and the run's output in ``Records`` (field-major, ``O_*``, ``F_*``,
``FF_*``). Numba reads these module constants as compile-time values: they are part of every
kernel's cache stamp (``alphaforge.core.jit.KERNEL_SOURCES``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["MAX_PENDING", "MAX_TIERS", "Records", "State"]


# Order status codes, and trading states.
OPEN, FILLED, DENIED, REJECTED = 0, 1, 2, 3
ACTIVE, REDUCING, HALTED = 0, 1, 2
#: Orders one asset may have waiting for its next bar (more only when bars are missing).
MAX_PENDING = 8
#: Tick tiers an asset may have (``Instrument.tick_tiers``; Rule 612 has one).
MAX_TIERS = 4

# Per-asset integers ``ai[i, AI_*]``: grids (a step is num / 10**exp), position, order queue.
AI_LOT_NUM, AI_LOT_EXP, AI_TICK_NUM, AI_TICK_EXP, AI_UNIT_SCALE = 0, 1, 2, 3, 4
AI_POS, AI_PEND_N, AI_BUY, AI_ORDER = 5, 6, 7, 8
# tick tiers: how many, then each tier's tick in base ticks (``AI_TIER_M + k``)
AI_TIER_N, AI_TIER_M = 9, 10
AI_SIZE = AI_TIER_M + MAX_TIERS
# Per-asset floats ``af[i, AF_*]``; ``AF_TIER_FROM + k``: the price where tier ``k`` starts.
AF_LOT, AF_MULT, AF_POS, AF_LAST, AF_MV, AF_TARGET, AF_TIER_FROM = 0, 1, 2, 3, 4, 5, 6
AF_SIZE = AF_TIER_FROM + MAX_TIERS
# Account integers ``acct[ACCT_*]``: exact cash units and counters, then the run's rules.
ACCT_CASH_UNITS, ACCT_EXACT, ACCT_STATE, ACCT_ORDERS, ACCT_FILLS, ACCT_ENTRIES = 0, 1, 2, 3, 4, 5
ACCT_ERROR, ACCT_CASH_EXP, ACCT_FEE_SCALE = 6, 7, 8
ACCT_FILL_CLOSE, ACCT_PER_ASSET, ACCT_ALLOW_SHORT, ACCT_ERROR_T, ACCT_ERROR_I = 9, 10, 11, 12, 13
ACCT_SIZE = 14
# ``acct[ACCT_ERROR]``: why the run stopped early (at bar ``ACCT_ERROR_T``, asset ``ACCT_ERROR_I``).
ERR_PENDING, ERR_CLOSE, ERR_OPEN, ERR_WEIGHT, ERR_ROOM, ERR_TARGET = 1, 2, 3, 4, 5, 6
# Account floats ``money[MONEY_*]``.
MONEY_CASH, MONEY_PEAK, MONEY_COMMISSION, MONEY_SLIPPAGE = 0, 1, 2, 3
MONEY_MAX_WEIGHT, MONEY_MAX_LEVERAGE, MONEY_HALT = 4, 5, 6
MONEY_SIZE = 7
# Records, field-major: orders ``oi[O_*, k]`` (+ quantity ``oq[k]``), fills ``fi[F_*, n]`` and
# ``ff[FF_*, n]``.
O_T, O_ASSET, O_SIDE, O_STATUS, O_REASON = 0, 1, 2, 3, 4
O_SIZE = 5
F_T, F_ASSET, F_SIDE, F_ORDER = 0, 1, 2, 3
F_SIZE = 4
FF_QTY, FF_PRICE, FF_FEE, FF_CASH, FF_POS = 0, 1, 2, 3, 4  # cash and position after the fill
FF_SIZE = 5


class State(NamedTuple):
    """The account while the run goes (see the column names above)."""

    ai: np.ndarray  # int64 (N, AI_SIZE)
    af: np.ndarray  # float64 (N, AF_SIZE)
    pend: np.ndarray  # int64 (N, 2 * MAX_PENDING): (signed lots, order number) pairs
    acct: np.ndarray  # int64 (ACCT_SIZE,)
    money: np.ndarray  # float64 (MONEY_SIZE,)


class Records(NamedTuple):
    """Everything recorded: equity per bar; per order; per fill, with the cash and position
    after it (cash and positions per bar follow from those: they change only at fills)."""

    equity: np.ndarray  # (T,)
    oi: np.ndarray  # int64 (O_SIZE, K)
    oq: np.ndarray  # float64 (K,)
    fi: np.ndarray  # int64 (F_SIZE, K)
    ff: np.ndarray  # float64 (FF_SIZE, K)
