"""Modelled option-strategy series by name (``modelled:spx_covered_call``), built from data.

The data layer is a sibling of this package, so the caller hands in a ``load(name)`` function
that returns a bundled dataset's frame (``alphaforge.data.bundled.load_dataset``); the runtime
does so when a run's data names ``modelled:...``. Option prices are modelled with Black–Scholes
at VIX-implied volatility, not quoted (see :mod:`alphaforge.pricing.modelled`). The bundled
S&P 500 is a price index, so the series carry no dividends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from alphaforge.core.errors import FatalError
from alphaforge.core.suggest import did_you_mean
from alphaforge.pricing.modelled import (
    ModelledSeries,
    covered_call_index,
    put_write_index,
    straddle_index,
)

__all__ = [
    "MODELLED",
    "ModelledSpec",
    "UnknownModelledError",
    "build_modelled",
    "modelled_provenance",
]

PREFIX = "modelled:"


class UnknownModelledError(FatalError, LookupError):
    """No modelled series of that name exists."""


@dataclass(frozen=True)
class ModelledSpec:
    """One named modelled series: its symbol, inputs and builder."""

    name: str
    symbol: str
    description: str
    build: Callable[[pd.Series, pd.Series], ModelledSeries]
    underlying: str = "spx_daily"
    implied: str = "vix_daily"


MODELLED: dict[str, ModelledSpec] = {
    spec.name: spec
    for spec in (
        ModelledSpec(
            "spx_covered_call", "SPX_CC",
            "S&P 500 covered call (BXM-like): long the index, short a 1-month ATM call",
            covered_call_index,
        ),
        ModelledSpec(
            "spx_put_write", "SPX_PUTW",
            "S&P 500 put write (PUT-like): short a 1-month ATM put, cash-collateralized",
            put_write_index,
        ),
        ModelledSpec(
            "spx_straddle_dh", "SPX_STRADDLE",
            "long a 1-month ATM S&P 500 straddle, delta-hedged daily (long volatility)",
            lambda close, implied: straddle_index(close, implied, side=1),
        ),
        ModelledSpec(
            "spx_short_straddle_dh", "SPX_SHORT_STRADDLE",
            "short a 1-month ATM S&P 500 straddle, delta-hedged daily (short volatility)",
            lambda close, implied: straddle_index(close, implied, side=-1),
        ),
    )
}  # fmt: skip
"""The series ``modelled:NAME`` loads, all on the bundled ``spx_daily`` and ``vix_daily``."""


def build_modelled(
    name: str, load: Callable[[str], pd.DataFrame]
) -> tuple[ModelledSpec, ModelledSeries]:
    """Build the series ``name`` (with or without ``modelled:``) from the datasets ``load`` reads.

    The underlying's closes and the implied vol's closes divided by 100 (VIX is in percent) go
    to the builder with its default parameters.
    """
    spec = MODELLED.get(name.removeprefix(PREFIX))
    if spec is None:
        known = [f"{PREFIX}{n}" for n in MODELLED]
        raise UnknownModelledError(
            f"no modelled series named {name!r} (known: {', '.join(known)})"
            f"{did_you_mean(name, [*known, *MODELLED])}"
        )
    close = load(spec.underlying)["close"]
    implied = load(spec.implied)["close"] / 100.0
    return spec, spec.build(close, implied)


def modelled_provenance(spec: ModelledSpec, built: ModelledSeries) -> dict[str, Any]:
    """What a run records about a modelled series: it is modelled, from what, and how."""
    return {
        "dataset": f"{PREFIX}{spec.name}",
        "modelled": True,
        "provenance": (
            f"modelled, not quoted: {spec.description}; option prices from Black-Scholes at "
            f"VIX-implied volatility; built from bundled {spec.underlying} (close, a price "
            f"index without dividends) and {spec.implied} (close / 100)"
        ),
        "inputs": [f"bundled:{spec.underlying}", f"bundled:{spec.implied}"],
        "model": built.model,
    }
