"""Slippage: how far from the reference price an aggressive (liquidity-taking) fill lands.

Each model returns a **fraction of the reference price** (0.0005 = 5 bp) for a fill of
``quantity`` at reference ``price``; fractions add up, and the fill price is

    buy:  ref * (1 + half_spread + slippage + impact)
    sell: ref * (1 - half_spread - slippage - impact)

(:func:`aggressive_price`). The reference is the price the fill rule chose: the next bar's
open, this bar's close, a stop level or a gapped open. Passive fills (a resting limit traded
through) pay none of this: they fill at their limit price.

* ``SpreadModel``: half the quoted spread, from the latest ``QuoteTick`` when one is given,
  else half of a configured ``spread_bps`` (the *full* spread, as quoted).
* ``SlippageBps``: a flat number of basis points, the catch-all for latency and queue effects.
* ``SquareRootImpact``: the "square-root law" of market impact,
  ``coefficient * sigma_daily * sqrt(quantity / volume)``; see its docstring for references.
* ``CompositeSlippage``: the sum of several models.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Protocol

from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.market import QuoteTick

__all__ = [
    "CompositeSlippage",
    "SlippageBps",
    "SlippageModel",
    "SpreadModel",
    "SquareRootImpact",
    "aggressive_price",
]

_BPS = 1e-4


def _non_negative(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValueError(f"{name} must be a number, got {value!r}")
    result = float(value)
    if not math.isfinite(result) or result < 0.0:
        raise InvalidValueError(f"{name} must be finite and >= 0, got {value!r}")
    return result


def aggressive_price(side_sign: int, reference: float, fraction: float) -> float:
    """Return ``reference * (1 + side_sign * fraction)``: a buy (+1) pays up, a sell (-1) down."""
    return reference * (1.0 + side_sign * fraction)


class SlippageModel(Protocol):
    """A cost of taking liquidity, as a fraction of the reference price (>= 0)."""

    def fraction(
        self,
        quantity: float,
        price: float,
        *,
        symbol: str,
        volume: float,
        quote: QuoteTick | None = None,
    ) -> float:
        """Return the fraction for filling ``quantity`` of ``symbol`` at reference ``price``.

        ``volume`` is the volume of the bar the fill happens in (0 when unknown); ``quote`` is
        the latest quote of ``symbol``, if any.
        """
        ...


class SpreadModel:
    """Half the bid-ask spread: crossing it is the first cost of a market order.

    With a quote: ``(ask - bid) / (2 * mid)``. Without: ``spread_bps / 2 / 10_000``, where
    ``spread_bps`` is the full quoted spread. Example: a 2 bp spread costs a buyer 1 bp, so a
    market buy at an open of 100.00 fills at 100.01.
    """

    __slots__ = ("spread_bps",)

    def __init__(self, spread_bps: float = 0.0) -> None:
        """Use ``spread_bps`` (the full spread, in bp) when no quote is available."""
        self.spread_bps = _non_negative("spread_bps", spread_bps)

    def __repr__(self) -> str:
        return f"SpreadModel(spread_bps={self.spread_bps})"

    def fraction(
        self,
        quantity: float,
        price: float,
        *,
        symbol: str,
        volume: float,
        quote: QuoteTick | None = None,
    ) -> float:
        """Return half the quoted spread relative to the mid, or half the configured spread."""
        if quote is not None and quote.bid > 0.0 and quote.ask >= quote.bid:
            return (quote.ask - quote.bid) / (quote.ask + quote.bid)
        return 0.5 * self.spread_bps * _BPS


class SlippageBps:
    """A flat ``bps`` basis points against the trade. Example: 5 bp on a sell at 200.00 fills at
    199.90."""

    __slots__ = ("bps",)

    def __init__(self, bps: float) -> None:
        """Charge ``bps`` basis points of the reference price."""
        self.bps = _non_negative("bps", bps)

    def __repr__(self) -> str:
        return f"SlippageBps(bps={self.bps})"

    def fraction(
        self,
        quantity: float,
        price: float,
        *,
        symbol: str,
        volume: float,
        quote: QuoteTick | None = None,
    ) -> float:
        """Return ``bps / 10_000``."""
        return self.bps * _BPS


def _per_symbol(name: str, value: float | Mapping[str, float]) -> float | dict[str, float]:
    if isinstance(value, Mapping):
        return {symbol: _non_negative(f"{name}[{symbol!r}]", v) for symbol, v in value.items()}
    return _non_negative(name, value)


def _lookup(table: float | dict[str, float], symbol: str, name: str) -> float:
    if isinstance(table, dict):
        try:
            return table[symbol]
        except KeyError:
            raise InvalidValueError(f"no {name} given for {symbol!r}") from None
    return table


class SquareRootImpact:
    """Market impact that grows with the square root of the traded share of volume.

    ``impact = coefficient * volatility * sqrt(min(1, quantity / reference_volume))``

    * ``volatility``: the daily volatility of returns (0.02 = 2 % a day), a number or a mapping
      symbol -> number;
    * ``reference_volume``: ``adv`` (average daily volume, number or mapping) when given, else
      the volume of the bar the fill happens in. With intraday bars give ``adv``: the law is
      stated for daily volatility against daily volume. A bar without volume counts as full
      participation;
    * participation is capped at 1: beyond 100 % of the volume the law says nothing useful; use
      the simulated broker's ``max_participation`` to split large orders instead.

    The law: Almgren, Thum, Hauptmann and Li, "Direct Estimation of Equity Market Impact" (Risk,
    2005); Tóth et al., "Anomalous price impact and the critical nature of liquidity in
    financial markets" (Phys. Rev. X 1, 2011); Bouchaud, Bonart, Donier and Gould, "Trades,
    Quotes and Prices" (2018), ch. 12. Measured coefficients are of order 1 (0.5 to 1 for
    equities). Example: 1 % of the day's volume with 2 % daily volatility and coefficient 1 costs
    ``0.02 * sqrt(0.01) = 0.002`` = 20 bp.
    """

    __slots__ = ("adv", "coefficient", "volatility")

    def __init__(
        self,
        coefficient: float = 1.0,
        volatility: float | Mapping[str, float] = 0.02,
        *,
        adv: float | Mapping[str, float] | None = None,
    ) -> None:
        """Scale ``coefficient * volatility * sqrt(participation)``; see the class docstring."""
        self.coefficient = _non_negative("coefficient", coefficient)
        self.volatility = _per_symbol("volatility", volatility)
        self.adv = None if adv is None else _per_symbol("adv", adv)

    def __repr__(self) -> str:
        return (
            f"SquareRootImpact(coefficient={self.coefficient}, volatility={self.volatility!r}, "
            f"adv={self.adv!r})"
        )

    def participation(self, quantity: float, *, symbol: str, volume: float) -> float:
        """Return ``min(1, quantity / reference_volume)`` (1 when the reference volume is 0)."""
        reference = volume if self.adv is None else _lookup(self.adv, symbol, "adv")
        if not reference > 0.0:
            return 1.0
        return min(1.0, abs(quantity) / reference)

    def fraction(
        self,
        quantity: float,
        price: float,
        *,
        symbol: str,
        volume: float,
        quote: QuoteTick | None = None,
    ) -> float:
        """Return ``coefficient * volatility * sqrt(participation)``."""
        sigma = _lookup(self.volatility, symbol, "volatility")
        share = self.participation(quantity, symbol=symbol, volume=volume)
        return self.coefficient * sigma * math.sqrt(share)


class CompositeSlippage:
    """The sum of several models, e.g. ``CompositeSlippage(SpreadModel(2), SlippageBps(1))``."""

    __slots__ = ("models",)

    def __init__(self, *models: SlippageModel) -> None:
        """Add up ``models`` (none at all means no slippage)."""
        self.models: tuple[SlippageModel, ...] = models

    def __repr__(self) -> str:
        return f"CompositeSlippage{self.models!r}"

    def fraction(
        self,
        quantity: float,
        price: float,
        *,
        symbol: str,
        volume: float,
        quote: QuoteTick | None = None,
    ) -> float:
        """Return the sum of the models' fractions."""
        total: float = 0.0  # as sum(): the same additions in the same order, without a generator
        for model in self.models:
            total += model.fraction(quantity, price, symbol=symbol, volume=volume, quote=quote)
        return total
