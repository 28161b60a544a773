"""JSON text: ``json_text`` writes exactly the bytes ``json.dumps(doc, indent=2, allow_nan=False)`` does,
and ``--format json`` writes the document a program's nodes make, byte for byte as before it streamed."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner
from hypothesis import assume, given
from hypothesis import strategies as st

from gradcli import evaluate
from gradcli.errors import GradcliError
from gradcli.front.cli import cli
from gradcli.views import json_text
from gradcli.views.json_text import Pairs, Records, Rows
from gradcli.views.numbers import json_number

try:  # tests/ as a package or as a plain folder on sys.path
    from .programgen import fuzz_settings, programs
except ImportError:
    from programgen import fuzz_settings, programs

SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
           | st.text() | st.sampled_from(["%s", "%%", "\x00\x1b[31m", "∂y/∂x", "\ud800", "\n"]))
KEYS = st.text() | st.sampled_from(["%s", "id", "", "\u2028"])
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=5) | st.tuples(inner, inner)
                      | st.dictionaries(KEYS, inner, max_size=5), max_leaves=40)


@given(VALUES)
@fuzz_settings(300)
def test_any_value_is_written_as_json_dumps_writes_it(value):
    assert json_text.dumps(value) == json.dumps(value, indent=2, allow_nan=False)


@given(st.dictionaries(KEYS, VALUES, max_size=4), st.lists(VALUES, max_size=8))
@fuzz_settings(200)
def test_rows_are_written_as_the_list_they_stand_for(doc, items):
    for key in ("nodes", "%s"):
        expected = json.dumps({**doc, key: items}, indent=2, allow_nan=False)
        assert json_text.dumps({**doc, key: Rows(iter(items))}) == expected
        assert "".join(json_text.pieces({**doc, key: Rows(iter(items))})) == expected


@given(st.lists(st.tuples(st.integers(), st.text(), SCALARS, st.lists(st.integers(), max_size=3),
                          st.floats(allow_nan=False, allow_infinity=False) | st.none(), VALUES), max_size=30))
@fuzz_settings(200)
def test_records_are_written_as_their_objects(rows):
    keys = ("id", "la%sbel", "x", "inputs", "grad", "any")
    expected = json.dumps({"nodes": [dict(zip(keys, row)) for row in rows]}, indent=2, allow_nan=False)
    assert json_text.dumps({"nodes": Records.of_rows(keys, rows)}) == expected


def test_records_longer_than_a_block():
    rows = [(i, f"v{i}", float(i) / 3, [i - 1, i - 2] if i > 1 else []) for i in range(2 * json_text.BLOCK + 7)]
    keys = ("id", "label", "data", "inputs")
    expected = json.dumps({"a": 1, "nodes": [dict(zip(keys, r)) for r in rows], "z": {}}, indent=2)
    assert json_text.dumps({"a": 1, "nodes": Records.of_rows(keys, rows), "z": {}}) == expected


@pytest.mark.parametrize("size", [0, 1, json_text.BLOCK, json_text.BLOCK + 1, 3 * json_text.BLOCK])
def test_pairs_are_written_as_the_object_they_stand_for(size):
    kinds = [0.1, None, "%s", [1, {"k": 2}], {}, True, -3]
    items = [(f"v{i}\u2028" if i % 5 == 0 else f"v{i}", kinds[i % len(kinds)]) for i in range(size)]
    for doc in ({"gradients": Pairs(iter(items)), "z": 1}, {"a": [1], "gradients": Pairs(iter(items))}):
        expected = json.dumps({**doc, "gradients": dict(items)}, indent=2, allow_nan=False)
        assert json_text.dumps(doc) == expected
    nested = {"a": [Pairs(iter(items))]}  # (inside a list: written whole)
    assert json_text.dumps(nested) == json.dumps({"a": [dict(items)]}, indent=2)


@pytest.mark.parametrize("size", [json_text.BLOCK, json_text.BLOCK + 1, 3 * json_text.BLOCK])
def test_objects_longer_than_a_block_are_written_in_pieces_as_json_dumps_writes_them(size):
    # a big program's gradients: one item per name, values of every kind JSON has
    kinds = [0.1, None, "%s", [1, {"k": 2}], {}, True, -3]
    grads = {f"v{i}\u2028" if i % 5 == 0 else f"v{i}": kinds[i % len(kinds)] for i in range(size)}
    doc = {"output": "y", "gradients": grads, "nodes": Rows(iter([1, 2]))}
    expected = json.dumps({**doc, "nodes": [1, 2]}, indent=2, allow_nan=False)
    written = list(json_text.pieces(doc))
    assert "".join(written) == expected
    # written a block of items at a time, never as one piece of them all
    assert max(map(len, written)) < len(expected) // 2 or size < 2 * json_text.BLOCK


def test_a_long_object_out_of_range_fails_as_in_json():
    grads = {f"v{i}": float(i) for i in range(2 * json_text.BLOCK)}
    grads["v7"] = math.inf
    with pytest.raises(ValueError) as info:
        json_text.dumps({"gradients": grads})
    with pytest.raises(ValueError) as theirs:
        json.dumps({"gradients": grads}, indent=2, allow_nan=False)
    assert str(info.value) == str(theirs.value)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_numbers_out_of_range_fail_as_in_json(bad):
    for doc in ({"x": bad}, [1.0, bad], {"nodes": Records.of_rows(("a",), [(1.0,), (bad,)])}):
        with pytest.raises(ValueError) as ours:
            json_text.dumps(doc)
        plain = {"nodes": [{"a": 1.0}, {"a": bad}]} if isinstance(doc, dict) and "nodes" in doc else doc
        with pytest.raises(ValueError) as theirs:
            json.dumps(plain, indent=2, allow_nan=False)
        assert str(ours.value) == str(theirs.value)


def test_what_json_does_not_know_fails_as_in_json():
    with pytest.raises(TypeError, match="not JSON serializable"):
        json_text.dumps({"x": {1, 2}})


def _document_as_before(result) -> dict:
    """The JSON document as gradcli built it before it was streamed (the reference)."""
    return {
        "output": result.output_name,
        "value": result.value,
        "inputs": {name: v.data for name, v in result.inputs.items()},
        "gradients": {name: json_number(g) for name, g in result.gradients.items()},
        "nodes": [{"id": i, "label": v.label, "op": v.op.name, "data": v.data, "grad": json_number(v.grad),
                   "inputs": [result.node_id(u) for u in v.inputs]} for i, v in enumerate(result.nodes)],
    }


@given(programs())
@fuzz_settings(150)
def test_format_json_writes_the_same_bytes_as_before(p):
    try:
        result = evaluate(p.source, p.values, p.output)
    except GradcliError:
        assume(False)
    args = ["--format", "json"] + [f"--set={k}={v!r}" for k, v in p.values.items()]
    if p.output is not None:
        args += ["--of", p.output]
    run = CliRunner().invoke(cli, [*args, "--", p.source])  # (a program may start with '-')
    assert run.exit_code == 0, run.output
    assert run.stdout == json.dumps(_document_as_before(result), indent=2, allow_nan=False) + "\n"
    assert json.loads(run.stdout) == json.loads(json.dumps(result.to_json()))
