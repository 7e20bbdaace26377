"""Optuna tuning inside purged cross-validation: deterministic, scored on purged folds only.

Data: real S&P 500 daily closes (bundled ``spx_daily``), 2010-2013, with features built here
(lagged log returns, rolling volatilities); label = next-day direction, ``t1`` = the next bar.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from alphaforge.data.bundled import load_dataset
from alphaforge.domain.errors import InvalidValueError
from alphaforge.ml.base import make_model
from alphaforge.ml.stacking import purged_splits
from alphaforge.ml.tuning import tune
from alphaforge.ml.validation import PurgedKFold

SPACE = {
    "num_leaves": ("int", 2, 16),
    "learning_rate": ("float", 0.01, 0.3, "log"),
    "min_data_in_leaf": ("categorical", [20, 50]),
}
FIXED = {"n_estimators": 20}


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    close = load_dataset("spx_daily", columns=["close"])["close"]
    ret = np.log(close).diff()
    X = pd.DataFrame(
        {
            "ret_lag_0": ret,
            "ret_lag_1": ret.shift(1),
            "vol_5": ret.rolling(5).std(),
            "vol_20": ret.rolling(20).std(),
        }
    )
    forward = ret.shift(-1)
    next_bar = pd.Series(close.index, index=close.index).shift(-1)
    keep = X.notna().all(axis=1) & forward.notna() & (X.index.year >= 2010) & (X.index.year < 2014)
    return X[keep], (forward[keep] > 0).astype(np.int64), next_bar[keep]


def _run(data: Any, seed: int, **kwargs: Any) -> Any:
    X, y, t1 = data
    return tune("lightgbm", X, y, t1=t1, space=SPACE, n_trials=4, seed=seed, fixed=FIXED, **kwargs)


def test_a_seeded_study_repeats_exactly(data: Any) -> None:
    first, second = _run(data, seed=5), _run(data, seed=5)
    assert first.best_params == second.best_params
    assert first.best_score == second.best_score
    values = [t.value for t in first.study.trials]
    assert values == [t.value for t in second.study.trials]
    assert first.best_params["n_estimators"] == 20  # fixed parameters come back with the best
    assert first.metric == "log_loss"
    assert first.direction == "minimize"
    other = _run(data, seed=6)
    assert [t.params for t in other.study.trials] != [t.params for t in first.study.trials]


def test_the_best_score_is_the_mean_purged_fold_log_loss(data: Any) -> None:
    """Recompute the winner's score by hand on the same purged folds."""
    X, y, t1 = data
    result = _run(data, seed=1, cv=PurgedKFold(3, embargo=5))
    splits = purged_splits(X, t1, PurgedKFold(3, embargo=5))
    scores = []
    for train, test in splits:
        model = make_model("lightgbm", seed=1, **result.best_params)
        proba = model.fit(X.iloc[train], y.iloc[train]).predict_proba(X.iloc[test])
        picked = proba.to_numpy()[np.arange(len(test)), y.iloc[test].to_numpy()]
        scores.append(-np.log(picked).mean())
    assert result.best_score == pytest.approx(np.mean(scores), rel=1e-12)
    assert result.study.best_trial.user_attrs["fold_scores"] == pytest.approx(scores, rel=1e-12)
    # Purged: no training label of any fold reaches into that fold's test span.
    for train, test in splits:
        start, end = X.index[test].min(), t1.iloc[test].max()
        reaches = (X.index[train] <= end) & (t1.iloc[train].to_numpy() >= start)
        assert not reaches.any()


def test_regression_metric_and_default_space(data: Any) -> None:
    X, _, t1 = data
    forward = X["ret_lag_0"].shift(-1).fillna(0.0) * 100
    result = tune("linear", X, forward, t1=t1, n_trials=3, task="regression", metric="ic")
    assert set(result.best_params) == {"alpha"}
    assert result.direction == "maximize"
    assert -1.0 <= result.best_score <= 1.0


def test_bad_requests_are_named(data: Any) -> None:
    X, y, t1 = data
    with pytest.raises(InvalidValueError, match="unknown metric 'sharpe'"):
        tune("lightgbm", X, y, t1=t1, metric="sharpe")
    with pytest.raises(InvalidValueError, match="metric 'mse' is for regression"):
        tune("lightgbm", X, y, t1=t1, metric="mse")
    with pytest.raises(InvalidValueError, match=r"search space entry num_leaves=\('int', 2\)"):
        tune("lightgbm", X, y, t1=t1, space={"num_leaves": ("int", 2)}, n_trials=1)
    with pytest.raises(InvalidValueError, match="no default search space"):
        tune("regime", X, y, t1=t1)
    with pytest.raises(InvalidValueError, match="n_trials must be >= 1"):
        tune("lightgbm", X, y, t1=t1, n_trials=0)
