"""Helpers shared by the benchmark scripts (not a benchmark itself).

Timing on a small, noisy machine: every figure is a median over repetitions,
and the implementations being compared run interleaved (A B C, A B C, ...) so
that a slow moment hurts all of them alike. Ratios are always taken against a
baseline measured in the same run.
"""

from __future__ import annotations

import statistics
from typing import Iterable, Sequence


def median(xs: Iterable[float]) -> float:
    xs = list(xs)
    return statistics.median(xs) if xs else float("nan")


def fmt_time(seconds: float) -> str:
    """A duration in the unit that reads best (s, ms or µs)."""
    if seconds != seconds:  # NaN: not measured
        return "n/a"
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.1f} µs"


def fmt_ratio(x: float) -> str:
    return "n/a" if x != x else f"{x:.2f}×"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]], title: str = "") -> None:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    if title:
        print(f"\n{title}")
    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))


def profile_top(func, limit: int = 25, sort: str = "tottime") -> None:
    """Run ``func()`` under cProfile and print the ``limit`` most expensive functions."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        func()
    finally:
        profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats(sort).print_stats(limit)


def installed_script() -> str:
    """The installed ``gradcli`` script: beside this Python first, then on PATH."""
    import shutil
    import sys
    from pathlib import Path

    beside = Path(sys.executable).parent / "gradcli"
    found = str(beside) if beside.is_file() else shutil.which("gradcli")
    if not found:
        sys.exit("gradcli is not installed: pip install . (in this Python's environment)")
    return found
