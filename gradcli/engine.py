"""The autodiff engine: scalar Value nodes, forward through the op table,
reverse-mode backward.

Graphs are walked with explicit stacks, never recursion, so a chain of a
million nodes works. Every edge is kept (``a + a`` has two inputs), and
``backward()`` starts all gradients from zero, so calling it twice gives the
same numbers. The API follows micrograd's: code written for micrograd runs
with ``from gradcli import Value``.
"""

from __future__ import annotations

import math
from typing import Iterable, Union

from .errors import MathError
from .ops import CONST, FUNCTIONS, INPUT, OPS, Op

Number = Union[int, float]


class Value:
    """A scalar in a computation graph: data, grad, the op that made it, its inputs."""

    __slots__ = ("data", "grad", "op", "inputs", "label", "_variable")

    def __init__(self, data: Number, label: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self.op: Op = INPUT
        self.inputs: tuple[Value, ...] = ()
        self.label = label
        #: depends on some variable (constants and their results do not)
        self._variable = True
        if not math.isfinite(self.data):
            raise MathError(f"value is not a finite number: {data!r}", None)

    # ----- building nodes -------------------------------------------------
    @classmethod
    def constant(cls, data: Number, label: str = "") -> "Value":
        """A leaf that is a fixed number (a literal, pi), not a variable."""
        v = cls(data, label)
        v.op = CONST
        v._variable = False
        return v

    @classmethod
    def apply(cls, op: Op, *inputs: "Value") -> "Value":
        """The node ``op(*inputs)``; raises MathError when the result is not finite."""
        out = cls.__new__(cls)
        out.data = compute(op, inputs)
        out.grad = 0.0
        out.op = op
        out.inputs = inputs
        out.label = ""
        out._variable = any(v._variable for v in inputs)
        return out

    # ----- micrograd-compatible operators ---------------------------------
    def __add__(self, other: "Value | Number") -> "Value":
        return Value.apply(OPS["add"], self, _wrap(other))

    def __radd__(self, other: Number) -> "Value":
        return Value.apply(OPS["add"], _wrap(other), self)

    def __sub__(self, other: "Value | Number") -> "Value":
        return Value.apply(OPS["sub"], self, _wrap(other))

    def __rsub__(self, other: Number) -> "Value":
        return Value.apply(OPS["sub"], _wrap(other), self)

    def __mul__(self, other: "Value | Number") -> "Value":
        return Value.apply(OPS["mul"], self, _wrap(other))

    def __rmul__(self, other: Number) -> "Value":
        return Value.apply(OPS["mul"], _wrap(other), self)

    def __truediv__(self, other: "Value | Number") -> "Value":
        return Value.apply(OPS["div"], self, _wrap(other))

    def __rtruediv__(self, other: Number) -> "Value":
        return Value.apply(OPS["div"], _wrap(other), self)

    def __pow__(self, other: "Value | Number") -> "Value":
        return Value.apply(OPS["pow"], self, _wrap(other))

    def __rpow__(self, other: Number) -> "Value":
        return Value.apply(OPS["pow"], _wrap(other), self)

    def __neg__(self) -> "Value":
        return Value.apply(OPS["neg"], self)

    def __pos__(self) -> "Value":
        return self

    def exp(self) -> "Value":
        return Value.apply(FUNCTIONS["exp"], self)

    def log(self) -> "Value":
        return Value.apply(FUNCTIONS["log"], self)

    def tanh(self) -> "Value":
        return Value.apply(FUNCTIONS["tanh"], self)

    def relu(self) -> "Value":
        return Value.apply(FUNCTIONS["relu"], self)

    def sigmoid(self) -> "Value":
        return Value.apply(FUNCTIONS["sigmoid"], self)

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


def compute(op: Op, inputs: tuple[Value, ...]) -> float:
    """``op``'s forward value at its inputs' data; MathError unless it is finite."""
    try:
        data = op.forward(*[v.data for v in inputs])
    except OverflowError:
        raise MathError("overflow", None) from None
    except (ValueError, ZeroDivisionError):
        raise MathError(f"{op.name} is not defined for these arguments", None) from None
    if not math.isfinite(data):
        raise MathError("overflow", None)
    return data


def forward(nodes: Iterable[Value]) -> None:
    """Recompute every node's data from its inputs (``nodes`` in topological order),
    after leaves' data changed."""
    for v in nodes:
        if v.inputs:
            v.data = compute(v.op, v.inputs)


def _wrap(x: "Value | Number") -> Value:
    return x if isinstance(x, Value) else Value.constant(x)


def topological_order(root: Value) -> list[Value]:
    """Every node that ``root`` depends on, inputs before the nodes that use them.

    An iterative depth-first walk (no recursion), visiting inputs in order, so
    the order is the same on every run.
    """
    order: list[Value] = []
    seen = {root}
    stack = [(root, iter(root.inputs))]
    while stack:
        node, pending = stack[-1]
        for child in pending:
            if child not in seen:
                seen.add(child)
                stack.append((child, iter(child.inputs)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


class GradientError(MathError):
    """A gradient that is not a finite number, at ``node`` (and its input ``argument``)."""

    def __init__(self, message: str, node: Value, argument: int | None) -> None:
        super().__init__(message, argument)
        self.node = node


def backward(root: Value, order: Iterable[Value] | None = None) -> None:
    """Reverse-mode differentiation: every node's grad becomes d(root)/d(node).

    Grads start from zero on every call. A local derivative that is undefined
    (sqrt at 0, the exponent of a negative base) raises GradientError when
    the input it flows into depends on a variable; flowing into a constant
    (as in ``x ** 2`` at x < 0), it leaves that constant's grad NaN.
    """
    nodes = topological_order(root) if order is None else list(order)
    for v in nodes:
        v.grad = 0.0
    root.grad = 1.0
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
        if math.isinf(v.grad) or (math.isnan(v.grad) and v._variable):
            raise GradientError("gradient overflow", v, None)
