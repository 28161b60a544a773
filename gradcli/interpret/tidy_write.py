"""Rational forms written back as formulas, the shortest of a few ways: ``tidy``'s second half.

A ``poly.Fac`` is written as one quotient: the number, then symbols, then
functions, then sums, above and below the bar; exp atoms joined in one exp(...)
above it. Besides that, each sum factor is written with whole coefficients or
not (4*(8*log(z) - 3)/9 or 32*(log(z) - 0.375)/9), a negative number is taken
into a sum of odd power (2*(p - y) rather than -2*(y - p)), the part above the
bar is multiplied out (with the monomials below it too, when no sum is below it), and a
polynomial is grouped by an atom it has in several terms (x*(2*sin(x) + x*cos(x))).
The shortest text wins; of two as long, the one of fewer terms. A sum is
written with a positive term first and its number last: p - y, 1 - x, x**2 + 1.
Only exp(...) within exp(...) is written by recursion, to ``MAX_DEPTH``.
"""

from __future__ import annotations

import math
from fractions import Fraction

from ..language.ops import OPS
from .algebra import Algebra
from .expr import Expr, number_text
from .poly import Fac, Field, Mono, Poly, TooLarge, mono_mul, mono_pow

_ADD, _SUB, _MUL, _DIV, _POW, _NEG, _EXP = (OPS[n] for n in ("add", "sub", "mul", "div", "pow", "neg", "exp"))
ONE = Fraction(1)
MAX_DEPTH = 30  # exp(...) within exp(...) written through the rational form
MAX_MULTIPLIED_OUT = 24  # terms of a numerator worth writing multiplied out
MAX_GROUPED = 6  # terms of a polynomial worth trying to group by each of its atoms


class Writer:
    """Writes ``Fac``s over a table of atoms (filled by ``tidy.Tidy``) as expressions of an algebra."""

    def __init__(self, alg: Algebra) -> None:
        self.alg = alg
        self.field = Field()
        self.atom_expr: list[Expr | None] = []  # what a plain atom is (None: an exp atom)
        self.atom_arg: list[Fac | None] = []  # an exp atom's exponent, a log atom's argument
        self.atom_sort: list[tuple[int, str]] = []  # where an atom goes in a product
        self._printed: dict[tuple[object, ...], Expr] = {}
        self._terms: dict[tuple[Fraction, Mono], Expr] = {}
        self._scales: dict[int, Fraction] = {}
        self._factor_exprs: dict[tuple[int, Fraction], Expr] = {}
        self._exps: dict[tuple[tuple[int, Fraction | int], ...], Expr] = {}
        self._polys: dict[tuple[object, ...], Expr] = {}
        self._depth = 0

    def expr_of(self, f: Fac, thorough: bool = True) -> Expr:
        """The shortest of the ways ``f`` is written (not ``thorough``: factored only, as a piece of a
        formula is worth less time than the formula)."""
        key = (f.key(), thorough)
        known = self._printed.get(key)
        if known is not None:
            return known
        if self._depth > MAX_DEPTH:
            raise TooLarge
        self._depth += 1
        try:
            candidates = [self._factored(f, whole, flip) for whole, flip in self._variants(f)]
            if f.facs and thorough:
                top = {k: e for k, e in f.facs.items() if e > 0}
                bottom = {k: e for k, e in f.facs.items() if e < 0}
                if top and _expanded_size(self.field, top) <= MAX_MULTIPLIED_OUT:
                    above = self.field.expand(Fac(f.coef, tuple((k, e) for k, e in f.mono if e > 0), top))
                    below = Fac(ONE, tuple((k, e) for k, e in f.mono if e < 0), bottom)
                    candidates.append(self._over(self._poly_expr(above, 0), below))
                    if not bottom:  # 1/x - z/x**2; but not (y/p - 1)/(p - 1), a fraction over a fraction
                        candidates.append(self._poly_expr(self.field.expand(Fac(f.coef, f.mono, top)), 0))
            best = min(candidates, key=_length)
        finally:
            self._depth -= 1
        self._printed[key] = best
        return best

    def _over(self, top: Expr, bottom: Fac) -> Expr:
        if not bottom.mono and not bottom.facs:
            return top
        return self.alg.make(_DIV, (top, self._factored(self.field.pow(bottom, -1), False, False)))

    def _variants(self, f: Fac) -> list[tuple[bool, bool]]:
        """(whole, flip) for ``_factored``: factors scaled to whole numbers when they are not,
        and the sign taken into a factor of odd power when there is a sign to take."""
        whole = [False] + ([True] if any(self._whole(k) != 1 for k in f.facs) else [])
        flip = [False] + ([True] if f.coef < 0 and any(e % 2 for e in f.facs.values()) else [])
        return [(w, s) for w in whole for s in flip]

    def _whole(self, k: int) -> Fraction:
        scale = self._scales.get(k)
        if scale is None:
            scale = self._scales[k] = _whole(self.field.polys[k])
        return scale

    def _factor_expr(self, k: int, scale: Fraction) -> Expr:
        key = (k, scale)
        e = self._factor_exprs.get(key)
        if e is None:
            q = self.field.polys[k]
            e = self._factor_exprs[key] = self._poly_expr({m: c * scale for m, c in q.items()} if scale != 1 else q, 1, False)
        return e

    def _factored(self, f: Fac, whole: bool, flip: bool) -> Expr:
        """coef * mono * factors as one quotient: numbers, then symbols, then functions, then sums."""
        alg = self.alg
        coef = f.coef
        if not coef:
            return alg.zero
        above: list[tuple[tuple[int, str], Expr]] = []
        below: list[tuple[tuple[int, str], Expr]] = []
        exps: list[tuple[int, Fraction | int]] = []
        for k, e in f.mono:
            atom = self.atom_expr[k]
            if atom is None:
                exps.append((k, e))
            else:
                (above if e > 0 else below).append((self.atom_sort[k], _power(alg, atom, e if e > 0 else -e)))
        if exps:
            above.append(((1, "exp"), self._exp_expr(tuple(exps))))
        sums_above: list[Expr] = []
        sums_below: list[Expr] = []
        for k, e in sorted(f.facs.items()):
            scale = self._whole(k) if whole else ONE
            if scale != 1:
                coef /= scale ** e
            if flip and coef < 0 and e % 2:
                scale, coef = -scale, -coef
            (sums_above if e > 0 else sums_below).append(_power(alg, self._factor_expr(k, scale), abs(e)))
        top, bottom = _coefficient(abs(coef))
        if top != 1 or not (above or sums_above):
            above.insert(0, ((-1, ""), alg.num(float(top))))
        if bottom != 1:
            below.insert(0, ((-1, ""), alg.num(float(bottom))))
        numerator = _product(alg, [e for _, e in sorted(above, key=lambda p: p[0])] + sums_above)
        denominator = [e for _, e in sorted(below, key=lambda p: p[0])] + sums_below
        result = numerator if not denominator else alg.make(_DIV, (numerator, _product(alg, denominator)))
        return alg.make(_NEG, (result,)) if coef < 0 else result

    def _exp_expr(self, exps: tuple[tuple[int, Fraction | int], ...]) -> Expr:
        e = self._exps.get(exps)
        if e is None:
            e = self._exps[exps] = self.alg.apply(_EXP, self._exponent(list(exps)))
        return e

    def _exponent(self, exps: list[tuple[int, Fraction | int]]) -> Expr:
        """The argument of the one exp(...) that stands for these exp atoms' powers."""
        total = Fac(Fraction(0))
        for k, e in exps:
            total = self.field.add(total, self.field.mul(Fac(Fraction(e)), self.atom_arg[k]))  # type: ignore[arg-type]
        return self.expr_of(total)

    def _term(self, c: Fraction, m: Mono) -> Expr:
        e = self._terms.get((c, m))
        if e is None:
            e = self._terms[(c, m)] = self._factored(Fac(c, m), False, False)
        return e

    def _sum_expr(self, p: Poly) -> Expr:
        """p's terms in order, a positive one first and the number last: p - y, 1 - x, x**2 + 1."""
        terms = [(c, m) for m, c in p.items() if m] + [(c, m) for m, c in p.items() if not m]
        if terms[0][0] < 0:
            first = next((i for i, (c, _) in enumerate(terms) if c > 0), 0)
            terms.insert(0, terms.pop(first))
        return _sum(self.alg, [(c > 0, self._term(abs(c), m)) for c, m in terms])

    def _poly_expr(self, p: Poly, depth: int, content: bool = True) -> Expr:
        """p multiplied out, or with its content taken out, or grouped by an atom: the shortest."""
        if len(p) == 1:
            ((m, c),) = p.items()
            return self._term(c, m)
        key = (frozenset((m, c.numerator, c.denominator) for m, c in p.items()), depth, content)
        known = self._polys.get(key)
        if known is None:
            known = self._polys[key] = self._shortest_poly(p, depth, content)
        return known

    def _shortest_poly(self, p: Poly, depth: int, content: bool) -> Expr:
        candidates = [self._sum_expr(p)]
        f = self.field.from_poly(p) if content else None
        if f is not None and (f.mono or f.coef != 1):
            candidates += [self._factored(f, whole, flip) for whole, flip in self._variants(f)]
        if depth < 2 and len(p) <= MAX_GROUPED:
            counts: dict[int, int] = {}
            for m in p:
                for k, e in m:
                    if e > 0:
                        counts[k] = counts.get(k, 0) + 1
            for k, n in counts.items():
                if 2 <= n < len(p):
                    candidates.append(self._grouped(p, k, depth))
        return min(candidates, key=_length)

    def _grouped(self, p: Poly, k: int, depth: int) -> Expr:
        """atom**n * (the terms that have it, over it) + the others."""
        n = min(e for m in p for j, e in m if j == k and e > 0)
        inverse = ((k, -n),)
        inside: Poly = {}
        rest: Poly = {}
        for m, c in p.items():
            if any(j == k and e > 0 for j, e in m):
                inside[mono_mul(m, inverse)] = c
            else:
                rest[m] = c
        group = self._poly_expr(inside, depth + 1)
        negative = group.op is _NEG
        if negative:
            group = group.args[0]
        atom = self.atom_expr[k]
        factor = _power(self.alg, atom, n) if atom is not None else self._term(ONE, mono_pow(inverse, -1))
        inner = list(group.factors) if group.op is _MUL else [group]
        numbers = [f for f in inner if f.is_number]  # 0.5*exp(x)*(exp(x) + 3), not exp(x)*(0.5*(exp(x) + 3))
        grouped = _product(self.alg, numbers + [factor] + [f for f in inner if not f.is_number])
        terms = [(not negative, grouped)]
        for m, c in rest.items():
            terms.append((c > 0, self._term(abs(c), m)))
        if not terms[0][0]:
            first = next((i for i, (s, _) in enumerate(terms) if s), 0)
            terms.insert(0, terms.pop(first))
        return _sum(self.alg, terms)


def _expanded_size(field: Field, facs: dict[int, int]) -> int:
    """At most how many terms the product of these factors has multiplied out."""
    size = 1
    for k, n in facs.items():
        size *= len(field.polys[k]) ** n
    return size


def _length(e: Expr) -> tuple[int, int]:
    """Shorter reads better; of two as long, the one of fewer terms: 2*(y - p), not 2*y - 2*p."""
    return len(e.text), e.terms


def _whole(q: Poly) -> Fraction:
    """What to multiply q by for whole, coprime coefficients (1 when they would be long)."""
    lcm = 1
    for c in q.values():
        if c.denominator > 1000:
            return ONE
        lcm = lcm * c.denominator // math.gcd(lcm, c.denominator)
    g = 0
    for c in q.values():
        g = math.gcd(g, int(c * lcm))
    return Fraction(lcm, g) if g else ONE


def _coefficient(c: Fraction) -> tuple[float, int]:
    """A positive coefficient as the number written above the bar and the whole number below:
    3/7 -> (3, 7), but 1/2 -> (0.5, 1) and 1.01 -> (1.01, 1), as they are short as decimals."""
    if c.denominator == 1:
        return float(c), 1
    if len(number_text(float(c))) <= 6 or c.denominator > 1_000_000 or c.numerator > 1_000_000_000:
        return float(c), 1
    return float(c.numerator), c.denominator


def _power(alg: Algebra, base: Expr, n: Fraction | int) -> Expr:
    return base if n == 1 else alg.make(_POW, (base, alg.num(float(n))))


def _product(alg: Algebra, factors: list[Expr]) -> Expr:
    if not factors:
        return alg.one
    product = factors[0]
    for f in factors[1:]:
        product = alg.make(_MUL, (product, f))
    return product


def _sum(alg: Algebra, terms: list[tuple[bool, Expr]]) -> Expr:
    positive, total = terms[0]
    if not positive:
        total = alg.make(_NEG, (total,))
    for positive, t in terms[1:]:
        total = alg.make(_ADD if positive else _SUB, (total, t))
    return total
