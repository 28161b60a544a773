"""--jobs: the same bytes in the same order whatever the number of processes, and no worker left
behind however the call ends (Ctrl-C, a reader that goes away, an error). Through the installed
script, as users run it."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcli.front.cli import cli

SCRIPT = Path(sys.executable).parent / "gradcli"
#: a 2-D grid with undefined points, cut into many chunks by a small budget
SWEEP = ["y = log(x) * w + sqrt(w - x)", "--sweep", "x=-1:2:301", "--sweep", "w=0:1:97", "--limit", "memory=1MB"]
BIG = ["y = sin(x) * x", "--sweep", "x=0:1:1000000000", "--format", "csv"]


def gradcli(*args: str, stdin: str | None = None, preexec_fn: object = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(SCRIPT), *args], input=stdin.encode() if stdin is not None else None,
                          capture_output=True, timeout=300, env={**os.environ, "COLUMNS": "100"},
                          preexec_fn=preexec_fn)  # type: ignore[arg-type]


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (from /proc)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


pytestmark = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads processes from /proc")


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_a_sweep_writes_the_same_bytes_with_any_number_of_jobs(fmt: str) -> None:
    runs = [gradcli(*SWEEP, "--format", fmt, "--jobs", str(jobs)) for jobs in (1, 2, 3)]
    assert runs[0].returncode == 0, runs[0].stderr
    assert b"warning: y or a gradient is undefined (NaN) at " in runs[0].stderr
    for other in runs[1:]:
        assert (other.returncode, other.stdout, other.stderr) == (runs[0].returncode, runs[0].stdout, runs[0].stderr)
    lines = runs[0].stdout.count(b"\n")
    assert lines == {"csv": 301 * 97 + 1, "json": 1}.get(fmt, lines)


@pytest.mark.parametrize(("fmt", "count"), [("json", 1000), ("table", 1000), ("table", 2500)])  # 2,500: plain text
def test_a_batch_writes_the_same_bytes_with_any_number_of_jobs(fmt: str, count: int) -> None:
    text = "".join(f"y = a * {i} + sin(a)\n" if i % 50 else f"y = a * {i} + q\n" for i in range(1, count + 1))
    runs = [gradcli("--each-line", "--set", "a=2", "--format", fmt, "--jobs", str(jobs), stdin=text) for jobs in (1, 2)]
    assert runs[0].returncode == 1 and runs[0].stderr.count(b"error: line ") == count // 50
    assert (b"\xe2\x94\x82" in runs[0].stdout) == (fmt == "table" and count <= 2000)  # a rich table has boxes
    assert (runs[1].returncode, runs[1].stdout, runs[1].stderr) == (runs[0].returncode, runs[0].stdout, runs[0].stderr)


def test_jobs_goes_only_with_a_sweep_or_a_batch() -> None:
    r = CliRunner().invoke(cli, ["y = x", "--set", "x=1", "--jobs", "2"])
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr == "error: --jobs goes with --sweep or --each-line\n"
    r = CliRunner().invoke(cli, ["y = x", "--sweep", "x=0:1:3", "--jobs", "0"])
    assert r.exit_code == 2 and "--jobs" in r.stderr


def _started(args: list[str]) -> tuple[subprocess.Popen[bytes], bytes, set[int]]:
    """The script started in a session of its own, once it has written output and started its workers."""
    proc = subprocess.Popen([str(SCRIPT), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    assert proc.stdout is not None
    got = proc.stdout.read1(65536)
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline:
        workers = descendants(proc.pid)
        got += proc.stdout.read1(65536)
    assert len(workers) >= 2, workers
    return proc, got, workers


def _gone(pids: set[int]) -> bool:
    deadline = time.monotonic() + 10
    while any(alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_ctrl_c_stops_every_worker_and_leaves_whole_lines() -> None:
    proc, got, workers = _started([*BIG, "--jobs", "2"])
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: every process of the terminal's group
    rest, err = proc.communicate(timeout=60)
    out = got + rest
    assert proc.returncode == 130 and err.strip() == b"error: interrupted", err  # (click starts a new line)
    assert out.endswith(b"\n") and out.startswith(b"x,y,")
    assert all(len(line.split(b",")) == 3 for line in out.splitlines())  # no half line
    assert _gone(workers)


def test_a_reader_that_goes_away_stops_the_sweep_and_its_workers() -> None:
    proc, _, workers = _started([*BIG, "--jobs", "2"])
    assert proc.stdout is not None
    proc.stdout.close()  # as `| head` does once it has its lines
    assert proc.wait(timeout=60) == 0
    assert proc.stderr is not None and proc.stderr.read() == b""
    assert _gone(workers)


def test_a_worker_that_fails_stops_the_call_with_one_line() -> None:
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (700 * 2**20, 700 * 2**20))

    program = "x = 1\n" + "x = sin(x) + 1\n" * 1000  # a chunk of 65,536 points of 2,000 nodes: about 2 GiB
    done = gradcli(program, "--sweep", "x=0:1:300000", "--limit", "memory=64GiB", "--format", "csv", "--jobs", "2",
                   preexec_fn=cap)
    assert done.returncode == 1 and done.stderr == (b"error: out of memory; a smaller program or smaller --limit"
                                                    b" values keep a call within the machine\n")
    assert done.stdout == b"x,x,\xe2\x88\x82x/\xe2\x88\x82x\n"  # the header, and no piece of a chunk


def test_a_killed_main_process_takes_its_workers_with_it() -> None:
    proc, _, workers = _started([*BIG, "--jobs", "2"])
    os.kill(proc.pid, signal.SIGKILL)  # no chance to stop them itself
    proc.communicate(timeout=60)
    assert _gone(workers)


def test_the_pool_waits_for_no_result_to_wake_its_worker_handler() -> None:
    # CPython's handler also wakes whenever the results' pipe holds data, and spins while a big
    # result is read (1.4 s of CPU over a 1e7-point sweep); it is woken by workers and the notifier
    import operator

    from gradcli.front.workers import Workers

    with Workers(2, 2, int, 2) as workers:  # each worker's state: 2
        pool = workers.pool
        sentinels = pool._get_sentinels()
        assert pool._outqueue._reader not in sentinels and pool._change_notifier._reader in sentinels
        assert list(workers.map(operator.mul, range(5))) == [0, 2, 4, 6, 8]  # and it works
