"""Monte Carlo robustness of a strategy's results: resampled returns and reshuffled trades.

One backtest is one draw of history. These functions ask how different the figures could have
been had the same returns, or the same trades, come in another order:

* :func:`bootstrap_returns` resamples the per-bar returns of an equity curve: ``iid`` (each bar
  drawn on its own), ``block`` (the circular block bootstrap: blocks of ``block`` consecutive
  bars, wrapping round the end) or ``stationary`` (Politis and Romano: blocks of random,
  geometrically distributed length with mean ``block``). Block lengths left out are chosen by
  the Politis and White (2004) rule (``arch.bootstrap.optimal_block_length``).
* :func:`reshuffle_trades` permutes the order of closed trades (or samples them with
  replacement).

Each path's statistics (final return, maximum drawdown, Sharpe ratio, lowest equity) are
computed on the fly by a Numba kernel: no ``paths x bars`` matrix exists beyond one task of
:data:`PATHS_PER_TASK` paths, and only the first ``keep_paths`` equity curves are kept, for the
fan chart's quantile bands. Paths are grouped in tasks of a fixed size, each with its own seed
from :func:`~alphaforge.research.backends.task_seeds`, so a seed gives the same paths on any
backend and with any number of workers.

``docs/montecarlo.md`` says what each method assumes and when it misleads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alphaforge.domain.errors import InvalidValueError
from alphaforge.research._grid import inline, kernel
from alphaforge.research.backends import Backend, SerialBackend, task_seeds

__all__ = [
    "BAND_QUANTILES",
    "PATHS_PER_TASK",
    "STATISTICS",
    "MonteCarloResult",
    "bootstrap_returns",
    "curve_stats",
    "reshuffle_trades",
    "summarize",
]

Method = Literal["iid", "block", "stationary"]
METHODS: tuple[str, ...] = ("iid", "block", "stationary")
#: The per-path statistics, in the column order of ``MonteCarloResult.paths``.
STATISTICS: tuple[str, ...] = ("final_return", "max_drawdown", "sharpe", "min_equity")
#: Quantiles of the fan chart (``MonteCarloResult.bands``).
BAND_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
#: Paths per task: fixed, so that seeds (one per task) do not depend on the backend.
PATHS_PER_TASK = 250

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.int32]


# ---------------------------------------------------------------------- the kernels

# How a path's next observation is chosen (``_advance``).
EACH, BLOCK, STATIONARY = 0, 1, 2


@inline
def _sharpe(s1: float, s2: float, n: int, shift: float, lo: float, hi: float) -> float:
    """Mean over sample deviation (ddof=1), from sums of deviations from ``shift`` (near the
    mean, so the sums lose no precision); a constant series gives ±inf (NaN for 0 / 0), as
    ``alphaforge.analytics.sharpe_ratio`` does."""
    if n < 2:
        return math.nan
    if hi == lo:
        return math.nan if hi == 0.0 else math.copysign(math.inf, hi)
    var = max((s2 - s1 * s1 / n) / (n - 1), 0.0)
    return (shift + s1 / n) / math.sqrt(var)


@inline
def _advance(
    draws: IndexArray, fresh: NDArray[np.bool_], mode: int, size: int, n: int, p: int, t: int,
    i: int, k: int, left: int,
) -> tuple[int, int, int]:  # fmt: skip
    """The observation of step ``t`` of path ``p`` (``i``: the last one; ``k``, ``left``: the
    next block start and the bars left in the current fixed block)."""
    if mode == EACH:
        return draws[p, t], k, left
    if mode == BLOCK:
        if left == 0:
            return draws[p, k], k + 1, size - 1
        return (i + 1 if i + 1 < n else 0), k, left - 1
    if t == 0 or fresh[p, t]:
        return draws[p, t], k, left
    return (i + 1 if i + 1 < n else 0), k, left


@kernel
def _path_stats(
    values: FloatArray,
    draws: IndexArray,
    fresh: NDArray[np.bool_],
    mode: int,
    size: int,
    additive: bool,
    start: float,
    out: FloatArray,
    kept: FloatArray,
) -> None:
    """Walk each path through ``values``; write final return, max drawdown, Sharpe ratio (per
    step) and lowest equity to ``out``, and the equity of paths below ``kept.shape[0]`` to
    ``kept``. ``additive``: values are money added to equity (trade PnLs; a step's return is
    the value over the equity before it, undefined once equity is not positive); else simple
    returns, compounded. Paths are ``out.shape[0]`` rows of ``values.size`` steps each."""
    m, n = out.shape[0], values.size
    shift = values.mean() if not additive else 0.0  # sums around it keep the variance exact
    for p in range(m):
        eq, peak, low, mdd, bar = start, start, start, 0.0, start
        s1, s2, lo, hi, count = 0.0, 0.0, math.inf, -math.inf, 0
        i, k, left = 0, 0, 0
        keep = p < kept.shape[0]
        if keep:
            kept[p, 0] = start
        for t in range(n):
            i, k, left = _advance(draws, fresh, mode, size, n, p, t, i, k, left)
            v = values[i]
            r = (v / eq if eq > 0.0 else math.nan) if additive else v
            eq = eq + v if additive else eq * (1.0 + v)
            if not math.isnan(r):  # NaN: an additive step from an equity <= 0
                count += 1
                s1 += r - shift
                s2 += (r - shift) * (r - shift)
                lo, hi = min(lo, r), max(hi, r)
            if eq > peak:
                peak, bar = eq, eq * (1.0 + mdd)
            elif eq < bar:  # a deeper drawdown: one division, only then
                mdd, bar = eq / peak - 1.0, eq
            low = min(low, eq)
            if keep:
                kept[p, t + 1] = eq
        out[p, 0] = eq / start - 1.0
        out[p, 1] = mdd
        out[p, 2] = _sharpe(s1, s2, count, shift, lo, hi)
        out[p, 3] = low


# ---------------------------------------------------------------------- drawing paths


def _draw(
    draw: str, n: int, m: int, block: float, rng: np.random.Generator
) -> tuple[IndexArray, NDArray[np.bool_], int]:
    """Random draws of ``m`` paths over ``n`` observations, and how ``_advance`` reads them:
    one index a step (``iid``, ``permute``), one start a block (``block``), or a start a step
    used where ``fresh`` (``stationary``: a new block with probability ``1 / block``)."""
    none = np.empty((0, 0), dtype=np.bool_)
    if draw == "iid":
        return rng.integers(0, n, size=(m, n), dtype=np.int32), none, EACH
    if draw == "permute":
        rows = np.broadcast_to(np.arange(n, dtype=np.int32), (m, n))
        return rng.permuted(rows, axis=1), none, EACH
    if draw == "block":
        count = -(-n // int(block))
        return rng.integers(0, n, size=(m, count), dtype=np.int32), none, BLOCK
    starts = rng.integers(0, n, size=(m, n), dtype=np.int32)
    return starts, rng.random((m, n), dtype=np.float32) < 1.0 / block, STATIONARY


@dataclass(frozen=True)
class _PathTask:
    """Paths of one kind: picklable, so a process pool or Ray can run its tasks."""

    values: FloatArray
    draw: str
    block: float
    additive: bool
    start: float
    scale: float
    n_paths: int
    keep: int

    def run(
        self, m: int, rng: np.random.Generator | None, keep: int
    ) -> tuple[FloatArray, FloatArray]:
        """``m`` paths (``rng`` None: the one path in the original order): their statistics,
        and the equity curves of the first ``keep``."""
        n = self.values.size
        if rng is None:
            draws = np.arange(n, dtype=np.int32).reshape(1, n)
            fresh, mode = np.empty((0, 0), dtype=np.bool_), EACH
        else:
            draws, fresh, mode = _draw(self.draw, n, m, self.block, rng)
        out = np.empty((m, len(STATISTICS)), dtype=np.float64)
        kept = np.empty((keep, n + 1), dtype=np.float64)
        _path_stats(self.values, draws, fresh, mode, int(self.block), self.additive, self.start,
                    out, kept)  # fmt: skip
        out[:, 2] *= self.scale
        return out, kept

    def __call__(self, item: tuple[int, int]) -> tuple[FloatArray, FloatArray]:
        """Task ``item[0]`` (:data:`PATHS_PER_TASK` paths), drawn with seed ``item[1]``."""
        task, seed = item
        first = task * PATHS_PER_TASK
        m = min(PATHS_PER_TASK, self.n_paths - first)
        return self.run(m, np.random.default_rng(seed), max(0, min(m, self.keep - first)))

    def original(self) -> FloatArray:
        """The statistics of the series in its own order."""
        out, _ = self.run(1, None, 0)
        row: FloatArray = out[0]
        return row


def _simulate(job: _PathTask, seed: int, backend: Backend | None) -> tuple[FloatArray, FloatArray]:
    """Run every task of ``job`` on ``backend`` (None: here); return all stats, kept curves."""
    n_tasks = -(-job.n_paths // PATHS_PER_TASK)
    items = list(enumerate(task_seeds(seed, n_tasks)))
    stats = np.empty((job.n_paths, len(STATISTICS)), dtype=np.float64)
    kept = np.empty((job.keep, job.values.size + 1), dtype=np.float64)
    runner = backend if backend is not None else SerialBackend()
    for task, (out, curves) in zip(range(n_tasks), runner.map(job, items), strict=True):
        first = task * PATHS_PER_TASK
        stats[first : first + len(out)] = out
        kept[first : first + len(curves)] = curves
    return stats, kept


# ---------------------------------------------------------------------- the result


def summarize(
    table: pd.DataFrame,
    original: Mapping[str, float],
    columns: Sequence[str] = STATISTICS,
    ci: float = 0.90,
) -> pd.DataFrame:
    """Per statistic: mean, median, the central ``ci`` interval, the original value and its
    percentile in the distribution (the share of draws at or below it, in %; NaN where all
    draws are equal to rounding, as the final return of reshuffled trades is). NaN draws are
    left out; infinite ones count (a constant series has an infinite Sharpe ratio)."""
    if not 0.0 < ci < 1.0:
        raise InvalidValueError(f"ci must be between 0 and 1 (e.g. 0.90), got {ci!r}")
    rows = {}
    for name in columns:
        x = table[name].to_numpy(dtype=np.float64)
        x = np.sort(x[~np.isnan(x)])
        value = float(original.get(name, math.nan))
        if x.size == 0:
            rows[name] = [math.nan] * 4 + [value, math.nan]
            continue
        low, mid, high = (_quantile(x, q) for q in ((1 - ci) / 2, 0.5, (1 + ci) / 2))
        with np.errstate(invalid="ignore"):  # inf - inf in the mean of ±inf draws: NaN
            mean = float(x.mean())
        rank = 100.0 * float(np.searchsorted(x, value, "right")) / x.size
        if math.isnan(value) or math.isclose(x[0], x[-1], rel_tol=1e-9, abs_tol=1e-12):
            rank = math.nan  # every draw the same (to rounding): no rank to speak of
        rows[name] = [mean, mid, low, high, value, float(rank)]
    return pd.DataFrame.from_dict(
        rows,
        orient="index",
        columns=["mean", "median", "ci_low", "ci_high", "original", "original_pct"],
    ).rename_axis("statistic")


def _quantile(sorted_x: FloatArray, q: float) -> float:
    """Linear-interpolation quantile of sorted values, exact at ±inf (no inf - inf)."""
    pos = q * (sorted_x.size - 1)
    i = math.floor(pos)
    j = min(i + 1, sorted_x.size - 1)
    a, b = float(sorted_x[i]), float(sorted_x[j])
    return a if a == b or pos == i else a + (b - a) * (pos - i)


def _finite(value: Any) -> Any:
    """Strict JSON: NaN and infinities as None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in value.items()}
    return value


def _check_threshold(threshold: float) -> float:
    if not (isinstance(threshold, int | float) and 0.0 < threshold <= 1.0):
        raise InvalidValueError(
            f"a ruin threshold is the loss that counts as ruin, in (0, 1] (0.5: half the "
            f"starting equity lost), got {threshold!r}"
        )
    return float(threshold)


@dataclass(frozen=True)
class MonteCarloResult:
    """The distribution of a strategy's statistics over resampled paths.

    ``paths``: one row per path (``final_return``, ``max_drawdown`` (<= 0), ``sharpe``,
    ``min_equity`` (in the units of ``start_equity``), ``ruined``: equity at or below
    ``(1 - ruin) * start_equity`` at some step; with ``ruin=None``, at or below 0).
    ``bands``: equity quantiles per step (rows: step 0..n, columns: :data:`BAND_QUANTILES`)
    over the first ``keep_paths`` paths. ``original``: the same statistics of the series as it
    happened.
    """

    paths: pd.DataFrame
    bands: pd.DataFrame
    original: Mapping[str, float]
    method: str
    seed: int
    start_equity: float
    ruin: float | None = None
    block: float | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_paths(self) -> int:
        """How many paths were drawn."""
        return len(self.paths)

    def summary(self, ci: float = 0.90) -> pd.DataFrame:
        """Mean, median, ``ci`` interval, original value and its percentile per statistic."""
        return summarize(self.paths, self.original, STATISTICS, ci)

    def prob_ruin(self, threshold: float) -> float:
        """The share of paths whose equity fell to ``(1 - threshold) * start_equity`` or below at
        some step (``threshold=0.5``: half the start lost). Never rises with ``threshold``."""
        level = (1.0 - _check_threshold(threshold)) * self.start_equity
        return float((self.paths["min_equity"].to_numpy() <= level).mean())

    def to_dict(self, ci: float = 0.90) -> dict[str, Any]:
        """A JSON-able summary (non-finite numbers as None)."""
        summary = self.summary(ci)
        return {
            "method": self.method,
            "seed": self.seed,
            "n_paths": self.n_paths,
            "block": self.block,
            "start_equity": self.start_equity,
            "ruin": self.ruin,
            "prob_ruin": None if self.ruin is None else self.prob_ruin(self.ruin),
            "ci": ci,
            "original": _finite(dict(self.original)),
            "summary": {k: _finite(v) for k, v in summary.to_dict(orient="index").items()},
            **_finite(dict(self.details)),
        }


def _result(
    job: _PathTask,
    stats: FloatArray,
    kept: FloatArray,
    original: FloatArray,
    method: str,
    seed: int,
    ruin: float | None,
    details: Mapping[str, Any],
) -> MonteCarloResult:
    level = (1.0 - (ruin if ruin is not None else 1.0)) * job.start
    paths = pd.DataFrame(stats, columns=list(STATISTICS)).rename_axis("path")
    paths["ruined"] = paths["min_equity"].to_numpy() <= level
    names = [f"q{round(q * 100):02d}" for q in BAND_QUANTILES]
    if len(kept):
        bands = pd.DataFrame(np.quantile(kept, BAND_QUANTILES, axis=0).T, columns=names)
    else:
        bands = pd.DataFrame(columns=names, dtype=np.float64)
    first = {name: float(v) for name, v in zip(STATISTICS, original, strict=True)}
    first["ruined"] = bool(original[3] <= level)
    return MonteCarloResult(
        paths=paths,
        bands=bands.rename_axis("step"),
        original=first,
        method=method,
        seed=seed,
        start_equity=job.start,
        ruin=ruin,
        block=None if job.draw in ("iid", "permute") else job.block,
        details=details,
    )


# ---------------------------------------------------------------------- inputs


def _series(values: object, name: str) -> FloatArray:
    if isinstance(values, pd.Series | pd.DataFrame):
        arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        try:
            arr = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidValueError(
                f"{name} must be numbers, got {type(values).__name__}"
            ) from None
    if arr.ndim != 1:
        raise InvalidValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size < 2:
        raise InvalidValueError(f"{name} needs at least 2 values, got {arr.size}")
    bad = int((~np.isfinite(arr)).sum())
    if bad:
        raise InvalidValueError(
            f"{name} hold {bad} NaN or infinite value(s); drop them first (the first return "
            "of pct_change() is NaN)"
        )
    return np.ascontiguousarray(arr)


def _check_counts(n_paths: int, keep_paths: int) -> int:
    if not isinstance(n_paths, int | np.integer) or n_paths < 1:
        raise InvalidValueError(f"n_paths must be a whole number >= 1, got {n_paths!r}")
    if not isinstance(keep_paths, int | np.integer) or keep_paths < 0:
        raise InvalidValueError(f"keep_paths must be a whole number >= 0, got {keep_paths!r}")
    return int(min(keep_paths, n_paths))


def _check_positive(value: float, name: str) -> float:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise InvalidValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def _block_length(returns: FloatArray, method: str, block: float | None) -> float:
    """The block length: as given (checked), else Politis and White's optimal length."""
    n = returns.size
    if block is None:
        from arch.bootstrap import optimal_block_length  # noqa: PLC0415  # slow import

        column = "circular" if method == "block" else "stationary"
        block = float(optimal_block_length(returns)[column].iloc[0])
        if not math.isfinite(block):  # a constant series has no autocorrelation to keep
            block = 1.0
        block = min(max(block, 1.0), float(n))
        return float(math.ceil(block)) if method == "block" else block
    if not (isinstance(block, int | float) and 1 <= block <= n):
        raise InvalidValueError(f"block must be a length in bars between 1 and {n}, got {block!r}")
    if method == "block" and block != int(block):
        raise InvalidValueError(f"method='block' needs a whole block length, got {block!r}")
    return float(block)


# ---------------------------------------------------------------------- the API


def bootstrap_returns(
    returns: pd.Series | Sequence[float] | FloatArray,
    n_paths: int = 10_000,
    *,
    method: Method = "iid",
    block: float | None = None,
    seed: int = 0,
    start_equity: float = 1.0,
    periods_per_year: float = 252,
    ruin: float | None = None,
    keep_paths: int = 500,
    backend: Backend | None = None,
) -> MonteCarloResult:
    """Resample per-bar simple ``returns`` into ``n_paths`` paths as long as the original.

    ``method``: ``iid`` draws bars independently (destroys autocorrelation and volatility
    clustering: drawdowns come out too shallow for trend-following or volatile strategies);
    ``block`` draws blocks of ``block`` consecutive bars (circular); ``stationary`` draws blocks
    of random length with mean ``block``. ``block`` left out: Politis and White's optimal
    length for the method. ``periods_per_year`` annualizes the Sharpe ratio. ``ruin``: the loss
    (0.5 = half of ``start_equity``) that marks a path ``ruined``. ``keep_paths``: how many
    equity curves feed the quantile bands. ``backend``: where the tasks run (None: here; the
    result is the same on every backend).
    """
    if method not in METHODS:
        raise InvalidValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    values = _series(returns, "returns")
    if (values <= -1.0).any():
        raise InvalidValueError("returns must be above -1 (a return of -100 % or less)")
    keep = _check_counts(n_paths, keep_paths)
    length = 1.0 if method == "iid" else _block_length(values, method, block)
    if method == "iid" and block not in (None, 1):
        raise InvalidValueError("method='iid' takes no block length (it is 1)")
    scale = math.sqrt(_check_positive(periods_per_year, "periods_per_year"))
    job = _PathTask(values, method, length, False, _check_positive(start_equity, "start_equity"),
                    scale, int(n_paths), keep)  # fmt: skip
    ruin = None if ruin is None else _check_threshold(ruin)
    stats, kept = _simulate(job, seed, backend)
    details = {"n_steps": values.size, "periods_per_year": float(periods_per_year)}
    return _result(job, stats, kept, job.original(), method, seed, ruin, details)


def reshuffle_trades(
    trades: pd.Series | pd.DataFrame | Sequence[float] | FloatArray,
    n_paths: int = 10_000,
    *,
    kind: Literal["pnl", "return"] = "pnl",
    start_equity: float | None = None,
    replace: bool = False,
    seed: int = 0,
    periods_per_year: float | None = None,
    ruin: float | None = None,
    keep_paths: int = 500,
    backend: Backend | None = None,
) -> MonteCarloResult:
    """Replay closed trades in ``n_paths`` random orders (``replace=True``: drawn with
    replacement, so the mix of trades changes too).

    ``kind="pnl"``: money per trade, added to ``start_equity`` (required); ``"return"``: the
    trade's return on equity, compounded from ``start_equity`` (default 1). A trades table
    (``BacktestResult.trades``) gives its ``pnl`` or ``return`` column.

    A permutation does not change the final return: sums (PnL) and products (returns) do not
    depend on order, so ``final_return`` is the same on every path. What order changes is the
    path: maximum drawdown, lowest equity and ruin. The Sharpe ratio is that of per-trade
    returns on the equity before each trade (annualized with ``periods_per_year``, trades a
    year; None: per trade); with compounded returns it too is the same on every path.
    """
    if kind not in ("pnl", "return"):
        raise InvalidValueError(f"kind must be 'pnl' or 'return', got {kind!r}")
    if isinstance(trades, pd.DataFrame):
        if kind not in trades.columns:
            raise InvalidValueError(f"the trades table has no {kind!r} column")
        trades = trades[kind]
    values = _series(trades, "trades")
    if kind == "pnl" and start_equity is None:
        raise InvalidValueError("kind='pnl' needs start_equity (the account's starting money)")
    if kind == "return" and (values <= -1.0).any():
        raise InvalidValueError("trade returns must be above -1 (a loss of 100 % or more)")
    start = _check_positive(1.0 if start_equity is None else start_equity, "start_equity")
    keep = _check_counts(n_paths, keep_paths)
    ppy = 1.0 if periods_per_year is None else _check_positive(periods_per_year, "periods_per_year")
    draw = "iid" if replace else "permute"
    job = _PathTask(values, draw, 1.0, kind == "pnl", start, math.sqrt(ppy), int(n_paths), keep)
    ruin = None if ruin is None else _check_threshold(ruin)
    stats, kept = _simulate(job, seed, backend)
    details = {"n_trades": values.size, "kind": kind, "periods_per_year": periods_per_year}
    method = "resample_trades" if replace else "reshuffle_trades"
    return _result(job, stats, kept, job.original(), method, seed, ruin, details)


def curve_stats(
    equity: pd.Series | Sequence[float] | FloatArray, periods_per_year: float
) -> dict[str, float]:
    """The statistics of one equity curve as the Monte Carlo paths define them (``min_equity``
    in the curve's own units): what the reruns of ``alphaforge.runtime.montecarlo`` report."""
    eq = _series(equity, "equity")
    if (eq <= 0).any():
        raise InvalidValueError("equity must stay positive to be read as returns")
    scale = math.sqrt(_check_positive(periods_per_year, "periods_per_year"))
    job = _PathTask(eq[1:] / eq[:-1] - 1.0, "iid", 1.0, False, float(eq[0]), scale, 1, 0)
    return {name: float(v) for name, v in zip(STATISTICS, job.original(), strict=True)}
