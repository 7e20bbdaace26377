"""Features for many assets: a panel on a ``(ts, symbol)`` index, and cross-sectional transforms.

``compute_panel(frames)`` runs one :class:`~alphaforge.features.library.FeatureSet` on each
symbol's bars and stacks the results on a ``MultiIndex`` named ``("ts", "symbol")``, sorted by ts
then symbol (the layout every AI module uses). ``cross_sectional_rank`` and
``cross_sectional_zscore`` turn each feature into its standing among the symbols on the same
date: the percentile rank (average rank of ties over the count, in (0, 1]) or the z-score
(population σ). Missing values stay NaN and do not count.

For live inference, ``rank_rows`` and ``zscore_rows`` transform one date's rows (symbols x
features, e.g. the rows of one ``FeatureStream`` per symbol); they run the very code the panel
functions run on each date, so the live and batch numbers agree to the last bit (tested).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import numpy as np
import pandas as pd

from alphaforge.domain.errors import InvalidValueError
from alphaforge.features.library import FeatureSet, Missing, available_fields

__all__ = [
    "compute_panel",
    "cross_sectional_rank",
    "cross_sectional_zscore",
    "frames_from_wide",
    "rank_rows",
    "zscore_rows",
]

LEVELS = ("ts", "symbol")
FLAT_RELATIVE_STD = 1e-12  # a cross-section with σ below this share of |mean| is flat
Rows = TypeVar("Rows", pd.DataFrame, np.ndarray)


def frames_from_wide(wide: pd.DataFrame, field: str = "close") -> dict[str, pd.DataFrame]:
    """Split a wide frame (one column per symbol, e.g. ``stocks20_close``) into one frame each.

    Each symbol keeps the rows where it has a value (a symbol listed later starts later); its
    frame has one column, ``field``.
    """
    if not isinstance(wide, pd.DataFrame) or wide.shape[1] == 0:
        raise InvalidValueError("expected a wide DataFrame with one column per symbol")
    frames: dict[str, pd.DataFrame] = {}
    for symbol in wide.columns:
        series = wide[symbol].dropna()
        if series.empty:
            raise InvalidValueError(f"symbol {symbol!r} has no values")
        frames[str(symbol)] = series.rename(field).to_frame()
    return frames


def compute_panel(
    frames: Mapping[str, pd.DataFrame],
    features: FeatureSet | None = None,
    *,
    missing: Missing = "raise",
) -> pd.DataFrame:
    """Return ``features`` (default: the classic set) of every symbol on a ``(ts, symbol)`` index.

    With ``missing="skip"`` the set is cut to the features every symbol's data allow, so all
    symbols share the same columns; with ``"raise"`` a lacking field is an error naming it.
    """
    if not frames:
        raise InvalidValueError("compute_panel needs at least one symbol's frame")
    features = features if features is not None else FeatureSet.classic()
    if missing == "skip":
        have = frozenset.intersection(*(available_fields(f) for f in frames.values()))
        features = features.usable(have)
    parts = []
    for symbol, frame in frames.items():
        try:
            block = features.compute(frame, missing="raise")
        except InvalidValueError as error:
            raise InvalidValueError(f"symbol {symbol!r}: {error}") from error
        block.index = pd.MultiIndex.from_arrays(
            [block.index, np.full(len(block), str(symbol), dtype=object)], names=list(LEVELS)
        )
        parts.append(block)
    return pd.concat(parts).sort_index()


# --------------------------------------------------------------------------- cross-section kernels


def _segment_rank(x: np.ndarray, seg: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Percentile ranks of ``x`` within each segment (rows sorted by ``seg``); NaN stays NaN."""
    n = len(x)
    valid = ~np.isnan(x)
    # By segment, then value (NaN last): a stable sort by value, then a stable sort by segment,
    # which NumPy does as a radix sort when the segment ids fit in 16 bits (most panels).
    order = np.argsort(x, kind="stable")
    small = seg.astype(np.uint16) if len(starts) <= np.iinfo(np.uint16).max else seg
    order = order[np.argsort(small[order], kind="stable")]
    xs, ss = x[order], seg[order]
    new_run = np.ones(n, dtype=bool)
    new_run[1:] = (ss[1:] != ss[:-1]) | (xs[1:] != xs[:-1])  # NaN != NaN: each its own run
    run = np.cumsum(new_run) - 1
    firsts = np.flatnonzero(new_run)
    lasts = np.append(firsts[1:] - 1, n - 1)
    position = np.arange(n, dtype=np.float64) - starts[ss]  # 0-based place in its segment
    average = (position[firsts] + position[lasts]) / 2.0 + 1.0  # ties share the mean rank
    counts = np.bincount(seg, weights=valid, minlength=len(starts))
    ranks = np.full(n, np.nan)
    ranks[order] = average[run] / np.maximum(counts[ss], 1.0)
    ranks[~valid] = np.nan
    return ranks


def _segment_zscore(x: np.ndarray, seg: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``(x − mean)/σ`` within each segment (population σ); NaN where flat or undefined."""
    valid = ~np.isnan(x)
    nseg = len(starts)
    counts = np.bincount(seg, weights=valid, minlength=nseg)
    totals = np.bincount(seg, weights=np.where(valid, x, 0.0), minlength=nseg)
    safe = np.maximum(counts, 1.0)
    mean = (totals / safe)[seg]
    deviation = x - mean
    squares = np.bincount(seg, weights=np.where(valid, deviation * deviation, 0.0), minlength=nseg)
    std = np.sqrt(squares / safe)[seg]
    out = np.full(len(x), np.nan)
    # Equal values whose mean rounds off their own value leave a σ of ~1e-17: still flat.
    ok = valid & (std > 0.0) & (std > FLAT_RELATIVE_STD * np.abs(mean))
    out[ok] = deviation[ok] / std[ok]
    return out


def _apply(values: np.ndarray, seg: np.ndarray, starts: np.ndarray, how: str) -> np.ndarray:
    kernel = _segment_rank if how == "rank" else _segment_zscore
    out = np.empty_like(values)
    for j in range(values.shape[1]):
        out[:, j] = kernel(np.ascontiguousarray(values[:, j]), seg, starts)
    return out


def _matrix(frame: pd.DataFrame) -> np.ndarray:
    try:
        return frame.to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InvalidValueError(f"features must be numeric: {error}") from error


def _cross_sectional(panel: pd.DataFrame, how: str) -> pd.DataFrame:
    if not isinstance(panel, pd.DataFrame) or not isinstance(panel.index, pd.MultiIndex):
        raise InvalidValueError("expected a DataFrame on a (ts, symbol) MultiIndex (a panel)")
    if "ts" not in panel.index.names:
        raise InvalidValueError(f"the panel's index needs a 'ts' level, got {panel.index.names}")
    codes, _ = pd.factorize(panel.index.get_level_values("ts"), sort=True)
    order = np.argsort(codes, kind="stable")  # rows of a date together, their order kept
    seg = codes[order].astype(np.intp)
    starts = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]]).astype(np.float64)
    values = _matrix(panel)[order]
    out = np.empty_like(values)
    out[order] = _apply(values, seg, starts, how)
    return pd.DataFrame(out, index=panel.index, columns=panel.columns)


def cross_sectional_rank(panel: pd.DataFrame) -> pd.DataFrame:
    """Per date, each value's percentile rank among the symbols: ties averaged, in (0, 1]."""
    return _cross_sectional(panel, "rank")


def cross_sectional_zscore(panel: pd.DataFrame) -> pd.DataFrame:
    """Per date, ``(x − mean)/σ`` across the symbols (population σ; NaN if all are equal)."""
    return _cross_sectional(panel, "zscore")


def _one_date(rows: Rows, how: str) -> Rows:
    matrix = _matrix(rows) if isinstance(rows, pd.DataFrame) else np.asarray(rows, np.float64)
    if matrix.ndim != 2:
        raise InvalidValueError(f"expected rows x features (2-D), got {matrix.ndim}-D")
    seg = np.zeros(len(matrix), dtype=np.intp)
    out = _apply(matrix, seg, np.zeros(1), how)
    if isinstance(rows, pd.DataFrame):
        return pd.DataFrame(out, index=rows.index, columns=rows.columns)
    return out


def rank_rows(rows: Rows) -> Rows:
    """One date's cross-sectional ranks: ``rows`` are symbols x features (live inference)."""
    return _one_date(rows, "rank")


def zscore_rows(rows: Rows) -> Rows:
    """One date's cross-sectional z-scores: ``rows`` are symbols x features (live inference)."""
    return _one_date(rows, "zscore")
