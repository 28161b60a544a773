"""--each-line: one program per line, failures reported per line, the batch goes on."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from gradcli.front.cli import cli
from gradcli.interpret.batch import programs, run_lines

INPUT = "x = 2; y = x*x\n# a comment\n\nz = q + 1\nexp(1000)\nx = 3; sin(x)\n"


def test_lines_and_numbers() -> None:
    assert programs(INPUT) == [(1, "x = 2; y = x*x"), (4, "z = q + 1"), (5, "exp(1000)"), (6, "x = 3; sin(x)")]
    rows = list(run_lines(programs(INPUT), {}))
    assert [r.result.value if r.result else None for r in rows] == [4.0, None, None, pytest.approx(math.sin(3))]
    assert rows[1].message.startswith("line 4: unknown name 'q' at column 5")
    assert rows[2].message == "line 5: overflow in 'exp(1000)' at column 1"


def test_values_and_output_apply_to_every_line() -> None:
    rows = list(run_lines(programs("y = a * 2; w = y + 1\nb = a ** 2"), {"a": 3.0}, output=None))
    assert [(r.result.output_name, r.result.value) for r in rows] == [("w", 7.0), ("b", 9.0)]


def test_json_lines() -> None:
    r = CliRunner().invoke(cli, ["--each-line", "--format", "json"], input=INPUT)
    assert r.exit_code == 1
    docs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [d["line"] for d in docs] == [1, 4, 5, 6]
    assert docs[0]["value"] == 4.0 and docs[0]["gradients"] == {"x": 4.0, "y": 1.0}
    assert docs[1]["error"] == {
        "message": "line 4: unknown name 'q' at column 5 (assign it earlier in the program, or give it with --set q=VALUE)",
        "exit_code": 2,
    }
    assert docs[2]["error"]["exit_code"] == 1
    assert r.stderr.splitlines() == [
        "error: line 4: unknown name 'q' at column 5 (assign it earlier in the program, or give it with --set q=VALUE)",
        "error: line 5: overflow in 'exp(1000)' at column 1",
        "error: 2 of 4 lines failed",
    ]


def test_table_rows_and_success_exit() -> None:
    r = CliRunner().invoke(cli, ["--each-line", "--set", "a=2"], input="y = a*a\ny = a + 1\n", env={"COLUMNS": "100"})
    assert r.exit_code == 0 and r.stderr == ""
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in r.stdout.splitlines() if line.startswith("│")]
    assert rows == [["1", "y = a*a", "y = 4.0000", "∂/∂a = 4.0000"], ["2", "y = a + 1", "y = 3.0000", "∂/∂a = 1.0000"]]


def test_each_line_refuses_options_it_cannot_honour() -> None:
    r = CliRunner().invoke(cli, ["--each-line", "--explain"], input="x = 1\n")
    assert r.exit_code == 2 and "--each-line goes with" in r.stderr and r.stdout == ""
