"""A sweep in chunks: the same numbers as the whole grid at once, bit for bit, written as the csv
module and json.dumps write them, in memory bounded by the budget whatever the grid's size."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcli.errors import MathError
from gradcli.front.cli import cli
from gradcli.interpret.stream import CHUNK_POINTS, chunk_ends, plan_sweep
from gradcli.interpret.sweep import SweepSpec, make_grid, run_sweep
from gradcli.language.parser import parse
from gradcli.limits import Limits
from gradcli.views.render import sweep_csv
from gradcli.views.sweep_text import (
    csv_header,
    csv_rows,
    sweep_json_head,
    sweep_json_points,
    sweep_json_tail,
)

#: programs with undefined points (log, division, sqrt) and ops whose NumPy loops are not plain arithmetic
PROGRAMS = [
    "y = x * w + sin(x) * w ** 2 + log(v)",
    "y = sqrt(x) / w + tanh(v * x) - exp(-x * x)",
    "a = 2; y = a * x ** 3 + relu(w - x) * sigmoid(v)",
]
ends = st.floats(-5, 5, allow_nan=False).map(lambda x: round(x, 3))
axes = st.lists(st.tuples(ends, ends, st.integers(2, 9)), min_size=1, max_size=3)


def bits(columns: list[np.ndarray]) -> list[bytes]:
    return [np.ascontiguousarray(c, dtype=np.float64).tobytes() for c in columns]


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(PROGRAMS), axes, st.integers(1, 60))
def test_chunks_give_the_whole_grid_bit_for_bit(source: str, spans: list[tuple[float, float, int]], chunk: int) -> None:
    specs = [SweepSpec(name, a, b, n) for name, (a, b, n) in zip("xwv", spans)]
    program = parse(source + ("; y = y + x * 0 + w * 0 + v * 0" if "v" in source else ""))
    values = {n: 0.5 for n in "xwv"[len(specs):]}
    try:
        whole = run_sweep(program, make_grid(specs), values)
    except MathError:  # undefined at every point tried: so is the plan
        with pytest.raises(MathError):
            plan_sweep(program, specs, values)
        return
    plan = replace(plan_sweep(program, specs, values), chunk=chunk)
    results = [plan.run(j) for j in range(len(plan))]
    assert all(r.values.size <= chunk for r in results)
    assert sum(r.values.size for r in results) == whole.values.size
    got = [np.concatenate(c) for c in zip(*(r.columns() for r in results))]
    assert bits(got) == bits(whole.columns())
    assert sum(r.undefined for r in results) == whole.undefined
    assert plan.header() == whole.header() and plan.held() == whole.held


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False), st.floats(allow_nan=False, allow_infinity=False),
       st.integers(2, 10_000), st.data())
def test_a_stretch_of_a_range_is_the_same_floats_as_linspace(start: float, stop: float, count: int,
                                                             data: st.DataObject) -> None:
    spec = SweepSpec("x", start, stop, count)
    lo = data.draw(st.integers(0, count - 1))
    hi = data.draw(st.integers(lo, count))
    with np.errstate(all="ignore"):
        whole = np.linspace(start, stop, count)
        assert spec.values(lo, hi).tobytes() == whole[lo:hi].tobytes()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.floats(allow_infinity=False), min_size=3, max_size=3), min_size=0, max_size=30))
def test_csv_rows_are_the_csv_modules_rows_of_repr(rows: list[list[float]]) -> None:
    columns = [np.array(c, dtype=np.float64) for c in zip(*rows)] if rows else [np.empty(0)] * 3
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([repr(x + 0.0) for x in row] for row in rows)
    assert csv_rows(columns) == out.getvalue()
    for line, row in zip(csv_rows(columns).splitlines(), rows):  # and every number reads back as itself
        back = [float(t) for t in line.split(",")]
        assert all(b == x or math.isnan(b) and math.isnan(x) for b, x in zip(back, row))


def test_csv_writes_minus_zero_as_zero_and_nan_as_nan() -> None:
    assert csv_rows([np.array([-0.0, np.nan, 1e16, 1e-5])]) == "0.0\nnan\n1e+16\n1e-05\n"
    assert csv_header(["x", "-x + 1", "=cmd"]) == "x,'-x + 1,'=cmd\n"


@pytest.mark.parametrize("source", PROGRAMS)
def test_the_json_pieces_are_json_dumps_of_the_whole_document(source: str) -> None:
    grid = make_grid([SweepSpec("x", -1, 2, 7), SweepSpec("w", -0.0, 1, 3)])
    res = run_sweep(parse(source), grid, {"v": 2.0} if "v" in source else {})
    ends = {n: (float(a[0]), float(a[-1]), len(a)) for n, a in res.axes.items()}
    half = 10
    columns = res.columns()
    pieces = [sweep_json_points(list(res.axes), list(res.gradients), [c[s:s + half] for c in columns])
              for s in range(0, res.values.size, half)]
    text = sweep_json_head(res.output_name, ends, res.held) + ", ".join(pieces) + sweep_json_tail(res.undefined)
    assert text == json.dumps(res.to_json(), allow_nan=False)
    assert ("null" in text) == (res.undefined > 0)


def test_the_ends_of_a_chunk_are_its_first_and_last_rows() -> None:
    res = run_sweep(parse("y = x * x"), {"x": np.arange(25.0)})
    assert chunk_ends(res, 10) == [*list(res.rows())[:10], *list(res.rows())[-10:]]
    small = run_sweep(parse("y = x * x"), {"x": np.arange(20.0)})
    assert chunk_ends(small, 10) == list(small.rows())


def test_a_chunk_holds_what_the_budget_allows_and_the_grid_need_not_fit() -> None:
    program = parse("y = sin(x) * x")
    big = [SweepSpec("x", 0, 1, 10**12)]  # 8 TB of points: planned, never made
    plan = plan_sweep(program, big, limits=Limits({"memory": 2**20}))
    assert 1 <= plan.chunk < CHUNK_POINTS and len(plan) == -(-10**12 // plan.chunk)
    last = plan.box(len(plan) - 1)["x"]
    assert last[-1] == 1.0 and len(last) <= plan.chunk
    assert plan_sweep(program, big).chunk == CHUNK_POINTS  # the default budget: the largest chunk


def test_a_grid_is_cut_into_boxes_that_follow_its_rows() -> None:
    specs = [SweepSpec("x", 0, 1, 3), SweepSpec("w", 0, 1, 4), SweepSpec("v", 0, 1, 5)]
    whole = plan_sweep(parse("y = x * w * v"), specs)
    for chunk, sizes in [(20, [20, 20, 20]), (7, [5] * 12), (3, [3, 2] * 12), (60, [60]), (1, [1] * 60)]:
        plan = replace(whole, chunk=chunk)
        assert [math.prod(len(a) for a in plan.box(j).values()) for j in range(len(plan))] == sizes


def test_a_plot_samples_a_big_grid_and_keeps_its_ends() -> None:
    plan = plan_sweep(parse("y = x"), [SweepSpec("x", -1, 1, 1_000_001)])
    sample = plan.sample(10_000)["x"]
    assert 9_000 <= len(sample) <= 10_001 and sample[0] == -1.0 and sample[-1] == 1.0
    step = round((sample[1] - sample[0]) / 2e-6)
    assert sample[:4].tobytes() == plan.specs["x"].values(0, 3 * step + 1)[::step].tobytes()  # points of the grid
    small = plan_sweep(parse("y = x"), [SweepSpec("x", -1, 1, 11)])
    assert small.sample(10_000)["x"].tobytes() == np.linspace(-1, 1, 11).tobytes()


def test_a_plot_of_a_sweep_bigger_than_the_budget_draws_a_sample_and_says_so() -> None:
    r = CliRunner().invoke(cli, ["y = x ** 2", "--sweep", "x=-1:1:600001", "--limit", "memory=2MB", "--plot",
                                 "--jobs", "1"], env={"COLUMNS": "100"})
    assert r.exit_code == 0, r.output
    assert re.fullmatch(r"note: the plot draws [0-9,]+ of the 600,001 points of the sweep, evenly spaced\n", r.stderr)
    assert "y over x from -1.0000 to 1.0000 (600001 points)" in r.stdout


def test_the_csv_of_a_sweep_is_one_piece_or_many_alike() -> None:
    res = run_sweep(parse("y = log(x)"), {"x": np.linspace(-1, 1, 25_001)})
    whole = "".join(sweep_csv(res))
    r = CliRunner().invoke(cli, ["y = log(x)", "--sweep", "x=-1:1:25001", "--format", "csv", "--jobs", "1",
                                 "--limit", "memory=1MB"])
    assert r.exit_code == 0 and r.stdout == whole
