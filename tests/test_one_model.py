"""The cases of the issue "One model of a program", each as a user meets it: through the command.

Numbers are worked by hand: x = 2; x = x*x; x = x*x is x**4 at 2 (16), d/dx = 4 x**3 = 32,
d2/dx2 = 12 x**2 = 48.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcli.front.cli import cli
from gradcli.interpret.program import run
from gradcli.language.parser import parse

SCRIPT = Path(sys.executable).parent / "gradcli"
REASSIGNED = "x = 2; x = x*x; x = x*x"


def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), input=input, env={"COLUMNS": "120"})


def as_json(*args: str) -> dict:  # type: ignore[type-arg]
    r = invoke(*args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def test_a_reassigned_input_keeps_its_gradient_in_every_output() -> None:
    r = subprocess.run([str(SCRIPT), REASSIGNED], capture_output=True, text=True, env={"COLUMNS": "100"})
    assert r.returncode == 0 and r.stdout.splitlines()[0] == "x = 16.0000   ∂x/∂x = 32.0000"
    doc = as_json(REASSIGNED)
    assert doc["gradients"] == {"x": 32.0} and doc["inputs"] == {"x": 2.0}
    check = as_json(REASSIGNED, "--check")["check"]
    assert check["ok"] and [v["name"] for v in check["variables"]] == ["x"]
    assert check["variables"][0]["numeric"] == pytest.approx(32.0, rel=1e-6)
    assert as_json(REASSIGNED, "--order", "2")["hessian"] == {"x": {"x": pytest.approx(48.0)}}
    assert as_json(REASSIGNED, "--symbolic", "--expand")["symbolic"] == {"x": "4*x**3"}
    swept = as_json(REASSIGNED, "--sweep", "x=1:2:2")
    assert [p["gradients"]["x"] for p in swept["points"]] == [4.0, 32.0]


def test_a_formula_never_mixes_the_constant_and_a_variable_named_pi() -> None:
    doc = as_json("--symbolic", "--set", "x=1", "a = x * pi; pi = 2; y = a * pi")
    # pi is the constant in 'a = x * pi', then the input pi = 2: dy/dx = 3.14159... * 2
    assert doc["gradients"]["x"] == pytest.approx(2 * math.pi)
    where = "".join(f"{d['name']} = {d['formula']}\n" for d in doc["definitions"])  # the names formulas use
    for name, formula in doc["symbolic"].items():
        read_back = run(parse(where + formula), doc["inputs"], strict=False).value
        assert read_back == pytest.approx(doc["gradients"][name], rel=1e-12), (name, formula)


@pytest.mark.parametrize("args, message", [
    (["--set", "nosuch=3", "--set", "a=1", "y = 2 * a"], "error: --set nosuch: the program has no input 'nosuch' (inputs: a)"),
    (["--set", "z=3", "a = 1; z = 2 * a"],
     "error: --set z: the program computes 'z' at line 1, column 8 before it uses the given value (inputs: a)"),
    (["--sweep", "q=0:1:3", "--sweep", "x=0:1:3", "y = x"], "error: --sweep q: the program has no input 'q' (inputs: x)"),
])
def test_a_given_value_names_an_input(args: list[str], message: str) -> None:
    r = invoke(*args)
    assert r.exit_code == 2 and r.stdout == "" and r.stderr.splitlines()[0] == message


@pytest.mark.parametrize("right, value", [("-(-2)", 2.0), ("(2)", 2.0), ("pi", math.pi), ("-pi", -math.pi),
                                          ("2+3", 5.0), ("1/3", 1 / 3), ("sqrt(4) * e", 2 * math.e)])
def test_numbers_and_constants_only_make_an_input(right: str, value: float) -> None:
    doc = as_json(f"h0 = {right}; y = h0 * h0")
    assert doc["inputs"] == {"h0": pytest.approx(value)}
    assert doc["gradients"]["h0"] == pytest.approx(2 * value)
    assert [n["op"] for n in doc["nodes"]] == ["input", "mul"]  # folded to one number


def test_of_repeated_gives_the_jacobian_and_checks_every_entry() -> None:
    program = "x = 2; w = 3; pa = x * w; pb = pa + x**2"
    doc = as_json(program, "--of", "pa", "--of", "pb", "--check", "--symbolic")
    assert doc["jacobian"] == {"pa": {"x": 3.0, "w": 2.0}, "pb": {"x": 7.0, "w": 2.0}}
    assert doc["values"] == {"pa": 6.0, "pb": 10.0}
    assert [(v["output"], v["name"]) for v in doc["check"]["variables"]] == [
        ("pa", "x"), ("pa", "w"), ("pb", "x"), ("pb", "w")]
    assert doc["symbolic"]["pb"]["x"] == "w + 2*x"
    table = invoke(program, "--of", "pa", "--of", "pb").stdout
    assert "Jacobian of pa, pb" in table
    rows = [line.split("│")[1:-1] for line in table.splitlines() if line.startswith("│")]
    assert [[c.strip() for c in row] for row in rows] == [["pa", "6.0000", "3.0000", "2.0000"],
                                                           ["pb", "10.0000", "7.0000", "2.0000"]]


def test_latex_with_order_two_writes_the_hessian() -> None:
    r = invoke("y = x * w**2", "--format", "latex", "--order", "2")
    assert r.exit_code == 0
    assert "\\frac{\\partial^{2} y}{\\partial w \\partial w} &= 2 \\cdot x" in r.stdout
    assert "\\mathbf{H}_{y} &= \\begin{pmatrix} 0 & 2 \\cdot w \\\\ 2 \\cdot w & 2 \\cdot x \\end{pmatrix}" in r.stdout


def test_symbolic_order_two_works_without_values_and_with_them() -> None:
    doc = as_json("y = x**3 * w", "--symbolic", "--order", "2")
    formulas = {tuple(f["wrt"]): f["formula"] for f in doc["symbolic_derivatives"]["formulas"]}
    assert formulas == {("x", "x"): "6*w*x", ("x", "w"): "3*x**2", ("w", "w"): "0"}
    doc = as_json("y = x**3 * w", "--symbolic", "--order", "2", "--set", "x=2", "--set", "w=5")
    assert doc["hessian"]["x"]["x"] == pytest.approx(60.0)  # 6 w x


def test_a_terminal_plot_with_json_is_refused_and_a_plot_file_works(tmp_path: Path) -> None:
    r = invoke("y = x", "--sweep", "x=0:1:3", "--plot", "--format", "json")
    assert r.exit_code == 2 and r.stdout == ""
    assert "--plot does not go with --format json" in r.stderr
    pytest.importorskip("matplotlib")
    r = invoke("y = x", "--sweep", "x=0:1:3", "--plot", str(tmp_path / "p.svg"), "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["points"] and (tmp_path / "p.svg").read_bytes().startswith(b"<?xml")


def test_each_line_values_are_shared_but_each_must_be_used_somewhere() -> None:
    lines = "y = a * 2\nz = 3 * 4\n"
    r = invoke("--each-line", "--set", "a=5", "--format", "json", input=lines)
    assert r.exit_code == 0
    assert [json.loads(line)["value"] for line in r.stdout.splitlines()] == [10.0, 12.0]
    r = invoke("--each-line", "--set", "a=5", "--set", "q=1", input=lines)
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr == "error: --set q: no line of the input has an input 'q'\n"
    # a name on a line by itself and then a call: 'q' is a variable there, 'sin' below only a call
    r = invoke("--each-line", "--set", "sin=1", input="y = sin(2)\n")
    assert r.exit_code == 2 and "--set sin: no line" in r.stderr
