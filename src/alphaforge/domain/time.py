"""Timestamps: integer nanoseconds since the Unix epoch, always UTC.

Events carry ``int`` nanoseconds (cheap to create, compare and store, unambiguous); people and
files see timezone-aware ``datetime`` objects. A naive ``datetime`` is refused everywhere, because
guessing its zone is how look-ahead and off-by-one-session bugs are born.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alphaforge.domain.errors import InvalidValueError

__all__ = ["NS_PER_DAY", "NS_PER_SECOND", "dt_to_ns", "ns_to_dt", "ns_to_iso"]

NS_PER_SECOND = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_SECOND
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def dt_to_ns(value: datetime) -> int:
    """Return ``value`` as UTC nanoseconds; a naive datetime raises ``InvalidValueError``."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise InvalidValueError(f"naive datetime {value.isoformat()} has no timezone; use UTC")
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * NS_PER_SECOND + delta.microseconds * 1_000


def ns_to_dt(ns: int) -> datetime:
    """Return UTC nanoseconds as an aware UTC ``datetime`` (sub-microsecond digits dropped)."""
    return _EPOCH + timedelta(microseconds=ns // 1_000)


def ns_to_iso(ns: int) -> str:
    """Return UTC nanoseconds as an ISO 8601 string with its ``+00:00`` offset."""
    return ns_to_dt(ns).isoformat()
