"""Overfitting statistics: is the best backtest of a search skill, or the luck of many tries?

Pure math (layer L8): NumPy, SciPy and Numba kernels; pandas Series and frames are accepted as
inputs. Every Sharpe ratio here is **per period** (mean / sample standard deviation of the
returns as given, not annualized) and every kurtosis is **non-excess** (normal = 3), as in the
papers. ``docs/overfitting.md`` works each figure through and reproduces the papers' examples.

* ``probabilistic_sharpe_ratio`` (PSR; Bailey & López de Prado 2012, "The Sharpe Ratio Efficient
  Frontier"): the probability that the true Sharpe ratio exceeds ``sr_benchmark``, given the
  track record's length, skewness and kurtosis; ``min_track_record_length`` (MinTRL): the
  periods needed for PSR to reach ``prob``.
* ``expected_max_sharpe`` (the False Strategy Theorem) and ``deflated_sharpe_ratio`` (DSR;
  Bailey & López de Prado 2014, "The Deflated Sharpe Ratio"): PSR against the best Sharpe ratio
  that as many zero-skill trials would show.
* ``pbo`` / ``pbo_from_moments`` (Bailey, Borwein, López de Prado & Zhu 2015, "The Probability
  of Backtest Overfitting"): combinatorially symmetric cross-validation (CSCV) of a periods x
  trials matrix, or of per-block moments collected trial by trial (``BlockMoments``,
  ``BlockMomentsAccumulator``) when a search is too large to keep every return series.
* ``overfitting_report``: all of it for one selected strategy, with a plain-language verdict.

Undefined figures are NaN, never an exception (the Sharpe ratio of returns without variance, a
DSR from fewer than two trial Sharpe ratios); bad arguments raise ``InvalidValueError``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, TypeAlias, TypeVar, cast

import numpy as np
import numpy.typing as npt
from numba import njit
from scipy.special import ndtr, ndtri

from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "EULER_GAMMA",
    "MAX_SPLITS",
    "BlockMoments",
    "BlockMomentsAccumulator",
    "Degradation",
    "OverfittingReport",
    "PBOResult",
    "block_moments",
    "deflated_sharpe_ratio",
    "dsr_of",
    "expected_max_sharpe",
    "min_track_record_length",
    "overfitting_report",
    "pbo",
    "pbo_from_moments",
    "probabilistic_sharpe_ratio",
    "psr_of",
    "sharpe_ratio",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
Metric: TypeAlias = Literal["sharpe", "mean"]
F = TypeVar("F", bound=Callable[..., Any])

#: The Euler-Mascheroni constant of the False Strategy Theorem.
EULER_GAMMA = 0.5772156649015329
#: The most CSCV blocks: C(24, 12) = 2,704,156 combinations, each ranking every trial.
MAX_SPLITS = 24
#: A variance at or below this share of the mean square is rounding noise: the Sharpe ratio of
#: such a series (a strategy that never traded, a constant return) is undefined.
_ZERO_VARIANCE = 1e-12
_METRICS = {"sharpe": 0, "mean": 1}
_CONFIDENCE = 0.95
#: Numba options: compiled once, cached on disk; NumPy error model (no division checks, so the
#: CSCV loops compile to SIMD).
_KERNEL: dict[str, Any] = {"cache": True, "nogil": True, "error_model": "numpy"}


def _jit(fn: F) -> F:
    return cast("F", njit(**_KERNEL)(fn))


def _inline(fn: F) -> F:
    return cast("F", njit(inline="always", **_KERNEL)(fn))


# ------------------------------------------------------------------ checks


def _finite(value: float, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{name} must be a number, got {value!r}") from exc
    if not math.isfinite(number):
        raise InvalidValueError(f"{name} must be a finite number, got {value!r}")
    return number


def _sharpe_arg(sr: float) -> float:
    value = float(sr)
    if math.isinf(value):
        raise InvalidValueError(f"sr must be finite (or NaN: undefined), got {sr!r}")
    return value


def _check_shape(skew: float, kurtosis: float) -> None:
    """Every distribution has kurtosis >= 1 + skew² (Pearson): below that, an excess kurtosis
    was passed where the papers' non-excess one (normal = 3) is meant."""
    g3, g4 = _finite(skew, "skew"), _finite(kurtosis, "kurtosis")
    if g4 < 1.0 + g3 * g3 - 1e-9:
        raise InvalidValueError(
            f"kurtosis must be non-excess (normal = 3) and at least 1 + skew² = {1 + g3 * g3:g}, "
            f"got {kurtosis!r} (an excess kurtosis? add 3)"
        )


def _returns(values: object, name: str = "returns") -> FloatArray:
    """One return series as float64; NaN and infinities are refused, not dropped silently."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{name} must be numbers, got {type(values).__name__}") from exc
    if array.ndim != 1 or array.shape[0] < 2:
        raise InvalidValueError(f"{name} must be one series of 2 or more, got shape {array.shape}")
    bad = ~np.isfinite(array)
    if bad.any():
        raise InvalidValueError(
            f"{name} hold {int(bad.sum())} NaN or infinite values (the first at position "
            f"{int(np.argmax(bad))}); drop them first (e.g. returns.dropna())"
        )
    return array


def _moments(x: FloatArray) -> tuple[float, float, float]:
    """Per-period Sharpe ratio (ddof=1), skewness and non-excess kurtosis (population moments,
    as the papers' code computes them); all NaN for a series without variance."""
    d = x - x.mean()
    m2 = float(np.mean(d * d))
    if m2 <= _ZERO_VARIANCE * float(np.mean(x * x)):
        return math.nan, math.nan, math.nan
    n = x.shape[0]
    sr = float(x.mean()) / math.sqrt(m2 * n / (n - 1))
    return sr, float(np.mean(d**3)) / m2**1.5, float(np.mean(d**4)) / (m2 * m2)


# ------------------------------------------------------------------ PSR, DSR, MinTRL


def sharpe_ratio(returns: object) -> float:
    """Mean / sample standard deviation (ddof=1) of ``returns``, per period (not annualized);
    NaN when the returns have no variance."""
    return _moments(_returns(returns))[0]


def _spread(sr: float, skew: float, kurtosis: float) -> float:
    """``(n - 1)`` x the variance of an estimated Sharpe ratio (the papers' formula)."""
    return 1.0 - skew * sr + (kurtosis - 1.0) / 4.0 * sr * sr


def probabilistic_sharpe_ratio(
    sr: float, n: float, skew: float = 0.0, kurtosis: float = 3.0, sr_benchmark: float = 0.0
) -> float:
    """Return PSR: the probability that the true per-period Sharpe ratio exceeds
    ``sr_benchmark``, given ``sr`` measured over ``n`` returns with that skewness and
    (non-excess) kurtosis: ``Z[(SR - SR*) sqrt(n - 1) / sqrt(1 - skew SR + (kurt - 1)/4 SR²)]``.
    NaN when ``sr`` is NaN."""
    periods = _finite(n, "n")
    if periods < 2:
        raise InvalidValueError(f"n (the number of returns) must be at least 2, got {n!r}")
    bench = _finite(sr_benchmark, "sr_benchmark")
    value = _sharpe_arg(sr)
    if math.isnan(value):
        return math.nan
    _check_shape(skew, kurtosis)
    spread = _spread(value, skew, kurtosis)
    if spread <= 0.0:  # a two-point distribution, at its one possible Sharpe ratio
        return 1.0 if value > bench else 0.0 if value < bench else math.nan
    return float(ndtr((value - bench) * math.sqrt(periods - 1.0) / math.sqrt(spread)))


def psr_of(returns: object, sr_benchmark: float = 0.0) -> float:
    """PSR of a return series: its own Sharpe ratio, length, skewness and kurtosis."""
    x = _returns(returns)
    sr, skew, kurt = _moments(x)
    if math.isnan(sr):
        return math.nan
    return probabilistic_sharpe_ratio(sr, x.shape[0], skew, kurt, sr_benchmark)


def expected_max_sharpe(n_trials: float, var_sharpe: float, mean_sharpe: float = 0.0) -> float:
    """Expected maximum Sharpe ratio of ``n_trials`` independent trials whose Sharpe ratios
    have mean ``mean_sharpe`` and variance ``var_sharpe`` (the False Strategy Theorem):
    ``mean + sqrt(var) ((1 - γ) Z⁻¹[1 - 1/N] + γ Z⁻¹[1 - 1/(N e)])``, γ Euler-Mascheroni. One
    trial: ``mean`` (nothing was selected); never below ``mean``, where the approximation dips
    for fewer than 1.28 trials. ``n_trials`` may be an effective, fractional count."""
    trials = _finite(n_trials, "n_trials")
    var = _finite(var_sharpe, "var_sharpe")
    mean = _finite(mean_sharpe, "mean_sharpe")
    if trials < 1:
        raise InvalidValueError(f"n_trials must be at least 1, got {n_trials!r}")
    if var < 0:
        raise InvalidValueError(f"var_sharpe must be >= 0, got {var_sharpe!r}")
    if trials == 1:
        return mean
    z = (1.0 - EULER_GAMMA) * ndtri(1.0 - 1.0 / trials)
    z += EULER_GAMMA * ndtri(1.0 - 1.0 / (trials * math.e))
    return mean + math.sqrt(var) * max(float(z), 0.0)


def deflated_sharpe_ratio(
    sr: float,
    n_trials: float,
    var_sharpe: float,
    n: float,
    skew: float = 0.0,
    kurtosis: float = 3.0,
) -> float:
    """Return DSR: PSR of the selected ``sr`` (over ``n`` returns) against the Sharpe ratio
    the best of ``n_trials`` zero-skill trials would show, ``var_sharpe`` being the variance
    of the Sharpe ratios of the trials actually run (all per period)."""
    benchmark = expected_max_sharpe(n_trials, var_sharpe)
    return probabilistic_sharpe_ratio(sr, n, skew, kurtosis, benchmark)


def _trials(trial_sharpes: object) -> tuple[int, FloatArray]:
    """The number of trials run, and their defined (non-NaN) Sharpe ratios."""
    try:
        values = np.asarray(trial_sharpes, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise InvalidValueError("trial_sharpes must be numbers") from exc
    if np.isinf(values).any():
        raise InvalidValueError("trial_sharpes hold infinite values; use NaN for undefined ones")
    return int(values.shape[0]), values[~np.isnan(values)]


def _variance(defined: FloatArray) -> float:
    return float(np.var(defined, ddof=1)) if defined.shape[0] >= 2 else math.nan


def dsr_of(returns: object, trial_sharpes: object) -> float:
    """DSR of the selected strategy's ``returns`` given the per-period Sharpe ratios of every
    trial run (the selected one included; NaN marks a trial whose Sharpe ratio is undefined,
    still counted as a trial). The variance is the sample variance (ddof=1) of the defined
    ones; NaN with fewer than two."""
    x = _returns(returns)
    n_trials, defined = _trials(trial_sharpes)
    var = _variance(defined)
    sr, skew, kurt = _moments(x)
    if math.isnan(var) or math.isnan(sr):
        return math.nan
    return deflated_sharpe_ratio(sr, n_trials, var, x.shape[0], skew, kurt)


def min_track_record_length(
    sr: float,
    skew: float = 0.0,
    kurtosis: float = 3.0,
    sr_benchmark: float = 0.0,
    prob: float = _CONFIDENCE,
) -> float:
    """Return MinTRL: the number of returns after which a per-period Sharpe ratio ``sr`` with
    these moments reaches PSR = ``prob`` against ``sr_benchmark``:
    ``1 + (1 - skew SR + (kurt - 1)/4 SR²) (Z⁻¹[prob] / (SR - SR*))²``. Infinite when
    ``sr <= sr_benchmark`` (no length suffices); NaN when ``sr`` is NaN."""
    p = _finite(prob, "prob")
    if not 0.0 < p < 1.0:
        raise InvalidValueError(f"prob must be between 0 and 1 (exclusive), got {prob!r}")
    bench = _finite(sr_benchmark, "sr_benchmark")
    value = _sharpe_arg(sr)
    if math.isnan(value):
        return math.nan
    _check_shape(skew, kurtosis)
    if value <= bench:
        return math.inf
    return 1.0 + _spread(value, skew, kurtosis) * (float(ndtri(p)) / (value - bench)) ** 2


# ------------------------------------------------------------------ block moments


@_jit
def _sums_by_row(
    x: npt.NDArray[np.floating[Any]],
    edges: IntArray,
    counts: FloatArray,
    sums: FloatArray,
    squares: FloatArray,
) -> int:  # pragma: no cover
    """Per block ``b`` and column ``j`` of a C-ordered (T x N) ``x``: the count, sum and sum of
    squares of the non-NaN values into ``[b, j]``, rows added in time order. Returns the number
    of infinities met."""
    infinite = 0
    for b in range(edges.shape[0] - 1):
        for t in range(edges[b], edges[b + 1]):
            for j in range(x.shape[1]):
                v = np.float64(x[t, j])
                if math.isnan(v):
                    continue
                if math.isinf(v):
                    infinite += 1
                    continue
                counts[b, j] += 1.0
                sums[b, j] += v
                squares[b, j] += v * v
    return infinite


@_jit
def _sums_by_column(
    xt: npt.NDArray[np.floating[Any]],
    edges: IntArray,
    counts: FloatArray,
    sums: FloatArray,
    squares: FloatArray,
) -> int:  # pragma: no cover
    """``_sums_by_row`` of the transposed (N x T) C-ordered ``xt``: same additions, same order."""
    infinite = 0
    for j in range(xt.shape[0]):
        for b in range(edges.shape[0] - 1):
            for t in range(edges[b], edges[b + 1]):
                v = np.float64(xt[j, t])
                if math.isnan(v):
                    continue
                if math.isinf(v):
                    infinite += 1
                    continue
                counts[b, j] += 1.0
                sums[b, j] += v
                squares[b, j] += v * v
    return infinite


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


# ------------------------------------------------------------------ CSCV kernels
#
# A combination puts half of the S blocks in sample: mask ``a`` over the first S/2 blocks and
# mask ``b`` over the second, popcount(a) + popcount(b) = S/2; out of sample is the complement.
# Per trial, the moments of every subset of either half (2 x 2^(S/2) sums) serve all C(S, S/2)
# combinations with one addition each. Combinations are visited by ``a``, then by ``b`` among
# the masks of the matching size, packed contiguously (``_Plan``): the inner loops read memory
# in order and compile to SIMD. Trials are the outer loop, so memory stays O(C + 2^(S/2)).


@_inline
def _key(count: float, total: float, square: float, code: int) -> float:  # pragma: no cover
    """A number that orders trials as their metric does, -inf where the metric is undefined
    (so that it ranks below every defined one). Code 0: the Sharpe ratio squared with its
    sign, ``s|s|(c - 1) / (c (c q - s²))`` from count ``c``, sum ``s`` and sum of squares
    ``q`` (undefined for fewer than 2 returns, or a variance at or below ``_ZERO_VARIANCE`` of
    the mean square); code 1: the mean. One division, no square root, no branch: the loops
    around it compile to SIMD."""
    if code == 1:
        return total / count if count >= 1.0 else -np.inf
    spread = count * square - total * total  # c² x the population variance
    ok = (count >= 2.0) & (spread > _ZERO_VARIANCE * square * (count - 1.0))
    return total * abs(total) * (count - 1.0) / (count * spread) if ok else -np.inf


@_jit
def _keep_best(
    c: float,
    s: float,
    q: float,
    hc: FloatArray,
    hs: FloatArray,
    hq: FloatArray,
    code: int,
    trial: int,
    best: IntArray,
    value: FloatArray,
) -> None:  # pragma: no cover
    """In-sample step: first-half moments ``c, s, q`` plus each second-half ``hc[j], hs[j],
    hq[j]``; where ``trial``'s key beats ``value[j]`` (strictly: the first trial wins ties),
    it becomes ``best[j]``."""
    for j in range(hc.shape[0]):
        m = _key(c + hc[j], s + hs[j], q + hq[j], code)
        better = m > value[j]
        value[j] = m if better else value[j]
        best[j] = trial if better else best[j]


@_jit
def _count_below(
    c: float,
    s: float,
    q: float,
    hc: FloatArray,
    hs: FloatArray,
    hq: FloatArray,
    code: int,
    target: FloatArray,
    less: FloatArray,
    same: FloatArray,
) -> None:  # pragma: no cover
    """Out-of-sample step: count where this trial's key is below / equal to ``target[j]``."""
    for j in range(hc.shape[0]):
        m = _key(c + hc[j], s + hs[j], q + hq[j], code)
        less[j] += 1.0 if m < target[j] else 0.0
        same[j] += 1.0 if m == target[j] else 0.0


@_jit
def _subsets(
    row: FloatArray, low: IntArray, packed: IntArray, sub: FloatArray, hi: FloatArray
) -> None:  # pragma: no cover
    """One trial's subset moments (``row`` is (3, S): counts, sums, squares per block):
    ``sub[0..2, a]`` of first-half mask ``a``, ``sub[3..5, b]`` of second-half mask ``b``; and
    ``hi[0..2, p]`` those of ``b = packed[p]``, ``hi[3..5, p]`` of its complement."""
    half = row.shape[1] // 2
    full = low.shape[0] - 1
    sub[:, 0] = 0.0
    for mask in range(1, low.shape[0]):
        b, rest = low[mask], mask & (mask - 1)
        for k in range(3):
            sub[k, mask] = sub[k, rest] + row[k, b]
            sub[3 + k, mask] = sub[3 + k, rest] + row[k, half + b]
    for p in range(packed.shape[0]):
        for k in range(3):
            hi[k, p] = sub[3 + k, packed[p]]
            hi[3 + k, p] = sub[3 + k, full ^ packed[p]]


@_jit
def _best_in_sample(
    data: FloatArray,
    low: IntArray,
    packed: IntArray,
    start: IntArray,
    group: IntArray,
    code: int,
    best: IntArray,
    best_is: FloatArray,
) -> None:  # pragma: no cover
    """Per combination (visiting order): the trial with the best in-sample metric (the first
    on ties) and its ranking key (``_key``). ``data`` is (trials, 3, S)."""
    size = low.shape[0]
    sub, hi = np.empty((6, size)), np.empty((6, size))
    best[:] = 0
    best_is[:] = -np.inf
    for i in range(data.shape[0]):
        _subsets(data[i], low, packed, sub, hi)
        k = 0
        for a in range(size):
            p0, p1 = start[group[a]], start[group[a] + 1]
            n = p1 - p0
            _keep_best(
                sub[0, a], sub[1, a], sub[2, a], hi[0, p0:p1], hi[1, p0:p1], hi[2, p0:p1],
                code, i, best[k : k + n], best_is[k : k + n],
            )  # fmt: skip
            k += n


@_jit
def _oos_rank(
    data: FloatArray,
    low: IntArray,
    packed: IntArray,
    start: IntArray,
    group: IntArray,
    combo_a: IntArray,
    combo_p: IntArray,
    code: int,
    best: IntArray,
    best_oos: FloatArray,
    rank: FloatArray,
) -> None:  # pragma: no cover
    """Per combination: the in-sample best's out-of-sample ranking key, and its out-of-sample
    rank among all trials (1 = worst; ties share the average rank)."""
    size = low.shape[0]
    full = size - 1
    sub, hi = np.empty((6, size)), np.empty((6, size))
    previous = -1
    for k in np.argsort(best):
        if best[k] != previous:
            previous = best[k]
            _subsets(data[previous], low, packed, sub, hi)
        a, p = full ^ combo_a[k], combo_p[k]
        best_oos[k] = _key(sub[0, a] + hi[3, p], sub[1, a] + hi[4, p], sub[2, a] + hi[5, p], code)
    less, same = np.zeros(best.shape[0]), np.zeros(best.shape[0])
    for i in range(data.shape[0]):
        _subsets(data[i], low, packed, sub, hi)
        k = 0
        for a in range(size):
            p0, p1 = start[group[a]], start[group[a] + 1]
            n, out = p1 - p0, full ^ a
            _count_below(
                sub[0, out], sub[1, out], sub[2, out], hi[3, p0:p1], hi[4, p0:p1], hi[5, p0:p1],
                code, best_oos[k : k + n], less[k : k + n], same[k : k + n],
            )  # fmt: skip
            k += n
    rank[:] = less + (same + 1.0) / 2.0


class _Plan(NamedTuple):
    """How the kernels visit the combinations of S blocks (h = S/2; notes above)."""

    low: IntArray  # (2^h,) each mask's lowest set bit
    packed: IntArray  # (2^h,) second-half masks by popcount, then by value
    start: IntArray  # (h + 2,) where each popcount's group starts in ``packed``
    group: IntArray  # (2^h,) the popcount of the second-half masks that go with mask ``a``
    combo_a: IntArray  # (C,) per combination, in visiting order: its first-half mask
    combo_p: IntArray  # (C,) and the position of its second-half mask in ``packed``
    lexical: IntArray  # (C,) the visiting position of each combination in lexicographic order

    @classmethod
    def of(cls, n_splits: int) -> _Plan:
        """The plan; lexicographic order is ``itertools.combinations(range(S), S // 2)``."""
        half = n_splits // 2
        masks = np.arange(1 << half, dtype=np.int64)
        pop = np.array([m.bit_count() for m in range(1 << half)], dtype=np.int64)
        low = np.zeros(1 << half, dtype=np.int64)
        low[1:] = np.log2(masks[1:] & -masks[1:]).astype(np.int64)
        packed = np.lexsort((masks, pop)).astype(np.int64)
        start = np.searchsorted(pop[packed], np.arange(half + 2)).astype(np.int64)
        group = half - pop
        combo_a = np.repeat(masks, start[group + 1] - start[group])
        combo_p = np.concatenate([np.arange(start[g], start[g + 1]) for g in group])
        visit = {
            (int(a), int(packed[p])): k
            for k, (a, p) in enumerate(zip(combo_a, combo_p, strict=True))
        }
        lexical = np.empty(combo_a.shape[0], dtype=np.int64)
        for j, chosen in enumerate(itertools.combinations(range(n_splits), half)):
            a = sum(1 << b for b in chosen if b < half)
            lexical[j] = visit[a, sum(1 << (b - half) for b in chosen if b >= half)]
        return cls(low, packed, start, group, combo_a, combo_p.astype(np.int64), lexical)


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


# ------------------------------------------------------------------ report


@dataclass(frozen=True, eq=False)
class OverfittingReport:
    """Overfitting statistics of one selected strategy: per-period Sharpe ratio, PSR against 0,
    DSR given the trials run, MinTRL for 95 % confidence that the true Sharpe ratio is above 0,
    PBO when block moments were given; ``verdict`` says what they mean, line by line."""

    n_periods: int
    periods_per_year: float
    sharpe: float
    sharpe_annualized: float
    skew: float
    kurtosis: float
    psr: float
    n_trials: int
    var_sharpe: float
    expected_max_sharpe: float
    dsr: float
    min_trl_periods: float
    min_trl_years: float
    pbo: PBOResult | None
    verdict: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """Every figure (PBO as its ``summary()``), NaN and infinities as None as in
        ``alphaforge.analytics``: ``json.dumps(report.to_dict(), allow_nan=False)`` works."""
        names = [n for n in self.__dataclass_fields__ if n not in ("pbo", "verdict")]
        out: dict[str, object] = {name: _plain(getattr(self, name)) for name in names}
        summary = None if self.pbo is None else self.pbo.summary()
        out["pbo"] = None if summary is None else {k: _plain(v) for k, v in summary.items()}
        out["verdict"] = list(self.verdict)
        return out


def _plain(value: object) -> object:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _psr_line(r: OverfittingReport) -> str:
    if math.isnan(r.psr):
        return "PSR undefined: the returns have no variance, so their Sharpe ratio is undefined"
    sharpe = (
        f"a Sharpe of {r.sharpe:.4f} per period ({r.sharpe_annualized:.2f} annualized) "
        f"over {r.n_periods:,} periods"
    )
    if r.psr >= _CONFIDENCE:
        return f"PSR {r.psr:.2f} >= 0.95: {sharpe} is above 0 with {r.psr:.0%} confidence"
    return f"PSR {r.psr:.2f} < 0.95: {sharpe} may be no better than 0, even before the trials"


def _dsr_line(r: OverfittingReport) -> str:
    if math.isnan(r.var_sharpe):
        return (
            f"DSR undefined: {r.n_trials} trial(s), fewer than 2 with a defined Sharpe ratio, "
            "give no variance across trials; count every trial run (PSR holds for one)"
        )
    if math.isnan(r.dsr):
        return "DSR undefined: the selected returns have no variance"
    luck = (
        f"luck alone would give the best of {r.n_trials:,} trials a Sharpe of "
        f"{r.expected_max_sharpe:.4f} per period"
    )
    if r.dsr >= _CONFIDENCE:
        return f"DSR {r.dsr:.2f} >= 0.95: the best Sharpe is more than luck ({luck})"
    return (
        f"DSR {r.dsr:.2f} < 0.95: the best Sharpe is consistent with luck across "
        f"{r.n_trials:,} trials ({luck})"
    )


def _trl_line(r: OverfittingReport) -> str:
    if math.isnan(r.min_trl_periods):
        return "MinTRL undefined: the Sharpe ratio is undefined"
    if math.isinf(r.min_trl_periods):
        return "MinTRL infinite: the Sharpe ratio is not above 0, no track record would do"
    need = f"MinTRL {r.min_trl_periods:,.0f} periods ({r.min_trl_years:.1f} years)"
    have = f"the {r.n_periods:,} periods ({r.n_periods / r.periods_per_year:.1f} years) here"
    if r.min_trl_periods <= r.n_periods:
        return f"{need} <= {have}: long enough to tell the Sharpe ratio from 0"
    return f"{need} > {have}: too short to tell the Sharpe ratio from 0"


def _pbo_lines(result: PBOResult) -> list[str]:
    share = f"in {result.pbo:.0%} of {result.n_combinations:,} splits"
    median = "the in-sample best ranked at or below the out-of-sample median"
    if result.pbo >= 0.5:
        head = f"PBO {result.pbo:.2f} >= 0.5: {median} {share}: the selection is overfit"
    else:
        head = f"PBO {result.pbo:.2f} < 0.5: {median} only {share}"
    tail = (
        f"the in-sample best lost out of sample in {result.prob_oos_loss:.0%} of splits; "
        f"out-of-sample {result.metric} = {result.degradation.intercept:.4f} "
        f"{result.degradation.slope:+.2f} x in-sample"
    )
    return [head, tail]


def _verdict(r: OverfittingReport, defined: FloatArray) -> tuple[str, ...]:
    lines = [_psr_line(r), _dsr_line(r), _trl_line(r)]
    if r.var_sharpe == 0.0:
        lines.append("note: every trial has the same Sharpe ratio: the trials were one, DSR = PSR")
    if r.pbo is not None:
        lines += _pbo_lines(r.pbo)
    if defined.size and r.sharpe > float(defined.max()) + 1e-9 * (1 + abs(float(defined.max()))):
        lines.append(
            f"note: the selected Sharpe {r.sharpe:.4f} is above every trial's "
            f"({defined.max():.4f}): were the trials' Sharpe ratios per period, on these returns?"
        )
    return tuple(lines)


def overfitting_report(
    selected_returns: object,
    trial_sharpes: object,
    moments: BlockMoments | None = None,
    periods_per_year: float = 252.0,
) -> OverfittingReport:
    """Report on the strategy a search selected: its ``selected_returns``, the per-period
    Sharpe ratios of every trial the search ran (``trial_sharpes``, the selected one included;
    NaN for a trial whose Sharpe ratio is undefined, still counted) and, for PBO, the trials'
    block moments. ``periods_per_year`` converts periods to years and annualizes for display;
    every statistic is computed per period."""
    x = _returns(selected_returns, "selected_returns")
    ppy = _finite(periods_per_year, "periods_per_year")
    if ppy <= 0:
        raise InvalidValueError(f"periods_per_year must be > 0, got {periods_per_year!r}")
    n = int(x.shape[0])
    sr, skew, kurt = _moments(x)
    n_trials, defined = _trials(trial_sharpes)
    var = _variance(defined)
    e_max = math.nan if math.isnan(var) else expected_max_sharpe(n_trials, var)
    defined_sr = not math.isnan(sr)
    trl = min_track_record_length(sr, skew, kurt) if defined_sr else math.nan
    report = OverfittingReport(
        n_periods=n,
        periods_per_year=ppy,
        sharpe=sr,
        sharpe_annualized=sr * math.sqrt(ppy),
        skew=skew,
        kurtosis=kurt,
        psr=probabilistic_sharpe_ratio(sr, n, skew, kurt) if defined_sr else math.nan,
        n_trials=n_trials,
        var_sharpe=var,
        expected_max_sharpe=e_max,
        dsr=probabilistic_sharpe_ratio(sr, n, skew, kurt, e_max)
        if defined_sr and not math.isnan(e_max)
        else math.nan,
        min_trl_periods=trl,
        min_trl_years=trl / ppy,
        pbo=None if moments is None else pbo_from_moments(moments),
        verdict=(),
    )
    return _replace_verdict(report, _verdict(report, defined))


def _replace_verdict(report: OverfittingReport, verdict: tuple[str, ...]) -> OverfittingReport:
    object.__setattr__(report, "verdict", verdict)
    return report
