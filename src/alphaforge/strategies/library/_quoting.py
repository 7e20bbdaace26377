"""The market maker's mathematics: optimal quotes, their inputs estimated from prices, its ledger.

Distances are in basis points of the mid price, time in seconds, inventory ``q`` in lots (the
position over the quote size), so one set of parameters means the same on any price scale:

* :func:`avellaneda_stoikov`: Avellaneda & Stoikov (2008), reservation price
  ``r = s - q * gamma * sigma^2 * tau`` and full spread ``gamma * sigma^2 * tau +
  (2 / gamma) * ln(1 + gamma / k)`` around it, with a rolling horizon ``tau``;
* :func:`glft`: the stationary (infinite-horizon) approximation of Gueant, Lehalle and
  Fernandez-Tapia (2013): half spread ``(1 / gamma) * ln(1 + gamma / k) + c / 2`` and skew
  ``q * c``, with ``c = sqrt(sigma^2 * gamma / (2 * k * A) * (1 + gamma / k)^(1 + k / gamma))``;
* :func:`fit_intensity`: ``lambda(delta) = A * exp(-k * delta)``, the rate at which the market
  reaches ``delta`` bp from the mid, fitted to how often each interval's high and low went that
  far from the interval's opening mid (a quote there would have been traded through);
* :class:`MakerTally`: what the quotes earned: spread captured against the mid, adverse
  selection (markouts), inventory and fees.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any, NamedTuple

import numpy as np

__all__ = ["MakerTally", "Quote", "avellaneda_stoikov", "fit_intensity", "glft", "realized_sigma"]

BPS = 1e4
MARKOUTS = (60, 300)  # seconds after a fill at which the mid is compared with the fill's


class Quote(NamedTuple):
    """Optimal quotes around a mid, in bp: the reservation price's offset from the mid, and the
    distances of the bid below and of the ask above the mid (negative: across the mid)."""

    reservation: float
    bid: float
    ask: float


def avellaneda_stoikov(q: float, sigma: float, gamma: float, k: float, horizon: float) -> Quote:
    """Avellaneda-Stoikov quotes for inventory ``q`` (lots), volatility ``sigma`` (bp per
    square-root second), risk aversion ``gamma`` (per lot and bp), intensity decay ``k`` (per bp)
    and time left ``horizon`` (seconds)."""
    risk = gamma * sigma * sigma * horizon
    reservation = -q * risk
    half = (risk + 2.0 / gamma * math.log1p(gamma / k)) / 2.0
    return Quote(reservation, half - reservation, half + reservation)


def glft(q: float, sigma: float, gamma: float, k: float, arrival: float) -> Quote:
    """Gueant-Lehalle-Fernandez-Tapia asymptotic quotes (units as :func:`avellaneda_stoikov`;
    ``arrival`` is ``A``, market orders per second reaching the mid)."""
    base = math.log1p(gamma / k) / gamma
    growth = math.exp((1.0 + k / gamma) * math.log1p(gamma / k))
    c = math.sqrt(sigma * sigma * gamma / (2.0 * k * arrival) * growth)
    return Quote(-q * c, base + (2.0 * q + 1.0) / 2.0 * c, base - (2.0 * q - 1.0) / 2.0 * c)


def realized_sigma(returns: np.ndarray, seconds: np.ndarray) -> float:
    """Volatility in bp per square-root second: ``sqrt(sum r^2 / sum dt)`` of log returns ``r``
    over intervals of ``dt`` seconds (gaps without trading count as the time they lasted)."""
    elapsed = float(seconds.sum())
    if elapsed <= 0.0 or returns.size < 2:
        return math.nan
    return math.sqrt(float(np.square(returns).sum()) / elapsed) * BPS


def fit_intensity(
    excursions: np.ndarray, interval: float, sigma_interval: float
) -> tuple[float, float] | None:
    """Fit ``lambda(delta) = A exp(-k delta)``: return ``(k, A)`` or None when the data cannot.

    ``excursions`` (bp) are how far each interval went above and below its opening mid;
    ``interval`` its mean length (s). At each distance of a grid (a quarter to three of
    ``sigma_interval``, the interval's volatility in bp) the share ``P`` of excursions beyond it
    gives ``lambda = -ln(1 - P) / interval`` (a Poisson rate); a line through ``ln lambda``
    gives ``-k`` and ``ln A``. At least two grid points with three excursions beyond them (and
    not all) are needed.
    """
    n = excursions.size
    if n < 10 or not (sigma_interval > 0.0 and interval > 0.0):
        return None
    grid = sigma_interval * np.arange(0.25, 3.01, 0.25)
    beyond = (excursions[None, :] > grid[:, None]).sum(axis=1)
    usable = (beyond >= 3) & (beyond < n)
    if usable.sum() < 2:
        return None
    rate = -np.log1p(-beyond[usable] / n) / interval
    slope, intercept = np.polyfit(grid[usable], np.log(rate), 1)
    k, arrival = -float(slope), math.exp(float(intercept))
    if not (math.isfinite(k) and k > 0.0 and math.isfinite(arrival) and arrival > 0.0):
        return None
    return k, arrival


class _Pending(NamedTuple):
    ts: int
    sign: int
    quantity: float
    mid: float


class MakerTally:
    """Per-fill accounting of a market maker (all amounts in the quote currency).

    ``spread``: sum of ``sign * (mid - price) * quantity`` over fills (``sign`` +1 buy): what
    the quotes earned against the mid at the fill. ``adverse``: for each markout horizon ``h``,
    ``-sign * (mid(t + h) - mid(t)) * quantity``: what the mid's move after the fill took back
    (positive: it moved against us). Inventory is sampled once per interval.
    """

    def __init__(self) -> None:
        self.fills = self.buys = self.maker = 0
        self.volume = self.notional = self.spread = self.fees = 0.0
        self.adverse = dict.fromkeys(MARKOUTS, 0.0)
        self.marked = dict.fromkeys(MARKOUTS, 0.0)  # notional whose markout is known
        self.inventory: list[float] = []
        self.quotes = self.cancels = 0
        self._pending: dict[int, deque[_Pending]] = {h: deque() for h in MARKOUTS}

    def fill(self, ts: int, sign: int, quantity: float, price: float, mid: float) -> None:
        """Book one fill at ``price`` while the mid was ``mid``."""
        self.fills += 1
        self.buys += sign > 0
        self.volume += quantity
        self.notional += quantity * price
        self.spread += sign * (mid - price) * quantity
        for queue in self._pending.values():
            queue.append(_Pending(ts, sign, quantity, mid))

    def mark(self, ts: int, mid: float) -> None:
        """Resolve the markouts whose horizon has passed, at ``mid`` (the mid prevailing then)."""
        for horizon, queue in self._pending.items():
            due = ts - horizon * 1_000_000_000
            while queue and queue[0].ts <= due:
                p = queue.popleft()
                self.adverse[horizon] -= p.sign * (mid - p.mid) * p.quantity
                self.marked[horizon] += p.quantity * p.mid

    def report(self, pnl: float) -> dict[str, Any]:
        """The figures of the run; ``pnl`` is the change of equity while quoting."""
        inventory = np.abs(np.asarray(self.inventory, dtype=float))
        out: dict[str, Any] = {
            "fills": self.fills,
            "buy_fills": self.buys,
            "sell_fills": self.fills - self.buys,
            "maker_fills": self.maker,
            "taker_fills": self.fills - self.maker,
            "quotes_sent": self.quotes,
            "quotes_canceled": self.cancels,
            "volume": self.volume,
            "notional": self.notional,
            "spread_captured": self.spread,
            "spread_captured_bps": _bps(self.spread, self.notional),
        }
        for horizon in MARKOUTS:
            name = f"{horizon // 60}m"
            out[f"adverse_selection_{name}_bps"] = _bps(self.adverse[horizon], self.marked[horizon])
        out.update(
            {
                "inventory_mean_abs": float(inventory.mean()) if inventory.size else 0.0,
                "inventory_max_abs": float(inventory.max()) if inventory.size else 0.0,
                "pnl_total": pnl,
                "pnl_spread": self.spread,
                "pnl_fees": -self.fees,
                "pnl_inventory": pnl - self.spread + self.fees,
            }
        )
        return out


def _bps(amount: float, notional: float) -> float:
    return amount / notional * BPS if notional > 0.0 else math.nan
