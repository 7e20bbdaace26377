"""ml_signal: it trades only what was known at each bar, ranks the names as it should, runs
single-asset too, learns online with no look-ahead, and trades a registry model by name with
the very scores the model gives on the batch features it was trained on.

Data: the bundled 20 stocks and S&P 500. The predictions are built from those real prices;
where a test needs a known answer (a perfect-foresight oracle, a fixed ranking) it says so.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import alphaforge as af
from alphaforge.domain.errors import InvalidValueError
from alphaforge.features import FeatureSet, compute_panel, cross_sectional_rank, frames_from_wide
from alphaforge.ml.base import make_model
from alphaforge.ml.gates import Gate
from alphaforge.runtime import backtest
from alphaforge.strategies import get_strategy
from alphaforge.strategies.library._ml_sources import PredictionTable, parse_model_spec
from alphaforge.strategies.library.ml_signal import MLSignal, rank_weights
from alphaforge.testing import LookaheadError, assert_no_lookahead

NO_COSTS = {"commission_bps": 0.0, "slippage_bps": 0.0}


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    return af.load_dataset("stocks20_close").loc["2016-01-01":"2019-12-31"]


def _ns(stamp: pd.Timestamp) -> int:
    return int(stamp.value)


# ---------------------------------------------------------------------------- pure rules


def test_rank_weights_long_the_top_short_the_bottom() -> None:
    scores = {"A": 3.0, "B": 1.0, "C": 2.0, "D": 0.0, "E": 5.0, "F": 1.0}
    assert rank_weights(scores, 2, 2, 0.9) == {"E": 0.45, "A": 0.45, "F": -0.45, "D": -0.45}
    assert rank_weights(scores, 1, 0, 1.0) == {"E": 1.0}
    # Ties: the name first in order ranks higher (B above F), on either side.
    assert rank_weights({"F": 1.0, "B": 1.0, "C": 0.0}, 1, 1, 1.0) == {"B": 1.0, "C": -1.0}
    assert rank_weights({"F": 1.0, "B": 1.0, "C": 2.0}, 1, 1, 1.0) == {"C": 1.0, "F": -1.0}
    # Fewer names than top_k + bottom_k: the long side first, the sides never overlap.
    assert rank_weights({"A": 1.0, "B": 2.0, "C": 3.0}, 2, 2, 1.0) == {
        "C": 0.5, "B": 0.5, "A": -1.0,
    }  # fmt: skip


def test_model_specs_and_prediction_tables() -> None:
    assert parse_model_spec("m") == ("m", None, None)
    assert parse_model_spec("m@production") == ("m", None, "production")
    assert parse_model_spec("m@3") == ("m", 3, None)
    assert parse_model_spec("m@v12") == ("m", 12, None)
    for bad in ("", "@x", "m@", "a@b@c"):
        with pytest.raises(InvalidValueError, match="NAME, NAME@ALIAS or NAME@VERSION"):
            parse_model_spec(bad)
    days = pd.date_range("2020-01-01", periods=3, tz="UTC")
    table = PredictionTable(pd.DataFrame({"A": [1.0, np.nan, 3.0], "B": [4.0, 5.0, 6.0]}, days))
    assert table.latest(_ns(days[0]) - 1) is None
    assert table.latest(_ns(days[1])) == (_ns(days[1]), {"B": 5.0})  # NaN is no prediction
    assert table.latest(_ns(days[1]) + 1) == (_ns(days[1]), {"B": 5.0})
    with pytest.raises(InvalidValueError, match="UTC-aware"):
        PredictionTable(pd.DataFrame({"A": [1.0]}, index=[pd.Timestamp("2020-01-01")]))
    with pytest.raises(InvalidValueError, match="pass a wide DataFrame"):
        PredictionTable(pd.Series([1.0], index=days[:1]))


# ---------------------------------------------------------------------------- precomputed


def test_only_predictions_known_at_the_bar_are_used(wide: pd.DataFrame) -> None:
    """Real prices, a score per date: the 20-day return. Every decision uses the row stamped
    with its own date (the bar's label, read at the session's close), never a later one."""
    scores = (wide / wide.shift(20) - 1).dropna()
    strategy = MLSignal({"rebalance": "W"}, predictions=scores)
    result = backtest(strategy, "stocks20_close", start="2018-01-01", end="2018-12-31", **NO_COSTS)
    assert len(strategy.decisions) == 53  # ISO weeks starting in 2018, Dec 31 included
    labels = scores.index
    for (when, weights), (_, seen) in zip(strategy.decisions, strategy.scores, strict=True):
        row = labels[labels.searchsorted(pd.Timestamp(when, tz="UTC"), side="right") - 1]
        assert row == pd.Timestamp(when, tz="UTC").normalize()  # the same session
        expected = scores.loc[row].to_dict()
        assert seen == pytest.approx(expected)
        assert weights == rank_weights(expected, 4, 4, 0.95)
    assert set(result.fills["symbol"]) <= set(wide.columns)


def test_cross_sectional_ranking_holds_the_right_names(wide: pd.DataFrame) -> None:
    """A fixed ranking (a known answer): MSFT, AAPL, JPM best; XOM, GE worst. After the first
    fill the book is long the three, short the two, in equal weights of 90 % of equity."""
    order = ["MSFT", "AAPL", "JPM"] + [s for s in wide.columns if s not in ("MSFT", "AAPL",
             "JPM", "XOM", "GE")] + ["GE", "XOM"]  # fmt: skip
    fixed = pd.DataFrame([list(range(len(order), 0, -1))] * len(wide), wide.index, order)
    strategy = MLSignal({"top_k": 3, "bottom_k": 2, "weight": 0.9}, predictions=fixed)
    result = backtest(strategy, "stocks20_close", start="2019-01-01", end="2019-03-31", **NO_COSTS)
    first = result.fills[result.fills["ts"] == result.fills["ts"].min()]
    assert set(first.loc[first["side"] == "buy", "symbol"]) == {"MSFT", "AAPL", "JPM"}
    assert set(first.loc[first["side"] == "sell", "symbol"]) == {"XOM", "GE"}
    decided = wide.loc["2019-01-02"]  # sized at the first decision's close, filled a day later
    value = first["quantity"].to_numpy() * decided[first["symbol"]].to_numpy()
    buys = (first["side"] == "buy").to_numpy()
    np.testing.assert_allclose(value[buys], 30_000, rtol=0.005)  # whole shares
    np.testing.assert_allclose(value[~buys], 45_000, rtol=0.005)
    assert result.settings["backtest"]["allow_short"]  # LONG_SHORT_ACCOUNT by default


def _oracle(wide: pd.DataFrame) -> pd.DataFrame:
    """Perfect foresight, a known answer: at t, the return a decision at t earns (the fill at
    the next close, held one more day)."""
    return wide.shift(-2) / wide.shift(-1) - 1


def test_perfect_foresight_stamped_when_known_gives_no_edge(wide: pd.DataFrame) -> None:
    """The oracle's value becomes known two bars after t; stamped then, it is a past return and
    trading it earns nothing special. Stamped at t (a leak in the *inputs*, which no strategy
    can detect) the same rules make a Sharpe ratio of about 40: the test can tell."""
    oracle = _oracle(wide)
    runs = {}
    for name, stamped in (("known", oracle.shift(2)), ("leaked", oracle)):
        strategy = MLSignal({"rebalance": "D"}, predictions=stamped)
        runs[name] = backtest(
            strategy, "stocks20_close", start="2018-01-01", end="2019-06-30", **NO_COSTS
        ).metrics.sharpe_ratio
    assert abs(runs["known"]) < 1.5
    assert runs["leaked"] > 10


def _momentum_factory(frames: Mapping[str, pd.DataFrame]) -> MLSignal:
    """Builds the predictions from the frames of each run: a truncated run has no row after
    its cut, so a strategy that read one would decide differently there."""
    closes = pd.DataFrame({s: f["close"] for s, f in frames.items()})
    return MLSignal({"rebalance": "W"}, predictions=(closes / closes.shift(20) - 1).dropna())


class _Peeking(MLSignal):
    """A planted bug: reads the predictions three days ahead."""

    def _scores(self, ctx, present):  # type: ignore[no-untyped-def]
        assert self._table is not None
        found = self._table.latest(ctx.now_ns + 3 * 86_400_000_000_000)
        return {} if found is None else {s: v for s, v in found[1].items() if s in present}


def _peeking_factory(frames: Mapping[str, pd.DataFrame]) -> MLSignal:
    closes = pd.DataFrame({s: f["close"] for s, f in frames.items()})
    return _Peeking({"rebalance": "D"}, predictions=(closes / closes.shift(20) - 1).dropna())


def test_no_lookahead_and_the_check_catches_a_peek() -> None:
    window = {"start": "2018-01-01", "end": "2018-12-31", "symbols": ["AAPL", "MSFT", "JPM",
              "XOM", "KO", "PG", "GE", "WMT"]}  # fmt: skip
    full = assert_no_lookahead(_momentum_factory, "stocks20_close", **window)
    assert len(full.orders) > 50
    with pytest.raises(LookaheadError):
        assert_no_lookahead(_peeking_factory, "stocks20_close", **window)


def test_single_asset_long_above_the_threshold_and_short_below() -> None:
    """Real S&P 500 closes; P(up) a squashed 20-day return (a stand-in for a classifier)."""
    close = af.load_dataset("spx_daily")["close"]
    p_up = (1 / (1 + np.exp(-20 * close.pct_change(20)))).dropna()
    params = {"mode": "single", "threshold": 0.55, "allow_short": True, "rebalance": "D"}
    strategy = MLSignal(params, predictions=p_up)
    result = backtest(strategy, "spx_daily", start="2008-01-01", end="2009-12-31", **NO_COSTS)
    sides = {0.95: 1, -0.95: -1, 0.0: 0}
    for when, weights in strategy.decisions:
        value = p_up.loc[pd.Timestamp(when, tz="UTC").normalize()]
        side = sides[weights["SPX"]]
        assert side == (1 if value > 0.55 else -1 if value < 0.45 else 0)
    changes = sum(
        a[1]["SPX"] != b[1]["SPX"]
        for a, b in zip(strategy.decisions, strategy.decisions[1:], strict=False)
    )
    assert 3 < len(result.orders) <= changes + 1  # an order only when the side changes


def test_auto_mode_trades_one_symbol_on_its_own_score() -> None:
    """A run of one symbol needs no mode=single: auto ranks only a cross-section."""
    close = af.load_dataset("spx_daily")["close"]
    p_up = (1 / (1 + np.exp(-20 * close.pct_change(20)))).dropna()
    runs = []
    for mode in ("auto", "single"):
        params = {"mode": mode, "threshold": 0.55, "rebalance": "D"}
        runs.append(backtest(MLSignal(params, predictions=p_up), "spx_daily",
                             start="2008-01-01", end="2009-12-31", **NO_COSTS))  # fmt: skip
    pd.testing.assert_frame_equal(runs[0].equity, runs[1].equity)
    assert len(runs[0].orders) > 3  # it trades the threshold, not "top 4 of 1 symbol"


def test_bad_inputs_are_named_errors(wide: pd.DataFrame) -> None:
    with pytest.raises(InvalidValueError, match="predictions or model"):
        MLSignal({"model": "m@production"}, predictions=wide)
    with pytest.raises(InvalidValueError, match="none of which this run trades"):
        backtest(MLSignal(predictions=wide.rename(columns=str.lower)), "stocks20_close",
                 start="2018-01-01", end="2018-02-01")  # fmt: skip
    with pytest.raises(InvalidValueError, match="min_train_bars"):
        MLSignal(train_bars=100, min_train_bars=200)
    with pytest.raises(InvalidValueError, match="did you mean 'top_k'"):
        MLSignal(topk=3)
    assert get_strategy("ml_signal") is MLSignal


# ---------------------------------------------------------------------------- online


def test_online_single_asset_learns_only_from_the_past() -> None:
    """By name, no model and no predictions: it fits on its own past bars, refits yearly."""
    window = {"start": "2012-01-01", "end": "2014-12-31"}
    params = {"mode": "single", "threshold": 0.5, "train_bars": 504}
    full = assert_no_lookahead("ml_signal", "spx_daily", params=params, **window)
    assert full.strategy_report["online_fits"] == 3  # 2012, 2013, 2014
    assert len(full.orders) > 5


@pytest.mark.slow
def test_online_cross_sectional_by_name_passes_the_lookahead_check() -> None:
    full = assert_no_lookahead("ml_signal", start="2017-01-01", end="2018-06-30")
    assert full.strategy_report == {"source": "online", "decisions": 78, "online_fits": 2}


# ---------------------------------------------------------------------------- registry


@pytest.fixture
def registry_uri(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> str:
    from alphaforge.ml.registry import ModelRegistry  # noqa: PLC0415

    template = tmp_path_factory.getbasetemp() / "mlflow-signal" / "mlflow.db"
    if not template.exists():  # creating MLflow's tables takes seconds, copying them not
        template.parent.mkdir()
        ModelRegistry(f"sqlite:///{template}")
    shutil.copy(template, tmp_path / "mlflow.db")
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


@pytest.mark.slow
def test_a_registry_model_by_name_scores_as_on_its_training_features(registry_uri: str) -> None:
    """Train on ranked close-only features of 8 stocks, register, pass the gate, promote; then
    ``ml_signal`` with ``model=NAME@production`` computes the features bar by bar and gets the
    model's batch predictions to 1e-9 at every decision."""
    from alphaforge.ml.registry import ModelRegistry  # noqa: PLC0415

    symbols = ["AAPL", "MSFT", "JPM", "XOM", "KO", "PG", "GE", "WMT"]
    closes = af.load_dataset("stocks20_close")[symbols]
    X = cross_sectional_rank(compute_panel(frames_from_wide(closes), FeatureSet.close_only()))
    y = (closes.shift(-6) / closes.shift(-1) - 1).stack().rename_axis(["ts", "symbol"])
    train = X.loc["2005":"2014"].dropna()
    target = cross_sectional_rank(y.loc[train.index].to_frame())[0]
    model = make_model("lightgbm", task="regression", n_estimators=30, min_data_in_leaf=200)
    model.fit(train, target)
    registry = ModelRegistry(registry_uri)
    version = registry.log_training(model, name="stocks_xs", metrics={"ic": 0.03})
    registry.promote("stocks_xs", version.version, Gate(min_ic=0.02).evaluate({"ic": 0.03}))

    strategy = MLSignal({"model": "stocks_xs@production", "tracking_uri": registry_uri,
                         "top_k": 2, "bottom_k": 2})  # fmt: skip
    result = backtest(strategy, "stocks20_close", symbols=symbols, start="2016-01-01",
                      end="2016-06-30", **NO_COSTS)  # fmt: skip
    assert result.strategy_report == {"source": "stocks_xs@production", "decisions": 26}
    batch = model.predict(X.loc["2016-01-01":"2016-06-30"].dropna())
    for when, seen in strategy.scores:
        day = pd.Timestamp(when, tz="UTC").normalize()
        expected = batch.loc[day]
        assert seen == pytest.approx(expected.to_dict(), rel=1e-9, abs=1e-12)

    # A model on OHLC features cannot run on close-only data: refused before any trade, by name.
    spx = af.load_dataset("spx_daily")
    X1 = FeatureSet.classic().select(["adx_14", "rsi_14"]).compute(spx).dropna()
    ohlc = make_model("lightgbm", task="regression", n_estimators=5)
    ohlc.fit(X1, spx["close"].pct_change().shift(-1).loc[X1.index].fillna(0.0))
    second = registry.log_training(ohlc, name="spx_ohlc", metrics={"ic": 0.03})
    registry.promote("spx_ohlc", second.version, Gate(min_ic=0.02).evaluate({"ic": 0.03}))
    with pytest.raises(InvalidValueError, match=r"reads high, low \(features adx_14\)"):
        backtest(MLSignal({"model": "spx_ohlc", "tracking_uri": registry_uri}),
                 "stocks20_close", start="2016-01-01", end="2016-02-01")  # fmt: skip
