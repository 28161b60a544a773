"""gradcli against an independent reference: SymPy's symbolic derivatives.

Each program from ``programgen.programs()`` is translated to SymPy here, from
its text, without gradcli's parser or engine: the text becomes Python (``^``
is ``**``, ``;`` a newline, comments dropped; Python has the same precedence
rules), ``ast`` parses it, and every statement becomes a SymPy expression over
one symbol per earlier statement. The value is that expression evaluated at 40
digits; d(output)/d(node) is the chain rule over statements, each step a
symbolic partial derivative (``sympy.diff``) evaluated at the point. The same
walk computes every sub-expression in float64 with the ``math`` module, to
know where a kink (relu, abs, max, min) is and on which side gradcli stands.

gradcli's conventions at kinks: relu'(0) = 0, abs'(0) = 0, and max/min (of two
arguments or more) send the whole gradient to their first argument on a tie;
floor, ceil and round are flat (derivative 0, at their jumps too); atan2(0, x < 0)
is pi. Exact ties (``max(x, 2.0)``
at x = 2, ``relu(x - x)``) are kept and checked against these; near-ties, where
float rounding could pick either side, and trigonometry of huge numbers are
assumed away. Where float64 evaluation fails (log(0), overflow), gradcli must
raise MathError.

Checked, for the program's output and then for each named variable taken as
the output (``--of``): the value and every gradient to 1e-9 relative, plus an
absolute floor of 1e-11 times the largest magnitude met in the computation
(cancellation in ``a - b``); gradients against central finite differences of
gradcli's own value (loosely); and that evaluating a program twice gives
bit-identical results.
Examples per test: see ``programgen.fuzz_settings`` ($GRADCLI_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import ast
import decimal
import math
import re
import signal
import struct
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import pytest
import sympy
from hypothesis import assume, event, given, note, settings

from gradcli import evaluate
from gradcli.errors import GradcliError, MathError

try:  # tests/ as a package or as a plain folder on sys.path
    from .programgen import GeneratedProgram, fuzz_settings, programs
except ImportError:
    from programgen import GeneratedProgram, fuzz_settings, programs

DIGITS = 40
REL = 1e-9  # value and gradients against SymPy
FLOOR = 1e-11  # absolute floor, times the largest magnitude in the computation
FD_REL = 1e-4  # gradients against central finite differences


class ExpectedMathError(Exception):
    """float64 evaluation fails here: gradcli must raise MathError too."""


class ExpectedGivenError(Exception):
    """The program computes a given name before reading the given value: gradcli must refuse it."""


class _OutOfTime(BaseException):
    """Raised by the alarm of ``_within``: a BaseException, so no ``except Exception`` in SymPy swallows it."""


#: seconds an example's SymPy reference may take, and gradcli's evaluation of it: SymPy's automatic
#: simplification can run for hours on a few lines (``asin(tanh(z**-400))`` once did, in CI)
SYMPY_SECONDS = 20.0
GRADCLI_SECONDS = 20.0


@contextmanager
def _within(seconds: float) -> Iterator[None]:
    """Raise _OutOfTime in the block after ``seconds`` (SIGALRM: the main thread, as pytest runs tests)."""
    def ring(signum: int, frame: object) -> None:
        raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Undefined(Exception):
    """The reference derivative is not a finite real number (sqrt'(0), a complex power)."""


def to_python(source: str) -> str:
    """gradcli text -> Python text with the same meaning (``f(p, q) = body`` is ``def f(p, q): return body``)."""
    text = re.sub(r"#[^\n]*", "", source).replace("^", "**").replace(";", "\n")
    return "\n".join(_DEFINITION.sub(r"def \1(\2): return ", line.strip()) for line in text.split("\n"))


_DEFINITION = re.compile(r"^(\w+)\s*\(([\w\s,]*)\)\s*=(?!=)\s*")


def _finite(x: float) -> float:
    if not math.isfinite(x):
        raise ExpectedMathError(f"not finite: {x}")
    return x


def _f_pow(x: float, y: float) -> float:
    if (x == 0 and y < 0) or (x < 0 and not float(y).is_integer()):
        raise ExpectedMathError(f"{x} ** {y}")
    try:
        return _finite(math.pow(x, y))
    except (OverflowError, ValueError):
        raise ExpectedMathError(f"{x} ** {y}") from None


def _f_call(fn, x: float | None) -> float:  # type: ignore[no-untyped-def]
    try:
        return _finite(fn(x) if x is not None else fn())
    except (OverflowError, ValueError):
        raise ExpectedMathError(f"{fn.__name__}({x})") from None


def _f_sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _number(x: float) -> sympy.Expr:
    return sympy.Integer(int(x)) if x.is_integer() and abs(x) < 2**53 else sympy.Float(x, DIGITS)


@dataclass
class Term:
    expr: sympy.Expr  # over the statement symbols
    f: float  # its float64 value, computed as gradcli would


@dataclass
class Reference:
    """The reference for one output: its value and d(output)/d(name) for every name."""

    value: float
    gradients: dict[str, float]
    #: the largest |value| met in the forward pass: the scale of its rounding errors
    scale: float
    #: the largest |value| or |gradient contribution| met: the scale of the gradients' rounding errors
    magnitude: float


class _Translator:
    def __init__(self, values: dict[str, float]) -> None:
        self.env: dict[str, sympy.Symbol] = {}
        self.definition: dict[sympy.Symbol, sympy.Expr | None] = {}
        self.hp: dict[sympy.Symbol, sympy.Float] = {}  # high-precision values
        self.f: dict[sympy.Symbol, float] = {}  # float64 values
        self.order: list[sympy.Symbol] = []
        self.magnitude = 1.0
        self.kink_margin = math.inf
        #: a point where the slope is unbounded or has a corner is met exactly (hypot(0, 0))
        self.on_singularity = False
        self.at = 0  # the statement being translated
        #: float64 rounding decides the answer (a near-tie at a kink, sin of a huge number): no reference
        self.unreliable = False
        self.given = dict(values)
        #: every input by name: a given value, or a name's first binding to numbers only (folded)
        self.inputs: dict[str, sympy.Symbol] = {}
        self.read: set[sympy.Symbol] = set()  # inputs read so far
        #: the program's own functions: parameters and body (read at each call, as gradcli spells it out)
        self.functions: dict[str, ast.FunctionDef] = {}
        #: the parameters of the calls being translated, the innermost last
        self.frames: list[dict[str, Term]] = []
        self._partials: dict[sympy.Symbol, list[tuple[sympy.Symbol, sympy.Expr]]] = {}
        for name, x in values.items():
            self.env[name] = self.inputs[name] = self.leaf(float(x))

    def leaf(self, x: float) -> sympy.Symbol:
        s = sympy.Symbol(f"s{len(self.order)}", real=True)
        self.order.append(s)
        self.definition[s], self.hp[s], self.f[s] = None, sympy.Float(x, DIGITS), x
        return s

    def define(self, term: Term) -> sympy.Symbol:
        s = sympy.Symbol(f"s{len(self.order)}", real=True)
        self.order.append(s)
        self.definition[s], self.f[s] = term.expr, term.f
        try:
            value = term.expr.evalf(DIGITS, subs=self.hp)
        except (OverflowError, ValueError, ZeroDivisionError) as e:  # mpmath cannot: erfc(2e222), say
            raise Undefined(f"{term.expr}: {e}") from None
        if not (value.is_real and value.is_finite):
            raise Undefined(f"{term.expr} = {value}")  # 0 ** x at x = 0, say
        self.hp[s] = sympy.Float(value, DIGITS)
        return s

    # ----- statements ------------------------------------------------------------
    def run(self, source: str, output: str | None) -> sympy.Symbol:
        last = None
        for self.at, statement in enumerate(ast.parse(to_python(source)).body):
            if isinstance(statement, ast.FunctionDef):
                self.functions[statement.name] = statement  # a later definition replaces an earlier
                continue
            if isinstance(statement, ast.Assign):
                assert len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name)
                target: str | None = statement.targets[0].id
                rhs = statement.value
            else:
                assert isinstance(statement, ast.Expr), ast.dump(statement)
                target, rhs = None, statement.value
            symbol = self.alias(rhs)
            if symbol is None:
                symbol = self.assign(target, rhs)
            elif target in self.given and self.unread_input(target):
                raise ExpectedGivenError(target)  # `x = y`: x is computed over before it was read
            if target is not None:
                self.env[target] = symbol
            last = symbol
        if output is not None:
            return self.env[output]
        assert last is not None
        return last

    def assign(self, target: str | None, rhs: ast.expr) -> sympy.Symbol:
        """The input rule, as the README states it: a name's first binding to numbers only makes
        an input (folded to its float64 value); while unread, a number sets the input again, and
        a given value overrides every such number; a given value computed over unread is refused."""
        current = self.env.get(target) if target is not None else None
        unread = current is not None and self.inputs.get(target) is current and current not in self.read
        if target is not None and self.numbers_only(rhs) and (current is None or unread):
            t = self.term(rhs)  # (still evaluated)
            if unread and target in self.given:
                return current  # the given value wins
            symbol = self.leaf(t.f)
            self.inputs[target] = symbol
            return symbol
        t = self.term(rhs)
        if target in self.given and self.unread_input(target):
            raise ExpectedGivenError(target)
        return self.define(t)

    def unread_input(self, name: str) -> bool:
        current = self.env.get(name)
        return current is not None and self.inputs.get(name) is current and current not in self.read

    def numbers_only(self, node: ast.expr, params: frozenset[str] = frozenset()) -> bool:
        """An expression of numbers and the constants pi and e only (no variable, by any name);
        in a function's body, its ``params`` are numbers when the call's arguments are."""
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.Name):
            return node.id in params or node.id in ("pi", "e") and node.id not in self.env
        if isinstance(node, ast.UnaryOp):
            return self.numbers_only(node.operand, params)
        if isinstance(node, ast.BinOp):
            return self.numbers_only(node.left, params) and self.numbers_only(node.right, params)
        assert isinstance(node, ast.Call), ast.dump(node)
        args = all(self.numbers_only(a, params) for a in node.args)
        function = self.functions.get(node.func.id) if isinstance(node.func, ast.Name) else None
        if function is None:
            return args
        body = function.body[0].value  # type: ignore[attr-defined]  # def f(...): return body
        return args and self.numbers_only(body, frozenset(a.arg for a in function.args.args))

    def alias(self, node: ast.expr) -> sympy.Symbol | None:
        """`y = x` and `y = +(x)` name the node x already is."""
        while isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
            node = node.operand
        symbol = self.env.get(node.id) if isinstance(node, ast.Name) else None
        if symbol is not None:
            self.read.add(symbol)
        return symbol

    # ----- expressions ----------------------------------------------------------
    def term(self, node: ast.expr) -> Term:
        t = self._term(node)
        self.magnitude = max(self.magnitude, abs(t.f))
        return t

    def near_one(self, x: float) -> None:
        """log(x) for x near 1 has a relative error of eps/|log x| from x's own rounding (1 + w**2 with
        w = 1.3e-6 is 1 + 1.6e-12 to within 6e-5): past 1e-9, float64 cannot give the reference's digits."""
        if x != 1.0 and abs(math.log(x)) < 1e-6:
            self.unreliable = True

    def kink(self, distance: float, scale: float) -> None:
        margin = abs(distance) / max(1.0, abs(scale))
        self.kink_margin = min(self.kink_margin, margin)
        self.unreliable = self.unreliable or 0.0 < margin <= 1e-9  # a near-tie: float rounding picks the side

    def singular(self, distance: float, scale: float) -> None:
        """A point where the slope is unbounded or has a corner, ``distance`` away: finite
        differences must not straddle it (unlike a near-tie, float rounding picks no side here)."""
        self.kink_margin = min(self.kink_margin, abs(distance) / max(1.0, abs(scale)))
        self.on_singularity = self.on_singularity or distance == 0.0

    def _term(self, node: ast.expr) -> Term:
        if isinstance(node, ast.Constant):
            x = float(node.value)
            return Term(_number(x), x)
        if isinstance(node, ast.Name):
            if self.frames and node.id in self.frames[-1]:  # a parameter: the call's argument
                return self.frames[-1][node.id]
            if node.id in self.env:
                s = self.env[node.id]
                self.read.add(s)
                return Term(s, self.f[s])
            constant = {"pi": math.pi, "e": math.e}[node.id]
            return Term(sympy.Float(constant, DIGITS), constant)
        if isinstance(node, ast.UnaryOp):
            a = self.term(node.operand)
            return Term(-a.expr, -a.f) if isinstance(node.op, ast.USub) else a
        if isinstance(node, ast.BinOp):
            a, b = self.term(node.left), self.term(node.right)
            return self.binary(type(node.op), a, b)
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name), ast.dump(node)
        args = [self.term(a) for a in node.args]
        function = self.functions.get(node.func.id)
        if function is not None:  # every argument first, then the body over them
            self.frames.append({p.arg: t for p, t in zip(function.args.args, args, strict=True)})
            try:
                return self.term(function.body[0].value)  # type: ignore[attr-defined]
            finally:
                self.frames.pop()
        return self.call(node.func.id, args)

    def binary(self, op: type, a: Term, b: Term) -> Term:
        if op is ast.Add:
            return Term(a.expr + b.expr, _finite(a.f + b.f))
        if op is ast.Sub:
            return Term(a.expr - b.expr, _finite(a.f - b.f))
        if op is ast.Mult:
            return Term(a.expr * b.expr, _finite(a.f * b.f))
        if op is ast.Div:
            if b.f == 0:
                raise ExpectedMathError("division by zero")
            return Term(a.expr / b.expr, _finite(a.f / b.f))
        assert op is ast.Pow, op
        f = _f_pow(a.f, b.f)  # first: SymPy would compute 512 ** 512 ** 512 exactly
        return Term(a.expr ** b.expr, f)

    def call(self, fn: str, args: list[Term]) -> Term:
        try:
            return self._call(fn, args)
        except (TypeError, AttributeError, OverflowError) as e:
            # SymPy's own evaluation can fail on a huge argument: asin(sin(-3**512)) asks whether
            # 1.9e244 - 6.2e243*pi > pi, and SymPy's cache then breaks on the lazy message it raised;
            # erfc(2**900) makes mpmath square 2**900 as a float
            where = traceback.extract_tb(e.__traceback__)[-1].filename
            if "sympy" not in where and "mpmath" not in where:
                raise
            raise Undefined(f"SymPy fails building {fn}(...): {type(e).__name__}") from None

    def _call(self, fn: str, args: list[Term]) -> Term:
        if fn == "pow":
            return self.binary(ast.Pow, *args)
        if fn in ("max", "min"):
            best = args[0]
            for t in args[1:]:  # on a tie, the first argument
                if (t.f > best.f) if fn == "max" else (t.f < best.f):
                    best = t
            for t in args:
                if t is not best:
                    self.kink(best.f - t.f, max(abs(best.f), abs(t.f)))
            return best
        if fn in ("sum", "mean"):
            total = args[0].f
            for t in args[1:]:
                total = _finite(total + t.f)  # left to right, as a + b + c
            expr = sympy.Add(*[t.expr for t in args])
            if fn == "sum":
                return Term(expr, total)
            return Term(expr / len(args), _finite(total / len(args)))
        if fn in ("log", "ln") and len(args) == 2:
            a, b = args
            if a.f <= 0 or b.f <= 0 or b.f == 1:
                raise ExpectedMathError(f"log({a.f}, {b.f})")
            self.near_one(a.f)
            self.near_one(b.f)
            return Term(sympy.log(a.expr) / sympy.log(b.expr), _finite(math.log(a.f) / math.log(b.f)))
        if fn == "atan2":
            y, x = args
            if x.f < 0:
                self.kink(y.f, y.f)  # from pi to -pi across the negative x axis; atan2(0, x < 0) = pi
            return Term(sympy.atan2(y.expr, x.expr), math.atan2(y.f + 0.0, x.f))
        if fn == "hypot":
            a, b = args
            self.singular(math.hypot(a.f, b.f), max(abs(a.f), abs(b.f)))  # a cone's tip at the origin
            return Term(sympy.sqrt(a.expr**2 + b.expr**2), _f_call(lambda: math.hypot(a.f, b.f), None))
        (a,) = args
        u, x = a.expr, a.f
        if fn == "relu":
            self.kink(x, x)
            return Term(u if x > 0 else sympy.Integer(0), x if x > 0 else 0.0)  # relu'(0) = 0
        if fn == "abs":
            self.kink(x, x)
            return Term(u if x > 0 else -u if x < 0 else sympy.Integer(0), abs(x))  # abs'(0) = 0
        if fn in ("log", "ln", "log10", "log2"):
            if x <= 0:
                raise ExpectedMathError(fn)
            self.near_one(x)
            base = {"log10": 10, "log2": 2}.get(fn)
            if base is None:
                return Term(sympy.log(u), math.log(x))
            return Term(sympy.log(u) / sympy.log(base), math.log(x) / math.log(base))
        if fn in ("asin", "acos", "atanh", "acosh"):
            inside = {"asin": -1 <= x <= 1, "acos": -1 <= x <= 1, "atanh": -1 < x < 1, "acosh": x >= 1}[fn]
            if not inside:
                raise ExpectedMathError(f"{fn}({x})")
            edge = x - 1 if fn == "acosh" else 1 - abs(x)
            if edge < 1e-6:  # ill-conditioned: x's last bit moves atanh(tanh(15.6)), or asin's slope, by over 1e-9
                self.unreliable = True
            sym, flt = {"asin": (sympy.asin, math.asin), "acos": (sympy.acos, math.acos),
                        "atanh": (sympy.atanh, math.atanh), "acosh": (sympy.acosh, math.acosh)}[fn]
            return Term(sym(u), flt(x))
        if fn == "cbrt":  # the real cube root
            self.singular(x, x)  # an infinite slope at 0
            root = sympy.Rational(1, 3)
            return Term(u**root if x >= 0 else -((-u) ** root), math.copysign(abs(x) ** (1 / 3), x))
        if fn == "softplus":
            return Term(sympy.log(1 + sympy.exp(u)), max(x, 0.0) + math.log1p(math.exp(-abs(x))))
        if fn == "exp2":
            return Term(2**u, _f_call(lambda v: math.pow(2.0, v), x))
        if fn in ("floor", "ceil", "round"):
            # flat: a constant here (derivative 0); jumps at the integers, round's at the halves
            jump = math.floor(x) + 0.5 if fn == "round" else math.floor(x + 0.5)
            self.kink(x - jump, x)
            if abs(x) >= 2**52:  # a whole number already (Decimal's 28 digits cannot quantize 1e130)
                value = x
            elif fn == "round":  # halves away from zero, computed exactly
                value = float(decimal.Decimal(x).quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP))
            else:
                value = float(math.floor(x) if fn == "floor" else math.ceil(x))
            return Term(_number(value), value)
        if fn == "sqrt":
            if x < 0:
                raise ExpectedMathError("sqrt")
            return Term(sympy.sqrt(u), math.sqrt(x))
        if fn == "sigmoid":
            return Term(1 / (1 + sympy.exp(-u)), _f_sigmoid(x))
        if fn in ("sin", "cos", "tan") and abs(x) > 1e4:
            self.unreliable = True  # ill-conditioned: x's rounding error alone moves sin(x) by more than 1e-9
        sym, flt = {
            "exp": (sympy.exp, math.exp), "sin": (sympy.sin, math.sin), "cos": (sympy.cos, math.cos),
            "tan": (sympy.tan, math.tan), "tanh": (sympy.tanh, math.tanh),
            "atan": (sympy.atan, math.atan), "sinh": (sympy.sinh, math.sinh), "cosh": (sympy.cosh, math.cosh),
            "asinh": (sympy.asinh, math.asinh), "erf": (sympy.erf, math.erf), "erfc": (sympy.erfc, math.erfc),
        }[fn]
        return Term(sym(u), _f_call(flt, x))

    # ----- the chain rule over statements ----------------------------------------
    def partials(self, s: sympy.Symbol) -> list[tuple[sympy.Symbol, sympy.Expr]]:
        """d(definition of s)/dt at the point, for each symbol t it uses (cached)."""
        if s not in self._partials:
            definition = self.definition[s]
            found = []
            for t in sorted(definition.free_symbols, key=str) if definition is not None else []:
                try:
                    found.append((t, sympy.diff(definition, t).evalf(DIGITS, subs=self.hp)))
                except (ZeroDivisionError, ValueError, OverflowError):  # mpmath at a pole
                    found.append((t, sympy.nan))
            self._partials[s] = found
        return self._partials[s]

    def reference(self, out: sympy.Symbol) -> Reference:
        """Value and gradients of output ``out``; raises Undefined when one is not a real number."""
        value = self.hp[out]
        if not (value.is_real and value.is_finite):
            raise Undefined(f"value {value}")
        magnitude = self.magnitude
        grad: dict[sympy.Symbol, sympy.Expr] = {s: sympy.Integer(0) for s in self.order}
        grad[out] = sympy.Integer(1)
        for s in reversed(self.order):
            if grad[s] == 0:
                continue  # nothing flows back (as in gradcli: 0 × undefined is not asked)
            for t, partial in self.partials(s):
                contribution = grad[s] * partial
                if not (contribution.is_real and contribution.is_finite):
                    raise Undefined(f"d{s}/d{t} = {partial}")
                magnitude = max(magnitude, abs(float(contribution)))
                grad[t] += contribution
        # gradients with respect to every input (a reassigned one too), then every other name's newest value
        wrt = {**self.inputs, **{name: s for name, s in self.env.items() if name not in self.inputs}}
        return Reference(float(value), {name: float(grad[s]) for name, s in wrt.items()}, self.magnitude, magnitude)


def _first_folding_failure(tr: _Translator, source: str) -> int | None:
    """The first statement, from the one translation failed at on, with a part of numbers only
    (``log(-1)``) that fails: gradcli folds such parts as it binds the program, statement by
    statement, so that error comes at its statement, before any given value is checked further
    on (and before any error of the computation). A call of the program's own function spells
    its body out, so the body's parts count at each call. None: no such statement."""
    probe = _Translator({})
    probe.env, probe.functions = dict(tr.env), dict(tr.functions)
    statements = ast.parse(to_python(source)).body
    for index in range(tr.at, len(statements)):
        statement = statements[index]
        if isinstance(statement, ast.FunctionDef):
            probe.functions[statement.name] = statement
            continue
        inlined = _inline(statement.value, probe.functions, probe.numbers_only)  # type: ignore[attr-defined]
        for node in (n for root in inlined for n in ast.walk(root)):
            if isinstance(node, (ast.Call, ast.BinOp, ast.UnaryOp)) and probe.numbers_only(node):
                alone = _Translator({})
                alone.functions = probe.functions
                try:
                    alone.term(node)
                except ExpectedMathError:
                    return index
                except Undefined:
                    continue  # SymPy cannot build it (see _Translator.call): its float value is not known here
        if isinstance(statement, ast.Assign):  # a name that shadows pi or e from here on
            probe.env[statement.targets[0].id] = sympy.Symbol("_")  # type: ignore[attr-defined]
    return None


#: stands beside a spelled-out call whose arguments read a name: no number, so nothing over it folds
_READS_A_NAME = "_reads_a_name"


def _inline(node: ast.expr, functions: dict[str, ast.FunctionDef],
            numbers_only: Callable[[ast.expr], bool]) -> list[ast.AST]:
    """``node`` with every call of the program's own functions replaced by the body, each parameter
    by the argument's expression: what gradcli spells out and folds; and every argument of those
    calls (each is computed, even one the body does not read). A call whose arguments read a name
    is no number even where its body ignores them (``f(p) = 1 + -2**2``: ``sqrt(f(w))`` is computed,
    not folded), so its body is spelled out beside the name ``_READS_A_NAME``."""
    import copy

    arguments: list[ast.AST] = []

    class Inline(ast.NodeTransformer):
        def visit_Call(self, call: ast.Call) -> ast.AST:
            self.generic_visit(call)  # the arguments first
            if not (isinstance(call.func, ast.Name) and call.func.id in functions):
                return call
            arguments.extend(call.args)
            function = functions[call.func.id]
            bound = {a.arg: arg for a, arg in zip(function.args.args, call.args)}

            class Substitute(ast.NodeTransformer):
                def visit_Name(self, name: ast.Name) -> ast.AST:
                    return copy.deepcopy(bound[name.id]) if name.id in bound else name

            body = Substitute().visit(copy.deepcopy(function.body[0].value))  # type: ignore[attr-defined]
            body = self.visit(body)  # the calls in the body (of functions defined before it)
            if all(numbers_only(a) for a in call.args):
                return body
            return ast.BinOp(left=body, op=ast.Add(), right=ast.Name(id=_READS_A_NAME, ctx=ast.Load()))

    return [Inline().visit(copy.deepcopy(node)), *arguments]


def _given_computed_over(source: str, values: dict[str, float], before: int | None = None) -> bool:
    """Whether the program computes a given name before it reads the given value (names only),
    in its statements before ``before`` (all of them: None)."""
    unread, bound = set(values), set(values)
    for index, statement in enumerate(ast.parse(to_python(source)).body):
        if before is not None and index >= before:
            break
        if isinstance(statement, ast.FunctionDef):
            continue
        rhs = statement.value  # type: ignore[attr-defined]
        calls = {id(n.func) for n in ast.walk(rhs) if isinstance(n, ast.Call)}
        names = {n.id for n in ast.walk(rhs) if isinstance(n, ast.Name) and id(n) not in calls}
        unread -= names
        if isinstance(statement, ast.Assign):
            target = statement.targets[0].id  # type: ignore[attr-defined]
            numbers_only = names <= {"pi", "e"} and not names & bound
            if target in unread and not numbers_only:
                return True
            bound.add(target)
    return False


def translate(program: GeneratedProgram) -> tuple[_Translator, sympy.Symbol]:
    """The program in SymPy, and its output's symbol; raises ExpectedMathError."""
    tr = _Translator(program.values)
    return tr, tr.run(program.source, program.output)


def reference(program: GeneratedProgram) -> Reference:
    tr, out = translate(program)
    return tr.reference(out)


def close(got: float, want: float, magnitude: float) -> bool:
    return abs(got - want) <= REL * abs(want) + FLOOR * magnitude


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)  # NaN == NaN and -0.0 != 0.0, as bytes


# ----- the properties ----------------------------------------------------------------
@fuzz_settings(600)
@given(programs())
def test_value_and_gradients_match_sympy(program: GeneratedProgram) -> None:
    """The program's output, and then each named variable taken as the output (--of)."""
    _check_against_sympy(program)


@fuzz_settings(300)
@given(programs(functions_first=True))
def test_functions_of_ones_own_match_sympy(program: GeneratedProgram) -> None:
    """Programs that define functions (``f1(p, q) = ...``, bodies calling earlier ones) and call
    them: SymPy reads each call as the body over the arguments, from the text alone."""
    _check_against_sympy(program)


def _sympy(compute):  # type: ignore[no-untyped-def]
    """``compute()`` of the SymPy reference; an example it cannot finish in time has no reference."""
    try:
        with _within(SYMPY_SECONDS):
            return compute()
    except _OutOfTime:
        event("no reference: SymPy out of time")
        assume(False)
    except MemoryError:  # mpmath's tanh of a huge number shifts its mantissa by as many bits
        event("no reference: SymPy out of memory")
        assume(False)


def _evaluate(source: str, values: dict[str, float], output: str | None):  # type: ignore[no-untyped-def]
    """gradcli's evaluation, which must finish in time (a few lines of program)."""
    try:
        with _within(GRADCLI_SECONDS):
            return evaluate(source, values, output)
    except _OutOfTime:
        pytest.fail(f"gradcli took over {GRADCLI_SECONDS:g} s to evaluate {source!r} at {values!r}")


def _check_against_sympy(program: GeneratedProgram) -> None:
    source, values = program.source, program.values
    tr = _Translator(values)
    try:
        default_out = _sympy(lambda: tr.run(source, program.output))
    except ExpectedMathError as e:
        note(f"float64 evaluation fails: {e}")
        # found before anything is computed, that error first; but a part of numbers only that fails is
        # found as the program is bound, so a given value computed over after it comes second
        before = _sympy(lambda: _first_folding_failure(tr, source))
        if _given_computed_over(source, values, before):
            with pytest.raises(GradcliError, match="before it uses the given value"):
                _evaluate(source, values, program.output)
            return
        event("math error expected")
        with pytest.raises(MathError):
            _evaluate(source, values, program.output)
        return
    except ExpectedGivenError:
        event("a given value computed over: refused")
        with pytest.raises(GradcliError, match="before it uses the given value"):
            _evaluate(source, values, program.output)
        return
    except Undefined as e:
        note(f"no reference: {e}")
        assume(False)
    assume(not tr.unreliable)
    if tr.kink_margin == 0.0:
        event("exact tie at a kink")
    outputs = [program.output] + sorted(n for n in tr.env if n != program.output)
    checked = 0
    for output in outputs:
        try:
            ref = _sympy(lambda: tr.reference(default_out if output is None else tr.env[output]))
        except Undefined as e:
            note(f"--of {output}: no reference ({e})")
            continue  # a derivative SymPy cannot give as a real number
        try:
            result = _evaluate(source, values, output)
        except MathError as e:
            note(f"--of {output}: {e}")
            continue  # a gradient overflowed (the forward pass worked in float64 too)
        note(f"--of {output}: reference {ref}")
        assert close(result.value, ref.value, ref.scale), (output, result.value, ref.value)
        assert set(result.gradients) == set(ref.gradients)
        for name, want in ref.gradients.items():
            got = result.gradients[name]
            if math.isnan(got) and tr.on_singularity:
                # hypot(y, y) at y = 0: gradcli says undefined; SymPy's sqrt(2)*sign(y) gives 0 by convention
                event("undefined on a singularity, where SymPy gives a number")
                continue
            assert close(got, want, ref.magnitude), f"--of {output}: d/d{name}: gradcli {got!r}, sympy {want!r}"
        checked += 1
        if output == program.output:
            event("checked against sympy")
            if any(c.lo < c.hi for c in result.bindings.program.calls):
                event("checked against sympy: calls a function of its own")
            _check_finite_differences(program, tr, result.gradients, ref.magnitude)
    event(f"outputs checked: {min(checked, 5)}{'+' if checked >= 5 else ''}")


def _check_finite_differences(program: GeneratedProgram, tr: _Translator, gradients: dict[str, float],
                              magnitude: float) -> None:
    """Central differences of gradcli's own value, for given variables, away from kinks.

    The quotient is taken at steps h and h/2: where the two differ by more than the tolerance,
    the function curves too fast at this scale for either to be the slope (sin(exp(exp(2*exp(-300*x))))
    at 0 gives 7.5e5 for a slope of 6.9e6), and the point is not compared; else the quotient at h/2,
    whose truncation error is a third of their difference, must match gradcli's gradient."""
    if tr.kink_margin < 1e-3:
        return
    for i, (name, x) in enumerate(program.values.items()):
        assert tr.inputs[name] is tr.order[i]  # a given value is its name's input throughout
        g = gradients[name]
        quotients = []
        for h in (1e-6 * max(1.0, abs(x)), 0.5e-6 * max(1.0, abs(x))):
            try:
                up = _evaluate(program.source, {**program.values, name: x + h}, program.output).value
                down = _evaluate(program.source, {**program.values, name: x - h}, program.output).value
            except MathError:
                break
            quotients.append((up - down) / (2 * h))
        if len(quotients) < 2:
            continue
        # truncation (h²) and rounding (eps·|f|/h, at the smaller step) errors of the difference quotient
        tolerance = FD_REL * (abs(g) + 1.0) + 1e-9 * magnitude / h
        coarse, fd = quotients
        if abs(coarse - fd) > tolerance:
            event("finite differences: not converged at this step, not compared")
            continue
        event("checked against finite differences")
        assert abs(fd - g) <= tolerance, f"d/d{name}: gradcli {g!r}, finite differences {fd!r} (at 2h: {coarse!r})"


@fuzz_settings(300)
@given(programs())
def test_evaluating_twice_gives_identical_results(program: GeneratedProgram) -> None:
    def run():  # type: ignore[no-untyped-def]
        try:
            r = evaluate(program.source, program.values, program.output)
        except GradcliError as e:
            return (type(e).__name__, str(e))
        return (
            _bits(r.value),
            r.output_name,
            [(name, _bits(g)) for name, g in r.gradients.items()],
            [(v.label, v.op.name, _bits(v.data), _bits(v.grad), [r.node_id(u) for u in v.inputs]) for v in r.nodes],
        )

    assert run() == run()


# ----- the reference itself, on programs worked out by hand ------------------------------
@pytest.mark.parametrize(
    "source, values, output, value, gradients",
    [
        ("x = 3; y = x * 2; z = y * 5", {}, None, 30.0, {"x": 10.0, "y": 5.0, "z": 1.0}),
        ("x = 3\ny = -x**2", {}, None, -9.0, {"x": -6.0, "y": 1.0}),
        ("y = 2**-1 * x", {"x": 4.0}, None, 2.0, {"x": 0.5, "y": 1.0}),
        ("a = 10; b = 4; c = 3; d = a - b - c", {}, None, 3.0, {"a": 1.0, "b": -1.0, "c": -1.0, "d": 1.0}),
        ("x = 1; x = x * 3; y = x + 1", {"x": 2.0}, None, 7.0, {"x": 3.0, "y": 1.0}),  # the input x
        ("x = 2; x = x*x; x = x*x", {}, None, 16.0, {"x": 32.0}),
        ("h = 2 + 3; k = -pi; y = h * k", {}, None, -5 * math.pi, {"h": -math.pi, "k": 5.0, "y": 1.0}),
        ("x = 2; x = 3; y = x * x", {}, None, 9.0, {"x": 6.0, "y": 1.0}),  # set again before it was read
        ("x = 2; y = x; x = 3; z = x * y", {}, None, 6.0, {"x": 3.0, "y": 3.0, "z": 1.0}),  # y names the input
        ("y = max(x, x) + relu(x - x) + abs(x - x)", {"x": 2.0}, None, 2.0, {"x": 1.0, "y": 1.0}),
        ("x = 1  # overridden\ny = x ^ 3", {"x": 2.0}, "x", 2.0, {"x": 1.0, "y": 0.0}),
        ("e = 2; y = e * pi; z = y", {}, None, 2 * math.pi, {"e": math.pi, "y": 1.0, "z": 1.0}),
    ],
)
def test_reference_on_known_programs(source, values, output, value, gradients) -> None:  # type: ignore[no-untyped-def]
    ref = reference(GeneratedProgram(source, values, output))
    assert ref.value == pytest.approx(value, rel=1e-12)
    assert ref.gradients == pytest.approx(gradients, rel=1e-12)
    result = evaluate(source, values, output)
    assert result.value == pytest.approx(value, rel=1e-12)
    assert result.gradients == pytest.approx(gradients, rel=1e-12)


FEATURES = ["-", "+", "*", "/", "**", "^", ";", "\n", "\r\n", "#", "max(", "min(", "pow(", "= -", "2 ** 3 ** 2", "**-1"]
FEATURES += [f"{fn}(" for fn in ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs",
                                  "atan", "sinh", "cosh", "asinh", "exp2", "cbrt", "erf", "erfc", "softplus",
                                  "floor", "ceil", "round", "asin", "acos", "atanh", "acosh", "log10", "log2",
                                  "ln", "atan2", "hypot", "sum", "mean")]


def test_generator_covers_the_language() -> None:
    seen: set[str] = set()
    outputs: set[bool] = set()
    variadic = two_argument_log = False

    # 1,000: the language has some forty functions and a dozen traps to meet
    @settings(max_examples=1000, derandomize=True, database=None, deadline=None)
    @given(programs())
    def collect(p: GeneratedProgram) -> None:
        nonlocal variadic, two_argument_log
        seen.update(f for f in FEATURES if f in p.source)
        variadic = variadic or re.search(r"\b(max|min|sum|mean)\([^(),]*,[^(),]*,", p.source) is not None
        two_argument_log = two_argument_log or re.search(r"\b(log|ln)\([^(),]*,", p.source) is not None
        outputs.add(p.output is None)

    collect()
    assert sorted(set(FEATURES) - seen) == []
    assert variadic and two_argument_log  # max(a, b, c): one node of three inputs; log(x, base)
    assert outputs == {True, False}
