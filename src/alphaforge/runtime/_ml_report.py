"""The result of an ML experiment (``alphaforge.runtime.ml_experiment``): its tables, Markdown
(what ``docs/ml.md`` quotes unedited) and the files ``alphaforge ml replicate --out`` writes."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alphaforge.runtime.result import BacktestResult

__all__ = ["ExperimentResult", "Registered", "markdown", "performance_row"]


@dataclass(frozen=True)
class Registered:
    """The model version an experiment logged, and what the gate said about it."""

    name: str
    version: int
    tracking_uri: str
    promoted: bool
    decision: str

    @property
    def spec(self) -> str:
        """How ``ml_signal`` names it: ``NAME@VERSION``."""
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class ExperimentResult:
    """Everything an ML experiment produced.

    ``predictions``: the out-of-sample scores (no row was predicted by a model that saw its
    label); ``target``: the raw label on those rows; ``folds``: one row per walk-forward fold
    (training span, the last label end ``train_last_t1`` before the test block, rows, fit
    time); ``scores``: IC figures (cross-sectional) or classification scores (single asset) per
    year and ``all``; ``signal``: the scores' summary, the model's and a baseline's;
    ``performance``: the backtests after costs; ``ic`` / ``rank_ic``: per date (or rolling).
    """

    kind: str
    settings: Mapping[str, Any]
    predictions: pd.Series
    target: pd.Series
    folds: pd.DataFrame
    scores: pd.DataFrame
    signal: pd.DataFrame
    performance: pd.DataFrame
    backtests: Mapping[str, BacktestResult]
    timings: Mapping[str, float]
    registered: Registered | None = None
    ic: pd.Series | None = None
    rank_ic: pd.Series | None = None
    notes: Sequence[str] = field(default_factory=tuple)

    def to_markdown(self) -> str:
        """Settings, the signal's quality, per year, and the out-of-sample performance."""
        parts = [
            "**Settings**\n\n" + markdown(_settings_frame(self.settings), index="setting"),
            "**Signal quality (out of sample)**\n\n" + markdown(self.signal, index="signal"),
            "**By year**\n\n" + markdown(_yearly(self.scores), index="year"),
            "**Out-of-sample performance after costs**\n\n"
            + markdown(self.performance, index="strategy"),
            "**Walk-forward**\n\n" + _folds_text(self.folds),
            "**Wall time**\n\n" + ", ".join(f"{k} {v:.1f} s" for k, v in self.timings.items()),
        ]
        if self.registered is not None:
            r = self.registered
            verdict = "promoted to production" if r.promoted else "not promoted"
            parts.append(
                f"**Registry**\n\n{r.spec} at {r.tracking_uri}: gate {r.decision}, {verdict}"
            )
        return "\n\n".join(parts) + "\n"

    def write(self, out_dir: str | Path, *, tearsheet: bool = True) -> dict[str, Path]:
        """Write the tables (CSV), ``report.md``, ``summary.json``, ``predictions.csv`` and each
        backtest's files (``backtests/<name>/``, tearsheet HTML included); return the paths."""
        out = Path(out_dir).expanduser()
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "report": out / "report.md",
            "summary": out / "summary.json",
            "predictions": out / "predictions.csv",
            "scores": out / "scores_by_year.csv",
            "signal": out / "signal.csv",
            "performance": out / "performance.csv",
            "folds": out / "folds.csv",
            "html": out / "report.html",
        }
        paths["report"].write_text(self.to_markdown(), encoding="utf-8")
        self.predictions.rename("prediction").to_csv(paths["predictions"])
        self.scores.to_csv(paths["scores"])
        self.signal.to_csv(paths["signal"], index_label="signal")
        self.performance.to_csv(paths["performance"], index_label="strategy")
        self.folds.to_csv(paths["folds"])
        paths["summary"].write_text(json.dumps(self._summary(), indent=2, default=str) + "\n")
        paths["html"].write_text(self._html(), encoding="utf-8")
        for name, result in self.backtests.items():
            folder = out / "backtests" / _slug(name)
            paths[f"backtest:{name}"] = folder
            result.write(folder, tearsheet=tearsheet)
        return paths

    def _summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "settings": dict(self.settings),
            "signal": _plain(self.signal.to_dict(orient="index")),
            "performance": _plain(self.performance.to_dict(orient="index")),
            "timings": dict(self.timings),
            "registered": None if self.registered is None else self.registered.__dict__,
        }

    def _html(self) -> str:
        body = "\n".join(
            f"<h2>{title}</h2>\n{frame.to_html(float_format=lambda x: f'{x:.4g}', border=0)}"
            for title, frame in (
                ("Signal quality (out of sample)", self.signal),
                ("By year", self.scores),
                ("Out-of-sample performance after costs", self.performance),
                ("Walk-forward folds", self.folds),
            )
        )
        return (
            "<!doctype html><html><head><meta charset='utf-8'><title>alphaforge ML experiment"
            "</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:"
            "collapse}td,th{padding:2px 8px;text-align:right}</style></head><body>"
            f"<h1>alphaforge ML experiment ({self.kind})</h1>{body}</body></html>\n"
        )


# --------------------------------------------------------------------------- rows and tables


def performance_row(result: BacktestResult, signal: Mapping[str, float]) -> dict[str, float]:
    """One backtest's figures: returns, risk, trading and costs, and its signal's IC."""
    m = result.metrics
    equity = result.equity["equity"]
    years = (
        max((equity.index[-1] - equity.index[0]).days / 365.25, 1e-9) if len(equity) else math.nan
    )
    fills = result.fills
    notional = float((fills["quantity"].abs() * fills["price"]).sum()) if len(fills) else 0.0
    run = result.settings.get("backtest", result.settings)
    slippage = float(run.get("slippage_bps", 0.0) or 0.0) / 1e4 * notional  # in fill prices
    paid = sum(float(v) for v in result.costs.values()) + slippage
    mean_equity = float(equity.mean()) if len(equity) else math.nan
    return {
        "total_return": m.total_return,
        "cagr": m.annual_return,
        "volatility": m.annual_volatility,
        "sharpe": m.sharpe_ratio,
        "max_drawdown": m.max_drawdown,
        "turnover_per_year": notional / mean_equity / years,
        "costs_per_year": paid / mean_equity / years,
        "ic": float(signal.get("ic", math.nan)),
        "rank_ic": float(signal.get("rank_ic", math.nan)),
    }


_PERCENT = {"total_return", "cagr", "volatility", "max_drawdown", "costs_per_year",
            "ic_positive", "rank_ic_positive", "accuracy", "balanced_accuracy",
            "up_share"}  # fmt: skip
_COUNT = {"dates", "n", "train_rows", "test_rows"}


def _cell(column: str, value: Any) -> str:
    if isinstance(value, float | np.floating):
        if not math.isfinite(value):
            return "n/a"
        if column in _COUNT:
            return f"{int(value):,}"
        if column in _PERCENT:
            return f"{value * 100:.2f}%"
        return f"{value:.4f}"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    return str(value).replace("|", "/")


def markdown(frame: pd.DataFrame, *, index: str) -> str:
    """``frame`` as a GitHub Markdown table: percentages for returns and shares, 4 decimals for
    ratios and ICs; the index as the first column, titled ``index``."""
    headers = [index, *map(str, frame.columns)]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for label, row in frame.iterrows():
        cells = [str(label)] + [_cell(str(c), row[c]) for c in frame.columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _settings_frame(settings: Mapping[str, Any]) -> pd.DataFrame:
    rows = {}
    for key, value in settings.items():
        text = str(value)
        if isinstance(value, Mapping):
            text = ", ".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, list | tuple):
            text = " ".join(map(str, value))
        rows[key] = {"value": text}
    return pd.DataFrame.from_dict(rows, orient="index")


_YEARLY = ("dates", "ic", "icir", "rank_ic", "rank_icir", "ic_positive", "n", "accuracy",
           "balanced_accuracy", "auc", "log_loss", "up_share")  # fmt: skip


def _yearly(scores: pd.DataFrame) -> pd.DataFrame:
    return scores[[c for c in _YEARLY if c in scores.columns]]


def _folds_text(folds: pd.DataFrame) -> str:
    if folds.empty:
        return "no folds"
    first, last = folds.iloc[0], folds.iloc[-1]
    fit = folds["fit_seconds"]
    return (
        f"{len(folds)} folds; first trained on {first['train_start']:%Y-%m-%d} .. "
        f"{first['train_end']:%Y-%m-%d} ({int(first['train_rows']):,} rows), tested "
        f"{first['test_start']:%Y-%m-%d} .. {first['test_end']:%Y-%m-%d}; last trained on "
        f"{int(last['train_rows']):,} rows, tested {last['test_start']:%Y-%m-%d} .. "
        f"{last['test_end']:%Y-%m-%d}. Every fold's last training label ends before its test "
        f"block starts. Fit time per fold {fit.min():.2f} .. {fit.max():.2f} s, "
        f"{fit.sum():.1f} s in all."
    )


def _slug(name: str) -> str:
    keep = [ch if ch.isalnum() else "_" for ch in name.lower()]
    return "_".join(part for part in "".join(keep).split("_") if part)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
