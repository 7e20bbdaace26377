"""Overfitting statistics: is the best backtest of a search skill, or the luck of many tries?

Pure math (layer L8): NumPy, SciPy and Numba kernels; pandas Series and frames are accepted as
inputs. Every Sharpe ratio here is **per period** (mean / sample standard deviation of the
returns as given, not annualized) and every kurtosis is **non-excess** (normal = 3), as in the
papers. ``docs/overfitting.md`` works each figure through and reproduces the papers' examples.

* ``probabilistic_sharpe_ratio`` (PSR; Bailey & López de Prado 2012, "The Sharpe Ratio Efficient
  Frontier"): the probability that the true Sharpe ratio exceeds ``sr_benchmark``, given the
  track record's length, skewness and kurtosis; ``min_track_record_length`` (MinTRL): the
  periods needed for PSR to reach ``prob``.
* ``expected_max_sharpe`` (the False Strategy Theorem) and ``deflated_sharpe_ratio`` (DSR;
  Bailey & López de Prado 2014, "The Deflated Sharpe Ratio"): PSR against the best Sharpe ratio
  that as many zero-skill trials would show.
* ``pbo`` / ``pbo_from_moments`` (Bailey, Borwein, López de Prado & Zhu 2015, "The Probability
  of Backtest Overfitting"): combinatorially symmetric cross-validation (CSCV) of a periods x
  trials matrix, or of per-block moments collected trial by trial (``BlockMoments``,
  ``BlockMomentsAccumulator``) when a search is too large to keep every return series.
* ``overfitting_report``: all of it for one selected strategy, with a plain-language verdict.

Undefined figures are NaN, never an exception (the Sharpe ratio of returns without variance, a
DSR from fewer than two trial Sharpe ratios); bad arguments raise ``InvalidValueError``.

``pbo``, ``pbo_from_moments`` and the block moments live in ``_pbo``, their Numba kernels in
``_cscv``; every name is importable from here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy.special import ndtr, ndtri

from alphaforge.domain.errors import InvalidValueError
from alphaforge.research._cscv import (  # the kernels stay reachable as overfitting._*
    _ZERO_VARIANCE,
    FloatArray,
    _best_in_sample,  # noqa: F401  (their parity tests call them so)
    _oos_rank,  # noqa: F401
    _Plan,  # noqa: F401
    _sums_by_row,  # noqa: F401
)
from alphaforge.research._pbo import (
    MAX_SPLITS,
    BlockMoments,
    BlockMomentsAccumulator,
    Degradation,
    PBOResult,
    block_moments,
    pbo,
    pbo_from_moments,
)

__all__ = [
    "EULER_GAMMA",
    "MAX_SPLITS",
    "BlockMoments",
    "BlockMomentsAccumulator",
    "Degradation",
    "OverfittingReport",
    "PBOResult",
    "block_moments",
    "deflated_sharpe_ratio",
    "dsr_of",
    "expected_max_sharpe",
    "min_track_record_length",
    "overfitting_report",
    "pbo",
    "pbo_from_moments",
    "probabilistic_sharpe_ratio",
    "psr_of",
    "sharpe_ratio",
]

#: The Euler-Mascheroni constant of the False Strategy Theorem.
EULER_GAMMA = 0.5772156649015329
_CONFIDENCE = 0.95


# ------------------------------------------------------------------ checks


def _finite(value: float, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{name} must be a number, got {value!r}") from exc
    if not math.isfinite(number):
        raise InvalidValueError(f"{name} must be a finite number, got {value!r}")
    return number


def _sharpe_arg(sr: float) -> float:
    value = float(sr)
    if math.isinf(value):
        raise InvalidValueError(f"sr must be finite (or NaN: undefined), got {sr!r}")
    return value


def _check_shape(skew: float, kurtosis: float) -> None:
    """Every distribution has kurtosis >= 1 + skew² (Pearson): below that, an excess kurtosis
    was passed where the papers' non-excess one (normal = 3) is meant."""
    g3, g4 = _finite(skew, "skew"), _finite(kurtosis, "kurtosis")
    if g4 < 1.0 + g3 * g3 - 1e-9:
        raise InvalidValueError(
            f"kurtosis must be non-excess (normal = 3) and at least 1 + skew² = {1 + g3 * g3:g}, "
            f"got {kurtosis!r} (an excess kurtosis? add 3)"
        )


def _returns(values: object, name: str = "returns") -> FloatArray:
    """One return series as float64; NaN and infinities are refused, not dropped silently."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{name} must be numbers, got {type(values).__name__}") from exc
    if array.ndim != 1 or array.shape[0] < 2:
        raise InvalidValueError(f"{name} must be one series of 2 or more, got shape {array.shape}")
    bad = ~np.isfinite(array)
    if bad.any():
        raise InvalidValueError(
            f"{name} hold {int(bad.sum())} NaN or infinite values (the first at position "
            f"{int(np.argmax(bad))}); drop them first (e.g. returns.dropna())"
        )
    return array


def _moments(x: FloatArray) -> tuple[float, float, float]:
    """Per-period Sharpe ratio (ddof=1), skewness and non-excess kurtosis (population moments,
    as the papers' code computes them); all NaN for a series without variance."""
    d = x - x.mean()
    m2 = float(np.mean(d * d))
    if m2 <= _ZERO_VARIANCE * float(np.mean(x * x)):
        return math.nan, math.nan, math.nan
    n = x.shape[0]
    sr = float(x.mean()) / math.sqrt(m2 * n / (n - 1))
    return sr, float(np.mean(d**3)) / m2**1.5, float(np.mean(d**4)) / (m2 * m2)


# ------------------------------------------------------------------ PSR, DSR, MinTRL


def sharpe_ratio(returns: object) -> float:
    """Mean / sample standard deviation (ddof=1) of ``returns``, per period (not annualized);
    NaN when the returns have no variance."""
    return _moments(_returns(returns))[0]


def _spread(sr: float, skew: float, kurtosis: float) -> float:
    """``(n - 1)`` x the variance of an estimated Sharpe ratio (the papers' formula)."""
    return 1.0 - skew * sr + (kurtosis - 1.0) / 4.0 * sr * sr


def probabilistic_sharpe_ratio(
    sr: float, n: float, skew: float = 0.0, kurtosis: float = 3.0, sr_benchmark: float = 0.0
) -> float:
    """Return PSR: the probability that the true per-period Sharpe ratio exceeds
    ``sr_benchmark``, given ``sr`` measured over ``n`` returns with that skewness and
    (non-excess) kurtosis: ``Z[(SR - SR*) sqrt(n - 1) / sqrt(1 - skew SR + (kurt - 1)/4 SR²)]``.
    NaN when ``sr`` is NaN."""
    periods = _finite(n, "n")
    if periods < 2:
        raise InvalidValueError(f"n (the number of returns) must be at least 2, got {n!r}")
    bench = _finite(sr_benchmark, "sr_benchmark")
    value = _sharpe_arg(sr)
    if math.isnan(value):
        return math.nan
    _check_shape(skew, kurtosis)
    spread = _spread(value, skew, kurtosis)
    if spread <= 0.0:  # a two-point distribution, at its one possible Sharpe ratio
        return 1.0 if value > bench else 0.0 if value < bench else math.nan
    return float(ndtr((value - bench) * math.sqrt(periods - 1.0) / math.sqrt(spread)))


def psr_of(returns: object, sr_benchmark: float = 0.0) -> float:
    """PSR of a return series: its own Sharpe ratio, length, skewness and kurtosis."""
    x = _returns(returns)
    sr, skew, kurt = _moments(x)
    if math.isnan(sr):
        return math.nan
    return probabilistic_sharpe_ratio(sr, x.shape[0], skew, kurt, sr_benchmark)


def expected_max_sharpe(n_trials: float, var_sharpe: float, mean_sharpe: float = 0.0) -> float:
    """Expected maximum Sharpe ratio of ``n_trials`` independent trials whose Sharpe ratios
    have mean ``mean_sharpe`` and variance ``var_sharpe`` (the False Strategy Theorem):
    ``mean + sqrt(var) ((1 - γ) Z⁻¹[1 - 1/N] + γ Z⁻¹[1 - 1/(N e)])``, γ Euler-Mascheroni. One
    trial: ``mean`` (nothing was selected); never below ``mean``, where the approximation dips
    for fewer than 1.28 trials. ``n_trials`` may be an effective, fractional count."""
    trials = _finite(n_trials, "n_trials")
    var = _finite(var_sharpe, "var_sharpe")
    mean = _finite(mean_sharpe, "mean_sharpe")
    if trials < 1:
        raise InvalidValueError(f"n_trials must be at least 1, got {n_trials!r}")
    if var < 0:
        raise InvalidValueError(f"var_sharpe must be >= 0, got {var_sharpe!r}")
    if trials == 1:
        return mean
    z = (1.0 - EULER_GAMMA) * ndtri(1.0 - 1.0 / trials)
    z += EULER_GAMMA * ndtri(1.0 - 1.0 / (trials * math.e))
    return mean + math.sqrt(var) * max(float(z), 0.0)


def deflated_sharpe_ratio(
    sr: float,
    n_trials: float,
    var_sharpe: float,
    n: float,
    skew: float = 0.0,
    kurtosis: float = 3.0,
) -> float:
    """Return DSR: PSR of the selected ``sr`` (over ``n`` returns) against the Sharpe ratio
    the best of ``n_trials`` zero-skill trials would show, ``var_sharpe`` being the variance
    of the Sharpe ratios of the trials actually run (all per period)."""
    benchmark = expected_max_sharpe(n_trials, var_sharpe)
    return probabilistic_sharpe_ratio(sr, n, skew, kurtosis, benchmark)


def _trials(trial_sharpes: object) -> tuple[int, FloatArray]:
    """The number of trials run, and their defined (non-NaN) Sharpe ratios."""
    try:
        values = np.asarray(trial_sharpes, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise InvalidValueError("trial_sharpes must be numbers") from exc
    if np.isinf(values).any():
        raise InvalidValueError("trial_sharpes hold infinite values; use NaN for undefined ones")
    return int(values.shape[0]), values[~np.isnan(values)]


def _variance(defined: FloatArray) -> float:
    return float(np.var(defined, ddof=1)) if defined.shape[0] >= 2 else math.nan


def dsr_of(returns: object, trial_sharpes: object) -> float:
    """DSR of the selected strategy's ``returns`` given the per-period Sharpe ratios of every
    trial run (the selected one included; NaN marks a trial whose Sharpe ratio is undefined,
    still counted as a trial). The variance is the sample variance (ddof=1) of the defined
    ones; NaN with fewer than two."""
    x = _returns(returns)
    n_trials, defined = _trials(trial_sharpes)
    var = _variance(defined)
    sr, skew, kurt = _moments(x)
    if math.isnan(var) or math.isnan(sr):
        return math.nan
    return deflated_sharpe_ratio(sr, n_trials, var, x.shape[0], skew, kurt)


def min_track_record_length(
    sr: float,
    skew: float = 0.0,
    kurtosis: float = 3.0,
    sr_benchmark: float = 0.0,
    prob: float = _CONFIDENCE,
) -> float:
    """Return MinTRL: the number of returns after which a per-period Sharpe ratio ``sr`` with
    these moments reaches PSR = ``prob`` against ``sr_benchmark``:
    ``1 + (1 - skew SR + (kurt - 1)/4 SR²) (Z⁻¹[prob] / (SR - SR*))²``. Infinite when
    ``sr <= sr_benchmark`` (no length suffices); NaN when ``sr`` is NaN."""
    p = _finite(prob, "prob")
    if not 0.0 < p < 1.0:
        raise InvalidValueError(f"prob must be between 0 and 1 (exclusive), got {prob!r}")
    bench = _finite(sr_benchmark, "sr_benchmark")
    value = _sharpe_arg(sr)
    if math.isnan(value):
        return math.nan
    _check_shape(skew, kurtosis)
    if value <= bench:
        return math.inf
    return 1.0 + _spread(value, skew, kurtosis) * (float(ndtri(p)) / (value - bench)) ** 2


# ------------------------------------------------------------------ report


@dataclass(frozen=True, eq=False)
class OverfittingReport:
    """Overfitting statistics of one selected strategy: per-period Sharpe ratio, PSR against 0,
    DSR given the trials run, MinTRL for 95 % confidence that the true Sharpe ratio is above 0,
    PBO when block moments were given; ``verdict`` says what they mean, line by line."""

    n_periods: int
    periods_per_year: float
    sharpe: float
    sharpe_annualized: float
    skew: float
    kurtosis: float
    psr: float
    n_trials: int
    var_sharpe: float
    expected_max_sharpe: float
    dsr: float
    min_trl_periods: float
    min_trl_years: float
    pbo: PBOResult | None
    verdict: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """Every figure (PBO as its ``summary()``), NaN and infinities as None as in
        ``alphaforge.analytics``: ``json.dumps(report.to_dict(), allow_nan=False)`` works."""
        names = [n for n in self.__dataclass_fields__ if n not in ("pbo", "verdict")]
        out: dict[str, object] = {name: _plain(getattr(self, name)) for name in names}
        summary = None if self.pbo is None else self.pbo.summary()
        out["pbo"] = None if summary is None else {k: _plain(v) for k, v in summary.items()}
        out["verdict"] = list(self.verdict)
        return out


def _plain(value: object) -> object:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _psr_line(r: OverfittingReport) -> str:
    if math.isnan(r.psr):
        return "PSR undefined: the returns have no variance, so their Sharpe ratio is undefined"
    sharpe = (
        f"a Sharpe of {r.sharpe:.4f} per period ({r.sharpe_annualized:.2f} annualized) "
        f"over {r.n_periods:,} periods"
    )
    if r.psr >= _CONFIDENCE:
        return f"PSR {r.psr:.2f} >= 0.95: {sharpe} is above 0 with {r.psr:.0%} confidence"
    return f"PSR {r.psr:.2f} < 0.95: {sharpe} may be no better than 0, even before the trials"


def _dsr_line(r: OverfittingReport) -> str:
    if math.isnan(r.var_sharpe):
        return (
            f"DSR undefined: {r.n_trials} trial(s), fewer than 2 with a defined Sharpe ratio, "
            "give no variance across trials; count every trial run (PSR holds for one)"
        )
    if math.isnan(r.dsr):
        return "DSR undefined: the selected returns have no variance"
    luck = (
        f"luck alone would give the best of {r.n_trials:,} trials a Sharpe of "
        f"{r.expected_max_sharpe:.4f} per period"
    )
    if r.dsr >= _CONFIDENCE:
        return f"DSR {r.dsr:.2f} >= 0.95: the best Sharpe is more than luck ({luck})"
    return (
        f"DSR {r.dsr:.2f} < 0.95: the best Sharpe is consistent with luck across "
        f"{r.n_trials:,} trials ({luck})"
    )


def _trl_line(r: OverfittingReport) -> str:
    if math.isnan(r.min_trl_periods):
        return "MinTRL undefined: the Sharpe ratio is undefined"
    if math.isinf(r.min_trl_periods):
        return "MinTRL infinite: the Sharpe ratio is not above 0, no track record would do"
    need = f"MinTRL {r.min_trl_periods:,.0f} periods ({r.min_trl_years:.1f} years)"
    have = f"the {r.n_periods:,} periods ({r.n_periods / r.periods_per_year:.1f} years) here"
    if r.min_trl_periods <= r.n_periods:
        return f"{need} <= {have}: long enough to tell the Sharpe ratio from 0"
    return f"{need} > {have}: too short to tell the Sharpe ratio from 0"


def _pbo_lines(result: PBOResult) -> list[str]:
    share = f"in {result.pbo:.0%} of {result.n_combinations:,} splits"
    median = "the in-sample best ranked at or below the out-of-sample median"
    if result.pbo >= 0.5:
        head = f"PBO {result.pbo:.2f} >= 0.5: {median} {share}: the selection is overfit"
    else:
        head = (
            f"PBO {result.pbo:.2f} < 0.5: {median} {share} (0: it always beats the median out "
            "of sample; 0.5: no better than a random pick)"
        )
    tail = (
        f"the in-sample best lost out of sample in {result.prob_oos_loss:.0%} of splits; "
        f"out-of-sample {result.metric} = {result.degradation.intercept:.4f} "
        f"{result.degradation.slope:+.2f} x in-sample"
    )
    return [head, tail]


def _verdict(r: OverfittingReport, defined: FloatArray) -> tuple[str, ...]:
    lines = [_psr_line(r), _dsr_line(r), _trl_line(r)]
    if r.var_sharpe == 0.0:
        lines.append("note: every trial has the same Sharpe ratio: the trials were one, DSR = PSR")
    if r.pbo is not None:
        lines += _pbo_lines(r.pbo)
        if r.pbo.n_trials != r.n_trials:
            lines.append(
                f"note: PBO ranks {r.pbo.n_trials:,} trials, DSR counts {r.n_trials:,}: "
                "were they the same search?"
            )
    if defined.size and r.sharpe > float(defined.max()) + 1e-9 * (1 + abs(float(defined.max()))):
        lines.append(
            f"note: the selected Sharpe {r.sharpe:.4f} is above every trial's "
            f"({defined.max():.4f}): were the trials' Sharpe ratios per period, on these returns?"
        )
    return tuple(lines)


def overfitting_report(
    selected_returns: object,
    trial_sharpes: object,
    moments: BlockMoments | None = None,
    periods_per_year: float = 252.0,
) -> OverfittingReport:
    """Report on the strategy a search selected: its ``selected_returns``, the per-period
    Sharpe ratios of every trial the search ran (``trial_sharpes``, the selected one included;
    NaN for a trial whose Sharpe ratio is undefined, still counted) and, for PBO, the trials'
    block moments. ``periods_per_year`` converts periods to years and annualizes for display;
    every statistic is computed per period."""
    x = _returns(selected_returns, "selected_returns")
    ppy = _finite(periods_per_year, "periods_per_year")
    if ppy <= 0:
        raise InvalidValueError(f"periods_per_year must be > 0, got {periods_per_year!r}")
    n = int(x.shape[0])
    sr, skew, kurt = _moments(x)
    n_trials, defined = _trials(trial_sharpes)
    var = _variance(defined)
    e_max = math.nan if math.isnan(var) else expected_max_sharpe(n_trials, var)
    defined_sr = not math.isnan(sr)
    trl = min_track_record_length(sr, skew, kurt) if defined_sr else math.nan
    report = OverfittingReport(
        n_periods=n,
        periods_per_year=ppy,
        sharpe=sr,
        sharpe_annualized=sr * math.sqrt(ppy),
        skew=skew,
        kurtosis=kurt,
        psr=probabilistic_sharpe_ratio(sr, n, skew, kurt) if defined_sr else math.nan,
        n_trials=n_trials,
        var_sharpe=var,
        expected_max_sharpe=e_max,
        dsr=probabilistic_sharpe_ratio(sr, n, skew, kurt, e_max)
        if defined_sr and not math.isnan(e_max)
        else math.nan,
        min_trl_periods=trl,
        min_trl_years=trl / ppy,
        pbo=None if moments is None else pbo_from_moments(moments),
        verdict=(),
    )
    return replace(report, verdict=_verdict(report, defined))
