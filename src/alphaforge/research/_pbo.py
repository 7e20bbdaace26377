"""PBO by CSCV (private; every name is re-exported by ``alphaforge.research.overfitting``).

The public half of the probability of backtest overfitting (Bailey, Borwein, López de Prado &
Zhu 2015): per-block moments of the trials (``BlockMoments``, ``block_moments``,
``BlockMomentsAccumulator``), and ``pbo_from_moments`` / ``pbo`` with their ``PBOResult`` and
``Degradation``. The Numba kernels they call are in ``_cscv``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from alphaforge.domain.errors import InvalidValueError
from alphaforge.research._cscv import (
    _ZERO_VARIANCE,
    FloatArray,
    IntArray,
    _best_in_sample,
    _oos_rank,
    _Plan,
    _sums_by_column,
    _sums_by_row,
)

Metric: TypeAlias = Literal["sharpe", "mean"]

#: The most CSCV blocks: C(24, 12) = 2,704,156 combinations, each ranking every trial.
MAX_SPLITS = 24
_METRICS = {"sharpe": 0, "mean": 1}

# ------------------------------------------------------------------ block moments


def _check_splits(n_splits: int, n_periods: int | None = None) -> int:
    if isinstance(n_splits, bool) or not isinstance(n_splits, int | np.integer):
        raise InvalidValueError(f"n_splits must be an integer, got {n_splits!r}")
    if n_splits < 2 or n_splits % 2 or n_splits > MAX_SPLITS:
        raise InvalidValueError(
            f"n_splits must be even, from 2 to {MAX_SPLITS} (C(S, S/2) combinations), "
            f"got {n_splits}"
        )
    if n_periods is not None and n_splits > n_periods:
        raise InvalidValueError(
            f"n_splits ({n_splits}) must not exceed the number of periods ({n_periods})"
        )
    return int(n_splits)


def _as_matrix(values: object) -> npt.NDArray[np.floating[Any]]:
    array = np.asarray(values)
    if array.dtype not in (np.float32, np.float64):
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidValueError(f"returns must be numbers, got dtype {array.dtype}") from exc
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2 or 0 in array.shape:
        raise InvalidValueError(
            f"returns must be one series or (periods x trials), got shape {array.shape}"
        )
    return array


@dataclass(frozen=True, eq=False)
class BlockMoments:
    """Per trial and CSCV block: the number of returns, their sum and their sum of squares.

    Arrays are (n_trials x n_splits), read-only; block ``b`` holds periods ``b·T // S`` to
    ``(b+1)·T // S`` of the ``n_periods`` (T) every trial spans. Three floats per trial and
    block are all CSCV needs for the Sharpe and mean metrics: 10,000 trials in 16 blocks take
    4 MB however long the backtests. NaN returns (a trial not trading yet) are not counted."""

    counts: FloatArray
    sums: FloatArray
    squares: FloatArray
    n_periods: int

    def __post_init__(self) -> None:
        arrays = [np.array(a, dtype=np.float64) for a in (self.counts, self.sums, self.squares)]
        if arrays[0].ndim != 2 or any(a.shape != arrays[0].shape for a in arrays):
            shapes = [a.shape for a in arrays]
            raise InvalidValueError(f"counts, sums and squares must share one 2-D shape: {shapes}")
        _check_splits(arrays[0].shape[1], int(self.n_periods))
        for name, array in zip(("counts", "sums", "squares"), arrays, strict=True):
            array.setflags(write=False)
            object.__setattr__(self, name, array)
        object.__setattr__(self, "n_periods", int(self.n_periods))

    @property
    def n_trials(self) -> int:
        """The number of trials (rows)."""
        return int(self.counts.shape[0])

    @property
    def n_splits(self) -> int:
        """The number of CSCV blocks (columns)."""
        return int(self.counts.shape[1])

    @classmethod
    def stack(cls, parts: Iterable[BlockMoments]) -> BlockMoments:
        """Join the moments of several groups of trials (same periods and blocks), in order."""
        items = list(parts)
        if not items:
            raise InvalidValueError("BlockMoments.stack needs at least one part")
        first = items[0]
        for part in items[1:]:
            if (part.n_periods, part.n_splits) != (first.n_periods, first.n_splits):
                raise InvalidValueError(
                    f"cannot stack moments of {part.n_periods} periods in {part.n_splits} "
                    f"blocks onto {first.n_periods} periods in {first.n_splits} blocks"
                )
        return cls(
            np.concatenate([p.counts for p in items]),
            np.concatenate([p.sums for p in items]),
            np.concatenate([p.squares for p in items]),
            first.n_periods,
        )


def block_moments(returns: object, n_splits: int = 16) -> BlockMoments:
    """Block moments of one return series (one trial) or of a (periods x trials) matrix
    (float32 or float64, array or DataFrame; NaN = no return then). Each column's values are
    added in time order whatever the memory layout, so the moments of trials added one by one
    equal the matrix's bit for bit."""
    x = _as_matrix(returns)
    n_periods = int(x.shape[0])
    splits = _check_splits(n_splits, n_periods)
    edges = (np.arange(splits + 1, dtype=np.int64) * n_periods) // splits
    counts, sums, squares = (np.zeros((splits, x.shape[1])) for _ in range(3))
    if x.flags.f_contiguous and not x.flags.c_contiguous:
        infinite = _sums_by_column(x.T, edges, counts, sums, squares)
    else:
        infinite = _sums_by_row(np.ascontiguousarray(x), edges, counts, sums, squares)
    if infinite:
        raise InvalidValueError(f"returns hold {infinite} infinite values")
    return BlockMoments(counts.T, sums.T, squares.T, n_periods)


class BlockMomentsAccumulator:
    """Collect block moments trial by trial, inside an optimizer's loop, keeping no series.

    >>> acc = BlockMomentsAccumulator(n_splits=16)
    >>> for params in grid:  # doctest: +SKIP
    ...     acc.add(returns_of(params))
    >>> result = pbo_from_moments(acc.moments())  # doctest: +SKIP
    """

    def __init__(self, n_splits: int = 16) -> None:
        self._n_splits = _check_splits(n_splits)
        self._parts: list[BlockMoments] = []
        self._trials = 0

    @property
    def n_trials(self) -> int:
        """Trials added so far."""
        return self._trials

    def add(self, trial_returns: object) -> None:
        """Add one trial's return series (or a periods x trials matrix of several trials)."""
        part = block_moments(trial_returns, self._n_splits)
        if self._parts and part.n_periods != self._parts[0].n_periods:
            raise InvalidValueError(
                f"every trial must span the same periods: got {part.n_periods} returns, "
                f"earlier trials had {self._parts[0].n_periods}"
            )
        self._parts.append(part)
        self._trials += part.n_trials
        if len(self._parts) >= 1024:  # keep the list short
            self._parts = [BlockMoments.stack(self._parts)]

    def moments(self) -> BlockMoments:
        """The moments of every trial added, in the order they were added."""
        return BlockMoments.stack(self._parts)


# ------------------------------------------------------------------ PBO


@dataclass(frozen=True)
class Degradation:
    """Least-squares line of the selected trial's out-of-sample metric on its in-sample metric
    across combinations, ``oos = intercept + slope · is``: the paper's performance degradation
    (a negative slope: the better a trial looked in sample, the worse it did after)."""

    slope: float
    intercept: float

    @classmethod
    def fit(cls, x: FloatArray, y: FloatArray) -> Degradation:
        """The line through the finite pairs; NaN with fewer than 2 or no spread in ``x``."""
        keep = np.isfinite(x) & np.isfinite(y)
        x, y = x[keep], y[keep]
        dx = x - x.mean() if x.shape[0] >= 2 else x
        sxx = float(dx @ dx)
        if x.shape[0] < 2 or sxx <= 0.0:
            return cls(math.nan, math.nan)
        slope = float(dx @ (y - y.mean())) / sxx
        return cls(slope, float(y.mean()) - slope * float(x.mean()))


@dataclass(frozen=True, eq=False)
class PBOResult:
    """CSCV's outcome. Per combination ``k`` (lexicographic order of the in-sample blocks,
    ``itertools.combinations(range(n_splits), n_splits // 2)``): ``selected[k]`` the in-sample
    best trial, ``is_performance[k]`` and ``oos_performance[k]`` its metric in and out of
    sample (NaN where undefined), ``logits[k]`` = ln(ω / (1 - ω)) with ω its out-of-sample rank
    / (n_trials + 1)."""

    pbo: float  # share of combinations with logit <= 0: the IS best at or below the OOS median
    logits: FloatArray
    n_combinations: int
    n_splits: int
    n_trials: int
    prob_oos_loss: float  # share of combinations where the IS best's OOS metric is below 0
    degradation: Degradation
    metric: str
    selected: IntArray
    is_performance: FloatArray
    oos_performance: FloatArray

    def summary(self) -> dict[str, float | int | str]:
        """The headline figures, for tables and JSON."""
        return {
            "pbo": self.pbo,
            "prob_oos_loss": self.prob_oos_loss,
            "degradation_slope": self.degradation.slope,
            "degradation_intercept": self.degradation.intercept,
            "logit_median": float(np.median(self.logits)),
            "n_trials": self.n_trials,
            "n_splits": self.n_splits,
            "n_combinations": self.n_combinations,
            "metric": self.metric,
        }


def _metric(moments: FloatArray, metric: str) -> FloatArray:
    """The metric of (k, 3) rows of count, sum, sum of squares; NaN where undefined (as in
    ``_key``)."""
    c, s, q = moments[:, 0], moments[:, 1], moments[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s / c
        if metric == "mean":
            return np.where(c >= 1, mean, np.nan)
        spread = c * q - s * s
        ok = (c >= 2) & (spread > _ZERO_VARIANCE * q * (c - 1))
        return np.where(ok, mean / np.sqrt(spread / (c * (c - 1))), np.nan)


def pbo_from_moments(moments: BlockMoments, metric: Metric = "sharpe") -> PBOResult:
    """Probability of backtest overfitting by CSCV from block moments (``block_moments``,
    ``BlockMomentsAccumulator``): for each way of putting half the blocks in sample, take the
    trial with the best in-sample ``metric`` ("sharpe", per period with ddof=1, or "mean") and
    rank it among all trials out of sample. A trial whose metric is undefined in a half (fewer
    than 2 returns there, no variance) ranks below every other there."""
    if metric not in _METRICS:
        raise InvalidValueError(f"metric must be one of {sorted(_METRICS)}, got {metric!r}")
    if not isinstance(moments, BlockMoments):
        raise InvalidValueError(f"moments must be BlockMoments, got {type(moments).__name__}")
    if moments.n_trials < 2:
        raise InvalidValueError(f"PBO needs at least 2 trials, got {moments.n_trials}")
    plan = _Plan.of(moments.n_splits)
    n_comb = plan.combo_a.shape[0]
    data = np.ascontiguousarray(np.stack([moments.counts, moments.sums, moments.squares], 1))
    best = np.zeros(n_comb, dtype=np.int64)
    best_is, best_oos, rank = np.empty(n_comb), np.empty(n_comb), np.empty(n_comb)
    _best_in_sample(data, *plan[:4], _METRICS[metric], best, best_is)
    _oos_rank(data, *plan[:6], _METRICS[metric], best, best_oos, rank)
    selected = best[plan.lexical]
    omega = rank[plan.lexical] / (moments.n_trials + 1)
    logits = np.log(omega / (1.0 - omega))
    inside = np.zeros((n_comb, moments.n_splits), dtype=bool)
    for k, chosen in enumerate(
        itertools.combinations(range(moments.n_splits), moments.n_splits // 2)
    ):
        inside[k, chosen] = True
    is_perf = _metric(np.einsum("kms,ks->km", data[selected], inside), metric)
    oos_perf = _metric(np.einsum("kms,ks->km", data[selected], ~inside), metric)
    return PBOResult(
        pbo=float(np.mean(logits <= 0.0)),
        logits=logits,
        n_combinations=int(n_comb),
        n_splits=moments.n_splits,
        n_trials=moments.n_trials,
        prob_oos_loss=float(np.mean(oos_perf < 0.0)),
        degradation=Degradation.fit(is_perf, oos_perf),
        metric=metric,
        selected=selected,
        is_performance=is_perf,
        oos_performance=oos_perf,
    )


def pbo(returns_matrix: object, n_splits: int = 16, metric: Metric = "sharpe") -> PBOResult:
    """Probability of backtest overfitting of the trials in ``returns_matrix`` (periods x
    trials, array or DataFrame, float32 or float64; NaN = no return that period) by CSCV over
    ``n_splits`` blocks: ``pbo_from_moments(block_moments(returns_matrix, n_splits), metric)``."""
    return pbo_from_moments(block_moments(returns_matrix, n_splits), metric)
