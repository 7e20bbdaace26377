"""The bus delivers by exact topic, prefix wildcard and type, in a deterministic order."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from structlog.testing import capture_logs

from alphaforge.core.bus import MessageBus
from alphaforge.domain.errors import InvalidValueError


@dataclass(frozen=True)
class Ping:
    n: int


@dataclass(frozen=True)
class LoudPing(Ping):
    pass


def recorder(log: list[str], name: str) -> object:
    def handler(message: object) -> None:
        log.append(name)

    handler.__qualname__ = name
    return handler


def test_exact_wildcard_type_and_catch_all_matching() -> None:
    bus = MessageBus()
    got: list[str] = []
    bus.subscribe("orders.filled", recorder(got, "exact"))  # type: ignore[arg-type]
    bus.subscribe("orders.*", recorder(got, "orders.*"))  # type: ignore[arg-type]
    bus.subscribe("orders.filled.partial", recorder(got, "other-exact"))  # type: ignore[arg-type]
    bus.subscribe(Ping, recorder(got, "Ping"))  # type: ignore[arg-type]
    bus.subscribe("*", recorder(got, "*"))  # type: ignore[arg-type]

    assert bus.publish("orders.filled", Ping(1)) == 4
    assert got == ["exact", "orders.*", "Ping", "*"]
    got.clear()
    bus.publish("orders", "not a Ping")  # 'orders.*' does not match 'orders' itself
    assert got == ["*"]
    got.clear()
    bus.publish("bars.MSFT", LoudPing(2))  # subclasses reach type subscribers
    assert got == ["Ping", "*"]
    got.clear()
    bus.publish("orders.filled.partial", "x")  # the wildcard matches at any depth
    assert got == ["orders.*", "other-exact", "*"]


def test_priority_first_then_subscription_order() -> None:
    bus = MessageBus()
    got: list[str] = []
    bus.subscribe("t", recorder(got, "low-1"), priority=-1)  # type: ignore[arg-type]
    bus.subscribe("t", recorder(got, "zero-1"))  # type: ignore[arg-type]
    bus.subscribe("t", recorder(got, "high"), priority=10)  # type: ignore[arg-type]
    bus.subscribe("t", recorder(got, "zero-2"))  # type: ignore[arg-type]
    bus.subscribe("t.*", recorder(got, "zero-3"))  # type: ignore[arg-type]
    bus.publish("t", None)
    assert got == ["high", "zero-1", "zero-2", "low-1"]


def test_unsubscribe_and_duplicate_subscription() -> None:
    bus = MessageBus()
    got: list[int] = []
    bus.subscribe("t", got.append)
    with pytest.raises(InvalidValueError, match="already subscribed"):
        bus.subscribe("t", got.append)
    bus.publish("t", 1)
    assert bus.unsubscribe("t", got.append)
    assert not bus.unsubscribe("t", got.append)
    bus.publish("t", 2)
    assert got == [1]
    assert bus.subscriptions() == ()


@pytest.mark.parametrize("topic", ["", "orders*", "*.filled", "a.*.b", ".*", 42])
def test_bad_topics_are_refused(topic: object) -> None:
    with pytest.raises(InvalidValueError):
        MessageBus().subscribe(topic, print)  # type: ignore[call-overload]


def test_publishing_to_a_wildcard_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="concrete topic"):
        MessageBus().publish("orders.*", 1)


def test_nested_publish_is_depth_first_and_new_subscribers_wait() -> None:
    bus = MessageBus()
    got: list[str] = []

    def outer(message: object) -> None:
        got.append("outer")
        bus.publish("inner", message)
        bus.subscribe("outer", lambda m: got.append("late"))

    bus.subscribe("outer", outer)
    bus.subscribe("outer", lambda m: got.append("outer-2"))
    bus.subscribe("inner", lambda m: got.append("inner"))
    bus.publish("outer", 0)
    assert got == ["outer", "inner", "outer-2"]


def test_handler_error_is_logged_and_reraised_by_default() -> None:
    bus = MessageBus()
    got: list[int] = []

    def broken(message: object) -> None:
        raise RuntimeError("boom")

    bus.subscribe("t", broken)
    bus.subscribe("t", got.append)
    with capture_logs() as logs, pytest.raises(RuntimeError, match="boom"):
        bus.publish("t", 1)
    assert got == []  # the publish stopped at the failure
    assert logs[0]["event"] == "bus.handler_failed"
    assert logs[0]["topic"] == "t"
    assert logs[0]["log_level"] == "error"
    assert "broken" in logs[0]["handler"]


def test_isolated_bus_counts_errors_and_carries_on() -> None:
    bus = MessageBus(isolate_errors=True)
    got: list[int] = []
    bus.subscribe("t", lambda m: 1 / 0, priority=1)
    bus.subscribe("t", got.append)
    with capture_logs() as logs:
        assert bus.publish("t", 7) == 2
    assert got == [7]
    assert bus.error_count == 1
    assert logs[0]["isolated"] is True
