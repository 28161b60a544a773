"""Tables of many rows, piped: time to the first row and to the end, through the command.

What it measures
    program    gradcli -f big.grad | cat: the table of a --statements-statement program
               (benchmarks/programs.py's generator; about 3.7 rows per statement)
    each-line  gradcli --each-line -f lines.txt --jobs 1 | cat: the table of --lines one-line programs
               (benchmarks/batch.py's lines)

    For each, the wall time from the start to the first row of the table reaching the reader
    (the line of node 0, or of line 1) and to the end of the output, and the CPU time of the
    command. With ``--against REV`` the same commands run from that revision too (its tree
    exported with ``git archive`` to a temporary folder and run as ``python -m gradcli`` with that
    folder first on PYTHONPATH; this tree runs the same way), interleaved, so the two are
    measured in the same run. Medians and the spread (min-max) of --repeats runs.

How to run
    python benchmarks/tables.py                            # this tree: 10,000 statements, 20,000 lines
    python benchmarks/tables.py --against HEAD~3 --repeats 2
    python benchmarks/tables.py --statements 2000 --lines 5000

Needs: gradcli installed (pip install -e .), git for --against, Linux.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt_time, median, print_table  # noqa: E402
from programs import generate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
#: the first row of a table: a row number and the start of its text, boxed (rich) or plain
FIRST_ROW = {"program": re.compile(rb"^[\xe2\x94\x82 ]*0[\xe2\x94\x82 ]+v0 ", re.M),
             "each-line": re.compile(rb"^[\xe2\x94\x82 ]*1[\xe2\x94\x82 ]+x = ", re.M)}


def run(cmd: list[str], env: dict[str, str], first: re.Pattern[bytes], cwd: Path) -> tuple[float, float, float, int]:
    """(seconds to the first row, to the end, CPU seconds, bytes) of one run, its output read as it comes."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # (run elsewhere than the repository: python -m puts its folder first, before PYTHONPATH)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
    assert proc.stdout is not None
    got, seen = bytearray(), None
    while chunk := proc.stdout.read1(1 << 16):
        got += chunk
        if seen is None and first.search(got):
            seen = time.perf_counter() - start
    err = proc.stderr.read() if proc.stderr else b""
    code = proc.wait()
    end = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code != 0 or seen is None:
        sys.exit(f"{' '.join(cmd[:4])}... exit {code}, first row {'not ' if seen is None else ''}found: {err[:300]!r}")
    return seen, end, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), len(got)


def spread(xs: list[float]) -> str:
    return f"{fmt_time(median(xs))} ({fmt_time(min(xs))}-{fmt_time(max(xs))})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--statements", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--against", metavar="REV", help="also run this revision (exported with git archive)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gradcli-tables-"))
    try:
        program = work / "big.grad"
        program.write_text(generate(args.statements))
        rng = random.Random(1)
        lines = work / "lines.txt"
        lines.write_text("".join(f"x = {rng.random():.3f}; y = sin(x) * x**2 + exp(-x)\n" for _ in range(args.lines)))
        trees = {"this tree": ROOT}
        if args.against:
            old = work / "old"
            old.mkdir()
            archive = subprocess.run(["git", "archive", "--format=tar", args.against], cwd=ROOT, check=True,
                                     capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
            trees = {args.against: old, **trees}
        tables = {"program": ["-f", str(program)], "each-line": ["--each-line", "-f", str(lines), "--jobs", "1"]}
        times: dict[tuple[str, str], list[tuple[float, float, float, int]]] = {
            (t, w): [] for t in tables for w in trees}
        keys = list(times)
        for i in range(args.repeats):
            for table, tree in keys[i % len(keys):] + keys[:i % len(keys)]:  # interleaved, the order rotating
                env = {**os.environ, "PYTHONPATH": str(trees[tree]), "COLUMNS": "80"}
                cmd = [sys.executable, "-m", "gradcli", *tables[table]]
                times[table, tree].append(run(cmd, env, FIRST_ROW[table], work))
        rows = [[table, tree, spread([t[0] for t in ts]), spread([t[1] for t in ts]), spread([t[2] for t in ts]),
                 f"{ts[0][3]:,}"] for (table, tree), ts in times.items()]
        print_table(["table", "tree", "first row", "end", "CPU", "bytes"], rows,
                    title=f"piped tables: {args.statements:,} statements, {args.lines:,} lines (--jobs 1);"
                          f" median (min-max) of {args.repeats}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
