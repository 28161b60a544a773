"""Tables of many rows: piped, plain aligned text written as the rows come; on a terminal, the
first and last rows (tests/test_terminal.py); small tables as rich draws them, byte for byte."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from gradcli.front import cli as cli_module
from gradcli.front.cli import cli
from gradcli.interpret import batch
from gradcli.views import render
from gradcli.views.plain import PlainRows


def invoke(*args: str, input: str | None = None) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args), input=input, env={"COLUMNS": "100"})
    return r.exit_code, r.stdout, r.stderr


def boxed_cells(text: str) -> list[list[str]]:
    """The cells of a rich table's rows."""
    return [[c.strip() for c in line.split("│")[1:-1]] for line in text.splitlines() if line.startswith("│")]


def plain_cells(text: str) -> tuple[list[str], list[list[str]]]:
    """The header and the cells of a plain table's rows (found under the rule of dashes)."""
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if re.fullmatch(r"-+( +-+)*", line))
    spans = [m.span() for m in re.finditer(r"-+", lines[at])]
    starts = [s for s, _ in spans] + [None]

    def cut(line: str) -> list[str]:
        # a cell is whatever lies between the gaps before its column and the next (it may be wider)
        return [line[a:b].strip() for a, b in zip([0] + [s for s in starts[1:-1]], starts[1:])]

    return cut(lines[at - 1]), [cut(line) for line in lines[at + 1:]]


PROGRAM = "a = 0.5\ns = a * 1\n" + "".join(f"s = s + a * {k}\n" for k in range(2, 41))  # ∂s/∂a = 1 + 2 + ... + 40


def test_a_long_program_table_piped_is_plain_text_with_the_cells_of_the_rich_table(
        monkeypatch: pytest.MonkeyPatch) -> None:
    code, boxed, _ = invoke(PROGRAM)
    assert code == 0 and boxed.count("│") > 100  # small: rich draws it
    monkeypatch.setattr(render, "LONG_TABLE", 20)  # the same program is now a long table
    code, plain, err = invoke(PROGRAM)
    assert code == 0 and err == "" and "│" not in plain
    assert plain.splitlines()[0] == boxed.splitlines()[0] == "s = 410.0000   ∂s/∂a = 820.0000"  # 0.5 * 820; 820
    header, rows = plain_cells(plain)
    assert header == ["id", "node", "op", "inputs", "data", "grad"]
    assert rows == boxed_cells(boxed) and len(rows) == 1 + 40 * 3 - 1  # a, and three nodes a term (1 fewer: s = a*1)
    assert all(len(line) == len(line.rstrip()) for line in plain.splitlines())  # no trailing blanks


def test_a_long_explain_table_piped_is_plain_text_in_its_place_with_the_cells_of_the_rich_table(
        monkeypatch: pytest.MonkeyPatch) -> None:
    code, boxed, _ = invoke(PROGRAM, "--explain", "--check")
    assert code == 0
    monkeypatch.setattr(render, "LONG_TABLE", 20)  # 158 steps: a long table now, as is the program's
    code, plain, err = invoke(PROGRAM, "--explain", "--check")
    assert code == 0 and err == ""
    title = "backward pass, 158 steps: input grad += upstream grad × local derivative"
    program, rest = plain.split(title + "\n")
    steps, check = rest.split("gradient check")  # the check's table comes after, as it did
    assert "│" not in program + steps and check.count("│") > 5  # (the check's table is short: rich draws it)
    header, rows = plain_cells(steps)
    assert header == ["step", "edge", "local derivative", "upstream × local", "grad now"]
    assert rows == [r for r in boxed_cells(boxed) if len(r) == 5] and len(rows) == 2 + 39 * 4
    assert rows[-1] == ["158", "s → 1", "∂s/∂1 = a", "1.0000 × 0.5000 = 0.5000", "1: 0.5000"]  # s = a * 1
    assert plain_cells(program)[1] == [r for r in boxed_cells(boxed) if len(r) == 6][:len(plain_cells(program)[1])]


def test_a_table_written_a_block_at_a_time_chooses_its_number_forms_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # each form is a pass over every row: once per block made a long table quadratic (90,000
    # statements of whole numbers took 24 s to pipe)
    from gradcli import evaluate
    from gradcli.interpret.explain import steps
    from gradcli.views import numbers, passes, plain

    result = evaluate(PROGRAM)
    monkeypatch.setattr(plain, "BLOCK", 7)
    calls = []

    def counted(values, precision=numbers.DEFAULT_PRECISION):
        calls.append(1)
        return numbers.column(values, precision)

    monkeypatch.setattr(render, "column", counted)
    monkeypatch.setattr(passes, "column", counted)
    assert len("".join(plain.program_table(result)).splitlines()) == 3 + len(result.nodes)
    assert len(calls) == 2  # data, grad
    calls.clear()
    assert len("".join(plain.explain_table(result, steps(result))).splitlines()) == 3 + 158  # as above
    assert len(calls) == 4  # upstream, local, contribution, grad now


def lines(n: int, bad_every: int = 0) -> str:
    return "".join(f"y = a * {k} + q\n" if bad_every and k % bad_every == 0 else f"y = a * {k}\n"
                   for k in range(1, n + 1))


def test_a_long_each_line_table_piped_comes_a_block_at_a_time_while_lines_still_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "LONG_TABLE", 100)
    ran = 0
    real_run = batch.run

    def counting_run(*args: object, **kwargs: object) -> object:
        nonlocal ran
        ran += 1
        return real_run(*args, **kwargs)  # type: ignore[arg-type]

    writes: list[tuple[int, str]] = []
    real_write = cli_module._write
    monkeypatch.setattr(batch, "run", counting_run)
    monkeypatch.setattr(cli_module, "_write", lambda text: (writes.append((ran, text)), real_write(text)))
    code, out, err = invoke("--each-line", "--set", "a=2", "--jobs", "1", input=lines(300, bad_every=50))
    assert code == 1 and err.count("error: line ") == 6
    assert [n for n, _ in writes] == [64, 128, 192, 256, 300]  # a block of 64 lines, written before the next runs
    header, rows = plain_cells(out)
    assert header == ["line", "program", "value", "gradients"]
    # y = a * k at a = 2: y = 2k, ∂y/∂a = k (the lines that failed have no row)
    assert rows == [[str(k), f"y = a * {k}", f"y = {2 * k:.4f}", f"∂/∂a = {k:.4f}"] for k in range(1, 301) if k % 50]


def test_a_later_wider_cell_widens_its_column_from_its_block_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "LONG_TABLE", 100)
    text = lines(64) + "y = a * 1e12\n" + lines(99)
    code, out, _ = invoke("--each-line", "--set", "a=2", "--jobs", "1", input=text)
    assert code == 0
    table = out.splitlines()
    # the program column as wide as the widest line (known before any runs); the value column
    # as wide as the first block of 64 lines needs
    assert table[:3] == ["line  program              value  gradients",
                         "----  ------------  ------------  --------------",
                         "   1  y = a * 1       y = 2.0000  ∂/∂a = 1.0000"]
    assert table[2 + 64] == "  65  y = a * 1e12  y = 2.0000e+12  ∂/∂a = 1.0000e+12"  # each number in its own form
    assert table[2 + 65] == "  66  y = a * 1         y = 2.0000  ∂/∂a = 1.0000"  # the column stays wider


def test_a_long_each_line_table_of_lines_that_all_failed_is_its_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "LONG_TABLE", 2)
    code, out, err = invoke("--each-line", input="y = q\ny = q + 1\ny = 2 * q\n")
    assert code == 1 and err.count("error: line ") == 3
    assert out == "line  program    value  gradients\n----  ---------  -----  ---------\n"


def test_plain_rows_pad_wide_characters_by_the_columns_they_take() -> None:
    rows = PlainRows(["n", "name"], [True, False])
    cells = [["1", "x"], ["22", "面積"]]
    rows.widen(cells)
    assert rows.head() + rows.text(cells) == " n  name\n--  ----\n 1  x\n22  面積\n"


def test_an_elided_batch_table_of_41_rows_says_one_is_not_shown() -> None:
    from rich.console import Console

    rows = list(batch.run_lines(batch.programs(lines(41)), {"a": 2.0}))
    console = Console(width=100, file=None, record=True, color_system=None)
    with console.capture() as captured:
        console.print(render.batch_table(rows, elide=True))
    text = captured.get()
    assert "41 lines ran; the first and last 20 are shown" in text and "y = a * 21 " not in text
