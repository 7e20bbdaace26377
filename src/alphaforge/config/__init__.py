"""alphaforge.config: one typed, frozen settings tree, loaded from files and the environment.

``load_config()`` layers defaults < TOML files < ``ALPHAFORGE_*`` environment variables <
explicit overrides, refuses unknown keys with a "did you mean" hint, accepts secrets only from
the environment, and returns an :class:`AlphaforgeConfig` whose ``run_id`` names it.
"""

from alphaforge.config._tree import env_var
from alphaforge.config.errors import ConfigProblem, InvalidConfigError
from alphaforge.config.loader import DEFAULT_CONFIG_FILE, config_paths, load_config
from alphaforge.config.sections import (
    BacktestConfig,
    BusConfig,
    CalendarDefaults,
    DataConfig,
    FillPolicy,
    LogFormat,
    LoggingConfig,
    LogLevel,
    MlConfig,
    RiskConfig,
    StoreConfig,
    TradingStateName,
)
from alphaforge.config.services import (
    AlpacaConfig,
    ApiConfig,
    BrokersConfig,
    CcxtConfig,
    EmailConfig,
    NotifyConfig,
)
from alphaforge.config.settings import AlphaforgeConfig, config_schema, public_settings, run_id
from alphaforge.config.sources import CONFIG_ENV_VAR

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_FILE",
    "AlpacaConfig",
    "AlphaforgeConfig",
    "ApiConfig",
    "BacktestConfig",
    "BrokersConfig",
    "BusConfig",
    "CalendarDefaults",
    "CcxtConfig",
    "ConfigProblem",
    "DataConfig",
    "EmailConfig",
    "FillPolicy",
    "InvalidConfigError",
    "LogFormat",
    "LogLevel",
    "LoggingConfig",
    "MlConfig",
    "NotifyConfig",
    "RiskConfig",
    "StoreConfig",
    "TradingStateName",
    "config_paths",
    "config_schema",
    "env_var",
    "load_config",
    "public_settings",
    "run_id",
]
