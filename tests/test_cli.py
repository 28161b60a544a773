"""The command: through click's runner and through a real subprocess of the installed script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcli import __version__
from gradcli.front.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / "gradcli"
SEED = "a = 2; b = a + 3; c = a * 2; d = b + c"


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, env={"COLUMNS": "100"})


def test_argument_table() -> None:
    r = invoke("--set", "a=2", "d = (a+3) + a*2")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0] == "d = 9.0000   ∂d/∂a = 3.0000"
    assert any(line.split("│")[2].strip() == "a*2" for line in lines if line.count("│") > 3)
    assert "\x1b[" not in r.stdout  # no colour codes when not a terminal


def test_json_shape() -> None:
    doc = json.loads(invoke(SEED, "--format", "json").stdout)
    assert list(doc) == ["output", "value", "inputs", "gradients", "nodes"]
    assert doc["inputs"] == {"a": 2.0}
    assert doc["output"] == "d" and doc["value"] == 9.0
    assert doc["gradients"] == {"a": 3.0, "b": 1.0, "c": 1.0, "d": 1.0}
    assert doc["nodes"][0] == {"id": 0, "label": "a", "op": "input", "data": 2.0, "grad": 3.0, "inputs": []}
    assert [n["id"] for n in doc["nodes"]] == list(range(6))
    assert doc["nodes"][-1]["inputs"] == [2, 4]


def test_json_repeats_an_input_used_twice_and_writes_null_for_undefined() -> None:
    doc = json.loads(invoke("x = -2; y = x + x; z = y ** 2", "--format", "json").stdout)
    assert doc["nodes"][1]["inputs"] == [0, 0]
    assert doc["nodes"][2]["label"] == "2" and doc["nodes"][2]["grad"] is None


def test_tree() -> None:
    out = invoke(SEED, "--format", "tree").stdout
    assert out.splitlines()[0] == "d  #5 +  data 9.0000  grad 1.0000"
    assert "↑ a (#0, shown above)" in out
    assert out.count("a  #0 input") == 1


def test_of_and_precision() -> None:
    r = invoke(SEED, "--of", "b", "--precision", "2")
    assert r.stdout.splitlines()[0] == "b = 5.00   ∂b/∂a = 1.00   ∂b/∂c = 0.00   ∂b/∂d = 0.00"


def test_file_and_stdin(tmp_path: Path) -> None:
    program = tmp_path / "p.grad"
    program.write_text(SEED + "\n", encoding="utf-8")
    by_file = invoke("-f", str(program), "--format", "json").stdout
    by_dash = invoke("-f", "-", "--format", "json", input=SEED).stdout
    by_pipe = invoke("--format", "json", input=SEED).stdout
    assert by_file == by_dash == by_pipe
    assert json.loads(by_file)["value"] == 9.0


def test_version_and_help() -> None:
    assert invoke("--version").stdout.strip() == f"gradcli {__version__}"
    help_text = invoke("--help").stdout
    for option in ["--file", "--set", "--of", "--format", "--precision", "--graph", "--version"]:
        assert option in help_text
    assert 'gradcli --set a=2 "d = (a+3) + a*2"' in help_text
    assert "Exit codes" in help_text


def test_graph_written(tmp_path: Path) -> None:
    for ext in [".svg", ".dot", ".gv"]:
        path = tmp_path / f"g{ext}"
        r = invoke(SEED, "-g", str(path))
        assert r.exit_code == 0, r.stderr
        data = path.read_bytes()
        if ext == ".svg":
            ET.fromstring(data)
        else:
            assert data.startswith(b"digraph gradcli {")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot", "g.gv", "g.svg"]


# each error: its exit code, one "error:" line naming the problem, nothing on stdout, no traceback
ERRORS = [
    (["d = a + * 2"], 2, "error: syntax error at line 1, column 9: unexpected '*'"),
    (["y = q + 1"], 2, "error: unknown name 'q' at line 1, column 5"),
    (["y = foo(1)"], 2, "error: unknown function 'foo' at line 1, column 5"),
    (["y = max(1)"], 2, "error: max() takes 2 or more arguments, got 1"),
    (["--set", "x", "x"], 2, "error: invalid value for --set: 'x' is not NAME=VALUE"),
    (["--set", "x=abc", "x"], 2, "error: invalid value for --set: 'abc' in 'x=abc' is not a finite number"),
    (["--set", "1x=2", "x"], 2, "error: invalid value for --set: '1x' in '1x=2' is not a valid name"),
    (["--set", "x=inf", "x"], 2, "error: invalid value for --set: 'inf' in 'x=inf' is not a finite number"),
    (["--format", "xml", "x = 1"], 2, "error: invalid value for '--format'"),
    (["--bogus", "x = 1"], 2, "error: no such option '--bogus'"),
    (["--precision", "99", "x = 1"], 2, "error: invalid value for '--precision'"),
    (["-f", "/nonexistent/p.grad"], 2, "error: cannot read /nonexistent/p.grad: No such file or directory"),
    (["-f", "-", "x = 1"], 2, "error: give the program as an argument or with --file, not both"),
    ([""], 2, "error: nothing to differentiate: the program has no statements"),
    (["a = 1", "--of", "z"], 2, "error: --of z: the program has no variable 'z'"),
    (["-g", "g.jpg", "x = 1"], 2, "error: --graph g.jpg: unknown picture format '.jpg'"),
    (["-g", "/nonexistent/g.svg", "x = 1"], 2, "error: cannot write /nonexistent/g.svg: No such file or directory"),
    (["x = 1; log(x - 1)"], 1, "error: log of a non-positive number in 'log(x - 1)' (x - 1 = 0) at line 1, column 8"),
    (["x = 0; y = 1 / x"], 1, "error: division by zero in '1 / x' (x = 0)"),
    (["exp(1000)"], 1, "error: overflow in 'exp(1000)'"),
    (["10**10**10"], 1, "error: overflow in '10**10**10'"),
    (["sqrt(-1)"], 1, "error: sqrt of a negative number in 'sqrt(-1)'"),
    (["x = 2; y = acos(x)"], 1, "error: acos of a number outside [-1, 1] in 'acos(x)' (x = 2)"),
    (["x = 1; y = atanh(x)"], 1, "error: atanh of a number outside (-1, 1) in 'atanh(x)' (x = 1)"),
    (["x = 3; y = log(x, 1)"], 1, "error: log to base 1 in 'log(x, 1)'"),
    (["y = log(1, 2, 3)"], 2, "error: log() takes 1 or 2 arguments, got 3"),
    (["--set", "x=log(0)", "x"], 2, "error: invalid value for --set: 'log(0)' in 'x=log(0)' is not a finite number:"
                                    " log of a non-positive number in 'log(0)'"),
    (["--values", "/nonexistent/v.json", "y = x"], 2, "error: cannot read /nonexistent/v.json: No such file or directory"),
    (["--values", "-", "-f", "-"], 2, "error: --values - and the program would both read standard input"),
]


@pytest.mark.parametrize("args, code, message", ERRORS, ids=[e[2][7:40] for e in ERRORS])
def test_errors(args: list[str], code: int, message: str) -> None:
    r = invoke(*args)
    assert r.exit_code == code
    assert r.stdout == ""
    assert r.stderr.startswith(message)
    assert "Traceback" not in r.stderr
    assert r.stderr.count("\n") <= 3  # the message, and for syntax errors the line and a caret


def test_syntax_error_shows_line_and_caret() -> None:
    r = invoke("a = 1\nd = a + * 2")
    assert r.stderr.splitlines() == [
        "error: syntax error at line 2, column 9: unexpected '*'; expected a name, a number, '(', '+' or '-'",
        "  d = a + * 2",
        "          ^",
    ]


def test_graph_over_the_program_file_is_refused(tmp_path: Path) -> None:
    program = tmp_path / "p.dot"
    program.write_text(SEED, encoding="utf-8")
    r = invoke("-f", str(program), "-g", str(program))
    assert r.exit_code == 2 and "would overwrite the program" in r.stderr
    assert program.read_text(encoding="utf-8") == SEED


def test_failed_math_leaves_no_picture(tmp_path: Path) -> None:
    path = tmp_path / "g.svg"
    r = invoke("x = 0; 1 / x", "-g", str(path))
    assert r.exit_code == 1 and not path.exists()


# ----- the installed script in a real process --------------------------------------------------
def run_script(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    assert SCRIPT.exists(), f"gradcli is not installed beside {sys.executable}"
    return subprocess.run([str(SCRIPT), *args], input=input, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})}, cwd=ROOT)


def test_script_argument_file_and_pipe() -> None:
    by_arg = run_script("--set", "a=2", "d = (a+3) + a*2", "--format", "json")
    by_file = run_script("-f", "examples/oneliner.grad", "--format", "json")
    by_pipe = run_script("--format", "json", input="a = 2\nd = (a+3) + a*2\n")
    for done in (by_arg, by_file, by_pipe):
        assert done.returncode == 0 and done.stderr == ""
        assert json.loads(done.stdout)["gradients"]["a"] == 3.0


def test_script_error_has_no_traceback() -> None:
    done = run_script("x = 1; log(x - 1)")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == "error: log of a non-positive number in 'log(x - 1)' (x - 1 = 0) at line 1, column 8\n  x = 1; log(x - 1)\n         ^\n"


def test_script_python_dash_m() -> None:
    done = subprocess.run([sys.executable, "-m", "gradcli", "--version"], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == f"gradcli {__version__}"


def test_script_pictures_without_system_graphviz(tmp_path: Path) -> None:
    # nothing on PATH: no dot, and graphviz-pure is found where pip installed it
    env = {"PATH": str(tmp_path / "empty")}
    svg, png, pdf = (tmp_path / f"g.{ext}" for ext in ("svg", "png", "pdf"))
    done = run_script(SEED, "-g", str(svg), env=env)
    assert done.returncode == 0, done.stderr
    text = svg.read_text(encoding="utf-8")
    assert "(graphviz-pure)" in text and "grad 3.0000" in text and "data 9.0000" in text
    done = run_script(SEED, "-g", str(png), env=env)
    assert done.returncode == 0 and done.stderr == ""
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and 100 < int.from_bytes(header[16:20], "big") < 5000
    done = run_script(SEED, "-g", str(pdf), env=env)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == "error: PDF pictures need Graphviz installed (the dot program); SVG and PNG work without it\n"
    assert not pdf.exists()


def test_script_broken_pipe_is_quiet() -> None:
    program = "x = 1\n" + "\n".join(f"x = x + {i}" for i in range(2000))
    done = subprocess.run(f"'{SCRIPT}' -f - | head -1", shell=True, input=program, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.startswith("x = ")
    assert "Traceback" not in done.stderr and "Broken pipe" not in done.stderr


def test_script_ends_fast_but_delivers_everything() -> None:
    # the console script skips the interpreter's teardown: what it buffered must still
    # arrive whole, and every exit code must survive
    big = "x = 1\n" + "\n".join(f"x = x * 1.0001 + {i}" for i in range(5000))
    for program, nodes in ((SEED, 6), (big, 1 + 4 * 5000)):  # less than a buffer, and much more
        for format_ in ("json", "table"):
            done = run_buffered("-f", "-", "--format", format_, input=program)
            assert done.returncode == 0 and done.stderr == ""
            if format_ == "json":
                assert len(json.loads(done.stdout)["nodes"]) == nodes  # a truncated document would not parse
            elif nodes < 2000:  # rich's table: summary, 3 lines of header, rows, bottom
                assert done.stdout.endswith("┘\n") and done.stdout.count("\n") == nodes + 5
            else:  # a long table, piped: summary, header, rule, rows
                assert done.stdout.count("\n") == nodes + 3 and done.stdout.splitlines()[-1].startswith(f"{nodes - 1}  x ")
    # the paths that leave their output in the buffer for the end of the process
    csv = run_buffered("y = x*x", "--sweep", "x=0:1:3", "--format", "csv")
    assert csv.returncode == 0 and csv.stdout.splitlines() == ["x,y,∂y/∂x", "0.0,0.0,0.0", "0.5,0.25,1.0", "1.0,1.0,2.0"]
    lines = run_buffered("-f", "-", "--each-line", "--format", "json", input="x = 1; y = x*2\nx = 2; y = x*3\n")
    assert lines.returncode == 0 and [json.loads(line)["value"] for line in lines.stdout.splitlines()] == [2.0, 6.0]
    bad = run_script("y = x*/2")
    assert bad.returncode == 2 and bad.stdout == "" and bad.stderr.startswith("error: syntax error")
    usage = run_script("--no-such-option", "y = 1")
    assert usage.returncode == 2 and usage.stdout == "" and usage.stderr.startswith("error: ")


def run_buffered(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """The script with stdout buffered, as most users run it (this environment may set PYTHONUNBUFFERED)."""
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run([str(SCRIPT), *args], input=input, capture_output=True, text=True, timeout=60,
                          env=buffered, cwd=ROOT)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_that_cannot_be_written_is_a_failure() -> None:
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    for args in (["y = x*x", "--sweep", "x=0:1:3", "--format", "csv"], ["--set", "x=3", "y = x*2", "--format", "json"]):
        with open("/dev/full", "w") as full:
            done = subprocess.run([str(SCRIPT), *args], stdout=full, stderr=subprocess.PIPE, text=True, timeout=60,
                                  env=buffered)
        assert done.returncode == 1, args
        assert done.stderr == "error: cannot write the output: No space left on device\n", args


def test_exit_code_of_the_console_script(capsys: pytest.CaptureFixture[str]) -> None:
    from gradcli.front.cli import _exit_code

    assert [_exit_code(None), _exit_code(0), _exit_code(1), _exit_code(2), _exit_code(130)] == [0, 0, 1, 2, 130]
    assert [_exit_code(-1), _exit_code(256)] == [255, 0]  # as the operating system keeps them
    assert _exit_code("something broke") == 1 and capsys.readouterr().err == "something broke\n"


def test_the_cycle_collector_is_restored_after_a_call_in_process() -> None:
    import gc

    assert gc.isenabled()
    assert invoke("x = 1; y = x * 2").exit_code == 0
    assert invoke("x = 0; y = 1 / x").exit_code == 1
    assert gc.isenabled()
