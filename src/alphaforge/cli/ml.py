"""``alphaforge ml``: features, the ML replication, and the evaluation of predictions.

* ``alphaforge ml replicate`` -- the daily cross-sectional experiment on the 20 bundled stocks
  (features -> LightGBM -> long top-k / short bottom-k, walk-forward): IC, rank IC, ICIR and
  the out-of-sample backtests after costs; ``--single`` runs the S&P 500 variant; ``--out``
  writes the tables (CSV), ``report.md``, ``report.html`` and each backtest's files;
* ``alphaforge ml features DATA`` -- a feature matrix of a bundled dataset (a panel for a set
  of closes), printed and saved (``--out x.csv`` or ``x.parquet``); ``--features close_only``
  picks the set (``--set``, its old name, is still taken);
* ``alphaforge ml evaluate PREDICTIONS.csv`` -- IC and rank IC by year of saved predictions
  against the data's forward returns.

Each command is its own function, so other commands can join ``ml_app`` beside them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import pandas as pd
import typer

from alphaforge.cli._common import console, handle_errors
from alphaforge.domain.errors import InvalidValueError

if TYPE_CHECKING:
    from alphaforge.runtime.ml_experiment import ExperimentResult

__all__ = ["evaluate_command", "features_command", "ml_app", "replicate_command"]

ml_app = typer.Typer(
    help=(
        "Machine learning on the bundled data: feature matrices, the walk-forward "
        "replication (IC, rank IC, ICIR, out-of-sample backtests after costs), and the "
        "evaluation of saved predictions."
    ),
    short_help="Features, the ML replication, evaluation of predictions.",
    no_args_is_help=True,
)

StartOpt = Annotated[
    str | None, typer.Option(help="First date of the data used (YYYY-MM-DD).", show_default=False)
]
EndOpt = Annotated[
    str | None, typer.Option(help="Last date of the data used (YYYY-MM-DD).", show_default=False)
]
SymbolsOpt = Annotated[
    list[str] | None,
    typer.Option("--symbols", help="Only these symbols (repeatable).", show_default=False),
]
OutOpt = Annotated[
    Path | None, typer.Option("--out", "-o", help="Write the results here.", show_default=False)
]


def _print(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


# ---------------------------------------------------------------------------- replicate


@ml_app.command("replicate")
@handle_errors
def replicate_command(
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            "-d",
            help="Bundled data: a set of closes (default stocks20_close), or with --single "
            "one asset's bars (default spx_daily).",
            show_default=False,
        ),
    ] = None,
    single: Annotated[
        bool, typer.Option("--single", help="The one-asset variant (classic features, P(up)).")
    ] = False,
    symbols: SymbolsOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    horizon: Annotated[int, typer.Option(help="Label horizon in bars.", min=1)] = 5,
    model: Annotated[str, typer.Option(help="Model kind (make_model).")] = "lightgbm",
    test_size: Annotated[int, typer.Option(help="Dates per test block (a retrain).", min=1)] = 252,
    min_train: Annotated[
        int, typer.Option(help="Dates before the first test block.", min=1)
    ] = 1000,
    train_size: Annotated[
        int | None,
        typer.Option(help="Rolling training window in dates (default: expanding).", min=1),
    ] = None,
    top_k: Annotated[int, typer.Option(help="Names held long.", min=1)] = 4,
    bottom_k: Annotated[int, typer.Option(help="Names held short (0: long only).", min=0)] = 4,
    rebalance: Annotated[str, typer.Option(help="D, W or M.")] = "W",
    commission_bps: Annotated[float, typer.Option(help="Commission per trade, bps.", min=0)] = 5.0,
    slippage_bps: Annotated[float, typer.Option(help="Slippage per trade, bps.", min=0)] = 5.0,
    seed: Annotated[int, typer.Option(help="Model seed.")] = 0,
    register: Annotated[
        str | None,
        typer.Option(help="Log the refitted model under this name, gate it, promote if it passes."),
    ] = None,
    tracking_uri: Annotated[
        str | None, typer.Option(help="Registry (MLflow) URI for --register.", show_default=False)
    ] = None,
    out: OutOpt = None,
    tearsheet: Annotated[
        bool, typer.Option("--tearsheet/--no-tearsheet", help="HTML tearsheets with --out.")
    ] = True,
) -> None:
    """Run the walk-forward ML replication on bundled data and print its tables (unedited)."""
    if rebalance not in ("D", "W", "M"):
        raise InvalidValueError(f"--rebalance must be D, W or M, got {rebalance!r}")
    from alphaforge.runtime.ml_experiment import (  # noqa: PLC0415  # heavy: only when run
        cross_sectional_experiment,
        single_asset_experiment,
    )

    freq: Literal["D", "W", "M"] = rebalance  # type: ignore[assignment]  # checked above
    result: ExperimentResult
    if single:
        if symbols or register or bottom_k != 4 or top_k != 4:
            raise InvalidValueError("--single takes no --symbols, --top-k, --bottom-k, --register")
        result = single_asset_experiment(
            data or "spx_daily", start=start, end=end, horizon=horizon, model=model,
            test_size=test_size, min_train=min_train, train_size=train_size, rebalance=freq,
            commission_bps=commission_bps, slippage_bps=slippage_bps, seed=seed,
        )  # fmt: skip
    else:
        result = cross_sectional_experiment(
            data or "stocks20_close", symbols=symbols, start=start, end=end, horizon=horizon,
            model=model, test_size=test_size, min_train=min_train, train_size=train_size,
            top_k=top_k, bottom_k=bottom_k, rebalance=freq, commission_bps=commission_bps,
            slippage_bps=slippage_bps, seed=seed, register=register, tracking_uri=tracking_uri,
        )  # fmt: skip
    _print(result.to_markdown())
    if out is not None:
        paths = result.write(out, tearsheet=tearsheet)
        _print(
            f"wrote {len(paths)} results to {out}: report.md, report.html, CSV tables, backtests/"
        )


# ---------------------------------------------------------------------------- features


@ml_app.command("features")
@handle_errors
def features_command(
    ctx: typer.Context,
    data: Annotated[str, typer.Argument(help="Bundled dataset (spx_daily, stocks20_close ...).")],
    feature_set: Annotated[
        str,
        typer.Option(
            "--features", help="classic (what the data allows) or close_only.", show_default=True
        ),
    ] = "classic",
    old_set: Annotated[
        str | None, typer.Option("--set", hidden=True, help="The old name of --features.")
    ] = None,
    transform: Annotated[
        str, typer.Option(help="Panels: none, rank or zscore across the symbols of each date.")
    ] = "none",
    symbols: SymbolsOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Save as .csv or .parquet.", show_default=False),
    ] = None,
) -> None:
    """Compute a feature matrix: one row per bar (a panel: per date and symbol), no look-ahead."""
    from alphaforge.data.bundled import load_dataset  # noqa: PLC0415
    from alphaforge.features import FeatureSet, compute_panel, frames_from_wide  # noqa: PLC0415
    from alphaforge.runtime.ml_experiment import transform_panel  # noqa: PLC0415

    source = ctx.get_parameter_source("feature_set")  # None or DEFAULT: --features not given
    given = source is not None and source.name != "DEFAULT"
    name = _feature_set_name(feature_set if given else None, old_set)
    if transform not in ("none", "rank", "zscore"):
        raise InvalidValueError(f"--transform must be none, rank or zscore, got {transform!r}")
    chosen = FeatureSet.classic() if name == "classic" else FeatureSet.close_only()
    frame = _cut(load_dataset(data), symbols, start, end, data)
    if _is_wide(frame):
        matrix = compute_panel(frames_from_wide(frame), chosen, missing="skip")
        matrix = transform_panel(matrix, transform)  # type: ignore[arg-type]  # checked above
    else:
        if transform != "none":
            raise InvalidValueError(f"--transform {transform} needs a panel; {data} is one asset")
        matrix = chosen.compute(frame, missing="skip")
    complete = int(matrix.notna().all(axis=1).sum())
    _print(f"{data}: {len(matrix):,} rows x {matrix.shape[1]} features ({complete:,} complete)")
    _print(matrix.dropna().tail(5).to_string(max_cols=8, float_format=lambda x: f"{x:.4g}"))
    if out is not None:
        _save(matrix, out)
        _print(f"wrote {out}")


def _feature_set_name(features: str | None, old_set: str | None) -> str:
    """``--features``, or ``--set`` (its old name, hidden, still taken), checked; the lifecycle
    commands (``ml train`` ...) call the same option ``--features``."""
    if features is not None and old_set is not None and features != old_set:
        raise InvalidValueError(
            f"--features {features} and --set {old_set} disagree: --set is the old name of "
            "--features, give one"
        )
    name = features or old_set or "classic"
    if name not in ("classic", "close_only"):
        flag = "--features" if old_set is None else "--set"
        raise InvalidValueError(f"{flag} must be classic or close_only, got {name!r}")
    return name


def _is_wide(frame: pd.DataFrame) -> bool:
    return not {"close"} <= set(frame.columns)


def _cut(
    frame: pd.DataFrame, symbols: list[str] | None, start: str | None, end: str | None, name: str
) -> pd.DataFrame:
    if symbols:
        if not _is_wide(frame):
            raise InvalidValueError(
                f"--symbols picks columns of a set of closes; {name} is one asset"
            )
        wanted = [s.upper() for s in symbols]
        missing = sorted(set(wanted) - set(frame.columns))
        if missing:
            raise InvalidValueError(f"{name} has no symbols {missing}")
        frame = frame[wanted]
    out = frame.loc[start:end] if (start or end) else frame
    if len(out) == 0:
        raise InvalidValueError(f"{name} has no rows between {start} and {end}")
    return out


def _save(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        frame.to_parquet(path)
    elif path.suffix == ".csv":
        frame.to_csv(path)
    else:
        raise InvalidValueError(f"--out must end in .csv or .parquet, got {path.name}")


# ---------------------------------------------------------------------------- evaluate


@ml_app.command("evaluate")
@handle_errors
def evaluate_command(
    predictions: Annotated[
        Path,
        typer.Argument(
            help="CSV of predictions: ts, symbol (for a panel) and prediction columns, as "
            "`ml replicate --out` writes them.",
        ),
    ],
    data: Annotated[str, typer.Option("--data", "-d", help="Bundled data of the outcomes.")] = (
        "stocks20_close"
    ),
    horizon: Annotated[int, typer.Option(help="Outcome: the return over these bars.", min=1)] = 5,
    delay: Annotated[
        int, typer.Option(help="Bars from the prediction to the outcome's start.", min=0)
    ] = 1,
    out: OutOpt = None,
) -> None:
    """IC and rank IC per year of saved predictions against the data's forward returns."""
    from alphaforge.data.bundled import load_dataset  # noqa: PLC0415
    from alphaforge.ml.evaluation import ic_by_date, ic_table, rank_ic_by_date  # noqa: PLC0415
    from alphaforge.runtime._ml_report import markdown  # noqa: PLC0415
    from alphaforge.runtime.ml_experiment import delayed_forward_returns  # noqa: PLC0415

    if not predictions.exists():
        raise FileNotFoundError(f"no file {predictions}")
    pred = _read_predictions(predictions)
    frame = load_dataset(data)
    if not _is_wide(frame):
        raise InvalidValueError(
            f"evaluate scores a panel against a set of closes; {data} is one asset"
        )
    outcome = delayed_forward_returns(frame, horizon, delay).y
    ic, rank = ic_by_date(pred, outcome), rank_ic_by_date(pred, outcome)
    table = ic_table(ic, rank, lags=horizon + delay - 1)
    _print(markdown(table, index="year"))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out)
        _print(f"wrote {out}")


def _read_predictions(path: Path) -> pd.Series:
    frame = pd.read_csv(path)
    needed = {"ts", "symbol", "prediction"}
    if not needed <= set(frame.columns):
        raise InvalidValueError(
            f"{path.name} needs columns ts, symbol and prediction; it has {list(frame.columns)}"
        )
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame.set_index(["ts", "symbol"])["prediction"].astype(float)
