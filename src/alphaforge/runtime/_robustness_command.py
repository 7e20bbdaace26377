"""The ``alphaforge robustness`` command line (or Python call) that reproduces a run.

Apart from the run (``runtime.robustness``) to keep that module short; :func:`reproduce` is
re-exported there. Every option is spelled out, so that a later change of a default does not
change what the line reproduces.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from typing import Any

from alphaforge.runtime._robustness_rules import Thresholds

__all__ = ["SETTINGS", "reproduce"]

#: The run's own settings, in the order of the Python call (``robustness()`` keyword names).
SETTINGS = ("method", "n_trials", "windows", "train", "test", "scheme", "purge", "embargo",
            "metric", "mc_paths", "mc_method", "shock_at", "stress_params", "full_grid_max",
            "start", "end", "mode", "seed")  # fmt: skip
#: Backtest settings the CLI has a flag for (others make the reproduce line a Python call).
_CLI_SETTINGS = {"commission_bps": "--commission-bps", "slippage_bps": "--slippage-bps"}


def _flag_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def reproduce(settings: Mapping[str, Any], thresholds: Thresholds) -> str:
    """The ``alphaforge robustness`` command that reproduces a run with ``settings`` (every
    option spelled out, so later changes of a default do not change it), or the Python call
    when a setting has no flag."""
    s = settings
    extra = [k for k in s["backtest"] if k not in _CLI_SETTINGS]
    if extra or thresholds != Thresholds(ruin=thresholds.ruin):
        return _python_call(s, thresholds)
    args = ["alphaforge", "robustness", s["strategy"]]
    data = s["data"]
    for name in [data] if isinstance(data, str) else list(data or ()):
        args += ["--data", name]
    for name in s["symbols"] or ():
        args += ["--symbols", name]
    args += [a for k, v in s["params"].items() for a in ("-p", f"{k}={_flag_value(v)}")]
    args += [a for k, dim in s["space"].items() for a in ("--space", f"{k}={dim}")]
    args += [a for rule in s["constraints"] for a in ("-c", rule)]
    return " ".join(shlex.quote(str(a)) for a in args + _options(s, thresholds))


def _options(s: Mapping[str, Any], thresholds: Thresholds) -> list[str]:
    pairs: list[tuple[str, Any]] = [
        ("--windows", s["windows"]), ("--train", s["train"]), ("--test", s["test"]),
        ("--scheme", s["scheme"]), ("--purge", s["purge"]), ("--embargo", s["embargo"]),
        ("--method", s["method"]), ("--trials", s["n_trials"]), ("--metric", s["metric"]),
        ("--start", s["start"]), ("--end", s["end"]), ("--mode", s["mode"]),
        ("--paths", s["mc_paths"]), ("--mc-method", s["mc_method"]),
        ("--ruin", thresholds.ruin), ("--shock-at", s["shock_at"]),
        ("--stress-params", s["stress_params"]), ("--heatmap", ",".join(s["heatmap"])),
        ("--full-grid-max", s["full_grid_max"]), ("--seed", s["seed"]),
    ]  # fmt: skip
    pairs += [(_CLI_SETTINGS[k], v) for k, v in s["backtest"].items()]
    return [str(a) for flag, value in pairs if value is not None for a in (flag, value)]


def _python_call(s: Mapping[str, Any], thresholds: Thresholds) -> str:
    args = [repr(s["strategy"]), repr(s["data"])]
    args += [f"{k}={s[k]!r}" for k in (*SETTINGS, "symbols", "constraints", "heatmap")]
    args += [f"params={s['params']!r}", f"space={s['space']!r}", f"thresholds={thresholds!r}"]
    args += [f"{k}={v!r}" for k, v in s["backtest"].items()]
    return (
        "from alphaforge.runtime.robustness import Thresholds, robustness\n"
        f"robustness({', '.join(args)})"
    )
