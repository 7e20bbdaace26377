"""Features and labels for machine learning (layer L4): built on the indicators, free of look-ahead.

``FeatureSet.classic()`` computes 37 classic features (RSI, MACD, Bollinger, stochastic, ADX,
MA ratios, lagged returns, realized volatilities, regimes …; ``docs/features.md``) as a batch
(``compute(frame)``, for training) or one bar at a time (``stream().update(bar)``, for live
inference), with the same values. ``compute_panel`` stacks many symbols on a ``(ts, symbol)``
index; ``cross_sectional_rank`` / ``cross_sectional_zscore`` rank them per date. The learned
transforms (``StandardScaler``, ``RobustScaler``, ``PCA``) are fitted on training rows only.
Labels (``forward_returns``, ``classes``, ``triple_barrier``, ``meta_labels``) say what to
predict and until when (``Labels.t1``).

>>> from alphaforge.features import FeatureSet
>>> FeatureSet.close_only().names[:3]
('rsi_14', 'macd_12_26', 'macd_signal_12_26_9')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alphaforge._lazy import lazy_exports

if TYPE_CHECKING:
    from alphaforge.features.labels import (
        Labels,
        classes,
        forward_returns,
        meta_labels,
        triple_barrier,
    )
    from alphaforge.features.library import (
        Feature,
        FeatureSet,
        FeatureStream,
        available_fields,
        indicator_feature,
    )
    from alphaforge.features.panel import (
        compute_panel,
        cross_sectional_rank,
        cross_sectional_zscore,
        frames_from_wide,
        rank_rows,
        zscore_rows,
    )
    from alphaforge.features.transforms import (
        PCA,
        LearnedTransform,
        NotFittedError,
        RobustScaler,
        StandardScaler,
        fit_transform_split,
    )

_MODULES = {
    "alphaforge.features.labels": (
        "Labels",
        "classes",
        "forward_returns",
        "meta_labels",
        "triple_barrier",
    ),
    "alphaforge.features.library": (
        "Feature",
        "FeatureSet",
        "FeatureStream",
        "available_fields",
        "indicator_feature",
    ),
    "alphaforge.features.panel": (
        "compute_panel",
        "cross_sectional_rank",
        "cross_sectional_zscore",
        "frames_from_wide",
        "rank_rows",
        "zscore_rows",
    ),
    "alphaforge.features.transforms": (
        "PCA",
        "LearnedTransform",
        "NotFittedError",
        "RobustScaler",
        "StandardScaler",
        "fit_transform_split",
    ),
}
_LAZY: dict[str, str] = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "PCA",
    "Feature",
    "FeatureSet",
    "FeatureStream",
    "Labels",
    "LearnedTransform",
    "NotFittedError",
    "RobustScaler",
    "StandardScaler",
    "available_fields",
    "classes",
    "compute_panel",
    "cross_sectional_rank",
    "cross_sectional_zscore",
    "fit_transform_split",
    "forward_returns",
    "frames_from_wide",
    "indicator_feature",
    "meta_labels",
    "rank_rows",
    "triple_barrier",
    "zscore_rows",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
