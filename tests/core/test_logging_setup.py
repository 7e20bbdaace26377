"""JSON logs parse, carry level, event, UTC timestamp and correlation id; secrets never appear."""

from __future__ import annotations

import contextvars
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import structlog
from pydantic import SecretStr

from alphaforge.core.errors import InvalidValueError
from alphaforge.core.ids import IdFactory
from alphaforge.core.logging import (
    REDACTED,
    bind_correlation_id,
    configure_logging,
    correlation_scope,
    current_correlation_id,
    get_logger,
)


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def json_lines(level: str = "INFO") -> tuple[io.StringIO, list[dict[str, object]]]:
    stream = io.StringIO()
    configure_logging(level, "json", stream=stream)
    return stream, []


def parse(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_record_fields_and_utc_timestamp() -> None:
    stream, _ = json_lines()
    log = get_logger("alphaforge.test")
    log.info("order.submitted", client_order_id="O-1")
    (record,) = parse(stream)
    assert record["event"] == "order.submitted"
    assert record["level"] == "info"
    assert record["logger"] == "alphaforge.test"
    assert record["client_order_id"] == "O-1"
    assert "correlation_id" not in record
    stamp = str(record["timestamp"])
    assert stamp.endswith(("Z", "+00:00"))
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert parsed.utcoffset() == timedelta(0)


def test_level_filter() -> None:
    stream, _ = json_lines("WARNING")
    log = get_logger("x")
    log.info("quiet")
    log.warning("loud")
    assert [r["event"] for r in parse(stream)] == ["loud"]


def test_correlation_scope_binds_and_restores() -> None:
    stream, _ = json_lines()
    log = get_logger("x")
    ids = IdFactory("sig")
    with correlation_scope(ids()) as cid:
        assert cid == "sig-1"
        log.info("signal")
        with correlation_scope() as inner:
            log.info("nested")
        log.info("back")
    log.info("outside")
    records = parse(stream)
    assert [r.get("correlation_id") for r in records] == ["sig-1", inner, "sig-1", None]
    assert len(inner) == 32
    assert current_correlation_id() is None


def test_bind_correlation_id_in_a_fresh_context() -> None:
    def run() -> tuple[str, str | None]:
        return bind_correlation_id("c-9"), current_correlation_id()

    assert contextvars.copy_context().run(run) == ("c-9", "c-9")
    assert current_correlation_id() is None


def test_secrets_are_redacted_by_key_and_by_type() -> None:
    stream, _ = json_lines()
    fields = {  # fake secrets, written as a dict so that no linter mistakes them for real ones
        "api_key": "AK-123",
        "API_SECRET": "s3cr3t",
        "password": "hunter2",
        "auth_token": "tok",
        "url": "https://example.invalid",
        "nested": {"passphrase": "pp", "ok": 1, "deeper": [{"private_key": "pk"}]},
        "value": SecretStr("sv"),
    }
    get_logger("x").info("connect", **fields)
    text = stream.getvalue()
    for secret in ("AK-123", "s3cr3t", "hunter2", "tok", "pp", "pk", "sv"):
        assert f'"{secret}"' not in text
    (record,) = parse(stream)
    assert record["api_key"] == record["value"] == REDACTED
    assert record["nested"] == {
        "passphrase": REDACTED,
        "ok": 1,
        "deeper": [{"private_key": REDACTED}],
    }
    assert record["url"] == "https://example.invalid"


def test_console_format_and_exceptions() -> None:
    stream = io.StringIO()
    configure_logging("debug", "console", stream=stream)
    log = get_logger("x")
    api_key = "AK-in-a-local"
    try:
        raise ValueError(api_key[:2])
    except ValueError:
        log.exception("failed", **{"password": "pw"})
    text = stream.getvalue()
    first = text.splitlines()[0]
    assert "failed" in first
    assert f"password={REDACTED}" in first
    assert "\x1b[" not in text  # no colour codes when the stream is not a terminal
    assert "ValueError: AK" in text
    assert "AK-in-a-local" not in text  # tracebacks show no local variables


def test_json_exceptions_are_rendered() -> None:
    stream, _ = json_lines()
    try:
        raise KeyError("k")
    except KeyError:
        get_logger("x").exception("failed")
    (record,) = parse(stream)
    assert "KeyError" in str(record["exception"])


@pytest.mark.parametrize(("level", "fmt"), [("LOUD", "json"), ("INFO", "xml")])
def test_bad_settings(level: str, fmt: str) -> None:
    with pytest.raises(InvalidValueError):
        configure_logging(level, fmt)  # type: ignore[arg-type]
