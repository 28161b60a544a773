"""Running programs: names, --set values, outputs, and math errors naming the expression."""

from __future__ import annotations

import math

import pytest

from gradcli import evaluate
from gradcli.errors import (
    GradcliError,
    MathError,
    NothingToDifferentiateError,
    UnknownNameError,
)


def test_seed_examples() -> None:
    r = evaluate("x = 3; y = x * 2; z = y * 5")
    assert r.gradients == {"x": 10.0, "y": 5.0, "z": 1.0}
    r = evaluate("a = 2; b = a + 3; c = a * 2; d = b + c")
    assert (r.output_name, r.value) == ("d", 9.0)
    assert r.gradients == {"a": 3.0, "b": 1.0, "c": 1.0, "d": 1.0}


def test_one_liner_with_set() -> None:
    r = evaluate("d = (a+3) + a*2", {"a": 2})
    assert r.value == 9.0 and r.gradients == {"a": 3.0, "d": 1.0}


def test_nodes_in_evaluation_order_with_labels() -> None:
    r = evaluate("d = (a+3) + a*2", {"a": 2})
    assert [(v.label, v.op.name) for v in r.nodes] == [
        ("a", "input"), ("3", "const"), ("a+3", "add"), ("2", "const"), ("a*2", "mul"), ("d", "add"),
    ]
    assert [v.grad for v in r.nodes] == [3.0, 1.0, 1.0, 2.0, 1.0, 1.0]


def test_set_overrides_a_default_in_the_program() -> None:
    assert evaluate("a = 2; y = a * a", {"a": 5}).value == 25.0
    # every number before the input is read is a default; once read, a number is a reassignment
    assert evaluate("a = 2; a = 3; y = a * a", {"a": 5}).value == 25.0
    assert evaluate("a = 2; y = a; a = 3; z = a * y", {"a": 5}).value == 15.0


def test_reassignment_takes_the_newest_value() -> None:
    r = evaluate("x = 2; y = x * 3; x = y + 1; z = x * x")
    assert r.value == 49.0
    # x is an input: z = (3x + 1)**2, dz/dx = 6 (3x + 1) = 42; y keeps its newest node: 2 (y + 1) = 14
    assert r.gradients["x"] == 42.0 and r.gradients["y"] == 14.0
    assert r.names["x"].grad == 14.0  # the newest x, in the table
    assert [v.label for v in r.nodes].count("x") == 2


def test_self_reference_uses_the_old_value() -> None:
    assert evaluate("x = 2; x = x * x; x = x * x").value == 16.0


def test_alias_shares_the_node() -> None:
    r = evaluate("a = 2; b = a; c = b * a")
    assert r.gradients == {"a": 4.0, "b": 4.0, "c": 1.0}
    assert len(r.nodes) == 2


def test_of_picks_the_output_and_unused_names_get_zero() -> None:
    r = evaluate("a = 2; b = a * 3; c = a * 5", output="b")
    assert r.value == 6.0
    assert r.gradients == {"a": 3.0, "b": 1.0, "c": 0.0}
    with pytest.raises(GradcliError, match="unused: the program has no input 'unused' \\(inputs: x\\)"):
        evaluate("y = x * 2", {"x": 1.0, "unused": 4.0})
    assert evaluate("x = 1; y = 2", {"x": 3.0}).gradients == {"x": 0.0, "y": 1.0}  # an input that does not reach


def test_constants_and_assigning_over_them() -> None:
    assert evaluate("sin(pi / 2) + log(e)").value == pytest.approx(2.0)
    r = evaluate("pi = 3; y = pi * 2")
    assert r.value == 6.0 and r.gradients["pi"] == 2.0


def test_bare_expression_output_is_labelled_by_its_text() -> None:
    r = evaluate("x = 2\nx ** 2 + 1")
    assert r.output_name == "x ** 2 + 1" and r.value == 5.0 and r.gradients["x"] == 4.0


def test_variable_exponent() -> None:
    r = evaluate("x = 2; y = 3; z = x ** y")
    assert r.gradients["x"] == pytest.approx(12.0)
    assert r.gradients["y"] == pytest.approx(8 * math.log(2))


def test_derivatives_at_kinks() -> None:
    assert evaluate("x = 0; relu(x)").gradients["x"] == 0.0
    assert evaluate("x = 0; abs(x)").gradients["x"] == 0.0
    assert evaluate("x = 1; y = 1; max(x, y)").gradients == {"x": 1.0, "y": 0.0}
    assert evaluate("x = 1; y = 1; min(x, y)").gradients == {"x": 1.0, "y": 0.0}


def test_constant_exponent_of_a_negative_base() -> None:
    r = evaluate("x = -3; y = x ** 2")
    assert r.gradients["x"] == -6.0
    assert math.isnan(r.nodes[1].grad)  # the literal 2's gradient is undefined; no variable needs it


@pytest.mark.parametrize("source, values, message", [
    ("x = 1; log(x - 1)", {}, "log of a non-positive number in 'log(x - 1)' (x - 1 = 0) at line 1, column 8"),
    ("y = 1 / (b - 2)", {"b": 2}, "division by zero in '1 / (b - 2)' (b - 2 = 0) at line 1, column 5"),
    ("exp(1000)", {}, "overflow in 'exp(1000)' at line 1, column 1"),
    ("10**10**10", {}, "overflow in '10**10**10' at line 1, column 1"),
    ("x = -1\ny = sqrt(x)", {}, "sqrt of a negative number in 'sqrt(x)' (x = -1) at line 2, column 5"),
    ("x = 0; sqrt(x)", {}, "derivative of sqrt is undefined in 'sqrt(x)' (x = 0)"),
    ("x = -2; y = 2; x ** y", {}, "derivative of pow is undefined in 'x ** y' (x = -2, y = 2)"),
    ("(-8) ** (1/3)", {}, "negative number to a non-integer power in '(-8) ** (1/3)'"),
    ("x = 1e200; x * x", {}, "overflow in 'x * x'"),
])
def test_math_errors_name_the_expression(source: str, values: dict, message: str) -> None:
    with pytest.raises(MathError) as info:
        evaluate(source, values)
    assert message in info.value.message
    assert info.value.exit_code == 1


def test_gradient_overflow_is_an_error() -> None:
    with pytest.raises(MathError, match="gradient overflow"):
        evaluate("x = 1e-300; y = 1e200 * (1e200 * x)")  # y is 1e100, dy/dx is 1e400


def test_a_constants_overflowing_grad_is_no_error() -> None:
    # d/d2 of x**2 is x**2 log(x), which overflows here; nothing depends on the constant 2
    r = evaluate("x = 26.6; y = exp(x**2) / 10")
    assert math.isclose(r.gradients["x"], 2 * 26.6 * (math.exp(26.6**2) / 10), rel_tol=1e-12)
    two = [v for v in r.nodes if v.label == "2"][0]
    assert math.isinf(two.grad)


def test_unknown_name() -> None:
    with pytest.raises(UnknownNameError) as info:
        evaluate("a = 1\nb = a + q")
    assert info.value.message == (
        "unknown name 'q' at line 2, column 9 (assign it earlier in the program, or give it with --set q=VALUE)"
    )
    assert info.value.exit_code == 2


def test_name_used_before_assignment() -> None:
    with pytest.raises(UnknownNameError, match="'y'"):
        evaluate("x = y; y = 1")


def test_nothing_to_differentiate() -> None:
    for source in ["", "# only a comment\n", "\n;\n"]:
        with pytest.raises(NothingToDifferentiateError, match="no statements"):
            evaluate(source)
    with pytest.raises(NothingToDifferentiateError, match="no variable 'q'"):
        evaluate("a = 1", output="q")


def test_long_labels_are_shortened() -> None:
    r = evaluate("x = 1; y = " + " + ".join(["x"] * 100))
    assert max(len(v.label) for v in r.nodes) <= 40
    assert r.value == 100.0 and r.gradients["x"] == 100.0


def test_values_as_keywords_and_result_helpers() -> None:
    r = evaluate("d = (a+3) + a*2", a=2)
    assert r.value == 9.0 and r.gradients == {"a": 3.0, "d": 1.0}
    assert evaluate("y = a * b", {"a": 2}, b=5).value == 10.0
    assert r.to_json()["gradients"] == {"a": 3.0, "d": 1.0}
    assert r.to_dot().startswith("digraph gradcli {") and '"a | data 2.0000 | grad 3.0000"' in r.to_dot()
    assert "{ a | data 2.0000 | grad 3.0000 }" in r.to_dot(rankdir="LR")
    import io

    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=80, color_system=None).print(r.table())
    assert out.getvalue().splitlines()[0] == "d = 9.0000   ∂d/∂a = 3.0000"


@pytest.mark.parametrize("values, message", [
    ({"x": 10**400}, "the value of x is not a finite number"),
    ({"x": "abc"}, "the value of x is not a finite number"),
    ({"x": float("nan")}, "the value of x is not a finite number"),
    ({1: 2.0}, "not a valid variable name: 1"),
    ({"1x": 2.0}, "not a valid variable name: '1x'"),
])
def test_bad_values_are_clean_errors(values: dict, message: str) -> None:
    from gradcli.errors import GradcliError

    with pytest.raises(GradcliError, match=message):
        evaluate("y = 1", values)
