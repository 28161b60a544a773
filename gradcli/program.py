"""Run a program: instructions -> a graph of Values -> forward and backward.

``evaluate(source, values, output)`` is the one entry point the CLI and the
Python API share. It turns the engine's math errors into messages that name
the expression that failed.

The language's rules for names (--set values, assignment and reassignment,
constants, the output) live here too, in ``Scope``: ``symbolic.derivatives``
walks the same instructions to build formulas, and keeps a Scope as well, so
the numbers and the formulas agree on what every name means.
"""

from __future__ import annotations

import io
import math
from typing import Any, Generic, Mapping, TypeVar

from .engine import GradientError, Value, backward
from .errors import GradcliError, MathError, NothingToDifferentiateError, UnknownNameError
from .ops import CONSTANTS, INPUT
from .parser import APPLY, ASSIGN, NAME, NUM, Instr, Program, is_name, parse, show_position, where
from .text import listing, shorten

LABEL_WIDTH = 40  # node labels longer than this are shortened in the middle
MESSAGE_WIDTH = 60  # likewise for expression text in error messages


class Result:
    """A differentiated program: every node, the named ones, and the output."""

    # a plain class, not a dataclass: the command's start-up is measured in milliseconds,
    # and a dataclass writes and compiles its methods at import (about half of one)
    __slots__ = ("source", "nodes", "names", "output_name", "output", "_ids")

    def __init__(self, source: str, nodes: list[Value], names: dict[str, Value], output_name: str,
                 output: Value) -> None:
        self.source = source
        #: every node, in evaluation order (a node's id is its index here)
        self.nodes = nodes
        #: each named variable (given with --set or assigned) and its newest value
        self.names = names
        #: the name of the output, or its expression text when it is unnamed
        self.output_name = output_name
        self.output = output
        self._ids: dict[Value, int] = {}

    def __repr__(self) -> str:
        return f"Result(output_name={self.output_name!r}, value={self.value!r}, gradients={self.gradients!r})"

    @property
    def value(self) -> float:
        return self.output.data

    @property
    def gradients(self) -> dict[str, float]:
        """d(output)/d(variable) for every named variable (0.0 where it does not reach)."""
        return {name: v.grad for name, v in self.names.items()}

    def node_id(self, node: Value) -> int:
        if not self._ids:
            self._ids.update((v, i) for i, v in enumerate(self.nodes))
        return self._ids[node]

    # ----- for the Python API and Jupyter ----------------------------------------------------
    def table(self, precision: int = 4) -> Any:
        """The summary line and node table as a rich renderable (``rich.print(r.table())``)."""
        from .render import table

        return table(self, precision)

    def to_json(self) -> dict[str, Any]:
        """The JSON document of ``--format json``, as Python data."""
        from .render import to_json

        return to_json(self)

    def to_dot(self, precision: int = 4) -> str:
        """The graph as DOT text (``gradcli.drawing.render(dot, "svg")`` makes a picture)."""
        from .drawing import digraph

        return digraph(self.nodes, self.output, precision).source

    def _repr_html_(self) -> str:
        """Jupyter: the table, and the graph when it is within the picture budget."""
        from rich.console import Console

        from .drawing import MAX_NODES, render

        console = Console(record=True, width=100, file=io.StringIO(), color_system=None)
        console.print(self.table(), crop=False)
        html = console.export_html(inline_styles=True, code_format="<pre>{code}</pre>")
        if len(self.nodes) <= MAX_NODES:
            html += render(self.to_dot(), "svg").decode("utf-8")
        return html


def format_number(x: float) -> str:
    """A number as short as it reads exactly: 2.0 -> '2', 0.1 -> '0.1'."""
    return f"{x:.15g}" if x != 0 else "0"


def clip(source: str, start: int, end: int, width: int) -> str:
    """Source text from start to end on one line, shortened in the middle past ``width``."""
    if end - start > 4 * width:  # never copy a huge span just to shorten it
        text = source[start : start + 2 * width] + " " + source[end - 2 * width : end]
    else:
        text = source[start:end]
    return shorten(" ".join(text.split()), width)


def evaluate(source: str, values: Mapping[str, float] | None = None, output: str | None = None,
             **named_values: float) -> Result:
    """Parse ``source``, build its graph, and differentiate ``output`` (default: the last statement).

    ``values`` (or keyword arguments: ``evaluate("y = a * 2", a=3)``) give
    variables their values before the program runs; a statement
    ``name = number`` in the program is then a default that the given value
    overrides.
    """
    return run(parse(source), {**(values or {}), **named_values}, output)


def run(program: Program, values: Mapping[str, float], output: str | None = None) -> Result:
    source, code = program.source, program.code
    nodes: list[Value] = []
    given: dict[str, Value] = {}
    for name, x in values.items():
        if not isinstance(name, str) or not is_name(name):
            raise GradcliError(f"not a valid variable name: {name!r}")
        try:
            number = float(x)
        except (TypeError, ValueError, OverflowError):
            number = math.nan
        if not math.isfinite(number):
            raise GradcliError(f"the value of {name} is not a finite number: {x!r}")
        given[name] = Value(number, label=name)
        nodes.append(given[name])
    scope = Scope(program, given)
    names = scope.names
    named: set[Value] = set(given.values())  # nodes whose label is already a name
    vals: list[Value] = []

    for i, ins in enumerate(code):
        kind = ins.kind
        if kind == NUM:
            v = Value.constant(ins.payload, label=clip(source, ins.start, ins.end, LABEL_WIDTH))
            nodes.append(v)
        elif kind == NAME:
            known = names.get(ins.payload)
            if known is None:
                known = _constant(program, i)
                nodes.append(known)
            v = known
        elif kind == APPLY:
            try:
                v = Value.apply(ins.payload, *[vals[j] for j in ins.inputs])
            except MathError as e:
                raise _located(program, i, vals, e) from None
            v.label = clip(source, ins.start, ins.end, LABEL_WIDTH)
            nodes.append(v)
        elif kind == ASSIGN:
            name = ins.payload
            v = vals[ins.inputs[0]]
            made = scope.assign(ins, v)
            if made == NEW_INPUT:
                v.op = INPUT
                v._variable = True
            elif made == GIVEN_INPUT:
                nodes.pop()  # the number, made just before: the given value takes its place
                v = given[name]
            if v not in named:
                v.label = name
                named.add(v)
        else:  # EXPR
            v = vals[ins.inputs[0]]
            scope.expression(ins, v)
        vals.append(v)

    output_name, out = scope.output(output)
    try:
        backward(out, nodes)  # creation order is a topological order
    except GradientError as e:
        raise _located(program, vals.index(e.node), vals, e) from None
    return Result(source, nodes, names, output_name, out)


# ----- the language's rules for names -------------------------------------------------------
Node = TypeVar("Node")  # a node of the walk: a Value in run(), a formula node's index in derivatives()

# what an assignment makes (Scope.assign)
PLAIN = "plain"  # a name for a value computed (or named) elsewhere
NEW_INPUT = "new input"  # `name = number`: an input variable, the number its value
GIVEN_INPUT = "given input"  # `name = number` for a name given a value: the given value replaces the number


class Scope(Generic[Node]):
    """What each name means as a program's instructions are walked in order.

    Two walks build a graph from the same instructions: ``run`` (of Values)
    and ``symbolic.derivatives`` (of formulas). Each keeps a Scope, so both
    follow one set of rules:

    - values given from outside (--set) are bound before the program runs;
    - a NAME reads its newest binding in ``names``, else a built-in constant
      (``ops.CONSTANTS``: pi, e), else the name is free (run: an error;
      derivatives: a symbol, which the walk binds in ``names``). The walks
      read ``names`` themselves: it is their hot path;
    - ``name = number`` makes an input variable, and a value given for that
      name replaces the number in the name's first assignment (``assign``);
    - the output is the last statement, or the variable --of names (``output``).

    The scope never makes a node: the walk makes them and reports each statement.
    """

    __slots__ = ("names", "given", "_program", "_assigned", "_last")

    def __init__(self, program: Program, given: dict[str, Node]) -> None:
        self._program = program
        #: the nodes of the values given from outside, by name
        self.given = given
        #: each name's newest node: the given values, then the assignments so far
        self.names: dict[str, Node] = dict(given)
        self._assigned: set[str] = set()  # names the program has assigned so far
        self._last: tuple[str, Node] | None = None  # the last statement's name (or text) and node

    def assign(self, ins: Instr, node: Node) -> str:
        """Bind the name that assignment ``ins`` assigns, and say what the assignment makes.

        ``node`` is the value of the right side. PLAIN: the name is bound to it.
        When the right side is a number (a literal, or a constant such as pi),
        the assignment makes an input variable: NEW_INPUT, and the walk makes
        ``node`` that variable. But a value given for the name replaces the
        number in the name's first assignment: GIVEN_INPUT, the name is bound
        to the given node, and the walk drops the number it made.
        """
        name: str = ins.payload
        right = self._program.code[ins.inputs[0]]  # the right side's instruction
        # a number: a literal, or a constant such as pi (a binding of the name pi hides the constant)
        if right.kind == NUM or (right.kind == NAME and right.payload in CONSTANTS and right.payload not in self.names):
            if name in self.given and name not in self._assigned:
                made, node = GIVEN_INPUT, self.given[name]
            else:
                made = NEW_INPUT
        else:
            made = PLAIN
        self.names[name] = node
        self._assigned.add(name)
        self._last = (name, node)
        return made

    def expression(self, ins: Instr, node: Node) -> None:
        """A bare expression statement, whose value is ``node``.

        Should it be the output, its name is the expression's text as the
        table shows it: without parentheses around the whole (``(a*b)`` is
        ``a*b``), and a name as written (``y``, even when y is another name for x).
        """
        inner = self._program.code[ins.inputs[0]]
        self._last = (clip(self._program.source, inner.start, inner.end, LABEL_WIDTH), node)

    def output(self, name: str | None) -> tuple[str, Node]:
        """The output's name and node: the variable ``name`` (--of), else the last statement."""
        if name is not None:
            if name not in self.names:
                variables = listing(list(self.names)) or "none"
                raise NothingToDifferentiateError(
                    f"--of {shorten(name)}: the program has no variable '{shorten(name)}' (variables: {variables})"
                )
            return name, self.names[name]
        if self._last is None:
            raise NothingToDifferentiateError("nothing to differentiate: the program has no statements")
        return self._last


def _constant(program: Program, i: int) -> Value:
    ins = program.code[i]
    name: str = ins.payload
    if name in CONSTANTS:
        return Value.constant(CONSTANTS[name], label=name)
    raise UnknownNameError(
        f"unknown name '{shorten(name)}' at {where(program.source, ins.start)}"
        f" (assign it earlier in the program, or give it with --set {shorten(name)}=VALUE)",
        detail=show_position(program.source, ins.start),
    )


def _located(program: Program, i: int, vals: list[Value], e: MathError) -> MathError:
    """The engine's error, naming the expression (and the input) that failed."""
    ins = program.code[i]
    # a variable is named by its name, anything else by its expression text
    text = vals[i].label if ins.kind == NUM else clip(program.source, ins.start, ins.end, MESSAGE_WIDTH)
    message = f"{e.message} in '{text}'"
    # the input to blame, or for a derivative all of them (x ** y depends on both)
    blamed = range(len(ins.inputs)) if isinstance(e, GradientError) else [] if e.argument is None else [e.argument]
    shown = []
    for k in blamed:
        arg = program.code[ins.inputs[k]]
        if arg.kind != NUM:  # a literal's value is already in the text
            text = clip(program.source, arg.start, arg.end, MESSAGE_WIDTH)
            shown.append(f"{text} = {format_number(vals[ins.inputs[k]].data)}")
    if shown:
        message += f" ({', '.join(shown)})"
    located = MathError(f"{message} at {where(program.source, ins.start)}", e.argument)
    located.detail = show_position(program.source, ins.start)
    return located
