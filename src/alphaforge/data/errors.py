"""Errors raised by the data layer. Each one names what was wrong and where."""

from __future__ import annotations

from alphaforge.core.errors import FatalError

__all__ = [
    "CatalogError",
    "DataError",
    "DataSourceError",
    "DataValidationError",
    "Problem",
    "UnknownDatasetError",
]


class DataError(FatalError):
    """Base of every data-layer error: the input must be fixed before retrying."""


class UnknownDatasetError(DataError, LookupError):
    """A dataset, catalog entry or symbol that does not exist was asked for."""


class DataSourceError(DataError):
    """A file could not be read as market data (missing, empty, corrupt, unknown format)."""


class CatalogError(DataError):
    """A catalog operation could not be carried out; the catalog is left as it was."""


class Problem:
    """One thing wrong with the input: where (source, row, field) and what."""

    __slots__ = ("field", "message", "row", "source", "timestamp")

    def __init__(
        self,
        source: str,
        message: str,
        *,
        row: int | None = None,
        field: str | None = None,
        timestamp: str | None = None,
    ) -> None:
        self.source = source
        self.message = message
        self.row = row
        self.field = field
        self.timestamp = timestamp

    def __str__(self) -> str:
        where = [self.source]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.timestamp is not None:
            where.append(f"({self.timestamp})")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return f"{' '.join(where)}: {self.message}"

    def __repr__(self) -> str:
        return f"Problem({str(self)!r})"


class DataValidationError(DataError, ValueError):
    """The data breaks a hard rule (NaN, high < low, unsorted stamps, ...).

    ``problems`` lists every violation found (the message shows the first few); ``str()`` of the
    error names file, row and field of the first one so that a one-line CLI error is useful.
    """

    def __init__(self, problems: list[Problem], *, shown: int = 5) -> None:
        if not problems:
            raise ValueError("DataValidationError needs at least one problem")
        self.problems = problems
        lines = [str(p) for p in problems[:shown]]
        more = len(problems) - shown
        if more > 0:
            lines.append(f"... and {more} more problem(s)")
        super().__init__("\n".join(lines))

    @property
    def first(self) -> Problem:
        """The first problem found, in row order."""
        return self.problems[0]
