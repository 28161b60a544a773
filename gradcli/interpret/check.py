"""Gradient check: each variable's autodiff gradient against central finite differences.

The graph is re-run forward with one variable nudged up and down (the step
scaled to its magnitude). Tolerances follow PyTorch's gradcheck: a gradient
passes when |autodiff - numeric| <= atol + rtol * |numeric|.

Where an op is not smooth (the op table's ``edges``: relu's kink at 0, log's
singularity at 0, ...), finite differences disagree with the derivative by
nature, and a row says so in a note: the kinks and jumps the step crossed
(on a pass too: autodiff's slope at a kink is a convention, and it may agree
with the average of the two sides by luck, as abs at 0 does), and on a failure
the singularities and domain edges near enough to spoil the difference.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, replace
from typing import NamedTuple

from ..bindings import expression
from ..language.ops import Edge, fold
from .engine import ForwardError, Value, forward, topological_order
from .program import Result

ATOL = 1e-5
RTOL = 1e-3
#: relative step: the cube root of machine epsilon balances truncation and rounding error
STEP = sys.float_info.epsilon ** (1 / 3)
SHRINKS = 8
#: a singularity this many times the step's reach away, or nearer, is named in a failure's note: the
#: error it puts in a central difference grows as (reach / distance)**2, about 1e-3 (RTOL) at 30
NEAR = 30
#: a note names this many findings at most (a network of relus at 0 has thousands)
NOTES = 3


@dataclass(frozen=True)
class CheckRow:
    name: str  # the input
    autodiff: float
    numeric: float  # NaN when no difference could be taken
    abs_error: float
    rel_error: float
    ok: bool
    output: str = ""  # the output differentiated, in a check of several (the Jacobian's)
    #: the kinks, jumps, singularities and domain edges the finite difference met; None: none
    note: str | None = None

    def of(self, output: str) -> "CheckRow":
        """This row, as the entry of ``output``'s row of a Jacobian."""
        return replace(self, output=output)


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
    watched = [(v, edge) for v in graph for edge in v.op.edges]  # where a difference can go wrong
    rows = []
    for name, v in result.inputs.items():
        probe = _differences(graph, v, watched)
        numeric = probe.numeric
        abs_error = abs(v.grad - numeric)
        rel_error = abs_error / abs(numeric) if numeric else (0.0 if abs_error == 0 else math.inf)
        ok = abs_error <= atol + rtol * abs(numeric)  # False for NaN
        note = _note(list(dict.fromkeys(_findings(result, watched, probe, ok))))
        rows.append(CheckRow(name, v.grad, numeric, abs_error, rel_error, ok, note=note))
    return Check(rows, atol, rtol)


def _note(findings: list[str]) -> str | None:
    """The findings in one note, the first NOTES of many and how many more."""
    if len(findings) > NOTES:
        return "; ".join(findings[:NOTES]) + f"; and {len(findings) - NOTES:,} more kinks or singularities"
    return "; ".join(findings) or None


class _Probe(NamedTuple):
    """A central difference, and what the watched nodes' inputs were on the way."""

    numeric: float
    #: the last step tried
    step: float
    #: each watched node's inputs at x, x - step and x + step (the last two empty when no step worked)
    here: list[tuple[float, ...]]
    below: list[tuple[float, ...]]
    above: list[tuple[float, ...]]
    #: the node that could not be computed at the last step tried
    failed: Value | None


def _differences(graph: list[Value], leaf: Value, watched: list[tuple[Value, Edge]]) -> _Probe:
    """d(graph[-1])/d(leaf) by central differences (NaN when none can be taken), and the inputs
    of the ``watched`` nodes on the way.

    ``graph`` is the output's topological order. Where a step leaves the domain
    (log near 0), the step shrinks tenfold, up to SHRINKS times.
    """
    x = leaf.data
    h = STEP * max(1.0, abs(x))
    output = graph[-1]
    failed: Value | None = None

    watched_inputs = [node.inputs for node, _ in watched]

    def inputs_of_watched() -> list[tuple[float, ...]]:
        return [tuple([a.data for a in inputs]) for inputs in watched_inputs]

    def at(t: float) -> float:
        leaf.data = t
        forward(graph)
        return output.data

    here = inputs_of_watched()
    try:
        for _ in range(SHRINKS + 1):
            try:
                high = at(x + h)
                above = inputs_of_watched()
                low = at(x - h)
                return _Probe((high - low) / (2 * h), h, here, inputs_of_watched(), above, None)
            except ForwardError as e:
                failed = e.node
                h /= 10
        return _Probe(math.nan, h * 10, here, [], [], failed)
    finally:
        leaf.data = x
        forward(graph)


def _findings(result: Result, watched: list[tuple[Value, Edge]], probe: _Probe, ok: bool) -> list[str]:
    """A sentence for each kink or jump the step crossed, and (on a failure) each singularity or
    domain edge near enough to spoil the difference, or that no step could get around."""
    found = []
    for i, (node, edge) in enumerate(watched):
        args = probe.here[i]
        gap = _gap(edge, args, args)
        if gap is None:
            continue
        if not probe.below:  # no step worked: name the node that could not be computed
            if node is probe.failed:
                found.append(_say(result, node, edge, args, gap, None,
                                  f"no step down to {number(probe.step)} keeps it defined"))
            continue
        low, high = _gap(edge, args, probe.below[i]), _gap(edge, args, probe.above[i])
        if low is None or high is None:
            continue
        reach = max(abs(low - gap), abs(high - gap))
        if reach == 0:
            continue  # this input does not move it
        if edge.kind in ("kink", "jump"):
            if min(low, high) <= 0 <= max(low, high):
                found.append(_say(result, node, edge, args, gap, reach, _sides(node, edge, args, gap)))
        elif not ok and abs(gap) <= NEAR * reach:
            across = min(low, high) < 0 < max(low, high)  # 1/x from x - h < 0 to x + h > 0
            found.append(_say(result, node, edge, args, gap, reach, "", ", across it" if across else ""))
    return found


def _gap(edge: Edge, here: tuple[float, ...], args: tuple[float, ...]) -> float | None:
    """How far input ``edge.arg`` is from the edge at ``args`` (signed), the edge chosen where the
    input is ``here`` (of tan's poles, the one nearest now)."""
    k = edge.arg
    point = edge.point(*args[:k], here[k], *args[k + 1:])
    return None if point is None else args[k] - point


def _sides(node: Value, edge: Edge, args: tuple[float, ...], gap: float) -> str:
    """The op's one-sided slopes at a kink, or its values either side of a jump, computed by
    moving input ``edge.arg`` a little either way of the kink, the other inputs held."""
    k = edge.arg
    point = args[k] - gap
    d = STEP * max(1.0, abs(point))

    def f(t: float) -> float:
        return fold(node.op, *args[:k], t, *args[k + 1:])

    left, middle, right = f(point - d), f(point), f(point + d)
    if edge.kind == "jump":
        return f"it jumps from {number(left)} to {number(right)}"
    return f"one-sided slopes {number((middle - left) / d)} and {number((right - middle) / d)}"


def _say(result: Result, node: Value, edge: Edge, args: tuple[float, ...], gap: float, reach: float | None,
         detail: str, how: str = "") -> str:
    """``y = relu(x) is at its kink (x = 0): one-sided slopes 0 and 1``."""
    text = expression(result.bindings, result.node_id(node))
    who = text if node.label in ("", text) else f"{node.label} = {text}"
    labels = [a.label for a in node.inputs]
    place = edge.place.format(x=labels[0], y=labels[-1], p=f"{args[edge.arg] - gap + 0.0:.6g}")
    where = "at" if gap == 0 else f"{number(abs(gap))} from"
    said = f"{who} is {where} its {edge.kind} ({place})"
    if gap != 0 and reach is not None:
        said += f", and the step moves {labels[edge.arg]} by {number(reach)}{how}"
    return f"{said}: {detail}" if detail else said


def number(x: float) -> str:
    """Three significant digits, the exponent without padding: 1e-9, 6.06e-6, 0.5."""
    return re.sub(r"e([+-])0*(\d)", lambda m: f"e{m.group(1).strip('+')}{m.group(2)}", f"{x + 0.0:.3g}")
