"""Golden files: each program in examples/ against its expected table, tree and JSON.

Adding an example is adding a .grad file; run with GRADCLI_UPDATE_GOLDEN=1 once
to write its golden files under tests/golden/, then read them before committing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcli.front.cli import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.grad"))
GOLDEN = Path(__file__).resolve().parent / "golden"
FORMATS = {"table": ".table.txt", "tree": ".tree.txt", "json": ".json"}


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_matches_golden(example: Path, fmt: str) -> None:
    out = run("-f", str(example), "--format", fmt)
    golden = GOLDEN / (example.stem + FORMATS[fmt])
    if os.environ.get("GRADCLI_UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8")


def test_output_is_byte_identical_across_runs() -> None:
    for example in EXAMPLES:
        assert run("-f", str(example), "--format", "json") == run("-f", str(example), "--format", "json")


# the worked numbers the examples promise in their comments
EXPECTED = {
    "seed_chain": {"value": 30.0, "gradients": {"x": 10.0, "y": 5.0}},
    "seed_sum": {"value": 9.0, "gradients": {"a": 3.0, "b": 1.0, "c": 1.0}},
    "oneliner": {"value": 9.0, "gradients": {"a": 3.0}},
    "neuron": {"value": 0.7071, "gradients": {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0}},
    "mse": {"value": 2.25, "gradients": {"w": -9.0, "b": -3.0}},
    # from SymPy, differentiating the same function symbolically
    "functions": {"value": 6.1764009033854030, "gradients": {"x": 6.3075004661076692}},
}


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_example_numbers(stem: str) -> None:
    doc = json.loads(run("-f", str(ROOT / "examples" / f"{stem}.grad"), "--format", "json"))
    assert doc["value"] == pytest.approx(EXPECTED[stem]["value"], abs=1e-4)
    for name, grad in EXPECTED[stem]["gradients"].items():
        assert doc["gradients"][name] == pytest.approx(grad, rel=1e-12, abs=1e-12), name
