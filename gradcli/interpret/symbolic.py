"""Derivatives as formulas: the symbolic interpretation of a program's bindings.

Each node of the bindings becomes an expression (``algebra``: an input a
symbol, a constant a number or its name, an op's application simplified as it
is built); reverse mode then builds each gradient from the op table's
derivative formulas over those expressions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping

from ..bindings import Bindings, bind
from ..language.formulas import instantiate
from ..language.ops import CONSTANTS, INPUT, OPS, Op
from ..language.parser import Program
from .algebra import Algebra, Expr, FormulaTooLarge, latex_name, number_text

__all__ = ["Algebra", "Derivatives", "Expr", "FormulaTooLarge", "derivatives", "latex_name", "local_formula",
           "number_text"]


# ----- derivatives of a program ----------------------------------------------------
@dataclass
class Derivatives:
    """d(output)/d(variable) as a formula for every named variable."""

    output_name: str
    formulas: dict[str, Expr]
    #: the variables the formulas are written in (inputs, given values or free names)
    inputs: list[str]
    #: the algebra the formulas were built in: derivatives of them must be built in it too
    algebra: Algebra
    #: the names whose formula is not the output's own (d(y)/d(y) = 1): what tables show
    partials: list[str]


def derivatives(program: Program | Bindings, given: Mapping[str, float] | Iterable[str] = (),
                output: str | None = None) -> Derivatives:
    """Differentiate a program symbolically: d(output)/d(name) as a formula for every name.

    ``program`` is parsed text (bound here: ``given`` names, and names read
    without a value, become symbols) or bindings already made. Every input is
    a symbol, whatever its value; a constant is written by its name (pi) unless
    the program also has a variable of that name, then as its number.
    """
    if isinstance(program, Bindings):
        b = program
    else:
        values = given if isinstance(given, Mapping) else dict.fromkeys(given, math.nan)
        b = bind(program, values, output, free=True)
    alg = Algebra()
    exprs: list[Expr] = []
    for op, args, value, label in zip(b.ops, b.args, b.values, b.labels):
        if args:
            exprs.append(alg.apply(op, *[exprs[a] for a in args]))
        elif op is INPUT:
            exprs.append(alg.sym(label))  # an input's label is its name
        elif label in CONSTANTS and label not in b.bound:
            exprs.append(alg.constant(label, value))
        else:
            exprs.append(alg.num(value))

    # reverse mode: each node's gradient is the sum of what its users pass back,
    # summed in the order the users were created (so formulas read like the program)
    out = b.output
    contributions: dict[int, list[tuple[int, Expr]]] = {out: [(len(exprs), alg.one)]}
    total: dict[int, Expr] = {}
    for n in range(out, -1, -1):
        parts = contributions.pop(n, None)
        if parts is None:
            continue
        g = alg.zero
        for _, part in sorted(parts, key=lambda p: p[0]):
            g = alg.apply(OPS["add"], g, part)
        total[n] = g
        args = b.args[n]
        if not args or g is alg.zero:
            continue
        used = b.ops[n]
        arg_exprs = [exprs[a] for a in args]
        for k, a in enumerate(args):
            local = instantiate(used.formulas[k], arg_exprs, alg.num, alg.apply)
            contributions.setdefault(a, []).append((n, alg.apply(OPS["mul"], local, g)))
    wrt = b.wrt
    formulas = {name: total.get(n, alg.zero) for name, n in wrt.items()}
    return Derivatives(b.output_name, formulas, list(b.inputs), alg, [name for name, n in wrt.items() if n != out])


def local_formula(op: Op, k: int, labels: list[str], atomic: list[bool]) -> Expr:
    """∂op/∂(input k) written over the inputs' labels: for log(x - 1), '1/(x - 1)'."""
    alg = Algebra()
    args = [alg.sym(label, a) for label, a in zip(labels, atomic)]
    return instantiate(op.formulas[k], args, alg.num, alg.apply)
