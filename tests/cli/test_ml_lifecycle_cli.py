"""`alphaforge ml train | tune | models | promote | rollback | drift` on the bundled S&P 500.

The commands are mounted on an app built here, as the lead mounts them on `alphaforge ml`. Each
test gets its own MLflow SQLite file (a copy of one made once: creating MLflow's tables takes
seconds). Models are logistic regressions (`--model linear`) on a few years of daily bars, so
the whole file runs in seconds.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import alphaforge as af
from alphaforge.cli._common import ExitCode, console, err_console
from alphaforge.cli.ml_lifecycle import register
from alphaforge.features import FeatureSet, forward_returns
from alphaforge.ml.base import make_model
from alphaforge.ml.drift import feature_drift
from alphaforge.ml.registry import ModelRegistry

runner = CliRunner()
ml = typer.Typer()
register(ml)
app = typer.Typer()
app.add_typer(ml, name="ml")


@app.callback()
def _root() -> None:
    """A root, so the group keeps its name as on ``alphaforge``."""


# Train 2012-2014 (purged of labels reaching into 2015), test 2015: ~750 and ~245 rows.
TRAIN = ["ml", "train", "--name", "spx_dir", "--data", "spx_daily", "--label", "direction",
         "--horizon", "5", "--model", "linear", "--start", "2012-01-01", "--train-end",
         "2014-12-31", "--end", "2015-12-31", "--cv-folds", "3", "--seed", "7"]  # fmt: skip


@pytest.fixture
def uri(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> str:
    template = tmp_path_factory.getbasetemp() / "mlflow-cli-template" / "mlflow.db"
    if not template.exists():
        template.parent.mkdir()
        # Another experiment's name: the commands' "alphaforge" experiment is then created in
        # each copy, with its artifacts beside that copy.
        ModelRegistry(f"sqlite:///{template}", experiment="template")
    shutil.copy(template, tmp_path / "mlflow.db")
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


@pytest.fixture(autouse=True)
def defaults_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No machine config, no MLflow server from the environment, wide tables."""
    for name in ("ALPHAFORGE_CONFIG", "ALPHAFORGE_ML__TRACKING_URI", "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    for con in (console, err_console):
        monkeypatch.setattr(con, "_width", 220)


def run(*args: str, code: int = 0, **env: str) -> Any:
    result = runner.invoke(app, list(args), env=env or None)
    assert result.exit_code == code, result.output
    return result


def as_json(*args: str) -> Any:
    return json.loads(run(*args, "--json").stdout)


def test_train_scores_only_rows_after_train_end_and_logs_the_recipe(uri: str) -> None:
    summary = as_json(*TRAIN, "--tracking-uri", uri)
    assert summary["version"] == 1
    assert summary["train"]["span"].endswith("2014-12-23")  # the last 5 labels end in 2015
    assert summary["train"]["purged"] == 5
    assert summary["test"]["span"] == "2015-01-02..2015-12-23"  # later labels end after --end

    # The out-of-sample accuracy, recomputed on its own: the logged model, classic features,
    # the sign of the 5-day forward return, on every 2015 row whose label ends in 2015.
    registry = ModelRegistry(uri)
    model = registry.load("spx_dir", version=1)
    bars = af.load_dataset("spx_daily").loc[:"2015-12-31"]
    ahead = forward_returns(bars["close"], 5).y.loc["2015"].dropna()
    X = FeatureSet.classic().compute(bars).loc[ahead.index]
    hits = model.predict(X).to_numpy() == (ahead > 0).to_numpy()
    assert len(ahead) == summary["test"]["rows"]
    assert summary["oos"]["accuracy"] == pytest.approx(hits.mean(), abs=1e-12)

    version = registry.get("spx_dir", version=1)
    assert version.metrics["accuracy"] == summary["oos"]["accuracy"]
    assert version.metrics["n_oos"] == len(ahead)
    assert {"cv_accuracy", "cv_log_loss", "cv_ic", "ic", "log_loss"} <= set(version.metrics)
    assert version.tags["provenance.label"] == "direction"
    assert version.tags["provenance.train_end"] == "2014-12-31"
    assert version.tags["data.end"].startswith("2014-12-23")
    assert version.aliases == ()  # not promoted without --promote


def test_train_is_reproducible(uri: str) -> None:
    first = as_json(*TRAIN, "--tracking-uri", uri)
    again = as_json(*TRAIN, "--tracking-uri", uri)
    assert (first["version"], again["version"]) == (1, 2)
    assert first["oos"] == again["oos"]
    assert first["cv"] == again["cv"]


def test_promotion_is_gated_recorded_and_reversible(uri: str) -> None:
    first = run(*TRAIN, "--tracking-uri", uri, "--promote")
    assert "no production model yet: comparison skipped" in first.stdout
    assert "promoted: spx_dir v1 is in production (was none)" in first.stdout

    # A gate v2 cannot pass: exit 7, the reason printed and written on the version.
    refused = run(*TRAIN, "--tracking-uri", uri, "--promote", "--min-accuracy", "0.99", code=7)
    assert "refused: spx_dir v2 stays out of production" in refused.stdout
    registry = ModelRegistry(uri)
    assert registry.get("spx_dir", version=2).gate_reasons[0].startswith("accuracy")
    assert registry.production("spx_dir").version == 1  # type: ignore[union-attr]

    # The production model is scored again on v2's test rows: the same rows and the same
    # (seeded) model as v1's, so it must give exactly v1's logged IC.
    v1_ic = registry.get("spx_dir", version=1).metrics["ic"]
    promoted = run("ml", "promote", "spx_dir", "2", "--tracking-uri", uri, "--margin", "0.01",
                   code=7)  # fmt: skip
    assert f"does not beat production {v1_ic:.6g} by the margin 0.01" in promoted.stdout
    run("ml", "promote", "spx_dir", "2", "--tracking-uri", uri, "--compare-on", "none")
    assert registry.production("spx_dir").version == 2  # type: ignore[union-attr]

    back = run("ml", "rollback", "spx_dir", "--tracking-uri", uri)
    assert "production v2 -> v1" in back.stdout
    shown = as_json("ml", "models", "show", "spx_dir", "--tracking-uri", uri)
    assert shown["history"] == [1, 2, 1]
    assert [v["gate"] for v in shown["versions"]] == ["passed", "passed"]
    table = run("ml", "models", "show", "spx_dir", "--tracking-uri", uri).stdout
    assert "production history: v1 -> v2 -> v1" in table
    listed = as_json("ml", "models", "list", "--tracking-uri", uri)
    assert listed == [
        {"name": "spx_dir", "versions": 2, "production": 1, "latest": 2, "kind": "linear",
         "created": listed[0]["created"]}
    ]  # fmt: skip


def test_drift_flags_the_2008_crash_not_calm_2007(uri: str) -> None:
    # As in docs/ml_registry.md: returns of 2003-2006 against calm 2007H1 and July-October 2008.
    run("ml", "train", "--name", "spx_ret", "--features", "ret_lag_1,ret_5,ret_20",
        "--model", "linear", "--start", "2003-01-01", "--train-end", "2006-12-31",
        "--end", "2007-06-29", "--cv-folds", "0", "--tracking-uri", uri, "--promote")  # fmt: skip
    calm = as_json("ml", "drift", "spx_ret", "--start", "2007-01-01", "--end", "2007-06-29",
                   "--tracking-uri", uri)  # fmt: skip
    assert calm["reference_rows"] > 900
    assert calm["in_sample_rows"] == 0
    assert not calm["drifted"]
    assert max(f["psi"] for f in calm["features"].values()) < 0.25
    args = ("ml", "drift", "spx_ret", "--start", "2008-07-01", "--end", "2008-10-31",
            "--tracking-uri", uri, "--fail-on-drift")  # fmt: skip
    crash = json.loads(run(*args, "--json", code=ExitCode.FAILED).stdout)
    assert crash["drifted_features"] == ["ret_lag_1", "ret_5", "ret_20"]
    assert crash["prediction_psi"] > 0.25
    text = run(*args, code=ExitCode.FAILED).stdout
    assert re.search(r"drift: 3 of 3 features \(.*\); predictions \(PSI \d+\.\d+ > 0\.25\)", text)


def test_tune_searches_on_training_rows_only_and_is_seeded() -> None:
    args = ("ml", "tune", "--model", "linear", "--start", "2012-01-01", "--train-end",
            "2014-12-31", "--trials", "3", "--cv-folds", "3", "--seed", "3")  # fmt: skip
    found = as_json(*args)
    assert set(found["best_params"]) == {"C"}
    assert found["span"].endswith("2014-12-23")  # no row whose label reaches past --train-end
    assert (found["metric"], found["direction"], found["trials"]) == ("log_loss", "minimize", 3)
    again = run(*args).stdout  # a second search, same seed: the same winner
    assert f"-p C={json.dumps(found['best_params']['C'])}" in again
    assert f"best mean log_loss {found['best_score']:.4f}" in again


def test_tracking_uri_comes_from_the_config(uri: str) -> None:
    run(*TRAIN, "--cv-folds", "0", "--tracking-uri", uri)
    listed = run("ml", "models", "list", ALPHAFORGE_ML__TRACKING_URI=uri)
    assert "spx_dir" in listed.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ml", "promote", "spx_dri", "1"], "did you mean 'spx_dir'?"),
        (["ml", "rollback", "spx_dir"], "no earlier production version"),
        (["ml", "drift", "spx_dir", "--start", "2015-12-01", "--end", "2015-12-31"],
         "fewer than --min-rows 50"),
        (["ml", "train", "--name", "x", "--train-end", "2014-12-31", "--label", "up"],
         "use one of direction, return, classes, triple_barrier"),
        (["ml", "train", "--name", "x", "--train-end", "2030-01-01", "--start", "2018-01-01"],
         "leaves no test row"),
        (["ml", "train", "--name", "x", "--train-end", "2014-12-31", "--data", "stocks20_close"],
         "use --features close_only"),
    ],
)  # fmt: skip
def test_bad_input_is_one_clear_line(uri: str, args: list[str], message: str) -> None:
    run(*TRAIN, "--cv-folds", "0", "--tracking-uri", uri, "--promote")
    result = run(*args, "--tracking-uri", uri, code=ExitCode.USAGE)
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_version_logged_from_python_is_gated_on_its_logged_metrics(uri: str) -> None:
    run(*TRAIN, "--cv-folds", "0", "--tracking-uri", uri, "--promote")
    bars = af.load_dataset("spx_daily").loc["2012":"2014"]
    X = FeatureSet.classic().select(["rsi_14"]).compute(bars).dropna()
    y = (bars["close"].shift(-1) > bars["close"]).astype(float).loc[X.index]
    model = make_model("linear").fit(X, y)
    ModelRegistry(uri).log_training(model, name="spx_dir", metrics={"ic": 0.5, "n_oos": 60})
    promoted = run("ml", "promote", "spx_dir", "2", "--tracking-uri", uri)
    assert "compared with production v1's own logged metrics (other test rows)" in promoted.stdout
    assert "promoted: spx_dir v2 is in production (was v1)" in promoted.stdout
    no_recipe = run("ml", "drift", "spx_dir", "--start", "2015-01-01", "--tracking-uri", uri,
                    code=ExitCode.USAGE)  # fmt: skip
    assert "was not logged by `alphaforge ml train`" in no_recipe.stderr


def test_production_with_another_label_is_not_rescored_on_these_rows(uri: str) -> None:
    run(*TRAIN, "--cv-folds", "0", "--tracking-uri", uri, "--promote")
    other = [*TRAIN, "--label", "return", "--cv-folds", "0", "--tracking-uri", uri, "--promote"]
    result = runner.invoke(app, other)
    assert result.exit_code in (0, ExitCode.FAILED), result.output
    assert "production v1 could not be scored on these rows: it predicts direction/5" in (
        result.stdout
    )
    assert "compared with production v1's own logged metrics (other test rows)" in result.stdout


def test_a_password_in_the_tracking_uri_is_refused() -> None:
    result = run("ml", "models", "list", "--tracking-uri", "http://me:pw@host:5000", code=2)
    assert "the URL holds a password" in result.stderr
    assert "pw" not in result.stderr.replace("password", "")


def test_drift_numbers_match_the_library(uri: str) -> None:
    """The command's PSI is alphaforge.ml.drift's on the same rows (the model's training rows
    against the period's)."""
    run("ml", "train", "--name", "m", "--features", "rvol_20", "--model", "linear",
        "--start", "2005-01-01", "--train-end", "2006-12-31", "--end", "2007-03-30",
        "--cv-folds", "0", "--tracking-uri", uri)  # fmt: skip
    found = as_json("ml", "drift", "m", "--version", "1", "--start", "2007-01-01",
                    "--end", "2007-12-31", "--tracking-uri", uri)  # fmt: skip
    X = FeatureSet.classic().select(["rvol_20"]).compute(af.load_dataset("spx_daily"))
    reference = X.loc["2005-01-01":"2006-12-21"]  # the training rows: labels end by 2006
    table = feature_drift(reference, X.loc["2007-01-01":"2007-12-31"])
    assert found["features"]["rvol_20"]["psi"] == pytest.approx(table.loc["rvol_20", "psi"])
    assert np.isfinite(found["prediction_psi"])
    assert isinstance(found["performance"]["ic"], float)
    assert pd.Timestamp(found["period"].split("..")[1]) <= pd.Timestamp("2007-12-31")
