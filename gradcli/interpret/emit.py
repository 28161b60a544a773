"""A program's value and gradient as straight-line code: the IR that ``views.source`` prints.

The emitter's interpretation of a program's bindings: each node becomes one
IR node (an input by its parameter index, a constant, or an op applied to
earlier IR nodes), interned by (op, args) so that a subexpression the engine
shares appears once. Reverse mode then appends the gradient's nodes, built
from the op table's derivative formulas (``formulas.instantiate``), exactly
as ``higher.grad(create_graph=True)`` builds them out of Values; the Hessian
is the same reverse pass run again over the IR, from each gradient node.
Only nodes that depend on an input get a gradient. Several outputs (the
Jacobian, ``jacobian_ir``) are one reverse pass each over one builder, so
that what they share is computed once.

What is folded while nodes are built, and nothing more. A rewritten node
computes the very number of the node it replaces (IEEE arithmetic is exact in
these rewrites; the exceptions are said); sharing one node where the program
has two regroups the sums of their gradients, which changes them only to
rounding:

- an application whose arguments are all constants becomes its value
  (``fold``, the engine's own forward), unless that raises: then it stays an
  application, so the printed code fails where the engine fails;
- ``x * 1``, ``x + 0`` (even for x = -0.0), ``x - 0``, ``x / 1`` and ``x ** 1``
  become ``x``; ``x ** 0`` becomes ``1`` (as in every ``pow``, even of NaN);
- ``x * 0`` and ``0 * x`` become ``0`` (as the engine, which never evaluates a
  local derivative whose upstream gradient is zero; at run time, though, an
  upstream that only happens to be zero is still multiplied, as in ``higher``);
- ``x * -1`` becomes ``-x``; a negation is absorbed where it costs nothing:
  ``a + -b`` is ``a - b``, ``-a + b`` is ``b - a`` (also for a negative number),
  ``a - -b`` is ``a + b``, ``--a`` is ``a``; ``-(a * c)`` and ``-a * c`` are ``a * -c`` for a number
  ``c``, ``-(a * -b)`` and ``-a * -b`` are ``a * b`` (and so for quotients);
- ``x / c``, for ``c`` a power of two, is ``x * (1/c)``;
- ``x ** 2`` is ``x * x``: correctly rounded, as NumPy's own ``x ** 2`` (the
  engine's ``math.pow`` may differ in the last bit, and raises OverflowError
  where the product is inf);
- ``a + b`` and ``b + a`` are one node, so are ``a * b`` and ``b * a``.

Contributions to a gradient are still summed one by one in the engine's
order: ``a + b + b`` is not ``a + 2 * b`` in floating point.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

from ..bindings import Bindings, output_of
from ..errors import GradcliError, MathError
from ..language.formulas import instantiate
from ..language.ops import CONST, INPUT, OPS, Op, fold

__all__ = ["IN", "NUMBER", "Node", "Emitted", "Builder", "value_and_grad_ir", "jacobian_ir"]

_ADD, _SUB, _MUL, _DIV, _NEG, _POW = (OPS[k] for k in ("add", "sub", "mul", "div", "neg", "pow"))
_COMMUTATIVE = (_ADD, _MUL)

#: the kinds of IR node that are not an op's application
IN = "in"  # payload: the input's parameter index
NUMBER = "number"  # payload: the constant (a finite float)


class Node(NamedTuple):
    #: an Op, or one of the leaf kinds IN and NUMBER
    op: Op | str
    args: tuple[int, ...]
    #: the parameter index of an input, or a constant's number; None for an application
    payload: int | float | None = None


class Emitted(NamedTuple):
    """Straight-line code for a program's value, gradient and (order 2) Hessian."""

    #: every node, in topological order (an application's args come before it)
    nodes: list[Node]
    #: the parameters, in the bindings' input order (given values first)
    inputs: list[str]
    output: int
    #: d(output)/d(input i), per input
    gradients: list[int]
    #: order 2: d2(output)/d(input i)d(input j), N x N (hessian[i][j] is hessian[j][i]); else None
    hessian: list[list[int]] | None
    #: the program's text, for the printed header
    source: str
    output_name: str
    #: several outputs (--of given more than once): each output's node, in order; else None.
    #: ``output``, ``gradients`` and ``output_name`` are then the first output's
    outputs: list[int] | None = None
    #: several outputs: the Jacobian, one row per output, d(output k)/d(input i) in row k; else None
    jacobian: list[list[int]] | None = None
    #: several outputs: their names, in order; else None
    output_names: list[str] | None = None


class Builder:
    """Appends interned, minimally folded IR nodes."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.depends: list[bool] = []  # depends on an input
        self._interned: dict[tuple[object, ...], int] = {}

    def _add(self, key: tuple[object, ...], node: Node, depends: bool) -> int:
        n = self._interned.get(key)
        if n is None:
            n = self._interned[key] = len(self.nodes)
            self.nodes.append(node)
            self.depends.append(depends)
        return n

    def input(self, index: int) -> int:
        return self._add((IN, index), Node(IN, (), index), True)

    def constant(self, value: float) -> int:
        value = float(value)
        return self._add((NUMBER, repr(value)), Node(NUMBER, (), value), False)  # repr: 0.0 and -0.0 differ

    def number(self, n: int) -> float | None:
        node = self.nodes[n]
        return node.payload if node.op == NUMBER else None

    def negated(self, n: int) -> int | None:
        """``a`` when node ``n`` is ``-a``; else None."""
        node = self.nodes[n]
        return node.args[0] if node.op is _NEG else None

    def _free_negation(self, n: int) -> int | None:
        """A node for ``-n`` that costs no operation (``-c`` for a number c, ``a`` for ``-a``); else None."""
        c = self.number(n)
        return self.constant(-c) if c is not None else self.negated(n)

    def apply(self, op: Op, *args: int) -> int:
        simpler = self._simpler(op, args)
        if simpler is not None:
            return simpler
        nums = [self.number(a) for a in args]
        if all(x is not None for x in nums):
            try:
                return self.constant(fold(op, *nums))  # type: ignore[arg-type]
            except MathError:
                pass  # left to fail at run time, as the engine fails
        key = tuple(sorted(args)) if op in _COMMUTATIVE else args
        return self._add((op.name, key), Node(op, tuple(args)), any(self.depends[a] for a in args))

    def _simpler(self, op: Op, args: tuple[int, ...]) -> int | None:
        """The node (found or built) that computes exactly what ``op(*args)`` does, in fewer operations."""
        a = args[0]
        if op is _NEG:
            inner = self.nodes[a]
            if inner.op is _NEG:
                return inner.args[0]  # --a
            if inner.op is _MUL or inner.op is _DIV:  # -(p * q) is p * -q, or -p * q, if that is free
                p, q = inner.args
                if (free := self._free_negation(q)) is not None:
                    return self.apply(inner.op, p, free)
                if (free := self._free_negation(p)) is not None:
                    return self.apply(inner.op, free, q)
            return None
        if len(args) != 2:
            return None
        b = args[1]
        x, y = self.number(a), self.number(b)
        na, nb = self.negated(a), self.negated(b)
        if (op is _MUL or op is _DIV) and (x is None or y is None):  # -a * b is a * -b, if that is free
            if na is not None and (free := self._free_negation(b)) is not None:
                return self.apply(op, na, free)
            if nb is not None and (free := self._free_negation(a)) is not None:
                return self.apply(op, free, nb)
        if op is _MUL:
            if x == 0.0 or y == 0.0:
                return self.constant(0.0)
            if x == 1.0 or y == 1.0:
                return b if x == 1.0 else a
            if x == -1.0 or y == -1.0:
                return self.apply(_NEG, b if x == -1.0 else a)
        elif op is _ADD or op is _SUB:
            if y == 0.0 or op is _ADD and x == 0.0:
                return a if y == 0.0 else b
            if nb is not None or y is not None and y < 0:  # a + -b is a - b, a - -b is a + b
                return self.apply(_SUB if op is _ADD else _ADD, a, self._free_negation(b))  # type: ignore[arg-type]
            if op is _ADD and (na is not None or x is not None and x < 0):  # -a + b is b - a
                return self.apply(_SUB, b, self._free_negation(a))  # type: ignore[arg-type]
        elif op is _DIV and x is None and y is not None and y != 0.0:
            if math.frexp(y)[0] in (0.5, -0.5) and math.isfinite(1.0 / y):
                return self.apply(_MUL, a, self.constant(1.0 / y))  # a power of two: 1/c is exact
        elif op is _POW and y is not None:
            if y == 1.0 or y == 0.0:
                return a if y == 1.0 else self.constant(1.0)
            if y == 2.0:
                return self.apply(_MUL, a, a)
        return None


def reverse(b: Builder, root: int, wrt: Sequence[int]) -> list[int]:
    """Reverse mode over the IR: the node of d(root)/d(w) for each w in ``wrt``, appended to ``b``.

    Contributions to a node are summed in the order they arrive (its users,
    latest first), as the engine's backward adds them.
    """
    contributions: dict[int, list[int]] = {root: [b.constant(1.0)]}
    total: dict[int, int] = {}
    for n in range(root, -1, -1):
        parts = contributions.pop(n, None)
        if parts is None:
            continue
        g = parts[0]
        for part in parts[1:]:
            g = b.apply(_ADD, g, part)
        total[n] = g
        node = b.nodes[n]
        if not node.args or b.number(g) == 0.0:
            continue
        assert isinstance(node.op, Op)
        for k, a in enumerate(node.args):
            if not b.depends[a]:
                continue  # constants need no gradient, and theirs may be undefined
            local = instantiate(node.op.formulas[k], node.args, b.constant, b.apply)
            part = b.apply(_MUL, g, local)
            if b.number(part) != 0.0:
                contributions.setdefault(a, []).append(part)
    zero = b.constant(0.0)
    return [total.get(w, zero) for w in wrt]


def _program(b: Bindings) -> tuple[Builder, list[int], list[int]]:
    """A builder holding ``b``'s nodes; the IR node of each of ``b``'s nodes; the parameters' IR nodes."""
    builder = Builder()
    index = {n: i for i, n in enumerate(b.inputs.values())}
    ir: list[int] = []
    for n, (op, args) in enumerate(zip(b.ops, b.args)):
        if op is INPUT and n in index:
            ir.append(builder.input(index[n]))
        elif op is CONST or op is INPUT:
            ir.append(builder.constant(b.values[n]))  # a literal (or an input set again before it was read)
        else:  # folded by the builder when its args are constants (b.values is NaN for some of those)
            ir.append(builder.apply(op, *[ir[a] for a in args]))
    return builder, ir, [builder.input(i) for i in range(len(index))]


def value_and_grad_ir(b: Bindings, order: int = 1) -> Emitted:
    """The IR of ``b``'s output, its gradient over ``b.inputs`` and, for ``order`` 2, its Hessian."""
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, not {order}")
    builder, ir, params = _program(b)
    output = ir[b.output]
    gradients = reverse(builder, output, params)
    hessian: list[list[int]] | None = None
    if order == 2:
        hessian = [[-1] * len(params) for _ in params]
        for i, g in enumerate(gradients):
            for j, h in enumerate(reverse(builder, g, params[i:]), i):
                hessian[i][j] = hessian[j][i] = h
    return _pruned(builder, list(b.inputs), output, gradients, hessian, b.program.source, b.output_name)


def jacobian_ir(b: Bindings, outputs: list[str]) -> Emitted:
    """The IR of several outputs (variables of ``b``'s program, each its newest value) and the Jacobian.

    One reverse pass per output over one builder, so what the outputs share
    (their intermediates, and equal terms of their gradients) is computed
    once; row k of ``jacobian`` is output k's gradient over ``b.inputs``, the
    nodes ``value_and_grad_ir`` would give for that output alone.
    """
    if not outputs:
        raise ValueError("jacobian_ir needs at least one output")
    seen: set[str] = set()
    for name in outputs:
        output_of(b, name, None)  # the message of --of for a name the program lacks
        if name in seen:
            raise GradcliError(f"--of {name} is given more than once; give each output once")
        seen.add(name)
    builder, ir, params = _program(b)
    nodes = [ir[b.names[name]] for name in outputs]
    rows = [reverse(builder, n, params) for n in nodes]
    first = _pruned(builder, list(b.inputs), nodes[0], rows[0], None, b.program.source, outputs[0],
                    nodes, rows)
    return first._replace(output_names=list(outputs))


def _pruned(builder: Builder, inputs: list[str], output: int, gradients: list[int],
            hessian: list[list[int]] | None, source: str, output_name: str,
            outputs: list[int] | None = None, jacobian: list[list[int]] | None = None) -> Emitted:
    """Only the nodes the results need (and every input, a parameter even if unused), renumbered."""
    roots = [output, *gradients, *(h for row in hessian or [] for h in row), *(outputs or []),
             *(g for row in jacobian or [] for g in row)]
    needed = set(roots)
    for n in range(max(roots, default=-1), -1, -1):
        if n in needed:
            needed.update(builder.nodes[n].args)
    new: dict[int, int] = {}
    nodes: list[Node] = []
    for n, node in enumerate(builder.nodes):
        if n in needed:
            new[n] = len(nodes)
            nodes.append(node._replace(args=tuple(new[a] for a in node.args)))
    return Emitted(nodes, inputs, new[output], [new[g] for g in gradients],
                   None if hessian is None else [[new[h] for h in row] for row in hessian], source, output_name,
                   None if outputs is None else [new[n] for n in outputs],
                   None if jacobian is None else [[new[g] for g in row] for row in jacobian])
