"""`alphaforge config …`: show the effective configuration, validate files, export the schema."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from enum import StrEnum
from pathlib import Path, PurePath
from typing import Annotated, Any

import tomli_w
import typer
from pydantic import BaseModel, SecretStr
from rich.markup import escape

from alphaforge.cli._common import ExitCode, console, err_console, handle_errors
from alphaforge.config import (
    CONFIG_ENV_VAR,
    AlphaforgeConfig,
    InvalidConfigError,
    config_paths,
    config_schema,
    load_config,
)

app = typer.Typer(
    help=(
        "Show, validate and describe the configuration. Sources, later ones winning: defaults, "
        f"TOML files (--config, ${CONFIG_ENV_VAR} or ./alphaforge.toml), ALPHAFORGE_* "
        "environment variables (nested with __, e.g. ALPHAFORGE_BACKTEST__COMMISSION_BPS=2.5)."
    ),
    short_help="Show, validate and describe the configuration.",
    no_args_is_help=True,
)


class OutputFormat(StrEnum):
    """How ``config show`` prints the configuration."""

    TOML = "toml"
    JSON = "json"


ConfigFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--config",
        "-c",
        help=f"Config file to read (repeatable; later files win). Default: ${CONFIG_ENV_VAR}, "
        "else ./alphaforge.toml if present.",
        dir_okay=False,
        metavar="FILE",
    ),
]


def _files_read(paths: list[Path] | None) -> list[Path]:
    """Return the files ``load_config(paths)`` reads (for the header of the output)."""
    return list(paths) if paths else config_paths(os.environ)[0]


def _toml_ready(value: Any) -> Any:
    """Turn a python-mode dump into values TOML can hold: no None, no secrets, no paths."""
    if isinstance(value, dict):
        return {
            key: _toml_ready(item)
            for key, item in value.items()
            if item is not None and not isinstance(item, SecretStr)
        }
    if isinstance(value, tuple | list):
        return [_toml_ready(item) for item in value]
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)  # cash = 100000, not 100000.0
    return value


def _secrets_set(model: BaseModel, prefix: str = "") -> list[str]:
    """Return the dotted keys of the secrets that are set (their values stay hidden)."""
    found: list[str] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, SecretStr):
            found.append(prefix + name)
        elif isinstance(value, BaseModel):
            found.extend(_secrets_set(value, f"{prefix}{name}."))
    return found


def _as_toml(config: AlphaforgeConfig, files: list[Path]) -> str:
    secrets = _secrets_set(config)
    header = [
        "# alphaforge effective configuration",
        f"# run id: {config.run_id}",
        f"# files: {', '.join(map(str, files)) or 'none'}",
        "# secrets set (from the environment; values hidden): " + (", ".join(secrets) or "none"),
        "# unset optional keys are left out",
    ]
    body = tomli_w.dumps(_toml_ready(config.model_dump(mode="python")))
    return "\n".join(header) + "\n\n" + body


def _as_json(config: AlphaforgeConfig) -> str:
    # model_dump_json masks every SecretStr as "**********" (null when unset).
    document = {"run_id": config.run_id, "config": json.loads(config.model_dump_json())}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


@app.command("show")
@handle_errors
def show(
    config_files: ConfigFiles = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.TOML,
) -> None:
    """Print the effective configuration with its run id; secrets are never shown."""
    config = load_config(config_files or None)
    if output is OutputFormat.JSON:
        typer.echo(_as_json(config), nl=False)
    else:
        typer.echo(_as_toml(config, _files_read(config_files)), nl=False)


@app.command("validate")
@handle_errors
def validate(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help=f"Files to check (later files win). Default: ${CONFIG_ENV_VAR}, "
            "else ./alphaforge.toml if present.",
            dir_okay=False,
            show_default=False,
            metavar="FILE...",
        ),
    ] = None,
    no_env: Annotated[
        bool,
        typer.Option("--no-env", help="Ignore ALPHAFORGE_* settings in the environment."),
    ] = False,
) -> None:
    """Check configuration files and the environment; print "ok" and the run id, or every problem.

    Exit code 5 when anything is unknown or invalid.
    """
    env = {k: v for k, v in os.environ.items() if k == CONFIG_ENV_VAR} if no_env else None
    try:
        config = load_config(files or None, env=env)
    except InvalidConfigError as exc:
        for problem in exc.problems:
            err_console.print(f"[bold red]error:[/] {escape(str(problem))}", soft_wrap=True)
        raise typer.Exit(int(ExitCode.CONFIG)) from None
    read = ", ".join(map(str, _files_read(files))) or "defaults and environment only"
    console.print(f"ok: {escape(read)} (run id {config.run_id})", soft_wrap=True)


@app.command("schema")
@handle_errors
def schema(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the schema to this file instead of stdout.",
            dir_okay=False,
            metavar="FILE",
        ),
    ] = None,
) -> None:
    """Print the JSON schema of the configuration (for editors and CI checks)."""
    text = json.dumps(config_schema(), indent=2, ensure_ascii=False) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    console.print(f"wrote {escape(str(out))}", soft_wrap=True)
