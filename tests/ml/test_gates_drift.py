"""The promotion gate (thresholds, comparison with production) and drift statistics/monitor."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import alphaforge as af
from alphaforge.core.bus import MessageBus
from alphaforge.domain.errors import InvalidValueError
from alphaforge.ml.drift import (
    DriftDetected,
    DriftMonitor,
    DriftThresholds,
    feature_drift,
    ks,
    live_performance,
    psi,
    psi_bins,
    rolling_ic,
)
from alphaforge.ml.gates import Gate, GateDecision, Threshold


@pytest.fixture(scope="module")
def spx_features() -> pd.DataFrame:
    """Lagged log returns of the S&P 500 (1, 5, 20 days) and the 5-day forward return."""
    close = af.load_dataset("spx_daily")["close"]
    r = np.log(close).diff()
    frame = pd.DataFrame(
        {
            "ret_1": r,
            "ret_5": r.rolling(5).sum(),
            "ret_20": r.rolling(20).sum(),
            "fwd_5": np.log(close).shift(-5) - np.log(close),
        }
    )
    return frame.dropna()


FEATURES = ["ret_1", "ret_5", "ret_20"]


# -- gate -------------------------------------------------------------------------------------
def test_gate_passes_a_candidate_that_meets_every_threshold_and_beats_production() -> None:
    gate = Gate(min_ic=0.02, min_accuracy=0.5, max_log_loss=0.70, min_oos_rows=60, margin=0.005)
    decision = gate.evaluate(
        {"ic": 0.031, "accuracy": 0.53, "log_loss": 0.69, "n_oos": 120}, {"ic": 0.024}
    )
    assert decision.passed
    assert decision.reasons == ()
    assert decision.summary() == "passed"
    assert len(decision.checks) == 5  # four thresholds and the comparison, all written down
    assert decision.checks[-1] == "ic 0.031 vs production 0.024 (higher is better): ok"


def test_gate_rejects_with_one_reason_per_failed_check() -> None:
    gate = Gate(min_ic=0.02, max_log_loss=0.69, min_sharpe=0.5, compare_on="log_loss", margin=0.01)
    decision = gate.evaluate(
        {"ic": 0.01, "log_loss": 0.695, "sharpe": float("nan")}, {"log_loss": 0.70}
    )
    assert not decision.passed
    assert decision.reasons == (
        "ic 0.01 is below the minimum 0.02",
        "log_loss 0.695 is above the maximum 0.69",
        "sharpe is NaN",
        "log_loss 0.695 does not beat production 0.7 by the margin 0.01 (lower is better)",
    )
    assert decision.summary().startswith("rejected: ic 0.01 is below")
    assert decision.production == {"log_loss": 0.70}


def test_gate_comparison_on_a_lower_is_better_metric_passes_by_the_margin() -> None:
    gate = Gate(compare_on="log_loss", margin=0.01)
    assert gate.evaluate({"log_loss": 0.68}, {"log_loss": 0.70}).passed
    assert not gate.evaluate({"log_loss": 0.695}, {"log_loss": 0.70}).passed


def test_gate_without_production_skips_the_comparison_and_says_so() -> None:
    decision = Gate(min_accuracy=0.5).evaluate({"accuracy": 0.52})
    assert decision.passed
    assert decision.checks[-1] == "no production model yet: comparison skipped"


def test_gate_rejects_a_missing_metric_rather_than_crashing() -> None:
    decision = Gate(min_accuracy=0.5, compare_on="ic").evaluate({"ic": 0.1}, {"accuracy": 0.6})
    assert decision.reasons == (
        "accuracy is missing from the candidate's metrics",
        "ic is missing from the production model's metrics: cannot compare",
    )


def test_gate_extra_thresholds_and_no_comparison() -> None:
    gate = Gate(thresholds=(Threshold("turnover", max=2.0),), compare_on=None)
    assert gate.evaluate({"turnover": 1.5}, {"turnover": 0.1}).passed
    assert gate.evaluate({"turnover": 2.5}).reasons == ("turnover 2.5 is above the maximum 2",)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Gate(margin=-0.1), "margin"),
        (lambda: Gate(min_oos_rows=0), "min_oos_rows"),
        (lambda: Threshold("ic"), "give min, max or both"),
        (lambda: Threshold("ic", min=0.5, max=0.1), "above max"),
        (lambda: Threshold("ic", min=float("inf")), "not finite"),
    ],
)
def test_gate_settings_are_checked(make: object, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        make()  # type: ignore[operator]


def test_gate_decision_is_frozen() -> None:
    decision = GateDecision(True, (), ())
    with pytest.raises(AttributeError):
        decision.passed = False  # type: ignore[misc]


# -- drift statistics -----------------------------------------------------------------------------
def test_psi_is_zero_for_the_same_sample(spx_features: pd.DataFrame) -> None:
    values = spx_features["ret_1"].to_numpy()
    assert psi(values, values) == pytest.approx(0.0, abs=1e-12)


def test_psi_of_a_mean_shift_matches_the_normal_divergence() -> None:
    # Synthetic on purpose (a known answer): for N(0, 1) against N(0.5, 1) the PSI (a binned
    # symmetric KL divergence) tends to mu^2 = 0.25; ten quantile bins lose a little of it.
    rng = np.random.default_rng(3)
    a, b = rng.normal(0.0, 1.0, 200_000), rng.normal(0.5, 1.0, 200_000)
    assert 0.22 < psi(a, b) < 0.25
    assert psi(a, rng.normal(0.0, 1.0, 200_000)) < 0.001


def test_psi_bins_come_from_the_reference_quantiles_and_shrink_for_few_values() -> None:
    edges = psi_bins(np.arange(100.0), bins=4)
    np.testing.assert_allclose(edges, [24.75, 49.5, 74.25])
    ties = np.array([0.0] * 8 + [1.0, 2.0])  # quantiles 0.2 to 0.6 all fall on 0
    np.testing.assert_allclose(psi_bins(ties, bins=5), [0.0, 0.2])
    with pytest.raises(InvalidValueError, match="at least 2 bins"):
        psi_bins(np.arange(10.0), bins=1)
    with pytest.raises(InvalidValueError, match="no finite values"):
        psi(np.array([np.nan]), np.arange(3.0))


def test_ks_is_scipys_two_sample_test(spx_features: pd.DataFrame) -> None:
    a = spx_features.loc["2005", "ret_1"]
    b = spx_features.loc["2008", "ret_1"]
    expected = stats.ks_2samp(a, b)
    assert ks(a, b) == (pytest.approx(expected.statistic), pytest.approx(expected.pvalue))


def test_feature_drift_table_on_a_calm_and_a_crisis_year(spx_features: pd.DataFrame) -> None:
    reference = spx_features.loc["2003":"2006", FEATURES]
    calm = feature_drift(reference, spx_features.loc["2007-01":"2007-06", FEATURES])
    crisis = feature_drift(reference, spx_features.loc["2008-07":"2008-12", FEATURES])
    assert list(calm.columns) == ["psi", "ks", "ks_pvalue"]
    assert calm.index.tolist() == FEATURES
    assert (calm["psi"] < 0.25).all()  # first half of 2007: still the calm regime
    assert (crisis["psi"] > 0.8).all()  # the second half of 2008: returns three times as wide
    assert (crisis["ks_pvalue"] < 1e-6).all()


def test_rolling_ic_matches_spearman_window_by_window(spx_features: pd.DataFrame) -> None:
    part = spx_features.loc["2010"]
    pred, outcome = part["ret_5"], part["fwd_5"]
    got = rolling_ic(pred, outcome, 30)
    assert got.iloc[:29].isna().all()
    for end in (29, 100, len(part) - 1):
        window = slice(end - 29, end + 1)
        expected = stats.spearmanr(pred.iloc[window], outcome.iloc[window]).statistic
        assert got.iloc[end] == pytest.approx(expected)


def test_live_performance_on_hand_made_values() -> None:
    idx = pd.RangeIndex(4)
    reg = live_performance(
        pd.Series([0.1, -0.2, 0.3, -0.1], idx), pd.Series([0.2, -0.1, -0.3, -0.2], idx)
    )
    assert reg["accuracy"] == 0.75  # three of four signs right
    assert reg["error"] == pytest.approx(math.sqrt((0.01 + 0.01 + 0.36 + 0.01) / 4))
    assert reg["ic"] == pytest.approx(
        stats.spearmanr([0.1, -0.2, 0.3, -0.1], [0.2, -0.1, -0.3, -0.2]).statistic
    )
    cls = live_performance(
        pd.Series([0.9, 0.2, 0.6, 0.4], idx), pd.Series([1.0, 0.0, 0.0, 0.0], idx), "classification"
    )
    assert cls["accuracy"] == 0.75
    assert cls["error"] == pytest.approx((0.01 + 0.04 + 0.36 + 0.16) / 4)  # Brier score
    assert math.isnan(live_performance(pd.Series([1.0]), pd.Series([1.0]))["ic"])


# -- the monitor ---------------------------------------------------------------------------------
def _monitor(spx: pd.DataFrame, bus: MessageBus, **limits: float) -> DriftMonitor:
    reference = spx.loc["2003":"2006", FEATURES]
    return DriftMonitor(
        reference,
        DriftThresholds(min_rows=60, **limits),  # type: ignore[arg-type]
        bus,
        model="spx_dir",
        reference_predictions=reference["ret_5"] * -1.0,
        window=126,
    )


def test_monitor_is_quiet_on_data_from_the_same_regime(spx_features: pd.DataFrame) -> None:
    bus, heard = MessageBus(), []
    bus.subscribe("ml.drift.*", heard.append)
    monitor = _monitor(spx_features, bus)
    calm = spx_features.loc["2007-01":"2007-06"]
    report = monitor.update(calm[FEATURES], calm["ret_5"] * -1.0)
    assert report.rows == len(calm) == 124
    assert not report.drifted
    assert heard == []
    assert report.prediction_psi is not None
    assert report.prediction_psi < 0.25
    assert report.ts == calm.index[-1]


def test_monitor_fires_on_deliberately_scaled_features(spx_features: pd.DataFrame) -> None:
    # The same calm half-year with every return tripled: what a volatility regime change does
    # to raw return features (and a units bug would). Each feature must be reported.
    bus, heard = MessageBus(), []
    bus.subscribe(DriftDetected, heard.append)
    monitor = _monitor(spx_features, bus)
    shifted = spx_features.loc["2007-01":"2007-06", FEATURES] * 3.0
    report = monitor.update(shifted)
    assert report.drifted_features() == FEATURES
    assert [(e.kind, e.metric) for e in heard] == [("feature", "psi")] * 3
    assert all(e.model == "spx_dir" and e.value > 0.25 == e.threshold for e in heard)
    assert heard[0].topic == "ml.drift.feature"


def test_monitor_waits_for_enough_rows_and_keeps_a_window(spx_features: pd.DataFrame) -> None:
    bus = MessageBus()
    monitor = _monitor(spx_features, bus)
    crisis = spx_features.loc["2008-07":"2008-12"]
    first = monitor.update(crisis[FEATURES].iloc[:20])
    assert not first.drifted  # 20 rows < min_rows 60: not judged yet
    assert first.features.empty
    later = monitor.update(crisis[FEATURES].iloc[20:])
    assert later.rows == 126  # the window, not all 128 rows
    assert later.drifted_features() == FEATURES


def test_monitor_reports_live_performance_breaches(spx_features: pd.DataFrame) -> None:
    bus, heard = MessageBus(), []
    bus.subscribe("ml.drift.performance", heard.append)
    monitor = _monitor(spx_features, bus, min_ic=0.5, max_error=10.0)
    part = spx_features.loc["2007-01":"2007-06"]
    report = monitor.update(part[FEATURES], part["ret_5"], part["fwd_5"])
    expected_ic = stats.spearmanr(part["ret_5"], part["fwd_5"]).statistic
    assert report.performance["ic"] == pytest.approx(expected_ic)
    assert [(e.subject, e.threshold) for e in heard] == [("ic", 0.5)]


def test_monitor_rejects_missing_features_and_bad_settings(spx_features: pd.DataFrame) -> None:
    monitor = _monitor(spx_features, MessageBus())
    with pytest.raises(InvalidValueError, match=r"lack the features \['ret_20'\]"):
        monitor.update(spx_features[["ret_1", "ret_5"]])
    with pytest.raises(InvalidValueError, match="window 10 is below min_rows 50"):
        DriftMonitor(spx_features[FEATURES], window=10)
    with pytest.raises(InvalidValueError, match="non-empty DataFrame"):
        DriftMonitor(spx_features[FEATURES].iloc[:0])
    with pytest.raises(InvalidValueError, match="PSI thresholds"):
        DriftThresholds(psi=0.0)
