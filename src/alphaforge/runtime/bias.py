"""Bias checks: does a strategy peek at the future, and do its results hang on the history?

``check_lookahead`` runs a strategy in full and again cut short at a few bars, and lists every
order decision, fill and equity point up to each cut that changes once the bars after the cut
exist: a strategy that uses only the past decides the same with or without them. Orders sent on
the last bar before a cut are compared as decisions (symbol, side, type, quantity, prices, tag),
not by their fate, which the cut run cannot know.

``check_warmup`` runs one period (same ``start``) with different amounts of history before it
and reports how the results move: indicators not yet warm, or state that grows with the history,
make the first bars trade differently. See ``docs/bias_checks.md``.

A strategy built *from* the data (a signal precomputed on a DataFrame, a model fitted on it) is
checked by passing a factory, ``f(frames) -> Strategy``: each run builds it from the frames that
run sees, so a peek inside the precomputation shows. An instance handed over already built keeps
whatever it captured, and no cut can reach that (the report says so when it holds dated data).
"""

from __future__ import annotations

import copy
import json
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alphaforge.data.catalog_args import time_bound
from alphaforge.data.feed import HistoricalFeed
from alphaforge.domain.errors import InvalidValueError
from alphaforge.runtime.driver import backtest
from alphaforge.runtime.inputs import DataLike, Series, load_series
from alphaforge.runtime.result import BacktestResult
from alphaforge.strategies import Strategy, get_strategy

__all__ = [
    "Difference",
    "LookaheadReport",
    "StrategyFactory",
    "StrategyLike",
    "WarmupReport",
    "WarmupRow",
    "cell_text",
    "check_lookahead",
    "check_warmup",
    "default_cuts",
]

StrategyFactory = Callable[[Mapping[str, pd.DataFrame]], Strategy]
"""Builds a strategy from the frames a run sees, by symbol (a second timeframe of a symbol as
``"SYMBOL 1h"``)."""
StrategyLike = str | type[Strategy] | Strategy | StrategyFactory

_DECISION = ("created", "symbol", "side", "type", "quantity", "limit_price", "stop_price", "tag")
_FILL = ("ts", "symbol", "side", "quantity", "price")
_RANK = {"order": 0, "fill": 1, "equity": 2}  # a decision causes its fill, the fill the equity
WITH, WITHOUT = "only with the future", "only without the future"
DEFAULT_WARMUPS: tuple[int | None, ...] = (0, 50, 100, 250, 500, 1000, None)  # None: all
_EQUITY_LIKE = {"equity", "index", "etf", "volatility", "commodity"}


# ---------------------------------------------------------------------------- look-ahead


@dataclass(frozen=True)
class Difference:
    """One signal up to a cut that is not the same with and without the bars after it."""

    cut: pd.Timestamp
    signal: str  # "order" (a decision), "fill" or "equity"
    ts: pd.Timestamp  # when it happened: an order's creation, a fill, an equity point
    change: str  # "changed", "only with the future" or "only without the future"
    fields: str  # what differs, for a changed row
    with_future: str
    without_future: str

    def describe(self) -> str:
        """One line: ``order at 2010-03-04 ...: buy 12 SPX market with the future known, ...``."""
        what = f"{self.signal} at {cell_text(self.ts)}"
        if self.change == "changed":
            return (
                f"{what} ({self.fields}): {self.with_future} with the future known, "
                f"{self.without_future} without"
            )
        shown = self.with_future if self.change == WITH else self.without_future
        return f"{what} {self.change} known: {shown}"


@dataclass
class LookaheadReport:
    """Every difference :func:`check_lookahead` found, by cut; ``passed`` when there is none."""

    strategy: str
    params: dict[str, Any]
    cuts: list[pd.Timestamp]
    differences: list[Difference]
    compared: list[dict[str, Any]]  # per cut: bars, orders and fills compared, differences
    full: BacktestResult
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """No signal up to any cut changed with the future."""
        return not self.differences

    @property
    def first(self) -> Difference | None:
        """The earliest difference (a decision before the fill and equity it causes)."""
        if not self.differences:
            return None
        return min(self.differences, key=lambda d: (d.ts, _RANK[d.signal], d.cut))

    @property
    def table(self) -> pd.DataFrame:
        """Every difference, one row each, by cut and time."""
        columns = [f.name for f in Difference.__dataclass_fields__.values()]
        return pd.DataFrame([asdict(d) for d in self.differences], columns=columns)

    @property
    def cuts_table(self) -> pd.DataFrame:
        """What was compared at each cut and how much of it differed."""
        return pd.DataFrame(self.compared)

    def at(self, cut: pd.Timestamp) -> list[Difference]:
        """The differences at one cut, in time order."""
        return [d for d in self.differences if d.cut == cut]

    def to_dict(self) -> dict[str, Any]:
        """The whole report as JSON-able data (every difference)."""
        first = self.first
        return _document(
            {
                "check": "lookahead",
                "strategy": self.strategy,
                "params": self.params,
                "passed": self.passed,
                "run_id": self.full.run_id,
                "period": self.full.provenance.get("period"),
                "seconds": round(self.seconds, 3),
                "cuts": self.compared,
                "first": None if first is None else asdict(first),
                "differences": [asdict(d) for d in self.differences],
                "notes": self.notes,
            }
        )

    def to_markdown(self, max_rows: int = 10) -> str:
        """A summary table per cut and up to ``max_rows`` differences of each cut."""
        lines = [f"Look-ahead check of {self.strategy}: {self.verdict()}", ""]
        lines.append(_markdown(self.cuts_table))
        for cut in self.cuts:
            rows = self.at(cut)
            if rows:
                lines += ["", f"Cut at {cell_text(cut)}: {len(rows)} differences", ""]
                lines.append(_markdown(_diff_frame(rows[:max_rows])))
                if len(rows) > max_rows:
                    lines.append(f"... and {len(rows) - max_rows} more")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def verdict(self) -> str:
        """One sentence: passed, or how many differences and the first of them."""
        if self.passed:
            return f"no look-ahead found at {len(self.cuts)} cuts"
        assert self.first is not None  # noqa: S101  # not passed: there is a first
        return (
            f"LOOK-AHEAD: {len(self.differences)} signals change once the future is known; "
            f"first: {self.first.describe()}"
        )

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``lookahead_differences.csv``, ``lookahead_cuts.csv`` and ``lookahead.json``."""
        out = Path(out_dir).expanduser()
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "differences": out / "lookahead_differences.csv",
            "cuts": out / "lookahead_cuts.csv",
            "report": out / "lookahead.json",
        }
        self.table.to_csv(paths["differences"], index=False)
        self.cuts_table.to_csv(paths["cuts"], index=False)
        paths["report"].write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return paths


def check_lookahead(
    strategy: StrategyLike,
    data: DataLike | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    cuts: Sequence[str | pd.Timestamp] | int | None = None,
    fail_fast: bool = False,
    **backtest_kwargs: Any,
) -> LookaheadReport:
    """Run ``strategy`` in full and ended at each cut; report every signal up to a cut that
    differs between the two runs.

    ``cuts``: timestamps, or a number ``n`` of evenly spaced cuts (see :func:`default_cuts`;
    default 2, which gives about 4 cuts). ``fail_fast``: stop after the first cut that differs.
    ``backtest_kwargs`` go to :func:`~alphaforge.runtime.backtest` (``start``, ``end``, ...).
    """
    began = time.perf_counter()
    runner = _Runner(strategy, data, params, backtest_kwargs)
    full = runner.run(end=backtest_kwargs.get("end"))
    stamps = pd.DatetimeIndex(full.equity.index)
    if cuts is None or isinstance(cuts, int):
        wanted = default_cuts(stamps, 2 if cuts is None else cuts)
    else:
        wanted = sorted({_utc(c, "cut") for c in cuts})
    if not wanted:
        raise InvalidValueError("cuts is empty; give at least one cut (or leave it out)")
    for at in wanted:
        if at >= stamps[-1]:
            raise InvalidValueError(f"cut {at} is not before the run's last bar ({stamps[-1]})")
    differences: list[Difference] = []
    compared: list[dict[str, Any]] = []
    for at in wanted:
        found, counts = _compare(full, runner.run(end=at), at)
        differences += found
        compared.append(counts)
        if found and fail_fast:
            break
    return LookaheadReport(
        strategy=full.strategy,
        params=full.params,
        cuts=wanted,
        differences=differences,
        compared=compared,
        full=full,
        seconds=time.perf_counter() - began,
        notes=_held_data(strategy, min(wanted)),
    )


def default_cuts(stamps: pd.DatetimeIndex, n: int = 2) -> list[pd.Timestamp]:
    """``n`` bars evenly spaced through the run (at 1/(n+1), 2/(n+1), ...), and the first bar
    of the month after each: a monthly rebalance decides on that bar, and a peek is only
    visible where a decision is taken."""
    if n < 1:
        raise InvalidValueError(f"the number of cuts must be at least 1; got {n}")
    if len(stamps) < 3:
        raise InvalidValueError("the run has fewer than 3 bars; pass cuts=")
    found: list[pd.Timestamp] = []
    months = stamps.year * 12 + stamps.month
    for k in range(1, n + 1):
        i = min(k * len(stamps) // (n + 1), len(stamps) - 2)
        found.append(stamps[i])
        later = stamps[(stamps > stamps[i]) & (months != months[i])]
        if len(later) and later[0] < stamps[-1]:
            found.append(later[0])
    return sorted(set(found))


def _compare(
    full: BacktestResult, part: BacktestResult, cut: pd.Timestamp
) -> tuple[list[Difference], dict[str, Any]]:
    orders = _row_diffs(full.orders, part.orders, "created", _DECISION, cut, "order")
    fills = _row_diffs(full.fills, part.fills, "ts", _FILL, cut, "fill")
    equity = _equity_diffs(full.equity["equity"], part.equity["equity"], cut)
    found = sorted(orders + fills + equity, key=lambda d: (d.ts, _RANK[d.signal]))
    counts = {
        "cut": cut,
        "bars": int((part.equity.index <= cut).sum()),
        "orders": int((part.orders["created"] <= cut).sum()) if len(part.orders) else 0,
        "fills": int((part.fills["ts"] <= cut).sum()) if len(part.fills) else 0,
        "order differences": len(orders),
        "fill differences": len(fills),
        "equity differences": len(equity),
        "first difference": found[0].ts if found else None,
    }
    return found, counts


def _equity_diffs(full: pd.Series, part: pd.Series, cut: pd.Timestamp) -> list[Difference]:
    both = pd.concat([full[full.index <= cut], part[part.index <= cut]], axis=1, keys=["a", "b"])
    a, b = both["a"].to_numpy(), both["b"].to_numpy()
    differ = ~((a == b) | (np.isnan(a) & np.isnan(b)))
    out = []
    for ts, x, y in zip(both.index[differ], a[differ], b[differ], strict=True):
        change = WITH if math.isnan(y) else WITHOUT if math.isnan(x) else "changed"
        out.append(Difference(cut, "equity", ts, change, "equity", _num(x), _num(y)))
    return out


def _row_diffs(
    a: pd.DataFrame,
    b: pd.DataFrame,
    stamp: str,
    columns: Sequence[str],
    cut: pd.Timestamp,
    signal: str,
) -> list[Difference]:
    """Rows of ``a`` and ``b`` up to ``cut`` matched as multisets; leftovers at the same stamp
    and symbol are paired as changed, the rest are in one run only."""
    cols = [c for c in columns if c in a.columns and c in b.columns]
    left, right = _rows(a, stamp, cols, cut), _rows(b, stamp, cols, cut)
    common = Counter(left) & Counter(right)
    only_a, only_b = _unmatched(left, common), _unmatched(right, common)
    by_key: dict[tuple[Any, Any], tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]
    by_key = defaultdict(lambda: ([], []))
    for row in only_a:
        by_key[row[:2]][0].append(row)
    for row in only_b:
        by_key[row[:2]][1].append(row)
    out = []
    for (ts, _), (xs, ys) in sorted(by_key.items(), key=lambda kv: kv[0][0]):
        for x, y in zip(xs, ys, strict=False):
            fields = ", ".join(c for c, u, v in zip(cols, x, y, strict=True) if u != v)
            out.append(Difference(cut, signal, ts, "changed", fields,
                                  _show(signal, cols, x), _show(signal, cols, y)))  # fmt: skip
        for x in xs[len(ys) :]:
            out.append(Difference(cut, signal, ts, WITH, "", _show(signal, cols, x), ""))
        for y in ys[len(xs) :]:
            out.append(Difference(cut, signal, ts, WITHOUT, "", "", _show(signal, cols, y)))
    return out


def _rows(frame: pd.DataFrame, stamp: str, cols: list[str], cut: pd.Timestamp) -> list[tuple]:  # type: ignore[type-arg]
    if not len(frame):
        return []
    part = frame.loc[frame[stamp] <= cut, cols]
    return [
        tuple(None if isinstance(v, float) and math.isnan(v) else v for v in row)
        for row in part.itertuples(index=False, name=None)
    ]


def _unmatched(rows: list[tuple], common: Counter[tuple]) -> list[tuple]:  # type: ignore[type-arg]
    left = Counter(common)
    out = []
    for row in rows:
        if left[row] > 0:
            left[row] -= 1
        else:
            out.append(row)
    return out


def _show(signal: str, cols: list[str], row: tuple[Any, ...]) -> str:
    """An order or fill in words: ``buy 57 SPX market``, ``sell 3 SPX at 2701.25``."""
    r = dict(zip(cols, row, strict=True))
    text = f"{r.get('side')} {_num(r.get('quantity'))} {r.get('symbol')}"
    if signal == "fill":
        return f"{text} at {_num(r.get('price'))}"
    text += f" {r.get('type')}"
    for key in ("limit_price", "stop_price"):
        if r.get(key) is not None:
            text += f" {key.removesuffix('_price')} {_num(r[key])}"
    return text + (f" [{r['tag']}]" if r.get("tag") else "")


def _held_data(strategy: StrategyLike, cut: pd.Timestamp) -> list[str]:
    """Notes on dated data a ready-made instance holds past the first cut: no cut reaches it."""
    if not isinstance(strategy, Strategy):
        return []
    notes = []
    for name, value in vars(strategy).items():
        index = getattr(value, "index", None)
        if isinstance(value, pd.DataFrame | pd.Series) and isinstance(index, pd.DatetimeIndex):
            last = index.max()
            last = last.tz_localize("UTC") if last.tzinfo is None else last
            if len(index) and last > cut:
                notes.append(
                    f"the strategy instance holds {name!r} with data up to {last}, past the cut "
                    f"at {cut}; no cut can show a peek into it: pass a factory that builds the "
                    "strategy from the frames of each run"
                )
    return notes


# ---------------------------------------------------------------------------- warm-up


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


# ---------------------------------------------------------------------------- running


class _Runner:
    """Runs one strategy (a name, class, instance or factory) the same way each time."""

    def __init__(
        self,
        strategy: StrategyLike,
        data: DataLike | None,
        params: Mapping[str, Any] | None,
        kwargs: Mapping[str, Any],
    ) -> None:
        self.strategy, self.params = strategy, params
        self.kwargs = {k: v for k, v in kwargs.items() if k != "end"}
        self.factory = callable(strategy) and not isinstance(strategy, type | Strategy)
        if (self.factory or isinstance(strategy, Strategy)) and params:
            raise InvalidValueError("pass params to the strategy's constructor or factory")
        self.data = "spx_daily" if data is None and self.factory else data
        self.series = _load(strategy, self.data, kwargs) if self.factory else None

    def run(self, *, end: Any = None, start: Any = None) -> BacktestResult:
        kwargs = {**self.kwargs, **({"start": start} if start is not None else {})}
        if self.series is not None:
            built = self.strategy(_known(self.series, end))  # type: ignore[operator]
            if not isinstance(built, Strategy):
                raise InvalidValueError(f"the factory returned {type(built).__name__}, not a "
                                        "Strategy")  # fmt: skip
            return backtest(built, self.data, end=end, **kwargs)
        if isinstance(self.strategy, Strategy):
            return backtest(copy.deepcopy(self.strategy), self.data, end=end, **kwargs)
        return backtest(self.strategy, self.data, params=self.params, end=end, **kwargs)  # type: ignore[arg-type]


def _load(strategy: StrategyLike, data: DataLike | None, kwargs: Mapping[str, Any]) -> list[Series]:
    """The series a run of ``strategy`` on ``data`` reads (its default data when None)."""
    if data is None:
        cls: type[Strategy] | None = None
        if isinstance(strategy, str):
            cls = get_strategy(strategy)
        elif isinstance(strategy, type):
            cls = strategy
        elif isinstance(strategy, Strategy):
            cls = type(strategy)
        data = (list(cls.default_data) if cls is not None else []) or "spx_daily"
    return load_series(data, symbols=kwargs.get("symbols"), timeframe=kwargs.get("timeframe"),
                       calendar=kwargs.get("calendar"), config=kwargs.get("config"))  # fmt: skip


def _event_ns(s: Series) -> np.ndarray:
    """When each row of ``s`` becomes known (``ts_event``, UTC ns), as the feed stamps it."""
    if s.is_trades:
        return np.asarray(s.frame.index.as_unit("ns").asi8)  # type: ignore[attr-defined]
    feed = HistoricalFeed()
    feed.add_bars(s.symbol, s.timeframe, s.frame, stamp=s.stamp, calendar=s.calendar)
    return np.asarray(feed.arrays().ts_event)


def _known(series: Sequence[Series], end: Any) -> dict[str, pd.DataFrame]:
    """Each series' rows known by ``end`` (all without one), keyed as a factory receives them."""
    bound = time_bound(end, "end", end=True)
    out: dict[str, pd.DataFrame] = {}
    for s in series:
        frame = s.frame
        if bound is not None:
            frame = frame.iloc[: int(np.searchsorted(_event_ns(s), bound.value, side="right"))]
        out[s.symbol if s.symbol not in out else f"{s.symbol} {s.timeframe}"] = frame
    return out


# ---------------------------------------------------------------------------- formatting


def _utc(value: str | pd.Timestamp, name: str) -> pd.Timestamp:
    if isinstance(value, pd.Timestamp) and value.tzinfo is None:
        value = value.tz_localize("UTC")  # a naive stamp in a data frame's index means UTC
    stamp = time_bound(value, name)
    if stamp is None:
        raise InvalidValueError(f"{name} is missing")
    return stamp


def _num(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.12g}" if isinstance(value, float) else str(value)


def cell_text(value: Any) -> str:
    """A value for a table cell: blank when missing, floats to 6 significant digits."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M")  # UTC, as every stamp of a run
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _diff_frame(rows: Sequence[Difference]) -> pd.DataFrame:
    frame = pd.DataFrame([asdict(d) for d in rows]).drop(columns=["cut"])
    return frame.rename(columns={"with_future": "with the future", "without_future": "without"})


def _markdown(frame: pd.DataFrame) -> str:
    """A pipe table without the optional ``tabulate`` dependency."""
    cells = [[str(c) for c in frame.columns]] + [
        [cell_text(v) for v in row] for row in frame.itertuples(index=False, name=None)
    ]
    lines = ["| " + " | ".join(row) + " |" for row in cells]
    lines.insert(1, "|" + "---|" * len(frame.columns))
    return "\n".join(lines)


def _document(value: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): _plain(v) for k, v in value.items()}


def _plain(value: Any) -> Any:
    """JSON-able: timestamps as ISO text, non-finite floats as None, numpy scalars as Python."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
