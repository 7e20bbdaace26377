"""Built-in strategies, registered by name on import."""

from alphaforge.strategies.library.buy_and_hold import BuyAndHold
from alphaforge.strategies.library.rsi_reversion import RsiReversion
from alphaforge.strategies.library.sma_cross import SmaCross

__all__ = ["BuyAndHold", "RsiReversion", "SmaCross"]
