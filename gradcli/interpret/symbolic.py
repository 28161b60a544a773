"""Derivatives as formulas: the symbolic interpretation of a program's bindings.

Each node of the bindings becomes an expression (``algebra``: an input a
symbol, a constant a number or its name, an op's application simplified as it
is built); reverse mode then builds each gradient from the op table's
derivative formulas over those expressions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from ..bindings import Bindings, bind
from ..language.formulas import instantiate
from ..language.ops import CONSTANTS, INPUT, OPS, Op
from ..language.parser import Program, is_name
from .algebra import Algebra, Expr, FormulaTooLarge, latex_name, number_text
from .cse import name_repeats, reorder
from .tidy import Tidy

__all__ = ["Algebra", "Derivatives", "Expr", "FormulaTooLarge", "definitions", "derivatives", "latex_name",
           "local_formula", "number_text"]


# ----- derivatives of a program ----------------------------------------------------
@dataclass
class Derivatives:
    """d(output)/d(variable) as a formula for every named variable.

    Unless expanded, the formulas are written in the program's own names (and
    ``t1, t2, ...`` for derivatives used more than once): ``definitions`` gives
    what each of those names stands for.
    """

    output_name: str
    formulas: dict[str, Expr]
    #: the variables the formulas are written in (inputs, given values or free names)
    inputs: list[str]
    #: the algebra the formulas were built in: derivatives of them must be built in it too
    algebra: Algebra
    #: the names whose formula is not the output's own (d(y)/d(y) = 1): what tables show
    partials: list[str]
    #: a variable whose derivative other formulas use by a generated name: variable -> that name (t1)
    named: dict[str, str] = field(default_factory=dict)
    expanded: bool = False

    def definitions(self, roots: Iterable[Expr] | None = None) -> list[tuple[str, Expr]]:
        """The names ``roots`` (default: the partials' formulas) are written in, each with what it
        stands for, in an order where each definition reads only inputs and earlier ones."""
        if roots is None:
            roots = [self.formulas[name] for name in self.partials]
        return definitions(self.algebra, roots)


def definitions(alg: Algebra, roots: Iterable[Expr]) -> list[tuple[str, Expr]]:
    """The defined names that ``roots`` need, directly or through other definitions, in the order defined."""
    needed: set[int] = set()
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        e = stack.pop()
        if id(e) in seen or not e.symbolic:
            continue
        seen.add(id(e))
        body = alg.body(e)
        if body is not None:
            needed.add(id(e))
            stack.append(body)
        stack.extend(e.args)
    return [(s.text, alg.bodies[id(s)]) for s in alg.defined if id(s) in needed]


def derivatives(program: Program | Bindings, given: Mapping[str, float] | Iterable[str] = (),
                output: str | None = None, *, expand: bool = False, algebra: Algebra | None = None) -> Derivatives:
    """Differentiate a program symbolically: d(output)/d(name) as a formula for every name.

    ``program`` is parsed text (bound here: ``given`` names, and names read
    without a value, become symbols) or bindings already made. Every input is
    a symbol, whatever its value; a constant is written by its name (pi) unless
    the program also has a variable of that name, then as its number.

    The formulas are written in the program's names: each statement's variable
    is a symbol defined as its expression, and a variable's derivative that is
    passed on to others is named (``t1``). So each formula is about as long as
    the statements it goes through, not as long as the whole program written
    out. ``expand=True`` writes every formula in the inputs alone. Formulas of
    several calls (the outputs of a Jacobian) share names in a shared ``algebra``.
    """
    if isinstance(program, Bindings):
        b = program
    else:
        values = given if isinstance(given, Mapping) else dict.fromkeys(given, math.nan)
        b = bind(program, values, output, free=True)
    alg = algebra or Algebra()
    tidy = Tidy(alg)
    names = None if expand else _Names(b, alg)
    exprs: list[Expr] = []
    for n, (op, args, value, label) in enumerate(zip(b.ops, b.args, b.values, b.labels)):
        if args:
            e = alg.apply(op, *[exprs[a] for a in args])
            if names is not None and e.symbolic and e.op is not None and is_name(label):
                e = alg.define(names.variable(label), e)
            exprs.append(e)
        elif op is INPUT:
            exprs.append(alg.sym(label))  # an input's label is its name
        elif label in CONSTANTS and label not in b.bound:
            exprs.append(alg.constant(label, value))
        else:
            exprs.append(alg.num(value))

    # reverse mode: each node's gradient is the sum of what its users pass back,
    # summed in the order the users were created (so formulas read like the program)
    out = b.output
    wrt = b.wrt
    rows = {n: name for name, n in wrt.items() if n != out}
    # whether a node's gradient is shown, or passed on to one that is: only those are computed
    shown = [b.variable[n] or n in rows for n in range(len(b.ops))]
    for n, args in enumerate(b.args):
        shown[n] = shown[n] or any(shown[a] for a in args)
    contributions: dict[int, list[tuple[int, Expr]]] = {out: [(len(exprs), alg.one)]}
    total: dict[int, Expr] = {}
    named: dict[str, str] = {}
    for n in range(out, -1, -1):
        parts = contributions.pop(n, None)
        if parts is None:
            continue
        g = alg.zero
        for _, part in sorted(parts, key=lambda p: p[0]):
            g = alg.apply(OPS["add"], g, part)
        if len(parts) > 1 or n in rows:  # shown, or a sum whose terms may meet
            g = tidy(g)
        total[n] = g
        args = b.args[n]
        if not args or g is alg.zero:
            continue
        if names is not None and n in rows and _worth_naming(g, sum(b.variable[a] for a in args)):
            # the row shows g, and g is passed on: the formulas below use its name
            g = alg.define(names.generated(), g)
            named[rows[n]] = g.text
        used = b.ops[n]
        arg_exprs = [exprs[a] for a in args]
        for k, a in enumerate(args):
            if not shown[a]:
                continue  # nothing below this argument has a gradient anyone sees
            local = instantiate(used.formulas[k], arg_exprs, alg.num, alg.apply)
            contributions.setdefault(a, []).append((n, alg.apply(OPS["mul"], local, g)))
    formulas = {name: total.get(n, alg.zero) for name, n in wrt.items()}
    partials = [name for name, n in wrt.items() if n != out]
    if names is not None:  # pieces the formulas repeat, named where that is shorter
        roots = name_repeats(alg, [formulas[name] for name in partials], names.generated)
        changed = False
        for name, root in zip(partials, roots):
            if root is not formulas[name]:
                formulas[name], changed = root, True
                if name in named:
                    alg.redefine(alg.sym(named[name]), root)
        if changed:
            reorder(alg)
    return Derivatives(b.output_name, formulas, list(b.inputs), alg, partials, named, expand)


def _worth_naming(g: Expr, uses: int) -> bool:
    """Whether a gradient passed on to ``uses`` inputs reads better by a name: when it is used more than
    once and is more than a number, a symbol or -1/p, or when it is long. Used once and short, it stays
    in the formula it goes to, where it can cancel (p*(1 - p)*(-y/p + ...) -> p - y)."""
    if uses == 0 or g.op is None:
        return False
    return len(g.text) > (6 if uses > 1 else 40)


class _Names:
    """Names for definitions: a variable keeps its own unless the program binds it more than once
    (then x_1, x_2, ...), and generated ones are t1, t2, ...; none is a name the program uses."""

    def __init__(self, b: Bindings, alg: Algebra) -> None:
        self.alg = alg
        self.taken = set(b.bound) | set(b.inputs) | set(CONSTANTS) | set(OPS) | set(b.labels)
        self.taken.update(s.text for s in alg.defined)
        self.last: dict[str, int] = {}  # the number in the last name given with each prefix
        bindings: dict[str, int] = {}
        for args, label in zip(b.args, b.labels):
            if args and is_name(label):
                bindings[label] = bindings.get(label, 0) + 1
        #: names bound by one statement only, and not inputs: they name their definition as they are
        self.once = {name for name, k in bindings.items() if k == 1 and name not in b.inputs}

    def variable(self, label: str) -> str:
        if label in self.once and id(self.alg.sym(label)) not in self.alg.bodies:
            return label
        return self._fresh(label + "_")

    def generated(self) -> str:
        return self._fresh("t")

    def _fresh(self, prefix: str) -> str:
        k = self.last.get(prefix, 0) + 1
        while f"{prefix}{k}" in self.taken:
            k += 1
        self.last[prefix] = k
        name = f"{prefix}{k}"
        self.taken.add(name)
        return name


def local_formula(op: Op, k: int, labels: list[str], atomic: list[bool]) -> Expr:
    """∂op/∂(input k) written over the inputs' labels: for log(x - 1), '1/(x - 1)'."""
    alg = Algebra()
    args = [alg.sym(label, a) for label, a in zip(labels, atomic)]
    return instantiate(op.formulas[k], args, alg.num, alg.apply)
