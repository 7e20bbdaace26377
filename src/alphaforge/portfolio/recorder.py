"""The per-bar equity curve: rows of (ts, equity, cash, gross, net) kept in NumPy arrays.

Rows are gathered in a short Python list and moved into a new NumPy chunk every
``CHUNK_ROWS`` rows, so an append is amortized O(1) and the history costs 8 bytes per value
(a million bars: 40 MB, where Python lists of floats would cost about four times that).
Writing each value straight into a preallocated array measured slower: a NumPy scalar store
costs about 100 ns, one list ``extend`` of four floats about as much as a single such store.
pandas is imported only by :meth:`EquityRecorder.to_frame`, called once at the end of a run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from alphaforge.domain.errors import InvalidValueError

if TYPE_CHECKING:
    import pandas as pd

    from alphaforge.portfolio.ledger import Ledger

__all__ = ["CHUNK_ROWS", "EquityRecorder"]

#: Rows buffered in Python lists before they move into NumPy (about 160 kB of floats).
CHUNK_ROWS = 4096
_COLUMNS = ("equity", "cash", "gross", "net")
_WIDTH = len(_COLUMNS)


class EquityRecorder:
    """Rows of ``(ts, equity, cash, gross, net)``, base currency, ``ts`` in int ns UTC.

    ``ts`` must never go backwards; equal stamps are kept (the engine decides what a row is).
    """

    __slots__ = ("_chunks", "_floats", "_last_ts", "_stamp_chunks", "_stamps")

    def __init__(self) -> None:
        """Start empty."""
        self._stamps: list[int] = []
        self._floats: list[float] = []  # four per row, row-major
        self._stamp_chunks: list[np.ndarray] = []
        self._chunks: list[np.ndarray] = []  # (rows, 4) float64
        self._last_ts: int | None = None

    def __len__(self) -> int:
        return CHUNK_ROWS * len(self._stamp_chunks) + len(self._stamps)

    def append(self, ts: int, equity: float, cash: float, gross: float, net: float) -> None:
        """Add one row (amortized O(1))."""
        last = self._last_ts
        if last is not None and ts < last:
            raise InvalidValueError(f"ts {ts} is before the previous row's {last}")
        self._last_ts = ts
        self._stamps.append(ts)
        self._floats.extend((equity, cash, gross, net))
        if len(self._stamps) == CHUNK_ROWS:
            self._flush()

    def extend(self, ts: np.ndarray, values: np.ndarray) -> None:
        """Add many rows at once: ``ts`` (int64 ns, sorted) and ``values`` of shape (n, 4)."""
        if len(ts) == 0:
            return
        if self._stamps:
            self._flush()
        last = self._last_ts
        if last is not None and int(ts[0]) < last:
            raise InvalidValueError(f"ts {int(ts[0])} is before the previous row's {last}")
        self._stamp_chunks.append(np.asarray(ts, dtype=np.int64))
        self._chunks.append(np.asarray(values, dtype=np.float64).reshape(-1, _WIDTH))
        self._last_ts = int(ts[-1])

    def record(self, ledger: Ledger, ts: int) -> None:
        """Add the ledger's current ``(equity, cash, gross, net)`` at ``ts``."""
        equity, cash, gross, net = ledger.equity_row()
        self.append(ts, equity, cash, gross, net)

    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        """All rows as (stamps, (rows, 4) values), without a copy when there is one chunk."""
        if not self._stamps and len(self._chunks) == 1:
            return self._stamp_chunks[0], self._chunks[0]
        stamps = np.concatenate([*self._stamp_chunks, np.asarray(self._stamps, dtype=np.int64)])
        rest = np.asarray(self._floats, dtype=np.float64).reshape(-1, _WIDTH)
        return stamps, np.concatenate([*self._chunks, rest])

    def arrays(self) -> dict[str, np.ndarray]:
        """The recorded columns as new arrays: ``ts`` (int64 ns) and four float64 columns."""
        stamps, table = self._table()
        stamps = stamps.copy()
        result = {"ts": stamps}
        for k, name in enumerate(_COLUMNS):
            result[name] = table[:, k].copy()
        return result

    def to_frame(self) -> pd.DataFrame:
        """The rows as a DataFrame indexed by UTC timestamps (index name ``"ts"``)."""
        import pandas as pd  # noqa: PLC0415 (only at the end of a run, never per bar)

        stamps, table = self._table()
        index = pd.DatetimeIndex(stamps, tz="UTC", name="ts")  # int ns: 8 B a row
        # One (rows, 4) block handed to pandas as is: a million-bar curve is not copied again.
        return pd.DataFrame(table, index=index, columns=list(_COLUMNS), copy=False)

    def equity_curve(self) -> pd.Series:
        """The equity column as the project's equity curve: a Series named ``"equity"``."""
        return self.to_frame()["equity"]

    def _flush(self) -> None:
        self._stamp_chunks.append(np.asarray(self._stamps, dtype=np.int64))
        self._chunks.append(np.asarray(self._floats, dtype=np.float64).reshape(-1, _WIDTH))
        self._stamps = []
        self._floats = []
