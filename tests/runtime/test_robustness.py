"""``robustness()``: the verdict rules on made-up figures (each rule's bands and the grade), and
one small real run on the bundled S&P 500 whose page must show every section with the report's
own figures."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alphaforge.analytics._tearsheet_html import esc, fmt_pct, fmt_ratio
from alphaforge.analytics.robustness_report import fmt_check_value, robustness_html
from alphaforge.domain.errors import InvalidValueError
from alphaforge.runtime.robustness import (
    Check,
    Evidence,
    RobustnessReport,
    Thresholds,
    grade_of,
    judge,
    reproduce,
    robustness,
    verdict_lines,
)

# ------------------------------------------------------------------ the rules (made-up figures)

#: Figures that pass every rule: each test below moves one of them across a line.
GOOD = Evidence(
    oos_sharpe=0.8, oos_psr=0.99, benchmark_sharpe=0.4, wfe=0.7, dsr=0.97, pbo=0.2,
    prob_loss=0.03, prob_ruin=0.0, worst_drawdown=-0.15, worst_scenario="2008-09 crisis",
    relative_steps={"fast": 0.05, "slow": 0.1}, change_shares={"fast": 0.5, "slow": 0.5},
    n_windows=6, n_trials=500,
)  # fmt: skip


def _check(evidence: Evidence, name: str) -> Check:
    return next(c for c in judge(evidence) if c.name == name)


def test_every_rule_passes_on_good_figures_and_the_grade_is_robust() -> None:
    checks = judge(GOOD)
    assert [c.name for c in checks] == [
        "oos_edge", "vs_buy_and_hold", "wfe", "dsr", "pbo", "mc_loss", "mc_ruin",
        "stress_drawdown", "parameter_stability",
    ]  # fmt: skip
    assert {c.status for c in checks} == {"pass"}
    assert grade_of(checks) == "robust"
    lines = verdict_lines(checks)
    assert lines[0].startswith("ROBUST: every check passes (9 of 9 checks pass)")
    assert lines[1:] == [c.line() for c in checks]


@pytest.mark.parametrize(
    ("change", "name", "status"),
    [
        ({"oos_sharpe": 0.0, "benchmark_sharpe": -0.1}, "oos_edge", "fail"),
        ({"oos_sharpe": -0.3, "benchmark_sharpe": -0.5}, "oos_edge", "fail"),
        ({"oos_psr": 0.94}, "oos_edge", "warn"),
        ({"oos_psr": 0.95}, "oos_edge", "pass"),
        ({"oos_sharpe": math.nan}, "oos_edge", "n/a"),
        ({"benchmark_sharpe": 0.81}, "vs_buy_and_hold", "fail"),
        ({"benchmark_sharpe": 0.8}, "vs_buy_and_hold", "pass"),
        ({"benchmark_sharpe": math.nan}, "vs_buy_and_hold", "n/a"),
        ({"wfe": 0.5}, "wfe", "pass"),
        ({"wfe": 0.49}, "wfe", "warn"),
        ({"wfe": 0.0}, "wfe", "fail"),
        ({"wfe": -1.2}, "wfe", "fail"),
        ({"wfe": math.nan}, "wfe", "n/a"),
        ({"dsr": 0.95}, "dsr", "pass"),
        ({"dsr": 0.949}, "dsr", "fail"),
        ({"dsr": math.nan}, "dsr", "n/a"),
        ({"pbo": 0.49}, "pbo", "pass"),
        ({"pbo": 0.5}, "pbo", "fail"),
        ({"pbo": math.nan}, "pbo", "n/a"),
        ({"prob_loss": 0.10}, "mc_loss", "pass"),
        ({"prob_loss": 0.25}, "mc_loss", "warn"),
        ({"prob_loss": 0.26}, "mc_loss", "fail"),
        ({"prob_ruin": 0.01}, "mc_ruin", "pass"),
        ({"prob_ruin": 0.05}, "mc_ruin", "warn"),
        ({"prob_ruin": 0.051}, "mc_ruin", "fail"),
        ({"worst_drawdown": -0.25}, "stress_drawdown", "pass"),
        ({"worst_drawdown": -0.5}, "stress_drawdown", "warn"),
        ({"worst_drawdown": -0.51}, "stress_drawdown", "fail"),
        ({"worst_drawdown": math.nan}, "stress_drawdown", "n/a"),
        ({"relative_steps": {"fast": 0.15, "slow": 0.0}}, "parameter_stability", "pass"),
        ({"relative_steps": {"fast": 0.3, "slow": 0.0}}, "parameter_stability", "warn"),
        ({"relative_steps": {"fast": 0.05, "slow": 0.31}}, "parameter_stability", "fail"),
        ({"relative_steps": {}, "change_shares": {"mode": 0.5}}, "parameter_stability", "pass"),
        ({"relative_steps": {}, "change_shares": {"mode": 0.8}}, "parameter_stability", "warn"),
        ({"n_windows": 1}, "parameter_stability", "n/a"),
    ],
)
def test_each_rule_draws_its_lines_where_the_thresholds_say(
    change: dict[str, object], name: str, status: str
) -> None:
    check = _check(replace(GOOD, **change), name)  # type: ignore[arg-type]
    assert check.status == status, check.reason
    others = [c for c in judge(replace(GOOD, **change)) if c.name != name]  # type: ignore[arg-type]
    if math.isnan(float(change.get("oos_sharpe", 0.0))):  # type: ignore[arg-type]
        assert _check(replace(GOOD, oos_sharpe=math.nan), "vs_buy_and_hold").status == "n/a"
        others = [c for c in others if c.name != "vs_buy_and_hold"]
    assert {c.status for c in others} == {"pass"}  # one figure moves one check only


def test_the_reasons_quote_the_figures() -> None:
    evidence = replace(GOOD, dsr=0.62, worst_drawdown=-0.357, relative_steps={"fast": 0.4})
    assert _check(evidence, "dsr").reason.startswith("DSR 0.62 < 0.95")
    assert "500 trials" in _check(evidence, "dsr").reason
    assert _check(evidence, "stress_drawdown").reason == (
        "worst stress drawdown -35.7% (2008-09 crisis)"
    )
    assert _check(evidence, "parameter_stability").reason.startswith("fast moved 40%")
    assert _check(evidence, "parameter_stability").value == 0.4


@pytest.mark.parametrize(
    ("change", "grade"),
    [
        ({"pbo": 0.7}, "overfit"),  # the search's choice generalizes no better than a coin
        ({"wfe": -0.2}, "overfit"),  # what the search found was lost out of sample
        ({"pbo": 0.7, "dsr": 0.1, "prob_loss": 0.4}, "overfit"),  # overfitting trumps the rest
        ({"dsr": 0.5}, "fragile"),
        ({"benchmark_sharpe": 1.5}, "fragile"),
        ({"prob_ruin": 0.2}, "fragile"),
        ({"worst_drawdown": -0.7}, "fragile"),
        ({"relative_steps": {"fast": 0.9}}, "fragile"),
        ({"oos_psr": 0.5, "wfe": 0.3, "prob_loss": 0.2}, "robust"),  # warnings only
        ({"pbo": math.nan, "dsr": math.nan}, "robust"),  # n/a neither passes nor fails
    ],
)
def test_the_grade_follows_the_failing_checks(change: dict[str, object], grade: str) -> None:
    checks = judge(replace(GOOD, **change))  # type: ignore[arg-type]
    assert grade_of(checks) == grade
    lines = verdict_lines(checks)
    assert lines[0].startswith(grade.upper() + ":")
    for c in checks:  # every check is listed, the failing ones included
        assert f"{c.status.upper()} {c.name} ({c.kind}): {c.reason}" in lines
        if c.status == "fail":
            assert c.name in lines[0]


def test_thresholds_move_the_lines() -> None:
    strict = Thresholds(pbo=0.1, drawdown_pass=-0.1)
    checks = {c.name: c for c in judge(GOOD, strict)}
    assert checks["pbo"].status == "fail"
    assert checks["stress_drawdown"].status == "warn"
    assert grade_of(tuple(checks.values())) == "overfit"


# ------------------------------------------------------------------ a real run

SMALL = {
    "start": "2010-01-01", "windows": 3, "method": "random", "n_trials": 6,
    "space": {"fast": "10:50:20", "slow": "100:250:50"}, "mc_paths": 200, "seed": 3,
    "backend": "serial",
}  # fmt: skip


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> RobustnessReport:
    """sma_cross on the bundled S&P 500 from 2010, small settings (about a second)."""
    out = tmp_path_factory.mktemp("robustness")
    return robustness("sma_cross", "spx_daily", out=out, **SMALL)  # type: ignore[arg-type]


def test_the_parts_fit_together(report: RobustnessReport) -> None:
    wf, mc, e = report.walkforward, report.montecarlo, report.evidence
    assert len(wf.spans) == 3
    assert wf.oos_equity.index[0] >= pd.Timestamp("2010-01-01", tz="UTC")
    # the Monte Carlo resamples the stitched OOS returns, not the in-sample ones
    assert mc.details["n_steps"] == len(wf.oos_returns)
    assert mc.original["final_return"] == pytest.approx(wf.oos_equity.iloc[-1] - 1.0)
    assert len(mc.bands) == len(wf.oos_equity)
    assert e.prob_loss == pytest.approx((mc.paths["final_return"] < 0).mean())
    assert e.prob_ruin == mc.prob_ruin(report.thresholds.ruin)
    assert e.oos_sharpe == wf.oos_metrics.sharpe_ratio
    assert e.wfe == wf.efficiency["sharpe_ratio"]
    assert e.dsr == report.full.overfitting.dsr  # type: ignore[union-attr]
    assert e.worst_drawdown == pd.to_numeric(report.stress.table["max_drawdown"]).min()
    # the full-period search is a grid of the space (3 x 4 sets, all with fast < slow)
    assert report.full.method == "grid"
    assert report.full.n_trials == 12
    # stressed with the parameters the last window chose
    assert report.stress_params == wf.studies[-1].best_params
    assert report.stress.params["fast"] == report.stress_params["fast"]
    assert report.checks == judge(e, report.thresholds)
    assert report.grade == grade_of(report.checks)
    assert report.verdict == verdict_lines(report.checks)


def test_the_command_spells_out_every_setting(report: RobustnessReport) -> None:
    command = report.command
    assert command.startswith("alphaforge robustness sma_cross --data spx_daily ")
    for part in ("--space fast=10:50:20", "--space slow=100:250:50", "--windows 3",
                 "--method random", "--trials 6", "--start 2010-01-01", "--paths 200",
                 "--seed 3", "--stress-params last", "--heatmap fast,slow"):  # fmt: skip
        assert part in command
    assert "--backend" not in command  # the same figures on every backend
    python = reproduce({**report.settings, "backtest": {"fill": "close"}}, report.thresholds)
    assert python.startswith("from alphaforge.runtime.robustness import")
    assert "fill='close'" in python


def test_the_page_shows_every_section_with_the_reports_figures(report: RobustnessReport) -> None:
    page = report.html()
    for anchor in ("verdict", "walkforward", "montecarlo", "stress", "stability", "overfitting",
                   "reproduce"):  # fmt: skip
        assert f'id="{anchor}"' in page
    for div in ('id="oos"', 'id="fan"', 'id="landscape"'):
        assert div in page
    assert page.count("<script") == 4  # plotly.js once, then the three figures' own scripts
    assert "<script src=" not in page  # nothing to fetch: opens offline
    assert page.index('id="verdict"') < page.index('id="walkforward"')  # verdict first
    assert report.command in page.replace("&#x27;", "'")
    assert f"grade {report.grade}" in page
    for c in report.checks:  # each check's row: status, name, kind, value, reason
        status = f'<td class="{c.status.replace("/", "")}">{c.status.upper()}</td>'
        value = fmt_check_value(c.name, c.value)
        assert (
            f'{status}<td class="key">{c.name}</td><td class="">{c.kind}</td>'
            f'<td class="num">{value}</td><td class="val">{esc(c.reason)}</td>'
        ) in page
    wf = report.walkforward
    columns = (wf.is_metrics, wf.oos_metrics, report.benchmark_metrics)
    for label, field, fmt in (("Sharpe ratio", "sharpe_ratio", fmt_ratio),
                              ("Total return", "total_return", fmt_pct),
                              ("Max drawdown", "max_drawdown", fmt_pct)):  # fmt: skip
        cells = "".join(f'<td class="num">{fmt(getattr(m, field))}</td>' for m in columns)
        assert f'<td class="key">{label}</td>{cells}' in page
    assert f"Sharpe ratio {fmt_ratio(wf.efficiency['sharpe_ratio'])}, annual return" in page
    assert f'<td class="num">{fmt_pct(report.evidence.prob_loss)}</td>' in page
    assert f'<td class="num">{fmt_pct(report.evidence.prob_ruin)}</td>' in page
    _, rows, _ = report.stress.display()
    for row in rows:  # the stress table, cell by cell
        cells = "".join(f'<td class="{"num" if k else "key"}">{esc(v)}</td>' for k, v in
                        enumerate(row))  # fmt: skip
        assert f"<tr>{cells}</tr>" in page
    full = report.full.overfitting
    assert full is not None
    assert full.pbo is not None
    for label, value in (("DSR (Sharpe &gt; luck of the trials)", full.dsr),
                         ("PBO (CSCV)", full.pbo.pbo)):  # fmt: skip
        assert f'<td class="key">{label}</td><td class="num">{fmt_ratio(value)}</td>' in page


def test_the_files_hold_the_same_report(report: RobustnessReport, tmp_path: Path) -> None:
    paths = report.write(tmp_path)
    assert {p.name for p in paths.values()} == {"robustness.html", "robustness.json"}
    document = json.loads(paths["json"].read_text())  # strict JSON: no NaN
    assert document["grade"] == report.grade
    assert document["verdict"] == report.verdict
    assert document["command"] == report.command
    assert [c["status"] for c in document["checks"]] == [c.status for c in report.checks]
    assert document["montecarlo"]["prob_loss"] == report.evidence.prob_loss
    assert document["stress"]["params"] == report.stress.params
    assert document["walkforward"]["windows"] == 3


def test_one_parameter_landscape_draws_a_curve(report: RobustnessReport) -> None:
    page = robustness_html(replace(report.page(), axes=("slow",)))
    assert 'id="landscape"' in page
    assert "sharpe_ratio by slow (full period, in-sample)" in page


def test_a_landscape_over_text_values_keeps_them_as_categories(report: RobustnessReport) -> None:
    """Text that looks like numbers ("100") must not become a numeric axis, or the window marks
    land off the map (seen with a Choice parameter next to a number)."""
    base = report.page()
    landscape = base.landscape.assign(slow=base.landscape["slow"].astype(str))
    windows = base.windows.assign(slow=base.windows["slow"].astype(str))
    page = robustness_html(replace(base, landscape=landscape, windows=windows))
    assert '"type":"category"' in page.replace(" ", "")
    assert 'id="landscape"' in page


def test_the_same_seed_gives_the_same_report(report: RobustnessReport) -> None:
    again = robustness("sma_cross", "spx_daily", **SMALL)  # type: ignore[arg-type]
    assert again.verdict == report.verdict
    assert again.evidence == report.evidence
    np.testing.assert_array_equal(again.montecarlo.bands, report.montecarlo.bands)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"stress_params": "middle"}, "stress_params must be 'last'"),
        ({"mc_method": "trades"}, "mc_method must be iid, block or stationary"),
        ({"windows": 0}, "windows must be a whole number >= 1"),
        ({"mc_paths": 2.5}, "mc_paths must be a whole number >= 1"),
        ({"heatmap": ["fast", "period"]}, "heatmap takes one or two parameters"),
        ({"space": {"fastt": "5:50:5"}}, "has no parameter 'fastt'"),
    ],
)
def test_bad_settings_are_refused_before_anything_runs(
    change: dict[str, object], words: str
) -> None:
    with pytest.raises(InvalidValueError, match=words.replace("(", r"\(")):
        robustness("sma_cross", "spx_daily", **{**SMALL, **change})  # type: ignore[arg-type]
