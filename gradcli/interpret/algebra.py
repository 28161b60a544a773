"""Expressions for formulas: interned nodes, simplified as they are built, printed two ways.

``Algebra`` builds every expression node once (equal expressions are the
same object, and so are two that print the same), with simplification on the
way (``rules``: constant folding, 0 and 1 identities, like terms, shared
factors, powers of the same base, quotients cancelled). It also names
expressions (``define``): a symbol that stands for a body, which building
the body again gives back. Every node prints in gradcli's own language (so a
formula can be parsed and evaluated again) and in LaTeX (``expr``). No
computer algebra system is involved.
"""

from __future__ import annotations

import math

from ..errors import GradcliError, MathError
from ..language.ops import OPS, Op
from .expr import ATOM, UNARY, Expr, latex_name, number_text, render
from .rules import _ADD, _MUL, Rules, _fraction

__all__ = ["Algebra", "Expr", "FormulaTooLarge", "latex_name", "number_text"]

MAX_NODES = 200_000  # expression nodes one derivation may build


MAX_TEXT = 20_000  # characters of one formula


class FormulaTooLarge(GradcliError):
    """A derivative too large to show as a formula."""


class Algebra(Rules):
    """Builds simplified, interned expressions."""

    def __init__(self) -> None:
        self._table: dict[tuple[object, ...], Expr] = {}
        self._sums: dict[tuple[object, ...], Expr] = {}
        self._texts: dict[str, Expr] = {}  # an op's application by its text  # a sum's terms, in any order -> the sum first built
        #: named expressions, in the order defined (each body reads only earlier names): symbol id -> body
        self.bodies: dict[int, Expr] = {}
        self.defined: list[Expr] = []  # the defined symbols, in that order
        self._aliases: dict[int, Expr] = {}  # id(body) -> the symbol that names it
        #: a function's derivative at a call's arguments (df_dx(a, b)) -> its definition's head (df_dx(x, y))
        self.instances: dict[int, Expr] = {}
        #: a symbol written as a call (n(a, c), df_dx(a)) -> its arguments: its text reads them
        self.arguments: dict[int, list[Expr]] = {}
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

    def redefine(self, symbol: Expr, body: Expr) -> None:
        """``symbol`` stands for ``body`` now (the same value, written another way)."""
        del self._aliases[id(self.bodies[id(symbol)])]
        self.bodies[id(symbol)] = body
        self._aliases[id(body)] = symbol

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
        render(e)
        if len(e.text) > MAX_TEXT:
            raise FormulaTooLarge(f"the derivative is too large to show as a formula (over {MAX_TEXT:,} characters)")
        # two ways to build what prints the same are one expression (x*z*(a + b) as (x*z)*s or x*(z*s)):
        # the text reads back as one value, so like terms find each other
        same = self._texts.setdefault(e.text, e)
        if same is not e:
            self._table[key] = same
        return same
