"""load_config: sources, precedence, unknown keys, value errors, secrets, file discovery."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from alphaforge.config import (
    AlphaforgeConfig,
    BacktestConfig,
    ConfigProblem,
    InvalidConfigError,
    load_config,
)
from alphaforge.core.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def problems(exc: pytest.ExceptionInfo[InvalidConfigError]) -> list[str]:
    return [str(problem) for problem in exc.value.problems]


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty folder so a stray ./alphaforge.toml cannot leak in."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --------------------------------------------------------------------------- precedence


def test_defaults_only(isolated: Path) -> None:
    assert load_config(env={}) == AlphaforgeConfig()


def test_precedence_defaults_file_env_overrides(isolated: Path) -> None:
    file = write(
        isolated / "a.toml",
        "[backtest]\ncash = 5000\ncommission_bps = 3\nslippage_bps = 4\nfill = 'close'\n",
    )
    env = {"ALPHAFORGE_BACKTEST__COMMISSION_BPS": "2.5", "ALPHAFORGE_BACKTEST__SLIPPAGE_BPS": "7"}
    config = load_config([file], env=env, overrides={"backtest": {"slippage_bps": 9}})
    backtest = config.backtest
    assert backtest.currency == "USD"  # default
    assert backtest.cash == Decimal(5000)  # file
    assert backtest.fill == "close"  # file
    assert backtest.commission_bps == Decimal("2.5")  # env beats file
    assert backtest.slippage_bps == Decimal(9)  # override beats env


def test_later_files_win_key_by_key(isolated: Path) -> None:
    first = write(isolated / "base.toml", "[risk]\nallow_short = true\nmax_gross_leverage = 2.0\n")
    second = write(isolated / "prod.toml", "[risk]\nmax_gross_leverage = 1.5\n")
    risk = load_config([first, second], env={}).risk
    assert risk.allow_short is True
    assert risk.max_gross_leverage == 1.5


def test_overrides_accept_dotted_keys_and_models(isolated: Path) -> None:
    config = load_config(
        [],
        env={},
        overrides={"backtest.cash": "250", "risk": {"allow_short": True}},
    )
    assert config.backtest.cash == Decimal(250)
    assert config.risk.allow_short
    replaced = load_config([], env={}, overrides={"backtest": BacktestConfig(fill="close")})
    assert replaced.backtest == BacktestConfig(fill="close")


def test_env_types_are_coerced(isolated: Path) -> None:
    env = {
        "ALPHAFORGE_RISK__ALLOW_SHORT": "true",
        "ALPHAFORGE_API__PORT": "9001",
        "ALPHAFORGE_LOGGING__LEVEL": "debug",
        "ALPHAFORGE_NOTIFY__EMAIL__SMTP_HOST": "smtp.example.com",
        "ALPHAFORGE_NOTIFY__EMAIL__FROM_ADDR": "bot@example.com",
        "ALPHAFORGE_NOTIFY__EMAIL__TO_ADDRS": "a@example.com, b@example.com",
    }
    config = load_config([], env=env)
    assert config.risk.allow_short is True
    assert config.api.port == 9001
    assert config.logging.level == "DEBUG"
    assert config.notify.email.to_addrs == ("a@example.com", "b@example.com")
    as_json = load_config(
        [], env={**env, "ALPHAFORGE_NOTIFY__EMAIL__TO_ADDRS": '["c@example.com"]'}
    )
    assert as_json.notify.email.to_addrs == ("c@example.com",)


def test_empty_env_value_counts_as_unset(isolated: Path) -> None:
    config = load_config([], env={"ALPHAFORGE_API__AUTH_TOKEN": "", "ALPHAFORGE_API__PORT": ""})
    assert config.api.auth_token is None
    assert config.api.port == 8000


def test_explicit_env_replaces_os_environ(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPHAFORGE_BACKTEST__CASH", "7")
    monkeypatch.setenv("ALPHAFORGE_NOT_A_SETTING", "x")
    assert load_config(env={}).backtest.cash == Decimal(100000)
    assert load_config(env={"ALPHAFORGE_BACKTEST__CASH": "8"}).backtest.cash == Decimal(8)


def test_os_environ_is_read_by_default(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPHAFORGE_BACKTEST__CASH", "7")
    assert load_config().backtest.cash == Decimal(7)


def test_unrelated_variables_are_ignored(isolated: Path) -> None:
    assert load_config(env={"HOME": "/x", "alphaforge_lower": "1", "PATH": ""}) == (
        AlphaforgeConfig()
    )


# --------------------------------------------------------------------------- discovery


def test_reads_alphaforge_toml_in_working_dir(isolated: Path) -> None:
    write(isolated / "alphaforge.toml", "[backtest]\ncash = 42\n")
    assert load_config(env={}).backtest.cash == Decimal(42)
    assert load_config([], env={}).backtest.cash == Decimal(100000)  # [] means no files


def test_alphaforge_config_variable_names_the_files(isolated: Path) -> None:
    write(isolated / "alphaforge.toml", "[backtest]\ncash = 42\n")
    other = write(isolated / "other.toml", "[backtest]\ncash = 43\n")
    assert load_config(env={"ALPHAFORGE_CONFIG": str(other)}).backtest.cash == Decimal(43)


def test_alphaforge_config_pointing_nowhere(isolated: Path) -> None:
    with pytest.raises(InvalidConfigError) as exc:
        load_config(env={"ALPHAFORGE_CONFIG": "missing.toml"})
    assert problems(exc) == [
        "environment: ALPHAFORGE_CONFIG names 'missing.toml', which is not a file"
    ]


def test_missing_file(isolated: Path) -> None:
    with pytest.raises(InvalidConfigError, match=r"^nope\.toml: config file not found$"):
        load_config([Path("nope.toml")], env={})


# --------------------------------------------------------------------------- unknown keys


def test_unknown_key_in_file_with_hint(isolated: Path) -> None:
    write(isolated / "alphaforge.toml", "[backtest]\ncomission_bps = 2\n")
    with pytest.raises(ConfigError) as exc:
        load_config([Path("alphaforge.toml")], env={})
    assert str(exc.value) == (
        "alphaforge.toml: unknown key 'backtest.comission_bps'; "
        "did you mean 'backtest.commission_bps'?"
    )


def test_unknown_section_in_file_reported_once(isolated: Path) -> None:
    file = write(isolated / "c.toml", "[bactest]\ncash = 1\nfill = 'close'\n")
    with pytest.raises(InvalidConfigError) as exc:
        load_config([file], env={})
    assert problems(exc) == [f"{file}: unknown key 'bactest'; did you mean 'backtest'?"]


def test_unknown_key_without_close_match(isolated: Path) -> None:
    file = write(isolated / "c.toml", "[risk]\nzzzz = 1\n")
    with pytest.raises(InvalidConfigError) as exc:
        load_config([file], env={})
    assert problems(exc) == [f"{file}: unknown key 'risk.zzzz'"]


def test_unknown_variable_with_hint() -> None:
    with pytest.raises(ConfigError) as exc:
        load_config([], env={"ALPHAFORGE_BACKTEST__COMISSION_BPS": "2"})
    assert str(exc.value) == (
        "environment: unknown variable ALPHAFORGE_BACKTEST__COMISSION_BPS; "
        "did you mean ALPHAFORGE_BACKTEST__COMMISSION_BPS?"
    )


def test_variable_naming_a_section() -> None:
    with pytest.raises(InvalidConfigError, match="ALPHAFORGE_BACKTEST names a section"):
        load_config([], env={"ALPHAFORGE_BACKTEST": "{}"})


def test_unknown_override_with_hint() -> None:
    with pytest.raises(InvalidConfigError) as exc:
        load_config([], env={}, overrides={"risk.max_drawdown": 0.2})
    assert problems(exc) == [
        "overrides: unknown key 'risk.max_drawdown'; did you mean 'risk.max_drawdown_halt'?"
    ]


def test_table_expected(isolated: Path) -> None:
    file = write(isolated / "c.toml", "backtest = 5\n")
    with pytest.raises(InvalidConfigError, match=r"backtest: got 5; expected a table"):
        load_config([file], env={})


# --------------------------------------------------------------------------- invalid values


def test_invalid_values_one_line_each_with_source(isolated: Path) -> None:
    file = write(isolated / "bad.toml", "[backtest]\ncash = -5\nfill = 'next_bar'\n")
    env = {"ALPHAFORGE_RISK__MAX_POSITION_WEIGHT": "11", "ALPHAFORGE_API__PORT": "http"}
    with pytest.raises(InvalidConfigError) as exc:
        load_config([file], env=env)
    assert sorted(problems(exc)) == sorted(
        [
            f"{file}: backtest.cash: got -5; expected a number > 0",
            f"{file}: backtest.fill: got 'next_bar'; "
            "expected 'close', 'next_open', 'aggressive' or 'passive'",
            "environment: ALPHAFORGE_RISK__MAX_POSITION_WEIGHT (risk.max_position_weight): "
            "got '11'; expected a number <= 10",
            "environment: ALPHAFORGE_API__PORT (api.port): got 'http'; "
            "expected a valid integer, unable to parse string as an integer",
        ]
    )
    assert str(exc.value).startswith("4 configuration problems:\n  ")
    assert all(isinstance(p, ConfigProblem) for p in exc.value.problems)


def test_problems_from_every_source_are_reported_together(isolated: Path) -> None:
    file = write(isolated / "c.toml", "[backtest]\ncomission_bps = 2\ncash = 0\n")
    with pytest.raises(InvalidConfigError) as exc:
        load_config([file], env={"ALPHAFORGE_RISK__ALOW_SHORT": "1"})
    assert len(exc.value.problems) == 3


def test_cross_key_problem_names_its_source() -> None:
    env = {"ALPHAFORGE_BROKERS__ALPACA__SECRET_KEY": "s"}
    with pytest.raises(InvalidConfigError) as exc:
        load_config([], env=env)
    assert problems(exc) == [
        "environment: brokers.alpaca: 'secret_key' is set but 'api_key' is not; set both or neither"
    ]


def test_toml_syntax_error_names_file_and_line(isolated: Path) -> None:
    file = write(isolated / "broken.toml", "[backtest]\ncash = 5\nfill = \n")
    with pytest.raises(InvalidConfigError) as exc:
        load_config([file], env={})
    (line,) = problems(exc)
    assert line.startswith(f"{file}: invalid TOML: ")
    assert "line 3" in line


def test_non_utf8_file(isolated: Path) -> None:
    file = isolated / "latin.toml"
    file.write_bytes(b"[backtest]\ncurrency = '\xe9'\n")
    with pytest.raises(InvalidConfigError, match="not UTF-8"):
        load_config([file], env={})


# --------------------------------------------------------------------------- secrets


def test_secret_in_file_is_refused_with_its_variable(isolated: Path) -> None:
    file = write(isolated / "c.toml", "[brokers.alpaca]\napi_key = 'PKABCDEF'\n")
    with pytest.raises(InvalidConfigError) as exc:
        load_config([file], env={})
    (line,) = problems(exc)
    assert line.startswith(f"{file}: brokers.alpaca.api_key is a secret")
    assert "ALPHAFORGE_BROKERS__ALPACA__API_KEY" in line
    assert "PKABCDEF" not in str(exc.value)


def test_secrets_from_env_and_overrides(isolated: Path) -> None:
    env = {
        "ALPHAFORGE_BROKERS__ALPACA__API_KEY": "PKABCDEF",
        "ALPHAFORGE_BROKERS__ALPACA__SECRET_KEY": "topsecret",
    }
    config = load_config([], env=env, overrides={"api.auth_token": "t" * 20})
    alpaca = config.brokers.alpaca
    assert alpaca.api_key is not None
    assert alpaca.api_key.get_secret_value() == "PKABCDEF"
    assert config.api.auth_token is not None
    assert "topsecret" not in repr(config)


def test_invalid_secret_is_never_echoed() -> None:
    with pytest.raises(InvalidConfigError) as exc:
        load_config([], env={"ALPHAFORGE_API__AUTH_TOKEN": "tiny-secret"})
    assert problems(exc) == [
        "environment: ALPHAFORGE_API__AUTH_TOKEN (api.auth_token): expected at least 16 characters"
    ]
    assert exc.value.__cause__ is None  # pydantic's error (with the input) is not chained
    assert exc.value.__suppress_context__


def test_password_in_url_is_masked_and_refused() -> None:
    env = {"ALPHAFORGE_STORE__URL": "postgresql://me:hunter2@db/af"}
    with pytest.raises(InvalidConfigError) as exc:
        load_config([], env=env)
    message = str(exc.value)
    assert "hunter2" not in message
    assert "ALPHAFORGE_STORE__PASSWORD" in message
