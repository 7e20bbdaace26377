"""Metadata of the real market datasets that ship inside the package.

Every entry describes one Parquet file in this folder, built unchanged in value from
``shared/data`` by ``scripts/bundle_data.py``. The provenance (source, notes) is copied from the
data README so that a reader of any result can trace every number to its origin.

``stamp`` says what the timestamp of a row means, because that decides when a backtest may see it:

* ``"bar_open"``: the row covers ``[ts, ts + frequency)``; it becomes known at ``ts + frequency``
  (daily sets stamped at midnight UTC of the session date are of this kind).
* ``"period_end_date"``: the row covers the period that ends on the stamped date; it becomes known
  at the end of that day (``ts + 1 day``).
* ``"observation"``: the value was observed at ``ts`` (trade ticks, funding payments).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DatasetKind = Literal["ohlcv", "close", "series", "trades"]
Stamp = Literal["bar_open", "period_end_date", "observation"]

__all__ = ["BUNDLED", "DatasetInfo", "DatasetKind", "Stamp"]


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    """What one bundled dataset holds and where it came from."""

    name: str
    kind: DatasetKind
    symbols: tuple[str, ...]
    columns: tuple[str, ...]
    frequency: str
    asset_class: str
    currency: str
    calendar: str
    venue: str
    rows: int
    first: str
    last: str
    source: str
    notes: str
    stamp: Stamp = "bar_open"

    @property
    def file(self) -> str:
        """File name of the Parquet copy inside the package."""
        return f"{self.name}.parquet"

    @property
    def source_file(self) -> str:
        """File name of the original in ``shared/data``."""
        return f"{self.name}.csv.gz"


_OHLCV = ("open", "high", "low", "close", "volume")
_STOCKS20 = (
    "AAPL", "AMD", "BAC", "BBY", "CVX", "GE", "HD", "JNJ", "JPM", "KO",
    "LLY", "MRK", "MSFT", "PEP", "PFE", "PG", "RRC", "UNH", "WMT", "XOM",
)  # fmt: skip
_TENORS = (
    "y1month", "y3month", "y6month", "y1year", "y2year", "y3year",
    "y5year", "y7year", "y10year", "y20year", "y30year",
)  # fmt: skip
_ARCH = "arch 8.0.0"
_SKF = "skfolio 1.12.2"
_BT = "backtesting 0.6.6"
_FT = "freqtrade (git c9ae5e1e)"
_ZL = "zipline-reloaded 3.2.1"

BUNDLED: tuple[DatasetInfo, ...] = (
    DatasetInfo(
        "spx_daily", "ohlcv", ("SPX",), _OHLCV, "1d", "index", "USD", "XNYS", "INDEX",
        5031, "1999-01-04", "2018-12-31", f"{_ARCH}: arch/data/sp500/sp500.csv.gz",
        "S&P 500 index (^GSPC) daily OHLCV; close is the index level (no dividends)",
    ),
    DatasetInfo(
        "nasdaq_daily", "ohlcv", ("NASDAQ",), _OHLCV, "1d", "index", "USD", "XNYS", "INDEX",
        5031, "1999-01-04", "2018-12-31", f"{_ARCH}: arch/data/nasdaq/nasdaq.csv.gz",
        "NASDAQ Composite (^IXIC) daily OHLCV; close is the index level (no dividends)",
    ),
    DatasetInfo(
        "vix_daily", "close", ("VIX",), ("close",), "1d", "volatility", "USD", "XNYS", "CBOE",
        1305, "2014-01-03", "2019-01-03", f"{_ARCH}: arch/data/vix/vix.csv.gz",
        "CBOE VIX daily close; 46 holidays carry no value ('.' at the source, NaN here)",
    ),
    DatasetInfo(
        "wti_daily", "close", ("WTI",), ("close",), "1d", "commodity", "USD", "XNYS", "SPOT",
        8321, "1986-01-02", "2019-01-03", f"{_ARCH}: arch/data/wti/wti.csv.gz",
        "WTI crude spot price daily (FRED DCOILWTICO), missing days dropped",
    ),
    DatasetInfo(
        "crude_monthly", "close", ("BRENT", "WTI"), ("brent", "wti"), "1M", "commodity", "USD",
        "none", "SPOT", 393, "1987-05-15", "2020-01-15",
        f"{_ARCH}: arch/data/crude/crude.csv.gz",
        "Brent and WTI monthly prices, stamped mid-month; treated as known a month later",
    ),
    DatasetInfo(
        "fama_french_monthly", "series", ("MKT_RF", "SMB", "HML", "RF"),
        ("mkt_rf", "smb", "hml", "rf"), "1M", "factor", "USD", "none", "FRENCH", 1109,
        "1926-07-01", "2018-11-01", f"{_ARCH}: arch/data/frenchdata/frenchdata.csv.gz",
        "Fama-French 3 factors + risk-free, monthly, as fractions (source divided by 100); "
        "timestamp is the month's first day",
    ),
    DatasetInfo(
        "stocks20_close", "close", _STOCKS20, _STOCKS20, "1d", "equity", "USD", "XNYS", "US",
        8313, "1990-01-02", "2022-12-28", f"{_SKF}: skfolio/datasets/data/sp500_dataset.csv.gz",
        "20 US large caps, daily adjusted close only (no OHLV); one column per ticker",
    ),
    DatasetInfo(
        "sp500_index_close", "close", ("SPX",), ("close",), "1d", "index", "USD", "XNYS",
        "INDEX", 8313, "1990-01-02", "2022-12-28",
        f"{_SKF}: skfolio/datasets/data/sp500_index.csv.gz", "S&P 500 index daily close",
    ),
    DatasetInfo(
        "factor_etfs_close", "close", ("MTUM", "QUAL", "SIZE", "USMV", "VLUE"),
        ("MTUM", "QUAL", "SIZE", "USMV", "VLUE"), "1d", "equity", "USD", "XNYS", "US", 2264,
        "2014-01-02", "2022-12-28", f"{_SKF}: skfolio/datasets/data/factors_dataset.csv.gz",
        "factor ETFs MTUM QUAL SIZE USMV VLUE, daily adjusted close",
    ),
    DatasetInfo(
        "msft_daily", "ohlcv", ("MSFT",), _OHLCV, "1d", "equity", "USD", "XNYS", "NASDAQ",
        7983, "1986-03-13", "2017-11-10", "pmdarima 2.1.1: pmdarima/datasets/data/msft.tar.gz",
        "Microsoft daily OHLCV, split-adjusted",
    ),
    DatasetInfo(
        "goog_daily", "ohlcv", ("GOOG",), _OHLCV, "1d", "equity", "USD", "XNYS", "NASDAQ",
        2148, "2004-08-19", "2013-03-01", f"{_BT}: backtesting/test/GOOG.csv",
        "Alphabet/Google daily OHLCV",
    ),
    DatasetInfo(
        "eurusd_1h", "ohlcv", ("EURUSD",), _OHLCV, "1h", "fx", "USD", "24/5", "FX", 5000,
        "2017-04-19", "2018-02-07", f"{_BT}: backtesting/test/EURUSD.csv",
        "EUR/USD hourly OHLCV (tick volume)",
    ),
    DatasetInfo(
        "btcusd_monthly", "ohlcv", ("BTCUSD",), _OHLCV, "1M", "crypto", "USD", "24/7", "SPOT",
        156, "2012-01-31", "2024-12-31", f"{_BT}: backtesting/test/BTCUSD.csv",
        "Bitcoin/USD monthly OHLCV, stamped on the month's last day",
        stamp="period_end_date",
    ),
    DatasetInfo(
        "googl_daily", "ohlcv", ("GOOGL",), (*_OHLCV, "adj_close"), "1d", "equity", "USD",
        "XNYS", "NASDAQ", 2335, "2009-05-22", "2018-08-29",
        "gym-anytrading 2.0.0: gym_anytrading/datasets/data/STOCKS_GOOGL.csv",
        "Alphabet class A daily OHLCV (split-adjusted) + adj_close",
    ),
    DatasetInfo(
        "eurusd_1h_ask_2017", "ohlcv", ("EURUSD",), _OHLCV, "1h", "fx", "USD", "24/5", "FX",
        6225, "2017-01-01", "2017-12-29",
        "gym-anytrading 2.0.0: gym_anytrading/datasets/data/FOREX_EURUSD_1H_ASK.csv",
        "EUR/USD hourly ask-side OHLCV, 2017",
    ),
    DatasetInfo(
        "treasury_curves_daily", "series", tuple(t.upper() for t in _TENORS), _TENORS, "1d",
        "rates", "USD", "XNYS", "UST", 6816, "1990-01-02", "2017-03-29",
        f"{_ZL}: zipline/resources/market_data/treasury_curves.csv",
        "US Treasury constant-maturity yields as fractions; empty where the tenor did not exist",
    ),
    DatasetInfo(
        "spy_daily_returns", "series", ("SPY",), ("return",), "1d", "equity", "USD", "XNYS",
        "NYSEARCA", 6357, "1993-02-01", "2018-04-27",
        f"{_ZL}: zipline/resources/market_data/SPY_benchmark.csv",
        "SPY ETF daily total returns",
    ),
    DatasetInfo(
        "binance_ethbtc_5m", "ohlcv", ("ETHBTC",), _OHLCV, "5m", "crypto", "BTC", "24/7",
        "BINANCE", 5760, "2018-01-10", "2018-01-30",
        f"{_FT}: tests/testdata/ETH_BTC-5m.feather", "Binance spot ETH/BTC 5-minute OHLCV",
    ),
    DatasetInfo(
        "binance_ltcbtc_5m", "ohlcv", ("LTCBTC",), _OHLCV, "5m", "crypto", "BTC", "24/7",
        "BINANCE", 5760, "2018-01-10", "2018-01-30",
        f"{_FT}: tests/testdata/LTC_BTC-5m.feather", "Binance spot LTC/BTC 5-minute OHLCV",
    ),
    DatasetInfo(
        "binance_adabtc_5m", "ohlcv", ("ADABTC",), _OHLCV, "5m", "crypto", "BTC", "24/7",
        "BINANCE", 5720, "2018-01-10", "2018-01-30",
        f"{_FT}: tests/testdata/ADA_BTC-5m.feather",
        "Binance spot ADA/BTC 5-minute OHLCV (has a real gap of almost three hours)",
    ),
    DatasetInfo(
        "binance_xrpeth_1m", "ohlcv", ("XRPETH",), _OHLCV, "1m", "crypto", "ETH", "24/7",
        "BINANCE", 2469, "2019-10-11", "2019-10-13",
        f"{_FT}: tests/testdata/XRP_ETH-1m.feather", "Binance spot XRP/ETH 1-minute OHLCV",
    ),
    DatasetInfo(
        "binance_xrpusdt_perp_5m", "ohlcv", ("XRPUSDT-PERP",), _OHLCV, "5m", "crypto", "USDT",
        "24/7", "BINANCE", 1999, "2021-11-15", "2021-11-21",
        f"{_FT}: tests/testdata/XRP_USDT_USDT-5m-futures.feather",
        "Binance USDT-margined XRP perpetual 5-minute OHLCV",
    ),
    DatasetInfo(
        "binance_xrpusdt_funding_8h", "series", ("XRPUSDT-PERP",), ("funding_rate",), "8h",
        "crypto", "USDT", "24/7", "BINANCE", 91, "2021-11-18", "2021-12-18",
        f"{_FT}: tests/testdata/futures/XRP_USDT_USDT-8h-funding_rate.feather",
        "XRP perpetual 8-hourly funding rate", stamp="observation",
    ),
    DatasetInfo(
        "binance_xrpeth_trades", "trades", ("XRPETH",), ("id", "side", "price", "amount"),
        "tick", "crypto", "ETH", "24/7", "BINANCE", 12477, "2019-10-11", "2019-10-13",
        f"{_FT}: tests/testdata/XRP_ETH-trades.parquet",
        "Binance spot XRP/ETH public trades (tick data): id, aggressor side, price, amount; "
        "several trades share a timestamp, so they are told apart by id",
        stamp="observation",
    ),
)  # fmt: skip
