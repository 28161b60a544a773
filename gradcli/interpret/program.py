"""The engine's interpretation of a program: its bindings -> a graph of Values -> forward and backward.

``evaluate(source, values, output)`` is the entry point the CLI and the Python
API share: parse, bind (``bindings``: what every name means), build a Value
per node, and run backward. The engine's math errors become messages that
name the expression that failed.
"""

from __future__ import annotations

from typing import Mapping

from ..bindings import Bindings, bind, format_number, located
from ..errors import MathError
from ..language.ops import INPUT
from ..language.parser import Program, parse
from .engine import GradientError, Value, backward, binary, nary, unary

__all__ = ["Result", "evaluate", "run", "differentiate", "build", "format_number"]


class Result:
    """A differentiated program: every node, the inputs, the named values, and the output."""

    # a plain class, not a dataclass: the command's start-up is measured in milliseconds,
    # and a dataclass writes and compiles its methods at import (about half of one)
    __slots__ = ("bindings", "nodes", "_ids")

    def __init__(self, bindings: Bindings, nodes: list[Value]) -> None:
        self.bindings = bindings
        #: every node, in evaluation order (a node's id is its index here)
        self.nodes = nodes
        self._ids: dict[Value, int] = {}

    def __repr__(self) -> str:
        return f"Result(output_name={self.output_name!r}, value={self.value!r}, gradients={self.gradients!r})"

    @property
    def source(self) -> str:
        return self.bindings.program.source

    @property
    def output_name(self) -> str:
        """The name of the output, or its expression text when it is unnamed."""
        return self.bindings.output_name

    @property
    def output(self) -> Value:
        return self.nodes[self.bindings.output]

    @property
    def value(self) -> float:
        return self.output.data

    @property
    def inputs(self) -> dict[str, Value]:
        """Every input by name (given values first), even one whose name is reassigned later."""
        nodes = self.nodes
        return {name: nodes[n] for name, n in self.bindings.inputs.items()}

    @property
    def names(self) -> dict[str, Value]:
        """Each named variable's newest value."""
        nodes = self.nodes
        return {name: nodes[n] for name, n in self.bindings.names.items()}

    @property
    def gradients(self) -> dict[str, float]:
        """d(output)/d(input) for every input (a reassigned one too), then d(output)/d(newest value)
        for every other named variable (0.0 where the output does not depend on it)."""
        nodes = self.nodes
        return {name: nodes[n].grad for name, n in self.bindings.wrt.items()}

    @property
    def partials(self) -> dict[str, float]:
        """``gradients`` without the output's own (d(y)/d(y) = 1): what the summary line shows."""
        nodes, out = self.nodes, self.bindings.output
        return {name: nodes[n].grad for name, n in self.bindings.wrt.items() if n != out}

    def input_ids(self, i: int) -> tuple[int, ...]:
        """The ids of node ``i``'s inputs, in order (what ``node_id`` gives for each of
        ``nodes[i].inputs``, without a table of every node)."""
        return self.bindings.args[i]

    def node_id(self, node: Value) -> int:
        if not self._ids:
            self._ids.update((v, i) for i, v in enumerate(self.nodes))
        return self._ids[node]


def evaluate(source: str, values: Mapping[str, float] | None = None, output: str | None = None,
             **named_values: float) -> Result:
    """Parse ``source``, build its graph, and differentiate ``output`` (default: the last statement).

    ``values`` (or keyword arguments: ``evaluate("y = a * 2", a=3)``) give
    inputs their values before the program runs; a statement ``name = number``
    in the program is then a default that the given value overrides. A value
    for a name that is no input of the program is an error.
    """
    return run(parse(source), {**(values or {}), **named_values}, output, option="")


def run(program: Program, values: Mapping[str, float], output: str | None = None, *,
        option: str | Mapping[str, str] = "--set", strict: bool = True) -> Result:
    """``program`` (parsed) bound, built and differentiated; ``option`` names the values in messages.

    ``strict=False`` lets values for names the program does not mention pass (a batch of
    programs sharing values; a formula read back with all of a program's inputs).
    """
    return differentiate(bind(program, values, output, option=option, strict=strict))


def differentiate(b: Bindings, values: Mapping[str, float] | None = None) -> Result:
    """The Values of ``b`` (inputs from ``values`` where given, else as bound), and every gradient."""
    nodes = build(b, values)
    try:
        backward(nodes[b.output], nodes)  # creation order is a topological order
    except GradientError as e:
        n = nodes.index(e.node)
        raise _located(b, nodes, n, e, blame_all=b.ops[n] is not INPUT) from None
    return Result(b, nodes)


def build(b: Bindings, values: Mapping[str, float] | None = None) -> list[Value]:
    """The engine's interpretation: one Value per node, computed forward."""
    nodes: list[Value] = []
    append = nodes.append
    overrides = {b.inputs[name]: x for name, x in values.items()} if values else {}
    n = 0
    try:
        for n, (op, args, value, label) in enumerate(zip(b.ops, b.args, b.values, b.labels)):
            if len(args) == 2:
                v = binary(op, nodes[args[0]], nodes[args[1]])
                v.label = label
            elif len(args) == 1:
                v = unary(op, nodes[args[0]])
                v.label = label
            elif args:  # max(a, b, c): three inputs or more
                v = nary(op, tuple([nodes[a] for a in args]))
                v.label = label
            elif op is INPUT:
                v = Value(overrides.get(n, value), label)
            else:
                v = Value.constant(value, label)
            append(v)
    except MathError as e:
        raise _located(b, nodes, n, e) from None
    return nodes


def _located(b: Bindings, nodes: list[Value], n: int, e: MathError, blame_all: bool = False) -> MathError:
    """The engine's error at node ``n``, placed in the program."""
    origin = b.origins[n] if b.origins[n] >= 0 else b.at.index(n)
    name = b.labels[n] if b.ops[n] is INPUT else ""
    return located(b.program, origin, e, lambda j: nodes[b.at[j]].data, blame_all, name)


