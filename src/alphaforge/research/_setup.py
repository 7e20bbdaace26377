"""The run's rules turned into the kernel's state: integer grids, exact cash units, limits."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from alphaforge.domain.enums import AssetClass
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.instruments import Instrument
from alphaforge.research import _layout as lay
from alphaforge.research._grid import decimal_grid, kernel
from alphaforge.research._inputs import (
    FloatArray,
    IntArray,
    StepLike,
    bps,
    decimal,
    each_asset,
    each_tiers,
    halt,
    order_of,
    positive,
    state_code,
)
from alphaforge.research._layout import MAX_PENDING, MAX_TIERS, Records, State
from alphaforge.research.reference import ReferenceSettings

__all__ = ["Setup", "count_decisions", "records"]

_MAX_CASH_EXP = 18


@dataclass(frozen=True)
class Setup:
    """The run's rules, checked, with instruments and cash turned into integer grids."""

    lots: list[tuple[int, int]]
    ticks: list[tuple[int, int]]
    tiers: list[tuple[tuple[Decimal, Decimal], ...]]  # Instrument.tick_tiers of each asset
    steps: tuple[tuple[Decimal, ...], tuple[Decimal, ...], tuple[Decimal, ...]]
    cash: Decimal
    cash_exp: int
    unit_scale: list[int]
    cash_units: int
    exact: bool
    commission_bps: float
    slippage_bps: float
    max_weight: float
    max_leverage: float
    halt: float
    trading_state: int
    fill_close: bool
    per_asset: bool
    allow_short: bool
    order: IntArray

    @classmethod
    def build(
        cls,
        n: int,
        *,
        lot_size: StepLike | Sequence[StepLike],
        tick_size: StepLike | Sequence[StepLike],
        multiplier: StepLike | Sequence[StepLike],
        cash: StepLike,
        commission_bps: float,
        slippage_bps: float,
        max_position_weight: float,
        max_gross_leverage: float,
        max_drawdown_halt: float | None,
        trading_state: str,
        fill: str,
        per_asset: bool,
        allow_short: bool,
        symbol_order: Sequence[int] | None,
        tick_tiers: object = None,
    ) -> Setup:
        if fill not in ("next_open", "close"):
            raise InvalidValueError(f"fill must be 'next_open' or 'close', got {fill!r}")
        lot_d = [decimal(v, "lot_size") for v in each_asset(lot_size, n, "lot_size")]
        tick_d = [decimal(v, "tick_size") for v in each_asset(tick_size, n, "tick_size")]
        mult_d = [decimal(v, "multiplier") for v in each_asset(multiplier, n, "multiplier")]
        lots = [decimal_grid(d, "lot_size") for d in lot_d]
        ticks = [decimal_grid(d, "tick_size") for d in tick_d]
        tiers = [
            _checked_tiers(t, d) for t, d in zip(each_tiers(tick_tiers, n), tick_d, strict=True)
        ]
        mults = [decimal_grid(d, "multiplier") for d in mult_d]
        cash_d = decimal(cash, "cash")
        exp = max([8] + [a[1] + b[1] + c[1] for a, b, c in zip(lots, ticks, mults, strict=True)])
        scale = [
            a[0] * b[0] * c[0] * 10 ** (exp - a[1] - b[1] - c[1])
            for a, b, c in zip(lots, ticks, mults, strict=True)
        ]
        units = cash_d.scaleb(exp)
        exact = (
            exp <= _MAX_CASH_EXP
            and all(s < 2**62 for s in scale)
            and units == units.to_integral_value()
            and abs(units) < 2**61
        )
        return cls(
            lots=lots,
            ticks=ticks,
            tiers=tiers,
            steps=(tuple(lot_d), tuple(tick_d), tuple(mult_d)),
            cash=cash_d,
            cash_exp=exp if exact else 8,
            unit_scale=[s if exact else 0 for s in scale],
            cash_units=int(units) if exact else 0,
            exact=exact,
            commission_bps=bps(commission_bps, "commission_bps"),
            slippage_bps=bps(slippage_bps, "slippage_bps"),
            max_weight=positive(max_position_weight, "max_position_weight"),
            max_leverage=positive(max_gross_leverage, "max_gross_leverage"),
            halt=halt(max_drawdown_halt),
            trading_state=state_code(trading_state),
            fill_close=fill == "close",
            per_asset=bool(per_asset),
            allow_short=bool(allow_short),
            order=order_of(symbol_order, n),
        )

    @property
    def multipliers(self) -> FloatArray:
        return np.array([float(d) for d in self.steps[2]])

    def state(self) -> State:
        """A fresh kernel state: flat, cash only."""
        n = len(self.lots)
        ai = np.zeros((n, lay.AI_SIZE), dtype=np.int64)
        ai[:, lay.AI_LOT_NUM] = [a for a, _ in self.lots]
        ai[:, lay.AI_LOT_EXP] = [b for _, b in self.lots]
        ai[:, lay.AI_TICK_NUM] = [a for a, _ in self.ticks]
        ai[:, lay.AI_TICK_EXP] = [b for _, b in self.ticks]
        ai[:, lay.AI_UNIT_SCALE] = self.unit_scale
        ai[:, lay.AI_ORDER] = self.order
        af = np.zeros((n, lay.AF_SIZE))
        for i, (tiers, tick) in enumerate(zip(self.tiers, self.steps[1], strict=True)):
            ai[i, lay.AI_TIER_N] = len(tiers)
            for k, (start, step) in enumerate(tiers):
                ai[i, lay.AI_TIER_M + k] = int(step / tick)  # a whole number (checked)
                af[i, lay.AF_TIER_FROM + k] = float(start)
        af[:, lay.AF_LOT] = [float(d) for d in self.steps[0]]
        af[:, lay.AF_MULT] = self.multipliers
        af[:, lay.AF_LAST] = np.nan
        state = State(
            ai=ai,
            af=af,
            pend=np.zeros((n, 2 * MAX_PENDING), dtype=np.int64),
            acct=np.zeros(lay.ACCT_SIZE, dtype=np.int64),
            money=np.zeros(lay.MONEY_SIZE),
        )
        self.reset(state)
        return state

    def reset(self, state: State) -> None:
        """Put ``state`` back to the start of a run (a sweep reuses one state)."""
        ai, af, acct, money = state.ai, state.af, state.acct, state.money
        ai[:, lay.AI_POS] = 0
        ai[:, lay.AI_PEND_N] = 0
        af[:, lay.AF_POS] = 0.0
        af[:, lay.AF_LAST] = np.nan
        af[:, lay.AF_MV] = 0.0
        acct[:] = 0
        acct[lay.ACCT_CASH_UNITS] = self.cash_units
        acct[lay.ACCT_EXACT] = int(self.exact)
        acct[lay.ACCT_STATE] = self.trading_state
        acct[lay.ACCT_CASH_EXP] = self.cash_exp
        acct[lay.ACCT_FEE_SCALE] = 10 ** (self.cash_exp - 8)
        acct[lay.ACCT_FILL_CLOSE] = int(self.fill_close)
        acct[lay.ACCT_PER_ASSET] = int(self.per_asset)
        acct[lay.ACCT_ALLOW_SHORT] = int(self.allow_short)
        money[:] = [
            float(self.cash),
            -np.inf,
            self.commission_bps,
            self.slippage_bps,
            self.max_weight,
            self.max_leverage,
            self.halt,
        ]

    def reference(self) -> ReferenceSettings:
        return ReferenceSettings(
            lots=self.steps[0],
            ticks=self.steps[1],
            tick_tiers=tuple(self.tiers),
            multipliers=self.steps[2],
            cash=self.cash,
            commission_bps=self.commission_bps,
            slippage_bps=self.slippage_bps,
            max_weight=self.max_weight,
            max_leverage=self.max_leverage,
            halt=self.halt,
            fill_close=self.fill_close,
            per_asset=self.per_asset,
            allow_short=self.allow_short,
            state=self.trading_state,
            order=tuple(int(i) for i in self.order),
        )


def _checked_tiers(tiers: object, tick: Decimal) -> tuple[tuple[Decimal, Decimal], ...]:
    """One asset's tiers, checked by the rules of ``Instrument.tick_tiers``."""
    checked = Instrument(
        "tiers",
        AssetClass.EQUITY,
        "USD",
        tick,
        Decimal(1),
        tick_tiers=tiers,  # type: ignore[arg-type]
    ).tick_tiers
    if len(checked) > MAX_TIERS:
        raise InvalidValueError(
            f"the vector engine takes at most {MAX_TIERS} tick tiers an asset, got {len(checked)}"
        )
    for start, step in checked:  # few digits: the kernel compares prices with float(start)
        decimal_grid(start, "tick tier price")
        decimal_grid(step, "tick tier tick")
    return tuple(checked)


@kernel
def decisions_nb(weights: FloatArray) -> int:
    """The number of decisions (non-NaN weights); -1 when a weight is infinite."""
    n = 0
    for t in range(weights.shape[0]):
        for i in range(weights.shape[1]):
            w = weights[t, i]
            if not math.isnan(w):
                if not -np.inf < w < np.inf:
                    return -1
                n += 1
    return n


def count_decisions(weights: FloatArray) -> int:
    n = int(decisions_nb(weights))
    if n < 0:
        raise InvalidValueError("weights must be finite numbers or NaN (no decision)")
    return n


def records(shape: tuple[int, ...], decisions: int) -> Records:
    """Room for a run's records: every bar, and up to ``decisions`` orders and fills."""
    k = max(decisions, 1)
    return Records(
        equity=np.empty(shape[0]),
        oi=np.empty((lay.O_SIZE, k), dtype=np.int64),
        oq=np.empty(k),
        fi=np.empty((lay.F_SIZE, k), dtype=np.int64),
        ff=np.empty((lay.FF_SIZE, k)),
    )
