"""Options and helpers the research commands share (optimize, walkforward, robustness ...).

Each command takes a strategy, its data and costs as ``alphaforge backtest`` does, a search
space (the strategy's declared one, with ``--space`` overrides) and where to run
(``--backend process|ray|serial``, ``--workers``, ``--address``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from alphaforge.cli._common import err_console
from alphaforge.cli.backtest import _parse_params
from alphaforge.domain.errors import InvalidValueError

if TYPE_CHECKING:
    from alphaforge.research.backends import Backend
    from alphaforge.runtime.objective import StrategyObjective
    from alphaforge.strategies.space import Dimension

__all__ = [
    "AddressOpt",
    "BackendOpt",
    "CommissionOpt",
    "DataOpt",
    "EndOpt",
    "ModeOpt",
    "ParamOpt",
    "SeedOpt",
    "SlippageOpt",
    "SpaceOpt",
    "StartOpt",
    "StrategyArg",
    "SymbolsOpt",
    "WorkersOpt",
    "make_backend",
    "make_objective",
    "make_space",
    "progress_bar",
]

StrategyArg = Annotated[
    str,
    typer.Argument(help="Strategy name (see `alphaforge strategies list`).", show_default=False),
]
DataOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--data",
        "-d",
        help="Bundled dataset, catalog symbol or file; repeat to join sets "
        "(default: the strategy's own data, else spx_daily).",
        show_default=False,
    ),
]
SymbolsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--symbols", help="Only these symbols of the data (repeatable).", show_default=False
    ),
]
ParamOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--param", "-p", help="Fixed parameter NAME=VALUE (repeatable).", show_default=False
    ),
]
SpaceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--space",
        help="Search dimension NAME=LOW:HIGH[:STEP][:log] or NAME=a,b,c (repeatable); adds to or "
        "replaces the strategy's declared space.",
        show_default=False,
    ),
]
StartOpt = Annotated[
    str | None, typer.Option(help="First bar to trade; earlier bars only warm up indicators.")
]
EndOpt = Annotated[str | None, typer.Option(help="Last bar (a date alone: that whole day).")]
CommissionOpt = Annotated[float | None, typer.Option(help="Commission, bp of notional.")]
SlippageOpt = Annotated[float | None, typer.Option(help="Slippage, bp of price.")]
ModeOpt = Annotated[
    str,
    typer.Option(
        help="auto (vector engine where the strategy has a vector twin), event or vector."
    ),
]
BackendOpt = Annotated[
    str, typer.Option(help="Where runs execute: process (local pool), ray, or serial.")
]
WorkersOpt = Annotated[
    int | None, typer.Option(help="Worker processes (default: one per core).", min=1)
]
AddressOpt = Annotated[
    str | None,
    typer.Option(help="Ray cluster to join (ray://host:10001 or auto); default: a local Ray."),
]
SeedOpt = Annotated[int, typer.Option(help="Seed of every random choice (same seed, same result).")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output folder.", file_okay=False)]


def make_objective(
    strategy: str,
    data: list[str] | None,
    symbols: list[str] | None,
    params: list[str] | None,
    start: str | None,
    end: str | None,
    commission_bps: float | None,
    slippage_bps: float | None,
    mode: str,
) -> StrategyObjective:
    """The objective the options describe."""
    from alphaforge.runtime.objective import StrategyObjective  # noqa: PLC0415

    settings: dict[str, Any] = {}
    if commission_bps is not None:
        settings["commission_bps"] = commission_bps
    if slippage_bps is not None:
        settings["slippage_bps"] = slippage_bps
    if mode not in ("auto", "event", "vector"):
        raise InvalidValueError(f"--mode must be auto, event or vector, got {mode!r}")
    return StrategyObjective(
        strategy,
        data=None if not data else (data[0] if len(data) == 1 else tuple(data)),
        symbols=tuple(symbols) if symbols else None,
        start=start,
        end=end,
        fixed=_parse_params(params),
        settings=settings,
        mode=mode,  # type: ignore[arg-type]  # checked above
    )


def make_space(strategy: str, pairs: list[str] | None) -> dict[str, Dimension]:
    """The strategy's declared search space with ``--space`` overrides; an error if empty or
    naming a parameter the strategy does not have."""
    from alphaforge.core.suggest import did_you_mean  # noqa: PLC0415
    from alphaforge.strategies.registry import get_strategy  # noqa: PLC0415
    from alphaforge.strategies.space import parse_space  # noqa: PLC0415

    kind = get_strategy(strategy)
    space = dict(kind.search_space)
    space.update(parse_space(pairs or []))
    known = list(kind.Params.model_fields)
    for name in space:
        if name not in known:
            raise InvalidValueError(
                f"{strategy} has no parameter {name!r}{did_you_mean(name, known)}"
            )
    if not space:
        raise InvalidValueError(
            f"{strategy} declares no search space; give one with --space NAME=LOW:HIGH[:STEP]"
        )
    return space


def make_backend(name: str, workers: int | None, address: str | None) -> Backend:
    """The backend the options name."""
    from alphaforge.research.backends import get_backend  # noqa: PLC0415

    return get_backend(name, workers=workers, address=address)


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A transient progress bar on stderr; yields the ``progress(done, total)`` callback."""
    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err_console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task(label, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance
