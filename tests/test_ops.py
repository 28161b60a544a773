"""Every row of the op table against central finite differences.

The test walks the table, so a new row is checked (or fails for lack of test
points) without anything else to edit.
"""

from __future__ import annotations

import math

import pytest

from gradcli.errors import MathError
from gradcli.language.ops import CONSTANTS, FUNCTIONS, OPS
from tests.conftest import central_difference

# points away from kinks and domain edges, per arity; a row may add its own
POINTS = {
    1: [(-1.3,), (-0.4,), (0.7,), (2.2,)],
    2: [(-1.3, 0.6), (0.7, -2.1), (1.9, 1.4), (2.5, 3.0)],
}
# ops defined only on part of the line are tested where they are defined
DOMAIN = {
    "log": [(0.3,), (1.0,), (4.5,)],
    "sqrt": [(0.3,), (1.0,), (4.5,)],
    "pow": [(0.7, 2.0), (1.9, -1.5), (2.5, 0.5), (3.0, 3.0), (-1.5, 3.0), (-2.0, -2.0)],
    "div": [(1.3, 0.6), (-0.7, -2.1), (1.9, 1.4)],
    "tan": [(-1.0,), (0.3,), (1.2,)],
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_row_matches_central_differences(name: str) -> None:
    op = OPS[name]
    points = DOMAIN.get(name, POINTS[op.arity])
    assert len(op.derivatives) == op.arity, "one derivative rule per input"
    checked = 0
    for args in points:
        out = op.forward(*args)
        for k, rule in enumerate(op.derivatives):
            if name == "pow" and k == 1 and args[0] <= 0:
                continue  # x**y is not a real function of y for x < 0
            def partial(t: float, k: int = k) -> float:
                moved = list(args)
                moved[k] = t
                return op.forward(*moved)
            expected = central_difference(partial, args[k])
            assert rule(out, *args) == pytest.approx(expected, rel=1e-6, abs=1e-8), (name, args, k)
            checked += 1
    assert checked >= 3


def test_function_names_are_rows() -> None:
    assert set(FUNCTIONS) == {"exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs", "pow",
                              "max", "min", "step", "sign"}
    assert all(OPS[n] is op for n, op in FUNCTIONS.items())
    assert CONSTANTS == {"pi": math.pi, "e": math.e}


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_formula_agrees_with_its_rule(name: str) -> None:
    """The formulas (for --explain, --symbolic, higher orders) say what the rules compute."""
    from gradcli.interpret.engine import Value
    from gradcli.language.formulas import instantiate

    op = OPS[name]
    assert len(op.formulas) == op.arity
    points = DOMAIN.get(name, POINTS[op.arity]) + [(0.0,) * op.arity, (1.0, 1.0)[: op.arity]]
    for args in points:
        try:
            out = op.forward(*args)
        except MathError:
            continue
        for k, (rule, formula) in enumerate(zip(op.derivatives, op.formulas)):
            try:
                expected = rule(out, *args)
            except ZeroDivisionError:
                continue
            if expected != expected:  # NaN: undefined here
                continue
            try:
                got = instantiate(formula, [Value(a) for a in args], Value.constant, Value.apply).data
            except MathError:
                continue  # the formula is undefined where the rule is too (0 ** -1)
            assert got == pytest.approx(expected, rel=1e-12, abs=1e-12), (name, args, k, formula)


def test_kinks_follow_the_documented_convention() -> None:
    relu, absolute, mx, mn = OPS["relu"], OPS["abs"], OPS["max"], OPS["min"]
    assert relu.derivatives[0](0.0, 0.0) == 0.0
    assert absolute.derivatives[0](0.0, 0.0) == 0.0
    # on a tie the whole gradient goes to the first argument
    assert [d(2.0, 2.0, 2.0) for d in mx.derivatives] == [1.0, 0.0]
    assert [d(2.0, 2.0, 2.0) for d in mn.derivatives] == [1.0, 0.0]
    assert OPS["step"].forward(0.0) == 0.0 and OPS["sign"].forward(0.0) == 0.0


@pytest.mark.parametrize(
    "name, args, message",
    [
        ("div", (1.0, 0.0), "division by zero"),
        ("log", (0.0,), "log of a non-positive number"),
        ("log", (-2.0,), "log of a non-positive number"),
        ("sqrt", (-1.0,), "sqrt of a negative number"),
        ("pow", (0.0, -1.0), "division by zero"),
        ("pow", (-8.0, 1 / 3), "negative number to a non-integer power"),
    ],
)
def test_domain_errors(name: str, args: tuple[float, ...], message: str) -> None:
    with pytest.raises(MathError, match=message):
        OPS[name].forward(*args)


def test_sigmoid_is_stable_at_the_extremes() -> None:
    sigmoid = OPS["sigmoid"].forward
    assert sigmoid(-1000.0) == 0.0
    assert sigmoid(1000.0) == 1.0
    assert sigmoid(0.0) == 0.5


# where each op is not smooth, by kind of edge: every row is listed, so a new row must say
EDGES = {
    "add": [], "sub": [], "mul": [], "neg": [], "exp": [], "sin": [], "cos": [], "tanh": [], "sigmoid": [],
    "div": ["singularity"], "log": ["singularity"], "sqrt": ["singularity"], "tan": ["singularity"],
    "pow": ["singularity", "domain edge", "domain edge"],
    "relu": ["kink"], "abs": ["kink"], "max": ["kink"], "min": ["kink"],
    "step": ["jump"], "sign": ["jump"],
}
# points at which each edge is present: (args, the point expected for that edge's input)
EDGE_POINTS = {
    "div": [((1.0, 0.3), 0.0)], "log": [((0.2,), 0.0)], "sqrt": [((0.2,), 0.0)],
    "tan": [((1.4,), math.pi / 2), ((-4.0,), -3 * math.pi / 2), ((0.2,), math.pi / 2)],
    "pow": [((0.2, 0.5), 0.0), ((0.2, -1.0), 0.0), ((0.2, 1.5), 0.0), ((-2.0, 3.0), 3.0)],
    "relu": [((0.2,), 0.0)], "abs": [((-0.2,), 0.0)], "max": [((0.2, 0.7), 0.7)], "min": [((0.2, 0.7), 0.7)],
    "step": [((0.2,), 0.0)], "sign": [((0.2,), 0.0)],
}


def test_every_row_says_where_it_is_not_smooth() -> None:
    assert set(EDGES) == set(OPS) - {"input", "const"}
    for name, kinds in EDGES.items():
        assert [e.kind for e in OPS[name].edges] == kinds, name
        assert all(0 <= e.arg < OPS[name].arity for e in OPS[name].edges)


def _one_sided(f, p: float, h: float = 1e-6) -> tuple[float, float]:
    return (f(p) - f(p - h)) / h, (f(p + h) - f(p)) / h


@pytest.mark.parametrize("name", sorted(EDGE_POINTS))
def test_every_edge_is_where_the_row_says(name: str) -> None:
    """At the point an edge gives, the op really has a kink, a jump, a singularity or a domain edge."""
    op = OPS[name]
    found = 0
    for args, expected in EDGE_POINTS[name]:
        for edge in op.edges:
            p = edge.point(*args)
            if p is None:
                continue
            found += 1
            assert p == pytest.approx(expected), (name, args)
            k = edge.arg

            def f(t: float, k: int = k) -> float:
                return op.forward(*args[:k], t, *args[k + 1:])

            def defined(t: float) -> bool:
                try:
                    return math.isfinite(f(t))
                except (MathError, ValueError, ZeroDivisionError):
                    return False

            if edge.kind == "kink":
                left, right = _one_sided(f, p)
                assert abs(left - right) > 0.5, (name, args)
            elif edge.kind == "jump":
                assert abs(f(p + 1e-9) - f(p - 1e-9)) > 0.5, (name, args)
            elif edge.kind == "singularity":
                # the value or the slope grows without bound towards p, or the op is undefined at p
                slopes = [abs(central_difference(f, p + d, 1e-3 * abs(d))) for d in (1e-2, 1e-4) if defined(p + d)]
                slopes += [abs(central_difference(f, p - d, 1e-3 * abs(d))) for d in (1e-2, 1e-4) if defined(p - d)]
                assert not defined(p) or slopes[1] > 5 * slopes[0], (name, args)  # smooth: about equal
                assert slopes, (name, args)
            else:  # domain edge: defined on one side of p only, or at p only
                assert defined(p) and not (defined(p - 1e-3) and defined(p + 1e-3)), (name, args)
    assert found >= 1


#: points where swapping two operands shows: unequal ones, and ties (max and min favour the first)
SWAPS = [(1.3, 0.6), (0.7, 2.1), (2.5, 3.0), (1.5, 1.5), (2.0, 2.0)]


@pytest.mark.parametrize("name", sorted(n for n, op in OPS.items() if op.arity == 2))
def test_operands_are_named_exactly_when_their_order_matters(name: str) -> None:
    # commutative: the value is the same swapped, and each operand's derivative moves with it
    op = OPS[name]
    same = all(op.forward(x, y) == op.forward(y, x)
               and op.derivatives[0](op.forward(x, y), x, y) == op.derivatives[1](op.forward(y, x), y, x)
               for x, y in SWAPS)
    assert op.commutative == same, name
    assert len(op.operands) == (0 if same else 2) and len(set(op.operands)) == len(op.operands)


def test_operand_names_say_which_is_the_divisor_and_the_exponent() -> None:
    assert OPS["div"].operands == ("dividend", "divisor")
    assert OPS["pow"].operands == ("base", "exponent")
    assert OPS["sub"].operands == ("minuend", "subtrahend")
    assert all(not op.operands and not op.commutative for op in OPS.values() if op.arity == 1)
