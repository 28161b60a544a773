"""The one walk: a program's instructions -> its bindings (what every name and statement means).

The language's rules for names live here and nowhere else. Every
interpretation reads the result, a ``Bindings``: the graph of Values
(``program``), the NumPy tape (``sweep``), the formulas (``symbolic``), and
any to come. An interpretation supplies only how to make an input, a
constant and an op's application; it never looks at names again.

The rules:

- **Inputs.** A name's first binding makes it an input when it is a number:
  a value given from outside (``--set``, ``evaluate(**values)``), or an
  assignment of an expression of numbers and constants only (``2``, ``-pi``,
  ``2+3``, ``1/3``), folded to one number. While an input has not been read,
  another ``name = number`` sets its value again (``x = 2; x = 3`` is the input
  x = 3). A given value overrides all of those: the program's numbers are
  defaults. Once a name depends on other names, it is never an input again.
- **Reading a name** gives its newest binding, else the constant ``pi`` or
  ``e``, else the name is free: an error (or, for formulas, an input
  without a value).
- **Gradients** are taken with respect to every input, even one whose name is
  later reassigned, and with respect to every other name's newest value
  (``Bindings.wrt``).
- **The output** is the variable ``--of`` names, else the last statement.
- **A given value must be used**: a name the program does not have, or one it
  computes before reading the given value, is an error that lists the inputs.

About 580 lines: the rules and the messages that explain a broken rule are
kept together, so that each rule is stated once; ``constant`` folds a value
given from outside (``--set x=pi/2``) by the rule that folds a program's numbers;
and the columns the walk fills (``Labels``, ``Args``: a big program's memory is
mostly theirs) are beside it, as their layout is the walk's hot path.
"""

from __future__ import annotations

import math
from array import array
from typing import Callable, Iterator, Mapping

from .errors import (
    GradcliError,
    GradcliSyntaxError,
    MathError,
    NothingToDifferentiateError,
    UnknownNameError,
)
from .language.ops import CONST, CONSTANTS, INPUT, Op, fold
from .language.parser import (
    APPLY,
    ASSIGN,
    EXPR,
    NAME,
    NUM,
    Program,
    is_name,
    parse,
    show_position,
    where,
)
from .text import listing, shorten

LABEL_WIDTH = 40  # node labels longer than this are shortened in the middle
MESSAGE_WIDTH = 60  # likewise for expression text in error messages
_BLOCK = 4_096  # nodes whose labels or inputs are made at a time when all are iterated


class Labels:
    """Each node's label: the name it was given (an input, an assigned variable; the first name
    stays), or else the text it comes from as written (``x * 2``, ``pi``, ``f(a): x*2`` in a
    call's body), made from the source when it is read.

    A big program's nodes are mostly unnamed: their labels, made up front, were a string each,
    a quarter of the bindings' memory. Here an unnamed node costs a None.
    """

    __slots__ = ("names", "program", "origins", "within")

    def __init__(self, program: Program, origins: array) -> None:
        #: per node: its name, or None (not named yet) for the text of the instruction ``origins[n]``
        self.names: list[str | None] = []
        self.program = program
        self.origins = origins
        self.within: list[str] | None = None  # per instruction: the calls it is in (``called_from``)

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, n: int) -> str:
        name = self.names[n]
        return name if name is not None else self._text(self.origins[n])

    def __setitem__(self, n: int, name: str) -> None:
        self.names[n] = name

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(self.names), _BLOCK):
            yield from self.between(start, start + _BLOCK)

    def between(self, start: int, stop: int) -> list[str]:
        """The labels of nodes ``start`` to ``stop`` - 1 (a block of a big program's JSON)."""
        names, origins = self.names[start:stop], self.origins[start:stop]
        if self.within is not None:  # a program with calls: their texts too
            text = self._text
            return [text(i) if name is None else name for name, i in zip(names, origins)]
        # (``_text`` without a call per label)
        source, code = self.program.source, self.program.code
        starts, ends = code.starts, code.ends
        return [_clip(source, starts[i], ends[i], LABEL_WIDTH) if name is None else name
                for name, i in zip(names, origins)]

    def _text(self, i: int) -> str:
        """The label of a node made by instruction ``i``: its text, and the calls it is in (an op's)."""
        code, source = self.program.code, self.program.source
        text = _clip(source, code.starts[i], code.ends[i], LABEL_WIDTH)
        within = self.within
        if within is None or not within[i] or code.kinds[i] != APPLY:
            return text
        return shorten(within[i] + ": " + text, LABEL_WIDTH)


class Args:
    """Each node's inputs (node numbers, in order), as columns: the first and the second in two
    arrays of machine integers (-1 where a node has fewer), the rest, for the few nodes of three
    or more (``max(a, b, c)``), in ``more``. A tuple each, as they were, took 60 bytes a node.
    ``args[n]`` is node n's inputs as a tuple."""

    __slots__ = ("xs", "ys", "more")

    def __init__(self) -> None:
        self.xs = array("q")
        self.ys = array("q")
        self.more: dict[int, tuple[int, ...]] = {}  # node -> its inputs after the second

    def append(self, args: tuple[int, ...]) -> None:
        if len(args) > 2:
            self.more[len(self.xs)] = args[2:]
        self.xs.append(args[0] if args else -1)
        self.ys.append(args[1] if len(args) > 1 else -1)

    def __len__(self) -> int:
        return len(self.xs)

    def __getitem__(self, n: int) -> tuple[int, ...]:
        x = self.xs[n]
        if x < 0:
            return ()
        y = self.ys[n]
        if y < 0:
            return (x,)
        return (x, y) if n not in self.more else (x, y, *self.more[n])

    def __iter__(self) -> Iterator[tuple[int, ...]]:
        for start in range(0, len(self.xs), _BLOCK):
            yield from self.between(start, start + _BLOCK)

    def between(self, start: int, stop: int) -> list[tuple[int, ...]]:
        """The inputs of nodes ``start`` to ``stop`` - 1 (a block of a big program's JSON)."""
        inputs: list[tuple[int, ...]] = [() if x < 0 else (x,) if y < 0 else (x, y)
                                         for x, y in zip(self.xs[start:stop], self.ys[start:stop])]
        for n, rest in self.more.items():
            if start <= n < stop:
                inputs[n - start] += rest
        return inputs

    def truncate(self, size: int) -> None:
        del self.xs[size:], self.ys[size:]
        for n in [n for n in self.more if n >= size]:
            del self.more[n]


class Bindings:
    """A program's graph, independent of what its nodes will hold, and what each name means.

    Node ``i`` is ``ops[i]`` applied to the nodes ``args[i]``; a leaf (``INPUT``
    or ``CONST``) has no args and its number in ``values[i]``. Nodes are in
    creation order, which is a topological order.
    """

    __slots__ = ("program", "ops", "args", "values", "labels", "origins", "variable", "inputs", "names",
                 "given", "output", "output_name", "_bound", "at", "overridden")

    def __init__(self, program: Program) -> None:
        self.program = program
        self.ops: list[Op] = []
        self.args = Args()
        #: a leaf's number; a node of numbers and constants only, its folded value; NaN for any other node
        #: (one that reads a name: its value is the interpretation's to compute, even when no input reaches it)
        self.values: list[float] = []
        #: the instruction each node comes from (-1: a value given from outside); machine integers,
        #: as a big program has millions
        self.origins = array("q")
        self.labels = Labels(program, self.origins)
        #: depends on an input
        self.variable: list[bool] = []
        #: every input by name, in the order bound (given values first)
        self.inputs: dict[str, int] = {}
        #: each name's newest node
        self.names: dict[str, int] = {}
        #: the names given from outside, and the option that gave each (for messages)
        self.given: dict[str, str] = {}
        self.output = -1
        self.output_name = ""
        self._bound: set[str] | None = None
        #: the node each instruction means
        self.at = array("q")
        #: the assignments ``name = number`` whose number a given value overrides (instruction indexes)
        self.overridden: list[int] = []

    def __len__(self) -> int:
        return len(self.ops)

    @property
    def bound(self) -> set[str]:
        """Every name the program binds or reads as a variable (so a formula's 'pi' can mean one
        thing): the inputs (given, assigned a number, or read free) and the names assigned."""
        if self._bound is None:
            code = self.program.code
            self._bound = set(self.inputs)
            self._bound.update([payload for kind, payload in zip(code.kinds, code.payloads) if kind == ASSIGN])
        return self._bound

    @property
    def wrt(self) -> dict[str, int]:
        """The node each name's gradient is taken with respect to: an input's own node (even
        when the name is reassigned later), else the name's newest value."""
        return dict(self.wrt_items())

    def wrt_items(self) -> Iterator[tuple[str, int]]:
        """``wrt``'s items, in its order, without a dict of them (a big program has a million)."""
        inputs = self.inputs
        yield from inputs.items()
        for name, n in self.names.items():
            if name not in inputs:
                yield name, n

    def input_values(self) -> dict[str, float]:
        return {name: self.values[n] for name, n in self.inputs.items()}

    def node(self, op: Op, args: tuple[int, ...], value: float, label: str | None, origin: int,
             variable: bool) -> int:
        """Append a node; ``label`` None: the text of instruction ``origin``."""
        self.ops.append(op)
        self.args.append(args)
        self.values.append(value)
        self.labels.names.append(label)
        self.origins.append(origin)
        self.variable.append(variable)
        return len(self.ops) - 1

    def truncate(self, size: int) -> None:
        for column in (self.ops, self.values, self.labels.names, self.origins, self.variable):
            del column[size:]
        self.args.truncate(size)


def bind(program: Program, given: Mapping[str, float] | None = None, output: str | None = None, *,
         free: bool = False, option: str | Mapping[str, str] = "--set", strict: bool = True) -> Bindings:
    """Walk ``program`` once and say what every name and statement means.

    ``given`` values bind names before the program runs (``option`` names where
    they came from, for messages: one option, or one per name). ``free=True``
    makes a name read before any binding an input without a value (NaN), as
    formulas need; otherwise it is an error. ``strict=False`` lets a given
    name the program never mentions pass (``--each-line``: one value for many
    programs).
    """
    return _Walk(program, given or {}, option, free).run(output, strict)


class _Walk:
    """The state of one ``bind``: the bindings so far, and what the rules need to remember."""

    def __init__(self, program: Program, given: Mapping[str, float], option: str | Mapping[str, str],
                 free: bool) -> None:
        b = self.b = Bindings(program)
        self.free = free
        self.read: set[int] = set()  # input nodes read so far
        for name, x in given.items():
            if not isinstance(name, str) or not is_name(name):
                raise GradcliError(f"not a valid variable name: {name!r}")
            try:
                number = float(x)
            except (TypeError, ValueError, OverflowError):
                number = math.nan
            if not math.isfinite(number) and not free:
                raise GradcliError(f"the value of {name} is not a finite number: {x!r}")
            b.given[name] = option if isinstance(option, str) else option.get(name, "--set")
            b.names[name] = b.inputs[name] = b.node(INPUT, (), number, name, -1, True)

    def run(self, output: str | None, strict: bool) -> Bindings:
        b = self.b
        program = b.program
        source, code = program.source, program.code
        kinds, payloads, firsts, inputs, starts, ends = (code.kinds, code.payloads, code.firsts, code.inputs,
                                                         code.starts, code.ends)
        names, values, read, at = b.names, b.values, self.read, b.at
        ops, variable = b.ops, b.variable
        # the walk is the hot path of a big program: the columns' appends, bound once
        add_op, add_args, add_value = ops.append, b.args.append, values.append
        add_x, add_y = b.args.xs.append, b.args.ys.append
        label_names, given = b.labels.names, b.given
        add_label, add_origin, add_variable = label_names.append, b.origins.append, variable.append
        add_at = at.append
        b.labels.within = called_from(program)  # per instruction of a call's body: the call (None: no calls)
        call_ends: dict[int, list] | None = None  # the calls whose last instruction (or argument's) is i
        if program.calls:
            call_ends = {}
            for call in program.calls:
                call_ends.setdefault(call.hi - 1, []).append(call)
        #: per instruction: the first node of its expression when that is of numbers and constants
        #: only (its nodes end the node list), else -1
        constant_from = array("q")
        add_constant_from = constant_from.append
        last: tuple[str, int] | None = None
        for i, kind in enumerate(kinds):
            if kind == APPLY:
                first = firsts[i]
                count = firsts[i + 1] - first
                args: tuple[int, ...] | None = None
                if count == 2:  # most ops: spelled out, the generic way costs a third more
                    p, q = inputs[first], inputs[first + 1]
                    x, y = at[p], at[q]
                    start = constant_from[p]
                    if start >= 0:  # (a call's body may read its arguments in any order: the earliest)
                        start = -1 if constant_from[q] < 0 else min(start, constant_from[q])
                    depends = variable[x] or variable[y]
                elif count == 1:  # sin(x), -x: likewise
                    p = inputs[first]
                    x, y = at[p], -1
                    start = constant_from[p]
                    depends = variable[x]
                else:
                    operands = inputs[first : firsts[i + 1]]
                    args = tuple([at[j] for j in operands])
                    earliest = [constant_from[j] for j in operands]
                    start = min(earliest) if min(earliest) >= 0 else -1
                    depends = any([variable[a] for a in args])
                if start >= 0:  # numbers and constants only: folded here, once
                    try:
                        value = fold(payloads[i], *[values[a] for a in args or ((x, y) if y >= 0 else (x,))])
                    except MathError as e:
                        raise located(program, i, e, lambda j: values[at[j]]) from None
                else:
                    value = math.nan
                add_variable(depends)
                n = len(ops)
                add_op(payloads[i])
                if args is None:
                    add_x(x)
                    add_y(y)
                else:
                    add_args(args)
                add_value(value)
                add_label(None)  # (its text, with the calls it is in: made when read)
                add_origin(i)
            elif kind == NAME:
                name = payloads[i]
                n = names.get(name, -1)
                start = -1
                if n >= 0:
                    if ops[n] is INPUT:
                        read.add(n)
                elif name in CONSTANTS:
                    n = start = b.node(CONST, (), CONSTANTS[name], None, i, False)  # (labelled as written)
                elif self.free:  # a formula's symbol: an input without a value
                    n = names[name] = b.inputs[name] = b.node(INPUT, (), math.nan, name, i, True)
                    read.add(n)
                else:
                    calls = program.calls_at(i)
                    called = (f", in the call {call_text(program, calls)} at {where(source, calls[-1].start)}"
                              if calls else "")
                    raise UnknownNameError(
                        f"unknown name '{shorten(name)}' at {where(source, starts[i])}{called}"
                        f" (assign it earlier in the program, or give it with --set {shorten(name)}=VALUE)",
                        detail=show_position(source, starts[i]),
                    )
            elif kind == NUM:
                n = start = len(ops)
                add_op(CONST)
                add_x(-1)
                add_y(-1)
                add_value(payloads[i])
                add_label(None)
                add_origin(i)
                add_variable(False)
            elif kind == ASSIGN:
                name = payloads[i]
                j = inputs[firsts[i]]
                n = at[j]
                if constant_from[j] < 0 and name not in given:  # most statements: a name for a node computed,
                    if label_names[n] is None:  # which ``assign`` would only label: done here, without the call
                        label_names[n] = name
                    names[name] = n
                else:
                    n = self.assign(i, name, n, constant_from[j])
                start = -1
                last = (name, n)
            else:  # EXPR: a bare expression statement, called by its text (without outer parentheses)
                j = inputs[firsts[i]]
                n = at[j]
                start = -1
                last = (_clip(source, starts[j], ends[j], LABEL_WIDTH), n)
            add_at(n)
            add_constant_from(start)
            if call_ends is not None and i in call_ends:  # a call reading a name is no number (its body may be)
                for call in call_ends[i]:
                    if any([constant_from[a] < 0 for a in call.args]):
                        constant_from[call.result] = -1
        if strict:
            self.check_given()
        b.output_name, b.output = output_of(b, output, last)
        return b

    def assign(self, i: int, name: str, n: int, constant_from: int) -> int:
        """Bind ``name`` to node ``n``, the value of the right side of assignment ``i``, by the
        rules above; returns the node the name now means.

        ``constant_from`` is the first node of a right side of numbers only (its
        nodes end the list), or -1 when the right side depends on a name. (``run`` binds the
        common case inline: a right side that depends on a name, to a name not given.)
        """
        b = self.b
        names, inputs = b.names, b.inputs
        current = names.get(name, -1)
        unread_input = current >= 0 and inputs.get(name) == current and current not in self.read
        if constant_from >= 0 and any(b.variable[constant_from:]):
            constant_from = -1  # a call's unused argument that reads a name sits among the numbers
        if constant_from >= 0 and (current < 0 or unread_input):
            if unread_input and name in b.given:
                b.truncate(constant_from)  # the given value overrides the program's number
                b.overridden.append(i)
                return current
            value = b.values[n]
            b.truncate(constant_from)  # folded to one number: the input
            if unread_input:  # set again before it was read: the old node is no input any more
                b.ops[current] = CONST
                b.variable[current] = False
            n = b.node(INPUT, (), value, name, b.program.code[i].inputs[0], True)  # placed at its number
            names[name] = inputs[name] = n
            return n
        if unread_input and name in b.given:
            ins = b.program.code[i]
            shown = listing([x for x in inputs if x != name]) or "none"
            raise GradcliError(
                f"{_who(b.given[name], name)}: the program computes '{shorten(name)}' at"
                f" {where(b.program.source, ins.start)} before it uses the given value (inputs: {shown})",
                detail=show_position(b.program.source, ins.start),
            )
        if b.labels.names[n] is None:  # the first name a node gets stays
            b.labels[n] = name
        names[name] = n
        return n

    def check_given(self) -> None:
        """Every given value is an input of the program: a name it reads, or assigns a number."""
        b = self.b
        if not b.given:
            return
        code = b.program.code
        mentioned = {payload for kind, payload in zip(code.kinds, code.payloads) if kind in (NAME, ASSIGN)}
        unused = [name for name in b.given if name not in mentioned]
        if unused:
            name = unused[0]
            shown = listing([x for x in b.inputs if x not in unused]) or "none"
            raise GradcliError(f"{_who(b.given[name], name)}: the program has no input '{shorten(name)}'"
                               f" (inputs: {shown})")


def _who(option: str, name: str) -> str:
    """How a message names a given value: '--set x', or 'x' where no option gave it (the Python API)."""
    return f"{option} {shorten(name)}" if option else shorten(name)


def output_of(b: Bindings, name: str | None, last: tuple[str, int] | None) -> tuple[str, int]:
    """The output's name and node: the variable ``name`` (--of), else the last statement ``last``."""
    if name is not None:
        if name not in b.names:
            variables = listing(list(b.names)) or "none"
            raise NothingToDifferentiateError(
                f"--of {shorten(name)}: the program has no variable '{shorten(name)}' (variables: {variables})"
            )
        return name, b.names[name]
    if last is None:
        raise NothingToDifferentiateError("nothing to differentiate: the program has no statements")
    return last


def expression(b: Bindings, n: int) -> str:
    """Node ``n`` as the program writes it (``log(x)``, shortened as labels are), though a name
    now labels it; a leaf's label. A node of a function's body says which call it is in
    (``f(a, b): x*y``)."""
    i = b.origins[n]
    if i < 0 or not b.args[n]:
        return b.labels[n]
    ins = b.program.code[i]
    text = _clip(b.program.source, ins.start, ins.end, LABEL_WIDTH)
    calls = b.program.calls_at(i)
    return shorten(call_text(b.program, calls) + ": " + text, LABEL_WIDTH) if calls else text


def called_from(program: Program) -> list[str] | None:
    """Per instruction, the calls whose body it is in (``f(a, b)``, ``g(a) › f(x, 2)``; '' for
    none), or None when the program calls no function of its own."""
    if not program.calls:
        return None
    calls: list[list] = [[] for _ in range(len(program.code))]
    for call in program.calls:  # the innermost first
        for i in range(call.lo, call.hi):
            calls[i].append(call)
    return [call_text(program, c) if c else "" for c in calls]


def call_text(program: Program, calls: list) -> str:
    """Calls, given innermost first, as their texts from the outermost in: ``g(a) › f(x, 2)``."""
    return " › ".join(_clip(program.source, c.start, c.end, LABEL_WIDTH) for c in reversed(calls))


def _clip(source: str, start: int, end: int, width: int) -> str:
    """Source text from start to end on one line, shortened in the middle past ``width``."""
    if end - start <= width:  # most labels: short, and spaced by single spaces (the fast path of a big program)
        text = source[start:end]
        if "  " not in text and "\t" not in text and "\r" not in text and "\f" not in text and "\n" not in text:
            return text
    if end - start > 4 * width:  # never copy a huge span just to shorten it
        text = source[start : start + 2 * width] + " " + source[end - 2 * width : end]
    else:
        text = source[start:end]
    return shorten(" ".join(text.split()), width)


def format_number(x: float) -> str:
    """A number as short as it reads exactly: 2.0 -> '2', 0.1 -> '0.1'."""
    return f"{x:.15g}" if x != 0 else "0"


def located(program: Program, i: int, e: MathError, value_of: Callable[[int], float],
            blame_all: bool = False, name: str = "") -> MathError:
    """A math error at instruction ``i``, naming the expression (and the input) that failed.

    ``value_of(j)`` is the value of instruction j; ``blame_all`` names every
    input (an undefined derivative of x ** y depends on both); ``name`` is the
    input's name when the failing node is an input.
    """
    ins = program.code[i]
    text = name or _clip(program.source, ins.start, ins.end, MESSAGE_WIDTH)
    message = f"{e.message} in '{text}'"
    blamed = range(len(ins.inputs)) if blame_all else [] if e.argument is None else [e.argument]
    shown = []
    for k in blamed:
        arg = program.code[ins.inputs[k]]
        if arg.kind != NUM:  # a literal's value is already in the text
            shown.append(f"{_clip(program.source, arg.start, arg.end, MESSAGE_WIDTH)} = "
                         f"{format_number(value_of(ins.inputs[k]))}")
    if shown:
        message += f" ({', '.join(shown)})"
    message += f" at {where(program.source, ins.start)}"
    calls = program.calls_at(i)
    if calls:  # the body of a function: and the call that ran it
        message += f", in the call {call_text(program, calls)} at {where(program.source, calls[-1].start)}"
    error = MathError(message, e.argument)
    error.detail = show_position(program.source, ins.start)
    return error


#: instructions a value given from outside may have (``--set x=pi/2``): a value is short
VALUE_CODE = 10_000


def constant(text: str) -> float:
    """The number a constant expression means (``2``, ``-1/3``, ``pi/2``, ``1e-3*2``, ``exp(1)``): parsed
    by the program's grammar and folded as a program folds its numbers-only expressions.

    GradcliError (exit 2) saying why when it is not one: not one expression, a
    name that is no constant, or a math error (``log(0)``), named as in a program.
    """
    try:
        program = parse(text, VALUE_CODE)
    except GradcliSyntaxError:
        raise GradcliError("not a number or an expression of numbers (such as 2, -1/3 or pi/2)") from None
    statements = [ins for ins in program.code if ins.kind in (ASSIGN, EXPR)]
    if len(statements) != 1 or statements[0].kind != EXPR:
        raise GradcliError("not a number or an expression of numbers (such as 2, -1/3 or pi/2)")
    values: list[float] = []
    for i, ins in enumerate(program.code):
        if ins.kind == NUM:
            values.append(ins.payload)
        elif ins.kind == NAME:
            if ins.payload not in CONSTANTS:
                rule = "a value is numbers, pi, e and functions of them"
                if len(program.code) == 2:  # the value is this name alone
                    raise GradcliError(rule)
                raise GradcliError(f"'{shorten(ins.payload, 20)}' is no constant ({rule})")
            values.append(CONSTANTS[ins.payload])
        elif ins.kind == APPLY:
            try:
                values.append(fold(ins.payload, *[values[j] for j in ins.inputs]))
            except MathError as e:
                raise GradcliError(located(program, i, e, values.__getitem__).message) from None
        else:
            values.append(values[ins.inputs[0]])
    return values[statements[0].inputs[0]]
