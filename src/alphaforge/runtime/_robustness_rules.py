"""The verdict rules of ``robustness()``: plain figures (:class:`Evidence`) in, checks out.

Apart from the run (``runtime.robustness``) so that each rule can be read and tested on made-up
figures alone: :func:`judge` applies the lines of :class:`Thresholds` to :class:`Evidence`, one
:class:`Check` per rule (failing ones included); :func:`grade_of` turns the checks into
``robust`` / ``fragile`` / ``overfit`` and :func:`verdict_lines` into the lines the report shows.
Imports nothing but the standard library. Public names are re-exported by
``alphaforge.runtime.robustness``; import them from there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "GRADES",
    "Check",
    "Evidence",
    "Kind",
    "Status",
    "Thresholds",
    "grade_of",
    "judge",
    "verdict_lines",
]

Status = Literal["pass", "warn", "fail", "n/a"]
Kind = Literal["overfitting", "edge", "risk", "stability"]
#: From best to worst.
GRADES = ("robust", "fragile", "overfit")


@dataclass(frozen=True)
class Thresholds:
    """Where each verdict rule draws its lines (``docs/robustness.md`` says why these)."""

    psr: float = 0.95  # OOS edge: PSR of the stitched OOS Sharpe ratio at least this
    wfe: float = 0.5  # walk-forward efficiency (OOS / IS Sharpe) at least this passes
    dsr: float = 0.95  # deflated Sharpe ratio of the full-period best at least this
    pbo: float = 0.5  # probability of backtest overfitting below this
    loss_pass: float = 0.10  # Monte Carlo: share of OOS paths ending below start, pass
    loss_fail: float = 0.25  # ... above this fails
    ruin: float = 0.5  # the loss (of the starting equity, at any step) that counts as ruin
    ruin_pass: float = 0.01  # share of ruined paths, pass at most
    ruin_fail: float = 0.05  # ... above this fails
    drawdown_pass: float = -0.25  # worst stress drawdown at least this (shallower) passes
    drawdown_fail: float = -0.50  # ... deeper than this fails
    step_pass: float = 0.15  # chosen parameters' mean window-to-window move / searched range
    step_fail: float = 0.30  # ... above this fails


@dataclass(frozen=True)
class Evidence:
    """The figures the rules read: plain numbers, so a rule can be tested on made-up ones.
    Sharpe ratios annualized; NaN where a figure is undefined (its check is then ``n/a``)."""

    oos_sharpe: float
    oos_psr: float
    benchmark_sharpe: float
    wfe: float
    dsr: float
    pbo: float
    prob_loss: float
    prob_ruin: float
    worst_drawdown: float
    worst_scenario: str = ""
    relative_steps: Mapping[str, float] = field(default_factory=dict)
    change_shares: Mapping[str, float] = field(default_factory=dict)
    n_windows: int = 2
    n_trials: int = 0


@dataclass(frozen=True)
class Check:
    """One rule's outcome: ``status`` pass / warn / fail / n/a (could not be computed)."""

    name: str
    kind: Kind
    status: Status
    value: float
    rule: str
    reason: str

    def line(self) -> str:
        """``FAIL dsr (edge): DSR 0.88 < 0.95: ...``."""
        return f"{self.status.upper()} {self.name} ({self.kind}): {self.reason}"


def _ok(x: float) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _band(value: float, good: bool, bad: bool) -> Status:
    if not _ok(value):
        return "n/a"
    return "pass" if good else ("fail" if bad else "warn")


def _oos_edge(e: Evidence, t: Thresholds) -> Check:
    s, p = e.oos_sharpe, e.oos_psr
    rule = f"OOS Sharpe > 0 with PSR >= {t.psr:g} passes; <= 0 fails"
    if not _ok(s):
        reason = "the OOS Sharpe ratio is undefined (no variance: no trade out of sample?)"
        return Check("oos_edge", "edge", "n/a", s, rule, reason)
    if s <= 0:
        reason = f"OOS Sharpe {s:.2f} <= 0: the walk-forward lost on the bars it did not see"
        return Check("oos_edge", "edge", "fail", s, rule, reason)
    if _ok(p) and p >= t.psr:
        reason = f"OOS Sharpe {s:.2f}, PSR {p:.2f} >= {t.psr:g}: above 0 with {p:.0%} confidence"
        return Check("oos_edge", "edge", "pass", s, rule, reason)
    reason = (
        f"OOS Sharpe {s:.2f} > 0 but PSR {p:.2f} < {t.psr:g}: too short or noisy to tell from 0"
    )
    return Check("oos_edge", "edge", "warn", s, rule, reason)


def _benchmark(e: Evidence, t: Thresholds) -> Check:
    s, b = e.oos_sharpe, e.benchmark_sharpe
    rule = "OOS Sharpe >= buy & hold's over the same bars passes, else fails"
    value = s - b if _ok(s) and _ok(b) else math.nan
    status = _band(value, value >= 0, value < 0)
    side = ">=" if status == "pass" else "<"
    reason = (
        f"OOS Sharpe {s:.2f} {side} buy & hold's {b:.2f} over the same bars"
        if _ok(value)
        else "a Sharpe ratio is undefined"
    )
    if status == "fail":
        reason += ": holding the data did better per unit of risk"
    return Check("vs_buy_and_hold", "edge", status, value, rule, reason)


def _wfe(e: Evidence, t: Thresholds) -> Check:
    w = e.wfe
    rule = f"OOS / IS Sharpe >= {t.wfe:g} passes; <= 0 fails"
    status = _band(w, w >= t.wfe, w <= 0)
    reasons = {
        "pass": f"walk-forward efficiency {w:.2f} >= {t.wfe:g}: the OOS kept most of the IS Sharpe",
        "warn": f"walk-forward efficiency {w:.2f} < {t.wfe:g}: the OOS kept less than half",
        "fail": f"walk-forward efficiency {w:.2f} <= 0: what the search found did not carry out "
        "of sample",
        "n/a": "walk-forward efficiency undefined: the in-sample Sharpe ratio was 0 or below",
    }
    return Check("wfe", "overfitting", status, w, rule, reasons[status])


def _dsr(e: Evidence, t: Thresholds) -> Check:
    d = e.dsr
    rule = f"DSR >= {t.dsr:g} passes, else fails"
    status = _band(d, d >= t.dsr, d < t.dsr)
    if status == "pass":
        reason = (
            f"DSR {d:.2f} >= {t.dsr:g}: the full-period best beats the luck of "
            f"{e.n_trials:,} trials"
        )
    elif status == "fail":
        reason = (
            f"DSR {d:.2f} < {t.dsr:g}: the full-period best Sharpe is consistent with luck "
            f"across {e.n_trials:,} trials"
        )
    else:
        reason = "DSR undefined (fewer than 2 trials with a Sharpe ratio, or no variance)"
    return Check("dsr", "edge", status, d, rule, reason)


def _pbo(e: Evidence, t: Thresholds) -> Check:
    p = e.pbo
    rule = f"PBO < {t.pbo:g} passes, else fails"
    status = _band(p, p < t.pbo, p >= t.pbo)
    reasons = {
        "pass": f"PBO {p:.2f} < {t.pbo:g}: the in-sample best usually stays in the top half out "
        "of sample",
        "fail": f"PBO {p:.2f} >= {t.pbo:g}: the in-sample best is no better than a coin flip out "
        "of sample",
        "n/a": "PBO not computed (too few trials or bars)",
    }
    return Check("pbo", "overfitting", status, p, rule, reasons.get(status, ""))


def _loss(e: Evidence, t: Thresholds) -> Check:
    p = e.prob_loss
    rule = f"P(loss) <= {t.loss_pass:.0%} passes; > {t.loss_fail:.0%} fails"
    status = _band(p, p <= t.loss_pass, p > t.loss_fail)
    reason = f"{p:.1%} of resampled OOS paths end below their start" if _ok(p) else "no paths"
    return Check("mc_loss", "risk", status, p, rule, reason)


def _ruin(e: Evidence, t: Thresholds) -> Check:
    p = e.prob_ruin
    rule = f"P(ruin) <= {t.ruin_pass:.0%} passes; > {t.ruin_fail:.0%} fails"
    status = _band(p, p <= t.ruin_pass, p > t.ruin_fail)
    reason = (
        f"{p:.1%} of resampled OOS paths lose {t.ruin:.0%} of the start at some point"
        if _ok(p)
        else "no paths"
    )
    return Check("mc_ruin", "risk", status, p, rule, reason)


def _stress_rule(e: Evidence, t: Thresholds) -> Check:
    d = e.worst_drawdown
    rule = f"worst drawdown >= {t.drawdown_pass:.0%} passes; < {t.drawdown_fail:.0%} fails"
    status = _band(d, d >= t.drawdown_pass, d < t.drawdown_fail)
    reason = (
        f"worst stress drawdown {d:.1%} ({e.worst_scenario})"
        if _ok(d)
        else "no stress scenario has a drawdown"
    )
    return Check("stress_drawdown", "risk", status, d, rule, reason)


def _stability(e: Evidence, t: Thresholds) -> Check:
    rule = (
        f"mean move of a chosen parameter between windows <= {t.step_pass:.0%} of its range "
        f"passes; > {t.step_fail:.0%} fails"
    )
    steps = {k: v for k, v in e.relative_steps.items() if _ok(v)}
    shares = {k: v for k, v in e.change_shares.items() if _ok(v)}
    if e.n_windows < 2 or not (steps or shares):
        reason = "one window, or no parameter: nothing to compare"
        return Check("parameter_stability", "stability", "n/a", math.nan, rule, reason)
    if steps:
        name = max(steps, key=lambda k: steps[k])
        v = steps[name]
        status = _band(v, v <= t.step_pass, v > t.step_fail)
        reason = f"{name} moved {v:.0%} of its searched range per window on average"
        return Check("parameter_stability", "stability", status, v, rule, reason)
    name = max(shares, key=lambda k: shares[k])
    v = shares[name]
    reason = f"{name} changed between {v:.0%} of neighbouring windows"
    return Check(
        "parameter_stability", "stability", "pass" if v <= 0.5 else "warn", v, rule, reason
    )


_RULES = (_oos_edge, _benchmark, _wfe, _dsr, _pbo, _loss, _ruin, _stress_rule, _stability)


def judge(evidence: Evidence, thresholds: Thresholds | None = None) -> tuple[Check, ...]:
    """Every rule's check of ``evidence``, in the order of the page."""
    t = thresholds or Thresholds()
    return tuple(rule(evidence, t) for rule in _RULES)


def grade_of(checks: Sequence[Check]) -> str:
    """``overfit`` when a check of kind overfitting fails, else ``fragile`` when any check
    fails, else ``robust``."""
    failed = [c for c in checks if c.status == "fail"]
    if any(c.kind == "overfitting" for c in failed):
        return "overfit"
    return "fragile" if failed else "robust"


def verdict_lines(checks: Sequence[Check]) -> list[str]:
    """The grade with its reasons in one line, then one line per check (failing ones too)."""
    grade = grade_of(checks)
    failed = [c.name for c in checks if c.status == "fail"]
    warned = [c.name for c in checks if c.status in ("warn", "n/a")]
    if grade == "overfit":
        head = "the in-sample choice does not hold out of sample"
    elif grade == "fragile":
        head = "no sign the search overfit, but the strategy fails checks"
    else:
        head = "every check passes" if not warned else "no check fails"
    parts = [f"{len(checks) - len(failed) - len(warned)} of {len(checks)} checks pass"]
    if failed:
        parts.append(f"fail: {', '.join(failed)}")
    if warned:
        parts.append(f"warn or n/a: {', '.join(warned)}")
    return [f"{grade.upper()}: {head} ({'; '.join(parts)})", *(c.line() for c in checks)]
