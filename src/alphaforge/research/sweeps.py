"""``sweep``: many parameter sets through the vector kernel, one row of metrics per set.

>>> table = sweep(close, open_, {"fast": range(5, 50, 5), "slow": range(20, 220, 20)}, "sma_cross")
>>> table.sort_values("sharpe", ascending=False).head()

Each set runs the same kernel as ``run_vector`` (same fills, same costs) but records only what
the metrics need: no positions, no frames. For the built-in signals (``"sma_cross"``,
``"rsi_reversion"``) each indicator is computed once per distinct window and shared by every
set that uses it; a callable ``signal_fn(close, **params)`` returns weights like any
``*_weights`` helper. Sets whose ``fast >= slow`` (or ``lower >= upper``) are skipped, as the
strategies refuse them.

Metrics per set: ``total_return`` (last equity / first - 1), ``sharpe`` (mean / sample standard
deviation of bar returns x sqrt(periods_per_year), as ``alphaforge.analytics``), ``max_drawdown``
(deepest fall from a running peak, <= 0), ``trades`` (positions opened from flat or flipped),
``fills`` and ``final_equity``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from alphaforge.domain.errors import InvalidValueError
from alphaforge.indicators import rsi, sma
from alphaforge.research import _layout as lay
from alphaforge.research._grid import kernel, step_range
from alphaforge.research._inputs import PanelLike, StepLike, TiersLike, panel_of, positive
from alphaforge.research._kernel import simulate
from alphaforge.research._setup import Setup, records
from alphaforge.research.signals import cross_weights, reversion_weights
from alphaforge.research.vector import FillRule

__all__ = ["METRICS", "param_sets", "sweep"]

FloatArray: TypeAlias = npt.NDArray[np.float64]
SignalFn: TypeAlias = Callable[..., Any]
Grid: TypeAlias = Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]]

#: The metric columns of a sweep's table.
METRICS = ("total_return", "sharpe", "max_drawdown", "trades", "fills", "final_equity")


def param_sets(grid: Grid) -> list[dict[str, Any]]:
    """Expand ``{"fast": [5, 10], "slow": [20, 50]}`` to every combination (in order), or
    return a list of parameter dicts as it is."""
    if isinstance(grid, Mapping):
        names = list(grid)
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*grid.values())]
    return [dict(p) for p in grid]


@kernel
def _metrics(equity: FloatArray, periods_per_year: float) -> tuple[float, float, float]:
    n = equity.shape[0]
    total = equity[n - 1] / equity[0] - 1.0
    mean = 0.0
    for t in range(1, n):
        mean += equity[t] / equity[t - 1] - 1.0
    mean /= max(n - 1, 1)
    var = 0.0
    for t in range(1, n):
        d = equity[t] / equity[t - 1] - 1.0 - mean
        var += d * d
    sharpe = np.nan
    if n > 2 and var > 0.0:
        sharpe = mean / math.sqrt(var / (n - 2)) * math.sqrt(periods_per_year)
    peak = equity[0]
    worst = 0.0
    for t in range(n):
        peak = max(peak, equity[t])
        worst = min(worst, equity[t] / peak - 1.0)
    return total, sharpe, worst


class _Indicators:
    """Each indicator of each column computed once, on first use."""

    def __init__(self, close: FloatArray) -> None:
        self._columns = [np.ascontiguousarray(close[:, j]) for j in range(close.shape[1])]
        self._cache: dict[tuple[str, int], list[FloatArray]] = {}

    def get(self, name: str, period: int) -> list[FloatArray]:
        key = (name, int(period))
        found = self._cache.get(key)
        if found is None:
            fn = sma if name == "sma" else rsi
            found = self._cache[key] = [fn(x, int(period)) for x in self._columns]
        return found


def _builtin(name: str, close: FloatArray) -> Callable[[Mapping[str, Any]], FloatArray | None]:
    """Weights of a built-in signal per parameter set (None: a set the strategy refuses)."""
    cache = _Indicators(close)
    n_bars, n_assets = close.shape
    buffer = np.empty((n_assets, n_bars))

    def sma_cross(p: Mapping[str, Any]) -> FloatArray | None:
        fast, slow = int(p["fast"]), int(p["slow"])
        if fast >= slow:
            return None
        size = float(p.get("weight", 1.0)) / n_assets
        down = -size if p.get("mode", "long_only") == "long_short" else 0.0
        f, s = cache.get("sma", fast), cache.get("sma", slow)
        for j in range(n_assets):
            cross_weights(f[j], s[j], 0, size, down, buffer[j])
        return np.ascontiguousarray(buffer.T)

    def rsi_reversion(p: Mapping[str, Any]) -> FloatArray | None:
        lower, upper = float(p.get("lower", 30.0)), float(p.get("upper", 70.0))
        if not 0 < lower < upper < 100:
            return None
        size = float(p.get("weight", 1.0)) / n_assets
        r = cache.get("rsi", int(p.get("period", 14)))
        for j in range(n_assets):
            reversion_weights(r[j], 0, lower, upper, size, buffer[j])
        return np.ascontiguousarray(buffer.T)

    table = {"sma_cross": sma_cross, "rsi_reversion": rsi_reversion}
    if name not in table:
        raise InvalidValueError(
            f"signal_fn must be a callable or one of {', '.join(table)}, got {name!r}"
        )
    return table[name]


def sweep(
    close: PanelLike,
    open: PanelLike | None = None,  # the field's name, as in every OHLC frame
    param_grid: Grid = (),
    signal_fn: str | SignalFn = "sma_cross",
    *,
    cash: StepLike = 100_000,
    commission_bps: float = 1.0,
    slippage_bps: float = 1.0,
    lot_size: StepLike | Sequence[StepLike] = 1,
    tick_size: StepLike | Sequence[StepLike] = "0.01",
    multiplier: StepLike | Sequence[StepLike] = 1,
    tick_tiers: TiersLike | Sequence[TiersLike] | None = None,
    fill: FillRule = "next_open",
    decisions: Literal["portfolio", "per_asset"] = "per_asset",
    allow_short: bool = False,
    max_position_weight: float = 1.0,
    max_gross_leverage: float = 1.0,
    periods_per_year: float = 252.0,
) -> pd.DataFrame:
    """Run every set of ``param_grid`` (module docstring); return one row per set that ran:
    its parameters, then ``METRICS``. Costs, lots, ticks, limits and ``decisions`` as in
    ``run_vector``; ``decisions`` defaults to ``"per_asset"``, how the built-in strategies trade
    several symbols (with one asset both styles agree)."""
    if decisions not in ("portfolio", "per_asset"):
        raise InvalidValueError(f"decisions must be 'portfolio' or 'per_asset', got {decisions!r}")
    panel = panel_of(close, open, None, None)
    sets = param_sets(param_grid)
    if not sets:
        raise InvalidValueError("param_grid holds no parameter set")
    if isinstance(signal_fn, str):
        if np.isnan(panel.close).any():
            raise InvalidValueError(
                f"the built-in {signal_fn!r} sweep needs bars on every row; pass a callable "
                "(e.g. lambda c, **p: sma_cross_weights(c, **p)) for data with gaps"
            )
        weights_of = _builtin(signal_fn, panel.close)
    else:
        fn = signal_fn

        def weights_of(p: Mapping[str, Any]) -> FloatArray | None:
            return np.ascontiguousarray(np.asarray(fn(panel.close, **p), dtype=np.float64))

    setup = Setup.build(
        panel.close.shape[1],
        lot_size=lot_size,
        tick_size=tick_size,
        multiplier=multiplier,
        cash=cash,
        commission_bps=commission_bps,
        slippage_bps=slippage_bps,
        max_position_weight=max_position_weight,
        max_gross_leverage=max_gross_leverage,
        max_drawdown_halt=None,
        trading_state="ACTIVE",
        fill=fill,
        per_asset=decisions == "per_asset",
        allow_short=allow_short,
        symbol_order=None,
        tick_tiers=tick_tiers,
    )
    rec = records(panel.close.shape, panel.close.size)
    state = setup.state()
    acct = state.acct
    ppy = positive(periods_per_year, "periods_per_year")
    rows = []
    for p in sets:
        w = weights_of(p)
        if w is None:
            continue
        if w.shape != panel.close.shape:
            raise InvalidValueError(
                f"signal_fn returned shape {w.shape}, close {panel.close.shape}"
            )
        setup.reset(state)
        with step_range():
            simulate(panel.open, panel.close, w, state, rec)
        total, sharpe, drawdown = _metrics(rec.equity, ppy)
        rows.append(
            {
                **p,
                "total_return": total,
                "sharpe": sharpe,
                "max_drawdown": drawdown,
                "trades": int(acct[lay.ACCT_ENTRIES]),
                "fills": int(acct[lay.ACCT_FILLS]),
                "final_equity": float(rec.equity[-1]),
            }
        )
    return pd.DataFrame(rows)
