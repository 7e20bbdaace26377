"""The vector kernel's plain-Python twin: the same loop with the domain's own ``Decimal`` rules.

Slow (a Python loop per bar and asset) and obvious on purpose: quantities are rounded by
``Instrument.round_quantity``, prices by ``Instrument.price``, fees come from ``BpsCommission``
and ``SlippageBps`` (``alphaforge.execution``) and are quantized to 1e-8 like the simulated
broker's, cash and positions are ``Decimal``; the float mirrors (market values, equity) are
computed as the ledger computes them. ``run_vector(..., implementation="python")`` runs it; the
tests hold the Numba kernel to it exactly, which proves the kernel's float tricks (``_grid.py``)
and its integer cash.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np

from alphaforge.domain.enums import AssetClass, LiquiditySide
from alphaforge.domain.instruments import Instrument
from alphaforge.execution.costs import BpsCommission
from alphaforge.execution.slippage import SlippageBps, aggressive_price
from alphaforge.research._layout import (
    DENIED,
    ERR_CLOSE,
    ERR_OPEN,
    ERR_PENDING,
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
    O_ASSET,
    O_REASON,
    O_SIDE,
    O_STATUS,
    O_T,
    REDUCING,
    REJECTED,
    Records,
)

__all__ = ["ReferenceSettings", "simulate_reference"]

_FEE_QUANTUM = Decimal("1e-8")
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ReferenceSettings:
    """The run's rules, as ``run_vector`` resolved them (``Decimal`` steps per asset)."""

    lots: tuple[Decimal, ...]
    ticks: tuple[Decimal, ...]
    tick_tiers: tuple[tuple[tuple[Decimal, Decimal], ...], ...]
    multipliers: tuple[Decimal, ...]
    cash: Decimal
    commission_bps: float
    slippage_bps: float
    max_weight: float
    max_leverage: float
    halt: float
    fill_close: bool
    per_asset: bool
    allow_short: bool
    state: int
    order: tuple[int, ...]


@dataclass
class _Pending:
    order: int
    side: int
    quantity: Decimal


@dataclass
class _Run:
    settings: ReferenceSettings
    out: Records
    instruments: list[Instrument]
    commission: BpsCommission | None
    slippage: SlippageBps | None
    cash: Decimal
    pos: list[Decimal]
    last: list[float]
    mv: list[float]
    pending: list[list[_Pending]] = field(default_factory=list)
    state: int = 0
    orders: int = 0
    fills: int = 0
    entries: int = 0
    error: tuple[int, int, int] = (0, 0, 0)
    peak: float = -math.inf

    # ---------------------------------------------------------------- reading
    def equity(self) -> float:
        return float(self.cash) + sum(self.mv[i] for i in self.settings.order)

    def gross(self) -> float:
        total = 0.0
        for i in self.settings.order:
            total += abs(self.mv[i])
        return total

    def unit(self, i: int) -> float:
        return self.last[i] * float(self.instruments[i].multiplier)

    # ---------------------------------------------------------------- fills
    def execute(self, t: int, i: int, side: int, qty: Decimal, ref: float, k: int) -> None:
        inst = self.instruments[i]
        symbol = inst.symbol
        px_raw = ref
        if self.slippage is not None:
            fraction = self.slippage.fraction(float(qty), ref, symbol=symbol, volume=0.0)
            px_raw = aggressive_price(side, ref, fraction)
        price = inst.price(px_raw)
        fee_raw = 0.0
        if self.commission is not None:
            fee_raw = self.commission.commission(
                float(qty), float(price), liquidity=LiquiditySide.TAKER, instrument=inst
            )
        fee = Decimal(repr(fee_raw)).quantize(_FEE_QUANTUM, ROUND_HALF_EVEN)
        notional = qty * price * inst.multiplier
        self.cash = (self.cash + notional if side < 0 else self.cash - notional) - fee
        before = self.pos[i]
        after = before + side * qty
        self.pos[i] = after
        if after != 0 and (before == 0 or (before > 0) != (after > 0)):
            self.entries += 1
        if math.isnan(self.last[i]):
            self.last[i] = float(price)
        pf = float(after)
        self.mv[i] = pf * self.last[i] * float(inst.multiplier) if pf else 0.0
        n = self.fills
        fi, ff = self.out.fi, self.out.ff
        fi[F_T, n], fi[F_ASSET, n], fi[F_SIDE, n], fi[F_ORDER, n] = t, i, side, k
        ff[FF_QTY, n], ff[FF_PRICE, n], ff[FF_FEE, n] = float(qty), float(price), float(fee)
        ff[FF_CASH, n], ff[FF_POS, n] = float(self.cash), pf
        self.out.oi[O_STATUS, k] = FILLED
        self.fills = n + 1

    # ---------------------------------------------------------------- orders
    def waiting(self, i: int) -> float:
        return sum(float(p.side * p.quantity) for p in self.pending[i])

    def risk(self, i: int, side: int, qty: float) -> int:  # noqa: PLR0911
        held = float(self.pos[i]) + self.waiting(i)  # committed: held + waiting orders
        after = held + qty * (1.0 if side > 0 else -1.0)
        reducing = abs(after) < abs(held) and (after == 0 or (after > 0) == (held > 0))
        s = self.settings
        if self.state == HALTED:
            return 1
        if self.state == REDUCING and not reducing:
            return 2
        if reducing:
            return 0
        if after < 0 and not s.allow_short:
            return 3
        equity = self.equity()
        if not equity > 0:
            return 4
        unit = self.unit(i)
        if abs(after) * unit / equity > s.max_weight * (1 + _TOLERANCE):
            return 5
        gross = self.gross()
        for j in s.order:
            if self.pending[j]:
                now = float(self.pos[j])
                gross += (abs(now + self.waiting(j)) - abs(now)) * self.unit(j)
        gross += (abs(after) - abs(held)) * unit
        if gross / equity > s.max_leverage * (1 + _TOLERANCE):
            return 6
        return 0

    def towards(self, t: int, i: int, target: float) -> None:
        inst = self.instruments[i]
        waiting = self.pending[i]
        if not waiting and abs(target - float(self.pos[i])) < float(inst.lot_size):
            return
        held = self.pos[i] + sum((p.side * p.quantity for p in waiting), Decimal(0))
        delta = inst.round_quantity(Decimal(repr(float(target))) - held)
        if delta == 0:
            return
        side = 1 if delta > 0 else -1
        qty = abs(delta)
        k = self.orders
        oi = self.out.oi
        oi[O_T, k], oi[O_ASSET, k], oi[O_SIDE, k] = t, i, side
        oi[O_STATUS, k], oi[O_REASON, k] = 0, 0
        self.out.oq[k] = float(qty)
        self.orders = k + 1
        reason = self.risk(i, side, float(qty))
        if reason:
            oi[O_STATUS, k], oi[O_REASON, k] = DENIED, reason
            return
        if side < 0 and not self.settings.allow_short:
            offered = sum((p.quantity for p in waiting if p.side < 0), Decimal(0))
            if self.pos[i] - offered - qty < 0:
                oi[O_STATUS, k], oi[O_REASON, k] = REJECTED, 7
                return
        if self.settings.fill_close:
            self.execute(t, i, side, qty, self.last[i], k)
        elif len(waiting) < MAX_PENDING:
            waiting.append(_Pending(k, side, qty))
        else:
            self.error = (ERR_PENDING, t, i)

    def decide_all(self, t: int, row: np.ndarray) -> None:
        equity = self.equity()
        moves: list[tuple[int, int, int, float]] = []
        for rank, i in enumerate(self.settings.order):
            w = float(row[i])
            unit = self.unit(i)
            if math.isnan(w) or not (math.isfinite(unit) and unit > 0):
                continue
            target = w * equity / unit
            moves.append((int(target >= float(self.pos[i])), rank, i, target))
        for _, _, i, target in sorted(moves):  # sells (0) first, then the decision order
            self.towards(t, i, target)

    # ---------------------------------------------------------------- the loop
    def bar(self, t: int, i: int, open_: float, close: float, weight: float) -> None:
        if not 0 < close < math.inf:
            self.error = (ERR_CLOSE, t, i)
            return
        if self.pending[i] and not 0 < open_ < math.inf:
            self.error = (ERR_OPEN, t, i)
            return
        if self.pending[i]:
            for p in self.pending[i]:
                self.execute(t, i, p.side, p.quantity, open_, p.order)
            self.pending[i] = []
        self.last[i] = close
        self.mv[i] = float(self.pos[i]) * close * float(self.instruments[i].multiplier)
        if self.settings.per_asset and not math.isnan(weight):
            self.towards(t, i, weight * self.equity() / self.unit(i))

    def watch(self, equity: float) -> None:
        if equity > self.peak:
            self.peak = equity
            return
        halt = self.settings.halt
        watching = not math.isnan(halt) and self.state != HALTED and self.peak > 0
        if watching and 1.0 - equity / self.peak >= halt:
            self.state = HALTED


def simulate_reference(
    open_: np.ndarray,
    close: np.ndarray,
    weights: np.ndarray,
    settings: ReferenceSettings,
    out: Records,
) -> tuple[int, int, int, tuple[int, int, int]]:
    """Run the reference loop into ``out`` (the kernel's arrays); return the counts of orders,
    fills and entries, and why the run stopped early: ``(code, bar, asset)``, code 0 if not."""
    n_bars, n_assets = close.shape
    instruments = [
        Instrument(
            "A" + str(i), AssetClass.EQUITY, "USD", tick, lot, multiplier=mult, tick_tiers=tiers
        )
        for i, (tick, lot, mult, tiers) in enumerate(
            zip(
                settings.ticks,
                settings.lots,
                settings.multipliers,
                settings.tick_tiers,
                strict=True,
            )
        )
    ]
    run = _Run(
        settings=settings,
        out=out,
        instruments=instruments,
        commission=BpsCommission(settings.commission_bps) if settings.commission_bps else None,
        slippage=SlippageBps(settings.slippage_bps) if settings.slippage_bps else None,
        cash=settings.cash,
        pos=[Decimal(0)] * n_assets,
        last=[math.nan] * n_assets,
        mv=[0.0] * n_assets,
        pending=[[] for _ in range(n_assets)],
    )
    run.state = settings.state
    for t in range(n_bars):
        for i in range(n_assets):
            c = float(close[t, i])
            if not math.isnan(c):
                run.bar(t, i, float(open_[t, i]), c, float(weights[t, i]))
            if run.error[0]:
                return run.orders, run.fills, run.entries, run.error
        some_bar = not np.isnan(close[t]).all()
        if not settings.per_asset and some_bar and not np.isnan(weights[t]).all():
            run.decide_all(t, weights[t])
        if run.error[0]:
            return run.orders, run.fills, run.entries, run.error
        equity = run.equity()
        out.equity[t] = equity
        run.watch(equity)
    return run.orders, run.fills, run.entries, run.error
