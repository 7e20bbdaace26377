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

import json
import math
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alphaforge.domain.errors import InvalidValueError
from alphaforge.runtime._bias_common import (
    StrategyFactory,
    StrategyLike,
    _document,
    _markdown,
    _Runner,
    _utc,
    cell_text,
)
from alphaforge.runtime._warmup import (
    DEFAULT_WARMUPS,  # noqa: F401  # importable from here, as before the warm-up check moved
    WarmupReport,
    WarmupRow,
    check_warmup,
)
from alphaforge.runtime.inputs import DataLike
from alphaforge.runtime.result import BacktestResult
from alphaforge.strategies import Strategy

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

_DECISION = ("created", "symbol", "side", "type", "quantity", "limit_price", "stop_price", "tag")
_FILL = ("ts", "symbol", "side", "quantity", "price")
_RANK = {"order": 0, "fill": 1, "equity": 2}  # a decision causes its fill, the fill the equity
WITH, WITHOUT = "only with the future", "only without the future"


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


# ---------------------------------------------------------------------------- formatting


def _num(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.12g}" if isinstance(value, float) else str(value)


def _diff_frame(rows: Sequence[Difference]) -> pd.DataFrame:
    frame = pd.DataFrame([asdict(d) for d in rows]).drop(columns=["cut"])
    return frame.rename(columns={"with_future": "with the future", "without_future": "without"})
