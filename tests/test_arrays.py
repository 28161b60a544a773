"""A program's numbers in arrays (``interpret.arrays``) against the engine's Values, to the bit.

The arrays are how every program is computed; the engine's ``Value`` is the library's
node. Both follow the same rules from the op table, so on any program, at any values,
they must give the same data and grads bit for bit, and fail with the same message at
the same place. The engine's way is spelled out here as it ran before the arrays
(build the Values, run the engine's backward, place its error), as the independent answer.
"""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradcli import evaluate
from gradcli.bindings import bind
from gradcli.errors import GradcliError, MathError
from gradcli.interpret import engine
from gradcli.interpret.program import _located, build, differentiate
from gradcli.language.ops import INPUT
from gradcli.language.parser import parse
from gradcli.views.render import to_json

try:  # tests/ as a package or as a plain folder on sys.path
    from .programgen import GeneratedProgram, fuzz_settings, programs
except ImportError:
    from programgen import GeneratedProgram, fuzz_settings, programs

#: values that push ops to their edges: zero, negatives for log and sqrt, overflow, underflow
EDGES = st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-320, -1e-320, 1e300, -1e300, 710.0, 1e154])


def bits(xs: list[float]) -> list[bytes]:
    """Numbers as their bytes: NaN equals NaN, and -0.0 is not 0.0."""
    return [struct.pack("<d", x) for x in xs]


def by_the_engine(b, values):  # noqa: ANN001, ANN201 - the reference, as program.differentiate was
    """(data, grads) by the engine's Values, or the message of the error it raised, placed."""
    try:
        nodes = build(b, values)
    except MathError as e:
        return e.message
    try:
        engine.backward(nodes[b.output], nodes)
    except engine.GradientError as e:
        n = nodes.index(e.node)
        data = [v.data for v in nodes]
        return _located(b, data, n, e, blame_all=b.ops[n] is not INPUT).message
    return [v.data for v in nodes], [v.grad for v in nodes]


def by_the_arrays(b, values):  # noqa: ANN001, ANN201
    try:
        result = differentiate(b, values)
    except MathError as e:
        return e.message
    return list(result.data), list(result.grads)


def same(b, values) -> None:  # noqa: ANN001
    want, got = by_the_engine(b, values), by_the_arrays(b, values)
    if isinstance(want, str) or isinstance(got, str):
        assert got == want
    else:
        assert bits(got[0]) == bits(want[0])
        assert bits(got[1]) == bits(want[1])


@fuzz_settings(300)
@given(programs(), st.data())
def test_arrays_give_the_engines_numbers_and_errors(program: GeneratedProgram, data: st.DataObject) -> None:
    try:
        b = bind(parse(program.source), program.values, program.output)
    except GradcliError:
        return  # not a program that runs: nothing to compare
    same(b, None)
    # the inputs at the edges of the ops' domains: errors, NaN gradients of constants, overflow
    edges = {name: data.draw(EDGES, label=name) for name in b.inputs}
    same(b, edges)


@pytest.mark.parametrize("source, values", [
    ("y = x ** 2", {"x": -3.0}),  # d/d(2) of x**2 at x < 0: NaN in the constant, no error
    ("y = sqrt(x)", {"x": 0.0}),  # undefined derivative into a variable: an error
    ("y = max(a, b, c) * a", {"a": 1.0, "b": 2.0, "c": 2.0}),  # three inputs: the checked pass
    ("y = exp(x) * exp(x) * 1e300", {"x": 300.0}),  # forward overflow
    ("y = x * 1e300 * 1e300 / 1e300", {"x": 1.0}),  # forward overflow inside
    ("z = x ** 0.5 + x", {"x": 0.0}),
    ("y = a + a * a", {"a": 2.0}),  # an input read twice by one node
])
def test_arrays_at_known_edges(source: str, values: dict) -> None:
    same(bind(parse(source), values), None)


def test_a_worked_example() -> None:
    # d = (a+3) + a*2 at a = 2: d = 9, dd/da = 1 + 2 = 3
    r = evaluate("a = 2; b = a + 3; c = a * 2; d = b + c")
    assert r.value == 9.0
    assert r.gradients == {"a": 3.0, "b": 1.0, "c": 1.0, "d": 1.0}
    # x**2 at x = -3: the constant 2's grad is NaN (log of a negative base), x's is -6
    r = evaluate("y = x ** 2", x=-3)
    assert r.gradients["x"] == -6.0
    assert math.isnan(r.grads[1]) and r.bindings.labels[1] == "2"


def test_the_values_match_the_arrays() -> None:
    r = evaluate("y = tanh(x * w + b)", x=0.5, w=-1.5, b=0.25)
    assert [v.data for v in r.nodes] == list(r.data)
    assert [v.grad for v in r.nodes] == list(r.grads)
    assert r.output is r.nodes[-1] and r.inputs["x"] is r.nodes[0]


def test_json_makes_no_value_per_node() -> None:
    r = evaluate("; ".join(f"v{i} = v{i - 1} * 1.5 + 1" if i else "v0 = 1" for i in range(50)))
    doc = to_json(r)
    assert len(doc["nodes"]) == len(r) == 1 + 49 * 4
    assert r._nodes is None  # the numbers came from the arrays: no Value was made
    assert doc["gradients"]["v0"] == pytest.approx(1.5 ** 49)


def test_nodes_of_three_inputs_and_numbers_folded_away() -> None:
    # x = max(1, 2, 3) is folded to the input x = 3 (its nodes dropped); the second max stays a node
    r = evaluate("x = max(1, 2, 3); y = x * max(x, 2, 1)")
    b = r.bindings
    assert b.inputs == {"x": 0} and len(b.args.more) == 1
    (n, rest), = b.args.more.items()
    assert b.args[n] == (0, n - 2, n - 1) and rest == (n - 1,)
    # y = x * max(x, 2, 1) at x = 3: 9, and dy/dx = max(...) + x * 1 = 6
    assert r.value == 9.0 and r.gradients["x"] == 6.0


def test_labels_and_inputs_read_whole_as_one_by_one() -> None:
    # more nodes than a block of them (bindings._BLOCK), with nodes of three inputs across the blocks
    r = evaluate("; ".join(f"v{i} = max(v{i - 1}, 1, 2) * 1.0001" if i else "v0 = x" for i in range(3000)), x=3)
    b = r.bindings
    assert len(r) > 2 * 4_096 and len(b.args.more) == 2999
    assert list(b.labels) == [b.labels[n] for n in range(len(r))]
    assert list(b.args) == [b.args[n] for n in range(len(r))]
    n = len(r) - 3  # the last max
    assert b.labels[n] == "max(v2998, 1, 2)" and b.args[n] == (n - 3, n - 2, n - 1)
