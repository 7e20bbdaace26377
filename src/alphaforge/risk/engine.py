"""Pre-trade risk: every order intent is approved or denied here, manual and API orders included.

Rules (``RiskLimits``, from the ``[risk]`` config section):

* **Trading state** (the kill switch): ``ACTIVE`` approves what the other rules allow;
  ``REDUCING`` approves only orders that shrink a position without flipping it; ``HALTED``
  approves nothing (cancels do not pass through here and always work).
* **No short**: with ``allow_short = false`` an order that would leave a negative position is
  denied.
* **Max position weight**: ``|position after the order| x value per unit / equity`` must not
  exceed ``max_position_weight``.
* **Max gross leverage**: ``(gross exposure - |this position| + |position after|) / equity``
  must not exceed ``max_gross_leverage``.

Positions are *committed* positions: what is held plus what working orders still want to trade
(``pending``). A rebalance's buys are judged after its sells, and two orders sent on one bar
cannot together pass a limit that each passes alone.
* **Drawdown halt**: with ``max_drawdown_halt`` set, equity falling that fraction below its peak
  moves the state to ``HALTED`` (``on_equity``, called by the kernel at every mark).

An order that reduces a position is never denied by the weight, leverage or no-short rules: risk
must always let a trader get out. Limits are compared with a relative tolerance of 1e-9, so a
``target_percent(1.0)`` computed at the same price passes a 100 % weight limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from alphaforge.domain.enums import OrderSide
from alphaforge.domain.errors import InvalidValueError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from alphaforge.config.sections import RiskConfig
    from alphaforge.domain.intents import OrderIntent
    from alphaforge.portfolio import PortfolioView

__all__ = ["RiskDecision", "RiskEngine", "RiskLimits", "StateChange", "TradingState"]

_TOLERANCE = 1e-9


class TradingState(StrEnum):
    """What the risk engine lets through (see the module docstring)."""

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """The limits every order is checked against."""

    max_position_weight: float = 1.0
    max_gross_leverage: float = 1.0
    allow_short: bool = False
    max_drawdown_halt: float | None = None

    def __post_init__(self) -> None:
        for name in ("max_position_weight", "max_gross_leverage"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise InvalidValueError(f"{name} must be a positive number, got {value!r}")
        halt = self.max_drawdown_halt
        if halt is not None and not 0 < halt < 1:
            raise InvalidValueError(f"max_drawdown_halt must be in (0, 1), got {halt!r}")

    @classmethod
    def from_config(cls, config: RiskConfig) -> RiskLimits:
        """Limits from the ``[risk]`` section of the configuration."""
        return cls(
            max_position_weight=config.max_position_weight,
            max_gross_leverage=config.max_gross_leverage,
            allow_short=config.allow_short,
            max_drawdown_halt=config.max_drawdown_halt,
        )


@dataclass(frozen=True, slots=True)
class RiskDecision:
    """The verdict on one intent: ``rule`` names the rule that denied it."""

    approved: bool
    rule: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class StateChange:
    """A trading-state transition, kept for the audit trail."""

    ts: int
    old: TradingState
    new: TradingState
    reason: str


_APPROVED = RiskDecision(True)


class RiskEngine:
    """Check intents against ``RiskLimits`` and the trading state; keep the state's history."""

    def __init__(self, limits: RiskLimits | None = None, *, state: str = "ACTIVE") -> None:
        self.limits = limits or RiskLimits()
        self._state = TradingState(state)
        self._peak = -math.inf
        self.history: list[StateChange] = []
        self.denied = 0

    @property
    def state(self) -> TradingState:
        """The current trading state."""
        return self._state

    def set_state(self, state: str, *, ts: int, reason: str) -> None:
        """Move to ``state`` (the kill switch is ``set_state("HALTED", ...)``)."""
        new = TradingState(state)
        if new is not self._state:
            self.history.append(StateChange(ts, self._state, new, reason))
            self._state = new

    def on_equity(self, equity: float, ts: int) -> None:
        """Track the equity peak; halt when the drawdown limit is breached."""
        if equity > self._peak:
            self._peak = equity
            return
        halt = self.limits.max_drawdown_halt
        if halt is not None and self._state is not TradingState.HALTED and self._peak > 0:
            drawdown = 1.0 - equity / self._peak
            if drawdown >= halt:
                self.set_state(
                    "HALTED",
                    ts=ts,
                    reason=f"drawdown {drawdown:.2%} reached the {halt:.2%} limit",
                )

    def check(
        self,
        intent: OrderIntent,
        view: PortfolioView,
        *,
        value_per_unit: float,
        pending: Mapping[str, tuple[float, float]] | None = None,
    ) -> RiskDecision:
        """Approve or deny ``intent``; ``value_per_unit`` is one unit's base-currency value at the
        decision price (price x multiplier x FX rate). ``pending`` maps each symbol with working
        orders to (signed quantity those orders still want, value per unit): positions are
        judged as they will be once everything already sent has filled, so a rebalance's buys
        count the sells sent just before them, and orders sent together cannot add up past a
        limit that each alone respects."""
        held = float(view.quantity(intent.symbol))
        if pending:
            held += pending.get(intent.symbol, (0.0, 0.0))[0]
        signed = float(intent.quantity) * (1.0 if intent.side is OrderSide.BUY else -1.0)
        after = held + signed
        reducing = abs(after) < abs(held) and (after == 0 or (after > 0) == (held > 0))
        decision = self._check(intent, view, held, after, reducing, value_per_unit, pending)
        if not decision.approved:
            self.denied += 1
        return decision

    def _check(  # noqa: PLR0911  # one return per rule reads best
        self,
        intent: OrderIntent,
        view: PortfolioView,
        held: float,
        after: float,
        reducing: bool,
        value_per_unit: float,
        pending: Mapping[str, tuple[float, float]] | None,
    ) -> RiskDecision:
        if self._state is TradingState.HALTED:
            return RiskDecision(False, "halted", "trading is HALTED: only cancels are accepted")
        if self._state is TradingState.REDUCING and not reducing:
            return RiskDecision(
                False, "reducing", "trading is REDUCING: only orders that shrink a position"
            )
        if reducing or intent.reduce_only:
            if intent.reduce_only and not reducing:
                return RiskDecision(
                    False,
                    "reduce_only",
                    f"reduce-only order would grow {intent.symbol} to {after:g}",
                )
            return _APPROVED
        if after < 0 and not self.limits.allow_short:
            return RiskDecision(
                False,
                "no_short",
                f"order would leave {intent.symbol} short {after:g} and shorting is off",
            )
        equity = view.equity()
        if not equity > 0:
            return RiskDecision(False, "equity", f"equity is {equity:.2f}: no new exposure")
        weight = abs(after) * value_per_unit / equity
        limit = self.limits.max_position_weight
        if weight > limit * (1 + _TOLERANCE):
            return RiskDecision(
                False,
                "max_position_weight",
                f"{intent.symbol} would weigh {weight:.2%} of equity, above the {limit:.2%} limit",
            )
        gross = view.gross_exposure()
        if pending:  # nothing working (the common case): no change to add
            gross += _pending_gross(view, pending)
        gross += (abs(after) - abs(held)) * value_per_unit
        leverage = gross / equity
        cap = self.limits.max_gross_leverage
        if leverage > cap * (1 + _TOLERANCE):
            return RiskDecision(
                False,
                "max_gross_leverage",
                f"gross leverage would be {leverage:.2f}x, above the {cap:.2f}x limit",
            )
        return _APPROVED


def _pending_gross(view: PortfolioView, pending: Mapping[str, tuple[float, float]] | None) -> float:
    """How much gross exposure changes once every working order has filled."""
    change = 0.0
    for symbol, (quantity, unit) in (pending or {}).items():
        held = float(view.quantity(symbol))
        change += (abs(held + quantity) - abs(held)) * unit
    return change
