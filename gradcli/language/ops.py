"""The op table: one row per operation gradcli knows.

A row holds everything about an op: its name (used in JSON and in calls like
``max(x, y)``), its display symbol, its arity, its forward function, and per
input a local-derivative rule and formula, and where it is not smooth (its
kinks, jumps, singularities and domain edges, which ``--check`` names when
finite differences meet them). Each rule is ``rule(out, *args)``
and returns d(out)/d(args[i]); a rule that cannot be evaluated at a point (it
raises, or returns NaN) means the derivative is undefined there. The formula
is the same derivative written in gradcli's language over ``x`` and ``y``. The
vector column is the forward again, on NumPy arrays, for ``--sweep``; the operands
column names the operands of an op whose order matters (``a / b``: dividend,
divisor), for the picture's edges. Adding a
function to the language is adding one row here and nothing else.

A call finds its row by name and number of arguments (``call``): ``log(x)`` and
``log(x, base)`` are two rows, ``ln`` another name for ``log``, and the variadic
functions (``max(a, b, c)``, ``sum``, ``mean``) are a row per number of
arguments, built when first called (``variadic``), whose formulas name the inputs
past ``y`` ``a2``, ``a3``, ... Over 500 lines: it is the table, a row or two each.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Callable, NamedTuple

from ..errors import MathError


class Edge(NamedTuple):
    """Where an op is not smooth in one of its inputs: the data ``--check`` explains a failure with."""

    #: "kink" (continuous, one-sided slopes differ), "jump" (the value jumps), "singularity"
    #: (the value or its slope goes infinite) or "domain edge" (the op is undefined past it)
    kind: str
    #: the input whose value reaches it (0: x, 1: y)
    arg: int
    #: ``point(*args)``: its position nearest that input's value, the other inputs as they
    #: are; None where the op has none at these inputs (x ** y has one at x = 0 for some y only)
    point: Callable[..., "float | None"]
    #: where it is, over the inputs' texts {x} and {y} and the position {p}
    place: str = "{x} = {p}"


def _zero_point(*args: float) -> float:
    return 0.0


def _pole_of_tan(x: float) -> float:
    return math.pi / 2 + math.pi * round((x - math.pi / 2) / math.pi)  # the odd multiple of pi/2 nearest x


def _pow_singular(x: float, y: float) -> float | None:
    return 0.0 if y < 1 and y != 0 else None  # x**-1 has a pole, x**0.5 an infinite slope at 0


def _pow_edge(x: float, y: float) -> float | None:
    return 0.0 if y > 1 and not y.is_integer() else None  # x**1.5: smooth at 0, undefined below


def _pow_exponent_edge(x: float, y: float) -> float | None:
    return y if x < 0 else None  # a negative base has a real power at integer exponents only


# A NamedTuple rather than a frozen dataclass: as immutable, and it costs the command's
# start-up about a millisecond less (a dataclass writes and compiles its methods at import).
class Op(NamedTuple):
    name: str
    symbol: str
    arity: int
    forward: Callable[..., float]
    derivatives: tuple[Callable[..., float], ...]
    #: the same derivatives as formulas in gradcli's language over x (and y)
    formulas: tuple[str, ...]
    #: drawn between its operands (a + b) rather than as a call (exp(a))
    infix: bool = False
    #: the language can call it by name: exp(x), pow(x, y)
    callable: bool = False
    #: how a call is written in LaTeX ({0}, {1}: the arguments); default \operatorname{name}(...)
    latex: str = ""
    #: the forward on NumPy arrays, ``vector(np, *arrays)``: the numpy module comes in as an
    #: argument, so that only --sweep imports NumPy. Undefined points may give NaN or inf
    #: (--sweep marks them); kinks and ties as in ``forward``
    vector: Callable[..., Any] | None = None
    #: where it is not smooth (none: smooth wherever it is defined)
    edges: tuple[Edge, ...] = ()
    #: what the operands are called when their order matters (the picture writes these on the
    #: edges into the op); empty when it does not: one operand, or a commutative op
    operands: tuple[str, ...] = ()
    #: the name a program calls it by, where that is not ``name`` (``log(x, b)`` is the row log_base)
    called: str = ""

    @property
    def commutative(self) -> bool:
        """Swapping the two operands changes neither the value nor which operand gets which derivative."""
        return self.arity == 2 and not self.operands


def _div(x: float, y: float) -> float:
    if y == 0:
        raise MathError("division by zero", 1)
    return x / y


def _pow(x: float, y: float) -> float:
    if x == 0 and y < 0:
        raise MathError("division by zero (0 to a negative power)", 0)
    if x < 0 and not y.is_integer():
        raise MathError("negative number to a non-integer power", 0)
    return math.pow(x, y)  # floats only: int ** int can hang on 10**10**10


def _dpow_dbase(out: float, x: float, y: float) -> float:
    return 0.0 if y == 0 else y * math.pow(x, y - 1)


def _dpow_dexponent(out: float, x: float, y: float) -> float:
    if x > 0:
        return out * math.log(x)
    if x == 0 and y > 0:
        return 0.0  # 0**y is 0 for every y > 0
    return math.nan  # x**y is not a real function of y for x < 0


def _log(x: float) -> float:
    if x <= 0:
        raise MathError("log of a non-positive number")
    return math.log(x)


def _sqrt(x: float) -> float:
    if x < 0:
        raise MathError("sqrt of a negative number")
    return math.sqrt(x)


def _sigmoid(x: float) -> float:
    # two branches so that exp never overflows
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _vsigmoid(np: Any, x: Any) -> Any:
    z = np.exp(-np.abs(x))  # as _sigmoid: exp never overflows
    d = 1.0 + z
    return np.where(x >= 0, 1.0 / d, z / d)


def _step(x: float) -> float:
    return 1.0 if x > 0 else 0.0  # step(0) = 0, so relu'(0) = 0


def _sign(x: float) -> float:
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0  # sign(0) = 0, so abs'(0) = 0


def _zero(o: float, x: float) -> float:
    return 0.0


# Each row: name, symbol, arity, forward; then per input a numeric rule
# rule(out, *args) and the same derivative as a formula in gradcli's language
# over the inputs x, y (the formulas drive --explain, --symbolic and higher
# derivatives; a test checks that each formula and its rule agree); last, the
# forward on NumPy arrays (--sweep runs the formulas on them too).
_ROWS = [
    Op("add", "+", 2, lambda x, y: x + y,
       (lambda o, x, y: 1.0, lambda o, x, y: 1.0), ("1", "1"), infix=True,
       vector=lambda np, x, y: x + y),
    Op("sub", "-", 2, lambda x, y: x - y,
       (lambda o, x, y: 1.0, lambda o, x, y: -1.0), ("1", "-1"), infix=True,
       vector=lambda np, x, y: x - y, operands=("minuend", "subtrahend")),
    Op("mul", "*", 2, lambda x, y: x * y,
       (lambda o, x, y: y, lambda o, x, y: x), ("y", "x"), infix=True,
       vector=lambda np, x, y: x * y),
    Op("div", "/", 2, _div,
       (lambda o, x, y: 1.0 / y, lambda o, x, y: -o / y), ("1 / y", "-x / y**2"), infix=True,
       vector=lambda np, x, y: x / y, operands=("dividend", "divisor"),
       edges=(Edge("singularity", 1, _zero_point, "{y} = 0"),)),
    Op("pow", "**", 2, _pow,
       (_dpow_dbase, _dpow_dexponent), ("y * x**(y - 1)", "x**y * log(x)"), infix=True, callable=True,
       vector=lambda np, x, y: x ** y, operands=("base", "exponent"),
       edges=(Edge("singularity", 0, _pow_singular), Edge("domain edge", 0, _pow_edge),
              Edge("domain edge", 1, _pow_exponent_edge, "{y} an integer, {x} < 0"))),
    Op("neg", "-", 1, lambda x: -x, (lambda o, x: -1.0,), ("-1",),
       vector=lambda np, x: -x),
    Op("exp", "exp", 1, math.exp, (lambda o, x: o,), ("exp(x)",), callable=True, latex="e^{{{0}}}",
       vector=lambda np, x: np.exp(x)),
    Op("log", "log", 1, _log, (lambda o, x: 1.0 / x,), ("1 / x",), callable=True, latex="\\log\\left({0}\\right)",
       vector=lambda np, x: np.log(x),
       edges=(Edge("singularity", 0, _zero_point),)),
    Op("sqrt", "sqrt", 1, _sqrt, (lambda o, x: 0.5 / o,), ("0.5 / sqrt(x)",), callable=True, latex="\\sqrt{{{0}}}",
       vector=lambda np, x: np.sqrt(x),
       edges=(Edge("singularity", 0, _zero_point),)),
    Op("sin", "sin", 1, math.sin, (lambda o, x: math.cos(x),), ("cos(x)",), callable=True, latex="\\sin\\left({0}\\right)",
       vector=lambda np, x: np.sin(x)),
    Op("cos", "cos", 1, math.cos, (lambda o, x: -math.sin(x),), ("-sin(x)",), callable=True, latex="\\cos\\left({0}\\right)",
       vector=lambda np, x: np.cos(x)),
    Op("tan", "tan", 1, math.tan, (lambda o, x: 1.0 + o * o,), ("1 + tan(x)**2",), callable=True, latex="\\tan\\left({0}\\right)",
       vector=lambda np, x: np.tan(x),
       edges=(Edge("singularity", 0, _pole_of_tan),)),
    Op("tanh", "tanh", 1, math.tanh, (lambda o, x: 1.0 - o * o,), ("1 - tanh(x)**2",), callable=True, latex="\\tanh\\left({0}\\right)",
       vector=lambda np, x: np.tanh(x)),
    Op("sigmoid", "sigmoid", 1, _sigmoid,
       (lambda o, x: o * (1.0 - o),), ("sigmoid(x) * (1 - sigmoid(x))",), callable=True,
       latex="\\sigma\\left({0}\\right)",
       vector=_vsigmoid),
    Op("relu", "relu", 1, lambda x: x if x > 0 else 0.0, (lambda o, x: _step(x),), ("step(x)",), callable=True,
       vector=lambda np, x: np.maximum(x, 0.0),
       edges=(Edge("kink", 0, _zero_point),)),
    Op("abs", "abs", 1, abs, (lambda o, x: _sign(x),), ("sign(x)",), callable=True, latex="\\left|{0}\\right|",
       vector=lambda np, x: np.abs(x),
       edges=(Edge("kink", 0, _zero_point),)),
    # on a tie, max and min send the whole gradient to their first argument: the order matters there
    Op("max", "max", 2, lambda x, y: x if x >= y else y,
       (lambda o, x, y: 1.0 - _step(y - x), lambda o, x, y: _step(y - x)),
       ("1 - step(y - x)", "step(y - x)"), callable=True, latex="\\max\\left({0}, {1}\\right)",
       vector=lambda np, x, y: np.maximum(x, y), operands=("first", "second"),
       edges=(Edge("kink", 0, lambda x, y: y, "{x} = {y}"),)),
    Op("min", "min", 2, lambda x, y: x if x <= y else y,
       (lambda o, x, y: 1.0 - _step(x - y), lambda o, x, y: _step(x - y)),
       ("1 - step(x - y)", "step(x - y)"), callable=True, latex="\\min\\left({0}, {1}\\right)",
       vector=lambda np, x, y: np.minimum(x, y), operands=("first", "second"),
       edges=(Edge("kink", 0, lambda x, y: y, "{x} = {y}"),)),
    # the derivatives of relu and abs; flat almost everywhere
    Op("step", "step", 1, _step, (_zero,), ("0",), callable=True,
       vector=lambda np, x: (x > 0).astype(np.float64),
       edges=(Edge("jump", 0, _zero_point),)),
    Op("sign", "sign", 1, _sign, (_zero,), ("0",), callable=True,
       vector=lambda np, x: np.sign(x),
       edges=(Edge("jump", 0, _zero_point),)),
]


# ----- the fuller language (issue 14): more functions, in a block of their own -----------------
def _domain(name: str, test: Callable[[float], bool], what: str) -> Callable[[float], float]:
    """``name``'s forward from math, refused (MathError naming ``what``) where ``test`` fails."""
    f = getattr(math, name)

    def forward(x: float) -> float:
        if not test(x):
            raise MathError(f"{name} of {what}")
        return f(x)

    forward.__name__ = name
    return forward


def _log_base(x: float, b: float) -> float:
    if x <= 0:
        raise MathError("log of a non-positive number", 0)
    if b <= 0:
        raise MathError("log to a non-positive base", 1)
    if b == 1:
        raise MathError("log to base 1", 1)
    return math.log(x) / math.log(b)


def _exp2(x: float) -> float:
    return math.pow(2.0, x)  # OverflowError past 2**1023, as exp


def _cbrt(x: float) -> float:
    # the real cube root (of a negative number too); math.cbrt is Python 3.11's
    r = math.copysign(abs(x) ** (1.0 / 3.0), x)
    if r != 0 and math.isfinite(r):
        r -= (r * r * r - x) / (3.0 * r * r)  # one Newton step: cbrt(27) is 3 exactly
    return r


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))  # log(1 + exp(x)), never overflowing


def _vsoftplus(np: Any, x: Any) -> Any:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _atan2(y: float, x: float) -> float:
    return math.atan2(y + 0.0, x)  # + 0.0: -0.0 is 0, so atan2(0, -1) is pi and never -pi


def _round(x: float) -> float:
    # halves away from zero (round(2.5) = 3, round(-2.5) = -3), as C's round; x - trunc(x) is exact
    t = float(math.trunc(x))
    return t + math.copysign(1.0, x) if abs(x - t) >= 0.5 else t


def _vround(np: Any, x: Any) -> Any:
    t = np.trunc(x)
    return np.where(np.abs(x - t) >= 0.5, t + np.copysign(1.0, x), t)


def _nearest_unit(x: float) -> float:
    return 1.0 if x >= 0 else -1.0  # of the domain's ends -1 and 1, the one nearest x


def _nearest_integer(x: float) -> float:
    return float(math.floor(x + 0.5))


def _nearest_half(x: float) -> float:
    return math.floor(x) + 0.5  # round jumps at the halves


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)  # erf'(x) = 2/sqrt(pi) * exp(-x**2)

_ROWS += [
    Op("asin", "asin", 1, _domain("asin", lambda x: -1 <= x <= 1, "a number outside [-1, 1]"),
       (lambda o, x: 1.0 / math.sqrt(1.0 - x * x),), ("1 / sqrt(1 - x**2)",), callable=True,
       latex="\\arcsin\\left({0}\\right)", vector=lambda np, x: np.arcsin(x),
       edges=(Edge("singularity", 0, _nearest_unit),)),
    Op("acos", "acos", 1, _domain("acos", lambda x: -1 <= x <= 1, "a number outside [-1, 1]"),
       (lambda o, x: -1.0 / math.sqrt(1.0 - x * x),), ("-1 / sqrt(1 - x**2)",), callable=True,
       latex="\\arccos\\left({0}\\right)", vector=lambda np, x: np.arccos(x),
       edges=(Edge("singularity", 0, _nearest_unit),)),
    Op("atan", "atan", 1, math.atan, (lambda o, x: 1.0 / (1.0 + x * x),), ("1 / (1 + x**2)",), callable=True,
       latex="\\arctan\\left({0}\\right)", vector=lambda np, x: np.arctan(x)),
    Op("sinh", "sinh", 1, math.sinh, (lambda o, x: math.cosh(x),), ("cosh(x)",), callable=True,
       latex="\\sinh\\left({0}\\right)", vector=lambda np, x: np.sinh(x)),
    Op("cosh", "cosh", 1, math.cosh, (lambda o, x: math.sinh(x),), ("sinh(x)",), callable=True,
       latex="\\cosh\\left({0}\\right)", vector=lambda np, x: np.cosh(x)),
    Op("asinh", "asinh", 1, math.asinh, (lambda o, x: 1.0 / math.hypot(x, 1.0),), ("1 / sqrt(x**2 + 1)",),
       callable=True, latex="\\operatorname{{arsinh}}\\left({0}\\right)", vector=lambda np, x: np.arcsinh(x)),
    Op("acosh", "acosh", 1, _domain("acosh", lambda x: x >= 1, "a number less than 1"),
       # (x*x - 1 overflows past 1.3e154, and the derivative came out 0: the product of the roots does not)
       (lambda o, x: 1.0 / (math.sqrt(x - 1.0) * math.sqrt(x + 1.0)),), ("1 / sqrt(x**2 - 1)",), callable=True,
       latex="\\operatorname{{arcosh}}\\left({0}\\right)", vector=lambda np, x: np.arccosh(x),
       edges=(Edge("singularity", 0, lambda x: 1.0),)),
    Op("atanh", "atanh", 1, _domain("atanh", lambda x: -1 < x < 1, "a number outside (-1, 1)"),
       (lambda o, x: 1.0 / (1.0 - x * x),), ("1 / (1 - x**2)",), callable=True,
       latex="\\operatorname{{artanh}}\\left({0}\\right)", vector=lambda np, x: np.arctanh(x),
       edges=(Edge("singularity", 0, _nearest_unit),)),
    Op("log10", "log10", 1, _domain("log10", lambda x: x > 0, "a non-positive number"),
       (lambda o, x: 1.0 / (x * math.log(10.0)),), ("1 / (x * log(10))",), callable=True,
       latex="\\log_{{10}}\\left({0}\\right)", vector=lambda np, x: np.log10(x),
       edges=(Edge("singularity", 0, _zero_point),)),
    Op("log2", "log2", 1, _domain("log2", lambda x: x > 0, "a non-positive number"),
       (lambda o, x: 1.0 / (x * math.log(2.0)),), ("1 / (x * log(2))",), callable=True,
       latex="\\log_{{2}}\\left({0}\\right)", vector=lambda np, x: np.log2(x),
       edges=(Edge("singularity", 0, _zero_point),)),
    Op("exp2", "exp2", 1, _exp2, (lambda o, x: o * math.log(2.0),), ("exp2(x) * log(2)",), callable=True,
       latex="2^{{{0}}}", vector=lambda np, x: np.exp2(x)),
    Op("cbrt", "cbrt", 1, _cbrt, (lambda o, x: 1.0 / (3.0 * o * o),), ("1 / (3 * cbrt(x)**2)",), callable=True,
       latex="\\sqrt[3]{{{0}}}", vector=lambda np, x: np.cbrt(x),
       edges=(Edge("singularity", 0, _zero_point),)),
    Op("erf", "erf", 1, math.erf, (lambda o, x: _TWO_OVER_SQRT_PI * math.exp(-x * x),),
       (f"{_TWO_OVER_SQRT_PI!r} * exp(-x**2)",), callable=True, latex="\\operatorname{{erf}}\\left({0}\\right)",
       vector=lambda np, x: _verf(np, x)),
    Op("erfc", "erfc", 1, math.erfc, (lambda o, x: -_TWO_OVER_SQRT_PI * math.exp(-x * x),),
       (f"-{_TWO_OVER_SQRT_PI!r} * exp(-x**2)",), callable=True, latex="\\operatorname{{erfc}}\\left({0}\\right)",
       vector=lambda np, x: _verfc(np, x)),
    Op("softplus", "softplus", 1, _softplus, (lambda o, x: _sigmoid(x),), ("sigmoid(x)",), callable=True,
       latex="\\operatorname{{softplus}}\\left({0}\\right)", vector=_vsoftplus),
    # atan2(y, x): the angle of the point (x, y), in (-pi, pi]; over x and y the formulas read y as x, x as y
    Op("atan2", "atan2", 2, _atan2,
       (lambda o, y, x: x / (x * x + y * y), lambda o, y, x: -y / (x * x + y * y)),
       ("y / (x**2 + y**2)", "-x / (x**2 + y**2)"), callable=True,
       latex="\\operatorname{{atan2}}\\left({0}, {1}\\right)", vector=lambda np, y, x: np.arctan2(y + 0.0, x),
       # from pi to -pi across the negative x axis
       edges=(Edge("jump", 0, lambda y, x: 0.0 if x < 0 else None, "{x} = 0 with {y} < 0"),), operands=("y", "x")),
    Op("hypot", "hypot", 2, math.hypot, (lambda o, x, y: x / o, lambda o, x, y: y / o),
       ("x / hypot(x, y)", "y / hypot(x, y)"), callable=True,
       latex="\\operatorname{{hypot}}\\left({0}, {1}\\right)", vector=lambda np, x, y: np.hypot(x, y),
       # a cone's tip at the origin: |x| where y = 0, |y| where x = 0
       edges=(Edge("kink", 0, lambda x, y: 0.0 if y == 0 else None, "{x} = {y} = 0"),
              Edge("kink", 1, lambda x, y: 0.0 if x == 0 else None, "{x} = {y} = 0"))),
    Op("log_base", "log", 2, _log_base,
       (lambda o, x, b: 1.0 / (x * math.log(b)), lambda o, x, b: -o / (b * math.log(b))),
       ("1 / (x * log(y))", "-log(x) / (y * log(y)**2)"), callable=True, called="log",
       latex="\\log_{{{1}}}\\left({0}\\right)",
       # undefined (NaN) where the forward refuses: a base of 0 would give log(x) / -inf = -0.0
       vector=lambda np, x, b: np.where(b > 0, np.log(x) / np.log(b), np.nan),
       edges=(Edge("singularity", 0, _zero_point),
              Edge("singularity", 1, lambda x, b: 1.0 if b > 0.5 else 0.0, "{y} = {p}")),
       operands=("number", "base")),
    # flat: derivative 0 everywhere (at a jump too, as step and sign)
    Op("floor", "floor", 1, lambda x: float(math.floor(x)), (_zero,), ("0",), callable=True,
       latex="\\left\\lfloor {0} \\right\\rfloor", vector=lambda np, x: np.floor(x),
       edges=(Edge("jump", 0, _nearest_integer),)),
    Op("ceil", "ceil", 1, lambda x: float(math.ceil(x)), (_zero,), ("0",), callable=True,
       latex="\\left\\lceil {0} \\right\\rceil", vector=lambda np, x: np.ceil(x),
       edges=(Edge("jump", 0, _nearest_integer),)),
    Op("round", "round", 1, _round, (_zero,), ("0",), callable=True,
       latex="\\operatorname{{round}}\\left({0}\\right)", vector=_vround,
       edges=(Edge("jump", 0, _nearest_half),)),
]


def _verf(np: Any, x: Any) -> Any:
    # NumPy has no erf; math.erf on each point (a sweep of erf costs a Python call per point)
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _verfc(np: Any, x: Any) -> Any:
    return np.vectorize(math.erfc, otypes=[np.float64])(x)

#: every op by name
OPS: dict[str, Op] = {op.name: op for op in _ROWS}

#: the ops a program can call by name, e.g. ``exp(x)`` (each name's row; ``call`` finds the others)
FUNCTIONS: dict[str, Op] = {op.name: op for op in _ROWS if op.callable and not op.called}

#: other names of functions
ALIASES: dict[str, str] = {"ln": "log"}

#: functions of any number of arguments, and the fewest each takes (one node, one edge per argument)
VARIADIC: dict[str, int] = {"max": 2, "min": 2, "sum": 1, "mean": 1}

_BY_CALL: dict[str, dict[int, Op]] = {}
for _op in _ROWS:
    if _op.callable:
        _BY_CALL.setdefault(_op.called or _op.name, {})[_op.arity] = _op
for _alias, _name in ALIASES.items():
    _BY_CALL[_alias] = _BY_CALL[_name]

#: every name a program can call, sorted
CALLABLE: tuple[str, ...] = tuple(sorted(set(_BY_CALL) | set(VARIADIC)))


def call(name: str, n: int) -> Op | None:
    """The op of a call ``name(...)`` with ``n`` arguments; None for an unknown name or a wrong count."""
    fewest = VARIADIC.get(name)
    if fewest is not None and n >= fewest:
        return variadic(name, n)
    return _BY_CALL.get(name, {}).get(n)


def arities(name: str) -> str | None:
    """How many arguments ``name`` takes, for messages ('1', '1 or 2', '2 or more'); None: no such function."""
    if name in VARIADIC:
        return f"{VARIADIC[name]} or more"
    counts = sorted(_BY_CALL.get(name, ()))
    return " or ".join(map(str, counts)) if counts else None


def signature(name: str) -> str:
    """How a call of ``name`` is written, for help: 'exp(x)', 'log(x[, base])', 'max(x, y, ...)'."""
    if name in VARIADIC:
        return f"{name}({', '.join('xy'[:VARIADIC[name]])}, ...)"
    counts = sorted(_BY_CALL[name])
    if name == "atan2":
        return "atan2(y, x)"
    if counts == [1, 2]:
        return f"{name}(x[, base])"
    return f"{name}({', '.join('xy'[:counts[0]])})"


def placeholder(k: int) -> str:
    """The name a derivative formula gives an op's input ``k``: x, y, then a2, a3, ..."""
    return "x" if k == 0 else "y" if k == 1 else f"a{k}"


def _first_best(args: tuple[float, ...], better: Callable[[float, float], bool]) -> int:
    best = 0
    for k in range(1, len(args)):
        if better(args[k], args[best]):
            best = k  # strictly better only: on a tie the first argument stays
    return best


def _sum(*args: float) -> float:
    total = args[0]
    for a in args[1:]:
        total += a  # left to right, as a + b + c (Python 3.12's sum() rounds differently)
    return total


def _vsum(np: Any, *args: Any) -> Any:
    total = args[0]
    for a in args[1:]:
        total = total + a
    return total


@lru_cache(maxsize=None)
def variadic(name: str, n: int) -> Op:
    """The op of ``name`` (a VARIADIC function) over ``n`` arguments: one row, built when first called.

    ``max(a, b)`` and ``min(a, b)`` are the table's own rows. On a tie, max and
    min send the whole gradient to the first argument that is largest (smallest).
    """
    if n < VARIADIC[name]:
        raise ValueError(f"{name} takes at least {VARIADIC[name]} arguments, not {n}")
    if name in ("max", "min") and n == 2:
        return OPS[name]
    names = [placeholder(k) for k in range(n)]
    listed = ", ".join(f"{{{k}}}" for k in range(n))
    if name in ("max", "min"):
        better = (lambda a, b: a > b) if name == "max" else (lambda a, b: a < b)
        np_pick = "maximum" if name == "max" else "minimum"

        def forward(*args: float) -> float:
            return args[_first_best(args, better)]

        def rule(k: int) -> Callable[..., float]:
            return lambda o, *args: 1.0 if _first_best(args, better) == k else 0.0

        # input k wins when it beats every earlier input and ties or beats every later one
        def formula(k: int) -> str:
            wins = [f"step({names[k]} - {names[j]})" if name == "max" else f"step({names[j]} - {names[k]})"
                    for j in range(k)]
            wins += [f"(1 - step({names[j]} - {names[k]}))" if name == "max" else
                     f"(1 - step({names[k]} - {names[j]}))" for j in range(k + 1, n)]
            return " * ".join(wins)

        def vector(np: Any, *args: Any) -> Any:
            result = args[0]
            for a in args[1:]:
                result = getattr(np, np_pick)(result, a)
            return result

        def tie(k: int) -> Callable[..., float]:
            others = max if name == "max" else min
            return lambda *args: others(args[:k] + args[k + 1:])  # input k's kink: where it ties the best other

        edges = tuple(Edge("kink", k, tie(k), f"a tie of its {'largest' if name == 'max' else 'smallest'}"
                                              " arguments at {p}") for k in range(n))
        return Op(name, name, n, forward, tuple(rule(k) for k in range(n)), tuple(formula(k) for k in range(n)),
                  callable=True, latex=f"\\{name}\\left({listed}\\right)", vector=vector, edges=edges)
    if name == "sum":
        return Op(name, name, n, _sum, tuple(lambda o, *args: 1.0 for _ in range(n)), ("1",) * n, callable=True,
                  latex=f"\\operatorname{{{{sum}}}}\\left({listed}\\right)", vector=_vsum)
    assert name == "mean", name
    share = 1.0 / n
    return Op(name, name, n, lambda *args: _sum(*args) / n, tuple(lambda o, *args: share for _ in range(n)),
              (repr(share),) * n, callable=True, latex=f"\\operatorname{{{{mean}}}}\\left({listed}\\right)",
              vector=lambda np, *args: _vsum(np, *args) / n)

#: names that mean a number unless the program assigns them
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

def fold(op: Op, *args: float) -> float:
    """``op``'s forward value at numbers ``args``; MathError unless it is a finite number."""
    try:
        value = op.forward(*args)
    except (OverflowError, ValueError, ZeroDivisionError) as e:
        raise forward_error(op, e) from None
    if not math.isfinite(value):
        raise MathError("overflow", None)
    return value


def forward_error(op: Op, e: Exception) -> MathError:
    """The error of a forward function that raised ``e`` (math's own errors say little)."""
    if isinstance(e, OverflowError):
        return MathError("overflow", None)
    return MathError(f"{op.name} is not defined for these arguments", None)


# Leaves have no forward and no inputs: a variable (set, or assigned a number)
# and a constant (a literal, pi, or a number mixed into a Python expression).
INPUT = Op("input", "", 0, lambda: 0.0, (), ())
CONST = Op("const", "", 0, lambda: 0.0, (), ())
