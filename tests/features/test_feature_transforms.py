"""Learned transforms: fitted on the training window only, refused before fit, on real features.

The features are the classic set on the bundled S&P 500 daily bars (and a panel of the bundled
stocks' close-only features); the split is by time, 60 % train.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from alphaforge.data import load_dataset
from alphaforge.domain.errors import InvalidValueError
from alphaforge.features import (
    PCA,
    FeatureSet,
    LearnedTransform,
    NotFittedError,
    RobustScaler,
    StandardScaler,
    compute_panel,
    fit_transform_split,
    frames_from_wide,
)


@cache
def features() -> pd.DataFrame:
    return FeatureSet.classic().compute(load_dataset("spx_daily"))


def split() -> tuple[pd.DataFrame, pd.DataFrame]:
    values = features().dropna()
    cut = int(len(values) * 0.6)
    return values.iloc[:cut], values.iloc[cut:]


TRANSFORMS = (StandardScaler, RobustScaler, lambda: PCA(5))


@pytest.mark.parametrize("make", TRANSFORMS)
def test_transform_before_fit_is_refused(make: type[LearnedTransform]) -> None:
    transform = make()
    assert not transform.is_fitted
    assert transform.train_span is None
    with pytest.raises(NotFittedError, match=r"transform before fit: call fit\(X_train\)"):
        transform.transform(split()[1])
    with pytest.raises(NotFittedError, match="not fitted"):
        transform.params()


@pytest.mark.parametrize("make", TRANSFORMS)
def test_fit_on_train_learns_other_params_than_fit_on_all(make: type[LearnedTransform]) -> None:
    train, test = split()
    on_train = make().fit(train)
    on_all = make().fit(pd.concat([train, test]))
    assert on_train.train_span == (train.index[0], train.index[-1])
    assert on_train.train_rows == len(train)
    assert on_train.columns == tuple(train.columns)
    for key, value in on_train.params().items():
        assert not np.allclose(value, on_all.params()[key]), key
    # refitting on the same training rows gives the same parameters: they depend on them alone
    again = make().fit(train)
    for key, value in on_train.params().items():
        np.testing.assert_array_equal(value, again.params()[key])


def test_fit_transform_split_fits_on_train_only() -> None:
    train, test = split()
    scaler = StandardScaler()
    train_z, test_z = fit_transform_split(scaler, train, test)
    assert scaler.train_span == (train.index[0], train.index[-1])
    np.testing.assert_allclose(train_z.mean(), 0.0, atol=1e-9)
    np.testing.assert_allclose(train_z.std(ddof=0), 1.0, rtol=1e-9)
    # the test period keeps its own level: its mean is not forced to 0
    assert test_z.mean().abs().max() > 0.1
    np.testing.assert_allclose(
        test_z, (test - train.mean()) / train.std(ddof=0), rtol=1e-9, atol=1e-12
    )
    assert test_z.index.equals(test.index)


def test_overlapping_train_and_test_are_refused() -> None:
    train, test = split()
    leaky = pd.concat([train.iloc[-5:], test])
    with pytest.raises(InvalidValueError, match="share 5 rows"):
        fit_transform_split(StandardScaler(), train, leaky)


def test_robust_scaler_centers_on_the_training_median() -> None:
    train, _ = split()
    scaler = RobustScaler().fit(train)
    np.testing.assert_allclose(scaler.params()["center"], train.median().to_numpy(), rtol=1e-12)
    iqr = train.quantile(0.75) - train.quantile(0.25)
    np.testing.assert_allclose(scaler.params()["scale"], iqr.to_numpy(), rtol=1e-12)
    with pytest.raises(InvalidValueError, match="quantile_range"):
        RobustScaler((80.0, 20.0))


def test_scalers_pass_warmup_nans_through() -> None:
    values = features()
    scaler = StandardScaler().fit(values.iloc[:3000])
    out = scaler.transform(values)
    np.testing.assert_array_equal(np.isnan(out.to_numpy()), np.isnan(values.to_numpy()))
    np.testing.assert_allclose(
        scaler.params()["mean"], values.iloc[:3000].mean().to_numpy(), rtol=1e-9
    )


def test_pca_components_and_errors() -> None:
    train, test = split()
    scaled_train, scaled_test = fit_transform_split(StandardScaler(), train, test)
    pca = PCA(0.9)
    out_train, out_test = fit_transform_split(pca, scaled_train, scaled_test)
    k = out_train.shape[1]
    assert list(out_test.columns) == [f"pc_{i + 1}" for i in range(k)]
    assert 1 < k < train.shape[1]
    assert pca.params()["explained_variance_ratio"].sum() >= 0.9
    with pytest.raises(InvalidValueError, match="PCA needs complete rows"):
        PCA(3).fit(features())
    with pytest.raises(InvalidValueError, match="n_components"):
        PCA(0)


def test_columns_must_match_the_fit() -> None:
    train, test = split()
    scaler = StandardScaler().fit(train)
    with pytest.raises(InvalidValueError, match=r"missing \['rsi_14'\]"):
        scaler.transform(test.drop(columns=["rsi_14"]))
    with pytest.raises(InvalidValueError, match="another order"):
        scaler.transform(test[list(reversed(test.columns))])
    with pytest.raises(InvalidValueError, match="infinite"):
        scaler.transform(test.replace(test.iloc[0, 0], np.inf))
    with pytest.raises(InvalidValueError, match="expected a DataFrame"):
        scaler.transform(test.to_numpy())  # type: ignore[arg-type]


def test_panel_train_span_is_the_ts_level() -> None:
    wide = load_dataset("stocks20_close")[["AAPL", "KO", "XOM"]]
    values = compute_panel(frames_from_wide(wide), FeatureSet.close_only()).dropna()
    times = values.index.get_level_values("ts")
    cut = times.unique()[2000]
    train = values[times < cut]
    scaler = StandardScaler().fit(train)
    assert scaler.train_span == (times.min(), times[times < cut].max())
