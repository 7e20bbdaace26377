"""Where a model version came from: the default tracking store, the code version (alphaforge's
version and the git commit, read without running git) and a fingerprint of the training rows.
The registry (``alphaforge.ml.registry``) records these on every version and re-exports them."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd
from platformdirs import user_data_path

from alphaforge._version import __version__

__all__ = ["code_version", "dataset_info", "default_tracking_uri", "git_commit"]


def default_tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` if set (MLflow's own variable), else a per-user SQLite file."""
    return os.environ.get("MLFLOW_TRACKING_URI") or (
        f"sqlite:///{user_data_path('alphaforge') / 'mlflow.db'}"
    )


def git_commit(start: Path | None = None) -> str | None:
    """The commit checked out in the git work tree holding ``start`` (default: this package),
    read from ``.git`` without running git; None outside a work tree."""
    here = (start or Path(__file__)).resolve()
    for folder in (here, *here.parents):
        git = folder / ".git"
        if git.is_file():  # a worktree or submodule: ".git" names the real folder
            text = git.read_text().strip()
            git = (folder / text.removeprefix("gitdir:").strip()).resolve()
        if git.is_dir():
            return _read_head(git)
    return None


def _read_head(git: Path) -> str | None:
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head or None
        ref = head.removeprefix("ref:").strip()
        common = git / "commondir"
        root = (git / common.read_text().strip()).resolve() if common.exists() else git
        for base in (git, root):
            if (base / ref).exists():
                return (base / ref).read_text().strip()
        packed = root / "packed-refs"
        lines = packed.read_text().splitlines() if packed.exists() else []
        return next((ln.split()[0] for ln in lines if ln.endswith(f" {ref}")), None)
    except OSError:
        return None


def code_version() -> str:
    """alphaforge's version, with the git commit when running from a work tree."""
    sha = git_commit()
    return f"{__version__}+g{sha[:12]}" if sha else __version__


def dataset_info(data: pd.DataFrame, target: pd.Series | None = None) -> dict[str, str]:
    """Rows, span and a SHA-256 of the training rows (index and values, and the target), so a
    model version says exactly which data it was fitted on."""
    digest = hashlib.sha256(pd.util.hash_pandas_object(data, index=True).to_numpy().tobytes())
    if target is not None:
        digest.update(pd.util.hash_pandas_object(target, index=True).to_numpy().tobytes())
    index = data.index
    stamps = index.get_level_values(0) if isinstance(index, pd.MultiIndex) else index
    return {
        "rows": str(len(data)),
        "columns": str(data.shape[1]),
        "start": str(stamps.min()) if len(data) else "",
        "end": str(stamps.max()) if len(data) else "",
        "sha256": digest.hexdigest(),
    }
