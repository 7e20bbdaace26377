"""alphaforge.example.toml documents every key truthfully."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from alphaforge.config import AlphaforgeConfig, env_var, load_config
from alphaforge.config._tree import leaf_keys, secret_keys

EXAMPLE = Path(__file__).resolve().parents[2] / "alphaforge.example.toml"
# A commented-out setting: "# key = value" (prose never has this shape).
COMMENTED_SETTING = re.compile(r"^# ?([a-z_]+ = .+)$", re.MULTILINE)


def _keys(table: dict[str, object], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    keys: set[tuple[str, ...]] = set()
    for name, value in table.items():
        if isinstance(value, dict):
            keys |= _keys(value, (*prefix, name))
        else:
            keys.add((*prefix, name))
    return keys


def test_example_as_shipped_equals_the_defaults() -> None:
    assert load_config([EXAMPLE], env={}).run_id == AlphaforgeConfig().run_id


def test_example_documents_every_key() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    uncommented = tomllib.loads(COMMENTED_SETTING.sub(r"\1", text))
    public = leaf_keys(AlphaforgeConfig) - secret_keys(AlphaforgeConfig)
    assert _keys(uncommented) == public
    for key in secret_keys(AlphaforgeConfig):
        assert env_var(key) in text, f"{env_var(key)} is not documented"


def test_example_with_everything_uncommented_is_valid(tmp_path: Path) -> None:
    text = COMMENTED_SETTING.sub(r"\1", EXAMPLE.read_text(encoding="utf-8"))
    full = tmp_path / "full.toml"
    full.write_text(text, encoding="utf-8")
    config = load_config([full], env={})
    assert config.backtest.benchmark == "spx_daily"
    assert config.notify.email.to_addrs == ("me@example.com",)
