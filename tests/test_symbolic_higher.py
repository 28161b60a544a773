"""--symbolic --order N: second and higher derivatives as formulas.

Each formula is checked against an answer found another way: worked examples
by hand, SymPy's derivatives of the same expressions, and, for random
programs, the numbers of ``higher.derivative_table`` (a create_graph backward
pass over Values, sharing none of the symbolic code) at the program's point.
"""

from __future__ import annotations

import math
from itertools import combinations_with_replacement

import pytest
import sympy
from hypothesis import assume, event, given, note

from gradcli import evaluate
from gradcli.errors import GradcliError, MathError
from gradcli.interpret.higher import derivative_table
from gradcli.interpret.program import run
from gradcli.interpret.symbolic import (
    Algebra,
    Derivatives,
    FormulaTooLarge,
    derivatives,
)
from gradcli.interpret.symbolic_higher import expr_gradients, formula_table
from gradcli.language.ops import CONSTANTS, OPS
from gradcli.language.parser import NAME, parse
from tests.programgen import GeneratedProgram, fuzz_settings, programs


def table(source: str, order: int, given: dict[str, float] | None = None) -> dict[tuple[str, ...], str]:
    # written in the inputs alone (--expand): the worked examples are formulas of the inputs
    return {k: f.text for k, f in formula_table(derivatives(parse(source), given or {}, expand=True), order).items()}


def value(text: str, point: dict[str, float]) -> float:
    """A formula read back by gradcli at ``point`` (which may give names the formula does not use)."""
    return run(parse(text), point, strict=False).value


# ----- worked examples ---------------------------------------------------------------
def test_a_cubic() -> None:
    # y = x**3 + 2x: y'' = 6x, y''' = 6, y'''' = 0
    assert table("y = x**3 + 2*x", 2) == {("x", "x"): "6*x"}
    assert table("y = x**3 + 2*x", 3) == {("x", "x", "x"): "6"}
    assert table("y = x**3 + 2*x", 4) == {("x", "x", "x", "x"): "0"}
    # the program's own point: the formula and the numbers agree
    r = evaluate("x = 2; y = x**3 + 2*x")
    assert derivative_table(r, 2)[1] == {("x", "x"): 12.0}
    assert value(table("x = 2; y = x**3 + 2*x", 2)[("x", "x")], {"x": 2.0}) == 12.0


def test_order_one_is_the_first_derivatives() -> None:
    d = derivatives(parse("y = x**3 + 2*x"))
    assert formula_table(d, 1) == {("x",): d.formulas["x"]}
    with pytest.raises(ValueError):
        formula_table(d, 0)


def test_mixed_partials_once_in_the_order_of_the_inputs() -> None:
    # f = x w**2 + x**2 w: f_xx = 2w, f_xw = 2w + 2x, f_ww = 2x
    t = table("f = x*w**2 + x**2*w", 2)
    assert set(t) == {("x", "x"), ("x", "w"), ("w", "w")}  # x comes first in the program: never ('w', 'x')
    point = {"x": 1.5, "w": -0.5}
    assert value(t[("x", "x")], point) == 2 * -0.5
    assert value(t[("x", "w")], point) == 2 * -0.5 + 2 * 1.5
    assert value(t[("w", "w")], point) == 2 * 1.5
    # given names come first, in the order given
    assert set(table("f = x*w**2 + x**2*w", 2, {"w": 1.0, "x": 2.0})) == {("w", "w"), ("w", "x"), ("x", "x")}


def test_third_order_of_sin_times_w() -> None:
    # y = sin(x) w: y_xxx = -cos(x) w, y_xxw = -sin(x), y_xww = y_www = 0
    t = table("y = sin(x)*w", 3)
    assert t == {("x", "x", "x"): "-w*cos(x)", ("x", "x", "w"): "-sin(x)", ("x", "w", "w"): "0",
                 ("w", "w", "w"): "0"}
    r = evaluate("y = sin(x)*w", {"x": 0.7, "w": 1.3})
    _, numbers = derivative_table(r, 3)
    for key, text in t.items():
        assert value(text, {"x": 0.7, "w": 1.3}) == pytest.approx(numbers[key], rel=1e-12, abs=1e-15)
    assert numbers[("x", "x", "x")] == pytest.approx(-math.cos(0.7) * 1.3, rel=1e-12)


def test_a_name_reassigned_inside_the_program() -> None:
    # a is reassigned (a = x**2 + x at the end); x = 5 is overridden by the given x = 2, so x stays the input
    source = "x = 5; a = x * w; a = a * x + x; y = a * w"  # y = x**2 w**2 + x w
    given_values = {"x": 2.0, "w": 3.0}
    t = table(source, 2, given_values)
    assert t == {("x", "x"): "2*w**2", ("x", "w"): "4*w*x + 1", ("w", "w"): "2*x**2"}
    _, numbers = derivative_table(evaluate(source, given_values), 2)
    assert {k: value(f, given_values) for k, f in t.items()} == numbers == {
        ("x", "x"): 18.0, ("x", "w"): 25.0, ("w", "w"): 8.0}


def test_an_input_reassigned_by_the_program() -> None:
    # y = (3x)**2 w = 9 x**2 w: d2y/dx dw = 18x with respect to the input x, whatever the inputs' order
    source = "x = x * 3; y = x**2 * w"
    xw = table(source, 2, {"x": 1.0, "w": 1.0})[("x", "w")]  # from formulas['x'] = 6*x*w: 6x
    wx = table(source, 2, {"w": 1.0, "x": 1.0})[("w", "x")]  # from formulas['w'] = 9*x**2: 18x
    assert value(wx, {"x": 1.0}) == 18.0
    assert value(xw, {"x": 1.0, "w": 1.0}) == 18.0


def test_constants_stay_constants() -> None:
    t = table("y = pi * x**2 + e * x", 2)
    assert t == {("x", "x"): "2*pi"}
    # where the program has a variable named pi, the constant is written as its number
    t = table("a = x * pi; pi = 2; y = a * pi * x", 2, {"x": 1.0})
    assert value(t[("x", "x")], {"x": 1.0, "pi": 2.0}) == pytest.approx(2 * math.pi * 2, rel=1e-15)


def test_expr_gradients_of_leaves() -> None:
    alg = Algebra()
    x, y = alg.sym("x"), alg.sym("y")
    assert expr_gradients(alg, x, [x, y]) == [alg.one, alg.zero]
    assert expr_gradients(alg, alg.num(3.0), [x]) == [alg.zero]
    assert expr_gradients(alg, alg.constant("pi", math.pi), [x]) == [alg.zero]
    f = alg.apply(OPS["mul"], alg.constant("pi", math.pi), alg.apply(OPS["sin"], x))
    assert [g.text for g in expr_gradients(alg, f, [y, x])] == ["0", "pi*cos(x)"]


def test_a_deep_formula_needs_no_recursion() -> None:
    # sin(x) + x + x + ... left unsimplified: 3000 levels deep, past Python's recursion limit
    alg = Algebra()
    x = alg.sym("x")
    f = alg.apply(OPS["sin"], x)
    for _ in range(3000):
        f = alg.make(OPS["add"], (f, x))
    (g,) = expr_gradients(alg, f, [x])
    assert value(g.text, {"x": 0.5}) == pytest.approx(math.cos(0.5) + 3000, rel=1e-15)
    (h,) = expr_gradients(alg, g, [x])
    assert h.text == "-sin(x)"


def test_too_large_is_refused_cleanly() -> None:
    # written in the input (--expand), the first and second derivatives fit; the third ones are over
    # the algebra's limit on a formula's text
    d = derivatives(parse("y = " + "*".join(f"sin(x + {k})" for k in range(1, 13))), expand=True)
    assert formula_table(d, 2)
    with pytest.raises(FormulaTooLarge, match="too large to show as a formula"):
        formula_table(d, 3)


# ----- against SymPy -------------------------------------------------------------
SMOOTH = [
    ("y = x**3 * sin(x)", 3),
    ("y = exp(-x**2/2) / sqrt(2*pi)", 3),
    ("y = tanh(x) * log(1 + x**2) - cos(x)/(2 + x**2)", 2),
    ("y = sigmoid(3*x - 1) ** 2 + tan(x/4)", 2),
    ("z = x**y * exp(x*y) + y/x", 2),
    ("o = tanh(x1*w1 + x2*w2 + b)", 2),
    ("f = sqrt(u*v + 1) * exp(w*u) / (1 + v**2)", 3),
]


def _to_sympy(text: str) -> sympy.Expr:
    # test-only translation: gradcli's syntax is Python's for these; 0.5 read as exactly 1/2
    names = {"sigmoid": lambda u: 1 / (1 + sympy.exp(-u)), "log": sympy.log, "exp": sympy.exp, "pi": sympy.pi,
             "e": sympy.E}
    return sympy.sympify(text, locals=names, rational=True)


@pytest.mark.parametrize("expand", [False, True])
@pytest.mark.parametrize("source, order", SMOOTH)
def test_formulas_equal_sympy_derivatives(source: str, order: int, expand: bool) -> None:
    d = derivatives(parse(source), expand=expand)
    t = formula_table(d, order)
    target = _to_sympy(source.split("=", 1)[1])
    assert list(t) == [tuple(d.inputs[i] for i in key)
                       for key in combinations_with_replacement(range(len(d.inputs)), order)]
    symbols = [sympy.Symbol(name) for name in d.inputs]
    # equal at two points to 30 digits (sympy.simplify is slow and cannot always tell x**(y-1)*x from x**y)
    points = [{s: sympy.Rational(3 + 2 * i, 10) for i, s in enumerate(symbols)},
              {s: sympy.Rational(17 - 3 * i, 7) for i, s in enumerate(symbols)}]
    for key, f in t.items():
        theirs = sympy.diff(target, *[sympy.Symbol(n) for n in key])
        ours = _to_sympy(f.text)
        for name, body in reversed(d.definitions(t.values())):  # the names it is written in, replaced
            ours = ours.subs(sympy.Symbol(name), _to_sympy(body.text))
        for point in points:
            expected = theirs.subs(point).evalf(30)
            assert abs((ours.subs(point) - expected).evalf(30)) < 1e-25 * max(1, abs(expected)), (key, f.text, point)


# ----- random programs against the numbers of derivative_table --------------------------
def _names_used(text: str, functions: str = "") -> set[str]:
    """The names ``text`` reads, after the program's function definitions ``functions`` (whose
    bodies read only their parameters)."""
    return {ins.payload for ins in parse(functions + text).code if ins.kind == NAME}


def _check_table(p: GeneratedProgram, order: int) -> None:
    try:
        r = evaluate(p.source, p.values, p.output)
        names, numbers = derivative_table(r, order)
    except GradcliError:  # a math error, or a given value computed over (tested on its own)
        assume(False)
        return
    try:
        d: Derivatives = derivatives(parse(p.source), p.values, p.output)
        t = formula_table(d, order)
    except FormulaTooLarge:
        assume(False)
        return
    # the point: each input's value
    point = {name: v.data for name, v in r.inputs.items()}
    assert names == list(point) == d.inputs
    # the formulas are written in the inputs, the constants that no variable shadows and the names
    # defined for them (each defined in the same terms, or in names defined before it)
    where = d.definitions(t.values())
    allowed = set(point) | (set(CONSTANTS) - set(point))
    # a value named by a call of the program's own function (f(a) = ...) is that call: the program's
    # definitions come first, and the call computes it
    functions = "".join(p.source[f.start:f.end] + "\n" for f in parse(p.source).functions)
    for name, body in where:
        assert _names_used(body.text, functions) <= allowed, (name, body.text, sorted(allowed))
        allowed.add(name)
    program = functions + "".join(f"{name} = {body.text}\n" for name, body in where if "(" not in name)
    assert set(t) == set(numbers)
    for key, expected in numbers.items():
        ours = t[key]
        assert _names_used(ours.text, functions) <= allowed, (key, ours.text, sorted(allowed))
        if math.isnan(expected):  # undefined in the engine (inf * 0), where the simplified formula may hold a number
            event("the engine's derivative is undefined: not compared")
            continue
        try:
            got = value(program + ours.text, point)
        except MathError:
            event("a formula raised MathError at the point: not compared")
            continue  # the formula leaves a domain that the rounding of the program stayed in
        note(f"{key}: {ours.text} = {got}, expected {expected}")
        assert math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-9), (key, ours.text, got, expected)


@given(programs())
@fuzz_settings(120)
def test_second_derivative_formulas_give_the_numbers(p: GeneratedProgram) -> None:
    _check_table(p, 2)


@given(programs(max_statements=5, max_depth=3))
@fuzz_settings(40)
def test_third_derivative_formulas_give_the_numbers(p: GeneratedProgram) -> None:
    _check_table(p, 3)
