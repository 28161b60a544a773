"""Functions of your own (issue 14): ``f(x, y) = x*y + sin(x)`` defines, ``f(a, b)`` calls.

Gradients against central differences and worked examples; the rules of a definition
(parameters are local, a body reads earlier functions, constants and the program's names as
they are at the call, no recursion) and each error, through the command; labels, pictures,
--explain and --symbolic naming each call; every interpretation agreeing on a program that
calls functions. The SymPy reference draws programs with functions too
(test_reference_sympy.py::test_functions_of_ones_own_match_sympy).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcli import evaluate
from gradcli.errors import GradcliError, MathError
from gradcli.front.cli import cli
from gradcli.interpret.symbolic import derivatives
from gradcli.language.parser import parse
from tests.conftest import central_difference

SCRIPT = Path(sys.executable).parent / "gradcli"

NEURON = """\
n(x1, x2) = tanh(w1*x1 + w2*x2 + b)
x1 = 2; x2 = 0; w1 = -3; w2 = 1; b = 6.8813735870195432
o = n(x1, x2)
"""

LAYER = """\
n(u, v) = tanh(w1*u + w2*v + b)
a = 0.5; c = -1.5; w1 = 0.7; w2 = -0.4; b = 0.1
h1 = n(a, c)
h2 = n(c, a)
y = h1 + 2*h2
"""


def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), input=input, env={"COLUMNS": "100"})


def by_differences(source: str) -> dict[str, float]:
    """d(output)/d(input) for each input, by central differences of the value alone."""
    inputs = {name: v.data for name, v in evaluate(source).inputs.items()}
    return {name: central_difference(lambda t, n=name: evaluate(source, {**inputs, n: t}).value, x)
            for name, x in inputs.items()}


# ----- the numbers -------------------------------------------------------------------------------
def test_a_worked_example() -> None:
    """z = f(a, b) + f(b, a) with f(x, y) = x*y + sin(x): dz/da = 2b + cos(a), dz/db = 2a + cos(b)."""
    r = evaluate("f(x, y) = x*y + sin(x)\na = 1; b = 2\nz = f(a, b) + f(b, a)")
    assert r.value == pytest.approx(4 + math.sin(1) + math.sin(2), rel=1e-15)
    assert r.gradients["a"] == pytest.approx(4 + math.cos(1), rel=1e-15)
    assert r.gradients["b"] == pytest.approx(2 + math.cos(2), rel=1e-15)


def test_the_neuron_as_a_function_is_the_neuron_written_out() -> None:
    """micrograd's neuron: o = 0.7071, do/dx1 = -1.5, do/dw1 = 1.0 (the notebook's numbers)."""
    r = evaluate(NEURON)
    assert r.value == pytest.approx(0.7071, abs=1e-4)
    assert r.gradients["x1"] == pytest.approx(-1.5, abs=1e-4)
    assert r.gradients["w1"] == pytest.approx(1.0, abs=1e-4)
    assert r.gradients["x2"] == pytest.approx(0.5, abs=1e-4)
    written_out = evaluate(NEURON.replace("o = n(x1, x2)", "o = tanh(w1*x1 + w2*x2 + b)").split("\n", 1)[1])
    assert r.gradients == written_out.gradients


@pytest.mark.parametrize("source", [
    LAYER,
    # a body calling an earlier function, twice, with expressions as arguments
    "sq(t) = t*t\ng(x, y) = sq(x + y) - sq(x - y) / 3\na = 0.4; b = -1.1\nz = g(a, b) * g(b, 2*a)",
    # a parameter named as a constant (e) shadows it; pi in a body is the constant
    "f(e, x) = e**2 * sin(pi*x)\na = 1.3; b = 0.2\ny = f(a, b) + e",
    # a name of the program read in a body: its value at the call (as Python reads a global)
    "w = 2\nf(x) = w*x**2\na = 0.3\ny1 = f(a)\nw = a + 1\ny = y1 + f(a)",
    # a later definition replaces the earlier for the calls after it
    "f(x) = 2*x\na = 0.5\ny1 = f(a)\nf(x) = x**3\ny = y1 * f(a)",
    # variadic calls and two-argument functions inside a body
    "f(x, y, z) = max(x, y, z) + mean(x, y, z) * log(2 + z*z, 3)\na = 0.1; b = 0.7; c = -0.2\nq = f(a, b, c)",
])
def test_gradients_match_central_differences(source: str) -> None:
    r = evaluate(source)
    for name, want in by_differences(source).items():
        assert r.gradients[name] == pytest.approx(want, rel=1e-6, abs=1e-9), name


def test_a_name_read_in_a_body_is_an_input_and_gets_its_gradient() -> None:
    """``n(u, v)`` reads w1, w2 and b: each is an input, given by --set or by the program."""
    r = evaluate("n(u) = tanh(w*u + b)\ny = n(2)", {"w": 0.5, "b": -0.25})
    t = math.tanh(0.5 * 2 - 0.25)
    assert r.gradients["w"] == pytest.approx((1 - t * t) * 2, rel=1e-14)
    assert r.gradients["b"] == pytest.approx(1 - t * t, rel=1e-14)


def test_a_call_of_numbers_only_is_a_number_and_one_reading_a_name_is_not() -> None:
    """The input rule, as for ``y = 2*3``: ``y = f(3)`` is the input y = 6; ``y = f(x)`` reads x,
    so y is computed (even when f's body ignores its parameter)."""
    r = evaluate("f(x) = 2*x\ny = f(3)")
    assert list(r.inputs) == ["y"] and r.value == 6.0
    r = evaluate("k(p) = 1\nx = 2\ny = k(x)")
    assert list(r.inputs) == ["x"] and r.value == 1.0 and r.gradients == {"x": 0.0, "y": 1.0}
    r = evaluate("g(p, q) = p*3\na = 2\ny = g(1, a*2)")
    assert list(r.inputs) == ["a"] and r.value == 3.0 and r.gradients["a"] == 0.0


def test_a_body_that_is_a_parameter_makes_another_name_for_the_argument() -> None:
    r = evaluate("id(x) = x\na = 3\ny = id(a) * 2")
    assert r.gradients["a"] == 2.0 and len(r.nodes) == 3  # a, 2, y: the call made no node



def test_a_parameter_is_local_to_its_own_body_not_to_the_bodies_it_calls() -> None:
    """``f`` reads the program's x and the constant e; ``g``'s parameters named x and e are g's
    alone, so the call of f inside g still reads the program's (found by the SymPy reference:
    ``f1(p, q) = log(exp(1), e); f3(p, e) = f1(e, 1)``)."""
    r = evaluate("f(p) = p*e + x\ng(x, e) = f(x) * e\nx = 3\nout = g(2, 10)")
    assert r.value == pytest.approx((2 * math.e + 3) * 10, rel=1e-15)
    assert r.gradients["x"] == 10.0  # through f's x: the program's
    r = evaluate("f1(p, q) = log(exp(1), e)\nf3(p, e) = f1(e, 1)\nout = f3(1, pi)")
    assert r.value == 1.0  # log(e, e), not log(e, pi)
# ----- definitions: the rules and their errors -----------------------------------------------------
@pytest.mark.parametrize("program, message, caret", [
    ("f(x) = f(x) + 1", "f() calls itself at line 1, column 8: a function cannot be recursive", 7),
    ("sin(x) = 2*x", "sin() is a function of the language at line 1, column 1: a function of your own needs"
                     " another name", 0),
    ("f(2) = 3", "a parameter of f() must be a name, not '2', at line 1, column 3", 2),
    ("f(x + 1) = 3", "a parameter of f() must be a name, not 'x + 1', at line 1, column 3", 2),
    ("f(x, x) = 3", "f() has two parameters named 'x', at line 1, column 6", 5),
    ("f(x) = x\ny = f(1, 2)", "f() takes 1 argument, got 2, at line 2, column 5", 4),
    ("f(x, y) = x\ny = f(1)", "f() takes 2 arguments, got 1, at line 2, column 5", 4),
    ("f(x) = g(x)\ng(x) = 2*x\ny = f(1)", "unknown function 'g' at line 1, column 8", 7),
    ("f(x) =", "syntax error at line 1, column 7: unexpected end of the program", 6),
])
def test_a_broken_definition_is_a_syntax_error_with_a_caret(program: str, message: str, caret: int) -> None:
    r = invoke(program)
    assert r.exit_code == 2 and r.stdout == ""
    first, shown, marker = r.stderr.splitlines()[:3]
    assert first.startswith("error: " + message), first
    assert marker == "  " + " " * caret + "^", (shown, marker)
    with pytest.raises(GradcliError):
        parse(program)


def test_an_unknown_function_lists_the_programs_own() -> None:
    r = invoke("f(x) = x*2\nh(x) = x\ny = g(2)")
    assert r.exit_code == 2 and "(functions: abs, acos" in r.stderr and "; yours: f, h)" in r.stderr


def test_an_unknown_name_in_a_body_names_the_call() -> None:
    r = invoke("f(x) = q*x\ny = f(2)")
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.splitlines()[0] == ("error: unknown name 'q' at line 1, column 8, in the call f(2) at line 2,"
                                        " column 5 (assign it earlier in the program, or give it with --set q=VALUE)")
    assert invoke("f(x) = q*x\ny = f(2)", "--set", "q=3", "--format", "json").exit_code == 0


def test_a_math_error_in_a_body_names_the_expression_the_value_and_the_call() -> None:
    r = invoke("f(x) = log(x)\na = -1\ny = 2 * f(a)")
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr.splitlines()[0] == ("error: log of a non-positive number in 'log(x)' (a = -1) at line 1,"
                                        " column 8, in the call f(a) at line 3, column 9")
    with pytest.raises(MathError, match="in the call f"):
        evaluate("f(x) = 1/x\ny = f(0)")


def test_calls_that_multiply_are_held_to_the_parts_budget() -> None:
    """Each level calls the one below twice: 2**k parts. A function's body counts as parts of
    the program, so the budget stops it early, naming the option that raises it."""
    levels = ["f1(x) = x*x"] + [f"f{k}(x) = f{k - 1}(f{k - 1}(x))" for k in range(2, 40)]
    r = invoke("\n".join(levels) + "\na = 1\ny = f39(a)", "--limit", "nodes=100000")
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.splitlines()[0] == ("error: the program has more than 100,000 parts (numbers, names, operations,"
                                        " calls), the limit (raise it with --limit nodes=N)")


# ----- where a value comes from: labels, pictures, --explain, --symbolic -----------------------------
def test_labels_say_which_call_a_value_comes_from() -> None:
    doc = json.loads(invoke("f(x, y) = x*y + sin(x)\na = 1; b = 2\nz = f(a, b) + f(b, a)", "--format", "json").stdout)
    labels = [n["label"] for n in doc["nodes"]]
    assert labels == ["a", "b", "f(a, b): x*y", "f(a, b): sin(x)", "f(a, b): x*y + sin(x)", "f(b, a): x*y",
                      "f(b, a): sin(x)", "f(b, a): x*y + sin(x)", "z"]
    nested = json.loads(invoke("f(x) = x*2\ng(x) = f(x) + f(x + 1)\na = 1\ny = g(a)", "--format", "json").stdout)
    assert [n["label"] for n in nested["nodes"]] == ["a", "2", "g(a) › f(x): x*2", "1", "g(a): x + 1", "2",
                                                     "g(a) › f(x + 1): x*2", "y"]


def _clusters(dot: str) -> list[tuple[str, list[str]]]:
    """Each cluster's label and the nodes it lists (nested ones' too), in order."""
    found = []
    for m in re.finditer(r"subgraph (cluster_\d+) \{", dot):
        depth, i = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(dot[i], 0)
            i += 1
        body = dot[m.end():i]
        label = re.search(r'label="([^"]*)"', body)
        found.append((label.group(1) if label else "", re.findall(r"^\s*(n\d+(?:op)?)\s*$", body, re.M)))
    return found


def test_pictures_box_each_call_labelled_with_it(tmp_path: Path) -> None:
    out = tmp_path / "g.dot"
    r = invoke("f(x) = x*2\ng(x) = f(x) + f(x + 1)\na = 1\ny = g(a) + g(3*a)", "-g", str(out))
    assert r.exit_code == 0, r.stderr
    dot = out.read_text()
    boxes = _clusters(dot)
    assert [label for label, _ in boxes] == ["g(a)", "f(x)", "f(x + 1)", "g(3*a)", "f(x)", "f(x + 1)"]
    outer, first_f = boxes[0][1], boxes[1][1]
    assert set(first_f) == {"n1", "n2", "n2op"}  # f(x)'s 2 and x*2 (and its op node)
    assert set(first_f) < set(outer) and "n0" not in outer  # the argument a is outside the call
    # inside its box a value is labelled as the body writes it; the table's label says the call
    assert re.search(r'n2 \[label="x\*2 \| data 2\.0000', dot)
    assert "g(a) › f(x): x*2" not in dot


def test_pictures_of_a_call_render(tmp_path: Path) -> None:
    out = tmp_path / "layer.svg"
    r = invoke(LAYER, "-g", str(out))
    assert r.exit_code == 0, r.stderr
    svg = out.read_text()
    assert svg.count('class="cluster"') == 2 and ">n(a, c)</text>" in svg and ">n(c, a)</text>" in svg


def test_explain_names_each_step_by_its_call() -> None:
    doc = json.loads(invoke(LAYER, "--explain", "--format", "json").stdout)
    label = [n["label"] for n in doc["nodes"]]
    edges = {(label[s["from"]], label[s["to"]]) for s in doc["steps"]}
    assert ("h1", "n(a, c): w1*u + w2*v + b") in edges  # the call's value is named h1
    assert ("n(c, a): w1*u", "w1") in edges and ("n(c, a): w1*u", "c") in edges
    text = invoke(LAYER, "--explain").stdout
    assert "n(a, c): w1*u → a" in text


@pytest.mark.parametrize("expand", [True, False])
def test_symbolic_formulas_of_a_program_with_calls_give_the_engine_numbers(expand: bool) -> None:
    """Each formula, read back as a program at the inputs, is the engine's gradient."""
    args = ["--symbolic", "--format", "json"] + ["--expand"] * expand
    doc = json.loads(invoke(LAYER, *args).stdout)
    r = evaluate(LAYER)
    inputs = {name: v.data for name, v in r.inputs.items()}
    for name, formula in doc["symbolic"].items():
        if not expand:  # written in the program's names: read back after the program
            got = evaluate(LAYER + f"__d = {formula}").value
        else:
            got = evaluate(f"__d = {formula}", {k: x for k, x in inputs.items() if re.search(rf"\b{k}\b", formula)}).value
        assert got == pytest.approx(r.gradients[name], rel=1e-12), (name, formula)


@pytest.mark.parametrize("program, values, where", [
    # the same call twice in one statement, its value simplified two ways (2*sin(x) + 4, 2*(sin(x) + 2)):
    # one symbol (this was an internal error, "defined twice")
    ("f1(p, q, e) = p * 2\nf2(p, q, e) = -(f1(e, 1, e))\nb = max(-f2(1, 1, 2 + sin(x)), -f2(1, 1, 2 + sin(x)), 1)\n",
     {"x": 0.25}, ["f1(sin(x) + 2, 1, sin(x) + 2)", "f2(1, 1, sin(x) + 2)"]),
    # f redefined: only a call of the last definition is named, so f(y) means the program's f at its end
    # (an internal error before, "f(y) is defined twice")
    ("f(x) = x*2 + 1\nb = f(y) * f(y)\nf(x) = x*3 + 1\nc = f(y) * b\n", {"y": 1.5}, ["b", "f(y)"]),
    # and only such calls go through the function's own derivative: df_dx is the last f's (the calls
    # of the first f through it gave a formula worth -0.45 for a gradient of 4.38)
    ("f(x) = sin(x)*exp(x)/(1 + x**2)\nz = f(a) + f(2*a)\nf(x) = cos(x)*exp(x)/(1 + x**2)\n"
     "w = z + f(a) + f(a*a)\n", {"a": 0.3}, ["f(a)"]),
])
def test_symbolic_names_a_repeated_call_once_and_only_calls_of_the_last_definition(
        program: str, values: dict[str, float], where: list[str]) -> None:
    from tests.test_symbolic import read_back

    set_args = [a for name, x in values.items() for a in ("--set", f"{name}={x}")]
    result = invoke(program, "--symbolic", "--format", "json", *set_args)
    assert result.exit_code == 0, result.output
    assert [d["name"] for d in json.loads(result.stdout)["definitions"]][:len(where)] == where
    r = evaluate(program, values)
    for by_function in (False, True):
        d = derivatives(parse(program), values, by_function=by_function)
        for name, f in d.formulas.items():
            got = read_back(f.text, values, d.definitions(), program, d.function_heads)
            assert got == pytest.approx(r.gradients[name], rel=1e-12), (by_function, name, f.text)


# ----- every interpretation, and through a real process ------------------------------------------
def test_every_interpretation_agrees_on_a_program_with_calls(tmp_path: Path) -> None:
    r = evaluate(LAYER)
    sweep = json.loads(invoke(LAYER, "--sweep", "a=0.5:1.5:3", "--format", "json").stdout)
    first = sweep["points"][0]
    assert first["value"] == pytest.approx(r.value, rel=1e-14)
    assert first["gradients"]["w1"] == pytest.approx(r.gradients["w1"], rel=1e-12)
    code = invoke(LAYER, "--emit", "python").stdout
    namespace: dict[str, object] = {}
    exec(compile(code, "emitted", "exec"), namespace)  # noqa: S102  # the code gradcli wrote, a test's own
    inputs = {name: v.data for name, v in r.inputs.items()}
    value, grads = namespace["value_and_grad"](**inputs)  # type: ignore[operator]
    assert value == pytest.approx(r.value, rel=1e-14)
    assert grads == pytest.approx([r.gradients[name] for name in inputs], rel=1e-12)


def test_through_a_process_from_a_file(tmp_path: Path) -> None:
    program = tmp_path / "layer.grad"
    program.write_text(LAYER)
    done = subprocess.run([str(SCRIPT), "-f", str(program), "--format", "json"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stderr == ""
    doc = json.loads(done.stdout)
    assert doc["gradients"]["a"] == pytest.approx(by_differences(LAYER)["a"], rel=1e-6)


def test_a_session_says_what_a_definition_defined_and_calls_it() -> None:
    entries = "a = 1\nf(x) = x*x + 1\ny = f(a) * 2\nf(x) = 3*x\ny = f(a)\n"
    done = subprocess.run([str(SCRIPT), "-i"], input=entries, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if not line.startswith(">")]
    # f(a) * 2 = 2(a² + 1) = 4, d/da = 4a = 4; then f(x) = 3x: y = 3, dy/da = 3
    assert lines == ["a = 1.0000", "defined f(x)", "a = 1.0000", "y = 4.0000   ∂y/∂a = 4.0000", "defined f(x)",
                     "y = 4.0000   ∂y/∂a = 4.0000", "y = 3.0000   ∂y/∂a = 3.0000"]


def test_the_session_completes_and_colours_the_programs_own_functions() -> None:
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from gradcli.front.line_editor import _Completer
    from gradcli.front.request import Request
    from gradcli.front.session import Session
    from gradcli.limits import Limits

    session = Session(Request(), Limits(), _Discard(), lambda message, detail: None)
    session.handle("neuron(x) = tanh(2*x)")
    completions = [c.text for c in _Completer(session).get_completions(Document("y = neu"), CompleteEvent())]
    assert completions == ["neuron("]


class _Discard:
    def write(self, text: str) -> None: ...
    def show(self, renderables: list) -> None: ...  # type: ignore[type-arg]
    def say(self, line: str) -> None: ...


def test_symbolic_writes_an_unnamed_calls_value_as_the_call() -> None:
    """y = n(a, c) + 2*n(c, a): tanh's derivative reads tanh's value, which is the call's: the
    formulas read n(a, c), defined once below them, in text, LaTeX and JSON alike."""
    source = LAYER.replace("h1 = n(a, c)\nh2 = n(c, a)\ny = h1 + 2*h2", "y = n(a, c) + 2*n(c, a)")
    doc = json.loads(invoke(source, "--symbolic", "--format", "json").stdout)
    assert doc["symbolic"]["b"] == "3 - n(a, c)**2 - 2*n(c, a)**2"
    assert doc["definitions"][:2] == [{"name": "n(a, c)", "formula": "tanh(a*w1 + c*w2 + b)"},
                                      {"name": "n(c, a)", "formula": "tanh(c*w1 + a*w2 + b)"}]
    r = evaluate(source)
    # the formula after the program and the other definitions (t1 = ...): the call computes n(a, c)
    others = "".join(f"{d['name']} = {d['formula']}\n" for d in doc["definitions"] if "(" not in d["name"])
    for name, formula in doc["symbolic"].items():
        assert evaluate(source + others + f"__d = {formula}").value == pytest.approx(r.gradients[name], rel=1e-12)
    latex = invoke(source, "--symbolic", "--format", "latex").stdout
    assert "\\text{where } n\\left(a, c\\right) &= \\tanh\\left(a \\cdot w_{1}" in latex
    text = invoke(source, "--symbolic").stdout
    assert "│ ∂y/∂b      │ 3 - n(a, c)**2 - 2*n(c, a)**2" in text and "  n(c, a) = tanh(c*w1 + a*w2 + b)" in text


BUMP = "f(x) = sin(x)*exp(x)/(1 + x**2)\na = 0.3\nz = f(a) + f(2*a) + f(a*a)"


def test_symbolic_writes_a_derivative_through_calls_by_the_functions_own_where_shorter() -> None:
    """dz/da = f'(a) + 2 f'(2a) + 2a f'(a²), f'(x) = e^x (cos x + sin x)/(1 + x²) - 2x e^x sin x/(1 + x²)²:
    written once as df_dx(x), used at each call; worked out here by hand, and read back."""
    doc = json.loads(invoke(BUMP, "--symbolic", "--format", "json").stdout)
    assert doc["symbolic"]["a"] == "df_dx(a) + 2*df_dx(2*a) + 2*a*df_dx(a**2)"
    assert [d["name"] for d in doc["definitions"]] == ["df_dx(x)"]

    def fprime(x: float) -> float:
        return (math.exp(x) * (math.cos(x) + math.sin(x)) / (1 + x * x)
                - 2 * x * math.exp(x) * math.sin(x) / (1 + x * x) ** 2)

    a = 0.3
    by_hand = fprime(a) + 2 * fprime(2 * a) + 2 * a * fprime(a * a)
    assert doc["gradients"]["a"] == pytest.approx(by_hand, rel=1e-13)
    # the definition is one of the language's: pasted before the formula, gradcli computes it
    definition = doc["definitions"][0]
    read = evaluate(f"{definition['name']} = {definition['formula']}\na = 0.3\nd = {doc['symbolic']['a']}")
    assert read.value == pytest.approx(by_hand, rel=1e-13)
    latex = invoke(BUMP, "--symbolic", "--format", "latex").stdout
    assert "\\frac{\\partial f}{\\partial x}\\left(2 \\cdot a\\right)" in latex
    assert "\\text{where } \\frac{\\partial f}{\\partial x}\\left(x\\right) &= e^{x}" in latex


def test_the_form_through_the_function_is_taken_only_where_it_is_shorter() -> None:
    short = json.loads(invoke("f(x, y) = x*y + sin(x)\na = 1; b = 2\nz = f(a, b) + f(b, a)", "--symbolic",
                              "--format", "json").stdout)
    assert short["symbolic"] == {"a": "2*b + cos(a)", "b": "2*a + cos(b)"} and short.get("definitions", []) == []
    # written in the inputs (--expand), and for --order 2, derivatives never go through the function's
    assert "df_dx" not in invoke(BUMP, "--symbolic", "--expand").stdout
    assert "df_dx" not in invoke(BUMP, "--symbolic", "--order", "2").stdout


def test_a_derivative_function_never_takes_a_name_the_program_uses() -> None:
    source = "df_dx = 2\n" + BUMP.replace("z = f(a)", "z = df_dx * f(a)")
    doc = json.loads(invoke(source, "--symbolic", "--format", "json").stdout)
    assert "df_dx_1(x)" in [d["name"] for d in doc["definitions"]]
    assert "df_dx_1(2*a)" in doc["symbolic"]["a"]
