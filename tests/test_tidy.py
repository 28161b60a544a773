"""Formulas people can read (#15): a derivative as one fraction with like terms met, signs as a
reader writes them, and repeated pieces named (where t1 = ...).

Worked examples are checked twice: the text gradcli prints, and that text's value against SymPy's
derivative of the program (an answer that shares no code with gradcli) at points. Random programs
check the properties: tidying an expression never lengthens it nor changes its value, no sum
starts with a minus when it has a plus term to start with, and text, JSON and LaTeX name the
same pieces.
"""

from __future__ import annotations

import json
import math
import re

import pytest
import sympy
from click.testing import CliRunner
from hypothesis import assume, given

from gradcli import evaluate
from gradcli.bindings import bind
from gradcli.errors import GradcliError, MathError
from gradcli.front.cli import cli
from gradcli.interpret.algebra import Algebra, Expr
from gradcli.interpret.program import run
from gradcli.interpret.symbolic import FormulaTooLarge, derivatives
from gradcli.interpret.tidy import Tidy
from gradcli.language.ops import INPUT, OPS
from gradcli.language.parser import parse
from tests.programgen import fuzz_settings, programs

_SYMPY = {"sin": sympy.sin, "cos": sympy.cos, "exp": sympy.exp, "log": sympy.log,
          "sigmoid": lambda u: 1 / (1 + sympy.exp(-u))}


def sympy_derivative(source: str, name: str) -> sympy.Expr:
    """d(last statement)/d(name) by SymPy, from the program's text (statements substituted in)."""
    env: dict[str, object] = dict(_SYMPY)
    value = None
    for statement in source.split(";"):
        target, text = (s.strip() for s in statement.split("=", 1))
        value = sympy.sympify(text.replace("^", "**"), locals=env, rational=True)
        env[target] = value
    return sympy.diff(value, sympy.Symbol(name))


def assert_same_value(ours: str, theirs: sympy.Expr, points: list[dict[str, float]]) -> None:
    env: dict[str, object] = dict(_SYMPY)
    mine = sympy.sympify(ours, locals=env, rational=True)
    for point in points:
        at = {sympy.Symbol(k): sympy.Rational(v) for k, v in point.items()}
        a, b = mine.subs(at).evalf(30), theirs.subs(at).evalf(30)
        assert abs(a - b) <= 1e-20 * max(1, abs(b)), (ours, theirs, point)


POINTS = [{"x": 0.7, "y": 1.3, "z": 2.3, "w": -0.4, "b": 0.9}, {"x": 1.9, "y": 0.2, "z": 0.6, "w": 1.1, "b": -2.0}]


@pytest.mark.parametrize("source, name, expected", [
    # a common denominator, and what cancels over it: -(x - z)/(x*(z/x - 1)**2) - 1/(z/x - 1) + ... is 1
    ("v0 = z - x; v7 = v0 / x; v8 = v0 / v7; y = v8 + cos(x)", "x", "1 - sin(x)"),
    ("y = (x + z)/x", "x", "-z/x**2"),  # 1/x - (x + z)/x**2
    ("u = 2/(z + log(x)); v = u/0.5; w = u/v; y = w - u - 0.5", "z", "2/(z + log(x))**2"),
    # the cross-entropy of a sigmoid: (p - 1)*(y + p*(y - 1)/(1 - p)) is p - y
    ("loss = -(y*log(sigmoid(w*x + b)) + (1 - y)*log(1 - sigmoid(w*x + b)))", "w", "x*(sigmoid(w*x + b) - y)"),
    ("y = exp(x + 2)/3/4", "x", "exp(x + 2)/12"),  # exact numbers: not 0.08333333333333333*exp(x + 2)
    ("y = (log(z)*4/3 - 1)**2", "z", "(32*log(z)/9 - 8/3)/z"),  # not 3.5555555555555554*log(z) - ...
    # a shared exp(...) taken out of a sum, and exp(-x**2) meeting exp(x**2)
    ("v0 = x**2; v3 = exp(v0); v4 = v3/(v0 + v0); v5 = v0 + v3; v6 = v5/v4; v8 = (v6 + v5)*0.5; y = exp(v8)", "x",
     "x*exp(x**4*exp(-x**2) + 0.5*x**2 + 0.5*exp(x**2))*(exp(x**2)*(exp(x**2) + 3) - 2*x**4 + 4*x**2)"),
    ("y = exp(log(x*(1/z - z)) - z)", "x", "exp(-z)*(1 - z**2)/z"),  # exp(log(u) + v) is u*exp(v)
    ("loss = (w*x + b - z)^2", "z", "2*(z - w*x - b)"),  # the minus taken into the sum: not -2*(w*x + b - z)
])
def test_worked_examples_read_as_a_person_would_write_them(source: str, name: str, expected: str) -> None:
    d = derivatives(parse(source), expand=True)
    assert d.formulas[name].text == expected
    assert_same_value(expected, sympy_derivative(source, name), POINTS)


def _output_expr(source: str, values: dict[str, float]) -> tuple[Algebra, Expr]:
    """The program's output as a formula in its inputs, simplified only as it is built."""
    b = bind(parse(source), values, None, free=True)
    alg = Algebra()
    exprs: list[Expr] = []
    for op, args, value, label in zip(b.ops, b.args, b.values, b.labels):
        if args:
            exprs.append(alg.apply(op, *[exprs[a] for a in args]))
        else:
            exprs.append(alg.sym(label) if op is INPUT else alg.num(value))
    return alg, exprs[b.output]


@given(programs())
@fuzz_settings(150)
def test_tidying_never_lengthens_a_formula_nor_changes_its_value(p) -> None:  # type: ignore[no-untyped-def]
    try:
        point = {name: v.data for name, v in evaluate(p.source, p.values).inputs.items()}
        alg, e = _output_expr(p.source, p.values)
    except (GradcliError, FormulaTooLarge):
        assume(False)
        return
    tidied = Tidy(alg)(e)
    assert len(tidied.text) <= len(e.text), (e.text, tidied.text)
    try:
        before, after = run(parse(e.text), point, strict=False).value, run(parse(tidied.text), point, strict=False).value
    except MathError:
        return  # cancelled away a division by 0 the program makes (x/x is 1), or left a domain rounding stayed in
    assert math.isclose(before, after, rel_tol=1e-7, abs_tol=1e-9), (e.text, tidied.text, before, after)


def _sums_start_with_a_plus(e: Expr) -> bool:
    """Every sum in e that has a term added with + starts with a term that has no minus."""
    stack, seen = [e], set()
    while stack:
        x = stack.pop()
        if id(x) in seen or x.op is None:
            continue
        seen.add(id(x))
        if x.op in (OPS["add"], OPS["sub"]):
            first, plus = x, False
            while first.op in (OPS["add"], OPS["sub"]):
                plus = plus or (first.op is OPS["add"] and not first.args[1].text.startswith("-"))
                first = first.args[0]
            if plus and first.text.startswith("-"):
                return False
        stack.extend(x.args)
    return True


@given(programs())
@fuzz_settings(150)
def test_signs_read_as_written_by_hand(p) -> None:  # type: ignore[no-untyped-def]
    """p - y, never -y + p or y + -p, in every formula, definition and LaTeX line (no ``+ -`` nor
    ``- -`` printed anywhere: issue #15's ``1/(c + 1) + -1/(c + 1)``)."""
    for expand in (False, True):
        try:
            d = derivatives(parse(p.source), p.values, p.output, expand=expand)
        except FormulaTooLarge:
            continue
        except GradcliError:
            assume(False)
            return
        exprs = list(d.formulas.values()) + [b for _, b in d.definitions()]
        for e in exprs:
            assert not any(bad in t for bad in ("+ -", "- -") for t in (e.text, e.latex)), (e.text, e.latex)
            assert _sums_start_with_a_plus(e), e.text


# ----- names for repeated pieces (cse) -----------------------------------------------
CROSS_ENTROPY = "loss = -(y*log(sigmoid(w1*x1 + w2*x2 + b)) + (1 - y)*log(1 - sigmoid(w1*x1 + w2*x2 + b)))"


def gradcli(*args: str) -> str:
    r = CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.stderr
    return r.stdout


def test_a_repeated_piece_is_named_the_same_in_text_json_and_latex() -> None:
    table = gradcli(CROSS_ENTROPY, "--symbolic")
    doc = json.loads(gradcli(CROSS_ENTROPY, "--symbolic", "--format", "json"))
    latex = gradcli(CROSS_ENTROPY, "--format", "latex")
    assert doc["definitions"] == [{"name": "t1", "formula": "sigmoid(w1*x1 + w2*x2 + b)"}]
    assert doc["symbolic"]["w1"] == "x1*(t1 - y)" and doc["symbolic"]["b"] == "t1 - y"
    assert table.endswith("where\n  t1 = sigmoid(w1*x1 + w2*x2 + b)\n")
    assert "│ ∂loss/∂w1  │ x1*(t1 - y)" in table
    assert "\\text{where } t_{1} &= \\sigma\\left(w_{1} \\cdot x_{1} + w_{2} \\cdot x_{2} + b\\right)" in latex
    assert "\\frac{\\partial \\mathrm{loss}}{\\partial w_{1}} &= x_{1} \\cdot \\left(t_{1} - y\\right)" in latex
    # each formula is the piece written out: the names make the output shorter, and say the same
    d = derivatives(parse(CROSS_ENTROPY), expand=True)
    written_out = sum(len(d.formulas[name].text) for name in doc["symbolic"])
    named = sum(len(f) for f in doc["symbolic"].values()) + sum(len(e["name"]) + len(e["formula"]) + 5
                                                                  for e in doc["definitions"])
    assert named < written_out
    for name, formula in doc["symbolic"].items():
        assert d.formulas[name].text == formula.replace("t1", "sigmoid(w1*x1 + w2*x2 + b)")


def test_a_name_for_a_piece_is_never_one_the_program_uses_and_reads_back() -> None:
    source = "t1 = 0.5; x1 = 2; w1 = -1; b = 0.25; y = 1; " + CROSS_ENTROPY.replace("w2*x2", "t1")
    doc = json.loads(gradcli(source, "--symbolic", "--format", "json"))
    assert [e["name"] for e in doc["definitions"]] == ["t2"] and "t1" in doc["symbolic"]
    for name, formula in doc["symbolic"].items():
        program = "".join(f"{e['name']} = {e['formula']}\n" for e in doc["definitions"]) + formula
        assert math.isclose(run(parse(program), doc["inputs"], strict=False).value, doc["gradients"][name],
                            rel_tol=1e-12, abs_tol=1e-15), (name, formula)


def test_a_piece_is_named_only_when_that_is_shorter() -> None:
    doc = json.loads(gradcli("y = sin(w*x + b)**2", "--symbolic", "--format", "json"))
    assert doc["definitions"] == []  # cos(w*x + b) and sin(w*x + b) three times each: a name saves too little
    assert doc["symbolic"]["w"] == "2*x*cos(w*x + b)*sin(w*x + b)"
    doc = json.loads(gradcli("y = sin(w*x + b)**2 + cos(w*x + b)", "--symbolic", "--format", "json"))
    assert doc["definitions"] == [{"name": "t1", "formula": "2*cos(w*x + b) - 1"}]  # saves 21 characters
    assert doc["symbolic"]["w"] == "x*sin(w*x + b)*t1"


def test_expand_names_nothing() -> None:
    doc = json.loads(gradcli(CROSS_ENTROPY, "--symbolic", "--expand", "--format", "json"))
    assert "definitions" not in doc and not any(re.search(r"\bt\d", f) for f in doc["symbolic"].values())
    assert doc["symbolic"]["w1"] == "x1*(sigmoid(w1*x1 + w2*x2 + b) - y)"
