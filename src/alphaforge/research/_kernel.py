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
columns (``_layout``), and every function is compiled without
Numba's reference counting (``_grid.KERNEL``): counting a dozen array arguments per call cost
ten times the arithmetic. The order path (``_orders``) is calls, which keeps compile times
down. One asset runs its own loop (``_run_one``) that keeps the account in
registers between events.
"""

from __future__ import annotations

import math

import numpy as np

from alphaforge.research._grid import kernel
from alphaforge.research._layout import (
    ACCT_ERROR,
    ACCT_PER_ASSET,
    ACCT_STATE,
    AF_LAST,
    AF_MULT,
    AF_MV,
    AF_POS,
    AI_PEND_N,
    ERR_CLOSE,
    ERR_WEIGHT,
    HALTED,
    MONEY_CASH,
    MONEY_HALT,
    MONEY_PEAK,
    Records,
    State,
)
from alphaforge.research._orders import (
    _decide_all,
    _equity,
    _fail,
    _fill_pending,
    _towards,
    _watch_drawdown,
)

__all__ = ["simulate"]


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
