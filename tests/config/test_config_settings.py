"""The config tree itself: defaults, constraints, immutability, run id and schema."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr, ValidationError

from alphaforge.config import (
    AlphaforgeConfig,
    ApiConfig,
    BacktestConfig,
    EmailConfig,
    RiskConfig,
    StoreConfig,
    config_schema,
    env_var,
    public_settings,
    run_id,
)
from alphaforge.config.sections import MlConfig

SECTIONS = ("data", "logging", "backtest", "risk", "store", "bus", "brokers", "api", "notify", "ml")


def test_defaults_are_safe_and_honest() -> None:
    config = AlphaforgeConfig()
    assert config.backtest.cash == Decimal("100000")
    assert config.backtest.currency == "USD"
    assert config.backtest.fill == "next_open"
    assert config.backtest.commission_bps > 0  # no free lunch by default
    assert config.risk.trading_state == "ACTIVE"
    assert not config.risk.allow_short
    assert config.brokers.alpaca.paper
    assert config.brokers.ccxt.sandbox
    assert config.api.host == "127.0.0.1"
    assert config.bus.redis_url == "redis://127.0.0.1:6379/0"
    assert config.store.url.startswith("sqlite:///")
    assert config.data.catalog_dir.name == "catalog"
    assert config.api.auth_token is None
    assert config.ml.tracking_uri is None  # MLflow's own variable, else a per-user SQLite file
    assert config.ml.experiment == "alphaforge"


def test_construction_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPHAFORGE_BACKTEST__CASH", "5")
    assert AlphaforgeConfig().backtest.cash == Decimal("100000")


def test_frozen_at_every_level() -> None:
    config = AlphaforgeConfig()
    with pytest.raises(ValidationError, match="frozen"):
        config.backtest.cash = Decimal(1)  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        config.risk = RiskConfig()  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        config.brokers.alpaca.paper = False  # type: ignore[misc]


def test_unknown_fields_refused_in_code() -> None:
    with pytest.raises(ValidationError, match="extra"):
        BacktestConfig(comission_bps=Decimal(1))  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("model", "kwargs"),
    [
        (BacktestConfig, {"cash": 0}),
        (BacktestConfig, {"cash": "NaN"}),
        (BacktestConfig, {"commission_bps": -1}),
        (BacktestConfig, {"currency": "dollars"}),
        (BacktestConfig, {"fill": "next_bar"}),
        (RiskConfig, {"max_position_weight": 0}),
        (RiskConfig, {"max_position_weight": 10.5}),
        (RiskConfig, {"max_gross_leverage": float("inf")}),
        (RiskConfig, {"max_drawdown_halt": 1.0}),
        (RiskConfig, {"trading_state": "PAUSED"}),
        (StoreConfig, {"url": "mysql://localhost/x"}),
        (StoreConfig, {"url": "postgresql://me:hunter2@db/x"}),
        (ApiConfig, {"port": 70000}),
        (ApiConfig, {"host": "http://0.0.0.0"}),
        (ApiConfig, {"auth_token": "short"}),
        (EmailConfig, {"smtp_host": "smtp.example.com"}),  # no sender nor recipients
        (EmailConfig, {"to_addrs": ("not-an-address",)}),
        (MlConfig, {"tracking_uri": "https://me:hunter2@mlflow.example.com"}),
        (MlConfig, {"tracking_uri": "ftp://models.example.com"}),
        (MlConfig, {"tracking_uri": "mlflow.db"}),  # a bare path: say sqlite:/// or file://
        (MlConfig, {"experiment": "my experiment"}),
    ],
)
def test_constraints(model: type[BacktestConfig], kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        model(**kwargs)  # type: ignore[arg-type]


def test_lenient_spellings_are_normalised() -> None:
    assert BacktestConfig(currency="usdt").currency == "USDT"
    assert RiskConfig(trading_state="halted").trading_state == "HALTED"  # type: ignore[arg-type]
    assert StoreConfig(url="postgresql+psycopg://me@db:5432/af").url.startswith("postgresql+")


def test_ml_tracking_uris_accepted() -> None:
    for uri in ("sqlite:///models/mlflow.db", "http://127.0.0.1:5000", "file:///tmp/mlruns",
                "postgresql+psycopg2://me@db:5432/mlflow"):  # fmt: skip
        assert MlConfig(tracking_uri=uri).tracking_uri == uri
    assert MlConfig(artifact_dir=Path("~/m")).artifact_dir == Path("~/m").expanduser()


def test_catalog_dir_expands_home() -> None:
    config = AlphaforgeConfig.model_validate({"data": {"catalog_dir": "~/af"}})
    assert config.data.catalog_dir == Path("~/af").expanduser()


def test_email_complete_is_accepted() -> None:
    email = EmailConfig(
        smtp_host="smtp.example.com", from_addr="a@example.com", to_addrs=("b@example.com",)
    )
    assert email.to_addrs == ("b@example.com",)


def test_alpaca_keys_come_in_pairs() -> None:
    with pytest.raises(ValidationError, match="'api_key' is set but 'secret_key' is not"):
        AlphaforgeConfig.model_validate({"brokers": {"alpaca": {"api_key": "k"}}})


def test_secrets_print_masked() -> None:
    config = AlphaforgeConfig.model_validate({"api": {"auth_token": "s3cret-token-0123456789"}})
    assert "s3cret" not in repr(config)
    assert "s3cret" not in str(config)
    assert "s3cret" not in config.model_dump_json()
    masked = json.loads(config.model_dump_json())["api"]["auth_token"]
    assert masked == "*" * 10
    assert json.loads(AlphaforgeConfig().model_dump_json())["api"]["auth_token"] is None
    assert isinstance(config.api.auth_token, SecretStr)
    assert config.api.auth_token.get_secret_value() == "s3cret-token-0123456789"


def test_public_settings_leave_secrets_out_entirely() -> None:
    config = AlphaforgeConfig.model_validate({"api": {"auth_token": "s3cret-token-0123456789"}})
    public = public_settings(config)
    assert "auth_token" not in public["api"]
    assert "api_key" not in public["brokers"]["alpaca"]
    assert set(public) == set(SECTIONS)


# --------------------------------------------------------------------------- run id


def test_run_id_shape_and_stability() -> None:
    config = AlphaforgeConfig()
    assert len(config.run_id) == 16
    int(config.run_id, 16)  # hex
    assert config.run_id == run_id(AlphaforgeConfig())


def test_run_id_ignores_decimal_spelling() -> None:
    ids = {
        AlphaforgeConfig.model_validate({"backtest": {"cash": cash}}).run_id
        for cash in (100000, "1e5", "100000.00", Decimal("100000"))
    }
    assert len(ids) == 1


def test_run_id_changes_with_any_public_setting() -> None:
    base = AlphaforgeConfig()
    changes = [
        {"backtest": {"commission_bps": "1.5"}},
        {"backtest": {"fill": "close"}},
        {"risk": {"allow_short": True}},
        {"logging": {"level": "DEBUG"}},
        {"data": {"calendars": {"equity": "XLON"}}},
        {"notify": {"telegram_chat_id": "-100"}},
        {"ml": {"experiment": "spx"}},
    ]
    ids = {AlphaforgeConfig.model_validate(change).run_id for change in changes}
    assert base.run_id not in ids
    assert len(ids) == len(changes)


# A marker prefix makes "the secret appears in the JSON" a meaningful check: arbitrary text
# could be a substring of any key name.
secret_text = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=9, max_size=40
).map(lambda text: "S3CR3T-" + text)


@given(token=secret_text, key=secret_text, secret=secret_text)
def test_run_id_never_depends_on_secrets(token: str, key: str, secret: str) -> None:
    with_secrets = AlphaforgeConfig.model_validate(
        {
            "api": {"auth_token": token},
            "brokers": {"ccxt": {"api_key": key, "secret": secret}},
            "store": {"password": secret},
        }
    )
    assert with_secrets.run_id == AlphaforgeConfig().run_id
    canonical = json.dumps(public_settings(with_secrets), sort_keys=True)
    assert token not in canonical
    assert secret not in canonical


@given(
    cash=st.decimals(min_value=1, max_value=10**9, places=2),
    bps=st.decimals(min_value=0, max_value=999, places=3),
    weight=st.floats(min_value=0.01, max_value=10),
)
def test_run_id_equal_exactly_when_public_settings_equal(
    cash: Decimal, bps: Decimal, weight: float
) -> None:
    def build(c: Decimal, b: Decimal, w: float) -> AlphaforgeConfig:
        return AlphaforgeConfig.model_validate(
            {"backtest": {"cash": c, "commission_bps": b}, "risk": {"max_position_weight": w}}
        )

    first, again = build(cash, bps, weight), build(cash, bps, weight)
    assert first.run_id == again.run_id
    assert first == again
    assert build(cash + 1, bps, weight).run_id != first.run_id
    assert build(cash, bps + Decimal("0.001"), weight).run_id != first.run_id


# --------------------------------------------------------------------------- schema


def test_schema_is_json_with_every_section_described() -> None:
    schema = config_schema()
    text = json.dumps(schema)  # serialisable
    assert json.loads(text) == schema
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert set(schema["properties"]) == set(SECTIONS)
    for definition in schema["$defs"].values():
        for name, prop in definition["properties"].items():
            assert prop.get("description"), f"{definition['title']}.{name} has no description"
    backtest = schema["$defs"]["BacktestConfig"]["properties"]
    assert backtest["fill"]["enum"] == ["close", "next_open", "aggressive", "passive"]
    secret = schema["$defs"]["ApiConfig"]["properties"]["auth_token"]["anyOf"][0]
    assert secret["writeOnly"] is True


def test_env_var_names() -> None:
    assert env_var("backtest.commission_bps") == "ALPHAFORGE_BACKTEST__COMMISSION_BPS"
    assert env_var(("brokers", "alpaca", "api_key")) == "ALPHAFORGE_BROKERS__ALPACA__API_KEY"
