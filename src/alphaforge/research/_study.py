"""A study's files: trials streamed to disk as they finish, so a sweep can stop and resume.

``DIR/study.json`` says what the study is (objective, space, method, seed, score); a study
directory only ever continues the study it was made for. ``DIR/trials.csv`` gets one row per
finished parameter set (params, metrics, state) and ``DIR/moments.f64`` the matching per-block
return moments (raw float64 rows, NaN for sets that did not run), both appended batch by batch.
Optuna's methods also keep ``DIR/study.journal`` (Optuna's append-only journal storage: a tenth
of SQLite's cost per trial, and safe to append from one process) so their sampler resumes with
its history.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alphaforge.domain.errors import InvalidValueError
from alphaforge.research.trials import Trial

__all__ = ["StudyFiles", "param_key"]


def param_key(params: Mapping[str, Any]) -> str:
    """A stable text key of one parameter set (to skip sets already run)."""
    return json.dumps(dict(params), sort_keys=True, default=str)


def _json_float(x: float) -> float | None:
    return x if math.isfinite(x) else None


class StudyFiles:
    """Reads and appends one study's files (see the module docstring); ``None`` dir: memory only."""

    def __init__(self, directory: Path | None, identity: Mapping[str, Any], n_splits: int) -> None:
        self.directory = directory
        self.identity = dict(identity)
        self.n_splits = n_splits
        self.signature = hashlib.sha256(
            json.dumps(self.identity, sort_keys=True, default=str).encode()
        ).hexdigest()[:16]
        self.rows: list[dict[str, Any]] = []
        self.moments: list[np.ndarray] = []
        self._header: list[str] | None = None

    def storage(self) -> Any:
        """Optuna's storage for this study (a journal file next to the trials), or None (memory)."""
        if self.directory is None:
            return None
        from optuna.storages import JournalStorage  # noqa: PLC0415  # only Optuna's methods
        from optuna.storages.journal import JournalFileBackend  # noqa: PLC0415

        return JournalStorage(JournalFileBackend(str(self.directory / "study.journal")))

    def open(self, *, resume: bool) -> None:
        """Create the directory, or check it holds this study and load its trials."""
        if self.directory is None:
            return
        meta = self.directory / "study.json"
        if meta.exists():
            found = json.loads(meta.read_text())
            if found.get("signature") != self.signature:
                raise InvalidValueError(
                    f"{self.directory} holds another study ({found.get('identity', {})}); "
                    "pass another output directory, or --fresh to start over there"
                )
            if resume:
                self._load()
                return
            for name in ("trials.csv", "moments.f64", "study.journal"):
                (self.directory / name).unlink(missing_ok=True)
        self.directory.mkdir(parents=True, exist_ok=True)
        meta.write_text(
            json.dumps({"signature": self.signature, "identity": self.identity}, indent=2,
                       default=str) + "\n"
        )  # fmt: skip

    def _load(self) -> None:
        assert self.directory is not None  # noqa: S101  # narrowing: open() checked it
        csv = self.directory / "trials.csv"
        raw = self.directory / "moments.f64"
        if not csv.exists():
            return
        table = pd.read_csv(csv, keep_default_na=True)
        blocks = np.fromfile(raw, dtype=np.float64) if raw.exists() else np.empty(0)
        width = 3 * self.n_splits
        count = min(len(table), blocks.size // width)
        table = table.iloc[:count]  # a row whose moments never made it to disk runs again
        self._header = list(table.columns)
        self.rows = [{str(k): v for k, v in r.items()} for r in table.to_dict("records")]
        self.moments = [blocks[i * width : (i + 1) * width].reshape(3, -1) for i in range(count)]
        for row in self.rows:
            params = json.loads(row["params"])
            row["params"] = params

    def done(self) -> set[str]:
        """Keys of the parameter sets already run."""
        return {param_key(row["params"]) for row in self.rows}

    def add(self, trials: Sequence[Trial], numbers: Sequence[int]) -> list[dict[str, Any]]:
        """Record finished trials (in memory and, with a directory, on disk)."""
        new: list[dict[str, Any]] = []
        for trial, number in zip(trials, numbers, strict=True):
            row: dict[str, Any] = {
                "trial": number,
                "state": "ok" if trial.ok else "invalid",
                "error": trial.error or "",
                "seconds": trial.seconds,
                "params": dict(trial.params),
            }
            row.update(trial.metrics)
            new.append(row)
            moments = trial.moments if trial.moments is not None else None
            self.moments.append(
                moments if moments is not None else np.full((3, self.n_splits), np.nan)
            )
        self.rows.extend(new)
        self._append(new, self.moments[-len(new) :] if new else [])
        return new

    def _append(self, rows: list[dict[str, Any]], moments: list[np.ndarray]) -> None:
        if self.directory is None or not rows:
            return
        frame = pd.DataFrame([{**r, "params": param_key(r["params"])} for r in rows])
        if self._header is None:
            self._header = list(frame.columns)
            header = True
        else:
            for col in frame.columns:
                if col not in self._header:
                    raise InvalidValueError(f"trial reported a new metric {col!r} mid-study")
            header = False
        frame = frame.reindex(columns=self._header)
        frame.to_csv(self.directory / "trials.csv", mode="a", header=header, index=False)
        with (self.directory / "moments.f64").open("ab") as fh:
            for m in moments:
                fh.write(np.ascontiguousarray(m, dtype=np.float64).tobytes())
