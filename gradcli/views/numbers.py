"""Numbers as people read them: one format per column, and JSON's null for undefined."""

from __future__ import annotations

import math
from typing import Callable, Iterable

DEFAULT_PRECISION = 4


def fmt(x: float, precision: int = DEFAULT_PRECISION, fixed: bool | None = None) -> str:
    """A number for tables: fixed decimals, or an exponent when very large or small.

    ``fixed`` chooses the form (a column gives all its numbers one, see ``column``);
    by default the number's own size does.
    """
    if math.isnan(x):
        return "undefined"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if fixed is None:
        fixed = reads_fixed(x, precision)
    x += 0.0  # -0.0 prints as 0
    return f"{x:.{precision}f}" if fixed else f"{x:.{precision}e}"


def reads_fixed(x: float, precision: int) -> bool:
    """Whether ``x`` reads in fixed decimals: below 1e9, and not so small that it would show
    as 0 or lose most of its digits (below 0.0001 at 4 decimals; below 0.5 at 0 decimals,
    where numbers are rounded to whole ones)."""
    if x == 0 or not math.isfinite(x):
        return True
    smallest = 10.0 ** -precision if precision else 0.5
    return smallest <= abs(x) < 1e9


def column(values: "Iterable[float]", precision: int = DEFAULT_PRECISION) -> "Callable[[float], str]":
    """The format of a column of numbers: all fixed, or all with an exponent when one needs it,
    so a column never mixes 1000000000.0000 with 1.1590e+09."""
    fixed = all(reads_fixed(x, precision) for x in values)
    return lambda x: fmt(x, precision, fixed)


def json_number(x: float) -> float | None:
    return x if math.isfinite(x) else None  # JSON has no NaN or infinity: undefined is null
