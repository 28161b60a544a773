"""Emitted source (``interpret.emit`` + ``views.source``) against the engine.

Worked examples in all four languages; random programs (``programgen``) in
Python and NumPy one by one, and in C and JavaScript as one batch (one
compiler run, one node process); the header comment that no program text can
leave; input names that a target language reserves; domain errors; the
Jacobian of several outputs (``jacobian_ir``).

The emitted code builds each local derivative from the op table's formulas,
as ``higher.grad(create_graph=True)`` does, and evaluates it even where the
upstream gradient is zero at run time (the engine skips those). So where the
emitted Python raises and the engine does not, ``higher.grad`` must raise too.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import tracemalloc
import warnings
from pathlib import Path
from typing import Any, Callable
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import assume, event, given, note
from hypothesis import strategies as st

import gradcli
from gradcli.bindings import bind
from gradcli.errors import GradcliError, MathError, NothingToDifferentiateError
from gradcli.interpret.emit import (
    IN,
    NUMBER,
    Builder,
    Emitted,
    jacobian_ir,
    value_and_grad_ir,
)
from gradcli.interpret.higher import derivative_table, grad
from gradcli.interpret.program import Result, run
from gradcli.language.parser import parse
from gradcli.views import source
from gradcli.views.statements import results
from tests.programgen import GeneratedProgram, fuzz_settings, programs

CC = shutil.which("cc")
NODE = shutil.which("node")
needs_cc = pytest.mark.skipif(CC is None, reason="no C compiler 'cc' on PATH (CI installs one)")
needs_node = pytest.mark.skipif(NODE is None, reason="no 'node' on PATH (CI installs Node.js)")

PYTHON_ERRORS = (ValueError, ZeroDivisionError, OverflowError)


def emitted(src: str, values: dict[str, float] | None = None, output: str | None = None, order: int = 1
            ) -> Emitted:
    return value_and_grad_ir(bind(parse(src), values or {}, output), order)


def load(text: str) -> Callable[..., Any]:
    namespace: dict[str, Any] = {}
    exec(compile(text, "<emitted>", "exec"), namespace)
    return namespace["value_and_grad"]  # type: ignore[no-any-return]


def close(a: float, b: float, rel: float, floor: float = 0.0) -> bool:
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b)) + floor


def engine(src: str, values: dict[str, float] | None = None, output: str | None = None
           ) -> tuple[Result, list[float], float]:
    r = run(parse(src), values or {}, output)
    return r, [r.inputs[n].data for n in r.inputs], r.value


def run_c(programs_: list[tuple[Emitted, list[float]]], tmp: Path) -> list[list[float]]:
    """Each emitted program compiled as its own file, one main calling them all: per program,
    the value then the gradient (then the Hessian), as printed with %.17g."""
    files, protos, calls = [], [], []
    for k, (e, args) in enumerate(programs_):
        (tmp / f"p{k}.c").write_text(source.c(e, name=f"f{k}"), encoding="utf-8")
        files.append(str(tmp / f"p{k}.c"))
        n = len(e.inputs)
        protos.append(f"double f{k}({', '.join(['double'] * n + ['double *'] * (1 + (e.hessian is not None)))});")
        size, hsize = max(n, 1), max(n * n, 1)
        call = ", ".join([repr(a) for a in args] + ["g"] + (["h"] if e.hessian is not None else []))
        calls.append(f"  {{ double g[{size}], h[{hsize}]; double v = f{k}({call}); printf(\"%.17g\", v);"
                     f" for (int i = 0; i < {n}; i++) printf(\" %.17g\", g[i]);"
                     + (f" for (int i = 0; i < {n * n}; i++) printf(\" %.17g\", h[i]);" if e.hessian else "")
                     + " printf(\"\\n\"); (void)h; }")
    main = "#include <stdio.h>\n" + "\n".join(protos) + "\nint main(void) {\n" + "\n".join(calls) + "\n  return 0;\n}\n"
    (tmp / "main.c").write_text(main, encoding="utf-8")
    exe = tmp / "emitted"
    assert CC is not None
    subprocess.run([CC, "-O2", "-std=c99", "-Wall", "-Werror", "-o", str(exe), str(tmp / "main.c"), *files, "-lm"],
                   check=True, capture_output=True, text=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    return [[float(x) for x in line.split()] for line in out.splitlines()]


def run_js(programs_: list[tuple[Emitted, list[float]]], tmp: Path) -> list[list[Any]]:
    """Each emitted program a module, one main module importing them all: per program a JSON line."""
    lines = []
    for k, (e, args) in enumerate(programs_):
        (tmp / f"p{k}.mjs").write_text(source.javascript(e), encoding="utf-8")
        lines.append(f"import {{ valueAndGrad as f{k} }} from './p{k}.mjs';")
    for k, (e, args) in enumerate(programs_):
        lines.append(f"console.log(JSON.stringify(f{k}({', '.join(repr(a) for a in args)})));")
    (tmp / "main.mjs").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert NODE is not None
    out = subprocess.run([NODE, str(tmp / "main.mjs")], check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


# ----- worked example: y = x**2 sin(x) at 1.3 -------------------------------------------
EXAMPLE = "y = x**2 * sin(x)"
X = 1.3
VALUE = X**2 * math.sin(X)
GRAD = 2 * X * math.sin(X) + X**2 * math.cos(X)


def test_example_python_and_numpy() -> None:
    r, _, value = engine(EXAMPLE, {"x": X})
    assert close(value, VALUE, 1e-15) and close(r.gradients["x"], GRAD, 1e-15)
    e = emitted(EXAMPLE, {"x": X})
    v, (g,) = load(source.python(e))(X)
    assert v == value and close(g, r.gradients["x"], 1e-15)
    v, (g,) = load(source.numpy(e))(np.array([X, 0.0]))
    assert close(float(v[0]), value, 1e-15) and close(float(g[0]), r.gradients["x"], 1e-15) and g[1] == 0.0


@needs_cc
def test_example_c(tmp_path: Path) -> None:
    (tmp_path / "y.c").write_text(source.c(emitted(EXAMPLE, {"x": X})), encoding="utf-8")
    (tmp_path / "main.c").write_text(
        "#include <stdio.h>\n#include <stdlib.h>\ndouble value_and_grad(double, double *);\n"
        "int main(int argc, char **argv) { double g[1]; double v = value_and_grad(strtod(argv[1], 0), g);\n"
        "  printf(\"%.17g %.17g\\n\", v, g[0]); return argc != 2; }\n", encoding="utf-8")
    assert CC is not None
    subprocess.run([CC, "-O2", "-std=c99", "-Wall", "-Werror", "-o", str(tmp_path / "y"), str(tmp_path / "main.c"),
                    str(tmp_path / "y.c"), "-lm"], check=True)
    v, g = map(float, subprocess.run([str(tmp_path / "y"), repr(X)], check=True, capture_output=True,
                                     text=True).stdout.split())
    assert close(v, VALUE, 1e-14) and close(g, GRAD, 1e-14)


@needs_node
def test_example_javascript(tmp_path: Path) -> None:
    (v, (g,)), = run_js([(emitted(EXAMPLE, {"x": X}), [X])], tmp_path)
    assert close(v, VALUE, 1e-14) and close(g, GRAD, 1e-14)


def test_example_hessian() -> None:
    # y'' = 2 sin x + 4x cos x - x**2 sin x
    r, _, _ = engine(EXAMPLE, {"x": X})
    v, g, ((h,),) = load(source.python(emitted(EXAMPLE, {"x": X}, order=2)))(X)
    assert close(h, derivative_table(r, 2)[1][("x", "x")], 1e-15)
    assert close(h, 2 * math.sin(X) + 4 * X * math.cos(X) - X**2 * math.sin(X), 1e-13)


def test_shared_subexpressions_appear_once() -> None:
    e = emitted("x = 0.5; a = sin(x); b = sin(x); y = a * b + x * 1 + 0")
    assert sum(1 for n in e.nodes if getattr(n.op, "name", "") == "sin") == 1
    assert "* 1.0" not in source.python(e) and "+ 0.0" not in source.python(e)


# ----- random programs --------------------------------------------------------------------
def evaluated(p: GeneratedProgram) -> Result:
    try:
        return run(parse(p.source), p.values, p.output)
    except GradcliError:  # a math error, or a given value computed over (tested elsewhere)
        assume(False)
        raise


REL, FLOOR = 1e-12, 1e-300


def agree(a: float, b: float, scale: float, rel: float = REL) -> bool:
    """Equal to ``rel``, or within ``rel`` of the numbers the result is summed from (``scale``)."""
    return close(a, b, rel, rel * scale + FLOOR)


@given(programs())
@fuzz_settings(150)
def test_python_and_numpy_match_the_engine(p: GeneratedProgram) -> None:
    r = evaluated(p)
    b = bind(parse(p.source), p.values, p.output)
    e = value_and_grad_ir(b, 1)
    args = [v.data for v in r.inputs.values()]
    expected = [r.gradients[n] for n in e.inputs]
    scale = max([abs(r.value), *map(abs, expected), *[abs(v.data) for v in r.nodes]])
    try:
        value, grads = load(source.python(e))(*args)
    except PYTHON_ERRORS as error:
        # a local derivative undefined where the engine's upstream gradient is zero: higher.grad fails there too
        event("emitted Python raises where only higher.grad fails")
        note(f"{type(error).__name__}: {error}")
        with pytest.raises(MathError):
            grad(r.output, list(r.inputs.values()), True)
        return
    assert agree(value, r.value, scale), (value, r.value)
    for name, got, want in zip(e.inputs, grads, expected):
        assert agree(got, want, scale), (name, got, want)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        nvalue, ngrads = load(source.numpy(e))(*[np.array([a, a]) for a in args])
    assert all(agree(float(x), r.value, scale) for x in np.ravel(nvalue))
    for got, want in zip(ngrads, expected):
        assert all(agree(float(x), want, scale) for x in np.ravel(got)), (got, want)

    try:
        names, table = derivative_table(r, 2)
    except MathError:
        return
    _, _, hess = load(source.python(value_and_grad_ir(b, 2)))(*args)
    hscale = max([scale, *map(abs, table.values())])
    for i, a in enumerate(names):
        for j, c in enumerate(names):
            want = table[tuple(sorted((a, c), key=names.index))]
            assert agree(hess[i][j], want, hscale, 1e-9), (a, c, hess[i][j], want)


def _batch(ps: list[GeneratedProgram]) -> list[tuple[Emitted, list[float], Result]]:
    chosen = []
    for p in ps:
        try:
            r = run(parse(p.source), p.values, p.output)
            derivative_table(r, 2)
            b = bind(parse(p.source), p.values, p.output)
            e = value_and_grad_ir(b, 2)
            load(source.python(e))(*[v.data for v in r.inputs.values()])  # compiled code that works in Python
        except (GradcliError, *PYTHON_ERRORS):
            continue
        chosen.append((e, [v.data for v in r.inputs.values()], r))
    return chosen


def _check_batch(results: list[list[float]], chosen: list[tuple[Emitted, list[float], Result]]) -> None:
    assert len(results) == len(chosen)
    for numbers, (e, args, r) in zip(results, chosen):
        py_value, py_grads, py_hess = load(source.python(e))(*args)
        want = [py_value, *py_grads, *[h for row in py_hess for h in row]]
        # the numbers each result is summed from: the engine's values and every term the IR computes
        # (a Hessian entry of hypot(x, x) at x = 3e-84 is the difference of terms near 1/x = 3e83)
        terms = [abs(v) for v in run_ir(e, args) if math.isfinite(v)]
        scale = max([abs(r.value), *map(abs, want), *[abs(v.data) for v in r.nodes], *terms])
        assert len(numbers) == len(want)
        for got, expect in zip(numbers, want):  # libm's transcendental functions may differ by an ulp
            assert agree(got, expect, scale, 1e-11), (e.source, got, expect)


@needs_cc
@given(ps=st.lists(programs(), min_size=20, max_size=20))
@fuzz_settings(1)
def test_c_batch(ps: list[GeneratedProgram], tmp_path_factory: pytest.TempPathFactory) -> None:
    chosen = _batch(ps)
    assert len(chosen) >= 5, "most generated programs evaluate"
    tmp = tmp_path_factory.mktemp("c")
    _check_batch(run_c([(e, args) for e, args, _ in chosen], tmp), chosen)


@needs_node
@given(ps=st.lists(programs(), min_size=20, max_size=20))
@fuzz_settings(1)
def test_javascript_batch(ps: list[GeneratedProgram], tmp_path_factory: pytest.TempPathFactory) -> None:
    chosen = _batch(ps)
    assert len(chosen) >= 5, "most generated programs evaluate"
    tmp = tmp_path_factory.mktemp("js")
    out = run_js([(e, args) for e, args, _ in chosen], tmp)
    _check_batch([[v, *g, *[x for row in h for x in row]] for v, g, h in out], chosen)


# ----- the header comment, and names the targets reserve ----------------------------------
EVIL = ("x = 0.5  # */ int main(){return 1;} /* \\\r import os; os.system('rm') \u2028 var a = 1; \u2029 ??/\x00"
        "\x0b\x0c \u0085 // # \"\"\" ''' ${x} \N{RIGHT-TO-LEFT OVERRIDE}\\\ny = x * 3 # ??/\n# \\")
PLAIN = "x = 0.5\ny = x * 3"
PRINTERS = {"python": ("#", source.python), "numpy": ("#", source.numpy), "c": ("//", source.c),
            "javascript": ("//", source.javascript)}


@pytest.mark.parametrize("language", list(PRINTERS))
def test_program_text_never_leaves_the_header(language: str) -> None:
    prefix, printer = PRINTERS[language]
    evil, plain = printer(emitted(EVIL), header="--of y */ \n#x"), printer(emitted(PLAIN))
    lines = evil.split("\n")
    header = [line for line in lines if line.startswith(prefix)]
    assert lines[: len(header)] == header  # one comment block, first
    assert all(line.isascii() and line.isprintable() and not line.endswith("\\") for line in header)
    if language == "c":
        assert "??" not in evil  # no trigraph
    # past the header, the code is that of the program without its comments
    code = lines[len(header):]
    assert code == plain.split("\n")[len(plain.split("\n")) - len(code):]
    assert "rm" not in "\n".join(code) and "\\x5c" in "\n".join(header) and "\\u2028" in "\n".join(header)


KEYWORDS = ("int = 2; double = 3; return = int * double + sin(int); var = return ** 2 / 50; function = var / double"
            "\nlambda = function + 1; None = lambda * 2; def = None - int; math = def * 2; np = math + 1"
            "\nnp = np * int + max(math, def) + θ * _t1 * grad * sin + if_ * _Bool * if; y = np + exp(int / 10)")
KEYWORD_VALUES = {"θ": 0.25, "_t1": 1.5, "grad": -0.5, "sin": 0.75, "if_": 2.0, "_Bool": 1.25, "if": 0.5}


def test_reserved_names_renamed_in_python_and_numpy() -> None:
    r, args, value = engine(KEYWORDS, KEYWORD_VALUES)
    e = emitted(KEYWORDS, KEYWORD_VALUES)
    text = source.python(e)
    assert "renamed for python: _t1 -> _t1_, if -> if__, int -> int_" in text
    v, g = load(text)(*args)
    assert close(v, value, 1e-14) and all(close(a, r.gradients[n], 1e-12) for a, n in zip(g, e.inputs))
    v, g = load(source.numpy(e))(*args)
    assert close(float(v), value, 1e-14) and all(close(float(a), r.gradients[n], 1e-12) for a, n in zip(g, e.inputs))


@needs_cc
def test_reserved_names_renamed_in_c(tmp_path: Path) -> None:
    r, args, value = engine(KEYWORDS, KEYWORD_VALUES)
    e = value_and_grad_ir(bind(parse(KEYWORDS), KEYWORD_VALUES), 2)
    assert "u03b8" in source.c(e) and "v_Bool" in source.c(e)
    (numbers,) = run_c([(e, args)], tmp_path)
    assert close(numbers[0], value, 1e-13)
    assert all(close(a, r.gradients[n], 1e-12) for a, n in zip(numbers[1:], e.inputs))


@needs_node
def test_reserved_names_renamed_in_javascript(tmp_path: Path) -> None:
    r, args, value = engine(KEYWORDS, KEYWORD_VALUES)
    ((v, g),) = run_js([(emitted(KEYWORDS, KEYWORD_VALUES), args)], tmp_path)
    assert close(v, value, 1e-13)
    assert all(close(a, r.gradients[n], 1e-12) for a, n in zip(g, r.inputs))


def test_names_python_would_merge_are_kept_apart() -> None:
    # NFKC makes the ligature 'ﬁ' the identifier 'fi' in Python: it is renamed to an ASCII form
    e = emitted("y = ﬁ * 2 + fi * 3", {"ﬁ": 1.0, "fi": 10.0})
    assert load(source.python(e))(1.0, 10.0) == (32.0, (2.0, 3.0))


# ----- domain errors ------------------------------------------------------------------------
@pytest.mark.parametrize("src, x, error", [
    ("y = log(x)", -1.0, ValueError), ("y = sqrt(x)", -1.0, ValueError), ("y = 1 / x", 0.0, ZeroDivisionError),
    ("y = x ** 0.5", -2.0, ValueError), ("y = log(x)", 0.0, ValueError),
])
def test_domain_errors(src: str, x: float, error: type[Exception]) -> None:
    with pytest.raises(MathError):
        run(parse(src), {"x": x})
    e = emitted(src, {"x": 1.0})
    with pytest.raises(error):
        load(source.python(e))(x)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        v, (g,) = load(source.numpy(e))(x)
    assert not (math.isfinite(float(v)) and math.isfinite(float(g)))
    if src != "y = 1 / x" and x < 0:
        assert math.isnan(float(v))


def test_header_names_the_version_and_conventions() -> None:
    text = source.c(emitted(EXAMPLE, {"x": X}, order=2))
    assert f"gradcli {gradcli.__version__}" in text and "relu'(0) = 0" in text and "hess[1]" in text


# ----- several outputs: the Jacobian ---------------------------------------------------------
JACOBIAN = "x = 1.5; w = 2; y = x * w + sin(x); z = y * x; u = exp(-y) * w"
JX, JW = 1.5, 2.0


def jacobian_engine(src: str, outputs: list[str], values: dict[str, float] | None = None
                    ) -> tuple[list[float], list[list[float]], list[str]]:
    """Per output, the engine's value and gradient over the inputs (in the inputs' order)."""
    results = [run(parse(src), values or {}, name) for name in outputs]
    inputs = list(results[0].inputs)
    return [r.value for r in results], [[r.gradients[n] for n in inputs] for r in results], inputs


def test_jacobian_example_python_and_numpy() -> None:
    e = jacobian_ir(bind(parse(JACOBIAN), {}), ["y", "z", "u"])
    values, rows, inputs = jacobian_engine(JACOBIAN, ["y", "z", "u"])
    assert e.inputs == inputs == ["x", "w"] and e.output_names == ["y", "z", "u"]
    text = source.python(e)
    assert "outputs, in order: y, z, u" in text and "3 rows" in text
    assert "-> tuple[tuple[float, ...], tuple[tuple[float, ...], ...]]:" in text
    got_values, got_rows = load(text)(JX, JW)
    assert len(got_values) == 3 and [len(row) for row in got_rows] == [2, 2, 2]
    assert all(close(a, b, 1e-15) for a, b in zip(got_values, values))
    assert all(close(a, b, 1e-14) for got, want in zip(got_rows, rows) for a, b in zip(got, want))
    # by hand: dy/dx = w + cos x, dy/dw = x; z = y x; u = exp(-y) w
    y = JX * JW + math.sin(JX)
    assert close(got_rows[0][0], JW + math.cos(JX), 1e-15) and got_rows[0][1] == JX
    assert close(got_rows[1][0], y + JX * (JW + math.cos(JX)), 1e-14) and close(got_rows[1][1], JX * JX, 1e-15)
    assert close(got_rows[2][1], math.exp(-y) * (1 - JW * JX), 1e-14)
    nvalues, nrows = load(source.numpy(e))(np.array([JX, 0.5]), JW)
    assert all(close(float(a[0]), b, 1e-15) for a, b in zip(nvalues, values))
    assert all(close(float(a[0]), b, 1e-14) for got, want in zip(nrows, rows) for a, b in zip(got, want))
    assert all(np.shape(a) == (2,) for row in nrows for a in row)


def test_jacobian_shares_what_the_outputs_share() -> None:
    e = jacobian_ir(bind(parse(JACOBIAN), {}), ["y", "z", "u"])
    assert sum(1 for n in e.nodes if getattr(n.op, "name", "") == "sin") == 1
    assert sum(1 for n in e.nodes if getattr(n.op, "name", "") == "cos") == 1
    alone = sum(len(value_and_grad_ir(bind(parse(JACOBIAN), {}, name)).nodes) for name in ("y", "z", "u"))
    assert len(e.nodes) < alone


def test_jacobian_refuses_a_missing_or_repeated_output() -> None:
    b = bind(parse(JACOBIAN), {})
    with pytest.raises(NothingToDifferentiateError, match=r"--of q: the program has no variable 'q' \(variables: "):
        jacobian_ir(b, ["y", "q"])
    with pytest.raises(GradcliError, match="--of y is given more than once; give each output once"):
        jacobian_ir(b, ["y", "z", "y"])


def test_jacobian_keeps_the_single_output_contract() -> None:
    b = bind(parse(JACOBIAN), {})
    one = value_and_grad_ir(b)
    assert one.outputs is None and one.jacobian is None and one.output_names is None
    assert source.python(one) == source.python(value_and_grad_ir(bind(parse(JACOBIAN), {})))
    assert "outputs, in order" not in source.python(one)


def test_jacobian_of_an_output_that_is_an_input() -> None:
    e = jacobian_ir(bind(parse("y = 2 * 3; z = y + 1"), {}), ["y", "z"])
    assert e.inputs == ["y"]  # 'y = 2 * 3' is an input (a number), and an output: its row is dy/dy = 1
    assert load(source.python(e))(6.0) == ((6.0, 7.0), ((1.0,), (1.0,)))
    e = jacobian_ir(bind(parse("x = 2; y = x * 3; y = 4; z = x"), {}), ["y", "z"])  # y's newest value: 4
    assert e.inputs == ["x"] and load(source.python(e))(2.0) == ((4.0, 2.0), ((0.0,), (1.0,)))


@given(programs(), st.data())
@fuzz_settings(150)
def test_jacobian_python_and_numpy_match_the_engine(p: GeneratedProgram, data: st.DataObject) -> None:
    try:
        b = bind(parse(p.source), p.values)
    except GradcliError:  # a given value computed over (tested elsewhere)
        assume(False)
        raise
    names = sorted(b.names)
    assume(len(names) >= 2)
    outputs = data.draw(st.lists(st.sampled_from(names), min_size=2, max_size=2, unique=True), label="outputs")
    try:
        results = [run(parse(p.source), p.values, name) for name in outputs]
    except GradcliError:
        assume(False)
        raise
    e = jacobian_ir(b, outputs)
    assert e.output_names == outputs and e.inputs == list(results[0].inputs)
    args = [v.data for v in results[0].inputs.values()]
    try:
        values, rows = load(source.python(e))(*args)
    except PYTHON_ERRORS:
        event("emitted Python raises where only higher.grad fails")
        with pytest.raises(MathError):
            for r in results:
                grad(r.output, list(r.inputs.values()), True)
        return
    assert len(values) == len(rows) == 2
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        nvalues, nrows = load(source.numpy(e))(*[np.array([a, a]) for a in args])
    for k, r in enumerate(results):
        expected = [r.gradients[n] for n in e.inputs]
        scale = max([abs(r.value), *map(abs, expected), *[abs(v.data) for v in r.nodes]])
        assert agree(values[k], r.value, scale), (outputs[k], values[k], r.value)
        assert len(rows[k]) == len(e.inputs)
        for name, got, want in zip(e.inputs, rows[k], expected):
            assert agree(got, want, scale), (outputs[k], name, got, want)
        assert all(agree(float(x), r.value, scale) for x in np.ravel(nvalues[k]))
        for got, want in zip(nrows[k], expected):
            assert all(agree(float(x), want, scale) for x in np.ravel(got)), (outputs[k], got, want)
        # the very numbers of the output emitted alone: sharing changes nothing
        alone_value, alone_grads = load(source.python(value_and_grad_ir(bind(parse(p.source), p.values,
                                                                                 outputs[k]))))(*args)
        assert [values[k], *rows[k]] == pytest.approx([alone_value, *alone_grads], rel=0, abs=0, nan_ok=True)


@needs_cc
def test_jacobian_example_c(tmp_path: Path) -> None:
    e = jacobian_ir(bind(parse(JACOBIAN), {}), ["y", "z", "u"])
    text = source.c(e)
    assert "void value_and_grad(double x, double w, double value[3], double jacobian[6])" in text
    assert "M = 3 outputs and N = 2 parameters" in text and "row-major" in text
    (tmp_path / "j.c").write_text(text, encoding="utf-8")
    (tmp_path / "main.c").write_text(
        "#include <stdio.h>\nvoid value_and_grad(double, double, double *, double *);\n"
        "int main(void) { double v[3], j[6]; value_and_grad(1.5, 2.0, v, j);\n"
        "  for (int i = 0; i < 3; i++) printf(\"%.17g \", v[i]);\n"
        "  for (int i = 0; i < 6; i++) printf(\"%.17g \", j[i]);\n  printf(\"\\n\"); return 0; }\n",
        encoding="utf-8")
    assert CC is not None
    subprocess.run([CC, "-O2", "-std=c99", "-Wall", "-Werror", "-o", str(tmp_path / "j"), str(tmp_path / "main.c"),
                    str(tmp_path / "j.c"), "-lm"], check=True)
    numbers = [float(x) for x in subprocess.run([str(tmp_path / "j")], check=True, capture_output=True,
                                                text=True).stdout.split()]
    values, rows, _ = jacobian_engine(JACOBIAN, ["y", "z", "u"])
    assert len(numbers) == 9
    assert all(close(a, b, 1e-14) for a, b in zip(numbers, [*values, *[g for row in rows for g in row]]))


@needs_cc
def test_jacobian_c_renames_its_array_names(tmp_path: Path) -> None:
    e = jacobian_ir(bind(parse("y = value * jacobian; z = y + value"), {"value": 3.0, "jacobian": 4.0}), ["y", "z"])
    text = source.c(e)
    assert "renamed for c: value -> value_, jacobian -> jacobian_" in text
    assert "double value_, double jacobian_, double value[2], double jacobian[4]" in text
    (tmp_path / "j.c").write_text(text, encoding="utf-8")
    assert CC is not None
    subprocess.run([CC, "-std=c99", "-Wall", "-Werror", "-c", "-o", str(tmp_path / "j.o"), str(tmp_path / "j.c")],
                   check=True)


@needs_node
def test_jacobian_example_javascript(tmp_path: Path) -> None:
    e = jacobian_ir(bind(parse(JACOBIAN), {}), ["y", "z", "u"])
    ((got_values, got_rows),) = run_js([(e, [JX, JW])], tmp_path)
    values, rows, _ = jacobian_engine(JACOBIAN, ["y", "z", "u"])
    assert all(close(a, b, 1e-14) for a, b in zip(got_values, values))
    assert [len(row) for row in got_rows] == [2, 2, 2]
    assert all(close(a, b, 1e-14) for got, want in zip(got_rows, rows) for a, b in zip(got, want))


# ----- fewer operations, the same numbers -----------------------------------------------------
def run_ir(e: Emitted, args: list[float]) -> list[float]:
    """Every IR node's number, one op table forward at a time: the IR itself, with no printer in between."""
    numbers: list[float] = []
    for node in e.nodes:
        if node.op == IN:
            numbers.append(args[node.payload])  # type: ignore[index]
        elif node.op == NUMBER:
            numbers.append(node.payload)  # type: ignore[arg-type]
        else:
            numbers.append(node.op.forward(*[numbers[a] for a in node.args]))  # type: ignore[union-attr]
    return numbers


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@given(programs())
@fuzz_settings(150)
def test_simplified_ir_and_printed_python_give_the_plain_irs_numbers(p: GeneratedProgram) -> None:
    try:
        b = bind(parse(p.source), p.values, p.output)
    except GradcliError:
        assume(False)
        raise
    e = value_and_grad_ir(b, 2)
    with patch.object(Builder, "_simpler", return_value=None):  # the IR as built before any rewrite
        plain = value_and_grad_ir(b, 2)
    args = [float(b.values[n]) for n in b.inputs.values()]
    try:
        numbers, plain_numbers = run_ir(e, args), run_ir(plain, args)
    except (MathError, *PYTHON_ERRORS):
        assume(False)
        raise
    roots = results(e)
    assert len(roots) == len(results(plain))
    # printing changes no number: the inlined expressions keep every operation and its order
    value, grads, hess = load(source.python(e))(*args)
    assert all(same(got, numbers[n]) for got, n in zip([value, *grads, *[h for row in hess for h in row]], roots))
    # the value is the plain IR's to the bit (but x**2 as x * x: math.pow may differ from the product in the
    # last bit); its derivatives to rounding, as sharing a node regroups the sums that make its gradient
    powers = "**" in p.source or "^" in p.source or "pow" in p.source
    assert same(value, plain_numbers[plain.output]) or powers and agree(value, plain_numbers[plain.output], 1.0)
    scale = max([abs(v) for v in plain_numbers if math.isfinite(v)], default=1.0)
    for n, m in zip(roots, results(plain)):
        assert same(numbers[n], plain_numbers[m]) or agree(numbers[n], plain_numbers[m], scale, 1e-9), (
            numbers[n], plain_numbers[m])
    # (the rewrites do not promise fewer operations on every program: where a gradient cancels,
    # x - x, the plain IR's second pass can fold a Hessian entry that the rewritten one keeps;
    # test_rewrites_remove_operations_that_change_nothing counts them on worked examples)


def test_rewrites_remove_operations_that_change_nothing() -> None:
    e = emitted("y = -(x * w) / 4 + (w * x) ** 2 - -x ** 1 + x ** 0 * (x - 0)", {"x": 0.5, "w": 3.0})
    text = source.python(e)
    code = text[text.index("def value_and_grad"):]
    assert code.count("w * x") + code.count("x * w") == 1  # one product, however it is written
    assert "(-1.0)" not in code and "math.pow" not in code and "/ 4.0" not in code and "(-0.25)" in code
    assert "+ (-" not in code and "- (-" not in code
    value, (gx, gw) = load(text)(0.5, 3.0)
    r, _, want = engine("x = 0.5; w = 3; y = -(x * w) / 4 + (w * x) ** 2 - -x ** 1 + x ** 0 * (x - 0)")
    assert value == want
    assert close(gx, r.gradients["x"], 1e-15) and close(gw, r.gradients["w"], 1e-15)
    # by hand: y = -xw/4 + x²w² + 2x; dy/dx = -w/4 + 2xw² + 2, dy/dw = -x/4 + 2x²w
    assert close(gx, -3.0 / 4 + 2 * 0.5 * 9 + 2, 1e-15) and close(gw, -0.5 / 4 + 2 * 0.25 * 3, 1e-15)


# ----- the printed function: inline expressions, only the helpers it calls --------------------
HELPER_DEFINITION = {"python": r"^def (_\w+)\(", "numpy": r"^def (_\w+)\(", "c": r"^static inline double (gc_\w+)\(",
                     "javascript": r"^function (gc_\w+)\("}
#: a program, and the ops it needs a helper for (its derivatives too: relu' is step, abs' is sign, max' is 1 - step)
HELPER_PROGRAMS = {"y = tanh(w * x) + x**2": set(), "y = x * w": set(), "y = min(x, w) * x": {"min", "step"},
                   "y = sigmoid(x) * relu(w) + max(x, w) - abs(x)": {"sigmoid", "relu", "max", "step", "sign"}}


@pytest.mark.parametrize("language", list(PRINTERS))
@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("program", list(HELPER_PROGRAMS))
def test_the_file_holds_only_the_helpers_its_function_calls(language: str, order: int, program: str) -> None:
    text = PRINTERS[language][1](emitted(program, {"x": 0.5, "w": 2.0}, order=order))
    defined = re.findall(HELPER_DEFINITION[language], text, re.MULTILINE)
    for name in defined:  # called somewhere besides its own definition
        assert len(re.findall(rf"\b{name}\(", text)) >= 2, (name, text)
    ops = HELPER_PROGRAMS[program]
    if language == "numpy":  # the other ops are NumPy's own; every result goes through _fresh or _shaped
        assert sorted(defined) == sorted({"_sigmoid"} & {f"_{op}" for op in ops} | {"_shaped", "_fresh"})
    else:
        assert sorted(defined) == sorted(("_" if language == "python" else "gc_") + op for op in ops)
    if language == "python":
        code = "\n".join(line for line in text.split("\n") if not line.startswith("#"))
        assert ("import math" in code) == ("math." in code.replace("import math", ""))
        assert ("import math" in code) == ("tanh" in program or "sigmoid" in program)


def test_inline_expressions_keep_their_parentheses() -> None:
    src = "y = (x - w) - (w - x) * (x + w) / (x * w) - -(x / w) + exp(-(x + w)) - (w + sin(x))"
    r, _, value = engine(src, {"x": 1.25, "w": 0.5})
    e = emitted(src, {"x": 1.25, "w": 0.5})
    for language, (_, printer) in PRINTERS.items():  # a node read once is written where it is read
        text = printer(e)
        assert "x - w - _t3 / _t4 + x / w + _t5 - (w + " in text, language
        assert "_t8 = _t3 / (_t4 * _t4)" in text and "-x / (w * w) - 1.0 + _t8 * x" in text, language
    v, g = load(source.python(e))(1.25, 0.5)
    assert v == value and all(close(a, r.gradients[n], 1e-14) for a, n in zip(g, e.inputs))


# ----- NumPy: arrays let go of, results that are new arrays -----------------------------------
BENCHMARK = ("z = w * x + 0.5\nh = tanh(z)\ng = sigmoid(x - w)\np = 1 + x * x + w * w\nl = log(p)\n"
             "e = exp(-(x * x) / 2)\ny = h * g + l * e + w * h * x")


def test_numpy_deletes_each_temporary_after_its_last_read() -> None:
    text = source.numpy(emitted(BENCHMARK, {"x": 0.5, "w": 0.7}, order=2))
    lines = text[text.index("def value_and_grad"):].split("\n")
    returned = set(re.findall(r"_t\d+", lines[-2]))
    for t in sorted(set(re.findall(r"_t\d+", "\n".join(lines))) - returned):
        reading = [i for i, line in enumerate(lines) if re.search(rf"\b{t}\b", line) and not line.startswith(
            f"    {t} =") and not line.startswith("    del ")]
        deleted = [i for i, line in enumerate(lines) if line.startswith("    del ") and re.search(rf"\b{t}\b", line)]
        assert len(deleted) == 1 and deleted[0] == max(reading) + 1, (t, reading, deleted)


def test_numpy_holds_few_arrays_at_once() -> None:
    # the benchmark's program: 41 NumPy operations; the hand-written NumPy of it peaks at 15 arrays
    f = load(source.numpy(emitted(BENCHMARK, {"x": 0.5, "w": 0.7})))
    x = np.linspace(-3.0, 3.0, 100_000)
    f(x, 0.7)
    tracemalloc.start()
    try:
        out = f(0.7, x)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    arrays = 8 * x.size  # bytes in one array of the points
    assert held / arrays == pytest.approx(3.0, abs=0.05)  # the value and two gradients, nothing more
    assert peak / arrays < 13, peak / arrays
    assert [np.shape(a) for a in (out[0], *out[1])] == [x.shape] * 3


def test_numpy_results_are_new_arrays_of_the_broadcast_shape() -> None:
    # dy/dx is the input w, dy/dw the input x; exp(x) is its own derivative; the Hessian is symmetric
    e = emitted("y = x * w + exp(x) - exp(x) + exp(x)", {"x": 0.5, "w": 2.0}, order=2)
    x, w = np.array([0.5, 1.0, 2.0]), np.array([[2.0], [3.0]])
    value, grads, hess = load(source.numpy(e))(x, w)
    arrays = [value, *grads, *[h for row in hess for h in row]]
    assert all(type(a) is np.ndarray and a.shape == (2, 3) and a.dtype == np.float64 for a in arrays)
    for i, a in enumerate(arrays):
        assert not np.shares_memory(a, x) and not np.shares_memory(a, w)
        assert not any(np.shares_memory(a, b) for b in arrays[i + 1:])
    assert np.array_equal(grads[0], np.exp(x) + w) and np.array_equal(grads[1], np.broadcast_to(x, (2, 3)))
    assert np.array_equal(hess[0][1], np.ones((2, 3))) and np.array_equal(hess[1][1], np.zeros((2, 3)))
    t = np.array([1.0, 2.0])  # an input whose name starts as the temporaries' do is still an input
    _, (g_t, g_u) = load(source.numpy(emitted("y = _t * _t1", {"_t": 1.0, "_t1": 2.0})))(t, t)
    assert np.array_equal(g_t, t) and not np.shares_memory(g_t, t) and not np.shares_memory(g_u, t)
    one = load(source.numpy(e))(0.5, 2.0)[0]
    assert type(one) is np.float64 and isinstance(one, float) and one == 1.0 + math.exp(0.5)  # floats in, floats out


def test_numpy_sigmoid_never_overflows_and_keeps_both_branches() -> None:
    e = emitted("y = sigmoid(x)", {"x": 0.0})
    x = np.array([-800.0, -30.0, -1.0, 0.0, 1.0, 30.0, 800.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning
        value, (g,) = load(source.numpy(e))(x)
    for xi, v, d in zip(x, value, g):
        r, _, want = engine("y = sigmoid(x)", {"x": float(xi)})
        assert close(v, want, 1e-15) and close(d, r.gradients["x"], 1e-15)  # NumPy's exp may differ by an ulp
