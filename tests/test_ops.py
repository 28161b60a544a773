"""Every row of the op table against central finite differences.

The test walks the table, so a new row is checked (or fails for lack of test
points) without anything else to edit.
"""

from __future__ import annotations

import math

import pytest

from gradcli.errors import MathError
from gradcli.language.ops import (
    CALLABLE,
    CONSTANTS,
    FUNCTIONS,
    OPS,
    VARIADIC,
    arities,
    call,
    variadic,
)
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
    "asin": [(-0.8,), (0.1,), (0.6,)],
    "acos": [(-0.8,), (0.1,), (0.6,)],
    "acosh": [(1.2,), (2.0,), (7.5,)],
    "atanh": [(-0.8,), (0.1,), (0.6,)],
    "log10": [(0.3,), (1.0,), (4.5,)],
    "log2": [(0.3,), (1.0,), (4.5,)],
    "log_base": [(0.3, 2.0), (4.5, 0.5), (1.0, 10.0), (2.5, 1.5)],
    "cbrt": [(-2.0,), (0.3,), (8.0,)],
    "atan2": [(-1.3, 0.6), (0.7, -2.1), (1.9, 1.4), (-0.5, -3.0)],
    # flat between the jumps (at the integers; round's at the halves)
    "floor": [(-1.3,), (0.7,), (2.2,)],
    "ceil": [(-1.3,), (0.7,), (2.2,)],
    "round": [(-1.3,), (0.7,), (2.2,)],
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
                              "max", "min", "step", "sign", "asin", "acos", "atan", "sinh", "cosh", "asinh",
                              "acosh", "atanh", "log10", "log2", "exp2", "cbrt", "erf", "erfc", "softplus",
                              "atan2", "hypot", "floor", "ceil", "round"}
    assert all(OPS[n] is op for n, op in FUNCTIONS.items())
    assert set(CALLABLE) == set(FUNCTIONS) | {"ln", "sum", "mean"}
    assert CONSTANTS == {"pi": math.pi, "e": math.e}


def test_calls_find_their_rows() -> None:
    assert call("log", 1) is OPS["log"] and call("ln", 1) is OPS["log"]
    assert call("log", 2) is OPS["log_base"] and call("ln", 2) is OPS["log_base"]
    assert call("max", 2) is OPS["max"] and call("min", 2) is OPS["min"]
    assert call("max", 5) is variadic("max", 5) and call("max", 5).arity == 5
    assert call("sum", 1).arity == 1 and call("mean", 7).arity == 7
    assert call("log", 3) is None and call("max", 1) is None and call("exp", 2) is None and call("nope", 1) is None
    assert (arities("log"), arities("max"), arities("sum"), arities("exp"), arities("nope")) == (
        "1 or 2", "2 or more", "1 or more", "1", None)


# the variadic functions at each arity from their fewest to five, at points without ties
VARIADIC_POINTS = [(-1.3, 0.6, 2.2, 0.1, -0.4), (0.7, -2.1, 1.9, 2.5, -3.0), (2.5, 3.0, -1.0, 0.25, 1.75)]


@pytest.mark.parametrize("name", sorted(VARIADIC))
def test_every_variadic_arity_matches_central_differences(name: str) -> None:
    from gradcli.interpret.engine import Value
    from gradcli.language.formulas import instantiate

    for n in range(VARIADIC[name], 6):
        op = variadic(name, n)
        assert op.arity == len(op.derivatives) == len(op.formulas) == n
        for point in VARIADIC_POINTS:
            args = point[:n]
            out = op.forward(*args)
            for k, rule in enumerate(op.derivatives):
                def partial(t: float, k: int = k) -> float:
                    moved = list(args)
                    moved[k] = t
                    return op.forward(*moved)
                expected = central_difference(partial, args[k])
                assert rule(out, *args) == pytest.approx(expected, rel=1e-6, abs=1e-8), (name, args, k)
                got = instantiate(op.formulas[k], [Value(a) for a in args], Value.constant, Value.apply).data
                assert got == pytest.approx(rule(out, *args), rel=1e-12, abs=1e-12), (name, args, k, op.formulas[k])


@pytest.mark.parametrize("name", ["max", "min"])
def test_variadic_ties_go_to_the_first_argument(name: str) -> None:
    from gradcli.interpret.engine import Value
    from gradcli.language.formulas import instantiate

    best = 3.0 if name == "max" else -3.0
    for args in [(best, best, best), (0.0, best, best, 1.0), (best, 0.0, best), (1.0, 0.0, 1.0, best, best)]:
        op = variadic(name, len(args))
        first = args.index(best)
        want = [1.0 if k == first else 0.0 for k in range(len(args))]
        assert op.forward(*args) == best
        assert [rule(best, *args) for rule in op.derivatives] == want, args
        formulas = [instantiate(f, [Value(a) for a in args], Value.constant, Value.apply).data for f in op.formulas]
        assert formulas == want, args


def test_sum_and_mean_add_left_to_right() -> None:
    # 1e16 + 1 + 1 - 1e16 is 0 left to right (each 1 is lost); Python 3.12's sum() would give 2
    assert variadic("sum", 4).forward(1e16, 1.0, 1.0, -1e16) == (1e16 + 1.0 + 1.0) - 1e16
    assert variadic("mean", 3).forward(1.0, 2.0, 4.0) == 7.0 / 3


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
    # flat everywhere, at the jumps too
    for name in ("floor", "ceil", "round"):
        assert [OPS[name].derivatives[0](OPS[name].forward(x), x) for x in (-1.0, 0.0, 0.5, 2.0)] == [0.0] * 4
    # undefined at the edges of the domain and at the singular points: the rule raises
    for name, args in [("asin", (1.0,)), ("acos", (-1.0,)), ("acosh", (1.0,)), ("cbrt", (0.0,)),
                       ("hypot", (0.0, 0.0)), ("atan2", (0.0, 0.0))]:
        op = OPS[name]
        for rule in op.derivatives:
            with pytest.raises(ZeroDivisionError):
                rule(op.forward(*args), *args)


def test_the_new_functions_at_known_points() -> None:
    f = {name: op.forward for name, op in OPS.items()}
    assert f["round"](2.5) == 3.0 and f["round"](-2.5) == -3.0 and f["round"](0.49999999999999994) == 0.0
    assert f["round"](4503599627370497.0) == 4503599627370497.0  # past 2**52 every float is whole
    assert f["floor"](-0.5) == -1.0 and f["ceil"](-0.5) == 0.0
    assert f["cbrt"](27.0) == 3.0 and f["cbrt"](-8.0) == -2.0 and f["cbrt"](0.0) == 0.0
    assert f["atan2"](0.0, -1.0) == math.pi and f["atan2"](-0.0, -1.0) == math.pi  # never -pi
    assert f["atan2"](1.0, 0.0) == math.pi / 2 and f["hypot"](3.0, 4.0) == 5.0
    assert f["log_base"](8.0, 2.0) == pytest.approx(3.0) and f["log_base"](0.01, 10.0) == pytest.approx(-2.0)
    assert f["log10"](1000.0) == 3.0 and f["log2"](8.0) == 3.0 and f["exp2"](10.0) == 1024.0
    assert f["softplus"](0.0) == math.log(2.0) and f["softplus"](1000.0) == 1000.0 and f["softplus"](-1000.0) == 0.0
    assert f["erf"](0.0) == 0.0 and f["erfc"](0.0) == 1.0

@pytest.mark.parametrize(
    "name, args, message",
    [
        ("div", (1.0, 0.0), "division by zero"),
        ("log", (0.0,), "log of a non-positive number"),
        ("log", (-2.0,), "log of a non-positive number"),
        ("sqrt", (-1.0,), "sqrt of a negative number"),
        ("pow", (0.0, -1.0), "division by zero"),
        ("pow", (-8.0, 1 / 3), "negative number to a non-integer power"),
        ("asin", (1.5,), r"asin of a number outside \[-1, 1\]"),
        ("acos", (-1.0000001,), r"acos of a number outside \[-1, 1\]"),
        ("acosh", (0.5,), "acosh of a number less than 1"),
        ("atanh", (1.0,), r"atanh of a number outside \(-1, 1\)"),
        ("atanh", (-1.0,), r"atanh of a number outside \(-1, 1\)"),
        ("log10", (0.0,), "log10 of a non-positive number"),
        ("log2", (-1.0,), "log2 of a non-positive number"),
        ("log_base", (0.0, 2.0), "log of a non-positive number"),
        ("log_base", (2.0, 1.0), "log to base 1"),
        ("log_base", (2.0, -2.0), "log to a non-positive base"),
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
    "atan": [], "sinh": [], "cosh": [], "asinh": [], "exp2": [], "erf": [], "erfc": [], "softplus": [],
    "asin": ["singularity"], "acos": ["singularity"], "acosh": ["singularity"], "atanh": ["singularity"],
    "log10": ["singularity"], "log2": ["singularity"], "cbrt": ["singularity"],
    "log_base": ["singularity", "singularity"], "atan2": ["jump"], "hypot": ["kink", "kink"],
    "floor": ["jump"], "ceil": ["jump"], "round": ["jump"],
}
# points at which each edge is present: (args, the point expected for that edge's input)
EDGE_POINTS = {
    "div": [((1.0, 0.3), 0.0)], "log": [((0.2,), 0.0)], "sqrt": [((0.2,), 0.0)],
    "tan": [((1.4,), math.pi / 2), ((-4.0,), -3 * math.pi / 2), ((0.2,), math.pi / 2)],
    "pow": [((0.2, 0.5), 0.0), ((0.2, -1.0), 0.0), ((0.2, 1.5), 0.0), ((-2.0, 3.0), 3.0)],
    "relu": [((0.2,), 0.0)], "abs": [((-0.2,), 0.0)], "max": [((0.2, 0.7), 0.7)], "min": [((0.2, 0.7), 0.7)],
    "step": [((0.2,), 0.0)], "sign": [((0.2,), 0.0)],
    "asin": [((0.9,), 1.0), ((-0.9,), -1.0)], "acos": [((0.9,), 1.0), ((-0.9,), -1.0)],
    "acosh": [((1.2,), 1.0)], "atanh": [((0.9,), 1.0), ((-0.9,), -1.0)],
    "log10": [((0.2,), 0.0)], "log2": [((0.2,), 0.0)], "cbrt": [((0.2,), 0.0), ((-0.2,), 0.0)],
    "log_base": [((0.2, 3.0), (0.0, 1.0)), ((0.3, 0.2), (0.0, 0.0))], "atan2": [((0.2, -1.0), 0.0)],
    "hypot": [((0.2, 0.0), 0.0), ((0.0, -0.3), 0.0)],
    "floor": [((0.8,), 1.0), ((-1.3,), -1.0)], "ceil": [((0.8,), 1.0), ((2.2,), 2.0)],
    "round": [((0.8,), 0.5), ((-1.3,), -1.5)],
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
        for j, edge in enumerate(op.edges):
            p = edge.point(*args)
            if p is None:
                continue
            found += 1
            # a tuple: the point of each edge (a row with edges in two inputs has both at once)
            assert p == pytest.approx(expected[j] if isinstance(expected, tuple) else expected), (name, args)
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


def test_acosh_derivative_of_a_huge_argument() -> None:
    # d/dx acosh(x) = 1/sqrt(x**2 - 1): x*x overflows past 1.3e154, where the rule gave 0 (CI's SymPy
    # reference found it: y**2 * acosh(2 + y**2) with y = 2*sinh(300), gradient off by 1/600)
    from gradcli import evaluate

    assert evaluate("y = acosh(x)", x=1e200).gradients["x"] == pytest.approx(1e-200, rel=1e-12)
    assert evaluate("y = acosh(x)", x=1.5).gradients["x"] == pytest.approx(1.25 ** -0.5, rel=1e-15)
    r = evaluate("y = 2 * sinh(x * 300); z = y ** 2 * acosh(2 + y ** 2)", x=1.0)
    y = 2 * math.sinh(300.0)
    dy = 600 * math.cosh(300.0)  # dz/dx = (2y acosh(u) + y**2 * 2y / sqrt(u**2 - 1)) dy/dx, u = 2 + y**2, u ~ y**2
    assert r.gradients["x"] == pytest.approx((2 * y * math.acosh(2 + y * y) + 2 * y) * dy, rel=1e-12)
