"""--symbolic: derivatives as formulas, checked against SymPy and against the numbers."""

from __future__ import annotations

import math

import pytest
import sympy
from hypothesis import assume, event, given

from gradcli import evaluate
from gradcli.errors import GradcliError, MathError
from gradcli.interpret.program import run
from gradcli.interpret.symbolic import Derivatives, Expr, FormulaTooLarge, derivatives
from gradcli.language.parser import parse
from tests.programgen import fuzz_settings, programs


def formulas(source: str, given: tuple[str, ...] = ()) -> dict[str, str]:
    d = derivatives(parse(source), given)
    return {name: f.text for name, f in d.formulas.items() if name != d.output_name}


@pytest.mark.parametrize("source, expected", [
    ("y = x**2 * sin(x)", {"x": "x*(2*sin(x) + x*cos(x))"}),  # shared factors taken out
    ("d = (a+3) + a*2", {"a": "3"}),
    ("a = 2; b = a + 3; c = a * 2; d = b + c", {"a": "3", "b": "1", "c": "1"}),
    ("y = (x+1)*(x-1)", {"x": "2*x"}),
    ("y = x*x*x*x - 4*x", {"x": "4*x**3 - 4"}),
    ("y = sin(x)/x", {"x": "cos(x)/x - sin(x)/x**2"}),
    ("y = log(1 + exp(x))", {"x": "exp(x)/(exp(x) + 1)"}),  # numbers end a sum
    ("y = x - x", {"x": "0"}),
    ("y = pi*x**2", {"x": "2*pi*x"}),
    ("y = relu(x) + abs(x)", {"x": "step(x) + sign(x)"}),
    ("loss = (w*x + b - t)^2", {"w": "2*x*(w*x + b - t)", "x": "2*w*(w*x + b - t)", "b": "2*(w*x + b - t)",
                                "t": "2*(t - w*x - b)"}),  # the sign taken into the sum, not -2*(w*x + b - t)
])
def test_simplified_formulas(source: str, expected: dict[str, str]) -> None:
    assert formulas(source) == expected


def test_formulas_without_values_and_with_inputs_in_the_program() -> None:
    # x has no value anywhere: it is a symbol; w = 3 is an input, so a symbol too
    assert formulas("w = 3; y = w * x**2") == {"w": "x**2", "x": "2*w*x"}


def test_named_intermediates_get_their_own_partials() -> None:
    # b and c are the same expression, yet d depends on them differently
    assert formulas("b = x*2; c = x*2; d = b + 3*c") == {"x": "8", "b": "1", "c": "3"}


def test_formula_too_large_is_a_clean_error() -> None:
    # written in the input alone (--expand); in the program's names it is a formula of 40 factors
    source = "x = 1\n" + "\n".join("x = sin(x) * x" for _ in range(40))
    with pytest.raises(GradcliError, match="too large to show as a formula"):
        derivatives(parse(source), expand=True)
    named = derivatives(parse(source))
    assert named.formulas["x"].text.count(" + sin(") == 40  # a factor per statement: (x_k*cos(x_k) + sin(x_k))
    assert [name for name, _ in named.definitions()] == [f"x_{k}" for k in range(1, 40)]


SMOOTH = [
    "y = x**2 * sin(x)",
    "y = exp(-x**2/2) / sqrt(2*pi)",
    "y = tanh(x) * log(1 + x**2) - cos(x)/(2 + x**2)",
    "y = sigmoid(3*x - 1) ** 2 + tan(x/4)",
    "z = x**y * exp(x*y) + y/x",
    "o = tanh(x1*w1 + x2*w2 + b)",
]


def _to_sympy(text: str) -> sympy.Expr:
    # test-only translation: gradcli's syntax is Python's for these, with ^ for **
    names = {"sigmoid": lambda u: 1 / (1 + sympy.exp(-u)), "log": sympy.log, "exp": sympy.exp, "pi": sympy.pi}
    return sympy.sympify(text.replace("^", "**"), locals=names, rational=True)  # 0.25 read as exactly 1/4


def _in_the_inputs(d: Derivatives, text: str) -> sympy.Expr:
    """A formula in SymPy, its names replaced by what they stand for (the last defined first)."""
    e = _to_sympy(text)
    for name, body in reversed(d.definitions()):
        e = e.subs(sympy.Symbol(name), _to_sympy(body.text))
    return e


@pytest.mark.parametrize("expand", [False, True])
@pytest.mark.parametrize("source", SMOOTH)
def test_formulas_equal_sympy_derivatives(source: str, expand: bool) -> None:
    d = derivatives(parse(source), expand=expand)
    target = _to_sympy(source.split("=", 1)[1])
    assert not d.definitions() if expand else True
    for name in d.inputs:
        ours = _in_the_inputs(d, d.formulas[name].text)
        theirs = sympy.diff(target, sympy.Symbol(name))
        difference = ours - theirs  # simplify cannot always tell x**(y-1)*x from x**y: powsimp can
        assert sympy.simplify(difference) == 0 or sympy.powsimp(sympy.expand(difference)) == 0, (
            name, d.formulas[name].text)


@given(programs())
@fuzz_settings(150)
def test_every_formula_parses_back_and_gives_the_numeric_gradient(p) -> None:
    try:
        r = evaluate(p.source, p.values, p.output)
    except GradcliError:  # a math error, or a given value the program computes over (tested on its own)
        assume(False)
        return
    # the value of each input symbol: the input of that name
    inputs = {name: v.data for name, v in r.inputs.items()}
    for expand, by_function in ((False, False), (True, False), (False, True)):
        try:
            d = derivatives(parse(p.source), p.values, p.output, expand=expand, by_function=by_function)
        except FormulaTooLarge:
            assert expand  # written in the program's names, a formula is never too large for a small program
            continue  # refused with a clear error: nothing to read back
        where = d.definitions()
        for name, f in d.formulas.items():
            if name == d.output_name:
                continue
            try:
                value = read_back(f.text, inputs, where, p.source, d.function_heads)
            except MathError:
                continue  # the formula leaves a domain the rounding of the program stayed in
            expected = r.gradients[name]
            if math.isnan(expected):
                # undefined in the engine: an infinite local derivative met a zero (acos'(1) * 0), where
                # the formula, simplified (0 * anything is 0), may rightly hold a number
                event("the engine's gradient is undefined: not compared")
                continue
            assert math.isclose(value, expected, rel_tol=1e-7, abs_tol=1e-9), (name, f.text, where, value, expected)


def read_back(formula: str, inputs: dict[str, float], where: list[tuple[str, Expr]] = (),  # type: ignore[assignment]
              source: str = "", heads: set[str] = frozenset()) -> float:  # type: ignore[assignment]
    """A formula's value, read back by gradcli with the program's inputs (those it uses), after the
    definitions ``where`` (each name = its formula, in order) as statements of the same program.
    A definition named by a call of the program's own function (``n(a, c) = ...``) is that call:
    the program's function definitions (from ``source``) come first, and the call computes it; a
    function's own derivative (``df_dx(x) = ...``, in ``heads``) is a definition of the language."""
    program = parse(source) if source else None
    functions = "".join(source[f.start:f.end] + "\n" for f in program.functions) if program else ""
    lines = "".join(f"{name} = {body.text}\n" for name, body in where if "(" not in name or name in heads)
    return run(parse(functions + lines + formula), inputs, strict=False).value


def test_a_constant_and_a_variable_of_the_same_name_never_share_a_formula() -> None:
    # pi is the constant in 'a = x * pi' and a variable from 'pi = 2' on: each formula reads back to its value
    for source, values in [("a = x * pi; pi = 2; y = a * pi", {"x": 1.0}), ("y = e * x; e = 3; z = y * e", {"x": 2.0}),
                           ("y = sin(pi) + pi * x", {"x": 1.0, "pi": 4.0})]:
        r = evaluate(source, values)
        d = derivatives(parse(source), values)
        inputs = {name: v.data for name, v in r.inputs.items()}
        for name, f in d.formulas.items():
            if name != d.output_name:
                value = read_back(f.text, inputs, d.definitions())
                assert math.isclose(value, r.gradients[name], rel_tol=1e-12), (name, f.text)
    d = derivatives(parse("a = x * pi; pi = 2; y = a * pi"), ["x"])
    assert d.formulas["x"].text == "3.141592653589793*pi"
