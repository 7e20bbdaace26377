"""Where many independent runs execute: this process, a local process pool, or a Ray cluster.

Sweeps, walk-forward windows and Monte Carlo paths are maps of one pure function over many
inputs. A :class:`Backend` runs that map and hands the results back *in input order* as they
arrive, so callers stream them to disk instead of holding them all, and the same inputs give
the same outputs on every backend: randomness travels inside the inputs (:func:`task_seeds`),
never in a worker's global state.

>>> with get_backend("process", workers=2) as backend:
...     results = list(backend.map(square, range(10)))

``fn`` must be picklable (a module-level function or an instance of a module-level class). It is
shipped once per worker (process pool) or once per map (Ray's object store), not once per item.
Items travel in chunks, so thousands of cheap calls do not pay thousands of round trips.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Literal, TypeVar

import numpy as np

from alphaforge.domain.errors import InvalidValueError

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendName",
    "ProcessBackend",
    "RayBackend",
    "SerialBackend",
    "get_backend",
    "task_seeds",
]

T = TypeVar("T")
R = TypeVar("R")
Progress = Callable[[int, int], None]
BackendName = Literal["serial", "process", "ray"]
BACKENDS: tuple[str, ...] = ("serial", "process", "ray")


def task_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent seeds derived from ``seed`` (NumPy's ``SeedSequence.spawn``): task ``i``
    gets the same seed whatever backend, worker count or chunking runs it."""
    children = np.random.SeedSequence(seed).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint64)[0]) for c in children]


def _run_chunk(fn: Callable[[Any], Any], chunk: Sequence[Any]) -> list[Any]:
    return [fn(item) for item in chunk]


_WORKER_FN: Callable[[Any], Any] | None = None


def _install(fn: Callable[[Any], Any]) -> None:
    global _WORKER_FN  # noqa: PLW0603  # one function per pool worker, set once at its start
    _WORKER_FN = fn


def _run_installed(chunk: Sequence[Any]) -> list[Any]:
    if _WORKER_FN is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("worker started without its function")
    return [_WORKER_FN(item) for item in chunk]


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class Backend(ABC):
    """Runs ``fn`` over items; see the module docstring. Use as a context manager."""

    name: str = ""

    def __init__(self, workers: int | None = None) -> None:
        count = workers if workers is not None else (os.cpu_count() or 1)
        if count < 1:
            raise InvalidValueError(f"workers must be >= 1, got {count}")
        self.workers = count

    def chunk_size(self, n: int) -> int:
        """Items per task: about four tasks per worker, so a slow chunk does not idle the rest."""
        return max(1, -(-n // (self.workers * 4)))

    @abstractmethod
    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        *,
        chunk_size: int | None = None,
        progress: Progress | None = None,
    ) -> Iterator[R]:
        """Yield ``fn(item)`` for each item, in input order, as results arrive.
        ``progress(done, total)`` is called after each finished chunk."""

    def close(self) -> None:  # noqa: B027  # a no-op unless the backend holds something
        """Release workers (a started Ray runtime is shut down)."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> str:
        """``"process x 2"``: for logs and reports."""
        return f"{self.name} x {self.workers}"


class SerialBackend(Backend):
    """Everything in this process, one item after another (debuggers and tests prefer it)."""

    name = "serial"

    def __init__(self, workers: int | None = None) -> None:
        super().__init__(1)

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        *,
        chunk_size: int | None = None,
        progress: Progress | None = None,
    ) -> Iterator[R]:
        """See :meth:`Backend.map`."""
        total = len(items)
        for i, item in enumerate(items, start=1):
            yield fn(item)
            if progress:
                progress(i, total)


def _ordered(
    submit: Callable[[Sequence[Any]], Any],
    result_of: Callable[[Any], list[Any]],
    chunks: list[Sequence[Any]],
    window: int,
    progress: Progress | None,
    total: int,
) -> Iterator[Any]:
    """Keep ``window`` chunks in flight; yield results in order (memory stays bounded)."""
    pending: deque[tuple[Any, int]] = deque()
    next_chunk, done = 0, 0
    while next_chunk < len(chunks) or pending:
        while next_chunk < len(chunks) and len(pending) < window:
            pending.append((submit(chunks[next_chunk]), len(chunks[next_chunk])))
            next_chunk += 1
        handle, size = pending.popleft()
        results = result_of(handle)
        done += size
        if progress:
            progress(done, total)
        yield from results


class ProcessBackend(Backend):
    """A local pool of worker processes (default: one per core). The pool lives until
    :meth:`close` while the same function is mapped (an optimizer's batches reuse it, and each
    worker keeps what the function prepared on its first call)."""

    name = "process"

    def __init__(self, workers: int | None = None) -> None:
        super().__init__(workers)
        self._pool: ProcessPoolExecutor | None = None
        self._fn: Callable[[Any], Any] | None = None

    def _pool_for(self, fn: Callable[[Any], Any]) -> ProcessPoolExecutor:
        if self._pool is None or self._fn is not fn:
            self.close()
            self._pool = ProcessPoolExecutor(self.workers, initializer=_install, initargs=(fn,))
            self._fn = fn
        return self._pool

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool, self._fn = None, None

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        *,
        chunk_size: int | None = None,
        progress: Progress | None = None,
    ) -> Iterator[R]:
        """See :meth:`Backend.map`. One item, or one worker, runs in this process."""
        items = list(items)
        if self.workers == 1 or len(items) <= 1:
            yield from SerialBackend().map(fn, items, progress=progress)
            return
        size = chunk_size or self.chunk_size(len(items))
        chunks = _chunks(items, size)
        pool = self._pool_for(fn)

        def submit(chunk: Sequence[Any]) -> Future[list[Any]]:
            return pool.submit(_run_installed, chunk)

        yield from _ordered(
            submit, lambda f: f.result(), chunks, 2 * self.workers, progress, len(items)
        )


class RayBackend(Backend):
    """Ray tasks: a local Ray runtime started on first use, or an existing cluster (``address``,
    e.g. ``"ray://head:10001"`` or ``"auto"``). ``workers`` caps the CPUs of a local runtime
    and the chunks in flight."""

    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        super().__init__(workers)
        self.address = address
        self._started = False
        self._ray: Any = None

    def _connect(self) -> Any:
        if self._ray is None:
            try:
                import ray  # noqa: PLC0415  # optional: only this backend needs it
            except ImportError:
                raise InvalidValueError(
                    "the ray backend needs Ray: pip install 'alphaforge[scale]'"
                ) from None
            if not ray.is_initialized():
                kwargs: dict[str, Any] = {
                    "include_dashboard": False,
                    "log_to_driver": False,
                    "configure_logging": False,
                }
                if self.address:
                    ray.init(address=self.address, **kwargs)
                else:
                    ray.init(num_cpus=self.workers, **kwargs)
                self._started = True
            if self.address:
                cpus = ray.cluster_resources().get("CPU", self.workers)  # type: ignore[no-untyped-call]
                self.workers = max(1, int(cpus))
            self._ray = ray
        return self._ray

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        *,
        chunk_size: int | None = None,
        progress: Progress | None = None,
    ) -> Iterator[R]:
        """See :meth:`Backend.map`."""
        items = list(items)
        if not items:
            return
        ray = self._connect()
        remote = ray.remote(_run_chunk)
        fn_ref = ray.put(fn)
        chunks = _chunks(items, chunk_size or self.chunk_size(len(items)))
        yield from _ordered(
            lambda chunk: remote.remote(fn_ref, list(chunk)),
            ray.get,
            chunks,
            2 * self.workers,
            progress,
            len(items),
        )

    def close(self) -> None:
        """Shut down the Ray runtime this backend started (a cluster it joined stays up)."""
        if self._ray is not None and self._started:
            self._ray.shutdown()
        self._ray, self._started = None, False

    def describe(self) -> str:
        """``"ray x 2 (local)"`` or ``"ray x 64 (ray://head:10001)"``."""
        return f"ray x {self.workers} ({self.address or 'local'})"


def get_backend(
    name: str = "process", *, workers: int | None = None, address: str | None = None
) -> Backend:
    """A backend by name: ``"serial"``, ``"process"`` (default) or ``"ray"`` (``address``: an
    existing cluster; default: a local runtime)."""
    if address and name != "ray":
        raise InvalidValueError(f"--address is for the ray backend, not {name!r}")
    if name == "serial":
        return SerialBackend()
    if name == "process":
        return ProcessBackend(workers)
    if name == "ray":
        return RayBackend(workers, address)
    raise InvalidValueError(f"backend must be one of {', '.join(BACKENDS)}, got {name!r}")
