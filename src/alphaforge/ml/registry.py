"""The model registry: every training run tracked, every model versioned, one in production.

Built on MLflow tracking and its model registry. By default everything lives in one local SQLite
file (``~/.local/share/alphaforge/mlflow.db``, artifacts in ``mlartifacts/`` beside it); any
MLflow server works by URL (``http://host:5000``), as does any MLflow database URI.

Each :meth:`ModelRegistry.log_training` makes one MLflow run holding the model's parameters, its
out-of-sample metrics, the feature list, the data provenance (where the training rows came
from, their span and a SHA-256 of their values), the code version (alphaforge's version and the
git commit it runs from, if any) and the saved model directory; then a new version of the
registered model ``name`` pointing at it. Strategies load models back by name and version or
alias (``production`` by default).

Promotion is gated: :meth:`ModelRegistry.promote` takes the :class:`GateDecision` of
``alphaforge.ml.gates`` and refuses a failed one; every decision, pass or fail, is written on
the version as tags (``gate.passed``, ``gate.reasons``, ``gate.checks``). :meth:`rollback`
moves ``production`` back to any earlier version.

>>> registry = ModelRegistry("sqlite:///models/mlflow.db")
>>> mv = registry.log_training(model, name="spx_dir", metrics={"ic": 0.04}, provenance=...)
>>> registry.promote("spx_dir", mv.version, Gate(min_ic=0.02).evaluate(mv.metrics))
>>> model = registry.load("spx_dir")                  # the production version
>>> old = registry.load("spx_dir", version=1)
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from alphaforge.core.logging import get_logger
from alphaforge.core.suggest import did_you_mean
from alphaforge.domain.errors import InvalidValueError
from alphaforge.ml._provenance import code_version, dataset_info, default_tracking_uri, git_commit
from alphaforge.ml.base import Model, load_model
from alphaforge.ml.gates import GateDecision

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion as MlflowVersion
    from mlflow.entities.model_registry import RegisteredModel

__all__ = [
    "PRODUCTION",
    "ModelRegistry",
    "ModelVersion",
    "PromotionRefusedError",
    "code_version",
    "dataset_info",
    "default_tracking_uri",
    "git_commit",
]

#: The alias of the version strategies use unless told otherwise.
PRODUCTION = "production"
_EXPERIMENT = "alphaforge"
_MODEL_DIR = "model"
_HISTORY_TAG = "alphaforge.production_history"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
_TAG_LIMIT = 4000  # MLflow caps tag values at 5000 characters (8000 for run tags)
_log = get_logger(__name__)


class PromotionRefusedError(InvalidValueError):
    """A version was put forward for production without a passed gate decision."""


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One registered version: where it came from, how it scored, what the gate said."""

    name: str
    version: int
    run_id: str
    source: str
    created: datetime
    aliases: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def gate_passed(self) -> bool | None:
        """The last gate decision on this version (None if it never went through the gate)."""
        value = self.tags.get("gate.passed")
        return None if value is None else value == "true"

    @property
    def gate_reasons(self) -> list[str]:
        """Why the gate rejected this version (empty if it passed or was never judged)."""
        text = self.tags.get("gate.reasons", "")
        return [r for r in text.split("\n") if r]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence MLflow's own noise around a call, and nothing else."""
    key = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"
    unset = key not in os.environ
    if unset:  # MLflow draws a tqdm bar for every artifact download unless told not to
        os.environ[key] = "false"
    try:
        with warnings.catch_warnings():
            # mlflow 3.x maps its SQL tables with SQLAlchemy's ``noload`` strategy, deprecated
            # in SQLAlchemy 2.1: a warning we cannot act on (it is raised at MLflow's import).
            warnings.filterwarnings(
                "ignore", message="The ``noload`` loader strategy", category=DeprecationWarning
            )
            yield
    finally:
        if unset:
            os.environ.pop(key, None)


def _client(uri: str) -> MlflowClient:
    try:
        from mlflow import MlflowClient  # noqa: PLC0415  # optional dependency (alphaforge[ml])
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise InvalidValueError(
            "the model registry needs MLflow: pip install 'alphaforge[ml]'"
        ) from exc
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _sqlite_folder(uri: str) -> Path | None:
    """The folder of a ``sqlite:///path`` database file (created), or None for other URIs."""
    if not uri.startswith("sqlite:"):
        return None
    from sqlalchemy.engine import make_url  # noqa: PLC0415  # comes with MLflow

    database = make_url(uri).database
    if not database or database == ":memory:":
        raise InvalidValueError(f"tracking URI {uri!r}: give a database file, sqlite:///path.db")
    folder = Path(database).expanduser().resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidValueError(
            f"model name {name!r}: use 1 to 128 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit"
        )
    return name


def _metrics(metrics: Mapping[str, float]) -> dict[str, float]:
    out = {}
    for key, value in metrics.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidValueError(f"metric {key!r} must be a number, got {value!r}") from None
        if not math.isfinite(number):
            raise InvalidValueError(f"metric {key!r} is {number}; log finite metrics only")
        out[str(key)] = number
    return out


def _text(value: object, limit: int = _TAG_LIMIT) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _history(model: RegisteredModel) -> list[int]:
    text = dict(model.tags or {}).get(_HISTORY_TAG, "")
    return [int(v) for v in text.split(",") if v]


class ModelRegistry:
    """Log, version, promote, load and roll back models (MLflow tracking + model registry).

    ``tracking_uri``: ``sqlite:///path/mlflow.db``, an MLflow server URL, or None for
    :func:`default_tracking_uri`. Runs go to the MLflow experiment ``experiment``; with a
    SQLite URI their artifacts go to ``artifact_dir`` (default: ``mlartifacts/`` beside the
    database), with a server the server decides. ``experiment_id`` is that experiment's id.
    """

    def __init__(
        self,
        tracking_uri: str | None = None,
        *,
        experiment: str = _EXPERIMENT,
        artifact_dir: str | Path | None = None,
    ) -> None:
        self.tracking_uri = tracking_uri or default_tracking_uri()
        self._known: set[str] = set()  # registered model names already seen
        folder = _sqlite_folder(self.tracking_uri)
        if artifact_dir is None and folder is not None:
            artifact_dir = folder / "mlartifacts"
        with _quiet():
            self._mlflow = _client(self.tracking_uri)
            found = self._mlflow.get_experiment_by_name(experiment)
            if found is not None:
                self.experiment_id = found.experiment_id
            else:
                location = None if artifact_dir is None else Path(artifact_dir).resolve().as_uri()
                self.experiment_id = self._mlflow.create_experiment(experiment, location)

    def __repr__(self) -> str:
        return f"ModelRegistry({self.tracking_uri!r})"

    @property
    def client(self) -> MlflowClient:
        """The underlying ``MlflowClient``, for what this class does not wrap (runs, search)."""
        return self._mlflow

    # -- logging -------------------------------------------------------------------------
    def log_training(
        self,
        model: Model,
        *,
        name: str,
        metrics: Mapping[str, float],
        params: Mapping[str, object] | None = None,
        features: list[str] | None = None,
        provenance: Mapping[str, object] | None = None,
        data: pd.DataFrame | None = None,
        target: pd.Series | None = None,
        code_version: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> ModelVersion:
        """Track one training run of a fitted ``model`` and register it as a new version of
        ``name``; return that version (not promoted: see :meth:`promote`).

        ``metrics`` are the out-of-sample metrics the gate will read; ``params`` anything
        beyond the model's own hyper-parameters (label horizon, CV scheme ...); ``features``
        defaults to the model's and must match it; ``provenance`` says where the data came
        from (dataset, symbols, span ...); ``data``/``target``, the training rows, add their
        span and fingerprint (:func:`dataset_info`).
        """
        _check_name(name)
        fitted = model._fitted_features()  # raises NotFittedError if unfitted
        if features is not None and list(features) != fitted:
            raise InvalidValueError(
                f"features {list(features)[:5]}... differ from the model's {fitted[:5]}..."
            )
        clean = _metrics(metrics)  # before the run exists: bad input leaves no trace
        run_tags = self._run_tags(model, provenance, data, target, code_version, tags)
        with _quiet(), tempfile.TemporaryDirectory(prefix="alphaforge-model-") as tmp:
            run = self._mlflow.create_run(self.experiment_id, tags=run_tags, run_name=name)
            run_id = run.info.run_id
            try:
                self._log_run(run_id, model, clean, params, fitted, provenance, tmp)
            except Exception:
                self._mlflow.set_terminated(run_id, "FAILED")
                raise
            self._mlflow.set_terminated(run_id, "FINISHED")
            if not self._exists(name):
                self._mlflow.create_registered_model(name)
                self._known.add(name)
            source = f"{run.info.artifact_uri}/{_MODEL_DIR}"
            version_tags = {k: v for k, v in run_tags.items() if not k.startswith("mlflow.")}
            made = self._mlflow.create_model_version(name, source, run_id, tags=version_tags)
        _log.info("ml.registry.logged", model=name, version=made.version, run_id=run_id)
        with _quiet():
            return self._version(made)

    def _run_tags(
        self,
        model: Model,
        provenance: Mapping[str, object] | None,
        data: pd.DataFrame | None,
        target: pd.Series | None,
        version: str | None,
        extra: Mapping[str, str] | None,
    ) -> dict[str, str]:
        tags = {
            "alphaforge.kind": model.kind,
            "alphaforge.task": model.task,
            "alphaforge.code_version": version or code_version(),
            "alphaforge.n_features": str(len(model._fitted_features())),
        }
        sha = git_commit()
        if sha:
            tags["mlflow.source.git.commit"] = sha
        tags |= {f"provenance.{k}": _text(v) for k, v in (provenance or {}).items()}
        if data is not None:
            tags |= {f"data.{k}": v for k, v in dataset_info(data, target).items()}
        tags |= {str(k): _text(v) for k, v in (extra or {}).items()}
        return tags

    def _log_run(
        self,
        run_id: str,
        model: Model,
        metrics: dict[str, float],
        params: Mapping[str, object] | None,
        features: list[str],
        provenance: Mapping[str, object] | None,
        tmp: str,
    ) -> None:
        from mlflow.entities import Metric, Param  # noqa: PLC0415  # optional dependency

        stamp = int(datetime.now(UTC).timestamp() * 1000)
        all_params = {"kind": model.kind, "task": model.task, "seed": model.seed}
        all_params |= {f"model.{k}": v for k, v in model.params.items()}
        all_params |= dict(params or {})
        self._mlflow.log_batch(
            run_id,
            metrics=[Metric(k, v, stamp, 0) for k, v in metrics.items()],
            params=[Param(str(k), _text(v, 6000)) for k, v in all_params.items()],
        )
        model.save(Path(tmp) / _MODEL_DIR)
        meta = Path(tmp) / "meta"
        meta.mkdir()
        (meta / "features.json").write_text(json.dumps(features, indent=1) + "\n")
        prov = json.dumps(dict(provenance or {}), indent=1, default=str, sort_keys=True)
        (meta / "provenance.json").write_text(prov + "\n")
        self._mlflow.log_artifacts(run_id, str(Path(tmp) / _MODEL_DIR), _MODEL_DIR)
        self._mlflow.log_artifacts(run_id, str(meta), "meta")

    # -- reading -------------------------------------------------------------------------
    def models(self) -> list[str]:
        """Names of every registered model, sorted."""
        with _quiet():
            found = self._mlflow.search_registered_models(max_results=1000)
        return sorted(m.name for m in found)

    def exists(self, name: str) -> bool:
        """Whether a model ``name`` is registered."""
        _check_name(name)
        with _quiet():
            return self._exists(name)

    def _exists(self, name: str) -> bool:
        if name not in self._known and self._mlflow.search_registered_models(
            f"name = '{name}'", max_results=1
        ):
            self._known.add(name)  # models are never deleted through this class
        return name in self._known

    def _model(self, name: str) -> RegisteredModel:
        """The registered model ``name``, or an error listing the known ones."""
        _check_name(name)
        from mlflow.exceptions import MlflowException  # noqa: PLC0415  # optional dependency

        try:
            with _quiet():
                return self._mlflow.get_registered_model(name)
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
        known = self.models()
        raise InvalidValueError(
            f"no registered model {name!r} in {self.tracking_uri} "
            f"(known: {', '.join(known) or 'none'}){did_you_mean(name, known)}"
        )

    def _mv(self, name: str, version: int) -> MlflowVersion:
        """Version ``version`` of the registered model ``name``, or an error listing them."""
        from mlflow.exceptions import MlflowException  # noqa: PLC0415  # optional dependency

        try:
            with _quiet():
                return self._mlflow.get_model_version(name, str(int(version)))
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
        self._model(name)  # a missing model is the better message
        with _quiet():
            numbers = sorted(
                int(mv.version) for mv in self._mlflow.search_model_versions(f"name = '{name}'")
            )
        raise InvalidValueError(f"model {name!r} has no version {version} (has {numbers})")

    def _version(self, mv: MlflowVersion, aliases: Mapping[str, str] | None = None) -> ModelVersion:
        run = self._mlflow.get_run(mv.run_id) if mv.run_id else None
        if aliases is not None:  # version searches leave aliases out: take the model's
            mv_aliases = [a for a, v in aliases.items() if str(v) == str(mv.version)]
        else:
            mv_aliases = list(mv.aliases or ())
        return ModelVersion(
            name=mv.name,
            version=int(mv.version),
            run_id=mv.run_id or "",
            source=mv.source or "",
            created=datetime.fromtimestamp((mv.creation_timestamp or 0) / 1000, UTC),
            aliases=tuple(sorted(mv_aliases)),
            tags=dict(mv.tags or {}),
            metrics=dict(run.data.metrics) if run else {},
            params=dict(run.data.params) if run else {},
        )

    def versions(self, name: str) -> list[ModelVersion]:
        """Every version of ``name``, oldest first."""
        aliases = dict(self._model(name).aliases or {})
        with _quiet():
            found = self._mlflow.search_model_versions(f"name = '{name}'", max_results=10000)
            out = [self._version(mv, aliases) for mv in found]
        return sorted(out, key=lambda v: v.version)

    def get(self, name: str, version: int | None = None, alias: str | None = None) -> ModelVersion:
        """Version ``version`` of ``name``, or the one with ``alias`` (default ``production``)."""
        if version is not None and alias is not None:
            raise InvalidValueError("give a version or an alias, not both")
        if version is not None:
            mv = self._mv(name, version)
        else:
            mv = self._mv(name, self._alias_version(name, alias or PRODUCTION))
        with _quiet():
            return self._version(mv)

    def _alias_version(self, name: str, alias: str) -> int:
        aliases = dict(self._model(name).aliases or {})
        if alias not in aliases:
            listed = ", ".join(f"{a}=v{v}" for a, v in sorted(aliases.items())) or "none"
            raise InvalidValueError(
                f"model {name!r} has no version with alias {alias!r} (aliases: {listed})"
            )
        return int(aliases[alias])

    def production(self, name: str) -> ModelVersion | None:
        """The production version of ``name``, or None if none was promoted yet."""
        aliases = dict(self._model(name).aliases or {})
        return self.get(name, int(aliases[PRODUCTION])) if PRODUCTION in aliases else None

    def load(self, name: str, version: int | None = None, alias: str | None = None) -> Model:
        """The model of version ``version`` of ``name``, or of ``alias`` (default production),
        ready to predict."""
        if version is None:
            version = self._alias_version(name, alias or PRODUCTION)
        elif alias is not None:
            raise InvalidValueError("give a version or an alias, not both")
        source = self._mv(name, version).source
        with _quiet(), tempfile.TemporaryDirectory(prefix="alphaforge-load-") as tmp:
            from mlflow.artifacts import download_artifacts  # noqa: PLC0415  # optional

            return load_model(download_artifacts(artifact_uri=source, dst_path=tmp))

    def history(self, name: str) -> list[int]:
        """The versions that were put in production, in order (promotions and rollbacks)."""
        return _history(self._model(name))

    # -- lifecycle -----------------------------------------------------------------------
    def set_alias(self, name: str, alias: str, version: int) -> None:
        """Point ``alias`` at ``version`` (use :meth:`promote` for ``production``)."""
        if alias == PRODUCTION:
            raise InvalidValueError("production is set through promote() (gated) or rollback()")
        self._mv(name, version)
        with _quiet():
            self._mlflow.set_registered_model_alias(name, alias, str(int(version)))

    def record_decision(self, name: str, version: int, decision: GateDecision) -> None:
        """Write a gate decision on the version as tags (``gate.passed``, ``gate.reasons``,
        ``gate.checks`` and, if there was one, ``gate.production_metrics``: the production
        model's metrics on the same out-of-sample data)."""
        self._mv(name, version)
        tags = {
            "gate.passed": "true" if decision.passed else "false",
            "gate.reasons": _text("\n".join(decision.reasons)),
            "gate.checks": _text("\n".join(decision.checks)),
        }
        if decision.production is not None:
            tags["gate.production_metrics"] = _text(dict(decision.production))
        with _quiet():
            for key, value in tags.items():
                self._mlflow.set_model_version_tag(name, str(int(version)), key, value)

    def promote(self, name: str, version: int, decision: GateDecision) -> ModelVersion:
        """Make ``version`` the production version, if ``decision`` (the gate's verdict on it)
        passed; the decision is recorded on the version either way."""
        self.record_decision(name, version, decision)
        if not decision.passed:
            _log.info("ml.registry.refused", model=name, version=version, why=decision.reasons)
            raise PromotionRefusedError(
                f"{name} v{version} failed the gate: {'; '.join(decision.reasons)}"
            )
        return self._make_production(name, version, "promoted")

    def rollback(self, name: str, to_version: int | None = None) -> ModelVersion:
        """Put an earlier version back in production: ``to_version``, or by default the one
        that was in production before the current one."""
        model = self._model(name)
        current = dict(model.aliases or {}).get(PRODUCTION)
        if to_version is None:
            history = _history(model)
            earlier = [v for v in history[:-1] if current is None or str(v) != str(current)]
            if not earlier:
                raise InvalidValueError(f"model {name!r} has no earlier production version")
            to_version = earlier[-1]
        if current is not None and str(to_version) == str(current):
            raise InvalidValueError(f"{name} v{to_version} is already in production")
        return self._make_production(name, int(to_version), "rolled back")

    def _make_production(self, name: str, version: int, how: str) -> ModelVersion:
        self._mv(name, version)
        model = self._model(name)
        previous = dict(model.aliases or {}).get(PRODUCTION)
        history = [*_history(model), int(version)]
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        with _quiet():
            self._mlflow.set_registered_model_alias(name, PRODUCTION, str(int(version)))
            self._mlflow.set_registered_model_tag(
                name, _HISTORY_TAG, _text(",".join(map(str, history[-500:])))
            )
            self._mlflow.set_model_version_tag(
                name, str(int(version)), f"{how.replace(' ', '_')}_at", stamp
            )
        _log.info(
            f"ml.registry.{how.replace(' ', '_')}", model=name, version=version, previous=previous
        )
        return self.get(name, version)
