"""Leak-free cross-validation for labels that look ahead (layer L5; López de Prado, AFML ch. 7, 12).

A label at ``t`` looks at prices until ``t1`` (``alphaforge.features.labels``). Ordinary k-fold
lets a model train on a sample whose label window ``[t, t1]`` overlaps the test span: it then
fits the very prices it is scored on, and the score is inflated. So every splitter here

* **purges**: drops each training sample whose ``[t, t1]`` intersects a test block's span
  ``[a, b]`` (``a`` = the block's first sample time, ``b`` = the last ``t1`` of its samples);
* **embargoes**: drops the training samples that start within ``embargo`` after ``b`` (their
  features, lagged returns and rolling statistics, still carry the test period's prices).

Folds are sets of **dates**: in a panel (``(ts, symbol)`` index) all symbols of a date fall in the
same fold, and purging is by time across symbols.

* ``PurgedKFold(n_splits, embargo)``: contiguous date blocks, each the test set once.
* ``CombinatorialPurgedCV(n_groups, n_test_groups, embargo)``: every choice of ``k`` test groups
  out of ``N`` (C(N, k) splits); their test predictions assemble into ``n_paths`` full backtest
  paths (``paths``, ``assemble_paths``).
* ``PurgedWalkForward(n_splits, train_size, test_size, embargo)``: test blocks back to back at the
  end of the data; training on the dates before each (expanding, or the last ``train_size``).

``embargo`` is a fraction of the dates (``0.01``: ceil(1 % of the distinct dates)), a whole number
of bars (dates), or a time span (``"5D"``, a ``Timedelta``).

**Where t1 comes from.** scikit-learn calls ``cv.split(X, y, groups)`` and has no slot for label
end times, so a splitter holds them: ``PurgedKFold(t1=labels.t1)`` (or ``t1=labels``), then
``cross_val_score(model, X, y, cv=...)``, ``GridSearchCV(..., cv=...)`` or Optuna's
``OptunaSearchCV`` work unchanged. The held ``t1`` is looked up by ``X``'s index, so nested CV on a
subset of rows works too. Without a held ``t1``, ``split(X, labels.t1)`` or ``split(X, labels)``
passes it in ``y``'s place. ``groups`` is ignored: the folds are by time.
"""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from alphaforge.domain.errors import InvalidValueError
from alphaforge.features.labels import Labels

__all__ = ["CombinatorialPurgedCV", "Embargo", "PurgedKFold", "PurgedWalkForward"]

Embargo = int | float | str | timedelta | np.timedelta64
IntArray = np.ndarray
# A test block: (mask of its samples, start time a, end time b) in ns.
_Block = tuple[np.ndarray, int, int]


@dataclass(frozen=True)
class _Samples:
    """Sample times as int64 ns: ``t`` (the sample's bar), ``t1`` (its label's end), the sorted
    distinct dates and each sample's date number."""

    t: np.ndarray
    t1: np.ndarray
    dates: np.ndarray
    day: np.ndarray


@dataclass(frozen=True)
class _Gap:
    """An embargo: ``bars`` dates, a ``fraction`` of the dates, or ``ns`` nanoseconds."""

    bars: int = 0
    fraction: float = 0.0
    ns: int = 0

    def after(self, b: int, dates: np.ndarray) -> int:
        """The last time embargoed after a test span ending at ``b``."""
        if self.ns:
            return b + self.ns
        bars = self.count(len(dates))
        pos = int(np.searchsorted(dates, b, side="right"))
        if bars == 0 or pos >= len(dates):
            return b
        return int(dates[min(pos + bars, len(dates)) - 1])

    def before(self, a: int, dates: np.ndarray) -> int:
        """The first time of the gap kept free of training labels before a test start ``a``."""
        if self.ns:
            return a - self.ns
        pos = int(np.searchsorted(dates, a, side="left"))
        return int(dates[max(pos - self.count(len(dates)), 0)]) if pos else a

    def count(self, n_dates: int) -> int:
        return self.bars if self.fraction == 0 else math.ceil(self.fraction * n_dates)


class _PurgedSplitter(ABC):
    """What the splitters share: t1 resolution, purging, embargo and the sklearn protocol."""

    def __init__(self, embargo: Embargo, t1: pd.Series | Labels | None) -> None:
        self.embargo = embargo
        self._gap = _parse_embargo(embargo)
        self.t1 = t1.t1 if isinstance(t1, Labels) else t1
        if self.t1 is not None:
            _check_t1_series(self.t1)

    @abstractmethod
    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Return the number of splits (scikit-learn's protocol; the arguments are ignored)."""

    def split(
        self,
        X: Any,
        y: Any = None,
        groups: Any = None,
    ) -> Iterator[tuple[IntArray, IntArray]]:
        """Yield ``(train, test)`` integer positions into ``X``, purged and embargoed.

        ``y`` may carry the label end times (``labels.t1`` or ``labels``) when the splitter holds
        none; otherwise it is ignored, as is ``groups``.
        """
        samples = _samples(X, self._resolve_t1(y))
        for number, blocks in enumerate(self._blocks(samples)):
            test = np.zeros(len(samples.t), dtype=bool)
            for mask, _a, _b in blocks:
                test |= mask
            train = ~test & ~self._purged(samples, blocks)
            if not train.any():
                raise InvalidValueError(
                    f"split {number} has no training sample left after purging and embargo: "
                    f"the labels' horizons are too long for {self.get_n_splits()} splits"
                )
            yield np.flatnonzero(train), np.flatnonzero(test)

    @abstractmethod
    def _blocks(self, samples: _Samples) -> Iterator[list[_Block]]:
        """Each split's test blocks: (mask of test samples, span start, span end)."""

    def _purged(self, samples: _Samples, blocks: list[_Block]) -> np.ndarray:
        """Samples whose window meets a test block's span or starts in the embargo after it."""
        drop = np.zeros(len(samples.t), dtype=bool)
        for _mask, a, b in blocks:
            end = self._gap.after(b, samples.dates)
            drop |= (samples.t <= end) & (samples.t1 >= a)
        return drop

    def _resolve_t1(self, y: Any) -> pd.Series:
        if self.t1 is not None:
            return self.t1
        if isinstance(y, Labels):
            return y.t1
        if isinstance(y, pd.Series) and pd.api.types.is_datetime64_any_dtype(y.dtype):
            return y
        name = type(self).__name__
        raise InvalidValueError(
            f"{name} needs each sample's label end time t1: construct it with "
            f"{name}(..., t1=labels.t1) (scikit-learn cv=) or call split(X, labels.t1)"
        )

    def __repr__(self) -> str:
        held = "None" if self.t1 is None else f"<{len(self.t1)} samples>"
        params = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({params}, embargo={self.embargo!r}, t1={held})"

    @abstractmethod
    def _params(self) -> dict[str, object]:
        """The constructor arguments shown by ``repr`` (embargo and t1 aside)."""


class PurgedKFold(_PurgedSplitter):
    """K-fold over contiguous date blocks with purging and an embargo (AFML 7.4).

    Each of ``n_splits`` blocks of consecutive dates is the test set once; the training set is
    every other sample whose label window does not reach into the test span (nor start within
    the embargo after it). Pass it as ``cv=`` to scikit-learn with ``t1`` held.
    """

    def __init__(
        self,
        n_splits: int = 5,
        *,
        embargo: Embargo = 0.01,
        t1: pd.Series | Labels | None = None,
    ) -> None:
        super().__init__(embargo, t1)
        self.n_splits = _whole(n_splits, "n_splits", minimum=2)

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Return ``n_splits``."""
        return self.n_splits

    def _params(self) -> dict[str, object]:
        return {"n_splits": self.n_splits}

    def _blocks(self, samples: _Samples) -> Iterator[list[_Block]]:
        group = _date_groups(samples, self.n_splits)
        for k in range(self.n_splits):
            yield [_block(samples, group == k)]


class CombinatorialPurgedCV(_PurgedSplitter):
    """Combinatorial purged cross-validation (AFML 12.4): every ``k`` of ``N`` date groups.

    The dates are cut into ``n_groups`` contiguous groups; each split tests ``n_test_groups`` of
    them (purging and embargo around each test group) and trains on the rest: C(N, k) splits.
    Every group is tested in ``n_paths`` = C(N-1, k-1) splits, so the test predictions assemble
    into ``n_paths`` complete out-of-sample backtest paths: ``paths[p, g]`` is the split whose
    predictions cover group ``g`` in path ``p``, and ``assemble_paths`` does the stitching.
    """

    def __init__(
        self,
        n_groups: int = 6,
        n_test_groups: int = 2,
        *,
        embargo: Embargo = 0.01,
        t1: pd.Series | Labels | None = None,
    ) -> None:
        super().__init__(embargo, t1)
        self.n_groups = _whole(n_groups, "n_groups", minimum=2)
        self.n_test_groups = _whole(n_test_groups, "n_test_groups", minimum=1)
        if self.n_test_groups >= self.n_groups:
            raise InvalidValueError(
                f"n_test_groups must be below n_groups ({self.n_groups}), got {n_test_groups}"
            )
        self.test_groups: tuple[tuple[int, ...], ...] = tuple(
            itertools.combinations(range(self.n_groups), self.n_test_groups)
        )

    @property
    def n_paths(self) -> int:
        """The number of complete backtest paths: C(N-1, k-1)."""
        return math.comb(self.n_groups - 1, self.n_test_groups - 1)

    @property
    def paths(self) -> np.ndarray:
        """``(n_paths, n_groups)`` split numbers: path ``p`` takes group ``g`` from that split."""
        out = np.empty((self.n_paths, self.n_groups), dtype=np.int64)
        for g in range(self.n_groups):
            out[:, g] = [s for s, combo in enumerate(self.test_groups) if g in combo]
        return out

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Return C(n_groups, n_test_groups)."""
        return len(self.test_groups)

    def assemble_paths(
        self,
        predictions: Sequence[np.ndarray],
        X: Any,
        y: Any = None,
    ) -> np.ndarray:
        """Stitch per-split test predictions into ``(n_paths, n_samples, ...)`` backtest paths.

        ``predictions[s]`` holds split ``s``'s predictions for its test samples, in the order
        ``split`` yielded them (ascending positions). ``X``/``y`` as given to ``split``.
        """
        if len(predictions) != len(self.test_groups):
            raise InvalidValueError(
                f"need one prediction array per split ({len(self.test_groups)}), "
                f"got {len(predictions)}"
            )
        samples = _samples(X, self._resolve_t1(y))
        group = _date_groups(samples, self.n_groups)
        first = np.asarray(predictions[0])
        out = np.full((self.n_paths, len(group), *first.shape[1:]), np.nan)
        paths = self.paths
        for s, combo in enumerate(self.test_groups):
            pred = np.asarray(predictions[s])
            in_test = np.isin(group, combo)
            if len(pred) != int(in_test.sum()):
                raise InvalidValueError(
                    f"split {s} has {int(in_test.sum())} test samples, got {len(pred)} predictions"
                )
            tested = group[in_test]
            for g in combo:
                path = int(np.flatnonzero(paths[:, g] == s)[0])
                out[path, group == g] = pred[tested == g]
        return out

    def _params(self) -> dict[str, object]:
        return {"n_groups": self.n_groups, "n_test_groups": self.n_test_groups}

    def _blocks(self, samples: _Samples) -> Iterator[list[_Block]]:
        group = _date_groups(samples, self.n_groups)
        for combo in self.test_groups:
            yield [_block(samples, group == g) for g in combo]


class PurgedWalkForward(_PurgedSplitter):
    """Walk-forward splits: test blocks back to back at the end, training only on the past.

    ``n_splits`` test blocks of ``test_size`` dates (default: the dates / (n_splits + 1)) end at
    the last date; each trains on the dates before its block (all of them, or the last
    ``train_size``), purged of samples whose labels reach into the block. No training sample
    follows a test block here, so López de Prado's embargo has nothing to act on; ``embargo``
    is instead a gap before each block (scikit-learn's ``TimeSeriesSplit(gap=)``): training
    labels must end before the ``embargo`` dates (or time span) preceding the block.
    """

    def __init__(
        self,
        n_splits: int = 5,
        *,
        train_size: int | None = None,
        test_size: int | None = None,
        embargo: Embargo = 0,
        t1: pd.Series | Labels | None = None,
    ) -> None:
        super().__init__(embargo, t1)
        self.n_splits = _whole(n_splits, "n_splits", minimum=1)
        self.train_size = None if train_size is None else _whole(train_size, "train_size", 1)
        self.test_size = None if test_size is None else _whole(test_size, "test_size", 1)

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Return ``n_splits``."""
        return self.n_splits

    def _params(self) -> dict[str, object]:
        return {
            "n_splits": self.n_splits,
            "train_size": self.train_size,
            "test_size": self.test_size,
        }

    def _blocks(self, samples: _Samples) -> Iterator[list[_Block]]:
        n_dates = len(samples.dates)
        size = self.test_size or n_dates // (self.n_splits + 1)
        if size < 1 or size * self.n_splits >= n_dates:
            raise InvalidValueError(
                f"{n_dates} dates cannot hold {self.n_splits} test blocks of {size} dates "
                "and a training span before them"
            )
        for k in range(self.n_splits):
            start = n_dates - (self.n_splits - k) * size
            yield [_block(samples, (samples.day >= start) & (samples.day < start + size))]

    def _purged(self, samples: _Samples, blocks: list[_Block]) -> np.ndarray:
        """Drop everything from the test block on, labels reaching the gap, and old dates."""
        mask, a, _b = blocks[0]
        start = int(samples.day[mask].min())
        drop = (samples.day >= start) | (samples.t1 >= self._gap.before(a, samples.dates))
        if self.train_size is not None:
            drop |= samples.day < start - self.train_size
        return drop


# ---------------------------------------------------------------------- helpers


def _block(samples: _Samples, mask: np.ndarray) -> _Block:
    return mask, int(samples.t[mask].min()), int(samples.t1[mask].max())


def _date_groups(samples: _Samples, n_groups: int) -> np.ndarray:
    """Each sample's group: the dates cut into ``n_groups`` contiguous, near-equal blocks."""
    n_dates = len(samples.dates)
    if n_dates < n_groups:
        raise InvalidValueError(f"{n_dates} distinct dates cannot make {n_groups} groups")
    return samples.day * n_groups // n_dates


def _samples(X: Any, t1: pd.Series) -> _Samples:
    """The samples' times: from X's index (t1 looked up by it), else from t1's own index."""
    index = getattr(X, "index", None)
    if isinstance(index, pd.Index):
        if not t1.index.equals(index):
            if not t1.index.is_unique:
                raise InvalidValueError("t1's index has duplicate samples")
            t1 = t1.reindex(index)
    else:
        n = len(X) if not hasattr(X, "shape") else int(X.shape[0])
        if n != len(t1):
            raise InvalidValueError(f"X has {n} samples but t1 has {len(t1)}")
        index = t1.index
    t = _sample_times(index)
    if t1.isna().any():
        raise InvalidValueError(
            f"{int(t1.isna().sum())} samples have no label end time t1: train on known labels "
            "only (labels.dropna(), or X, labels = labels.align(X))"
        )
    end = pd.DatetimeIndex(t1)
    if (end.tz is None) != (t.tz is None):
        raise InvalidValueError("the samples' times and t1 must both be UTC-aware (or both naive)")
    t_ns, t1_ns = t.as_unit("ns").asi8, end.as_unit("ns").asi8
    if (t1_ns < t_ns).any():
        raise InvalidValueError("a label cannot end (t1) before its sample's time t")
    dates, day = np.unique(t_ns, return_inverse=True)
    return _Samples(t_ns, t1_ns, dates, day.reshape(-1))


def _sample_times(index: pd.Index) -> pd.DatetimeIndex:
    if isinstance(index, pd.MultiIndex):
        index = index.get_level_values(0)
    if not isinstance(index, pd.DatetimeIndex):
        raise InvalidValueError(
            "samples must be indexed by a DatetimeIndex (one asset) or a (ts, symbol) "
            f"MultiIndex (a panel), got {type(index).__name__}"
        )
    return index


def _check_t1_series(t1: object) -> None:
    if not isinstance(t1, pd.Series) or not pd.api.types.is_datetime64_any_dtype(t1.dtype):
        raise InvalidValueError("t1 must be a Series of timestamps (labels.t1) or a Labels")


def _parse_embargo(embargo: Embargo) -> _Gap:
    if isinstance(embargo, bool):
        raise InvalidValueError(
            f"embargo must be a fraction, a bar count or a time span: {embargo}"
        )
    if isinstance(embargo, int | np.integer):
        if embargo < 0:
            raise InvalidValueError(f"embargo must be >= 0 bars, got {embargo}")
        return _Gap(bars=int(embargo))
    if isinstance(embargo, float):
        if not 0.0 <= embargo < 1.0:
            raise InvalidValueError(
                f"a float embargo is a fraction of the dates in [0, 1), got {embargo}; "
                "give an int for bars or a time span such as '5D'"
            )
        return _Gap(fraction=embargo)
    try:
        span = pd.Timedelta(embargo)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"embargo {embargo!r} is not a time span: {exc}") from None
    if span < pd.Timedelta(0) or pd.isna(span):
        raise InvalidValueError(f"embargo must not be negative, got {embargo!r}")
    return _Gap(ns=int(span.value))


def _whole(value: int, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise InvalidValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)
