"""The simplification rules of ``algebra.Algebra``: sums, products, quotients, powers, exp and log.

Each ``_simplify_<op>`` gives a simpler form of ``op(*args)`` or None. Sums
combine like terms (x + 2*x -> 3*x) and take shared factors out
(a*g + b*g -> g*(a + b)); products sum the exponents of a base (x*x**2 ->
x**3) and are multiplied out over a sum when that reads shorter; quotients are
one fraction with the bases above and below cancelled. Every rule keeps the
value wherever the program has one (x**2/x -> x: at 0 the program divides by
0 anyway).

About 350 lines: the rules call each other (a sum's terms are products, a
product's factors may be sums), so they are read together; the algebra that
holds them (interning, names, limits) and the printing are modules of their own.
"""

from __future__ import annotations

from ..language.ops import OPS, Op
from .expr import Expr, number_text

_MUL, _ADD, _SUB, _DIV, _EXP = OPS["mul"], OPS["add"], OPS["sub"], OPS["div"], OPS["exp"]
_EXP_KEY = -1  # where a product keeps its exp(...) factors, all one (no id() is negative)

MAX_DISTRIBUTED = 400  # characters of a product that may be multiplied out over a sum

MAX_SUM_TERMS = 64  # longer sums are left as they are (tidying them costs quadratic time)


class Rules:
    """The rules, as methods of the algebra (which gives ``num``, ``make``, ``apply``, ``zero``, ``one``)."""

    zero: Expr
    one: Expr
    _sums: dict[tuple[object, ...], Expr]
    _distributing: int

    def num(self, v: float) -> Expr:
        raise NotImplementedError

    def make(self, op: Op, args: tuple[Expr, ...]) -> Expr:
        raise NotImplementedError

    def apply(self, op: Op, *args: Expr) -> Expr:
        raise NotImplementedError

    def _simplify_add(self, a: Expr, b: Expr) -> Expr | None:
        return self._sum(a, b, 1.0)

    def _simplify_sub(self, a: Expr, b: Expr) -> Expr | None:
        return self._sum(a, b, -1.0)

    def _sum(self, a: Expr, b: Expr, sign: float) -> Expr | None:
        """a ± b with like terms combined (x + 2*x -> 3*x) and numbers summed at the end."""
        if a.terms + b.terms > MAX_SUM_TERMS:
            return None  # too long to tidy cheaply
        constant = 0.0
        coefficients: dict[int, float] = {}  # id(term) -> summed coefficient, in order of appearance
        terms: dict[int, Expr] = {}
        for c, t in self._terms(a) + [(sign * c, t) for c, t in self._terms(b)]:
            if t is self.one:
                constant += c
            else:
                coefficients[id(t)] = coefficients.get(id(t), 0.0) + c
                terms[id(t)] = t
        parts = [(c, terms[k]) for k, c in coefficients.items() if c != 0]
        # the same terms in another order are the same sum: the one built first, so that it cancels
        key = (constant, *sorted((k, c) for k, c in coefficients.items() if c != 0))
        known = self._sums.get(key)
        if known is not None:
            return known
        result = self._factored(parts) if constant == 0 and len(parts) > 1 else None
        if result is None:
            result = self._sum_of(parts, constant)
        self._sums[key] = result
        return result

    def _factored(self, parts: list[tuple[float, Expr]]) -> Expr | None:
        """A sum whose terms share factors, those factors times the rest: a*x*g + b*g -> g*(a*x + b).
        Without it, the reverse pass over a chain doubles each gradient at every step."""
        split = []
        for _, t in parts:
            top, bottom = (t.args[0], t.args[1]) if t.op is OPS["div"] else (t, None)
            coefficient, powers = self._powers(self._factors(top))
            split.append((coefficient, powers, bottom))
        common = {k: (base, n) for k, (base, n) in split[0][1].items() if n > 0}
        for _, powers, _ in split[1:]:
            common = {k: (base, min(n, powers[k][1])) for k, (base, n) in common.items()
                      if k in powers and powers[k][0] is base and powers[k][1] > 0}
        if not common:
            return None
        rest: list[tuple[float, Expr]] = []
        for (c, _), (coefficient, powers, bottom) in zip(parts, split):
            for k, (base, n) in common.items():
                powers[k] = (base, powers[k][1] - n)
            t = self._product_of(coefficient, powers)
            if bottom is not None:
                t = self.apply(OPS["div"], t, bottom)
            rest.append((c, t))
        inner = self.zero
        for c, t in rest:  # what is left may hold like terms, and sums to flatten
            inner = self.apply(_ADD, inner, self.apply(_MUL, self.num(c), t))
        if inner.op in (_ADD, _SUB):  # as it is: multiplying out again would undo it
            return self.make(_MUL, (self._product_of(1.0, common), inner))
        return self.apply(_MUL, self._product_of(1.0, common), inner)

    def _sum_of(self, parts: list[tuple[float, Expr]], constant: float) -> Expr:
        result: Expr | None = None
        if parts and parts[0][0] < 0:  # p - y rather than -y + p
            first = next((i for i, (c, _) in enumerate(parts) if c > 0), None)
            if first is not None:
                parts = [parts[first]] + parts[:first] + parts[first + 1:]
        if constant > 0 and parts and parts[0][0] < 0:
            result, constant = self.num(constant), 0.0  # 1 - x**2 rather than -x**2 + 1
        for c, t in parts:
            term = t if abs(c) == 1 else self.apply(OPS["mul"], self.num(abs(c)), t)
            if result is None:
                result = term if c > 0 else self.apply(OPS["neg"], term)
            else:
                result = self.make(OPS["add"] if c > 0 else OPS["sub"], (result, term))
        if result is None:
            return self.num(constant)
        if constant:
            result = self.make(OPS["add"] if constant > 0 else OPS["sub"], (result, self.num(abs(constant))))
        return result

    def _terms(self, e: Expr) -> list[tuple[float, Expr]]:
        """e as a list of coefficient * term; a number n is n * 1, and a number times a sum its terms."""
        out = []
        stack = [(e, 1.0)]
        while stack:
            x, s = stack.pop()
            if x.op is OPS["add"] or x.op is OPS["sub"]:
                stack.append((x.args[1], s if x.op is OPS["add"] else -s))
                stack.append((x.args[0], s))
            else:
                c, t = self._split(x)
                if t.op is _ADD or t.op is _SUB:
                    stack.append((t, s * c))  # 2*(a + b) is 2*a + 2*b here, so that its terms can cancel
                else:
                    out.append((s * c, t))
        return out

    def _split(self, e: Expr) -> tuple[float, Expr]:
        """e as coefficient * term: -2*x -> (-2, x), 3 -> (3, 1), -a/b -> (-1, a/b)."""
        if e.is_number:
            return e.value, self.one  # type: ignore[return-value]
        if e.op is OPS["mul"] and e.factors[0].is_number:
            return e.factors[0].value, self._product(list(e.factors[1:]))  # type: ignore[return-value]
        if e.op is OPS["neg"]:
            c, t = self._split(e.args[0])
            return -c, t
        if e.op is OPS["div"]:
            c, t = self._split(e.args[0])
            if c != 1:  # -a/b -> (-1, a/b), 3/b -> (3, 1/b)
                return c, self.make(OPS["div"], (t, e.args[1]))
        return 1.0, e

    def _simplify_mul(self, a: Expr, b: Expr) -> Expr | None:
        factors = self._factors(a) + self._factors(b)
        if any(f.op is _DIV for f in factors):  # a * (c/d) -> (a*c)/d: one quotient, whose factors cancel
            return self._quotient(factors, [])
        coefficient, powers = self._powers(factors)
        if coefficient == 0:
            return self.zero
        product = self._product_of(coefficient, powers)
        return self._distributed(coefficient, powers, product) or product

    def _distributed(self, coefficient: float, powers: dict[int, tuple[Expr, float]], product: Expr,
                     denominator: Expr | None = None) -> Expr | None:
        """A product with sums among its factors, multiplied out over the longest when that is shorter to read:
        x*(2/x + y) -> x*y + 2. Terms of the sum then cancel with the other factors (and each other)."""
        sums = [(len(base.text), k) for k, (base, n) in powers.items() if n == 1 and base.op in (_ADD, _SUB)]
        if not sums or len(product.text) > MAX_DISTRIBUTED or self._distributing > 2:
            return None
        rest = dict(powers)
        total = rest.pop(max(sums)[1])[0]  # over the longest sum
        if total.terms > 8:
            return None
        other = self._product_of(coefficient, rest)
        if denominator is not None:
            other = self.apply(_DIV, other, denominator)
        self._distributing += 1
        try:
            result = self.zero
            for c, t in self._terms(total):
                result = self.apply(_ADD, result, self.apply(_MUL, self.apply(_MUL, self.num(c), other), t))
        finally:
            self._distributing -= 1
        return result if len(result.text) < len(product.text) else None

    def _powers(self, factors: list[Expr]) -> tuple[float, dict[int, tuple[Expr, float]]]:
        """Factors as a number times powers of bases, like bases' exponents summed: x*x**2 -> x**3."""
        coefficient = 1.0
        powers: dict[int, tuple[Expr, float]] = {}  # base id -> (base, summed exponent), in order of appearance
        for f in factors:
            if f.is_number:
                coefficient *= f.value  # type: ignore[operator]
                continue
            if f.op is _EXP:  # exp(a)*exp(b) -> exp(a + b)
                seen_exp = powers.get(_EXP_KEY)
                if seen_exp is not None:
                    f = self.apply(_EXP, self.apply(_ADD, seen_exp[0].args[0], f.args[0]))
                powers[_EXP_KEY] = (f, 1.0)
                continue
            base, exponent = f, 1.0
            if f.op is OPS["pow"] and f.args[1].is_number:
                base, exponent = f.args[0], f.args[1].value  # type: ignore[assignment]
            _, seen = powers.get(id(base), (base, 0.0))
            powers[id(base)] = (base, seen + exponent)
        return coefficient, powers

    def _product_of(self, coefficient: float, powers: dict[int, tuple[Expr, float]]) -> Expr:
        factors = [base if n == 1 else self.apply(OPS["pow"], base, self.num(n))
                   for base, n in powers.values() if n != 0 and base is not self.one]
        simple = sorted((f for f in factors if _simple(f)), key=_factor_order)
        factors = simple + [f for f in factors if not _simple(f)]  # sums and quotients last, as they came
        if not factors:
            return self.num(coefficient)
        product = self._product(factors)
        if coefficient == 1:
            return product
        if coefficient == -1:
            return self.make(OPS["neg"], (product,))
        return self._product([self.num(coefficient)] + factors)

    def _factors(self, e: Expr) -> list[Expr]:
        if e.op is OPS["mul"]:
            return list(e.factors)
        if e.op is OPS["neg"]:
            return [self.num(-1.0)] + self._factors(e.args[0])
        return [e]

    def _product(self, factors: list[Expr]) -> Expr:
        product = factors[0]
        for f in factors[1:]:
            product = self.make(OPS["mul"], (product, f))
        return product

    def _simplify_div(self, a: Expr, b: Expr) -> Expr | None:
        if b is self.one:
            return a
        if a is self.zero:
            return self.zero
        if a is b:
            return self.one
        if b.is_number and b.value == -1:
            return self.apply(OPS["neg"], a)
        return self._quotient(self._factors(a), self._factors(b))

    def _quotient(self, tops: list[Expr], bottoms: list[Expr]) -> Expr | None:
        """The product of ``tops`` over the product of ``bottoms`` as one quotient, the bases they share
        cancelled: (a/b)/c -> a/(b*c), x**3*y/(x*z) -> x**2*y/z. None for a division by 0."""
        top_factors: list[Expr] = []
        bottom_factors: list[Expr] = []
        stack = [(f, True) for f in reversed(tops)] + [(f, False) for f in reversed(bottoms)]
        while stack:
            f, above = stack.pop()
            if f.op is _DIV:
                stack += [(g, not above) for g in reversed(self._factors(f.args[1]))]
                stack += [(g, above) for g in reversed(self._factors(f.args[0]))]
            else:
                (top_factors if above else bottom_factors).append(f)
        top_c, top = self._powers(top_factors)
        bottom_c, bottom = self._powers(bottom_factors)
        if bottom_c == 0:
            return None  # a division by zero: left as written, evaluating it reports the error
        if top_c == 0:
            return self.zero
        if _EXP_KEY in top and _EXP_KEY in bottom:  # exp(a)/exp(b) -> exp(a - b)
            up, down = top.pop(_EXP_KEY)[0], bottom.pop(_EXP_KEY)[0]
            top[_EXP_KEY] = (self.apply(_EXP, self.apply(_SUB, up.args[0], down.args[0])), 1.0)
        for k in [k for k in top if k in bottom]:
            base, n = top[k]
            m = bottom.pop(k)[1]
            if n >= m:
                top[k] = (base, n - m)
            else:
                del top[k]
                bottom[k] = (base, m - n)
        if bottom_c != 1 and (top_c != 1 or not bottom_c.is_integer()):
            folded = top_c / bottom_c
            if not _fraction(top_c, bottom_c, folded):
                # 2*x/4 -> 0.5*x and 1/(0.125*z) -> 8/z, so that like terms meet; x/4, x/7 and 2*x/7 as they are
                top_c, bottom_c = folded, 1.0
        numerator = self._product_of(top_c, top)
        denominator = self._product_of(bottom_c, bottom)
        if denominator is self.one:
            return self._distributed(top_c, top, numerator) or numerator
        if numerator is denominator:
            return self.one
        if denominator.is_number and denominator.value == -1:
            return self.apply(OPS["neg"], numerator)
        quotient = self.make(_DIV, (numerator, denominator))
        return self._distributed(top_c, top, quotient, denominator) or quotient

    def _simplify_neg(self, a: Expr) -> Expr | None:
        if a.op is OPS["neg"]:
            return a.args[0]
        if a.op is OPS["mul"] and a.factors[0].is_number:
            return self.apply(OPS["mul"], self.num(-1.0), a)
        if a.op is OPS["sub"]:
            return self.apply(OPS["sub"], a.args[1], a.args[0])
        return None

    def _simplify_exp(self, a: Expr) -> Expr | None:
        # exp(log(u)) -> u, exp(2*log(u)) -> u**2 (log has already required u > 0)
        if a.op is OPS["log"]:
            return a.args[0]
        if a.op is _MUL and len(a.factors) == 2 and a.factors[0].is_number and a.factors[1].op is OPS["log"]:
            return self.apply(OPS["pow"], a.factors[1].args[0], a.factors[0])
        return None

    def _simplify_log(self, a: Expr) -> Expr | None:
        return a.args[0] if a.op is _EXP else None  # log(exp(u)) -> u

    def _simplify_pow(self, a: Expr, b: Expr) -> Expr | None:
        if b is self.one:
            return a
        if b is self.zero or a is self.one:
            return self.one
        if a.op is OPS["pow"] and a.args[1].is_number and b.is_number and b.value.is_integer():  # type: ignore[union-attr]
            return self.apply(OPS["pow"], a.args[0], self.num(a.args[1].value * b.value))  # type: ignore[operator]
        if b.is_number and a.op is OPS["exp"]:  # exp(x)**2 -> exp(2*x)
            return self.apply(a.op, self.apply(_MUL, b, a.args[0]))
        if not (b.is_number and b.value.is_integer()):  # type: ignore[union-attr]
            return None  # (x*y)**0.5 is not x**0.5*y**0.5 when x and y are negative
        if a.op is OPS["mul"]:  # (x*y)**2 -> x**2*y**2, so that the factors can cancel
            product = self.one
            for f in a.factors:
                product = self.apply(OPS["mul"], product, self.apply(OPS["pow"], f, b))
            return product
        if a.op is OPS["div"]:
            return self.apply(OPS["div"], self.apply(OPS["pow"], a.args[0], b), self.apply(OPS["pow"], a.args[1], b))
        return None



def _fraction(a: float, b: float, quotient: float) -> bool:
    """Whether a/b of whole numbers is better written so than as its decimal (1/3, not 0.3333333333333333)."""
    return a.is_integer() and b.is_integer() and abs(b) < 1e6 and len(number_text(quotient)) > 8


def _simple(e: Expr) -> bool:
    """A symbol, a function of something, or a power of one: the factors written first, sorted."""
    base = e.args[0] if e.op is OPS["pow"] else e
    return base.op is None or base.op.callable


def _factor_order(e: Expr) -> tuple[int, str]:
    # numbers, then symbols and their powers, then functions of them: 2*x**2*sin(x)
    base = e.args[0] if e.op is OPS["pow"] else e
    return (0 if base.op is None else 1), e.text
