"""Evaluation of predictions: per-date IC and rank IC (known answers on a small synthetic panel,
pandas/SciPy parity on the 20 real stocks), their summaries, the Newey-West t-statistic
(statsmodels parity), a rolling single-asset IC, and classification / regression scores equal
to scikit-learn's."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from sklearn import metrics as skm

import alphaforge as af
from alphaforge.domain.errors import InvalidValueError
from alphaforge.ml.evaluation import (
    classification_metrics,
    ic_by_date,
    ic_summary,
    ic_table,
    newey_west_t,
    rank_ic_by_date,
    regression_metrics,
    rolling_ic,
)


def _panel(rows: dict[str, list[float]], column: int) -> pd.Series:
    """A (ts, symbol) Series: one date per key (names A, B, ...), the ``column``-th list."""
    stamps, symbols, values = [], [], []
    for day, table in rows.items():
        for i, value in enumerate(table[column]):  # type: ignore[index]
            stamps.append(pd.Timestamp(day, tz="UTC"))
            symbols.append("ABCDEF"[i])
            values.append(value)
    index = pd.MultiIndex.from_arrays([stamps, symbols], names=["ts", "symbol"])
    return pd.Series(values, index=index, dtype=np.float64)


# Synthetic on purpose: each date is a case with an answer worked out by hand.
CASES = {
    "2020-01-01": ([1, 2, 3, 4], [2, 4, 6, 8]),  # same order, linear: IC = rank IC = 1
    "2020-01-02": ([1, 2, 3, 4], [4, 3, 2, 1]),  # reversed: -1
    "2020-01-03": ([1, 2, 3, 4], [1, 3, 2, 4]),  # one swap: 4 / 5 = 0.8 for both
    "2020-01-04": ([1, 2, 3, 4], [1, 2, 3, 100]),  # monotone, not linear: rank IC 1, IC < 1
    "2020-01-05": ([1, 2, 3, 4], [5, 5, 5, 5]),  # no spread in the outcome: NaN
    "2020-01-06": ([1, 2, np.nan, 4], [3, 1, 2, np.nan]),  # two complete pairs only: NaN
}


@pytest.fixture(scope="module")
def cases() -> tuple[pd.Series, pd.Series]:
    table = {day: pair for day, pair in CASES.items()}
    return _panel(table, 0), _panel(table, 1)  # type: ignore[arg-type]


def test_ic_and_rank_ic_per_date_known_answers(cases: tuple[pd.Series, pd.Series]) -> None:
    pred, target = cases
    ic, rank = ic_by_date(pred, target), rank_ic_by_date(pred, target)
    pearson_4 = np.corrcoef([1, 2, 3, 4], [1, 2, 3, 100])[0, 1]
    assert ic.name == "ic"
    assert rank.name == "rank_ic"
    np.testing.assert_allclose(ic.to_numpy(), [1, -1, 0.8, pearson_4, np.nan, np.nan], atol=1e-12)
    np.testing.assert_allclose(rank.to_numpy(), [1, -1, 0.8, 1, np.nan, np.nan], atol=1e-12)
    assert pearson_4 < 0.8
    assert list(ic.index) == [pd.Timestamp(d, tz="UTC") for d in CASES]
    # With min_names=2 the two complete pairs of the last date count (a correlation of +-1).
    assert ic_by_date(pred, target, min_names=2).iloc[-1] == pytest.approx(-1.0)


def test_summary_known_answers(cases: tuple[pd.Series, pd.Series]) -> None:
    pred, target = cases
    ic, rank = ic_by_date(pred, target), rank_ic_by_date(pred, target)
    summary = ic_summary(ic, rank)
    x = ic.dropna().to_numpy()
    assert summary["dates"] == 4
    assert summary["ic"] == pytest.approx(x.mean())
    assert summary["ic_std"] == pytest.approx(x.std(ddof=1))
    assert summary["icir"] == pytest.approx(x.mean() / x.std(ddof=1))
    assert summary["ic_t"] == pytest.approx(x.mean() / x.std(ddof=1) * 2.0)
    assert summary["ic_positive"] == pytest.approx(0.75)
    assert summary["rank_ic"] == pytest.approx((1 - 1 + 0.8 + 1) / 4)
    assert "ic_t_nw" not in summary


def test_newey_west_t_equals_statsmodels_hac() -> None:
    """Real data: the daily S&P 500 returns' mean, HAC t-statistic as statsmodels computes it."""
    r = np.log(af.load_dataset("spx_daily")["close"]).diff().dropna().to_numpy()
    ones = np.ones((len(r), 1))
    for lags in (1, 4, 10):
        fit = sm.OLS(r, ones).fit(
            cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": False}
        )
        assert newey_west_t(r, lags) == pytest.approx(float(fit.tvalues[0]), rel=1e-10)
    assert newey_west_t(r, 0) == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(len(r)))
    assert math.isnan(newey_west_t(np.array([1.0]), 0))


@pytest.fixture(scope="module")
def stocks() -> tuple[pd.Series, pd.Series]:
    """Real data: the 20 stocks' 20-day momentum and their next 5-day return, 2015-2016."""
    wide = af.load_dataset("stocks20_close").loc["2014-10-01":"2016-12-31"]
    momentum = (wide / wide.shift(20) - 1).loc["2015":]
    forward = (wide.shift(-5) / wide - 1).loc["2015":]
    return momentum.stack().rename_axis(["ts", "symbol"]), forward.stack().rename_axis(
        ["ts", "symbol"]
    )


def test_per_date_ic_equals_pandas_and_scipy_on_real_stocks(
    stocks: tuple[pd.Series, pd.Series],
) -> None:
    pred, target = stocks
    frame = pd.concat([pred.rename("p"), target.rename("y")], axis=1).dropna()
    by = frame.groupby(level="ts")
    pearson = by.apply(lambda d: d["p"].corr(d["y"]))
    spearman = by.apply(lambda d: stats.spearmanr(d["p"], d["y"]).statistic)
    ic, rank = ic_by_date(pred, target), rank_ic_by_date(pred, target)
    assert len(ic) == len(pearson) > 400
    np.testing.assert_allclose(ic.to_numpy(), pearson.to_numpy(), atol=1e-12)
    np.testing.assert_allclose(rank.to_numpy(), spearman.to_numpy(), atol=1e-12)


def test_ic_table_by_year_and_overall(stocks: tuple[pd.Series, pd.Series]) -> None:
    pred, target = stocks
    ic, rank = ic_by_date(pred, target), rank_ic_by_date(pred, target)
    table = ic_table(ic, rank, lags=4)
    assert list(table.index) == ["2015", "2016", "all"]
    assert table.loc["all", "dates"] == table.loc[["2015", "2016"], "dates"].sum()
    assert table.loc["2016", "ic"] == pytest.approx(ic.loc["2016"].mean())
    assert table.loc["all", "rank_icir"] == pytest.approx(rank.mean() / rank.std())
    assert {"ic_t_nw", "rank_ic_t_nw"} <= set(table.columns)


def test_rolling_ic_of_one_asset() -> None:
    close = af.load_dataset("spx_daily")["close"].loc["2010":"2012"]
    pred = close.pct_change(20)
    target = close.shift(-5) / close - 1
    pearson = rolling_ic(pred, target, 60, method="pearson")
    spearman = rolling_ic(pred, target, 60)
    both = pd.concat([pred, target], axis=1).dropna()
    last = both.iloc[-60:]
    assert pearson.iloc[-1] == pytest.approx(last.iloc[:, 0].corr(last.iloc[:, 1]))
    assert spearman.iloc[-1] == pytest.approx(
        stats.spearmanr(last.iloc[:, 0], last.iloc[:, 1]).statistic
    )
    assert pearson.iloc[:59].isna().all()
    assert pearson.iloc[59:].notna().all()


def test_classification_scores_equal_scikit_learn() -> None:
    """Real data: P(up) from a squashed 10-day return of the S&P 500 against the next day."""
    close = af.load_dataset("spx_daily")["close"]
    score = 1 / (1 + np.exp(-50 * close.pct_change(10)))
    up = (close.shift(-1) > close).astype(np.int64)
    frame = pd.concat([score.rename("p"), up.rename("y")], axis=1).iloc[10:-1]
    p, y = frame["p"], frame["y"]
    got = classification_metrics(y, p)
    predicted = (p > 0.5).astype(np.int64)
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, predicted))
    assert got["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, predicted))
    assert got["log_loss"] == pytest.approx(skm.log_loss(y, p))
    assert got["auc"] == pytest.approx(skm.roc_auc_score(y, p))
    assert got["precision"] == pytest.approx(skm.precision_score(y, predicted))
    assert got["recall"] == pytest.approx(skm.recall_score(y, predicted))
    assert got["f1"] == pytest.approx(skm.f1_score(y, predicted))
    assert got["n"] == len(y)


def test_three_classes_use_macro_averages_and_one_vs_rest_auc() -> None:
    close = af.load_dataset("spx_daily")["close"]
    move = close.shift(-5) / close - 1
    y = pd.Series(np.select([move > 0.01, move < -0.01], [1, -1], 0), index=close.index).iloc[:-5]
    drift = close.pct_change(20).iloc[:-5].fillna(0.0).to_numpy()
    logits = np.column_stack([-30 * drift, np.zeros_like(drift), 30 * drift])
    proba = pd.DataFrame(
        np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True),
        index=y.index,
        columns=[-1, 0, 1],
    )
    got = classification_metrics(y, proba)
    predicted = np.array([-1, 0, 1])[proba.to_numpy().argmax(axis=1)]
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, predicted))
    assert got["recall"] == pytest.approx(skm.recall_score(y, predicted, average="macro"))
    assert got["auc"] == pytest.approx(
        skm.roc_auc_score(y, proba.to_numpy(), multi_class="ovr", average="macro")
    )
    assert got["log_loss"] == pytest.approx(skm.log_loss(y, proba.to_numpy(), labels=[-1, 0, 1]))


def test_regression_scores_known_answer() -> None:
    index = pd.date_range("2020-01-01", periods=5, tz="UTC")
    y = pd.Series([1.0, -1.0, 2.0, -2.0, 0.0], index=index)  # synthetic: a worked example
    p = pd.Series([0.5, -0.5, 1.0, 1.0, 3.0], index=index)
    got = regression_metrics(y, p)
    assert got["mse"] == pytest.approx((0.25 + 0.25 + 1 + 9 + 9) / 5)
    assert got["mae"] == pytest.approx((0.5 + 0.5 + 1 + 3 + 3) / 5)
    assert got["rmse"] == pytest.approx(math.sqrt(got["mse"]))
    assert got["r2"] == pytest.approx(skm.r2_score(y, p))
    assert got["directional_accuracy"] == pytest.approx(3 / 4)  # the zero outcome is left out
    assert got["ic"] == pytest.approx(stats.pearsonr(p, y).statistic)
    assert got["rank_ic"] == pytest.approx(stats.spearmanr(p, y).statistic)


def test_bad_inputs_are_named_errors(cases: tuple[pd.Series, pd.Series]) -> None:
    pred, target = cases
    flat = pred.xs("A", level="symbol")
    with pytest.raises(InvalidValueError, match=r"needs a panel.*\(ts, symbol\)"):
        ic_by_date(flat, flat)
    with pytest.raises(InvalidValueError, match="min_names must be an int >= 2"):
        ic_by_date(pred, target, min_names=1)
    with pytest.raises(InvalidValueError, match="must be a pandas Series"):
        rank_ic_by_date(pred.to_numpy(), target)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="no sample in common"):
        ic_by_date(pred.iloc[:4], target.iloc[8:])
    with pytest.raises(InvalidValueError, match="window >= 3"):
        rolling_ic(flat, flat, 2)
    with pytest.raises(InvalidValueError, match="lags must be an int >= 0"):
        newey_west_t(np.ones(5), -1)
    y = pd.Series([0, 1, 2], index=flat.index[:3])
    with pytest.raises(InvalidValueError, match=r"classes \[2\] that proba has no column for"):
        classification_metrics(y, pd.Series([0.2, 0.7, 0.9], index=flat.index[:3]))
