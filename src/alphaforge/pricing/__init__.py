"""Option pricing: Black–Scholes prices and greeks, and modelled option-strategy indices.

Pure math on NumPy arrays (and pandas at the edges of the index builders). The indices
(covered call, put write, delta-hedged straddles) are **modelled, not quoted**: every option is
valued with Black–Scholes at VIX-implied volatility, with no skew and no quoted bid/ask.

>>> from alphaforge.pricing import bs_price
>>> round(bs_price(42.0, 40.0, 0.5, 0.2, rate=0.1, kind="call"), 2)  # Hull, Example 15.6
4.76
"""

from __future__ import annotations

from alphaforge.pricing.black_scholes import (
    Greeks,
    OptionKind,
    bs_delta,
    bs_gamma,
    bs_greeks,
    bs_price,
    bs_rho,
    bs_theta,
    bs_vega,
)
from alphaforge.pricing.catalog import MODELLED, UnknownModelledError, build_modelled
from alphaforge.pricing.modelled import (
    ModelledSeries,
    covered_call_index,
    put_write_index,
    straddle_index,
)

__all__ = [
    "MODELLED",
    "Greeks",
    "ModelledSeries",
    "OptionKind",
    "UnknownModelledError",
    "bs_delta",
    "bs_gamma",
    "bs_greeks",
    "bs_price",
    "bs_rho",
    "bs_theta",
    "bs_vega",
    "build_modelled",
    "covered_call_index",
    "put_write_index",
    "straddle_index",
]
