"""Machine learning (layer L5): models, validation and their lifecycle, on features and labels.

Exported here (loaded on first use): the model interface (``make_model``, ``load_model``), the
registry, gates, drift monitoring and retraining, evaluation (IC by date), calibration,
stacking, tuning, and the leak-free splitters. ``PurgedKFold``, ``CombinatorialPurgedCV`` and
``PurgedWalkForward`` split samples by time and purge every training sample whose label window
``[t, t1]`` reaches into a test span, with an embargo after it (``docs/ml_validation.md``).
They are scikit-learn ``cv=`` objects.

>>> from alphaforge.features.labels import triple_barrier
>>> from alphaforge.ml import PurgedKFold
>>> labels = triple_barrier(close, max_holding=10).dropna()
>>> cross_val_score(model, X, labels.y, cv=PurgedKFold(5, t1=labels.t1))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alphaforge._lazy import lazy_exports

if TYPE_CHECKING:
    from alphaforge.ml.base import (
        Model,
        NotFittedError,
        load_model,
        make_model,
        model_kinds,
        register_model_kind,
    )
    from alphaforge.ml.calibration import (
        CalibratedModel,
        IsotonicCalibrator,
        TemperatureScaler,
    )
    from alphaforge.ml.drift import (
        DriftMonitor,
        DriftThresholds,
        feature_drift,
        psi,
    )
    from alphaforge.ml.evaluation import (
        classification_metrics,
        ic_by_date,
        ic_summary,
        rank_ic_by_date,
        regression_metrics,
    )
    from alphaforge.ml.gates import (
        Gate,
        GateDecision,
    )
    from alphaforge.ml.lifecycle import (
        RetrainingJob,
        performance_weights,
    )
    from alphaforge.ml.registry import (
        ModelRegistry,
        ModelVersion,
    )
    from alphaforge.ml.stacking import (
        StackingModel,
    )
    from alphaforge.ml.tuning import (
        tune,
    )
    from alphaforge.ml.validation import (
        CombinatorialPurgedCV,
        Embargo,
        PurgedKFold,
        PurgedWalkForward,
    )

_MODULES = {
    "alphaforge.ml.base": (
        "Model",
        "NotFittedError",
        "load_model",
        "make_model",
        "model_kinds",
        "register_model_kind",
    ),
    "alphaforge.ml.calibration": (
        "CalibratedModel",
        "IsotonicCalibrator",
        "TemperatureScaler",
    ),
    "alphaforge.ml.drift": (
        "DriftMonitor",
        "DriftThresholds",
        "feature_drift",
        "psi",
    ),
    "alphaforge.ml.evaluation": (
        "classification_metrics",
        "ic_by_date",
        "ic_summary",
        "rank_ic_by_date",
        "regression_metrics",
    ),
    "alphaforge.ml.gates": (
        "Gate",
        "GateDecision",
    ),
    "alphaforge.ml.lifecycle": (
        "RetrainingJob",
        "performance_weights",
    ),
    "alphaforge.ml.registry": (
        "ModelRegistry",
        "ModelVersion",
    ),
    "alphaforge.ml.stacking": ("StackingModel",),
    "alphaforge.ml.tuning": ("tune",),
    "alphaforge.ml.validation": (
        "CombinatorialPurgedCV",
        "Embargo",
        "PurgedKFold",
        "PurgedWalkForward",
    ),
}
_LAZY: dict[str, str] = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "CalibratedModel",
    "CombinatorialPurgedCV",
    "DriftMonitor",
    "DriftThresholds",
    "Embargo",
    "Gate",
    "GateDecision",
    "IsotonicCalibrator",
    "Model",
    "ModelRegistry",
    "ModelVersion",
    "NotFittedError",
    "PurgedKFold",
    "PurgedWalkForward",
    "RetrainingJob",
    "StackingModel",
    "TemperatureScaler",
    "classification_metrics",
    "feature_drift",
    "ic_by_date",
    "ic_summary",
    "load_model",
    "make_model",
    "model_kinds",
    "performance_weights",
    "psi",
    "rank_ic_by_date",
    "register_model_kind",
    "regression_metrics",
    "tune",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
