"""The rules for names (bindings.bind), which every interpretation reads: numbers, formulas, sweeps."""

from __future__ import annotations

import math

import pytest

from gradcli import evaluate
from gradcli.bindings import bind
from gradcli.errors import GradcliError, NothingToDifferentiateError
from gradcli.interpret.check import gradient_check
from gradcli.interpret.higher import derivative_table
from gradcli.interpret.symbolic import derivatives
from gradcli.language.ops import INPUT
from gradcli.language.parser import parse
from gradcli.views.render import summary


@pytest.mark.parametrize("source, given, expected", [
    ("x = 2", {}, {"x": 2.0}),
    ("x = -2.5", {}, {"x": -2.5}),  # a negative literal is one number
    ("x = (+2)", {}, {"x": 2.0}),
    ("h0 = -(-2)", {}, {"h0": 2.0}),
    ("x = pi", {}, {"x": math.pi}),
    ("x = -pi", {}, {"x": -math.pi}),  # numbers and constants only: folded to one number
    ("x = 2 * 3", {}, {"x": 6.0}),
    ("h0 = 2+3; h1 = 1/3; y = h0 * h1", {}, {"h0": 5.0, "h1": 1 / 3}),
    ("pi = 3; x = pi", {}, {"pi": 3.0}),  # pi is a variable now: x is another name for it
    ("x = 2; y = x", {}, {"x": 2.0}),
    ("a = 2; x = a * 2; x = 5", {}, {"a": 2.0}),  # x depended on a name: never an input after
    ("x = 2; x = 3; y = x * x", {}, {"x": 3.0}),  # set again before it was read
    ("x = 2; y = x; x = 3; z = x + y", {}, {"x": 2.0}),  # read, then a number: a constant, no input
    ("x = 2; x = 3; y = x", {"x": 5.0}, {"x": 5.0}),  # a given value overrides every default
    ("x = x * 2; x = 3", {"x": 1.0}, {"x": 1.0}),
    ("y = x * 2", {"x": 1.0}, {"x": 1.0}),
])
def test_the_input_rule(source: str, given: dict[str, float], expected: dict[str, float]) -> None:
    b = bind(parse(source), given)
    assert b.input_values() == pytest.approx(expected)
    assert [b.ops[n] for n in b.inputs.values()] == [INPUT] * len(expected)
    # one input node per name, and no other input nodes
    assert sum(op is INPUT for op in b.ops) == len(expected)


@pytest.mark.parametrize("source, given, message", [
    ("y = 2 * a", {"a": 1.0, "nosuch": 3.0}, "--set nosuch: the program has no input 'nosuch' (inputs: a)"),
    ("a = 1; z = 2 * a", {"z": 3.0},
     "--set z: the program computes 'z' at line 1, column 8 before it uses the given value (inputs: a)"),
    ("x = 2; x = a * 3", {"x": 3.0, "a": 1.0},  # the number was a default, then x is computed
     "--set x: the program computes 'x' at line 1, column 8 before it uses the given value (inputs: a)"),
])
def test_a_given_value_must_be_an_input(source: str, given: dict[str, float], message: str) -> None:
    with pytest.raises(GradcliError) as e:
        bind(parse(source), given)
    assert e.value.message == message
    with pytest.raises(GradcliError) as api:
        evaluate(source, given)
    assert api.value.message == message.removeprefix("--set ")


def test_a_reassigned_input_keeps_its_gradient_everywhere() -> None:
    source = "x = 2; x = x*x; x = x*x"  # x**4 at 2: 16, and d/dx = 4 * 8 = 32
    r = evaluate(source)
    assert r.value == 16.0 and r.gradients == {"x": 32.0}
    assert summary(r) == "x = 16.0000   ∂x/∂x = 32.0000"
    assert r.to_json()["gradients"] == {"x": 32.0} and r.to_json()["inputs"] == {"x": 2.0}
    d = derivatives(parse(source), expand=True)
    assert {k: f.text for k, f in d.formulas.items()} == {"x": "4*x**3"}
    named = derivatives(parse(source))  # in the program's names: the middle x is a name of its own
    assert named.formulas["x"].text == "4*x*x_1" and [(n, b.text) for n, b in named.definitions()] == [("x_1", "x**2")]
    assert gradient_check(r).rows[0].name == "x" and gradient_check(r).ok
    names, table = derivative_table(r, 2)
    assert names == ["x"] and table == {("x", "x"): pytest.approx(48.0)}  # 12 x**2


@pytest.mark.parametrize("source, message", [
    ("a = 1; b = a * x", "--of z: the program has no variable 'z' (variables: x, a, b)"),
    ("x = 1", "--of z: the program has no variable 'z' (variables: x)"),
])
def test_of_a_missing_variable_is_one_message(source: str, message: str) -> None:
    with pytest.raises(NothingToDifferentiateError) as numeric:
        evaluate(source, {"x": 1.0}, output="z")
    with pytest.raises(NothingToDifferentiateError) as symbolic:
        derivatives(parse(source), ["x"], output="z")
    assert numeric.value.message == symbolic.value.message == message


def test_no_statements_is_one_message() -> None:
    with pytest.raises(NothingToDifferentiateError) as numeric:
        evaluate("# nothing\n")
    with pytest.raises(NothingToDifferentiateError) as symbolic:
        derivatives(parse("# nothing\n"))
    assert numeric.value.message == symbolic.value.message == "nothing to differentiate: the program has no statements"


@pytest.mark.parametrize("source, given, name", [
    ("a = 2; b = 3; (a*b)", {}, "a*b"),  # without the parentheses around the whole
    ("a = 2; b = 3; a * b", {}, "a * b"),
    ("y = x; y", {"x": 1.0}, "y"),  # the name written, though y is another name for x
    ("x = 2; ((x))", {}, "x"),
    ("x = 2; (x)*(x)", {}, "(x)*(x)"),  # parentheses that are not around the whole stay
])
def test_a_bare_expression_output_has_one_name_in_both_walks(source: str, given: dict[str, float], name: str) -> None:
    assert evaluate(source, given).output_name == name
    assert derivatives(parse(source), list(given)).output_name == name


def test_an_expression_output_is_parenthesised_after_the_partial_sign() -> None:
    from gradcli.interpret.sweep import run_sweep
    from gradcli.views.render import summary

    assert summary(evaluate("a = 2; b = 3; a*b")) == "a*b = 6.0000   ∂(a*b)/∂a = 3.0000   ∂(a*b)/∂b = 2.0000"
    assert summary(evaluate("a = 2; b = a*3")) == "b = 6.0000   ∂b/∂a = 3.0000"
    swept = run_sweep(parse("a = 2; a*3"), {"a": [0.0, 1.0]})
    assert swept.header() == ["a", "a*3", "∂(a*3)/∂a"]
