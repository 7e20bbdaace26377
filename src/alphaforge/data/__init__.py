"""Market data: bundled real datasets, user files, the local catalog, validation, feeds.

The names most users need are importable from here; ``docs/data.md`` explains the rules.

>>> from alphaforge.data import Catalog, HistoricalFeed, load_dataset, validate_frame
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alphaforge._lazy import lazy_exports

if TYPE_CHECKING:
    from alphaforge.data.align import align, at_event_time
    from alphaforge.data.bundled import dataset_info, list_datasets, load_dataset
    from alphaforge.data.catalog import Catalog, CatalogEntry
    from alphaforge.data.errors import (
        CatalogError,
        DataError,
        DataSourceError,
        DataValidationError,
        Problem,
        UnknownDatasetError,
    )
    from alphaforge.data.feed import HistoricalFeed
    from alphaforge.data.findings import Suspect, ValidationReport
    from alphaforge.data.repair import REPAIR_POLICIES, RepairAction, repair
    from alphaforge.data.resample import resample_bars
    from alphaforge.data.sources import read_file
    from alphaforge.data.timeframes import Timeframe, parse_timeframe
    from alphaforge.data.validation import validate_frame

# Imported on first use: `import alphaforge` stays cheap for commands that need no data.
_LAZY: dict[str, str] = {
    "Catalog": "alphaforge.data.catalog",
    "CatalogEntry": "alphaforge.data.catalog",
    "CatalogError": "alphaforge.data.errors",
    "DataError": "alphaforge.data.errors",
    "DataSourceError": "alphaforge.data.errors",
    "DataValidationError": "alphaforge.data.errors",
    "HistoricalFeed": "alphaforge.data.feed",
    "Problem": "alphaforge.data.errors",
    "REPAIR_POLICIES": "alphaforge.data.repair",
    "RepairAction": "alphaforge.data.repair",
    "Suspect": "alphaforge.data.findings",
    "Timeframe": "alphaforge.data.timeframes",
    "UnknownDatasetError": "alphaforge.data.errors",
    "ValidationReport": "alphaforge.data.findings",
    "align": "alphaforge.data.align",
    "at_event_time": "alphaforge.data.align",
    "dataset_info": "alphaforge.data.bundled",
    "list_datasets": "alphaforge.data.bundled",
    "load_dataset": "alphaforge.data.bundled",
    "parse_timeframe": "alphaforge.data.timeframes",
    "read_file": "alphaforge.data.sources",
    "repair": "alphaforge.data.repair",
    "resample_bars": "alphaforge.data.resample",
    "validate_frame": "alphaforge.data.validation",
}

__all__ = [
    "REPAIR_POLICIES",
    "Catalog",
    "CatalogEntry",
    "CatalogError",
    "DataError",
    "DataSourceError",
    "DataValidationError",
    "HistoricalFeed",
    "Problem",
    "RepairAction",
    "Suspect",
    "Timeframe",
    "UnknownDatasetError",
    "ValidationReport",
    "align",
    "at_event_time",
    "dataset_info",
    "list_datasets",
    "load_dataset",
    "parse_timeframe",
    "read_file",
    "repair",
    "resample_bars",
    "validate_frame",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
