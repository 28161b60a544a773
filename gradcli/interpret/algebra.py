"""Expressions for formulas: interned nodes, simplified as they are built, printed two ways.

``Algebra`` builds every expression node once (equal expressions are the
same object), with cheap simplification on the way: constant folding, 0 and
1 identities, like terms, powers of the same base. Every node prints in
gradcli's own language (so a formula can be parsed and evaluated again) and
in LaTeX. No computer algebra system is involved.

About 350 lines: the simplification rules and the printing they must agree
with (precedence, parentheses) are one set, read together.
"""

from __future__ import annotations

import math
import re

from ..errors import GradcliError, MathError
from ..language.ops import OPS, Op

_MUL, _ADD, _SUB, _DIV, _EXP = OPS["mul"], OPS["add"], OPS["sub"], OPS["div"], OPS["exp"]
_EXP_KEY = -1  # where a product keeps its exp(...) factors, all one (no id() is negative)

# precedence, loosest first: a + b, a * b, -a, a ** b, atoms
SUM, PRODUCT, UNARY, POWER, ATOM = 1, 2, 3, 4, 5


MAX_NODES = 200_000  # expression nodes one derivation may build


MAX_TEXT = 20_000  # characters of one formula


MAX_DISTRIBUTED = 400  # characters of a product that may be multiplied out over a sum


MAX_SUM_TERMS = 64  # longer sums are left as they are (tidying them costs quadratic time)


class FormulaTooLarge(GradcliError):
    """A derivative too large to show as a formula."""


class Expr:
    """An expression node: a number, a symbol, or an op applied to expressions.

    Nodes are interned by their algebra, so equal expressions are the same
    object and ``a is b`` is structural equality.
    """

    __slots__ = ("op", "args", "value", "name", "text", "latex", "prec", "latex_prec", "symbolic", "factors", "terms",
                 "is_number")

    def __init__(self) -> None:
        self.op: Op | None = None
        self.args: tuple[Expr, ...] = ()
        self.value: float | None = None  # numbers and named constants
        self.name: str | None = None  # symbols and named constants
        self.text = ""
        self.latex = ""
        self.prec = ATOM
        self.latex_prec = ATOM
        self.symbolic = False  # depends on a symbol
        self.factors: tuple[Expr, ...] = ()  # a product's factors, coefficient first
        self.terms = 1  # how many terms a sum has
        self.is_number = False  # a plain number (not a named constant)

    def __repr__(self) -> str:
        return f"Expr({self.text!r})"


def number_text(v: float) -> str:
    """The shortest text that reads back as ``v``: 2.0 -> '2', 0.1 -> '0.1'."""
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "theta", "lambda", "mu", "sigma", "tau", "phi", "omega", "eta"}


def latex_name(name: str) -> str:
    """x1 -> x_{1}, alpha -> \\alpha, loss -> \\mathrm{loss}."""
    m = re.fullmatch(r"([A-Za-z]+)_?(\d+)", name)
    if m:
        return f"{latex_name(m.group(1))}_{{{m.group(2)}}}"
    if name in _GREEK or name == "pi":
        return "\\" + name
    if len(name) == 1:
        return name
    return "\\mathrm{" + name.replace("_", "\\_") + "}"


def _wrap(e: Expr, prec: int) -> str:
    return e.text if e.prec >= prec else f"({e.text})"


def _lwrap(e: Expr, prec: int) -> str:
    return e.latex if e.latex_prec >= prec else f"\\left({e.latex}\\right)"


class Algebra:
    """Builds simplified, interned expressions."""

    def __init__(self) -> None:
        self._table: dict[tuple[object, ...], Expr] = {}
        self._sums: dict[tuple[object, ...], Expr] = {}
        self._texts: dict[str, Expr] = {}  # an op's application by its text  # a sum's terms, in any order -> the sum first built
        #: named expressions, in the order defined (each body reads only earlier names): symbol id -> body
        self.bodies: dict[int, Expr] = {}
        self.defined: list[Expr] = []  # the defined symbols, in that order
        self._aliases: dict[int, Expr] = {}  # id(body) -> the symbol that names it
        self._distributing = 0  # how deep in multiplying out products over sums
        self.zero = self.num(0.0)
        self.one = self.num(1.0)

    # ----- names for expressions -------------------------------------------------
    def define(self, name: str, body: Expr) -> Expr:
        """A symbol ``name`` standing for ``body``: from now on, building ``body`` again gives the symbol."""
        symbol = self.sym(name)
        assert id(symbol) not in self.bodies, f"{name} is defined twice"
        self.bodies[id(symbol)] = body
        self.defined.append(symbol)
        self._aliases[id(body)] = symbol
        symbol.symbolic = True
        return symbol

    def body(self, e: Expr) -> Expr | None:
        """What a defined symbol stands for (None for anything else)."""
        return self.bodies.get(id(e))

    # ----- leaves --------------------------------------------------------------
    def num(self, v: float) -> Expr:
        v = v + 0.0  # -0.0 and 0.0 are one number here
        key = ("num", v)
        e = self._table.get(key)
        if e is None:
            e = self._new(key)
            e.value = v
            e.is_number = True
            e.text = number_text(v)
            e.latex = e.text
            e.prec = e.latex_prec = UNARY if v < 0 else ATOM
        return e

    def sym(self, name: str, atomic: bool = True) -> Expr:
        """A symbol; ``atomic=False`` for a label like 'a+3' that needs parentheses."""
        key = ("sym", name, atomic)
        e = self._table.get(key)
        if e is None:
            e = self._new(key)
            e.name = name
            e.text = name
            e.latex = latex_name(name) if atomic else name
            e.prec = e.latex_prec = ATOM if atomic else 0
            e.symbolic = True
        return e

    def constant(self, name: str, value: float) -> Expr:
        """A named constant such as pi: a number that keeps its name."""
        key = ("const", name)
        e = self._table.get(key)
        if e is None:
            e = self._new(key)
            e.name, e.value = name, value
            e.text = name
            e.latex = latex_name(name)
        return e

    def _new(self, key: tuple[object, ...]) -> Expr:
        if len(self._table) >= MAX_NODES:
            raise FormulaTooLarge(f"the derivative is too large to show as a formula (more than {MAX_NODES:,} terms)")
        e = Expr()
        self._table[key] = e
        return e

    # ----- ops -----------------------------------------------------------------
    def apply(self, op: Op, *args: Expr) -> Expr:
        """``op(*args)``, simplified."""
        if len(args) == 2:  # the reverse pass multiplies by 1 and adds 0 at every step: say so at once
            a, b = args
            if op is _MUL:
                if a is self.one or b is self.zero:
                    return b
                if b is self.one or a is self.zero:
                    return a
            elif op is _ADD:
                if a is self.zero:
                    return b
                if b is self.zero:
                    return a
        if all(a.is_number for a in args):
            try:
                value = op.forward(*[a.value for a in args])
                if op is OPS["div"] and _fraction(args[0].value, args[1].value, value):  # type: ignore[arg-type]
                    return self.make(op, args)  # 2/7 reads better than 0.2857142857142857
                if math.isfinite(value):
                    return self.num(value)
            except (MathError, ArithmeticError, ValueError):
                pass  # left unfolded: evaluating it reports the error
        rule = getattr(self, "_simplify_" + op.name, None)
        simpler = rule(*args) if rule else None
        e = simpler if simpler is not None else self.make(op, args)
        return self._aliases.get(id(e), e) if self._aliases else e

    def make(self, op: Op, args: tuple[Expr, ...]) -> Expr:
        """``op(*args)`` exactly as given (interned, not simplified)."""
        key = (op.name, *map(id, args))
        e = self._table.get(key)
        if e is not None:
            return e
        e = self._new(key)
        e.op, e.args = op, args
        e.symbolic = any(a.symbolic for a in args)
        e.factors = (args[0].factors or (args[0],)) + (args[1],) if op.name == "mul" else ()
        e.terms = args[0].terms + args[1].terms if op.name in ("add", "sub") else 1
        self._render(e)
        if len(e.text) > MAX_TEXT:
            raise FormulaTooLarge(f"the derivative is too large to show as a formula (over {MAX_TEXT:,} characters)")
        # two ways to build what prints the same are one expression (x*z*(a + b) as (x*z)*s or x*(z*s)):
        # the text reads back as one value, so like terms find each other
        same = self._texts.setdefault(e.text, e)
        if same is not e:
            self._table[key] = same
        return same

    def _render(self, e: Expr) -> None:
        op, args = e.op, e.args
        assert op is not None
        if op.name in ("add", "sub"):
            sign = "+" if op.name == "add" else "-"
            a, b = args
            right, lright = _wrap(b, SUM + 1), _lwrap(b, SUM + 1)
            if right.startswith("-") and lright.startswith("-"):
                # a + -b*c is a - b*c: the minus of an operand that needs no parentheses binds as loosely
                sign, right, lright = ("-" if sign == "+" else "+"), right[1:], lright[1:]
            e.text = f"{_wrap(a, SUM)} {sign} {right}"
            e.latex = f"{_lwrap(a, SUM)} {sign} {lright}"
            e.prec = e.latex_prec = SUM
        elif op.name == "mul":
            a, b = args
            e.text = f"{_wrap(a, PRODUCT)}*{_wrap(b, PRODUCT + 1)}"
            e.latex = f"{_lwrap(a, PRODUCT)} \\cdot {_lwrap(b, PRODUCT + 1)}"
            e.prec = e.latex_prec = PRODUCT
        elif op.name == "div":
            a, b = args
            e.text = f"{_wrap(a, PRODUCT)}/{_wrap(b, PRODUCT + 1)}"
            e.latex = f"\\frac{{{a.latex}}}{{{b.latex}}}"
            e.prec, e.latex_prec = PRODUCT, POWER  # a fraction needs no parentheses but as a base
        elif op.name == "pow":
            a, b = args
            e.text = f"{_wrap(a, ATOM)}**{_wrap(b, UNARY)}"
            e.latex = f"{_lwrap(a, ATOM)}^{{{b.latex}}}"
            e.prec = e.latex_prec = POWER
        elif op.name == "neg":
            (a,) = args
            # -a*b is -(a*b) in value, so a product needs no parentheses
            e.text = f"-{_wrap(a, PRODUCT)}"
            e.latex = f"-{_lwrap(a, PRODUCT)}"
            e.prec = e.latex_prec = UNARY
        else:
            e.text = f"{op.name}({', '.join(a.text for a in args)})"
            latex_args = [a.latex for a in args]
            if op.latex:
                e.latex = op.latex.format(*latex_args)
            else:
                e.latex = "\\operatorname{" + op.name + "}\\left(" + ", ".join(latex_args) + "\\right)"
            e.prec = e.latex_prec = ATOM

    # ----- simplification rules: None means "no simpler form" -------------------
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
        """e as a list of coefficient * term; a number n is n * 1."""
        out = []
        stack = [(e, 1.0)]
        while stack:
            x, s = stack.pop()
            if x.op is OPS["add"] or x.op is OPS["sub"]:
                stack.append((x.args[1], s if x.op is OPS["add"] else -s))
                stack.append((x.args[0], s))
            else:
                c, t = self._split(x)
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
        """A product with one sum among its factors, multiplied out when that is shorter to read:
        x*(2/x + y) -> x*y + 2. Terms of the sum then cancel with the other factors (and each other)."""
        sums = [k for k, (base, n) in powers.items() if n == 1 and base.op in (_ADD, _SUB)]
        if len(sums) != 1 or len(product.text) > MAX_DISTRIBUTED or self._distributing > 2:
            return None
        rest = dict(powers)
        total = rest.pop(sums[0])[0]
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
                seen_exp = powers.get(_EXP_KEY)  # type: ignore[call-overload]
                if seen_exp is not None:
                    f = self.apply(_EXP, self.apply(_ADD, seen_exp[0].args[0], f.args[0]))
                powers[_EXP_KEY] = (f, 1.0)  # type: ignore[index]
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
            a, b = top.pop(_EXP_KEY)[0], bottom.pop(_EXP_KEY)[0]  # type: ignore[call-overload]
            top[_EXP_KEY] = (self.apply(_EXP, self.apply(_SUB, a.args[0], b.args[0])), 1.0)  # type: ignore[index]
        for k in [k for k in top if k in bottom]:
            base, n = top[k]
            m = bottom.pop(k)[1]
            if n >= m:
                top[k] = (base, n - m)
            else:
                del top[k]
                bottom[k] = (base, m - n)
        if bottom_c != 1 and top_c != 1:
            quotient = top_c / bottom_c
            if not _fraction(top_c, bottom_c, quotient):
                top_c, bottom_c = quotient, 1.0  # 2*x/4 -> 0.5*x, but x/7 and 2*x/7 as they are
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
