"""Suspect-but-legal price moves: unadjusted splits, jumps, and zero-volume bars.

Nothing here raises: a crash is real market history and must stay in the data; an unadjusted split
is a data-vendor error that a human should confirm before repairing. The validator reports both.

The split heuristic, and why
----------------------------
A split re-denominates the price between two sessions, so it shows as a step in the gap from the
previous close to the next open, by a ratio of small integers, after which trading goes on as
usual at the new level. A crash happens while the market trades: it shows in the close-to-close
return, mostly inside the bar. So a bar ``t`` is reported as a split when all three hold:

1. **ratio** — ``open[t] / close[t-1]`` (``close[t] / close[t-1]`` for close-only data) lies
   within ``SPLIT_TOLERANCE`` (±4 % in log terms) of a common split ratio: 2, 3, 3/2, 4, 5, 7, 8,
   10, 20 shares for one, or a reverse split (the inverse);
2. **persistence** — the median close of the ``SPLIT_WINDOW`` bars from ``t`` on, over the median
   close of the ``SPLIT_WINDOW`` bars before ``t``, is within ``PERSIST_TOLERANCE`` (±15 % in log
   terms) of the same ratio, so a one-bar misprint that reverts is not a split;
3. **volume** (OHLCV only, when both windows traded) — share volume moves the other way, by at
   least a quarter of the price step in log terms (a 2:1 split roughly doubles the share count
   traded). A halving price on shrinking volume is not a split.

MSFT on 1987-10-19 (Black Monday) opened 5 % below the previous close and closed 30 % down: the
open gap matches no ratio, so it is reported as a *jump*, not a split. Known blind spot: a real
overnight collapse of exactly −50 % (or −33 %, −67 %) that holds for a week on rising volume
looks like a split to this test; close-only data (no open, no volume) has only tests 1 and 2.

Close-only data has no open and no volume, so it cannot tell an unadjusted split from a crash:
on the bundled adjusted closes, WTI's −33 % on 1991-01-17 (Desert Storm) sits within 0.1 % of a
3:2 ratio, AAPL's −52 % on 2000-09-29 within 4 % of 2:1. There a move that passes tests 1 and 2
is reported as a *jump* whose message names the split ratio it matches, never as a split.

A **jump** is any other close-to-close move larger than ``max(JUMP_FLOOR, JUMP_SIGMAS × σ)``,
where σ is the series' robust volatility (1.4826 × the median absolute log return): on daily
equities (σ ≈ 1.5 %) that is about ±20 %, on 5-minute crypto bars the ±15 % floor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "JUMP_FLOOR",
    "JUMP_SIGMAS",
    "PERSIST_TOLERANCE",
    "SPLIT_RATIOS",
    "SPLIT_TOLERANCE",
    "SPLIT_WINDOW",
    "Flag",
    "price_flags",
]

SPLIT_RATIOS: tuple[tuple[int, int], ...] = (
    (2, 1), (3, 1), (3, 2), (4, 1), (5, 1), (7, 1), (8, 1), (10, 1), (20, 1),
)  # fmt: skip
"""Common splits as (new shares, old shares); each also counts as a reverse split."""
SPLIT_TOLERANCE = 0.04
PERSIST_TOLERANCE = 0.15
SPLIT_WINDOW = 5
JUMP_SIGMAS = 15.0
JUMP_FLOOR = 0.15
_MAD_TO_SIGMA = 1.4826
_SAMPLE = 200_000

# (log price factor, label) for every forward and reverse split ratio.
_TARGETS: tuple[tuple[float, str], ...] = tuple(
    item
    for new, old in SPLIT_RATIOS
    for item in (
        (math.log(old / new), f"{new}:{old} split"),
        (math.log(new / old), f"{old}:{new} reverse split"),
    )
)
_SMALLEST_STEP = min(abs(t) for t, _ in _TARGETS) - SPLIT_TOLERANCE


@dataclass(frozen=True, slots=True)
class Flag:
    """One suspect bar found by :func:`price_flags` (``row`` is 0-based)."""

    row: int
    field: str
    kind: str
    message: str
    value: float


def price_flags(
    close: np.ndarray,
    *,
    field: str,
    open_: np.ndarray | None = None,
    volume: np.ndarray | None = None,
    limit: int = 50,
) -> list[Flag]:
    """Return split and jump flags for one price series, at most ``limit`` of each, by row.

    Arrays must be finite and positive (the validator checks that first). Without ``open_``
    (close-only data) split-like moves come back as jumps that name the ratio they match.
    """
    n = len(close)
    if n < 2:
        return []
    log_close = np.log(close)
    step = np.log(open_[1:]) - log_close[:-1] if open_ is not None else np.diff(log_close)
    split_like: list[Flag] = []
    seen: set[int] = set()
    for t in (np.flatnonzero(np.abs(step) >= _SMALLEST_STEP) + 1).tolist():
        flag = _split_at(t, float(step[t - 1]), close, volume, field, open_ is not None)
        if flag is not None:
            seen.add(t)
            if len(split_like) < limit:
                split_like.append(flag)
    returns = np.diff(log_close)
    threshold, sigma = _jump_threshold(returns)
    jumps: list[Flag] = []
    for t in (np.flatnonzero(np.abs(returns) > threshold) + 1).tolist():
        if t in seen:
            continue
        move = math.expm1(float(returns[t - 1]))
        msg = (
            f"close moved {move:+.1%} ({_num(close[t - 1])} -> {_num(close[t])}), "
            f"{abs(returns[t - 1]) / sigma:.0f} robust sigmas"
            if sigma > 0
            else f"close moved {move:+.1%} ({_num(close[t - 1])} -> {_num(close[t])})"
        )
        if open_ is not None:
            msg += f"; open/previous close = {math.exp(float(step[t - 1])):.4g}, not a split ratio"
        jumps.append(Flag(t, field, "jump", msg, move))
        if len(jumps) >= limit:
            break
    return sorted(split_like + jumps, key=lambda f: f.row)


def _split_at(
    t: int,
    step: float,
    close: np.ndarray,
    volume: np.ndarray | None,
    field: str,
    has_open: bool,
) -> Flag | None:
    target, label = min(_TARGETS, key=lambda item: abs(step - item[0]))
    if abs(step - target) > SPLIT_TOLERANCE:
        return None
    before = close[max(0, t - SPLIT_WINDOW) : t]
    after = close[t : t + SPLIT_WINDOW]
    level = math.log(float(np.median(after)) / float(np.median(before)))
    if abs(level - target) > PERSIST_TOLERANCE:
        return None
    volume_note = ""
    if volume is not None:
        traded = _volume_step(volume, t)
        if traded is not None:
            if traded * target >= 0 or abs(traded) < 0.25 * abs(target):
                return None
            volume_note = f", volume x{math.exp(traded):.2f}"
    ratio = math.exp(step)
    held = f"level x{math.exp(level):.3f} over the next {len(after)} bar(s)"
    if not has_open:
        message = (
            f"close/previous close = {ratio:.4f} matches a {label} and the {held}; close-only "
            "data cannot tell an unadjusted split from a crash: check the source"
        )
        return Flag(t, field, "jump", message, ratio - 1.0)
    message = (
        f"open/previous close = {ratio:.4f}, {held}{volume_note}: looks like an unadjusted "
        f"{label}; adjust the prices before this bar if so"
    )
    return Flag(t, "open", "split", message, ratio)


def _volume_step(volume: np.ndarray, t: int) -> float | None:
    before = volume[max(0, t - SPLIT_WINDOW) : t]
    after = volume[t : t + SPLIT_WINDOW]
    before, after = before[before > 0], after[after > 0]
    if len(before) == 0 or len(after) == 0:
        return None
    return math.log(float(np.median(after)) / float(np.median(before)))


def _jump_threshold(returns: np.ndarray) -> tuple[float, float]:
    # A strided sample keeps the median cheap on millions of bars; σ only sets a threshold.
    sample = returns if len(returns) <= _SAMPLE else returns[:: len(returns) // _SAMPLE + 1]
    sigma = _MAD_TO_SIGMA * float(np.median(np.abs(sample))) if len(sample) else 0.0
    return max(JUMP_FLOOR, JUMP_SIGMAS * sigma), sigma


def _num(value: float) -> str:
    return f"{float(value):.6g}"
