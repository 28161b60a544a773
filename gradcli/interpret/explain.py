"""The backward pass, step by step: one step per edge, in the order it runs.

Each step says which node passes gradient to which input, the upstream
gradient, the local derivative as a formula (from the op table) and as a
number, and the input's running total.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..language.parser import as_operand, is_atom
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
        labels = [u.label for u in v.inputs]
        atomic = [is_atom(label) for label in labels]
        args = [u.data for u in v.inputs]
        for k, (u, rule) in enumerate(zip(v.inputs, v.op.derivatives)):
            target = result.node_id(u)
            try:
                local = rule(v.data, *args)
            except (ValueError, ZeroDivisionError, OverflowError):
                local = math.nan
            running[target] += upstream * local
            formula = local_formula(v.op, k, labels, atomic).text
            done.append(Step(source, target, upstream, formula, local, upstream * local, running[target]))
    return done


def partial(result: Result, step: Step) -> str:
    """'∂(a*2)/∂a' for a step."""
    return f"∂{as_operand(result.nodes[step.source].label)}/∂{as_operand(result.nodes[step.target].label)}"
