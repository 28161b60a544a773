"""The rules for names that run() and symbolic.derivatives() share (program.Scope)."""

from __future__ import annotations

import pytest

from gradcli import evaluate
from gradcli.errors import NothingToDifferentiateError
from gradcli.parser import ASSIGN, parse
from gradcli.program import GIVEN_INPUT, NEW_INPUT, PLAIN, Scope
from gradcli.symbolic import derivatives


@pytest.mark.parametrize("source, given, expected", [
    ("x = 2", (), [NEW_INPUT]),
    ("x = -2.5", (), [NEW_INPUT]),  # a negative literal is one number
    ("x = (+2)", (), [NEW_INPUT]),
    ("x = pi", (), [NEW_INPUT]),
    ("pi = 3; x = pi", (), [NEW_INPUT, PLAIN]),  # pi is a variable now: x is another name for it
    ("x = -pi", (), [PLAIN]),  # computed from a constant, not a number
    ("x = 2 * 3", (), [PLAIN]),
    ("x = 2; y = x", (), [NEW_INPUT, PLAIN]),
    ("y = 2", ("x",), [NEW_INPUT]),
    ("x = 2; x = 3", ("x",), [GIVEN_INPUT, NEW_INPUT]),  # a given value replaces the first number only
    ("x = x * 2; x = 3", ("x",), [PLAIN, NEW_INPUT]),  # the first assignment was not a number
])
def test_what_each_assignment_makes(source: str, given: tuple[str, ...], expected: list[str]) -> None:
    program = parse(source)
    # a node here is an instruction's index; the scope only passes nodes along
    scope = Scope(program, {name: -1 for name in given})
    made = [scope.assign(ins, i) for i, ins in enumerate(program.code) if ins.kind == ASSIGN]
    assert made == expected


@pytest.mark.parametrize("source, message", [
    ("a = 1; b = a * x", "--of z: the program has no variable 'z' (variables: x, a, b)"),
    ("", "--of z: the program has no variable 'z' (variables: x)"),
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
    from gradcli.render import summary
    from gradcli.sweep import run_sweep

    assert summary(evaluate("a = 2; b = 3; a*b")) == "a*b = 6.0000   ∂(a*b)/∂a = 3.0000   ∂(a*b)/∂b = 2.0000"
    assert summary(evaluate("a = 2; b = a*3")) == "b = 6.0000   ∂b/∂a = 3.0000"
    swept = run_sweep(parse("a = 2; a*3"), {"a": [0.0, 1.0]})
    assert swept.header() == ["a", "a*3", "d(a*3)/da"]
