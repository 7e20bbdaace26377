"""The CSCV kernels behind ``alphaforge.research.overfitting``'s PBO (private).

Numba kernels and their plan, apart from the public wrappers (``_pbo``): the block sums that
``block_moments`` collects (``_sums_by_row``, ``_sums_by_column``) and the combinatorially
symmetric cross-validation loops (``_best_in_sample``, ``_oos_rank`` and their steps), with
``_Plan``, the order in which they visit the combinations. Every kernel is compiled once and
cached on disk; its plain-Python source stays reachable as ``.py_func`` (parity tests).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any, NamedTuple, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt

from alphaforge.core.jit import jit

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
F = TypeVar("F", bound=Callable[..., Any])

#: A variance at or below this share of the mean square is rounding noise: the Sharpe ratio of
#: such a series (a strategy that never traded, a constant return) is undefined.
_ZERO_VARIANCE = 1e-12
#: Numba options: compiled once, cached on disk; NumPy error model (no division checks, so the
#: CSCV loops compile to SIMD).
_KERNEL: dict[str, Any] = {"cache": True, "nogil": True, "error_model": "numpy"}


def _jit(fn: F) -> F:
    return jit(**_KERNEL)(fn)


def _inline(fn: F) -> F:
    return jit(inline="always", **_KERNEL)(fn)


# ------------------------------------------------------------------ block sums


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
