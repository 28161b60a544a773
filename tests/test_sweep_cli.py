"""--sweep and --plot through the command: table, CSV, JSON, plots, errors."""

from __future__ import annotations

import csv
import io
import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcli.front.cli import cli

PROGRAM = "y = x**2 * sin(x)"


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "100"})


def test_table_shows_first_and_last_rows() -> None:
    r = invoke(PROGRAM, "--sweep", "x=-3:3:101")
    assert r.exit_code == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    assert lines[0] == "y over x from -3.0000 to 3.0000 (101 points)"
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in lines if line.startswith("│")]
    assert len(rows) == 21 and rows[10] == ["…", "…", "…"]
    assert rows[0][0] == "-3.0000" and rows[-1][0] == "3.0000"
    assert float(rows[0][1]) == pytest.approx(9 * math.sin(-3), abs=1e-4)


def test_csv_has_every_point_and_matches_the_derivative() -> None:
    r = invoke(PROGRAM, "--sweep", "x=-3:3:7", "--format", "csv")
    table = list(csv.reader(io.StringIO(r.stdout)))
    assert table[0] == ["x", "y", "∂y/∂x"]
    assert len(table) == 8
    for x, y, dydx in ((float(a) for a in row) for row in table[1:]):
        assert y == pytest.approx(x**2 * math.sin(x), rel=1e-12, abs=1e-12)
        assert dydx == pytest.approx(2 * x * math.sin(x) + x**2 * math.cos(x), rel=1e-12, abs=1e-12)


def test_undefined_points_are_nan_and_counted_on_stderr() -> None:
    r = invoke("y = log(x)", "--sweep", "x=-1:1:5", "--format", "csv")
    assert r.exit_code == 0
    rows = list(csv.reader(io.StringIO(r.stdout)))[1:]
    assert [row[1] for row in rows[:3]] == ["nan", "nan", "nan"]
    assert float(rows[3][1]) == pytest.approx(math.log(0.5))
    assert r.stderr == "warning: y or a gradient is undefined (NaN) at 3 of 5 points\n"


def test_json_arrays_and_grid_over_two_variables() -> None:
    r = invoke("z = x * y + y**2", "--sweep", "x=0:1:3", "--sweep", "y=1:2:2", "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["output"] == "z"
    points = doc["points"]
    assert len(points) == 6
    for p in points:
        x, y = p["x"], p["y"]
        assert p["value"] == pytest.approx(x * y + y**2)
        assert p["gradients"] == {"x": pytest.approx(y), "y": pytest.approx(x + 2 * y)}


def test_terminal_plot() -> None:
    r = invoke(PROGRAM, "--sweep", "x=-3:3:101", "--plot")
    assert r.exit_code == 0
    assert "y and its derivatives against x" in r.stdout
    assert "∂y/∂x" in r.stdout and "\x1b[" not in r.stdout


@pytest.mark.parametrize("ext", [".svg", ".png", ".pdf"])
def test_file_plot(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"plot{ext}"
    r = invoke(PROGRAM, "--sweep", "x=-3:3:51", "--plot", str(path), "--format", "csv")
    assert r.exit_code == 0, r.stderr
    data = path.read_bytes()
    if ext == ".svg":
        texts = "".join(ET.fromstring(data).itertext())
        assert "y and its derivatives against x" in texts or b"<svg" in data
    else:
        assert data.startswith(b"\x89PNG" if ext == ".png" else b"%PDF")
    assert r.stdout.startswith("x,y,∂y/∂x\n")


@pytest.mark.parametrize("args, message", [
    (["--sweep", "x=0:1"], "--sweep"),
    (["--sweep", "x=0:1:1"], "count '1'"),
    (["--sweep", "q=0:1:3", "--sweep", "x=0:1:3"], "--sweep q: the program has no input 'q' (inputs: x)"),
    (["--plot"], "--plot goes with --sweep"),
    (["--format", "csv"], "--format csv goes with --sweep"),
    (["--sweep", "x=0:1:3", "--explain"], "--sweep goes with"),
    (["--sweep", "x=0:1:3", "--plot", "p.jpg"], "a plot file ends in .svg, .png or .pdf"),
])
def test_errors(args: list[str], message: str) -> None:
    r = invoke(PROGRAM, *args)
    assert r.exit_code == 2, r.stderr
    assert r.stdout == "" and r.stderr.startswith("error: ") and message in r.stderr


def test_plot_of_a_grid_is_refused() -> None:
    r = invoke("z = x * w", "--sweep", "x=0:1:3", "--sweep", "w=0:1:3", "--plot")
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr == "error: --plot: a plot needs one swept variable, not 2\n"
