"""Sequence models in PyTorch: an LSTM and a Transformer encoder over the last ``lookback`` rows.

The prediction for row ``t`` reads the window of rows ``t-lookback+1 .. t`` of the same asset
(per symbol in a ``(ts, symbol)`` panel), never a later row. The first ``lookback-1`` rows of each
asset have a shorter history: their windows are padded on the left with zeros in standardized
units (the training mean); those rows take part in training too, so padded windows are not
foreign to the network. Features are standardized with the training rows' mean and standard
deviation, stored with the weights.

Training: Adam on cross-entropy (classification) or mean squared error on the standardized
target (regression), mini-batches in a seeded order; the last ``valid_fraction`` of the dates
is held out for early stopping (``patience`` epochs without a better validation loss), the
weights of the best epoch are kept. ``valid_gap`` dates before the validation tail are dropped
from training (set it to the label horizon so no training label reaches into the tail).

Determinism: the same seed gives the same weights and predictions. ``fit`` runs under
``torch.random.fork_rng`` (the global RNG is left as it was), seeds it, turns on
``torch.use_deterministic_algorithms`` for the fit (restored afterwards) and, on CUDA, sets
``CUBLAS_WORKSPACE_CONFIG`` if unset. ``num_threads`` (1 by default; None = torch's own choice)
pins torch's CPU threads during ``fit`` and batch prediction: small networks train several times
faster on one thread than on two busy cores, and results do not depend on the core count.

``device``: "auto" (CUDA when available, else CPU), "cpu" or "cuda". Saved weights are CPU
tensors, so a model trained on a GPU loads on a CPU machine.

The live path is :meth:`predict_window`: the last rows of one asset as a NumPy array -> the
prediction for the last row, without pandas (about 0.1-1 ms on a CPU for the default sizes).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from alphaforge.core.suggest import did_you_mean
from alphaforge.domain.errors import InvalidValueError
from alphaforge.ml.base import Model, register_model_kind
from alphaforge.ml.models.linear import require_finite
from alphaforge.ml.models.trees import class_labels, encode_classes, weights_array

__all__ = ["LSTMModel", "TransformerModel", "window_index"]

_TRAINING: dict[str, Any] = {
    "lookback": 20,
    "epochs": 30,
    "batch_size": 256,
    "learning_rate": 1e-3,
    "weight_decay": 0.0,
    "dropout": 0.0,
    "patience": 5,
    "valid_fraction": 0.2,
    "valid_gap": 0,
    "device": "auto",
    "num_threads": 1,
}
_PREDICT_BATCH = 8192


def window_index(index: pd.Index, lookback: int) -> np.ndarray:
    """``(n, lookback)`` row positions of each row's window (oldest first, the row itself
    last); ``-1`` where the asset has no earlier row. Panels are windowed per symbol."""
    if isinstance(index, pd.MultiIndex):
        times = index.get_level_values(0)
        symbols = pd.factorize(index.get_level_values(-1))[0]
    else:
        times, symbols = index, np.zeros(len(index), dtype=np.int64)
    if not times.is_monotonic_increasing:
        raise InvalidValueError("X must be sorted by time (ts, then symbol in a panel)")
    order = np.argsort(symbols, kind="stable")  # each symbol's rows, in time order
    sorted_symbols = symbols[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_symbols)) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    depth = np.arange(len(order)) - group_start  # rows of history before each row
    lags = np.arange(lookback - 1, -1, -1)
    position = np.arange(len(order))[:, None] - lags[None, :]
    valid = lags[None, :] <= depth[:, None]
    windows = np.where(valid, order[np.clip(position, 0, None)], -1)
    out = np.empty_like(windows)
    out[order] = windows
    return out


@functools.cache
def _torch() -> Any:
    try:
        import torch  # noqa: PLC0415  # ~1 s to import: only when a deep model is used
    except ModuleNotFoundError:
        raise InvalidValueError(
            "the lstm and transformer models need PyTorch: pip install 'alphaforge[dl]'"
        ) from None
    return torch


@functools.cache
def _networks() -> dict[str, type]:
    """The network classes, defined on first use so that importing this module needs no torch."""
    torch = _torch()
    nn = torch.nn

    class LSTMNet(nn.Module):  # type: ignore[misc,name-defined]
        """LSTM over the window; the last step's hidden state -> a linear head."""

        def __init__(self, n_in: int, n_out: int, lookback: int, p: dict[str, Any]) -> None:
            super().__init__()
            layers = int(p["num_layers"])
            self.lstm = nn.LSTM(
                n_in,
                int(p["hidden_size"]),
                num_layers=layers,
                batch_first=True,
                dropout=float(p["dropout"]) if layers > 1 else 0.0,
            )
            self.head = nn.Linear(int(p["hidden_size"]), n_out)

        def forward(self, x: Any) -> Any:
            out, _ = self.lstm(x)
            return self.head(out[:, -1])

    class TransformerNet(nn.Module):  # type: ignore[misc,name-defined]
        """Linear embedding + learned positions -> pre-norm encoder; the last step -> a head."""

        def __init__(self, n_in: int, n_out: int, lookback: int, p: dict[str, Any]) -> None:
            super().__init__()
            width = int(p["d_model"])
            self.embed = nn.Linear(n_in, width)
            self.position = nn.Parameter(torch.randn(1, lookback, width) * 0.02)
            layer = nn.TransformerEncoderLayer(
                width,
                int(p["nhead"]),
                int(p["dim_feedforward"]),
                float(p["dropout"]),
                batch_first=True,
                norm_first=True,
            )
            self.encoder = nn.TransformerEncoder(
                layer, int(p["num_layers"]), enable_nested_tensor=False
            )
            self.norm = nn.LayerNorm(width)
            self.head = nn.Linear(width, n_out)

        def forward(self, x: Any) -> Any:
            hidden = self.encoder(self.embed(x) + self.position)
            return self.head(self.norm(hidden[:, -1]))

    return {"lstm": LSTMNet, "transformer": TransformerNet}


@contextlib.contextmanager
def _deterministic(seed: int, threads: int | None, device: str) -> Iterator[None]:
    """Seed torch without touching the caller's RNG state; deterministic kernels; threads."""
    torch = _torch()
    if device.startswith("cuda"):
        # cuBLAS needs this for deterministic results; it must be set before the first call.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    index = torch.device(device).index
    devices = [] if device == "cpu" else [torch.cuda.current_device() if index is None else index]
    with _threads(threads), torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True)
        try:
            yield
        finally:
            torch.use_deterministic_algorithms(was_deterministic)


@contextlib.contextmanager
def _threads(threads: int | None) -> Iterator[None]:
    torch = _torch()
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(int(threads))
    try:
        yield
    finally:
        if threads:
            torch.set_num_threads(before)


class _SequenceModel(Model):
    """Windows, scaling, the training loop, saving: what the LSTM and the Transformer share."""

    network: ClassVar[dict[str, Any]] = {}
    weights_file: ClassVar[str] = "weights.pt"
    scaler_file: ClassVar[str] = "scaler.npz"

    def __init__(self, task: Any = "classification", seed: int = 0, **params: Any) -> None:
        super().__init__(task=task, seed=seed, **params)
        known = {**_TRAINING, **self.network}
        for name in self.params:
            if name not in known:
                raise InvalidValueError(
                    f"{self.kind}: unknown parameter {name!r}{did_you_mean(name, known)} "
                    f"(known: {', '.join(sorted(known))})"
                )
        self.p: dict[str, Any] = {**known, **self.params}
        self.lookback = int(self.p["lookback"])
        if self.lookback < 1:
            raise InvalidValueError(f"{self.kind}: lookback must be >= 1, got {self.lookback}")
        self._net: Any = None
        self._mean = np.zeros(0)
        self._std = np.ones(0)
        self._y_scale = (0.0, 1.0)
        self.history: list[dict[str, float]] = []

    # -- devices, arrays ------------------------------------------------------------------
    def _device(self) -> str:
        wanted = str(self.p["device"])
        if wanted == "auto":
            return "cuda" if _torch().cuda.is_available() else "cpu"
        if wanted not in ("cpu", "cuda") and not wanted.startswith("cuda:"):
            raise InvalidValueError(f"{self.kind}: device must be auto, cpu or cuda, got {wanted}")
        return wanted

    def _n_out(self) -> int:
        return len(self.classes or []) if self.task == "classification" else 1

    def _scaled(self, X: pd.DataFrame, what: str) -> np.ndarray:
        """Standardized float32 rows plus one zero row at the end (the padding row)."""
        values = require_finite(X, what)
        z = (values - self._mean) / self._std
        return np.vstack([z, np.zeros((1, z.shape[1]))]).astype(np.float32)

    def _batch(self, z: np.ndarray, windows: np.ndarray, rows: np.ndarray, device: str) -> Any:
        picked = windows[rows]
        picked = np.where(picked < 0, len(z) - 1, picked)
        return _torch().from_numpy(z[picked]).to(device)

    # -- fit --------------------------------------------------------------------------------
    def _fit(self, X: pd.DataFrame, y: pd.Series, sample_weight: pd.Series | None) -> None:
        values = require_finite(X, f"{self.kind}.fit")
        self._mean = values.mean(axis=0)
        std = values.std(axis=0)
        self._std = np.where(std > 0, std, 1.0)
        target = self._target(y)
        given = weights_array(sample_weight, X)
        weights = np.ones(len(X)) if given is None else given
        device = self._device()
        with _deterministic(self.seed, self.p["num_threads"], device):
            self._net = _networks()[self.kind](X.shape[1], self._n_out(), self.lookback, self.p).to(
                device
            )
            self._train(X, target, weights, device)

    def _target(self, y: pd.Series) -> np.ndarray:
        if self.task == "classification":
            return encode_classes(y, list(self.classes or []))
        values = y.to_numpy(dtype=np.float64)
        scale = float(values.std()) or 1.0
        self._y_scale = (float(values.mean()), scale)
        return ((values - self._y_scale[0]) / scale).astype(np.float32)

    def _split(self, index: pd.Index) -> tuple[np.ndarray, np.ndarray]:
        """Training rows and the validation tail (the last ``valid_fraction`` of the dates)."""
        times = index.get_level_values(0) if isinstance(index, pd.MultiIndex) else index
        day = pd.factorize(times)[0]  # dates are sorted: codes rise with time
        n_dates = int(day.max()) + 1
        n_valid = int(np.floor(float(self.p["valid_fraction"]) * n_dates))
        rows = np.arange(len(index))
        if n_valid < 1:
            return rows, rows[:0]
        cut = n_dates - n_valid
        train = rows[day < cut - int(self.p["valid_gap"])]
        if len(train) == 0:
            raise InvalidValueError(f"{self.kind}.fit: no training rows before the validation tail")
        return train, rows[day >= cut]

    def _train(self, X: pd.DataFrame, target: np.ndarray, weights: np.ndarray, device: str) -> None:
        torch = _torch()
        z = self._scaled(X, f"{self.kind}.fit")
        windows = window_index(X.index, self.lookback)
        train, valid = self._split(X.index)
        y_all = torch.from_numpy(target).to(device)
        w_all = torch.from_numpy(weights.astype(np.float32)).to(device)
        optimizer = torch.optim.Adam(
            self._net.parameters(),
            lr=float(self.p["learning_rate"]),
            weight_decay=float(self.p["weight_decay"]),
        )
        order = torch.Generator().manual_seed(self.seed)
        best, best_state, stale = np.inf, None, 0
        self.history = []
        for epoch in range(int(self.p["epochs"])):
            self._net.train()
            shuffled = train[torch.randperm(len(train), generator=order).numpy()]
            loss = self._epoch(z, windows, shuffled, y_all, w_all, optimizer, device)
            record = {"epoch": float(epoch), "train_loss": loss}
            if len(valid):
                record["valid_loss"] = self._loss_on(z, windows, valid, y_all, w_all, device)
            self.history.append(record)
            score = record.get("valid_loss", loss)
            if score < best - 1e-7:
                best, best_state, stale = score, copy.deepcopy(self._net.state_dict()), 0
            else:
                stale += 1
                if len(valid) and stale >= int(self.p["patience"]):
                    break
        if best_state is not None:
            self._net.load_state_dict(best_state)
        self._net.eval()

    def _loss(self, out: Any, y: Any, w: Any) -> Any:
        torch = _torch()
        if self.task == "classification":
            each = torch.nn.functional.cross_entropy(out, y, reduction="none")
        else:
            each = (out.reshape(-1) - y) ** 2
        return (each * w).sum() / w.sum().clamp_min(1e-12)  # a batch may weigh 0

    def _epoch(
        self,
        z: np.ndarray,
        windows: np.ndarray,
        rows: np.ndarray,
        y_all: Any,
        w_all: Any,
        optimizer: Any,
        device: str,
    ) -> float:
        size, total = int(self.p["batch_size"]), 0.0
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            optimizer.zero_grad()
            index = _torch().from_numpy(batch).to(device)
            loss = self._loss(
                self._net(self._batch(z, windows, batch, device)), *_pick(y_all, w_all, index)
            )
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(batch)
        return total / max(len(rows), 1)

    def _loss_on(
        self,
        z: np.ndarray,
        windows: np.ndarray,
        rows: np.ndarray,
        y_all: Any,
        w_all: Any,
        device: str,
    ) -> float:
        torch = _torch()
        self._net.eval()
        with torch.inference_mode():
            out = self._forward(z, windows, rows, device)
            index = torch.from_numpy(rows).to(device)
            return float(self._loss(out, *_pick(y_all, w_all, index)))

    # -- predict ------------------------------------------------------------------------------
    def _forward(self, z: np.ndarray, windows: np.ndarray, rows: np.ndarray, device: str) -> Any:
        torch = _torch()
        parts = [
            self._net(self._batch(z, windows, rows[s : s + _PREDICT_BATCH], device))
            for s in range(0, len(rows), _PREDICT_BATCH)
        ]
        return torch.cat(parts) if parts else torch.zeros((0, self._n_out()))

    def _outputs(self, X: pd.DataFrame) -> np.ndarray:
        """Probabilities (classification) or values (regression) for every row of ``X``."""
        torch = _torch()
        z = self._scaled(X, f"{self.kind}.predict")
        windows = window_index(X.index, self.lookback)
        device = self._net_device()
        self._net.eval()
        with _threads(self.p["num_threads"]), torch.inference_mode():
            out = self._forward(z, windows, np.arange(len(X)), device)
            return self._finish(out)

    def _finish(self, out: Any) -> np.ndarray:
        torch = _torch()
        if self.task == "classification":
            return np.asarray(torch.softmax(out, dim=1).double().cpu().numpy())
        mean, scale = self._y_scale
        return np.asarray(out.reshape(-1).double().cpu().numpy() * scale + mean)

    def _net_device(self) -> str:
        return str(next(self._net.parameters()).device)

    def _predict(self, X: pd.DataFrame) -> np.ndarray:
        out = self._outputs(X)
        if self.task == "regression":
            return out
        return class_labels(self.classes, out.argmax(axis=1))

    def _predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self._outputs(X)

    def predict_window(self, window: np.ndarray) -> np.ndarray:
        """The live path: the latest rows of ONE asset (``(rows, n_features)``, oldest first,
        features in ``self.features`` order; the last ``lookback`` are used, fewer are padded)
        -> class probabilities (classification) or a one-element array (regression) for the
        last row."""
        features = self._fitted_features()
        torch = _torch()
        values = np.asarray(window, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != len(features) or len(values) == 0:
            raise InvalidValueError(
                f"{self.kind}.predict_window: need (rows, {len(features)}) values, "
                f"got shape {values.shape}"
            )
        if not np.isfinite(values).all():
            raise InvalidValueError(f"{self.kind}.predict_window: the window has NaN or inf")
        z = np.zeros((1, self.lookback, len(features)), dtype=np.float32)
        last = values[-self.lookback :]
        z[0, self.lookback - len(last) :] = (last - self._mean) / self._std
        # One thread (set per call, ~0.1 µs): on busy cores, a second thread's wait makes the
        # slowest calls 10-50x slower than the median.
        with _threads(self.p["num_threads"]), torch.inference_mode():
            out = self._net(torch.from_numpy(z).to(self._net_device()))
            return self._finish(out)[0] if self.task == "classification" else self._finish(out)

    # -- save / load --------------------------------------------------------------------------
    def _save_state(self, folder: Path) -> None:
        torch = _torch()
        state = {k: v.detach().cpu() for k, v in self._net.state_dict().items()}
        torch.save(state, folder / self.weights_file)
        np.savez(
            folder / self.scaler_file,
            mean=self._mean,
            std=self._std,
            y_scale=np.asarray(self._y_scale),
        )

    def _load_state(self, folder: Path) -> None:
        torch = _torch()
        with np.load(folder / self.scaler_file) as scaler:
            self._mean, self._std = scaler["mean"], scaler["std"]
            self._y_scale = (float(scaler["y_scale"][0]), float(scaler["y_scale"][1]))
        n_in = len(self.features or [])
        net = _networks()[self.kind](n_in, self._n_out(), self.lookback, self.p)
        state = torch.load(folder / self.weights_file, map_location="cpu", weights_only=True)
        net.load_state_dict(state)
        self._net = net.to(self._device()).eval()


def _pick(y_all: Any, w_all: Any, index: Any) -> tuple[Any, Any]:
    return y_all[index], w_all[index]


@register_model_kind
class LSTMModel(_SequenceModel):
    """LSTM: ``hidden_size`` (32), ``num_layers`` (1), plus the training parameters
    (``lookback`` 20, ``epochs`` 30, ``batch_size`` 256, ``learning_rate`` 1e-3,
    ``weight_decay`` 0, ``dropout`` 0, ``patience`` 5, ``valid_fraction`` 0.2, ``valid_gap`` 0,
    ``device`` "auto", ``num_threads`` 1)."""

    kind = "lstm"
    network: ClassVar[dict[str, Any]] = {"hidden_size": 32, "num_layers": 1}


@register_model_kind
class TransformerModel(_SequenceModel):
    """Transformer encoder: ``d_model`` (32), ``nhead`` (4), ``num_layers`` (2),
    ``dim_feedforward`` (64), plus the training parameters of :class:`LSTMModel`."""

    kind = "transformer"
    network: ClassVar[dict[str, Any]] = {
        "d_model": 32,
        "nhead": 4,
        "num_layers": 2,
        "dim_feedforward": 64,
    }
