"""What a backtest returns and writes: equity, orders, fills, trades, metrics, provenance.

The orders, fills and trades tables are built in ``runtime/_tables.py``, which also says what a
*trade* is (one position's life from flat to flat, its PnL fees included).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from alphaforge.runtime._tables import build_trades, fills_frame, orders_frame

if TYPE_CHECKING:
    from alphaforge.analytics import Metrics

__all__ = ["BacktestResult", "build_trades", "fills_frame", "orders_frame"]


@dataclass
class BacktestResult:
    """Everything a run produced; ``write(out_dir)`` saves it as files."""

    strategy: str
    params: dict[str, Any]
    equity: pd.DataFrame  # equity, cash, gross, net by UTC timestamp
    orders: pd.DataFrame
    fills: pd.DataFrame
    trades: pd.DataFrame
    metrics: Metrics
    costs: dict[str, float]
    benchmark: pd.Series | None = None
    prices: dict[str, pd.DataFrame] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    run_id: str = ""
    strategy_report: dict[str, Any] = field(default_factory=dict)
    """Figures the strategy measured about itself (``Strategy.report()``); empty if none."""

    @property
    def equity_curve(self) -> pd.Series:
        """Equity by timestamp (base currency)."""
        return self.equity["equity"]

    def summary(self) -> list[tuple[str, str]]:
        """The key figures as (label, value) rows, for a terminal."""
        return self.metrics.table_rows()

    def write(self, out_dir: str | Path, *, tearsheet: bool = True) -> dict[str, Path]:
        """Write ``trades.csv``, ``orders.csv``, ``fills.csv``, ``equity.csv``, ``metrics.json``,
        ``report.json`` (when the strategy reported figures) and (by default) ``tearsheet.html``
        into ``out_dir``; return the paths by name."""
        out = Path(out_dir).expanduser()
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "trades": out / "trades.csv",
            "orders": out / "orders.csv",
            "fills": out / "fills.csv",
            "equity": out / "equity.csv",
            "metrics": out / "metrics.json",
        }
        _atomic_text(paths["trades"], self.trades.to_csv(index=False))
        _atomic_text(paths["orders"], self.orders.to_csv(index=False))
        _atomic_text(paths["fills"], self.fills.to_csv(index=False))
        _atomic_text(paths["equity"], self.equity.to_csv(index_label="timestamp"))
        document = {
            "strategy": self.strategy,
            "params": self.params,
            "run_id": self.run_id,
            "metrics": self.metrics.to_dict(),
            "costs": self.costs,
            "settings": self.settings,
            "provenance": self.provenance,
        }
        _atomic_text(paths["metrics"], json.dumps(document, indent=2, default=str, allow_nan=False))
        if self.strategy_report:
            paths["report"] = out / "report.json"
            report = {"strategy": self.strategy, "run_id": self.run_id, **self.strategy_report}
            _atomic_text(paths["report"], json.dumps(_finite(report), indent=2, default=str))
        if tearsheet:
            from alphaforge.analytics.tearsheet import write_tearsheet  # noqa: PLC0415

            paths["tearsheet"] = write_tearsheet(
                out / "tearsheet.html",
                equity=self.equity_curve,
                metrics=self.metrics,
                trades=self.trades,
                fills=self.fills,
                benchmark=self.benchmark,
                prices=self.prices,
                costs=self.costs,
                parameters=self.params,
                provenance={
                    **self.provenance,
                    "run_id": self.run_id,
                    **({"strategy report": self.strategy_report} if self.strategy_report else {}),
                },
                title=f"{self.strategy} backtest",
            )
        return paths


def _finite(value: Any) -> Any:
    """``value`` with non-finite floats as None: strict JSON has no NaN or infinity."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _atomic_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; results are ordinary, readable files
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
