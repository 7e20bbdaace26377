"""The warm-up check: do a strategy's results over one period hang on the history before it?

``check_warmup`` runs one period (same ``start``) with different amounts of history before it
and reports how the results move: indicators not yet warm, or state that grows with the history,
make the first bars trade differently. See ``docs/bias_checks.md``; the public home of these
names is :mod:`alphaforge.runtime.bias`, which re-exports them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alphaforge.domain.errors import InvalidValueError
from alphaforge.runtime._bias_common import (
    StrategyLike,
    _document,
    _event_ns,
    _load,
    _markdown,
    _Runner,
    _utc,
    cell_text,
)
from alphaforge.runtime.inputs import DataLike, Series
from alphaforge.runtime.result import BacktestResult

__all__ = ["DEFAULT_WARMUPS", "WarmupReport", "WarmupRow", "check_warmup"]

DEFAULT_WARMUPS: tuple[int | None, ...] = (0, 50, 100, 250, 500, 1000, None)  # None: all
_EQUITY_LIKE = {"equity", "index", "etf", "volatility", "commodity"}


@dataclass(frozen=True)
class WarmupRow:
    """One run of :func:`check_warmup`: its warm-up, key figures and how it compares."""

    warmup: str  # as asked: "0", "250", "all"
    bars: int  # bars of history it had before the start (fewer than asked if data ran out)
    first_bar: pd.Timestamp
    total_return: float
    sharpe: float
    trades: int  # closed round trips (a rebalanced book that never goes flat closes none)
    fills: int
    first_trade: pd.Timestamp | None
    equity_differs_from: pd.Timestamp | None  # first point unlike the longest-history run
    positions_differ_until: pd.Timestamp | None  # last bar whose exposure differs by > tol
    bars_positioned_differently: int
    status: str  # reference, identical, aligned (sizes only), differs


@dataclass
class WarmupReport:
    """How the results of one period depend on the history before its start."""

    strategy: str
    params: dict[str, Any]
    start: pd.Timestamp
    rows: list[WarmupRow]
    tolerance: float
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def reference(self) -> WarmupRow:
        """The run with the longest history, which the others are compared with."""
        return max(self.rows, key=lambda r: r.bars)

    @property
    def stable_from(self) -> int | None:
        """The fewest bars of history from which no longer history changes the positions;
        None when even the second-longest history trades differently from the longest."""
        ordered = sorted(self.rows, key=lambda r: r.bars, reverse=True)
        found = None
        for row in ordered[1:]:
            if row.status == "differs":
                break
            found = row.bars
        return found

    @property
    def passed(self) -> bool:
        """Stable: the two longest histories (at least) trade alike."""
        return self.stable_from is not None

    @property
    def table(self) -> pd.DataFrame:
        """One row per warm-up, fewest bars first."""
        return pd.DataFrame([asdict(r) for r in sorted(self.rows, key=lambda r: r.bars)])

    def verdict(self) -> str:
        """A sentence: from how much history the results are stable, and what less does."""
        ref, stable = self.reference, self.stable_from
        differing = [r for r in sorted(self.rows, key=lambda r: r.bars) if r.status == "differs"]
        if len(self.rows) < 2:
            return "only one amount of history fits the data: nothing to compare"
        if not differing:
            return f"results do not depend on the history: {self.rows[0].bars}+ bars all agree"
        detail = "; ".join(
            f"with {r.bars} bars positions differ until {cell_text(r.positions_differ_until)} "
            f"({r.bars_positioned_differently} bars)"
            for r in differing
        )
        if stable is None:
            return f"UNSTABLE: results still depend on the history below {ref.bars} bars: {detail}"
        return f"results stable with >= {stable} bars of history; {detail}"

    def to_dict(self) -> dict[str, Any]:
        """The whole report as JSON-able data."""
        return _document(
            {
                "check": "warmup",
                "strategy": self.strategy,
                "params": self.params,
                "start": self.start,
                "passed": self.passed,
                "stable_from": self.stable_from,
                "reference_bars": self.reference.bars,
                "tolerance": self.tolerance,
                "verdict": self.verdict(),
                "seconds": round(self.seconds, 3),
                "runs": [asdict(r) for r in sorted(self.rows, key=lambda r: r.bars)],
                "notes": self.notes,
            }
        )

    def to_markdown(self) -> str:
        """The table and the verdict."""
        head = f"Warm-up check of {self.strategy} from {cell_text(self.start)}: {self.verdict()}"
        return "\n".join([head, "", _markdown(self.table), *(f"note: {n}" for n in self.notes)])

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``warmup.csv`` and ``warmup.json``."""
        out = Path(out_dir).expanduser()
        out.mkdir(parents=True, exist_ok=True)
        paths = {"table": out / "warmup.csv", "report": out / "warmup.json"}
        self.table.to_csv(paths["table"], index=False)
        paths["report"].write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return paths


def check_warmup(
    strategy: StrategyLike,
    data: DataLike | None = None,
    *,
    start: str | pd.Timestamp | None = None,
    warmups: Sequence[int | str | None] = DEFAULT_WARMUPS,
    params: Mapping[str, Any] | None = None,
    tolerance: float = 0.05,
    **backtest_kwargs: Any,
) -> WarmupReport:
    """Run the period from ``start`` with each amount of history in ``warmups`` (bars; ``None``
    or ``"all"``: all the data has) before it, and compare each with the longest-history run.

    ``start`` defaults to the bar after the most history asked for (``"all"``: half the data;
    at most half the data).
    A run's positions differ from the reference on a bar where its net or gross exposure (a
    fraction of equity) is more than ``tolerance`` away. The data is rerun as frames, so it
    must be USD equity-like bars or trades (instruments are rebuilt from frames).
    """
    began = time.perf_counter()
    asked = _warmups(warmups)
    kwargs = {k: v for k, v in backtest_kwargs.items() if k not in ("symbols", "timeframe")}
    series = _load(strategy, data, backtest_kwargs)
    _check_frameable(series)
    events = [_event_ns(s) for s in series]
    stamps = np.unique(np.concatenate(events))
    first = max(int(e[0]) for e in events)
    at = _utc(start, "start") if start is not None else _default_start(stamps, first, asked)
    before = stamps[stamps < at.value]
    runs: dict[int, tuple[str, BacktestResult]] = {}
    for label, n in asked:
        bars = len(before) if n is None else min(n, len(before))
        if bars not in runs:
            since = int(before[len(before) - bars]) if bars else at.value
            frames = _frames(series, events, since)
            runner = _Runner(strategy, frames, params, {**kwargs, **_shared(series)})
            runs[bars] = (label, runner.run(start=at, end=kwargs.get("end")))
    ref = runs[max(runs)][1]
    rows = [_row(label, bars, res, ref, tolerance) for bars, (label, res) in runs.items()]
    notes = [f"asked {label} bars, the data has {len(before)}" for label, n in asked
             if n is not None and n > len(before)]  # fmt: skip
    return WarmupReport(ref.strategy, ref.params, at, rows, tolerance,
                        time.perf_counter() - began, notes)  # fmt: skip


def _warmups(warmups: Sequence[int | str | None]) -> list[tuple[str, int | None]]:
    out: list[tuple[str, int | None]] = []
    for w in warmups:
        if w is None or (isinstance(w, str) and w.strip().lower() == "all"):
            out.append(("all", None))
            continue
        try:
            n = int(w)
        except (TypeError, ValueError):
            raise InvalidValueError(f"warm-up {w!r} is not a number of bars or 'all'") from None
        if n < 0:
            raise InvalidValueError(f"warm-up {n} is negative; give bars of history (>= 0)")
        out.append((str(n), n))
    if not out:
        raise InvalidValueError("give at least one amount of warm-up history")
    return out


def _default_start(stamps: np.ndarray, first: int, asked: list[tuple[str, int | None]]) -> Any:
    """The bar after the most history asked for ("all": half the data), at most half-way."""
    span = stamps[stamps >= first]
    half = len(span) // 2
    most = max((half if n is None else n for _, n in asked), default=0)
    return pd.Timestamp(int(span[min(most, half)]), tz="UTC")


def _check_frameable(series: Sequence[Series]) -> None:
    """Refuse data that would not run as itself once passed as frames (USD equity bars)."""
    for s in series:
        if s.asset_class not in _EQUITY_LIKE or s.currency.upper() != "USD":
            raise InvalidValueError(
                f"check_warmup reruns the data as frames, which trade as USD equities; "
                f"{s.symbol} ({s.source}) is {s.asset_class} in {s.currency}, so those runs would "
                "not be the strategy's"
            )
        if s.stamp not in ("bar_open", "observation"):
            raise InvalidValueError(
                f"check_warmup reruns the data as frames stamped at the bar open; {s.symbol} "
                f"({s.source}) is stamped {s.stamp}"
            )
    if len({_calendar(s) for s in series}) > 1:
        raise InvalidValueError("check_warmup needs data on one calendar; got several")


def _calendar(s: Series) -> str | None:
    return None if s.calendar in (None, "none") or s.is_trades else s.calendar


def _shared(series: Sequence[Series]) -> dict[str, Any]:
    """The calendar and timeframe the frames need told (shared by all of them)."""
    bars = [s for s in series if not s.is_trades]
    frames = {s.timeframe for s in bars}
    calendar = next((_calendar(s) for s in bars), None)
    return {"calendar": calendar, "timeframe": frames.pop() if len(frames) == 1 else None}


def _frames(series: Sequence[Series], events: list[np.ndarray], since: int) -> dict[str, Any]:
    out: dict[str, list[pd.DataFrame]] = {}
    for s, ev in zip(series, events, strict=True):
        out.setdefault(s.symbol, []).append(s.frame.iloc[int(np.searchsorted(ev, since)) :])
    return {k: v[0] if len(v) == 1 else v for k, v in out.items()}


def _row(label: str, bars: int, res: BacktestResult, ref: BacktestResult, tol: float) -> WarmupRow:
    eq, base = res.equity, ref.equity
    both = pd.concat([eq["equity"], base["equity"]], axis=1, keys=["a", "b"])
    unequal = both.index[(both["a"] != both["b"]).to_numpy()]
    exposure = pd.concat(
        [(eq[c] / eq["equity"] - base[c] / base["equity"]).abs() for c in ("net", "gross")], axis=1
    ).max(axis=1)
    apart = exposure.index[(exposure > tol) | exposure.isna()]
    m = res.metrics
    status = "reference" if res is ref else "identical" if not len(unequal) else "aligned"
    return WarmupRow(
        warmup=label,
        bars=bars,
        first_bar=_first_bar(res),
        total_return=float(m.total_return),
        sharpe=float(m.sharpe_ratio),
        trades=int(m.number_of_trades or 0),
        fills=len(res.fills),
        first_trade=res.fills["ts"].min() if len(res.fills) else None,
        equity_differs_from=unequal[0] if len(unequal) else None,
        positions_differ_until=apart[-1] if len(apart) else None,
        bars_positioned_differently=len(apart),
        status="differs" if len(apart) else status,
    )


def _first_bar(res: BacktestResult) -> pd.Timestamp:
    firsts = [pd.Timestamp(d["first"]) for d in res.provenance.get("data", [])]
    return min(firsts) if firsts else res.equity.index[0]
