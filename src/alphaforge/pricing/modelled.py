"""Modelled option-strategy indices on an equity index: covered call, put write, straddles.

**Option prices here are modelled, not quoted.** Every option is valued with Black–Scholes
(:mod:`alphaforge.pricing.black_scholes`) at the implied volatility of the day (VIX / 100 for
the S&P 500), with a constant risk-free rate and, by default, no dividend yield: the bundled S&P
500 is a price index and the indices hold it without dividends. Real SPX options are priced off
a forward net of the index's dividend yield (about 2 % a year in 2014-2018), so with
``div_yield=0`` calls come out a little dearer and puts a little cheaper than they traded (about
1 % of the index a year for a monthly at-the-money option; straddles barely move). Real SPX
options trade with a volatility skew (out-of-the-money puts dearer, calls cheaper than
at-the-money), a term structure, bid/ask spreads and discrete strikes; none of that is in these
series, except a proportional half-spread paid on each option traded (``half_spread``). VIX is a
30-day variance-swap rate, a little above at-the-money implied volatility as a rule, so
at-the-money options priced at VIX are, if anything, a little dear: good for the option seller,
bad for the buyer.

Each builder takes the underlying's closes and an implied-vol series on the same stamps and
returns a :class:`ModelledSeries`: a close-only frame (an index starting at ``base``) on the
underlying's stamps, and the per-roll details (strike, premium, expiry). Contracts are written at
the close of the first session of each month (:mod:`alphaforge.pricing._grid`) at that day's
implied vol, marked every day at that day's implied vol, and settled at intrinsic value on the
next roll, when the next one is written. The nominal expiry (the first weekday of the next month)
sets the time to expiry in calendar days / 365. So the value at each stamp uses only data known
at its close: a series built on a truncated input is the prefix of the full one.

The indices follow the CBOE's rules in spirit (Whaley 2002 for BXM; the CBOE PUT index):

* :func:`covered_call_index`: long the index, short one call per unit, the premium reinvested in
  the index (self-financing, no cash).
* :func:`put_write_index`: short puts fully collateralized by cash at the risk-free rate: the
  number of puts is such that the cash (value plus premium) equals their total strike.
* :func:`straddle_index`: long (``side=1``) or short (``side=-1``) at-the-money straddles, one
  per unit of underlying the index value buys, delta-hedged every close with the underlying
  (``hedge_cost_bps`` paid on each hedge trade), the rest in cash at the risk-free rate. The long
  one earns, roughly, realized minus implied variance (times the dollar gamma): the volatility
  risk premium's mirror image.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from alphaforge.domain.errors import InvalidValueError
from alphaforge.pricing._grid import Grid, build_grid
from alphaforge.pricing.black_scholes import bs_greeks, bs_price

__all__ = [
    "DEFAULT_HALF_SPREAD",
    "DEFAULT_HEDGE_COST_BPS",
    "DEFAULT_MAX_FILL",
    "DEFAULT_RATE",
    "ModelledSeries",
    "covered_call_index",
    "put_write_index",
    "straddle_index",
]

DEFAULT_RATE = 0.01
"""Assumed constant risk-free rate. The 3-month T-bill yield was below it in 2014-2016 and above
it in 2018; the bundled treasury curves end in March 2017, too early to cover the VIX data."""
DEFAULT_HALF_SPREAD = 0.01
"""Fraction of an option's model (mid) price paid on each trade: sold at 99 %, bought at 101 %."""
DEFAULT_HEDGE_COST_BPS = 1.0
"""Cost of each delta-hedge trade in the underlying, in basis points of the traded notional."""
DEFAULT_MAX_FILL = 3
"""Stamps over which a missing implied vol (a VIX holiday) is carried forward at most."""

_ROLL_COLUMNS = ["spot", "strike", "expiry", "implied_vol", "premium", "traded", "quantity",
                 "index_value", "settlement"]  # fmt: skip


@dataclass(frozen=True)
class ModelledSeries:
    """A modelled index and how it was built.

    ``frame``: one ``close`` column on the underlying's stamps (UTC), from the first roll on.
    ``rolls``: one row per contract, indexed by its roll stamp: ``spot``, ``strike``,
    ``expiry`` (nominal), ``implied_vol``, ``premium`` (model price per unit of underlying),
    ``traded`` (the price after the half-spread), ``quantity`` (contracts held by the index,
    negative when short), ``index_value`` (after the trade, marked at the model price) and
    ``settlement`` (the payoff per contract at the next roll; NaN while the contract is open).
    ``model``: the pricing assumptions, for provenance.
    """

    frame: pd.DataFrame
    rolls: pd.DataFrame
    model: dict[str, Any] = field(default_factory=dict)

    @property
    def close(self) -> pd.Series:
        """The index level."""
        return self.frame["close"]


def covered_call_index(
    close: pd.Series,
    implied: pd.Series,
    *,
    moneyness: float = 1.0,
    rate: float = DEFAULT_RATE,
    div_yield: float = 0.0,
    half_spread: float = DEFAULT_HALF_SPREAD,
    max_fill: int = DEFAULT_MAX_FILL,
    base: float = 100.0,
) -> ModelledSeries:
    """Long the index, short a one-month call struck at ``moneyness`` × spot, rolled monthly.

    At each roll the expiring call is settled at intrinsic value and a new one is sold at the
    model price less the half-spread; the premium buys more of the index, so the index holds
    ``u`` units of the underlying and is short ``u`` calls, worth ``u × (spot - call)``.
    """
    _check_common(rate, div_yield, half_spread, base)
    _check_moneyness(moneyness)
    g = build_grid(close, implied, max_fill)
    strike = moneyness * g.spot[g.starts][g.contract]
    call = np.asarray(bs_price(g.spot, strike, g.years_left(), g.vol, rate, div_yield, "call"))
    value = np.empty(len(g.spot))
    rows: list[list[float]] = []
    units, worth = 0.0, base
    bounds = [*g.starts.tolist(), len(g.spot)]
    for j, (a, b) in enumerate(itertools.pairwise(bounds)):
        s = g.spot[a]
        if j:
            payoff = max(s - rows[-1][1], 0.0)
            rows[-1][-1] = payoff
            worth = units * (s - payoff)
        traded = call[a] * (1.0 - half_spread)
        units = worth / (s - traded)
        value[a:b] = units * (g.spot[a:b] - call[a:b])
        rows.append(_roll_row(g, a, strike[a], call[a], traded, -units, value[a]))
    model = _model("covered call: long the index, short one-month calls", rate, div_yield,
                   half_spread, max_fill, moneyness=moneyness)  # fmt: skip
    return _result(g, value, rows, model)


def put_write_index(
    close: pd.Series,
    implied: pd.Series,
    *,
    moneyness: float = 1.0,
    rate: float = DEFAULT_RATE,
    div_yield: float = 0.0,
    half_spread: float = DEFAULT_HALF_SPREAD,
    max_fill: int = DEFAULT_MAX_FILL,
    base: float = 100.0,
) -> ModelledSeries:
    """Short one-month puts struck at ``moneyness`` × spot, fully collateralized, rolled monthly.

    At each roll the expiring puts are settled at intrinsic value and ``n`` new ones are sold at
    the model price less the half-spread, with ``n × strike`` equal to the cash after the sale;
    the cash earns ``rate``.
    """
    _check_common(rate, div_yield, half_spread, base)
    _check_moneyness(moneyness)
    g = build_grid(close, implied, max_fill)
    strike = moneyness * g.spot[g.starts][g.contract]
    put = np.asarray(bs_price(g.spot, strike, g.years_left(), g.vol, rate, div_yield, "put"))
    value = np.empty(len(g.spot))
    rows: list[list[float]] = []
    count, cash, worth, rows_start = 0.0, 0.0, base, 0
    bounds = [*g.starts.tolist(), len(g.spot)]
    for j, (a, b) in enumerate(itertools.pairwise(bounds)):
        s, k = g.spot[a], strike[a]
        if j:
            payoff = max(rows[-1][1] - s, 0.0)
            rows[-1][-1] = payoff
            worth = cash * _growth(g, rate, rows_start, a) - count * payoff
        traded = put[a] * (1.0 - half_spread)
        count = worth / (k - traded)
        cash, rows_start = worth + count * traded, a
        value[a:b] = cash * _growth(g, rate, a, np.arange(a, b)) - count * put[a:b]
        rows.append(_roll_row(g, a, k, put[a], traded, -count, value[a]))
    model = _model("put write: short one-month puts, cash-collateralized", rate, div_yield,
                   half_spread, max_fill, moneyness=moneyness)  # fmt: skip
    return _result(g, value, rows, model)


def straddle_index(
    close: pd.Series,
    implied: pd.Series,
    *,
    side: Literal[1, -1] = 1,
    rate: float = DEFAULT_RATE,
    div_yield: float = 0.0,
    half_spread: float = DEFAULT_HALF_SPREAD,
    hedge_cost_bps: float = DEFAULT_HEDGE_COST_BPS,
    max_fill: int = DEFAULT_MAX_FILL,
    base: float = 100.0,
) -> ModelledSeries:
    """Long (``side=1``) or short (``side=-1``) one-month ATM straddles, delta-hedged daily.

    At each roll the expiring straddles are settled at intrinsic value and ``value / spot`` new
    ones are bought at the model price plus the half-spread (sold at it less the half-spread when
    short). At every close the position in the underlying is reset to minus the straddles'
    delta, paying ``hedge_cost_bps`` on the traded notional; cash earns ``rate``.
    """
    if side not in (1, -1):
        raise InvalidValueError(f"side must be 1 (long) or -1 (short), got {side!r}")
    _check_common(rate, div_yield, half_spread, base)
    if not np.isfinite(hedge_cost_bps) or hedge_cost_bps < 0:
        raise InvalidValueError(f"hedge_cost_bps must be >= 0, got {hedge_cost_bps!r}")
    g = build_grid(close, implied, max_fill)
    strike = g.spot[g.starts][g.contract]
    t = g.years_left()
    c = bs_greeks(g.spot, strike, t, g.vol, rate, div_yield, "call")
    p = bs_greeks(g.spot, strike, t, g.vol, rate, div_yield, "put")
    mark = np.asarray(c.price) + np.asarray(p.price)
    delta = np.asarray(c.delta) + np.asarray(p.delta)
    value, rows = _hedged(g, strike, mark, delta, side, rate, half_spread,
                          hedge_cost_bps / 1e4, base)  # fmt: skip
    kind = "long" if side == 1 else "short"
    model = _model(f"{kind} one-month ATM straddles, delta-hedged daily", rate, div_yield,
                   half_spread, max_fill, hedge_cost_bps=hedge_cost_bps)  # fmt: skip
    return _result(g, value, rows, model)


def _hedged(
    g: Grid,
    strike: np.ndarray,
    mark: np.ndarray,
    delta: np.ndarray,
    side: int,
    rate: float,
    half_spread: float,
    cost: float,
    base: float,
) -> tuple[np.ndarray, list[list[float]]]:
    """The daily loop of a delta-hedged straddle book: settle, roll, re-hedge, mark."""
    value = np.empty(len(g.spot))
    rows: list[list[float]] = []
    cash, count, hedge, traded = base, 0.0, 0.0, 0.0
    for i in range(len(g.spot)):
        s = g.spot[i]
        if i:
            cash *= np.exp(rate * (g.day[i] - g.day[i - 1]) / 365.0)
        if g.roll[i]:
            if i:
                payoff = abs(s - rows[-1][1])
                rows[-1][-1] = payoff
                cash += count * payoff
            worth = cash + hedge * s
            count = side * worth / s
            traded = mark[i] * (1.0 + side * half_spread)
            cash -= count * traded
        target = -count * delta[i]
        trade = target - hedge
        cash -= trade * s + abs(trade) * s * cost
        hedge = target
        value[i] = cash + count * mark[i] + hedge * s
        if g.roll[i]:
            rows.append(_roll_row(g, i, strike[i], mark[i], traded, count, value[i]))
    return value, rows


def _growth(g: Grid, rate: float, since: int, at: int | np.ndarray) -> Any:
    return np.exp(rate * (g.day[at] - g.day[since]) / 365.0)


def _roll_row(
    g: Grid, i: int, strike: float, premium: float, traded: float, quantity: float, worth: float
) -> list[float]:
    expiry = float(g.expiry[g.contract[i]])
    return [g.spot[i], strike, expiry, g.vol[i], premium, traded, quantity, worth, np.nan]


def _result(
    g: Grid, value: np.ndarray, rows: list[list[float]], model: dict[str, Any]
) -> ModelledSeries:
    frame = pd.DataFrame({"close": value}, index=g.stamps)
    rolls = pd.DataFrame(rows, index=g.stamps[g.starts], columns=_ROLL_COLUMNS)
    rolls["expiry"] = pd.to_datetime(rolls["expiry"].astype(np.int64), unit="D", utc=True)
    rolls.index.name = "roll"
    return ModelledSeries(frame=frame, rolls=rolls, model=model)


def _model(
    strategy: str,
    rate: float,
    div_yield: float,
    half_spread: float,
    max_fill: int,
    **extra: float,
) -> dict[str, Any]:
    return {
        "strategy": strategy,
        "pricing": "Black-Scholes (1973) at the day's implied vol (VIX/100): modelled, not "
        "quoted; no skew, no term structure",
        "rate": rate,
        "dividend_yield": div_yield,
        "half_spread": half_spread,
        "roll": "first session of each month; settled at intrinsic on the next roll",
        "max_fill": max_fill,
        **extra,
    }


def _check_common(rate: float, div_yield: float, half_spread: float, base: float) -> None:
    if not np.isfinite(rate) or not -0.05 <= rate <= 0.25:
        raise InvalidValueError(f"rate is an annual fraction in [-0.05, 0.25], got {rate!r}")
    if not np.isfinite(div_yield) or not 0.0 <= div_yield <= 0.2:
        raise InvalidValueError(f"div_yield is an annual fraction in [0, 0.2], got {div_yield!r}")
    if not np.isfinite(half_spread) or not 0.0 <= half_spread < 0.5:
        raise InvalidValueError(f"half_spread must be in [0, 0.5), got {half_spread!r}")
    if not np.isfinite(base) or base <= 0:
        raise InvalidValueError(f"base must be > 0, got {base!r}")


def _check_moneyness(moneyness: float) -> None:
    if not np.isfinite(moneyness) or not 0.5 <= moneyness <= 1.5:
        raise InvalidValueError(
            f"moneyness (strike / spot) must be in [0.5, 1.5], got {moneyness!r}"
        )
