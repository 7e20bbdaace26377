"""Black–Scholes–Merton prices and greeks of European calls and puts, vectorized.

Every function takes ``spot``, ``strike``, ``t`` (years to expiry), ``vol`` (annual volatility
as a fraction: 0.2 is 20 %), ``rate`` and ``div`` (continuously compounded annual risk-free rate
and dividend yield) as floats or arrays that broadcast together, and ``kind`` (``"call"`` or
``"put"``). Scalars in give a float out; arrays give an array.

The formulas are those of Black & Scholes (1973) with Merton's (1973) continuous dividend yield,
as in Hull, *Options, Futures, and Other Derivatives*, ch. 15 and 19. Conventions:

* ``vega`` is per 1.00 of volatility (divide by 100 for one volatility point);
* ``theta`` is per year of calendar time (divide by 365 for one day), the change in value as
  time passes (negative for a long option, as a rule);
* ``rho`` is per 1.00 of rate.

At ``t == 0`` the price is the payoff (intrinsic value); delta is 1 (call) or -1 (put) in the
money, 0 out of the money and ±0.5 exactly at the money; gamma, vega, theta and rho are 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.special import ndtr

from alphaforge.core.suggest import did_you_mean
from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "Greeks",
    "OptionKind",
    "bs_delta",
    "bs_gamma",
    "bs_greeks",
    "bs_price",
    "bs_rho",
    "bs_theta",
    "bs_vega",
]

OptionKind = Literal["call", "put"]
ArrayLike = float | np.ndarray
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


@dataclass(frozen=True)
class Greeks:
    """Price and sensitivities of one option (or an array of them); see the module docstring."""

    price: ArrayLike
    delta: ArrayLike
    gamma: ArrayLike
    vega: ArrayLike
    theta: ArrayLike
    rho: ArrayLike


def bs_price(
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike = 0.0,
    div: ArrayLike = 0.0,
    kind: OptionKind = "call",
) -> ArrayLike:
    """Return the Black–Scholes–Merton value of a European ``kind`` option."""
    return bs_greeks(spot, strike, t, vol, rate, div, kind).price


def bs_delta(
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike = 0.0,
    div: ArrayLike = 0.0,
    kind: OptionKind = "call",
) -> ArrayLike:
    """Return the option's delta: change in value per unit change of ``spot``."""
    return bs_greeks(spot, strike, t, vol, rate, div, kind).delta


def bs_gamma(
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike = 0.0,
    div: ArrayLike = 0.0,
    kind: OptionKind = "call",
) -> ArrayLike:
    """Return the option's gamma: change in delta per unit change of ``spot`` (same for puts)."""
    return bs_greeks(spot, strike, t, vol, rate, div, kind).gamma


def bs_vega(
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike = 0.0,
    div: ArrayLike = 0.0,
    kind: OptionKind = "call",
) -> ArrayLike:
    """Return the option's vega per 1.00 of volatility (same for puts)."""
    return bs_greeks(spot, strike, t, vol, rate, div, kind).vega


def bs_theta(
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike = 0.0,
    div: ArrayLike = 0.0,
    kind: OptionKind = "call",
) -> ArrayLike:
    """Return the option's theta per year of calendar time (value change as time passes)."""
    return bs_greeks(spot, strike, t, vol, rate, div, kind).theta


def bs_rho(
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike = 0.0,
    div: ArrayLike = 0.0,
    kind: OptionKind = "call",
) -> ArrayLike:
    """Return the option's rho per 1.00 of interest rate."""
    return bs_greeks(spot, strike, t, vol, rate, div, kind).rho


def bs_greeks(
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike = 0.0,
    div: ArrayLike = 0.0,
    kind: OptionKind = "call",
) -> Greeks:
    """Return price, delta, gamma, vega, theta and rho at once (one pass over the inputs)."""
    if kind not in ("call", "put"):
        raise InvalidValueError(
            f"kind must be 'call' or 'put', got {kind!r}{did_you_mean(str(kind), ['call', 'put'])}"
        )
    s = _checked("spot", spot, positive=True)
    k = _checked("strike", strike, positive=True)
    tt = _checked("t", t, nonnegative=True)
    v = _checked("vol", vol, positive=True)
    r = _checked("rate", rate)
    q = _checked("div", div)
    s, k, tt, v, r, q = np.broadcast_arrays(s, k, tt, v, r, q)
    live = tt > 0.0
    t_safe = np.where(live, tt, 1.0)  # expired options take the payoff branch below
    sq = np.sqrt(t_safe)
    sd = v * sq
    d1 = (np.log(s / k) + (r - q + 0.5 * v * v) * t_safe) / sd
    d2 = d1 - sd
    dq = np.exp(-q * tt)
    dr = np.exp(-r * tt)
    pdf = _INV_SQRT_2PI * np.exp(-0.5 * d1 * d1)
    gamma = dq * pdf / (s * sd)
    vega = s * dq * pdf * sq
    decay = -s * dq * pdf * v / (2.0 * sq)
    if kind == "call":
        nd1, nd2 = ndtr(d1), ndtr(d2)
        price = s * dq * nd1 - k * dr * nd2
        delta = dq * nd1
        theta = decay - r * k * dr * nd2 + q * s * dq * nd1
        rho = k * t_safe * dr * nd2
        payoff = np.maximum(s - k, 0.0)
        at_expiry = np.where(s > k, 1.0, np.where(s < k, 0.0, 0.5))
    else:
        nm1, nm2 = ndtr(-d1), ndtr(-d2)
        price = k * dr * nm2 - s * dq * nm1
        delta = -dq * nm1
        theta = decay + r * k * dr * nm2 - q * s * dq * nm1
        rho = -k * t_safe * dr * nm2
        payoff = np.maximum(k - s, 0.0)
        at_expiry = np.where(s < k, -1.0, np.where(s > k, 0.0, -0.5))
    zero = np.zeros_like(price)
    return Greeks(
        price=_out(np.where(live, price, payoff)),
        delta=_out(np.where(live, delta, at_expiry)),
        gamma=_out(np.where(live, gamma, zero)),
        vega=_out(np.where(live, vega, zero)),
        theta=_out(np.where(live, theta, zero)),
        rho=_out(np.where(live, rho, zero)),
    )


def _checked(
    name: str, value: ArrayLike, *, positive: bool = False, nonnegative: bool = False
) -> np.ndarray:
    """``value`` as a float array, or an error naming the parameter and the first bad entry."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidValueError(f"{name} must be a number or an array of numbers") from None
    bad = ~np.isfinite(arr)
    need = "finite"
    if positive:
        bad |= arr <= 0.0
        need = "finite and > 0"
    elif nonnegative:
        bad |= arr < 0.0
        need = "finite and >= 0"
    if bad.any():
        where = np.argwhere(bad)[0]
        at = f" at index {tuple(int(i) for i in where)}" if arr.ndim else ""
        raise InvalidValueError(f"{name} must be {need}; got {float(arr[tuple(where)])!r}{at}")
    return arr


def _out(x: np.ndarray) -> ArrayLike:
    return float(x) if x.ndim == 0 else x
