"""``run_vector``: target weights (bars x assets) to fills and equity, by the event engine's rules.

>>> result = run_vector(close, open_, weights=sma_cross_weights(close, 20, 100))
>>> result.to_frames().equity        # like BacktestResult.equity: equity, cash, gross, net

Semantics (``docs/research.md``; each one mirrors the event engine, and the parity tests hold
the two to identical fills):

* Bars are stamped at their close. ``weights[t, i]`` is a target decided at bar ``t``'s close:
  the fraction of equity (``cash + Σ qty x close x multiplier`` now) to hold in asset ``i``;
  NaN means no decision (hold). The target becomes a market order for
  ``round_toward_zero_to_lot(weight x equity / (close x multiplier) - held)`` units (none
  when that is 0, or when the move is under one lot), as ``StrategyContext.target_percent``.
* ``decisions="portfolio"`` (``target_weights``): every weight of a row is sized off one
  equity after all bars of that row were marked, and sells are sent before buys (each group
  in ``symbol_order``). ``decisions="per_asset"`` (a strategy that trades each symbol in its own
  ``on_bar``, like ``sma_cross`` on several symbols): asset by asset in column order, each
  sized off the equity of that moment (the assets after it are still at their last close).
* Orders pass the risk engine's rules at decision time (trading state, no short, max position
  weight, max gross leverage, each with its 1e-9 tolerance; an order that reduces a position
  always passes) and the simulated broker's (with shorting off, a sell may not exceed the
  position less the sells already waiting). Denied and rejected orders are kept, unfilled.
* ``fill="next_open"``: an order fills at the asset's next bar's open; ``"close"``: at once, at
  the close it was decided on. Price = reference x (1 ± slippage_bps / 1e4), on the tick grid
  (nearest, ties to even); fee = commission_bps / 1e4 x qty x price x multiplier, to 1e-8;
  cash moves by the notional and the fee, with no cash check (as the event engine).
* A NaN close means the asset has no bar then: no fill, no mark (its last close values it).
  A portfolio decision needs a row where some asset has a bar (a timestamp the event engine
  would see); a per-asset decision needs a bar of its asset. Other weights are not read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from alphaforge.domain.enums import LiquiditySide, OrderSide
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.fills import Fill
from alphaforge.research import _layout as lay
from alphaforge.research._grid import step_range
from alphaforge.research._inputs import (
    FloatArray,
    IntArray,
    Panel,
    PanelLike,
    StepLike,
    TiersLike,
    aligned,
    panel_of,
)
from alphaforge.research._kernel import simulate
from alphaforge.research._layout import MAX_PENDING, Records, State
from alphaforge.research._setup import Setup, count_decisions, records
from alphaforge.research.reference import simulate_reference
from alphaforge.research.signals import signals_to_weights

__all__ = [
    "DENIAL_REASONS",
    "FillRule",
    "VectorFills",
    "VectorFrames",
    "VectorOrders",
    "VectorResult",
    "run_vector",
]

FillRule = Literal["next_open", "close"]

#: Why an order was not filled (``VectorOrders.reason``), named as the risk engine names them.
DENIAL_REASONS = {
    0: "",
    1: "halted",
    2: "reducing",
    3: "no_short",
    4: "equity",
    5: "max_position_weight",
    6: "max_gross_leverage",
    7: "short selling is off: the sell would open a short",
}
_STATUS = ("accepted", "filled", "denied", "rejected")


class VectorFills(NamedTuple):
    """One row per fill, in execution order: bar, asset column, side (+1 buy, -1 sell),
    quantity, price, fee, order number, and the cash and the asset's position after it."""

    t: IntArray
    asset: IntArray
    side: IntArray
    quantity: FloatArray
    price: FloatArray
    fee: FloatArray
    order: IntArray
    cash_after: FloatArray
    position_after: FloatArray


class VectorOrders(NamedTuple):
    """One row per order, in submission order; ``status``: 0 waiting, 1 filled, 2 denied,
    3 rejected; ``reason``: a key of ``DENIAL_REASONS``."""

    t: IntArray
    asset: IntArray
    side: IntArray
    quantity: FloatArray
    status: IntArray
    reason: IntArray


class VectorFrames(NamedTuple):
    """The run as pandas objects shaped like ``BacktestResult``'s."""

    equity: pd.DataFrame  # equity, cash, gross, net by UTC timestamp (index name "ts")
    fills: pd.DataFrame
    orders: pd.DataFrame
    positions: pd.DataFrame


@dataclass(frozen=True)
class VectorResult:
    """What ``run_vector`` produced: arrays, and frames on request (``to_frames``)."""

    equity: FloatArray  # (T,) at each close
    fills: VectorFills
    orders: VectorOrders
    index: pd.DatetimeIndex | None
    symbols: tuple[str, ...]
    close: FloatArray  # (T, N) the marks (gross and net exposure are computed from them)
    multipliers: FloatArray  # (N,)
    order: IntArray  # (N,) the run's symbol order (the ledger's order of summation)
    initial_cash: float
    entries: int  # fills that opened a position from flat (or flipped it): round trips begun
    fill_rule: FillRule = "next_open"
    exact_cash: bool = True  # False: cash left the exact integer range and was kept in floats

    @cached_property
    def cash(self) -> FloatArray:
        """Cash at each close (T,): it changes only at fills, so it is read off the fills."""
        f = self.fills
        if f.t.shape[0] == 0:  # no fill (every order denied, or none sent)
            return np.full(self.equity.shape[0], self.initial_cash)
        last = np.searchsorted(f.t, np.arange(self.equity.shape[0]), side="right") - 1
        return np.where(last >= 0, f.cash_after[np.maximum(last, 0)], self.initial_cash)

    @cached_property
    def positions(self) -> FloatArray:
        """Units held per asset at each close (T x N), read off the fills like ``cash``."""
        f = self.fills
        bars = np.arange(self.equity.shape[0])
        out = np.zeros((bars.shape[0], len(self.symbols)))
        for i in range(len(self.symbols)):
            mine = f.asset == i
            t, after = f.t[mine], f.position_after[mine]
            if t.shape[0] == 0:  # never filled: flat throughout
                continue
            last = np.searchsorted(t, bars, side="right") - 1
            out[:, i] = np.where(last >= 0, after[np.maximum(last, 0)], 0.0)
        return out

    @property
    def n_fills(self) -> int:
        """The number of fills."""
        return int(self.fills.t.shape[0])

    def timestamps(self, bars: IntArray) -> pd.DatetimeIndex | IntArray:
        """The index labels of bar numbers ``bars`` (the numbers themselves without an index)."""
        return bars if self.index is None else self.index[bars]

    def equity_frame(self) -> pd.DataFrame:
        """Equity, cash, gross and net exposure per bar, like ``BacktestResult.equity``."""
        mv = self._market_values()
        gross = np.zeros(self.equity.shape[0])
        net = np.zeros(self.equity.shape[0])
        for j in self.order:  # the ledger's order of addition
            net += mv[:, j]
            gross += np.abs(mv[:, j])
        index = (
            pd.RangeIndex(self.equity.shape[0], name="ts")
            if self.index is None
            else self.index.rename("ts")
        )
        data = {"equity": self.equity, "cash": self.cash, "gross": gross, "net": net}
        return pd.DataFrame(data, index=index)

    def fills_frame(self) -> pd.DataFrame:
        """One row per fill, with the columns of ``BacktestResult.fills``."""
        f = self.fills
        n = f.t.shape[0]
        why = "market at close" if self.fill_rule == "close" else "market at open"
        return pd.DataFrame(
            {
                "ts": self.timestamps(f.t),
                "symbol": np.asarray(self.symbols, dtype=object)[f.asset],
                "side": np.where(f.side > 0, "buy", "sell"),
                "quantity": f.quantity,
                "price": f.price,
                "fee": f.fee,
                "liquidity": ["taker"] * n,
                "client_order_id": [f"V-{k + 1}" for k in f.order],
                "trade_id": [f"VF-{k + 1}" for k in range(n)],
                "reason": [why] * n,
            }
        )

    def orders_frame(self, tags: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per order (denied and rejected included), with the columns of
        ``BacktestResult.orders``; ``tags``: one per order (default empty)."""
        o = self.orders
        n = o.t.shape[0]
        filled_at = np.full(n, -1, dtype=np.int64)
        price = np.full(n, np.nan)
        filled_at[self.fills.order] = self.fills.t
        price[self.fills.order] = self.fills.price
        done = filled_at >= 0
        return pd.DataFrame(
            {
                "client_order_id": [f"V-{k + 1}" for k in range(n)],
                "created": self.timestamps(o.t),
                "symbol": np.asarray(self.symbols, dtype=object)[o.asset],
                "side": np.where(o.side > 0, "buy", "sell"),
                "type": ["market"] * n,
                "quantity": o.quantity,
                "limit_price": np.full(n, np.nan),
                "stop_price": np.full(n, np.nan),
                "time_in_force": ["gtc"] * n,
                "status": [_STATUS[s] for s in o.status],
                "filled_quantity": np.where(done, o.quantity, 0.0),
                "avg_fill_price": price,
                "updated": self.timestamps(np.where(done, filled_at, o.t)),
                "tag": list(tags) if tags is not None else [""] * n,
                "reason": [DENIAL_REASONS[int(r)] for r in o.reason],
            }
        )

    def positions_frame(self) -> pd.DataFrame:
        """Units held per asset at each close."""
        return pd.DataFrame(self.positions, index=self.index, columns=list(self.symbols))

    def to_frames(self) -> VectorFrames:
        """Equity, fills, orders and positions as DataFrames (see ``VectorFrames``)."""
        return VectorFrames(
            self.equity_frame(), self.fills_frame(), self.orders_frame(), self.positions_frame()
        )

    def fill_objects(self, currency: str = "USD") -> list[Fill]:
        """The fills as domain ``Fill`` objects (exact decimals), e.g. for
        ``alphaforge.runtime.result.build_trades``; timestamps need an index."""
        if self.index is None:
            raise InvalidValueError("fill_objects needs a run with a DatetimeIndex")
        f = self.fills
        stamps = self.index.asi8[f.t]
        return [
            Fill.create(
                client_order_id=f"V-{int(f.order[n]) + 1}",
                trade_id=f"VF-{n + 1}",
                symbol=self.symbols[int(f.asset[n])],
                side=OrderSide.BUY if f.side[n] > 0 else OrderSide.SELL,
                quantity=float(f.quantity[n]),
                price=float(f.price[n]),
                ts_event=int(stamps[n]),
                fee=float(f.fee[n]),
                fee_currency=currency,
                liquidity_side=LiquiditySide.TAKER,
            )
            for n in range(f.t.shape[0])
        ]

    def costs(self) -> dict[str, float]:
        """Costs by kind, as ``Ledger.costs_by_kind``: fees under ``commission`` (summed as
        exact decimals), and no borrow, funding or interest (not modelled)."""
        fees = sum((Decimal(repr(float(f))) for f in self.fills.fee), Decimal(0))
        return {"borrow": 0.0, "commission": float(fees), "funding": 0.0, "interest": 0.0}

    def traded_notional(self) -> float:
        """Σ quantity x price x multiplier over the fills, exact (``Ledger.traded_notional``)."""
        f = self.fills
        total = Decimal(0)
        for q, p, i in zip(f.quantity.tolist(), f.price.tolist(), f.asset.tolist(), strict=True):
            total += Decimal(repr(q)) * Decimal(repr(p)) * Decimal(repr(float(self.multipliers[i])))
        return float(total)

    def _market_values(self) -> FloatArray:
        marks = _forward_fill(self.close)
        positions = self.positions
        with np.errstate(invalid="ignore"):
            mv = positions * marks * self.multipliers
        return np.where(positions != 0.0, mv, 0.0)


# ---------------------------------------------------------------- the entry point


def run_vector(
    close: PanelLike,
    open: PanelLike | None = None,  # the field's name, as in every OHLC frame
    *,
    weights: PanelLike | None = None,
    signals: PanelLike | None = None,
    size: float | None = None,
    cash: StepLike = 100_000,
    commission_bps: float = 1.0,
    slippage_bps: float = 1.0,
    lot_size: StepLike | Sequence[StepLike] = 1,
    tick_size: StepLike | Sequence[StepLike] = "0.01",
    multiplier: StepLike | Sequence[StepLike] = 1,
    tick_tiers: TiersLike | Sequence[TiersLike] | None = None,
    fill: FillRule = "next_open",
    decisions: Literal["portfolio", "per_asset"] = "portfolio",
    symbol_order: Sequence[int] | None = None,
    allow_short: bool = False,
    max_position_weight: float = 1.0,
    max_gross_leverage: float = 1.0,
    max_drawdown_halt: float | None = None,
    trading_state: str = "ACTIVE",
    index: pd.DatetimeIndex | None = None,
    symbols: Sequence[str] | None = None,
    implementation: Literal["numba", "python"] = "numba",
) -> VectorResult:
    """Simulate target ``weights`` (or ``signals``) over ``close``/``open`` (module docstring).

    Inputs are (T x N) arrays or DataFrames with a UTC index and one column per symbol (a 1-D
    array or a Series is one asset); ``open`` defaults to ``close`` (close-only data). Give
    ``weights`` (NaN = no decision) or ``signals`` (+1 long, 0 flat, -1 short, NaN = no
    opinion: an order goes out when the signal changes, for ``size`` of equity, default 1/N).
    ``lot_size``, ``tick_size`` and ``multiplier`` are one decimal for all assets or one per
    asset; ``tick_tiers`` (``Instrument.tick_tiers``, e.g. ``RULE_612`` with ``tick_size=
    "0.0001"``) one list of ``(from_price, tick)`` for all or one per asset: a fill price is
    rounded to the tick of its own tier. Defaults of cash and costs are those of the
    ``[backtest]`` configuration.
    ``symbol_order`` is the run's order of symbols (``ctx.symbols``, the ledger's slots) as
    column numbers, when it differs from the columns' (the feed's delivery order): market
    values are summed in it and portfolio decisions visit assets in it. Default: column order.
    ``implementation="python"`` runs the plain-Python reference instead of the Numba kernel.
    """
    panel = panel_of(close, open, index, symbols)
    n_assets = panel.close.shape[1]
    if (weights is None) == (signals is None):
        raise InvalidValueError("give exactly one of weights= and signals=")
    if weights is not None:
        w = aligned(weights, panel, "weights")
    else:
        raw = aligned(signals, panel, "signals")  # type: ignore[arg-type]  # checked above
        w = np.asarray(signals_to_weights(raw, 1.0 / n_assets if size is None else size))
    if decisions not in ("portfolio", "per_asset"):
        raise InvalidValueError(f"decisions must be 'portfolio' or 'per_asset', got {decisions!r}")
    setup = Setup.build(
        n_assets,
        lot_size=lot_size,
        tick_size=tick_size,
        multiplier=multiplier,
        cash=cash,
        commission_bps=commission_bps,
        slippage_bps=slippage_bps,
        max_position_weight=max_position_weight,
        max_gross_leverage=max_gross_leverage,
        max_drawdown_halt=max_drawdown_halt,
        trading_state=trading_state,
        fill=fill,
        per_asset=decisions == "per_asset",
        allow_short=allow_short,
        symbol_order=symbol_order,
        tick_tiers=tick_tiers,
    )
    if implementation == "numba":
        rec, state = simulate_panel(panel, w, setup)
        acct = state.acct
        counts = (
            int(acct[lay.ACCT_ORDERS]),
            int(acct[lay.ACCT_FILLS]),
            int(acct[lay.ACCT_ENTRIES]),
            (
                int(acct[lay.ACCT_ERROR]),
                int(acct[lay.ACCT_ERROR_T]),
                int(acct[lay.ACCT_ERROR_I]),
            ),
        )
        exact = bool(acct[lay.ACCT_EXACT])
    elif implementation == "python":
        rec = records(panel.close.shape, count_decisions(w))
        counts = simulate_reference(panel.open, panel.close, w, setup.reference(), rec)
        exact = True
    else:
        raise InvalidValueError(
            f"implementation must be 'numba' or 'python', got {implementation!r}"
        )
    _raise_error(counts[3], panel)
    return _result(panel, rec, counts, setup, fill, exact)


def simulate_panel(panel: Panel, weights: FloatArray, setup: Setup) -> tuple[Records, State]:
    """Run the kernel with room for a guess of the orders (one per 8 bars and assets, which
    sparse signals never fill); when it runs out, count the decisions and run again. Raises
    the kernel's errors (a weight given again and again to an asset without bars, ...)."""
    guess = max(1024, panel.close.size // 8)
    rec, state = records(panel.close.shape, min(guess, panel.close.size)), setup.state()
    with step_range():
        simulate(panel.open, panel.close, weights, state, rec)
    if state.acct[lay.ACCT_ERROR] == lay.ERR_ROOM:
        rec, state = records(panel.close.shape, count_decisions(weights)), setup.state()
        with step_range():
            simulate(panel.open, panel.close, weights, state, rec)
    acct = state.acct
    _raise_error(
        (int(acct[lay.ACCT_ERROR]), int(acct[lay.ACCT_ERROR_T]), int(acct[lay.ACCT_ERROR_I])),
        panel,
    )
    return rec, state


def _raise_error(error: tuple[int, int, int], panel: Panel) -> None:
    code, t, i = error
    if code == 0:
        return
    where = f"{panel.symbols[i]} at bar {t}" + (
        "" if panel.stamps is None else f" ({panel.stamps[t].isoformat()})"
    )
    if code == lay.ERR_PENDING:
        raise InvalidValueError(
            f"more than {MAX_PENDING} orders waited for the next bar of {where}: a weight was "
            "given again and again while the asset had no bars"
        )
    if code == lay.ERR_TARGET:
        raise InvalidValueError(
            f"the target of {where} is not a finite number: a close or a weight is out of range"
        )
    if code == lay.ERR_WEIGHT:
        raise InvalidValueError(f"weight of {where} is infinite: weights are numbers or NaN")
    if code == lay.ERR_CLOSE:
        raise InvalidValueError(
            f"close of {where} is {float(panel.close[t, i])!r}: closes must be finite and > 0 "
            "(NaN = no bar)"
        )
    raise InvalidValueError(
        f"open of {where} is {float(panel.open[t, i])!r}: an order fills there, so it must be "
        "finite and > 0"
    )


def _result(
    panel: Panel,
    rec: Records,
    counts: tuple[int, int, int, tuple[int, int, int]],
    setup: Setup,
    fill: FillRule,
    exact: bool,
) -> VectorResult:
    n_o, n_f = counts[0], counts[1]
    fi, ff, oi = rec.fi[:, :n_f], rec.ff[:, :n_f], rec.oi[:, :n_o]
    fills = VectorFills(
        fi[lay.F_T],
        fi[lay.F_ASSET],
        fi[lay.F_SIDE],
        ff[lay.FF_QTY],
        ff[lay.FF_PRICE],
        ff[lay.FF_FEE],
        fi[lay.F_ORDER],
        ff[lay.FF_CASH],
        ff[lay.FF_POS],
    )
    orders = VectorOrders(
        oi[lay.O_T],
        oi[lay.O_ASSET],
        oi[lay.O_SIDE],
        rec.oq[:n_o],
        oi[lay.O_STATUS],
        oi[lay.O_REASON],
    )
    return VectorResult(
        equity=rec.equity,
        fills=fills,
        orders=orders,
        index=panel.stamps,
        symbols=panel.symbols,
        close=panel.close,
        multipliers=setup.multipliers,
        order=setup.order,
        initial_cash=float(setup.cash),
        entries=counts[2],
        fill_rule=fill,
        exact_cash=exact,
    )


def _forward_fill(values: FloatArray) -> FloatArray:
    """Each column's last non-NaN value at or before each row (NaN before the first)."""
    rows = np.arange(values.shape[0])[:, None]
    last = np.where(np.isnan(values), 0, rows)
    np.maximum.accumulate(last, axis=0, out=last)
    return np.take_along_axis(values, last, axis=0)
