"""Core config sections: data, logging, backtest, risk, store, bus and ml.

Defaults are chosen to be safe and honest: costs are not zero, shorting is off, risk limits are
unlevered, and every service listens on localhost only.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Literal, get_args

from platformdirs import user_data_path
from pydantic import Field, SecretStr, field_validator

from alphaforge.config._base import Section, check_name, check_url
from alphaforge.config._tree import env_var

__all__ = [
    "BacktestConfig",
    "BusConfig",
    "CalendarDefaults",
    "DataConfig",
    "FillPolicy",
    "LogFormat",
    "LogLevel",
    "LoggingConfig",
    "MlConfig",
    "RiskConfig",
    "StoreConfig",
    "TradingStateName",
    "default_catalog_dir",
    "default_store_url",
]

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
LogFormat = Literal["console", "json"]
FillPolicy = Literal["close", "next_open", "aggressive", "passive"]
TradingStateName = Literal["ACTIVE", "REDUCING", "HALTED"]


def _upper_if_known(value: object, names: object) -> object:
    """Accept ``debug`` for ``DEBUG``; anything else is left as received, for the error message."""
    if isinstance(value, str) and value.upper() in get_args(names):
        return value.upper()
    return value


def default_catalog_dir() -> Path:
    """Return the per-user catalog folder (e.g. ``~/.local/share/alphaforge/catalog``)."""
    return user_data_path("alphaforge") / "catalog"


def default_store_url() -> str:
    """Return the SQLAlchemy URL of the per-user SQLite database."""
    return f"sqlite:///{user_data_path('alphaforge') / 'alphaforge.db'}"


class CalendarDefaults(Section):
    """The exchange calendar (``exchange_calendars`` name) assumed for each asset class."""

    equity: str = Field("XNYS", description="Calendar for stocks and ETFs (NYSE).")
    fx: str = Field("24/5", description="Calendar for foreign exchange (Sunday to Friday).")
    crypto: str = Field("24/7", description="Calendar for crypto assets (never closes).")
    futures: str = Field("CMES", description="Calendar for futures (CME equity futures).")

    @field_validator("equity", "fx", "crypto", "futures")
    @classmethod
    def _calendar_name(cls, value: str) -> str:
        return check_name(value, "an exchange calendar name such as 'XNYS' or '24/7'")


class DataConfig(Section):
    """Where market data lives and which trading calendars apply."""

    catalog_dir: Path = Field(
        default_factory=default_catalog_dir,
        description=(
            "Folder of the local Parquet catalog (default: the per-user data folder, e.g. "
            "~/.local/share/alphaforge/catalog); '~' is expanded."
        ),
    )
    calendars: CalendarDefaults = Field(
        default_factory=CalendarDefaults,
        description="Default trading calendar by asset class, used when a dataset names none.",
    )

    @field_validator("catalog_dir")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()


class LoggingConfig(Section):
    """How alphaforge logs (structlog)."""

    level: LogLevel = Field(
        "INFO", description="Lowest level written: DEBUG, INFO, WARNING, ERROR."
    )
    format: LogFormat = Field(
        "console", description="'console' for people, 'json' for log shippers (one object a line)."
    )

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        # Environment variables are often written in lower case (``debug``).
        return _upper_if_known(value, LogLevel)


class BacktestConfig(Section):
    """Defaults of a backtest: starting cash, costs, fill timing, benchmark."""

    cash: Decimal = Field(
        Decimal("100000"), gt=0, description="Starting cash in `currency` (exact decimal)."
    )
    currency: str = Field(
        "USD", description="Account currency: a 3 to 5 letter code such as USD, EUR, USDT, BTC."
    )
    commission_bps: Decimal = Field(
        Decimal("1"),
        ge=0,
        le=1000,
        description="Commission in basis points of traded notional (1 bp = 0.01 %).",
    )
    slippage_bps: Decimal = Field(
        Decimal("1"),
        ge=0,
        le=1000,
        description="Slippage in basis points of price, applied against the trade's direction.",
    )
    fill: FillPolicy = Field(
        "next_open",
        description=(
            "When and at what price a market order fills: 'next_open' (the next bar's open, no "
            "look-ahead), 'close' (this bar's close, optimistic), 'aggressive' (cross the spread), "
            "'passive' (rest at the touch)."
        ),
    )
    benchmark: str | None = Field(
        None, description="Dataset or symbol to compare against (e.g. 'spx_daily'); none if unset."
    )
    allow_short: bool = Field(
        False, description="Whether the simulated account may sell what it does not hold."
    )

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        value = value.upper()
        if not (3 <= len(value) <= 5 and value.isascii() and value.isalpha()):
            raise ValueError("expected a currency code of 3 to 5 letters, such as USD")
        return value

    @field_validator("benchmark")
    @classmethod
    def _benchmark_name(cls, value: str | None) -> str | None:
        return None if value is None else check_name(value, "a dataset name or symbol")


class RiskConfig(Section):
    """Pre-trade limits applied to every order, and the trading state at start."""

    max_position_weight: float = Field(
        1.0,
        gt=0,
        le=10,
        description="Largest position as a fraction of equity (1.0 = 100 %).",
    )
    max_gross_leverage: float = Field(
        1.0,
        gt=0,
        le=100,
        description="Largest sum of absolute position values divided by equity.",
    )
    allow_short: bool = Field(
        False, description="Whether the risk engine approves orders that open short positions."
    )
    max_drawdown_halt: float | None = Field(
        None,
        gt=0,
        lt=1,
        description="Halt trading when equity falls this fraction below its peak; none if unset.",
    )
    trading_state: TradingStateName = Field(
        "ACTIVE",
        description=(
            "State at start: ACTIVE (all orders), REDUCING (only risk-reducing orders), "
            "HALTED (cancels only)."
        ),
    )

    @field_validator("trading_state", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return _upper_if_known(value, TradingStateName)


class StoreConfig(Section):
    """The database of orders, fills and the audit chain (SQLAlchemy)."""

    url: str = Field(
        default_factory=default_store_url,
        description=(
            "SQLAlchemy URL: sqlite:///path (default, per user) or postgresql+psycopg://user@host/db;"
            " no password in it (see `password`)."
        ),
    )
    password: SecretStr | None = Field(
        None,
        min_length=1,
        description="Database password (secret: ALPHAFORGE_STORE__PASSWORD only).",
    )
    echo: bool = Field(False, description="Log every SQL statement (debugging only).")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_url(
            value, schemes=("sqlite", "postgresql"), env_name=env_var("store.password")
        )


class BusConfig(Section):
    """The Redis Streams bus that splits a live system into processes."""

    redis_url: str = Field(
        "redis://127.0.0.1:6379/0",
        description="Redis URL (redis:// or rediss:// for TLS); no password in it.",
    )
    password: SecretStr | None = Field(
        None, min_length=1, description="Redis password (secret: ALPHAFORGE_BUS__PASSWORD only)."
    )
    stream_prefix: str = Field(
        "alphaforge", description="Prefix of every stream name, so several systems share a server."
    )

    @field_validator("redis_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_url(value, schemes=("redis", "rediss"), env_name=env_var("bus.password"))

    @field_validator("stream_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return check_name(value, "a stream prefix")


# Schemes MLflow takes as a tracking URI: a server, a SQL database, or a local folder.
_TRACKING_SCHEMES = ("http", "https", "sqlite", "postgresql", "mysql", "mssql", "file")


class MlConfig(Section):
    """Where models are tracked and registered (MLflow), for ``alphaforge ml`` and the API."""

    tracking_uri: str | None = Field(
        None,
        description=(
            "MLflow tracking and registry URI: sqlite:///path/mlflow.db, an MLflow server "
            "(http://host:5000) or a database URL; no password in it. Unset: $MLFLOW_TRACKING_URI, "
            "else a per-user SQLite file (~/.local/share/alphaforge/mlflow.db)."
        ),
    )
    artifact_dir: Path | None = Field(
        None,
        description=(
            "Folder of the saved models of a new experiment on a SQLite tracking URI (default: "
            "mlartifacts/ beside the database); '~' is expanded. A server decides for itself."
        ),
    )
    experiment: str = Field(
        "alphaforge", description="MLflow experiment that training runs are logged to."
    )

    @field_validator("tracking_uri")
    @classmethod
    def _uri(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return check_url(
            value,
            schemes=_TRACKING_SCHEMES,
            env_name="MLFLOW_TRACKING_PASSWORD (a server) or the database's own password file",
        )

    @field_validator("artifact_dir")
    @classmethod
    def _expand_home(cls, value: Path | None) -> Path | None:
        return None if value is None else value.expanduser()

    @field_validator("experiment")
    @classmethod
    def _experiment(cls, value: str) -> str:
        return check_name(value, "an MLflow experiment name")
