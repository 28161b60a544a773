"""A program's numbers: its bindings -> every node's value and gradient (and, when asked, the engine's Values).

``evaluate(source, values, output)`` is the entry point the CLI and the Python
API share: parse, bind (``bindings``: what every name means), compute every
node's value and run backward (``arrays``: two floats a node, no Value each), and
make the engine's Values when a view or the API asks for them. Math errors
become messages that name the expression that failed.
"""

from __future__ import annotations

from array import array
from typing import Mapping, Sequence

from ..bindings import Bindings, bind, format_number, located
from ..errors import MathError
from ..language.ops import INPUT
from ..language.parser import Program, parse
from . import arrays
from .engine import Value, binary, nary, unary

__all__ = ["Result", "evaluate", "run", "differentiate", "build", "format_number"]


class Result:
    """A differentiated program: every node's data and grad, the inputs, the named values, the output.

    The numbers are kept in two arrays beside the bindings (``arrays``); the Values of the
    engine's API (``nodes``, ``output``, ``inputs``, ``names``) are made when first asked
    for, so a big program's JSON or table never makes a Value per node.
    """

    # a plain class, not a dataclass: the command's start-up is measured in milliseconds,
    # and a dataclass writes and compiles its methods at import (about half of one)
    __slots__ = ("bindings", "data", "grads", "overrides", "_nodes", "_ids")

    def __init__(self, bindings: Bindings, data: array, grads: array,
                 overrides: Mapping[str, float] | None = None) -> None:
        self.bindings = bindings
        #: every node's value and d(output)/d(node), in evaluation order (a node's id is its index)
        self.data = data
        self.grads = grads
        #: inputs' values by name that replaced the bound ones when it was computed (a sweep's point)
        self.overrides = overrides
        self._nodes: list[Value] | None = None
        self._ids: dict[Value, int] = {}

    def __repr__(self) -> str:
        return f"Result(output_name={self.output_name!r}, value={self.value!r}, gradients={self.gradients!r})"

    def __len__(self) -> int:
        """How many nodes the graph has."""
        return len(self.data)

    @property
    def nodes(self) -> list[Value]:
        """Every node as a Value of the engine, in evaluation order, with its grad (made on first use)."""
        if self._nodes is None:
            nodes = build(self.bindings, self.overrides)
            for v, grad in zip(nodes, self.grads):
                v.grad = grad
            self._nodes = nodes
        return self._nodes

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
        return self.data[self.bindings.output]

    @property
    def inputs(self) -> dict[str, Value]:
        """Every input by name (given values first), even one whose name is reassigned later."""
        nodes = self.nodes
        return {name: nodes[n] for name, n in self.bindings.inputs.items()}

    @property
    def input_values(self) -> dict[str, float]:
        """``inputs``' numbers."""
        data = self.data
        return {name: data[n] for name, n in self.bindings.inputs.items()}

    @property
    def names(self) -> dict[str, Value]:
        """Each named variable's newest value."""
        nodes = self.nodes
        return {name: nodes[n] for name, n in self.bindings.names.items()}

    @property
    def gradients(self) -> dict[str, float]:
        """d(output)/d(input) for every input (a reassigned one too), then d(output)/d(newest value)
        for every other named variable (0.0 where the output does not depend on it)."""
        grads = self.grads
        return {name: grads[n] for name, n in self.bindings.wrt.items()}

    @property
    def partials(self) -> dict[str, float]:
        """``gradients`` without the output's own (d(y)/d(y) = 1): what the summary line shows."""
        grads, out = self.grads, self.bindings.output
        return {name: grads[n] for name, n in self.bindings.wrt.items() if n != out}

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
    """The numbers of ``b`` (inputs from ``values`` where given, else as bound), and every gradient."""
    data = array("d")
    try:
        arrays.forward(b, data, {b.inputs[name]: x for name, x in values.items()} if values else None)
        grads = arrays.backward(b, data, b.output)
    except arrays.NodeError as e:
        raise _located(b, data, e.n, e, blame_all=e.backward and b.ops[e.n] is not INPUT) from None
    return Result(b, data, grads, values)


def build(b: Bindings, values: Mapping[str, float] | None = None) -> list[Value]:
    """The engine's interpretation: one Value per node, computed forward (grads not yet)."""
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
        raise _located(b, array("d", [v.data for v in nodes]), n, e) from None
    return nodes


def _located(b: Bindings, data: Sequence[float], n: int, e: MathError, blame_all: bool = False) -> MathError:
    """The error at node ``n``, placed in the program; ``data``: the nodes' values before it."""
    origin = b.origins[n] if b.origins[n] >= 0 else b.at.index(n)
    name = b.labels[n] if b.ops[n] is INPUT else ""
    return located(b.program, origin, e, lambda j: data[b.at[j]], blame_all, name)


