"""The MLflow-backed model registry: log, version, load, gate-checked promotion, rollback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import alphaforge as af
from alphaforge.domain.errors import InvalidValueError
from alphaforge.ml.base import Model, NotFittedError, register_model_kind
from alphaforge.ml.gates import Gate, GateDecision
from alphaforge.ml.registry import (
    ModelRegistry,
    PromotionRefusedError,
    dataset_info,
    default_tracking_uri,
    git_commit,
)


@register_model_kind
class _TinyLogistic(Model):
    """The smallest real model: scikit-learn's logistic regression, saved as JSON numbers."""

    kind = "registry_test_logistic"

    def _fit(self, X: pd.DataFrame, y: pd.Series, sample_weight: pd.Series | None) -> None:
        est = LogisticRegression(C=float(self.params.get("C", 1.0)), random_state=self.seed)
        est.fit(X.to_numpy(), y.to_numpy())
        self.coef_, self.intercept_ = est.coef_[0], float(est.intercept_[0])

    def _proba_up(self, X: pd.DataFrame) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(X.to_numpy() @ self.coef_ + self.intercept_)))

    def _predict(self, X: pd.DataFrame) -> np.ndarray:
        assert self.classes is not None
        return np.where(self._proba_up(X) > 0.5, self.classes[1], self.classes[0])

    def _predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        up = self._proba_up(X)
        return np.column_stack([1.0 - up, up])

    def _save_state(self, folder: Path) -> None:
        state = {"coef": self.coef_.tolist(), "intercept": self.intercept_}
        (folder / "state.json").write_text(json.dumps(state))

    def _load_state(self, folder: Path) -> None:
        state = json.loads((folder / "state.json").read_text())
        self.coef_, self.intercept_ = np.array(state["coef"]), float(state["intercept"])


@pytest.fixture(scope="module")
def spx() -> tuple[pd.DataFrame, pd.Series]:
    """Lagged S&P 500 log returns and whether the next 5 days rose (1.0) or not (0.0)."""
    close = af.load_dataset("spx_daily")["close"]
    r = np.log(close).diff()
    X = pd.DataFrame({"ret_1": r, "ret_5": r.rolling(5).sum(), "ret_20": r.rolling(20).sum()})
    fwd = np.log(close).shift(-5) - np.log(close)
    y = (fwd > 0).astype(np.float64).where(fwd.notna())
    rows = X.notna().all(axis=1) & y.notna()
    return X[rows], y[rows]


@pytest.fixture
def registry(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> ModelRegistry:
    template = tmp_path_factory.getbasetemp() / "mlflow-template" / "mlflow.db"
    if not template.exists():  # creating MLflow's tables takes seconds, copying them not
        template.parent.mkdir()
        ModelRegistry(f"sqlite:///{template}")
    shutil.copy(template, tmp_path / "mlflow.db")
    # A new experiment, so this test's artifacts land in its own tmp folder.
    return ModelRegistry(f"sqlite:///{tmp_path / 'mlflow.db'}", experiment="test")


def _fit(X: pd.DataFrame, y: pd.Series, start: str, end: str, c: float = 1.0) -> Model:
    return _TinyLogistic(C=c).fit(X.loc[start:end], y.loc[start:end])


def _pass() -> GateDecision:
    return Gate(min_accuracy=0.5).evaluate({"accuracy": 0.55})


def test_log_training_tracks_everything_needed_to_reproduce_the_model(
    registry: ModelRegistry, spx: tuple[pd.DataFrame, pd.Series], tmp_path: Path
) -> None:
    X, y = spx
    Xt, yt = X.loc["2003":"2006"], y.loc["2003":"2006"]
    model = _TinyLogistic(C=0.5, seed=3).fit(Xt, yt)
    mv = registry.log_training(
        model,
        name="spx_dir",
        metrics={"ic": 0.04, "accuracy": 0.53},
        params={"horizon": 5},
        provenance={"dataset": "spx_daily", "label": "sign of the 5-day forward return"},
        data=Xt,
        target=yt,
    )
    assert (mv.name, mv.version, mv.aliases) == ("spx_dir", 1, ())
    assert mv.metrics == {"ic": 0.04, "accuracy": 0.53}
    assert mv.params == {
        "kind": "registry_test_logistic",
        "task": "classification",
        "seed": "3",
        "model.C": "0.5",
        "horizon": "5",
    }
    assert mv.tags["alphaforge.kind"] == "registry_test_logistic"
    assert mv.tags["alphaforge.n_features"] == "3"
    assert mv.tags["alphaforge.code_version"].startswith(af.__version__)
    assert mv.gate_passed is None  # not judged yet

    run = registry.client.get_run(mv.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["provenance.dataset"] == "spx_daily"
    assert run.data.tags["data.rows"] == str(len(Xt)) == "1007"
    assert run.data.tags["data.start"] == "2003-01-02 00:00:00+00:00"
    assert run.data.tags["data.sha256"] == dataset_info(Xt, yt)["sha256"]
    # The artifacts: the saved model and the feature list, in this test's own folder.
    artifacts = Path(run.info.artifact_uri.removeprefix("file://"))
    assert artifacts.is_relative_to(tmp_path)
    assert json.loads((artifacts / "meta" / "features.json").read_text()) == list(X.columns)
    assert (artifacts / "model" / "state.json").exists()


def test_load_by_version_and_alias_gives_back_the_same_predictions(
    registry: ModelRegistry, spx: tuple[pd.DataFrame, pd.Series]
) -> None:
    X, y = spx
    v1 = _fit(X, y, "2003", "2006")
    v2 = _fit(X, y, "2005", "2008", c=0.1)
    registry.log_training(v1, name="spx_dir", metrics={"accuracy": 0.55})
    registry.log_training(v2, name="spx_dir", metrics={"accuracy": 0.56})
    registry.promote("spx_dir", 1, _pass())
    registry.set_alias("spx_dir", "challenger", 2)

    test = X.loc["2010"]
    expected1 = v1.predict_proba(test)
    expected2 = v2.predict_proba(test)
    assert not np.allclose(expected1, expected2)
    pd.testing.assert_frame_equal(registry.load("spx_dir").predict_proba(test), expected1)
    pd.testing.assert_frame_equal(registry.load("spx_dir", 2).predict_proba(test), expected2)
    loaded = registry.load("spx_dir", alias="challenger")
    pd.testing.assert_frame_equal(loaded.predict_proba(test), expected2)
    assert [v.version for v in registry.versions("spx_dir")] == [1, 2]
    assert registry.versions("spx_dir")[1].aliases == ("challenger",)
    assert registry.models() == ["spx_dir"]


def test_promote_refuses_a_failed_gate_and_records_why(
    registry: ModelRegistry, spx: tuple[pd.DataFrame, pd.Series]
) -> None:
    X, y = spx
    registry.log_training(_fit(X, y, "2003", "2006"), name="spx_dir", metrics={"ic": 0.01})
    decision = Gate(min_ic=0.02).evaluate({"ic": 0.01})
    with pytest.raises(
        PromotionRefusedError, match=r"spx_dir v1 failed the gate: ic 0.01 is below"
    ):
        registry.promote("spx_dir", 1, decision)
    assert registry.production("spx_dir") is None
    mv = registry.get("spx_dir", 1)
    assert mv.gate_passed is False
    assert mv.gate_reasons == ["ic 0.01 is below the minimum 0.02"]
    assert mv.tags["gate.checks"] == (
        "ic 0.01 is below the minimum 0.02\nno production model yet: comparison skipped"
    )


def test_rollback_returns_to_the_previous_or_any_earlier_version(
    registry: ModelRegistry, spx: tuple[pd.DataFrame, pd.Series]
) -> None:
    X, y = spx
    for start, end in (("2000", "2003"), ("2003", "2006"), ("2006", "2009")):
        model = _fit(X, y, start, end)
        mv = registry.log_training(model, name="spx_dir", metrics={"accuracy": 0.55})
        registry.promote("spx_dir", mv.version, _pass())
    assert registry.history("spx_dir") == [1, 2, 3]
    assert registry.rollback("spx_dir").version == 2  # the one before the current
    assert registry.production("spx_dir").version == 2  # type: ignore[union-attr]
    assert registry.rollback("spx_dir", to_version=1).aliases == ("production",)
    assert registry.history("spx_dir") == [1, 2, 3, 2, 1]
    assert "rolled_back_at" in registry.get("spx_dir", 1).tags
    with pytest.raises(InvalidValueError, match="v1 is already in production"):
        registry.rollback("spx_dir", to_version=1)
    with pytest.raises(InvalidValueError, match="has no version 9"):
        registry.rollback("spx_dir", to_version=9)


def test_rollback_without_an_earlier_production_version_is_an_error(
    registry: ModelRegistry, spx: tuple[pd.DataFrame, pd.Series]
) -> None:
    X, y = spx
    registry.log_training(_fit(X, y, "2003", "2006"), name="spx_dir", metrics={"accuracy": 0.5})
    registry.promote("spx_dir", 1, _pass())
    with pytest.raises(InvalidValueError, match="no earlier production version"):
        registry.rollback("spx_dir")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r, m: r.load("spx_dri"), r"no registered model 'spx_dri'.*did you mean 'spx_dir'"),
        (lambda r, m: r.load("spx_dir"), r"no version with alias 'production' \(aliases: none\)"),
        (lambda r, m: r.get("spx_dir", 4), r"has no version 4 \(has \[1\]\)"),
        (lambda r, m: r.get("spx_dir", 1, alias="x"), "a version or an alias, not both"),
        (lambda r, m: r.set_alias("spx_dir", "production", 1), "through promote"),
        (lambda r, m: r.versions("bad name!"), "model name 'bad name!'"),
        (
            lambda r, m: r.log_training(m, name="spx_dir", metrics={"ic": float("nan")}),
            "metric 'ic' is nan",
        ),
        (
            lambda r, m: r.log_training(m, name="spx_dir", metrics={"ic": "high"}),
            "metric 'ic' must be a number, got 'high'",
        ),
        (
            lambda r, m: r.log_training(m, name="spx_dir", metrics={}, features=["ret_1"]),
            "differ from the model's",
        ),
    ],
)
def test_bad_requests_are_named_errors(
    registry: ModelRegistry, spx: tuple[pd.DataFrame, pd.Series], call: Any, message: str
) -> None:
    X, y = spx
    model = _fit(X, y, "2003", "2006")
    registry.log_training(model, name="spx_dir", metrics={"accuracy": 0.5})
    runs_before = len(registry.client.search_runs([registry.experiment_id]))
    with pytest.raises(InvalidValueError, match=message):
        call(registry, model)
    assert len(registry.client.search_runs([registry.experiment_id])) == runs_before


def test_an_unfitted_model_cannot_be_logged(registry: ModelRegistry) -> None:
    with pytest.raises(NotFittedError, match="fit the model first"):
        registry.log_training(_TinyLogistic(), name="spx_dir", metrics={})
    assert registry.models() == []


def test_tracking_uri_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert default_tracking_uri() == "http://127.0.0.1:5000"
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    uri = default_tracking_uri()
    assert uri.startswith("sqlite:///")
    assert uri.endswith("alphaforge/mlflow.db")
    with pytest.raises(InvalidValueError, match="give a database file"):
        ModelRegistry("sqlite://")


def test_git_commit_reads_heads_packed_refs_and_detached_heads(tmp_path: Path) -> None:
    # A hand-made .git folder (a known answer, no git run): each way HEAD can name a commit.
    sha = "0123456789abcdef0123456789abcdef01234567"
    git = tmp_path / "repo" / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (tmp_path / "repo" / "src").mkdir()
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "refs" / "heads" / "main").write_text(sha + "\n")
    assert git_commit(tmp_path / "repo" / "src") == sha
    (git / "refs" / "heads" / "main").unlink()
    (git / "packed-refs").write_text(f"# pack-refs\n{sha} refs/heads/main\n")
    assert git_commit(tmp_path / "repo" / "src") == sha
    (git / "HEAD").write_text(sha[::-1] + "\n")
    assert git_commit(tmp_path / "repo") == sha[::-1]
    assert git_commit(Path("/")) is None
