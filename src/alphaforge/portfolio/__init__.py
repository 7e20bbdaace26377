"""alphaforge.portfolio: the ledger and what others may read of it (layer L5).

``Ledger`` owns cash (by currency, ``Decimal``) and positions (``domain.positions.Position``),
books fills and non-trade charges, and keeps a float mirror so that marking to market once per
bar stays cheap. ``PortfolioView`` is the read-only face strategies and the risk engine get;
``EquityRecorder`` stores the per-bar equity curve. Conventions: ``docs/portfolio.md``.
"""

from alphaforge.portfolio._tally import CHARGE_KINDS
from alphaforge.portfolio.ledger import CashLike, Ledger
from alphaforge.portfolio.recorder import EquityRecorder
from alphaforge.portfolio.snapshot import LedgerSnapshot, PositionSnapshot
from alphaforge.portfolio.view import LedgerView, PortfolioView, PositionInfo

__all__ = [
    "CHARGE_KINDS",
    "CashLike",
    "EquityRecorder",
    "Ledger",
    "LedgerSnapshot",
    "LedgerView",
    "PortfolioView",
    "PositionInfo",
    "PositionSnapshot",
]
