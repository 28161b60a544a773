"""The autodiff engine: scalar Value nodes, forward through the op table,
reverse-mode backward.

Graphs are walked with explicit stacks, never recursion, so a chain of a
million nodes works. Every edge is kept (``a + a`` has two inputs), and
``backward()`` starts all gradients from zero, so calling it twice gives the
same numbers. The API follows micrograd's: code written for micrograd runs
with ``from gradcli import Value``.

About 300 lines: the micrograd-compatible operators are a method each, and the
two backward passes (fast, then checked) belong beside the Value they walk.

Most ops take one or two inputs. Building nodes and backward are the hot
paths of code written for micrograd, so they handle those two cases directly,
with no argument lists; a call of more arguments (``max(a, b, c)``) keeps
the rest in the one more slot of a subclass (``NaryValue``), so other nodes are
no larger, and takes the general path. What each op computes still comes from
the op table.
"""

from __future__ import annotations

import math
from operator import attrgetter
from typing import Iterable, Union

from ..errors import MathError
from ..language.ops import CONST, FUNCTIONS, INPUT, OPS, Op, fold, forward_error

Number = Union[int, float]

_ADD, _SUB, _MUL, _DIV, _POW, _NEG = (OPS[name] for name in ("add", "sub", "mul", "div", "pow", "neg"))
_isfinite = math.isfinite
_new = object.__new__


class Value:
    """A scalar in a computation graph: data, grad, the op that made it, its inputs."""

    # The inputs live in two slots rather than a tuple: one object fewer per node
    # for Python's cyclic garbage collector, the largest cost of building big graphs.
    __slots__ = ("data", "grad", "op", "_x", "_y", "label", "_variable")

    #: the inputs after the second (``max(a, b, c)``): a slot of ``NaryValue`` only, so that
    #: the many nodes of one or two inputs are no larger for the few of more
    _more: tuple["Value", ...] | None = None

    def __init__(self, data: Number, label: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self.op: Op = INPUT
        #: the first and second input (None where the op has fewer)
        self._x: Value | None = None
        self._y: Value | None = None
        self.label = label
        #: depends on some variable (constants and their results do not)
        self._variable = True
        if not _isfinite(self.data):
            raise MathError(f"value is not a finite number: {data!r}", None)

    # ----- building nodes -------------------------------------------------
    @staticmethod
    def constant(data: Number, label: str = "") -> "Value":
        """A leaf that is a fixed number (a literal, pi), not a variable."""
        x = float(data)
        if not _isfinite(x):
            raise MathError(f"value is not a finite number: {data!r}", None)
        v = _new(Value)
        v.data = x
        v.grad = 0.0
        v.op = CONST
        v._x = v._y = None
        v.label = label
        v._variable = False
        return v

    @staticmethod
    def apply(op: Op, *inputs: "Value") -> "Value":
        """The node ``op(*inputs)`` (one or more inputs); MathError when the result is not finite."""
        if len(inputs) == 2:
            return binary(op, *inputs)
        if len(inputs) == 1:
            return unary(op, *inputs)
        if len(inputs) > 2 and len(inputs) == op.arity:
            return nary(op, inputs)
        raise TypeError(f"a node has one or more inputs, not {len(inputs)} ({op.name})")

    # ----- micrograd-compatible operators ---------------------------------
    # (isinstance inline rather than a helper: these run once per node built)
    def __add__(self, other: "Value | Number") -> "Value":
        return binary(_ADD, self, other if isinstance(other, Value) else Value.constant(other))

    def __radd__(self, other: Number) -> "Value":
        return binary(_ADD, Value.constant(other), self)

    def __sub__(self, other: "Value | Number") -> "Value":
        return binary(_SUB, self, other if isinstance(other, Value) else Value.constant(other))

    def __rsub__(self, other: Number) -> "Value":
        return binary(_SUB, Value.constant(other), self)

    def __mul__(self, other: "Value | Number") -> "Value":
        return binary(_MUL, self, other if isinstance(other, Value) else Value.constant(other))

    def __rmul__(self, other: Number) -> "Value":
        return binary(_MUL, Value.constant(other), self)

    def __truediv__(self, other: "Value | Number") -> "Value":
        return binary(_DIV, self, other if isinstance(other, Value) else Value.constant(other))

    def __rtruediv__(self, other: Number) -> "Value":
        return binary(_DIV, Value.constant(other), self)

    def __pow__(self, other: "Value | Number") -> "Value":
        return binary(_POW, self, other if isinstance(other, Value) else Value.constant(other))

    def __rpow__(self, other: Number) -> "Value":
        return binary(_POW, Value.constant(other), self)

    def __neg__(self) -> "Value":
        return unary(_NEG, self)

    def __pos__(self) -> "Value":
        return self

    def exp(self) -> "Value":
        return unary(FUNCTIONS["exp"], self)

    def log(self) -> "Value":
        return unary(FUNCTIONS["log"], self)

    def tanh(self) -> "Value":
        return unary(FUNCTIONS["tanh"], self)

    def relu(self) -> "Value":
        return unary(FUNCTIONS["relu"], self)

    def sigmoid(self) -> "Value":
        return unary(FUNCTIONS["sigmoid"], self)

    @property
    def inputs(self) -> tuple["Value", ...]:
        """The op's inputs in order, one per edge (``a + a`` has two)."""
        x, y = self._x, self._y
        if x is None:
            return ()
        if y is None:
            return (x,)
        return (x, y) if self._more is None else (x, y, *self._more)

    # micrograd's private names, which drawing code written for it reads
    @property
    def _prev(self) -> tuple["Value", ...]:
        return self.inputs

    @property
    def _op(self) -> str:
        return self.op.symbol

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # ----- backward -------------------------------------------------------
    def backward(self) -> None:
        """Set every node's grad to d(self)/d(node), starting from zero."""
        backward(self)


# Nodes are made with object.__new__ and their slots set one by one: with
# __init__ (one more call, and a check of data) building a graph is slower.


def binary(op: Op, a: Value, b: Value) -> Value:
    """``op(a, b)``: Value.apply for two inputs, without an argument list."""
    try:
        data = op.forward(a.data, b.data)
    except (OverflowError, ValueError, ZeroDivisionError) as e:
        raise forward_error(op, e) from None
    if not _isfinite(data):
        raise MathError("overflow", None)
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.op = op
    out._x = a
    out._y = b
    out.label = ""
    out._variable = a._variable or b._variable
    return out


def unary(op: Op, a: Value) -> Value:
    """``op(a)``: Value.apply for one input, without an argument list."""
    try:
        data = op.forward(a.data)
    except (OverflowError, ValueError, ZeroDivisionError) as e:
        raise forward_error(op, e) from None
    if not _isfinite(data):
        raise MathError("overflow", None)
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.op = op
    out._x = a
    out._y = None
    out.label = ""
    out._variable = a._variable
    return out


class NaryValue(Value):
    """A node of three inputs or more (``max(a, b, c)``): a Value with a slot for the rest."""

    __slots__ = ("_more",)


def nary(op: Op, inputs: tuple[Value, ...]) -> Value:
    """``op(*inputs)`` for three inputs or more (``max(a, b, c)``): one node, one edge per input."""
    out = _new(NaryValue)
    out.data = compute(op, inputs)
    out.grad = 0.0
    out.op = op
    out._x, out._y, *more = inputs
    out._more = tuple(more)
    out.label = ""
    out._variable = any(v._variable for v in inputs)
    return out


def compute(op: Op, inputs: tuple[Value, ...]) -> float:
    """``op``'s forward value at its inputs' data; MathError unless it is finite."""
    return fold(op, *[v.data for v in inputs])


def forward(nodes: Iterable[Value]) -> None:
    """Recompute every node's data from its inputs (``nodes`` in topological order),
    after leaves' data changed; ForwardError names the node that could not be computed."""
    v = None
    try:
        for v in nodes:
            inputs = v.inputs
            if inputs:
                v.data = compute(v.op, inputs)
    except MathError as e:
        assert v is not None
        raise ForwardError(e.message, v, e.argument) from None


class ForwardError(MathError):
    """A value that could not be computed (out of its op's domain, or not finite), at ``node``."""

    def __init__(self, message: str, node: Value, argument: int | None) -> None:
        super().__init__(message, argument)
        self.node = node


def topological_order(root: Value) -> list[Value]:
    """Every node that ``root`` depends on, inputs before the nodes that use them.

    An iterative depth-first walk (no recursion), visiting inputs in order, so
    the order is the same on every run.
    """
    order: list[Value] = []
    seen = {root}
    stack = [root]
    while stack:
        node = stack[-1]
        # push the first input not seen yet; once there is none, the node is done
        x = node._x
        if x is not None and x not in seen:
            seen.add(x)
            stack.append(x)
            continue
        y = node._y
        if y is not None:
            if y not in seen:
                seen.add(y)
                stack.append(y)
                continue
            if node._more is not None:  # max(a, b, c): the inputs past the second
                u = next((u for u in node._more if u not in seen), None)
                if u is not None:
                    seen.add(u)
                    stack.append(u)
                    continue
        order.append(stack.pop())
    return order


class GradientError(MathError):
    """A gradient that is not a finite number, at ``node`` (and its input ``argument``)."""

    def __init__(self, message: str, node: Value, argument: int | None) -> None:
        super().__init__(message, argument)
        self.node = node


_grad_of = attrgetter("grad")


def backward(root: Value, order: Iterable[Value] | None = None) -> None:
    """Reverse-mode differentiation: every node's grad becomes d(root)/d(node).

    Grads start from zero on every call. A local derivative that is undefined
    (sqrt at 0, the exponent of a negative base) raises GradientError when
    the input it flows into depends on a variable; flowing into a constant
    (as in ``x ** 2`` at x < 0), it leaves that constant's grad NaN.
    """
    nodes = topological_order(root) if order is None else list(order)
    # The fast pass checks nothing. A NaN or infinity, once in a grad, stays there
    # (no sum or product makes it finite again), so the sum of all grads is finite
    # unless something went wrong; then the careful pass redoes the work, raising
    # the error it finds or allowing NaN in constants. (A sum that merely
    # overflows costs a needless careful pass, nothing more.)
    if not _backward_fast(root, nodes) or not _isfinite(sum(map(_grad_of, nodes))):
        _backward_checked(root, nodes)


def _reset(root: Value, nodes: list[Value]) -> None:
    for v in nodes:
        v.grad = 0.0
    root.grad = 1.0


def _backward_fast(root: Value, nodes: list[Value]) -> bool:
    """The chain rule with no checks, for nodes of one or two inputs; False when a derivative rule
    raised, or a node has more inputs (``max(a, b, c)``: the checked pass takes those)."""
    _reset(root, nodes)
    try:
        for v in reversed(nodes):
            upstream = v.grad
            x = v._x
            if upstream == 0.0 or x is None:
                continue  # nothing flows back
            y = v._y
            if y is None:
                x.grad += upstream * v.op.derivatives[0](v.data, x.data)
            else:
                # (a node of three inputs or more has three rules or more: the unpacking raises
                # ValueError, and the checked pass, which takes any number, does the work)
                dx, dy = v.op.derivatives
                xdata, ydata = x.data, y.data
                x.grad += upstream * dx(v.data, xdata, ydata)
                y.grad += upstream * dy(v.data, xdata, ydata)
    except (ValueError, ZeroDivisionError, OverflowError):
        return False
    return True


def _backward_checked(root: Value, nodes: list[Value]) -> None:
    """The chain rule checking every local derivative and, at the end, every grad."""
    _reset(root, nodes)
    for v in reversed(nodes):
        upstream = v.grad
        if upstream == 0.0 or not v.inputs:
            continue  # nothing flows back (and 0 × undefined must not fail)
        args = [i.data for i in v.inputs]
        for k, (inp, rule) in enumerate(zip(v.inputs, v.op.derivatives)):
            try:
                local = rule(v.data, *args)
            except (ValueError, ZeroDivisionError, OverflowError):
                local = math.nan
            if not math.isfinite(local) and inp._variable:
                raise GradientError(f"derivative of {v.op.name} is undefined", v, k)
            inp.grad += upstream * local
    for v in nodes:
        # a constant's grad may overflow (d/dy of x**2 at a large x): nothing depends on it
        if v._variable and not math.isfinite(v.grad):
            raise GradientError("gradient overflow", v, None)
