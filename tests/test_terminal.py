"""What a user sees in a real terminal: the installed script with a pseudo-terminal as standard
output, standard error or standard input (click's runner has no terminal at all)."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "gradcli"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run(args: list[str], *, tty: set[str], stdin: str | None = None, env: dict[str, str] | None = None,
        stdout_file: Path | None = None, timeout: float = 60) -> tuple[int, str, str]:
    """Run the script with each stream named in ``tty`` a terminal of its own; returns
    (exit code, standard output, standard error) as text (a terminal's output with \\r\\n as it came)."""
    ptys: dict[str, tuple[int, int]] = {name: pty.openpty() for name in tty}
    for leader, follower in ptys.values():
        os.set_blocking(leader, False)
    out_file = open(stdout_file, "wb") if stdout_file else None
    streams = {}
    for name in ("stdin", "stdout", "stderr"):
        if name in ptys:
            streams[name] = ptys[name][1]
        elif name == "stdout":
            streams[name] = out_file if out_file else subprocess.PIPE
        elif name == "stdin":
            streams[name] = subprocess.PIPE if stdin is not None else subprocess.DEVNULL
        else:
            streams[name] = subprocess.PIPE
    full_env = {**os.environ, "COLUMNS": "100", "LINES": "40", "TERM": "xterm-256color", **(env or {})}
    if "NO_COLOR" not in (env or {}):
        full_env.pop("NO_COLOR", None)
    proc = subprocess.Popen([str(SCRIPT), *args], env=full_env, **streams)  # type: ignore[arg-type]
    for _, follower in ptys.values():
        os.close(follower)
    if stdin is not None and "stdin" not in ptys:
        assert proc.stdin is not None
        proc.stdin.write(stdin.encode())
        proc.stdin.close()
    got = {name: b"" for name in ptys}
    pipes = {name: getattr(proc, name) for name in ("stdout", "stderr") if name not in ptys and getattr(proc, name)}
    readers = {leader: name for name, (leader, _) in ptys.items() if name != "stdin"}
    readers.update({pipe.fileno(): name for name, pipe in pipes.items()})
    got.update({name: b"" for name in pipes})
    deadline = time.monotonic() + timeout
    while readers:  # until every stream is at its end (a terminal's end is EIO once the process is gone)
        ready, _, _ = select.select(list(readers), [], [], 0.1)
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if chunk:
                got[readers[fd]] += chunk
            else:
                del readers[fd]
        if not ready and proc.poll() is not None and not any(fd in readers for fd in (p.fileno() for p in pipes.values())):
            break
        assert time.monotonic() < deadline, "timed out"
    proc.wait(timeout=10)
    if out_file:
        out_file.close()
    for leader, _ in ptys.values():
        os.close(leader)
    text = {k: v.decode("utf-8", "replace") for k, v in got.items()}
    return proc.returncode, text.get("stdout", ""), text.get("stderr", "")


def lines(n: int, bad_every: int = 0) -> str:
    return "".join(f"y = a * {i} + q\n" if bad_every and i % bad_every == 0 else f"y = a * {i}\n"
                   for i in range(1, n + 1))


def test_each_line_results_go_to_standard_output_whatever_standard_error_is(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    source = tmp_path / "lines.txt"
    source.write_text(lines(600))
    code, _, err = run(["--each-line", "-f", str(source), "--set", "a=2", "--format", "json"], tty={"stderr"},
                       stdout_file=out)
    assert code == 0, err
    docs = [json.loads(line) for line in out.read_text().splitlines()]
    assert [d["value"] for d in docs] == [2.0 * i for i in range(1, 601)]
    assert '{"line"' not in err  # no result on the terminal


def test_errors_print_above_the_bar_never_inside_it(tmp_path: Path) -> None:
    source = tmp_path / "lines.txt"
    source.write_text(lines(600, bad_every=100))
    code, _, err = run(["--each-line", "-f", str(source), "--set", "a=2", "--format", "json"], tty={"stderr"},
                       stdout_file=tmp_path / "out.jsonl")
    assert code == 1
    plain = ANSI.sub("", err)
    errors = re.findall(r"(.?)error: line (\d+)", plain)
    assert [int(n) for _, n in errors] == [100, 200, 300, 400, 500, 600]
    # each error starts its own line: no piece of the bar before it
    assert all(before in ("", "\n", "\r") for before, _ in errors), plain


def test_a_long_each_line_table_on_a_terminal_shows_its_first_and_last_rows() -> None:
    code, out, err = run(["--each-line", "--set", "a=2"], tty={"stdout"}, stdin=lines(100))
    assert code == 0, err
    plain = ANSI.sub("", out)
    assert "y = a * 1 " in plain and "y = a * 100 " in plain and "y = a * 50 " not in plain
    assert "100 lines ran; the first and last 20 are shown" in plain
    piped = subprocess.run([str(SCRIPT), "--each-line", "--set", "a=2"], input=lines(100), capture_output=True,
                           text=True)
    assert "y = a * 50 " in piped.stdout and "lines ran" not in piped.stdout  # a pipe gets every row


def test_a_long_program_table_on_a_terminal_shows_its_first_and_last_rows(tmp_path: Path) -> None:
    source = tmp_path / "long.grad"
    source.write_text("a = 0.5\ns = a\n" + "s = s + a * 2\n" * 1000)  # a, then 3 nodes a statement: 3,001
    code, out, err = run(["-f", str(source)], tty={"stdout"})
    assert code == 0, err
    plain = ANSI.sub("", out).replace("\r\n", "\n")
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in plain.splitlines() if line.startswith("│")]
    assert len(rows) == 41 and rows[20] == ["…"] * 6
    assert [r[0] for r in rows[:20] + rows[21:]] == [str(i) for i in [*range(20), *range(2981, 3001)]]
    assert rows[-1][1:] == ["s", "+", "2997, 2999", "1000.5000", "1.0000"]  # s = 0.5 + 1000 * 2 * 0.5
    assert "3,001 values; the first and last 20 are shown" in plain
    piped = subprocess.run([str(SCRIPT), "-f", str(source)], capture_output=True, text=True)
    assert "│" not in piped.stdout and len(piped.stdout.splitlines()) == 1 + 2 + 3001  # a pipe gets every row


def test_a_long_explain_table_on_a_terminal_shows_its_first_and_last_steps(tmp_path: Path) -> None:
    source = tmp_path / "long.grad"
    source.write_text("a = 0.5\ns = a\n" + "s = s + a * 2\n" * 1000)  # 4 edges a statement: 4,000 steps
    code, out, err = run(["-f", str(source), "--explain"], tty={"stdout"}, env={"COLUMNS": "250"})
    assert code == 0, err
    plain = ANSI.sub("", out).replace("\r\n", "\n")
    steps = plain[plain.index("backward pass, 4000 steps"):]
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in steps.splitlines() if line.startswith("│")]
    assert len(rows) == 41 and rows[20] == ["…"] * 5
    assert [r[0] for r in rows[:20] + rows[21:]] == [str(i) for i in [*range(1, 21), *range(3981, 4001)]]
    # the last steps: the first statement's a * 2, upstream 1 (s adds it once); ∂s/∂a = 1 + 1000 * 2
    assert rows[-2][1:] == ["a * 2 → a", "∂(a * 2)/∂a = 2", "1.0000 × 2.0000 = 2.0000", "a: 2001.0000"]
    assert rows[-1][1:] == ["a * 2 → 2", "∂(a * 2)/∂2 = a", "1.0000 × 0.5000 = 0.5000", "2: 0.5000"]
    assert "4,000 steps; the first and last 20 are shown" in plain
    piped = subprocess.run([str(SCRIPT), "-f", str(source), "--explain"], capture_output=True, text=True)
    lines_ = piped.stdout.splitlines()
    at = lines_.index("backward pass, 4000 steps: input grad += upstream grad × local derivative")
    assert "│" not in piped.stdout and len(lines_) == at + 1 + 2 + 4000  # a pipe gets every step, plainly
    assert lines_[-2].split() == ["3999", "a", "*", "2", "→", "a", "∂(a", "*", "2)/∂a", "=", "2", "1.0000", "×",
                                  "2.0000", "=", "2.0000", "a:", "2001.0000"]


def test_a_terminal_plot_tells_its_curves_apart_in_colour_and_by_marker() -> None:
    args = ["y = w * x**2", "--set", "w=2", "--sweep", "x=-2:2:21", "--plot"]
    code, out, err = run(args, tty={"stdout"})
    assert code == 0, err
    assert ANSI.search(out), "a terminal gets colours"
    plain = ANSI.sub("", out)
    # the legend: each curve's marker, twice, then its name
    legend = dict((name, marker) for marker, name in re.findall(r"(\S)\1 (y|∂y/∂x|∂y/∂w)(?= )", plain))
    assert set(legend) == {"y", "∂y/∂x", "∂y/∂w"} and len(set(legend.values())) == 3, legend
    code, out, _ = run(args, tty={"stdout"}, env={"NO_COLOR": "1"})
    plot = out.split("y over x")[0].removesuffix("\x1b[1m")  # the table below it may still be bold: NO_COLOR asks for no colour only
    assert code == 0 and "∂y/∂w" in plot and not ANSI.search(plot)


def test_reading_a_program_from_a_terminal_says_so() -> None:
    # the terminal on standard input is left waiting: write the program and Ctrl-D to it
    leader, follower = pty.openpty()
    proc = subprocess.Popen([str(SCRIPT), "-f", "-"], stdin=follower, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "COLUMNS": "100"})
    os.close(follower)
    time.sleep(1.0)
    os.write(leader, b"y = 2 * 3\n\x04")
    out, err_bytes = proc.communicate(timeout=30)
    os.close(leader)
    assert proc.returncode == 0
    assert err_bytes.decode() == "reading the program from standard input; end it with Ctrl-D\n"
    assert out.decode().startswith("y = 6.0000")


def test_a_big_sweep_draws_its_bar_on_standard_error_only(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    args = ["y = x * 2", "--sweep", "x=0:1:1000000", "--format", "csv"]
    code, _, err = run(args, tty={"stderr"}, stdout_file=out)
    assert code == 0, err
    assert "sweeping" in ANSI.sub("", err)
    piped = subprocess.run([str(SCRIPT), *args], capture_output=True)
    assert piped.stderr == b"" and out.read_bytes() == piped.stdout  # the bar changes nothing else
