"""Size: big programs complete with the right numbers, and nothing recurses.

The sizes here keep the suite quick; the README's benchmarks run the
1,000,000-statement program (see benchmarks/programs.py --scale).
"""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner

from gradcli import evaluate
from gradcli.front.cli import cli


def test_statement_chain() -> None:
    n = 100_000
    source = "x0 = 0.5\n" + "\n".join(f"x{i} = x{i - 1} * 0.9999 + 0.0001" for i in range(1, n))
    r = evaluate(source)
    assert r.value == pytest.approx(1 - 0.5 * 0.9999 ** (n - 1), rel=1e-9)
    assert r.gradients["x0"] == pytest.approx(0.9999 ** (n - 1), rel=1e-9)


def test_unary_minuses() -> None:
    n = 100_000
    r = evaluate("x = 3\ny = " + "-" * n + "x")
    assert r.value == 3.0 and r.gradients["x"] == 1.0
    r = evaluate("x = 3\ny = " + "-" * (n + 1) + "x")
    assert r.value == -3.0 and r.gradients["x"] == -1.0
    assert evaluate("-" * n + "2").value == 2.0  # folded into one number


def test_long_sum() -> None:
    n = 200_000
    r = evaluate("x = 0.5\ny = " + " + ".join(["x"] * n))
    assert r.value == n * 0.5 and r.gradients["x"] == n


def test_deep_parentheses_through_the_cli() -> None:
    depth = 100_000
    program = "x = 2\ny = " + "(" * depth + "x * 3" + ")" * depth
    r = CliRunner().invoke(cli, ["-f", "-", "--format", "json"], input=program)
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["value"] == 6.0 and doc["gradients"]["x"] == 3.0


def test_no_recursion_limit_was_raised() -> None:
    assert sys.getrecursionlimit() <= 10_000
