"""The engine through its micrograd-compatible API: worked examples, edges, size."""

from __future__ import annotations

import math
import sys

import pytest

from gradcli import MathError, Value, topological_order
from tests.conftest import central_difference


def test_seed_chain() -> None:
    x = Value(3)
    y = x * 2
    z = y * 5
    z.backward()
    assert (z.data, y.grad, x.grad) == (30.0, 5.0, 10.0)


def test_seed_sum_with_reuse() -> None:
    a = Value(2)
    b = a + 3
    c = a * 2
    d = b + c
    d.backward()
    assert d.data == 9.0
    assert (a.grad, b.grad, c.grad) == (3.0, 1.0, 1.0)


def test_tanh_neuron() -> None:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert o.data == pytest.approx(0.7071, abs=1e-4)
    assert x1.grad == pytest.approx(-1.5)
    assert w1.grad == pytest.approx(1.0)
    assert x2.grad == pytest.approx(0.5)
    assert w2.grad == pytest.approx(0.0)


def test_backward_twice_gives_the_same_gradients() -> None:
    x = Value(3.0)
    y = x * x * x
    y.backward()
    first = x.grad
    y.backward()
    assert first == x.grad == 27.0  # micrograd reads 27, then 54


def test_every_edge_is_kept() -> None:
    a = Value(2.0)
    b = a + a
    assert b.inputs == (a, a)
    assert b._prev == (a, a) and b._op == "+"
    b.backward()
    assert a.grad == 2.0


def test_numbers_on_either_side_and_all_methods() -> None:
    x = Value(0.8)

    def f(v):  # works for Value and float alike except the methods
        return (2 + v) * (v - 1) / (3 - v) + 1 / v - v**2 + 2**v - (-v) + (v * 3) / 2

    y = f(x)
    y.backward()
    assert y.data == pytest.approx(f(0.8))
    assert x.grad == pytest.approx(central_difference(f, 0.8), rel=1e-6)

    for method, fn in [("exp", math.exp), ("log", math.log), ("tanh", math.tanh),
                       ("relu", lambda t: max(t, 0.0)), ("sigmoid", lambda t: 1 / (1 + math.exp(-t)))]:
        v = Value(0.8)
        out = getattr(v, method)()
        out.backward()
        assert out.data == pytest.approx(fn(0.8))
        assert v.grad == pytest.approx(central_difference(fn, 0.8), rel=1e-6), method


def test_value_power_of_value() -> None:
    x, y = Value(1.7), Value(2.3)
    z = x**y
    z.backward()
    assert x.grad == pytest.approx(2.3 * 1.7**1.3)
    assert y.grad == pytest.approx(1.7**2.3 * math.log(1.7))


def test_constant_exponent_of_negative_base() -> None:
    x = Value(-2.0)
    y = x**2
    y.backward()
    assert x.grad == -4.0
    assert math.isnan(y.inputs[1].grad)  # d/d(exponent) is undefined, but it is a constant


def test_undefined_derivative_of_a_variable_is_an_error() -> None:
    x = Value(0.0)
    y = x**0.5
    with pytest.raises(MathError, match="derivative of pow is undefined"):
        y.backward()


@pytest.mark.parametrize("build", [
    lambda: Value(0.0).log(),
    lambda: Value(1.0) / 0,
    lambda: Value(1000.0).exp(),
    lambda: Value(10.0) ** (Value(10.0) ** 10),
    lambda: Value(1e300) * 1e300,
    lambda: Value(-8.0) ** (1 / 3),
])
def test_non_finite_results_are_errors(build) -> None:
    with pytest.raises(MathError):
        build()


def test_non_finite_value_is_refused() -> None:
    with pytest.raises(MathError):
        Value(float("inf"))


def test_micrograd_style_repr() -> None:
    assert repr(Value(2)) == "Value(data=2.0, grad=0.0)"


def test_topological_order_is_deterministic_and_puts_inputs_first() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert order == [a, b, c, d, e]
    assert order == topological_order(e)


def test_million_node_chain_has_no_recursion_error() -> None:
    n = 1_000_000
    x = Value(1.0)
    v = x
    for _ in range(n):
        v = v + 1.0
    v.backward()
    assert v.data == n + 1
    assert x.grad == 1.0
    assert sys.getrecursionlimit() < n


def test_long_product_chain_gradient() -> None:
    x = Value(1.0)
    v = x
    for _ in range(10_000):
        v = v * 1.0001 + 0.5
    v.backward()
    assert x.grad == pytest.approx(1.0001**10_000, rel=1e-9)
