"""The built-in model kinds; importing this package registers them with ``make_model``.

| kind | module | what |
|---|---|---|
| ``lightgbm``, ``xgboost``, ``random_forest`` | ``trees`` | boosted trees, a random forest |
| ``linear``, ``svm`` | ``linear`` | logistic / ridge regression, support vector machines |
| ``regime`` | ``regime`` | Gaussian-mixture market regimes (unsupervised) |
| ``lstm``, ``transformer`` | ``deep`` | PyTorch sequence models over the last ``lookback`` rows |

The libraries themselves (LightGBM, XGBoost, PyTorch) are imported on first use, not here.
"""

from __future__ import annotations

from alphaforge.ml.models.deep import LSTMModel, TransformerModel
from alphaforge.ml.models.linear import LinearModel, SVMModel
from alphaforge.ml.models.regime import RegimeModel
from alphaforge.ml.models.trees import LightGBMModel, RandomForestModel, XGBoostModel

__all__ = [
    "LSTMModel",
    "LightGBMModel",
    "LinearModel",
    "RandomForestModel",
    "RegimeModel",
    "SVMModel",
    "TransformerModel",
    "XGBoostModel",
]
