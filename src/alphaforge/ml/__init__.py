"""Machine learning (layer L5): models, validation and their lifecycle, on features and labels.

Exported here: the leak-free splitters. ``PurgedKFold``, ``CombinatorialPurgedCV`` and
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
    from alphaforge.ml.validation import (
        CombinatorialPurgedCV,
        Embargo,
        PurgedKFold,
        PurgedWalkForward,
    )

_MODULES = {
    "alphaforge.ml.validation": (
        "CombinatorialPurgedCV",
        "Embargo",
        "PurgedKFold",
        "PurgedWalkForward",
    ),
}
_LAZY: dict[str, str] = {name: module for module, names in _MODULES.items() for name in names}

__all__ = ["CombinatorialPurgedCV", "Embargo", "PurgedKFold", "PurgedWalkForward"]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
