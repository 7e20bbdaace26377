"""alphaforge.execution: how orders meet the market, as pure models (layer L7).

* ``broker``: the ``Broker`` port every venue implements, and ``apply_event`` for its owner;
* ``fill_rules``: match one order against one price path (bar, close, trade);
* ``intrabar``: the assumed path inside a bar (``IntrabarPolicy``);
* ``orderspec``: the float mirror of an order the rules read;
* ``queue``: queue-aware passive fills on trade ticks;
* ``brackets``: entry + stop-loss + take-profit with one-cancels-other exits;
* ``costs``: commission models; ``financing``: borrow fees, perpetual funding, cash interest;
* ``slippage``: spread, slippage and square-root market impact for aggressive fills;
* ``margin``: the margin-call rule and liquidation orders.

``docs/execution.md`` states every rule with worked examples. The simulated venue that uses these
models is ``alphaforge.brokers.SimulatedBroker``.
"""

from alphaforge.execution.brackets import Bracket
from alphaforge.execution.broker import Broker, EventHandler, SupportsBrackets, apply_event
from alphaforge.execution.costs import (
    BpsCommission,
    CommissionModel,
    MakerTakerCommission,
    NoCommission,
    PerShareCommission,
    RecordsFills,
    TieredCommission,
)
from alphaforge.execution.fill_rules import (
    FillDecision,
    Match,
    PathPoint,
    PriceFn,
    is_quiet,
    match_bar,
    match_order,
    quiet_band,
)
from alphaforge.execution.financing import BorrowFee, CashInterest, FundingSchedule, calendar_days
from alphaforge.execution.intrabar import INTRABAR_POLICIES, IntrabarPolicy, PricePath, path_for
from alphaforge.execution.margin import (
    MarginAccount,
    MarginCall,
    check_margin,
    liquidation_intents,
    maintenance_requirement,
)
from alphaforge.execution.orderspec import OrderSpec
from alphaforge.execution.queue import QueuePosition, match_trade
from alphaforge.execution.slippage import (
    CompositeSlippage,
    SlippageBps,
    SlippageModel,
    SpreadModel,
    SquareRootImpact,
    aggressive_price,
)

__all__ = [
    "INTRABAR_POLICIES",
    "BorrowFee",
    "BpsCommission",
    "Bracket",
    "Broker",
    "CashInterest",
    "CommissionModel",
    "CompositeSlippage",
    "EventHandler",
    "FillDecision",
    "FundingSchedule",
    "IntrabarPolicy",
    "MakerTakerCommission",
    "MarginAccount",
    "MarginCall",
    "Match",
    "NoCommission",
    "OrderSpec",
    "PathPoint",
    "PerShareCommission",
    "PriceFn",
    "PricePath",
    "QueuePosition",
    "RecordsFills",
    "SlippageBps",
    "SlippageModel",
    "SpreadModel",
    "SquareRootImpact",
    "SupportsBrackets",
    "TieredCommission",
    "aggressive_price",
    "apply_event",
    "calendar_days",
    "check_margin",
    "is_quiet",
    "liquidation_intents",
    "maintenance_requirement",
    "match_bar",
    "match_order",
    "match_trade",
    "path_for",
    "quiet_band",
]
