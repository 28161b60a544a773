"""Gradient check: each variable's autodiff gradient against central finite differences.

The graph is re-run forward with one variable nudged up and down (the step
scaled to its magnitude); near a singularity (log at 1e-9) finite differences
are inaccurate and the check can fail where autodiff is right. Tolerances follow PyTorch's gradcheck: a gradient
passes when |autodiff - numeric| <= atol + rtol * |numeric|.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

from ..errors import MathError
from .engine import Value, forward, topological_order
from .program import Result

ATOL = 1e-5
RTOL = 1e-3
#: relative step: the cube root of machine epsilon balances truncation and rounding error
STEP = sys.float_info.epsilon ** (1 / 3)
SHRINKS = 8


@dataclass(frozen=True)
class CheckRow:
    name: str  # the input
    autodiff: float
    numeric: float  # NaN when no difference could be taken
    abs_error: float
    rel_error: float
    ok: bool
    output: str = ""  # the output differentiated, in a check of several (the Jacobian's)

    def of(self, output: str) -> "CheckRow":
        """This row, as the entry of ``output``'s row of a Jacobian."""
        return CheckRow(self.name, self.autodiff, self.numeric, self.abs_error, self.rel_error, self.ok, output)


@dataclass(frozen=True)
class Check:
    rows: list[CheckRow]
    atol: float
    rtol: float

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)


def evaluations(result: Result) -> int:
    """Node evaluations ``gradient_check`` makes: two forward passes of the output's graph per input
    (a step that leaves the domain costs two more, rarely)."""
    return 2 * len(result.bindings.inputs) * len(topological_order(result.output))


def gradient_check(result: Result, atol: float = ATOL, rtol: float = RTOL) -> Check:
    """Check the gradient of every input of ``result`` (leaves its values unchanged)."""
    graph = topological_order(result.output)  # only what the output depends on is re-run
    rows = []
    for name, v in result.inputs.items():
        numeric = numeric_gradient(graph, v)
        abs_error = abs(v.grad - numeric)
        rel_error = abs_error / abs(numeric) if numeric else (0.0 if abs_error == 0 else math.inf)
        ok = abs_error <= atol + rtol * abs(numeric)  # False for NaN
        rows.append(CheckRow(name, v.grad, numeric, abs_error, rel_error, ok))
    return Check(rows, atol, rtol)


def numeric_gradient(graph: list[Value], leaf: Value) -> float:
    """d(graph[-1])/d(leaf) by central differences; NaN when none can be taken.

    ``graph`` is the output's topological order. Where a step leaves the domain
    (log near 0), the step shrinks tenfold, up to SHRINKS times.
    """
    x = leaf.data
    h = STEP * max(1.0, abs(x))
    output = graph[-1]

    def at(t: float) -> float:
        leaf.data = t
        forward(graph)
        return output.data

    try:
        for _ in range(SHRINKS + 1):
            try:
                return (at(x + h) - at(x - h)) / (2 * h)
            except MathError:
                h /= 10
        return math.nan
    finally:
        leaf.data = x
        forward(graph)
