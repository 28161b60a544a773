"""A formula's node, and how it reads: in gradcli's own language and in LaTeX.

An ``Expr`` is built by an ``algebra.Algebra`` (which interns and simplifies);
``render`` writes its text once, from its arguments' texts, with the fewest
parentheses that keep the value (so a formula parses back to what it means).
"""

from __future__ import annotations

import re

from ..language.ops import Op

# precedence, loosest first: a + b, a * b, -a, a ** b, atoms
SUM, PRODUCT, UNARY, POWER, ATOM = 1, 2, 3, 4, 5


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


def _signed(right: str, sign: str) -> tuple[str, str]:
    """a + -b*c is a - b*c (and a - -b is a + b): the minus of an operand that needs no parentheses
    binds as loosely as the sum's, so it joins the sum's sign and '+ -' is never printed."""
    if right.startswith("-"):
        return right[1:], "-" if sign == "+" else "+"
    return right, sign


def _wrap(e: Expr, prec: int) -> str:
    return e.text if e.prec >= prec else f"({e.text})"


def _lwrap(e: Expr, prec: int) -> str:
    return e.latex if e.latex_prec >= prec else f"\\left({e.latex}\\right)"


def render(e: Expr) -> None:
    op, args = e.op, e.args
    assert op is not None
    if op.name in ("add", "sub"):
        sign = "+" if op.name == "add" else "-"
        a, b = args
        right, right_sign = _signed(_wrap(b, SUM + 1), sign)
        lright, lright_sign = _signed(_lwrap(b, SUM + 1), sign)
        e.text = f"{_wrap(a, SUM)} {right_sign} {right}"
        e.latex = f"{_lwrap(a, SUM)} {lright_sign} {lright}"
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
        # -a*b is -(a*b) in value, so a product needs no parentheses; but then it reads as a product
        # (x/-a*b is (x/-a)*b): after / or * it is wrapped as a product would be
        e.text = f"-{_wrap(a, PRODUCT)}"
        e.latex = f"-{_lwrap(a, PRODUCT)}"
        e.prec = PRODUCT if a.prec == PRODUCT else UNARY
        e.latex_prec = PRODUCT if a.latex_prec == PRODUCT else UNARY
    else:
        e.text = f"{op.called or op.name}({', '.join(a.text for a in args)})"
        latex_args = [a.latex for a in args]
        if op.latex:
            e.latex = op.latex.format(*latex_args)
        else:
            e.latex = "\\operatorname{" + op.name + "}\\left(" + ", ".join(latex_args) + "\\right)"
        e.prec = e.latex_prec = ATOM
