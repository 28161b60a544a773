"""Derivatives of derivatives: a backward pass that records its own graph.

``grad(f, wrt, create_graph=True)`` builds each gradient out of Value nodes
(from the op table's derivative formulas), so a gradient can be differentiated
again, as PyTorch does with ``create_graph=True``. ``derivative_table`` uses it
for Hessians and higher derivatives of a program's output.
"""

from __future__ import annotations

from itertools import combinations_with_replacement
from math import comb
from typing import Literal, Sequence, overload

from ..bindings import format_number
from ..errors import MathError
from ..language.formulas import instantiate
from ..language.ops import OPS, Op
from ..language.parser import is_name
from ..limits import Meter
from .engine import Value, topological_order
from .program import Result

_ADD, _MUL = OPS["add"], OPS["mul"]


#: building a node of a derivative's graph costs about five forward evaluations (measured here)
BUILD_WEIGHT = 5


@overload
def grad(output: Value, wrt: Sequence[Value], create_graph: Literal[True], meter: Meter | None = ...,
         origin: dict[Value, Value] | None = ...) -> list[Value]: ...
@overload
def grad(output: Value, wrt: Sequence[Value], create_graph: Literal[False] = ..., meter: Meter | None = ...,
         origin: dict[Value, Value] | None = ...) -> list[float]: ...


def grad(output: Value, wrt: Sequence[Value], create_graph: bool = False, meter: Meter | None = None,
         origin: dict[Value, Value] | None = None) -> list[Value] | list[float]:
    """d(output)/d(w) for each w in ``wrt``, leaving every node's ``.grad`` as it was.

    With ``create_graph=True`` the gradients are Values that depend on the
    inputs and can be differentiated in turn; otherwise they are floats.
    ``meter`` is charged for the nodes walked before the walk; ``origin`` maps
    every node this call builds to the program's node it comes from (for errors).
    """
    order = topological_order(output)
    if meter is not None:
        meter.spend(BUILD_WEIGHT * len(order))
    origins = origin if origin is not None else {}
    contributions: dict[Value, list[Value]] = {output: [Value.constant(1.0)]}
    total: dict[Value, Value] = {}
    for v in reversed(order):
        parts = contributions.pop(v, None)
        if parts is None:
            continue
        source = origins.get(v, v)
        made: list[Value] = []

        def apply(op: Op, *args: Value) -> Value:
            made.append(Value.apply(op, *args))
            return made[-1]

        try:
            g = parts[0]
            for part in parts[1:]:
                g = apply(_ADD, g, part)
            total[v] = g
            for k, u in enumerate(v.inputs):
                if not u._variable:
                    continue  # constants need no gradient, and theirs may be undefined
                local = instantiate(v.op.formulas[k], v.inputs, Value.constant, apply)
                contributions.setdefault(u, []).append(apply(_MUL, local, g))
        except MathError as e:
            raise DerivativeError(e, source) from None
        for node in made:
            origins[node] = source
    zero = Value.constant(0.0)
    grads = [total.get(w, zero) for w in wrt]
    return grads if create_graph else [g.data for g in grads]


class DerivativeError(MathError):
    """A derivative that is not a finite number, named by the program's expression it comes from."""

    def __init__(self, e: MathError, source: Value) -> None:
        named = [f"{u.label} = {format_number(u.data)}" for u in source.inputs if is_name(u.label)]
        self.where = f"'{source.label or source.op.name}'" + (f" ({', '.join(named)})" if named else "")
        self.cause = e.message  # the engine's own words ('overflow'): it names no expression
        super().__init__(f"{self.cause} in {self.where}", None)


def count(inputs: int, order: int) -> int:
    """How many derivatives of ``order`` there are over ``inputs`` variables (mixed partials once)."""
    return comb(inputs + order - 1, order)


def derivative_table(result: Result, order: int, meter: Meter | None = None
                     ) -> tuple[list[str], dict[tuple[str, ...], float]]:
    """All derivatives of the output of ``order`` over the program's input variables.

    Returns the variable names and a map from a sorted tuple of names (the
    variables differentiated by, e.g. ('x', 'x', 'y')) to the derivative.
    Mixed partials are taken once, in sorted order. ``meter`` (a work budget)
    is charged as the derivative graphs are built.
    """
    inputs = result.inputs
    names = list(inputs)
    wrt = list(inputs.values())
    level: dict[tuple[int, ...], Value] = {(): result.output}
    origin: dict[Value, Value] = {}
    for depth in range(order):
        following: dict[tuple[int, ...], Value] = {}
        for key, f in level.items():
            start = key[-1] if key else 0  # only sorted index tuples: the rest are the same numbers
            try:
                gradients = grad(f, wrt[start:], True, meter, origin)
            except DerivativeError as e:
                raise MathError(f"a derivative of order {depth + 1} is undefined in {e.where}: {e.cause}", None) from None
            for j, g in enumerate(gradients, start):
                following[key + (j,)] = g
        level = following
    table = {tuple(names[i] for i in key): g.data for key, g in level.items()}
    # every sorted tuple is present (zero where the output does not depend on it)
    for key in combinations_with_replacement(range(len(names)), order):
        table.setdefault(tuple(names[i] for i in key), 0.0)
    return names, table
