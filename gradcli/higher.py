"""Derivatives of derivatives: a backward pass that records its own graph.

``grad(f, wrt, create_graph=True)`` builds each gradient out of Value nodes
(from the op table's derivative formulas), so a gradient can be differentiated
again, as PyTorch does with ``create_graph=True``. ``derivative_table`` uses it
for Hessians and higher derivatives of a program's output.
"""

from __future__ import annotations

from itertools import combinations_with_replacement
from typing import Sequence, overload, Literal

from .engine import Value, topological_order
from .errors import MathError
from .formulas import instantiate
from .ops import INPUT
from .program import Result


@overload
def grad(output: Value, wrt: Sequence[Value], create_graph: Literal[True]) -> list[Value]: ...
@overload
def grad(output: Value, wrt: Sequence[Value], create_graph: Literal[False] = ...) -> list[float]: ...


def grad(output: Value, wrt: Sequence[Value], create_graph: bool = False) -> list[Value] | list[float]:
    """d(output)/d(w) for each w in ``wrt``, leaving every node's ``.grad`` as it was.

    With ``create_graph=True`` the gradients are Values that depend on the
    inputs and can be differentiated in turn; otherwise they are floats.
    """
    contributions: dict[Value, list[Value]] = {output: [Value.constant(1.0)]}
    total: dict[Value, Value] = {}
    for v in reversed(topological_order(output)):
        parts = contributions.pop(v, None)
        if parts is None:
            continue
        g = parts[0]
        for part in parts[1:]:
            g = g + part
        total[v] = g
        for k, u in enumerate(v.inputs):
            if not u._variable:
                continue  # constants need no gradient, and theirs may be undefined
            try:
                local = instantiate(v.op.formulas[k], v.inputs, Value.constant, Value.apply)
            except MathError:
                raise MathError(f"derivative of {v.op.name} is undefined in '{v.label or v.op.name}'", None) from None
            contributions.setdefault(u, []).append(local * g)
    zero = Value.constant(0.0)
    grads = [total.get(w, zero) for w in wrt]
    return grads if create_graph else [g.data for g in grads]


def derivative_table(result: Result, order: int) -> tuple[list[str], dict[tuple[str, ...], float]]:
    """All derivatives of the output of ``order`` over the program's input variables.

    Returns the variable names and a map from a sorted tuple of names (the
    variables differentiated by, e.g. ('x', 'x', 'y')) to the derivative.
    Mixed partials are taken once, in sorted order.
    """
    names = [name for name, v in result.names.items() if v.op is INPUT]
    wrt = [result.names[name] for name in names]
    level: dict[tuple[int, ...], Value] = {(): result.output}
    for _ in range(order):
        following: dict[tuple[int, ...], Value] = {}
        for key, f in level.items():
            start = key[-1] if key else 0  # only sorted index tuples: the rest are the same numbers
            for j, g in enumerate(grad(f, wrt[start:], create_graph=True), start):
                following[key + (j,)] = g
        level = following
    table = {tuple(names[i] for i in key): g.data for key, g in level.items()}
    # every sorted tuple is present (zero where the output does not depend on it)
    for key in combinations_with_replacement(range(len(names)), order):
        table.setdefault(tuple(names[i] for i in key), 0.0)
    return names, table
