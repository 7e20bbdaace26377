"""The model registry and the promotion gate of the ``alphaforge ml`` lifecycle commands.

:func:`open_registry` opens the registry ``--tracking-uri`` (else the ``[ml]`` config) names;
:func:`make_gate` builds the gate from the ``--min-ic ...`` options; :func:`gate_and_promote`
judges a version against the production model, scored on the candidate's own test rows where
its recipe can rebuild them, records the decision and promotes it if it passed.

Private to the ``alphaforge ml`` commands (``train --promote`` and ``promote`` share it).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from alphaforge.cli._ml_recipe import Recipe, feature_matrix, jsonable, outputs, score
from alphaforge.domain.errors import InvalidValueError

if TYPE_CHECKING:
    import numpy as np

    from alphaforge.cli._ml_recipe import Built
    from alphaforge.ml.base import Model
    from alphaforge.ml.gates import Gate
    from alphaforge.ml.registry import ModelRegistry, ModelVersion

__all__ = ["gate_and_promote", "make_gate", "open_registry", "production_scores"]


def open_registry(tracking_uri: str | None) -> ModelRegistry:
    """The registry that ``--tracking-uri``, else the ``[ml]`` config, names."""
    from pydantic import ValidationError  # noqa: PLC0415

    from alphaforge.config import load_config  # noqa: PLC0415
    from alphaforge.config.sections import MlConfig  # noqa: PLC0415
    from alphaforge.ml.registry import ModelRegistry  # noqa: PLC0415

    ml = load_config().ml
    if tracking_uri is not None:
        try:  # the config's own check: a known scheme, no password in it
            ml = MlConfig(tracking_uri=tracking_uri, artifact_dir=ml.artifact_dir,
                          experiment=ml.experiment)  # fmt: skip
        except ValidationError as exc:
            why = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            raise InvalidValueError(f"--tracking-uri: {why}") from None
    return ModelRegistry(ml.tracking_uri, experiment=ml.experiment, artifact_dir=ml.artifact_dir)


def make_gate(
    min_ic: float | None, min_accuracy: float | None, max_log_loss: float | None,
    min_oos_rows: int | None, compare_on: str, margin: float,
) -> Gate:  # fmt: skip
    """The gate the options describe."""
    from alphaforge.ml.gates import Gate  # noqa: PLC0415

    return Gate(
        min_ic=min_ic, min_accuracy=min_accuracy, max_log_loss=max_log_loss,
        min_oos_rows=min_oos_rows, compare_on=None if compare_on == "none" else compare_on,
        margin=margin,
    )  # fmt: skip


def production_scores(
    registry: ModelRegistry, name: str, built: Built | None, test: np.ndarray | None
) -> tuple[ModelVersion | None, dict[str, float] | None, list[str]]:
    """The production version, its metrics on the candidate's test rows (or, where those
    cannot be rebuilt, its own logged ones) and notes on how they were obtained."""
    current = registry.production(name) if registry.exists(name) else None
    if current is None:
        return None, None, []
    notes: list[str] = []
    theirs = Recipe.from_tags(current.tags)
    if built is not None and test is not None and theirs is not None:
        target = (built.recipe.label, built.recipe.horizon)
        try:
            if (theirs.label, theirs.horizon) != target:
                raise InvalidValueError(f"it predicts {theirs.label}/{theirs.horizon}")
            model = registry.load(name, current.version)
            return current, _rescore(model, built, test), notes
        except InvalidValueError as exc:
            notes.append(f"production v{current.version} could not be scored on these rows: {exc}")
    notes.append(
        f"compared with production v{current.version}'s own logged metrics (other test rows)"
    )
    return current, dict(current.metrics), notes


def _rescore(model: Model, built: Built, test: np.ndarray) -> dict[str, float]:
    X = built.X
    if model.features != list(X.columns):
        X = feature_matrix(built.frames, ",".join(model.features or []))[0].reindex(X.index)
    y = built.labels.y.iloc[test]
    classes = model.classes if model.task == "classification" else None
    return score(outputs(model, X, test, classes), classes, y, built.outcome.iloc[test])


def gate_and_promote(
    registry: ModelRegistry, name: str, version: int, gate: Gate,
    built: Built | None, test: np.ndarray | None,
) -> dict[str, Any]:  # fmt: skip
    """Judge ``version`` against production scored on the same test rows, record the decision
    on the version, and promote it if it passed; return what happened."""
    from alphaforge.ml.registry import PromotionRefusedError  # noqa: PLC0415

    candidate = registry.get(name, version)
    current, theirs, notes = production_scores(registry, name, built, test)
    if current is not None and current.version == version:
        raise InvalidValueError(f"{name} v{version} is already in production")
    decision = gate.evaluate(candidate.metrics, theirs)
    with contextlib.suppress(PromotionRefusedError):  # recorded on the version either way
        registry.promote(name, version, decision)
    return {
        "passed": decision.passed, "checks": list(decision.checks),
        "reasons": list(decision.reasons), "notes": notes,
        "production_before": None if current is None else current.version,
        "production_metrics": None if theirs is None else jsonable(theirs),
    }  # fmt: skip
