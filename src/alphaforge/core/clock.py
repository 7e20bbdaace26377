"""Clocks: the kernel's only source of "now", and its timers.

``SimClock`` is moved by the kernel (``advance_to``) and never reads the wall clock, which is what
makes a backtest repeatable; ``LiveClock`` reads ``time.time_ns``. Code below ``runtime/`` takes a
``Clock`` and never knows which one it has.

Timers are named one-shot (or, with ``interval_ns``, repeating) callbacks. Both clocks fire due
timers in a deterministic order: by due time, then by name. Neither clock starts a thread:

* ``SimClock.advance_to(ts)`` fires every timer due at or before ``ts`` and, while each callback
  runs, reports the timer's own due time as "now"; timers set by a callback for a time up to
  ``ts`` fire in the same call. Moving backwards raises.
* ``LiveClock`` fires nothing by itself: the runtime's event loop calls ``fire_due_timers()``
  (e.g. after each event, or after sleeping until ``next_timer_ns()``). A timer set in the past
  fires at the next poll; ``SimClock`` refuses it, because in a backtest it is a bug.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from alphaforge.domain.errors import InvalidValueError
from alphaforge.domain.time import ns_to_dt, ns_to_iso

__all__ = ["Clock", "LiveClock", "SimClock", "TimerCallback", "TimerFired"]


@dataclass(frozen=True, slots=True)
class TimerFired:
    """What a timer callback receives: its name, when it was due, and when it actually fired."""

    name: str
    ts_event: int
    ts_init: int


TimerCallback = Callable[[TimerFired], None]


@runtime_checkable
class Clock(Protocol):
    """The time source every component receives; see the module docstring for semantics."""

    def now_ns(self) -> int:
        """Now, as UTC nanoseconds."""
        ...

    def now(self) -> datetime:
        """Now, as an aware UTC ``datetime``."""
        ...

    def set_timer(
        self, name: str, at_ns: int, callback: TimerCallback, *, interval_ns: int | None = None
    ) -> None:
        """Call ``callback`` at ``at_ns`` (then every ``interval_ns``, if given)."""
        ...

    def cancel_timer(self, name: str) -> bool:
        """Cancel the timer ``name``; return whether there was one."""
        ...

    def next_timer_ns(self) -> int | None:
        """When the next timer is due, ``None`` when there is none."""
        ...


@dataclass(slots=True)
class _Timer:
    name: str
    at_ns: int
    callback: TimerCallback
    interval_ns: int | None


class _Timers:
    """A heap of named timers with lazy deletion (a cancelled entry is skipped when popped)."""

    __slots__ = ("_by_name", "_heap", "_seq")

    def __init__(self) -> None:
        self._by_name: dict[str, _Timer] = {}
        self._heap: list[tuple[int, str, int, _Timer]] = []
        self._seq = itertools.count()

    def add(self, name: str, at_ns: int, callback: TimerCallback, interval_ns: int | None) -> None:
        if not name:
            raise InvalidValueError("a timer needs a non-empty name")
        if name in self._by_name:
            raise InvalidValueError(f"a timer named {name!r} is already set; cancel it first")
        if interval_ns is not None and interval_ns <= 0:
            raise InvalidValueError(f"timer {name!r}: interval_ns must be > 0, got {interval_ns}")
        self._push(_Timer(name, at_ns, callback, interval_ns))

    def _push(self, timer: _Timer) -> None:
        self._by_name[timer.name] = timer
        heapq.heappush(self._heap, (timer.at_ns, timer.name, next(self._seq), timer))

    def cancel(self, name: str) -> bool:
        return self._by_name.pop(name, None) is not None

    def next_ns(self) -> int | None:
        self._drop_stale()
        return self._heap[0][0] if self._heap else None

    def pop_due(self, until_ns: int) -> _Timer | None:
        """Remove and return the earliest live timer due at or before ``until_ns``."""
        self._drop_stale()
        if not self._heap or self._heap[0][0] > until_ns:
            return None
        timer = heapq.heappop(self._heap)[3]
        del self._by_name[timer.name]
        if timer.interval_ns is not None:
            nxt = _Timer(
                timer.name, timer.at_ns + timer.interval_ns, timer.callback, timer.interval_ns
            )
            self._push(nxt)
        return timer

    def _drop_stale(self) -> None:
        heap = self._heap
        while heap and self._by_name.get(heap[0][1]) is not heap[0][3]:
            heapq.heappop(heap)

    def names(self) -> list[str]:
        return sorted(self._by_name)


def _check_ns(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValueError(f"{name} must be int nanoseconds, got {type(value).__name__}")


class SimClock:
    """Simulated time, moved only by ``advance_to``: what backtests run on."""

    __slots__ = ("_now", "_timers")

    def __init__(self, start_ns: int = 0) -> None:
        """Start at ``start_ns`` (UTC nanoseconds)."""
        _check_ns("start_ns", start_ns)
        self._now = start_ns
        self._timers = _Timers()

    def __repr__(self) -> str:
        return f"SimClock({ns_to_iso(self._now)})"

    def now_ns(self) -> int:
        """The simulated now, UTC nanoseconds."""
        return self._now

    def now(self) -> datetime:
        """The simulated now, as an aware UTC ``datetime``."""
        return ns_to_dt(self._now)

    def set_timer(
        self, name: str, at_ns: int, callback: TimerCallback, *, interval_ns: int | None = None
    ) -> None:
        """Fire ``callback`` when the clock reaches ``at_ns``; a time before now is an error."""
        _check_ns("at_ns", at_ns)
        if at_ns < self._now:
            raise InvalidValueError(
                f"timer {name!r} at {ns_to_iso(at_ns)} is before now ({ns_to_iso(self._now)})"
            )
        self._timers.add(name, at_ns, callback, interval_ns)

    def cancel_timer(self, name: str) -> bool:
        """Cancel the timer ``name``; return whether there was one."""
        return self._timers.cancel(name)

    def next_timer_ns(self) -> int | None:
        """When the next timer is due, ``None`` when there is none."""
        return self._timers.next_ns()

    def timer_names(self) -> list[str]:
        """The names of the timers set, sorted."""
        return self._timers.names()

    def advance_to(self, ts_ns: int) -> list[TimerFired]:
        """Move now to ``ts_ns``, firing due timers in (due time, name) order; return them.

        Raises ``InvalidValueError`` if ``ts_ns`` is before now: simulated time never runs
        backwards, and data that asks it to is out of order. If a callback raises, the error
        propagates and the clock stays at that timer's due time.
        """
        _check_ns("ts_ns", ts_ns)
        if ts_ns < self._now:
            raise InvalidValueError(
                f"SimClock cannot go back from {ns_to_iso(self._now)} ({self._now}) "
                f"to {ns_to_iso(ts_ns)} ({ts_ns}); events must arrive in time order"
            )
        fired: list[TimerFired] = []
        while (timer := self._timers.pop_due(ts_ns)) is not None:
            self._now = timer.at_ns
            event = TimerFired(timer.name, timer.at_ns, timer.at_ns)
            fired.append(event)
            timer.callback(event)
        self._now = ts_ns
        return fired


class LiveClock:
    """Wall-clock time. Timers fire only when the runtime calls :meth:`fire_due_timers`."""

    __slots__ = ("_time_ns", "_timers")

    def __init__(self, time_ns: Callable[[], int] = time.time_ns) -> None:
        """Read time from ``time_ns`` (replaceable in tests)."""
        self._time_ns = time_ns
        self._timers = _Timers()

    def now_ns(self) -> int:
        """The wall-clock now, UTC nanoseconds."""
        return self._time_ns()

    def now(self) -> datetime:
        """The wall-clock now, as an aware UTC ``datetime``."""
        return ns_to_dt(self._time_ns())

    def set_timer(
        self, name: str, at_ns: int, callback: TimerCallback, *, interval_ns: int | None = None
    ) -> None:
        """Fire ``callback`` at the first poll at or after ``at_ns`` (a past time fires next)."""
        _check_ns("at_ns", at_ns)
        self._timers.add(name, at_ns, callback, interval_ns)

    def cancel_timer(self, name: str) -> bool:
        """Cancel the timer ``name``; return whether there was one."""
        return self._timers.cancel(name)

    def next_timer_ns(self) -> int | None:
        """When the next timer is due (to sleep until), ``None`` when there is none."""
        return self._timers.next_ns()

    def timer_names(self) -> list[str]:
        """The names of the timers set, sorted."""
        return self._timers.names()

    def fire_due_timers(self) -> list[TimerFired]:
        """Fire every timer due by now, in (due time, name) order; return them.

        A repeating timer that fell several intervals behind fires once per missed interval, so
        schedules stay exact; ``ts_init`` tells how late each firing was.
        """
        now = self._time_ns()
        fired: list[TimerFired] = []
        while (timer := self._timers.pop_due(now)) is not None:
            event = TimerFired(timer.name, timer.at_ns, now)
            fired.append(event)
            timer.callback(event)
        return fired
