"""``compare``: every strategy on every asset it applies to, with costs, against buy-and-hold.

A comparison is a list of *jobs*, each one ordinary backtest that ``alphaforge backtest`` can
reproduce with the same arguments. Which strategy runs on what follows what the strategy says
about itself (``Strategy.universe``, ``min_symbols``, ``needs``, ``default_data``):

* a ``single`` strategy runs on each asset group whose data carries the fields it reads; on a
  group of several symbols (the 20 stocks) it trades each on its own signal in one account;
* a ``multi`` strategy runs on its ``default_data`` when it has one (from the first day all of
  those data exist, so a modelled series that starts in 2014 is not judged from 1999), else on
  every group with at least ``min_symbols`` symbols.

With a split date, each job is run twice: *in-sample* up to the day before the split and
*out-of-sample* from the split on (earlier bars only warm indicators up, so no position or
equity crosses the split), and the two are reported apart, never blended. Each row carries the
buy-and-hold of the same data over the same period with the same costs (for ``default_data``
jobs: of the first data set, the underlying), and the strategy's difference to it.

Jobs run in a process pool (one worker per core by default); a job that fails is reported as a
row with its error, so one broken combination does not hide the others.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from alphaforge.analytics.metrics import MIN_ANNUALIZED_YEARS
from alphaforge.core.suggest import did_you_mean
from alphaforge.data.bundled import dataset_info, list_datasets
from alphaforge.data.errors import UnknownDatasetError
from alphaforge.domain.errors import InvalidValueError
from alphaforge.strategies import Strategy, get_strategy, list_strategies

__all__ = [
    "DEFAULT_ASSETS",
    "AssetGroup",
    "CompareJob",
    "CompareResult",
    "asset_groups",
    "plan_jobs",
    "run_compare",
]


@dataclass(frozen=True)
class AssetGroup:
    """One thing to trade: a label and the bundled data set(s) (and symbols) behind it."""

    label: str
    data: tuple[str, ...]
    symbols: tuple[str, ...] = ()

    def fields(self) -> frozenset[str]:
        """The bar fields every series of the group carries."""
        found: set[str] | None = None
        for name in self.data:
            info = dataset_info(name)
            have = set(info.columns) if info.kind == "ohlcv" else {"close"}
            found = have if found is None else found & have
        return frozenset(found or ())

    def size(self) -> int:
        """How many symbols the group trades."""
        if self.symbols:
            return len(self.symbols)
        return sum(len(dataset_info(name).symbols) for name in self.data)


DEFAULT_ASSETS: tuple[AssetGroup, ...] = (
    AssetGroup("SPX", ("spx_daily",)),
    AssetGroup("NASDAQ", ("nasdaq_daily",)),
    AssetGroup("MSFT", ("msft_daily",)),
    AssetGroup("GOOG", ("goog_daily",)),
    AssetGroup("STOCKS20", ("stocks20_close",)),
    AssetGroup("EURUSD", ("eurusd_1h",)),
    AssetGroup("ETHBTC", ("binance_ethbtc_5m",)),
)
"""The bundled default: S&P 500, NASDAQ, MSFT, GOOG, the 20 stocks, EUR/USD and crypto."""


@dataclass(frozen=True)
class CompareJob:
    """One backtest of the comparison (``alphaforge backtest`` reproduces it)."""

    strategy: str
    asset: str
    data: tuple[str, ...]
    symbols: tuple[str, ...] = ()
    period: str = "full"  # "full", "in-sample" or "out-of-sample"
    start: str | None = None
    end: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    baseline_data: tuple[str, ...] = ()

    def command(self) -> str:
        """The ``alphaforge backtest`` command line that reproduces this job."""
        parts = ["alphaforge backtest", f"--strategy {self.strategy}"]
        parts += [f"-p {k}={v}" for k, v in self.params.items()]
        parts += [f"--data {d}" for d in self.data]
        parts += [f"--symbols {s}" for s in self.symbols]
        if self.start:
            parts.append(f"--start {self.start}")
        if self.end:
            parts.append(f"--end '{self.end}'")
        return " ".join(parts)


ROW_COLUMNS = (
    "strategy", "asset", "period", "start", "end", "years", "total_return", "cagr", "sharpe",
    "sortino", "max_drawdown", "trades", "exposure", "costs", "bh_total_return", "bh_cagr",
    "bh_sharpe", "bh_max_drawdown", "excess_return", "excess_cagr", "excess_sharpe", "seconds",
    "error", "command",
)  # fmt: skip


@dataclass
class CompareResult:
    """The comparison table (one row per strategy, asset and period) and how long it took."""

    table: pd.DataFrame
    seconds: float
    split: str | None
    settings: dict[str, Any]

    def periods(self) -> list[str]:
        """The periods present, in-sample first."""
        order = ["in-sample", "out-of-sample", "full"]
        return [p for p in order if p in set(self.table["period"])]

    def to_markdown(self) -> str:
        """The table as GitHub Markdown, one block per period (what docs quote, unedited)."""
        blocks = []
        for period in self.periods():
            part = self.table[self.table["period"] == period]
            blocks.append(f"**{period}**\n\n{markdown_table(part)}")
        return "\n\n".join(blocks) + "\n"


def asset_groups(symbols: Sequence[str] | None) -> list[AssetGroup]:
    """Resolve ``--symbols``: a bundled data set name is a group of all its symbols; a symbol is
    the first bundled data set holding it (OHLCV sets before close-only ones)."""
    if not symbols:
        return list(DEFAULT_ASSETS)
    datasets = list_datasets()
    names = {d.name for d in datasets}
    ranked = sorted(
        (d for d in datasets if d.kind in ("ohlcv", "close")),
        key=lambda d: (d.kind != "ohlcv", len(d.symbols)),
    )
    out: list[AssetGroup] = []
    for raw in symbols:
        if raw in names:
            out.append(AssetGroup(_label([raw]), (raw,)))
            continue
        wanted = raw.upper()
        match = next((d for d in ranked if wanted in d.symbols), None)
        if match is None:
            known = sorted({s for d in ranked for s in d.symbols} | names)
            raise UnknownDatasetError(f"no bundled data holds {raw!r}{did_you_mean(raw, known)}")
        subset = (wanted,) if len(match.symbols) > 1 else ()
        out.append(AssetGroup(wanted, (match.name,), subset))
    return out


def _applies(kind: type[Strategy], group: AssetGroup) -> bool:
    if not kind.needs <= group.fields():
        return False
    if kind.universe == "multi":
        return group.size() >= kind.min_symbols and group.size() > 1
    return True


def plan_jobs(
    strategies: Sequence[str] | None = None,
    groups: Sequence[AssetGroup] | None = None,
    *,
    split: str | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[CompareJob]:
    """The jobs of a comparison: strategy x applicable asset x period (see module docstring).

    ``strategies`` default to every registered one except ``buy_and_hold`` (the baseline of
    every row); ``params`` maps a strategy name to parameters other than its defaults.
    """
    kinds = (
        [get_strategy(name) for name in strategies]
        if strategies
        else [k for k in list_strategies() if k.strategy_name() != "buy_and_hold"]
    )
    groups = list(groups) if groups is not None else list(DEFAULT_ASSETS)
    jobs: list[CompareJob] = []
    for kind in kinds:
        name = kind.strategy_name()
        chosen = dict((params or {}).get(name, {}))
        kind.parse_params(chosen)  # a bad parameter fails here, before any process starts
        targets: list[AssetGroup]
        start: str | None = None
        if kind.default_data:
            targets = [AssetGroup(_label(kind.default_data), tuple(kind.default_data))]
            baseline: tuple[str, ...] = (kind.default_data[0],)
            first, _ = _span(kind.default_data)
            start = None if first is None else first.isoformat()  # when all of its data exist
        else:
            targets = [g for g in groups if _applies(kind, g)]
            baseline = ()
        for group in targets:
            base = CompareJob(
                name, group.label, group.data, group.symbols, start=start, params=chosen,
                baseline_data=baseline or group.data,
            )  # fmt: skip
            jobs.extend(_periods(base, split))
    return jobs


def _label(data: Sequence[str]) -> str:
    """A short name for a list of data sets: SPX+VIX+spx_straddle_dh."""
    parts = []
    for name in data:
        if ":" in name:
            parts.append(name.split(":", 1)[1])
            continue
        info = dataset_info(name)
        parts.append(info.symbols[0] if len(info.symbols) == 1 else name.split("_")[0].upper())
    return "+".join(parts)


def _periods(job: CompareJob, split: str | None) -> list[CompareJob]:
    """The job's in-sample and out-of-sample runs; a side the data does not reach is left out
    (EUR/USD 2017-18 split at 2014 has only an out-of-sample period)."""
    if split is None:
        return [job]
    cut = _utc(split)
    first, last = _span(job.data)
    out = []
    if first is None or first < cut:
        out.append(replace(job, period="in-sample", end=(cut - pd.Timedelta(1, "ns")).isoformat()))
    if last is None or last >= cut:
        begin = max(cut, _utc(job.start)) if job.start else cut
        out.append(replace(job, period="out-of-sample", start=begin.isoformat()))
    return out


def _span(data: Sequence[str]) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """First and last day all of ``data`` cover: from the bundled metadata, else (modelled or
    catalog series) from the loaded series themselves."""
    from alphaforge.runtime.inputs import load_series  # noqa: PLC0415  # only when needed

    firsts, lasts = [], []
    for name in data:
        try:
            info = dataset_info(name)
        except UnknownDatasetError:
            for series in load_series(name):
                index = series.frame.index
                firsts.append(index[0].normalize())
                lasts.append(index[-1].normalize() + pd.Timedelta(1, "D"))
            continue
        firsts.append(pd.Timestamp(info.first, tz="UTC"))
        lasts.append(pd.Timestamp(info.last, tz="UTC") + pd.Timedelta(1, "D"))
    return (max(firsts) if firsts else None, min(lasts) if lasts else None)


def _utc(text: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(text)
    except ValueError:
        raise InvalidValueError(
            f"split {text!r} is not a date (expected e.g. 2014-01-01)"
        ) from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


# ---------------------------------------------------------------------------- running


def run_compare(
    jobs: Sequence[CompareJob],
    *,
    workers: int | None = None,
    split: str | None = None,
    settings: Mapping[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CompareResult:
    """Run ``jobs`` and their buy-and-hold baselines; return the table.

    ``settings`` are ``backtest`` arguments every job shares (cash, commission_bps,
    slippage_bps, fill ...). ``workers``: processes (default: one per core; 1 runs in this
    process, which tests and debuggers prefer). ``progress(done, total)`` is called as jobs end.
    """
    shared = dict(settings or {})
    baselines = {_baseline_key(j): _baseline_job(j) for j in jobs}
    tasks: list[tuple[str, CompareJob]] = [("job", j) for j in jobs]
    tasks += [("baseline", b) for b in baselines.values()]
    t0 = time.perf_counter()
    outputs = _execute(tasks, shared, workers, progress)
    seconds = time.perf_counter() - t0
    found = {
        _baseline_key(job): out
        for (kind, job), out in zip(tasks, outputs, strict=True)
        if kind == "baseline"
    }
    rows = []
    for job, out in zip(jobs, outputs[: len(jobs)], strict=True):
        rows.append(_row(job, out, found.get(_baseline_key(job), {})))
    table = pd.DataFrame(rows, columns=list(ROW_COLUMNS))
    return CompareResult(table, seconds, split, shared)


def _baseline_key(job: CompareJob) -> tuple[Any, ...]:
    data = job.baseline_data or job.data
    symbols = job.symbols if data == job.data else ()
    return (data, symbols, job.period, job.start, job.end)


def _baseline_job(job: CompareJob) -> CompareJob:
    data = job.baseline_data or job.data
    symbols = job.symbols if data == job.data else ()
    return replace(job, strategy="buy_and_hold", data=data, symbols=symbols, params={})


def _execute(
    tasks: Sequence[tuple[str, CompareJob]],
    settings: Mapping[str, Any],
    workers: int | None,
    progress: Callable[[int, int], None] | None,
) -> list[dict[str, Any]]:
    n = len(tasks)
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or n <= 1:
        outputs = []
        for i, (_, job) in enumerate(tasks):
            outputs.append(run_job(job, settings))
            if progress:
                progress(i + 1, n)
        return outputs
    results: list[dict[str, Any] | None] = [None] * n
    # Longest first (multi-asset and default-data jobs), so no worker is left with a long tail.
    order = sorted(range(n), key=lambda i: -_weight(tasks[i][1]))
    with ProcessPoolExecutor(max_workers=min(workers, n)) as pool:
        futures = {pool.submit(run_job, tasks[i][1], dict(settings)): i for i in order}
        for done, future in enumerate(_as_completed(futures), start=1):
            results[futures[future]] = future.result()
            if progress:
                progress(done, n)
    return [r if r is not None else {"error": "not run"} for r in results]


def _as_completed(futures: Iterable[Any]) -> Iterable[Any]:
    from concurrent.futures import as_completed  # noqa: PLC0415  # only for the pool path

    return as_completed(list(futures))


def _weight(job: CompareJob) -> float:
    size = 0
    for name in job.data:
        try:
            size += len(dataset_info(name).symbols)
        except UnknownDatasetError:
            size += 1  # modelled or catalog data: one series
    return size * (3.0 if job.strategy != "buy_and_hold" else 1.0)


def run_job(job: CompareJob, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Run one job; return its figures, or ``{"error": ...}`` (never raises for a bad combination:
    the table shows it)."""
    from alphaforge.runtime.driver import backtest  # noqa: PLC0415  # heavy; workers import it

    t0 = time.perf_counter()
    data: str | list[str] = job.data[0] if len(job.data) == 1 else list(job.data)
    try:
        result = backtest(
            job.strategy,
            data,
            params=dict(job.params),
            symbols=list(job.symbols) or None,
            start=job.start,
            end=job.end,
            **settings,
        )
    except (InvalidValueError, UnknownDatasetError, ValueError) as exc:
        return {"error": str(exc), "seconds": time.perf_counter() - t0}
    m = result.metrics
    return {
        "start": m.start,
        "end": m.end,
        "years": m.periods / m.periods_per_year if m.periods_per_year else None,
        "total_return": m.total_return,
        "cagr": m.annual_return,
        "sharpe": m.sharpe_ratio,
        "sortino": m.sortino_ratio,
        "max_drawdown": m.max_drawdown,
        "trades": m.number_of_trades,
        "exposure": m.exposure,
        "costs": m.total_costs,
        "seconds": time.perf_counter() - t0,
        "error": "",
    }


def _row(job: CompareJob, out: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "strategy": job.strategy,
        "asset": job.asset,
        "period": job.period,
        "command": job.command(),
    }
    for key in ("start", "end", "years", "total_return", "cagr", "sharpe", "sortino",
                "max_drawdown", "trades", "exposure", "costs", "seconds"):  # fmt: skip
        row[key] = out.get(key)
    row["error"] = out.get("error") or ""
    for key in ("total_return", "cagr", "sharpe", "max_drawdown"):
        row[f"bh_{key}"] = base.get(key)
    years = row["years"]
    if isinstance(years, int | float) and years < MIN_ANNUALIZED_YEARS:
        for key in ("cagr", "sharpe", "sortino", "bh_cagr", "bh_sharpe"):
            row[key] = None  # weeks of minutes scaled to a year are noise, not figures
    row["excess_return"] = _minus(row["total_return"], row["bh_total_return"])
    row["excess_cagr"] = _minus(row["cagr"], row["bh_cagr"])
    row["excess_sharpe"] = _minus(row["sharpe"], row["bh_sharpe"])
    return row


def _minus(a: object, b: object) -> float | None:
    if isinstance(a, int | float) and isinstance(b, int | float):
        value = float(a) - float(b)
        return None if math.isnan(value) else value
    return None


# ---------------------------------------------------------------------------- rendering


def markdown_table(table: pd.DataFrame) -> str:
    """The key columns as a Markdown table (percentages and ratios rounded for reading)."""
    headers = ["strategy", "asset", "period", "years", "return", "CAGR", "Sharpe", "Sortino",
               "max DD", "trades", "exposure", "costs", "B&H return", "B&H CAGR", "B&H Sharpe",
               "return vs B&H", "CAGR vs B&H", "Sharpe vs B&H"]  # fmt: skip
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for r in table.to_dict("records"):
        head = [str(r["strategy"]), str(r["asset"]), str(r["period"])]
        if r["error"]:
            cells = [*head, f"error: {r['error']}"] + [""] * (len(headers) - 4)
        else:
            cells = [
                *head, _num(r["years"], 2), _pct(r["total_return"]), _pct(r["cagr"]),
                _num(r["sharpe"]), _num(r["sortino"]), _pct(r["max_drawdown"]),
                str(int(r["trades"])), _pct(r["exposure"]), _money(r["costs"]),
                _pct(r["bh_total_return"]), _pct(r["bh_cagr"]), _num(r["bh_sharpe"]),
                _pct(r["excess_return"]), _pct(r["excess_cagr"]), _num(r["excess_sharpe"]),
            ]  # fmt: skip
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def _pct(value: object) -> str:
    return "n/a" if not _finite(value) else f"{float(value) * 100:.2f}%"  # type: ignore[arg-type]


def _num(value: object, digits: int = 2) -> str:
    return "n/a" if not _finite(value) else f"{float(value):.{digits}f}"  # type: ignore[arg-type]


def _money(value: object) -> str:
    """Costs in the account currency: whole units, or three significant digits when small."""
    if not _finite(value):
        return "n/a"
    number = float(value)  # type: ignore[arg-type]
    return f"{number:,.0f}" if abs(number) >= 10 else f"{number:.3g}"


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(float(value))
