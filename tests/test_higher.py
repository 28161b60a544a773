"""Second and higher derivatives: create_graph backward, against SymPy and finite differences."""

from __future__ import annotations

import json

import pytest
import sympy
from click.testing import CliRunner

from gradcli import Value, evaluate, grad
from gradcli.errors import MathError
from gradcli.front.cli import cli
from gradcli.interpret.higher import derivative_table
from tests.conftest import central_difference


def test_grad_api_like_create_graph() -> None:
    x = Value(3.0)
    y = x**3 + 2 * x
    (g,) = grad(y, [x], create_graph=True)
    assert isinstance(g, Value) and g.data == 29.0
    (h,) = grad(g, [x], create_graph=True)
    assert h.data == 18.0
    assert grad(h, [x]) == [6.0]
    assert x.grad == 0.0  # grad() leaves .grad alone


def test_grad_of_an_unrelated_value_is_zero() -> None:
    x, z = Value(1.0), Value(2.0)
    assert grad(x * 3, [z]) == [0.0]


CASES = [
    ("x = 2; y = 3; z = x**2 * y + sin(x*y)", {}),
    ("x = 0.5; y = 1.5; z = exp(x*y) / (1 + y**2) + log(x + y) * tanh(x)", {}),
    ("u = 0.3; v = -0.8; w = 1.1; f = sigmoid(u*v) * sqrt(w) - u**3 * cos(v*w)", {}),
]


def _sympy_hessian(source: str, names: list[str]) -> list[list[float]]:
    statements = [s.strip() for s in source.split(";")]
    point = {n: float(s.split("=")[1]) for s in statements[:-1] for n in [s.split("=")[0].strip()]}
    symbols = {n: sympy.Symbol(n) for n in names}
    sigmoid = sympy.Lambda(sympy.Symbol("t"), 1 / (1 + sympy.exp(-sympy.Symbol("t"))))
    expr = sympy.sympify(statements[-1].split("=", 1)[1], locals={**symbols, "exp": sympy.exp, "sigmoid": sigmoid})
    subs = {symbols[n]: point[n] for n in names}
    return [[float(sympy.diff(expr, symbols[a], symbols[b]).subs(subs)) for b in names] for a in names]


@pytest.mark.parametrize("source, values", CASES)
def test_hessian_equals_sympy(source: str, values: dict) -> None:
    r = evaluate(source, values)
    names, table = derivative_table(r, 2)
    expected = _sympy_hessian(source, names)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            key = tuple(sorted((a, b), key=names.index))
            assert table[key] == pytest.approx(expected[i][j], rel=1e-10, abs=1e-12), (a, b)


@pytest.mark.parametrize("source, values", CASES)
def test_hessian_equals_differences_of_the_gradient(source: str, values: dict) -> None:
    r = evaluate(source, values)
    names, table = derivative_table(r, 2)
    point = {n: r.names[n].data for n in names}
    for a in names:
        for b in names:
            def dfdb(t: float, a: str = a, b: str = b) -> float:
                return evaluate(source, {**point, a: t}).gradients[b]
            key = tuple(sorted((a, b), key=names.index))
            assert table[key] == pytest.approx(central_difference(dfdb, point[a]), rel=1e-6, abs=1e-7)


def test_third_order() -> None:
    r = evaluate("x = 2; y = 3; z = x**3 * y**2")
    names, table = derivative_table(r, 3)
    # z = x**3 y**2 at (2, 3): z_xxx = 6y**2, z_xxy = 12xy, z_xyy = 6x**2, z_yyy = 0
    assert table == {("x", "x", "x"): 54.0, ("x", "x", "y"): 72.0, ("x", "y", "y"): 24.0,
                     ("y", "y", "y"): 0.0}


def test_undefined_second_derivative_is_an_error() -> None:
    r = evaluate("x = 0; y = relu(x) * x")  # fine once...
    assert derivative_table(r, 2)[1][("x", "x")] == 0.0
    # the message says where: the statement, its input's value, and the order
    with pytest.raises(MathError, match=r"^a derivative of order 2 is undefined in 'y' \(x = 0\): division by zero"):
        derivative_table(evaluate("x = 0; y = x ** 1.5"), 2)
    with pytest.raises(MathError, match=r"^a derivative of order 3 is undefined in 'x \*\* 2.5' \(x = 0\)"):
        derivative_table(evaluate("x = 0; y = x ** 2.5 + 1"), 3)
    with pytest.raises(MathError, match=r"^a derivative of order 3 is undefined in 'z' \(w = 0\): division by zero"):
        derivative_table(evaluate("w = 0; z = w**2.5; y = z * 2"), 3)


def test_order_in_the_cli() -> None:
    runner = CliRunner()
    out = runner.invoke(cli, ["x = 2; y = 3; z = x**2 * y", "--order", "2"], env={"COLUMNS": "100"}).stdout
    assert "Hessian of z" in out
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
            for line in out.split("Hessian")[1].splitlines() if line.startswith("│")}
    assert rows == {"x": ["6.0000", "4.0000"], "y": ["4.0000", "0.0000"]}
    doc = json.loads(runner.invoke(cli, ["x = 2; y = 3; z = x**2 * y", "--order", "2", "--format", "json"]).stdout)
    assert doc["hessian"] == {"x": {"x": 6.0, "y": 4.0}, "y": {"x": 4.0, "y": 0.0}}
    assert doc["derivatives"]["order"] == 2
    bad = runner.invoke(cli, ["x = 1", "--order", "9"])
    assert bad.exit_code == 2
