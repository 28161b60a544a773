"""A program's value and gradient as standalone source code: Python, NumPy, C or JavaScript.

Each printer takes the straight-line IR of ``interpret.emit`` and writes one
self-contained file: a header comment (the program, its inputs, the gradcli
version, the conventions at kinks, how domain errors show, and any input
renamed for the target language), small helpers for the ops a language lacks,
and one function that computes every IR node once, in order. Only three
things from the program reach the code: input names (checked and, where the
language reserves them, renamed by ``names``), numbers (``repr`` of a finite
float: every digit), and ops (from a fixed table here). The program's text
appears only in the header, escaped so that it cannot leave the comment.

The conventions are the engine's: relu'(0) = 0 (step(0) = 0), abs'(0) = 0
(sign(0) = 0), and max and min send the whole gradient to their first argument
on a tie.

About 400 lines: four languages, each an op table, its helpers and its printer,
kept side by side so that a new op is added to all four at once.
"""

from __future__ import annotations

from typing import Callable

import gradcli

from ..interpret.emit import IN, NUMBER, Emitted
from ..language.ops import Op
from .names import comment_lines, parameters

__all__ = ["python", "numpy", "c", "javascript"]

# per op: how each language writes it, {0} and {1} its arguments (names or literals)
_INFIX = {"add": "{0} + {1}", "sub": "{0} - {1}", "mul": "{0} * {1}", "div": "{0} / {1}", "neg": "-{0}"}
_PYTHON = {**_INFIX, "pow": "math.pow({0}, {1})", "abs": "math.fabs({0})",
           **{f: f"math.{f}({{0}})" for f in ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh")},
           **{f: f"_{f}({{0}})" for f in ("sigmoid", "relu", "step", "sign")},
           "max": "_max({0}, {1})", "min": "_min({0}, {1})"}
_NUMPY = {**_INFIX, "pow": "np.power({0}, {1})", "abs": "np.abs({0})", "sign": "np.sign({0})",
          **{f: f"np.{f}({{0}})" for f in ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh")},
          "sigmoid": "_sigmoid({0})", "relu": "np.where({0} > 0, {0}, 0.0)", "step": "np.where({0} > 0, 1.0, 0.0)",
          "max": "np.where({0} >= {1}, {0}, {1})", "min": "np.where({0} <= {1}, {0}, {1})"}
_C = {**_INFIX, "pow": "pow({0}, {1})", "abs": "fabs({0})",
      **{f: f"{f}({{0}})" for f in ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh")},
      **{f: f"gc_{f}({{0}})" for f in ("sigmoid", "relu", "step", "sign")},
      "max": "gc_max({0}, {1})", "min": "gc_min({0}, {1})"}
_JS = {**_INFIX, "pow": "Math.pow({0}, {1})", "abs": "Math.abs({0})",
       **{f: f"Math.{f}({{0}})" for f in ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh")},
       **{f: f"gc_{f}({{0}})" for f in ("sigmoid", "relu", "step", "sign")},
       "max": "gc_max({0}, {1})", "min": "gc_min({0}, {1})"}

# the fuller language (issue 14): each language's spelling of the newer ops; the helpers they
# need are written only into code that uses them (``_HELPERS``), so other programs' code is as before
_NEW = ("asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "log10", "log2")
_PYTHON.update({**{f: f"math.{f}({{0}})" for f in (*_NEW, "erf", "erfc")},
                "exp2": "math.pow(2.0, {0})", "cbrt": "_cbrt({0})", "softplus": "_softplus({0})",
                "floor": "float(math.floor({0}))", "ceil": "float(math.ceil({0}))", "round": "_round({0})",
                "atan2": "math.atan2({0} + 0.0, {1})", "hypot": "math.hypot({0}, {1})",
                "log_base": "math.log({0}) / math.log({1})"})
_NUMPY.update({**{f: f"np.{'arc' + f[1:] if f.startswith('a') and f != 'atan' else f}({{0}})" for f in _NEW},
               "atan": "np.arctan({0})", "erf": "_erf({0})", "erfc": "_erfc({0})", "exp2": "np.exp2({0})",
               "cbrt": "np.cbrt({0})", "softplus": "_softplus({0})", "floor": "np.floor({0})",
               "ceil": "np.ceil({0})", "round": "_round({0})", "atan2": "np.arctan2({0} + 0.0, {1})",
               "hypot": "np.hypot({0}, {1})", "log_base": "np.log({0}) / np.log({1})"})
_C.update({**{f: f"{f}({{0}})" for f in (*_NEW, "erf", "erfc", "exp2", "cbrt", "floor", "ceil", "round")},
           "softplus": "gc_softplus({0})", "atan2": "atan2({0} + 0.0, {1})", "hypot": "hypot({0}, {1})",
           "log_base": "log({0}) / log({1})"})  # C's round takes halves away from zero, as gradcli
_JS.update({**{f: f"Math.{f}({{0}})" for f in (*_NEW, "cbrt", "floor", "ceil")},
            "exp2": "Math.pow(2, {0})", "erf": "gc_erf({0})", "erfc": "gc_erfc({0})",
            "softplus": "gc_softplus({0})", "round": "gc_round({0})", "atan2": "Math.atan2({0} + 0.0, {1})",
            "hypot": "Math.hypot({0}, {1})", "log_base": "Math.log({0}) / Math.log({1})"})

#: per language, the helper each op needs (by op name), written once before the function
_HELPERS: dict[str, dict[str, str]] = {
    "python": {
        "cbrt": "def _cbrt(x):\n    r = math.copysign(abs(x) ** (1.0 / 3.0), x)  # the real cube root\n"
                "    if r != 0 and math.isfinite(r):\n        r -= (r * r * r - x) / (3.0 * r * r)  # one Newton step\n"
                "    return r",
        "softplus": "def _softplus(x):\n    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))  # never overflows",
        "round": "def _round(x):\n    t = float(math.trunc(x))  # halves away from zero\n"
                 "    return t + math.copysign(1.0, x) if abs(x - t) >= 0.5 else t",
    },
    "numpy": {
        "erf": "_erf = np.vectorize(math.erf, otypes=[np.float64])  # NumPy has no erf",
        "erfc": "_erfc = np.vectorize(math.erfc, otypes=[np.float64])",
        "softplus": "def _softplus(x):\n    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))  # never overflows",
        "round": "def _round(x):\n    t = np.trunc(x)  # halves away from zero\n"
                 "    return np.where(np.abs(x - t) >= 0.5, t + np.copysign(1.0, x), t)",
        "max": "def _max(*xs):\n    best = xs[0]\n    for x in xs[1:]:\n        best = np.where(x > best, x, best)"
               "  # a tie keeps the first\n    return best",
        "min": "def _min(*xs):\n    best = xs[0]\n    for x in xs[1:]:\n        best = np.where(x < best, x, best)"
               "  # a tie keeps the first\n    return best",
    },
    "c": {
        "softplus": "static inline double gc_softplus(double x) {\n"
                    "    return (x > 0 ? x : 0.0) + log1p(exp(-fabs(x))); /* never overflows */\n}",
    },
    "javascript": {
        "softplus": "function gc_softplus(x) { return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))); }",
        "round": "function gc_round(x) { // halves away from zero (Math.round takes -2.5 to -2)\n"
                 "  const t = Math.trunc(x);\n  return Math.abs(x - t) >= 0.5 ? t + Math.sign(x) : t;\n}",
        "erf": "function gc_erf(x) { // JavaScript has no erf: a series near 0, else 1 - erfc\n"
               "  if (Math.abs(x) < 1) return gc_erf_series(x);\n  const c = gc_erfc_cf(Math.abs(x));\n"
               "  return x > 0 ? 1 - c : c - 1;\n}",
        "erfc": "function gc_erfc(x) {\n  if (Math.abs(x) < 1) return 1 - gc_erf_series(x);\n"
                "  return x > 0 ? gc_erfc_cf(x) : 2 - gc_erfc_cf(-x);\n}",
    },
}
# what gc_erf and gc_erfc share: accurate to a few units in the last place (tested against Python's math)
_JS_ERF = """function gc_erf_series(x) { // |x| < 1: the Taylor series
  const x2 = x * x;
  let term = x, sum = x;
  for (let n = 1; n < 100; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return sum * 2 / Math.sqrt(Math.PI);
}
function gc_erfc_cf(x) { // x >= 1: the continued fraction, from its tail
  let t = 0.0;
  for (let n = 200; n >= 1; n--) t = (n / 2) / (x + t);
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / (x + t);
}"""
#: the variadic functions: max and min of two use the tables above; more arguments, and sum and mean, here
_VARIADIC = ("max", "min", "sum", "mean")


def _apply(table: dict[str, str], language: str, op: Op, args: list[str]) -> str:
    """How ``language`` writes ``op`` applied to ``args`` (names or literals)."""
    if op.name not in _VARIADIC or op.name in ("max", "min") and op.arity == 2:
        return table[op.name].format(*args)
    if op.name in ("sum", "mean"):
        total = " + ".join(args)  # left to right, as gradcli adds
        return total if op.name == "sum" else f"({total}) / {float(len(args))!r}"
    if language == "numpy":
        return f"_{op.name}({', '.join(args)})"
    text = args[0]
    for a in args[1:]:  # max(a, b, c) is max(max(a, b), c): a tie keeps the first
        text = table[op.name].format(text, a)
    return text


def _helpers(e: Emitted, language: str) -> list[str]:
    """The helpers the code of ``e`` needs from ``_HELPERS``, each once, in a fixed order."""
    used = {node.op.name for node in e.nodes if isinstance(node.op, Op)}
    if language == "numpy":  # _max and _min: only for three arguments or more
        used -= {name for name in ("max", "min")
                 if all(node.op.arity == 2 for node in e.nodes if isinstance(node.op, Op) and node.op.name == name)}
    chosen = [text for name, text in _HELPERS[language].items() if name in used]
    if language == "javascript" and used & {"erf", "erfc"}:
        chosen.insert(0, _JS_ERF)
    return chosen


_KINKS = ("at kinks, as gradcli: relu'(0) = 0 (step(0) = 0), abs'(0) = 0 (sign(0) = 0); on a tie max and min"
          " send the whole gradient to their first argument")
_ERRORS = {
    "python": "domain errors raise, as gradcli reports them: ZeroDivisionError, ValueError (math.log of 0,"
              " math.pow(0, -1)), OverflowError (math.exp); an overflowing product gives inf",
    "numpy": "domain errors give NaN (log of a negative number, sqrt(-1)) or inf (division by zero),"
             " with NumPy's RuntimeWarning",
    "c": "domain errors give NaN or inf (no errno checks)",
    "javascript": "domain errors give NaN or Infinity",
}


def _lines(e: Emitted, table: dict[str, str], params: list[str], literal: Callable[[float], str],
           declare: str, language: str = "") -> tuple[list[str], Callable[[int], str]]:
    """One statement per application node (``declare`` formats name and expression), and each node's text."""

    def ref(n: int) -> str:
        node = e.nodes[n]
        if node.op == IN:
            return params[node.payload]  # type: ignore[index]
        if node.op == NUMBER:
            return literal(node.payload)  # type: ignore[arg-type]
        return f"_t{n}"

    body = []
    for n, node in enumerate(e.nodes):
        if isinstance(node.op, Op):
            body.append(declare.format(f"_t{n}", _apply(table, language, node.op, [ref(a) for a in node.args])))
    return body, ref


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


def _python_like(e: Emitted, header: str, language: str) -> str:
    params, renamed = parameters(e.inputs, language)
    np_ = language == "numpy"
    body, ref = _lines(e, _NUMPY if np_ else _PYTHON, params, _number, "    {} = {}", language)
    out = ["", "from __future__ import annotations", ""]
    if np_:
        out += ["import numpy as np", "", "", "def _sigmoid(x):",
                "    z = np.exp(-np.abs(x))  # never overflows", "    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))",
                "", "", "def _shaped(v, shape):", "    return np.array(np.broadcast_to(v, shape), dtype=np.float64)"]
        wrap = "_shaped({}, _shape)"
    else:
        out += ["import math", "", "", "def _step(x):", "    return 1.0 if x > 0 else 0.0", "", "",
                "def _sign(x):", "    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0", "", "",
                "def _relu(x):", "    return x if x > 0 else 0.0", "", "", "def _sigmoid(x):",
                "    if x >= 0:", "        return 1.0 / (1.0 + math.exp(-x))", "    z = math.exp(x)",
                "    return z / (1.0 + z)", "", "", "def _max(x, y):", "    return x if x >= y else y", "", "",
                "def _min(x, y):", "    return x if x <= y else y"]
        wrap = "{}"
    helpers = _helpers(e, language)
    if np_ and any(h.startswith(("_erf", "_erfc")) for h in helpers):
        out.insert(out.index("import numpy as np"), "import math")
    for helper in helpers:
        out += ["", "", *helper.split("\n")]
    kind = "np.ndarray" if np_ else "float"
    signature = ", ".join(f"{p}: {'np.ndarray | float' if np_ else 'float'}" for p in params)
    result = f"tuple[{kind}, tuple[{kind}, ...]" + (f", tuple[tuple[{kind}, ...], ...]]" if e.hessian else "]")
    if e.jacobian is not None:
        result = f"tuple[tuple[{kind}, ...], tuple[tuple[{kind}, ...], ...]]"
    out += ["", "", f"def value_and_grad({signature}) -> {result}:"]
    if np_:
        out += [f"    {p} = np.asarray({p}, dtype=np.float64)" for p in params]
        out.append(f"    _shape = np.broadcast({''.join(p + ', ' for p in params)}0.0).shape")
    out += body

    def tup(items: list[str]) -> str:
        return "(" + "".join(f"{x}, " for x in items).rstrip(" ") + ")" if items else "()"

    parts = [wrap.format(ref(e.output)), tup([wrap.format(ref(g)) for g in e.gradients])]
    if e.outputs is not None and e.jacobian is not None:  # several outputs: (values, rows)
        parts = [tup([wrap.format(ref(n)) for n in e.outputs]),
                 tup([tup([wrap.format(ref(g)) for g in row]) for row in e.jacobian])]
    if e.hessian is not None:
        parts.append(tup([tup([wrap.format(ref(h)) for h in row]) for row in e.hessian]))
    out.append(f"    return {', '.join(parts)}")
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


_C_HELPERS = """#include <math.h>

static inline double gc_step(double x) { return x > 0 ? 1.0 : 0.0; }
static inline double gc_sign(double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; }
static inline double gc_relu(double x) { return x > 0 ? x : 0.0; }
static inline double gc_max(double x, double y) { return x >= y ? x : y; }
static inline double gc_min(double x, double y) { return x <= y ? x : y; }
static inline double gc_sigmoid(double x) {
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double z = exp(x); /* two branches, so that exp never overflows */
    return z / (1.0 + z);
}
"""


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
    body, ref = _lines(e, _C, params, _number, "    const double {} = {};", "c")
    size = len(params)
    arrays = [f"double grad[{size}]" if size else "double *grad"]
    if e.hessian is not None:
        arrays.append(f"double hess[{size * size}]" if size else "double *hess")
    signature = ", ".join([f"double {p}" for p in params] + arrays)
    out = ["", _C_HELPERS + "".join(h + "\n" for h in _helpers(e, "c")), f"double {name}({signature}) {{"] + body
    out += [f"    grad[{i}] = {ref(g)};" for i, g in enumerate(e.gradients)]
    for i, row in enumerate(e.hessian or []):
        out += [f"    hess[{i * size + j}] = {ref(h)};" for j, h in enumerate(row)]
    if not size:
        out.append("    (void)grad;" + (" (void)hess;" if e.hessian is not None else ""))
    out += [f"    return {ref(e.output)};", "}"]
    return "\n".join(_header(e, "c", "//", params, renamed, header) + out) + "\n"


def _c_jacobian(e: Emitted, header: str, name: str) -> str:
    """``void value_and_grad(double x1, ..., double value[M], double jacobian[M*N])``, row-major."""
    assert e.outputs is not None and e.jacobian is not None
    params, renamed = parameters(e.inputs, "c", frozenset({"value", "jacobian"}))
    body, ref = _lines(e, _C, params, _number, "    const double {} = {};", "c")
    m, size = len(e.outputs), len(params)
    arrays = [f"double value[{m}]", f"double jacobian[{m * size}]" if size else "double *jacobian"]
    signature = ", ".join([f"double {p}" for p in params] + arrays)
    out = ["", _C_HELPERS + "".join(h + "\n" for h in _helpers(e, "c")), f"void {name}({signature}) {{"] + body
    out += [f"    value[{k}] = {ref(n)};" for k, n in enumerate(e.outputs)]
    for k, row in enumerate(e.jacobian):
        out += [f"    jacobian[{k * size + i}] = {ref(g)};" for i, g in enumerate(row)]
    if not size:
        out.append("    (void)jacobian;")
    out.append("}")
    layout = (f"writes value[M] and jacobian[M*N], M = {m} outputs and N = {size} parameters in the orders above,"
              f" row-major: jacobian[k*N + i] = d(output k)/d(parameter i)")
    return "\n".join(_header(e, "c", "//", params, renamed, header, layout) + out) + "\n"


_JS_HELPERS = """
function gc_step(x) { return x > 0 ? 1.0 : 0.0; }
function gc_sign(x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; }
function gc_relu(x) { return x > 0 ? x : 0.0; }
function gc_max(x, y) { return x >= y ? x : y; }
function gc_min(x, y) { return x <= y ? x : y; }
function gc_sigmoid(x) {
  if (x >= 0) return 1.0 / (1.0 + Math.exp(-x));
  const z = Math.exp(x); // two branches, so that exp never overflows
  return z / (1.0 + z);
}
"""


def javascript(e: Emitted, header: str = "", name: str = "valueAndGrad") -> str:
    """``export function valueAndGrad(x1, ...)`` returning ``[value, [grads...]]`` (``[value, grads, hess]``).

    Several outputs (``jacobian_ir``): ``[values, jacobianRows]``, a row per output.
    """
    params, renamed = parameters(e.inputs, "javascript")
    body, ref = _lines(e, _JS, params, _number, "  const {} = {};", "javascript")
    parts = [ref(e.output), "[" + ", ".join(ref(g) for g in e.gradients) + "]"]
    if e.outputs is not None and e.jacobian is not None:  # several outputs: [values, jacobianRows]
        parts = ["[" + ", ".join(ref(n) for n in e.outputs) + "]",
                 "[" + ", ".join("[" + ", ".join(ref(g) for g in row) + "]" for row in e.jacobian) + "]"]
    if e.hessian is not None:
        parts.append("[" + ", ".join("[" + ", ".join(ref(h) for h in row) + "]" for row in e.hessian) + "]")
    out = [_JS_HELPERS + "".join(h + "\n" for h in _helpers(e, "javascript")),
           f"export function {name}({', '.join(params)}) {{"] + body
    out += [f"  return [{', '.join(parts)}];", "}"]
    return "\n".join(_header(e, "javascript", "//", params, renamed, header) + out) + "\n"

