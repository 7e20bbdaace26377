"""The ML replication on real bundled data: a small, fast configuration checks its structure,
that every fold is purged (no training label reaches into its test block), that a fold's
predictions are exactly those of a model fitted on the purged past alone, and that every number
is finite; the full replication (slow) reproduces the tables quoted in docs/ml.md."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import alphaforge as af
from alphaforge.domain.errors import InvalidValueError
from alphaforge.features import FeatureSet, compute_panel, cross_sectional_rank, frames_from_wide
from alphaforge.ml.base import make_model
from alphaforge.ml.gates import Gate
from alphaforge.runtime import backtest
from alphaforge.runtime._ml_report import markdown
from alphaforge.runtime.ml_experiment import (
    LIGHTGBM_PARAMS,
    ExperimentResult,
    cross_sectional_experiment,
    delayed_forward_returns,
    momentum_scores,
    single_asset_experiment,
)

DOC = Path(__file__).parents[2] / "docs" / "ml.md"
SYMBOLS = ["AAPL", "MSFT", "JPM", "XOM", "KO", "PG", "GE", "WMT"]
SMALL = {"symbols": SYMBOLS, "start": "2008-01-01", "end": "2014-12-31", "min_train": 504,
         "top_k": 2, "bottom_k": 2}  # fmt: skip


@pytest.fixture(scope="module")
def small() -> ExperimentResult:
    return cross_sectional_experiment(**SMALL)  # type: ignore[arg-type]


def test_labels_start_after_the_fill_and_momentum_skips_the_last_month() -> None:
    close = af.load_dataset("spx_daily")["close"].iloc[:400]
    labels = delayed_forward_returns(close, 5)
    t = 100
    assert labels.y.iloc[t] == pytest.approx(close.iloc[t + 6] / close.iloc[t + 1] - 1)
    assert labels.t1.iloc[t] == close.index[t + 6]
    assert labels.horizon == 6
    assert labels.y.iloc[-6:].isna().all()
    assert labels.t1.iloc[-6:].isna().all()
    wide = af.load_dataset("stocks20_close")[["AAPL", "KO"]].iloc[:300]
    mom = momentum_scores(wide)
    day = wide.index[280]
    assert mom.loc[(day, "KO")] == pytest.approx(wide["KO"].iloc[259] / wide["KO"].iloc[28] - 1)


def test_structure_and_finite_numbers(small: ExperimentResult) -> None:
    assert small.kind == "cross_sectional"
    assert len(small.folds) == 3
    assert list(small.scores.index) == ["2011", "2012", "2013", "2014", "all"]
    assert list(small.signal.index) == ["model", "momentum_12_1"]
    assert list(small.performance.index) == [
        "ml_signal (model)", "ml_signal (model, no costs)", "ml_signal (model, long top 2 only)",
        "ml_signal (momentum 12-1)", "buy_and_hold (equal weight)",
    ]  # fmt: skip
    assert np.isfinite(small.predictions.to_numpy()).all()
    for table in (small.signal, small.performance.drop(columns=["ic", "rank_ic"])):
        assert np.isfinite(table.to_numpy(dtype=np.float64)).all()
    assert small.scores.loc["all", "dates"] == small.ic.notna().sum() > 700  # type: ignore[union-attr]
    perf = small.performance
    assert (
        perf.loc["ml_signal (model, no costs)", "total_return"]
        > perf.loc["ml_signal (model)", "total_return"]
    )  # the costs are charged: 5 bps commission + 5 bps slippage per trade
    assert perf.loc["ml_signal (model)", "costs_per_year"] > 0
    assert perf.loc["ml_signal (model, no costs)", "costs_per_year"] == 0
    first = small.predictions.index.get_level_values("ts").min()
    for result in small.backtests.values():
        assert result.fills["ts"].min() > first  # nothing traded before the first prediction


def test_every_fold_is_purged_and_tested_on_the_future(small: ExperimentResult) -> None:
    folds = small.folds
    assert (folds["train_last_t1"] < folds["test_start"]).all()
    assert (folds["train_end"] < folds["test_start"]).all()
    assert (folds["test_start"].iloc[1:].to_numpy() > folds["test_end"].iloc[:-1].to_numpy()).all()
    stamps = small.predictions.index.get_level_values("ts")
    inside = np.zeros(len(stamps), dtype=int)
    for _, fold in folds.iterrows():
        inside += (stamps >= fold["test_start"]) & (stamps <= fold["test_end"])
    assert (inside == 1).all()  # each prediction comes from exactly one fold


def test_a_folds_predictions_come_from_the_purged_past_alone(small: ExperimentResult) -> None:
    """Rebuild the last fold by hand: fit on the rows whose label ends before the block, predict
    the block; the experiment's predictions are exactly these."""
    closes = af.load_dataset("stocks20_close")[SYMBOLS].loc["2008-01-01":"2014-12-31"]
    X = cross_sectional_rank(compute_panel(frames_from_wide(closes), FeatureSet.close_only()))
    labels = delayed_forward_returns(closes, 5)
    X_lab, known = labels.align(X)
    target = cross_sectional_rank(labels.y.to_frame())["y"].loc[X_lab.index]
    fold = small.folds.iloc[-1]
    ts = X_lab.index.get_level_values("ts")
    train = (known.t1 < fold["test_start"]).to_numpy()
    assert int(train.sum()) == fold["train_rows"]
    model = make_model("lightgbm", task="regression", **LIGHTGBM_PARAMS)
    model.fit(X_lab[train], target[train])
    block = X_lab[(ts >= fold["test_start"]) & (ts <= fold["test_end"])]
    got = small.predictions.loc[block.index]
    np.testing.assert_array_equal(got.to_numpy(), model.predict(block).to_numpy())


def test_report_and_files(small: ExperimentResult, tmp_path: Path) -> None:
    text = small.to_markdown()
    for title in ("**Settings**", "**Signal quality (out of sample)**", "**By year**",
                  "**Out-of-sample performance after costs**", "**Walk-forward**"):  # fmt: skip
        assert title in text
    assert markdown(small.performance, index="strategy") in text
    paths = small.write(tmp_path / "out", tearsheet=False)
    saved = pd.read_csv(paths["predictions"], parse_dates=["ts"]).set_index(["ts", "symbol"])
    assert len(saved) == len(small.predictions)
    assert (tmp_path / "out" / "backtests" / "ml_signal_model" / "equity.csv").exists()
    assert "<table" in paths["html"].read_text()


def test_single_asset_variant() -> None:
    result = single_asset_experiment(start="2004-01-01", end="2012-12-31", min_train=756)
    assert result.kind == "single_asset"
    assert result.predictions.between(0, 1).all()
    assert (result.folds["train_last_t1"] < result.folds["test_start"]).all()
    overall = result.scores.loc["all"]
    for name in ("accuracy", "balanced_accuracy", "auc", "log_loss", "rank_ic"):
        assert math.isfinite(overall[name])
    assert list(result.performance.index) == ["ml_signal (model)", "buy_and_hold"]
    assert len(result.backtests["ml_signal (model)"].orders) > 0


def test_bad_settings_are_named_errors() -> None:
    with pytest.raises(InvalidValueError, match="no symbols"):
        cross_sectional_experiment(symbols=["AAPL", "NOPE"])
    with pytest.raises(InvalidValueError, match="one asset's bars"):
        cross_sectional_experiment("spx_daily")
    with pytest.raises(InvalidValueError, match="top_k \\+ bottom_k <= the 3 symbols"):
        cross_sectional_experiment(symbols=["AAPL", "KO", "PG"])
    with pytest.raises(InvalidValueError, match="cannot hold 1000 training dates"):
        cross_sectional_experiment(symbols=SYMBOLS, start="2015-01-01", end="2017-12-31")


# ---------------------------------------------------------------------------- slow


@pytest.fixture
def registry_uri(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> str:
    from alphaforge.ml.registry import ModelRegistry  # noqa: PLC0415

    template = tmp_path_factory.getbasetemp() / "mlflow-experiment" / "mlflow.db"
    if not template.exists():  # creating MLflow's tables takes seconds, copying them not
        template.parent.mkdir()
        ModelRegistry(f"sqlite:///{template}")
    shutil.copy(template, tmp_path / "mlflow.db")
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


@pytest.mark.slow
def test_training_gate_registry_and_a_backtest_by_name(registry_uri: str) -> None:
    """The done-when path: train through the walk-forward, pass the gate, promote, then trade
    the production model by name from the registry."""
    gate = Gate(min_oos_rows=500, compare_on=None)
    result = cross_sectional_experiment(
        **SMALL,
        register="xs_small",
        tracking_uri=registry_uri,
        gate=gate,  # type: ignore[arg-type]
    )
    assert result.registered is not None
    assert result.registered.promoted
    window = {"symbols": SYMBOLS, "start": "2015-01-01", "end": "2015-06-30"}
    params = {"model": "xs_small@production", "tracking_uri": registry_uri, "top_k": 2,
              "bottom_k": 2}  # fmt: skip
    run = backtest("ml_signal", "stocks20_close", params=params, **window)
    assert run.strategy_report == {"source": "xs_small@production", "decisions": 27}  # weeks
    assert len(run.fills) > 27
    refused = cross_sectional_experiment(
        **SMALL, register="xs_refused", tracking_uri=registry_uri,  # type: ignore[arg-type]
        gate=Gate(min_ic=0.5, compare_on=None),
    )  # fmt: skip
    assert refused.registered is not None
    assert not refused.registered.promoted
    assert "ic" in refused.registered.decision
    with pytest.raises(InvalidValueError, match="no version with alias 'production'"):
        backtest("ml_signal", "stocks20_close", params={**params, "model": "xs_refused"}, **window)


@pytest.mark.slow
def test_the_full_replication_reproduces_docs_ml() -> None:
    """The tables in docs/ml.md are what `alphaforge ml replicate` prints today."""
    result = cross_sectional_experiment()
    doc = DOC.read_text()
    for frame, index in ((result.signal, "signal"), (result.performance, "strategy")):
        assert markdown(frame, index=index) in doc, "rerun `alphaforge ml replicate`, paste it"
    assert result.timings["walk_forward_training"] < 120  # target 60 s on 2 cores; slack
