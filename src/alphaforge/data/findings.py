"""What validation reports about data that broke no hard rule: gaps, suspects, NaN counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from alphaforge.data.calendars import Gap, Gaps

__all__ = ["Gap", "Suspect", "ValidationReport"]


@dataclass(frozen=True, slots=True)
class Suspect:
    """A legal but odd row: ``kind`` is ``"split"``, ``"jump"`` or ``"zero_volume"``.

    ``value`` carries the number behind the finding: the price ratio of a split, the simple
    return of a jump.
    """

    row: int
    timestamp: pd.Timestamp
    field: str
    kind: str
    message: str
    value: float | None = None

    def __str__(self) -> str:
        return f"row {self.row} ({self.timestamp.isoformat()}) {self.field}: {self.message}"


@dataclass(frozen=True)
class ValidationReport:
    """What validation found in a frame that broke no hard rule."""

    source: str
    kind: str
    rows: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    calendar: str | None
    frequency: str | None
    gaps: Sequence[Gap]  # a tuple, or a lazy tuple-like Gaps from validate_frame
    zero_volume: int
    suspects: tuple[Suspect, ...]
    nan_counts: Mapping[str, int]

    @property
    def ok(self) -> bool:
        """True when nothing odd was found: no gaps and no suspects (hard problems raise)."""
        return not self.gaps and not self.suspects

    @property
    def missing_bars(self) -> int:
        """Bars the calendar expects that are absent, over all gaps."""
        if isinstance(self.gaps, Gaps):
            return self.gaps.total_missing
        return sum(gap.missing for gap in self.gaps)

    def suspects_of(self, kind: str) -> tuple[Suspect, ...]:
        """Return the suspects of one kind (``"split"``, ``"jump"``, ``"zero_volume"``)."""
        return tuple(s for s in self.suspects if s.kind == kind)

    def table_rows(self) -> list[tuple[str, str]]:
        """Return (label, value) pairs, ready for a two-column Rich table."""
        span = "-" if self.first is None or self.last is None else f"{self.first} .. {self.last}"
        gaps = f"{len(self.gaps)} ({self.missing_bars} bars missing)" if self.gaps else "none"
        if self.gaps:
            widest = (
                self.gaps.largest()
                if isinstance(self.gaps, Gaps)
                else max(self.gaps, key=lambda g: g.missing)
            )
            gaps += f"; largest {widest}"
        nans = ", ".join(f"{k}={v}" for k, v in self.nan_counts.items()) or "none"
        kinds = sorted({s.kind for s in self.suspects})
        found = ", ".join(f"{len(self.suspects_of(k))} {k}" for k in kinds) or "none"
        return [
            ("source", self.source),
            ("kind", self.kind),
            ("rows", f"{self.rows:,}"),
            ("span", span),
            ("calendar", self.calendar or "-"),
            ("frequency", self.frequency or "-"),
            ("gaps", gaps),
            ("zero-volume bars", str(self.zero_volume)),
            ("NaN values", nans),
            ("suspects", found),
        ]

    def summary(self) -> str:
        """Return a few lines a person can read: the counts, then the first findings."""
        head = (
            f"{self.source}: {self.rows:,} {self.kind} rows"
            + ("" if self.first is None else f" from {self.first} to {self.last}")
            + f"; {'clean' if self.ok else 'valid, with findings'}"
        )
        lines = [head]
        lines += [f"  {label}: {value}" for label, value in self.table_rows()[4:]]
        lines += [f"  gap {gap}" for gap in tuple(self.gaps[:5])]
        lines += [f"  {s.kind} {s}" for s in self.suspects[:5]]
        return "\n".join(lines)
