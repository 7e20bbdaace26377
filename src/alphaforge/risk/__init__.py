"""alphaforge.risk: pre-trade rules and the trading state (layer L6).

Every order intent passes ``RiskEngine.check`` before it becomes an order; see
:mod:`alphaforge.risk.engine` for the rules.
"""

from alphaforge.risk.engine import RiskDecision, RiskEngine, RiskLimits, StateChange, TradingState

__all__ = ["RiskDecision", "RiskEngine", "RiskLimits", "StateChange", "TradingState"]
