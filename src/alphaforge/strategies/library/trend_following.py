"""Time-series momentum: each asset long after it rose, short after it fell, sized to its risk."""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from alphaforge.strategies.base import Strategy, StrategyParams
from alphaforge.strategies.context import StrategyContext
from alphaforge.strategies.registry import register
from alphaforge.strategies.schedule import Every
from alphaforge.strategies.space import Choice, FloatRange

__all__ = ["TrendFollowing", "ewma_volatility", "trend_signal", "trend_weights"]

_TAG = "tsmom"


class TrendFollowingParams(StrategyParams):
    """Parameters of :class:`TrendFollowing`."""

    lookbacks: tuple[int, ...] = Field(
        (21, 63, 126, 252),
        min_length=1,
        description="Bars of past return whose signs are averaged (about 1, 3, 6, 12 months).",
    )
    signal: Literal["sign", "clipped"] = Field(
        "sign",
        description="sign: +1/-1 per lookback; clipped: the return over its expected "
        "volatility, clipped to [-1, 1].",
    )
    target_vol: float = Field(
        0.40,
        gt=0,
        le=5,
        description="Annual volatility each position is scaled to before dividing by the "
        "number of assets (Moskowitz, Ooi & Pedersen use 40 %).",
    )
    vol_com: float = Field(
        60.0, ge=1, description="Centre of mass, in bars, of the EWMA of squared returns."
    )
    periods_per_year: float = Field(
        252.0, gt=0, description="Bars per year, to annualize the volatility."
    )
    max_weight: float = Field(
        1.0, gt=0, le=5, description="Cap on one asset's |weight| (fraction of equity)."
    )
    max_gross: float = Field(
        1.5, gt=0, le=10, description="Cap on the sum of |weights|; the book is scaled down to it."
    )
    mode: Literal["long_only", "long_short"] = Field(
        "long_short", description="long_short: short on a negative signal; long_only: flat."
    )
    rebalance: Literal["D", "W", "M", "Q"] = Field(
        "M", description="Rebalance on the first bar of each day, week, month or quarter."
    )
    band: float = Field(
        0.01,
        ge=0,
        lt=1,
        description="No-trade band: a weight change smaller than this is skipped (exits and "
        "sign flips always trade).",
    )

    @model_validator(mode="after")
    def _valid_lookbacks(self) -> TrendFollowingParams:
        bad = [k for k in self.lookbacks if k < 1]
        if bad:
            raise ValueError(f"lookbacks must be >= 1 bar, got {list(self.lookbacks)}")
        if len(set(self.lookbacks)) != len(self.lookbacks):
            raise ValueError(f"lookbacks repeat a value: {list(self.lookbacks)}")
        return self


def ewma_volatility(closes: np.ndarray, com: float, periods_per_year: float) -> float:
    """Annualized ex-ante volatility: EWMA of squared de-meaned log returns (MOP 2012, eq. 1).

    ``closes`` are the bars known now; the weight of a return ``i`` bars back is
    ``(1 - a) ** i`` with ``a = 1 / (1 + com)``, normalized over the returns used: the latest
    ``ceil(10 * com)`` (older ones would carry under 0.1 % of the weight; 0.005 % at com=60).
    NaN with fewer than 2 returns.
    """
    span = math.ceil(10 * com)  # returns used
    tail = np.asarray(closes[-(span + 1) :], dtype=np.float64)
    returns = np.diff(np.log(tail))
    if returns.size < 2:
        return math.nan
    decay = 1.0 - 1.0 / (1.0 + com)
    weights = decay ** np.arange(returns.size - 1, -1, -1, dtype=np.float64)  # newest weighs 1
    weights /= weights.sum()
    mean = float(weights @ returns)
    variance = float(weights @ (returns - mean) ** 2)
    return math.sqrt(variance * periods_per_year)


def trend_signal(
    closes: np.ndarray,
    lookbacks: tuple[int, ...],
    kind: Literal["sign", "clipped"] = "sign",
    daily_vol: float = math.nan,
) -> float:
    """The mean over ``lookbacks`` of each past return's sign (or clipped score), in [-1, 1].

    ``clipped`` divides the log return over ``k`` bars by its expected size
    ``daily_vol * sqrt(k)`` and clips the ratio to [-1, 1], so a weak trend takes a small
    position. NaN when ``closes`` is shorter than the longest lookback plus one.
    """
    if closes.size < max(lookbacks) + 1:
        return math.nan
    last = math.log(float(closes[-1]))
    scores = []
    for k in lookbacks:
        move = last - math.log(float(closes[-1 - k]))
        if kind == "sign":
            scores.append(float(np.sign(move)))
        else:
            scale = daily_vol * math.sqrt(k)
            scores.append(max(-1.0, min(1.0, move / scale)) if scale > 0 else 0.0)
    return sum(scores) / len(scores)


def trend_weights(
    signals: dict[str, float],
    vols: dict[str, float],
    *,
    target_vol: float,
    max_weight: float,
    max_gross: float,
    long_only: bool,
) -> dict[str, float]:
    """Volatility-targeted weights ``signal * target_vol / vol / N``, capped per asset and gross.

    ``N`` counts the assets with a signal (the ones with enough history now, as MOP average
    over the securities available at each date); an asset without a finite positive volatility
    gets weight 0. Per-asset caps apply first, then the whole book is scaled to ``max_gross``.
    """
    live = {s: v for s, v in signals.items() if math.isfinite(v)}
    out = dict.fromkeys(signals, 0.0)
    if not live:
        return out
    n = len(live)
    for symbol, raw_signal in live.items():
        vol = vols.get(symbol, math.nan)
        signal = max(raw_signal, 0.0) if long_only else raw_signal
        if not (math.isfinite(vol) and vol > 0) or signal == 0:
            continue
        raw = signal * target_vol / vol / n
        out[symbol] = max(-max_weight, min(max_weight, raw))
    gross = sum(abs(w) for w in out.values())
    if gross > max_gross:
        scale = max_gross / gross
        out = {s: w * scale for s, w in out.items()}
    return out


@register
class TrendFollowing(Strategy):
    """Time-series momentum across assets: long what has risen, short what has fallen, risk-sized.

    Idea: an asset's own past return predicts its next month's return (Moskowitz, Ooi &
    Pedersen, 2012; over a century of data in Hurst, Ooi & Pedersen, 2017). On each rebalance
    (first bar of each month by default) every asset gets the average, over ``lookbacks``
    (1, 3, 6, 12 months), of the sign of its past return; its weight is that signal times
    ``target_vol / sigma`` divided by the number of assets, ``sigma`` being the annualized EWMA
    volatility of its daily log returns (centre of mass ``vol_com`` bars). Each |weight| is
    capped at ``max_weight``, the book at ``max_gross``; changes smaller than ``band`` are not
    traded, so volatility noise does not churn the book.

    Assumptions: returns are measured in each asset's own bars, so an asset whose history
    starts later (or that misses bars) stays at weight 0 until it has ``max(lookbacks) + 1``
    closes; an asset without a bar at a rebalance is sized at its last close and its order
    fills at its next bar's open (one the account has no price for yet, after ``start``, trades
    at its first bar). Decisions use closes; orders fill at the next open. Shorts pay the run's
    borrow rate. Data: closes of several assets (works on one); the default set is the
    20 US large caps of ``stocks20_close`` (1990-2022: long enough to hold several bull and bear
    trends).
    """

    name = "trend_following"
    universe = "multi"
    Params = TrendFollowingParams
    default_data = ("stocks20_close",)
    run_defaults = MappingProxyType(
        {
            "allow_short": True,
            "max_gross_leverage": 2.0,  # headroom over max_gross=1.5 for drift between rebalances
            "max_position_weight": 1.25,  # headroom over max_weight=1.0
            "borrow_rate": 0.005,
        }
    )

    # Moskowitz, Ooi & Pedersen's volatility centre of mass (60) from 20 to 120 bars, the
    # rebalance period and the signal form. `lookbacks` (a tuple) is no Choice option: Optuna
    # stores only scalars; pass it with -p.
    search_space = MappingProxyType(
        {
            "vol_com": FloatRange(20.0, 120.0, 20.0),
            "rebalance": Choice(("W", "M", "Q")),
            "signal": Choice(("sign", "clipped")),
        }
    )

    def on_start(self, ctx: StrategyContext) -> None:
        p = self.params
        assert isinstance(p, TrendFollowingParams)  # noqa: S101  # narrowing for mypy
        self._p = p
        self._every = Every(p.rebalance)
        self.last_weights: dict[str, float] = {}
        """Weights decided at the latest rebalance (for inspection)."""
        self._waiting: dict[str, float] = {}

    def on_step(self, ctx: StrategyContext) -> None:
        if self._every(ctx.now_ns):
            self.last_weights = self._targets(ctx)
            self._waiting = self._trade(self.last_weights, ctx)
        elif self._waiting:
            self._waiting = self._trade(self._waiting, ctx)

    def _targets(self, ctx: StrategyContext) -> dict[str, float]:
        p = self._p
        signals: dict[str, float] = {}
        vols: dict[str, float] = {}
        need = max(p.lookbacks) + 1
        span = max(need, math.ceil(10 * p.vol_com) + 2)
        for symbol in ctx.symbols:
            closes = ctx.history(symbol, "close", span)
            if closes.size == 0:
                signals[symbol] = math.nan  # no bar yet
                continue
            vol = ewma_volatility(closes, p.vol_com, p.periods_per_year)
            daily = vol / math.sqrt(p.periods_per_year)
            signals[symbol] = trend_signal(closes, p.lookbacks, p.signal, daily)
            vols[symbol] = vol
        return trend_weights(
            signals,
            vols,
            target_vol=p.target_vol,
            max_weight=p.max_weight,
            max_gross=p.max_gross,
            long_only=p.mode == "long_only",
        )

    def _trade(self, targets: dict[str, float], ctx: StrategyContext) -> dict[str, float]:
        """Send the changes that clear the band, cuts first; return the targets of symbols the
        account has no price for yet (after a ``start``, a symbol is priced at its first bar)."""
        if not ctx.portfolio.equity() > 0:
            return {}
        waiting: dict[str, float] = {}
        moves: list[tuple[bool, str, float]] = []
        for symbol, target in targets.items():
            if not math.isfinite(ctx.portfolio.last_price(symbol)):
                if target:
                    waiting[symbol] = target
                continue
            held = ctx.portfolio.weight(symbol)
            flips = held != 0 and (target == 0 or (target > 0) != (held > 0))
            if flips or abs(target - held) >= max(self._p.band, 1e-12):
                moves.append((abs(target) > abs(held) and not flips, symbol, target))
        for _, symbol, target in sorted(moves):  # cuts (False) before additions
            ctx.target_percent(symbol, target, tag=_TAG)
        return waiting
