"""The Numba kernel of the vectorized engine: bars x assets, the event engine's rules, one pass.

Per bar ``t``, in column order, for each asset with a bar (a finite close):

1. orders decided earlier fill at this bar's open (``fill="next_open"``), in the order they were
   sent: price = open x (1 ± slippage), on the tick grid (of the price's tier, if any); fee =
   commission of the notional, to 1e-8; cash moves by the notional and the fee (exact decimal
   cash, see ``_book_cash``);
2. the asset is marked at its close;
3. with ``per_asset`` decisions, its weight (if any) becomes an order now.

Then, with portfolio decisions, every weight of the row is sized off one equity and sent, sells
first (``StrategyContext.target_weights``). Equity is recorded at every close (cash and positions
with each fill: they change only then), and the drawdown halt is checked. ``vector.py``
documents the semantics; ``reference.py`` is the plain-Python twin the tests hold this kernel
to, bit for bit.

Layout, for speed (each choice measured): the state lives in a few flat arrays with named
columns (``AI_*``, ``AF_*``, ``ACCT_*``, ``MONEY_*``), and every function is compiled without
Numba's reference counting (``_grid.KERNEL``): counting a dozen array arguments per call cost
ten times the arithmetic. Small helpers are inlined; fills and decisions (rare) are calls, which
keeps compile times down. One asset runs its own loop (``_run_one``) that keeps the account in
registers between events.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from alphaforge.research._grid import P10, grid_value, inline, kernel, round_steps, trunc_delta

__all__ = ["MAX_PENDING", "MAX_TIERS", "Records", "State", "simulate"]

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

_TOLERANCE = 1e-9
_EXACT_INT = 2.0**53
_INT_LIMIT = 2.0**62
_P10_INT = np.array([10**k for k in range(19)], dtype=np.int64)


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


@kernel
def _quiet(  # the account's registers go in and come back out
    close: np.ndarray,
    weights: np.ndarray,
    equity_out: np.ndarray,
    start: int,
    pos: float,
    mult: float,
    cash: float,
    last: float,
    mv: float,
) -> tuple[int, float, float]:
    """Run bars from ``start`` while nothing happens (no order waits, no weight, a close in
    (0, inf) or NaN): mark and record the equity. Stop at the first bar that needs more
    (returned, unrecorded; the length when none) and return it with ``last`` and ``mv``.

    A function of its own, so that its few values stay in registers (inside the full loop
    they were spilled), and without the drawdown halt (``_quiet_watch`` follows the peak)."""
    n = close.shape[0]
    for t in range(start, n):
        c = close[t]
        if c > 0.0:  # a bar (NaN compares false)
            if c == np.inf or not math.isnan(weights[t]):
                return t, last, mv
            last = c
            mv = pos * c * mult
        elif not math.isnan(c):
            return t, last, mv
        equity_out[t] = cash + (0.0 + mv)  # the ledger's sum, which starts from 0.0
    return n, last, mv


@kernel
def _quiet_watch(  # the account's registers go in and come back out
    close: np.ndarray,
    weights: np.ndarray,
    equity_out: np.ndarray,
    start: int,
    pos: float,
    mult: float,
    cash: float,
    last: float,
    mv: float,
    peak: float,
    halt: float,
) -> tuple[int, float, float, float, bool]:
    """``_quiet`` that also follows the peak and stops after the bar where the drawdown
    reaches ``halt`` (returns that the halt tripped)."""
    n = close.shape[0]
    for t in range(start, n):
        c = close[t]
        if c > 0.0:  # a bar (NaN compares false)
            if c == np.inf or not math.isnan(weights[t]):
                return t, last, mv, peak, False
            last = c
            mv = pos * c * mult
        elif not math.isnan(c):
            return t, last, mv, peak, False
        e = cash + (0.0 + mv)  # the ledger's sum, which starts from 0.0
        equity_out[t] = e
        if e > peak:
            peak = e
        elif peak > 0.0 and 1.0 - e / peak >= halt:
            return t + 1, last, mv, peak, True
    return n, last, mv, peak, False


@kernel
def _run_one(  # noqa: C901, PLR0912, PLR0915  # the hot loop, written out on purpose
    open_: np.ndarray,
    close: np.ndarray,
    weights: np.ndarray,
    ai: np.ndarray,
    af: np.ndarray,
    pend: np.ndarray,
    acct: np.ndarray,
    money: np.ndarray,
    rec: Records,
) -> None:
    """One asset (1-D inputs): the account lives in registers while nothing happens (most
    bars, ``_quiet``), and goes back to the arrays only around a fill or a decision. The
    peak equity is followed only while a drawdown halt is watched: nothing else reads it."""
    oi, oq, fi, ff, equity_out = rec.oi, rec.oq, rec.fi, rec.ff, rec.equity
    waiting = ai[0, AI_PEND_N] > 0
    pos, mult = af[0, AF_POS], af[0, AF_MULT]
    last, mv = af[0, AF_LAST], af[0, AF_MV]
    cash, peak, halt = money[MONEY_CASH], money[MONEY_PEAK], money[MONEY_HALT]
    watch = not math.isnan(halt) and acct[ACCT_STATE] != HALTED
    infinite = False  # an infinite close is reported after the loop (cheaper)
    n = close.shape[0]
    t = 0
    while t < n:
        if not waiting:
            if watch:
                t, last, mv, peak, halted = _quiet_watch(
                    close, weights, equity_out, t, pos, mult, cash, last, mv, peak, halt
                )
                if halted:
                    acct[ACCT_STATE] = HALTED
                    watch = False
                    continue
            else:
                t, last, mv = _quiet(close, weights, equity_out, t, pos, mult, cash, last, mv)
            if t == n:
                break
        c = close[t]
        if not math.isnan(c):
            if c <= 0.0:
                _fail(acct, ERR_CLOSE, t, 0)
                return
            if c == np.inf:
                infinite = True
            w = weights[t]
            if waiting or not math.isnan(w):  # a fill or a decision: through the arrays
                if abs(w) == np.inf:
                    _fail(acct, ERR_WEIGHT, t, 0)
                    return
                if waiting:
                    _fill_pending(ai, af, pend, acct, money, oi, fi, ff, t, 0, open_[t])
                af[0, AF_LAST] = c
                af[0, AF_MV] = af[0, AF_POS] * c * mult
                if not math.isnan(w):  # one asset: target_percent and target_weights agree
                    target = w * _equity(ai, af, money) / (c * mult)
                    _towards(ai, af, pend, acct, money, oi, oq, fi, ff, t, 0, target)
                if acct[ACCT_ERROR] != 0:
                    return
                waiting = ai[0, AI_PEND_N] > 0
                pos, cash = af[0, AF_POS], money[MONEY_CASH]
                last, mv = af[0, AF_LAST], af[0, AF_MV]
            else:
                last = c
                mv = pos * c * mult
        e = cash + (0.0 + mv)  # the ledger's sum, which starts from 0.0
        equity_out[t] = e
        if not watch:
            pass
        elif e > peak:
            peak = e
        elif peak > 0.0 and 1.0 - e / peak >= halt:
            acct[ACCT_STATE] = HALTED
            watch = False
        t += 1
    af[0, AF_LAST] = last
    af[0, AF_MV] = mv
    money[MONEY_PEAK] = peak
    if infinite:
        for t in range(n):
            if close[t] == np.inf:
                _fail(acct, ERR_CLOSE, t, 0)
                return


@kernel
def _run_many(  # noqa: C901  # the loop over bars and assets, written out
    open_: np.ndarray,
    close: np.ndarray,
    weights: np.ndarray,
    ai: np.ndarray,
    af: np.ndarray,
    pend: np.ndarray,
    acct: np.ndarray,
    money: np.ndarray,
    rec: Records,
) -> None:
    """Several assets: every bar through the arrays, in column order (module docstring)."""
    oi, oq, fi, ff, equity_out = rec.oi, rec.oq, rec.fi, rec.ff, rec.equity
    per_asset = acct[ACCT_PER_ASSET] == 1
    for t in range(close.shape[0]):
        decide = False  # target_weights: assets without a bar now are sized too, but only at
        bars = False  # a timestamp that exists, i.e. where some asset has a bar
        for i in range(close.shape[1]):
            w = weights[t, i]
            if math.isinf(w):
                _fail(acct, ERR_WEIGHT, t, i)
                return
            if not math.isnan(w) and not per_asset:
                decide = True
            c = close[t, i]
            if math.isnan(c):
                continue  # no bar of this asset now
            bars = True
            if c <= 0.0 or c == np.inf:
                _fail(acct, ERR_CLOSE, t, i)
                return
            if ai[i, AI_PEND_N] > 0:
                _fill_pending(ai, af, pend, acct, money, oi, fi, ff, t, i, open_[t, i])
            af[i, AF_LAST] = c
            af[i, AF_MV] = af[i, AF_POS] * c * af[i, AF_MULT]
            if not math.isnan(w) and per_asset:  # target_percent in this asset's own on_bar
                target = w * _equity(ai, af, money) / (c * af[i, AF_MULT])
                _towards(ai, af, pend, acct, money, oi, oq, fi, ff, t, i, target)
        if decide and bars:
            _decide_all(ai, af, pend, acct, money, oi, oq, fi, ff, t, weights[t])
        if acct[ACCT_ERROR] != 0:
            return
        e = _equity(ai, af, money)
        equity_out[t] = e
        if e > money[MONEY_PEAK]:
            money[MONEY_PEAK] = e
        elif not math.isnan(money[MONEY_HALT]):
            _watch_drawdown(acct, money, e)


@kernel
def simulate(
    open_: np.ndarray, close: np.ndarray, weights: np.ndarray, state: State, rec: Records
) -> None:
    """Run every bar (module docstring); results go to ``rec``, the final state stays in
    ``state``; ``state.acct[ACCT_ERROR]`` says why a run stopped early."""
    ai, af, pend, acct, money = state.ai, state.af, state.pend, state.acct, state.money
    n = close.shape[0]
    if close.shape[1] == 1:  # 1-D views: the loop indexes without strides
        one = (open_.reshape(n), close.reshape(n), weights.reshape(n))
        _run_one(one[0], one[1], one[2], ai, af, pend, acct, money, rec)
    else:
        _run_many(open_, close, weights, ai, af, pend, acct, money, rec)
