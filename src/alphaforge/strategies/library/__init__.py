"""Built-in strategies, registered by name on import (``alphaforge strategies list``).

Each module registers its strategies when imported; the registry imports every public module
of this package, so a new strategy needs no entry here. The names below are re-exported for
``from alphaforge.strategies.library import SmaCross``. Heavy solvers (cvxpy, scikit-learn,
statsmodels, arch) load only when a strategy that uses them runs.
"""

from alphaforge.strategies.library.allocators import (
    EqualWeight,
    InverseVol,
    MeanVariance,
    MinVariance,
    RiskParity,
)
from alphaforge.strategies.library.bollinger_reversion import BollingerReversion
from alphaforge.strategies.library.buy_and_hold import BuyAndHold
from alphaforge.strategies.library.donchian_breakout import DonchianBreakout
from alphaforge.strategies.library.ema_cross import EmaCross
from alphaforge.strategies.library.ensemble import Ensemble
from alphaforge.strategies.library.index_tracking import IndexTracking
from alphaforge.strategies.library.macd_cross import MacdCross
from alphaforge.strategies.library.market_making import MarketMaking
from alphaforge.strategies.library.momentum import Momentum
from alphaforge.strategies.library.options_overlay import CashSecuredPut, CoveredCall
from alphaforge.strategies.library.pairs_trading import PairsTrading
from alphaforge.strategies.library.pca_reversion import PcaReversion
from alphaforge.strategies.library.rsi_reversion import RsiReversion
from alphaforge.strategies.library.sma_cross import SmaCross
from alphaforge.strategies.library.trend_following import TrendFollowing
from alphaforge.strategies.library.vol_arb import VolArb

__all__ = [
    "BollingerReversion",
    "BuyAndHold",
    "CashSecuredPut",
    "CoveredCall",
    "DonchianBreakout",
    "EmaCross",
    "Ensemble",
    "EqualWeight",
    "IndexTracking",
    "InverseVol",
    "MacdCross",
    "MarketMaking",
    "MeanVariance",
    "MinVariance",
    "Momentum",
    "PairsTrading",
    "PcaReversion",
    "RiskParity",
    "RsiReversion",
    "SmaCross",
    "TrendFollowing",
    "VolArb",
]
