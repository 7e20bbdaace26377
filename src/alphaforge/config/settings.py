"""The root of the config tree, its run id and its JSON schema."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from alphaforge.config._tree import is_secret
from alphaforge.config.sections import (
    BacktestConfig,
    BusConfig,
    DataConfig,
    LoggingConfig,
    MlConfig,
    RiskConfig,
    StoreConfig,
)
from alphaforge.config.services import ApiConfig, BrokersConfig, NotifyConfig

__all__ = ["AlphaforgeConfig", "config_schema", "public_settings", "run_id"]

RUN_ID_LENGTH = 16


class AlphaforgeConfig(BaseSettings):
    """Every setting of alphaforge, typed and frozen, in one tree of sections.

    Build it with :func:`alphaforge.config.load_config` (defaults < TOML files < ``ALPHAFORGE_*``
    environment variables < overrides). Constructing it directly reads nothing but its arguments,
    so two configs can live side by side and tests never depend on the machine they run on.
    """

    model_config = SettingsConfigDict(
        frozen=True,
        extra="forbid",
        allow_inf_nan=False,
        validate_default=True,
        title="alphaforge configuration",
    )

    data: DataConfig = Field(
        default_factory=DataConfig, description="Market data catalog and calendars."
    )
    logging: LoggingConfig = Field(
        default_factory=LoggingConfig, description="Log level and format."
    )
    backtest: BacktestConfig = Field(
        default_factory=BacktestConfig, description="Backtest cash, costs and fills."
    )
    risk: RiskConfig = Field(default_factory=RiskConfig, description="Pre-trade risk limits.")
    store: StoreConfig = Field(
        default_factory=StoreConfig, description="Database of orders, fills and the audit log."
    )
    bus: BusConfig = Field(default_factory=BusConfig, description="Redis Streams message bus.")
    brokers: BrokersConfig = Field(
        default_factory=BrokersConfig, description="Broker and exchange accounts."
    )
    api: ApiConfig = Field(default_factory=ApiConfig, description="REST and WebSocket API server.")
    notify: NotifyConfig = Field(
        default_factory=NotifyConfig, description="Alerts by Telegram, Slack and email."
    )
    ml: MlConfig = Field(
        default_factory=MlConfig, description="Model tracking and registry (MLflow)."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Read only the constructor's arguments; ``load_config`` layers files and environment.

        Going through ``load_config`` is what lets an error name the file or variable a bad
        value came from, and lets tests pass their own environment.
        """
        return (init_settings,)

    @property
    def run_id(self) -> str:
        """Return the id of this exact configuration (see :func:`run_id`)."""
        return run_id(self)


def _canonical(value: object) -> object:
    """Turn a setting into plain JSON whose text is equal exactly when the values are equal."""
    if isinstance(value, BaseModel):
        return public_settings(value)
    if isinstance(value, Decimal):
        # 100000, 1E+5 and 100000.00 are the same cash; give them one spelling.
        return format(value.normalize(), "f")
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, tuple | list):
        return [_canonical(item) for item in value]
    return value


def public_settings(model: BaseModel) -> dict[str, Any]:
    """Return ``model``'s settings as plain JSON values, with every secret field left out.

    Leaving secrets out (rather than masking them) means not even whether a secret is set can
    be read back from the result.
    """
    result: dict[str, Any] = {}
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, SecretStr) or is_secret(field.annotation):
            continue
        result[name] = _canonical(value)
    return result


def run_id(config: AlphaforgeConfig) -> str:
    """Return the first 16 hex digits of SHA-256 over the config's canonical JSON, sans secrets.

    Equal configs get equal ids on any machine and any run; any change to a non-secret setting
    changes the id; secrets neither change it nor can be recovered from it. The code version is
    not part of it: record that next to the id.
    """
    text = json.dumps(
        public_settings(config), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:RUN_ID_LENGTH]


def config_schema() -> dict[str, Any]:
    """Return the JSON schema (draft 2020-12) of the config file, with every key described."""
    schema = AlphaforgeConfig.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
