"""What a backtest runs on: data resolved into validated per-symbol series, and their instruments.

``data`` may be a bundled dataset name, a catalog symbol, a CSV/Parquet file, a DataFrame, or a
mapping of symbol to DataFrame; :func:`load_series` turns each into :class:`Series` the kernel
feeds, and :func:`instrument_for` builds the instrument each trades as.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from alphaforge.config import AlphaforgeConfig, load_config
from alphaforge.core.suggest import did_you_mean
from alphaforge.data.bundled import dataset_info, list_datasets, load_dataset
from alphaforge.data.calendars import infer_frequency
from alphaforge.data.errors import UnknownDatasetError
from alphaforge.data.sources import read_file
from alphaforge.data.validation import validate_frame
from alphaforge.domain.enums import AssetClass
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.instruments import RULE_612, Instrument

if TYPE_CHECKING:
    from alphaforge.data.catalog import Catalog

__all__ = ["DataLike", "Series", "common_currency", "instrument_for", "load_series"]

_EQUITY_LIKE = {"equity", "index", "etf", "volatility", "commodity"}


@dataclass(frozen=True)
class Series:
    """One symbol's bars as the engine takes them, with where they came from."""

    symbol: str
    timeframe: str
    frame: pd.DataFrame
    calendar: str | None
    stamp: str
    asset_class: str
    currency: str
    source: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_trades(self) -> bool:
        """Whether this is a stream of public trades (``id side price amount``), not bars."""
        return self.timeframe == "tick"


DataLike = (
    str
    | Path
    | pd.DataFrame
    | Mapping[str, pd.DataFrame | Sequence[pd.DataFrame]]
    | Sequence[str | Path]
    | Series
    | Sequence[Series]
)
"""A bundled name, a file, a frame, ``{symbol: frame}`` (or ``{symbol: [frames]}``: bars of
several timeframes and/or trades of one symbol), a list of names and files joined, or already
loaded ``Series`` (a shocked or sliced copy keeps its asset class, currency, calendar and
stamp)."""


def common_currency(series: Sequence[Series]) -> str | None:
    """The quote currency all series share (the account is kept in it), if they share one."""
    found = {s.currency.upper() for s in series}
    return found.pop() if len(found) == 1 else None


def load_series(
    data: DataLike,
    *,
    symbols: Sequence[str] | None = None,
    timeframe: str | None = None,
    calendar: str | None = None,
    config: AlphaforgeConfig | None = None,
) -> list[Series]:
    """Resolve ``data`` (see ``backtest``) into validated per-symbol series.

    A list or tuple of names (``["spx_daily", "vix_daily"]``) joins several sources into one run;
    ``symbols`` then picks among all of their symbols. A symbol may come twice only in different
    timeframes (its 1-minute bars and its trades, say); the same bars twice are an error.
    """
    given = _in_memory(data, symbols, timeframe, calendar)
    if given is not None:
        return given
    if isinstance(data, list | tuple):
        return _joined(data, symbols, timeframe, calendar, config)
    text = str(data)
    names = [i.name for i in list_datasets()]
    if text in names or text.startswith(("bundled:", "modelled:")):
        modelled = text.startswith("modelled:")  # an option index priced from bundled data
        return [_modelled(text)] if modelled else _bundled(text.removeprefix("bundled:"), symbols)
    path = Path(text).expanduser()
    if path.is_file():
        frame = read_file(path)
        symbol = (symbols or [path.name.split(".")[0]])[0].upper()
        return [_frame_series(symbol, frame, timeframe, calendar, str(path))]
    cfg = config or load_config()
    from alphaforge.data.catalog import Catalog  # noqa: PLC0415  # duckdb: only for the catalog

    catalog = Catalog(cfg.data.catalog_dir)
    wanted = [text, *(symbols or [])] if text not in (symbols or []) else list(symbols or [])
    held = catalog.symbols()
    if wanted[0].upper() in held:
        return [_catalog_series(catalog, s, timeframe) for s in dict.fromkeys(wanted)]
    raise UnknownDatasetError(
        f"{text!r} is not a bundled dataset, a file or a symbol in the catalog at {catalog.root}"
        f"{did_you_mean(text, names + held)}"
    )


def _joined(
    parts: Sequence[str | Path],
    symbols: Sequence[str] | None,
    timeframe: str | None,
    calendar: str | None,
    config: AlphaforgeConfig | None,
) -> list[Series]:
    if not parts:
        raise InvalidValueError("data is an empty list: name at least one dataset or file")
    out: list[Series] = []
    origin: dict[tuple[str, str], str] = {}
    for part in parts:
        if not isinstance(part, str | Path):
            raise InvalidValueError(
                f"a data list holds dataset names, symbols or file paths, not {type(part).__name__}"
            )
        for s in load_series(part, timeframe=timeframe, calendar=calendar, config=config):
            key = (s.symbol, s.timeframe)
            if key in origin:
                raise InvalidValueError(
                    f"symbol {s.symbol} is in both {origin[key]} and {part}; "
                    f"a run holds each symbol's {s.timeframe} data once"
                )
            origin[key] = str(part)
            out.append(s)
    if not symbols:
        return out
    wanted = [s.upper() for s in symbols]
    held = list(dict.fromkeys(s.symbol for s in out))
    unknown = [s for s in wanted if s not in held]
    if unknown:
        raise UnknownDatasetError(
            f"{', '.join(map(str, parts))} hold no symbol {unknown[0]!r}"
            f"{did_you_mean(unknown[0], held)}"
        )
    return [s for symbol in dict.fromkeys(wanted) for s in out if s.symbol == symbol]


def _bundled(name: str, symbols: Sequence[str] | None) -> list[Series]:
    info = dataset_info(name)
    if info.kind not in ("ohlcv", "close", "trades"):
        raise InvalidValueError(
            f"{name} holds {info.kind} data; backtests need prices (ohlcv, close or trades)"
        )
    frame = load_dataset(name)
    wanted = [s.upper() for s in symbols] if symbols else list(info.symbols)
    out = []
    for symbol in wanted:
        if symbol not in info.symbols:
            raise UnknownDatasetError(
                f"{name} has no symbol {symbol!r}{did_you_mean(symbol, list(info.symbols))}"
            )
        if info.kind in ("ohlcv", "trades"):
            part = frame
        else:
            column = (
                frame.columns[list(info.symbols).index(symbol)]
                if len(info.symbols) > 1
                else frame.columns[0]
            )
            part = frame[[column]].rename(columns={column: "close"}).dropna()
        extra = {"dataset": name, "provenance": info.source}
        out.append(Series(symbol, info.frequency, part, info.calendar, info.stamp,
                          info.asset_class, info.currency, f"bundled:{name}", extra))  # fmt: skip
    return out


def _modelled(text: str) -> Series:
    """A modelled option-strategy index (``modelled:spx_covered_call``): Black-Scholes at VIX,
    not quoted prices; built from bundled data (see ``alphaforge.pricing.catalog``)."""
    from alphaforge.pricing.catalog import (  # noqa: PLC0415  # scipy: only when asked
        MODELLED,
        build_modelled,
        modelled_provenance,
    )

    name = text.removeprefix("modelled:")
    if name not in MODELLED:
        known = [f"modelled:{n}" for n in MODELLED]
        raise UnknownDatasetError(
            f"no modelled series named {text!r} (known: {', '.join(known)})"
            f"{did_you_mean(text, known)}"
        )
    spec, built = build_modelled(name, load_dataset)
    info = dataset_info(spec.underlying)
    extra = modelled_provenance(spec, built)
    return Series(spec.symbol, info.frequency, built.frame, info.calendar, info.stamp,
                  info.asset_class, info.currency, text, extra)  # fmt: skip


def _catalog_series(catalog: Catalog, symbol: str, timeframe: str | None) -> Series:
    entry = catalog.info(symbol, timeframe)
    frame = catalog.load(entry.symbol, entry.timeframe)
    extra = {"sha256": entry.content_hash, "provenance": entry.source}
    return Series(entry.symbol, entry.timeframe, frame, entry.calendar, entry.stamp,
                  entry.asset_class or "equity", entry.currency or "USD",
                  f"catalog:{entry.symbol} {entry.timeframe}", extra)  # fmt: skip


def _in_memory(
    data: object, symbols: Sequence[str] | None, timeframe: str | None, calendar: str | None
) -> list[Series] | None:
    """Series from a frame, ``{symbol: frame}`` or already loaded series (checked again);
    None for names and files."""
    if isinstance(data, pd.DataFrame):
        name = (symbols or ["ASSET"])[0]
        return [_frame_series(name.upper(), data, timeframe, calendar, "frame")]
    if isinstance(data, Mapping):
        return [
            _frame_series(str(k).upper(), frame, timeframe, calendar, f"frame:{k}")
            for k, v in data.items()
            for frame in ([v] if isinstance(v, pd.DataFrame) else v)
        ]
    items = [data] if isinstance(data, Series) else data
    if isinstance(items, list | tuple) and items and all(isinstance(d, Series) for d in items):
        return [_checked(d) for d in items if not symbols or d.symbol in symbols]
    return None


def _checked(s: Series) -> Series:
    """A loaded series given back (sliced or shocked, say): its frame is validated again."""
    kind = "trades" if s.is_trades else ("ohlcv" if "open" in s.frame.columns else "close")
    if kind == "trades":
        validate_frame(s.frame, source=s.source, kind="trades")
    else:
        validate_frame(s.frame, source=s.source, kind=kind, calendar=s.calendar,
                       frequency=s.timeframe)  # fmt: skip
    return s


def _frame_series(
    symbol: str, frame: pd.DataFrame, timeframe: str | None, calendar: str | None, source: str
) -> Series:
    if {"price", "amount"} <= set(frame.columns) and "close" not in frame.columns:
        validate_frame(frame, source=source, kind="trades")
        return Series(symbol, "tick", frame, None, "observation", "equity", "USD", source)
    kind = "ohlcv" if {"open", "high", "low", "close"} <= set(frame.columns) else "close"
    if kind == "close":
        if "close" not in frame.columns:
            raise InvalidValueError(f"{source}: needs OHLCV columns or a 'close' column")
        frame = frame[["close"]]
    tf = timeframe or (
        infer_frequency(frame.index) if isinstance(frame.index, pd.DatetimeIndex) else None
    )
    if tf is None:
        raise InvalidValueError(f"{source}: cannot infer the bar timeframe; pass timeframe=")
    validate_frame(frame, source=source, kind=kind, calendar=calendar, frequency=tf)
    return Series(symbol, tf, frame, calendar, "bar_open", "equity", "USD", source)


def instrument_for(s: Series, fractional: bool) -> Instrument:
    """The instrument ``s`` trades as, from its metadata alone (never its prices, which would
    let later bars shape earlier fills): crypto in steps of 1e-8, FX in tenths of a pip, stocks
    and indices by SEC Rule 612 (cents from $1, 0.0001 below, ``RULE_612``); ``fractional``
    lots of 0.0001 instead of whole shares."""
    lot = "0.0001" if fractional else "1"
    if s.asset_class == "crypto":
        pair = s.symbol.split("-")[0]  # XRPUSDT-PERP -> XRPUSDT
        base = pair[: -len(s.currency)] if pair.endswith(s.currency) else pair
        return Instrument.crypto(
            s.symbol, "0.00000001", "0.00000001", base=base or pair, quote=s.currency
        )
    if s.asset_class == "fx":
        return Instrument.equity(s.symbol, currency=s.currency, tick_size="0.00001", lot_size=lot,
                                 asset_class=AssetClass.FX)  # fmt: skip
    if s.asset_class in _EQUITY_LIKE:  # Rule 612: cents from $1, 0.0001 below, price by price
        cls = AssetClass.INDEX if s.asset_class == "index" else AssetClass.EQUITY
        return Instrument.equity(s.symbol, currency=s.currency, tick_size="0.0001", lot_size=lot,
                                 asset_class=cls, tick_tiers=RULE_612)  # fmt: skip
    return Instrument.equity(s.symbol, currency=s.currency, lot_size=lot)
