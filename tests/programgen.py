"""Random gradcli programs for property tests: hypothesis strategies.

``programs()`` draws a :class:`GeneratedProgram` (source text, the ``values``
to pass to ``evaluate`` and an optional ``output`` name). The programs use
every operator and function, the precedence traps (``-x**2``, ``2**-1``,
``a - b - c``, ``a / b / c``, ``2 ** 3 ** 2``), ``^`` as well as ``**``,
shadowed constants and function names used as variables (``e = 2``,
``sin = 3``), reuse and reassignment (``x = x * 2``), values given from
outside that override ``x = 1`` in the program, ``;`` and newlines (also
``\\r\\n``), blank statements, comments and odd spacing, and functions of the program's own
(``f1(p, q) = ...``) called with arguments of every kind, a body calling the
functions before it.

Domains are kept safe so that most programs evaluate: log, sqrt, divisors and
the bases of non-integer or variable powers are built to be positive
(``1 + u**2``, ``2 + sin(u)``, ``exp(u)``, a positive variable, ...). A few
programs still overflow or underflow (``exp(exp(exp(3)))``); tests ``assume()``
those away.

``fuzz_settings(n)`` is the hypothesis settings every property test here
uses: ``n`` examples by default, or ``$GRADCLI_FUZZ_EXAMPLES`` examples per
test when that is set (``GRADCLI_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz.py``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ENV_EXAMPLES = "GRADCLI_FUZZ_EXAMPLES"

settings.register_profile(
    "gradcli-fuzz",
    deadline=None,  # the first example pays for compiling the grammar; sympy varies
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    print_blob=True,  # a failure prints the line that reproduces it
)


def fuzz_settings(default: int) -> settings:
    """The settings for a property test: ``default`` examples, or $GRADCLI_FUZZ_EXAMPLES."""
    wanted = os.environ.get(ENV_EXAMPLES, "").strip()
    return settings(settings.get_profile("gradcli-fuzz"), max_examples=int(wanted) if wanted else default)


# ----- the language's vocabulary -------------------------------------------------
ONE_ARG = ["exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs",
           # the fuller language: defined everywhere (sinh, cosh and exp2 may overflow)
           "atan", "sinh", "cosh", "asinh", "exp2", "cbrt", "erf", "erfc", "softplus", "floor", "ceil", "round",
           # defined on part of the line: built with a safe argument (see call1)
           "asin", "acos", "atanh", "acosh", "log10", "log2", "ln"]
TWO_ARGS = ["pow", "max", "min", "atan2", "hypot", "log"]
#: any number of arguments (max and min two or more)
VARIADIC = ["max", "min", "sum", "mean"]
FUNCTIONS = ONE_ARG + TWO_ARGS
CONSTANTS = ["pi", "e"]

#: variable names: plain, digits, underscores, unicode, and names that shadow a
#: constant (e, pi) or a function (sin, max: calls still mean the function)
NAMES = ["x", "y", "z", "w1", "b", "h_2", "θ", "_t", "out", "aLongerName", "e", "pi", "sin", "max"]

#: positive literals in the spellings the grammar accepts
POSITIVE_LITERALS = ["1", "2", "3", "4", "0.5", ".5", "1.5", "2.", "2.0", "1e0", "25e-1", "0.25", "3.75", "1E1", "0.1"]
ZERO_LITERALS = ["0", "0.0", "0e0", ".0"]

#: constant sub-expressions that are precedence traps, with their precedence and sign
CONSTANT_TRAPS = [
    ("2 ** 3 ** 2", "power", True),  # 512: ** is right associative
    ("2**-1", "power", True),  # 0.5: a unary minus in the exponent
    ("2 ^ -1", "power", True),
    ("4 ** -0.5", "power", True),
    ("-2 ** 2", "unary", False),  # -4, not 4
    ("(-2) ** 2", "power", True),
    ("(-2) ^ 3", "power", False),
    ("2 ** 0.5", "power", True),
    ("10 - 4 - 3", "sum", True),  # 3, not 9
    ("12 / 3 / 2", "product", True),  # 2, not 8
]

# precedence levels, loosest to tightest
SUM, PRODUCT, UNARY, POWER, ATOM = 1, 2, 3, 4, 5
_LEVEL = {"sum": SUM, "product": PRODUCT, "unary": UNARY, "power": POWER, "atom": ATOM}

#: values given to evaluate(): a few exact ones (ties and kinks at 0), and any float in [-3, 3]
GIVEN_VALUES = st.one_of(
    st.sampled_from([0.0, 1.0, -1.0, 2.0, 0.5, -0.5, 3.0]),
    st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False),
)


@dataclass(frozen=True)
class Expr:
    text: str
    prec: int
    #: known to be > 0 (safe for log, sqrt, a divisor, the base of x ** y)
    positive: bool = False
    #: gradcli folds it to one number (2, -2, (+2)): `name = <this>` makes an input variable
    number: bool = False
    #: a number or an unshadowed constant: `name = <this>` is overridden by a given value
    leaf_constant: bool = False


@dataclass(frozen=True)
class Function:
    """A function the program defines: ``name(params) = ...``; each parameter wants a positive
    argument or any, and the value is known positive or not."""

    name: str
    positive_params: tuple[bool, ...]
    positive: bool


#: parameter names of a function of the program's own: plain, and one that shadows the constant e
PARAMS = ["p", "q", "e"]


@dataclass
class GeneratedProgram:
    source: str
    values: dict[str, float] = field(default_factory=dict)
    output: str | None = None


def _at(e: Expr, prec: int) -> str:
    """e's text, parenthesized when it binds looser than ``prec``."""
    return e.text if e.prec >= prec else f"({e.text})"


class _Builder:
    """Draws expressions over the names defined so far (``scope``: name -> positive)."""

    def __init__(self, draw: st.DrawFn, scope: dict[str, bool], known: dict[str, float],
                 functions: list[Function] | None = None) -> None:
        self.draw = draw
        self.scope = scope
        #: names whose exact value the generator knows (given, or `name = number`)
        self.known = known
        #: the functions of the program's own defined so far
        self.functions = functions if functions is not None else []
        #: pi and e may be read (not in a function's body, which reads only its parameters:
        #: there they would mean a variable of that name, should the program have one by then)
        self.constants = True

    def choice(self, options: list):  # type: ignore[no-untyped-def]
        return self.draw(st.sampled_from(options))

    def space(self) -> str:
        return self.choice([" ", " ", "", "  ", "\t"])

    def op(self, a: str, symbol: str, b: str) -> str:
        s = self.space()
        return f"{a}{s}{symbol}{s}{b}"

    def pow_symbol(self) -> str:
        return self.choice(["**", "**", "^"])

    # ----- leaves -------------------------------------------------------------
    def literal(self, positive: bool) -> Expr:
        text = self.choice(POSITIVE_LITERALS if positive else POSITIVE_LITERALS + ZERO_LITERALS)
        return Expr(text, ATOM, positive=positive or float(text) > 0, number=True, leaf_constant=True)

    def leaf(self, positive: bool) -> Expr:
        names = [n for n, pos in self.scope.items() if pos or not positive]
        constants = [c for c in CONSTANTS if c not in self.scope] if self.constants else []
        kinds = ["literal"] * 2 + ["name"] * 8 * bool(names) + ["constant"] * bool(constants) + ["trap"]
        kind = self.choice(kinds)
        if kind == "name":
            name = self.choice(names)
            return Expr(name, ATOM, positive=self.scope[name])
        if kind == "constant":
            return Expr(self.choice(constants), ATOM, positive=True, leaf_constant=True)
        if kind == "trap":
            traps = [t for t in CONSTANT_TRAPS if t[2] or not positive]
            text, level, pos = self.choice(traps)
            return Expr(text, _LEVEL[level], positive=pos)
        return self.literal(positive)

    # ----- expressions --------------------------------------------------------
    def expr(self, depth: int, positive: bool = False) -> Expr:
        if depth <= 0 or self.draw(st.integers(0, 4)) == 0:
            return self.leaf(positive)
        if positive:
            return self._positive(depth - 1)
        return self._any(depth - 1)

    def _any(self, d: int) -> Expr:
        kind = self.choice([
            "neg", "neg", "pos", "add", "sub", "mul", "div", "sub_chain", "div_chain",
            "int_power", "int_power", "positive_power", "negative_power", "call1", "call1", "call1",
            "pow_call", "maxmin", "maxmin_tie", "paren", "positive", "risky", "call1", "call1", "call1", "call2", "call2",
            "variadic", "variadic_tie",
        ] + ["kink"] * 2 * bool(self.known) + ["usercall"] * 8 * bool(self.functions))
        if kind == "usercall":
            return self.usercall(d)
        if kind == "neg":  # -x**2 comes out when the operand is a power
            a = self.expr(d)
            folded = a.number  # gradcli folds -2 (and --2, -(2)) into one number
            return Expr(f"-{self.space()}{_at(a, UNARY)}", UNARY, number=folded, leaf_constant=folded)
        if kind == "pos":
            a = self.expr(d)
            return Expr(f"+{_at(a, UNARY)}", UNARY, a.positive, a.number, a.leaf_constant)
        if kind in ("add", "sub"):
            a, b = self.expr(d), self.expr(d)
            return Expr(self.op(_at(a, SUM), "+" if kind == "add" else "-", _at(b, PRODUCT)), SUM,
                        positive=kind == "add" and a.positive and b.positive)
        if kind == "mul":
            a, b = self.expr(d), self.expr(d)
            return Expr(self.op(_at(a, PRODUCT), "*", _at(b, UNARY)), PRODUCT, positive=a.positive and b.positive)
        if kind == "div":
            a, b = self.expr(d), self.expr(d, positive=True)
            return Expr(self.op(_at(a, PRODUCT), "/", _at(b, UNARY)), PRODUCT, positive=a.positive)
        if kind == "sub_chain":  # a - b - c is (a - b) - c
            a, b, c = self.expr(d), self.expr(d), self.expr(d)
            return Expr(self.op(self.op(_at(a, SUM), "-", _at(b, PRODUCT)), "-", _at(c, PRODUCT)), SUM)
        if kind == "div_chain":  # a / b / c is (a / b) / c
            a, b, c = self.expr(d), self.expr(d, positive=True), self.expr(d, positive=True)
            return Expr(self.op(self.op(_at(a, PRODUCT), "/", _at(b, UNARY)), "/", _at(c, UNARY)), PRODUCT,
                        positive=a.positive)
        if kind == "int_power":  # any base to 0, 1, 2 or 3
            a = self.expr(d)
            k = self.choice(["2", "2", "3", "1", "0", "2.0"])
            return Expr(self.op(_at(a, ATOM), self.pow_symbol(), k), POWER, positive=a.positive or k in ("0", "2", "2.0"))
        if kind == "positive_power":  # p ** u: a positive base, any exponent (x ** -y too)
            a, b = self.expr(d, positive=True), self.expr(d)
            return Expr(self.op(_at(a, ATOM), self.pow_symbol(), _at(b, UNARY)), POWER, positive=True)
        if kind == "negative_power":  # p ** -1, p ** -0.5
            a = self.expr(d, positive=True)
            k = self.choice(["-1", "-2", "-0.5", "- 1"])
            return Expr(self.op(_at(a, ATOM), self.pow_symbol(), k), POWER, positive=True)
        if kind == "call1":
            fn = self.choice(self.choice([ONE_ARG[:10], ONE_ARG[10:], ONE_ARG[10:]]))  # the newer, more often
            if fn in ("log", "sqrt", "log10", "log2", "ln"):
                a = self.expr(d, positive=True)
            elif fn == "acosh":  # at least 1
                a = Expr(self.op("1", "+", _at(self.expr(d, positive=True), SUM)), SUM)
            elif fn in ("asin", "acos", "atanh") or fn == "tan" and self.draw(st.booleans()):
                # |argument| < 1: inside the domain, far from tan's poles
                a = Expr(f"{self.choice(['tanh', 'tanh', 'sin'])}({self.expr(d).text})", ATOM)
                if fn == "atanh" and a.text.startswith("sin"):
                    a = Expr(f"0.5 * {a.text}", PRODUCT)
            else:
                a = self.expr(d)
            return Expr(f"{fn}({a.text})", ATOM, positive=fn in ("exp", "sigmoid", "exp2", "erfc", "softplus", "cosh"))
        if kind == "call2":
            fn = self.choice(["atan2", "hypot", "log", "ln"])
            if fn in ("log", "ln"):  # a positive number to a positive base other than 1
                a = self.expr(d, positive=True)
                base = self.choice([Expr(self.choice(["2", "10", "0.5", "e", "3.75"]), ATOM),
                                    Expr(f"2 + sin({self.expr(d).text})", SUM), self.expr(d, positive=True)])
                return Expr(f"{fn}({a.text},{self.space()}{base.text})", ATOM)
            a, b = self.expr(d), self.expr(d)
            return Expr(f"{fn}({a.text}, {b.text})", ATOM, positive=fn == "hypot" and (a.positive or b.positive))
        if kind == "variadic":
            fn = self.choice(VARIADIC)
            n = self.draw(st.integers(2 if fn in ("max", "min") else 1, 4))
            args = [self.expr(d) for _ in range(n)]
            # max is positive when one argument is; min, sum and mean when all are
            positive = (any if fn == "max" else all)(a.positive for a in args)
            return Expr(f"{fn}({', '.join(a.text for a in args)})", ATOM, positive=positive)
        if kind == "variadic_tie":  # an argument repeated: the gradient goes to its first place
            fn = self.choice(["max", "min"])
            a, b = self.expr(d), self.expr(d)
            text = self.choice(["{fn}({a}, {a}, {b})", "{fn}({b}, {a}, {a})", "{fn}({a}, {b}, {a}, {b})"])
            return Expr(text.format(fn=fn, a=a.text, b=b.text), ATOM)
        if kind == "pow_call":
            if self.draw(st.booleans()):
                a, b = self.expr(d, positive=True), self.expr(d)
            else:
                a, b = self.expr(d), Expr(self.choice(["2", "3", "1", "0"]), ATOM)
            return Expr(f"pow({a.text},{self.space()}{b.text})", ATOM, positive=a.positive)
        if kind == "maxmin":
            fn = self.choice(["max", "min"])
            a, b = self.expr(d), self.expr(d)
            return Expr(f"{fn}({a.text}, {b.text})", ATOM, positive=a.positive and b.positive)
        if kind == "maxmin_tie":  # an exact tie: the gradient goes to the first argument
            fn = self.choice(["max", "min"])
            a = self.expr(d)
            return Expr(f"{fn}({a.text}, {a.text})", ATOM, positive=a.positive)
        if kind == "paren":
            a = self.expr(d)
            return Expr(f"({a.text})", ATOM, a.positive, a.number, a.leaf_constant)
        if kind == "kink":  # exactly at a kink of a variable: relu'(0) = abs'(0) = 0, ties go first
            name = self.choice(sorted(self.known))
            value = self.known[name]
            number = repr(value) if value >= 0 else f"({value!r})"
            text = self.choice(["relu({n} - {v})", "relu({v} - {n})", "abs({n} - {v})", "max({n}, {v})",
                                "max({v}, {n})", "min({n}, {v})", "min({v}, {n})", "max(2 * {n}, {n} + {v})",
                                "min({n} + {v}, 2 * {n})", "max({n} + {v}, {n} * 2)", "max({n}, {v}, {n})",
                                "min({v}, 1, {n}, {v})", "max({n} - 1, {v} - 1, {n})", "hypot({n} - {v}, 0)",
                                "atan2({n} - {v}, -1)", "floor({n} - {v})", "round({n} - {v} + 0.5)"])
            return Expr(text.format(n=name, v=number), ATOM)
        if kind == "risky":  # unguarded domains: some of these raise MathError
            a, b = self.expr(d), self.expr(d)
            text = self.choice(["log({a})", "sqrt({a})", "{pa} / {pb}", "{pa} ** {pb}", "exp(exp({a}))",
                                "1 / ({pa} - {pa})", "pow(0, {a})", "exp({pa} * 300)", "{pa} ** 400",
                                "asin({a})", "acos({a})", "atanh({a})", "acosh({a})", "log10({a})", "log2({a})",
                                "log({a}, {b})", "ln({a}, 1)", "cbrt({a})", "sinh({pa} * 300)", "exp2({pa} * 900)"])
            return Expr(text.format(a=a.text, b=b.text, pa=_at(a, ATOM), pb=_at(b, ATOM)), PRODUCT)
        return self._positive(d)

    def usercall(self, d: int) -> Expr:
        """A call of a function of the program's own, with arguments as its parameters want."""
        fn = self.choice(self.functions)
        args = [self.expr(d, positive=pos) for pos in fn.positive_params]
        return Expr(f"{fn.name}({', '.join(a.text for a in args)})", ATOM, positive=fn.positive)

    def _positive(self, d: int) -> Expr:
        kind = self.choice([
            "square_plus", "shifted_trig", "exp", "sigmoid", "sqrt", "mul", "add", "div",
            "power", "kinked", "log1p", "paren", "leaf",
        ])
        if kind == "square_plus":  # 1 + u**2
            a = self.expr(d)
            square = self.op(_at(a, ATOM), self.pow_symbol(), "2")
            return Expr(self.choice([self.op("1", "+", square), self.op(square, "+", "1")]), SUM, positive=True)
        if kind == "shifted_trig":
            a = self.expr(d)
            text = self.choice(["2 + sin({})", "2 - cos({})", "1.5 + tanh({})", "1.5 - tanh({})", "2 + cos({})"])
            return Expr(text.format(a.text), SUM, positive=True)
        if kind in ("exp", "sigmoid"):
            return Expr(f"{kind}({self.expr(d).text})", ATOM, positive=True)
        if kind == "sqrt":
            return Expr(f"sqrt({self.expr(d, positive=True).text})", ATOM, positive=True)
        if kind in ("mul", "add", "div"):
            a, b = self.expr(d, positive=True), self.expr(d, positive=True)
            if kind == "mul":
                return Expr(self.op(_at(a, PRODUCT), "*", _at(b, UNARY)), PRODUCT, positive=True)
            if kind == "div":
                return Expr(self.op(_at(a, PRODUCT), "/", _at(b, UNARY)), PRODUCT, positive=True)
            return Expr(self.op(_at(a, SUM), "+", _at(b, PRODUCT)), SUM, positive=True)
        if kind == "power":
            a = self.expr(d, positive=True)
            b = self.expr(d) if self.draw(st.booleans()) else Expr(self.choice(["0.5", "-1", "1.5", "3"]), ATOM)
            if self.draw(st.booleans()):
                return Expr(f"pow({a.text}, {b.text})", ATOM, positive=True)
            return Expr(self.op(_at(a, ATOM), self.pow_symbol(), _at(b, UNARY)), POWER, positive=True)
        if kind == "kinked":
            a = self.expr(d)
            text = self.choice(["abs({}) + 0.5", "relu({}) + 1", "max({}, 1)", "max(1, {})"])
            return Expr(text.format(a.text), SUM if "+" in text else ATOM, positive=True)
        if kind == "log1p":
            return Expr(f"log(1 + {self.expr(d, positive=True).text})", ATOM, positive=True)
        if kind == "paren":
            a = self.expr(d, positive=True)
            return Expr(f"({a.text})", ATOM, a.positive, a.number, a.leaf_constant)
        return self.leaf(positive=True)


_SEPARATORS = ["\n", "\n", ";", "; ", " ; ", "\n\n", ";\n", "\r\n", ";;", "\n;\n"]
_COMMENT_TEXT = st.text(st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)), max_size=12)


@st.composite
def programs(draw: st.DrawFn, max_statements: int = 8, max_depth: int = 4, functions_first: bool = False) -> GeneratedProgram:
    """A random valid gradcli program, the values to give it, and maybe an output name.
    ``functions_first``: the program starts by defining one to three functions of its own,
    and its last statement calls one."""
    values: dict[str, float] = {}
    scope: dict[str, bool] = {}  # name -> known positive
    known: dict[str, float] = {}  # name -> its exact value, when the generator knows it
    for name in draw(st.lists(st.sampled_from(NAMES), min_size=draw(st.sampled_from([0, 1, 1, 2])), max_size=3, unique=True)):
        values[name] = draw(GIVEN_VALUES)
        scope[name] = values[name] >= 0.1
        known[name] = values[name]
    assigned: set[str] = set()
    functions: list[Function] = []
    b = _Builder(draw, scope, known, functions)

    statements: list[str] = []
    for _ in range(draw(st.integers(1, 3)) if functions_first else 0):
        statements.append(_definition(draw, functions, draw(st.integers(1, max_depth))))
    for _ in range(draw(st.integers(1, max_statements))):
        depth = draw(st.integers(0, max_depth))
        free = [n for n in NAMES if n not in scope]
        overridable = [n for n in values if n not in assigned]
        kinds = ["assign"] * 4 + ["input"] * 2 + ["reassign"] * 2 * bool(scope) + ["bare"] + ["alias"] * bool(scope)
        kinds += ["override"] * bool(overridable) + ["define"] * 2 * (len(functions) < 3) + ["call"] * 3 * bool(functions)
        if not scope:  # a variable first, or a definition
            kind = "define" if not functions and draw(st.integers(0, 3)) == 0 else "input"
        else:
            kind = draw(st.sampled_from(kinds))
        if kind == "define":
            statements.append(_definition(draw, functions, depth))
            continue
        if kind == "call":  # name = f1(...): a new name, or one reassigned
            kind = "assign" if free and draw(st.booleans()) else "reassign"
            e = b.usercall(depth)
        else:
            e = None
        if kind in ("assign", "input", "alias") and not free:
            kind = "reassign"
        if kind == "bare":
            statements.append(b.expr(depth).text)
            continue
        if kind == "override":  # the given value wins over `name = number`
            name = draw(st.sampled_from(overridable))
            e = b.literal(positive=draw(st.booleans()))
            positive = scope[name]
        elif kind == "input":  # name = number: a new input variable
            name = draw(st.sampled_from(free))
            e = b.literal(positive=draw(st.booleans()))
            if draw(st.booleans()):
                e = Expr(f"-{e.text}", UNARY, number=True, leaf_constant=True)
            positive = e.positive
            known[name] = float(e.text)
        elif kind == "alias":  # y = x: y names the same node as x
            name = draw(st.sampled_from(free))
            target = draw(st.sampled_from(sorted(scope)))
            e = Expr(target, ATOM, positive=scope[target])
            positive = e.positive
            if target in known:
                known[name] = known[target]
            else:
                known.pop(name, None)
        else:  # assign a new name, or reassign one (x = x * 2 uses the old x)
            name = draw(st.sampled_from(free if kind == "assign" else sorted(scope)))
            e = e or b.expr(depth)
            given_wins = name in values and name not in assigned and e.leaf_constant
            positive = scope[name] if given_wins else e.positive
            if not given_wins:
                known.pop(name, None)
        statements.append(f"{name}{b.space()}={b.space()}{e.text}")
        scope[name] = positive
        assigned.add(name)

    if len(statements) == len(functions):  # only definitions: a program needs a statement to differentiate
        name = draw(st.sampled_from(NAMES))
        e = b.literal(positive=True)
        statements.append(f"{name} = {e.text}")
        scope[name], known[name] = True, float(e.text)
    if functions_first:
        statements.append(f"out = {b.usercall(draw(st.integers(0, max_depth))).text}")
        scope["out"] = False
    elif scope and draw(st.booleans()):  # a last statement that uses what came before
        used = draw(st.lists(st.sampled_from(sorted(scope)), min_size=1, max_size=4))
        terms = [b.choice(["{}", "{}", "sin({})", "tanh({})", "{} ** 2", "sigmoid({})", "relu({})", "atan({})",
                           "erf({})", "softplus({})", "asinh({})", "atanh(tanh({}))", "log2(1 + {} ** 2)",
                           "mean({}, 1)", "sum({})", "erfc({})", "hypot({}, 1)", "log10(1 + {} ** 2)", "round({})",
                           "ceil({})", "floor({})", "cosh({})", "sinh({})", "exp2(tanh({}))", "cbrt({})",
                           "acos(tanh({}))", "asin(tanh({}))", "acosh(2 + {} ** 2)", "ln(2 + {} ** 2, 3)",
                           "atan2({}, 2)", "max({}, 0.5, -1)"]).format(n) for n in used]
        ops = [b.choice([" + ", " * ", " - "]) for _ in terms[1:]]
        total = terms[0] + "".join(o + t for o, t in zip(ops, terms[1:]))
        statements.append(draw(st.sampled_from(["", "loss = ", "out = "])) + total)
        if statements[-1].startswith(("loss", "out")):
            scope[statements[-1].split(" ")[0]] = False

    source = _layout(draw, statements)
    # a value for a name the program never uses as a variable is an error (tested on its own)
    values = {name: x for name, x in values.items() if _mentions(source, name)}
    named = sorted(name for name in scope if _mentions(source, name))
    output = draw(st.one_of(st.none(), st.none(), st.sampled_from(named))) if named else None
    return GeneratedProgram(source, values, output)


def _definition(draw: st.DrawFn, functions: list[Function], depth: int) -> str:
    """``f1(p, q) = body``: parameters local to the body, which may call the functions before it.
    The body reads only its parameters, numbers and constants, and is never a parameter alone
    (``id(x) = x`` makes ``y = id(a)`` another name for a: tested on its own)."""
    params = draw(st.lists(st.sampled_from(PARAMS), min_size=1, max_size=3, unique=True))
    positive = tuple(draw(st.booleans()) for _ in params)
    body_builder = _Builder(draw, dict(zip(params, positive)), {}, functions)
    body_builder.constants = False
    body = body_builder.expr(max(depth, 1))
    if body.text.strip("()+ \t") in params:
        body = Expr(f"{_at(body, PRODUCT)} * 2", PRODUCT, positive=body.positive)
    name = f"f{len(functions) + 1}" if draw(st.integers(0, 3)) else f"ƒ_{len(functions) + 1}"
    functions.append(Function(name, positive, body.positive))
    space = body_builder.space()
    return f"{name}({', '.join(params)}){space}={space}{body.text}"


_DEFINITIONS = re.compile(r"(?m)(?:^|(?<=;))[ \t]*\w+\([\w ,]*\)[ \t]*=[^\n;]*")


def _mentions(source: str, name: str) -> bool:
    """Whether ``name`` is a variable anywhere in ``source``: a word outside comments, not a call."""
    code = re.sub(r"#[^\n]*", "", source)
    code = _DEFINITIONS.sub("", code)  # a parameter is no variable, and a body reads nothing else
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)(?![ \t\f\r]*\()", code) is not None


def _layout(draw: st.DrawFn, statements: list[str]) -> str:
    """Join statements with separators, comments and stray whitespace."""
    parts: list[str] = []
    if draw(st.integers(0, 4)) == 0:
        parts.append(draw(st.sampled_from(["\n", ";", "# header\n", "#\n\n", "  \n"])))
    for i, statement in enumerate(statements):
        if draw(st.integers(0, 5)) == 0:
            statement = draw(st.sampled_from([" ", "\t", "  "])) + statement  # indented line
        parts.append(statement)
        last = i == len(statements) - 1
        sep = draw(st.sampled_from(["", "", "\n", ";", "  # the end"])) if last else draw(st.sampled_from(_SEPARATORS))
        if sep.startswith(("\n", "\r\n")) and draw(st.integers(0, 3)) == 0:
            parts.append(draw(st.sampled_from([" ", "  ", ""])) + "#" + draw(_COMMENT_TEXT))  # ends at the newline
        if draw(st.integers(0, 7)) == 0 and "\n" in sep:
            sep = sep + "# a comment line; with ^ ** and (\n"
        parts.append(sep)
    return "".join(parts)
