"""Print the model zoo's speed figures: live single-row prediction and training times.

Run:  .venv/bin/python benchmarks/bench_models.py [--json] [--calls N] [--quick]

Data: the bundled ``stocks20_close`` (20 US large caps, 8,313 daily closes each, 1990-2022) as a
``(ts, symbol)`` panel of 24 features built here with pandas' vectorized rolling windows (lagged
log returns, rolling volatilities, momentum, moving-average ratios, 20-day range); the label is
the next day's direction. 165,000 labelled rows (the first 250 days of each stock are warm-up).

Figures (CPU only; torch on 1 thread, LightGBM as configured):

* the live path end to end: each new S&P 500 bar through the classic feature set's streaming
  update (37 features) and a LightGBM ``predict_row``, p50/p99 over the last 2,000 bars;
* live prediction, one row: p50 and p99 over ``--calls`` timed calls after 50 untimed ones:
  - LightGBM ``predict_row`` (a NumPy row straight into the booster; the live path) and,
    for comparison, ``predict_proba`` on a one-row DataFrame (the checked frame path);
  - LSTM and Transformer ``predict_window`` (the last ``lookback`` rows as a NumPy array);
* training, wall seconds of one ``fit``:
  - LightGBM (200 rounds, defaults) on the whole panel, on 1 thread and on all cores;
  - the small LSTM of the tests (lookback 5, hidden 8, 3 epochs) on 2015-2016 S&P 500 rows;
  - the default LSTM (lookback 20, hidden 32, up to 30 epochs with early stopping) on all
    5,000 S&P 500 rows, and for 2 epochs on the whole 20-stock panel.

Targets: new bar -> features -> LightGBM p99 <= 1 ms; LightGBM live p99 <= 1 ms; LSTM and
Transformer live p99 <= 10 ms; the small LSTM trains in <= 120 s. Training figures without a
target are reported so that a regression shows. The script exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from alphaforge.data.bundled import load_dataset
from alphaforge.ml.base import make_model
from alphaforge.ml.models import LightGBMModel, LSTMModel, TransformerModel
from bench_data import machine

LIVE_LGBM_MS = 1.0
LIVE_DEEP_MS = 10.0
SMALL_LSTM_S = 120.0
SMALL_LSTM: dict[str, Any] = {"lookback": 5, "hidden_size": 8, "epochs": 3, "batch_size": 128}


@dataclass(frozen=True, slots=True)
class Figure:
    """One measurement: ``value`` in ``unit``, against ``target`` (None = reported only)."""

    name: str
    value: float
    unit: str
    target: float | None = None
    p50: float | None = None

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "-"
        return "PASS" if self.value <= self.target else "MISS"


def wide_features(close: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """24 features per stock, each a (dates x symbols) frame known at the date's close."""
    ret = close.apply(np.log).diff()
    out = {f"ret_lag_{k}": ret.shift(k) for k in range(10)}
    for window in (5, 10, 20, 60):
        out[f"vol_{window}"] = ret.rolling(window).std()
    for window in (5, 10, 20, 60, 120, 250):
        out[f"mom_{window}"] = close / close.shift(window) - 1.0
    for window in (10, 50):
        out[f"sma_ratio_{window}"] = close / close.rolling(window).mean() - 1.0
    out["range_20"] = close.rolling(20).max() / close.rolling(20).min() - 1.0
    out["vol_ratio_5_60"] = out["vol_5"] / out["vol_60"]
    return out


def panel() -> tuple[pd.DataFrame, pd.Series]:
    """The 20-stock feature panel on a ``(ts, symbol)`` index and next-day direction."""
    close = load_dataset("stocks20_close")
    features = wide_features(close)
    forward = close.apply(np.log).diff().shift(-1)
    names = list(features)
    stacked = np.stack([features[n].to_numpy() for n in names], axis=-1)  # dates, symbols, f
    index = pd.MultiIndex.from_product([close.index, close.columns], names=["ts", "symbol"])
    X = pd.DataFrame(stacked.reshape(-1, len(names)), index=index, columns=names)
    y = pd.Series(forward.to_numpy().reshape(-1), index=index)
    keep = X.notna().all(axis=1).to_numpy() & y.notna().to_numpy()
    return X[keep], (y[keep] > 0).astype(np.int64)


def spx() -> tuple[pd.DataFrame, pd.Series]:
    """S&P 500 daily features (the tests' set) and next-day direction."""
    close = load_dataset("spx_daily", columns=["close"])["close"]
    ret = close.apply(np.log).diff()
    columns = {f"ret_lag_{k}": ret.shift(k) for k in range(5)}
    columns["vol_5"] = ret.rolling(5).std()
    columns["vol_20"] = ret.rolling(20).std()
    columns["mom_20"] = close / close.shift(20) - 1.0
    X = pd.DataFrame(columns)
    forward = ret.shift(-1)
    keep = X.notna().all(axis=1) & forward.notna()
    return X[keep], (forward[keep] > 0).astype(np.int64)


def latencies(call: Callable[[], object], calls: int) -> tuple[float, float]:
    """(p50, p99) milliseconds of ``call`` after 50 untimed calls."""
    for _ in range(50):
        call()
    times = np.empty(calls)
    for i in range(calls):
        start = time.perf_counter()
        call()
        times[i] = time.perf_counter() - start
    p50, p99 = np.percentile(times * 1e3, [50, 99])
    return float(p50), float(p99)


def seconds(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def end_to_end(calls: int) -> Figure:
    """New bar -> the classic set's streaming update -> LightGBM ``predict_row``: the live path
    of issue 6, timed per bar over the last ``calls`` bars of the S&P 500 (the model trained
    on the batch features of the bars before them)."""
    from alphaforge.features import FeatureSet  # noqa: PLC0415

    frame = load_dataset("spx_daily")
    features = FeatureSet.classic()
    batch = features.compute(frame)
    close = frame["close"]
    label = (close.shift(-5) > close).astype(np.int64)
    first = len(frame) - calls
    train = batch.iloc[:first].dropna()
    train = train.iloc[:-5]  # labels ending before the timed bars
    model = make_model("lightgbm", task="classification", seed=0, n_estimators=200)
    model.fit(train, label.loc[train.index])
    assert isinstance(model, LightGBMModel)
    stream = features.stream()
    bars = frame[["open", "high", "low", "close", "volume"]].to_numpy()
    for o, h, lo, c, v in bars[:first]:
        stream.update_ohlcv(o, h, lo, c, v)
    times = np.empty(calls)
    for i, (o, h, lo, c, v) in enumerate(bars[first:]):
        start = time.perf_counter()
        model.predict_row(stream.update_ohlcv(o, h, lo, c, v))
        times[i] = time.perf_counter() - start
    p50, p99 = np.percentile(times * 1e3, [50, 99])
    name = f"new bar -> {len(features.names)} streaming features -> lightgbm"
    return Figure(name, float(p99), "ms p99", LIVE_LGBM_MS, float(p50))


def live_figures(
    lgbm: LightGBMModel,
    X: pd.DataFrame,
    deep: dict[str, LSTMModel | TransformerModel],
    sx: pd.DataFrame,
    calls: int,
) -> list[Figure]:
    """Single-row latencies: LightGBM on the panel's last row, the nets on S&P 500 windows."""
    row = X.iloc[-1].to_numpy()
    frame = X.iloc[[-1]]
    figures = []
    p50, p99 = latencies(lambda: lgbm.predict_row(row), calls)
    figures.append(
        Figure("lightgbm live predict_row (numpy row)", p99, "ms p99", LIVE_LGBM_MS, p50)
    )
    p50, p99 = latencies(lambda: lgbm.predict_proba(frame), calls)
    figures.append(Figure("lightgbm predict_proba (1-row DataFrame)", p99, "ms p99", None, p50))
    for kind, model in deep.items():
        window = sx.iloc[-model.lookback :].to_numpy()
        p50, p99 = latencies(lambda m=model, w=window: m.predict_window(w), calls)  # type: ignore[misc]
        figures.append(Figure(f"{kind} live predict_window", p99, "ms p99", LIVE_DEEP_MS, p50))
    return figures


def measure(calls: int, quick: bool) -> tuple[list[Figure], dict[str, Any]]:
    X, y = panel()
    sx, sy = spx()
    small = (sx.index >= "2015-01-01") & (sx.index < "2017-01-01")
    figures: list[Figure] = []
    lgbm = LightGBMModel(seed=0)
    figures.append(
        Figure("lightgbm fit, 20-stock panel, 1 thread", seconds(lambda: lgbm.fit(X, y)), "s")
    )
    if not quick:
        allcores = LightGBMModel(seed=0, num_threads=0)
        figures.append(
            Figure(
                "lightgbm fit, 20-stock panel, all cores", seconds(lambda: allcores.fit(X, y)), "s"
            )
        )
    for when in ("cold: imports torch", "warm"):
        tiny = LSTMModel(seed=0, **SMALL_LSTM)
        took = seconds(lambda m=tiny: m.fit(sx[small], sy[small]))  # type: ignore[misc]
        figures.append(Figure(f"small LSTM fit, 500 rows ({when})", took, "s", SMALL_LSTM_S))
    lstm = LSTMModel(seed=0)
    figures.append(
        Figure("default LSTM fit, S&P 500 5,000 rows", seconds(lambda: lstm.fit(sx, sy)), "s")
    )
    transformer = TransformerModel(seed=0)
    figures.append(
        Figure(
            "default Transformer fit, S&P 500 5,000 rows",
            seconds(lambda: transformer.fit(sx, sy)),
            "s",
        )
    )
    if not quick:
        panel_lstm = LSTMModel(seed=0, epochs=2, valid_fraction=0.0)
        figures.append(
            Figure(
                "default LSTM fit, 20-stock panel, 2 epochs",
                seconds(lambda: panel_lstm.fit(X, y)),
                "s",
            )
        )
    live = live_figures(lgbm, X, {"lstm": lstm, "transformer": transformer}, sx, calls)
    figures = [end_to_end(min(calls, 2000)), *live, *figures]
    sizes = {
        "panel_rows": len(X),
        "panel_features": X.shape[1],
        "spx_rows": len(sx),
        "lstm_epochs_run": len(lstm.history),
        "transformer_epochs_run": len(transformer.history),
    }
    return figures, sizes


def table(figures: list[Figure], info: dict[str, str], sizes: dict[str, Any], calls: int) -> str:
    lines = [
        f"machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}",
        f"panel: {sizes['panel_rows']:,} rows x {sizes['panel_features']} features; "
        f"S&P 500: {sizes['spx_rows']:,} rows; live figures over {calls:,} calls; "
        f"default LSTM ran {sizes['lstm_epochs_run']} epochs, Transformer "
        f"{sizes['transformer_epochs_run']} (early stopping)",
        "",
        f"{'figure':<46} {'p50':>9} {'value':>9} {'unit':<7} {'target':>7}  verdict",
    ]
    for f in figures:
        p50 = f"{f.p50:.3f}" if f.p50 is not None else ""
        target = f"{f.target:g}" if f.target is not None else ""
        lines.append(f"{f.name:<46} {p50:>9} {f.value:>9.3f} {f.unit:<7} {target:>7}  {f.verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--calls", type=int, default=2000, help="timed live calls (default 2000)")
    parser.add_argument(
        "--quick", action="store_true", help="skip the all-core and panel-LSTM fits"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    figures, sizes = measure(max(100, args.calls), args.quick)
    info = machine()
    if args.json:
        payload = {
            "machine": info,
            "sizes": sizes,
            "figures": [asdict(f) | {"verdict": f.verdict} for f in figures],
        }
        print(json.dumps(payload, indent=2))
    else:
        print(table(figures, info, sizes, args.calls))
        print(f"\ntotal {time.perf_counter() - started:.1f} s")
    return 0 if all(f.verdict != "MISS" for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
