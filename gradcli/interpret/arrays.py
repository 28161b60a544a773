"""A program's numbers without a Value per node: forward and backward over its bindings, in arrays.

The engine's ``Value`` is the library's node (micrograd's API): one Python object per
value, with its data and its grad as two more objects. A program's interpretation needs
neither: its graph is already in its ``Bindings`` (each node's op and inputs), so each
node's data and grad are one float each in two ``array('d')``, 16 bytes a node where
Values take about 140. A program of a million statements is nearly four million nodes,
so that is the difference between half a gigabyte and sixty megabytes; and there are
four million fewer objects to make. ``program.Result`` keeps the arrays, and makes the
Values only when a view or the Python API asks for them (a picture, a tree).

The rules are the engine's, read from the same op table (each op's forward function and
derivative rules), and the same to the bit: the same float operations in the same order,
as ``tests/test_arrays.py`` checks against the engine on random programs, errors included:

- forward: an input or a constant that is not a finite number, an op outside its domain
  or overflowing, is a MathError at that node;
- backward: a fast pass with no checks, then, if a rule raised or any grad is not finite,
  a checked pass: an undefined local derivative flowing into a node that depends on a
  variable is an error; flowing into a constant it leaves that constant's grad NaN;
  a variable's grad that overflows is an error.
"""

from __future__ import annotations

import math
from array import array
from typing import Mapping

from ..bindings import Bindings
from ..errors import MathError
from ..language.ops import INPUT, fold, forward_error

_isfinite = math.isfinite


class NodeError(MathError):
    """A math error at node ``n`` (``backward``: found by the backward pass)."""

    def __init__(self, message: str, argument: int | None, n: int, backward: bool = False) -> None:
        super().__init__(message, argument)
        self.n = n
        self.backward = backward


def forward(b: Bindings, data: array, values: Mapping[int, float] | None = None) -> None:
    """Append every node's value to ``data`` (empty), in creation order; ``values`` replace
    inputs' numbers by node. NodeError at the first node that cannot be computed (``data``
    then holds the nodes before it)."""
    append = data.append
    overrides = values or {}
    more = b.args.more  # the inputs after the second of the few nodes of three or more
    n = 0
    try:
        for n, (op, x, y, value) in enumerate(zip(b.ops, b.args.xs, b.args.ys, b.values)):
            if x < 0:  # a leaf: an input (perhaps given a value here) or a constant
                given = overrides.get(n, value) if op is INPUT else value
                number = float(given)
                if not _isfinite(number):
                    raise MathError(f"value is not a finite number: {given!r}", None)
                append(number)
                continue
            if more and n in more:  # max(a, b, c)
                append(fold(op, data[x], data[y], *[data[a] for a in more[n]]))
                continue
            try:
                number = op.forward(data[x]) if y < 0 else op.forward(data[x], data[y])
            except (OverflowError, ValueError, ZeroDivisionError) as e:
                raise forward_error(op, e) from None
            if not _isfinite(number):
                raise MathError("overflow", None)
            append(number)
    except MathError as e:
        raise NodeError(e.message, e.argument, n) from None


def backward(b: Bindings, data: array, root: int) -> array:
    """Every node's d(root)/d(node), from every node's ``data``: the fast pass, and the checked
    one where it is needed. NodeError (``backward`` set) where a gradient is undefined."""
    grads = _fast(b, data, root)
    if grads is None or not _isfinite(sum(grads)):
        grads = _checked(b, data, root)
    return grads


def _zeros(size: int, root: int) -> array:
    grads = array("d", bytes(8 * size))
    grads[root] = 1.0
    return grads


def _fast(b: Bindings, data: array, root: int) -> array | None:
    """The chain rule with no checks, for nodes of one or two inputs; None where a rule raised
    or a node has more inputs (the checked pass takes those)."""
    grads = _zeros(len(data), root)
    ops, xs, ys, more = b.ops, b.args.xs, b.args.ys, b.args.more
    try:
        for n in range(len(data) - 1, -1, -1):
            upstream = grads[n]
            if upstream == 0.0:
                continue  # nothing flows back
            x = xs[n]
            if x < 0:
                continue  # a leaf
            y = ys[n]
            if y < 0:
                grads[x] += upstream * ops[n].derivatives[0](data[n], data[x])
            elif more and n in more:
                return None  # three inputs or more: the checked pass does the work
            else:
                dx, dy = ops[n].derivatives
                xdata, ydata = data[x], data[y]
                grads[x] += upstream * dx(data[n], xdata, ydata)
                grads[y] += upstream * dy(data[n], xdata, ydata)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    return grads


def _checked(b: Bindings, data: array, root: int) -> array:
    """The chain rule checking every local derivative and, at the end, every grad."""
    grads = _zeros(len(data), root)
    ops, args, variable = b.ops, b.args, b.variable
    for n in range(len(data) - 1, -1, -1):
        upstream = grads[n]
        a = args[n]
        if upstream == 0.0 or not a:
            continue  # nothing flows back (and 0 × undefined must not fail)
        inputs = [data[i] for i in a]
        for k, (i, rule) in enumerate(zip(a, ops[n].derivatives)):
            try:
                local = rule(data[n], *inputs)
            except (ValueError, ZeroDivisionError, OverflowError):
                local = math.nan
            if not _isfinite(local) and variable[i]:
                raise NodeError(f"derivative of {ops[n].name} is undefined", k, n, backward=True)
            grads[i] += upstream * local
    for n, grad in enumerate(grads):
        # a constant's grad may overflow (d/dy of x**2 at a large x): nothing depends on it
        if variable[n] and not _isfinite(grad):
            raise NodeError("gradient overflow", None, n, backward=True)
    return grads
