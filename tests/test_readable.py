"""Tables people can read (#15): one number format per column, --precision 0, negation told
apart from subtraction, and layouts that fit the terminal (the summary and --explain at widths
60 and 160, through a real pseudo-terminal)."""

from __future__ import annotations

import re
import subprocess

import pytest

from gradcli.views.numbers import column, fmt
from tests.test_terminal import ANSI, SCRIPT, run

NEURON = "x1 = 2; x2 = 0; w1 = -3; w2 = 1; b = 6.8813735870195432; n = x1*w1 + x2*w2 + b; o = tanh(n)"


def screen(args: list[str], width: int) -> list[str]:
    """The lines a terminal of ``width`` columns shows (rich lays out for COLUMNS)."""
    code, out, err = run(args, tty={"stdout"}, env={"COLUMNS": str(width), "NO_COLOR": "1"})
    assert code == 0, err
    return ANSI.sub("", out).replace("\r\n", "\n").splitlines()


def cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"[│┃]", line)[1:-1]]


def test_a_column_has_one_format() -> None:
    big_and_small = column([1e9 * 1.159, 1.159, 0.0])
    assert [big_and_small(x) for x in (1.159e9, 1.159, 0.0)] == ["1.1590e+09", "1.1590e+00", "0.0000e+00"]
    plain = column([2.5, -0.0, 100.0])
    assert [plain(x) for x in (2.5, -0.0, 100.0)] == ["2.5000", "0.0000", "100.0000"]
    tiny = column([1e-5, 3.0])
    assert tiny(3.0) == "3.0000e+00"
    assert column([float("nan"), 1.0])(float("nan")) == "undefined"  # undefined does not force exponents


def test_precision_zero_rounds_to_whole_numbers() -> None:
    assert fmt(0.7, 0) == "1" and fmt(12.4, 0) == "12" and fmt(-0.0, 0) == "0"
    assert fmt(0.3, 0) == "3e-01"  # would read as 0: the exponent keeps it visible
    r = subprocess.run([str(SCRIPT), "--precision", "0", "--format", "tree", "x = 2.6; y = x * 3"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "data 8  grad 1" in r.stdout and "data 3  grad 3" in r.stdout


def test_the_table_keeps_one_format_in_each_column() -> None:
    r = subprocess.run([str(SCRIPT), "x = 1e9; y = x + 0.5"], capture_output=True, text=True, timeout=60)
    rows = [cells(line) for line in r.stdout.splitlines() if line.startswith("│")]
    data = [row[4] for row in rows]
    assert all("e+" in d or "e-" in d for d in data), data  # 1e9 needs an exponent: the whole column has one
    grads = [row[5] for row in rows]
    assert grads == ["1.0000"] * 3, grads  # this column needs none


def test_negation_and_subtraction_read_differently() -> None:
    r = subprocess.run([str(SCRIPT), "x = 3; y = -x - 2"], capture_output=True, text=True, timeout=60)
    ops = {row[1]: row[2] for row in (cells(line) for line in r.stdout.splitlines() if line.startswith("│"))}
    assert ops["-x"] == "neg" and ops["y"] == "-"


def test_the_summary_is_one_line_when_it_fits_and_one_per_line_when_not() -> None:
    wide = screen([NEURON], 160)
    assert wide[0].startswith("o = 0.7071   ∂o/∂x1 = -1.5000   ∂o/∂x2 = 0.5000") and wide[0].endswith("∂o/∂n = 0.5000")
    narrow = screen([NEURON], 60)
    assert narrow[:7] == ["o = 0.7071", "∂o/∂x1 = -1.5000", "∂o/∂x2 = 0.5000", "∂o/∂w1 = 1.0000",
                          "∂o/∂w2 = 0.0000", "∂o/∂b = 0.5000", "∂o/∂n = 0.5000"]


@pytest.mark.parametrize("width", [60, 160])
def test_explain_fits_the_terminal_and_never_splits_a_number(width: int) -> None:
    shown = screen(["--explain", NEURON], width)
    assert all(len(line) <= width for line in shown)
    text = "\n".join(shown)
    # each step's product stays on one line, whatever the layout
    assert re.search(r"0\.5000 × -3\.0000 = -1\.5000", text)
    step8 = [line for line in shown if "∂(x1*w1)/∂x1 = w1" in line]
    assert len(step8) == 1
    if width == 160:  # a table: the edge, derivative, product and the grad on the step's row
        assert "x1*w1 → x1" in step8[0] and "x1: -1.5000" in step8[0]
    else:  # a block per step: the product line ends with the gradient so far
        assert "0.5000 × -3.0000 = -1.5000   grad x1 now -1.5000" in text


def test_sweep_tables_and_csv_write_partials_as_every_other_view_does() -> None:
    r = subprocess.run([str(SCRIPT), "y = x*x*w", "--set", "w=2", "--sweep", "x=0:1:3", "--format", "csv"],
                       capture_output=True, text=True, timeout=60)
    header = r.stdout.splitlines()[0].split(",")
    assert header[:2] == ["x", "y"] and sorted(header[2:]) == ["∂y/∂w", "∂y/∂x"]


def test_plot_ticks_never_read_minus_zero() -> None:
    from gradcli.views.plot import _ticks

    ticks = _ticks([-7.637, 7.637])
    assert ticks is not None
    values, labels = ticks
    assert labels == ["-7.6", "-3.8", "0.0", "3.8", "7.6"] and values[2] == pytest.approx(0.0, abs=1e-12)
    assert _ticks([1.0, 1.0]) is None and _ticks([]) is None
    r = subprocess.run([str(SCRIPT), "y = x**2 * sin(x) + w*x", "--set", "w=2", "--sweep", "x=-2:2:41", "--plot"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and " 0.0┤" in r.stdout and "-0.0" not in r.stdout
