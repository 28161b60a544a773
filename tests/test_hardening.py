"""A hostile user's attacks, by class: each class attacked several ways through the installed script.

- user text never reaches a terminal as raw control characters, and quotes are clipped;
- every resource has a budget: an error naming ``--limit`` before the work, never a MemoryError;
- never a traceback, always the documented exit code;
- one number syntax everywhere; CSV that a spreadsheet cannot run; tables and trees that say
  what they leave out.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcli.front.cli import cli
from gradcli.language.parser import show_position
from gradcli.limits import LIMITS, LimitError, Limits, parse_limit
from gradcli.text import printable, safe_message

SCRIPT = Path(sys.executable).parent / "gradcli"
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def gradcli(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None, cwd: Path | None = None,
            limit_memory: int | None = None) -> subprocess.CompletedProcess[bytes]:
    def cap() -> None:
        if limit_memory:
            resource.setrlimit(resource.RLIMIT_AS, (limit_memory, limit_memory))

    data = input.encode() if isinstance(input, str) else input
    return subprocess.run([str(SCRIPT), *args], input=data, capture_output=True, timeout=120, cwd=cwd,
                          env={**os.environ, **(env or {})}, preexec_fn=cap)


def one_error_line(done: subprocess.CompletedProcess[bytes], code: int) -> str:
    """The call failed with ``code``, said why on stderr alone, printed nothing else, and no traceback."""
    err = done.stderr.decode()
    assert done.returncode == code, err
    assert done.stdout == b"", done.stdout[:200]
    assert err.startswith("error: ") and "Traceback" not in err, err
    return err


# ----- control characters and long quotes -------------------------------------------------------------
ESCAPES = ["\x1b]0;pwned\x07", "\x1b[2J", "\x9b31m", "\u202eevil", "\x08\x08\x08"]


@pytest.mark.parametrize("evil", ESCAPES)
def test_control_characters_in_a_program_are_shown_escaped(evil: str, tmp_path: Path) -> None:
    (tmp_path / "e.grad").write_text(f"y = q  # {evil}\n", encoding="utf-8")
    for args, stdin in [(["-f", "e.grad"], None), ([], f"y = q  # {evil}\n"), ([f"y = q  # {evil}"], None),
                        ([], f"y = q  # \x00{evil}\n")]:
        err = one_error_line(gradcli(*args, input=stdin, cwd=tmp_path), 2)
        assert not RAW_CONTROL.search(err), repr(err)
        assert printable(evil) in err


@pytest.mark.parametrize("evil", ESCAPES)
def test_control_characters_in_option_values_and_file_names_are_shown_escaped(evil: str, tmp_path: Path) -> None:
    attacks = [
        ["--of", f"z{evil}", "x = 1"],
        ["--set", f"x=1{evil}", "y = x"],
        ["--set", f"{evil}=1", "y = 1"],
        ["--sweep", f"x=0:1:{evil}", "y = x"],
        ["-f", f"missing{evil}.grad"],
        ["-g", f"no{evil}/g.svg", "x = 1"],
        ["-g", f"g{evil}.jpg", "x = 1"],
        ["--limit", f"work={evil}", "x = 1"],
        ["--format", evil, "x = 1"],
        [f"--{evil}", "x = 1"],
    ]
    for args in attacks:
        err = one_error_line(gradcli(*args, cwd=tmp_path), 2)
        assert not RAW_CONTROL.search(err), (args, err)


def test_each_line_tables_and_errors_escape_control_characters() -> None:
    lines = "y = 1  # \x1b]0;title\x07\nq + \x1b[2J\nx = 2; y = x * 3  # \u202eevil\n"
    done = gradcli("--each-line", input=lines)
    assert done.returncode == 1
    out, err = done.stdout.decode(), done.stderr.decode()
    assert not RAW_CONTROL.search(out) and not RAW_CONTROL.search(err), (out, err)
    assert "\\x1b]0;title\\x07" in out and "\\u202eevil" in out and "error: line 2: " in err
    doc = [json.loads(line) for line in gradcli("--each-line", "--format", "json", input=lines).stdout.splitlines()]
    assert doc[1]["source"] == "q + \x1b[2J"  # JSON keeps the text exactly: it escapes it itself


def test_long_user_text_is_clipped_in_messages() -> None:
    long_name = "a" * 100_000  # the longest one argument can be is 128 KiB
    for args, stdin in [(["y = " + long_name], None), (["--of", long_name, "x = 1"], None),
                        (["--set", f"x={long_name}", "y = x"], None), (["--limit", long_name, "x = 1"], None),
                        (["y = 1 +" + " " * 100_000 + "* 2"], None), (["y = " + "9" * 400], None),
                        ([], "y = " + "b" * 1_000_000), ([], "x = 1\ny = x +" + " " * 1_000_000 + "q"),
                        (["--each-line"], "y = " + "c" * 1_000_000)]:
        err = gradcli(*args, input=stdin).stderr.decode()
        assert err.startswith("error: ") and len(err) < 1_200, (args[:1], stdin and stdin[:10], len(err))
        assert all(len(line) < 320 for line in err.splitlines()), err


def test_the_caret_stays_under_the_error_whatever_ends_a_line_in_a_comment() -> None:
    for separator in ["\r", "\u2028", "\u2029", "\x1c", "\x1d", "\x1e", "\x85", "\x0b", "\x0c"]:
        source = f"x = 1  # a{separator}b\ny = x + q\n"
        err = one_error_line(gradcli(source), 2)
        assert "unknown name 'q' at line 2, column 9" in err, repr(separator)
        assert err.endswith("  y = x + q\n          ^\n"), repr(err)
    # on the failing line itself: the caret counts escaped characters and wide ones
    detail = show_position("x = 1 # \x1b\ny = 漢字 + q", len("x = 1 # \x1b\ny = 漢字 + "))
    assert detail == "  y = 漢字 + q\n" + " " * 13 + "^"  # 漢 and 字 take two columns each
    detail = show_position("y = q # \x1b[2J", 4)
    assert detail == "  y = q # \\x1b[2J\n      ^"


def test_safe_message_is_escaped_bounded_and_idempotent() -> None:
    text = "unknown name '" + "\x1b" * 10 + "b" * 5000 + "'"
    once = safe_message(text)
    assert safe_message(once) == once and "\x1b" not in once and len(once) < 200
    assert len(safe_message("word " * 10_000)) <= 1_000


# ----- budgets --------------------------------------------------------------------------------------
def test_endless_and_huge_input_stops_at_the_input_limit(tmp_path: Path) -> None:
    err = one_error_line(gradcli("-f", "/dev/zero"), 2)
    assert err == "error: /dev/zero is longer than 32.0 MiB, the limit (raise it with --limit input=N)\n"
    err = one_error_line(gradcli("--limit", "input=1KiB", input="x = 1\n" * 1000), 2)
    assert "standard input is longer than 1.0 KiB" in err
    err = one_error_line(gradcli("--limit", "input=100", "x = 1; y = " + "x + " * 100 + "x"), 2)
    assert "the program is longer than 100 bytes" in err
    done = subprocess.run(f"yes 'x = 1' | '{SCRIPT}' --limit input=1MiB", shell=True, capture_output=True,
                          timeout=60)
    assert done.returncode == 2 and b"--limit input=N" in done.stderr


def test_a_program_with_too_many_parts_stops_while_it_is_parsed() -> None:
    program = "x = 1; y = " + " + ".join(["x"] * 2000)
    err = one_error_line(gradcli("--limit", "nodes=1000", program), 2)
    assert err == ("error: the program has more than 1,000 parts (numbers, names, operations, calls), the limit"
                   " (raise it with --limit nodes=N)\n")
    assert gradcli("--limit", "nodes=5000", "--format", "json", program).returncode == 0
    done = gradcli("--each-line", "--limit", "nodes=10", input="x = 1\ny = 1 + 2 + 3 + 4 + 5 + 6 + 7\n")
    assert done.returncode == 1 and b"line 2: the program has more than 10 parts" in done.stderr


@pytest.mark.parametrize("args, message", [
    (["--order", "4"], "--order 4 over 150 inputs needs 21,947,850 derivatives, over the limit of 1,000,000"),
    (["--order", "2", "--limit", "derivatives=100"], "--order 2 over 150 inputs needs 11,325 derivatives"),
    (["--order", "3", "--limit", "work=10000"], "--order 3 needs more than 10,000 node evaluations, the limit"),
    (["--check", "--limit", "work=1000"], "--check of 447 nodes needs 134,100 node evaluations"),
])
def test_order_and_check_are_refused_past_their_budget(args: list[str], message: str, tmp_path: Path) -> None:
    program = "".join(f"x{i} = {i}\n" for i in range(150)) + "y = " + " + ".join(f"x{i}*x{i + 1}" for i in range(149))
    (tmp_path / "p.grad").write_text(program)
    err = one_error_line(gradcli("-f", "p.grad", *args, cwd=tmp_path), 2)
    assert err.startswith(f"error: {message}"), err
    assert "(raise it with --limit " in err


def test_the_memory_budget_bounds_a_chunk_of_a_sweep_not_the_grid() -> None:
    # a grid of any size streams; only a budget too small for one point is refused, before any work
    err = one_error_line(gradcli("y = x", "--sweep", "x=0:1:3", "--limit", "memory=100"), 2)
    assert err == ("error: a point of --sweep over 1 node needs 332 bytes, over the limit of 100 bytes"
                   " (raise it with --limit memory=N)\n")
    small = ["--limit", "memory=2MB"]  # a few thousand points a chunk
    for fmt in ("csv", "json"):
        done = subprocess.run([str(SCRIPT), "y = x * 2", "--sweep", "x=0:1:600000", "--format", fmt, *small],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        assert done.returncode == 0 and done.stderr == b""
        if fmt == "csv":
            assert done.stdout.count(b"\n") == 600_001
        else:
            doc = json.loads(done.stdout)
            assert len(doc["points"]) == 600_000 and doc["points"][-1]["value"] == 2.0
    err = one_error_line(gradcli("y = x", "--sweep", "x=0:1:" + "9" * 30), 2)
    assert err.startswith("error: invalid value for --sweep: count '999") and "is too large" in err


def test_memory_error_is_one_line_never_a_traceback() -> None:
    # a memory ceiling far below the raised limit: Python's MemoryError, reported as one line
    program = "x = 1\n" + "x = sin(x) + 1\n" * 1000
    done = gradcli(program, "--sweep", "x=0:1:65536", "--limit", "memory=64GiB", limit_memory=700 * 2**20)
    err = one_error_line(done, 1)
    assert err.startswith("error: out of memory")


def test_limit_values_are_checked() -> None:
    assert parse_limit("memory=4GiB") == ("memory", 4 * 2**30)
    assert parse_limit("work=1e9") == ("work", 10**9)
    assert parse_limit(" Input = 500K ") == ("input", 500_000)
    for bad in ["work", "nosuch=3", "work=-1", "work=0", "work=nan", "work=1e999", "work=4GiB", "memory=lots",
                "work=1_000"]:
        err = one_error_line(gradcli("--limit", bad, "x = 1"), 2)
        assert err.startswith("error: invalid value for --limit"), (bad, err)
    with pytest.raises(LimitError, match=r"--limit work=N"):
        Limits({"work": 5}).check("work", 6, "this")
    assert set(LIMITS) == {"input", "nodes", "work", "derivatives", "memory"}


def test_a_deep_tree_is_cut_and_says_so() -> None:
    chain = "x = 1\n" + "x = x * 1.001\n" * 1000
    out = gradcli(chain, "--format", "tree").stdout.decode()
    assert out.rstrip().endswith("values deeper than 50 levels are not shown (--format table lists every value)")
    assert re.search(r"\n1,9\d\d values deeper", out)
    deep = "x = 1\ny = x" + " + 1" * 20_000
    done = gradcli(deep, "--format", "tree")
    assert done.returncode == 0 and len(done.stdout) < 50_000  # linear in what is shown, not depth squared


# ----- never a traceback ---------------------------------------------------------------------------
def test_closed_standard_streams() -> None:
    done = subprocess.run(f"'{SCRIPT}' 'x = 1; y = x * 2' >&-", shell=True, capture_output=True, timeout=60)
    assert done.returncode == 1 and done.stderr == b"error: cannot write the output: standard output is closed\n"
    done = subprocess.run(f"'{SCRIPT}' 'y = q' 2>&-", shell=True, capture_output=True, timeout=60)
    assert done.returncode == 2 and done.stdout == b""
    done = subprocess.run(f"'{SCRIPT}' 'x = 1; y = x * 2' --format json <&-", shell=True, capture_output=True,
                          timeout=60)
    assert done.returncode == 0 and json.loads(done.stdout)["value"] == 2.0
    done = subprocess.run(f"'{SCRIPT}' <&-", shell=True, capture_output=True, timeout=60)
    assert done.returncode == 2 and done.stderr.startswith(b"error: no program")


@pytest.mark.parametrize("option", ["--atol", "--rtol"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "1_0", "0x10", ""])
def test_tolerances_must_be_finite_numbers(option: str, value: str) -> None:
    for fmt in ("table", "json"):
        err = one_error_line(gradcli("x = 1; y = x", "--check", option, value, "--format", fmt), 2)
        assert f"invalid value for '{option}'" in err


@pytest.mark.parametrize("value", ["1_000", "inf", "nan", "1e999", "0x10", "2 3", "--1", "1e", ".", "infinity"])
def test_one_number_syntax_for_set_and_sweep(value: str) -> None:
    if value != "--1":  # --set takes a constant expression of the language, and --1 is one (1)
        one_error_line(gradcli("--set", f"x={value}", "y = x"), 2)
    one_error_line(gradcli("--sweep", f"x={value}:1:3", "y = x"), 2)
    assert json.loads(gradcli("--set", "x=+1.5e0", "y = x", "--format", "json").stdout)["value"] == 1.5
    assert json.loads(gradcli("--set", "x=--1", "y = x", "--format", "json").stdout)["value"] == 1.0


def test_sweeps_that_overflow_print_no_numpy_warnings() -> None:
    for spec in ("x=-1e308:1e308:3", "x=-1.7e308:1.7e308:5"):
        err = one_error_line(gradcli("y = x", "--sweep", spec), 2)
        assert "RuntimeWarning" not in err and err.count("\n") == 1
    done = gradcli("y = exp(x)", "--sweep", "x=700:709:5", "--plot")
    assert done.returncode == 0 and b"Traceback" not in done.stderr and b"Warning" not in done.stderr


@pytest.mark.parametrize("columns", ["0", "1", "5", "-3", "abc"])
def test_tiny_terminals_still_print_whole_tables(columns: str) -> None:
    done = gradcli("x = 2; y = x * x", env={"COLUMNS": columns})
    out = done.stdout.decode()
    assert done.returncode == 0 and "4.0000" in out and "input" in out and "…" not in out


def test_a_piped_table_never_cuts_digits() -> None:
    for precision in ("10", "17"):
        out = gradcli("x = 1/3; y = x * x * x", "--precision", precision, env={"COLUMNS": "80"}).stdout.decode()
        assert f"{1 / 3:.{precision}f}" in out and "…" not in out
    out = gradcli("x = 1/3; y = x * x", "--precision", "17", "--check", "--order", "2", "--explain").stdout.decode()
    assert "…" not in out


def test_csv_headers_cannot_run_as_spreadsheet_formulas() -> None:
    for program, first in [("-x + 1", "'-x + 1"), ("+x", "x"), ("x * 2", "x * 2")]:
        out = gradcli("--sweep", "x=0:1:3", "--format", "csv", "--", program).stdout.decode()
        header = out.splitlines()[0].split(",")
        assert header[1] == first, header
        assert not any(cell[:1] in "=+-@" for cell in header), header


def test_higher_order_errors_say_where() -> None:
    err = one_error_line(gradcli("x = 0; y = x**1.5", "--order", "2"), 1)
    assert err == "error: a derivative of order 2 is undefined in 'y' (x = 0): division by zero (0 to a negative power)\n"
    err = one_error_line(gradcli("x = 1; y = exp(700 * x)", "--order", "2"), 1)
    assert err == "error: a derivative of order 2 is undefined in '700 * x' (x = 1): overflow\n"
    err = one_error_line(gradcli("w = 0; z = w**2.5; y = z * 2", "--order", "3"), 1)
    assert err.startswith("error: a derivative of order 3 is undefined in 'z' (w = 0): division by zero")


def test_unexpected_failures_are_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr("gradcli.front.dispatch.differentiate", broken)
    r = CliRunner().invoke(cli, ["x = 1"])
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr == "error: internal error (KeyError: 'a bug'); please report it\n"


# ----- what a hostile tester found next -------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ["--sweep", "x=+-1:1:3", "y = x"],  # (--set x=+-1 is the expression +(-1), as in a program)
    ["--atol", "+-1", "--check", "x = 1"], ["--rtol", "-+1", "--check", "x = 1"], ["--set", "x=1\x1c", "y = x"],
    ["--set", "x=\u20281", "y = x"], ["--set", "x=1\x85", "y = x"], ["--precision", "1_0", "x = 1"],
    ["--order", "0_2", "x = 1"], ["--max-nodes", "1_000", "x = 1"], ["--max-nodes", "0", "x = 1"],
    ["--precision", "18", "x = 1"], ["--order", "5", "x = 1"],
])
def test_numbers_in_options_are_read_as_the_language_reads_them(args: list[str]) -> None:
    err = one_error_line(gradcli(*args), 2)
    assert err.startswith("error: invalid value for") and "internal error" not in err, err


def test_limit_units_with_and_without_b() -> None:
    for unit, size in [("4Gi", 4 * 2**30), ("4GiB", 4 * 2**30), ("4G", 4 * 10**9), ("5ki", 5 * 1024), ("2Ti", 2 * 2**40)]:
        assert parse_limit(f"memory={unit}") == ("memory", size)
    assert gradcli("--limit", "memory=4Gi", "x = 1").returncode == 0


def test_odd_standard_streams_and_encodings() -> None:
    done = subprocess.run(f"'{SCRIPT}' -f - <&-", shell=True, capture_output=True, timeout=60)
    assert done.returncode == 2 and done.stderr == b"error: -f -: standard input is closed (see 'gradcli --help')\n"
    for args in (["x = 1; y = x*2", "--explain"], ["\u00e9 = 1; y = \u00e9*2"], ["y = x", "--sweep", "x=0:1:3", "--plot"]):
        done = gradcli(*args, env={"PYTHONIOENCODING": "ascii"})
        assert done.returncode == 0 and done.stderr == b"", done.stderr
        assert b"\\u2202" in done.stdout or b"\\u2500" in done.stdout or b"\\xe9" in done.stdout
    for args in (["--help"], ["--version"]):
        with open("/dev/full", "w") as full:
            done = subprocess.run([str(SCRIPT), *args], stdout=full, stderr=subprocess.PIPE, timeout=60)
        assert done.returncode == 1 and done.stderr == b"error: cannot write the output: No space left on device\n"


def test_a_reader_that_goes_away_is_not_a_failure(tmp_path: Path) -> None:
    for options in (["--explain"], ["--symbolic"], ["--check"], ["--order", "2"], []):
        done = subprocess.run(f"'{SCRIPT}' 'x = 2; y = x*x' {' '.join(options)} -g bp.dot | head -1", shell=True,
                              cwd=tmp_path, capture_output=True, timeout=60, executable="/bin/bash")
        status = subprocess.run(f"'{SCRIPT}' 'x = 2; y = x*x' {' '.join(options)} -g bp2.dot | head -1;"
                                " exit ${PIPESTATUS[0]}", shell=True, cwd=tmp_path, capture_output=True, timeout=60,
                                executable="/bin/bash")
        assert status.returncode == 0 and status.stderr == b"", (options, status.stderr)
        assert done.stdout.count(b"\n") == 1
        assert (tmp_path / "bp.dot").read_text().startswith("digraph")
        (tmp_path / "bp.dot").unlink()


def test_a_narrow_terminal_folds_numbers_instead_of_cutting_them() -> None:
    import fcntl
    import pty
    import struct
    import termios

    for columns in ("0", "1", "40"):
        leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))  # an 80-column terminal
        try:
            done = subprocess.run([str(SCRIPT), "--set", "a=2", "d = (a+3) + a*2", "--check"], stdout=follower,
                                  stderr=subprocess.PIPE, timeout=60, env={**os.environ, "COLUMNS": columns})
            os.close(follower)
            out = b""
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
        finally:
            os.close(leader)
        text = re.sub(r"\x1b\[[0-9;]*m", "", out.decode())
        assert done.returncode == 0 and "…" not in text, text
        if columns != "40":  # not a width: the terminal's own is used (80 here), so every number is whole
            assert "3.0000" in text and "9.0000" in text and "2.4e-11" in text, text


def test_library_warnings_never_reach_the_user(tmp_path: Path) -> None:
    name = "x" * 3000
    done = gradcli(f"y = sin({name})", "--sweep", f"{name}=0:1:30", "--plot", "p.svg", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == b"", done.stderr[:300]
