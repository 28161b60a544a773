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

# precedence, loosest first: a + b, a * b, -a, a ** b, atoms
SUM, PRODUCT, UNARY, POWER, ATOM = 1, 2, 3, 4, 5


MAX_NODES = 200_000  # expression nodes one derivation may build


MAX_TEXT = 20_000  # characters of one formula


MAX_SUM_TERMS = 64  # longer sums are left as they are (tidying them costs quadratic time)


class FormulaTooLarge(GradcliError):
    """A derivative too large to show as a formula."""


class Expr:
    """An expression node: a number, a symbol, or an op applied to expressions.

    Nodes are interned by their algebra, so equal expressions are the same
    object and ``a is b`` is structural equality.
    """

    __slots__ = ("op", "args", "value", "name", "text", "latex", "prec", "latex_prec", "symbolic", "factors", "terms")

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

    @property
    def is_number(self) -> bool:
        return self.value is not None and self.name is None

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
        self.zero = self.num(0.0)
        self.one = self.num(1.0)

    # ----- leaves --------------------------------------------------------------
    def num(self, v: float) -> Expr:
        v = v + 0.0  # -0.0 and 0.0 are one number here
        key = ("num", v)
        e = self._table.get(key)
        if e is None:
            e = self._new(key)
            e.value = v
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
        if all(a.is_number for a in args):
            try:
                value = op.forward(*[a.value for a in args])
                if math.isfinite(value):
                    return self.num(value)
            except (MathError, ArithmeticError, ValueError):
                pass  # left unfolded: evaluating it reports the error
        rule = getattr(self, "_simplify_" + op.name, None)
        simpler = rule(*args) if rule else None
        return simpler if simpler is not None else self.make(op, args)

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
        return e

    def _render(self, e: Expr) -> None:
        op, args = e.op, e.args
        assert op is not None
        if op.name in ("add", "sub"):
            sign = "+" if op.name == "add" else "-"
            a, b = args
            e.text = f"{_wrap(a, SUM)} {sign} {_wrap(b, SUM + 1)}"
            e.latex = f"{_lwrap(a, SUM)} {sign} {_lwrap(b, SUM + 1)}"
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
            e.text = f"{op.called or op.name}({', '.join(a.text for a in args)})"
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
            if c != 1 and t is not self.one:
                return c, self.make(OPS["div"], (t, e.args[1]))
        return 1.0, e

    def _simplify_mul(self, a: Expr, b: Expr) -> Expr | None:
        if b.op is OPS["div"]:  # a * (c/d) -> (a*c)/d
            return self.apply(OPS["div"], self.apply(OPS["mul"], a, b.args[0]), b.args[1])
        if a.op is OPS["div"]:
            return self.apply(OPS["div"], self.apply(OPS["mul"], a.args[0], b), a.args[1])
        coefficient = 1.0
        powers: dict[int, tuple[Expr, float]] = {}  # base id -> (base, summed exponent)
        others: list[Expr] = []
        for f in self._factors(a) + self._factors(b):
            if f.is_number:
                coefficient *= f.value  # type: ignore[operator]
            elif f.op is OPS["pow"] and f.args[1].is_number:
                base, exponent = f.args[0], f.args[1].value
                _, seen = powers.get(id(base), (base, 0.0))
                powers[id(base)] = (base, seen + exponent)  # type: ignore[operator]
            elif f.op is None or f.op.callable:
                _, seen = powers.get(id(f), (f, 0.0))
                powers[id(f)] = (f, seen + 1.0)
            else:
                others.append(f)
        if coefficient == 0:
            return self.zero
        factors = [base if n == 1 else self.apply(OPS["pow"], base, self.num(n))
                   for base, n in powers.values() if n != 0]
        factors = sorted(factors, key=_factor_order) + others
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
        return None

    def _simplify_neg(self, a: Expr) -> Expr | None:
        if a.op is OPS["neg"]:
            return a.args[0]
        if a.op is OPS["mul"] and a.factors[0].is_number:
            return self.apply(OPS["mul"], self.num(-1.0), a)
        if a.op is OPS["sub"]:
            return self.apply(OPS["sub"], a.args[1], a.args[0])
        return None

    def _simplify_pow(self, a: Expr, b: Expr) -> Expr | None:
        if b is self.one:
            return a
        if b is self.zero or a is self.one:
            return self.one
        if a.op is OPS["pow"] and a.args[1].is_number and b.is_number and b.value.is_integer():  # type: ignore[union-attr]
            return self.apply(OPS["pow"], a.args[0], self.num(a.args[1].value * b.value))  # type: ignore[operator]
        return None


def _factor_order(e: Expr) -> tuple[int, str]:
    # numbers, then symbols and their powers, then functions of them: 2*x**2*sin(x)
    base = e.args[0] if e.op is OPS["pow"] else e
    return (0 if base.op is None else 1), e.text
