"""Exact rational functions over atoms: the arithmetic under ``tidy``'s simplification.

An atom is a small int that ``tidy`` gives each symbol, function application
or exp(...) it meets. A monomial is a tuple of (atom, exponent) pairs sorted by
atom, the exponents nonzero: negative below a fraction bar (x/z is x*z**-1),
and a Fraction for an exp atom (exp(x)**0.5 is exp(0.5*x)). A polynomial is a
dict monomial -> Fraction, in the order its terms were made. A ``Fac`` is a
number times a monomial times powers of factors: each factor a polynomial of
two terms or more with no monomial or numeric content (x*z - 2, not 2*x*z - 4),
its leading term's coefficient 1, numbered once in a ``Field``.

Sums are where the work is (``Field.add``): the factors both sides share are
kept (the least power of each: x**-2 and x**-1 share x**-2, a common
denominator), the rest is multiplied out and added, so like terms meet, and a
factor below the bar that divides the new numerator exactly is cancelled. That
gives (x - z)/x**2 - 1/x -> -z/x**2 and (p - 1)*(y + p*(y - 1)/(1 - p)) -> p - y.
Coefficients are Fractions, so nothing is lost to rounding on the way; a
multiplication past ``MAX_TERMS`` terms raises ``TooLarge``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Union

Exponent = Union[int, Fraction]
Mono = tuple[tuple[int, Exponent], ...]
Poly = dict[Mono, Fraction]

MAX_TERMS = 120  # terms of one polynomial multiplied out (beyond: TooLarge, the formula kept as it is)


class TooLarge(Exception):
    """Multiplying out would make a polynomial of more than ``MAX_TERMS`` terms."""


def mono_mul(a: Mono, b: Mono) -> Mono:
    if not a:
        return b
    if not b:
        return a
    d = dict(a)
    for k, e in b:
        n = d.get(k, 0) + e
        if n:
            d[k] = n
        else:
            del d[k]
    return tuple(sorted(d.items()))


def mono_pow(a: Mono, n: Exponent) -> Mono:
    return tuple((k, e * n) for k, e in a) if n else ()


def mono_min(monos: list[Mono]) -> Mono:
    """The monomial every one of ``monos`` is a multiple of (an atom absent from one has exponent 0 there)."""
    low = dict(monos[0])
    for m in monos[1:]:
        d = dict(m)
        for k in [k for k, e in low.items() if e > 0 and k not in d]:
            del low[k]  # absent from m: 0 there
        for k, e in m:
            seen = low.get(k)
            if seen is None:  # 0 in an earlier one
                if e < 0:
                    low[k] = e
            elif e < seen:
                low[k] = e
    return tuple(sorted(low.items()))


def _order(m: Mono) -> tuple[Exponent, tuple[tuple[int, Exponent], ...]]:
    # graded lexicographic (atom 0 first): a monomial order, so exact division terminates
    return sum(e for _, e in m), tuple((-k, e) for k, e in m)


def lead(p: Poly) -> Mono:
    return max(p, key=_order)


def poly_add(p: Poly, q: Poly, scale: Fraction | int = 1) -> Poly:
    out = dict(p)
    for m, c in q.items():
        v = out.get(m, 0) + scale * c
        if v:
            out[m] = v
        else:
            out.pop(m, None)
    return out


def poly_mul(p: Poly, q: Poly) -> Poly:
    if len(p) * len(q) > 4 * MAX_TERMS:
        raise TooLarge
    out: Poly = {}
    for m, c in p.items():
        for n, d in q.items():
            k = mono_mul(m, n)
            v = out.get(k, 0) + c * d
            if v:
                out[k] = v
            else:
                del out[k]
    if len(out) > MAX_TERMS:
        raise TooLarge
    return out


def divide(p: Poly, f: Poly) -> Poly | None:
    """p / f when f divides p exactly (both without negative exponents), else None."""
    lf = lead(f)
    cf = f[lf]
    r = dict(p)
    q: Poly = {}
    for _ in range(len(p) + 2 * MAX_TERMS):
        if not r:
            return q
        lr = lead(r)
        m = mono_mul(lr, mono_pow(lf, -1))
        if any(e < 0 for _, e in m):
            return None
        c = r[lr] / cf
        q[m] = c
        r = poly_add(r, {mono_mul(m, n): d for n, d in f.items()}, -c)
    return None


class Fac:
    """coef * mono * Π factor**k (factors numbered in a ``Field``, k ≠ 0). Zero is coef 0."""

    __slots__ = ("coef", "mono", "facs", "_key")

    def __init__(self, coef: Fraction, mono: Mono = (), facs: dict[int, int] | None = None) -> None:
        self.coef = coef
        self.mono = mono if coef else ()
        self.facs = (facs or {}) if coef else {}
        self._key: tuple[object, ...] | None = None

    def key(self) -> tuple[object, ...]:
        """Equal for equal rational functions (with the same atoms and factor numbers)."""
        if self._key is None:
            coef = self.coef  # a Fraction's own hash is slow (a modular inverse): its two ints are not
            self._key = (coef.numerator, coef.denominator, self.mono, frozenset(self.facs.items()))
        return self._key

    def unit(self) -> Fac:
        """This with coefficient 1 (or 0)."""
        return Fac(Fraction(1) if self.coef else Fraction(0), self.mono, self.facs)

    def size(self, field: Field) -> int:
        return sum(len(field.polys[k]) for k in self.facs)


class Field:
    """The factors met so far, and arithmetic on ``Fac``s that numbers factors in it."""

    def __init__(self) -> None:
        self.polys: list[Poly] = []
        self._index: dict[frozenset[tuple[Mono, int, int]], int] = {}

    def factor(self, q: Poly) -> int:
        """The number of the normalized polynomial ``q``."""
        key = frozenset((m, c.numerator, c.denominator) for m, c in q.items())
        k = self._index.get(key)
        if k is None:
            k = self._index[key] = len(self.polys)
            self.polys.append(q)
        return k

    def mul(self, a: Fac, b: Fac) -> Fac:
        if not a.coef or not b.coef:
            return Fac(Fraction(0))
        facs = dict(a.facs)
        for k, e in b.facs.items():
            n = facs.get(k, 0) + e
            if n:
                facs[k] = n
            else:
                del facs[k]
        return Fac(a.coef * b.coef, mono_mul(a.mono, b.mono), facs)

    def pow(self, a: Fac, n: int) -> Fac:
        """a**n; ZeroDivisionError for 0 to a negative power."""
        if n == 0:
            return Fac(Fraction(1))
        return Fac(a.coef ** n, mono_pow(a.mono, n), {k: e * n for k, e in a.facs.items()})

    def expand(self, a: Fac) -> Poly:
        """a multiplied out (its factors' powers must be positive)."""
        p: Poly = {a.mono: a.coef} if a.coef else {}
        for k, e in a.facs.items():
            assert e > 0
            for _ in range(e):
                p = poly_mul(p, self.polys[k])
        return p

    def from_poly(self, p: Poly) -> Fac:
        """p as coef * mono * (one normalized factor, when p has two terms or more)."""
        if not p:
            return Fac(Fraction(0))
        content = mono_min(list(p))
        if len(p) == 1:
            ((m, c),) = p.items()
            return Fac(c, m)
        inverse = mono_pow(content, -1)
        top = lead(p)
        c = p[top]
        q = {mono_mul(m, inverse): v / c for m, v in p.items()}
        return Fac(c, content, {self.factor(q): 1})

    def add(self, a: Fac, b: Fac) -> Fac:
        """a + b over their common denominator, with what it shares with the numerator cancelled."""
        if not a.coef:
            return b
        if not b.coef:
            return a
        mono = mono_min([a.mono, b.mono])
        if not a.facs and not b.facs:  # two monomials: the common path, kept short
            below = mono_pow(mono, -1)
            return self.mul(Fac(Fraction(1), mono), self.from_poly(poly_add({mono_mul(a.mono, below): a.coef},
                                                                            {mono_mul(b.mono, below): b.coef})))
        shared = {k: min(a.facs.get(k, 0), b.facs.get(k, 0)) for k in a.facs.keys() | b.facs.keys()}
        shared = {k: e for k, e in shared.items() if e}
        common = Fac(Fraction(1), mono, shared)
        inverse = self.pow(common, -1)
        total = poly_add(self.expand(self.mul(a, inverse)), self.expand(self.mul(b, inverse)))
        result = self.mul(common, self.from_poly(total))
        new = [k for k, e in result.facs.items() if e > 0 and shared.get(k, 0) < e]
        return self._cancel(result, new[0]) if new else result

    def _cancel(self, a: Fac, k: int) -> Fac:
        """a with its factor ``k`` (a numerator) divided by the factors below the bar that divide it."""
        facs = dict(a.facs)
        q = self.polys[k]
        coef, mono = a.coef, a.mono
        changed = False
        for j in sorted(facs):
            while facs.get(j, 0) < 0 and len(q) >= len(self.polys[j]):
                d = divide(q, self.polys[j])
                if d is None:
                    break
                q, changed = d, True
                facs[j] += 1
        if not changed:
            return a
        facs = {j: e for j, e in facs.items() if e}
        facs[k] -= 1
        if not facs[k]:
            del facs[k]
        rest = self.from_poly(q)
        return self.mul(Fac(coef, mono, facs), rest)
