"""A program's value and gradient as standalone source code: Python, NumPy, C or JavaScript.

Each printer takes the straight-line IR of ``interpret.emit`` and writes one
self-contained file: a header comment (the program, its inputs, the gradcli
version, the conventions at kinks, how domain errors show, and any input
renamed for the target language), the small helpers that function calls
(for ops the language lacks; none that it does not call), and one function
that computes every IR node once, in order, in the statements of
``statements`` (a temporary per node read twice, the rest written inline).
Only three
things from the program reach the code: input names (checked and, where the
language reserves them, renamed by ``names``), numbers (``repr`` of a finite
float: every digit), and ops (from a fixed table here). The program's text
appears only in the header, escaped so that it cannot leave the comment.

The conventions are the engine's: relu'(0) = 0 (step(0) = 0), abs'(0) = 0
(sign(0) = 0), and max and min send the whole gradient to their first argument
on a tie.

The NumPy function is written to be as fast as NumPy written by hand: it lets
go of each temporary array after its last read (``del``), so that a call
holds few arrays at once (fewer page faults, and memory that stays in cache),
and returns an array it computed as it is, copying only an input, a number,
an array of a smaller shape, or a node returned a second time (every result
is a new array of the inputs' broadcast shape, never shared with another).

About 400 lines: four languages, each an op table, its helpers and its printer,
kept side by side so that a new op is added to all four at once.
"""

from __future__ import annotations

import re
from typing import Callable

import gradcli

from ..interpret.emit import Emitted
from ..language.ops import Op
from .names import comment_lines, parameters
from .statements import Statements, statements

__all__ = ["python", "numpy", "c", "javascript"]

# per op: how each language writes it, {0} and {1} its arguments (names or literals)
_INFIX = {"add": "{0} + {1}", "sub": "{0} - {1}", "mul": "{0} * {1}", "div": "{0} / {1}", "neg": "-{0}"}
#: (an entry may also be a function of the number of arguments: ``statements.template``)
_Table = dict[str, "str | Callable[[int], str]"]
_PYTHON: _Table = {**_INFIX, "pow": "math.pow({0}, {1})", "abs": "math.fabs({0})",
           **{f: f"math.{f}({{0}})" for f in ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh")},
           **{f: f"_{f}({{0}})" for f in ("sigmoid", "relu", "step", "sign")},
           "max": "_max({0}, {1})", "min": "_min({0}, {1})"}
_NUMPY: _Table = {**_INFIX, "pow": "np.power({0}, {1})", "abs": "np.abs({0})", "sign": "np.sign({0})",
          **{f: f"np.{f}({{0}})" for f in ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh")},
          "sigmoid": "_sigmoid({0})", "relu": "np.where({0} > 0, {0}, 0.0)", "step": "np.where({0} > 0, 1.0, 0.0)",
          "max": "np.where({0} >= {1}, {0}, {1})", "min": "np.where({0} <= {1}, {0}, {1})"}
_C: _Table = {**_INFIX, "pow": "pow({0}, {1})", "abs": "fabs({0})",
      **{f: f"{f}({{0}})" for f in ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh")},
      **{f: f"gc_{f}({{0}})" for f in ("sigmoid", "relu", "step", "sign")},
      "max": "gc_max({0}, {1})", "min": "gc_min({0}, {1})"}
_JS: _Table = {**_INFIX, "pow": "Math.pow({0}, {1})", "abs": "Math.abs({0})",
       **{f: f"Math.{f}({{0}})" for f in ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh")},
       **{f: f"gc_{f}({{0}})" for f in ("sigmoid", "relu", "step", "sign")},
       "max": "gc_max({0}, {1})", "min": "gc_min({0}, {1})"}

# the fuller language (issue 14): each language's spelling of the newer ops. A template that is not
# one call is parenthesized whole, and a sum's operands each, as ``statements`` writes operands inline
_NEW = ("asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "log10", "log2")
_PYTHON.update({**{f: f"math.{f}({{0}})" for f in (*_NEW, "erf", "erfc")},
                "exp2": "math.pow(2.0, {0})", "cbrt": "_cbrt({0})", "softplus": "_softplus({0})",
                "floor": "float(math.floor({0}))", "ceil": "float(math.ceil({0}))", "round": "_round({0})",
                "atan2": "math.atan2({0} + 0.0, {1})", "hypot": "math.hypot({0}, {1})",
                "log_base": "(math.log({0}) / math.log({1}))"})
_NUMPY.update({**{f: f"np.{'arc' + f[1:] if f.startswith('a') else f}({{0}})" for f in _NEW},
               "erf": "_erf({0})", "erfc": "_erfc({0})", "exp2": "np.exp2({0})",
               "cbrt": "np.cbrt({0})", "softplus": "_softplus({0})", "floor": "np.floor({0})",
               "ceil": "np.ceil({0})", "round": "_round({0})", "atan2": "np.arctan2({0} + 0.0, {1})",
               "hypot": "np.hypot({0}, {1})", "log_base": "(np.log({0}) / np.log({1}))"})
_C.update({**{f: f"{f}({{0}})" for f in (*_NEW, "erf", "erfc", "exp2", "cbrt", "floor", "ceil", "round")},
           "softplus": "gc_softplus({0})", "atan2": "atan2({0} + 0.0, {1})", "hypot": "hypot({0}, {1})",
           "log_base": "(log({0}) / log({1}))"})  # C's round takes halves away from zero, as gradcli
_JS.update({**{f: f"Math.{f}({{0}})" for f in (*_NEW, "cbrt", "floor", "ceil")},
            "exp2": "Math.pow(2, {0})", "erf": "gc_erf({0})", "erfc": "gc_erfc({0})",
            "softplus": "gc_softplus({0})", "round": "gc_round({0})", "atan2": "Math.atan2({0} + 0.0, {1})",
            "hypot": "Math.hypot({0}, {1})", "log_base": "(Math.log({0}) / Math.log({1}))"})


def _folded(two: str) -> Callable[[int], str]:
    """max and min of n arguments from the template of two: max(max(a, b), c), a tie keeping the first."""
    def template(n: int) -> str:
        text = "{0}"
        for k in range(1, n):
            text = two.replace("{0}", "\0").replace("{1}", f"{{{k}}}").replace("\0", text)
        return text
    return template


def _summed(n: int) -> str:
    return "(" + " + ".join(f"({{{k}}})" for k in range(n)) + ")"  # left to right, as gradcli adds


def _mean(n: int) -> str:
    return f"({_summed(n)} / {float(n)!r})"


for _table in (_PYTHON, _C, _JS):
    _two_max, _two_min = _table["max"], _table["min"]
    assert isinstance(_two_max, str) and isinstance(_two_min, str)
    _table.update({"max": _folded(_two_max), "min": _folded(_two_min), "sum": _summed, "mean": _mean})
_NUMPY.update({"max": lambda n: "np.where({0} >= {1}, {0}, {1})" if n == 2 else f"_max({_listed(n)})",
               "min": lambda n: "np.where({0} <= {1}, {0}, {1})" if n == 2 else f"_min({_listed(n)})",
               "sum": _summed, "mean": _mean})


def _listed(n: int) -> str:
    return ", ".join(f"{{{k}}}" for k in range(n))


_KINKS = ("at kinks, as gradcli: relu'(0) = 0 (step(0) = 0), abs'(0) = 0 (sign(0) = 0); on a tie max and min"
          " send the whole gradient to their first argument; floor, ceil and round are flat (derivative 0,"
          " at their jumps too)")
_ERRORS = {
    "python": "domain errors raise, as gradcli reports them: ZeroDivisionError, ValueError (math.log of 0,"
              " math.pow(0, -1)), OverflowError (math.exp); an overflowing product gives inf",
    "numpy": "domain errors give NaN (log of a negative number, sqrt(-1)) or inf (division by zero),"
             " with NumPy's RuntimeWarning",
    "c": "domain errors give NaN or inf (no errno checks)",
    "javascript": "domain errors give NaN or Infinity",
}


def _number(x: float) -> str:
    text = repr(float(x))
    return f"({text})" if text.startswith("-") else text


def _header(e: Emitted, language: str, prefix: str, params: list[str], renamed: list[tuple[str, str]],
            extra: str, layout: str = "") -> list[str]:
    what = "values and Jacobian" if e.jacobian is not None else "value and gradient"
    text = [f"The {what} of a gradcli program ({language}), written by gradcli {gradcli.__version__}.",
            "Do not edit: generated from the program:"]
    program = ["  " + line for line in e.source.split("\n")]
    if e.output_names is not None:
        shown = [f"outputs, in order: {', '.join(e.output_names)}"]
    else:
        shown = [f"output: {e.output_name}"]
    shown.append("parameters, in order: " + (", ".join(params) or "none"))
    if e.jacobian is not None:
        shown.append(f"the Jacobian: {len(e.jacobian)} rows (the outputs, in order) by {len(params)} columns"
                     " (the parameters, in order); row k is output k's gradient")
    if renamed:
        shown.append("renamed for " + language + ": " + ", ".join(f"{a} -> {b}" for a, b in renamed))
    if e.hessian is not None:
        shown.append("order 2: also the Hessian, row-major over the parameters")
    if layout:
        shown.append(layout)
    shown += [_KINKS, _ERRORS[language]]
    c = language == "c"
    lines = [line for part in text + program + shown for line in comment_lines(part, prefix, c)]
    if extra:
        lines += comment_lines(extra, prefix, c)
    return lines


_PYTHON_HELPERS = {
    "_step": "def _step(x):\n    return 1.0 if x > 0 else 0.0",
    "_sign": "def _sign(x):\n    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0",
    "_relu": "def _relu(x):\n    return x if x > 0 else 0.0",
    "_sigmoid": "def _sigmoid(x):\n    if x >= 0:\n        return 1.0 / (1.0 + math.exp(-x))\n    z = math.exp(x)\n"
                "    return z / (1.0 + z)",
    "_max": "def _max(x, y):\n    return x if x >= y else y",
    "_min": "def _min(x, y):\n    return x if x <= y else y",
    "_cbrt": "def _cbrt(x):\n    r = math.copysign(abs(x) ** (1.0 / 3.0), x)  # the real cube root\n"
             "    if r != 0 and math.isfinite(r):\n        r -= (r * r * r - x) / (3.0 * r * r)  # one Newton step\n"
             "    return r",
    "_softplus": "def _softplus(x):\n    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))  # never overflows",
    "_round": "def _round(x):\n    t = float(math.trunc(x))  # halves away from zero\n"
              "    return t + math.copysign(1.0, x) if abs(x - t) >= 0.5 else t",
}
_NUMPY_HELPERS = {
    "_sigmoid": "def _sigmoid(x):\n    z = np.exp(-np.abs(x))  # never overflows\n"
                "    return np.where(x >= 0, 1.0, z) / (1.0 + z)  # 1 / (1 + exp(-x)), or exp(x) / (1 + exp(x))",
    "_shaped": "def _shaped(v, shape):\n    # a new array of the inputs' shape (v may be an input, a number or another result);\n"
               "    # [()] makes a 0-d array a float (np.float64): floats in, floats out\n"
               "    return np.array(np.broadcast_to(v, shape), dtype=np.float64)[()]",
    "_erf": "def _erf(x):\n    import math  # NumPy has no erf: Python's, point by point\n\n"
            "    return np.vectorize(math.erf, otypes=[np.float64])(x)[()]",
    "_erfc": "def _erfc(x):\n    import math\n\n    return np.vectorize(math.erfc, otypes=[np.float64])(x)[()]",
    "_softplus": "def _softplus(x):\n    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))  # never overflows",
    "_round": "def _round(x):\n    t = np.trunc(x)  # halves away from zero\n"
              "    return np.where(np.abs(x - t) >= 0.5, t + np.copysign(1.0, x), t)",
    "_max": "def _max(*xs):\n    best = xs[0]\n    for x in xs[1:]:\n        best = np.where(x > best, x, best)"
            "  # a tie keeps the first\n    return best",
    "_min": "def _min(*xs):\n    best = xs[0]\n    for x in xs[1:]:\n        best = np.where(x < best, x, best)"
            "  # a tie keeps the first\n    return best",
    "_fresh": "def _fresh(v, shape):\n    # v was computed here and is returned once: kept as it is when it has the inputs' shape\n"
              "    return v[()] if isinstance(v, np.ndarray) and v.shape == shape else _shaped(v, shape)",
}


def _used(helpers: dict[str, str], code: list[str]) -> list[str]:
    """The helpers ``code`` calls, or that a helper it calls calls (``_fresh`` calls ``_shaped``), in table order."""
    text = "\n".join(code)
    called: set[str] = set()
    while True:
        more = {name for name in helpers if name not in called and re.search(rf"\b{name}\(", text)}
        if not more:
            return [helpers[name] for name in helpers if name in called]
        called |= more
        text = "\n".join(helpers[name] for name in more)


def _python_like(e: Emitted, header: str, language: str) -> str:
    params, renamed = parameters(e.inputs, language)
    np_ = language == "numpy"
    st = statements(e, _NUMPY if np_ else _PYTHON, params, _number)
    body = []
    for (name, text), free in zip(st.lines, st.frees):
        body.append(f"    {name} = {text}")
        if np_ and free:  # let go of each array once it is read for the last time
            body.append(f"    del {', '.join(free)}")
    returned: set[int] = set()

    def result(n: int) -> str:
        if not np_:
            return st.ref(n)
        fresh = isinstance(e.nodes[n].op, Op) and n not in returned  # computed here, not returned before
        returned.add(n)
        return f"{'_fresh' if fresh else '_shaped'}({st.ref(n)}, _shape)"

    def tup(items: list[str]) -> str:
        return "(" + "".join(f"{x}, " for x in items).rstrip(" ") + ")" if items else "()"

    if e.outputs is not None and e.jacobian is not None:  # several outputs: (values, rows)
        parts = [tup([result(n) for n in e.outputs]), tup([tup([result(g) for g in row]) for row in e.jacobian])]
    else:
        parts = [result(e.output), tup([result(g) for g in e.gradients])]
    if e.hessian is not None:
        parts.append(tup([tup([result(h) for h in row]) for row in e.hessian]))
    body.append(f"    return {', '.join(parts)}")

    kind = "np.ndarray | float" if np_ else "float"
    signature = ", ".join(f"{p}: {'np.ndarray | float' if np_ else 'float'}" for p in params)
    returns = f"tuple[{kind}, tuple[{kind}, ...]" + (f", tuple[tuple[{kind}, ...], ...]]" if e.hessian else "]")
    if e.jacobian is not None:
        returns = f"tuple[tuple[{kind}, ...], tuple[tuple[{kind}, ...], ...]]"
    function = [f"def value_and_grad({signature}) -> {returns}:"]
    if np_:
        function += [f"    {p} = np.asarray({p}, dtype=np.float64)" for p in params]
        function.append(f"    _shape = np.broadcast({''.join(p + ', ' for p in params)}0.0).shape")
    function += body
    helpers = _used(_NUMPY_HELPERS if np_ else _PYTHON_HELPERS, body)
    imports = ["import numpy as np"] if np_ else ["import math"] if "math." in "\n".join(body + helpers) else []
    out = ["", "from __future__ import annotations", ""] + [line for i in imports for line in (i, "")]
    for helper in helpers:
        out += ["", helper, ""]
    out += ["", *function]
    return "\n".join(_header(e, language, "#", params, renamed, header) + out) + "\n"


def python(e: Emitted, header: str = "") -> str:
    """``def value_and_grad(...) -> (value, grad[, hess])`` in Python with ``math`` only.

    Several outputs (``jacobian_ir``): ``-> (values, jacobian)``, a value per
    output and a row of the Jacobian per output (a column per parameter).

    ``header``: extra text for the header comment (a command line, say), escaped like the program.
    """
    return _python_like(e, header, "python")


def numpy(e: Emitted, header: str = "") -> str:
    """``value_and_grad`` elementwise over NumPy arrays (and floats); kinks by ``np.where``."""
    return _python_like(e, header, "numpy")


_C_HELPERS = {
    "gc_step": "static inline double gc_step(double x) { return x > 0 ? 1.0 : 0.0; }",
    "gc_sign": "static inline double gc_sign(double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; }",
    "gc_relu": "static inline double gc_relu(double x) { return x > 0 ? x : 0.0; }",
    "gc_max": "static inline double gc_max(double x, double y) { return x >= y ? x : y; }",
    "gc_min": "static inline double gc_min(double x, double y) { return x <= y ? x : y; }",
    "gc_sigmoid": "static inline double gc_sigmoid(double x) {\n    if (x >= 0) return 1.0 / (1.0 + exp(-x));\n"
                  "    double z = exp(x); /* two branches, so that exp never overflows */\n    return z / (1.0 + z);\n}",
    "gc_softplus": "static inline double gc_softplus(double x) {\n"
                   "    return (x > 0 ? x : 0.0) + log1p(exp(-fabs(x))); /* never overflows */\n}",
}


def _c_function(st: Statements, signature: str, ending: list[str]) -> list[str]:
    """``#include <math.h>``, the helpers the function calls, and the function: its statements, then ``ending``."""
    body = [f"    const double {name} = {text};" for name, text in st.lines] + ending
    helpers = _used(_C_HELPERS, body)
    return ["", "#include <math.h>", "", *helpers, *([""] if helpers else []),
            f"{signature} {{", *body, "}"]


def c(e: Emitted, header: str = "", name: str = "value_and_grad") -> str:
    """``double value_and_grad(double x1, ..., double grad[N][, double hess[N*N]])`` in C99 with <math.h>.

    Returns the value; writes the gradient (and the row-major Hessian). With no
    inputs, ``grad`` (and ``hess``) is a ``double *`` that is not written.
    ``name`` names the function (several programs in one file). Several outputs
    (``jacobian_ir``): ``void value_and_grad(double x1, ..., double value[M], double jacobian[M*N])``,
    the Jacobian row-major (a row per output, a column per parameter).
    """
    if e.jacobian is not None:
        return _c_jacobian(e, header, name)
    params, renamed = parameters(e.inputs, "c")
    st = statements(e, _C, params, _number)
    size = len(params)
    arrays = [f"double grad[{size}]" if size else "double *grad"]
    if e.hessian is not None:
        arrays.append(f"double hess[{size * size}]" if size else "double *hess")
    signature = ", ".join([f"double {p}" for p in params] + arrays)
    ending = [f"    grad[{i}] = {st.ref(g)};" for i, g in enumerate(e.gradients)]
    for i, row in enumerate(e.hessian or []):
        ending += [f"    hess[{i * size + j}] = {st.ref(h)};" for j, h in enumerate(row)]
    if not size:
        ending.append("    (void)grad;" + (" (void)hess;" if e.hessian is not None else ""))
    ending.append(f"    return {st.ref(e.output)};")
    out = _c_function(st, f"double {name}({signature})", ending)
    return "\n".join(_header(e, "c", "//", params, renamed, header) + out) + "\n"


def _c_jacobian(e: Emitted, header: str, name: str) -> str:
    """``void value_and_grad(double x1, ..., double value[M], double jacobian[M*N])``, row-major."""
    assert e.outputs is not None and e.jacobian is not None
    params, renamed = parameters(e.inputs, "c", frozenset({"value", "jacobian"}))
    st = statements(e, _C, params, _number)
    m, size = len(e.outputs), len(params)
    arrays = [f"double value[{m}]", f"double jacobian[{m * size}]" if size else "double *jacobian"]
    signature = ", ".join([f"double {p}" for p in params] + arrays)
    ending = [f"    value[{k}] = {st.ref(n)};" for k, n in enumerate(e.outputs)]
    for k, row in enumerate(e.jacobian):
        ending += [f"    jacobian[{k * size + i}] = {st.ref(g)};" for i, g in enumerate(row)]
    if not size:
        ending.append("    (void)jacobian;")
    out = _c_function(st, f"void {name}({signature})", ending)
    layout = (f"writes value[M] and jacobian[M*N], M = {m} outputs and N = {size} parameters in the orders above,"
              f" row-major: jacobian[k*N + i] = d(output k)/d(parameter i)")
    return "\n".join(_header(e, "c", "//", params, renamed, header, layout) + out) + "\n"


_JS_HELPERS = {
    "gc_step": "function gc_step(x) { return x > 0 ? 1.0 : 0.0; }",
    "gc_sign": "function gc_sign(x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; }",
    "gc_relu": "function gc_relu(x) { return x > 0 ? x : 0.0; }",
    "gc_max": "function gc_max(x, y) { return x >= y ? x : y; }",
    "gc_min": "function gc_min(x, y) { return x <= y ? x : y; }",
    "gc_sigmoid": "function gc_sigmoid(x) {\n  if (x >= 0) return 1.0 / (1.0 + Math.exp(-x));\n"
                  "  const z = Math.exp(x); // two branches, so that exp never overflows\n  return z / (1.0 + z);\n}",
    "gc_softplus": "function gc_softplus(x) { return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))); }",
    "gc_round": "function gc_round(x) { // halves away from zero (Math.round takes -2.5 to -2)\n"
                "  const t = Math.trunc(x);\n  return Math.abs(x - t) >= 0.5 ? t + Math.sign(x) : t;\n}",
    # JavaScript has no erf: a series near 0, else a continued fraction, to a few units in the last place
    "gc_erf": "function gc_erf(x) {\n  if (Math.abs(x) < 1) return gc_erf_series(x);\n"
              "  const c = gc_erfc_cf(Math.abs(x));\n  return x > 0 ? 1 - c : c - 1;\n}",
    "gc_erfc": "function gc_erfc(x) {\n  if (Math.abs(x) < 1) return 1 - gc_erf_series(x);\n"
               "  return x > 0 ? gc_erfc_cf(x) : 2 - gc_erfc_cf(-x);\n}",
    "gc_erf_series": "function gc_erf_series(x) { // |x| < 1: the Taylor series\n  const x2 = x * x;\n"
                     "  let term = x, sum = x;\n  for (let n = 1; n < 100; n++) {\n    term *= -x2 / n;\n"
                     "    const add = term / (2 * n + 1);\n    sum += add;\n"
                     "    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;\n  }\n"
                     "  return sum * 2 / Math.sqrt(Math.PI);\n}",
    "gc_erfc_cf": "function gc_erfc_cf(x) { // x >= 1: the continued fraction, from its tail\n  let t = 0.0;\n"
                  "  for (let n = 200; n >= 1; n--) t = (n / 2) / (x + t);\n"
                  "  return Math.exp(-x * x) / Math.sqrt(Math.PI) / (x + t);\n}",
}


def javascript(e: Emitted, header: str = "", name: str = "valueAndGrad") -> str:
    """``export function valueAndGrad(x1, ...)`` returning ``[value, [grads...]]`` (``[value, grads, hess]``).

    Several outputs (``jacobian_ir``): ``[values, jacobianRows]``, a row per output.
    """
    params, renamed = parameters(e.inputs, "javascript")
    st = statements(e, _JS, params, _number)
    ref = st.ref
    parts = [ref(e.output), "[" + ", ".join(ref(g) for g in e.gradients) + "]"]
    if e.outputs is not None and e.jacobian is not None:  # several outputs: [values, jacobianRows]
        parts = ["[" + ", ".join(ref(n) for n in e.outputs) + "]",
                 "[" + ", ".join("[" + ", ".join(ref(g) for g in row) + "]" for row in e.jacobian) + "]"]
    if e.hessian is not None:
        parts.append("[" + ", ".join("[" + ", ".join(ref(h) for h in row) + "]" for row in e.hessian) + "]")
    body = [f"  const {t} = {text};" for t, text in st.lines] + [f"  return [{', '.join(parts)}];"]
    helpers = _used(_JS_HELPERS, body)
    out = ["", *helpers, *([""] if helpers else []), f"export function {name}({', '.join(params)}) {{", *body, "}"]
    return "\n".join(_header(e, "javascript", "//", params, renamed, header) + out) + "\n"

