"""Simulated time moves only forward and fires timers deterministically; live time is polled."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alphaforge.core.clock import Clock, LiveClock, SimClock, TimerFired
from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.time import NS_PER_SECOND, dt_to_ns

T0 = dt_to_ns(datetime(2024, 1, 2, 14, 30, tzinfo=UTC))
S = NS_PER_SECOND


def test_both_clocks_satisfy_the_protocol() -> None:
    assert isinstance(SimClock(), Clock)
    assert isinstance(LiveClock(), Clock)


def test_sim_clock_reports_what_it_was_told() -> None:
    clock = SimClock(T0)
    assert clock.now_ns() == T0
    assert clock.now() == datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
    assert clock.now().tzinfo is UTC
    clock.advance_to(T0 + 5 * S)
    assert clock.now_ns() == T0 + 5 * S


def test_sim_clock_refuses_to_go_back() -> None:
    clock = SimClock(T0)
    clock.advance_to(T0)  # standing still is fine
    with pytest.raises(InvalidValueError, match=r"cannot go back from 2024-01-02T14:30:00\+00:00"):
        clock.advance_to(T0 - 1)
    assert clock.now_ns() == T0


def test_timers_fire_in_time_then_name_order_and_see_their_own_time() -> None:
    clock = SimClock(T0)
    seen: list[tuple[str, int, int]] = []

    def record(event: TimerFired) -> None:
        seen.append((event.name, event.ts_event, clock.now_ns()))

    clock.set_timer("b", T0 + 2 * S, record)
    clock.set_timer("a", T0 + 2 * S, record)
    clock.set_timer("early", T0 + 1 * S, record)
    clock.set_timer("late", T0 + 9 * S, record)
    fired = clock.advance_to(T0 + 3 * S)
    assert [f.name for f in fired] == ["early", "a", "b"]
    assert seen == [
        ("early", T0 + S, T0 + S),
        ("a", T0 + 2 * S, T0 + 2 * S),
        ("b", T0 + 2 * S, T0 + 2 * S),
    ]
    assert clock.now_ns() == T0 + 3 * S
    assert clock.next_timer_ns() == T0 + 9 * S
    assert clock.timer_names() == ["late"]


def test_timer_set_by_a_callback_fires_in_the_same_advance_and_cancel_works() -> None:
    clock = SimClock(T0)
    names: list[str] = []

    def chain(event: TimerFired) -> None:
        names.append(event.name)
        clock.set_timer("follow-up", event.ts_event + S, lambda e: names.append(e.name))
        clock.cancel_timer("doomed")

    clock.set_timer("first", T0 + S, chain)
    clock.set_timer("doomed", T0 + 3 * S, lambda e: names.append(e.name))
    clock.advance_to(T0 + 10 * S)
    assert names == ["first", "follow-up"]
    assert not clock.cancel_timer("doomed")


def test_repeating_timer_and_timer_errors() -> None:
    clock = SimClock(T0)
    ticks: list[int] = []
    clock.set_timer("every-minute", T0, lambda e: ticks.append(e.ts_event), interval_ns=60 * S)
    clock.advance_to(T0 + 180 * S)
    assert ticks == [T0, T0 + 60 * S, T0 + 120 * S, T0 + 180 * S]
    with pytest.raises(InvalidValueError, match="already set"):
        clock.set_timer("every-minute", T0 + 999 * S, lambda e: None)
    with pytest.raises(InvalidValueError, match="before now"):
        clock.set_timer("past", T0, lambda e: None)
    with pytest.raises(InvalidValueError, match="interval_ns must be > 0"):
        clock.set_timer("bad", T0 + 999 * S, lambda e: None, interval_ns=0)


def test_live_clock_fires_due_timers_when_polled() -> None:
    now = [T0]
    clock = LiveClock(time_ns=lambda: now[0])
    assert clock.now_ns() == T0
    assert clock.now().tzinfo is UTC
    fired: list[TimerFired] = []
    clock.set_timer("past", T0 - S, fired.append)  # live: a past time fires at the next poll
    clock.set_timer("soon", T0 + 5 * S, fired.append)
    clock.fire_due_timers()
    assert [(f.name, f.ts_event, f.ts_init) for f in fired] == [("past", T0 - S, T0)]
    assert clock.next_timer_ns() == T0 + 5 * S
    now[0] = T0 + 7 * S
    clock.fire_due_timers()
    assert fired[-1] == TimerFired("soon", T0 + 5 * S, T0 + 7 * S)
    assert clock.next_timer_ns() is None


def test_real_live_clock_is_close_to_the_wall_clock() -> None:
    before = datetime.now(UTC)
    now = LiveClock().now()
    assert abs((now - before).total_seconds()) < 5
