"""Config sections that talk to the outside world: brokers, the API server and notifiers.

Every credential is a ``SecretStr``: it prints as ``**********``, is left out of the run id, and
is accepted only from ``ALPHAFORGE_*`` environment variables (never from a file).
"""

from __future__ import annotations

import re
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator

from alphaforge.config._base import Section, check_name

__all__ = [
    "AlpacaConfig",
    "ApiConfig",
    "BrokersConfig",
    "CcxtConfig",
    "EmailConfig",
    "NotifyConfig",
]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _pair(first: SecretStr | None, second: SecretStr | None, names: tuple[str, str]) -> None:
    """Refuse one credential of a pair without the other (a half-set key fails late and oddly)."""
    if (first is None) != (second is None):
        have, missing = names if second is None else names[::-1]
        raise ValueError(f"'{have}' is set but '{missing}' is not; set both or neither")


class AlpacaConfig(Section):
    """Alpaca (US stocks and crypto) account."""

    api_key: SecretStr | None = Field(
        None, min_length=1, description="API key id (secret: ALPHAFORGE_BROKERS__ALPACA__API_KEY)."
    )
    secret_key: SecretStr | None = Field(
        None,
        min_length=1,
        description="API secret key (secret: ALPHAFORGE_BROKERS__ALPACA__SECRET_KEY).",
    )
    paper: bool = Field(True, description="Trade the paper account; false means real money.")
    base_url: str | None = Field(
        None,
        pattern=r"^https?://\S+$",
        description="Override the API endpoint (https://…); by default chosen from `paper`.",
    )

    @model_validator(mode="after")
    def _keys_together(self) -> Self:
        _pair(self.api_key, self.secret_key, ("api_key", "secret_key"))
        return self


class CcxtConfig(Section):
    """A crypto exchange reached through CCXT."""

    exchange: str = Field("binance", description="CCXT exchange id, e.g. 'binance', 'kraken'.")
    api_key: SecretStr | None = Field(
        None, min_length=1, description="API key (secret: ALPHAFORGE_BROKERS__CCXT__API_KEY)."
    )
    secret: SecretStr | None = Field(
        None, min_length=1, description="API secret (secret: ALPHAFORGE_BROKERS__CCXT__SECRET)."
    )
    password: SecretStr | None = Field(
        None,
        min_length=1,
        description="API passphrase, for exchanges that need one "
        "(secret: ALPHAFORGE_BROKERS__CCXT__PASSWORD).",
    )
    sandbox: bool = Field(
        True, description="Use the exchange's test network; false means real money."
    )

    @field_validator("exchange")
    @classmethod
    def _exchange_id(cls, value: str) -> str:
        value = value.lower()
        if not value.replace("_", "").isalnum() or not value.isascii():
            raise ValueError("expected a CCXT exchange id such as 'binance' (letters, digits, _)")
        return value

    @model_validator(mode="after")
    def _keys_together(self) -> Self:
        _pair(self.api_key, self.secret, ("api_key", "secret"))
        return self


class BrokersConfig(Section):
    """Credentials and endpoints of the real venues (paper or sandbox by default)."""

    alpaca: AlpacaConfig = Field(default_factory=AlpacaConfig, description="Alpaca account.")
    ccxt: CcxtConfig = Field(default_factory=CcxtConfig, description="CCXT crypto exchange.")


class ApiConfig(Section):
    """The REST + WebSocket API server."""

    host: str = Field(
        "127.0.0.1",
        description="Interface to listen on; 127.0.0.1 keeps the API on this machine only.",
    )
    port: int = Field(8000, ge=1, le=65535, description="TCP port to listen on.")
    auth_token: SecretStr | None = Field(
        None,
        min_length=16,
        description="Bearer token clients must send, at least 16 characters "
        "(secret: ALPHAFORGE_API__AUTH_TOKEN).",
    )

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not value or "://" in value or any(ch.isspace() or ch == "/" for ch in value):
            raise ValueError("expected a host name or IP address, such as 127.0.0.1")
        return value


class EmailConfig(Section):
    """Alerts by email (SMTP); off unless `smtp_host`, `from_addr` and `to_addrs` are all set."""

    smtp_host: str | None = Field(None, description="SMTP server host name.")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP server port (587 = STARTTLS).")
    smtp_user: str | None = Field(None, description="SMTP login name, if the server needs one.")
    smtp_password: SecretStr | None = Field(
        None,
        min_length=1,
        description="SMTP password (secret: ALPHAFORGE_NOTIFY__EMAIL__SMTP_PASSWORD).",
    )
    use_tls: bool = Field(True, description="Upgrade the connection with STARTTLS.")
    from_addr: str | None = Field(None, description="Sender address.")
    to_addrs: tuple[str, ...] = Field((), description="Recipient addresses.")

    @field_validator("from_addr")
    @classmethod
    def _sender(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError("expected an email address such as alerts@example.com")
        return value

    @field_validator("to_addrs")
    @classmethod
    def _recipients(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [address for address in value if not _EMAIL.match(address)]
        if bad:
            raise ValueError(f"expected email addresses; not one: {', '.join(map(repr, bad))}")
        return value

    @model_validator(mode="after")
    def _complete(self) -> Self:
        parts = {
            "smtp_host": self.smtp_host,
            "from_addr": self.from_addr,
            "to_addrs": self.to_addrs,
        }
        missing = [name for name, value in parts.items() if not value]
        if missing and len(missing) < len(parts):
            raise ValueError(
                f"email alerts need smtp_host, from_addr and to_addrs; missing {', '.join(missing)}"
            )
        return self


class NotifyConfig(Section):
    """Alert channels: Telegram, Slack (or any webhook) and email."""

    telegram_token: SecretStr | None = Field(
        None,
        min_length=1,
        description="Telegram bot token (secret: ALPHAFORGE_NOTIFY__TELEGRAM_TOKEN).",
    )
    telegram_chat_id: str | None = Field(
        None,
        coerce_numbers_to_str=True,
        description="Telegram chat to post to (a number such as -1001234567890, or @channel).",
    )
    slack_webhook_url: SecretStr | None = Field(
        None,
        min_length=1,
        description="Slack incoming-webhook URL; it embeds a token "
        "(secret: ALPHAFORGE_NOTIFY__SLACK_WEBHOOK_URL).",
    )
    email: EmailConfig = Field(default_factory=EmailConfig, description="Email alerts (SMTP).")

    @field_validator("telegram_chat_id")
    @classmethod
    def _chat_id(cls, value: str | None) -> str | None:
        if value is not None:
            check_name(value.lstrip("-@"), "a Telegram chat id such as -1001234567890 or @channel")
        return value
