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
"""

from __future__ import annotations

import math
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

#: every op by name
OPS: dict[str, Op] = {op.name: op for op in _ROWS}

#: the ops a program can call by name, e.g. ``exp(x)``
FUNCTIONS: dict[str, Op] = {op.name: op for op in _ROWS if op.callable}

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
