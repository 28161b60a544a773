"""The fuller language (issue 14): the new functions through every interpretation, variadic calls,
domain errors through the command, and values from anywhere (``--set`` expressions, ``--values``).

Each row's rule, formula and finite differences are in test_ops.py (which walks the table), and its
NumPy column in test_sweep.py; the SymPy reference (test_reference_sympy.py) draws programs using them.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcli import evaluate
from gradcli.errors import GradcliError, MathError
from gradcli.front.cli import cli
from gradcli.interpret.higher import derivative_table
from gradcli.interpret.symbolic import derivatives
from gradcli.language.parser import parse
from tests.conftest import central_difference

SCRIPT = Path(sys.executable).parent / "gradcli"


def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), input=input, env={"COLUMNS": "100"})


def gradients_by_differences(source: str, values: dict[str, float]) -> dict[str, float]:
    def at(name: str, t: float) -> float:
        return evaluate(source, {**values, name: t}).value

    return {name: central_difference(lambda t, n=name: at(n, t), x) for name, x in values.items()}


# ----- every new function, through the engine, formulas, higher orders -----------------------------
PROGRAMS = [
    ("y = asin(x) * acos(x) + atan(x)", {"x": 0.3}),
    ("y = sinh(x) / cosh(x) + asinh(x) * acosh(x + 2) - atanh(x / 2)", {"x": 0.7}),
    ("y = log10(x) + log2(x) * exp2(x) + cbrt(x - 3)", {"x": 1.7}),
    ("y = erf(x) * erfc(x / 2) + softplus(3 * x)", {"x": -0.4}),
    ("z = atan2(y, x) + hypot(x, y) * log(y + 2, x * x)", {"x": -1.3, "y": 0.6}),
    ("z = ln(x) + ln(x, 10) + floor(x) * y + ceil(y) + round(x * y)", {"x": 2.3, "y": 1.4}),
    ("z = max(x, y, x * y, 1) + min(y, x, -x) * sum(x, y, 3) + mean(x, y * y, 2, x)", {"x": 1.2, "y": -0.7}),
]


@pytest.mark.parametrize("source, values", PROGRAMS)
def test_gradients_match_central_differences(source: str, values: dict[str, float]) -> None:
    r = evaluate(source, values)
    expected = gradients_by_differences(source, values)
    for name, want in expected.items():
        assert r.gradients[name] == pytest.approx(want, rel=1e-6, abs=1e-8), name


@pytest.mark.parametrize("source, values", PROGRAMS)
def test_formulas_read_back_give_the_engine_numbers(source: str, values: dict[str, float]) -> None:
    """--symbolic: each derivative as a formula in the language, parsed and evaluated again."""
    d = derivatives(parse(source), values)
    r = evaluate(source, values)
    where = "".join(f"{name} = {body.text}\n" for name, body in d.definitions())  # names for repeated pieces
    for name, formula in d.formulas.items():
        got = _value(where + formula.text, values)
        assert got == pytest.approx(r.gradients[name], rel=1e-12, abs=1e-12), (name, formula.text)
        assert formula.latex  # every row writes LaTeX


def _value(text: str, values: dict[str, float]) -> float:
    from gradcli.interpret.program import run

    return run(parse(text), values, strict=False).value


@pytest.mark.parametrize("source, values", PROGRAMS)
def test_second_derivatives_match_differences_of_the_gradient(source: str, values: dict[str, float]) -> None:
    r = evaluate(source, values)
    names, table = derivative_table(r, 2)
    for a in names:
        for b in names:
            def grad_a(t: float, b: str = b, a: str = a) -> float:
                return evaluate(source, {**values, b: t}).gradients[a]

            want = central_difference(grad_a, values[b])
            assert table[tuple(sorted((a, b)))] == pytest.approx(want, rel=1e-5, abs=1e-7), (a, b)


def test_flat_functions_are_flat_and_the_check_says_where_they_jump() -> None:
    r = evaluate("y = floor(x) + ceil(x) + round(x) + x", {"x": 0.3})
    assert r.value == 0.3 + 1.0 and r.gradients["x"] == 1.0
    # at a jump the derivative is 0 by convention, and finite differences disagree: the check fails
    out = invoke("x = 1; y = floor(x)", "--check")
    assert out.exit_code == 1 and "gradient check failed for x" in out.stderr
    assert "x: y = floor(x) is at its jump (x = 1): it jumps from 0 to 1" in out.stdout
    out = invoke("x = 0.5; y = round(x)", "--check")
    assert "x: y = round(x) is at its jump (x = 0.5): it jumps from 0 to 1" in out.stdout


def test_the_check_names_a_tie_of_a_variadic_max() -> None:
    out = invoke("a = 1; b = 1; c = 0; y = max(a, b, c)", "--check")
    assert out.exit_code == 1
    assert "a: y = max(a, b, c) is at its kink (a tie of its largest arguments at 1): one-sided slopes 0 and 1" \
        in out.stdout


def test_ln_is_log() -> None:
    assert evaluate("y = ln(x)", {"x": 3.0}).gradients == evaluate("y = log(x)", {"x": 3.0}).gradients
    assert evaluate("y = ln(8, 2)").value == pytest.approx(3.0)


def test_two_argument_log_formula_and_latex() -> None:
    doc = json.loads(invoke("x = 8; b = 2; y = log(x, b)", "--symbolic", "--format", "json").stdout)
    assert doc["symbolic"] == {"x": "1/(x*log(b))", "b": "-log(x)/(b*log(b)**2)"}
    assert doc["nodes"][-1]["op"] == "log_base"  # the row's name; a program calls it log
    latex = invoke("x = 8; b = 2; y = log(x, b) * b", "--format", "latex").stdout
    assert "\\log_{b}\\left(x\\right)" in latex
    # a formula that keeps the call writes it as a program does, so that it reads back
    # (and a sum starts with its positive term: not -log(x)/log(b)**2 + log(x, b))
    assert derivatives(parse("y = log(x, b) * b"), {"x": 8.0, "b": 2.0}).formulas["b"].text == \
        "log(x, b) - log(x)/log(b)**2"


# ----- variadic calls -----------------------------------------------------------------------------
def test_a_variadic_call_is_one_node_with_an_edge_per_argument() -> None:
    doc = json.loads(invoke("a = 1; b = 3; c = 3; y = max(a, b, c, a)", "--format", "json").stdout)
    (node,) = [n for n in doc["nodes"] if n["op"] == "max"]
    assert node["inputs"] == [0, 1, 2, 0] and node["data"] == 3.0
    assert doc["gradients"] == {"a": 0.0, "b": 1.0, "c": 0.0, "y": 1.0}  # the tie goes to b, the first


def test_a_variadic_call_is_drawn_with_an_arrow_per_argument(tmp_path: Path) -> None:
    path = tmp_path / "g.dot"
    assert invoke("a = 1; b = 3; c = 3; y = max(a, b, c, a)", "-g", str(path)).exit_code == 0
    edges = [line.strip() for line in path.read_text().splitlines() if "-> n3op" in line]
    assert edges == ["n0 -> n3op", "n1 -> n3op", "n2 -> n3op", "n0 -> n3op"]


@pytest.mark.parametrize("fn, values, first", [
    ("max", {"a": 2.0, "b": 2.0, "c": 1.0}, "a"), ("max", {"a": 1.0, "b": 2.0, "c": 2.0}, "b"),
    ("min", {"a": 1.0, "b": 0.5, "c": 0.5}, "b"), ("min", {"a": 0.5, "b": 0.5, "c": 0.5}, "a"),
])
def test_variadic_ties_go_to_the_first_argument(fn: str, values: dict[str, float], first: str) -> None:
    r = evaluate(f"y = {fn}(a, b, c)", values)
    assert {n: r.gradients[n] for n in "abc"} == {n: 1.0 if n == first else 0.0 for n in "abc"}
    d = derivatives(parse(f"y = {fn}(a, b, c)"), values)
    assert {n: _value(d.formulas[n].text, values) for n in "abc"} == {n: r.gradients[n] for n in "abc"}


def test_sum_and_mean_of_one_and_many() -> None:
    assert evaluate("y = sum(x)", {"x": 2.0}).gradients["x"] == 1.0
    r = evaluate("y = mean(x, x, w)", {"x": 2.0, "w": 5.0})
    assert r.value == 3.0 and r.gradients == {"x": 2 / 3, "w": 1 / 3, "y": 1.0}


def test_arity_errors_say_what_a_function_takes() -> None:
    for program, message in [("y = max(1)", "max() takes 2 or more arguments, got 1"),
                             ("y = log(1, 2, 3)", "log() takes 1 or 2 arguments, got 3"),
                             ("y = atan2(1)", "atan2() takes 2 arguments, got 1")]:
        r = invoke(program)
        assert r.exit_code == 2 and message in r.stderr and r.stdout == ""


# ----- domain errors through the command -----------------------------------------------------------
@pytest.mark.parametrize("program, message", [
    ("x = 2; y = acos(x)", "error: acos of a number outside [-1, 1] in 'acos(x)' (x = 2) at line 1, column 12"),
    ("x = -1.5; y = asin(x)", "error: asin of a number outside [-1, 1] in 'asin(x)' (x = -1.5) at line 1, column 15"),
    ("x = 1; y = atanh(x)", "error: atanh of a number outside (-1, 1) in 'atanh(x)' (x = 1) at line 1, column 12"),
    ("x = -1; y = atanh(x)", "error: atanh of a number outside (-1, 1) in 'atanh(x)' (x = -1) at line 1, column 13"),
    ("x = 0.5; y = acosh(x)", "error: acosh of a number less than 1 in 'acosh(x)' (x = 0.5) at line 1, column 14"),
    ("x = 0; y = log10(x)", "error: log10 of a non-positive number in 'log10(x)' (x = 0) at line 1, column 12"),
    ("x = 3; b = 1; y = log(x, b)", "error: log to base 1 in 'log(x, b)' (b = 1) at line 1, column 19"),
    ("x = 3; b = -2; y = log(x, b)", "error: log to a non-positive base in 'log(x, b)' (b = -2) at line 1, column 20"),
    ("x = -3; y = log(x, 2)", "error: log of a non-positive number in 'log(x, 2)' (x = -3) at line 1, column 13"),
    ("x = 800; y = sinh(x)", "error: overflow in 'sinh(x)' at line 1, column 14"),
    ("x = 1; y = asin(x)", "error: derivative of asin is undefined in 'asin(x)' (x = 1) at line 1, column 12"),
    ("x = 0; y = cbrt(x)", "error: derivative of cbrt is undefined in 'cbrt(x)' (x = 0) at line 1, column 12"),
    ("x = 0; w = 0; y = hypot(x, w)",
     "error: derivative of hypot is undefined in 'hypot(x, w)' (x = 0, w = 0) at line 1, column 19"),
])
def test_domain_errors_name_the_expression_and_the_value(program: str, message: str) -> None:
    r = invoke(program)
    assert r.exit_code == invoke("x = 0; y = log(x)").exit_code == 1  # math errors: exit 1, as log's
    assert r.stdout == ""
    assert r.stderr.splitlines()[0] == message


def test_a_constant_out_of_the_domain_is_found_as_the_program_is_read() -> None:
    with pytest.raises(MathError, match=r"acos of a number outside \[-1, 1\] in 'acos\(2\)'"):
        evaluate("y = acos(2)")


# ----- --set: any constant expression ----------------------------------------------------------
@pytest.mark.parametrize("value, number", [
    ("pi/2", math.pi / 2), ("-1/3", -1 / 3), ("1e-3*2", 2e-3), ("exp(1)", math.e), ("-pi", -math.pi),
    ("sqrt(2)/2", math.sqrt(2) / 2), ("max(1, 2, 3)", 3.0), ("2**-1", 0.5), (" 3 ", 3.0), ("(4)", 4.0),
])
def test_set_takes_a_constant_expression(value: str, number: float) -> None:
    doc = json.loads(invoke("--set", f"x={value}", "y = x * 2", "--format", "json").stdout)
    assert doc["inputs"] == {"x": number} and doc["value"] == 2 * number


@pytest.mark.parametrize("value, reason", [
    ("abc", "a value is numbers, pi, e and functions of them"),
    ("x", "a value is numbers, pi, e and functions of them"),
    ("2 * w", "'w' is no constant (a value is numbers, pi, e and functions of them)"),
    ("1_000", "not a number or an expression of numbers"),
    ("1;2", "not a number or an expression of numbers"),
    ("a=2", "not a number or an expression of numbers"),
    ("", "not a number or an expression of numbers"),
    ("log(0)", "log of a non-positive number in 'log(0)'"),
    ("exp(1000)", "overflow in 'exp(1000)'"),
    ("acos(2)", "acos of a number outside [-1, 1] in 'acos(2)'"),
    ("foo(1)", "unknown function 'foo'"),
    ("1e999", "not a number or an expression of numbers"),
    ("inf", "a value is numbers, pi, e and functions of them"),
    ("nan", "a value is numbers, pi, e and functions of them"),
])
def test_set_refuses_what_is_no_finite_number(value: str, reason: str) -> None:
    r = invoke("--set", f"x={value}", "y = x * 2")
    assert r.exit_code == 2 and r.stdout == ""
    (line,) = r.stderr.splitlines()
    assert line.startswith(f"error: invalid value for --set: '{value}' in 'x={value}' is not a finite number: ")
    assert reason in line


def test_set_of_a_huge_expression_is_refused_quickly() -> None:
    r = invoke("--set", "x=" + "+".join(["1"] * 20_000), "y = x")
    assert r.exit_code == 2 and "invalid value for --set" in r.stderr


# ----- --values FILE -----------------------------------------------------------------------------
def write(tmp_path: Path, text: str | bytes, name: str = "v.json") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def test_values_from_a_file_and_set_over_them(tmp_path: Path) -> None:
    path = write(tmp_path, '{"x": 2, "w": -3.5}')
    doc = json.loads(invoke("--values", path, "y = x * w", "--format", "json").stdout)
    assert doc["inputs"] == {"x": 2.0, "w": -3.5} and doc["value"] == -7.0
    doc = json.loads(invoke("--values", path, "--set", "w=pi", "y = x * w", "--format", "json").stdout)
    assert doc["inputs"] == {"x": 2.0, "w": math.pi}  # --set overrides the file
    # the file overrides the program's defaults, as --set does
    doc = json.loads(invoke("--values", path, "x = 1; w = 1; y = x * w", "--format", "json").stdout)
    assert doc["value"] == -7.0


def test_values_from_standard_input(tmp_path: Path) -> None:
    program = write(tmp_path, "y = x * w", "p.grad")
    for args in (["y = x * w"], ["-f", program]):
        r = invoke("--values", "-", *args, "--format", "json", input='{"x": 3, "w": 2}')
        assert r.exit_code == 0, r.stderr
        assert json.loads(r.stdout)["value"] == 6.0
    for args in (["-f", "-"], []):  # the program comes from standard input too
        r = invoke("--values", "-", *args, input="y = x")
        assert r.exit_code == 2 and r.stdout == ""
        assert "--values - and the program would both read standard input" in r.stderr


def test_values_with_a_sweep_each_line_and_the_jacobian(tmp_path: Path) -> None:
    path = write(tmp_path, '{"x": 2, "w": 3}')
    doc = json.loads(invoke("--values", path, "y = x * w", "--sweep", "x=0:1:2", "--format", "json").stdout)
    assert doc["held"] == {"w": 3.0} and [p["value"] for p in doc["points"]] == [0.0, 3.0]  # the sweep wins
    r = invoke("--values", path, "--set", "x=1", "y = x * w", "--sweep", "x=0:1:2")
    assert r.exit_code == 2 and "--sweep x: x is also given with --set; give it one way" in r.stderr
    r = invoke("--values", path, "y = x * w\nz = w", "--each-line", "--format", "json")
    assert [json.loads(line)["value"] for line in r.stdout.splitlines()] == [6.0, 3.0]
    doc = json.loads(invoke("--values", path, "y = x * w; z = y * x", "--of", "y", "--of", "z",
                            "--format", "json").stdout)
    assert doc["inputs"] == {"x": 2.0, "w": 3.0}


@pytest.mark.parametrize("text, message", [
    ('{"x": 2, "q": 1}', "--values {path} q: the program has no input 'q' (inputs: x)"),
    ('{"x": "2"}', "--values {path}: the value of 'x' is not a finite number: \"2\""),
    ('{"x": true}', "--values {path}: the value of 'x' is not a finite number: true"),
    ('{"x": null}', "--values {path}: the value of 'x' is not a finite number: null"),
    ('{"x": [1]}', "--values {path}: the value of 'x' is not a finite number: [1.0]"),
    ('{"x": NaN}', "--values {path}: the value of 'x' is not a finite number: NaN or Infinity"),
    ('{"x": -Infinity}', "--values {path}: the value of 'x' is not a finite number: NaN or Infinity"),
    ('{"x": 1e999}', "--values {path}: the value of 'x' is not a finite number: Infinity"),
    ('{"x": 1' + "0" * 5000 + "}", "--values {path}: the value of 'x' is not a finite number: Infinity"),
    ('{"x": 1, "x": 2}', "--values {path}: 'x' is given more than once; give it once"),
    ('{"1x": 1}', "--values {path}: '1x' is not a valid name"),
    ('[1, 2]', '--values {path}: not a JSON object of names and numbers, such as {{"x": 2, "w": -3}}'),
    ('{"x": 2,\n "w": }', "--values {path}: not valid JSON at line 2, column 7: expecting value"),
    ("{'x': 2}", "--values {path}: not valid JSON at line 1, column 2: expecting property name enclosed in"
                 " double quotes"),
    ("", "--values {path}: not valid JSON at line 1, column 1: expecting value"),
    ("[" * 100_000, "--values {path}: nested too deeply; give one object of names and numbers"),
])
def test_bad_values_files_are_one_line_naming_the_key_or_the_place(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    r = invoke("--values", path, "y = x * 2")
    assert r.exit_code == 2 and r.stdout == ""
    (line,) = r.stderr.splitlines()
    want = message.format(path=path)
    if "no input" in want:
        want = want.replace(f"--values {path} q", "--values q")
    assert line == f"error: {want}"


def test_a_values_file_not_utf8_missing_or_over_the_budget(tmp_path: Path) -> None:
    r = invoke("--values", write(tmp_path, b'{"x": "\xe9"}'), "y = x")
    assert r.exit_code == 2 and "not UTF-8 text (byte 7)" in r.stderr
    r = invoke("--values", str(tmp_path / "missing.json"), "y = x")
    assert r.exit_code == 2 and "cannot read" in r.stderr and "No such file or directory" in r.stderr
    big = write(tmp_path, '{"x": 1' + " " * 2000 + "}")
    r = invoke("--values", big, "--limit", "input=1000", "y = x")
    assert r.exit_code == 2
    assert r.stderr.strip() == (f"error: --values {big} is longer than 1,000 bytes, the limit"
                                " (raise it with --limit input=N)")
    assert invoke("--values", big, "y = x").exit_code == 0


def test_values_from_devices_and_fifos_neither_hang_nor_fill_the_memory(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)  # nobody writes it: opening it to read would block forever
    for path in (str(fifo), "/dev/zero", "/dev/urandom"):
        r = subprocess.run([str(SCRIPT), "--values", path, "y = x"], capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and r.stdout == ""
        assert r.stderr.strip() == (f"error: --values {path}: not a regular file (a pipe or a device);"
                                    " give a file, or - for standard input")
    # standard input that never ends stops at the budget
    with open("/dev/zero", "rb") as zero:
        r = subprocess.run([str(SCRIPT), "--values", "-", "--limit", "input=1MiB", "y = x"], stdin=zero,
                           capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "error: --values - is longer than 1.0 MiB, the limit (raise it with --limit input=N)" in r.stderr


def test_values_do_not_go_with_emit(tmp_path: Path) -> None:
    r = invoke("--values", write(tmp_path, '{"x": 1}'), "y = x", "--emit", "python")
    assert r.exit_code == 2 and r.stderr.startswith("error: --values does not go with --emit")


def test_the_python_api_keeps_plain_numbers() -> None:
    with pytest.raises(GradcliError, match="not a finite number"):
        evaluate("y = x", {"x": float("nan")})


# ----- --emit: the new functions in all four languages ------------------------------------------
EVERY_FUNCTION = ("y = asin(x/2)*acos(x/3) + atan(w) + sinh(x)*cosh(w) + asinh(w) + acosh(2+x) + atanh(x/2)"
                  " + log10(x) + log2(x) + exp2(w) + cbrt(w) + erf(w)*erfc(x) + softplus(w) + atan2(w, -x)"
                  " + hypot(x, w) + log(x, 3) + ln(x) + floor(w*3)*ceil(x)*round(x*5) + max(x, w, 0.1)"
                  " + min(w, x, w) + sum(x, w, 1) + mean(x, w*w)")
# points: ordinary ones; ties of max and min; round at a half (2.5 and -2.5: away from zero); erf past 1
EMIT_POINTS = [{"x": 0.7, "w": -1.2}, {"x": 0.5, "w": 0.5}, {"x": 0.1, "w": -2.5 / 3}, {"x": 1.9, "w": 2.6}]


def _engine(point: dict[str, float]):  # type: ignore[no-untyped-def]
    from gradcli.interpret.program import run

    r = run(parse(EVERY_FUNCTION), point)
    return r, [r.value, *[r.gradients[n] for n in point]]


def _emitted(point: dict[str, float], order: int = 1):  # type: ignore[no-untyped-def]
    from gradcli.bindings import bind
    from gradcli.interpret.emit import value_and_grad_ir

    return value_and_grad_ir(bind(parse(EVERY_FUNCTION), point), order)


def _agree(got: list[float], want: list[float], rel: float) -> None:
    scale = max(map(abs, want))
    for g, w in zip(got, want):
        assert abs(g - w) <= rel * scale, (got, want)


@pytest.mark.parametrize("point", EMIT_POINTS)
def test_emitted_python_and_numpy_match_the_engine(point: dict[str, float]) -> None:
    import numpy as np

    from gradcli.views import source
    from tests.test_emit import load

    r, want = _engine(point)
    value, grads, hess = load(source.python(_emitted(point, 2)))(*point.values())
    _agree([value, *grads], want, 1e-13)
    names, table = derivative_table(r, 2)
    _agree([h for row in hess for h in row], [table[tuple(sorted((a, b), key=names.index))]
                                              for a in names for b in names], 1e-11)
    nvalue, ngrads = load(source.numpy(_emitted(point)))(*[np.array([x, x]) for x in point.values()])
    for k in range(2):
        _agree([float(nvalue[k]), *[float(g[k]) for g in ngrads]], want, 1e-13)


def test_emitted_c_and_javascript_match_the_engine(tmp_path: Path) -> None:
    from tests.test_emit import CC, NODE, run_c, run_js

    if CC is None or NODE is None:
        pytest.skip("needs cc and node")
    programs_ = [(_emitted(p), list(p.values())) for p in EMIT_POINTS]
    (tmp_path / "c").mkdir()
    (tmp_path / "js").mkdir()
    c_rows = run_c(programs_, tmp_path / "c")
    js_rows = run_js(programs_, tmp_path / "js")
    for point, c_row, (js_value, js_grads) in zip(EMIT_POINTS, c_rows, js_rows):
        _, want = _engine(point)
        _agree(c_row, want, 1e-12)  # libm may differ from Python's by an ulp
        _agree([js_value, *js_grads], want, 1e-12)


def test_emitted_javascript_erf_and_round(tmp_path: Path) -> None:
    """JavaScript has no erf: the emitted helper against Python's math.erf and math.erfc; and
    round takes halves away from zero (Math.round takes -2.5 to -2)."""
    from gradcli.views import source
    from tests.test_emit import NODE

    if NODE is None:
        pytest.skip("needs node")
    text = source.javascript(value_and_grad_ir_of("y = erf(x) + erfc(x) + round(x)"))
    (tmp_path / "p.mjs").write_text(text + "export { gc_erf, gc_erfc, gc_round };\n", encoding="utf-8")
    xs = [i / 16 for i in range(-112, 113)] + [1e-300, -1e-8, 0.999999, 1.000001, 27.0, -27.0]
    (tmp_path / "main.mjs").write_text(
        f"import * as m from './p.mjs';\nconst xs = {json.dumps(xs)};\n"
        "console.log(JSON.stringify(xs.map(x => [m.gc_erf(x), m.gc_erfc(x), m.gc_round(x)])));\n", encoding="utf-8")
    out = json.loads(subprocess.run([NODE, str(tmp_path / "main.mjs")], check=True, capture_output=True,
                                    text=True).stdout)
    for x, (erf, erfc, rounded) in zip(xs, out):
        assert erf == pytest.approx(math.erf(x), rel=5e-15, abs=1e-300), x
        assert erfc == pytest.approx(math.erfc(x), rel=2e-14, abs=1e-300), x
        assert rounded == evaluate("y = round(x)", {"x": x}).value, x


def value_and_grad_ir_of(program: str):  # type: ignore[no-untyped-def]
    from gradcli.bindings import bind
    from gradcli.interpret.emit import value_and_grad_ir

    return value_and_grad_ir(bind(parse(program), {"x": 0.5}), 1)


def test_emitted_code_without_the_new_functions_has_none_of_their_helpers() -> None:
    from gradcli.views import source

    e = value_and_grad_ir_of("y = max(x, 2) * exp(x)")
    for printer, helper in ((source.python, "_cbrt"), (source.numpy, "_erf"), (source.c, "gc_softplus"),
                            (source.javascript, "gc_erf")):
        assert helper not in printer(e)
    e = value_and_grad_ir_of("y = cbrt(x) + erf(x) + softplus(x) + max(x, 1, 2)")
    assert "def _cbrt(x)" in source.python(e) and "import math" in source.numpy(e)
    assert "def _max(*xs)" in source.numpy(e) and "gc_softplus" in source.c(e) and "gc_erf_series" in source.javascript(e)
