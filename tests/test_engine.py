"""The engine through its micrograd-compatible API: worked examples, edges, size."""

from __future__ import annotations

import gc
import math
import random
import sys

import pytest

from gradcli import MathError, Value, backward, topological_order
from gradcli.interpret.engine import GradientError
from gradcli.language.ops import OPS, VARIADIC, variadic
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


# ----- the fast paths against the rules they shortcut ----------------------------

def _reference_backward(root: Value) -> None:
    """backward as first written: every local derivative checked as it is used."""
    nodes = topological_order(root)
    for v in nodes:
        v.grad = 0.0
    root.grad = 1.0
    for v in reversed(nodes):
        if v.grad == 0.0 or not v.inputs:
            continue
        args = [i.data for i in v.inputs]
        for k, (inp, rule) in enumerate(zip(v.inputs, v.op.derivatives)):
            try:
                local = rule(v.data, *args)
            except (ValueError, ZeroDivisionError, OverflowError):
                local = math.nan
            if not math.isfinite(local) and inp._variable:
                raise GradientError(f"derivative of {v.op.name} is undefined", v, k)
            inp.grad += v.grad * local
    for v in nodes:
        if v._variable and not math.isfinite(v.grad):  # a constant's grad may overflow: nothing depends on it
            raise GradientError("gradient overflow", v, None)


def _random_graph(rng: random.Random, size: int) -> tuple[Value, list[Value]]:
    """Every op of the table, numbers on either side, long-range reuse; values may blow up."""
    leaves = [Value(rng.choice([-2.0, -0.5, 0.0, 0.5, 1.0, 3.0, 1e-200])) for _ in range(3)]
    vals: list[Value] = list(leaves)
    ops = list(OPS.values()) + [variadic(name, n) for name in sorted(VARIADIC) for n in (3, 4)]
    while len(vals) < size:
        op = rng.choice(ops) if rng.random() < 0.5 else OPS[rng.choice(["mul", "div"])]  # scaling: overflow
        args = [rng.choice(vals[-6:]) if rng.random() < 0.7 else rng.choice(vals) for _ in range(op.arity)]
        if rng.random() < 0.3:
            args[-1] = Value.constant(rng.choice([-1.0, 0.0, 0.5, 2.0, 1e200, 1e-200]))
        try:
            vals.append(Value.apply(op, *args))
        except MathError:
            pass
    return vals[-1], leaves


def _outcome(backward_fn, root: Value, nodes: list[Value]):
    try:
        backward_fn(root)
    except GradientError as e:
        return ("error", e.message, e.argument, nodes.index(e.node))
    return ("ok", [repr(v.grad) for v in nodes])  # repr: NaN equals NaN, -0.0 differs from 0.0


@pytest.mark.parametrize("seed", range(300))
def test_backward_matches_the_checked_reference_exactly(seed: int) -> None:
    root, _ = _random_graph(random.Random(seed), 25)
    nodes = topological_order(root)
    expected = _outcome(_reference_backward, root, nodes)
    assert _outcome(lambda r: r.backward(), root, nodes) == expected
    assert _outcome(lambda r: backward(r, nodes), root, nodes) == expected  # with an order given


def test_gradient_overflow_is_found_after_the_fast_pass() -> None:
    x = Value(1e-300)
    z = x * 1e300 * 1e300  # finite forward, but dz/dx = 1e600
    with pytest.raises(GradientError, match="gradient overflow") as info:
        z.backward()
    assert info.value.node is x


def test_a_derivative_rule_that_raises_names_its_node_and_input() -> None:
    x = Value(1e-5)
    y = x ** -61  # 1e305, but its derivative overflows (math.pow raises)
    with pytest.raises(GradientError, match="derivative of pow is undefined") as info:
        y.backward()
    assert info.value.node is y and info.value.argument == 0


def test_zero_upstream_makes_no_error_of_an_undefined_derivative() -> None:
    x = Value(0.0)
    z = x**0.5 * 0  # sqrt'(0) is undefined, but nothing flows into it
    z.backward()
    assert x.grad == 0.0


def test_inputs_are_one_tuple_entry_per_edge() -> None:
    a = Value(2.0)
    assert a.inputs == () and a._prev == ()
    n = -a
    assert n.inputs == (a,)
    s = a * 3
    assert s.inputs[0] is a and s.inputs[1].op.name == "const"


def test_nodes_hold_one_or_two_inputs_and_variadic_calls_more() -> None:
    # a node keeps its inputs in two slots, and a call's third and later inputs in one more
    assert {op.arity for op in OPS.values()} <= {1, 2}
    with pytest.raises(TypeError):
        Value.apply(OPS["add"], Value(1.0), Value(2.0), Value(3.0))
    a, b, c, d = Value(1.0), Value(5.0), Value(5.0), Value(-2.0)
    m = Value.apply(variadic("max", 5), a, b, c, a, d)
    assert m.inputs == (a, b, c, a, d) and m.data == 5.0  # one edge per argument, a twice
    m.backward()
    assert (a.grad, b.grad, c.grad, d.grad) == (0.0, 1.0, 0.0, 0.0)  # the tie goes to the first of b, c
    assert topological_order(m) == [a, b, c, d, m]
    s = Value.apply(variadic("mean", 4), a, a, b, d)
    s.backward()
    assert (a.grad, b.grad, d.grad) == (0.5, 0.25, 0.25) and s.data == 1.25


def test_topological_order_is_the_depth_first_one() -> None:
    a, b = Value(1.0), Value(2.0)
    c = b * a  # inputs visited in order: b before a, whatever their creation order
    d = a + c
    assert topological_order(d) == [a, b, c, d]
    assert topological_order(c) == [b, a, c]


def test_the_garbage_collector_is_left_as_it_was() -> None:
    from gradcli import evaluate

    was = (gc.isenabled(), gc.get_threshold())
    x = Value(0.5)
    for _ in range(5000):
        x = x * 1.000001 + 0.5
    x.backward()
    evaluate("a = 2; b = a * 3; c = sin(b) + a")
    assert (gc.isenabled(), gc.get_threshold()) == was
