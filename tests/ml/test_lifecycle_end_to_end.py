"""A model's life on real S&P 500 data: train, gate, promote, drift, retrain, reject, roll back.

The model: logistic regression (``make_model("linear")``) on three lagged S&P 500 log returns
(1, 5 and 20 days) predicting whether the index is higher 5 trading days later. Each (re)training
at a date T uses the 750 rows (about three years) before a 63-row holdout that ends with the last
label known at T; training rows whose label reaches into the holdout are purged. Candidate and
production model are scored on that same holdout.

The deliberately shifted data set is a different *regime*, not a synthetic transform: July to
October 2008 (Lehman), when daily S&P returns were about three times as wide as in 2003-2006.
Raw return features carry that scale, so their distribution moves far outside the training
window's (PSI 0.5-0.7 against 0.12-0.14 for the calm first half of 2007, the control).

The numbers asserted below are what this fixed data gives; they are lifecycle facts, not evidence
of forecasting skill (63 overlapping 5-day labels is a small sample).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import alphaforge as af
from alphaforge.core.bus import MessageBus
from alphaforge.domain.errors import InvalidValueError
from alphaforge.ml.base import Model, make_model
from alphaforge.ml.drift import DriftDetected, DriftMonitor, DriftThresholds
from alphaforge.ml.gates import Gate
from alphaforge.ml.lifecycle import (
    ModelPromoted,
    ModelRolledBack,
    PromotionRejected,
    RetrainingJob,
    Trained,
    performance_weights,
    trailing_scores,
)
from alphaforge.ml.registry import ModelRegistry

FEATURES = ["ret_1", "ret_5", "ret_20"]
HORIZON, HOLDOUT, TRAIN_ROWS = 5, 63, 750
NAME = "spx_dir_5d"


@pytest.fixture(scope="module")
def spx() -> pd.DataFrame:
    """Features, the 5-day forward log return ``fwd`` and its direction ``y`` (1.0 = up)."""
    close = af.load_dataset("spx_daily")["close"]
    r = np.log(close).diff()
    fwd = np.log(close).shift(-HORIZON) - np.log(close)
    frame = pd.DataFrame(
        {
            "ret_1": r,
            "ret_5": r.rolling(5).sum(),
            "ret_20": r.rolling(20).sum(),
            "fwd": fwd,
            "y": (fwd > 0).astype(np.float64).where(fwd.notna()),
        }
    )
    return frame.dropna()


def split(data: pd.DataFrame, at: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training rows and holdout rows for a (re)training at date ``at``, using only labels
    known by then, with the training labels purged from the holdout span."""
    pos = int(data.index.searchsorted(pd.Timestamp(at, tz="UTC"), side="right")) - 1
    holdout_end = pos - HORIZON + 1  # the last row whose 5-day label has ended by ``at``
    holdout = data.iloc[holdout_end - HOLDOUT : holdout_end]
    train_end = holdout_end - HOLDOUT - HORIZON  # purge: labels end before the holdout starts
    return data.iloc[train_end - TRAIN_ROWS : train_end], holdout


def metrics(model: Model, rows: pd.DataFrame) -> dict[str, float]:
    """Out-of-sample rank IC, hit rate, log loss and row count of P(up) on ``rows``."""
    p = model.predict_proba(rows[FEATURES])[1.0].to_numpy()
    y = rows["y"].to_numpy()
    return {
        "ic": float(stats.spearmanr(p, rows["fwd"]).statistic),
        "accuracy": float(np.mean((p > 0.5) == (y > 0.5))),
        "log_loss": float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))),
        "n_oos": float(len(rows)),
    }


@pytest.fixture
def registry(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> ModelRegistry:
    template = tmp_path_factory.getbasetemp() / "mlflow-template" / "mlflow.db"
    if not template.exists():  # creating MLflow's tables takes seconds: do it once
        template.parent.mkdir()
        ModelRegistry(f"sqlite:///{template}")
    shutil.copy(template, tmp_path / "mlflow.db")
    return ModelRegistry(f"sqlite:///{tmp_path / 'mlflow.db'}", experiment="lifecycle")


def test_drift_on_a_shifted_regime_triggers_a_gated_retraining_end_to_end(
    spx: pd.DataFrame, registry: ModelRegistry
) -> None:
    def train(at: str) -> Trained:
        rows, _ = split(spx, at)
        model = make_model("linear", task="classification", seed=0, C=1.0, max_iter=1000)
        model.fit(rows[FEATURES], rows["y"])
        provenance = {"dataset": "spx_daily", "label": "sign of the 5-day forward log return"}
        return Trained(model, {"horizon": HORIZON}, provenance, rows[FEATURES], rows["y"])

    def evaluate(model: Model, at: str) -> dict[str, float]:
        return metrics(model, split(spx, at)[1])

    bus, heard = MessageBus(), []
    bus.subscribe("ml.*", heard.append)
    gate = Gate(min_accuracy=0.5, min_oos_rows=60, compare_on="log_loss", margin=0.01)
    job = RetrainingJob(train, evaluate, registry, gate, NAME, every=40, bus=bus)

    # 1. The first model: no production yet, so only the thresholds apply.
    first = job.run("2006-12-29", trigger="initial")
    assert (first.action, first.candidate.version, first.production) == ("promoted", 1, 1)
    assert first.candidate.metrics["accuracy"] == pytest.approx(48 / 63)
    v1 = registry.load(NAME)  # by name: the production version
    reference = split(spx, "2006-12-29")[0][FEATURES]
    assert (
        registry.get(NAME, 1).tags["data.start"]
        == str(reference.index[0])
        == ("2003-09-25 00:00:00+00:00")
    )

    monitor = DriftMonitor(
        reference,
        DriftThresholds(min_rows=60),
        bus,
        model=NAME,
        reference_predictions=v1.predict_proba(reference)[1.0],
        window=126,
        task="classification",
    )

    # 2. Control: the calm first half of 2007 is the training regime; nothing fires.
    calm = spx.loc["2007-01":"2007-06"]
    report = monitor.update(calm[FEATURES], v1.predict_proba(calm[FEATURES])[1.0])
    assert not report.drifted
    assert (report.features["psi"] < 0.15).all()
    assert not job.due

    # 3. The shifted data set: July-October 2008. Every feature drifts; the job becomes due.
    crisis = spx.loc["2008-07":"2008-10"]
    report = monitor.update(crisis[FEATURES], v1.predict_proba(crisis[FEATURES])[1.0])
    assert report.drifted_features() == FEATURES
    assert (report.features["psi"] > 0.4).all()
    assert report.prediction_psi is not None
    assert report.prediction_psi > 0.25
    assert job.due
    assert job.trigger is not None
    assert job.trigger.startswith("drift: feature ret_1 psi")

    # 4. Retraining at the drift: v2 beats v1 on the same holdout by more than the margin.
    assert report.ts is not None
    second = job.run_if_due(str(report.ts.date()))
    assert second is not None
    assert (second.action, second.candidate.version, second.previous) == ("promoted", 2, 1)
    production_ll = second.decision.production["log_loss"]  # type: ignore[index]
    assert second.candidate.metrics["log_loss"] == pytest.approx(0.7088, abs=1e-4)
    assert production_ll == pytest.approx(0.7596, abs=1e-4)
    assert registry.production(NAME).version == 2  # type: ignore[union-attr]
    assert not job.due  # the drift was acted on

    # 5. The next scheduled retraining (40 bars later): v3 is no better than v2 by the margin;
    #    the gate keeps v2 and the reasons are written on version 3.
    assert job.tick(41)
    assert job.trigger == "schedule: 41 bars since the last run"
    third = job.run_if_due("2008-12-31")
    assert third is not None
    assert (third.action, third.candidate.version, third.production) == ("kept", 3, 2)
    assert third.decision.candidate["log_loss"] == pytest.approx(0.8101, abs=1e-4)
    assert third.decision.production["log_loss"] == pytest.approx(0.8153, abs=1e-4)  # type: ignore[index]
    assert len(third.reasons) == 1
    assert re.fullmatch(
        r"log_loss 0\.810\d+ does not beat production 0\.815\d+ by the margin 0\.01 "
        r"\(lower is better\)",
        third.reasons[0],
    )
    stored = registry.get(NAME, 3)
    assert stored.gate_passed is False
    assert stored.gate_reasons == list(third.reasons)
    assert stored.tags["alphaforge.trigger"] == "schedule: 41 bars since the last run"
    assert registry.production(NAME).version == 2  # type: ignore[union-attr]

    # 6. On that same holdout the old v1 does better than v2: roll back to it.
    holdout = split(spx, "2008-12-31")[1]
    assert metrics(v1, holdout)["log_loss"] < metrics(registry.load(NAME), holdout)["log_loss"]
    job.rollback(1)
    restored = registry.load(NAME)
    pd.testing.assert_frame_equal(
        restored.predict_proba(holdout[FEATURES]), v1.predict_proba(holdout[FEATURES])
    )
    assert registry.history(NAME) == [1, 2, 1]

    # Every step was announced on the bus.
    lifecycle = [e for e in heard if not isinstance(e, DriftDetected)]
    assert lifecycle == [
        ModelPromoted(NAME, 1, None, "initial", first.decision.candidate),
        ModelPromoted(NAME, 2, 1, second.trigger, second.decision.candidate),
        PromotionRejected(NAME, 3, 2, third.trigger, third.reasons),
        ModelRolledBack(NAME, 2, 1),
    ]
    drift_events = [e for e in heard if isinstance(e, DriftDetected)]
    assert {e.subject for e in drift_events} == {*FEATURES, "prediction"}
    job.close()


def test_schedule_and_drift_triggers(registry: ModelRegistry) -> None:
    bus = MessageBus()
    job: RetrainingJob[str] = RetrainingJob(
        lambda at: None,  # type: ignore[arg-type,return-value]
        lambda model, at: {},
        registry,
        Gate(),
        "spx_dir",
        every=3,
        bus=bus,
    )
    assert not job.tick()
    assert not job.tick()
    assert job.tick()
    assert job.trigger == "schedule: 3 bars since the last run"
    with pytest.raises(InvalidValueError, match="train_fn must return a fitted Model or Trained"):
        job.run("2008-12-31")

    quiet: RetrainingJob[str] = RetrainingJob(
        lambda at: None,  # type: ignore[arg-type,return-value]
        lambda model, at: {},
        registry,
        Gate(),
        "spx_dir",
        bus=bus,
    )
    other = DriftDetected("another_model", "feature", "ret_1", "psi", 0.9, 0.25)
    bus.publish(other.topic, other)
    assert not quiet.due  # not this model's drift
    mine = DriftDetected("spx_dir", "prediction", "prediction", "psi", 0.9, 0.25)
    bus.publish(mine.topic, mine)
    assert quiet.trigger == "drift: prediction prediction psi 0.9 (limit 0.25)"
    quiet.close()
    job.close()
    assert bus.subscriptions() == ()
    with pytest.raises(InvalidValueError, match="give a count >= 1"):
        RetrainingJob(lambda at: None, lambda m, at: {}, registry, Gate(), "x", every=0)  # type: ignore[arg-type,return-value]


def test_performance_weights_follow_scores_within_floor_and_cap() -> None:
    w = performance_weights({"a": 0.04, "b": 0.02, "c": 0.02})
    assert w.to_dict() == pytest.approx({"a": 0.5, "b": 0.25, "c": 0.25})
    capped = performance_weights({"a": 0.09, "b": 0.01, "c": 0.0}, floor=0.1, cap=0.6)
    assert capped.to_dict() == pytest.approx({"a": 0.6, "b": 0.3, "c": 0.1})
    assert performance_weights({"a": -0.1, "b": float("nan")}).to_dict() == {"a": 0.5, "b": 0.5}
    rng = np.random.default_rng(11)  # random scores: the bounds hold whatever they are
    for _ in range(200):
        scores = pd.Series(rng.normal(0.02, 0.05, 6))
        weights = performance_weights(scores, floor=0.05, cap=0.4)
        assert weights.sum() == pytest.approx(1.0)
        assert weights.between(0.05 - 1e-12, 0.4 + 1e-12).all()
    with pytest.raises(InvalidValueError, match="cannot sum to 1"):
        performance_weights({"a": 1.0, "b": 1.0}, cap=0.4)
    with pytest.raises(InvalidValueError, match="floor <= cap"):
        performance_weights({"a": 1.0}, floor=0.5, cap=0.2)


def test_trailing_scores_rank_models_by_recent_ic(spx: pd.DataFrame) -> None:
    part = spx.loc["2012"]
    predictions = pd.DataFrame({"momentum": part["ret_20"], "reversal": -part["ret_20"]})
    scores = trailing_scores(predictions, part["fwd"], window=60)
    last = part.iloc[-60:]
    expected = stats.spearmanr(last["ret_20"], last["fwd"]).statistic
    assert scores["momentum"] == pytest.approx(expected)
    assert scores["reversal"] == pytest.approx(-expected)
    weights = performance_weights(scores, floor=0.1, cap=0.9)
    assert weights[scores.idxmax()] == pytest.approx(0.9)
