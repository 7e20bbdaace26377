"""Retry only what may succeed later; fail at once on what will not."""

from __future__ import annotations

import pytest

from alphaforge.core.errors import (
    FatalError,
    InvalidValueError,
    RetryableError,
    is_retryable,
    retry,
)
from alphaforge.core.suggest import did_you_mean


def test_classification() -> None:
    assert is_retryable(RetryableError("busy"))
    assert is_retryable(ConnectionResetError())
    assert not is_retryable(FatalError("bad"))
    assert not is_retryable(ValueError("bad"))


def test_retry_backs_off_then_succeeds() -> None:
    calls: list[int] = []
    sleeps: list[float] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise RetryableError("venue busy")
        return "ok"

    assert retry(flaky, attempts=5, base_delay=0.5, max_delay=0.75, sleep=sleeps.append) == "ok"
    assert sleeps == [0.5, 0.75]


def test_retry_gives_up_after_attempts_and_never_retries_fatal() -> None:
    sleeps: list[float] = []

    def busy() -> None:
        raise RetryableError("still busy")

    with pytest.raises(RetryableError):
        retry(busy, attempts=3, sleep=sleeps.append)
    assert len(sleeps) == 2

    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        raise FatalError("wrong symbol")

    with pytest.raises(FatalError):
        retry(broken, attempts=3, sleep=sleeps.append)
    assert calls == [1]
    with pytest.raises(InvalidValueError, match="attempts must be >= 1"):
        retry(broken, attempts=0)


def test_did_you_mean() -> None:
    assert did_you_mean("comission_bps", ["commission_bps", "slippage_bps"]) == (
        "; did you mean 'commission_bps'?"
    )
    assert did_you_mean("zzz", ["commission_bps"]) == ""
