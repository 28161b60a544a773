"""The backward pass, step by step: one step per edge, in the order it runs.

Each step says which node passes gradient to which input, the upstream
gradient, the local derivative as a formula (from the op table) and as a
number, and the input's running total.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..language.parser import as_operand, is_atom
from .engine import Value
from .program import Result
from .symbolic import local_formula


@dataclass(frozen=True)
class Step:
    source: int  # id of the node passing gradient back
    target: int  # id of its input
    upstream: float  # the source's gradient
    formula: str  # ∂source/∂target over the nodes' labels
    local: float  # the same, as a number
    contribution: float  # upstream × local
    total: float  # the target's gradient so far


def steps(result: Result) -> list[Step]:
    """The backward pass of ``result`` as it runs (nodes whose gradient is 0 pass nothing back)."""
    running = [0.0] * len(result.nodes)
    out_id = result.node_id(result.output)
    running[out_id] = 1.0
    done = []
    for source in range(len(result.nodes) - 1, -1, -1):
        v = result.nodes[source]
        upstream = running[source]
        if upstream == 0.0 or not v.inputs:
            continue
        formulas = local_formulas(v)
        for k, u in enumerate(v.inputs):
            target = result.node_id(u)
            local = local_derivative(v, k)
            running[target] += upstream * local
            done.append(Step(source, target, upstream, formulas[k], local, upstream * local, running[target]))
    return done


def local_formulas(v: Value) -> list[str]:
    """∂v/∂(input k) for each input k, written over the inputs' labels (from the op table)."""
    labels = [u.label for u in v.inputs]
    atomic = [is_atom(label) for label in labels]
    return [local_formula(v.op, k, labels, atomic).text for k in range(len(v.inputs))]


def local_derivative(v: Value, k: int) -> float:
    """∂v/∂(input k) at the node's numbers; NaN where it is undefined."""
    try:
        return v.op.derivatives[k](v.data, *(u.data for u in v.inputs))
    except (ValueError, ZeroDivisionError, OverflowError):
        return math.nan


def partial(result: Result, step: Step) -> str:
    """'∂(a*2)/∂a' for a step."""
    return f"∂{as_operand(result.nodes[step.source].label)}/∂{as_operand(result.nodes[step.target].label)}"
