"""How good are a model's out-of-sample predictions? Scores, and the information coefficient.

* :func:`classification_metrics` -- accuracy, balanced accuracy, log-loss, AUC, precision,
  recall and F1 of class probabilities (scikit-learn's definitions);
* :func:`regression_metrics` -- MSE, RMSE, MAE, R², directional accuracy, IC and rank IC of
  predicted values;
* :func:`ic_by_date` / :func:`rank_ic_by_date` -- for a cross-sectional model (a panel on a
  ``(ts, symbol)`` index), the Pearson / Spearman correlation of the predictions with the outcome
  across the symbols of each date: one number per date, the series Qlib and the factor
  literature report;
* :func:`ic_summary` and :func:`ic_table` -- the mean IC, its standard deviation, the ICIR
  (mean / std of the per-date IC, not annualised, as Qlib reports it), a t-statistic
  (optionally with a Newey-West standard error, for labels that overlap), and the share of dates
  with a positive IC; overall and per year;
* :func:`rolling_ic` -- a single asset's IC over time, on a trailing window of bars.

A per-date IC needs at least ``min_names`` symbols with both values (default 3: a correlation of
two points is always ±1) and some spread in both; otherwise that date's IC is NaN and does not
count in the summaries.

>>> ic = ic_by_date(predictions, forward_returns)        # Series by date
>>> ic_summary(ic, rank_ic_by_date(predictions, forward_returns))["icir"]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from alphaforge.domain.errors import InvalidValueError
from alphaforge.features.panel import cross_sectional_rank

__all__ = [
    "classification_metrics",
    "ic_by_date",
    "ic_summary",
    "ic_table",
    "newey_west_t",
    "rank_ic_by_date",
    "regression_metrics",
    "rolling_ic",
]

Method = Literal["pearson", "spearman"]
_FLAT = 1e-20  # a sum of squared deviations below this share of the sum of squares is no spread


# --------------------------------------------------------------------------- inputs


def _pairs(pred: pd.Series, target: pd.Series, what: str) -> pd.DataFrame:
    """``pred`` and ``target`` on their common index, rows with a missing value dropped."""
    for name, value in (("pred", pred), ("target", target)):
        if not isinstance(value, pd.Series):
            raise InvalidValueError(f"{what}: {name} must be a pandas Series, got {type(value)}")
    if not pred.index.is_unique or not target.index.is_unique:
        raise InvalidValueError(f"{what}: pred and target need unique indexes (one row a sample)")
    frame = pd.concat(
        [pred.astype(np.float64).rename("pred"), target.astype(np.float64).rename("target")],
        axis=1,
        join="inner",
    )
    kept: pd.DataFrame = frame.loc[np.isfinite(frame.to_numpy()).all(axis=1)]
    if kept.empty:
        raise InvalidValueError(f"{what}: pred and target have no sample in common with values")
    return kept


def _panel_pairs(pred: pd.Series, target: pd.Series, what: str) -> pd.DataFrame:
    frame = _pairs(pred, target, what)
    index = frame.index
    if not isinstance(index, pd.MultiIndex) or "ts" not in index.names:
        raise InvalidValueError(
            f"{what} needs a panel: Series on a (ts, symbol) MultiIndex, got "
            f"{type(index).__name__} {list(index.names)}"
        )
    return frame


# --------------------------------------------------------------------------- per-date IC


def _segment_corr(
    x: np.ndarray, y: np.ndarray, seg: np.ndarray, n_seg: int, min_names: int
) -> np.ndarray:
    """Pearson correlation of ``x`` and ``y`` within each segment (NaN where undefined)."""
    count = np.bincount(seg, minlength=n_seg).astype(np.float64)
    safe = np.maximum(count, 1.0)
    dx = x - (np.bincount(seg, weights=x, minlength=n_seg) / safe)[seg]
    dy = y - (np.bincount(seg, weights=y, minlength=n_seg) / safe)[seg]
    sxy = np.bincount(seg, weights=dx * dy, minlength=n_seg)
    sxx = np.bincount(seg, weights=dx * dx, minlength=n_seg)
    syy = np.bincount(seg, weights=dy * dy, minlength=n_seg)
    # A spread of rounding noise only (all values equal up to the last bits) is no spread.
    xx = np.bincount(seg, weights=x * x, minlength=n_seg)
    yy = np.bincount(seg, weights=y * y, minlength=n_seg)
    ok = (count >= min_names) & (sxx > _FLAT * xx) & (syy > _FLAT * yy) & (sxx > 0) & (syy > 0)
    out = np.full(n_seg, np.nan)
    out[ok] = sxy[ok] / np.sqrt(sxx[ok] * syy[ok])
    return np.asarray(np.clip(out, -1.0, 1.0), dtype=np.float64)


def _by_date(pred: pd.Series, target: pd.Series, method: Method, min_names: int) -> pd.Series:
    what = "rank_ic_by_date" if method == "spearman" else "ic_by_date"
    if isinstance(min_names, bool) or not isinstance(min_names, int) or min_names < 2:
        raise InvalidValueError(f"{what}: min_names must be an int >= 2, got {min_names!r}")
    frame = _panel_pairs(pred, target, what)
    if method == "spearman":
        frame = cross_sectional_rank(frame)  # ranks among the complete pairs of each date
    codes, dates = pd.factorize(frame.index.get_level_values("ts"), sort=True)
    values = frame.to_numpy(dtype=np.float64)
    ic = _segment_corr(values[:, 0], values[:, 1], codes, len(dates), min_names)
    name = "rank_ic" if method == "spearman" else "ic"
    return pd.Series(ic, index=pd.Index(dates, name="ts"), name=name)


def ic_by_date(pred: pd.Series, target: pd.Series, *, min_names: int = 3) -> pd.Series:
    """The information coefficient of each date: Pearson's correlation of ``pred`` and ``target``
    across the symbols of that date (both Series on a ``(ts, symbol)`` index)."""
    return _by_date(pred, target, "pearson", min_names)


def rank_ic_by_date(pred: pd.Series, target: pd.Series, *, min_names: int = 3) -> pd.Series:
    """The rank IC of each date: Spearman's correlation (Pearson's of the ranks, ties averaged)
    of ``pred`` and ``target`` across the symbols of that date."""
    return _by_date(pred, target, "spearman", min_names)


# --------------------------------------------------------------------------- summaries


def newey_west_t(values: pd.Series | np.ndarray, lags: int) -> float:
    """The t-statistic of the mean of ``values`` with a Newey-West (Bartlett) standard error.

    With ``lags=0`` it is the ordinary ``mean / (std / sqrt(n))`` (``std`` with ddof 1); with
    ``lags`` > 0, statsmodels' HAC estimate without small-sample correction. Use
    ``lags`` >= horizon - 1 for per-date ICs of labels that span ``horizon`` bars: neighbouring
    dates share most of their label window, their ICs are correlated, and the plain t-statistic
    overstates the evidence.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if isinstance(lags, bool) or not isinstance(lags, int) or lags < 0:
        raise InvalidValueError(f"lags must be an int >= 0, got {lags!r}")
    n = x.size
    if n < 2:
        return math.nan
    if lags == 0:
        std = float(x.std(ddof=1))
        return float(x.mean() / (std / math.sqrt(n))) if std > 0 else math.nan
    d = x - x.mean()
    variance = float(d @ d) / n
    for k in range(1, min(lags, n - 1) + 1):
        variance += 2.0 * (1.0 - k / (lags + 1.0)) * float(d[k:] @ d[:-k]) / n
    return float(x.mean() / math.sqrt(variance / n)) if variance > 0 else math.nan


def _one(series: pd.Series | None, prefix: str, lags: int) -> dict[str, float]:
    if series is None:
        return {}
    x = series.to_numpy(dtype=np.float64)
    x = x[np.isfinite(x)]
    n = x.size
    mean = float(x.mean()) if n else math.nan
    std = float(x.std(ddof=1)) if n > 1 else math.nan
    out = {
        f"{prefix}": mean,
        f"{prefix}_std": std,
        f"{prefix}ir": mean / std if n > 1 and std > 0 else math.nan,
        f"{prefix}_t": newey_west_t(x, 0),
        f"{prefix}_positive": float(np.mean(x > 0)) if n else math.nan,
    }
    if lags:
        out[f"{prefix}_t_nw"] = newey_west_t(x, lags)
    return out


def ic_summary(
    ic: pd.Series, rank_ic: pd.Series | None = None, *, lags: int = 0
) -> dict[str, float]:
    """Mean, std, IR (mean/std), t-statistic and share positive of per-date ICs (and rank ICs).

    Keys: ``dates``, ``ic``, ``ic_std``, ``icir``, ``ic_t``, ``ic_positive`` and the same with
    ``rank_ic``; with ``lags`` > 0 also ``ic_t_nw`` / ``rank_ic_t_nw`` (Newey-West, see
    :func:`newey_west_t`). NaN dates (too few names, no spread) are left out.
    """
    if not isinstance(ic, pd.Series):
        raise InvalidValueError(f"ic_summary: ic must be a Series of per-date ICs, got {type(ic)}")
    out: dict[str, float] = {"dates": float(ic.notna().sum())}
    out.update(_one(ic, "ic", lags))
    out.update(_one(rank_ic, "rank_ic", lags))
    return out


def ic_table(
    ic: pd.Series, rank_ic: pd.Series | None = None, *, by: Literal["year"] = "year", lags: int = 0
) -> pd.DataFrame:
    """:func:`ic_summary` per calendar year of the dates, then over all dates (row ``all``)."""
    if by != "year":
        raise InvalidValueError(f"ic_table groups by 'year' only, got {by!r}")
    index = pd.DatetimeIndex(ic.index)
    rows: dict[str, Mapping[str, float]] = {}
    for year in sorted(set(index.year)):
        mask = np.asarray(index.year == year)
        part_rank = None if rank_ic is None else rank_ic.reindex(ic.index[mask])
        rows[str(year)] = ic_summary(ic[mask], part_rank, lags=lags)
    rows["all"] = ic_summary(ic, None if rank_ic is None else rank_ic.reindex(ic.index), lags=lags)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = by
    table["dates"] = table["dates"].astype(np.int64)
    return table


# --------------------------------------------------------------------------- single asset


def rolling_ic(
    pred: pd.Series, target: pd.Series, window: int, *, method: Method = "spearman"
) -> pd.Series:
    """A single asset's IC over time: the correlation of ``pred`` and ``target`` over each
    trailing ``window`` of rows where both are known (Spearman by default, or Pearson)."""
    if isinstance(window, bool) or not isinstance(window, int) or window < 3:
        raise InvalidValueError(f"rolling_ic needs an int window >= 3, got {window!r}")
    if method not in ("pearson", "spearman"):
        raise InvalidValueError(f"method must be 'pearson' or 'spearman', got {method!r}")
    frame = _pairs(pred, target, "rolling_ic")
    if method == "spearman":
        from alphaforge.ml.drift import rolling_ic as rank_rolling  # noqa: PLC0415  # scipy

        out = rank_rolling(frame["pred"], frame["target"], window)
        return out.rename("rank_ic")
    corr = frame["pred"].rolling(window).corr(frame["target"])
    return corr.where(np.isfinite(corr)).rename("ic")


# --------------------------------------------------------------------------- model scores


def _proba_frame(proba: pd.DataFrame | pd.Series) -> pd.DataFrame:
    if isinstance(proba, pd.Series):  # P(positive class) of a binary model
        p = proba.astype(np.float64)
        return pd.DataFrame({0: 1.0 - p, 1: p}, index=proba.index)
    if not isinstance(proba, pd.DataFrame) or proba.shape[1] < 2:
        raise InvalidValueError(
            "proba must be model.predict_proba(X) (a DataFrame, one column per class) or a "
            "Series of P(positive class)"
        )
    return proba.astype(np.float64)


def classification_metrics(y_true: pd.Series, proba: pd.DataFrame | pd.Series) -> dict[str, float]:
    """Scores of class probabilities against the true classes (scikit-learn's definitions).

    ``proba``: ``model.predict_proba(X)`` (columns = classes), or for two classes a Series of
    P(positive). The predicted class is the most probable one. Binary: precision, recall and F1
    of the positive (largest) class, AUC of its probability; more classes: their macro
    averages and the one-vs-rest macro AUC. AUC is NaN where ``y_true`` has a single class.
    """
    from sklearn import metrics as skm  # noqa: PLC0415  # heavy: only when scoring

    probs = _proba_frame(proba)
    if not isinstance(y_true, pd.Series):
        raise InvalidValueError(f"y_true must be a pandas Series, got {type(y_true).__name__}")
    common = probs.index.intersection(y_true.index)
    if len(common) == 0:
        raise InvalidValueError("y_true and proba have no sample in common")
    y = y_true.loc[common].to_numpy()
    p = probs.loc[common].to_numpy()
    classes: list[Any] = list(probs.columns)
    unknown = sorted(set(pd.unique(y).tolist()) - set(classes))
    if unknown:
        raise InvalidValueError(f"y_true holds classes {unknown} that proba has no column for")
    predicted = np.asarray(classes)[p.argmax(axis=1)]
    y_obj = np.asarray(y)
    binary = len(classes) == 2
    average = "binary" if binary else "macro"
    positive = classes[-1]
    kwargs = {"pos_label": positive} if binary else {}
    out = {
        "n": float(len(y)),
        "accuracy": float(skm.accuracy_score(y_obj, predicted)),
        "balanced_accuracy": float(skm.balanced_accuracy_score(y_obj, predicted)),
        "log_loss": float(skm.log_loss(y_obj, p, labels=classes)),
        "precision": float(
            skm.precision_score(y_obj, predicted, average=average, zero_division=0, **kwargs)
        ),
        "recall": float(
            skm.recall_score(y_obj, predicted, average=average, zero_division=0, **kwargs)
        ),
        "f1": float(skm.f1_score(y_obj, predicted, average=average, zero_division=0, **kwargs)),
    }
    out["auc"] = _auc(skm, y_obj, p, classes)
    return out


def _auc(skm: Any, y: np.ndarray, p: np.ndarray, classes: list[Any]) -> float:
    present = set(y.tolist())
    if len(present) < 2:
        return math.nan
    if len(classes) == 2:
        return float(skm.roc_auc_score(y == classes[-1], p[:, 1]))
    if present != set(classes):
        return math.nan  # one-vs-rest needs every class among the true labels
    return float(skm.roc_auc_score(y, p, multi_class="ovr", average="macro", labels=classes))


def regression_metrics(y_true: pd.Series, y_pred: pd.Series) -> dict[str, float]:
    """MSE, RMSE, MAE, R², directional accuracy, IC (Pearson) and rank IC (Spearman) of
    predicted values over all their common samples.

    Directional accuracy: the share of samples whose predicted sign is the true one, among
    those whose true value is not zero.
    """
    from scipy import stats  # noqa: PLC0415
    from sklearn import metrics as skm  # noqa: PLC0415

    frame = _pairs(y_pred, y_true, "regression_metrics")
    p, y = frame["pred"].to_numpy(), frame["target"].to_numpy()
    mse = float(skm.mean_squared_error(y, p))
    moving = y != 0
    flat = len(y) < 2 or np.ptp(y) == 0 or np.ptp(p) == 0
    return {
        "n": float(len(y)),
        "mse": mse,
        "rmse": math.sqrt(mse),
        "mae": float(skm.mean_absolute_error(y, p)),
        "r2": float(skm.r2_score(y, p)) if len(y) > 1 else math.nan,
        "directional_accuracy": (
            float(np.mean(np.sign(p[moving]) == np.sign(y[moving]))) if moving.any() else math.nan
        ),
        "ic": math.nan if flat else float(stats.pearsonr(p, y).statistic),
        "rank_ic": math.nan if flat else float(stats.spearmanr(p, y).statistic),
    }
