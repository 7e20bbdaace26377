"""Option overlays on the S&P 500: a covered call and a cash-secured put, both modelled."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from alphaforge.core.suggest import did_you_mean
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.market import Bar
from alphaforge.strategies.base import Strategy, StrategyParams
from alphaforge.strategies.context import StrategyContext
from alphaforge.strategies.registry import register

__all__ = ["CashSecuredPut", "CoveredCall"]


class OverlayParams(StrategyParams):
    """Parameters shared by the overlays."""

    weight: float = Field(0.99, gt=0, le=1, description="Fraction of equity in the overlay index.")


class CoveredCallParams(OverlayParams):
    """Parameters of :class:`CoveredCall`."""

    symbol: str = Field("SPX_CC", description="Covered-call index (modelled:spx_covered_call).")


class CashSecuredPutParams(OverlayParams):
    """Parameters of :class:`CashSecuredPut`."""

    symbol: str = Field("SPX_PUTW", description="Put-write index (modelled:spx_put_write).")


class _Overlay(Strategy):
    """Buy ``weight`` of equity of the overlay index once it has a price, and hold it."""

    universe = "multi"
    min_symbols = 1

    def on_start(self, ctx: StrategyContext) -> None:
        p = self.params
        assert isinstance(p, CoveredCallParams | CashSecuredPutParams)  # noqa: S101  # for mypy
        self._symbol, self._weight = p.symbol.upper(), p.weight
        self._done = False
        if self._symbol not in ctx.symbols:
            raise InvalidValueError(
                f"{self.strategy_name()} holds {self._symbol}, which the data lack (they hold "
                f"{', '.join(ctx.symbols)}){did_you_mean(self._symbol, ctx.symbols)}"
            )

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        if self._done or bar.symbol != self._symbol or ctx.open_orders(self._symbol):
            return
        if ctx.portfolio.quantity(self._symbol) > 0:
            self._done = True
            return
        ctx.target_percent(self._symbol, self._weight, tag="hold the overlay")


@register
class CoveredCall(_Overlay):
    """Hold a covered-call index on the S&P 500: long the index, short a one-month call.

    The index (``modelled:spx_covered_call``, in the spirit of the CBOE BXM, Whaley 2002) is
    long the S&P 500 and short one at-the-money call per unit, rolled monthly, the premium
    reinvested. Writing calls trades the index's upside beyond the strike for the premium: it
    earns the variance risk premium (implied above realized volatility on average) and loses in
    sharp rallies; its drawdowns are those of the index, cushioned by the premium. The strategy
    buys ``weight`` of equity of it when it first has a price and holds it (compare with buying
    and holding the S&P 500 over the same period).

    **Option prices are modelled, not quoted**: each one-month option is priced with
    Black–Scholes (Black & Scholes 1973) at the day's VIX / 100 (no skew, no term structure, a
    1 % half-spread on each option sold), a 1 % risk-free rate and no dividend yield; it is
    written at the close of the first session of each month at that day's VIX and settled at
    intrinsic value on the next roll (``alphaforge.pricing.modelled``). The bundled S&P 500 is
    a price index: neither the overlay nor its buy-and-hold benchmark earns dividends. VIX sits
    above at-the-money implied volatility as a rule, so options priced at VIX flatter the option
    seller; ``docs/strategies/options.md`` shows by how much.

    Data: ``spx_daily`` (listed first, so the benchmark is buying and holding the S&P 500) and
    the modelled index, which exists from 2014-02-03 (the VIX data start in 2014): run it with
    ``start="2014-02-03"`` so both cover the same period; before that it holds cash.
    """

    name = "covered_call"
    Params = CoveredCallParams
    default_data: ClassVar[tuple[str, ...]] = ("spx_daily", "modelled:spx_covered_call")
    # No search space: it holds one index; `weight` is capital and `symbol` names data.


@register
class CashSecuredPut(_Overlay):
    """Hold a put-write index on the S&P 500: short one-month puts secured by cash.

    The index (``modelled:spx_put_write``, in the spirit of the CBOE PUT index) sells one-month
    at-the-money puts each month, as many as its cash (value plus premium, earning the risk-free
    rate) can pay for at the strike, so it can never owe more than it holds. By put-call parity
    it is close to the covered call; it collects the variance risk premium and loses when the
    index falls below the strike. The strategy buys ``weight`` of equity of it when it first has
    a price and holds it.

    **Option prices are modelled, not quoted**: each one-month option is priced with
    Black–Scholes (Black & Scholes 1973) at the day's VIX / 100 (no skew, no term structure, a
    1 % half-spread on each option sold), a 1 % risk-free rate and no dividend yield; it is
    written at the close of the first session of each month at that day's VIX and settled at
    intrinsic value on the next roll (``alphaforge.pricing.modelled``). The bundled S&P 500 is
    a price index: neither the overlay nor its buy-and-hold benchmark earns dividends. VIX sits
    above at-the-money implied volatility as a rule, so options priced at VIX flatter the option
    seller; ``docs/strategies/options.md`` shows by how much.

    Data: ``spx_daily`` (listed first, so the benchmark is buying and holding the S&P 500) and
    the modelled index, which exists from 2014-02-03 (the VIX data start in 2014): run it with
    ``start="2014-02-03"`` so both cover the same period; before that it holds cash.
    """

    name = "cash_secured_put"
    Params = CashSecuredPutParams
    default_data: ClassVar[tuple[str, ...]] = ("spx_daily", "modelled:spx_put_write")
    # No search space: it holds one index; `weight` is capital and `symbol` names data.
