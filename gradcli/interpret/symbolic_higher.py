"""Second and higher derivatives as formulas: the reverse pass over expressions, applied again.

``symbolic.derivatives`` runs reverse mode over a program and gives each
first derivative as an ``Expr``. An ``Expr`` is itself a graph of op-table
ops, so the same reverse pass works on it: walk the formula's nodes from the
output back to the symbols, build each local derivative from the op table's
formulas (``formulas.instantiate``) in the same ``Algebra`` and multiply it by
the gradient coming back. ``expr_gradients`` is that pass; ``formula_table``
applies it level after level for the derivatives of order N, keyed like
``higher.derivative_table`` (sorted tuples of input names, mixed partials once),
so the formulas can be checked against its numbers. The walk is iterative: a
formula's graph can be deeper than Python's recursion limit.

The first-order formulas are taken as they are: ``formulas[name]`` must be the
derivative with respect to the symbol ``name``. That holds for every input the
program does not reassign; for a reassigned input (``x = x * 3``) it is the
derivative with respect to the node named ``x`` at the end, and its derivatives
here are not the derivatives with respect to the input ``x``.
"""

from __future__ import annotations

from typing import Sequence

from ..language.formulas import instantiate
from ..language.ops import OPS
from .symbolic import Algebra, Derivatives, Expr

_ADD, _MUL = OPS["add"], OPS["mul"]


def _reverse_order(alg: Algebra, f: Expr) -> list[Expr]:
    """The nodes of ``f`` that depend on a symbol, ``f`` first and every node before its arguments
    (a defined name's argument is what it stands for)."""
    order: list[Expr] = []
    seen = {id(f)}
    stack: list[tuple[Expr, int]] = [(f, 0)]  # node, index of the next argument to visit
    while stack:
        e, k = stack.pop()
        args = _arguments(alg, e)
        if k < len(args):
            stack.append((e, k + 1))
            a = args[k]
            if a.symbolic and id(a) not in seen:
                seen.add(id(a))
                stack.append((a, 0))
        else:
            order.append(e)  # post-order: arguments before their users
    order.reverse()
    return order


def _arguments(alg: Algebra, e: Expr) -> tuple[Expr, ...]:
    body = alg.body(e)
    return e.args if body is None else (body,)


def expr_gradients(alg: Algebra, f: Expr, wrt: Sequence[Expr]) -> list[Expr]:
    """d(f)/d(w) for each symbol ``w`` in ``wrt``, as simplified expressions built in ``alg``.

    A symbol ``f`` does not depend on gets ``alg.zero``. A name defined in
    ``alg`` passes its gradient on to what it stands for, so the derivatives
    are written in the same names. Raises ``FormulaTooLarge`` when a
    derivative grows past the algebra's limits.
    """
    if not f.symbolic:
        return [alg.zero for _ in wrt]
    order = _reverse_order(alg, f)
    # each node's gradient is the sum of what its users pass back, in the order the users come in the walk
    contributions: dict[int, list[tuple[int, Expr]]] = {id(f): [(-1, alg.one)]}
    total: dict[int, Expr] = {}
    for i, e in enumerate(order):
        parts = sorted(contributions.pop(id(e), []), key=lambda p: p[0])
        if not parts:
            continue
        g = parts[0][1]
        for _, part in parts[1:]:
            g = alg.apply(_ADD, g, part)
        total[id(e)] = g
        if g is alg.zero:
            continue
        body = alg.body(e)
        if body is not None:
            contributions.setdefault(id(body), []).append((i, g))
            continue
        if e.op is None:
            continue  # an input's symbol (numbers and named constants are never walked)
        for k, a in enumerate(e.args):
            if a.symbolic:
                local = instantiate(e.op.formulas[k], e.args, alg.num, alg.apply)
                contributions.setdefault(id(a), []).append((i, alg.apply(_MUL, local, g)))
    return [total.get(id(w), alg.zero) for w in wrt]


def formula_table(derivs: Derivatives, order: int) -> dict[tuple[str, ...], Expr]:
    """Every derivative of the output of ``order`` over ``derivs.inputs``, as formulas.

    Keys are sorted tuples of input names (sorted in the order of
    ``derivs.inputs``, e.g. ('x', 'x', 'y')), each mixed partial once, and
    every such tuple is present (``alg.zero`` where the output does not depend
    on it). Order 1 is ``derivs.formulas``; each further order differentiates
    a key's formula with respect to the inputs from the key's last one on.
    """
    if order < 1:
        raise ValueError(f"the order of a derivative is 1 or more, not {order}")
    alg = derivs.algebra
    names = derivs.inputs
    symbols = [alg.sym(name) for name in names]
    level: dict[tuple[int, ...], Expr] = {(i,): derivs.formulas[name] for i, name in enumerate(names)}
    for _ in range(order - 1):
        following: dict[tuple[int, ...], Expr] = {}
        for key, f in level.items():
            start = key[-1]  # only sorted index tuples: the rest are the same derivatives
            for j, g in enumerate(expr_gradients(alg, f, symbols[start:]), start):
                following[key + (j,)] = g
        level = following
    return {tuple(names[i] for i in key): f for key, f in level.items()}
