"""Bollinger mean reversion: fade closes far outside the band, exit back near the average."""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Literal

from pydantic import Field, model_validator

from alphaforge.domain.market import Bar
from alphaforge.strategies.base import Strategy, StrategyParams
from alphaforge.strategies.context import IndicatorHandle, StrategyContext
from alphaforge.strategies.registry import register
from alphaforge.strategies.space import FloatRange, IntRange

__all__ = ["BollingerReversion"]


class BollingerReversionParams(StrategyParams):
    """Parameters of :class:`BollingerReversion`."""

    period: int = Field(20, ge=2, description="Bars in the moving average and deviation.")
    entry_z: float = Field(
        2.0, gt=0, description="Enter long below -entry_z (short above +entry_z)."
    )
    exit_z: float = Field(
        0.0, description="Exit a long once z >= -exit_z (a short once z <= exit_z)."
    )
    stop_z: float = Field(
        0.0, ge=0, description="Stop a long below -stop_z (a short above +stop_z); 0 = off."
    )
    mode: Literal["long_only", "long_short"] = Field(
        "long_only", description="long_only: fade only the lows; long_short: the highs too."
    )
    weight: float = Field(1.0, gt=0, le=1, description="Fraction of equity per position.")

    @model_validator(mode="after")
    def _ordered(self) -> BollingerReversionParams:
        if not -self.entry_z <= self.exit_z < self.entry_z:
            raise ValueError(
                f"need -entry_z <= exit_z < entry_z, got exit_z={self.exit_z}, "
                f"entry_z={self.entry_z}"
            )
        if self.stop_z and self.stop_z <= self.entry_z:
            raise ValueError(
                f"stop_z ({self.stop_z}) must be beyond entry_z ({self.entry_z}), or 0 (off)"
            )
        return self


@register
class BollingerReversion(Strategy):
    """Buy ``weight`` of equity when the close is ``entry_z`` deviations below its average.

    With ``z = (close - SMA(period)) / std(period)`` (population deviation, the width of
    Bollinger Bands: Bollinger, 2001, "Bollinger on Bollinger Bands"), go long when
    ``z < -entry_z`` (a close below the lower band at the default 2.0) and exit once the close
    has reverted to ``z >= -exit_z`` (the average, at the default 0). In ``long_short`` mode,
    the mirror image: short above ``+entry_z``, cover at ``z <= exit_z``. An optional stop
    (``stop_z > entry_z``) closes a trade that keeps running away (``z < -stop_z`` for a
    long) and bars entries beyond it; after a stop the side is re-armed only once z is back
    inside ``entry_z``, so the stop is not undone on the next bar. A flat window (no
    deviation) gives no z and no decision.

    Bollinger himself reads a close outside the band as a sign of strength in a trend, not as
    a signal to fade; fading it is the mean-reversion reading of the band tested, for instance,
    by Lento, Gradojevic & Wright (2007, "Investment Information Content in Bollinger Bands?",
    Applied Financial Economics Letters 3(4)).

    Assumptions: prices oscillate around a slowly moving average, so extremes revert; in a
    strong trend the rule buys into a falling market (the stop limits that). Data: close
    prices; each symbol trades on its own z-score with ``weight / len(symbols)`` of equity.
    ``long_short`` needs ``allow_short``.
    """

    name = "bollinger_reversion"
    Params = BollingerReversionParams

    # Bollinger's 20 bars and 2 deviations in the middle: period 10-60, entry 1-3 deviations by
    # a quarter, exit from half a deviation past the average to one short of it.
    search_space = MappingProxyType(
        {
            "period": IntRange(10, 60, 5),
            "entry_z": FloatRange(1.0, 3.0, 0.25),
            "exit_z": FloatRange(-0.5, 1.0, 0.25),
        }
    )

    def on_start(self, ctx: StrategyContext) -> None:
        p = self.params
        assert isinstance(p, BollingerReversionParams)  # noqa: S101  # narrowing for mypy
        self._p = p
        self._z: dict[str, IndicatorHandle] = {
            s: ctx.indicator("zscore", symbol=s, period=p.period) for s in ctx.symbols
        }
        self._size = p.weight / len(ctx.symbols)
        self._short = p.mode == "long_short"
        self._state: dict[str, int] = {s: 0 for s in ctx.symbols}  # +1 long, -1 short, 0 flat
        self._armed: dict[str, list[bool]] = {s: [True, True] for s in ctx.symbols}  # long, short

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> None:
        z = float(self._z[bar.symbol].value)
        if math.isnan(z):
            return  # warming up, or a flat window: no z-score, no decision
        p, symbol = self._p, bar.symbol
        state, armed = self._state[symbol], self._armed[symbol]
        new, tag = state, ""
        if state == 1 and p.stop_z and z < -p.stop_z:
            new, tag, armed[0] = 0, "z<-stop", False
        elif state == 1 and z >= -p.exit_z:
            new, tag = 0, "z>=-exit"
        elif state == -1 and p.stop_z and z > p.stop_z:
            new, tag, armed[1] = 0, "z>stop", False
        elif state == -1 and z <= p.exit_z:
            new, tag = 0, "z<=exit"
        armed[0] = armed[0] or z >= -p.entry_z
        armed[1] = armed[1] or z <= p.entry_z
        beyond = p.stop_z or math.inf  # no entry where the stop would close it again
        if new == 0 and armed[0] and -beyond <= z < -p.entry_z:
            new, tag = 1, "z<-entry"
        elif new == 0 and self._short and armed[1] and p.entry_z < z <= beyond:
            new, tag = -1, "z>entry"
        if new == state:
            return
        self._state[symbol] = new
        ctx.target_percent(symbol, new * self._size, tag=tag)
