"""The vector kernel's order path: sizing a target, the risk rules, the broker's checks, fills.

What ``_kernel``'s loops call when a bar carries a decision or a waiting order (most bars do
not). Every rounding is the event engine's ``Decimal`` one, reproduced exactly (``_grid``); fills
and decisions are calls (compiled once), the small helpers are inlined into them.
"""

from __future__ import annotations

import math

import numpy as np

from alphaforge.research._grid import P10, grid_value, inline, kernel, round_steps, trunc_delta
from alphaforge.research._layout import (
    ACCT_ALLOW_SHORT,
    ACCT_CASH_EXP,
    ACCT_CASH_UNITS,
    ACCT_ENTRIES,
    ACCT_ERROR,
    ACCT_ERROR_I,
    ACCT_ERROR_T,
    ACCT_EXACT,
    ACCT_FEE_SCALE,
    ACCT_FILL_CLOSE,
    ACCT_FILLS,
    ACCT_ORDERS,
    ACCT_STATE,
    AF_LAST,
    AF_LOT,
    AF_MULT,
    AF_MV,
    AF_POS,
    AF_TARGET,
    AF_TIER_FROM,
    AI_BUY,
    AI_LOT_EXP,
    AI_LOT_NUM,
    AI_ORDER,
    AI_PEND_N,
    AI_POS,
    AI_TICK_EXP,
    AI_TICK_NUM,
    AI_TIER_M,
    AI_TIER_N,
    AI_UNIT_SCALE,
    DENIED,
    ERR_OPEN,
    ERR_PENDING,
    ERR_ROOM,
    ERR_TARGET,
    F_ASSET,
    F_ORDER,
    F_SIDE,
    F_T,
    FF_CASH,
    FF_FEE,
    FF_POS,
    FF_PRICE,
    FF_QTY,
    FILLED,
    HALTED,
    MAX_PENDING,
    MONEY_CASH,
    MONEY_COMMISSION,
    MONEY_HALT,
    MONEY_MAX_LEVERAGE,
    MONEY_MAX_WEIGHT,
    MONEY_PEAK,
    MONEY_SLIPPAGE,
    O_ASSET,
    O_REASON,
    O_SIDE,
    O_STATUS,
    O_T,
    OPEN,
    REDUCING,
    REJECTED,
)

_TOLERANCE = 1e-9
_EXACT_INT = 2.0**53
_INT_LIMIT = 2.0**62
_P10_INT = np.array([10**k for k in range(19)], dtype=np.int64)


@inline
def _units_to_float(units: int, exp: int) -> float:
    """``float(Decimal(units).scaleb(-exp))``: exact below 2**53 units, within 1 ulp above."""
    if -_EXACT_INT < units < _EXACT_INT:
        return float(float(units) / P10[exp])
    scale = _P10_INT[exp]
    whole = units // scale
    return float(float(whole) + float(units - whole * scale) / P10[exp])


@inline
def _equity(ai: np.ndarray, af: np.ndarray, money: np.ndarray) -> float:
    """Cash plus market values, summed in the ledger's order (the run's symbol order)."""
    net = 0.0
    for j in range(ai.shape[0]):
        net += af[ai[j, AI_ORDER], AF_MV]
    return float(money[MONEY_CASH] + net)


@inline
def _gross(ai: np.ndarray, af: np.ndarray) -> float:
    gross = 0.0
    for j in range(ai.shape[0]):
        gross += abs(af[ai[j, AI_ORDER], AF_MV])
    return gross


@inline
def _book_cash(
    ai: np.ndarray,
    af: np.ndarray,
    acct: np.ndarray,
    money: np.ndarray,
    i: int,
    side: int,
    lots: int,
    ticks: int,
    fee_cents: int,
    px: float,
) -> None:
    """Move cash by ``-side x notional - fee``: in exact integer units while they fit."""
    qty = grid_value(lots, ai[i, AI_LOT_NUM], ai[i, AI_LOT_EXP])
    notional = qty * px * af[i, AF_MULT]
    if acct[ACCT_EXACT] == 1:
        exp = acct[ACCT_CASH_EXP]
        if abs(notional) * P10[exp] < _INT_LIMIT / 4:
            units = acct[ACCT_CASH_UNITS] - side * lots * ticks * ai[i, AI_UNIT_SCALE]
            units -= fee_cents * acct[ACCT_FEE_SCALE]
            if abs(units) < _INT_LIMIT / 2:
                acct[ACCT_CASH_UNITS] = units
                money[MONEY_CASH] = _units_to_float(units, exp)
                return
        acct[ACCT_EXACT] = 0  # too large for int64 units: float cash from here on
    fee = grid_value(fee_cents, 1, 8)
    cash = money[MONEY_CASH]
    held = cash + notional if side < 0 else cash - notional
    money[MONEY_CASH] = held - fee


@inline
def _fill_price(
    ai: np.ndarray, af: np.ndarray, money: np.ndarray, i: int, side: int, ref: float
) -> int:
    """The fill price in (base) ticks: ``ref`` moved by the slippage against the trade, to the
    tick of its tier (``Instrument.tick_at``: a tier's first price is a decimal of few digits,
    so ``px >= float(start)`` is ``Decimal(repr(px)) >= start``, see ``_grid``)."""
    px = ref
    if money[MONEY_SLIPPAGE] > 0.0:
        px = ref * (1.0 + side * (money[MONEY_SLIPPAGE] * 1e-4))
    m = 1
    for k in range(ai[i, AI_TIER_N]):
        if px < af[i, AF_TIER_FROM + k]:
            break
        m = ai[i, AI_TIER_M + k]
    if m == 1:
        return round_steps(px, ai[i, AI_TICK_NUM], ai[i, AI_TICK_EXP])
    return round_steps(px, ai[i, AI_TICK_NUM] * m, ai[i, AI_TICK_EXP]) * m


@kernel
def _execute(
    ai: np.ndarray,
    af: np.ndarray,
    acct: np.ndarray,
    money: np.ndarray,
    fi: np.ndarray,
    ff: np.ndarray,
    oi: np.ndarray,
    t: int,
    i: int,
    side: int,
    lots: int,
    ref: float,
    k: int,
) -> None:
    """Fill order ``k`` (``side`` x ``lots`` of asset ``i``) at reference price ``ref``."""
    ticks = _fill_price(ai, af, money, i, side, ref)
    px = grid_value(ticks, ai[i, AI_TICK_NUM], ai[i, AI_TICK_EXP])
    qty = grid_value(lots, ai[i, AI_LOT_NUM], ai[i, AI_LOT_EXP])
    fee_cents = 0
    if money[MONEY_COMMISSION] > 0.0:
        fee_raw = max(qty * px * af[i, AF_MULT] * money[MONEY_COMMISSION] * 1e-4, 0.0)
        fee_cents = round_steps(fee_raw, 1, 8)
    _book_cash(ai, af, acct, money, i, side, lots, ticks, fee_cents, px)
    before = ai[i, AI_POS]
    after = before + side * lots
    ai[i, AI_POS] = after
    pf = grid_value(after, ai[i, AI_LOT_NUM], ai[i, AI_LOT_EXP])
    af[i, AF_POS] = pf
    if after != 0 and (before == 0 or (before > 0) != (after > 0)):
        acct[ACCT_ENTRIES] += 1
    if math.isnan(af[i, AF_LAST]):
        af[i, AF_LAST] = px  # valued at its fill price until the first mark
    af[i, AF_MV] = pf * af[i, AF_LAST] * af[i, AF_MULT] if pf != 0.0 else 0.0
    n = acct[ACCT_FILLS]
    fi[F_T, n] = t
    fi[F_ASSET, n] = i
    fi[F_SIDE, n] = side
    fi[F_ORDER, n] = k
    ff[FF_QTY, n] = qty
    ff[FF_PRICE, n] = px
    ff[FF_FEE, n] = grid_value(fee_cents, 1, 8)
    ff[FF_CASH, n] = money[MONEY_CASH]
    ff[FF_POS, n] = pf
    oi[O_STATUS, k] = FILLED
    acct[ACCT_FILLS] = n + 1


@inline
def _pending_units(ai: np.ndarray, pend: np.ndarray, i: int) -> float:
    """Signed units that asset ``i``'s waiting orders still want (``pending_quantity``)."""
    total = 0.0
    for j in range(ai[i, AI_PEND_N]):
        total += grid_value(pend[i, 2 * j], ai[i, AI_LOT_NUM], ai[i, AI_LOT_EXP])
    return total


@inline
def _pending_gross(ai: np.ndarray, af: np.ndarray, pend: np.ndarray) -> float:
    """How much gross exposure changes once every waiting order has filled."""
    change = 0.0
    for j in range(ai.shape[0]):
        i = ai[j, AI_ORDER]
        if ai[i, AI_PEND_N] > 0:
            held = af[i, AF_POS]
            unit = af[i, AF_LAST] * af[i, AF_MULT]
            change += (abs(held + _pending_units(ai, pend, i)) - abs(held)) * unit
    return change


@inline
def _risk(  # noqa: PLR0911  # one return per rule, as RiskEngine.check
    ai: np.ndarray,
    af: np.ndarray,
    pend: np.ndarray,
    acct: np.ndarray,
    money: np.ndarray,
    i: int,
    side: int,
    q: float,
) -> int:
    """``RiskEngine.check`` on committed positions (held + waiting orders): 0 = approved, else
    the code of the rule that denied the order."""
    held = af[i, AF_POS] + _pending_units(ai, pend, i)
    after = held + q * (1.0 if side > 0 else -1.0)
    reducing = abs(after) < abs(held) and (after == 0.0 or (after > 0.0) == (held > 0.0))
    state = acct[ACCT_STATE]
    if state == HALTED:
        return 1
    if state == REDUCING and not reducing:
        return 2
    if reducing:
        return 0
    if after < 0.0 and acct[ACCT_ALLOW_SHORT] == 0:
        return 3
    equity = _equity(ai, af, money)
    if not equity > 0.0:
        return 4
    unit = af[i, AF_LAST] * af[i, AF_MULT]
    if abs(after) * unit / equity > money[MONEY_MAX_WEIGHT] * (1 + _TOLERANCE):
        return 5
    gross = _gross(ai, af) + _pending_gross(ai, af, pend)
    gross += (abs(after) - abs(held)) * unit
    if gross / equity > money[MONEY_MAX_LEVERAGE] * (1 + _TOLERANCE):
        return 6
    return 0


@inline
def _short_rejected(ai: np.ndarray, pend: np.ndarray, i: int, lots: int) -> bool:
    """The broker refuses a sell that, with the sells already waiting, would open a short."""
    waiting = 0
    for j in range(ai[i, AI_PEND_N]):
        if pend[i, 2 * j] < 0:
            waiting -= pend[i, 2 * j]
    return bool(ai[i, AI_POS] - waiting - lots < 0)


@inline
def _new_order(
    acct: np.ndarray, oi: np.ndarray, oq: np.ndarray, t: int, i: int, side: int, q: float
) -> int:
    k = acct[ACCT_ORDERS]
    oi[O_T, k] = t
    oi[O_ASSET, k] = i
    oi[O_SIDE, k] = side
    oi[O_STATUS, k] = OPEN
    oi[O_REASON, k] = 0
    oq[k] = q
    acct[ACCT_ORDERS] = k + 1
    return int(k)


@inline
def _waiting_delta(ai: np.ndarray, af: np.ndarray, pend: np.ndarray, i: int, target: float) -> int:
    """``target_quantity``: the lots between position (+ waiting orders) and ``target``,
    toward zero; 0 when the move is under one lot."""
    n = ai[i, AI_PEND_N]
    if n == 0 and abs(target - af[i, AF_POS]) < af[i, AF_LOT]:
        return 0
    held = ai[i, AI_POS]
    for j in range(n):
        held += pend[i, 2 * j]
    return trunc_delta(target, held, ai[i, AI_LOT_NUM], ai[i, AI_LOT_EXP])


@kernel
def _towards(
    ai: np.ndarray,
    af: np.ndarray,
    pend: np.ndarray,
    acct: np.ndarray,
    money: np.ndarray,
    oi: np.ndarray,
    oq: np.ndarray,
    fi: np.ndarray,
    ff: np.ndarray,
    t: int,
    i: int,
    target: float,
) -> None:
    """Send the order towards ``target`` units through risk, then the broker."""
    if not -np.inf < target < np.inf:  # an infinite close or weight got this far
        _fail(acct, ERR_TARGET, t, i)
        return
    delta = _waiting_delta(ai, af, pend, i, target)
    if delta == 0:
        return
    if acct[ACCT_ORDERS] == oq.shape[0]:
        _fail(acct, ERR_ROOM, t, i)  # the caller makes more room and runs again
        return
    side = 1 if delta > 0 else -1
    lots = abs(delta)
    q = grid_value(lots, ai[i, AI_LOT_NUM], ai[i, AI_LOT_EXP])
    k = _new_order(acct, oi, oq, t, i, side, q)
    reason = _risk(ai, af, pend, acct, money, i, side, q)
    short_off = side < 0 and acct[ACCT_ALLOW_SHORT] == 0
    if reason == 0 and short_off and _short_rejected(ai, pend, i, lots):
        reason = 7
    if reason != 0:
        oi[O_STATUS, k] = DENIED if reason < 7 else REJECTED
        oi[O_REASON, k] = reason
        return
    if acct[ACCT_FILL_CLOSE] == 1:
        _execute(ai, af, acct, money, fi, ff, oi, t, i, side, lots, af[i, AF_LAST], k)
        return
    n = ai[i, AI_PEND_N]
    if n == MAX_PENDING:
        _fail(acct, ERR_PENDING, t, i)
        return
    pend[i, 2 * n] = side * lots
    pend[i, 2 * n + 1] = k
    ai[i, AI_PEND_N] = n + 1


@kernel
def _fill_pending(
    ai: np.ndarray,
    af: np.ndarray,
    pend: np.ndarray,
    acct: np.ndarray,
    money: np.ndarray,
    oi: np.ndarray,
    fi: np.ndarray,
    ff: np.ndarray,
    t: int,
    i: int,
    ref: float,
) -> None:
    """Fill asset ``i``'s waiting orders at ``ref`` (its open), in the order they were sent."""
    if not 0.0 < ref < np.inf:  # also NaN
        _fail(acct, ERR_OPEN, t, i)
        return
    for j in range(ai[i, AI_PEND_N]):
        lots = pend[i, 2 * j]
        side = 1 if lots > 0 else -1
        _execute(ai, af, acct, money, fi, ff, oi, t, i, side, abs(lots), ref, pend[i, 2 * j + 1])
    ai[i, AI_PEND_N] = 0


@kernel
def _decide_all(
    ai: np.ndarray,
    af: np.ndarray,
    pend: np.ndarray,
    acct: np.ndarray,
    money: np.ndarray,
    oi: np.ndarray,
    oq: np.ndarray,
    fi: np.ndarray,
    ff: np.ndarray,
    t: int,
    row: np.ndarray,
) -> None:
    """``target_weights``: every weight of the row off one equity, sells first."""
    equity = _equity(ai, af, money)
    n = ai.shape[0]
    for i in range(n):
        af[i, AF_TARGET] = np.nan
        w = row[i]
        unit = af[i, AF_LAST] * af[i, AF_MULT]
        if not math.isnan(w) and 0.0 < unit < np.inf:
            target = w * equity / unit
            af[i, AF_TARGET] = target
            ai[i, AI_BUY] = 1 if target >= af[i, AF_POS] else 0
    for wanted in range(2):  # sells (0) first, each group in the run's symbol order
        for j in range(n):
            i = ai[j, AI_ORDER]
            target = af[i, AF_TARGET]
            if not math.isnan(target) and ai[i, AI_BUY] == wanted:
                _towards(ai, af, pend, acct, money, oi, oq, fi, ff, t, i, target)


@inline
def _watch_drawdown(acct: np.ndarray, money: np.ndarray, equity: float) -> None:
    """``RiskEngine.on_equity`` below the peak: halt at the drawdown limit."""
    peak = money[MONEY_PEAK]
    if acct[ACCT_STATE] != HALTED and peak > 0.0 and 1.0 - equity / peak >= money[MONEY_HALT]:
        acct[ACCT_STATE] = HALTED


@inline
def _fail(acct: np.ndarray, code: int, t: int, i: int) -> None:
    acct[ACCT_ERROR] = code
    acct[ACCT_ERROR_T] = t
    acct[ACCT_ERROR_I] = i
