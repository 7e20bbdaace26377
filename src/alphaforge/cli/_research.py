"""Options and helpers the research commands share (optimize, walkforward, robustness ...).

Each command takes a strategy, its data and costs as ``alphaforge backtest`` does, a search
space (the strategy's declared one, with ``--space`` overrides), a search (``--method``,
``--trials``, ``--metric``, ``--constraint``), walk-forward windows where it walks forward
(``--train``, ``--test``, ``--scheme``, ``--purge``, ``--embargo``) and where to run
(``--backend process|ray|serial``, ``--workers``, ``--address``). An option whose help differs
between commands is made by a small ``*_option(help)`` factory, so that its flags, type checks
and defaults stay one declaration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypedDict

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn

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
    "ConstraintOpt",
    "DataOpt",
    "EmbargoOpt",
    "EndOpt",
    "JsonOpt",
    "ModeOpt",
    "ParamOpt",
    "PurgeOpt",
    "SchemeOpt",
    "SearchOptions",
    "SeedOpt",
    "SlippageOpt",
    "SpaceOpt",
    "StartOpt",
    "StrategyArg",
    "SymbolsOpt",
    "TestOpt",
    "TrainOpt",
    "WindowOptions",
    "WorkersOpt",
    "constraint_option",
    "cost_settings",
    "data_spec",
    "make_backend",
    "make_objective",
    "make_space",
    "out_option",
    "progress_bar",
    "search_options",
    "stage_progress_bar",
    "trials_option",
    "window_options",
    "windows_option",
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
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]


# ------------------------------------------------------------------ search options


def trials_option(help_text: str) -> Any:
    """``--trials/-n``: how many parameter sets a search tries (at least 1)."""
    return typer.Option("--trials", "-n", help=help_text, min=1)


def constraint_option(examples: str) -> Any:
    """``--constraint/-c`` (repeatable): a rule a set must meet to win; ``examples`` in the help."""
    return typer.Option(
        "--constraint",
        "-c",
        help=f"Only sets meeting it may win, e.g. {examples} (repeatable).",
        show_default=False,
    )


ConstraintOpt = Annotated[list[str] | None, constraint_option("'number_of_trades>=5'")]


def out_option(help_text: str, *, show_default: bool = True) -> Any:
    """``--out/-o``: the folder a command writes its files to."""
    return typer.Option("--out", "-o", help=help_text, file_okay=False, show_default=show_default)


# ------------------------------------------------------------------ walk-forward windows


def windows_option(help_text: str) -> Any:
    """``--windows/-w``: how many walk-forward windows (at least 1)."""
    return typer.Option("--windows", "-w", help=help_text, min=1)


TrainOpt = Annotated[
    str,
    typer.Option(help="Train part: a fraction of each window (0.75) or a length (756, 3Y)."),
]
TestOpt = Annotated[
    str | None,
    typer.Option(help="Test length (252, 1Y, 6M); default: the bars shared out by --windows."),
]
SchemeOpt = Annotated[
    str, typer.Option(help="rolling (train spans of one length) or anchored (from the start).")
]
PurgeOpt = Annotated[int, typer.Option(help="Bars dropped from the end of each train span.", min=0)]
EmbargoOpt = Annotated[
    int, typer.Option(help="Bars left out after each test span before the next.", min=0)
]


# ------------------------------------------------------------------ building from the options


def data_spec(data: list[str] | None) -> str | tuple[str, ...] | None:
    """``--data`` as the runtime takes it: None (the strategy's own data), one name, or a
    tuple of names to join."""
    if not data:
        return None
    return data[0] if len(data) == 1 else tuple(data)


def cost_settings(commission_bps: float | None, slippage_bps: float | None) -> dict[str, Any]:
    """The backtest settings that ``--commission-bps``/``--slippage-bps`` give (only those set)."""
    values = {"commission_bps": commission_bps, "slippage_bps": slippage_bps}
    return {k: v for k, v in values.items() if v is not None}


class SearchOptions(TypedDict):
    """Keyword arguments of ``optimize``, ``walk_forward`` and ``robustness`` that the search
    options give (``--metric`` apart: its type differs between the commands)."""

    method: str
    n_trials: int | None
    constraints: Sequence[str]
    seed: int


def search_options(
    method: str, trials: int | None, constraint: list[str] | None, seed: int
) -> SearchOptions:
    """``--method``, ``--trials``, ``--constraint`` and ``--seed`` as :class:`SearchOptions`."""
    return SearchOptions(method=method, n_trials=trials, constraints=constraint or (), seed=seed)


class WindowOptions(TypedDict):
    """Keyword arguments of ``walk_forward_windows`` (and ``robustness``) that the window
    options give (``--windows`` apart: its default differs between the commands)."""

    scheme: str
    train: str
    test: str | None
    purge: int
    embargo: int


def window_options(
    train: str, test: str | None, scheme: str, purge: int, embargo: int
) -> WindowOptions:
    """``--train``, ``--test``, ``--scheme``, ``--purge`` and ``--embargo`` as
    :class:`WindowOptions` (``train`` as text: ``walk_forward_windows`` reads 0.75, 756 and 3Y
    alike; ``scheme`` is checked there)."""
    return WindowOptions(scheme=scheme, train=train, test=test, purge=purge, embargo=embargo)


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

    if mode not in ("auto", "event", "vector"):
        raise InvalidValueError(f"--mode must be auto, event or vector, got {mode!r}")
    return StrategyObjective(
        strategy,
        data=data_spec(data),
        symbols=tuple(symbols) if symbols else None,
        start=start,
        end=end,
        fixed=_parse_params(params),
        settings=cost_settings(commission_bps, slippage_bps),
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
def _bar(label: str) -> Iterator[tuple[Progress, TaskID]]:
    """A transient progress bar on stderr with one task, ``label``, of unknown length."""
    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err_console, transient=True,
    ) as bar:  # fmt: skip
        yield bar, bar.add_task(label, total=None)


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A transient progress bar on stderr; yields the ``progress(done, total)`` callback."""
    with _bar(label) as (bar, task):

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


@contextmanager
def stage_progress_bar(label: str) -> Iterator[Callable[[str, int, int], None]]:
    """Like :func:`progress_bar` for a run of several stages: yields ``progress(stage, done,
    total)``, and the bar's label follows the stage."""
    with _bar(label) as (bar, task):

        def advance(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        yield advance
