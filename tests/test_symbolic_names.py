"""--symbolic in the program's own names: definitions, named derivatives, --expand, JSON and LaTeX.

Every formula is read back the way the README says a user can: the
definitions evaluated in order as statements of a program, then the formula,
at the program's point, against the engine's gradient (an answer the formulas
share no code with). Sizes are checked where the issue measured them: a chain
of statements gives formulas linear in its length.
"""

from __future__ import annotations

import json
import math
import time

import pytest
from click.testing import CliRunner

from gradcli import evaluate
from gradcli.front.cli import cli
from gradcli.interpret.program import run
from gradcli.interpret.symbolic import derivatives
from gradcli.language.parser import parse

LOGISTIC = "x = 0.5; w = 2; b = -1; y = 1; z = w*x + b; p = sigmoid(z); loss = -(y*log(p) + (1 - y)*log(1 - p))"
SQUARED = "x = 0.5; w = 2; b = -1; y = 1; z = w*x + b; p = sigmoid(z); loss = (p - y)**2"


def gradcli(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args), env={"COLUMNS": "120"})
    return r.exit_code, r.stdout, r.stderr


def read_back(definitions: list[dict[str, str]], formula: str, point: dict[str, float]) -> float:
    program = "".join(f"{d['name']} = {d['formula']}\n" for d in definitions) + formula
    return run(parse(program), point, strict=False).value


@pytest.mark.parametrize("source", [LOGISTIC, SQUARED])
def test_json_definitions_read_back_to_the_gradients(source: str) -> None:
    code, out, _ = gradcli(source, "--symbolic", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    names = [d["name"] for d in doc["definitions"]]
    assert names[:2] == ["z", "p"]  # the program's names, in program order, before generated ones
    assert doc["definitions"][0]["formula"] == "w*x + b"
    # a generated name says which derivative it is, and is not a name of the program
    generated = [d for d in doc["definitions"] if "wrt" in d]
    if source == LOGISTIC:  # the cross-entropy's gradient, as a reader writes it: too short to need a name
        assert doc["symbolic"]["w"] == "x*(p - y)" and doc["symbolic"]["z"] == "p - y" and not generated
    else:
        assert generated and all(d["name"].startswith("t") and d["name"] not in source for d in generated)
    assert all(doc["symbolic"][d["wrt"]] == d["formula"] for d in generated)
    point = doc["inputs"]
    for name, formula in doc["symbolic"].items():
        assert math.isclose(read_back(doc["definitions"], formula, point), doc["gradients"][name],
                            rel_tol=1e-12, abs_tol=1e-15), (name, formula)


def test_the_table_lists_the_names_under_where_and_names_a_derivative_in_its_row() -> None:
    code, out, _ = gradcli("z = w*x + b; p = sigmoid(z); loss = (p - y)**2", "--symbolic")
    assert code == 0
    assert "t1 = ∂loss/∂z" in out and "│ ∂loss/∂w      │ t1*x" in out
    assert out.endswith("where\n  z = w*x + b\n  p = sigmoid(z)\n")


def test_expand_writes_the_inputs_alone() -> None:
    code, out, _ = gradcli("z = w*x + b; p = sigmoid(z); loss = (p - y)**2", "--symbolic", "--expand",
                           "--format", "json")
    doc = json.loads(out)
    assert code == 0 and "definitions" not in doc
    assert doc["symbolic"]["w"] == "2*x*sigmoid(w*x + b)*(1 - sigmoid(w*x + b))*(sigmoid(w*x + b) - y)"
    code, out, _ = gradcli("h = x*w; y = sin(h)", "--format", "latex", "--expand")
    assert out.startswith("% written in the inputs (--expand)\n") and r"\text{where}" not in out
    assert r"\frac{\partial y}{\partial x} &= w \cdot \cos\left(w \cdot x\right)" in out


def test_expand_needs_formulas() -> None:
    code, out, err = gradcli("y = x*2", "--set", "x=1", "--expand")
    assert code == 2 and out == ""
    assert err.strip() == "error: --expand goes with --symbolic or --format latex"


def test_latex_writes_the_definitions_after_where_and_the_hessian_in_them() -> None:
    code, out, _ = gradcli("h = x*w; y = sin(h)", "--format", "latex", "--order", "2")
    assert code == 0
    lines = out.splitlines()
    assert lines[-3:] == [r"  \text{where } h &= w \cdot x \\", r"  y &= \sin\left(h\right)", r"\end{align*}"]
    hessian = next(line for line in lines if r"\mathbf{H}" in line)
    assert r"\cos\left(h\right) - w \cdot x \cdot y" in hessian  # ∂²y/∂x∂w = cos(h) - w*x*sin(h)


def test_the_outputs_of_a_jacobian_share_their_names() -> None:
    source = "x = 1.5; w = 2; h = x*w; y = sin(h) + h; z = y * h"
    code, out, _ = gradcli(source, "--of", "y", "--of", "z", "--symbolic", "--format", "json")
    doc = json.loads(out)
    names = [d["name"] for d in doc["definitions"]]
    assert code == 0 and len(names) == len(set(names)) and names[0] == "h"
    for output, formulas in doc["symbolic"].items():
        for name in ("x", "w"):
            expected = doc["jacobian"][output][name]
            assert math.isclose(read_back(doc["definitions"], formulas[name], doc["inputs"]), expected,
                                rel_tol=1e-12), (output, name)


def test_a_name_assigned_twice_is_numbered_and_the_formula_reads_back() -> None:
    source = "x = 0.7; x = sin(x)*x; x = sin(x)*x; y = x*x"
    d = derivatives(parse(source), ["x"])
    assert [name for name, _ in d.definitions()] == ["x_1", "x_2"]
    r = evaluate(source)
    where = [{"name": n, "formula": b.text} for n, b in d.definitions()]
    assert math.isclose(read_back(where, d.formulas["x"].text, {"x": 0.7}), r.gradients["x"], rel_tol=1e-12)


def test_like_terms_cancel_and_no_formula_prints_plus_minus() -> None:
    assert derivatives(parse("y = x/(1+c) - x/(1+c)")).formulas["x"].text == "0"
    assert derivatives(parse("y = x*y/(x*z)")).formulas["x"].text == "0"  # quotients cancel: y/z
    assert derivatives(parse("y = x/(1+c) - 2*x/(1+c)")).formulas["x"].text == "-1/(c + 1)"


def _chain(n: int) -> str:
    return "\n".join(f"x{i} = sin(x{i - 1}) * 1.01 + x{i - 1}**2 / 7" for i in range(1, n + 1))


def test_a_chain_gives_formulas_linear_in_its_length() -> None:
    sizes = {}
    for n in (100, 1000):
        start = time.perf_counter()
        code, out, err = gradcli(_chain(n), "--symbolic", "--format", "json")
        elapsed = time.perf_counter() - start
        assert code == 0, err
        doc = json.loads(out)
        # x1 ... x(n-1), and a name for each of their derivatives (each is passed on twice)
        assert len(doc["symbolic"]) == n and len(doc["definitions"]) == 2 * (n - 1)
        sizes[n] = len(out)
        assert max(len(f) for f in doc["symbolic"].values()) < 60
        assert elapsed < 30  # about 0.5 s of CPU here; generous for a loaded CI machine
    assert 9 < sizes[1000] / sizes[100] < 11  # linear: 10× the statements, 10× the text


def test_a_chain_read_back_at_a_point() -> None:
    source = "x0 = 0.3\n" + _chain(30)
    r = evaluate(source)
    d = derivatives(parse(source), {"x0": 0.3})
    where = [{"name": n, "formula": b.text} for n, b in d.definitions()]
    for name in ("x0", "x15", "x29"):
        value = read_back(where, d.formulas[name].text, {"x0": 0.3})
        assert math.isclose(value, r.gradients[name], rel_tol=1e-10), name


def test_a_formula_without_names_has_no_where_and_the_output_can_be_one() -> None:
    code, out, _ = gradcli("y = x**2 * sin(x)", "--symbolic")
    assert code == 0 and "where" not in out
    assert json.loads(gradcli("y = x**2 * sin(x)", "--symbolic", "--format", "json")[1])["definitions"] == []
    # d exp(x)/dx is exp(x): the output's own name
    doc = json.loads(gradcli("y = exp(x)", "--symbolic", "--format", "json")[1])
    assert doc["symbolic"] == {"x": "y"} and doc["definitions"] == [{"name": "y", "formula": "exp(x)"}]


def test_a_name_for_a_number_keeps_its_gradient() -> None:
    # w1 = 1 is a number, not an input (w1 was read as x before): its gradient is still shown (a case hypothesis found)
    source = "z = 1; w1 = x; x = 1; b = -1; w1 = 1; b + b + w1"
    d = derivatives(parse(source), {"x": 0.0})
    assert {k: f.text for k, f in d.formulas.items()} == {"x": "0", "z": "0", "b": "2", "w1": "1"}
    assert evaluate(source, {"x": 0.0}).gradients == {"x": 0.0, "z": 0.0, "b": 2.0, "w1": 1.0}


def test_a_negated_product_after_a_division_keeps_its_parentheses() -> None:
    # x/-y*z reads as (x/-y)*z: a negated product is wrapped as a product is (benchmarks/formulas.py found it)
    from gradcli.interpret.algebra import Algebra
    from gradcli.language.ops import OPS

    alg = Algebra()
    x, y, z = alg.sym("x"), alg.sym("y"), alg.sym("z")
    negated = alg.make(OPS["neg"], (alg.make(OPS["mul"], (y, z)),))
    point = {"x": 3.0, "y": 2.0, "z": 5.0}
    for op, expected in (("div", 3 / -10), ("mul", 3 * -10), ("sub", 3 + 10), ("pow", None)):
        e = alg.make(OPS[op], (x, negated) if op != "pow" else (negated, alg.num(2.0)))
        value = run(parse(e.text), point, strict=False).value
        assert value == (expected if expected is not None else 100.0), (op, e.text)
