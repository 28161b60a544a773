"""--check: autodiff against central differences, in the library and the CLI."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from gradcli import evaluate
from gradcli.front.cli import cli
from gradcli.interpret.check import gradient_check


def test_smooth_program_passes_and_values_are_restored() -> None:
    r = evaluate("x = 2; y = 3; z = x**y + max(x, y) * sin(x) / y")
    before = [(v.data, v.grad) for v in r.nodes]
    check = gradient_check(r)
    assert check.ok
    assert [row.name for row in check.rows] == ["x", "y"]
    for row in check.rows:
        assert row.numeric == pytest.approx(row.autodiff, rel=1e-8)
    assert [(v.data, v.grad) for v in r.nodes] == before


def test_kink_fails_honestly() -> None:
    check = gradient_check(evaluate("x = 0; y = relu(x)"))
    (row,) = check.rows
    assert (row.autodiff, row.numeric, row.ok) == (0.0, 0.5, False)
    assert not check.ok


def test_tolerances() -> None:
    r = evaluate("x = 0; y = relu(x)")
    assert gradient_check(r, atol=0.6).ok
    assert gradient_check(r, atol=0.0, rtol=1.0).ok
    assert not gradient_check(r, atol=0.4, rtol=0.1).ok


def test_step_shrinks_at_a_domain_edge() -> None:
    (row,) = gradient_check(evaluate("x = 1e-3; y = log(x)")).rows
    assert row.ok and row.numeric == pytest.approx(1000.0, rel=1e-4)


def test_no_difference_possible_is_nan_and_fails() -> None:
    # sqrt(x) - sqrt(x) is 0 but sqrt(x - h) is out of domain at x = 0 for every step
    r = evaluate("x = 1; y = sqrt(x - 1 + 0) * 0 + x")
    (row,) = gradient_check(r).rows
    assert math.isnan(row.numeric) and not row.ok


def test_only_input_variables_are_checked() -> None:
    check = gradient_check(evaluate("a = 2; b = a * 3; c = b + a"))
    assert [row.name for row in check.rows] == ["a"]


def test_cli_check_table_and_exit_codes() -> None:
    ok = CliRunner().invoke(cli, ["x = 2; y = x * x", "--check"], env={"COLUMNS": "100"})
    assert ok.exit_code == 0 and ok.stderr == ""
    assert "gradient check (atol 1e-05, rtol 0.001)" in ok.stdout
    row = [line for line in ok.stdout.splitlines() if line.startswith("│ x")][-1]
    assert [cell.strip() for cell in row.split("│")[1:-1]][:3] == ["x", "4.0000", "4.0000"]
    assert row.split("│")[-2].strip() == "ok"

    bad = CliRunner().invoke(cli, ["x = 0; y = relu(x)", "--check"])
    assert bad.exit_code == 1
    assert "FAIL" in bad.stdout
    assert bad.stderr == "error: gradient check failed for x\n"

    loose = CliRunner().invoke(cli, ["x = 0; y = relu(x)", "--check", "--atol", "1"])
    assert loose.exit_code == 0


def test_cli_check_json() -> None:
    out = CliRunner().invoke(cli, ["x = 2; y = 3; z = x * y", "--check", "--format", "json", "--rtol", "0.01"])
    doc = json.loads(out.stdout)
    assert doc["check"]["ok"] is True and doc["check"]["rtol"] == 0.01 and doc["check"]["atol"] == 1e-5
    assert [v["name"] for v in doc["check"]["variables"]] == ["x", "y"]
    assert doc["check"]["variables"][0]["autodiff"] == 3.0
    assert doc["check"]["variables"][0]["numeric"] == pytest.approx(3.0)
