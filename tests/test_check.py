"""--check: autodiff against central differences, in the library and the CLI."""

from __future__ import annotations

import io
import json
import math
import re

import pytest
from click.testing import CliRunner
from rich.console import Console

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


# ----- notes: the kinks, jumps, singularities and domain edges a finite difference meets ---------

# one program per kind of edge the op table has, the exit code, and the note on x's row
NOTED = [
    ("x = 0; y = relu(x)", 1, "y = relu(x) is at its kink (x = 0): one-sided slopes 0 and 1"),
    # abs at 0 passes (autodiff's 0 is the mean of -1 and 1 by luck): the note says the slope is a convention
    ("x = 0; y = abs(x)", 0, "y = abs(x) is at its kink (x = 0): one-sided slopes -1 and 1"),
    ("x = 1; w = 1; y = max(x, w)", 1, "y = max(x, w) is at its kink (x = w): one-sided slopes 0 and 1"),
    ("x = 2; w = 2; y = min(x, w)", 1, "y = min(x, w) is at its kink (x = w): one-sided slopes 1 and 0"),
    ("x = 1e-7; h = relu(2*x - 1e-7)", 1,
     "h = relu(2*x - 1e-7) is 1e-7 from its kink (2*x - 1e-7 = 0), and the step moves 2*x - 1e-7 by 1.21e-5: "
     "one-sided slopes 0 and 1"),
    ("x = 0; y = step(x)", 1, "y = step(x) is at its jump (x = 0): it jumps from 0 to 1"),
    ("x = 0; y = 3 * sign(x)", 1, "sign(x) is at its jump (x = 0): it jumps from -1 to 1"),
    ("x = 1e-9; y = log(x)", 1,
     "y = log(x) is 1e-9 from its singularity (x = 0), and the step moves x by 6.06e-10"),
    ("x = 1e-9; y = sqrt(x)", 1,
     "y = sqrt(x) is 1e-9 from its singularity (x = 0), and the step moves x by 6.06e-10"),
    ("x = 1e-9; y = 1 / x", 1,
     "y = 1 / x is 1e-9 from its singularity (x = 0), and the step moves x by 6.06e-6, across it"),
    ("x = 1.5707963; y = tan(x)", 1,
     "y = tan(x) is 2.68e-8 from its singularity (x = 1.5708), and the step moves x by 9.51e-6, across it"),
    ("x = 1e-9; y = x ** 0.5", 1,
     "y = x ** 0.5 is 1e-9 from its singularity (x = 0), and the step moves x by 6.06e-10"),
    ("x = 1e-9; y = x ** -1", 1,
     "y = x ** -1 is 1e-9 from its singularity (x = 0), and the step moves x by 6.06e-6, across it"),
    ("x = 0; y = x ** 1.5", 1, "y = x ** 1.5 is at its domain edge (x = 0): no step down to 6.06e-14 keeps it defined"),
]


@pytest.mark.parametrize("program, code, note", NOTED)
def test_a_check_at_an_edge_says_which_one(program: str, code: int, note: str) -> None:
    table = CliRunner().invoke(cli, [program, "--check"], env={"COLUMNS": "300"})
    assert table.exit_code == code
    lines = table.stdout.splitlines()
    row = [line for line in lines if line.startswith("│ x ")][-1]
    assert row.split("│")[-2].strip() == ("ok¹" if code == 0 else "FAIL¹")
    bottom = next(i for i, line in enumerate(lines) if line.startswith("└") and i > lines.index(row))
    assert lines[bottom + 1] == f"¹ x: {note}"  # under the table's bottom line

    doc = json.loads(CliRunner().invoke(cli, [program, "--check", "--format", "json"]).stdout)
    variable = doc["check"]["variables"][0]
    assert variable["name"] == "x" and variable["note"] == note and variable["ok"] is (code == 0)


def _slopes(note: str) -> tuple[float, float]:
    found = re.search(r"one-sided slopes (\S+) and (\S+)$", note) or re.search(r"jumps from (\S+) to (\S+)$", note)
    assert found, note
    return float(found.group(1)), float(found.group(2))


@pytest.mark.parametrize("program, f, at, kind", [
    ("x = 0; y = relu(x)", lambda t: max(t, 0.0), 0.0, "slopes"),
    ("x = 0; y = abs(x)", abs, 0.0, "slopes"),
    ("x = 1.5; w = 1.5; y = max(x, w)", lambda t: max(t, 1.5), 1.5, "slopes"),
    ("x = -3; w = -3; y = min(x, w)", lambda t: min(t, -3.0), -3.0, "slopes"),
    ("x = 0; y = step(x)", lambda t: float(t > 0), 0.0, "values"),
    ("x = 0; y = sign(x)", lambda t: math.copysign(1.0, t) if t else 0.0, 0.0, "values"),
])
def test_the_notes_slopes_are_the_functions(program: str, f, at: float, kind: str) -> None:
    """The one-sided slopes (values either side, at a jump) against Python's own functions."""
    (row,) = [r for r in gradient_check(evaluate(program)).rows if r.name == "x"]
    assert row.note is not None
    h = 1e-3
    if kind == "slopes":
        expected = ((f(at) - f(at - h)) / h, (f(at + h) - f(at)) / h)
    else:
        expected = (f(at - h), f(at + h))
    assert _slopes(row.note) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("program", [
    "x = 2; y = 3; z = x**y + max(x, y) * sin(x) / y",  # max, pow, div: their edges far away
    "x = 0.5; y = log(x) + sqrt(x) + tan(x) + relu(x) + abs(x - 1) + step(x) + 1 / x",
])
def test_no_note_on_a_clean_pass(program: str) -> None:
    table = CliRunner().invoke(cli, [program, "--check"], env={"COLUMNS": "120"})
    assert table.exit_code == 0 and "¹" not in table.stdout
    assert table.stdout.rstrip().splitlines()[-1].startswith("└")  # the table ends the output
    doc = json.loads(CliRunner().invoke(cli, [program, "--check", "--format", "json"]).stdout)
    assert doc["check"]["ok"] is True
    # "note" on every row, null: the same keys on every row
    assert all("note" in r and r["note"] is None for r in doc["check"]["variables"])


def test_a_note_names_only_what_the_checked_input_moves() -> None:
    # relu(w * x) is at its kink, and x moves it there, w does not (x is 0)
    doc = json.loads(CliRunner().invoke(cli, ["x = 0; w = 1; y = relu(w * x)", "--check", "--format", "json"]).stdout)
    notes = {r["name"]: r["note"] for r in doc["check"]["variables"]}
    assert notes == {"x": "y = relu(w * x) is at its kink (w * x = 0): one-sided slopes 0 and 1", "w": None}


def test_the_jacobian_check_has_the_notes() -> None:
    args = ["x = 1; w = 1; a = max(x, w); b = x * w", "--of", "a", "--of", "b", "--check"]
    table = CliRunner().invoke(cli, args, env={"COLUMNS": "120"})
    assert table.exit_code == 1
    note = "a = max(x, w) is at its kink (x = w): one-sided slopes 0 and 1"
    lines = table.stdout.splitlines()
    assert lines[-2:] == [f"¹ ∂a/∂x: {note}", f"² ∂a/∂w: {note}"]
    doc = json.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).stdout)
    assert [(r["output"], r["name"], r["note"]) for r in doc["check"]["variables"]] == [
        ("a", "x", note), ("a", "w", note), ("b", "x", None), ("b", "w", None)]


def test_notes_come_with_order_and_symbolic_too() -> None:
    for extra in (["--order", "2"], ["--symbolic"]):
        doc = json.loads(CliRunner().invoke(cli, ["x = 0; y = relu(x)", "--check", *extra, "--format", "json"]).stdout)
        assert doc["check"]["variables"][0]["note"] == "y = relu(x) is at its kink (x = 0): one-sided slopes 0 and 1"


def test_a_note_is_escaped_on_the_terminal() -> None:
    from gradcli.interpret.check import Check, CheckRow
    from gradcli.views.reports import check_table

    row = CheckRow("x", 0.0, 0.5, 0.5, 1.0, False, note="y\x1b[2J = relu(x)\u202e is at its kink")
    console = Console(width=120, force_terminal=False, color_system=None, file=io.StringIO())
    console.print(check_table(Check([row], 1e-5, 1e-3)))
    shown = console.file.getvalue()
    assert "\x1b" not in shown and "\u202e" not in shown
    assert "y\\x1b[2J = relu(x)\\u202e is at its kink" in shown


def test_a_note_names_a_few_findings_and_counts_the_rest() -> None:
    terms = " + ".join(f"relu({k} * x)" for k in range(1, 1001))
    (row,) = gradient_check(evaluate(f"x = 0; y = {terms}")).rows
    assert row.note is not None and len(row.note) < 400
    assert row.note.startswith("relu(1 * x) is at its kink (1 * x = 0): one-sided slopes 0 and 1; relu(2 * x) ")
    assert row.note.endswith("; and 997 more kinks or singularities")
