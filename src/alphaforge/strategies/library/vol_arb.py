"""Volatility arbitrage: GARCH-forecast realized volatility against VIX-implied volatility."""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from alphaforge.core.suggest import did_you_mean
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.market import Bar
from alphaforge.strategies.base import Strategy, StrategyParams
from alphaforge.strategies.context import StrategyContext
from alphaforge.strategies.registry import register
from alphaforge.strategies.schedule import Every
from alphaforge.strategies.space import FloatRange, IntRange

__all__ = ["VolArb", "VolDecision", "garch_forecast"]

_TRADING_DAYS = 252


class VolArbParams(StrategyParams):
    """Parameters of :class:`VolArb`."""

    window: int = Field(
        1000, ge=100, description="Trailing daily returns of the underlying the GARCH(1,1) fits."
    )
    horizon: int = Field(
        21, ge=1, le=63, description="Trading days of the realized-volatility forecast."
    )
    margin: float = Field(
        0.02, ge=0, lt=0.5, description="Vol gap (fraction: 0.02 = 2 points) needed to trade."
    )
    weight: float = Field(0.95, gt=0, le=1, description="Fraction of equity in the position.")
    underlying: str = Field("SPX", description="Symbol whose returns the GARCH model fits.")
    implied: str = Field("VIX", description="Symbol of the implied volatility, in percent.")
    long_vol: str = Field(
        "SPX_STRADDLE", description="Long delta-hedged straddle index (modelled:spx_straddle_dh)."
    )
    short_vol: str = Field(
        "SPX_SHORT_STRADDLE",
        description="Short delta-hedged straddle index (modelled:spx_short_straddle_dh).",
    )


@dataclass(frozen=True)
class VolDecision:
    """One monthly decision: the GARCH forecast, the implied vol, and what was done."""

    ts_ns: int
    forecast: float
    implied: float
    action: Literal["sell vol", "buy vol", "flat"]
    converged: bool


@register
class VolArb(Strategy):
    """Sell volatility when implied is well above forecast realized volatility; buy it when below.

    At the first session of each month (the day the modelled straddle indices roll), fit a
    GARCH(1,1) with a constant mean (Bollerslev 1986; ``arch.arch_model``) to the last
    ``window`` daily log returns of ``underlying`` and forecast its annualized volatility over
    the next ``horizon`` trading days; compare it with the day's VIX / 100. If the forecast is
    below implied by more than ``margin``, hold ``weight`` of equity in the short-straddle index
    (sell vol: it earns implied minus realized variance, the variance risk premium of Bakshi &
    Kapadia 2003 and Carr & Wu 2009); above implied by more than ``margin``, hold the
    long-straddle index (buy vol); else hold neither. A fit that does not converge means flat.
    Every decision is kept in ``decisions`` (pass an instance to ``backtest`` to read them) and
    written in the order tag.

    **The straddles are modelled, not quoted**: ``modelled:spx_straddle_dh`` and
    ``modelled:spx_short_straddle_dh`` are one-month at-the-money S&P 500 straddles priced with
    Black–Scholes (Black & Scholes 1973) at VIX-implied volatility (no skew, no term structure,
    no quotes; a 1 % half-spread on option trades), delta-hedged at every close (1 bp per hedge
    trade), rolled on the first session of each month (``alphaforge.pricing.modelled``). VIX
    sits above at-the-money implied volatility as a rule, which flatters the short leg
    (``docs/strategies/options.md`` measures by how much). The engine trades those indices as
    instruments, so its commission and slippage apply on top when the position changes or is
    resized. The short leg is a separate index, not a short sale of the long one: each leg pays
    its own option spread and earns its own cash interest. Orders decided at a roll's close fill
    at the next close (close-only data: open = close), one day into the new straddle.

    Data: ``spx_daily`` (GARCH input; the years before 2014 serve as its first window),
    ``vix_daily`` (2014-2018) and the two straddle indices. Run it from 2014-02-03 on
    (``start="2014-02-03"``); before the straddles exist it holds cash.
    """

    name = "vol_arb"
    Params = VolArbParams
    universe = "multi"
    min_symbols = 4
    default_data: ClassVar[tuple[str, ...]] = (
        "spx_daily", "vix_daily", "modelled:spx_straddle_dh", "modelled:spx_short_straddle_dh",
    )  # fmt: skip

    # Two to eight years of GARCH fit, a 0-6 point vol gap. `horizon` stays 21: the straddles
    # are one-month options, so the forecast must cover their month.
    search_space = MappingProxyType(
        {"window": IntRange(500, 2000, 250), "margin": FloatRange(0.0, 0.06, 0.01)}
    )

    def on_start(self, ctx: StrategyContext) -> None:
        p = self.params
        assert isinstance(p, VolArbParams)  # noqa: S101  # narrowing for mypy
        self._p = p
        self._names = tuple(s.upper() for s in (p.underlying, p.implied, p.long_vol, p.short_vol))
        self._every = Every("M")
        self._seen: dict[str, int] = {}
        self.decisions: list[VolDecision] = []
        missing = [s for s in self._names if s not in ctx.symbols]
        if missing:
            raise InvalidValueError(
                f"vol_arb needs {', '.join(missing)}, which the data lack (they hold "
                f"{', '.join(ctx.symbols)}){did_you_mean(missing[0], ctx.symbols)}"
            )

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        self._seen[bar.symbol] = bar.ts_event

    def on_step(self, ctx: StrategyContext) -> None:
        p, now = self._p, ctx.now_ns
        underlying, implied_symbol, long_vol, short_vol = self._names
        # The bar's session is the period of the instant before its close event: daily bars
        # without an exchange calendar close at the next midnight, which is already next month.
        if not self._every(now - 1):
            return
        if any(self._seen.get(s) != now for s in self._names):
            return  # a series has no bar today (the straddles start in 2014): no decision
        closes = ctx.history(underlying, n=p.window + 1)
        if len(closes) < p.window + 1:
            return
        forecast, converged = garch_forecast(closes, p.horizon)
        implied = float(ctx.history(implied_symbol, n=1)[-1]) / 100.0
        action: Literal["sell vol", "buy vol", "flat"] = "flat"
        if converged and forecast < implied - p.margin:
            action = "sell vol"
        elif converged and forecast > implied + p.margin:
            action = "buy vol"
        self.decisions.append(VolDecision(now, forecast, implied, action, converged))
        tag = f"garch {forecast:.1%} vs implied {implied:.1%}: {action}"
        weights = {long_vol: 0.0, short_vol: 0.0}
        if action != "flat":
            weights[short_vol if action == "sell vol" else long_vol] = p.weight
        ctx.target_weights(weights, tag=tag)


def garch_forecast(closes: np.ndarray, horizon: int) -> tuple[float, bool]:
    """Annualized volatility a GARCH(1,1) fitted on ``closes`` forecasts over ``horizon`` days.

    Returns ``(forecast, converged)``; the forecast is the square root of 252 times the mean of
    the ``horizon`` daily variance forecasts. Returns are scaled to percent for the optimizer.
    """
    returns = 100.0 * np.diff(np.log(np.asarray(closes, dtype=np.float64)))
    from arch import arch_model  # noqa: PLC0415  # heavy: only when a forecast is made

    model = arch_model(returns, mean="Constant", vol="GARCH", p=1, q=1, dist="normal",
                       rescale=False)  # fmt: skip
    fit: Any = model.fit(disp="off", show_warning=False)
    variance = np.asarray(fit.forecast(horizon=horizon, reindex=False).variance)[-1]
    forecast = math.sqrt(float(np.mean(variance)) * _TRADING_DAYS) / 100.0
    return forecast, int(fit.convergence_flag) == 0 and math.isfinite(forecast)
