"""Rational simplification of a formula: one fraction, like terms combined over it, printed shortest.

``algebra``'s rules simplify each node as it is built, locally; ``tidy`` looks
at a finished formula as a whole, as SymPy's ``simplify`` does. Each node
becomes a ``poly.Fac`` (a number times powers of atoms and of factors, exact):
a symbol or a function application (its arguments tidied first) is an atom,
exp(a + b) is exp(a)*exp(b) so that shared exponentials come out of a sum
(exp(c*log(u)) is u**c), and sums are taken over a common denominator with
what cancels cancelled. Each node is then written back the shortest of a few
ways (as it was with its parts tidied; factored, a sum's factors scaled to
whole numbers or not, its sign taken into a factor; multiplied out above the
bar; grouped by an atom), so a formula never gets longer. A sum is written
with a positive term first: p - y, never -y + p.

The walk is iterative, children first. A node whose polynomial would grow
past ``poly.MAX_TERMS`` terms stays as it is (an atom). Writing a node out
costs more than finding its rational form, so a node is written out only
where that may be shorter (``_may_read_shorter``); how is ``tidy_write``.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from ..language.ops import OPS
from .algebra import Algebra, FormulaTooLarge
from .expr import Expr
from .poly import Fac, TooLarge
from .tidy_write import Writer, _length

_ADD, _SUB, _MUL, _DIV, _POW, _NEG, _EXP = (OPS[n] for n in ("add", "sub", "mul", "div", "pow", "neg", "exp"))
ONE, MINUS_ONE = Fraction(1), Fraction(-1)
_LONG_NUMBER = re.compile(r"\d\.\d{7}")
_PRINTED = (_ADD, _SUB, _DIV)  # the nodes written back from their rational form, besides a formula itself
MAX_PRINTED = 40  # terms of a node's factors beyond which it is not written back another way


def fraction(v: float) -> Fraction:
    """v exactly, or the simple fraction that is the same double (0.1 -> 1/10, 1/12.0 -> 1/12)."""
    f = Fraction(v)
    if f.denominator > 1:
        simple = f.limit_denominator(10_000)
        if float(simple) == v:
            return simple
    return f


class Tidy(Writer):
    """Tidies formulas built in one ``Algebra``; atoms and factors are shared between calls."""

    def __init__(self, alg: Algebra) -> None:
        super().__init__(alg)
        self._atoms: dict[object, int] = {}
        self.fac: dict[int, Fac] = {}  # id(expr) -> its rational form
        self.best: dict[int, Expr] = {}  # id(expr) -> its shortest form

    def __call__(self, root: Expr) -> Expr:
        for e in self._postorder(root):
            self._visit(e, e is root)
        return self.best[id(root)]

    def _postorder(self, root: Expr) -> list[Expr]:
        order: list[Expr] = []
        stack: list[tuple[Expr, bool]] = [(root, False)]
        seen: set[int] = set()
        known = self.best
        while stack:
            e, done = stack.pop()
            if done:
                order.append(e)
                continue
            if id(e) in seen or id(e) in known:
                continue
            seen.add(id(e))
            stack.append((e, True))
            stack.extend((a, False) for a in reversed(e.args) if id(a) not in seen and id(a) not in known)
        return order

    def _visit(self, e: Expr, root: bool) -> None:
        args = [self.best[id(a)] for a in e.args]
        rebuilt = e
        # a kink's or a jump's argument stays as written: at a tie the program's convention is the sign
        # of what it computes, which x*y - x and x*(y - 1) need not share in floating point
        if any(a is not b for a, b in zip(args, e.args)) and not _not_smooth(e):
            try:
                rebuilt = self.alg.apply(e.op, *args)  # type: ignore[arg-type]
            except FormulaTooLarge:  # the rules wrote it out longer than the limit: as it was, then
                pass
        try:
            f = self._convert(e, rebuilt)
        except (TooLarge, ZeroDivisionError):
            f = self._opaque(e, rebuilt)
        self.fac[id(e)] = f
        best = rebuilt if _length(rebuilt) <= _length(e) else e
        if (root or e.op in _PRINTED) and self._may_read_shorter(e, f):
            try:
                printed = self.expr_of(f, root)
            except (TooLarge, ZeroDivisionError, FormulaTooLarge):  # a way of writing it past a limit: not that way
                printed = best
            if _length(printed) < _length(best):
                best = printed
        self.best[id(e)] = best

    def _may_read_shorter(self, e: Expr, f: Fac) -> bool:
        """Whether ``f`` written out may be shorter than ``e``: it is one fraction of what were several,
        its sums are not e's (a sum became a product, or cancelled), its terms are fewer than e's (like
        terms met), or its number is a fraction (1/12). Otherwise ``e`` with its parts tidied is as
        short, and writing ``f`` out is not worth its time."""
        if e.op is None or f.size(self.field) > MAX_PRINTED:
            return False
        if any(n < 0 for n in f.facs.values()) or any(n < 0 for _, n in f.mono):
            return True
        if f.coef < 0 and any(n % 2 for n in f.facs.values()):
            return True  # -2*(y - p) is 2*(p - y)
        if (e.op is _ADD or e.op is _SUB) and (f.mono or f.coef.denominator == 1 and abs(f.coef) != 1):
            return True  # 2*y - 2*p is 2*(y - p)
        if _LONG_NUMBER.search(e.text):
            return True  # 0.08333333333333333*exp(x) may be exp(x)/12
        sums, atoms, nested = _shape(e)
        if nested or sums != sum(f.facs.values()):
            return True
        exps = any(self.atom_expr[k] is None for k, _ in f.mono)
        if atoms != sum(abs(int(n)) for k, n in f.mono if self.atom_expr[k] is not None) + exps:
            return True
        terms = 1
        for k, n in f.facs.items():
            terms *= len(self.field.polys[k]) ** n
        return terms < e.terms

    # ----- expressions to rational forms ---------------------------------------------
    def _convert(self, e: Expr, rebuilt: Expr) -> Fac:
        if e.is_number:
            return Fac(fraction(e.value)) if math.isfinite(e.value) else self._opaque(e, e)  # type: ignore[arg-type]
        op = e.op
        if op is None:
            return self._atom(("leaf", id(e)), rebuilt)
        a = [self.fac[id(x)] for x in e.args]
        field = self.field
        if op is _ADD:
            return field.add(a[0], a[1])
        if op is _SUB:
            return field.add(a[0], field.mul(Fac(MINUS_ONE), a[1]))
        if op is _NEG:
            return field.mul(Fac(MINUS_ONE), a[0])
        if op is _MUL:
            return field.mul(a[0], a[1])
        if op is _DIV:
            return field.mul(a[0], field.pow(a[1], -1))
        power = e.args[1].value if op is _POW else None
        if power is not None and power.is_integer() and abs(power) <= 16:
            return field.pow(a[0], int(power))
        if op is _EXP:
            return self._exp(a[0])
        # an atom is its op of its arguments' rational forms; a kink's or jump's, of its arguments as written
        key = ("leaf", id(e)) if _not_smooth(e) else (op.name, *[x.key() for x in a])
        return self._atom(key, rebuilt, a[0] if op.name == "log" else None)

    def _opaque(self, e: Expr, rebuilt: Expr) -> Fac:
        return self._atom(("leaf", id(e)), rebuilt)

    def _atom(self, key: object, expr: Expr | None, arg: Fac | None = None) -> Fac:
        k = self._atoms.get(key)
        if k is None:
            k = self._atoms[key] = len(self.atom_expr)
            self.atom_expr.append(expr)
            self.atom_arg.append(arg)
            if expr is None:
                self.atom_sort.append((1, "exp"))
            else:
                base = expr.op is None or expr.op.callable
                self.atom_sort.append((0 if expr.op is None else 1 if base else 2, expr.text))
        return Fac(ONE, ((k, 1),))

    def _exp(self, a: Fac) -> Fac:
        """exp(a) as a product of exp atoms, one per term of a (exp(2*log(u)) is u**2)."""
        field = self.field
        if any(e < 0 for e in a.facs.values()):  # exp(x/(1 + y)): one atom, its power the coefficient
            atom = self._atom(("exp", a.unit().key()), None, a.unit())
            return Fac(ONE, ((atom.mono[0][0], _exponent(a.coef)),))
        out = Fac(ONE)
        for m, c in field.expand(a).items():
            if len(m) == 1 and m[0][1] == 1 and c.denominator == 1:
                arg = self.atom_arg[m[0][0]]
                if arg is not None and self.atom_expr[m[0][0]] is not None and arg.coef:  # a log atom
                    out = field.mul(out, field.pow(arg, int(c)))
                    continue
            atom = self._atom(("exp", m), None, Fac(ONE, m))
            out = field.mul(out, Fac(ONE, ((atom.mono[0][0], _exponent(c)),)))
        return out

    # ----- rational forms back to expressions -------------------------------------------


def _not_smooth(e: Expr) -> bool:
    return e.op is not None and any(edge.kind in ("kink", "jump") for edge in e.op.edges)


def _exponent(c: Fraction) -> Fraction | int:
    return int(c) if c.denominator == 1 else c


def _shape(e: Expr) -> tuple[int, int, bool]:
    """e as a product: how many sums and how many other factors (not numbers) it has, counted with
    their powers, and whether a sum's term is itself a product with a sum in it (which multiplying
    out may shorten): (a + b)**2*(c - d)*x/y -> (3, 2, False)."""
    sums = atoms = 0
    nested = False
    stack = [(e, 1)]
    while stack:
        x, k = stack.pop()
        if x.op is _ADD or x.op is _SUB:
            sums += k
            nested = nested or any(_has_sum(t) for t in x.args)
        elif x.op is _MUL or x.op is _DIV:
            stack += [(x.args[0], k), (x.args[1], k)]
        elif x.op is _NEG:
            stack.append((x.args[0], k))
        elif x.op is _POW and x.args[1].is_number and x.args[1].value.is_integer():  # type: ignore[union-attr]
            stack.append((x.args[0], k * abs(int(x.args[1].value))))  # type: ignore[arg-type]
        elif not x.is_number:
            atoms += k
    return sums, atoms, nested


def _has_sum(e: Expr) -> bool:
    """Whether a term of a sum has a sum among its factors (a sum in it directly is the same sum)."""
    stack = [e]
    while stack:
        x = stack.pop()
        if x.op is _ADD or x.op is _SUB:
            stack += x.args
        elif x.op is _MUL or x.op is _DIV:
            if any(a.op is _ADD or a.op is _SUB for a in x.factors or x.args):
                return True
            stack += x.args
        elif x.op is _NEG or x.op is _POW:
            if x.args[0].op is _ADD or x.args[0].op is _SUB:
                return True
            stack.append(x.args[0])
    return False
